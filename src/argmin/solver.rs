//! [`ArgminSolver`]: any curvlab [`Method`] as an argmin [`Solver`].
//!
//! One argmin iteration is one `Method::step`. The state is argmin's
//! `IterState<P, P, (), (), (), f64>` (parameter, gradient and cost are kept in it, so a
//! checkpoint holds everything besides the method's own state). Termination: curvlab's gradient
//! rule `‖∇f(x_k)‖₂ ≤ grad_tol` ends the run with `TerminationReason::SolverConverged`, on top
//! of argmin's `max_iters` and `target_cost`. A numerical failure of the method (a line search
//! that finds no decrease, a breakdown, a non-finite value) ends the run with
//! `TerminationReason::SolverExit` at the last good iterate, as `curvlab::minimize` does; bad
//! input (a wrong length, a missing capability, an error from the user's problem) is an `Err`.

use super::adapter::Adapter;
use super::{ArgminVector, HessianVec};
use crate::error::Error;
use crate::linalg::vector::norm;
use crate::methods::{Iterate, Method, Needs, StepInfo};
use crate::objective::Objective as _;
use ::argmin::core::{
    CostFunction, Error as ArgminError, Gradient, IterState, KV, KvValue, Problem, Solver, State,
    TerminationReason, TerminationStatus,
};

/// The default gradient tolerance of [`ArgminSolver`]: `‖∇f‖₂ ≤ 1e-8`, the criterion of the
/// side-by-side comparison with argmin's solvers and close to argmin's own L-BFGS default
/// (`sqrt(f64::EPSILON)` ≈ 1.5e-8). curvlab's `Stop` uses 1e-6; argmin users expect tighter.
pub const DEFAULT_GRAD_TOL: f64 = 1e-8;

/// A curvlab [`Method`] as an argmin [`Solver`] for problems with `Param = Vec<f64>` or
/// `DVector<f64>` that implement `CostFunction<Output = f64> + Gradient<Gradient = Param> +`
/// [`HessianVec`] (wrap problems that have argmin's `Hessian` in [`super::DenseHessian`] and
/// problems with gradients only in [`super::GradientOnly`]).
///
/// Under the `serde1` feature the solver serialises (when the method does), so argmin's
/// `FileCheckpoint` can stop and resume a run.
///
/// ```
/// use argmin::core::{Executor, State, TerminationReason};
/// use curvlab::argmin::{ArgminProblem, ArgminSolver};
/// use curvlab::methods::{Iterate, Method, StepInfo};
/// use curvlab::problems::{Quadratic, Rotation};
/// /// Exact Newton on a quadratic: one step x − H⁻¹g with a diagonal Hessian.
/// struct DiagNewton;
/// impl Method for DiagNewton {
///     fn name(&self) -> &str { "diag-newton" }
///     fn needs(&self) -> curvlab::methods::Needs { curvlab::methods::Needs::Hessian }
///     fn step(&mut self, obj: &dyn curvlab::Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
///         let h = obj.hessian(&it.x)?;
///         for i in 0..it.x.len() { it.x[i] -= it.g[i] / h[(i, i)]; }
///         it.f = obj.gradient(&it.x, &mut it.g)?;
///         Ok(StepInfo::new(0.0).with("lambda", 0.0))
///     }
/// }
/// let q = Quadratic::with_eigenvalues(vec![1.0, 10.0, 100.0], Rotation::Diagonal, 0).unwrap();
/// let res = Executor::new(ArgminProblem::new(q), ArgminSolver::new(DiagNewton))
///     .configure(|s| s.param(vec![1.0, 1.0, 1.0]).max_iters(10))
///     .run()
///     .unwrap();
/// assert_eq!(res.state().get_termination_reason(), Some(&TerminationReason::SolverConverged));
/// assert_eq!(res.state().get_iter(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct ArgminSolver<M> {
    method: M,
    grad_tol: f64,
}

impl<M: Method> ArgminSolver<M> {
    /// Wraps `method` with the default gradient tolerance [`DEFAULT_GRAD_TOL`].
    ///
    /// ```
    /// use curvlab::argmin::{ArgminSolver, DEFAULT_GRAD_TOL};
    /// # use curvlab::methods::{Iterate, Method, StepInfo};
    /// # struct Nop;
    /// # impl Method for Nop {
    /// #     fn name(&self) -> &str { "nop" }
    /// #     fn step(&mut self, _: &dyn curvlab::Objective, _: &mut Iterate) -> curvlab::Result<StepInfo> { Ok(StepInfo::new(0.0)) }
    /// # }
    /// assert_eq!(ArgminSolver::new(Nop).grad_tol(), DEFAULT_GRAD_TOL);
    /// ```
    pub fn new(method: M) -> Self {
        ArgminSolver {
            method,
            grad_tol: DEFAULT_GRAD_TOL,
        }
    }

    /// Stops with `SolverConverged` when `‖∇f(x_k)‖₂ ≤ tol` (`tol = 0` leaves only argmin's
    /// rules). A negative or NaN tolerance is an error.
    ///
    /// ```
    /// # use curvlab::argmin::ArgminSolver;
    /// # use curvlab::methods::{Iterate, Method, StepInfo};
    /// # struct Nop;
    /// # impl Method for Nop {
    /// #     fn name(&self) -> &str { "nop" }
    /// #     fn step(&mut self, _: &dyn curvlab::Objective, _: &mut Iterate) -> curvlab::Result<StepInfo> { Ok(StepInfo::new(0.0)) }
    /// # }
    /// assert_eq!(ArgminSolver::new(Nop).with_grad_tol(1e-5).unwrap().grad_tol(), 1e-5);
    /// assert!(ArgminSolver::new(Nop).with_grad_tol(-1.0).is_err());
    /// ```
    pub fn with_grad_tol(mut self, tol: f64) -> crate::Result<Self> {
        if !(tol >= 0.0) {
            return Err(Error::invalid("grad_tol", tol, "must be >= 0"));
        }
        self.grad_tol = tol;
        Ok(self)
    }

    /// The gradient tolerance.
    pub fn grad_tol(&self) -> f64 {
        self.grad_tol
    }

    /// The wrapped method.
    pub fn method(&self) -> &M {
        &self.method
    }

    /// The wrapped method, to take it back after a run.
    pub fn into_method(self) -> M {
        self.method
    }
}

type State1<P> = IterState<P, P, (), (), (), f64>;

fn not_initialized() -> ArgminError {
    Error::invalid(
        "param",
        "none",
        "ArgminSolver needs an initial parameter vector: use `.configure(|s| s.param(x0))`",
    )
    .into()
}

/// Checks that the problem gives what the method needs, naming the missing trait.
fn check_needs<O: HessianVec>(name: &str, needs: Needs) -> Result<(), Error> {
    if needs == Needs::Gradient || O::HAS_HESSIAN_VEC || O::HAS_HESSIAN {
        return Ok(());
    }
    let what = match needs {
        Needs::Hvp => "Hessian-vector products",
        _ => "the Hessian",
    };
    Err(Error::Unsupported(format!(
        "method `{name}` needs {what}, but the problem implements neither \
         `curvlab::argmin::HessianVec` nor argmin's `Hessian` (it is wrapped in `GradientOnly`): \
         implement `curvlab::argmin::HessianVec` for it, or wrap a problem that implements \
         argmin's `Hessian` in `curvlab::argmin::DenseHessian`"
    )))
}

impl<M: Method> ArgminSolver<M> {
    fn kv(info: &StepInfo, f: f64, grad_norm: f64) -> KV {
        let mut kv = KV::new();
        kv.insert("f", KvValue::Float(f));
        kv.insert("grad_norm", KvValue::Float(grad_norm));
        kv.insert("step_length", KvValue::Float(info.step_length));
        for (k, v) in &info.extras {
            kv.insert(k, KvValue::Float(*v));
        }
        kv
    }
}

impl<O, P, M> Solver<O, State1<P>> for ArgminSolver<M>
where
    O: CostFunction<Param = P, Output = f64>
        + Gradient<Param = P, Gradient = P>
        + HessianVec<Param = P>
        + Send,
    P: ArgminVector,
    M: Method,
{
    fn name(&self) -> &str {
        self.method.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: State1<P>,
    ) -> Result<(State1<P>, Option<KV>), ArgminError> {
        check_needs::<O>(self.method.name(), self.method.needs())?;
        let x = state
            .get_param()
            .ok_or_else(not_initialized)?
            .as_f64_slice()
            .to_vec();
        if x.is_empty() {
            return Err(Error::invalid("param", "[]", "must have at least one entry").into());
        }
        crate::error::check_finite("initial parameter", &x, 0)?;
        let n = x.len();
        let adapter = Adapter::new(problem, n);
        let mut g = vec![0.0; n];
        let f = match adapter.gradient(&x, &mut g) {
            Ok(f) => f,
            Err(e) => return Err(adapter.take_failure().unwrap_or_else(|| e.into())),
        };
        let it = Iterate { x, f, g, k: 0 };
        if let Err(e) = self.method.init(&adapter, &it) {
            return Err(adapter.take_failure().unwrap_or_else(|| e.into()));
        }
        let mut kv = KV::new();
        kv.insert("grad_norm", KvValue::Float(it.grad_norm()));
        let state = state
            .param(P::from_f64_vec(it.x))
            .gradient(P::from_f64_vec(it.g))
            .cost(f);
        Ok((state, Some(kv)))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: State1<P>,
    ) -> Result<(State1<P>, Option<KV>), ArgminError> {
        let x = state
            .get_param()
            .ok_or_else(not_initialized)?
            .as_f64_slice()
            .to_vec();
        let n = x.len();
        let adapter = Adapter::new(problem, n);
        let known = state
            .get_gradient()
            .map(|g| g.as_f64_slice().to_vec())
            .filter(|g| g.len() == n && state.get_cost().is_finite());
        let (f, g) = match known {
            Some(g) => (state.get_cost(), g),
            None => {
                let mut g = vec![0.0; n];
                match adapter.gradient(&x, &mut g) {
                    Ok(f) => (f, g),
                    Err(e) => return Err(adapter.take_failure().unwrap_or_else(|| e.into())),
                }
            }
        };
        adapter.remember(&x, f, &g)?;
        let mut it = Iterate {
            x,
            f,
            g,
            k: state.get_iter() as usize,
        };
        let result = self.method.step(&adapter, &mut it);
        if let Some(user) = adapter.take_failure() {
            return Err(user);
        }
        match result {
            Ok(info) => {
                let kv = Self::kv(&info, it.f, it.grad_norm());
                let state = state
                    .param(P::from_f64_vec(it.x))
                    .gradient(P::from_f64_vec(it.g))
                    .cost(it.f);
                Ok((state, Some(kv)))
            }
            Err(e) if e.is_bad_input() => Err(e.into()),
            Err(e) => {
                // The iterate in `state` is untouched: end the run there.
                let msg = format!("{}: {e}", self.method.name());
                let mut kv = KV::new();
                kv.insert("failure", KvValue::Str(msg.clone()));
                Ok((
                    state.terminate_with(TerminationReason::SolverExit(msg)),
                    Some(kv),
                ))
            }
        }
    }

    fn terminate(&mut self, state: &State1<P>) -> TerminationStatus {
        match state.get_gradient() {
            Some(g) if norm(g.as_f64_slice()) <= self.grad_tol => {
                TerminationStatus::Terminated(TerminationReason::SolverConverged)
            }
            _ => TerminationStatus::NotTerminated,
        }
    }
}
