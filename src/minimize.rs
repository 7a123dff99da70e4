//! The driver: runs any [`Method`] on any [`Objective`] with the same stopping rules, evaluation
//! counting and per-iteration trace, so that methods are compared on equal terms.
//!
//! Stopping rules (Nocedal & Wright 2006, §2.2 and §3.1 style): `‖∇f‖₂ ≤ grad_tol`, relative
//! change `|f_{k} − f_{k+1}| ≤ f_rel_tol · max(1, |f_k|)` over an *accepted* step (a rejected
//! trust-region, Levenberg–Marquardt or Hessian-free trial step leaves `f` unchanged and says
//! nothing about stagnation: [`StepInfo::accepted`](crate::methods::StepInfo), and an iteration
//! that left `x` unchanged counts as rejected too), iteration, evaluation (in gradient-equivalents
//! of work, [`Counts::gradient_equivalents`]) and wall-time budgets. A NaN or Inf from the
//! objective ends the run with [`Termination::NonFinite`] at the last finite iterate, naming the
//! quantity, entry and iteration; a method failure (line search, breakdown) ends it with
//! [`Termination::Failed`]; neither panics.
//!
//! Second-order methods ([`Needs::Hvp`] or [`Needs::Hessian`]) get two more checks, because a
//! small gradient is not a minimum (Nocedal & Wright 2006, Theorem 2.3; Conn, Gould & Toint 2000,
//! §6.6 on second-order criticality):
//!
//! - **saddle**: when the run ends on the gradient tolerance, the smallest Hessian eigenvalue is
//!   estimated by Lanczos (at most [`CURVATURE_CHECK_PRODUCTS`] HVPs, counted in the report; the
//!   dense Hessian when the objective has no HVPs). A Ritz value is never below `λ_min`, so a Ritz
//!   value `θ_min < −`[`SADDLE_REL_TOL`]` · ‖H‖` proves negative curvature: the run ends with
//!   [`Termination::Saddle`] instead;
//! - **runaway**: the iterates leave for infinity while `f` stalls (a valley that descends to
//!   infinity, e.g. Newton on MGH 18 from the standard start). The rule is in [`RunawayRule`]:
//!   `‖x‖ > 1e8 · max(1, ‖x₀‖)`, or over the last [`RunawayRule::WINDOW`] accepted steps `‖x‖`
//!   grew radially, far from the start, with `f` stalled and steps not shrinking.
//!
//! Per iteration the driver allocates nothing but the trace row (the iterate backup and the
//! runaway window are allocated once).

use crate::curvature::{Lanczos, Which};
use crate::error::{Error, Result, check_len};
use crate::linalg::HessianOperator;
use crate::linalg::vector::norm;
use crate::methods::{Iterate, Method, Needs, StepInfo};
use crate::objective::{Counted, Counts, Objective};
use std::time::Instant;

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stop {
    /// Stop when `‖∇f(x_k)‖₂ ≤ grad_tol` (default 1e-6).
    pub grad_tol: f64,
    /// Also stop when `‖∇f(x_k)‖₂ ≤ grad_rtol · ‖∇f(x₀)‖₂` (a study's `[stop] grad_rtol`), in
    /// `(0, 1)`; `None` (default) for no relative test. The run stops at the first of the two
    /// tests: set `grad_tol = 0` for the relative test alone ([`Stop::relative`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_rtol: Option<f64>,
    /// Stop when `|f_k − f_{k+1}| ≤ f_rel_tol · max(1, |f_k|)` (default 0: off).
    pub f_rel_tol: f64,
    /// Iteration budget (default 1000).
    pub max_iters: usize,
    /// Budget in gradient-equivalent evaluations ([`Counts::gradient_equivalents`]); `None`
    /// for none.
    pub max_evals: Option<f64>,
    /// Wall-time budget in seconds; `None` for none.
    pub max_seconds: Option<f64>,
    /// Target value: stop, converged ([`Termination::TargetValue`]), as soon as `f(x_k) ≤
    /// f_target` ("trained to the same loss", Keskar et al. 2017, §2.1); `None` (default) for
    /// none. For minibatch methods the test reads the full-batch `f` the method reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_target: Option<f64>,
}

impl Default for Stop {
    fn default() -> Self {
        Stop {
            grad_tol: 1e-6,
            grad_rtol: None,
            f_rel_tol: 0.0,
            max_iters: 1000,
            max_evals: None,
            max_seconds: None,
            f_target: None,
        }
    }
}

impl Stop {
    /// Default rules with a gradient tolerance and an iteration budget.
    ///
    /// ```
    /// let s = curvlab::Stop::new(1e-8, 200);
    /// assert_eq!((s.grad_tol, s.max_iters), (1e-8, 200));
    /// ```
    pub fn new(grad_tol: f64, max_iters: usize) -> Self {
        Stop {
            grad_tol,
            max_iters,
            ..Stop::default()
        }
    }

    /// The relative gradient test alone: `‖∇f(x_k)‖ ≤ grad_rtol · ‖∇f(x₀)‖` (`grad_tol = 0`),
    /// with an iteration budget.
    ///
    /// ```
    /// use curvlab::{minimize, Stop};
    /// use curvlab::methods::Newton;
    /// use curvlab::problems::Rosenbrock;
    /// let s = Stop::relative(1e-6, 100);
    /// assert_eq!((s.grad_tol, s.grad_rtol), (0.0, Some(1e-6)));
    /// let r = minimize(&Rosenbrock::new(2).unwrap(), &mut Newton::default(), &[-1.2, 1.0], &s).unwrap();
    /// // ‖∇f(x₀)‖ = ‖(−215.6, −88)‖ = 232.87
    /// assert!(r.converged() && r.grad_norm <= 1e-6 * 232.87);
    /// ```
    pub fn relative(grad_rtol: f64, max_iters: usize) -> Self {
        Stop {
            grad_tol: 0.0,
            grad_rtol: Some(grad_rtol),
            max_iters,
            ..Stop::default()
        }
    }

    /// The absolute gradient tolerance of a run from a point with `‖∇f(x₀)‖ = g0_norm`:
    /// `max(grad_tol, grad_rtol · g0_norm)`.
    ///
    /// ```
    /// let s = curvlab::Stop { grad_rtol: Some(1e-3), ..curvlab::Stop::new(1e-6, 10) };
    /// assert_eq!(s.effective_grad_tol(10.0), 1e-2);
    /// assert_eq!(s.effective_grad_tol(1e-4), 1e-6);
    /// ```
    pub fn effective_grad_tol(&self, g0_norm: f64) -> f64 {
        match self.grad_rtol {
            Some(r) => self.grad_tol.max(r * g0_norm),
            None => self.grad_tol,
        }
    }

    /// Checks that the tolerances are nonnegative (`grad_rtol` in `(0, 1)`) and the budgets
    /// positive.
    ///
    /// ```
    /// assert!(curvlab::Stop::new(-1.0, 10).validate().is_err());
    /// assert!(curvlab::Stop::relative(1.5, 10).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.grad_tol >= 0.0) {
            return Err(Error::invalid("grad_tol", self.grad_tol, "must be >= 0"));
        }
        if let Some(r) = self.grad_rtol
            && !(r > 0.0 && r < 1.0)
        {
            return Err(Error::invalid(
                "grad_rtol",
                r,
                "must be in (0, 1) (relative to ‖∇f(x₀)‖)",
            ));
        }
        if !(self.f_rel_tol >= 0.0) {
            return Err(Error::invalid("f_rel_tol", self.f_rel_tol, "must be >= 0"));
        }
        if let Some(e) = self.max_evals
            && !(e > 0.0)
        {
            return Err(Error::invalid("max_evals", e, "must be > 0"));
        }
        if let Some(s) = self.max_seconds
            && !(s > 0.0)
        {
            return Err(Error::invalid("max_seconds", s, "must be > 0"));
        }
        if let Some(t) = self.f_target
            && !t.is_finite()
        {
            return Err(Error::invalid("f_target", t, "must be finite"));
        }
        Ok(())
    }
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Termination {
    /// `‖∇f‖ ≤ grad_tol`: converged.
    GradientTolerance,
    /// Relative change of `f` below `f_rel_tol`.
    FunctionTolerance,
    /// `f ≤ f_target` reached ([`Stop::f_target`]): converged to the target value.
    TargetValue,
    /// Iteration budget spent.
    MaxIterations,
    /// Evaluation budget spent.
    MaxEvaluations,
    /// Time budget spent.
    MaxSeconds,
    /// The objective returned NaN or Inf; the report holds the last finite iterate.
    NonFinite(String),
    /// The method could not continue (line search failure, breakdown, ...).
    Failed(String),
    /// The gradient tolerance was met at a point with clearly negative curvature: a saddle, not
    /// a minimum (see the module docs for the rule).
    Saddle {
        /// The smallest Ritz value of the Hessian found (an upper bound on `λ_min`).
        lambda_min: f64,
        /// The estimate of `‖H‖₂` it was compared with.
        hessian_norm: f64,
    },
    /// The iterates ran away to infinity while `f` stalled ([`RunawayRule`]).
    Runaway {
        /// `‖x‖` at the end.
        x_norm: f64,
        /// Which part of the rule fired.
        rule: String,
    },
}

impl Termination {
    /// True for [`Termination::GradientTolerance`] and [`Termination::TargetValue`] (a saddle
    /// is not converged).
    ///
    /// ```
    /// use curvlab::Termination;
    /// assert!(Termination::GradientTolerance.converged());
    /// assert!(Termination::TargetValue.converged());
    /// assert!(!Termination::Saddle { lambda_min: -1.0, hessian_norm: 2.0 }.converged());
    /// ```
    pub fn converged(&self) -> bool {
        matches!(
            self,
            Termination::GradientTolerance | Termination::TargetValue
        )
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Termination::GradientTolerance => write!(f, "grad_tol"),
            Termination::FunctionTolerance => write!(f, "f_rel_tol"),
            Termination::TargetValue => write!(f, "f_target"),
            Termination::MaxIterations => write!(f, "max_iters"),
            Termination::MaxEvaluations => write!(f, "max_evals"),
            Termination::MaxSeconds => write!(f, "max_seconds"),
            Termination::NonFinite(s) => write!(f, "non_finite: {s}"),
            Termination::Failed(s) => write!(f, "failed: {s}"),
            Termination::Saddle {
                lambda_min,
                hessian_norm,
            } => write!(
                f,
                "saddle: λ_min ≤ {lambda_min:.6e} < 0 (‖H‖ ≈ {hessian_norm:.3e})"
            ),
            Termination::Runaway { x_norm, rule } => {
                write!(f, "runaway: ‖x‖ = {x_norm:.3e} ({rule})")
            }
        }
    }
}

/// One row of the per-iteration trace (row 0 is the start).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TraceRow {
    /// Iteration `k`.
    pub k: usize,
    /// `f(x_k)`.
    pub f: f64,
    /// `‖∇f(x_k)‖₂`.
    pub grad_norm: f64,
    /// `‖x_k − x_{k−1}‖₂` (0 for the start).
    pub step_length: f64,
    /// Cumulative evaluation counts.
    pub counts: Counts,
    /// Seconds since the start of the run.
    pub seconds: f64,
    /// Method-specific values (damping, CG iterations, radius, ...).
    pub extras: Vec<(String, f64)>,
}

/// The outcome of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The method's name.
    pub method: String,
    /// The final point.
    pub x: Vec<f64>,
    /// `f` at the final point.
    pub f: f64,
    /// `‖∇f‖₂` at the final point.
    pub grad_norm: f64,
    /// Iterations performed.
    pub iterations: usize,
    /// Evaluations by kind.
    pub counts: Counts,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Why the run ended.
    pub termination: Termination,
    /// How the run's derivatives were computed where they are not exact (for example
    /// "finite-difference HVP: ...", from [`Objective::hvp_note`]); empty when exact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The second-order check at the end of a second-order method's run on the gradient
    /// tolerance (`None` otherwise).
    pub curvature_check: Option<CurvatureCheck>,
    /// One row per iteration, plus the start.
    pub trace: Vec<TraceRow>,
}

/// The smallest-eigenvalue check of the driver (module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurvatureCheck {
    /// The smallest Ritz value (an upper bound on `λ_min`; exact when dense).
    pub lambda_min: f64,
    /// The estimate of `‖H‖₂`.
    pub hessian_norm: f64,
    /// Hessian-vector products spent (also in the report's counts).
    pub hvp: u64,
    /// Whether the Lanczos pairs met their tolerance (true when dense).
    pub converged: bool,
    /// `dense` or `lanczos`.
    pub algo: &'static str,
}

/// Relative threshold of the saddle test: `θ_min < −SADDLE_REL_TOL · ‖H‖`. At the MGH 18 saddle
/// that trust-ncg reaches, `λ_min/‖H‖ = −0.0098/11.25 = −8.7e−4`.
pub const SADDLE_REL_TOL: f64 = 1e-6;
/// Budget of HVPs of the saddle check (enough for the exact spectrum when `n ≤ 30`).
pub const CURVATURE_CHECK_PRODUCTS: usize = 40;
/// Relative tolerance of the check's Lanczos Ritz values (only the sign and size matter).
pub const CURVATURE_CHECK_TOL: f64 = 1e-4;

impl Report {
    /// True when the gradient tolerance (or the target value `f_target`) was reached.
    pub fn converged(&self) -> bool {
        self.termination.converged()
    }
}

/// The runaway test of second-order runs (module docs), fed one accepted iterate at a time.
///
/// It fires on `‖x‖ > HARD · max(1, ‖x₀‖)` (every method), or, for second-order methods, when
/// over the last [`RunawayRule::WINDOW`] accepted steps all of these hold:
///
/// - far: `‖x_k‖ ≥ FAR · max(1, ‖x₀‖)`;
/// - radial: `‖x_k‖ − ‖x_{k−W}‖ ≥ RADIAL · Σ` step lengths (the path points outward);
/// - stalled: `f_{k−W} − f_k ≤ STALL · max(1, |f_k|)`;
/// - not converging: the path of the newer half of the window is at least `NOT_SHRINKING` times
///   that of the older half (a convergent sequence's steps shrink geometrically).
///
/// Measured on MGH 18 with default Newton: at `k = 400` `‖x‖ = 10.9` (start 3.0), radial ratio
/// 0.996, `f` change over 100 steps `7.5e−6`, half-path ratio 0.886.
///
/// ```
/// use curvlab::minimize::RunawayRule;
/// let mut r = RunawayRule::new(1.0, 0.0, true);
/// // Unit steps straight out, f frozen: fires once the window is full and ‖x‖ ≥ 2.
/// let fired = (1..=200).find(|&k| r.push(1.0 + k as f64, 0.5, 1.0).is_some());
/// assert_eq!(fired, Some(RunawayRule::WINDOW));
/// let mut hard = RunawayRule::new(1.0, 0.0, false);
/// assert!(hard.push(2e8, 0.0, 2e8).is_some());
/// ```
#[derive(Debug, Clone)]
pub struct RunawayRule {
    x0_scale: f64,
    windowed: bool,
    norms: Vec<f64>,
    values: Vec<f64>,
    steps: Vec<f64>,
    count: usize,
}

impl RunawayRule {
    /// Accepted steps in the window.
    pub const WINDOW: usize = 100;
    /// `‖x‖` beyond this times `max(1, ‖x₀‖)` is a runaway at once.
    pub const HARD: f64 = 1e8;
    /// How far out (times `max(1, ‖x₀‖)`) the windowed rule starts looking.
    pub const FAR: f64 = 2.0;
    /// Share of the window's path that must be radial growth of `‖x‖`.
    pub const RADIAL: f64 = 0.9;
    /// Relative decrease of `f` over the window below which `f` has stalled.
    pub const STALL: f64 = 1e-5;
    /// Newer-half over older-half path ratio above which the steps are not shrinking.
    pub const NOT_SHRINKING: f64 = 0.5;

    /// A rule for a run from `‖x₀‖ = x0_norm` with `f(x₀) = f0`; `windowed` turns on the window
    /// rules (second-order methods).
    pub fn new(x0_norm: f64, f0: f64, windowed: bool) -> Self {
        let cap = if windowed { Self::WINDOW + 1 } else { 1 };
        let mut r = RunawayRule {
            x0_scale: x0_norm.max(1.0),
            windowed,
            norms: vec![0.0; cap],
            values: vec![0.0; cap],
            steps: vec![0.0; cap],
            count: 0,
        };
        r.store(x0_norm, f0, 0.0);
        r
    }

    fn store(&mut self, x_norm: f64, f: f64, step: f64) {
        let cap = self.norms.len();
        let slot = self.count % cap;
        self.norms[slot] = x_norm;
        self.values[slot] = f;
        self.steps[slot] = step;
        self.count += 1;
    }

    /// Slot of the entry `i` places before the newest.
    fn back(&self, i: usize) -> usize {
        (self.count - 1 - i) % self.norms.len()
    }

    /// Records an accepted iterate (`‖x‖`, `f`, step length); returns the rule that fired.
    pub fn push(&mut self, x_norm: f64, f: f64, step: f64) -> Option<String> {
        self.store(x_norm, f, step);
        if x_norm > Self::HARD * self.x0_scale {
            return Some(format!(
                "‖x‖ > {:.0e} · max(1, ‖x₀‖) = {:.3e}",
                Self::HARD,
                Self::HARD * self.x0_scale
            ));
        }
        let w = Self::WINDOW;
        if !self.windowed || self.count <= w || x_norm < Self::FAR * self.x0_scale {
            return None;
        }
        let old = self.back(w);
        let half = w / 2;
        let newer: f64 = (0..half).map(|i| self.steps[self.back(i)]).sum();
        let older: f64 = (half..w).map(|i| self.steps[self.back(i)]).sum();
        let radial = x_norm - self.norms[old] >= Self::RADIAL * (newer + older);
        let stalled = self.values[old] - f <= Self::STALL * f.abs().max(1.0);
        let not_shrinking = newer >= Self::NOT_SHRINKING * older && newer > 0.0;
        (radial && stalled && not_shrinking).then(|| {
            format!(
                "over {w} accepted steps ‖x‖ grew {:.3e} → {x_norm:.3e} outward while f fell \
                 only {:.1e}",
                self.norms[old],
                self.values[old] - f
            )
        })
    }
}

/// Minimizes `objective` with `method` from `x0`.
///
/// ```
/// use curvlab::{minimize, Stop};
/// use curvlab::methods::{Iterate, Method, StepInfo};
/// use curvlab::problems::Ravine;
/// struct Gd;
/// impl Method for Gd {
///     fn name(&self) -> &str { "gd" }
///     fn step(&mut self, obj: &dyn curvlab::Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
///         for (x, g) in it.x.iter_mut().zip(&it.g) { *x -= 0.0198 * g; }
///         it.f = obj.gradient(&it.x, &mut it.g)?;
///         Ok(StepInfo::new(0.0))
///     }
/// }
/// let r = minimize(&Ravine::seed(), &mut Gd, &[1.0, 8.0], &Stop::new(1e-6, 5000)).unwrap();
/// assert!(r.converged() && r.grad_norm <= 1e-6);
/// assert!(r.curvature_check.is_none()); // a gradient method: no second-order check
/// assert!(minimize(&Ravine::seed(), &mut Gd, &[1.0], &Stop::default()).is_err());
/// ```
pub fn minimize<O, M>(objective: &O, method: &mut M, x0: &[f64], stop: &Stop) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method + ?Sized,
{
    minimize_monitored(objective, method, x0, stop, &mut NoMonitor)
}

/// Something that watches a run (e.g. the sharpness tracker of
/// [`crate::curvature::sharpness`](mod@crate::curvature::sharpness)): on the iterations it says are [`Monitor::due`], the driver
/// hands it the *uncounted* objective (its evaluations are not charged to the run's counts or
/// budgets), the iterate and the method's diagonal preconditioner, and it appends values to
/// that iteration's trace row.
pub trait Monitor {
    /// Whether iteration `k` (0: the start) is observed.
    fn due(&self, k: usize) -> bool;
    /// Observes iterate `it`; `precond` is [`Method::diagonal_preconditioner`] at this step.
    /// Appends `(name, value)` pairs to the trace row's extras.
    fn observe(
        &mut self,
        objective: &dyn Objective,
        it: &Iterate,
        precond: Option<&[f64]>,
        extras: &mut Vec<(String, f64)>,
    ) -> Result<()>;
}

/// The monitor that observes nothing ([`minimize`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMonitor;

impl Monitor for NoMonitor {
    fn due(&self, _k: usize) -> bool {
        false
    }
    fn observe(
        &mut self,
        _: &dyn Objective,
        _: &Iterate,
        _: Option<&[f64]>,
        _: &mut Vec<(String, f64)>,
    ) -> Result<()> {
        Ok(())
    }
}

/// Sharpness tracking as a monitor: trace columns `sharpness`, `precond_sharpness` (when the
/// method has a diagonal preconditioner and the configuration asks for it), `hessian_trace`
/// (Hutch++, when asked for) and `sharpness_hvp` (products spent so far).
impl Monitor for crate::curvature::sharpness::SharpnessTracker {
    fn due(&self, k: usize) -> bool {
        crate::curvature::sharpness::SharpnessTracker::due(self, k)
    }
    fn observe(
        &mut self,
        objective: &dyn Objective,
        it: &Iterate,
        precond: Option<&[f64]>,
        extras: &mut Vec<(String, f64)>,
    ) -> Result<()> {
        let m = self.measure(objective, &it.x, precond)?;
        extras.push(("sharpness".into(), m.sharpness));
        if let Some(p) = m.precond_sharpness {
            extras.push(("precond_sharpness".into(), p));
        }
        if let Some(t) = m.trace {
            extras.push(("hessian_trace".into(), t));
        }
        extras.push(("sharpness_hvp".into(), self.hvps() as f64));
        Ok(())
    }
}

/// [`minimize`] with a [`Monitor`] called on the start and after the iterations it asks for.
///
/// ```
/// use curvlab::minimize::{minimize_monitored, Stop};
/// use curvlab::curvature::sharpness::{SharpnessTracker, TrackConfig};
/// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
/// use curvlab::problems::Ravine;
/// let mut gd = FirstOrder::gd(ScaleByLearningRate::new(0.01).unwrap());
/// let mut t = SharpnessTracker::new(TrackConfig::every(10).unwrap());
/// let r = minimize_monitored(&Ravine::seed(), &mut gd, &[1.0, 8.0], &Stop::new(1e-6, 25), &mut t)
///     .unwrap();
/// // The seed's ravine is f = (100x² + y²)/2: λ_max = 100 at every point.
/// let s = |k: usize| r.trace[k].extras.iter().find(|e| e.0 == "sharpness").map(|e| e.1);
/// assert!((s(10).unwrap() - 100.0).abs() < 1e-9 && s(11).is_none());
/// assert_eq!(r.counts.hvp, 0); // not charged to the run
/// assert!(t.hvps() > 0);
/// ```
pub fn minimize_monitored<O, M>(
    objective: &O,
    method: &mut M,
    x0: &[f64],
    stop: &Stop,
    monitor: &mut dyn Monitor,
) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method + ?Sized,
{
    stop.validate()?;
    check_len("x0", objective.dim(), x0.len())?;
    if let Some(i) = x0.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "x0",
            format!("x0[{i}] = {}", x0[i]),
            "start must be finite",
        ));
    }
    let counted = Counted::new(objective);
    let start = Instant::now();
    let mut it = Iterate::new(&counted, x0.to_vec())?;
    let stop = &Stop {
        grad_tol: stop.effective_grad_tol(it.grad_norm()),
        ..*stop
    };
    method.init(&counted, &it)?;
    method.set_deadline(
        stop.max_seconds
            .and_then(|s| start.checked_add(std::time::Duration::try_from_secs_f64(s).ok()?)),
    );
    let second_order = method.needs() != Needs::Gradient;
    let mut trace = vec![trace_row(&it, &StepInfo::new(0.0), &counted, start)];
    let mut watch = Watch {
        raw: &objective,
        monitor,
    };
    watch.row(method, &it, &mut trace)?;
    let termination = iterate(&counted, method, &mut it, stop, start, &mut trace, watch)?;
    let (termination, curvature_check) =
        if second_order && termination == Termination::GradientTolerance {
            saddle_test(&counted, &it.x)
        } else {
            (termination, None)
        };
    let grad_norm = it.grad_norm();
    Ok(Report {
        method: method.name().to_string(),
        x: it.x,
        f: it.f,
        grad_norm,
        iterations: it.k,
        counts: counted.counts(),
        seconds: start.elapsed().as_secs_f64(),
        termination,
        notes: objective.hvp_note().into_iter().collect(),
        curvature_check,
        trace,
    })
}

/// The main loop: budgets, one step, consistency, the trace row, the rules on accepted steps.
fn iterate<O, M>(
    counted: &Counted<&O>,
    method: &mut M,
    it: &mut Iterate,
    stop: &Stop,
    start: Instant,
    trace: &mut Vec<TraceRow>,
    mut watch: Watch<'_>,
) -> Result<Termination>
where
    O: Objective + ?Sized,
    M: Method + ?Sized,
{
    let second_order = method.needs() != Needs::Gradient;
    let mut runaway = RunawayRule::new(norm(&it.x), it.f, second_order);
    let mut backup = it.clone();
    loop {
        if let Some(t) = budget_spent(it, stop, counted, start) {
            return Ok(t);
        }
        backup.clone_from(it);
        let info = match method.step(counted, it) {
            Ok(info) => info,
            Err(e) => {
                it.clone_from(&backup);
                return step_error(e, it.k + 1);
            }
        };
        if let Some(what) = non_finite_entry(it) {
            it.clone_from(&backup);
            return Ok(Termination::NonFinite(format!(
                "{what} at iteration {}",
                it.k + 1
            )));
        }
        it.k += 1;
        trace.push(trace_row(it, &info, counted, start));
        watch.row(method, it, trace)?;
        if !(info.accepted && it.x != backup.x) {
            continue;
        }
        if stop.f_rel_tol > 0.0
            && (backup.f - it.f).abs() <= stop.f_rel_tol * backup.f.abs().max(1.0)
        {
            return Ok(Termination::FunctionTolerance);
        }
        let x_norm = norm(&it.x);
        if let Some(rule) = runaway.push(x_norm, it.f, info.step_length) {
            return Ok(Termination::Runaway { x_norm, rule });
        }
    }
}

/// The monitor of a run and the uncounted objective it observes.
struct Watch<'a> {
    raw: &'a dyn Objective,
    monitor: &'a mut dyn Monitor,
}

impl Watch<'_> {
    /// Lets the monitor fill the last trace row when that iteration is due.
    fn row<M: Method + ?Sized>(
        &mut self,
        method: &M,
        it: &Iterate,
        trace: &mut [TraceRow],
    ) -> Result<()> {
        if !self.monitor.due(it.k) {
            return Ok(());
        }
        let p = method.diagonal_preconditioner();
        if let Some(row) = trace.last_mut() {
            self.monitor
                .observe(self.raw, it, p.as_deref(), &mut row.extras)?;
        }
        Ok(())
    }
}

/// The tests made before each step: gradient tolerance and the budgets.
fn budget_spent<O: Objective + ?Sized>(
    it: &Iterate,
    stop: &Stop,
    counted: &Counted<&O>,
    start: Instant,
) -> Option<Termination> {
    if it.grad_norm() <= stop.grad_tol {
        return Some(Termination::GradientTolerance);
    }
    if stop.f_target.is_some_and(|t| it.f <= t) {
        return Some(Termination::TargetValue);
    }
    if it.k >= stop.max_iters {
        return Some(Termination::MaxIterations);
    }
    if let Some(e) = stop.max_evals
        && counted.counts().gradient_equivalents() >= e
    {
        return Some(Termination::MaxEvaluations);
    }
    if let Some(s) = stop.max_seconds
        && start.elapsed().as_secs_f64() >= s
    {
        return Some(Termination::MaxSeconds);
    }
    None
}

/// How a failed step ends the run: NaN/Inf and numerical failures are terminations (the iterate
/// was restored), anything else (bad input, usage) is the caller's error.
fn step_error(e: Error, iteration: usize) -> Result<Termination> {
    match e {
        Error::NonFinite { what, .. } => Ok(Termination::NonFinite(format!(
            "{what} at iteration {iteration}"
        ))),
        Error::Numerical(msg) | Error::NotPositiveDefinite(msg) => Ok(Termination::Failed(msg)),
        other => Err(other),
    }
}

/// The first non-finite quantity of an iterate, named with its index and value.
fn non_finite_entry(it: &Iterate) -> Option<String> {
    if !it.f.is_finite() {
        return Some(format!("f = {}", it.f));
    }
    if let Some(i) = it.g.iter().position(|v| !v.is_finite()) {
        return Some(format!("gradient[{i}] = {}", it.g[i]));
    }
    it.x.iter()
        .position(|v| !v.is_finite())
        .map(|i| format!("x[{i}] = {}", it.x[i]))
}

fn trace_row<O: Objective + ?Sized>(
    it: &Iterate,
    info: &StepInfo,
    counted: &Counted<&O>,
    start: Instant,
) -> TraceRow {
    TraceRow {
        k: it.k,
        f: it.f,
        grad_norm: it.grad_norm(),
        step_length: info.step_length,
        counts: counted.counts(),
        seconds: start.elapsed().as_secs_f64(),
        extras: info
            .extras
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    }
}

/// The end-of-run second-order check: `(termination, check)`, the termination turned into
/// [`Termination::Saddle`] when the curvature is clearly negative. A check that cannot be made
/// (no HVPs and no dense Hessian, or the products failed) leaves the termination as it was and
/// the check `None`.
fn saddle_test<O: Objective + ?Sized>(
    counted: &Counted<&O>,
    x: &[f64],
) -> (Termination, Option<CurvatureCheck>) {
    let check = match smallest_eigenvalue(counted, x) {
        Ok(c) => c,
        Err(_) => return (Termination::GradientTolerance, None),
    };
    let t = if check.lambda_min < -SADDLE_REL_TOL * check.hessian_norm {
        Termination::Saddle {
            lambda_min: check.lambda_min,
            hessian_norm: check.hessian_norm,
        }
    } else {
        Termination::GradientTolerance
    };
    (t, Some(check))
}

/// `θ_min` and `‖H‖` by Lanczos on HVPs (seed 0, [`CURVATURE_CHECK_PRODUCTS`] products at
/// most), or by the dense Hessian when the objective has no HVPs.
fn smallest_eigenvalue<O: Objective + ?Sized>(
    counted: &Counted<&O>,
    x: &[f64],
) -> Result<CurvatureCheck> {
    let before = counted.counts().hvp;
    let op = HessianOperator::new(counted, x.to_vec())?;
    let run = Lanczos::new(1, Which::Both)?
        .with_tol(CURVATURE_CHECK_TOL)?
        .with_seed(0)?
        .with_max_applications(CURVATURE_CHECK_PRODUCTS)?
        .with_multiplicity_check(false)?
        .run(&op);
    match run {
        Ok(r) => {
            let lambda_min = r.smallest.first().map_or(f64::NAN, |p| p.value);
            Ok(CurvatureCheck {
                lambda_min,
                hessian_norm: r.norm_estimate,
                hvp: counted.counts().hvp - before,
                converged: r.converged,
                algo: "lanczos",
            })
        }
        Err(Error::Unsupported(_)) => {
            let s = crate::curvature::spectrum(&counted.hessian(x)?)?;
            let lo = s.eigenvalues.first().copied().unwrap_or(0.0);
            let hi = s.eigenvalues.last().copied().unwrap_or(0.0);
            Ok(CurvatureCheck {
                lambda_min: lo,
                hessian_norm: lo.abs().max(hi.abs()),
                hvp: 0,
                converged: true,
                algo: "dense",
            })
        }
        Err(e) => Err(e),
    }
}
