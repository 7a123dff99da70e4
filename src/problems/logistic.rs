//! L2-regularised binary logistic regression (Hastie, Tibshirani & Friedman 2009, §4.4;
//! Nocedal & Wright 2006, §7.1 use it as the large-scale test problem):
//!
//! `f(w, b) = (1/N) Σᵢ [log(1 + exp(zᵢ)) − yᵢ zᵢ] + (λ/2)‖w‖²`, `zᵢ = xᵢᵀw + b`, `yᵢ ∈ {0, 1}`,
//!
//! with the bias `b` not regularised. The parameter vector is `(w, b)`, of length `d + 1`.
//! Everything is closed form and written with faer matrix-vector products:
//! `∇f = ([X 1]ᵀ(σ(z) − y))/N + (λw, 0)` and the exact Hessian
//! `∇²f = [X 1]ᵀ diag(σ(z)(1 − σ(z))) [X 1] / N + diag(λ I, 0)`, so an HVP costs three
//! matrix-vector products against the gradient's two. With its canonical link the generalised
//! Gauss-Newton matrix equals the Hessian (Schraudolph 2002; Martens 2010, §4.2).
//!
//! A block of `k` products (`hvp_block`, `ggn_vp_block`) is one pass over the data with two
//! matrix-matrix products: the weights `dᵢ = σ'(zᵢ)/N` once, `U = [X 1] V` (`N × k`), rows of `U`
//! scaled by `d`, then `[X 1]ᵀ U + diag(λ I, 0) V` (the blocking of Golub & Van Loan 2013, §1.5,
//! as curvlinops and PyHessian batch their products).
//!
//! Every faer product here runs single-threaded (`Par::Seq`) and is followed by a `vzeroupper`
//! ([`crate::linalg::matmul`]): faer 0.24 multiplies with AVX-512 kernels that return with the upper halves
//! of the vector registers dirty, and every later SSE instruction (the `exp` and `ln_1p` of the
//! per-example loops) then pays the AVX–SSE transition penalty. That, and not the products, made
//! a first block kernel 10–20× slower than the column loop (docs/block_products.md).
//!
//! Numerically stable for any `|z|`: the loss per example is `softplus(z)` for `y = 0` and
//! `softplus(−z)` for `y = 1`, with `softplus(t) = max(t, 0) + log1p(exp(−|t|))`, and the
//! residual `σ(z) − y` is `σ(z)` or `−σ(−z)`, never a cancellation.

use super::data::{Dataset, check_batch, data_path, gather_rows};
use super::registry::{ProblemInfo, ProblemInstance, label};
use crate::error::{Error, Result, check_finite, check_len};
use crate::objective::{FiniteSum, GaussNewton, Objective};
use crate::params::{ParamInfo, Params};
use faer::{Accum, ColMut, ColRef, Mat, MatMut, MatRef};

/// Registry entry.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "logistic",
    summary: "L2-regularised logistic regression (1/N)Σ log(1+e^z) − y z + λ/2‖w‖² on a CSV file or seeded synthetic data",
    params: &[
        ParamInfo {
            name: "data",
            default: "(synthetic)",
            doc: "CSV file: header row, features, last column the 0/1 label (--data)",
        },
        ParamInfo {
            name: "samples",
            default: "1000",
            doc: "synthetic data: number of examples N",
        },
        ParamInfo {
            name: "features",
            default: "20",
            doc: "synthetic data: number of features d (n = d + 1 with the bias)",
        },
        ParamInfo {
            name: "lambda",
            default: "1e-3",
            doc: "L2 regularisation λ ≥ 0 on the weights (not the bias)",
        },
    ],
};

/// Builds the problem: from the CSV file `data`, or synthetic (`samples`, `features`, seeded).
/// Standard start `x₀ = 0`.
///
/// ```
/// use curvlab::params::Params;
/// let p = curvlab::problems::build_problem("logistic", &Params::from_pairs(&["features=4"]).unwrap(), 0).unwrap();
/// assert_eq!(p.x0, vec![0.0; 5]);
/// ```
pub fn build(p: &Params, seed: u64) -> Result<ProblemInstance> {
    let lambda = p.f64("lambda", 1e-3)?;
    let problem = match data_path(p, "data") {
        Some(path) => {
            for key in ["samples", "features"] {
                if p.get(key).is_some() {
                    return Err(Error::invalid(
                        key,
                        p.get(key).map_or(String::new(), |v| v.to_string()),
                        "applies to synthetic data only, not with `data`",
                    ));
                }
            }
            LogisticRegression::new(Dataset::from_csv(&path)?)?
        }
        None => {
            let (d, _) = Dataset::synthetic_logistic(
                p.usize("samples", 1000)?,
                p.usize("features", 20)?,
                seed,
            )?;
            LogisticRegression::new(d)?
        }
    }
    .with_lambda(lambda)?;
    Ok(ProblemInstance {
        kind: INFO.name.into(),
        label: label(INFO.name, p),
        x0: problem.standard_start(),
        f_star: None,
        x_star: None,
        eigenvalues: None,
        objective: Box::new(problem),
    })
}

/// Logistic regression on a [`Dataset`] with 0/1 labels.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::data::Dataset;
/// use curvlab::problems::logistic::LogisticRegression;
/// let d = Dataset::new(faer::mat![[1.0], [-1.0]], vec![1.0, 0.0], None).unwrap();
/// let f = LogisticRegression::new(d).unwrap().with_lambda(0.0).unwrap();
/// // At (w, b) = 0 every example has loss log 2.
/// assert!((f.value(&[0.0, 0.0]).unwrap() - 2f64.ln()).abs() < 1e-15);
/// let bad = Dataset::new(faer::mat![[1.0]], vec![2.0], None).unwrap();
/// assert!(LogisticRegression::new(bad).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    data: Dataset,
    lambda: f64,
}

impl LogisticRegression {
    /// Logistic regression with the default `λ = 1e-3`; every label must be 0 or 1 (otherwise an
    /// error naming the example, and the file and line for CSV data), and both classes must
    /// occur: on one-class data the unregularised bias has no minimiser (the loss decreases
    /// forever as `b → ±∞`), so it is refused as scikit-learn's `LogisticRegression.fit` refuses it.
    ///
    /// ```
    /// use curvlab::problems::{data::Dataset, logistic::LogisticRegression};
    /// let one = Dataset::new(faer::mat![[1.0], [2.0]], vec![1.0, 1.0], None).unwrap();
    /// let e = LogisticRegression::new(one).unwrap_err().to_string();
    /// assert!(e.contains("contains only one class: 1 (2 examples labelled 1, none labelled 0)"), "{e}");
    /// ```
    pub fn new(data: Dataset) -> Result<Self> {
        if let Some(i) = data.y().iter().position(|&y| y != 0.0 && y != 1.0) {
            return Err(data.example_error(
                i,
                format!(
                    "logistic regression needs labels 0 or 1, found {}",
                    data.y()[i]
                ),
            ));
        }
        check_two_classes(&data)?;
        Ok(LogisticRegression { data, lambda: 1e-3 })
    }

    /// Sets the L2 regularisation `λ ≥ 0` (finite).
    ///
    /// ```
    /// use curvlab::problems::logistic::LogisticRegression;
    /// let f = LogisticRegression::synthetic(10, 2, 0).unwrap();
    /// assert!(f.clone().with_lambda(-1.0).is_err());
    /// assert_eq!(f.with_lambda(0.5).unwrap().lambda(), 0.5);
    /// ```
    pub fn with_lambda(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::invalid("lambda", lambda, "must be finite and >= 0"));
        }
        self.lambda = lambda;
        Ok(self)
    }

    /// On seeded synthetic data ([`Dataset::synthetic_logistic`]), `λ = 1e-3`.
    ///
    /// ```
    /// use curvlab::Objective;
    /// let f = curvlab::problems::logistic::LogisticRegression::synthetic(50, 3, 7).unwrap();
    /// assert_eq!(f.dim(), 4);
    /// ```
    pub fn synthetic(samples: usize, features: usize, seed: u64) -> Result<Self> {
        Self::new(Dataset::synthetic_logistic(samples, features, seed)?.0)
    }

    /// The data.
    pub fn data(&self) -> &Dataset {
        &self.data
    }
    /// `λ`.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// The standard start `(w, b) = 0`.
    pub fn standard_start(&self) -> Vec<f64> {
        vec![0.0; self.data.num_features() + 1]
    }

    fn check(&self, x: &[f64]) -> Result<()> {
        check_len("x", self.data.num_features() + 1, x.len())
    }

    /// Value and (optionally) gradient on the rows `a` with labels `y`.
    fn value_grad_on(
        &self,
        a: MatRef<'_, f64>,
        y: &[f64],
        x: &[f64],
        g: Option<&mut [f64]>,
    ) -> f64 {
        let d = a.ncols();
        let m = y.len() as f64;
        let (w, b) = x.split_at(d);
        let mut z = vec![0.0; y.len()];
        margins(a, w, b[0], &mut z);
        let mut loss = 0.0;
        for (zi, &yi) in z.iter_mut().zip(y) {
            let (l, r) = loss_and_residual(*zi, yi);
            loss += l;
            *zi = r / m;
        }
        let reg = 0.5 * self.lambda * crate::linalg::vector::dot(w, w);
        if let Some(g) = g {
            let (gw, gb) = g.split_at_mut(d);
            transpose_times(a, &z, gw);
            crate::linalg::vector::axpy(self.lambda, w, gw);
            gb[0] = z.iter().sum();
        }
        loss / m + reg
    }

    /// Exact HVP on the rows `a`.
    fn hvp_on(&self, a: MatRef<'_, f64>, x: &[f64], v: &[f64], out: &mut [f64]) {
        let d = a.ncols();
        let m = a.nrows() as f64;
        let (w, b) = x.split_at(d);
        let (vw, vb) = v.split_at(d);
        let mut z = vec![0.0; a.nrows()];
        let mut u = vec![0.0; a.nrows()];
        margins(a, w, b[0], &mut z);
        margins(a, vw, vb[0], &mut u);
        for (ui, zi) in u.iter_mut().zip(&z) {
            *ui *= sigmoid_variance(*zi) / m;
        }
        let (ow, ob) = out.split_at_mut(d);
        transpose_times(a, &u, ow);
        crate::linalg::vector::axpy(self.lambda, vw, ow);
        ob[0] = u.iter().sum();
    }

    /// Exact HVPs of a block `V` (`(d+1) × k`) on the rows `a`, one pass over the data:
    /// `U = [a 1] V`, rows scaled by `σ'(zᵢ)/m`, `out = [a 1]ᵀ U + diag(λ I, 0) V`.
    fn hvp_block_on(
        &self,
        a: MatRef<'_, f64>,
        x: &[f64],
        v: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
    ) {
        let (m, d, k) = (a.nrows(), a.ncols(), v.ncols());
        let weights = curvature_weights(a, x);
        // U = [a 1] V, column-major in one buffer so the row scaling runs over slices.
        let mut u = vec![0.0; m * k];
        for (j, col) in u.chunks_exact_mut(m).enumerate() {
            col.fill(v[(d, j)]);
        }
        product(
            MatMut::from_column_major_slice_mut(&mut u, m, k),
            Accum::Add,
            a,
            v.subrows(0, d),
        );
        let (mut ow, mut ob) = out.split_at_row_mut(d);
        for (j, col) in u.chunks_exact_mut(m).enumerate() {
            ob[(0, j)] = scale_and_sum(col, &weights);
        }
        product(
            ow.as_mut(),
            Accum::Replace,
            a.transpose(),
            MatRef::from_column_major_slice(&u, m, k),
        );
        for j in 0..k {
            for i in 0..d {
                ow[(i, j)] += self.lambda * v[(i, j)];
            }
        }
    }

    /// Shapes and finiteness of a block product's inputs.
    fn check_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatRef<'_, f64>) -> Result<()> {
        self.check(x)?;
        check_len("block rows", x.len(), v.nrows())?;
        check_len("output block rows", x.len(), out.nrows())?;
        check_len("output block columns", v.ncols(), out.ncols())?;
        check_finite("x", x, 0)?;
        for j in 0..v.ncols() {
            for i in 0..v.nrows() {
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

    fn check_hvp(&self, x: &[f64], v: &[f64], out: &[f64]) -> Result<()> {
        self.check(x)?;
        check_len("v", x.len(), v.len())?;
        check_len("hvp buffer", x.len(), out.len())
    }
}

/// The loss `log(1 + eᶻ) − y z` and the residual `σ(z) − y` of one example, from the single
/// exponential `e^{−|z|}`: for `y = 1` they are `softplus(−z)` and `−σ(−z)`, so neither cancels.
#[inline]
fn loss_and_residual(z: f64, y: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let l1p = e.ln_1p();
    let (s_pos, s_neg) = if z >= 0.0 {
        (1.0 / (1.0 + e), e / (1.0 + e))
    } else {
        (e / (1.0 + e), 1.0 / (1.0 + e))
    };
    if y == 1.0 {
        ((-z).max(0.0) + l1p, -s_neg)
    } else {
        (z.max(0.0) + l1p, s_pos)
    }
}

/// `z = a w + b`.
fn margins(a: MatRef<'_, f64>, w: &[f64], b: f64, z: &mut [f64]) {
    z.fill(b);
    product(
        ColMut::from_slice_mut(z).as_mat_mut(),
        Accum::Add,
        a,
        ColRef::from_slice(w).as_mat(),
    );
}

/// `out = aᵀ r`.
fn transpose_times(a: MatRef<'_, f64>, r: &[f64], out: &mut [f64]) {
    product(
        ColMut::from_slice_mut(out).as_mat_mut(),
        Accum::Replace,
        a.transpose(),
        ColRef::from_slice(r).as_mat(),
    );
}

/// The curvature weights `σ'(zᵢ)/m = σ(zᵢ)(1 − σ(zᵢ))/m` of the rows `a` at `x = (w, b)`.
fn curvature_weights(a: MatRef<'_, f64>, x: &[f64]) -> Vec<f64> {
    let (m, d) = (a.nrows(), a.ncols());
    let mut z = vec![0.0; m];
    margins(a, &x[..d], x[d], &mut z);
    for zi in &mut z {
        *zi = sigmoid_variance(*zi) / m as f64;
    }
    z
}

/// `u ← u ⊙ w` and returns `Σ uᵢ`, with four partial sums (the single sum is latency-bound:
/// one dependent addition per element).
fn scale_and_sum(u: &mut [f64], w: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let mut uc = u.chunks_exact_mut(4);
    let mut wc = w.chunks_exact(4);
    for (u4, w4) in (&mut uc).zip(&mut wc) {
        for t in 0..4 {
            u4[t] *= w4[t];
            acc[t] += u4[t];
        }
    }
    let mut tail = 0.0;
    for (ui, wi) in uc.into_remainder().iter_mut().zip(wc.remainder()) {
        *ui *= wi;
        tail += *ui;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `dst (=|+=) lhs · rhs` with [`crate::linalg::matmul::product`] (faer, single-threaded, then a
/// `vzeroupper`; also used by the least-squares block products).
///
/// `Par::Seq` by measurement (docs/block_products.md): on this 2-core machine rayon was slower
/// at every size tried, from `1000 × 20` (26 µs against 7 µs for `X V`, k = 8) to `20000 × 200`
/// (`Xᵀ U` 182 ms against 16 ms), and the callers (Lanczos, Hutchinson, studies) run with the
/// global parallelism set to sequential anyway.
pub(super) fn product(
    dst: MatMut<'_, f64>,
    accum: Accum,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
) {
    crate::linalg::matmul::product(dst, accum, lhs, rhs, 1.0);
}

/// `log(1 + eᵗ)` without overflow or cancellation.
///
/// ```
/// use curvlab::problems::logistic::softplus;
/// assert_eq!(softplus(1000.0), 1000.0);
/// assert_eq!(softplus(-1000.0), 0.0);
/// assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-16);
/// assert!((softplus(-40.0) - (-40f64).exp()).abs() < 1e-30);
/// ```
pub fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// The logistic function `σ(t) = 1/(1 + e⁻ᵗ)` without overflow.
///
/// ```
/// use curvlab::problems::logistic::sigmoid;
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert_eq!(sigmoid(-1000.0), 0.0);
/// assert_eq!(sigmoid(1000.0), 1.0);
/// ```
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `σ(t)(1 − σ(t)) = e^{−|t|}/(1 + e^{−|t|})²`, the Bernoulli variance, without cancellation.
///
/// ```
/// use curvlab::problems::logistic::sigmoid_variance;
/// assert_eq!(sigmoid_variance(0.0), 0.25);
/// assert!(sigmoid_variance(800.0) == 0.0 && sigmoid_variance(-30.0) > 0.0);
/// ```
pub fn sigmoid_variance(t: f64) -> f64 {
    let e = (-t.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

impl Objective for LogisticRegression {
    fn dim(&self) -> usize {
        self.data.num_features() + 1
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        self.check(x)?;
        Ok(self.value_grad_on(self.data.x(), self.data.y(), x, None))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        self.check(x)?;
        check_len("gradient buffer", x.len(), g.len())?;
        Ok(self.value_grad_on(self.data.x(), self.data.y(), x, Some(g)))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_hvp(x, v, out)?;
        self.hvp_on(self.data.x(), x, v, out);
        Ok(())
    }
    /// One pass over the data for the whole block: `U = [X 1] V` and `[X 1]ᵀ diag(σ'(z)/N) U`,
    /// two matrix-matrix products (module docs). Wrong shapes and non-finite `x` or `V` are
    /// errors.
    ///
    /// ```
    /// use curvlab::Objective;
    /// let f = curvlab::problems::logistic::LogisticRegression::synthetic(50, 3, 1).unwrap();
    /// let x = [0.1, -0.2, 0.3, 0.05];
    /// let v = faer::Mat::<f64>::from_fn(4, 2, |i, j| (i + 2 * j) as f64 - 1.5);
    /// let mut out = faer::Mat::<f64>::zeros(4, 2);
    /// f.hvp_block(&x, v.as_ref(), out.as_mut()).unwrap();
    /// let (col, mut hv) = ([-1.5, -0.5, 0.5, 1.5], [0.0; 4]);
    /// f.hvp(&x, &col, &mut hv).unwrap();
    /// for i in 0..4 {
    ///     assert!((out[(i, 0)] - hv[i]).abs() < 1e-14);
    /// }
    /// let mut bad = faer::Mat::<f64>::zeros(4, 3);
    /// assert!(f.hvp_block(&x, v.as_ref(), bad.as_mut()).is_err());
    /// ```
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.check_block(x, v, out.as_ref())?;
        self.hvp_block_on(self.data.x(), x, v, out);
        Ok(())
    }
    /// The closed form `[X 1]ᵀ diag(σ(1−σ)) [X 1] / N + diag(λ I, 0)`, with one matrix product.
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        self.check(x)?;
        let a = self.data.x();
        let (nrows, d) = (a.nrows(), a.ncols());
        let (w, b) = x.split_at(d);
        let mut z = vec![0.0; nrows];
        margins(a, w, b[0], &mut z);
        let s: Vec<f64> = z
            .iter()
            .map(|&zi| (sigmoid_variance(zi) / nrows as f64).sqrt())
            .collect();
        let bmat = Mat::from_fn(nrows, d + 1, |i, j| {
            s[i] * if j < d { a[(i, j)] } else { 1.0 }
        });
        let mut h = Mat::<f64>::zeros(d + 1, d + 1);
        product(h.as_mut(), Accum::Replace, bmat.transpose(), bmat.as_ref());
        for j in 0..d {
            h[(j, j)] += self.lambda;
        }
        crate::objective::symmetrize(&mut h);
        Ok(h)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
    /// Labels `ŷ ~ Bernoulli(σ(z))` ([`crate::curvature::operators::logistic`]).
    fn sampled_labels(&self) -> Option<&dyn crate::objective::SampledLabels> {
        Some(self)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
}

/// With the canonical (logit) link the GGN equals the Hessian (Schraudolph 2002, §3;
/// Martens 2010, §4.2): `ggn_vp` is the exact HVP.
impl GaussNewton for LogisticRegression {
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.hvp(x, v, out)
    }
    /// The block HVP ([`Objective::hvp_block`]): one pass over the data.
    ///
    /// ```
    /// use curvlab::{GaussNewton, Objective};
    /// let f = curvlab::problems::logistic::LogisticRegression::synthetic(40, 2, 0).unwrap();
    /// let v = faer::Mat::<f64>::identity(3, 3);
    /// let (mut g, mut h) = (faer::Mat::<f64>::zeros(3, 3), faer::Mat::<f64>::zeros(3, 3));
    /// f.ggn_vp_block(&[0.0; 3], v.as_ref(), g.as_mut()).unwrap();
    /// f.hvp_block(&[0.0; 3], v.as_ref(), h.as_mut()).unwrap();
    /// assert_eq!(g, h);
    /// ```
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.hvp_block(x, v, out)
    }
}

/// Minibatches: `(1/|B|) Σ_{i∈B} ℓᵢ + (λ/2)‖w‖²`; per-example gradients
/// `∇ℓᵢ = (σ(zᵢ) − yᵢ)(xᵢ, 1)`.
impl FiniteSum for LogisticRegression {
    fn num_examples(&self) -> usize {
        self.data.len()
    }
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        self.check(x)?;
        check_len("gradient buffer", x.len(), g.len())?;
        check_batch(batch, self.data.len())?;
        let a = gather_rows(self.data.x(), batch);
        let y: Vec<f64> = batch.iter().map(|&i| self.data.y()[i]).collect();
        Ok(self.value_grad_on(a.as_ref(), &y, x, Some(g)))
    }
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_hvp(x, v, out)?;
        check_batch(batch, self.data.len())?;
        let a = gather_rows(self.data.x(), batch);
        self.hvp_on(a.as_ref(), x, v, out);
        Ok(())
    }
    fn batch_ggn_vp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.batch_hvp(x, batch, v, out)
    }
    fn per_example_gradients(&self, x: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        self.check(x)?;
        check_batch(batch, self.data.len())?;
        let n = x.len();
        check_len("per-example gradient buffer", batch.len() * n, out.len())?;
        let a = self.data.x();
        let d = n - 1;
        for (k, &i) in batch.iter().enumerate() {
            let mut z = x[d];
            for j in 0..d {
                z += a[(i, j)] * x[j];
            }
            let r = loss_and_residual(z, self.data.y()[i]).1;
            let row = &mut out[k * n..(k + 1) * n];
            for j in 0..d {
                row[j] = r * a[(i, j)];
            }
            row[d] = r;
        }
        Ok(())
    }
}

/// What logistic regression allocates, from its parameters (read without marking them):
/// synthetic data `samples × (features + 1)` plus four per-example vectors (`z`, `σ(z)`, the
/// residual, the curvature weights) and the working set of `n = features + 1`; for a CSV file,
/// the file's request ([`super::data::file_request`]; `n` unknown before reading).
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["samples=1e9"]).unwrap();
/// let s = curvlab::problems::logistic::memory_request(&p).unwrap().unwrap();
/// assert_eq!(s.n, Some(21));
/// assert_eq!(s.request.bytes, Some(8 * 1_000_000_000 * (21 + 4) + 8 * 8 * 21));
/// ```
pub fn memory_request(p: &Params) -> Result<Option<super::registry::ProblemSize>> {
    use super::registry::ProblemSize;
    use crate::memory::{f64s, peek_str, peek_u64, sum, working_set};
    if let Some(path) = peek_str(p, "data") {
        return Ok(
            super::data::file_request(std::path::Path::new(&path), "data")?
                .map(|request| ProblemSize { n: None, request }),
        );
    }
    let samples = peek_u64(p, "samples", 1000)?;
    let features = peek_u64(p, "features", 20)?;
    let n = features.saturating_add(1);
    let mut request = super::data::synthetic_request(
        samples.min(usize::MAX as u64) as usize,
        features.min(usize::MAX as u64) as usize,
    )?;
    request.what = format!("logistic samples = {samples}, features = {features}");
    request.bytes = sum(&[request.bytes, f64s(&[4, samples]), working_set(n)]);
    Ok(Some(ProblemSize {
        n: Some(n),
        request,
    }))
}

/// Both labels 0 and 1 occur in `data` (labels already checked to be 0 or 1); otherwise an error
/// with the class counts, in scikit-learn's words.
fn check_two_classes(data: &Dataset) -> Result<()> {
    let ones = data.y().iter().filter(|&&y| y == 1.0).count();
    let zeros = data.len() - ones;
    if ones > 0 && zeros > 0 {
        return Ok(());
    }
    let (class, n, other) = if ones > 0 {
        (1, ones, 0)
    } else {
        (0, zeros, 1)
    };
    let examples = if n == 1 { "example" } else { "examples" };
    let source = data
        .source_path()
        .map_or_else(|| "(in memory)".to_string(), |p| p.display().to_string());
    Err(Error::invalid(
        "data",
        source,
        &format!(
            "logistic regression needs samples of at least 2 classes in the data, but the data \
             contains only one class: {class} ({n} {examples} labelled {class}, none labelled \
             {other}); its unregularised bias has no minimiser"
        ),
    ))
}
