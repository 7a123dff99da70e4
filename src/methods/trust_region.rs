//! The trust-region globalization shared by every trust-region method (Nocedal & Wright 2006,
//! Algorithm 4.1): the [`TrustRegion`] component (radius, largest radius, acceptance threshold
//! η; validated, updated from the reduction ratio ρ, checked for collapse) with its
//! accept-or-reject step ([`TrustRegion::try_step`]), and the nearly exact subproblem solver of
//! Moré & Sorensen (1983) for dense Hessians ([`more_sorensen`], [`MoreSorensenWorkspace`]).
//! Newton's `trust-exact` safeguard and `trust-ncg` (with the Steihaug–Toint solver of
//! [`crate::linalg::steihaug`]) both use it.

mod more_sorensen;

pub use more_sorensen::{
    MoreSorensen, MoreSorensenWorkspace, SubproblemInfo, TrustRegionStep, model, more_sorensen,
};

use super::Iterate;
use super::line_search::trial_value;
use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, norm};
use crate::objective::Objective;

/// A trust region: the current radius Δ, the largest radius and the acceptance threshold η
/// (a step is taken when `ρ > η`). Defaults Δ₀ = 1, Δ_max = 1000, η = 0.15 (scipy's).
///
/// ```
/// use curvlab::methods::trust_region::TrustRegion;
/// let mut tr = TrustRegion::new(1.0, 4.0, 0.1).unwrap();
/// tr.update(0.9, true); // very good, on the boundary: double
/// tr.update(0.9, true); // capped at max_radius
/// assert_eq!(tr.radius, 4.0);
/// tr.update(0.1, false); // poor: shrink to a quarter
/// assert_eq!(tr.radius, 1.0);
/// assert!(TrustRegion::new(2.0, 1.0, 0.1).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrustRegion {
    /// The radius Δ (`0 < Δ ≤ max_radius`).
    pub radius: f64,
    /// The largest radius (finite).
    pub max_radius: f64,
    /// The acceptance threshold η ∈ [0, ¼).
    pub eta: f64,
}

impl Default for TrustRegion {
    fn default() -> Self {
        TrustRegion {
            radius: 1.0,
            max_radius: 1e8,
            eta: 0.0,
        }
    }
}

/// What one trust-region trial did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialStep {
    /// The reduction ratio `ρ = (f(x) − f(x + p)) / (m(0) − m(p))` (−∞ when the model
    /// predicts no decrease).
    pub rho: f64,
    /// The radius the step was computed for.
    pub radius: f64,
    /// `‖p‖` when the step was taken, 0 when it was rejected.
    pub step_length: f64,
}

impl TrustRegion {
    /// A validated trust region.
    pub fn new(radius: f64, max_radius: f64, eta: f64) -> Result<Self> {
        let tr = TrustRegion {
            radius,
            max_radius,
            eta,
        };
        tr.validate()?;
        Ok(tr)
    }

    /// Checks `0 < radius ≤ max_radius < ∞` and `0 ≤ eta < ¼`.
    ///
    /// ```
    /// use curvlab::methods::trust_region::TrustRegion;
    /// assert!(TrustRegion { eta: 0.3, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        check_radius(self.radius)?;
        if !(self.max_radius >= self.radius && self.max_radius.is_finite()) {
            return Err(Error::invalid(
                "max_radius",
                self.max_radius,
                &format!("must be finite and >= radius = {}", self.radius),
            ));
        }
        check_eta(self.eta)
    }

    /// Sets the (initial) radius: finite and `> 0` (the relation to `max_radius` is checked by
    /// [`Self::validate`] when the run starts).
    ///
    /// ```
    /// use curvlab::methods::trust_region::TrustRegion;
    /// assert!(TrustRegion::default().with_radius(0.0).is_err());
    /// ```
    pub fn with_radius(mut self, radius: f64) -> Result<Self> {
        check_radius(radius)?;
        self.radius = radius;
        Ok(self)
    }

    /// Sets the largest radius (finite, `> 0`).
    pub fn with_max_radius(mut self, max_radius: f64) -> Result<Self> {
        check_radius(max_radius)
            .map_err(|_| Error::invalid("max_radius", max_radius, "must be finite and > 0"))?;
        self.max_radius = max_radius;
        Ok(self)
    }

    /// Sets η ∈ [0, ¼).
    pub fn with_eta(mut self, eta: f64) -> Result<Self> {
        check_eta(eta)?;
        self.eta = eta;
        Ok(self)
    }

    /// The radius update of N&W Algorithm 4.1: a quarter when ρ < ¼; double (up to
    /// `max_radius`) when ρ > ¾ and the step reached the boundary.
    pub fn update(&mut self, rho: f64, on_boundary: bool) {
        if rho < 0.25 {
            self.radius *= 0.25;
        } else if rho > 0.75 && on_boundary {
            self.radius = (2.0 * self.radius).min(self.max_radius);
        }
    }

    /// An error once the radius has collapsed below rounding level at `x`: no model decrease
    /// can be realized any more.
    ///
    /// ```
    /// use curvlab::methods::trust_region::TrustRegion;
    /// let tr = TrustRegion { radius: 1e-300, ..Default::default() };
    /// assert!(tr.alive(&[1.0]).is_err() && TrustRegion::default().alive(&[1.0]).is_ok());
    /// ```
    pub fn alive(&self, x: &[f64]) -> Result<()> {
        if self.radius <= f64::EPSILON * norm(x).max(1.0) {
            return Err(Error::Numerical(format!(
                "trust radius collapsed to {:e}: no model decrease can be realized",
                self.radius
            )));
        }
        Ok(())
    }

    /// Tries the step `p` with predicted decrease `pred = m(0) − m(p)`: evaluates `f(x + p)`
    /// (an overflow counts as `+∞`, a rejection), updates the radius from ρ, and when `ρ > η`
    /// moves `it` there (gradient evaluated). `x_trial` and `g_trial` are reused buffers.
    ///
    /// ```
    /// use curvlab::methods::{Iterate, trust_region::TrustRegion};
    /// let f = curvlab::problems::Ravine::seed(); // ½(100 x₀² + x₁²): the model is exact
    /// let mut it = Iterate::new(&f, vec![0.0, 1.0]).unwrap();
    /// let mut tr = TrustRegion::default();
    /// let (mut xb, mut gb) = (Vec::new(), Vec::new());
    /// // p = (0, −1) with m(0) − m(p) = 0.5: ρ = 1, on the boundary, so Δ doubles.
    /// let t = tr.try_step(&f, &mut it, &[0.0, -1.0], 0.5, true, &mut xb, &mut gb).unwrap();
    /// assert_eq!((t.rho, t.step_length, tr.radius), (1.0, 1.0, 2.0));
    /// assert_eq!(it.x, vec![0.0, 0.0]);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn try_step(
        &mut self,
        obj: &dyn Objective,
        it: &mut Iterate,
        p: &[f64],
        pred: f64,
        on_boundary: bool,
        x_trial: &mut Vec<f64>,
        g_trial: &mut Vec<f64>,
    ) -> Result<TrialStep> {
        let n = it.x.len();
        x_trial.resize(n, 0.0);
        g_trial.resize(n, 0.0);
        add_scaled(&it.x, 1.0, p, x_trial);
        let f_new = trial_value(obj, x_trial)?;
        let rho = if pred > 0.0 {
            (it.f - f_new) / pred
        } else {
            f64::NEG_INFINITY
        };
        let radius = self.radius;
        self.update(rho, on_boundary);
        let mut step_length = 0.0;
        if rho > self.eta {
            it.f = obj.gradient(x_trial, g_trial)?;
            std::mem::swap(&mut it.x, x_trial);
            std::mem::swap(&mut it.g, g_trial);
            step_length = norm(p);
        }
        Ok(TrialStep {
            rho,
            radius,
            step_length,
        })
    }
}

fn check_radius(radius: f64) -> Result<()> {
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(Error::invalid(
            "radius",
            radius,
            "trust radius must be finite and > 0",
        ));
    }
    Ok(())
}

fn check_eta(eta: f64) -> Result<()> {
    if !((0.0..0.25).contains(&eta)) {
        return Err(Error::invalid(
            "eta",
            eta,
            "acceptance threshold must be in [0, 0.25)",
        ));
    }
    Ok(())
}
