//! The driver: runs any [`Method`] on any [`Objective`] with the same stopping rules, evaluation
//! counting and per-iteration trace, so that methods are compared on equal terms.
//!
//! Stopping rules (Nocedal & Wright 2006, §2.2 and §3.1 style): `‖∇f‖₂ ≤ grad_tol`, relative
//! change `|f_{k} − f_{k+1}| ≤ f_rel_tol · max(1, |f_k|)`, iteration, evaluation and wall-time
//! budgets. A NaN or Inf from the objective ends the run with [`Termination::NonFinite`] at the
//! last finite iterate; a method failure (line search, breakdown) ends it with
//! [`Termination::Failed`]; neither panics.

use crate::error::{Error, Result, check_len};
use crate::methods::{Iterate, Method};
use crate::objective::{Counted, Counts, Objective};
use std::time::Instant;

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stop {
    /// Stop when `‖∇f(x_k)‖₂ ≤ grad_tol` (default 1e-6).
    pub grad_tol: f64,
    /// Stop when `|f_k − f_{k+1}| ≤ f_rel_tol · max(1, |f_k|)` (default 0: off).
    pub f_rel_tol: f64,
    /// Iteration budget (default 1000).
    pub max_iters: usize,
    /// Budget in gradient-equivalent evaluations ([`Counts::gradient_equivalents`]); `None`
    /// for none.
    pub max_evals: Option<f64>,
    /// Wall-time budget in seconds; `None` for none.
    pub max_seconds: Option<f64>,
}

impl Default for Stop {
    fn default() -> Self {
        Stop {
            grad_tol: 1e-6,
            f_rel_tol: 0.0,
            max_iters: 1000,
            max_evals: None,
            max_seconds: None,
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

    /// Checks that the tolerances are nonnegative and the budgets positive.
    ///
    /// ```
    /// assert!(curvlab::Stop::new(-1.0, 10).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.grad_tol >= 0.0) {
            return Err(Error::invalid("grad_tol", self.grad_tol, "must be >= 0"));
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
}

impl Termination {
    /// True for [`Termination::GradientTolerance`].
    pub fn converged(&self) -> bool {
        matches!(self, Termination::GradientTolerance)
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Termination::GradientTolerance => write!(f, "grad_tol"),
            Termination::FunctionTolerance => write!(f, "f_rel_tol"),
            Termination::MaxIterations => write!(f, "max_iters"),
            Termination::MaxEvaluations => write!(f, "max_evals"),
            Termination::MaxSeconds => write!(f, "max_seconds"),
            Termination::NonFinite(s) => write!(f, "non_finite: {s}"),
            Termination::Failed(s) => write!(f, "failed: {s}"),
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
    /// One row per iteration, plus the start.
    pub trace: Vec<TraceRow>,
}

impl Report {
    /// True when the gradient tolerance was reached.
    pub fn converged(&self) -> bool {
        self.termination.converged()
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
/// assert!(minimize(&Ravine::seed(), &mut Gd, &[1.0], &Stop::default()).is_err());
/// ```
pub fn minimize<O, M>(objective: &O, method: &mut M, x0: &[f64], stop: &Stop) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method + ?Sized,
{
    stop.validate()?;
    check_len("x0", objective.dim(), x0.len())?;
    if x0.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "x0",
            "non-finite entry",
            "start must be finite",
        ));
    }
    let counted = Counted::new(objective);
    let start = Instant::now();
    let mut it = Iterate::new(&counted, x0.to_vec())?;
    method.init(&counted, &it)?;
    let mut trace = vec![TraceRow {
        k: 0,
        f: it.f,
        grad_norm: it.grad_norm(),
        step_length: 0.0,
        counts: counted.counts(),
        seconds: start.elapsed().as_secs_f64(),
        extras: Vec::new(),
    }];
    let mut backup = it.clone();
    let termination = loop {
        if it.grad_norm() <= stop.grad_tol {
            break Termination::GradientTolerance;
        }
        if it.k >= stop.max_iters {
            break Termination::MaxIterations;
        }
        if let Some(e) = stop.max_evals
            && counted.counts().gradient_equivalents() >= e
        {
            break Termination::MaxEvaluations;
        }
        if let Some(s) = stop.max_seconds
            && start.elapsed().as_secs_f64() >= s
        {
            break Termination::MaxSeconds;
        }
        backup.clone_from(&it);
        let info = match method.step(&counted, &mut it) {
            Ok(info) => info,
            Err(e) => {
                it.clone_from(&backup);
                match e {
                    Error::NonFinite { what, .. } => {
                        break Termination::NonFinite(format!("{what} at iteration {}", it.k + 1));
                    }
                    Error::Numerical(msg) | Error::NotPositiveDefinite(msg) => {
                        break Termination::Failed(msg);
                    }
                    other => return Err(other),
                }
            }
        };
        if !(it.f.is_finite()
            && it.g.iter().all(|v| v.is_finite())
            && it.x.iter().all(|v| v.is_finite()))
        {
            it.clone_from(&backup);
            break Termination::NonFinite(format!("iterate at iteration {}", it.k + 1));
        }
        it.k += 1;
        trace.push(TraceRow {
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
        });
        if stop.f_rel_tol > 0.0
            && (backup.f - it.f).abs() <= stop.f_rel_tol * backup.f.abs().max(1.0)
        {
            break Termination::FunctionTolerance;
        }
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
        trace,
    })
}
