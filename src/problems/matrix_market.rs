//! The registry problem `matrix`: the quadratic `f(x) = ½xᵀAx − bᵀx` with `b = A·1` for the
//! symmetric matrix `A` of a Matrix Market file (Boisvert, Pozo & Remington 1996), so that
//! `x* = 1` and `f* = −½·1ᵀA1` whenever `A` is positive definite — the classic way sparse test
//! matrices (SuiteSparse, Davis & Hu 2011) are turned into linear systems with a known solution.
//! The matrix itself is a [`CsrMatrix`] from [`crate::linalg::sparse`].

use crate::error::{Error, Result, check_len};
use crate::linalg::sparse::CsrMatrix;
use crate::objective::Objective;
use crate::params::{ParamInfo, Params};
use crate::problems::registry::{ProblemInfo, ProblemInstance, label};
use faer::Mat;
use std::path::PathBuf;

/// Registry entry for the quadratic defined by a Matrix Market file.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "matrix",
    summary: "½xᵀAx − bᵀx, b = A·1, for the SPD matrix A of a Matrix Market file (x* = 1), start 0",
    params: &[ParamInfo {
        name: "path",
        default: "(required)",
        doc: "Matrix Market file (coordinate|array real general|symmetric) (--matrix)",
    }],
};

/// Builds the `matrix` problem from the file `path`: `A` must be square and symmetric; `x₀ = 0`,
/// and `x* = 1`, `f* = −½·1ᵀA1` are reported (they are the minimizer and minimum when `A` is
/// positive definite, which is the problem's premise).
///
/// ```
/// use curvlab::linalg::sparse::CsrMatrix;
/// use curvlab::params::{Params, Value};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("lap.mtx");
/// CsrMatrix::laplacian_2d(3).unwrap().write_matrix_market(&path, Default::default()).unwrap();
/// let mut p = Params::new();
/// p.insert("path", Value::Str(path.display().to_string()));
/// let inst = curvlab::problems::build_problem("matrix", &p, 0).unwrap();
/// assert_eq!(inst.x_star, Some(vec![1.0; 9]));
/// ```
pub fn build(p: &Params, _seed: u64) -> Result<ProblemInstance> {
    let path = p
        .get("path")
        .map(|v| PathBuf::from(v.to_string()))
        .ok_or_else(|| {
            Error::invalid(
                "path",
                "(none)",
                "the matrix problem needs a Matrix Market file: --matrix F.mtx or path=F.mtx",
            )
        })?;
    let a = CsrMatrix::read_matrix_market(&path)?;
    let q = SparseQuadratic::new(a).map_err(|e| match e {
        Error::InvalidParameter { reason, .. } => Error::invalid("path", path.display(), &reason),
        other => other,
    })?;
    let n = q.dim();
    let f_star = -0.5 * q.b.iter().sum::<f64>();
    Ok(ProblemInstance {
        kind: INFO.name.into(),
        label: label(INFO.name, p),
        x0: vec![0.0; n],
        f_star: Some(f_star),
        x_star: Some(vec![1.0; n]),
        eigenvalues: None,
        objective: Box::new(q),
    })
}

/// The quadratic `f(x) = ½xᵀAx − bᵀx` with a sparse symmetric `A` and `b = A·1` (the problem
/// `matrix`). Its Hessian is `A` at every point.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::linalg::sparse::CsrMatrix;
/// use curvlab::problems::matrix_market::SparseQuadratic;
/// let q = SparseQuadratic::new(CsrMatrix::laplacian_2d(4).unwrap()).unwrap();
/// let mut g = vec![0.0; 16];
/// q.gradient(&vec![1.0; 16], &mut g).unwrap();
/// assert!(g.iter().all(|gi| *gi == 0.0));
/// ```
#[derive(Debug, Clone)]
pub struct SparseQuadratic {
    a: CsrMatrix,
    b: Vec<f64>,
}

impl SparseQuadratic {
    /// `A` must be square and symmetric (an error otherwise).
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// use curvlab::problems::matrix_market::SparseQuadratic;
    /// assert!(SparseQuadratic::new(CsrMatrix::from_triplets(2, 2, &[(0, 1, 1.0)]).unwrap()).is_err());
    /// ```
    pub fn new(a: CsrMatrix) -> Result<Self> {
        if a.nrows() != a.ncols() || a.nrows() == 0 {
            return Err(Error::invalid(
                "matrix",
                format!("{} x {}", a.nrows(), a.ncols()),
                "must be square and nonempty",
            ));
        }
        if !a.is_symmetric() {
            return Err(Error::invalid(
                "matrix",
                format!("{} x {}", a.nrows(), a.ncols()),
                "must be symmetric",
            ));
        }
        let mut b = vec![0.0; a.nrows()];
        a.matvec(&vec![1.0; a.nrows()], &mut b)?;
        Ok(SparseQuadratic { a, b })
    }
    /// The matrix `A`.
    pub fn matrix(&self) -> &CsrMatrix {
        &self.a
    }
    /// `b = A·1`.
    pub fn b(&self) -> &[f64] {
        &self.b
    }
}

impl Objective for SparseQuadratic {
    fn dim(&self) -> usize {
        self.a.nrows()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        let mut ax = vec![0.0; self.dim()];
        self.a.matvec(x, &mut ax)?;
        Ok(0.5 * crate::linalg::vector::dot(x, &ax) - crate::linalg::vector::dot(&self.b, x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        self.a.matvec(x, g)?;
        let f = 0.5 * crate::linalg::vector::dot(x, g) - crate::linalg::vector::dot(&self.b, x);
        crate::linalg::vector::axpy(-1.0, &self.b, g);
        Ok(f)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim(), x.len())?;
        self.a.matvec(v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.dim(), x.len())?;
        Ok(self.a.to_dense())
    }
}

/// What the `matrix` problem allocates, from the file's size line (read without marking the
/// parameter): the sparse matrix ([`crate::linalg::sparse::MatrixMarketSize::request`]), `b`,
/// `x₀` and `x*`, and the working set of `n`. `Ok(None)` without `path` (the builder reports
/// it); a file that cannot be opened or has a bad header is the reader's error.
///
/// ```
/// use curvlab::params::{Params, Value};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("big.mtx");
/// std::fs::write(&path, "%%MatrixMarket matrix coordinate real symmetric\n300000000 300000000 1\n1 1 2\n").unwrap();
/// let mut p = Params::new();
/// p.insert("path", Value::Str(path.display().to_string()));
/// let s = curvlab::problems::matrix_market::memory_request(&p).unwrap().unwrap();
/// assert_eq!(s.n, Some(300_000_000));
/// assert_eq!(s.request.bytes, Some(8 * 300_000_001 + 8 * 8 * 2 + 8 * 11 * 300_000_000));
/// ```
pub fn memory_request(p: &Params) -> Result<Option<super::registry::ProblemSize>> {
    use crate::memory::{f64s, peek_str, sum};
    let Some(path) = peek_str(p, "path") else {
        return Ok(None);
    };
    let size = CsrMatrix::read_matrix_market_size(&path)?;
    let n = size.ncols as u64;
    let mut request = size.request();
    request.bytes = sum(&[request.bytes, f64s(&[3, n])]);
    Ok(Some(super::registry::ProblemSize {
        n: Some(n),
        request,
    }))
}
