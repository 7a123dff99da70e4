//! Exact Newton's method on the dense Hessian with the classical safeguards (Nocedal & Wright
//! 2006, chapters 3 and 4):
//!
//! - `modified`: Cholesky with added multiple of the identity, `H + τI = LLᵀ`, τ from
//!   N&W Algorithm 3.3 with the shift scaled to the Hessian (steps of β·‖H‖_F, β = 10⁻³, τ
//!   doubled until the factorization succeeds,
//!   [`crate::linalg::cholesky::modified_cholesky_scaled`]; a constant β made Newton linear on
//!   singular Hessians with small curvature), then a line search along
//!   `d = −(H + τI)⁻¹g`. The shift τ is reported in the trace as `shift`. The line search is
//!   the method's [`Globalization`]: monotone Armijo backtracking (default), strong Wolfe, the
//!   nonmonotone Armijo search of Grippo, Lampariello & Lucidi (1986), the watchdog, or none
//!   (the unit step).
//! - `lm`: Levenberg–Marquardt damping `(H + λI)d = −g` (Levenberg 1944; Marquardt 1963) with λ
//!   adapted from the reduction ratio `ρ = (f(x) − f(x + d)) / (m(0) − m(d))` by Nielsen's rule
//!   (Nielsen 1999; Madsen, Nielsen & Tingleff 2004, eq. 2.21): accept when ρ > 0 and set
//!   `λ ← λ·max(⅓, 1 − (2ρ − 1)³)`, `ν ← 2`; otherwise `λ ← λν`, `ν ← 2ν`. λ is raised further
//!   (doubled, at least β) while `H + λI` is not positive definite.
//! - `trust-exact` (default): the trust-region method (N&W Algorithm 4.1, the [`TrustRegion`] component)
//!   with the nearly exact subproblem solution of Moré & Sorensen (1983), hard case included
//!   ([`crate::methods::trust_region::more_sorensen`]).
//! - `none`: plain Newton; a Hessian that is not positive definite (indefinite or singular) is
//!   an [`Error::NotPositiveDefinite`] naming the remedy (the driver ends the run as `Failed`).
//!
//! The Hessian is `Objective::hessian`: dense where the problem has one, else assembled from
//! `n` exact HVPs. Cholesky factorizations use faer's `llt` kernel in a reused workspace
//! ([`CholeskyWorkspace`]); trial points and directions live in reused buffers. In the
//! trust-region and LM variants a rejected step is an iteration that leaves `x` unchanged (as
//! in N&W Algorithm 4.1 and scipy), and the Hessian is reused.

use super::line_search::{Globalization, LineSearchKind, trial_value};
use super::trust_region::{MoreSorensen, MoreSorensenWorkspace, TrustRegion};
use super::{Iterate, Method, Needs, StepInfo};
use crate::error::{Error, Result};
use crate::linalg::cholesky::{CholeskyWorkspace, modified_cholesky_scaled};
use crate::linalg::vector::{add_scaled, dot};
use crate::objective::Objective;
use faer::Mat;

/// Which safeguard keeps Newton's method globally convergent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Safeguard {
    /// Cholesky with added multiple of the identity (N&W Algorithm 3.3) and a line search.
    Modified,
    /// Levenberg–Marquardt damping with Nielsen's ρ rule.
    Lm,
    /// Trust region with Moré–Sorensen's nearly exact subproblem solution.
    TrustExact,
    /// None: an error when the Hessian is not positive definite.
    None,
}

impl Safeguard {
    /// Parses `modified`, `lm`, `trust-exact` or `none`.
    ///
    /// ```
    /// use curvlab::methods::newton::Safeguard;
    /// assert_eq!(Safeguard::parse("lm").unwrap(), Safeguard::Lm);
    /// assert!(Safeguard::parse("magic").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "modified" => Ok(Safeguard::Modified),
            "lm" => Ok(Safeguard::Lm),
            "trust-exact" => Ok(Safeguard::TrustExact),
            "none" => Ok(Safeguard::None),
            _ => Err(Error::invalid(
                "safeguard",
                s,
                "expected modified, lm, trust-exact or none",
            )),
        }
    }
}

impl Safeguard {
    /// The registry spelling (inverse of [`Safeguard::parse`]).
    ///
    /// ```
    /// use curvlab::methods::newton::Safeguard;
    /// assert_eq!(Safeguard::TrustExact.as_str(), "trust-exact");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Safeguard::Modified => "modified",
            Safeguard::Lm => "lm",
            Safeguard::TrustExact => "trust-exact",
            Safeguard::None => "none",
        }
    }
}

/// Exact Newton with a selectable safeguard.
///
/// ```
/// use curvlab::methods::Newton;
/// use curvlab::methods::trust_region::TrustRegion;
/// use curvlab::problems::Rosenbrock;
/// use curvlab::{minimize, Stop};
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut Newton::default(), &[-1.2, 1.0], &Stop::new(1e-8, 100)).unwrap();
/// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
/// let bad = TrustRegion { radius: 0.0, ..Default::default() };
/// assert!(Newton::new().with_trust_region(bad).is_err());
/// ```
#[derive(Debug)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct Newton {
    safeguard: Safeguard,
    globalization: Globalization,
    region0: TrustRegion,
    beta: f64,
    lambda0: f64,
    // state
    region: TrustRegion,
    lambda: f64,
    nu: f64,
    // Caches and buffers (recomputed after a checkpoint resume).
    #[cfg_attr(feature = "serde1", serde(skip))]
    cached: Option<(Vec<f64>, Mat<f64>)>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    chol: CholeskyWorkspace,
    #[cfg_attr(feature = "serde1", serde(skip))]
    subproblem: MoreSorensenWorkspace,
    #[cfg_attr(feature = "serde1", serde(skip))]
    d: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    x_trial: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    g_trial: Vec<f64>,
}

impl Default for Newton {
    fn default() -> Self {
        Newton {
            safeguard: Safeguard::TrustExact,
            globalization: Globalization::new(LineSearchKind::Armijo),
            region0: TrustRegion {
                radius: 10.0,
                ..TrustRegion::default()
            },
            beta: 1e-3,
            lambda0: 1e-3,
            region: TrustRegion {
                radius: 10.0,
                ..TrustRegion::default()
            },
            lambda: 1e-3,
            nu: 2.0,
            cached: None,
            chol: CholeskyWorkspace::new(),
            subproblem: MoreSorensenWorkspace::new(),
            d: Vec::new(),
            x_trial: Vec::new(),
            g_trial: Vec::new(),
        }
    }
}

impl Newton {
    /// The default, chosen by the study in `docs/defaults.md` (fewest evaluations among the
    /// settings that solve the most of the 35 MGH problems, logistic regression and an MLP):
    /// `trust-exact` with Δ₀ = 10, Δ_max = 10⁸, η = 0; for the other safeguards Armijo
    /// backtracking (c₁ = 10⁻⁴, ρ = ½), β = 10⁻³, λ₀ = 10⁻³.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the safeguard.
    ///
    /// ```
    /// use curvlab::methods::newton::{Newton, Safeguard};
    /// let m = Newton::new().with_safeguard(Safeguard::TrustExact);
    /// assert_eq!(m.safeguard(), Safeguard::TrustExact);
    /// ```
    pub fn with_safeguard(mut self, s: Safeguard) -> Self {
        self.safeguard = s;
        self
    }

    /// The safeguard.
    pub fn safeguard(&self) -> Safeguard {
        self.safeguard
    }

    /// Sets the line search kind (used by `modified` and `none`), keeping its parameters.
    pub fn with_line_search(mut self, kind: LineSearchKind) -> Self {
        self.globalization = self.globalization.with_kind(kind);
        self
    }

    /// Sets the whole line-search globalization (kind and parameters).
    ///
    /// ```
    /// use curvlab::methods::line_search::{Globalization, LineSearchKind};
    /// use curvlab::methods::Newton;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::{minimize, Stop};
    /// let f = Rosenbrock::new(2).unwrap();
    /// let g = Globalization::new(LineSearchKind::Nonmonotone).with_nonmonotone_memory(10).unwrap();
    /// let mut m = Newton::new().with_globalization(g);
    /// let r = minimize(&f, &mut m, &[-1.2, 1.0], &Stop::new(1e-8, 100)).unwrap();
    /// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
    /// ```
    pub fn with_globalization(mut self, g: Globalization) -> Self {
        self.globalization = g;
        self
    }

    /// The line-search globalization.
    pub fn globalization(&self) -> &Globalization {
        &self.globalization
    }

    /// Sets the trust region of `safeguard = trust-exact` (validated).
    pub fn with_trust_region(mut self, tr: TrustRegion) -> Result<Self> {
        tr.validate()?;
        self.region0 = tr;
        self.region = tr;
        Ok(self)
    }

    /// The initial trust region.
    pub fn trust_region(&self) -> TrustRegion {
        self.region0
    }

    /// Sets N&W Algorithm 3.3's β (finite, `> 0`): the modified-Cholesky shift is built from
    /// multiples of `β·‖H‖_F` (β alone when `H = 0`); for `lm`, the smallest damping when
    /// `H + λI` is indefinite.
    ///
    /// ```
    /// assert!(curvlab::methods::Newton::new().with_beta(0.0).is_err());
    /// ```
    pub fn with_beta(mut self, beta: f64) -> Result<Self> {
        if !(beta > 0.0 && beta.is_finite()) {
            return Err(Error::invalid("beta", beta, "must be finite and > 0"));
        }
        self.beta = beta;
        Ok(self)
    }

    /// Sets the initial Levenberg–Marquardt damping λ₀ (finite, `≥ 0`).
    ///
    /// ```
    /// assert!(curvlab::methods::Newton::new().with_lambda(-1.0).is_err());
    /// ```
    pub fn with_lambda(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::invalid(
                "lambda",
                lambda,
                "damping must be finite and >= 0",
            ));
        }
        self.lambda0 = lambda;
        Ok(self)
    }

    /// Computes (or reuses, at the same `x`) the dense Hessian.
    fn hessian(&mut self, obj: &dyn Objective, x: &[f64]) -> Result<()> {
        if let Some((cx, _)) = &self.cached
            && cx.as_slice() == x
        {
            return Ok(());
        }
        let h = obj.hessian(x)?;
        crate::error::check_len("hessian rows", x.len(), h.nrows())?;
        crate::error::check_len("hessian columns", x.len(), h.ncols())?;
        self.cached = Some((x.to_vec(), h));
        Ok(())
    }

    /// Takes the cached Hessian out (put it back with `self.cached = Some(..)`).
    fn take_hessian(&mut self) -> Result<(Vec<f64>, Mat<f64>)> {
        self.cached
            .take()
            .ok_or_else(|| Error::Numerical("Hessian not computed".into()))
    }

    fn step_line_search(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let (safeguard, beta, chol) = (self.safeguard, self.beta, &mut self.chol);
        let (s, tau) = self.globalization.step(obj, it, |it, d| {
            let h = obj.hessian(&it.x)?;
            crate::error::check_len("hessian rows", it.x.len(), h.nrows())?;
            let tau = newton_factor(chol, h.as_ref(), safeguard, beta)?;
            d.copy_from_slice(&it.g);
            d.iter_mut().for_each(|v| *v = -*v);
            chol.solve_in_place(d);
            Ok(tau)
        })?;
        let info = StepInfo::new(s.step_length);
        Ok(match tau {
            Some(tau) => info.with("shift", tau).with("alpha", s.alpha),
            None => info.with("alpha", s.alpha).with("watchdog_return", 1.0),
        })
    }

    fn step_lm(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        self.hessian(obj, &it.x)?;
        let (cx, hm) = self.take_hessian()?;
        let r = self.lm_trial(obj, it, hm.as_ref());
        self.cached = Some((cx, hm));
        r
    }

    /// One Levenberg–Marquardt trial on the Hessian `h` at `it`.
    fn lm_trial(
        &mut self,
        obj: &dyn Objective,
        it: &mut Iterate,
        h: faer::MatRef<'_, f64>,
    ) -> Result<StepInfo> {
        // Raise λ until H + λI ≻ 0.
        let mut tries = 0;
        while let Err(e) = self.chol.factor(h, self.lambda) {
            if !matches!(e, Error::NotPositiveDefinite(_)) || tries > 200 {
                return Err(e);
            }
            self.lambda = (2.0 * self.lambda).max(self.beta);
            tries += 1;
        }
        let n = it.x.len();
        for v in [&mut self.d, &mut self.x_trial, &mut self.g_trial] {
            v.resize(n, 0.0);
        }
        self.d.copy_from_slice(&it.g);
        self.d.iter_mut().for_each(|v| *v = -*v);
        self.chol.solve_in_place(&mut self.d);
        // m(0) − m(d) with (H + λI)d = −g: −gᵀd − ½dᵀHd = ½(−gᵀd + λ‖d‖²).
        let dd = dot(&self.d, &self.d);
        let pred = 0.5 * (-dot(&it.g, &self.d) + self.lambda * dd);
        add_scaled(&it.x, 1.0, &self.d, &mut self.x_trial);
        let f_new = trial_value(obj, &self.x_trial)?;
        let rho = (it.f - f_new) / pred;
        let lambda_used = self.lambda;
        let mut step = 0.0;
        if rho > 0.0 && pred > 0.0 {
            it.f = obj.gradient(&self.x_trial, &mut self.g_trial)?;
            std::mem::swap(&mut it.x, &mut self.x_trial);
            std::mem::swap(&mut it.g, &mut self.g_trial);
            self.lambda *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
            self.nu = 2.0;
            step = dd.sqrt();
        } else {
            self.lambda = (self.lambda * self.nu).max(self.beta);
            self.nu *= 2.0;
        }
        Ok(StepInfo::new(step)
            .with("lambda", lambda_used)
            .with("rho", rho))
    }

    fn step_trust_exact(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        self.region.alive(&it.x)?;
        self.hessian(obj, &it.x)?;
        let (cx, hm) = self.take_hessian()?;
        let sub = self.subproblem.solve(
            hm.as_ref(),
            &it.g,
            self.region.radius,
            &MoreSorensen::default(),
        );
        self.cached = Some((cx, hm));
        let sub = sub?;
        let t = self.region.try_step(
            obj,
            it,
            self.subproblem.step(),
            -sub.model_value,
            sub.on_boundary,
            &mut self.x_trial,
            &mut self.g_trial,
        )?;
        Ok(StepInfo::new(t.step_length)
            .with("radius", t.radius)
            .with("rho", t.rho)
            .with("lambda", sub.lambda))
    }
}

/// Factors the Hessian for a line-search step: as it is (`none`, with an error naming the
/// remedy when it is not positive definite) or with N&W Algorithm 3.3's shift; returns τ.
fn newton_factor(
    chol: &mut CholeskyWorkspace,
    h: faer::MatRef<'_, f64>,
    safeguard: Safeguard,
    beta: f64,
) -> Result<f64> {
    if safeguard != Safeguard::None {
        return modified_cholesky_scaled(chol, h, beta);
    }
    chol.factor(h, 0.0).map_err(|e| match e {
        Error::NotPositiveDefinite(m) => Error::NotPositiveDefinite(format!(
            "Newton (safeguard = none): the Hessian is not positive definite \
             (indefinite or singular): {m}; use safeguard = modified, lm or trust-exact"
        )),
        other => other,
    })?;
    Ok(0.0)
}

impl Method for Newton {
    fn name(&self) -> &str {
        "newton"
    }
    fn needs(&self) -> Needs {
        Needs::Hessian
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        self.region0.validate()?;
        self.globalization.reset()?;
        self.lambda = self.lambda0;
        self.nu = 2.0;
        self.region = self.region0;
        self.cached = None;
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        match self.safeguard {
            Safeguard::Modified | Safeguard::None => self.step_line_search(obj, it),
            Safeguard::Lm => self.step_lm(obj, it),
            Safeguard::TrustExact => self.step_trust_exact(obj, it),
        }
    }
}
