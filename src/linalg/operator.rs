//! Symmetric linear operators `v ↦ A v` that Krylov methods and diagnostics work on without
//! forming `A` (Nocedal & Wright 2006, ch. 7; Martens 2010, §4).

use crate::error::{Error, Result, check_finite, check_len};
use crate::objective::Objective;
use faer::{Mat, MatMut, MatRef};

/// A square linear operator. Most curvlab operators are symmetric (Hessians, Gauss-Newton
/// matrices); solvers that need symmetry say so.
///
/// ```
/// use curvlab::linalg::LinearOperator;
/// let a = faer::mat![[2.0, 1.0], [1.0, 3.0]];
/// let mut out = [0.0; 2];
/// a.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [3.0, 4.0]);
/// ```
pub trait LinearOperator: Send + Sync {
    /// The dimension `n` of the (square) operator.
    fn dim(&self) -> usize;
    /// Writes `A v` into `out`.
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()>;
    /// A dense copy of `A` when one is cheaply available (dense operators), `None` otherwise.
    fn as_dense(&self) -> Option<faer::MatRef<'_, f64>> {
        None
    }
    /// Writes `A X` into `Y` for a block `X` of `k` columns (`n × k`), counted as `k`
    /// applications. The default applies [`LinearOperator::apply`] to each column; dense and
    /// sparse matrices and the Hessian / GGN of the data problems override it with one
    /// matrix-matrix pass.
    ///
    /// ```
    /// use curvlab::linalg::LinearOperator;
    /// let a = faer::mat![[2.0, 1.0], [1.0, 3.0]];
    /// let x = faer::mat![[1.0, 0.0], [1.0, 1.0]];
    /// let mut y = faer::Mat::<f64>::zeros(2, 2);
    /// a.apply_block(x.as_ref(), y.as_mut()).unwrap();
    /// assert_eq!((y[(0, 0)], y[(1, 0)], y[(0, 1)], y[(1, 1)]), (3.0, 4.0, 1.0, 3.0));
    /// assert!(a.apply_block(x.as_ref(), faer::Mat::<f64>::zeros(3, 2).as_mut()).is_err());
    /// ```
    fn apply_block(&self, x: MatRef<'_, f64>, y: MatMut<'_, f64>) -> Result<()> {
        apply_block_by_columns(self, x, y)
    }
}

/// Checks the shapes of `Y = A X` for an operator of size `n`.
pub fn check_block(n: usize, x: MatRef<'_, f64>, y: &MatMut<'_, f64>) -> Result<()> {
    check_len("block rows", n, x.nrows())?;
    check_len("output block rows", n, y.nrows())?;
    check_len("output block columns", x.ncols(), y.ncols())
}

/// `Y = A X` one column at a time with [`LinearOperator::apply`] (the default of
/// [`LinearOperator::apply_block`]).
///
/// ```
/// use curvlab::linalg::operator::apply_block_by_columns;
/// let a = faer::mat![[2.0, 0.0], [0.0, 3.0]];
/// let mut y = faer::Mat::<f64>::zeros(2, 1);
/// apply_block_by_columns(&a, faer::mat![[1.0], [1.0]].as_ref(), y.as_mut()).unwrap();
/// assert_eq!((y[(0, 0)], y[(1, 0)]), (2.0, 3.0));
/// ```
pub fn apply_block_by_columns<A: LinearOperator + ?Sized>(
    op: &A,
    x: MatRef<'_, f64>,
    mut y: MatMut<'_, f64>,
) -> Result<()> {
    let n = op.dim();
    check_block(n, x, &y)?;
    let mut v = vec![0.0; n];
    let mut out = vec![0.0; n];
    for j in 0..x.ncols() {
        for (i, vi) in v.iter_mut().enumerate() {
            *vi = x[(i, j)];
        }
        op.apply(&v, &mut out)?;
        for (i, o) in out.iter().enumerate() {
            y[(i, j)] = *o;
        }
    }
    Ok(())
}

/// Forms the dense matrix of any operator from `n` applications to unit vectors.
///
/// ```
/// use curvlab::linalg::{operator::to_dense, Damped};
/// let a = faer::mat![[2.0, 1.0], [1.0, 3.0]];
/// let d = to_dense(&Damped::new(&a, 1.0).unwrap()).unwrap();
/// assert_eq!(d[(0, 0)], 3.0);
/// assert_eq!(d[(0, 1)], 1.0);
/// ```
pub fn to_dense<A: LinearOperator + ?Sized>(op: &A) -> Result<Mat<f64>> {
    if let Some(m) = op.as_dense() {
        return Ok(m.to_owned());
    }
    let n = op.dim();
    let mut m = Mat::<f64>::zeros(n, n);
    let mut e = vec![0.0; n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        e[j] = 1.0;
        op.apply(&e, &mut col)?;
        e[j] = 0.0;
        for (i, c) in col.iter().enumerate() {
            m[(i, j)] = *c;
        }
    }
    Ok(m)
}

impl<A: LinearOperator + ?Sized> LinearOperator for &A {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        (**self).apply(v, out)
    }
    fn as_dense(&self) -> Option<faer::MatRef<'_, f64>> {
        (**self).as_dense()
    }
    fn apply_block(&self, x: MatRef<'_, f64>, y: MatMut<'_, f64>) -> Result<()> {
        (**self).apply_block(x, y)
    }
}

impl LinearOperator for Mat<f64> {
    fn dim(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        DenseOperator::new(self.as_ref())?.apply(v, out)
    }
    fn as_dense(&self) -> Option<faer::MatRef<'_, f64>> {
        Some(self.as_ref())
    }
    fn apply_block(&self, x: MatRef<'_, f64>, y: MatMut<'_, f64>) -> Result<()> {
        DenseOperator::new(self.as_ref())?.apply_block(x, y)
    }
}

/// A dense square matrix viewed without copying.
///
/// ```
/// use curvlab::linalg::{DenseOperator, LinearOperator};
/// let a = faer::mat![[1.0, 2.0], [2.0, 1.0]];
/// let op = DenseOperator::new(a.as_ref()).unwrap();
/// let mut out = [0.0; 2];
/// op.apply(&[1.0, 0.0], &mut out).unwrap();
/// assert_eq!(out, [1.0, 2.0]);
/// assert!(DenseOperator::new(faer::Mat::<f64>::zeros(2, 3).as_ref()).is_err());
/// ```
#[derive(Clone, Copy)]
pub struct DenseOperator<'a> {
    a: faer::MatRef<'a, f64>,
}

impl<'a> DenseOperator<'a> {
    /// Views `a`, which must be square.
    pub fn new(a: faer::MatRef<'a, f64>) -> Result<Self> {
        if a.nrows() != a.ncols() {
            return Err(Error::Dimension {
                what: format!(
                    "matrix columns ({} x {} is not square)",
                    a.nrows(),
                    a.ncols()
                ),
                expected: a.nrows(),
                got: a.ncols(),
            });
        }
        Ok(DenseOperator { a })
    }
}

impl LinearOperator for DenseOperator<'_> {
    fn dim(&self) -> usize {
        self.a.nrows()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.a.nrows();
        check_len("v", n, v.len())?;
        check_len("output", n, out.len())?;
        let vv = faer::ColRef::from_slice(v);
        let o = faer::ColMut::from_slice_mut(out);
        faer::linalg::matmul::matmul(o, faer::Accum::Replace, self.a, vv, 1.0, faer::Par::Seq);
        Ok(())
    }
    fn as_dense(&self) -> Option<faer::MatRef<'_, f64>> {
        Some(self.a)
    }
    /// One matrix-matrix product (faer `matmul`, sequential).
    fn apply_block(&self, x: MatRef<'_, f64>, y: MatMut<'_, f64>) -> Result<()> {
        check_block(self.a.nrows(), x, &y)?;
        faer::linalg::matmul::matmul(y, faer::Accum::Replace, self.a, x, 1.0, faer::Par::Seq);
        Ok(())
    }
}

/// The Hessian `∇²f(x)` of an objective at a fixed point, applied by exact HVPs.
///
/// ```
/// use curvlab::linalg::{HessianOperator, LinearOperator};
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let h = HessianOperator::new(&f, vec![1.0, 1.0]).unwrap();
/// let mut out = [0.0; 2];
/// h.apply(&[1.0, 0.0], &mut out).unwrap();
/// assert_eq!(out, [802.0, -400.0]);
/// ```
pub struct HessianOperator<'a, O: ?Sized> {
    obj: &'a O,
    x: Vec<f64>,
}

impl<'a, O: Objective + ?Sized> HessianOperator<'a, O> {
    /// The Hessian of `obj` at `x`.
    pub fn new(obj: &'a O, x: Vec<f64>) -> Result<Self> {
        check_len("x", obj.dim(), x.len())?;
        Ok(HessianOperator { obj, x })
    }
    /// The point.
    pub fn point(&self) -> &[f64] {
        &self.x
    }
}

impl<O: Objective + ?Sized> LinearOperator for HessianOperator<'_, O> {
    fn dim(&self) -> usize {
        self.obj.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.obj.hvp(&self.x, v, out)?;
        check_finite("hvp", out, 0)
    }
    /// [`Objective::hvp_block`]: one pass over the data for the whole block where the objective
    /// implements it.
    fn apply_block(&self, x: MatRef<'_, f64>, mut y: MatMut<'_, f64>) -> Result<()> {
        check_block(self.obj.dim(), x, &y)?;
        self.obj.hvp_block(&self.x, x, y.as_mut())?;
        check_block_finite("hvp_block", y.as_ref())
    }
}

/// An error when a block holds NaN or ±∞.
fn check_block_finite(what: &str, y: MatRef<'_, f64>) -> Result<()> {
    for j in 0..y.ncols() {
        for i in 0..y.nrows() {
            if !y[(i, j)].is_finite() {
                return Err(Error::NonFinite {
                    what: format!("{what}[({i}, {j})] = {}", y[(i, j)]),
                    iteration: 0,
                });
            }
        }
    }
    Ok(())
}

/// The generalized Gauss-Newton matrix `G(x) = Jᵀ H_L J` of an objective at a fixed point.
///
/// ```
/// use curvlab::linalg::GgnOperator;
/// use curvlab::problems::Rosenbrock;
/// // Rosenbrock as given has no Gauss-Newton structure: a clear error.
/// let f = Rosenbrock::new(2).unwrap();
/// assert!(GgnOperator::new(&f, vec![0.0, 0.0]).is_err());
/// ```
pub struct GgnOperator<'a, O: ?Sized> {
    obj: &'a O,
    x: Vec<f64>,
}

impl<'a, O: Objective + ?Sized> GgnOperator<'a, O> {
    /// The GGN of `obj` at `x`; an error if `obj` has no Gauss-Newton products.
    pub fn new(obj: &'a O, x: Vec<f64>) -> Result<Self> {
        check_len("x", obj.dim(), x.len())?;
        if obj.as_gauss_newton().is_none() {
            return Err(Error::Unsupported(
                "the objective gives no Gauss-Newton products (ggn_vp)".into(),
            ));
        }
        Ok(GgnOperator { obj, x })
    }
}

impl<O: Objective + ?Sized> LinearOperator for GgnOperator<'_, O> {
    fn dim(&self) -> usize {
        self.obj.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let gn = self
            .obj
            .as_gauss_newton()
            .ok_or_else(|| Error::Unsupported("no Gauss-Newton products".into()))?;
        gn.ggn_vp(&self.x, v, out)?;
        check_finite("ggn_vp", out, 0)
    }
    /// [`crate::objective::GaussNewton::ggn_vp_block`]: one pass for the whole block.
    fn apply_block(&self, x: MatRef<'_, f64>, mut y: MatMut<'_, f64>) -> Result<()> {
        check_block(self.obj.dim(), x, &y)?;
        let gn = self
            .obj
            .as_gauss_newton()
            .ok_or_else(|| Error::Unsupported("no Gauss-Newton products".into()))?;
        gn.ggn_vp_block(&self.x, x, y.as_mut())?;
        check_block_finite("ggn_vp_block", y.as_ref())
    }
}

/// Tikhonov damping `A + λI` (Levenberg 1944; Marquardt 1963; Martens 2010, §4.1).
///
/// ```
/// use curvlab::linalg::{Damped, LinearOperator};
/// let a = faer::mat![[2.0, 0.0], [0.0, 3.0]];
/// let d = Damped::new(&a, 0.5).unwrap();
/// let mut out = [0.0; 2];
/// d.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [2.5, 3.5]);
/// assert!(Damped::new(&a, -1.0).is_err());
/// ```
pub struct Damped<A> {
    /// The undamped operator.
    pub op: A,
    /// The damping `λ ≥ 0`.
    pub lambda: f64,
}

impl<A: LinearOperator> Damped<A> {
    /// `op + λI`; `λ` must be finite and nonnegative.
    pub fn new(op: A, lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::invalid(
                "lambda",
                lambda,
                "damping must be finite and >= 0",
            ));
        }
        Ok(Damped { op, lambda })
    }
}

impl<A: LinearOperator> LinearOperator for Damped<A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.op.apply(v, out)?;
        crate::linalg::vector::axpy(self.lambda, v, out);
        Ok(())
    }
    fn apply_block(&self, x: MatRef<'_, f64>, mut y: MatMut<'_, f64>) -> Result<()> {
        self.op.apply_block(x, y.as_mut())?;
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                y[(i, j)] += self.lambda * x[(i, j)];
            }
        }
        Ok(())
    }
}
