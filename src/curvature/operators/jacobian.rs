//! The Jacobian `J ∈ R^{(N·k) × n}` of all the model's outputs in the parameters, and its
//! transpose, as matrix-free operators (curvlinops' `JacobianLinearOperator` and
//! `TransposedJacobianLinearOperator`): `J v` by the forward R-pass (Pearlmutter 1994), `Jᵀ u` by
//! back-propagating the output vectors `uᵢ` (Rumelhart, Hinton & Williams 1986). Rows are
//! example-major: row `i·k + c` is `∂z_{i,c}/∂θ`. These are rectangular, so they implement
//! [`RectangularOperator`] rather than the square [`crate::linalg::LinearOperator`].

use super::{Applications, DEFAULT_BATCH_SIZE, OutputModel, check_batch_size, for_batches};
use crate::error::{Result, check_finite, check_len};
use crate::linalg::vector::axpy;

/// A matrix-free `rows × cols` operator.
///
/// ```
/// use curvlab::curvature::operators::{Jacobian, RectangularOperator};
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
/// let j: &dyn RectangularOperator = &Jacobian::new(&f, vec![0.0; 3]).unwrap();
/// assert_eq!(j.shape(), (10, 3));
/// assert!(j.apply(&[1.0], &mut [0.0; 10]).is_err()); // wrong length: an error
/// ```
pub trait RectangularOperator: Send + Sync {
    /// `(rows, cols)`.
    fn shape(&self) -> (usize, usize);
    /// Writes `A v` (`rows` entries) for `v` of `cols` entries.
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()>;
}

/// The output Jacobian `J` of an [`OutputModel`] at `x` over the whole training set.
///
/// ```
/// use curvlab::curvature::operators::{Jacobian, RectangularOperator};
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(5, 2, 0).unwrap();
/// let j = Jacobian::new(&f, vec![0.0; 3]).unwrap();
/// assert_eq!(j.shape(), (5, 3));
/// let mut out = [0.0; 5];
/// j.apply(&[0.0, 0.0, 1.0], &mut out).unwrap(); // the bias column is all ones
/// assert_eq!(out, [1.0; 5]);
/// ```
pub struct Jacobian<'a, M: ?Sized> {
    model: &'a M,
    x: Vec<f64>,
    batch_size: usize,
    count: Applications,
}

/// `Jᵀ` of an [`OutputModel`] at `x` (see [`Jacobian`]).
///
/// ```
/// use curvlab::curvature::operators::{RectangularOperator, TransposedJacobian};
/// use curvlab::problems::logistic::LogisticRegression;
/// let f = LogisticRegression::synthetic(5, 2, 0).unwrap();
/// let jt = TransposedJacobian::new(&f, vec![0.0; 3]).unwrap();
/// assert_eq!(jt.shape(), (3, 5));
/// let mut out = [0.0; 3];
/// jt.apply(&[1.0; 5], &mut out).unwrap();
/// assert_eq!(out[2], 5.0); // Σᵢ ∂zᵢ/∂b
/// ```
pub struct TransposedJacobian<'a, M: ?Sized> {
    model: &'a M,
    x: Vec<f64>,
    batch_size: usize,
    count: Applications,
}

macro_rules! common {
    ($name:ident) => {
        impl<'a, M: OutputModel + ?Sized> $name<'a, M> {
            /// At `x`, minibatches of the default size.
            pub fn new(model: &'a M, x: Vec<f64>) -> Result<Self> {
                check_len("x", model.num_params(), x.len())?;
                check_finite("x", &x, 0)?;
                Ok($name {
                    model,
                    x,
                    batch_size: DEFAULT_BATCH_SIZE,
                    count: Applications::default(),
                })
            }
            /// Examples per minibatch (`≥ 1`).
            pub fn with_batch_size(mut self, batch_size: usize) -> Result<Self> {
                self.batch_size = check_batch_size(batch_size)?;
                Ok(self)
            }
            /// Applications so far.
            pub fn counter(&self) -> &Applications {
                &self.count
            }
        }
    };
}
common!(Jacobian);
common!(TransposedJacobian);

impl<M: OutputModel + ?Sized> RectangularOperator for Jacobian<'_, M> {
    fn shape(&self) -> (usize, usize) {
        (
            self.model.num_data() * self.model.num_outputs(),
            self.model.num_params(),
        )
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let (rows, cols) = self.shape();
        check_len("v", cols, v.len())?;
        check_len("output", rows, out.len())?;
        let k = self.model.num_outputs();
        for_batches(self.model.num_data(), self.batch_size, |batch| {
            let ob = super::batch_outputs(self.model, &self.x, batch, Some(v))?;
            let first = batch[0] * k;
            out[first..first + ob.jv.len()].copy_from_slice(&ob.jv);
            Ok(())
        })?;
        self.count.bump(self.model.num_data());
        check_finite("Jacobian product", out, 0)
    }
}

impl<M: OutputModel + ?Sized> RectangularOperator for TransposedJacobian<'_, M> {
    fn shape(&self) -> (usize, usize) {
        (
            self.model.num_params(),
            self.model.num_data() * self.model.num_outputs(),
        )
    }
    fn apply(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        let (rows, cols) = self.shape();
        check_len("u", cols, u.len())?;
        check_len("output", rows, out.len())?;
        let k = self.model.num_outputs();
        out.fill(0.0);
        let mut part = vec![0.0; rows];
        for_batches(self.model.num_data(), self.batch_size, |batch| {
            let first = batch[0] * k;
            let ub = &u[first..first + batch.len() * k];
            self.model.vjp(&self.x, batch, ub, &mut part)?;
            axpy(1.0, &part, out);
            Ok(())
        })?;
        self.count.bump(self.model.num_data());
        check_finite("transposed Jacobian product", out, 0)
    }
}
