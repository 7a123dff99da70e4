//! The parameter and Hessian types the argmin plugin speaks: `Vec<f64>` with `Vec<Vec<f64>>`
//! (argmin-math's `vec` backend) and nalgebra 0.34 `DVector<f64>` with `DMatrix<f64>` (its
//! `nalgebra_latest` backend). Both are viewed as slices without copying; Hessians are copied
//! into faer matrices once per evaluation.

use crate::error::Error;
use faer::Mat;
use nalgebra::{DMatrix, DVector};

/// A parameter vector argmin problems use: viewed as `&[f64]`, built from `Vec<f64>`.
///
/// ```
/// use curvlab::argmin::ArgminVector;
/// let v = nalgebra::DVector::from_f64_vec(vec![1.0, 2.0]);
/// assert_eq!(v.as_f64_slice(), &[1.0, 2.0]);
/// assert_eq!(Vec::<f64>::from_f64_vec(vec![3.0]).as_f64_slice(), &[3.0]);
/// ```
pub trait ArgminVector: Clone + Send + Sync + 'static {
    /// The matching dense matrix type (argmin's `Hessian::Hessian`).
    type Matrix: ArgminMatrix;
    /// The entries as a slice.
    fn as_f64_slice(&self) -> &[f64];
    /// The vector with these entries.
    fn from_f64_vec(v: Vec<f64>) -> Self;
}

/// A dense square matrix argmin problems use as their Hessian.
///
/// ```
/// use curvlab::argmin::ArgminMatrix;
/// let h = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
/// let m = <Vec<Vec<f64>> as ArgminMatrix>::to_faer(&h).unwrap();
/// assert_eq!(m[(1, 0)], 3.0);
/// assert_eq!(<Vec<Vec<f64>> as ArgminMatrix>::from_faer(&m), h);
/// assert!(<Vec<Vec<f64>> as ArgminMatrix>::to_faer(&vec![vec![1.0], vec![]]).is_err());
/// ```
pub trait ArgminMatrix: Sized {
    /// A faer copy; a ragged matrix is an error.
    fn to_faer(&self) -> Result<Mat<f64>, Error>;
    /// The matrix with the entries of `m`.
    fn from_faer(m: &Mat<f64>) -> Self;
}

impl ArgminVector for Vec<f64> {
    type Matrix = Vec<Vec<f64>>;
    fn as_f64_slice(&self) -> &[f64] {
        self
    }
    fn from_f64_vec(v: Vec<f64>) -> Self {
        v
    }
}

impl ArgminVector for DVector<f64> {
    type Matrix = DMatrix<f64>;
    fn as_f64_slice(&self) -> &[f64] {
        self.as_slice()
    }
    fn from_f64_vec(v: Vec<f64>) -> Self {
        DVector::from_vec(v)
    }
}

impl ArgminMatrix for Vec<Vec<f64>> {
    fn to_faer(&self) -> Result<Mat<f64>, Error> {
        let n = self.len();
        let m = self.first().map_or(0, |r| r.len());
        for r in self {
            crate::error::check_len("Hessian row", m, r.len())?;
        }
        Ok(Mat::from_fn(n, m, |i, j| self[i][j]))
    }
    fn from_faer(m: &Mat<f64>) -> Self {
        (0..m.nrows())
            .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
            .collect()
    }
}

impl ArgminMatrix for DMatrix<f64> {
    fn to_faer(&self) -> Result<Mat<f64>, Error> {
        Ok(Mat::from_fn(self.nrows(), self.ncols(), |i, j| {
            self[(i, j)]
        }))
    }
    fn from_faer(m: &Mat<f64>) -> Self {
        DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
    }
}
