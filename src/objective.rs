//! The objective interface every method and diagnostic works on, and a counting wrapper.
//!
//! An [`Objective`] gives values, gradients, Hessian-vector products (HVPs) and dense Hessians,
//! all exact to rounding for curvlab's own problems (see [`crate::diff`]). Objectives that are a
//! composition `L(z(x))` with a convex loss `L` can also give Gauss-Newton products
//! ([`GaussNewton`], Schraudolph 2002; Martens 2010), and data-fitting objectives that are an
//! average over examples give minibatch quantities ([`FiniteSum`]).

use crate::error::{Error, Result, check_finite, check_len};
use faer::Mat;
use std::sync::atomic::{AtomicU64, Ordering};

/// A twice-differentiable function `f: R^n -> R`.
///
/// Vectors are plain slices; views (`faer::ColRef::from_slice`) are taken without copying where
/// linear algebra is needed. Every call returns a [`Result`]: wrong lengths are
/// [`Error::Dimension`], never a panic.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let mut g = vec![0.0; 2];
/// let v = f.gradient(&[1.0, 1.0], &mut g).unwrap();
/// assert_eq!(v, 0.0);
/// assert_eq!(g, vec![0.0, 0.0]);
/// ```
pub trait Objective: Send + Sync {
    /// The number of variables `n`.
    fn dim(&self) -> usize;

    /// `f(x)`.
    fn value(&self, x: &[f64]) -> Result<f64>;

    /// Writes `∇f(x)` into `g` and returns `f(x)`.
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64>;

    /// Writes the Hessian-vector product `∇²f(x) v` into `out`.
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()>;

    /// The dense Hessian `∇²f(x)`. The default assembles it column by column from `dim()` HVPs
    /// with unit vectors and symmetrizes it, `(H + Hᵀ)/2`.
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        assemble_hessian(self, x)
    }

    /// Gauss-Newton products, when the objective has that structure.
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        None
    }

    /// Minibatch quantities, when the objective is an average over examples.
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        None
    }
}

/// Assembles `∇²f(x)` from `n` HVPs with unit vectors and symmetrizes it.
///
/// ```
/// use curvlab::objective::assemble_hessian;
/// use curvlab::problems::Rosenbrock;
/// let h = assemble_hessian(&Rosenbrock::new(2).unwrap(), &[1.0, 1.0]).unwrap();
/// assert!((h[(0, 0)] - 802.0).abs() < 1e-12 && (h[(0, 1)] + 400.0).abs() < 1e-12);
/// ```
pub fn assemble_hessian<O: Objective + ?Sized>(obj: &O, x: &[f64]) -> Result<Mat<f64>> {
    let n = obj.dim();
    check_len("x", n, x.len())?;
    let mut h = Mat::<f64>::zeros(n, n);
    let mut e = vec![0.0; n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        e[j] = 1.0;
        obj.hvp(x, &e, &mut col)?;
        e[j] = 0.0;
        for (i, c) in col.iter().enumerate() {
            h[(i, j)] = *c;
        }
    }
    symmetrize(&mut h);
    Ok(h)
}

/// Replaces `h` by `(h + hᵀ)/2` in place.
///
/// ```
/// let mut h = faer::mat![[1.0, 2.0], [4.0, 1.0]];
/// curvlab::objective::symmetrize(&mut h);
/// assert_eq!(h[(0, 1)], 3.0);
/// ```
pub fn symmetrize(h: &mut Mat<f64>) {
    let n = h.nrows();
    for j in 0..n {
        for i in 0..j {
            let s = 0.5 * (h[(i, j)] + h[(j, i)]);
            h[(i, j)] = s;
            h[(j, i)] = s;
        }
    }
}

/// Generalized Gauss-Newton products `G v = Jᵀ H_L J v` (Schraudolph 2002; Martens 2010, §4.2):
/// `J` is the Jacobian of the model outputs, `H_L` the Hessian of the convex loss in the outputs.
/// `G` is positive semidefinite, which is why Hessian-free optimization prefers it.
pub trait GaussNewton: Send + Sync {
    /// Writes `G(x) v` into `out`.
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()>;
}

/// An objective that is an average over `N` examples (plus an optional regularizer):
/// `f(x) = (1/N) Σᵢ ℓᵢ(x) + r(x)`. Batch quantities use the same normalization over the batch,
/// `(1/|B|) Σ_{i∈B} ℓᵢ(x) + r(x)`, so a full batch reproduces `f`.
pub trait FiniteSum: Send + Sync {
    /// `N`, the number of examples.
    fn num_examples(&self) -> usize;

    /// Writes the batch gradient into `g` and returns the batch value.
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64>;

    /// Batch Hessian-vector product.
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()>;

    /// Batch Gauss-Newton product; `Unsupported` unless overridden.
    fn batch_ggn_vp(
        &self,
        _x: &[f64],
        _batch: &[usize],
        _v: &[f64],
        _out: &mut [f64],
    ) -> Result<()> {
        Err(Error::Unsupported(
            "this objective has no Gauss-Newton products".into(),
        ))
    }

    /// Per-example gradients of the data terms `∇ℓᵢ(x)` (regularizer excluded), row-major:
    /// `out[k * n .. (k + 1) * n]` is example `batch[k]`. `Unsupported` unless overridden.
    fn per_example_gradients(&self, _x: &[f64], _batch: &[usize], _out: &mut [f64]) -> Result<()> {
        Err(Error::Unsupported(
            "this objective has no per-example gradients".into(),
        ))
    }
}

/// Evaluation counts by kind.
///
/// ```
/// let c = curvlab::Counts { value: 1, gradient: 2, hvp: 3, hessian: 0, ggn: 0 };
/// assert_eq!(c.gradient_equivalents(), 1.0 + 2.0 + 3.0 * 2.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Calls of `value` (and `batch` values are not counted here).
    pub value: u64,
    /// Calls of `gradient` and `batch_gradient`.
    pub gradient: u64,
    /// Calls of `hvp` and `batch_hvp`.
    pub hvp: u64,
    /// Calls of `hessian`.
    pub hessian: u64,
    /// Calls of `ggn_vp` and `batch_ggn_vp`.
    pub ggn: u64,
}

impl Counts {
    /// A rough cost in gradient evaluations: a value counts 1 (a forward pass is about half a
    /// gradient, rounded up for simplicity), a gradient 1, an HVP or GGN product 2 (Pearlmutter's
    /// R-operator costs about two gradients), a dense Hessian `n` HVPs is not included (it depends
    /// on `n`; use the counts directly).
    pub fn gradient_equivalents(&self) -> f64 {
        self.value as f64 + self.gradient as f64 + 2.0 * (self.hvp + self.ggn) as f64
    }
}

/// Wraps an objective, counts every evaluation by kind, checks argument lengths and rejects
/// non-finite results with [`Error::NonFinite`].
///
/// ```
/// use curvlab::{Counted, Objective};
/// use curvlab::problems::Rosenbrock;
/// let f = Counted::new(Rosenbrock::new(2).unwrap());
/// let mut g = [0.0; 2];
/// f.gradient(&[0.0, 0.0], &mut g).unwrap();
/// f.value(&[0.0, 0.0]).unwrap();
/// assert_eq!(f.counts().gradient, 1);
/// assert_eq!(f.counts().value, 1);
/// assert!(f.value(&[0.0]).is_err());
/// ```
pub struct Counted<O> {
    inner: O,
    value: AtomicU64,
    gradient: AtomicU64,
    hvp: AtomicU64,
    hessian: AtomicU64,
    ggn: AtomicU64,
}

impl<O: Objective> Counted<O> {
    /// Wraps `inner` with all counts at zero.
    pub fn new(inner: O) -> Self {
        Counted {
            inner,
            value: AtomicU64::new(0),
            gradient: AtomicU64::new(0),
            hvp: AtomicU64::new(0),
            hessian: AtomicU64::new(0),
            ggn: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            value: self.value.load(Ordering::Relaxed),
            gradient: self.gradient.load(Ordering::Relaxed),
            hvp: self.hvp.load(Ordering::Relaxed),
            hessian: self.hessian.load(Ordering::Relaxed),
            ggn: self.ggn.load(Ordering::Relaxed),
        }
    }

    /// The wrapped objective.
    pub fn inner(&self) -> &O {
        &self.inner
    }

    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

fn finite_value(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::NonFinite {
            what: what.to_string(),
            iteration: 0,
        })
    }
}

impl<O: Objective> Objective for Counted<O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        Self::bump(&self.value);
        finite_value("value", self.inner.value(x)?)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        check_len("gradient buffer", self.dim(), g.len())?;
        Self::bump(&self.gradient);
        let f = finite_value("value", self.inner.gradient(x, g)?)?;
        check_finite("gradient", g, 0)?;
        Ok(f)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim(), x.len())?;
        check_len("v", self.dim(), v.len())?;
        check_len("hvp buffer", self.dim(), out.len())?;
        Self::bump(&self.hvp);
        self.inner.hvp(x, v, out)?;
        check_finite("hvp", out, 0)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.dim(), x.len())?;
        Self::bump(&self.hessian);
        let h = self.inner.hessian(x)?;
        for j in 0..h.ncols() {
            for i in 0..h.nrows() {
                if !h[(i, j)].is_finite() {
                    return Err(Error::NonFinite {
                        what: "hessian".into(),
                        iteration: 0,
                    });
                }
            }
        }
        Ok(h)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        self.inner
            .as_gauss_newton()
            .map(|_| self as &dyn GaussNewton)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        self.inner.as_finite_sum().map(|_| self as &dyn FiniteSum)
    }
}

impl<O: Objective> GaussNewton for Counted<O> {
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let gn = self
            .inner
            .as_gauss_newton()
            .ok_or_else(|| Error::Unsupported("objective has no Gauss-Newton products".into()))?;
        check_len("x", self.dim(), x.len())?;
        check_len("v", self.dim(), v.len())?;
        Self::bump(&self.ggn);
        gn.ggn_vp(x, v, out)?;
        check_finite("ggn_vp", out, 0)
    }
}

impl<O: Objective> FiniteSum for Counted<O> {
    fn num_examples(&self) -> usize {
        self.inner.as_finite_sum().map_or(0, |s| s.num_examples())
    }
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        let s = self.finite_sum()?;
        Self::bump(&self.gradient);
        let f = finite_value("batch value", s.batch_gradient(x, batch, g)?)?;
        check_finite("batch gradient", g, 0)?;
        Ok(f)
    }
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        Self::bump(&self.hvp);
        s.batch_hvp(x, batch, v, out)?;
        check_finite("batch hvp", out, 0)
    }
    fn batch_ggn_vp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        Self::bump(&self.ggn);
        s.batch_ggn_vp(x, batch, v, out)?;
        check_finite("batch ggn_vp", out, 0)
    }
    fn per_example_gradients(&self, x: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        Self::bump(&self.gradient);
        s.per_example_gradients(x, batch, out)
    }
}

impl<O: Objective> Counted<O> {
    fn finite_sum(&self) -> Result<&dyn FiniteSum> {
        self.inner
            .as_finite_sum()
            .ok_or_else(|| Error::Unsupported("objective is not a finite sum over examples".into()))
    }
}

impl<T: Objective + ?Sized> Objective for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        (**self).value(x)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        (**self).gradient(x, g)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        (**self).hvp(x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        (**self).hessian(x)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        (**self).as_gauss_newton()
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        (**self).as_finite_sum()
    }
}

impl<T: Objective + ?Sized> Objective for Box<T> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        (**self).value(x)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        (**self).gradient(x, g)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        (**self).hvp(x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        (**self).hessian(x)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        (**self).as_gauss_newton()
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        (**self).as_finite_sum()
    }
}
