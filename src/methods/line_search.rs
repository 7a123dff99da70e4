//! Line searches shared by every method that uses one: Armijo backtracking, its nonmonotone
//! variant (Grippo, Lampariello & Lucidi 1986: sufficient decrease against the largest of the last
//! `M` values), the watchdog technique of Chamberlain, Powell, Lemaréchal & Pedersen (1982)
//! (N&W Algorithm 15.2) and the strong-Wolfe search with zoom and safeguarded cubic interpolation (Nocedal &
//! Wright 2006, Algorithms 3.1, 3.5 and 3.6, eq. 3.59). A trial point whose value or gradient is not finite counts as a failed
//! sufficient-decrease test, so a step into an overflow is shortened rather than fatal.

use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, dot};
use crate::methods::Iterate;
use crate::objective::Objective;

/// The accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSearchResult {
    /// The step `α` along the direction.
    pub alpha: f64,
    /// `f(x + α d)`.
    pub f: f64,
    /// Objective evaluations used (values for Armijo, gradients for Wolfe).
    pub evaluations: usize,
}

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

/// The point a watchdog may return to: `x_k`, `f(x_k)`, `∇f(x_k)`, the step `p_k` and
/// `∇f(x_k)ᵀp_k`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
    d: Vec<f64>,
    slope: f64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
enum WatchdogState {
    /// Try the full step; keep it if it decreases `f` sufficiently, else relax.
    #[default]
    Watch,
    /// One relaxed step was taken from the checkpoint.
    Relaxed(Checkpoint),
    /// The relaxed steps failed: the next iteration returns to the checkpoint.
    Return(Checkpoint),
    /// One more monotone line search, then watch again.
    Monotone,
}

/// The watchdog technique (Chamberlain, Powell, Lemaréchal & Pedersen 1982) in the form of
/// Nocedal & Wright (2006), Algorithm 15.2, with the objective itself as merit function: the full
/// step `p_k` is taken whenever `f(x_k + p_k) ≤ f(x_k) + c₁∇f(x_kᵀ)p_k`; when it is not, it is
/// taken anyway (a relaxed step, `x_k` kept as checkpoint) and the next iteration does an Armijo
/// search from there. The relaxed steps are kept if `f(x_{k+1}) ≤ f(x_k)` or
/// `f(x_{k+2}) ≤ f(x_k) + c₁∇f(x_k)ᵀp_k`; otherwise, if `f(x_{k+2}) > f(x_k)`, the next
/// iteration returns to `x_k` and backtracks along `p_k` (from `α = ρ`, the unit step having
/// failed), else it does one more Armijo search from `x_{k+2}`. A Newton iteration thus keeps
/// the unit steps of pure Newton that overshoot once (on Rosenbrock's function from
/// (−1.2, 1) every unit step is kept), while every third iterate at the latest satisfies a
/// sufficient decrease relative to the last checkpoint.
///
/// The method calls [`Watchdog::pending_return`] first: when it is true the iteration is
/// [`Watchdog::return_step`] (no new direction is needed), else the method computes its
/// direction at the current iterate and calls [`Watchdog::step`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Watchdog {
    state: WatchdogState,
}

impl Watchdog {
    /// A watchdog in its initial state.
    ///
    /// ```
    /// assert!(!curvlab::methods::line_search::Watchdog::new().pending_return());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Back to the initial state (at the start of a run).
    pub fn reset(&mut self) {
        self.state = WatchdogState::Watch;
    }

    /// Whether the next iteration returns to the checkpoint.
    pub fn pending_return(&self) -> bool {
        matches!(self.state, WatchdogState::Return(_))
    }

    /// One iteration along the direction `d` (a descent direction at `it`); moves `it` (`x`,
    /// `f`, `g`) and returns the step `α` along `d`. `armijo` is the backtracking search used
    /// (its `c₁` is also the watchdog's sufficient-decrease constant).
    ///
    /// ```
    /// use curvlab::methods::line_search::{Armijo, Watchdog};
    /// use curvlab::methods::Iterate;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::Objective;
    /// let f = Rosenbrock::new(2).unwrap();
    /// // At (−1.1753, 1.3807) the pure Newton step lands near (0.763, −3.175), f ≈ 1.4e3:
    /// // the watchdog keeps it as a relaxed step.
    /// let mut it = Iterate::new(&f, vec![-1.1753, 1.3807]).unwrap();
    /// let h = f.hessian(&it.x).unwrap();
    /// let det = h[(0, 0)] * h[(1, 1)] - h[(0, 1)] * h[(1, 0)];
    /// let d = [
    ///     -(h[(1, 1)] * it.g[0] - h[(0, 1)] * it.g[1]) / det,
    ///     -(h[(0, 0)] * it.g[1] - h[(1, 0)] * it.g[0]) / det,
    /// ];
    /// let f0 = it.f;
    /// let mut w = Watchdog::new();
    /// let alpha = w.step(&Armijo::default(), &f, &mut it, &d).unwrap();
    /// assert_eq!(alpha, 1.0);
    /// assert!(it.f > 100.0 * f0 && !w.pending_return());
    /// ```
    pub fn step<O: Objective + ?Sized>(
        &mut self,
        armijo: &Armijo,
        obj: &O,
        it: &mut Iterate,
        d: &[f64],
    ) -> Result<f64> {
        let n = it.x.len();
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let slope = dot(&it.g, d);
        if !(slope < 0.0) {
            return Err(Error::Numerical(format!(
                "watchdog: not a descent direction (gᵀd = {slope:e})"
            )));
        }
        let alpha = match std::mem::take(&mut self.state) {
            WatchdogState::Watch => {
                add_scaled(&it.x, 1.0, d, &mut x_new);
                let f_full = finite_or_inf(obj.value(&x_new))?;
                if f_full <= it.f + armijo.c1 * slope {
                    1.0
                } else if f_full.is_finite() {
                    // Relaxed step: keep x_k as the checkpoint.
                    self.state = WatchdogState::Relaxed(Checkpoint {
                        x: it.x.clone(),
                        f: it.f,
                        g: it.g.clone(),
                        d: d.to_vec(),
                        slope,
                    });
                    1.0
                } else {
                    // An overflow is never kept: backtrack from α = ρ.
                    let r = armijo.search(obj, &it.x, it.f, &it.g, d, armijo.shrink, &mut x_new)?;
                    r.alpha
                }
            }
            WatchdogState::Relaxed(cp) => {
                let f_relaxed = it.f;
                match armijo.search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new) {
                    Ok(r) => {
                        let f2 = r.f;
                        if !(f_relaxed <= cp.f || f2 <= cp.f + armijo.c1 * cp.slope) {
                            self.state = if f2 > cp.f {
                                WatchdogState::Return(cp)
                            } else {
                                WatchdogState::Monotone
                            };
                        }
                        r.alpha
                    }
                    Err(Error::Numerical(_)) => {
                        self.state = WatchdogState::Return(cp);
                        return self.return_step(armijo, obj, it);
                    }
                    Err(e) => return Err(e),
                }
            }
            WatchdogState::Return(cp) => {
                self.state = WatchdogState::Return(cp);
                return self.return_step(armijo, obj, it);
            }
            WatchdogState::Monotone => {
                armijo
                    .search(obj, &it.x, it.f, &it.g, d, 1.0, &mut x_new)?
                    .alpha
            }
        };
        it.f = obj.gradient(&x_new, &mut g_new)?;
        it.x = x_new;
        it.g = g_new;
        Ok(alpha)
    }

    /// The return to the checkpoint `x_k`: Armijo backtracking along `p_k` from `α = ρ`; moves
    /// `it` there and returns `α`. An error if no return is pending.
    ///
    /// ```
    /// use curvlab::methods::line_search::{Armijo, Watchdog};
    /// use curvlab::methods::Iterate;
    /// use curvlab::problems::Rosenbrock;
    /// let f = Rosenbrock::new(2).unwrap();
    /// let mut it = Iterate::new(&f, vec![-1.2, 1.0]).unwrap();
    /// assert!(Watchdog::new().return_step(&Armijo::default(), &f, &mut it).is_err());
    /// ```
    pub fn return_step<O: Objective + ?Sized>(
        &mut self,
        armijo: &Armijo,
        obj: &O,
        it: &mut Iterate,
    ) -> Result<f64> {
        let cp = match std::mem::take(&mut self.state) {
            WatchdogState::Return(cp) => cp,
            other => {
                self.state = other;
                return Err(Error::Numerical("watchdog: no return pending".into()));
            }
        };
        let n = cp.x.len();
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let r = armijo.search(obj, &cp.x, cp.f, &cp.g, &cp.d, armijo.shrink, &mut x_new)?;
        it.f = obj.gradient(&x_new, &mut g_new)?;
        it.x = x_new;
        it.g = g_new;
        Ok(r.alpha)
    }
}

/// Strong-Wolfe parameters: `f(x+αd) ≤ f + c₁α∇fᵀd` and `|∇f(x+αd)ᵀd| ≤ c₂|∇fᵀd|`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StrongWolfe {
    /// Sufficient decrease `c₁` (default 1e-4).
    pub c1: f64,
    /// Curvature condition `c₂ ∈ (c₁, 1)` (default 0.9, the quasi-Newton choice; 0.1 for CG).
    pub c2: f64,
    /// Maximum gradient evaluations (default 40).
    pub max_evals: usize,
    /// Largest step tried (default 1e10).
    pub alpha_max: f64,
}

impl Default for StrongWolfe {
    fn default() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 40,
            alpha_max: 1e10,
        }
    }
}

struct Trial {
    alpha: f64,
    f: f64,
    slope: f64,
}

impl StrongWolfe {
    /// Checks `0 < c₁ < c₂ < 1` and the budget.
    ///
    /// ```
    /// use curvlab::methods::line_search::StrongWolfe;
    /// assert!(StrongWolfe::default().validate().is_ok());
    /// assert!(StrongWolfe { c2: 1e-5, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.c1 > 0.0 && self.c1 < self.c2 && self.c2 < 1.0) {
            return Err(Error::invalid(
                "c1, c2",
                format!("{}, {}", self.c1, self.c2),
                "need 0 < c1 < c2 < 1",
            ));
        }
        if self.max_evals == 0 {
            return Err(Error::invalid("max_evals", 0, "must be >= 1"));
        }
        Ok(())
    }

    /// Searches along `d` from `x` (value `f0`, gradient `g0`) starting with `alpha0`; writes
    /// the accepted point into `x_out` and its gradient into `g_out`.
    ///
    /// ```
    /// use curvlab::methods::line_search::StrongWolfe;
    /// use curvlab::problems::Rosenbrock;
    /// use curvlab::Objective;
    /// let f = Rosenbrock::new(2).unwrap();
    /// let x = [-1.2, 1.0];
    /// let mut g = [0.0; 2];
    /// let f0 = f.gradient(&x, &mut g).unwrap();
    /// let d = [-g[0], -g[1]];
    /// let (mut xo, mut go) = ([0.0; 2], [0.0; 2]);
    /// let ls = StrongWolfe::default();
    /// let r = ls.search(&f, &x, f0, &g, &d, 1e-3, &mut xo, &mut go).unwrap();
    /// let s0 = g[0] * d[0] + g[1] * d[1];
    /// assert!(r.f <= f0 + 1e-4 * r.alpha * s0);
    /// assert!((go[0] * d[0] + go[1] * d[1]).abs() <= 0.9 * s0.abs());
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
        g_out: &mut [f64],
    ) -> Result<LineSearchResult> {
        let s0 = dot(g0, d);
        if !(s0 < 0.0) {
            return Err(Error::Numerical(format!(
                "line search: not a descent direction (gᵀd = {s0:e})"
            )));
        }
        let evals = std::cell::Cell::new(0usize);
        let eval = |alpha: f64, x_out: &mut [f64], g_out: &mut [f64]| -> Result<Trial> {
            evals.set(evals.get() + 1);
            add_scaled(x, alpha, d, x_out);
            let f = finite_or_inf(obj.gradient(x_out, g_out))?;
            let slope = if f.is_finite() {
                dot(g_out, d)
            } else {
                f64::NAN
            };
            Ok(Trial { alpha, f, slope })
        };
        let armijo = |t: &Trial| t.f <= f0 + self.c1 * t.alpha * s0;
        let curvature = |t: &Trial| t.slope.abs() <= -self.c2 * s0;

        let mut prev = Trial {
            alpha: 0.0,
            f: f0,
            slope: s0,
        };
        let mut alpha = alpha0.min(self.alpha_max);
        let mut first = true;
        let (mut lo, mut hi);
        loop {
            let t = eval(alpha, x_out, g_out)?;
            if !armijo(&t) || (!first && t.f >= prev.f) {
                lo = prev;
                hi = t;
                break;
            }
            if curvature(&t) {
                return Ok(LineSearchResult {
                    alpha: t.alpha,
                    f: t.f,
                    evaluations: evals.get(),
                });
            }
            if t.slope >= 0.0 {
                lo = t;
                hi = prev;
                break;
            }
            if evals.get() >= self.max_evals || alpha >= self.alpha_max {
                return Err(Error::Numerical(
                    "strong-Wolfe search: bracketing failed".into(),
                ));
            }
            first = false;
            prev = t;
            alpha = (2.0 * alpha).min(self.alpha_max);
        }
        // Zoom (Algorithm 3.6) between lo (satisfies Armijo, lowest f) and hi.
        while evals.get() < self.max_evals {
            let a = interpolate(&lo, &hi);
            let t = eval(a, x_out, g_out)?;
            if !armijo(&t) || t.f >= lo.f {
                hi = t;
            } else {
                if curvature(&t) {
                    return Ok(LineSearchResult {
                        alpha: t.alpha,
                        f: t.f,
                        evaluations: evals.get(),
                    });
                }
                if t.slope * (hi.alpha - lo.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = t;
            }
            if (hi.alpha - lo.alpha).abs() <= 1e-16 * lo.alpha.abs().max(1e-300) {
                break;
            }
        }
        // Budget exhausted: fall back to the best Armijo point if it decreases f.
        if lo.alpha > 0.0 && lo.f < f0 {
            add_scaled(x, lo.alpha, d, x_out);
            let f = obj.gradient(x_out, g_out)?;
            return Ok(LineSearchResult {
                alpha: lo.alpha,
                f,
                evaluations: evals.get() + 1,
            });
        }
        Err(Error::Numerical(format!(
            "strong-Wolfe search found no acceptable step in {} evaluations",
            self.max_evals
        )))
    }
}

/// The minimizer of the cubic through `(lo, hi)` with their slopes (N&W eq. 3.59), kept inside
/// the middle 80 % of the interval; bisection when the cubic has no usable minimizer.
fn interpolate(lo: &Trial, hi: &Trial) -> f64 {
    let (a, b) = (lo.alpha, hi.alpha);
    let (left, right) = (a.min(b), a.max(b));
    let width = right - left;
    let mid = 0.5 * (a + b);
    if !(hi.f.is_finite() && hi.slope.is_finite()) {
        return mid;
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.f - hi.f) / (a - b);
    let disc = d1 * d1 - lo.slope * hi.slope;
    if disc < 0.0 {
        return mid;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let denom = hi.slope - lo.slope + 2.0 * d2;
    if denom == 0.0 {
        return mid;
    }
    let c = b - (b - a) * (hi.slope + d2 - d1) / denom;
    if c.is_finite() && c > left + 0.1 * width && c < right - 0.1 * width {
        c
    } else {
        mid
    }
}

/// A non-finite value (or an objective that reports one) becomes `+∞`; other errors propagate.
fn finite_or_inf(r: Result<f64>) -> Result<f64> {
    match r {
        Ok(f) if f.is_finite() => Ok(f),
        Ok(_) | Err(Error::NonFinite { .. }) => Ok(f64::INFINITY),
        Err(e) => Err(e),
    }
}
