//! Armijo backtracking and its nonmonotone variant (Grippo, Lampariello & Lucidi 1986; Nocedal &
//! Wright 2006, Algorithm 3.1).

use super::{LineSearchResult, finite_or_inf};
use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, dot};
use crate::objective::Objective;

/// Armijo backtracking parameters: accept `α` with `f(x + αd) ≤ f + c₁ α ∇fᵀd`, else `α ← ρα`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Armijo {
    /// Sufficient-decrease constant `c₁ ∈ (0, 1)` (default 1e-4).
    pub c1: f64,
    /// Shrink factor `ρ ∈ (0, 1)` (default 0.5).
    pub shrink: f64,
    /// Maximum number of trial points (default 60).
    pub max_evals: usize,
}

impl Default for Armijo {
    fn default() -> Self {
        Armijo {
            c1: 1e-4,
            shrink: 0.5,
            max_evals: 60,
        }
    }
}

impl Armijo {
    /// Checks the parameters.
    ///
    /// ```
    /// use curvlab::methods::line_search::Armijo;
    /// assert!(Armijo::default().validate().is_ok());
    /// assert!(Armijo { c1: 1.5, ..Armijo::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.c1 > 0.0 && self.c1 < 1.0) {
            return Err(Error::invalid("c1", self.c1, "must be in (0, 1)"));
        }
        if !(self.shrink > 0.0 && self.shrink < 1.0) {
            return Err(Error::invalid("shrink", self.shrink, "must be in (0, 1)"));
        }
        if self.max_evals == 0 {
            return Err(Error::invalid("max_evals", 0, "must be >= 1"));
        }
        Ok(())
    }

    /// Backtracks from `alpha0` along the descent direction `d` from `x` (value `f0`, gradient
    /// `g0`); writes the accepted point into `x_out`.
    ///
    /// ```
    /// use curvlab::methods::line_search::Armijo;
    /// use curvlab::problems::Ravine;
    /// let f = Ravine::seed();
    /// let (x, g) = ([1.0, 1.0], [100.0, 1.0]);
    /// let d = [-100.0, -1.0];
    /// let mut out = [0.0; 2];
    /// let r = Armijo::default().search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    /// assert!(r.f < 50.5 && r.alpha < 1.0);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn search<O: Objective + ?Sized>(
        &self,
        obj: &O,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        alpha0: f64,
        x_out: &mut [f64],
    ) -> Result<LineSearchResult> {
        self.search_from_reference(obj, x, f0, g0, d, alpha0, x_out)
    }

    /// The backtracking loop with the sufficient-decrease test taken against a reference value
    /// `f_ref` instead of `f(x)`: accept the first `α = ρʲ α₀` with
    /// `f(x + αd) ≤ f_ref + c₁ α ∇fᵀd`. [`Armijo::search`] is `f_ref = f(x)`; a nonmonotone
    /// search ([`NonmonotoneArmijo`]) passes the largest recent value (`f_ref ≥ f(x)`).
    ///
    /// ```
    /// use curvlab::methods::line_search::Armijo;
    /// use curvlab::problems::Ravine;
    /// let f = Ravine::seed(); // ½(100 x₀² + x₁²)
    /// let (x, g) = ([1.0, 1.0], [100.0, 1.0]);
    /// let d = [-2.1, -1.0]; // the unit step lands at (−1.1, 0): f = 60.5 > f(x) = 50.5
    /// let mut out = [0.0; 2];
    /// let monotone = Armijo::default().search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    /// assert_eq!(monotone.alpha, 0.5);
    /// // Against the reference 70 > f(x) the unit step is accepted.
    /// let r = Armijo::default().search_from_reference(&f, &x, 70.0, &g, &d, 1.0, &mut out).unwrap();
    /// assert!(r.alpha == 1.0 && (r.f - 60.5).abs() < 1e-12);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn search_from_reference<O: Objective + ?Sized>(
        &self,
        obj: &O,
        x: &[f64],
        f_ref: f64,
        g0: &[f64],
        d: &[f64],
        alpha0: f64,
        x_out: &mut [f64],
    ) -> Result<LineSearchResult> {
        let slope = dot(g0, d);
        if !(slope < 0.0) {
            return Err(Error::Numerical(format!(
                "line search: not a descent direction (gᵀd = {slope:e})"
            )));
        }
        if !f_ref.is_finite() {
            return Err(Error::Numerical(format!(
                "line search: reference value {f_ref:e} is not finite"
            )));
        }
        let mut alpha = alpha0;
        for k in 1..=self.max_evals {
            add_scaled(x, alpha, d, x_out);
            let f = finite_or_inf(obj.value(x_out))?;
            if f <= f_ref + self.c1 * alpha * slope {
                return Ok(LineSearchResult {
                    alpha,
                    f,
                    evaluations: k,
                });
            }
            alpha *= self.shrink;
        }
        Err(Error::Numerical(format!(
            "Armijo line search found no sufficient decrease in {} trials",
            self.max_evals
        )))
    }
}

/// Nonmonotone Armijo backtracking of Grippo, Lampariello & Lucidi (1986): accept
/// `f(x_k + αd) ≤ max_{0≤j<M} f(x_{k−j}) + c₁ α ∇f(x_k)ᵀd`, the sufficient decrease measured
/// against the largest of the last `M` iterate values (`M = memory`, GLL suggest 10) instead of
/// `f(x_k)`. The objective may rise between iterations, never above the recent maximum; with
/// `M = 1` this is [`Armijo`]. The values are recorded by [`NonmonotoneArmijo::search`] itself
/// (call it once per iteration, at the current iterate); [`NonmonotoneArmijo::reset`] forgets
/// them (at the start of a run).
///
/// The window, precisely: `memory = M` is the number of values compared, the current one
/// included, `f_ref = max_{0≤j<min(k+1, M)} f(x_{k−j})`. GLL (1986) write the window as
/// `max_{0≤j≤m(k)}` with `m(k) ≤ M`, which spans up to `M + 1` values: their `M = 10` is
/// curvlab's `memory = 11`, and curvlab's `memory = 1` (GLL's `M = 0`) is monotone Armijo.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NonmonotoneArmijo {
    /// The backtracking parameters (`c₁`, `ρ`, budget).
    pub armijo: Armijo,
    /// The memory `M ≥ 1` (default 10).
    pub memory: usize,
    history: std::collections::VecDeque<f64>,
}

impl Default for NonmonotoneArmijo {
    fn default() -> Self {
        NonmonotoneArmijo {
            armijo: Armijo::default(),
            memory: 10,
            history: std::collections::VecDeque::new(),
        }
    }
}

impl NonmonotoneArmijo {
    /// Memory `M` with the default backtracking parameters (c₁ = 10⁻⁴, ρ = ½).
    ///
    /// ```
    /// use curvlab::methods::line_search::NonmonotoneArmijo;
    /// assert_eq!(NonmonotoneArmijo::new(5).unwrap().memory, 5);
    /// assert!(NonmonotoneArmijo::new(0).is_err());
    /// ```
    pub fn new(memory: usize) -> Result<Self> {
        let s = NonmonotoneArmijo {
            memory,
            ..Default::default()
        };
        s.validate()?;
        Ok(s)
    }

    /// Sets the backtracking parameters (validated).
    ///
    /// ```
    /// use curvlab::methods::line_search::{Armijo, NonmonotoneArmijo};
    /// let bad = Armijo { shrink: 1.0, ..Armijo::default() };
    /// assert!(NonmonotoneArmijo::default().with_armijo(bad).is_err());
    /// ```
    pub fn with_armijo(mut self, a: Armijo) -> Result<Self> {
        a.validate()?;
        self.armijo = a;
        Ok(self)
    }

    /// Checks `M ≥ 1` and the backtracking parameters.
    ///
    /// ```
    /// use curvlab::methods::line_search::NonmonotoneArmijo;
    /// assert!(NonmonotoneArmijo::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(Error::invalid(
                "nonmonotone_memory",
                0,
                "must be >= 1 (1 is the monotone Armijo search)",
            ));
        }
        self.armijo.validate()
    }

    /// Forgets the recorded values.
    ///
    /// ```
    /// use curvlab::methods::line_search::NonmonotoneArmijo;
    /// let mut ls = NonmonotoneArmijo::default();
    /// ls.record(3.0);
    /// ls.reset();
    /// assert_eq!(ls.reference(1.0), 1.0);
    /// ```
    pub fn reset(&mut self) {
        self.history.clear();
    }

    /// Records the value of a new iterate, keeping the last `M`.
    ///
    /// ```
    /// use curvlab::methods::line_search::NonmonotoneArmijo;
    /// let mut ls = NonmonotoneArmijo::new(2).unwrap();
    /// for f in [5.0, 3.0, 4.0] { ls.record(f); }
    /// assert_eq!(ls.reference(f64::NEG_INFINITY), 4.0); // 5 has left the window {3, 4}
    /// ```
    pub fn record(&mut self, f: f64) {
        self.history.push_back(f);
        while self.history.len() > self.memory.max(1) {
            self.history.pop_front();
        }
    }

    /// The reference value `max(f, recorded values)`.
    pub fn reference(&self, f: f64) -> f64 {
        self.history.iter().copied().fold(f, f64::max)
    }

    /// Records `f0 = f(x)` as the current iterate's value and backtracks from `alpha0` along
    /// `d` against the largest of the last `M` values ([`Armijo::search_from_reference`]);
    /// writes the accepted point into `x_out`.
    ///
    /// ```
    /// use curvlab::methods::line_search::NonmonotoneArmijo;
    /// use curvlab::problems::Ravine;
    /// let f = Ravine::seed(); // ½(100 x₀² + x₁²)
    /// let mut ls = NonmonotoneArmijo::new(10).unwrap();
    /// ls.record(70.0); // an earlier iterate
    /// let (x, g, d) = ([1.0, 1.0], [100.0, 1.0], [-2.1, -1.0]);
    /// let mut out = [0.0; 2];
    /// let r = ls.search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    /// assert_eq!(r.alpha, 1.0); // f = 60.5 ≤ 70 + c₁ gᵀd, though monotone Armijo would shrink
    /// assert_eq!(ls.reference(0.0), 70.0);
    /// // With M = 1 the search is monotone Armijo: the same step as `Armijo::search`.
    /// let mut m1 = NonmonotoneArmijo::new(1).unwrap();
    /// m1.record(70.0);
    /// let r1 = m1.search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    /// let a = curvlab::methods::line_search::Armijo::default();
    /// let ra = a.search(&f, &x, 50.5, &g, &d, 1.0, &mut out).unwrap();
    /// assert_eq!((r1.alpha, r1.f), (ra.alpha, ra.f));
    /// assert_eq!(r1.alpha, 0.5);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn search<O: Objective + ?Sized>(
        &mut self,
        obj: &O,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        alpha0: f64,
        x_out: &mut [f64],
    ) -> Result<LineSearchResult> {
        self.record(f0);
        let f_ref = self.reference(f0);
        self.armijo
            .search_from_reference(obj, x, f_ref, g0, d, alpha0, x_out)
    }
}
