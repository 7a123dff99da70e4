//! The full symmetric eigendecomposition of an operator with faer's self-adjoint eigensolver
//! (Householder tridiagonalization and divide and conquer / QR; Golub & Van Loan 2013, ch. 8),
//! after checking that the operator is square, finite and symmetric. A matrix with entries
//! beyond `[1e-100, 1e100]` in magnitude is scaled by a power of two (exact) before the
//! decomposition and the eigenvalues scaled back, so `diag(1e308)` gives `1e308`, not `inf`;
//! an eigenvalue beyond `f64`'s range is an error, never `inf`.

use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use faer::Mat;

/// Relative asymmetry `max|A − Aᵀ| / max|A|` above which [`spectrum`](fn@spectrum) refuses an operator.
pub const DEFAULT_SYMMETRY_TOL: f64 = 1e-8;

/// The eigenvalues of a symmetric operator, ascending, optionally with unit eigenvectors.
///
/// ```
/// let s = curvlab::curvature::Spectrum::from_eigenvalues(vec![3.0, -1.0, 2.0]).unwrap();
/// assert_eq!(s.eigenvalues, vec![-1.0, 2.0, 3.0]);
/// assert_eq!(s.largest(2), vec![3.0, 2.0]);
/// assert_eq!(s.condition_number(), 3.0);
/// assert_eq!(s.trace(), 4.0);
/// ```
#[derive(Debug, Clone)]
pub struct Spectrum {
    /// Eigenvalues, ascending.
    pub eigenvalues: Vec<f64>,
    /// Unit eigenvectors as columns (column `i` belongs to `eigenvalues[i]`), when requested.
    pub eigenvectors: Option<Mat<f64>>,
    /// The measured relative asymmetry `max|A − Aᵀ| / max|A|` of the input (the matrix was
    /// symmetrized as `(A + Aᵀ)/2` before the decomposition).
    pub asymmetry: f64,
}

impl Spectrum {
    /// A spectrum from known eigenvalues (sorted here); they must be finite and nonempty.
    pub fn from_eigenvalues(mut eigenvalues: Vec<f64>) -> Result<Self> {
        if eigenvalues.is_empty() {
            return Err(Error::invalid("eigenvalues", "[]", "must be nonempty"));
        }
        if !eigenvalues.iter().all(|x| x.is_finite()) {
            return Err(Error::NonFinite {
                what: "eigenvalues".into(),
                iteration: 0,
            });
        }
        eigenvalues.sort_by(f64::total_cmp);
        Ok(Spectrum {
            eigenvalues,
            eigenvectors: None,
            asymmetry: 0.0,
        })
    }
    /// The dimension `n`.
    pub fn n(&self) -> usize {
        self.eigenvalues.len()
    }
    /// The smallest eigenvalue.
    pub fn min(&self) -> f64 {
        self.eigenvalues.first().copied().unwrap_or(f64::NAN)
    }
    /// The largest eigenvalue.
    pub fn max(&self) -> f64 {
        self.eigenvalues.last().copied().unwrap_or(f64::NAN)
    }
    /// The `k` largest eigenvalues, descending (fewer when `k > n`).
    pub fn largest(&self, k: usize) -> Vec<f64> {
        self.eigenvalues.iter().rev().take(k).copied().collect()
    }
    /// The `k` smallest eigenvalues, ascending (fewer when `k > n`).
    pub fn smallest(&self, k: usize) -> Vec<f64> {
        self.eigenvalues.iter().take(k).copied().collect()
    }
    /// `κ = max|λ| / min|λ|` (`∞` for a singular matrix). For an indefinite spectrum this is
    /// the ratio of the largest to the smallest *magnitude* (the 2-norm condition number
    /// `‖A‖‖A⁻¹‖`), not `λ_max/λ_min`: it says how close `A` is to singular, not a rate of
    /// gradient descent (which needs a positive definite `A`).
    ///
    /// ```
    /// let s = curvlab::curvature::Spectrum::from_eigenvalues(vec![-4.0, 0.5, 2.0]).unwrap();
    /// assert_eq!(s.condition_number(), 8.0); // |−4| / |0.5|
    /// ```
    pub fn condition_number(&self) -> f64 {
        let big = self.eigenvalues.iter().fold(0.0f64, |m, l| m.max(l.abs()));
        let small = self
            .eigenvalues
            .iter()
            .fold(f64::INFINITY, |m, l| m.min(l.abs()));
        if small == 0.0 {
            f64::INFINITY
        } else {
            big / small
        }
    }
    /// `tr A = Σ λᵢ`.
    pub fn trace(&self) -> f64 {
        self.eigenvalues.iter().sum()
    }
}

/// The dense matrix of `op` (its own dense view when it has one, else `n` applications to unit
/// vectors), checked to be square and finite, with its relative asymmetry
/// `max|A − Aᵀ| / max|A|`; an error when the asymmetry exceeds `symmetry_tol`. Returns the
/// symmetrized matrix `(A + Aᵀ)/2` and the asymmetry.
///
/// ```
/// use curvlab::curvature::symmetric_dense;
/// let a = faer::mat![[1.0, 2.0], [2.0, 1.0]];
/// let (m, asym) = symmetric_dense(&a, 1e-8).unwrap();
/// assert_eq!(asym, 0.0);
/// assert_eq!(m[(0, 1)], 2.0);
/// let b = faer::mat![[1.0, 2.0], [0.0, 1.0]];
/// let e = symmetric_dense(&b, 1e-8).unwrap_err().to_string();
/// assert!(e.contains("asymmetry") && e.contains("1.000e0"), "{e}");
/// ```
pub fn symmetric_dense<A: LinearOperator + ?Sized>(
    op: &A,
    symmetry_tol: f64,
) -> Result<(Mat<f64>, f64)> {
    if !(symmetry_tol >= 0.0) {
        return Err(Error::invalid("symmetry_tol", symmetry_tol, "must be >= 0"));
    }
    let mut a = match op.as_dense() {
        Some(m) => {
            if m.nrows() != m.ncols() {
                return Err(Error::Dimension {
                    what: format!(
                        "matrix columns ({} x {} is not square)",
                        m.nrows(),
                        m.ncols()
                    ),
                    expected: m.nrows(),
                    got: m.ncols(),
                });
            }
            m.to_owned()
        }
        None => crate::linalg::operator::to_dense(op)?,
    };
    let n = a.nrows();
    let mut amax = 0.0f64;
    let mut dmax = 0.0f64;
    for j in 0..n {
        for i in 0..n {
            let x = a[(i, j)];
            if !x.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("matrix entry ({i}, {j})"),
                    iteration: 0,
                });
            }
            amax = amax.max(x.abs());
            if i < j {
                dmax = dmax.max((x - a[(j, i)]).abs());
            }
        }
    }
    let asym = if amax > 0.0 { dmax / amax } else { 0.0 };
    if asym > symmetry_tol {
        return Err(Error::invalid(
            "operator",
            "not symmetric",
            &format!(
                "asymmetry max|A − Aᵀ| / max|A| = {asym:.3e} exceeds the tolerance {symmetry_tol:.1e}"
            ),
        ));
    }
    // (A + Aᵀ)/2 as A/2 + Aᵀ/2: the same bits (halving is exact), no overflow near f64::MAX.
    for j in 0..n {
        for i in 0..j {
            let s = 0.5 * a[(i, j)] + 0.5 * a[(j, i)];
            a[(i, j)] = s;
            a[(j, i)] = s;
        }
    }
    Ok((a, asym))
}

fn decompose<A: LinearOperator + ?Sized>(op: &A, vectors: bool) -> Result<Spectrum> {
    let (a, asymmetry) = symmetric_dense(op, DEFAULT_SYMMETRY_TOL)?;
    let fail = |_| Error::Numerical("symmetric eigensolver did not converge".into());
    if a.nrows() == 0 {
        return Err(Error::invalid(
            "operator",
            "n = 0",
            "dimension must be >= 1",
        ));
    }
    let (a, sigma) = scaled(a);
    let (mut eigenvalues, eigenvectors) = if vectors {
        let e = a.self_adjoint_eigen(faer::Side::Lower).map_err(fail)?;
        let n = a.nrows();
        (
            (0..n).map(|i| e.S()[i]).collect::<Vec<f64>>(),
            Some(e.U().to_owned()),
        )
    } else {
        let ev = a
            .self_adjoint_eigenvalues(faer::Side::Lower)
            .map_err(fail)?;
        (ev, None)
    };
    eigenvalues.iter_mut().for_each(|l| *l /= sigma);
    if let Some(i) = eigenvalues.iter().position(|l| !l.is_finite()) {
        return Err(Error::NonFinite {
            what: format!(
                "eigenvalue {i} = {} (beyond f64's range: |λ| ≤ n·max|aᵢⱼ| exceeds {:e})",
                eigenvalues[i],
                f64::MAX
            ),
            iteration: 0,
        });
    }
    Ok(Spectrum {
        eigenvalues,
        eigenvectors,
        asymmetry,
    })
}

/// `(σA, σ)` with `σ = 2^-round(log₂ max|aᵢⱼ|)` when `max|aᵢⱼ|` is far from 1 (beyond
/// `[1e-100, 1e100]`), else `(A, 1)`: the eigensolver's norms of a matrix with entries near
/// `f64::MAX` overflow, and a power of two scales exactly.
fn scaled(mut a: Mat<f64>) -> (Mat<f64>, f64) {
    let mut amax = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            amax = amax.max(a[(i, j)].abs());
        }
    }
    if amax == 0.0 || (1e-100..=1e100).contains(&amax) {
        return (a, 1.0);
    }
    let sigma = 2f64.powi(-(amax.log2().round() as i32));
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            a[(i, j)] *= sigma;
        }
    }
    (a, sigma)
}

/// All eigenvalues of a symmetric operator, ascending (dense, `O(n³)`); the asymmetry
/// `max|A − Aᵀ| / max|A|` must not exceed [`DEFAULT_SYMMETRY_TOL`], entries must be finite.
///
/// ```
/// let a = faer::mat![[2.0, 1.0], [1.0, 2.0]];
/// let s = curvlab::curvature::spectrum(&a).unwrap();
/// assert!((s.eigenvalues[0] - 1.0).abs() < 1e-14 && (s.eigenvalues[1] - 3.0).abs() < 1e-14);
/// assert!(curvlab::curvature::spectrum(&faer::mat![[0.0, 1.0], [0.0, 0.0]]).is_err());
/// ```
pub fn spectrum<A: LinearOperator + ?Sized>(op: &A) -> Result<Spectrum> {
    decompose(op, false)
}

/// Like [`spectrum`](fn@spectrum), with unit eigenvectors.
///
/// ```
/// let a = faer::mat![[2.0, 0.0], [0.0, 1.0]];
/// let s = curvlab::curvature::spectrum_with_vectors(&a).unwrap();
/// let u = s.eigenvectors.unwrap();
/// assert!((u[(1, 0)].abs() - 1.0).abs() < 1e-14); // λ = 1 belongs to e₂
/// ```
pub fn spectrum_with_vectors<A: LinearOperator + ?Sized>(op: &A) -> Result<Spectrum> {
    decompose(op, true)
}
