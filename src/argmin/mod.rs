//! The argmin plugin, both directions (argmin 0.11, argmin-math 0.5 with `vec` and
//! `nalgebra_latest`).
//!
//! **curvlab methods as argmin solvers.** [`ArgminSolver`] wraps any [`crate::methods::Method`]
//! and implements [`argmin::core::Solver`] for problems whose parameter is `Vec<f64>` or nalgebra
//! 0.34 `DVector<f64>`. Values and gradients come from argmin's `CostFunction` and `Gradient`;
//! curvature comes from this module's [`HessianVec`] trait (Hessian-vector products, what
//! matrix-free methods such as Newton-CG and Hessian-free optimization (Martens 2010) need).
//!
//! Which curvature a problem offers must be known at compile time, and Rust has no
//! specialization, so the choice is made by the problem's type:
//! - a problem that implements [`HessianVec`] runs directly; methods that need the dense
//!   Hessian (Newton) assemble it from `n` products, one per unit vector;
//! - a problem that implements argmin's `Hessian` (and no `HessianVec`) is wrapped in
//!   [`DenseHessian`], which gives the dense matrix directly (counted as `hessian_count`) and
//!   Hessian-vector products by multiplying with it (one Hessian per point, cached);
//! - a problem with values and gradients only is wrapped in [`GradientOnly`]: first-order
//!   methods and L-BFGS run on it, a method that needs curvature is refused in `init` with an
//!   error that names the missing trait.
//!
//! Every evaluation goes through argmin's `Problem`, so argmin counts it: `cost_count`,
//! `gradient_count`, `hessian_count` and, for Hessian-vector products (which argmin's own
//! `NewtonCG` never counts because it builds the dense Hessian), `hessian_vec_count`.
//! Method-specific values (damping `lambda`, `cg_iters`, trust `radius`, `rho`, ...) go into the
//! `KV` of each iteration, so argmin's observers log them.
//!
//! **curvlab problems as argmin problems.** argmin's traits are foreign and so is a generic
//! `O: Objective`, so the orphan rules need a local type: [`ArgminProblem`] wraps any
//! [`crate::Objective`] and implements `CostFunction`, `Gradient`, `Hessian` and [`HessianVec`]
//! for `Vec<f64>` (Hessian `Vec<Vec<f64>>`) or `DVector<f64>` (Hessian `DMatrix<f64>`), so
//! argmin's own `Newton`, `NewtonCG`, `TrustRegion<Steihaug>` and `LBFGS` run on curvlab
//! problems side by side with curvlab's methods.
//!
//! ```
//! use argmin::core::{Executor, State};
//! use curvlab::argmin::{ArgminProblem, ArgminSolver};
//! use curvlab::methods::{Iterate, Method, StepInfo};
//! use curvlab::problems::Ravine;
//! /// Gradient descent with step 1/L, written against the `Method` interface.
//! struct Gd;
//! impl Method for Gd {
//!     fn name(&self) -> &str { "gd" }
//!     fn step(&mut self, obj: &dyn curvlab::Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
//!         for (x, g) in it.x.iter_mut().zip(&it.g) { *x -= 0.01 * g; }
//!         it.f = obj.gradient(&it.x, &mut it.g)?;
//!         Ok(StepInfo::new(0.0))
//!     }
//! }
//! let res = Executor::new(ArgminProblem::new(Ravine::seed()), ArgminSolver::new(Gd))
//!     .configure(|s| s.param(vec![1.0, 1.0]).max_iters(5000))
//!     .run()
//!     .unwrap();
//! let x = res.state().get_best_param().unwrap();
//! assert!(x[0].abs() < 1e-8 && x[1].abs() < 1e-6);
//! ```

mod adapter;
mod objective;
mod problem;
mod solver;
mod vector;

pub use objective::{FiniteDifferences, FromArgmin};
pub use problem::ArgminProblem;
pub use solver::{ArgminSolver, DEFAULT_GRAD_TOL};
pub use vector::{ArgminMatrix, ArgminVector};

use ::argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use faer::Mat;

/// Hessian-vector products `∇²f(x) v` for argmin problems: what matrix-free second-order
/// methods need (argmin itself has only the dense `Hessian` trait).
///
/// Implement `hessian_vec`; the associated constants and [`HessianVec::dense_hessian`] are for
/// the wrappers [`DenseHessian`] and [`GradientOnly`] and for problems that also have a cheap
/// dense Hessian.
///
/// ```
/// use curvlab::argmin::HessianVec;
/// /// f(x) = x₀² + 3 x₁², ∇²f = diag(2, 6).
/// struct Q;
/// impl HessianVec for Q {
///     type Param = Vec<f64>;
///     fn hessian_vec(&self, _x: &Vec<f64>, v: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
///         Ok(vec![2.0 * v[0], 6.0 * v[1]])
///     }
/// }
/// assert_eq!(Q.hessian_vec(&vec![0.0, 0.0], &vec![1.0, 1.0]).unwrap(), vec![2.0, 6.0]);
/// assert!(Q::HAS_HESSIAN_VEC && !Q::HAS_HESSIAN);
/// ```
pub trait HessianVec {
    /// The parameter type (`Vec<f64>` or `DVector<f64>`).
    type Param;

    /// True when [`HessianVec::hessian_vec`] is a genuine (matrix-free) product; false for
    /// [`GradientOnly`] (no products) and [`DenseHessian`] (products with the dense matrix,
    /// which [`ArgminSolver`] then computes once per point).
    const HAS_HESSIAN_VEC: bool = true;

    /// True when [`HessianVec::dense_hessian`] gives the dense Hessian more cheaply than `n`
    /// products (true for [`DenseHessian`] and [`ArgminProblem`]).
    const HAS_HESSIAN: bool = false;

    /// Writes nothing, returns `∇²f(x) v`.
    fn hessian_vec(&self, x: &Self::Param, v: &Self::Param) -> Result<Self::Param, ArgminError>;

    /// `Some(note)` when the products are finite differences ([`FiniteDifferences`]), copied
    /// into [`crate::Objective::hvp_note`] by [`FromArgmin`]; `None` (default) for exact ones.
    fn finite_difference_note(&self) -> Option<String> {
        None
    }

    /// The dense Hessian `∇²f(x)` when `HAS_HESSIAN`; the default says it is not available.
    fn dense_hessian(&self, _x: &Self::Param) -> Result<Mat<f64>, ArgminError> {
        Err(crate::Error::Unsupported(
            "this problem has no dense Hessian (wrap a problem that implements argmin's `Hessian` \
             in `curvlab::argmin::DenseHessian`)"
                .into(),
        )
        .into())
    }
}

/// Wraps an argmin problem that has values and gradients only (`CostFunction + Gradient`) so
/// that [`ArgminSolver`] accepts it: first-order methods and L-BFGS run on it; a method that
/// needs curvature is refused with an error naming the missing trait.
///
/// ```
/// use argmin::core::{CostFunction, Error, Gradient};
/// use curvlab::argmin::{GradientOnly, HessianVec};
/// struct Sq;
/// impl CostFunction for Sq {
///     type Param = Vec<f64>; type Output = f64;
///     fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> { Ok(x[0] * x[0]) }
/// }
/// let p = GradientOnly(Sq);
/// assert_eq!(p.cost(&vec![3.0]).unwrap(), 9.0);
/// let err = p.hessian_vec(&vec![3.0], &vec![1.0]).unwrap_err().to_string();
/// assert!(err.contains("HessianVec"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GradientOnly<O>(pub O);

impl<O: CostFunction> CostFunction for GradientOnly<O> {
    type Param = O::Param;
    type Output = O::Output;
    fn cost(&self, x: &Self::Param) -> Result<Self::Output, ArgminError> {
        self.0.cost(x)
    }
}

impl<O: Gradient> Gradient for GradientOnly<O> {
    type Param = O::Param;
    type Gradient = O::Gradient;
    fn gradient(&self, x: &Self::Param) -> Result<Self::Gradient, ArgminError> {
        self.0.gradient(x)
    }
}

impl<O: CostFunction> HessianVec for GradientOnly<O> {
    type Param = O::Param;
    const HAS_HESSIAN_VEC: bool = false;
    fn hessian_vec(&self, _x: &Self::Param, _v: &Self::Param) -> Result<Self::Param, ArgminError> {
        Err(crate::Error::Unsupported(missing_curvature_message("Hessian-vector products")).into())
    }
}

pub(crate) fn missing_curvature_message(what: &str) -> String {
    format!(
        "{what} are not available: the problem implements neither \
         `curvlab::argmin::HessianVec` nor argmin's `Hessian` (it is wrapped in `GradientOnly`){}",
        objective::finite_difference_hint()
    )
}

/// Wraps an argmin problem that has a dense Hessian (argmin's `Hessian` trait with
/// `Hessian = Vec<Vec<f64>>` or `DMatrix<f64>`) so that [`ArgminSolver`] can use it: the dense
/// matrix is passed on as is (counted as `hessian_count`), and Hessian-vector products are
/// products with it (inside [`ArgminSolver`] one Hessian per point, cached).
///
/// ```
/// use argmin::core::{Error, Hessian};
/// use curvlab::argmin::{DenseHessian, HessianVec};
/// struct Q;
/// impl Hessian for Q {
///     type Param = Vec<f64>; type Hessian = Vec<Vec<f64>>;
///     fn hessian(&self, _x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
///         Ok(vec![vec![2.0, 1.0], vec![1.0, 4.0]])
///     }
/// }
/// let p = DenseHessian(Q);
/// assert_eq!(p.hessian_vec(&vec![0.0, 0.0], &vec![1.0, -1.0]).unwrap(), vec![1.0, -3.0]);
/// assert_eq!(p.dense_hessian(&vec![0.0, 0.0]).unwrap()[(1, 1)], 4.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DenseHessian<O>(pub O);

impl<O: CostFunction> CostFunction for DenseHessian<O> {
    type Param = O::Param;
    type Output = O::Output;
    fn cost(&self, x: &Self::Param) -> Result<Self::Output, ArgminError> {
        self.0.cost(x)
    }
}

impl<O: Gradient> Gradient for DenseHessian<O> {
    type Param = O::Param;
    type Gradient = O::Gradient;
    fn gradient(&self, x: &Self::Param) -> Result<Self::Gradient, ArgminError> {
        self.0.gradient(x)
    }
}

impl<O: Hessian> Hessian for DenseHessian<O> {
    type Param = O::Param;
    type Hessian = O::Hessian;
    fn hessian(&self, x: &Self::Param) -> Result<Self::Hessian, ArgminError> {
        self.0.hessian(x)
    }
}

impl<O, P> HessianVec for DenseHessian<O>
where
    O: Hessian<Param = P, Hessian = P::Matrix>,
    P: ArgminVector,
{
    type Param = P;
    const HAS_HESSIAN_VEC: bool = false;
    const HAS_HESSIAN: bool = true;
    fn hessian_vec(&self, x: &P, v: &P) -> Result<P, ArgminError> {
        let h = self.dense_hessian(x)?;
        let v = v.as_f64_slice();
        crate::error::check_len("v", h.ncols(), v.len())?;
        let mut out = vec![0.0; h.nrows()];
        dense_product(&h, v, &mut out);
        Ok(P::from_f64_vec(out))
    }
    fn dense_hessian(&self, x: &P) -> Result<Mat<f64>, ArgminError> {
        let n = x.as_f64_slice().len();
        let h = P::Matrix::to_faer(&self.0.hessian(x)?)?;
        if h.nrows() != n || h.ncols() != n {
            return Err(crate::Error::Dimension {
                what: format!(
                    "Hessian returned by the argmin problem ({}x{})",
                    h.nrows(),
                    h.ncols()
                ),
                expected: n,
                got: if h.nrows() != n { h.nrows() } else { h.ncols() },
            }
            .into());
        }
        Ok(h)
    }
}

/// `out = H v` for a square dense `H` (lengths checked by the callers).
pub(crate) fn dense_product(h: &Mat<f64>, v: &[f64], out: &mut [f64]) {
    out.iter_mut().for_each(|o| *o = 0.0);
    for (j, vj) in v.iter().enumerate() {
        let col = h.col(j);
        for (o, hij) in out.iter_mut().zip(col.iter()) {
            *o += hij * vj;
        }
    }
}
