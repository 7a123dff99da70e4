//! An argmin problem seen as a curvlab [`Objective`] ([`FromArgmin`]), so every curvlab
//! diagnostic — dense spectrum, Lanczos, stochastic Lanczos quadrature, `explain`, the
//! derivative check — and every curvlab method runs on it; and central finite-difference
//! Hessian-vector products for argmin problems that have gradients only
//! ([`FiniteDifferences`], Nocedal & Wright 2006, §8.1), the fallback the "needs HessianVec"
//! errors point to.
//!
//! Unlike the adapter inside [`super::ArgminSolver`] (which borrows argmin's counting
//! `Problem` during a run), [`FromArgmin`] owns the problem and calls it directly: argmin's
//! `CostFunction`, `Gradient` and this crate's [`HessianVec`] take `&self`.

use super::{ArgminVector, HessianVec, dense_product};
use crate::error::{Error, Result, check_len};
use crate::objective::Objective;
use ::argmin::core::{CostFunction, Error as ArgminError, Gradient};
use faer::Mat;

/// The message of the curvature errors of argmin problems without `HessianVec` or `Hessian`,
/// naming the finite-difference fallback.
pub(crate) fn finite_difference_hint() -> &'static str {
    "; for finite-difference products (central differences of the gradient, about 1e-8 \
     relative accuracy) wrap the problem in `curvlab::argmin::FiniteDifferences`"
}

/// An argmin problem (`CostFunction + Gradient + HessianVec` over `Vec<f64>` or nalgebra
/// `DVector<f64>`) as a curvlab [`Objective`] of dimension `dim`. Wrap a problem with values
/// and gradients only in [`super::GradientOnly`] (HVPs are then an error that names
/// [`FiniteDifferences`]) or in [`FiniteDifferences`] (finite-difference HVPs, noted in every
/// report), and one with argmin's dense `Hessian` in [`super::DenseHessian`].
///
/// Errors from the problem come back through `From<argmin::core::Error>` for
/// [`crate::Error`].
///
/// ```
/// use argmin::core::{CostFunction, Error, Gradient};
/// use curvlab::argmin::{FromArgmin, HessianVec};
/// use curvlab::Objective;
/// /// f(x) = x₀² + 10 x₁², with its exact Hessian-vector product.
/// struct Q;
/// impl CostFunction for Q {
///     type Param = Vec<f64>; type Output = f64;
///     fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> { Ok(x[0] * x[0] + 10.0 * x[1] * x[1]) }
/// }
/// impl Gradient for Q {
///     type Param = Vec<f64>; type Gradient = Vec<f64>;
///     fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> { Ok(vec![2.0 * x[0], 20.0 * x[1]]) }
/// }
/// impl HessianVec for Q {
///     type Param = Vec<f64>;
///     fn hessian_vec(&self, _x: &Vec<f64>, v: &Vec<f64>) -> Result<Vec<f64>, Error> {
///         Ok(vec![2.0 * v[0], 20.0 * v[1]])
///     }
/// }
/// let f = FromArgmin::new(Q, 2).unwrap();
/// let op = curvlab::linalg::HessianOperator::new(&f, vec![1.0, 1.0]).unwrap();
/// let s = curvlab::curvature::spectrum(&op).unwrap();
/// assert!((s.eigenvalues[0] - 2.0).abs() < 1e-12 && (s.eigenvalues[1] - 20.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct FromArgmin<O> {
    problem: O,
    dim: usize,
}

impl<O> FromArgmin<O> {
    /// Wraps `problem` with `dim` variables ([`Error::InvalidParameter`] for `dim = 0`).
    pub fn new(problem: O, dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid(
                "dim",
                dim,
                "the number of variables must be >= 1",
            ));
        }
        Ok(FromArgmin { problem, dim })
    }

    /// The argmin problem.
    pub fn problem(&self) -> &O {
        &self.problem
    }
}

impl<O, P> FromArgmin<O>
where
    O: CostFunction<Param = P, Output = f64>
        + Gradient<Param = P, Gradient = P>
        + HessianVec<Param = P>
        + Send
        + Sync,
    P: ArgminVector,
{
    fn param(&self, x: &[f64]) -> Result<P> {
        check_len("x", self.dim, x.len())?;
        Ok(P::from_f64_vec(x.to_vec()))
    }

    /// Copies a vector the problem returned into `out`, checking its length.
    fn copy_out(&self, what: &str, got: &P, out: &mut [f64]) -> Result<()> {
        let s = got.as_f64_slice();
        check_len(what, self.dim, s.len())?;
        out.copy_from_slice(s);
        Ok(())
    }
}

impl<O, P> Objective for FromArgmin<O>
where
    O: CostFunction<Param = P, Output = f64>
        + Gradient<Param = P, Gradient = P>
        + HessianVec<Param = P>
        + Send
        + Sync,
    P: ArgminVector,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        Ok(self.problem.cost(&self.param(x)?)?)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("gradient buffer", self.dim, g.len())?;
        let p = self.param(x)?;
        let grad = self.problem.gradient(&p)?;
        self.copy_out("gradient returned by the argmin problem", &grad, g)?;
        Ok(self.problem.cost(&p)?)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.dim, v.len())?;
        check_len("hvp buffer", self.dim, out.len())?;
        let p = self.param(x)?;
        if O::HAS_HESSIAN_VEC {
            let hv = self.problem.hessian_vec(&p, &P::from_f64_vec(v.to_vec()))?;
            return self.copy_out(
                "Hessian-vector product returned by the argmin problem",
                &hv,
                out,
            );
        }
        if O::HAS_HESSIAN {
            let h = self.hessian(x)?;
            dense_product(&h, v, out);
            return Ok(());
        }
        Err(Error::Unsupported(format!(
            "Hessian-vector products are not available: the argmin problem implements neither \
             `curvlab::argmin::HessianVec` nor argmin's `Hessian`{}",
            finite_difference_hint()
        )))
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        if O::HAS_HESSIAN {
            let h = self.problem.dense_hessian(&self.param(x)?)?;
            check_len(
                "Hessian rows returned by the argmin problem",
                self.dim,
                h.nrows(),
            )?;
            check_len(
                "Hessian columns returned by the argmin problem",
                self.dim,
                h.ncols(),
            )?;
            return Ok(h);
        }
        crate::objective::assemble_hessian(self, x)
    }
    fn hvp_note(&self) -> Option<String> {
        self.problem.finite_difference_note()
    }
}

/// Gives an argmin problem with values and gradients only (`CostFunction + Gradient`) central
/// finite-difference Hessian-vector products, `(∇f(x + hv) − ∇f(x − hv)) / 2h` with
/// `h = ∛ε (1 + ‖x‖)/‖v‖` (Nocedal & Wright 2006, §8.1): curvlab's second-order methods
/// ([`super::ArgminSolver`]) and diagnostics ([`FromArgmin`]) then run on it. Products are
/// accurate to about 1e-8 relative, not to rounding; a [`FromArgmin`] of it says so in every
/// report ([`Objective::hvp_note`]).
///
/// ```
/// use argmin::core::{CostFunction, Error, Gradient};
/// use curvlab::argmin::{FiniteDifferences, HessianVec};
/// struct Quartic;
/// impl CostFunction for Quartic {
///     type Param = Vec<f64>; type Output = f64;
///     fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> { Ok(x[0].powi(4)) }
/// }
/// impl Gradient for Quartic {
///     type Param = Vec<f64>; type Gradient = Vec<f64>;
///     fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> { Ok(vec![4.0 * x[0].powi(3)]) }
/// }
/// let hv = FiniteDifferences(Quartic).hessian_vec(&vec![1.0], &vec![1.0]).unwrap();
/// assert!((hv[0] - 12.0).abs() < 1e-6); // f'' = 12 x²
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FiniteDifferences<O>(pub O);

impl<O: CostFunction> CostFunction for FiniteDifferences<O> {
    type Param = O::Param;
    type Output = O::Output;
    fn cost(&self, x: &Self::Param) -> std::result::Result<Self::Output, ArgminError> {
        self.0.cost(x)
    }
}

impl<O: Gradient> Gradient for FiniteDifferences<O> {
    type Param = O::Param;
    type Gradient = O::Gradient;
    fn gradient(&self, x: &Self::Param) -> std::result::Result<Self::Gradient, ArgminError> {
        self.0.gradient(x)
    }
}

impl<O, P> HessianVec for FiniteDifferences<O>
where
    O: Gradient<Param = P, Gradient = P>,
    P: ArgminVector,
{
    type Param = P;
    fn hessian_vec(&self, x: &P, v: &P) -> std::result::Result<P, ArgminError> {
        let (xs, vs) = (x.as_f64_slice(), v.as_f64_slice());
        check_len("v", xs.len(), vs.len())?;
        let vn = crate::linalg::vector::norm(vs);
        if vn == 0.0 {
            return Ok(P::from_f64_vec(vec![0.0; xs.len()]));
        }
        let h = f64::EPSILON.cbrt() * (1.0 + crate::linalg::vector::norm(xs)) / vn;
        let shifted = |s: f64| P::from_f64_vec(xs.iter().zip(vs).map(|(a, b)| a + s * b).collect());
        let gp = self.0.gradient(&shifted(h))?;
        let gm = self.0.gradient(&shifted(-h))?;
        let (gp, gm) = (gp.as_f64_slice(), gm.as_f64_slice());
        check_len(
            "gradient returned by the argmin problem",
            xs.len(),
            gp.len(),
        )?;
        check_len(
            "gradient returned by the argmin problem",
            xs.len(),
            gm.len(),
        )?;
        let out = gp
            .iter()
            .zip(gm)
            .map(|(p, m)| (p - m) / (2.0 * h))
            .collect();
        Ok(P::from_f64_vec(out))
    }
    fn finite_difference_note(&self) -> Option<String> {
        Some(crate::objective::FINITE_DIFFERENCE_NOTE.to_string())
    }
}
