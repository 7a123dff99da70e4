//! [`ArgminProblem`]: any curvlab [`Objective`] as an argmin problem (`CostFunction`,
//! `Gradient`, `Hessian`, and [`HessianVec`]), so argmin's own solvers run on curvlab problems.
//!
//! argmin's traits and a generic `O: Objective` are both foreign to argmin's impls from this
//! crate's point of view, so the orphan rules require a local wrapper type.

use super::{ArgminMatrix, ArgminVector, HessianVec};
use crate::error::check_len;
use crate::objective::Objective;
use ::argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use faer::Mat;
use nalgebra::DVector;
use std::marker::PhantomData;

/// A curvlab [`Objective`] as an argmin problem with parameter type `P` (`Vec<f64>`, the
/// default, or `DVector<f64>`). Wrong lengths are errors (never panics); the Hessian is the
/// objective's (exact; assembled from `n` HVPs where the objective has no dense form).
///
/// ```
/// use argmin::core::{CostFunction, Gradient, Hessian};
/// use curvlab::argmin::{ArgminProblem, HessianVec};
/// use curvlab::problems::Rosenbrock;
/// let p = ArgminProblem::new(Rosenbrock::new(2).unwrap());
/// assert_eq!(p.cost(&vec![1.0, 1.0]).unwrap(), 0.0);
/// assert_eq!(p.gradient(&vec![1.0, 1.0]).unwrap(), vec![0.0, 0.0]);
/// let h = p.hessian(&vec![1.0, 1.0]).unwrap();
/// assert!((h[0][0] - 802.0).abs() < 1e-12 && (h[0][1] + 400.0).abs() < 1e-12);
/// assert_eq!(p.hessian_vec(&vec![1.0, 1.0], &vec![0.0, 1.0]).unwrap()[1], 200.0);
/// assert!(p.cost(&vec![1.0]).is_err());
/// let q = ArgminProblem::nalgebra(Rosenbrock::new(2).unwrap());
/// assert_eq!(q.cost(&nalgebra::DVector::from_vec(vec![1.0, 1.0])).unwrap(), 0.0);
/// ```
pub struct ArgminProblem<O, P = Vec<f64>> {
    objective: O,
    _param: PhantomData<fn() -> P>,
}

impl<O: Objective> ArgminProblem<O, Vec<f64>> {
    /// Wraps `objective` with `Vec<f64>` parameters (Hessian `Vec<Vec<f64>>`).
    pub fn new(objective: O) -> Self {
        ArgminProblem {
            objective,
            _param: PhantomData,
        }
    }
}

impl<O: Objective> ArgminProblem<O, DVector<f64>> {
    /// Wraps `objective` with nalgebra 0.34 `DVector<f64>` parameters (Hessian `DMatrix<f64>`),
    /// for argmin solvers that need the `nalgebra_latest` backend (argmin's `Newton` needs a
    /// matrix inverse, which the `vec` backend lacks).
    pub fn nalgebra(objective: O) -> Self {
        ArgminProblem {
            objective,
            _param: PhantomData,
        }
    }
}

impl<O, P> ArgminProblem<O, P> {
    /// The wrapped objective.
    pub fn objective(&self) -> &O {
        &self.objective
    }

    /// Unwraps the objective.
    pub fn into_objective(self) -> O {
        self.objective
    }
}

impl<O: Objective, P: ArgminVector> ArgminProblem<O, P> {
    fn check(&self, what: &str, x: &P) -> Result<(), ArgminError> {
        Ok(check_len(
            what,
            self.objective.dim(),
            x.as_f64_slice().len(),
        )?)
    }

    fn dense(&self, x: &P) -> Result<Mat<f64>, ArgminError> {
        self.check("param", x)?;
        Ok(self.objective.hessian(x.as_f64_slice())?)
    }
}

impl<O: Objective, P: ArgminVector> CostFunction for ArgminProblem<O, P> {
    type Param = P;
    type Output = f64;
    fn cost(&self, x: &P) -> Result<f64, ArgminError> {
        self.check("param", x)?;
        Ok(self.objective.value(x.as_f64_slice())?)
    }
}

impl<O: Objective, P: ArgminVector> Gradient for ArgminProblem<O, P> {
    type Param = P;
    type Gradient = P;
    fn gradient(&self, x: &P) -> Result<P, ArgminError> {
        self.check("param", x)?;
        let mut g = vec![0.0; self.objective.dim()];
        self.objective.gradient(x.as_f64_slice(), &mut g)?;
        Ok(P::from_f64_vec(g))
    }
}

impl<O: Objective, P: ArgminVector> Hessian for ArgminProblem<O, P> {
    type Param = P;
    type Hessian = P::Matrix;
    fn hessian(&self, x: &P) -> Result<P::Matrix, ArgminError> {
        Ok(P::Matrix::from_faer(&self.dense(x)?))
    }
}

impl<O: Objective, P: ArgminVector> HessianVec for ArgminProblem<O, P> {
    type Param = P;
    const HAS_HESSIAN: bool = true;
    fn hessian_vec(&self, x: &P, v: &P) -> Result<P, ArgminError> {
        self.check("param", x)?;
        self.check("v", v)?;
        let mut out = vec![0.0; self.objective.dim()];
        self.objective
            .hvp(x.as_f64_slice(), v.as_f64_slice(), &mut out)?;
        Ok(P::from_f64_vec(out))
    }
    fn dense_hessian(&self, x: &P) -> Result<Mat<f64>, ArgminError> {
        self.dense(x)
    }
}
