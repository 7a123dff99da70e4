//! Conversions at the boundary between curvlab (`&[f64]`, `faer::Mat<f64>`) and the types a
//! model may already use: `Vec<f64>`, nalgebra `DVector<f64>` / `DMatrix<f64>` and faer
//! `Mat<f64>` / `Col<f64>`; and [`LinearOperator`] for nalgebra
//! matrices and for closures ([`FnOperator`]), so Lanczos, CG and the spectrum diagnostics
//! (Golub & Van Loan 2013, ch. 10–11) run on them directly.
//!
//! All three matrix types are column-major, so views convert without copying where the target
//! borrows ([`dmatrix_view`]); owned conversions copy once.
//!
//! ```
//! use curvlab::interop::{dmatrix_to_faer, faer_to_dmatrix, to_dvector};
//! let m = nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
//! let f = dmatrix_to_faer(&m);
//! assert_eq!(f[(0, 1)], 2.0);
//! assert_eq!(faer_to_dmatrix(&f), m);
//! assert_eq!(to_dvector(&[1.0, 2.0])[1], 2.0);
//! ```

use crate::error::{Result, check_len};
use crate::linalg::LinearOperator;
use faer::{Col, Mat, MatRef};
use nalgebra::{DMatrix, DVector};

/// A nalgebra vector with the entries of `x`.
///
/// ```
/// let v = curvlab::interop::to_dvector(&[1.0, 2.0]);
/// assert_eq!(v, nalgebra::DVector::from_vec(vec![1.0, 2.0]));
/// ```
pub fn to_dvector(x: &[f64]) -> DVector<f64> {
    DVector::from_column_slice(x)
}

/// A faer column with the entries of `x`.
///
/// ```
/// let c = curvlab::interop::to_faer_col(&[1.0, 2.0]);
/// assert_eq!((c.nrows(), c[1]), (2, 2.0));
/// ```
pub fn to_faer_col(x: &[f64]) -> Col<f64> {
    Col::from_fn(x.len(), |i| x[i])
}

/// The entries of a faer column as a `Vec<f64>`.
///
/// ```
/// let c = faer::col![1.0, 2.0];
/// assert_eq!(curvlab::interop::faer_col_to_vec(&c), vec![1.0, 2.0]);
/// ```
pub fn faer_col_to_vec(c: &Col<f64>) -> Vec<f64> {
    c.iter().copied().collect()
}

/// A faer view of a nalgebra matrix, without copying (both are column-major).
///
/// ```
/// let m = nalgebra::DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let v = curvlab::interop::dmatrix_view(&m);
/// assert_eq!((v.nrows(), v.ncols(), v[(1, 2)]), (2, 3, 6.0));
/// ```
pub fn dmatrix_view(m: &DMatrix<f64>) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(m.as_slice(), m.nrows(), m.ncols())
}

/// An owned faer copy of a nalgebra matrix.
///
/// ```
/// let m = nalgebra::DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
/// assert_eq!(curvlab::interop::dmatrix_to_faer(&m)[(0, 1)], 2.0);
/// ```
pub fn dmatrix_to_faer(m: &DMatrix<f64>) -> Mat<f64> {
    dmatrix_view(m).to_owned()
}

/// A nalgebra copy of a faer matrix (a Hessian from [`crate::Objective::hessian`], say).
///
/// ```
/// let h = faer::mat![[2.0, 1.0], [1.0, 3.0]];
/// let m = curvlab::interop::faer_to_dmatrix(&h);
/// assert_eq!(m[(1, 0)], 1.0);
/// ```
pub fn faer_to_dmatrix(m: &Mat<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
}

/// A nalgebra matrix is a linear operator (it must be square; [`crate::Error::Dimension`]
/// otherwise, at the first product). Dense diagnostics use it without copying
/// ([`LinearOperator::as_dense`]).
///
/// ```
/// use curvlab::linalg::LinearOperator;
/// let a = nalgebra::DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 3.0]);
/// let mut out = [0.0; 2];
/// a.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [3.0, 4.0]);
/// let s = curvlab::curvature::spectrum(&a).unwrap();
/// assert!((s.eigenvalues[1] - (2.5 + 1.25f64.sqrt())).abs() < 1e-12);
/// let wide = nalgebra::DMatrix::<f64>::zeros(2, 3);
/// assert!(wide.apply(&[0.0; 2], &mut out).is_err());
/// ```
impl LinearOperator for DMatrix<f64> {
    fn dim(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len(
            "matrix columns (square operator)",
            self.nrows(),
            self.ncols(),
        )?;
        check_len("v", self.ncols(), v.len())?;
        check_len("out", self.nrows(), out.len())?;
        out.fill(0.0);
        for (j, vj) in v.iter().enumerate() {
            for (o, a) in out.iter_mut().zip(self.column(j).iter()) {
                *o += a * vj;
            }
        }
        Ok(())
    }
    fn as_dense(&self) -> Option<MatRef<'_, f64>> {
        (self.nrows() == self.ncols()).then(|| dmatrix_view(self))
    }
}

/// A linear operator from a closure `(v, out) ↦ out = A v` of dimension `n` (a matrix-free
/// product of your own: a Fisher matrix, a Gauss-Newton product, a discretized operator).
///
/// ```
/// use curvlab::interop::FnOperator;
/// use curvlab::curvature::{Lanczos, Which};
/// // diag(1, 2, …, 50) without storing it.
/// let a = FnOperator::new(50, |v, out| {
///     for (i, (o, x)) in out.iter_mut().zip(v).enumerate() { *o = (i + 1) as f64 * x; }
///     Ok(())
/// }).unwrap();
/// let r = Lanczos::new(1, Which::Both).unwrap().with_seed(0).unwrap().run(&a).unwrap();
/// assert!((r.largest[0].value - 50.0).abs() < 1e-6 && (r.smallest[0].value - 1.0).abs() < 1e-6);
/// assert!(FnOperator::new(0, |_, _| Ok(())).is_err());
/// ```
pub struct FnOperator<F> {
    dim: usize,
    f: F,
}

impl<F> std::fmt::Debug for FnOperator<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnOperator")
            .field("dim", &self.dim)
            .finish()
    }
}

impl<F> FnOperator<F>
where
    F: Fn(&[f64], &mut [f64]) -> Result<()> + Send + Sync,
{
    /// Wraps `apply`; [`crate::Error::InvalidParameter`] for `dim = 0`.
    pub fn new(dim: usize, apply: F) -> Result<Self> {
        if dim == 0 {
            return Err(crate::Error::invalid(
                "dim",
                dim,
                "the dimension must be >= 1",
            ));
        }
        Ok(FnOperator { dim, f: apply })
    }
}

impl<F> LinearOperator for FnOperator<F>
where
    F: Fn(&[f64], &mut [f64]) -> Result<()> + Send + Sync,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.dim, v.len())?;
        check_len("out", self.dim, out.len())?;
        (self.f)(v, out)?;
        crate::error::check_finite("operator product", out, 0)
    }
}
