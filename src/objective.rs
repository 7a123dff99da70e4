//! The objective interface every method and diagnostic works on, and a counting wrapper.
//!
//! An [`Objective`] gives values, gradients, Hessian-vector products (HVPs) and dense Hessians,
//! all exact to rounding for curvlab's own problems (see [`crate::diff`]). Objectives that are a
//! composition `L(z(x))` with a convex loss `L` can also give Gauss-Newton products
//! ([`GaussNewton`], Schraudolph 2002; Martens 2010), and data-fitting objectives that are an
//! average over examples give minibatch quantities ([`FiniteSum`]).

use crate::curvature::layered::{LayerShape, LayerStatistics, Layered, Targets};
use crate::error::{Error, Result, check_finite, check_finite_scalar, check_len};
use faer::{Mat, MatMut, MatRef};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::objective_fns::{
    FINITE_DIFFERENCE_NOTE, FnObjective, GenericObjective, from_fns, from_generic,
};

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

    /// Writes the Hessian-vector product `∇²f(x) v` into `out`. The default returns
    /// [`Error::Unsupported`], so an objective for gradient methods implements `dim`, `value` and
    /// `gradient` only; second-order methods then fail at `init` or their first product with
    /// that error (a usage error, exit status 2 on the command line).
    ///
    /// ```
    /// use curvlab::{Objective, Result};
    /// struct Sphere;
    /// impl Objective for Sphere {
    ///     fn dim(&self) -> usize { 2 }
    ///     fn value(&self, x: &[f64]) -> Result<f64> { Ok(x[0] * x[0] + x[1] * x[1]) }
    ///     fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
    ///         g[0] = 2.0 * x[0];
    ///         g[1] = 2.0 * x[1];
    ///         self.value(x)
    ///     }
    /// }
    /// let mut out = [0.0; 2];
    /// let e = Sphere.hvp(&[1.0, 1.0], &[1.0, 0.0], &mut out).unwrap_err();
    /// assert!(matches!(e, curvlab::Error::Unsupported(_)));
    /// assert!(Sphere.hessian(&[1.0, 1.0]).is_err());
    /// ```
    fn hvp(&self, _x: &[f64], _v: &[f64], _out: &mut [f64]) -> Result<()> {
        Err(Error::Unsupported(
            "this objective has no Hessian-vector products (Objective::hvp not implemented)".into(),
        ))
    }

    /// Writes `∇²f(x) V` into `out` for a block `V` of `k` directions (`n × k`): `k` products
    /// (counted as `k` by [`Counted`]). The default calls [`Objective::hvp`] per column; the data
    /// problems override it with one forward/backward pass for the whole block.
    ///
    /// ```
    /// use curvlab::Objective;
    /// use curvlab::problems::Rosenbrock;
    /// let f = Rosenbrock::new(2).unwrap();
    /// let v = faer::mat![[1.0, 0.0], [0.0, 1.0]];
    /// let mut out = faer::Mat::<f64>::zeros(2, 2);
    /// f.hvp_block(&[1.0, 1.0], v.as_ref(), out.as_mut()).unwrap();
    /// assert_eq!((out[(0, 0)], out[(1, 0)], out[(1, 1)]), (802.0, -400.0, 200.0));
    /// ```
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        block_by_columns(self.dim(), v, out, |a, b| self.hvp(x, a, b))
    }

    /// The dense Hessian `∇²f(x)`. The default assembles it column by column from `dim()` HVPs
    /// with unit vectors and symmetrizes it, `(H + Hᵀ)/2`.
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        assemble_hessian(self, x)
    }

    /// The layer structure K-FAC needs ([`Layered`]: fully connected layers and their
    /// statistics), when the objective is a layered network; `None` by default.
    ///
    /// ```
    /// use curvlab::Objective;
    /// use curvlab::params::Params;
    /// let p = Params::from_pairs(&["hidden=4", "samples=40"]).unwrap();
    /// let net = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
    /// assert_eq!(net.objective.layered().unwrap().layer_shapes().len(), 2);
    /// assert!(curvlab::problems::Rosenbrock::new(2).unwrap().layered().is_none());
    /// ```
    fn layered(&self) -> Option<&dyn Layered> {
        None
    }

    /// Gauss-Newton products, when the objective has that structure.
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        None
    }

    /// Gradients with labels sampled from the model's own predictive distribution (for
    /// Sophia-G's Gauss-Newton-Bartlett estimator and Monte-Carlo Fisher products), when the
    /// objective is a likelihood with a distribution to sample from: the `classifier` with the
    /// cross-entropy loss and `logistic`. `None` by default.
    ///
    /// ```
    /// use curvlab::Objective;
    /// assert!(curvlab::problems::Rosenbrock::new(2).unwrap().sampled_labels().is_none());
    /// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
    /// assert!(f.sampled_labels().is_some());
    /// ```
    fn sampled_labels(&self) -> Option<&dyn SampledLabels> {
        None
    }

    /// How [`Objective::hvp`] is computed when it is not exact to rounding (finite differences:
    /// [`FINITE_DIFFERENCE_NOTE`]); `None` for exact products. [`crate::minimize`](fn@crate::minimize)
    /// copies it into [`crate::Report::notes`].
    ///
    /// ```
    /// use curvlab::Objective;
    /// let f = curvlab::objective::from_fns(1, |x| x[0] * x[0], |x, g| g[0] = 2.0 * x[0]).unwrap();
    /// assert!(f.hvp_note().unwrap().starts_with("finite-difference HVP"));
    /// assert!(curvlab::problems::Rosenbrock::new(2).unwrap().hvp_note().is_none());
    /// ```
    fn hvp_note(&self) -> Option<String> {
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
    /// Writes `G(x) V` into `out` for a block of `k` directions; the default loops over columns.
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        let n = x.len();
        block_by_columns(n, v, out, |a, b| self.ggn_vp(x, a, b))
    }
}

/// Minibatch gradients with labels drawn from the model's predictive distribution
/// `ŷ ~ p(y | x, θ)` instead of the data's labels: the ingredient of the Monte-Carlo Fisher
/// (Martens 2020, §9.1) and of Sophia-G's Gauss-Newton-Bartlett estimator (Liu et al., ICLR
/// 2024, Algorithm 2). `E_ŷ[ĝ ĝᵀ]` over one example is that example's Gauss-Newton matrix for
/// a loss that is the negative log-likelihood of an exponential family in the outputs.
pub trait SampledLabels: Send + Sync {
    /// Writes `ĝ = (1/|B|) Σ_{i∈B} ∇ℓ(zᵢ(x), ŷᵢ)` into `g`, with one label `ŷᵢ` per example drawn
    /// from the model's predictive distribution at `x` by a generator seeded with `seed` (data
    /// term only: no regularizer).
    ///
    /// ```
    /// use curvlab::Objective;
    /// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
    /// let s = f.sampled_labels().unwrap();
    /// let (mut a, mut b) = (vec![0.0; 3], vec![0.0; 3]);
    /// s.sampled_gradient(&[0.0; 3], &[0, 1, 2], 7, &mut a).unwrap();
    /// s.sampled_gradient(&[0.0; 3], &[0, 1, 2], 7, &mut b).unwrap();
    /// assert_eq!(a, b); // same seed, same labels
    /// assert!(s.sampled_gradient(&[0.0; 3], &[10], 7, &mut a).is_err());
    /// ```
    fn sampled_gradient(&self, x: &[f64], batch: &[usize], seed: u64, g: &mut [f64]) -> Result<()>;
}

/// Applies a vector product `f(v, out)` to each column of `v` (`n × k`) into `out`.
///
/// ```
/// let v = faer::mat![[1.0, 2.0]];
/// let mut out = faer::Mat::<f64>::zeros(1, 2);
/// curvlab::objective::block_by_columns(1, v.as_ref(), out.as_mut(), |a, b| {
///     b[0] = 3.0 * a[0];
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!((out[(0, 0)], out[(0, 1)]), (3.0, 6.0));
/// ```
pub fn block_by_columns(
    n: usize,
    v: MatRef<'_, f64>,
    mut out: MatMut<'_, f64>,
    mut f: impl FnMut(&[f64], &mut [f64]) -> Result<()>,
) -> Result<()> {
    check_len("block rows", n, v.nrows())?;
    check_len("output block rows", n, out.nrows())?;
    check_len("output block columns", v.ncols(), out.ncols())?;
    let mut a = vec![0.0; n];
    let mut b = vec![0.0; n];
    for j in 0..v.ncols() {
        for (i, ai) in a.iter_mut().enumerate() {
            *ai = v[(i, j)];
        }
        f(&a, &mut b)?;
        for (i, bi) in b.iter().enumerate() {
            out[(i, j)] = *bi;
        }
    }
    Ok(())
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

/// Evaluation counts: calls by kind, and the work they did.
///
/// **Calls** (`value`, `gradient`, `hvp`, `hessian`, `ggn`) count invocations. **Work** is what
/// equal-cost comparisons need ([`Counts::gradient_equivalents`]):
///
/// - for a finite sum over `N` examples ([`FiniteSum`], `num_examples = N`), per-example work:
///   a full gradient does `N` example-gradients, a minibatch gradient of `b` examples `b`, and
///   [`FiniteSum::per_example_gradients`] of a batch its batch size; values, HVPs and GGN products
///   likewise (`*_examples` fields);
/// - a dense Hessian counts `n` HVPs (`dim = n`), whether the objective assembles it from HVPs or
///   has a closed form: forming its `n²` entries costs about `n` gradients for curvlab's problems
///   (`JᵀJ` of a sum of squares is `m n²` flops against a gradient's `m n`), and it keeps the rule
///   independent of how an implementor wrote it.
///
/// ```
/// let c = curvlab::Counts { value: 1, gradient: 2, hvp: 3, ..Default::default() };
/// assert_eq!(c.gradient_equivalents(), 1.0 + 2.0 + 3.0 * 2.0);
/// // A finite sum over N = 100: one full gradient and 5 batch gradients of 10 examples.
/// let s = curvlab::Counts { gradient: 6, gradient_examples: 150, num_examples: 100, ..Default::default() };
/// assert_eq!(s.gradient_equivalents(), 1.5);
/// // A dense Hessian with n = 4: four HVPs, eight gradient-equivalents.
/// let h = curvlab::Counts { hessian: 1, dim: 4, ..Default::default() };
/// assert_eq!(h.gradient_equivalents(), 8.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Calls of `value`.
    pub value: u64,
    /// Calls of `gradient`, `batch_gradient` and `per_example_gradients`.
    pub gradient: u64,
    /// Calls of `hvp` and `batch_hvp`.
    pub hvp: u64,
    /// Calls of `hessian`.
    pub hessian: u64,
    /// Calls of `ggn_vp` and `batch_ggn_vp`.
    pub ggn: u64,
    /// Example-values done by `value` calls (`N` each; finite sums only, else 0).
    #[serde(default)]
    pub value_examples: u64,
    /// Example-gradients: `N` per full gradient, the batch size per batch or per-example
    /// gradient call (finite sums only, else 0).
    #[serde(default)]
    pub gradient_examples: u64,
    /// Example-HVPs: `N` per full HVP, the batch size per batch HVP (finite sums only).
    #[serde(default)]
    pub hvp_examples: u64,
    /// Example-GGN products: `N` per full product, the batch size per batch product.
    #[serde(default)]
    pub ggn_examples: u64,
    /// `N` for a finite-sum objective, 0 otherwise.
    #[serde(default)]
    pub num_examples: u64,
    /// The dimension `n` (prices a dense Hessian at `n` HVPs).
    #[serde(default)]
    pub dim: u64,
}

impl Counts {
    /// The cost in full-gradient evaluations: a value counts 1 (a forward pass is about half a
    /// gradient, rounded up for simplicity), a gradient 1, an HVP or GGN product 2 (Pearlmutter's
    /// R-operator costs about two gradients), a dense Hessian `n` HVPs (`2n`). For a finite sum
    /// the same weights apply to example work divided by `N`, so a minibatch gradient of `b`
    /// examples costs `b/N`.
    pub fn gradient_equivalents(&self) -> f64 {
        let hessians = 2.0 * (self.hessian as f64) * (self.dim as f64);
        let (v, g, h, gn) = if self.num_examples > 0 {
            let big_n = self.num_examples as f64;
            (
                self.value_examples as f64 / big_n,
                self.gradient_examples as f64 / big_n,
                self.hvp_examples as f64 / big_n,
                self.ggn_examples as f64 / big_n,
            )
        } else {
            (
                self.value as f64,
                self.gradient as f64,
                self.hvp as f64,
                self.ggn as f64,
            )
        };
        v + g + 2.0 * (h + gn) + hessians
    }
}

/// Wraps an objective, counts every evaluation by kind and its work ([`Counts`]), checks
/// argument lengths and rejects non-finite results with [`Error::NonFinite`] (naming the first
/// bad entry).
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
    num_examples: u64,
    calls: [AtomicU64; 5],
    examples: [AtomicU64; 4],
}

/// Indices into `Counted::calls` (and, for the first four, `Counted::examples`).
const VALUE: usize = 0;
const GRADIENT: usize = 1;
const HVP: usize = 2;
const GGN: usize = 3;
const HESSIAN: usize = 4;

impl<O: Objective> Counted<O> {
    /// Wraps `inner` with all counts at zero.
    pub fn new(inner: O) -> Self {
        let num_examples = inner.as_finite_sum().map_or(0, |s| s.num_examples() as u64);
        Counted {
            inner,
            num_examples,
            calls: Default::default(),
            examples: Default::default(),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        let c = |i: usize| self.calls[i].load(Ordering::Relaxed);
        let e = |i: usize| self.examples[i].load(Ordering::Relaxed);
        Counts {
            value: c(VALUE),
            gradient: c(GRADIENT),
            hvp: c(HVP),
            hessian: c(HESSIAN),
            ggn: c(GGN),
            value_examples: e(VALUE),
            gradient_examples: e(GRADIENT),
            hvp_examples: e(HVP),
            ggn_examples: e(GGN),
            num_examples: self.num_examples,
            dim: self.inner.dim() as u64,
        }
    }

    /// The wrapped objective.
    pub fn inner(&self) -> &O {
        &self.inner
    }

    /// One call of kind `k` over `examples` examples (the whole sum when `None`).
    fn bump(&self, k: usize, examples: Option<usize>) {
        self.calls[k].fetch_add(1, Ordering::Relaxed);
        if k < HESSIAN && self.num_examples > 0 {
            let w = examples.map_or(self.num_examples, |b| b as u64);
            self.examples[k].fetch_add(w, Ordering::Relaxed);
        }
    }

    fn finite_sum(&self) -> Result<&dyn FiniteSum> {
        self.inner
            .as_finite_sum()
            .ok_or_else(|| Error::Unsupported("objective is not a finite sum over examples".into()))
    }
}

impl<O: Objective> Objective for Counted<O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        self.bump(VALUE, None);
        check_finite_scalar("value", self.inner.value(x)?, 0)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.dim(), x.len())?;
        check_len("gradient buffer", self.dim(), g.len())?;
        self.bump(GRADIENT, None);
        let f = check_finite_scalar("value", self.inner.gradient(x, g)?, 0)?;
        check_finite("gradient", g, 0)?;
        Ok(f)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim(), x.len())?;
        check_len("v", self.dim(), v.len())?;
        check_len("hvp buffer", self.dim(), out.len())?;
        self.bump(HVP, None);
        self.inner.hvp(x, v, out)?;
        check_finite("hvp", out, 0)
    }
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        check_len("x", self.dim(), x.len())?;
        check_len("block rows", self.dim(), v.nrows())?;
        check_len("output block columns", v.ncols(), out.ncols())?;
        for _ in 0..v.ncols() {
            self.bump(HVP, None);
        }
        self.inner.hvp_block(x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.dim(), x.len())?;
        self.bump(HESSIAN, None);
        let h = self.inner.hessian(x)?;
        for j in 0..h.ncols() {
            for i in 0..h.nrows() {
                if !h[(i, j)].is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("hessian[({i}, {j})] = {}", h[(i, j)]),
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
    fn sampled_labels(&self) -> Option<&dyn SampledLabels> {
        self.inner
            .sampled_labels()
            .map(|_| self as &dyn SampledLabels)
    }
    fn hvp_note(&self) -> Option<String> {
        self.inner.hvp_note()
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        self.inner.as_finite_sum().map(|_| self as &dyn FiniteSum)
    }
    fn layered(&self) -> Option<&dyn Layered> {
        self.inner.layered().map(|_| self as &dyn Layered)
    }
}

/// K-FAC statistics are counted as gradients: one forward and one backward pass per example
/// and target set (`c` sets for [`Targets::Expected`]).
impl<O: Objective> Layered for Counted<O> {
    fn layer_shapes(&self) -> Vec<LayerShape> {
        self.inner
            .layered()
            .map_or_else(Vec::new, |l| l.layer_shapes())
    }
    fn layer_statistics(
        &self,
        x: &[f64],
        batch: Option<&[usize]>,
        targets: Targets,
    ) -> Result<Vec<LayerStatistics>> {
        let l = self
            .inner
            .layered()
            .ok_or_else(|| Error::Unsupported("objective does not expose its layers".into()))?;
        let stats = l.layer_statistics(x, batch, targets)?;
        let sets = stats.first().map_or(1, |s| s.per_example);
        for _ in 0..sets {
            self.bump(GRADIENT, batch.map(|b| b.len()));
        }
        Ok(stats)
    }
    fn weight_decay(&self) -> f64 {
        self.inner.layered().map_or(0.0, |l| l.weight_decay())
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
        check_len("ggn_vp buffer", self.dim(), out.len())?;
        self.bump(GGN, None);
        gn.ggn_vp(x, v, out)?;
        check_finite("ggn_vp", out, 0)
    }
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        let gn = self
            .inner
            .as_gauss_newton()
            .ok_or_else(|| Error::Unsupported("objective has no Gauss-Newton products".into()))?;
        check_len("x", self.dim(), x.len())?;
        check_len("block rows", self.dim(), v.nrows())?;
        for _ in 0..v.ncols() {
            self.bump(GGN, None);
        }
        gn.ggn_vp_block(x, v, out)
    }
}

/// A sampled-label gradient counts as a gradient over its batch.
impl<O: Objective> SampledLabels for Counted<O> {
    fn sampled_gradient(&self, x: &[f64], batch: &[usize], seed: u64, g: &mut [f64]) -> Result<()> {
        let s = self
            .inner
            .sampled_labels()
            .ok_or_else(|| Error::Unsupported("objective has no sampled-label gradients".into()))?;
        check_len("x", self.dim(), x.len())?;
        check_len("gradient buffer", self.dim(), g.len())?;
        self.bump(GRADIENT, Some(batch.len()));
        s.sampled_gradient(x, batch, seed, g)?;
        check_finite("sampled-label gradient", g, 0)
    }
}

impl<O: Objective> FiniteSum for Counted<O> {
    fn num_examples(&self) -> usize {
        self.num_examples as usize
    }
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        let s = self.finite_sum()?;
        self.bump(GRADIENT, Some(batch.len()));
        let f = check_finite_scalar("batch value", s.batch_gradient(x, batch, g)?, 0)?;
        check_finite("batch gradient", g, 0)?;
        Ok(f)
    }
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        self.bump(HVP, Some(batch.len()));
        s.batch_hvp(x, batch, v, out)?;
        check_finite("batch hvp", out, 0)
    }
    fn batch_ggn_vp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        self.bump(GGN, Some(batch.len()));
        s.batch_ggn_vp(x, batch, v, out)?;
        check_finite("batch ggn_vp", out, 0)
    }
    fn per_example_gradients(&self, x: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        let s = self.finite_sum()?;
        self.bump(GRADIENT, Some(batch.len()));
        s.per_example_gradients(x, batch, out)?;
        check_finite("per-example gradients", out, 0)
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
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        (**self).hvp_block(x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        (**self).hessian(x)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        (**self).as_gauss_newton()
    }
    fn sampled_labels(&self) -> Option<&dyn SampledLabels> {
        (**self).sampled_labels()
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        (**self).as_finite_sum()
    }
    fn hvp_note(&self) -> Option<String> {
        (**self).hvp_note()
    }
    fn layered(&self) -> Option<&dyn Layered> {
        (**self).layered()
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
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        (**self).hvp_block(x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        (**self).hessian(x)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        (**self).as_gauss_newton()
    }
    fn sampled_labels(&self) -> Option<&dyn SampledLabels> {
        (**self).sampled_labels()
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        (**self).as_finite_sum()
    }
    fn hvp_note(&self) -> Option<String> {
        (**self).hvp_note()
    }
    fn layered(&self) -> Option<&dyn Layered> {
        (**self).layered()
    }
}
