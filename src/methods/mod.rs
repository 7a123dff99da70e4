//! The one interface every optimization method implements, and the methods themselves.
//!
//! A [`Method`] advances an [`Iterate`] (point, value, gradient) by one iteration using whatever
//! the objective offers (gradients, HVPs, dense Hessians, Gauss-Newton products) and reports
//! per-iteration values in a [`StepInfo`]. [`crate::minimize`](fn@crate::minimize) drives any method on any
//! objective with the same stopping rules and trace. Methods are built by name from parameters
//! through [`registry`]: the names and keys that `curvlab list` prints.

pub mod adahessian;
pub mod first_order;
pub mod hessian_free;
pub mod kfac;
pub mod lbfgs;
pub mod line_search;
pub mod newton;
pub mod newton_cg;
pub mod registry;
pub mod shampoo;
pub mod sophia;
pub mod stochastic;
pub mod trust_region;

use crate::error::Result;
use crate::objective::Objective;

pub use adahessian::AdaHessian;
pub use hessian_free::HessianFree;
pub use kfac::Kfac;
pub use lbfgs::Lbfgs;
pub use newton::Newton;
pub use newton_cg::{NewtonCg, TrustNcg};
pub use registry::{MethodContext, MethodInfo, build_method, method_infos};
pub use shampoo::Shampoo;
pub use sophia::Sophia;

/// The current point of a run with its value and gradient (kept consistent by every method:
/// after `step`, `f` and `g` are the value and gradient at `x`).
#[derive(Debug, Clone, PartialEq)]
pub struct Iterate {
    /// The point `x_k`.
    pub x: Vec<f64>,
    /// `f(x_k)`.
    pub f: f64,
    /// `∇f(x_k)`.
    pub g: Vec<f64>,
    /// The iteration number `k` (0 before the first step).
    pub k: usize,
}

impl Iterate {
    /// Evaluates `f` and `∇f` at `x`.
    ///
    /// ```
    /// use curvlab::methods::Iterate;
    /// use curvlab::problems::Rosenbrock;
    /// let it = Iterate::new(&Rosenbrock::new(2).unwrap(), vec![1.0, 1.0]).unwrap();
    /// assert_eq!((it.f, it.k), (0.0, 0));
    /// ```
    pub fn new<O: Objective + ?Sized>(obj: &O, x: Vec<f64>) -> Result<Self> {
        crate::error::check_len("x0", obj.dim(), x.len())?;
        let mut g = vec![0.0; x.len()];
        let f = obj.gradient(&x, &mut g)?;
        Ok(Iterate { x, f, g, k: 0 })
    }

    /// `‖∇f(x_k)‖₂`.
    pub fn grad_norm(&self) -> f64 {
        crate::linalg::vector::norm(&self.g)
    }
}

/// What a method needs from the objective beyond values and gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Needs {
    /// Values and gradients only.
    Gradient,
    /// Hessian-vector products (or Gauss-Newton products where the method can use them).
    Hvp,
    /// The dense Hessian (assembled from `n` HVPs when the objective has no dense form).
    Hessian,
}

/// What one iteration did, for the trace.
///
/// `accepted` says whether the iteration moved to a new point: a trust-region, Levenberg–Marquardt
/// or Hessian-free iteration that rejects its trial step (and only shrinks its radius or raises
/// its damping) returns [`StepInfo::rejected`], and the driver then skips the rules that read a
/// step (the `f_rel_tol` test, the runaway test). The driver also treats an iteration that left
/// `x` unchanged as rejected, whatever the flag says.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    /// `‖x_{k+1} − x_k‖₂`.
    pub step_length: f64,
    /// Whether the iterate moved to the trial point (default `true`).
    pub accepted: bool,
    /// Method-specific values: `("lambda", λ)`, `("cg_iters", i)`, `("radius", Δ)`,
    /// `("rho", ρ)`, `("shift", τ)`, `("lr", η)`, ...
    pub extras: Vec<(&'static str, f64)>,
}

impl Default for StepInfo {
    fn default() -> Self {
        StepInfo::new(0.0)
    }
}

impl StepInfo {
    /// An accepted step of the given length with no extras.
    ///
    /// ```
    /// let s = curvlab::methods::StepInfo::new(0.5).with("lr", 0.1);
    /// assert_eq!(s.extras, vec![("lr", 0.1)]);
    /// assert!(s.accepted);
    /// ```
    pub fn new(step_length: f64) -> Self {
        StepInfo {
            step_length,
            accepted: true,
            extras: Vec::new(),
        }
    }

    /// A rejected trial step: the iterate stays where it was (step length 0).
    ///
    /// ```
    /// let s = curvlab::methods::StepInfo::rejected().with("radius", 0.25);
    /// assert!(!s.accepted && s.step_length == 0.0);
    /// ```
    pub fn rejected() -> Self {
        StepInfo {
            step_length: 0.0,
            accepted: false,
            extras: Vec::new(),
        }
    }

    /// Adds a method-specific value.
    ///
    /// ```
    /// let s = curvlab::methods::StepInfo::new(1.0).with("rho", 0.9);
    /// assert_eq!(s.extras[0], ("rho", 0.9));
    /// ```
    pub fn with(mut self, key: &'static str, value: f64) -> Self {
        self.extras.push((key, value));
        self
    }
}

/// One optimization method.
///
/// `step` must leave `it` consistent (`f`, `g` at `x`) and increments nothing: the driver counts
/// iterations. On error the driver restores the iterate from before the step.
///
/// ```
/// use curvlab::methods::{Iterate, Method, StepInfo};
/// use curvlab::{Objective, Result};
/// /// Gradient descent with a fixed step, written against the interface.
/// struct Plain(f64);
/// impl Method for Plain {
///     fn name(&self) -> &str { "plain" }
///     fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
///         for (x, g) in it.x.iter_mut().zip(&it.g) { *x -= self.0 * g; }
///         it.f = obj.gradient(&it.x, &mut it.g)?;
///         Ok(StepInfo::new(self.0 * it.grad_norm()))
///     }
/// }
/// let f = curvlab::problems::Ravine::seed();
/// let mut it = Iterate::new(&f, vec![1.0, 1.0]).unwrap();
/// Plain(0.01).step(&f, &mut it).unwrap();
/// assert_eq!(it.x, vec![0.0, 0.99]);
/// ```
pub trait Method: Send {
    /// The registry name (e.g. `adam`, `newton`).
    fn name(&self) -> &str;

    /// What the method needs from the objective.
    fn needs(&self) -> Needs {
        Needs::Gradient
    }

    /// Resets internal state (moments, histories, damping) for a new run from `it`, and checks
    /// that the objective offers what the method needs.
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> Result<()> {
        Ok(())
    }

    /// Performs one iteration.
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo>;

    /// The effective parameters as registry keys and values (what `curvlab list` documents),
    /// read back from the built method; empty when the method does not report them.
    fn settings(&self) -> Vec<(&'static str, crate::params::Value)> {
        Vec::new()
    }

    /// The wall-clock deadline of the run (`Stop::max_seconds`), set by the driver after `init`:
    /// a method whose one step can take long (many minibatch steps) stops its step there.
    ///
    /// ```
    /// use curvlab::methods::Method;
    /// use curvlab::methods::lbfgs::Lbfgs;
    /// let mut m = Lbfgs::new();
    /// m.set_deadline(Some(std::time::Instant::now())); // the default ignores it
    /// assert_eq!(m.name(), "lbfgs");
    /// ```
    fn set_deadline(&mut self, _deadline: Option<std::time::Instant>) {}

    /// The method's diagonal preconditioner `P` at this step, for methods whose update is
    /// `x ← x − η P⁻¹ m` with a diagonal `P` (Adam, RMSProp, AdaGrad): what the preconditioned
    /// sharpness `λ_max(P⁻¹∇²f)` of Cohen et al. (2022, "Adaptive gradient methods at the edge
    /// of stability", §2) is measured with. `None` (the default) for methods without one, and
    /// before the first step (the moments are still zero).
    ///
    /// ```
    /// use curvlab::methods::{Iterate, Method};
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// use curvlab::problems::Ravine;
    /// let f = Ravine::seed();
    /// let mut gd = FirstOrder::gd(ScaleByLearningRate::new(0.01).unwrap());
    /// let mut it = Iterate::new(&f, vec![1.0, 8.0]).unwrap();
    /// gd.init(&f, &it).unwrap();
    /// gd.step(&f, &mut it).unwrap();
    /// assert!(gd.diagonal_preconditioner().is_none()); // plain gradient descent: P = I
    /// ```
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        None
    }
}

impl<M: Method + ?Sized> Method for Box<M> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn needs(&self) -> Needs {
        (**self).needs()
    }
    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        (**self).init(obj, it)
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        (**self).step(obj, it)
    }
    fn settings(&self) -> Vec<(&'static str, crate::params::Value)> {
        (**self).settings()
    }
    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        (**self).set_deadline(deadline)
    }
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        (**self).diagonal_preconditioner()
    }
}
