//! Nonlinear least squares `f(x) = ½‖r(x)‖²` (Nocedal & Wright 2006, ch. 10) with exact
//! derivatives from residuals written once, generic over [`Scalar`]:
//!
//! - gradient `∇f = Jᵀr`, with the Jacobian `J` by forward mode (one `Dual64` pass per column);
//! - Hessian-vector product `(JᵀJ + Σᵢ rᵢ ∇²rᵢ) v`, exact: the gradient above is itself generic,
//!   so evaluating it at `x + εv` (nested duals) gives `∇²f v` (Pearlmutter 1994);
//! - Gauss-Newton product `JᵀJ v` (the matrix of the Gauss-Newton and Levenberg-Marquardt methods,
//!   N&W §10.3; Martens 2010, §4.2 with `H_L = I`): `Jv` by one forward pass, then `Jᵀ(Jv)`
//!   exactly.
//!
//! A block of `k` products at one point (`hvp_block`, `ggn_vp_block`) forms what the `k` columns
//! share once: the Jacobian `J` (`n` forward passes, held whole when `m·n ≤ 2²²`, otherwise in
//! column slabs formed twice), so `Jᵀ(JV)` is two matrix-matrix products instead of `k(n + 1)`
//! passes; and, for the exact Hessian when `k ≥ (n + 1)/2`, the second-order term
//! `S = Σᵢ rᵢ ∇²rᵢ` (N&W eq. 10.5) from `n(n + 1)/2` second-order forward passes (hyper-dual
//! numbers, one per entry of the upper triangle), so `∇²f V = Jᵀ(JV) + S V`. For narrower blocks
//! the column loop is cheaper (`k·n` passes for `S V` either way) and is kept.
//!
//! Concrete registry problem `least-squares`: fitting a curve to seeded synthetic data,
//! `y = a e^{−b t} + c + noise` (exponential decay, `model=exponential`) or
//! `y = a exp(−(t − μ)²/(2s²)) + c + noise` (a Gaussian peak, `model=gaussian`).

use super::logistic::product;
use super::registry::{ProblemInfo, ProblemInstance, label};
use crate::diff::{DualGradient, Scalar, dual_hvp};
use crate::error::{Error, Result, check_finite, check_len};
use crate::objective::{GaussNewton, Objective, block_by_columns};
use crate::params::{ParamInfo, Params};
use faer::{Accum, Mat, MatMut, MatRef};
use num_dual::{Dual, Dual64};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Registry entry.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "least-squares",
    summary: "½‖r(x)‖² curve fit to seeded data: a e^{−bt} + c (exponential) or a Gaussian peak; Gauss-Newton products JᵀJv",
    params: &[
        ParamInfo {
            name: "model",
            default: "exponential",
            doc: "exponential (a e^{−bt} + c, 3 parameters) | gaussian (a exp(−(t−μ)²/2s²) + c, 4)",
        },
        ParamInfo {
            name: "samples",
            default: "50",
            doc: "number of data points m (residuals)",
        },
        ParamInfo {
            name: "noise",
            default: "0.05",
            doc: "standard deviation of the seeded Gaussian noise on y (0: zero-residual fit)",
        },
    ],
};

/// Builds the curve fit. With `noise = 0` the true parameters are the minimizer and `f* = 0`.
///
/// ```
/// use curvlab::params::Params;
/// let p = curvlab::problems::build_problem("least-squares", &Params::from_pairs(&["noise=0"]).unwrap(), 0).unwrap();
/// assert_eq!(p.x0.len(), 3);
/// assert_eq!(p.f_star, Some(0.0));
/// ```
pub fn build(p: &Params, seed: u64) -> Result<ProblemInstance> {
    let model = CurveModel::parse(&p.str("model", "exponential")?)?;
    let noise = p.f64("noise", 0.05)?;
    let fit = CurveFit::new(model, p.usize("samples", 50)?, noise, seed)?;
    let exact = noise == 0.0;
    Ok(ProblemInstance {
        kind: INFO.name.into(),
        label: label(INFO.name, p),
        x0: fit.standard_start(),
        f_star: exact.then_some(0.0),
        x_star: exact.then(|| fit.true_parameters()),
        eigenvalues: None,
        objective: Box::new(LeastSquares::new(fit)),
    })
}

/// A residual vector `r: Rⁿ → Rᵐ`, written once for any [`Scalar`] (`f64` or dual numbers).
///
/// ```
/// use curvlab::diff::Scalar;
/// use curvlab::problems::least_squares::{LeastSquares, Residuals};
/// use curvlab::Objective;
/// /// r(x) = (x0 − 1, 10 (x1 − x0²)): Rosenbrock as a sum of squares.
/// struct Rosen;
/// impl Residuals for Rosen {
///     fn num_residuals(&self) -> usize { 2 }
///     fn dim(&self) -> usize { 2 }
///     fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) {
///         r[0] = x[0] - 1.0;
///         r[1] = (x[1] - x[0] * x[0]) * 10.0;
///     }
/// }
/// let f = LeastSquares::new(Rosen);
/// assert_eq!(f.value(&[1.0, 1.0]).unwrap(), 0.0);
/// ```
pub trait Residuals: Send + Sync {
    /// `m`, the number of residuals.
    fn num_residuals(&self) -> usize;
    /// `n`, the number of variables.
    fn dim(&self) -> usize;
    /// Writes `r(x)` (length `m`) into `r`.
    fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]);
}

/// `f(x) = ½‖r(x)‖²` with exact gradient, Hessian-vector and Gauss-Newton products.
///
/// ```
/// use curvlab::{GaussNewton, Objective};
/// use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares};
/// let fit = CurveFit::new(CurveModel::Exponential, 20, 0.0, 1).unwrap();
/// let x = fit.true_parameters();
/// let f = LeastSquares::new(fit);
/// // At a zero-residual minimizer the Hessian is exactly JᵀJ.
/// let (mut hv, mut gv) = ([0.0; 3], [0.0; 3]);
/// f.hvp(&x, &[1.0, -1.0, 0.5], &mut hv).unwrap();
/// f.ggn_vp(&x, &[1.0, -1.0, 0.5], &mut gv).unwrap();
/// for (a, b) in hv.iter().zip(&gv) { assert!((a - b).abs() < 1e-12 * a.abs().max(1.0)); }
/// ```
#[derive(Debug, Clone)]
pub struct LeastSquares<R> {
    residuals: R,
}

impl<R: Residuals> LeastSquares<R> {
    /// Wraps the residuals.
    pub fn new(residuals: R) -> Self {
        LeastSquares { residuals }
    }

    /// The residual function.
    pub fn inner(&self) -> &R {
        &self.residuals
    }

    /// `r(x)`.
    ///
    /// ```
    /// use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares};
    /// let fit = CurveFit::new(CurveModel::Exponential, 5, 0.0, 0).unwrap();
    /// let x = fit.true_parameters();
    /// let r = LeastSquares::new(fit).residual_vector(&x).unwrap();
    /// assert!(r.iter().all(|ri| ri.abs() < 1e-15));
    /// ```
    pub fn residual_vector(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_len("x", self.residuals.dim(), x.len())?;
        let mut r = vec![0.0; self.residuals.num_residuals()];
        self.residuals.residuals(x, &mut r);
        Ok(r)
    }

    /// The Jacobian `J = ∂r/∂x` (`m × n`), column by column in forward mode, exact.
    ///
    /// ```
    /// use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares};
    /// let fit = CurveFit::new(CurveModel::Exponential, 3, 0.0, 0).unwrap();
    /// let (t0, f) = (fit.times()[0], LeastSquares::new(fit));
    /// let j = f.jacobian(&[2.0, 1.0, 0.0]).unwrap();
    /// // ∂r₀/∂c = 1 and ∂r₀/∂a = e^{−b t₀}.
    /// assert_eq!(j[(0, 2)], 1.0);
    /// assert!((j[(0, 0)] - (-t0).exp()).abs() < 1e-15);
    /// ```
    pub fn jacobian(&self, x: &[f64]) -> Result<Mat<f64>> {
        let (m, n) = (self.residuals.num_residuals(), self.residuals.dim());
        check_len("x", n, x.len())?;
        let mut xd: Vec<Dual64> = x.iter().map(|&a| Dual64::from_re(a)).collect();
        let mut rd = vec![Dual64::from_re(0.0); m];
        let mut j = Mat::<f64>::zeros(m, n);
        for k in 0..n {
            xd[k].eps = 1.0;
            self.residuals.residuals(&xd, &mut rd);
            xd[k].eps = 0.0;
            for (i, r) in rd.iter().enumerate() {
                j[(i, k)] = r.eps;
            }
        }
        Ok(j)
    }

    /// `J v` (length `m`) by one forward-mode pass.
    pub fn jvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.residuals.dim();
        check_len("x", n, x.len())?;
        check_len("v", n, v.len())?;
        check_len("Jv buffer", self.residuals.num_residuals(), out.len())?;
        let xd: Vec<Dual64> = x.iter().zip(v).map(|(&a, &b)| Dual64::new(a, b)).collect();
        let mut rd = vec![Dual64::from_re(0.0); out.len()];
        self.residuals.residuals(&xd, &mut rd);
        for (o, r) in out.iter_mut().zip(&rd) {
            *o = r.eps;
        }
        Ok(())
    }

    /// `Jᵀ w` (length `n`) for a fixed `w` (length `m`): the gradient of `x ↦ r(x)ᵀw`, one
    /// forward pass per variable, exact.
    pub fn vjp(&self, x: &[f64], w: &[f64], out: &mut [f64]) -> Result<()> {
        let (m, n) = (self.residuals.num_residuals(), self.residuals.dim());
        check_len("x", n, x.len())?;
        check_len("w", m, w.len())?;
        check_len("Jᵀw buffer", n, out.len())?;
        let mut xd: Vec<Dual64> = x.iter().map(|&a| Dual64::from_re(a)).collect();
        let mut rd = vec![Dual64::from_re(0.0); m];
        for k in 0..n {
            xd[k].eps = 1.0;
            self.residuals.residuals(&xd, &mut rd);
            xd[k].eps = 0.0;
            out[k] = rd.iter().zip(w).map(|(r, wi)| r.eps * wi).sum();
        }
        Ok(())
    }
}

/// The most Jacobian entries (`m ×` columns) a block product holds at once: 2²² (32 MB).
const JACOBIAN_ENTRIES: usize = 1 << 22;

impl<R: Residuals> LeastSquares<R> {
    /// The columns `cols` of `J` into `j` (`m × |cols|`, column-major), one forward pass each.
    fn jacobian_slab(&self, x: &[f64], cols: std::ops::Range<usize>, j: &mut [f64]) {
        let m = self.residuals.num_residuals();
        let mut xd: Vec<Dual64> = x.iter().map(|&a| Dual64::from_re(a)).collect();
        let mut rd = vec![Dual64::from_re(0.0); m];
        for (c, col) in cols.zip(j.chunks_exact_mut(m.max(1))) {
            xd[c].eps = 1.0;
            self.residuals.residuals(&xd, &mut rd);
            xd[c].eps = 0.0;
            for (o, r) in col.iter_mut().zip(&rd) {
                *o = r.eps;
            }
        }
    }

    /// `out = Jᵀ(J V)` with `J` formed once when it has at most `limit` entries; otherwise in
    /// slabs of `⌊limit/m⌋` columns, twice: `U = Σ J_s V_s`, then `out_s = J_sᵀ U`.
    fn gauss_newton_block(
        &self,
        x: &[f64],
        v: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
        limit: usize,
    ) {
        let (m, n, k) = (self.residuals.num_residuals(), v.nrows(), v.ncols());
        let width = (limit / m.max(1)).clamp(1, n.max(1));
        let mut slab = vec![0.0; m * width];
        let mut u = Mat::<f64>::zeros(m, k);
        if width >= n {
            self.jacobian_slab(x, 0..n, &mut slab);
            let j = MatRef::from_column_major_slice(&slab, m, n);
            product(u.as_mut(), Accum::Replace, j, v);
            product(out, Accum::Replace, j.transpose(), u.as_ref());
            return;
        }
        let slabs = || {
            (0..n)
                .step_by(width)
                .map(move |c0| (c0, (c0 + width).min(n) - c0))
        };
        for (c0, w) in slabs() {
            self.jacobian_slab(x, c0..c0 + w, &mut slab[..m * w]);
            let j = MatRef::from_column_major_slice(&slab[..m * w], m, w);
            product(u.as_mut(), Accum::Add, j, v.subrows(c0, w));
        }
        for (c0, w) in slabs() {
            self.jacobian_slab(x, c0..c0 + w, &mut slab[..m * w]);
            let j = MatRef::from_column_major_slice(&slab[..m * w], m, w);
            product(
                out.as_mut().subrows_mut(c0, w),
                Accum::Replace,
                j.transpose(),
                u.as_ref(),
            );
        }
    }

    /// The second-order term `S = Σᵢ rᵢ(x) ∇²rᵢ(x)` (`n × n`): entry `(a, b)` from one forward
    /// pass in hyper-dual numbers seeded with `e_b` (inner) and `e_a` (outer), whose `ε₁ε₂`
    /// part is `∂²rᵢ/∂x_a∂x_b`; `n(n + 1)/2` passes.
    fn residual_curvature(&self, x: &[f64]) -> Mat<f64> {
        let (m, n) = (self.residuals.num_residuals(), x.len());
        let mut r0 = vec![0.0; m];
        self.residuals.residuals(x, &mut r0);
        let zero = Dual64::from_re(0.0);
        let mut xd: Vec<Dual<Dual64>> = x
            .iter()
            .map(|&a| Dual::new(Dual64::from_re(a), zero))
            .collect();
        let mut rd = vec![Dual::new(zero, zero); m];
        let mut s = Mat::<f64>::zeros(n, n);
        for a in 0..n {
            xd[a].eps.re = 1.0;
            for b in a..n {
                xd[b].re.eps = 1.0;
                self.residuals.residuals(&xd, &mut rd);
                xd[b].re.eps = 0.0;
                let sab: f64 = rd.iter().zip(&r0).map(|(r, ri)| ri * r.eps.eps).sum();
                s[(a, b)] = sab;
                s[(b, a)] = sab;
            }
            xd[a].eps.re = 0.0;
        }
        s
    }

    /// Shapes and finiteness of a block product's inputs.
    fn check_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatRef<'_, f64>) -> Result<()> {
        let n = self.residuals.dim();
        check_len("x", n, x.len())?;
        check_len("block rows", n, v.nrows())?;
        check_len("output block rows", n, out.nrows())?;
        check_len("output block columns", v.ncols(), out.ncols())?;
        check_finite("x", x, 0)?;
        for j in 0..v.ncols() {
            for i in 0..n {
                if !v[(i, j)].is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("V[({i}, {j})] = {}", v[(i, j)]),
                        iteration: 0,
                    });
                }
            }
        }
        Ok(())
    }
}

impl<R: Residuals> DualGradient for LeastSquares<R> {
    fn dim(&self) -> usize {
        self.residuals.dim()
    }
    /// `g_k = Σᵢ rᵢ ∂rᵢ/∂x_k`, each column of `J` by a nested dual pass, so this is generic too
    /// and its dual evaluation gives the exact HVP.
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
        let m = self.residuals.num_residuals();
        let zero = T::from(0.0);
        let mut xd: Vec<Dual<T>> = x.iter().map(|&a| Dual::new(a, zero)).collect();
        let mut rd = vec![Dual::new(zero, zero); m];
        let mut f = zero;
        for k in 0..x.len() {
            xd[k].eps = T::from(1.0);
            self.residuals.residuals(&xd, &mut rd);
            xd[k].eps = zero;
            let mut s = zero;
            for r in &rd {
                s += r.re * r.eps;
            }
            g[k] = s;
            if k == 0 {
                for r in &rd {
                    f += r.re * r.re;
                }
                f *= 0.5;
            }
        }
        f
    }
    fn value(&self, x: &[f64]) -> f64 {
        let mut r = vec![0.0; self.residuals.num_residuals()];
        self.residuals.residuals(x, &mut r);
        0.5 * crate::linalg::vector::dot(&r, &r)
    }
}

impl<R: Residuals> Objective for LeastSquares<R> {
    fn dim(&self) -> usize {
        self.residuals.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.residuals.dim(), x.len())?;
        Ok(DualGradient::value(self, x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.residuals.dim(), x.len())?;
        check_len("gradient buffer", self.residuals.dim(), g.len())?;
        Ok(self.value_gradient(x, g))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        dual_hvp(self, x, v, out)
    }
    /// `Jᵀ(JV) + S V` with `J` and `S = Σᵢ rᵢ ∇²rᵢ` formed once when the block has
    /// `k ≥ (n + 1)/2` columns; the column loop otherwise (module docs). Wrong shapes and
    /// non-finite `x` or `V` are errors.
    ///
    /// ```
    /// use curvlab::Objective;
    /// use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares};
    /// let f = LeastSquares::new(CurveFit::new(CurveModel::Exponential, 20, 0.1, 0).unwrap());
    /// let x = [1.0, 1.0, 0.0];
    /// let v = faer::Mat::<f64>::identity(3, 3);
    /// let mut hv = faer::Mat::<f64>::zeros(3, 3);
    /// f.hvp_block(&x, v.as_ref(), hv.as_mut()).unwrap();
    /// let h = f.hessian(&x).unwrap();
    /// for i in 0..3 {
    ///     for j in 0..3 {
    ///         assert!((hv[(i, j)] - h[(i, j)]).abs() < 1e-12 * h.norm_max());
    ///     }
    /// }
    /// assert!(f.hvp_block(&[f64::NAN, 1.0, 0.0], v.as_ref(), hv.as_mut()).is_err());
    /// ```
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, mut out: MatMut<'_, f64>) -> Result<()> {
        self.check_block(x, v, out.as_ref())?;
        let (n, k) = (x.len(), v.ncols());
        if 2 * k < n + 1 {
            return block_by_columns(n, v, out, |a, b| self.hvp(x, a, b));
        }
        self.gauss_newton_block(x, v, out.as_mut(), JACOBIAN_ENTRIES);
        let s = self.residual_curvature(x);
        product(out, Accum::Add, s.as_ref(), v);
        Ok(())
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
}

/// `JᵀJ v`: forward-mode `Jv`, then `Jᵀ(Jv)`.
impl<R: Residuals> GaussNewton for LeastSquares<R> {
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let mut jv = vec![0.0; self.residuals.num_residuals()];
        self.jvp(x, v, &mut jv)?;
        self.vjp(x, &jv, out)
    }
    /// `Jᵀ(J V)` with `J` formed once (`n` forward passes for the block instead of `k(n + 1)`),
    /// in column slabs when `m·n > 2²²`.
    ///
    /// ```
    /// use curvlab::GaussNewton;
    /// use curvlab::problems::least_squares::{CurveFit, CurveModel, LeastSquares};
    /// let f = LeastSquares::new(CurveFit::new(CurveModel::GaussianPeak, 30, 0.0, 0).unwrap());
    /// let x = [1.0, 1.0, 1.0, 0.0];
    /// let v = faer::Mat::<f64>::from_fn(4, 2, |i, j| (i * 2 + j) as f64 - 3.0);
    /// let mut g = faer::Mat::<f64>::zeros(4, 2);
    /// f.ggn_vp_block(&x, v.as_ref(), g.as_mut()).unwrap();
    /// let j = f.jacobian(&x).unwrap();
    /// let want = j.transpose() * (&j * &v);
    /// assert!((&g - &want).norm_max() < 1e-12 * want.norm_max());
    /// ```
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.check_block(x, v, out.as_ref())?;
        self.gauss_newton_block(x, v, out, JACOBIAN_ENTRIES);
        Ok(())
    }
}

/// The model curve of a [`CurveFit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveModel {
    /// `a e^{−b t} + c` on `t ∈ [0, 4]`; true `(a, b, c) = (2.5, 1.3, 0.5)`, start `(1, 1, 0)`.
    Exponential,
    /// `a exp(−(t − μ)²/(2s²)) + c` on `t ∈ [−1, 4]`; true `(a, μ, s, c) = (3, 1.5, 0.6, 0.2)`,
    /// start `(1, 1, 1, 0)`.
    GaussianPeak,
}

impl CurveModel {
    /// Parses `exponential` or `gaussian`.
    ///
    /// ```
    /// use curvlab::problems::least_squares::CurveModel;
    /// assert_eq!(CurveModel::parse("gaussian").unwrap(), CurveModel::GaussianPeak);
    /// assert!(CurveModel::parse("cubic").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "exponential" => Ok(CurveModel::Exponential),
            "gaussian" => Ok(CurveModel::GaussianPeak),
            _ => Err(Error::invalid(
                "model",
                s,
                "expected exponential or gaussian",
            )),
        }
    }
    fn truth(self) -> Vec<f64> {
        match self {
            CurveModel::Exponential => vec![2.5, 1.3, 0.5],
            CurveModel::GaussianPeak => vec![3.0, 1.5, 0.6, 0.2],
        }
    }
    fn interval(self) -> (f64, f64) {
        match self {
            CurveModel::Exponential => (0.0, 4.0),
            CurveModel::GaussianPeak => (-1.0, 4.0),
        }
    }
    fn eval<T: Scalar>(self, p: &[T], t: f64) -> T {
        match self {
            CurveModel::Exponential => p[0] * (p[1] * (-t)).exp() + p[2],
            CurveModel::GaussianPeak => {
                let u = (p[1] - t) / p[2];
                p[0] * (u * u * (-0.5)).exp() + p[3]
            }
        }
    }
}

/// Residuals `rᵢ = model(tᵢ; p) − yᵢ` of a curve fit to seeded synthetic data: `m` equally
/// spaced `tᵢ`, `yᵢ = model(tᵢ; p_true) + noise·N(0, 1)`.
///
/// ```
/// use curvlab::problems::least_squares::{CurveFit, CurveModel, Residuals};
/// let fit = CurveFit::new(CurveModel::GaussianPeak, 30, 0.1, 3).unwrap();
/// assert_eq!((fit.num_residuals(), fit.dim()), (30, 4));
/// assert!(CurveFit::new(CurveModel::Exponential, 2, 0.0, 0).is_err()); // fewer data than unknowns
/// ```
#[derive(Debug, Clone)]
pub struct CurveFit {
    model: CurveModel,
    t: Vec<f64>,
    y: Vec<f64>,
}

impl CurveFit {
    /// `samples ≥` the number of parameters data points with noise level `noise ≥ 0`.
    pub fn new(model: CurveModel, samples: usize, noise: f64, seed: u64) -> Result<Self> {
        let p = model.truth();
        if samples < p.len() {
            return Err(Error::invalid(
                "samples",
                samples,
                &format!(
                    "need at least {} data points for {} parameters",
                    p.len(),
                    p.len()
                ),
            ));
        }
        if !(noise >= 0.0 && noise.is_finite()) {
            return Err(Error::invalid("noise", noise, "must be finite and >= 0"));
        }
        curve_fit_request(samples as u64).check()?;
        let (lo, hi) = model.interval();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let t: Vec<f64> = (0..samples)
            .map(|i| lo + (hi - lo) * i as f64 / (samples - 1).max(1) as f64)
            .collect();
        let y = t
            .iter()
            .map(|&ti| {
                let e: f64 = StandardNormal.sample(&mut rng);
                model.eval(&p, ti) + noise * e
            })
            .collect();
        Ok(CurveFit { model, t, y })
    }
    /// The sample times `tᵢ`.
    pub fn times(&self) -> &[f64] {
        &self.t
    }
    /// The observations `yᵢ`.
    pub fn observations(&self) -> &[f64] {
        &self.y
    }
    /// The parameters the data were generated with.
    pub fn true_parameters(&self) -> Vec<f64> {
        self.model.truth()
    }
    /// The standard start (see [`CurveModel`]).
    pub fn standard_start(&self) -> Vec<f64> {
        match self.model {
            CurveModel::Exponential => vec![1.0, 1.0, 0.0],
            CurveModel::GaussianPeak => vec![1.0, 1.0, 1.0, 0.0],
        }
    }
}

impl Residuals for CurveFit {
    fn num_residuals(&self) -> usize {
        self.t.len()
    }
    fn dim(&self) -> usize {
        self.model.truth().len()
    }
    fn residuals<T: Scalar>(&self, x: &[T], r: &mut [T]) {
        for ((ri, &ti), &yi) in r.iter_mut().zip(&self.t).zip(&self.y) {
            *ri = self.model.eval(x, ti) - yi;
        }
    }
}

/// Per data point of a curve fit: `t`, `y`, and the residuals with their dual-number copies
/// (value and derivative, for gradients and Hessian-vector products) — 8 values.
const VALUES_PER_SAMPLE: u64 = 8;

/// What a curve fit with `samples` data points allocates (the model has at most 4 parameters,
/// so the working set is negligible).
///
/// ```
/// let r = curvlab::problems::least_squares::curve_fit_request(1_000_000_000);
/// assert_eq!(r.bytes, Some(8 * 8 * 1_000_000_000));
/// ```
pub fn curve_fit_request(samples: u64) -> crate::memory::Request {
    crate::memory::Request::new(
        format!("least-squares samples = {samples}"),
        crate::memory::f64s(&[VALUES_PER_SAMPLE, samples]),
        "use fewer samples",
    )
    .with_key("samples")
}

/// What the least-squares problem allocates, from its parameters (read without marking them).
///
/// ```
/// use curvlab::params::Params;
/// let s = curvlab::problems::least_squares::memory_request(&Params::new()).unwrap().unwrap();
/// assert_eq!(s.request.bytes, Some(8 * 8 * 50));
/// ```
pub fn memory_request(p: &Params) -> Result<Option<super::registry::ProblemSize>> {
    let samples = crate::memory::peek_u64(p, "samples", 50)?;
    Ok(Some(super::registry::ProblemSize {
        n: Some(4),
        request: curve_fit_request(samples),
    }))
}
