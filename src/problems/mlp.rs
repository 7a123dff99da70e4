//! A small multilayer perceptron classifier with softmax cross-entropy, the standard test bed of
//! Hessian-free optimization (Martens 2010) and of Gauss-Newton curvature (Schraudolph 2002):
//!
//! `f(θ) = (1/N) Σᵢ [logsumexp(zᵢ) − zᵢ[yᵢ]] + (λ/2) Σ_l ‖W_l‖²`,
//! `zᵢ = W_L φ(… φ(W_1 xᵢ + b_1) …) + b_L`,
//!
//! with `φ = tanh` (default) or softplus, labels `yᵢ ∈ {0, …, k−1}`, and biases not regularised.
//! All derivatives are exact and batched with faer matrix products (examples are columns):
//!
//! - gradient by backpropagation (Rumelhart, Hinton & Williams 1986);
//! - Hessian-vector products by Pearlmutter's (1994) R-operator: a forward R-pass for
//!   `R{a_l}`, `R{h_l}`, then a backward R-pass for `R{δ_l}` and `R{∇W_l}`, including the
//!   second-derivative terms `φ''` and the softmax Hessian;
//! - Gauss-Newton products `Gv = Jᵀ H_L J v + λ v_W` (Schraudolph 2002; Martens 2010, §4.2):
//!   `Jv` is the forward R-pass's `R{z}`, `H_L = (diag(p) − ppᵀ)/N` per example, and `Jᵀ(·)` one
//!   ordinary backward pass; `G` is positive semidefinite;
//! - per-example gradients and minibatches ([`FiniteSum`]).
//!
//! The flat parameter vector stores, layer by layer, `W_l` (`out × in`, column-major) then `b_l`.
//! Default start: Glorot-uniform weights `U(±√(6/(in + out)))` (Glorot & Bengio 2010) from the
//! seed, zero biases.

use super::data::{Dataset, check_batch, data_path};
use super::registry::{ProblemInfo, ProblemInstance, label};
use crate::error::{Error, Result, check_len};
use crate::objective::{FiniteSum, GaussNewton, Objective};
use crate::params::{ParamInfo, Params, Value};
use faer::{Accum, Mat, MatMut, MatRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Registry entry.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "mlp",
    summary: "multilayer perceptron, softmax cross-entropy on seeded spirals/blobs or a CSV file; exact HVP (R-operator) and GGN",
    params: &[
        ParamInfo {
            name: "data",
            default: "(synthetic)",
            doc: "CSV file: header row, features, last column the class label 0..k−1 (--data)",
        },
        ParamInfo {
            name: "synthetic",
            default: "spirals",
            doc: "spirals (k arms in the plane) | blobs (k Gaussian blobs in `features` dims)",
        },
        ParamInfo {
            name: "samples",
            default: "600",
            doc: "synthetic data: number of examples N",
        },
        ParamInfo {
            name: "features",
            default: "2",
            doc: "synthetic blobs: number of features (spirals are 2-D)",
        },
        ParamInfo {
            name: "classes",
            default: "3",
            doc: "number of classes k (CSV: default max label + 1)",
        },
        ParamInfo {
            name: "hidden",
            default: "16",
            doc: "hidden layer width, or a list of widths such as \"16,16\"",
        },
        ParamInfo {
            name: "layers",
            default: "1",
            doc: "number of hidden layers of width `hidden` (0: softmax regression)",
        },
        ParamInfo {
            name: "activation",
            default: "tanh",
            doc: "tanh | softplus",
        },
        ParamInfo {
            name: "lambda",
            default: "0",
            doc: "L2 regularisation λ ≥ 0 on the weights (not the biases)",
        },
    ],
};

/// Builds the MLP problem; `x0` is the seeded Glorot initialisation.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["hidden=8,4", "classes=2"]).unwrap();
/// let inst = curvlab::problems::build_problem("mlp", &p, 0).unwrap();
/// // 2 -> 8 -> 4 -> 2: (16 + 8) + (32 + 4) + (8 + 2) parameters.
/// assert_eq!(inst.x0.len(), 70);
/// ```
pub fn build(p: &Params, seed: u64) -> Result<ProblemInstance> {
    let hidden = parse_hidden(p)?;
    let activation = Activation::parse(&p.str("activation", "tanh")?)?;
    let lambda = p.f64("lambda", 0.0)?;
    let mlp = match data_path(p, "data") {
        Some(path) => {
            for key in ["samples", "features", "synthetic"] {
                if let Some(v) = p.get(key) {
                    return Err(Error::invalid(
                        key,
                        v,
                        "applies to synthetic data only, not with `data`",
                    ));
                }
            }
            let m = Mlp::new(Dataset::from_csv(&path)?, &hidden)?;
            match p.get("classes") {
                Some(_) => m.with_classes(p.usize("classes", 0)?)?,
                None => m,
            }
        }
        None => {
            let samples = p.usize("samples", 600)?;
            let classes = p.usize("classes", 3)?;
            let data = match p.str("synthetic", "spirals")?.as_str() {
                "spirals" => {
                    let f = p.usize("features", 2)?;
                    if f != 2 {
                        return Err(Error::invalid(
                            "features",
                            f,
                            "spirals are 2-D; use synthetic=blobs for other dimensions",
                        ));
                    }
                    Dataset::spirals(samples, classes, 0.05, seed)?
                }
                "blobs" => {
                    Dataset::gaussian_blobs(samples, p.usize("features", 2)?, classes, seed)?
                }
                other => {
                    return Err(Error::invalid(
                        "synthetic",
                        other,
                        "expected spirals or blobs",
                    ));
                }
            };
            Mlp::new(data, &hidden)?.with_classes(classes)?
        }
    }
    .with_activation(activation)
    .with_lambda(lambda)?;
    Ok(ProblemInstance {
        kind: INFO.name.into(),
        label: label(INFO.name, p),
        x0: mlp.initial_point(seed),
        f_star: None,
        x_star: None,
        eigenvalues: None,
        objective: Box::new(mlp),
    })
}

fn parse_hidden(p: &Params) -> Result<Vec<usize>> {
    let layers = p.get("layers").is_some();
    let n_layers = p.usize("layers", 1)?;
    match p.get("hidden") {
        None | Some(Value::Num(_)) => {
            let w = p.usize("hidden", 16)?;
            if w == 0 {
                return Err(Error::invalid(
                    "hidden",
                    w,
                    "a hidden layer needs width >= 1",
                ));
            }
            Ok(vec![w; n_layers])
        }
        Some(Value::Str(s)) => {
            let widths: Vec<usize> = if s.trim().is_empty() {
                Vec::new()
            } else {
                s.split(',')
                    .map(|t| match t.trim().parse::<usize>() {
                        Ok(w) if w > 0 => Ok(w),
                        _ => Err(Error::invalid(
                            "hidden",
                            s,
                            "expected positive widths separated by commas, e.g. 16,16",
                        )),
                    })
                    .collect::<Result<_>>()?
            };
            if layers && n_layers != widths.len() {
                return Err(Error::invalid(
                    "layers",
                    n_layers,
                    &format!("`hidden` lists {} widths", widths.len()),
                ));
            }
            Ok(widths)
        }
        Some(v) => Err(Error::invalid("hidden", v, "expected a width or a list")),
    }
}

/// The hidden-layer nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `tanh(a)`.
    Tanh,
    /// `softplus(a) = log(1 + eᵃ)`.
    Softplus,
}

impl Activation {
    /// Parses `tanh` or `softplus`.
    ///
    /// ```
    /// use curvlab::problems::mlp::Activation;
    /// assert_eq!(Activation::parse("softplus").unwrap(), Activation::Softplus);
    /// assert!(Activation::parse("relu").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "tanh" => Ok(Activation::Tanh),
            "softplus" => Ok(Activation::Softplus),
            _ => Err(Error::invalid("activation", s, "expected tanh or softplus")),
        }
    }

    #[inline]
    fn apply(self, a: f64) -> f64 {
        match self {
            Activation::Tanh => a.tanh(),
            Activation::Softplus => super::logistic::softplus(a),
        }
    }

    /// `(φ'(a), φ''(a))` given `a` and `h = φ(a)`.
    #[inline]
    fn derivatives(self, a: f64, h: f64) -> (f64, f64) {
        match self {
            Activation::Tanh => {
                let d1 = 1.0 - h * h;
                (d1, -2.0 * h * d1)
            }
            Activation::Softplus => (
                super::logistic::sigmoid(a),
                super::logistic::sigmoid_variance(a),
            ),
        }
    }
}

/// An MLP classifier on a [`Dataset`] with integer labels `0, …, k−1`.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::data::Dataset;
/// use curvlab::problems::mlp::Mlp;
/// let data = Dataset::spirals(60, 3, 0.0, 0).unwrap();
/// let f = Mlp::new(data, &[5]).unwrap();
/// assert_eq!(f.dim(), (2 * 5 + 5) + (5 * 3 + 3));
/// // All-zero parameters give uniform predictions: loss log 3.
/// assert!((f.value(&vec![0.0; f.dim()]).unwrap() - 3f64.ln()).abs() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct Mlp {
    data: Dataset,
    /// The features transposed (`d × N`, column-major): examples as columns, as the layers
    /// consume them.
    xt: Mat<f64>,
    labels: Vec<usize>,
    /// Layer widths `[d, h_1, …, k]`.
    sizes: Vec<usize>,
    /// Offset of each layer's `W` in the flat vector (its `b` follows `W`).
    offsets: Vec<usize>,
    n: usize,
    activation: Activation,
    lambda: f64,
}

/// Everything the forward pass computes that the backward passes need.
struct Forward {
    /// Pre-activations `a_l` (`out × B`, column-major) of every layer; the last are the logits.
    pre: Vec<Vec<f64>>,
    /// Activations `h_l = φ(a_l)` of the hidden layers.
    post: Vec<Vec<f64>>,
    /// Softmax probabilities (`k × B`).
    p: Vec<f64>,
    /// Mean cross-entropy over the batch.
    loss: f64,
}

fn cm(s: &[f64], r: usize, c: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(s, r, c)
}
fn cm_mut(s: &mut [f64], r: usize, c: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(s, r, c)
}
/// `dst (=|+=) lhs · rhs`, single-threaded, then a `vzeroupper` ([`crate::linalg::matmul`]: the
/// scalar `tanh` after a faer product otherwise pays the AVX–SSE transition penalty).
fn mm(dst: MatMut<'_, f64>, accum: Accum, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    crate::linalg::matmul::product(dst, accum, lhs, rhs, 1.0);
}
/// `out += row sums of the (rows × B) column-major matrix d`.
fn add_row_sums(d: &[f64], rows: usize, out: &mut [f64]) {
    for col in d.chunks_exact(rows) {
        for (o, v) in out.iter_mut().zip(col) {
            *o += v;
        }
    }
}

impl Mlp {
    /// An MLP with hidden widths `hidden` (empty: softmax regression), `tanh`, `λ = 0`, and
    /// `k = max label + 1` classes. Labels must be nonnegative integers and `k ≥ 2`.
    pub fn new(data: Dataset, hidden: &[usize]) -> Result<Self> {
        let mut labels = Vec::with_capacity(data.len());
        for (i, &y) in data.y().iter().enumerate() {
            if !(y >= 0.0 && y.fract() == 0.0 && y < 1e9) {
                return Err(data.example_error(
                    i,
                    format!("class labels must be integers 0..k−1, found {y}"),
                ));
            }
            labels.push(y as usize);
        }
        let k = labels.iter().max().map_or(0, |m| m + 1).max(2);
        if let Some(&w) = hidden.iter().find(|&&w| w == 0) {
            return Err(Error::invalid("hidden", w, "layer widths must be >= 1"));
        }
        let mut sizes = vec![data.num_features()];
        sizes.extend_from_slice(hidden);
        sizes.push(k);
        let xt = data.x().transpose().to_owned();
        let mut m = Mlp {
            xt,
            data,
            labels,
            sizes,
            offsets: Vec::new(),
            n: 0,
            activation: Activation::Tanh,
            lambda: 0.0,
        };
        m.layout();
        Ok(m)
    }

    fn layout(&mut self) {
        self.offsets.clear();
        let mut off = 0;
        for w in self.sizes.windows(2) {
            self.offsets.push(off);
            off += w[0] * w[1] + w[1];
        }
        self.n = off;
    }

    /// Sets the number of classes `k ≥ 2`; every label must be below `k`.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// use curvlab::problems::mlp::Mlp;
    /// let m = Mlp::new(Dataset::spirals(30, 3, 0.0, 0).unwrap(), &[4]).unwrap();
    /// assert!(m.clone().with_classes(2).is_err());
    /// assert_eq!(m.with_classes(5).unwrap().classes(), 5);
    /// ```
    pub fn with_classes(mut self, k: usize) -> Result<Self> {
        if k < 2 {
            return Err(Error::invalid("classes", k, "must be >= 2"));
        }
        if let Some(i) = self.labels.iter().position(|&y| y >= k) {
            return Err(self.data.example_error(
                i,
                format!(
                    "label {} is not below the number of classes {k}",
                    self.labels[i]
                ),
            ));
        }
        if let Some(last) = self.sizes.last_mut() {
            *last = k;
        }
        self.layout();
        Ok(self)
    }

    /// Sets the activation.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// use curvlab::problems::mlp::{Activation, Mlp};
    /// let m = Mlp::new(Dataset::spirals(30, 3, 0.0, 0).unwrap(), &[4]).unwrap();
    /// assert_eq!(m.with_activation(Activation::Softplus).activation(), Activation::Softplus);
    /// ```
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the L2 regularisation `λ ≥ 0` on the weights.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// use curvlab::problems::mlp::Mlp;
    /// let m = Mlp::new(Dataset::spirals(30, 3, 0.0, 0).unwrap(), &[4]).unwrap();
    /// assert!(m.clone().with_lambda(f64::NAN).is_err());
    /// assert_eq!(m.with_lambda(1e-2).unwrap().lambda(), 1e-2);
    /// ```
    pub fn with_lambda(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::invalid("lambda", lambda, "must be finite and >= 0"));
        }
        self.lambda = lambda;
        Ok(self)
    }

    /// The number of classes `k`.
    pub fn classes(&self) -> usize {
        self.sizes.last().copied().unwrap_or(0)
    }
    /// Layer widths `[d, h_1, …, k]`.
    pub fn layer_sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// `λ`.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// The data.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Glorot-uniform weights, zero biases, drawn from `seed`.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// use curvlab::problems::mlp::Mlp;
    /// let m = Mlp::new(Dataset::spirals(30, 3, 0.0, 0).unwrap(), &[4]).unwrap();
    /// let x = m.initial_point(1);
    /// let bound = (6.0f64 / 6.0).sqrt(); // first layer: 2 in, 4 out
    /// assert!(x[..8].iter().all(|w| w.abs() <= bound) && x[8..12] == [0.0; 4]);
    /// assert_eq!(x, m.initial_point(1));
    /// ```
    pub fn initial_point(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let mut x = vec![0.0; self.n];
        for (l, w) in self.sizes.windows(2).enumerate() {
            let (nin, nout) = (w[0], w[1]);
            let s = (6.0 / (nin + nout) as f64).sqrt();
            let off = self.offsets[l];
            for v in &mut x[off..off + nin * nout] {
                *v = s * (2.0 * rng.random::<f64>() - 1.0);
            }
        }
        x
    }

    /// The logits `z` of every example, `N × k` (row `i` is example `i`).
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// use curvlab::problems::mlp::Mlp;
    /// let m = Mlp::new(Dataset::spirals(30, 3, 0.0, 0).unwrap(), &[4]).unwrap();
    /// let z = m.logits(&m.initial_point(0)).unwrap();
    /// assert_eq!((z.nrows(), z.ncols()), (30, 3));
    /// ```
    pub fn logits(&self, x: &[f64]) -> Result<Mat<f64>> {
        check_len("x", self.n, x.len())?;
        let fwd = self.forward(x, self.xt.as_ref(), &self.labels);
        let k = self.classes();
        let z = &fwd.pre[fwd.pre.len() - 1];
        Ok(Mat::from_fn(self.data.len(), k, |i, c| z[i * k + c]))
    }

    fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// `(W_l, b_l)` of layer `l` (0-based) in a flat vector.
    fn split<'a>(&self, x: &'a [f64], l: usize) -> (&'a [f64], &'a [f64]) {
        let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
        let off = self.offsets[l];
        x[off..off + nout * nin + nout].split_at(nout * nin)
    }
    fn split_mut<'a>(&self, x: &'a mut [f64], l: usize) -> (&'a mut [f64], &'a mut [f64]) {
        let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
        let off = self.offsets[l];
        x[off..off + nout * nin + nout].split_at_mut(nout * nin)
    }

    /// Runs `f` on the inputs (`d × B`) and labels of the full data set or a checked batch.
    fn with_rows<R>(
        &self,
        batch: Option<&[usize]>,
        f: impl FnOnce(MatRef<'_, f64>, &[usize]) -> R,
    ) -> Result<R> {
        match batch {
            None => Ok(f(self.xt.as_ref(), &self.labels)),
            Some(b) => {
                check_batch(b, self.data.len())?;
                let cols = Mat::from_fn(self.xt.nrows(), b.len(), |j, i| self.xt[(j, b[i])]);
                let labels: Vec<usize> = b.iter().map(|&i| self.labels[i]).collect();
                Ok(f(cols.as_ref(), &labels))
            }
        }
    }

    fn input<'a>(&self, h0: MatRef<'a, f64>, fwd: &'a Forward, l: usize) -> MatRef<'a, f64> {
        if l == 0 {
            h0
        } else {
            cm(&fwd.post[l - 1], self.sizes[l], h0.ncols())
        }
    }

    fn forward(&self, x: &[f64], h0: MatRef<'_, f64>, labels: &[usize]) -> Forward {
        let b = h0.ncols();
        let nl = self.layers();
        let mut pre: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut post: Vec<Vec<f64>> = Vec::with_capacity(nl.saturating_sub(1));
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, bias) = self.split(x, l);
            let mut a = vec![0.0; nout * b];
            for c in a.chunks_exact_mut(nout) {
                c.copy_from_slice(bias);
            }
            let input = if l == 0 { h0 } else { cm(&post[l - 1], nin, b) };
            mm(cm_mut(&mut a, nout, b), Accum::Add, cm(w, nout, nin), input);
            if l + 1 < nl {
                post.push(a.iter().map(|&t| self.activation.apply(t)).collect());
            }
            pre.push(a);
        }
        let k = self.classes();
        let z = &pre[nl - 1];
        let mut p = vec![0.0; k * b];
        let mut loss = 0.0;
        for ((zc, pc), &y) in z.chunks_exact(k).zip(p.chunks_exact_mut(k)).zip(labels) {
            let mx = zc.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            let mut s = 0.0;
            for (pi, &zi) in pc.iter_mut().zip(zc) {
                *pi = (zi - mx).exp();
                s += *pi;
            }
            for pi in pc.iter_mut() {
                *pi /= s;
            }
            loss += mx + s.ln() - zc[y];
        }
        Forward {
            pre,
            post,
            p,
            loss: loss / b as f64,
        }
    }

    /// Backpropagates the output delta `d_top` (`k × B`) through every layer: the deltas
    /// `δ_l = ∂(·)/∂a_l` of all layers, first layer first.
    fn deltas(&self, x: &[f64], fwd: &Forward, d_top: Vec<f64>, b: usize) -> Vec<Vec<f64>> {
        let nl = self.layers();
        let mut out = vec![Vec::new(); nl];
        let mut d = d_top;
        for l in (1..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let mut e = vec![0.0; nin * b];
            mm(
                cm_mut(&mut e, nin, b),
                Accum::Replace,
                cm(w, nout, nin).transpose(),
                cm(&d, nout, b),
            );
            for ((ei, &a), &h) in e.iter_mut().zip(&fwd.pre[l - 1]).zip(&fwd.post[l - 1]) {
                *ei *= self.activation.derivatives(a, h).0;
            }
            out[l] = std::mem::replace(&mut d, e);
        }
        out[0] = d;
        out
    }

    /// `g = Σ_l (δ_l h_{l−1}ᵀ, δ_l 1)` in the flat layout (overwrites `g`).
    fn accumulate(&self, h0: MatRef<'_, f64>, fwd: &Forward, deltas: &[Vec<f64>], g: &mut [f64]) {
        let b = h0.ncols();
        for (l, d) in deltas.iter().enumerate() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (gw, gb) = self.split_mut(g, l);
            mm(
                cm_mut(gw, nout, nin),
                Accum::Replace,
                cm(d, nout, b),
                self.input(h0, fwd, l).transpose(),
            );
            gb.fill(0.0);
            add_row_sums(d, nout, gb);
        }
    }

    fn add_weight_decay(&self, x: &[f64], out: &mut [f64]) -> f64 {
        let mut reg = 0.0;
        if self.lambda == 0.0 {
            return 0.0;
        }
        for l in 0..self.layers() {
            let (w, _) = self.split(x, l);
            let (o, _) = self.split_mut(out, l);
            crate::linalg::vector::axpy(self.lambda, w, o);
            reg += crate::linalg::vector::dot(w, w);
        }
        0.5 * self.lambda * reg
    }

    fn regulariser(&self, x: &[f64]) -> f64 {
        if self.lambda == 0.0 {
            return 0.0;
        }
        (0..self.layers())
            .map(|l| {
                let (w, _) = self.split(x, l);
                crate::linalg::vector::dot(w, w)
            })
            .sum::<f64>()
            * 0.5
            * self.lambda
    }

    /// `(P − Y)/scale`, the output delta of the mean cross-entropy.
    fn output_delta(&self, fwd: &Forward, labels: &[usize], scale: f64) -> Vec<f64> {
        let k = self.classes();
        let mut d = fwd.p.clone();
        for (dc, &y) in d.chunks_exact_mut(k).zip(labels) {
            dc[y] -= 1.0;
            for v in dc.iter_mut() {
                *v /= scale;
            }
        }
        d
    }

    fn value_grad_rows(
        &self,
        x: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        g: &mut [f64],
    ) -> f64 {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let d = self.output_delta(&fwd, labels, b as f64);
        let deltas = self.deltas(x, &fwd, d, b);
        self.accumulate(h0, &fwd, &deltas, g);
        fwd.loss + self.add_weight_decay(x, g)
    }

    /// Forward R-pass: `(R{a_l}, R{h_l})` for direction `v`.
    fn r_forward(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        fwd: &Forward,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let b = h0.ncols();
        let nl = self.layers();
        let mut ra: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut rh: Vec<Vec<f64>> = Vec::with_capacity(nl.saturating_sub(1));
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let (vw, vb) = self.split(v, l);
            let mut a = vec![0.0; nout * b];
            for c in a.chunks_exact_mut(nout) {
                c.copy_from_slice(vb);
            }
            mm(
                cm_mut(&mut a, nout, b),
                Accum::Add,
                cm(vw, nout, nin),
                self.input(h0, fwd, l),
            );
            if l > 0 {
                mm(
                    cm_mut(&mut a, nout, b),
                    Accum::Add,
                    cm(w, nout, nin),
                    cm(&rh[l - 1], nin, b),
                );
            }
            if l + 1 < nl {
                let r: Vec<f64> = a
                    .iter()
                    .zip(&fwd.pre[l])
                    .zip(&fwd.post[l])
                    .map(|((&ra, &pa), &ph)| self.activation.derivatives(pa, ph).0 * ra)
                    .collect();
                rh.push(r);
            }
            ra.push(a);
        }
        (ra, rh)
    }

    /// `(diag(p) − ppᵀ) R{z} / scale` per example: the softmax cross-entropy Hessian applied to
    /// `R{z}`.
    fn loss_hessian_times(&self, fwd: &Forward, rz: &[f64], scale: f64) -> Vec<f64> {
        let k = self.classes();
        let mut out = vec![0.0; rz.len()];
        for ((oc, pc), rc) in out
            .chunks_exact_mut(k)
            .zip(fwd.p.chunks_exact(k))
            .zip(rz.chunks_exact(k))
        {
            let s: f64 = pc.iter().zip(rc).map(|(p, r)| p * r).sum();
            for ((o, p), r) in oc.iter_mut().zip(pc).zip(rc) {
                *o = p * (r - s) / scale;
            }
        }
        out
    }

    fn hvp_rows(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        out: &mut [f64],
    ) {
        let b = h0.ncols();
        let nl = self.layers();
        let fwd = self.forward(x, h0, labels);
        let (ra, rh) = self.r_forward(x, v, h0, &fwd);
        let mut d = self.output_delta(&fwd, labels, b as f64);
        let mut rd = self.loss_hessian_times(&fwd, &ra[nl - 1], b as f64);
        for l in (0..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (ow, ob) = self.split_mut(out, l);
            // R{∇W_l} = R{δ_l} h_{l−1}ᵀ + δ_l R{h_{l−1}}ᵀ ; R{∇b_l} = R{δ_l} 1.
            mm(
                cm_mut(ow, nout, nin),
                Accum::Replace,
                cm(&rd, nout, b),
                self.input(h0, &fwd, l).transpose(),
            );
            if l > 0 {
                mm(
                    cm_mut(ow, nout, nin),
                    Accum::Add,
                    cm(&d, nout, b),
                    cm(&rh[l - 1], nin, b).transpose(),
                );
            }
            ob.fill(0.0);
            add_row_sums(&rd, nout, ob);
            if l > 0 {
                let (w, _) = self.split(x, l);
                let (vw, _) = self.split(v, l);
                let mut e = vec![0.0; nin * b];
                let mut re = vec![0.0; nin * b];
                let wt = cm(w, nout, nin).transpose();
                mm(cm_mut(&mut e, nin, b), Accum::Replace, wt, cm(&d, nout, b));
                mm(
                    cm_mut(&mut re, nin, b),
                    Accum::Replace,
                    cm(vw, nout, nin).transpose(),
                    cm(&d, nout, b),
                );
                mm(cm_mut(&mut re, nin, b), Accum::Add, wt, cm(&rd, nout, b));
                // δ = φ'(a) e ; R{δ} = φ''(a) R{a} e + φ'(a) R{e}.
                for i in 0..e.len() {
                    let (d1, d2) = self
                        .activation
                        .derivatives(fwd.pre[l - 1][i], fwd.post[l - 1][i]);
                    re[i] = d2 * ra[l - 1][i] * e[i] + d1 * re[i];
                    e[i] *= d1;
                }
                d = e;
                rd = re;
            }
        }
        self.add_weight_decay(v, out);
    }

    fn ggn_rows(
        &self,
        x: &[f64],
        v: &[f64],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        out: &mut [f64],
    ) {
        let b = h0.ncols();
        let fwd = self.forward(x, h0, labels);
        let (ra, _) = self.r_forward(x, v, h0, &fwd);
        let u = self.loss_hessian_times(&fwd, &ra[ra.len() - 1], b as f64);
        let deltas = self.deltas(x, &fwd, u, b);
        self.accumulate(h0, &fwd, &deltas, out);
        self.add_weight_decay(v, out);
    }

    /// `φ'(a)` and `φ''(a)` of hidden layer `l` at every (unit, example) entry.
    fn layer_derivatives(&self, fwd: &Forward, l: usize) -> (Vec<f64>, Vec<f64>) {
        fwd.pre[l]
            .iter()
            .zip(&fwd.post[l])
            .map(|(&a, &h)| self.activation.derivatives(a, h))
            .unzip()
    }

    /// Forward R-pass for a block of `k` directions: `R{a_l}`, `R{h_l}` as `out × (B·k)`
    /// column-major matrices (direction `j` in columns `jB..(j+1)B`), so the products with `W_l`
    /// are one wide matrix product per layer.
    fn r_forward_block(
        &self,
        x: &[f64],
        vs: &[Vec<f64>],
        h0: MatRef<'_, f64>,
        fwd: &Forward,
        phi1: &[Vec<f64>],
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let (b, k, nl) = (h0.ncols(), vs.len(), self.layers());
        let mut ra: Vec<Vec<f64>> = Vec::with_capacity(nl);
        let mut rh: Vec<Vec<f64>> = Vec::with_capacity(nl.saturating_sub(1));
        for l in 0..nl {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let (w, _) = self.split(x, l);
            let mut a = vec![0.0; nout * b * k];
            for (j, aj) in a.chunks_exact_mut(nout * b).enumerate() {
                let (vw, vb) = self.split(&vs[j], l);
                for c in aj.chunks_exact_mut(nout) {
                    c.copy_from_slice(vb);
                }
                let dst = cm_mut(aj, nout, b);
                mm(dst, Accum::Add, cm(vw, nout, nin), self.input(h0, fwd, l));
            }
            if l > 0 {
                let dst = cm_mut(&mut a, nout, b * k);
                mm(
                    dst,
                    Accum::Add,
                    cm(w, nout, nin),
                    cm(&rh[l - 1], nin, b * k),
                );
            }
            if l + 1 < nl {
                let d1 = &phi1[l];
                let r = a
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| d1[i % d1.len()] * r)
                    .collect();
                rh.push(r);
            }
            ra.push(a);
        }
        (ra, rh)
    }

    /// `H_L R{z}` for each of the `k` directions of a block.
    fn loss_hessian_block(&self, fwd: &Forward, rz: &[f64], b: usize) -> Vec<f64> {
        let kc = self.classes();
        rz.chunks_exact(kc * b)
            .flat_map(|c| self.loss_hessian_times(fwd, c, b as f64))
            .collect()
    }

    /// Block HVP `∇²f(x) V`: one forward pass, one gradient backward pass, and R-passes whose
    /// `W`-products are wide (`B·k` columns). `outs[j]` receives column `j`.
    fn hvp_block_rows(
        &self,
        x: &[f64],
        vs: &[Vec<f64>],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        outs: &mut [Vec<f64>],
    ) {
        let (b, k, nl) = (h0.ncols(), vs.len(), self.layers());
        let fwd = self.forward(x, h0, labels);
        let (phi1, phi2): (Vec<_>, Vec<_>) =
            (0..nl - 1).map(|l| self.layer_derivatives(&fwd, l)).unzip();
        let (ra, rh) = self.r_forward_block(x, vs, h0, &fwd, &phi1);
        let deltas = self.deltas(x, &fwd, self.output_delta(&fwd, labels, b as f64), b);
        let mut rd = self.loss_hessian_block(&fwd, &ra[nl - 1], b);
        for l in (0..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            let d = &deltas[l];
            for (j, out) in outs.iter_mut().enumerate() {
                let rdj = &rd[j * nout * b..(j + 1) * nout * b];
                let (ow, ob) = self.split_mut(out, l);
                let input = self.input(h0, &fwd, l).transpose();
                mm(
                    cm_mut(ow, nout, nin),
                    Accum::Replace,
                    cm(rdj, nout, b),
                    input,
                );
                if l > 0 {
                    let rhj = cm(&rh[l - 1][j * nin * b..(j + 1) * nin * b], nin, b);
                    mm(
                        cm_mut(ow, nout, nin),
                        Accum::Add,
                        cm(d, nout, b),
                        rhj.transpose(),
                    );
                }
                ob.fill(0.0);
                add_row_sums(rdj, nout, ob);
            }
            if l > 0 {
                let (w, _) = self.split(x, l);
                let wt = cm(w, nout, nin).transpose();
                let mut e = vec![0.0; nin * b];
                mm(cm_mut(&mut e, nin, b), Accum::Replace, wt, cm(d, nout, b));
                let mut re = vec![0.0; nin * b * k];
                mm(
                    cm_mut(&mut re, nin, b * k),
                    Accum::Replace,
                    wt,
                    cm(&rd, nout, b * k),
                );
                for (j, rej) in re.chunks_exact_mut(nin * b).enumerate() {
                    let (vw, _) = self.split(&vs[j], l);
                    let vwt = cm(vw, nout, nin).transpose();
                    mm(cm_mut(rej, nin, b), Accum::Add, vwt, cm(d, nout, b));
                    let raj = &ra[l - 1][j * nin * b..(j + 1) * nin * b];
                    for i in 0..nin * b {
                        rej[i] = phi2[l - 1][i] * raj[i] * e[i] + phi1[l - 1][i] * rej[i];
                    }
                }
                rd = re;
            }
        }
        for (v, out) in vs.iter().zip(outs.iter_mut()) {
            self.add_weight_decay(v, out);
        }
    }

    /// Block GGN product `G(x) V = Jᵀ H_L J V + λ V_W` with one forward pass and wide products.
    fn ggn_block_rows(
        &self,
        x: &[f64],
        vs: &[Vec<f64>],
        h0: MatRef<'_, f64>,
        labels: &[usize],
        outs: &mut [Vec<f64>],
    ) {
        let (b, k, nl) = (h0.ncols(), vs.len(), self.layers());
        let fwd = self.forward(x, h0, labels);
        let phi1: Vec<Vec<f64>> = (0..nl - 1)
            .map(|l| self.layer_derivatives(&fwd, l).0)
            .collect();
        let (ra, _) = self.r_forward_block(x, vs, h0, &fwd, &phi1);
        let mut d = self.loss_hessian_block(&fwd, &ra[nl - 1], b);
        for l in (0..nl).rev() {
            let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
            for (j, out) in outs.iter_mut().enumerate() {
                let dj = &d[j * nout * b..(j + 1) * nout * b];
                let (ow, ob) = self.split_mut(out, l);
                let input = self.input(h0, &fwd, l).transpose();
                mm(
                    cm_mut(ow, nout, nin),
                    Accum::Replace,
                    cm(dj, nout, b),
                    input,
                );
                ob.fill(0.0);
                add_row_sums(dj, nout, ob);
            }
            if l > 0 {
                let (w, _) = self.split(x, l);
                let mut e = vec![0.0; nin * b * k];
                let wt = cm(w, nout, nin).transpose();
                mm(
                    cm_mut(&mut e, nin, b * k),
                    Accum::Replace,
                    wt,
                    cm(&d, nout, b * k),
                );
                let d1 = &phi1[l - 1];
                for (i, ei) in e.iter_mut().enumerate() {
                    *ei *= d1[i % d1.len()];
                }
                d = e;
            }
        }
        for (v, out) in vs.iter().zip(outs.iter_mut()) {
            self.add_weight_decay(v, out);
        }
    }

    /// Runs a block kernel on the columns of `v`, writing the columns of `out`.
    fn block_apply(
        &self,
        x: &[f64],
        v: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
        kernel: impl FnOnce(&[Vec<f64>], MatRef<'_, f64>, &[usize], &mut [Vec<f64>]),
    ) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("block rows", self.n, v.nrows())?;
        check_len("output block rows", self.n, out.nrows())?;
        check_len("output block columns", v.ncols(), out.ncols())?;
        let vs: Vec<Vec<f64>> = (0..v.ncols())
            .map(|j| (0..self.n).map(|i| v[(i, j)]).collect())
            .collect();
        let mut outs = vec![vec![0.0; self.n]; v.ncols()];
        self.with_rows(None, |h0, y| kernel(&vs, h0, y, &mut outs))?;
        for (j, o) in outs.iter().enumerate() {
            for (i, oi) in o.iter().enumerate() {
                out[(i, j)] = *oi;
            }
        }
        Ok(())
    }

    fn check_xv(&self, x: &[f64], v: &[f64], out: &[f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("v", self.n, v.len())?;
        check_len("output buffer", self.n, out.len())
    }
}

impl Objective for Mlp {
    fn dim(&self) -> usize {
        self.n
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        let loss = self.with_rows(None, |h0, y| self.forward(x, h0, y).loss)?;
        Ok(loss + self.regulariser(x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        check_len("gradient buffer", self.n, g.len())?;
        self.with_rows(None, |h0, y| self.value_grad_rows(x, h0, y, g))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(None, |h0, y| self.hvp_rows(x, v, h0, y, out))
    }
    /// One forward pass and one gradient backward pass for the whole block; the R-passes
    /// multiply by `W_l` with `B·k` columns at once.
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.block_apply(x, v, out, |vs, h0, y, outs| {
            self.hvp_block_rows(x, vs, h0, y, outs)
        })
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
}

/// `Gv = Jᵀ H_L J v + λ v_W`.
impl GaussNewton for Mlp {
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(None, |h0, y| self.ggn_rows(x, v, h0, y, out))
    }
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.block_apply(x, v, out, |vs, h0, y, outs| {
            self.ggn_block_rows(x, vs, h0, y, outs)
        })
    }
}

/// Minibatches over examples (mean over the batch plus the full regulariser).
impl FiniteSum for Mlp {
    fn num_examples(&self) -> usize {
        self.data.len()
    }
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        check_len("gradient buffer", self.n, g.len())?;
        self.with_rows(Some(batch), |h0, y| self.value_grad_rows(x, h0, y, g))
    }
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(Some(batch), |h0, y| self.hvp_rows(x, v, h0, y, out))
    }
    fn batch_ggn_vp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(Some(batch), |h0, y| self.ggn_rows(x, v, h0, y, out))
    }
    fn per_example_gradients(&self, x: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len(
            "per-example gradient buffer",
            batch.len() * self.n,
            out.len(),
        )?;
        self.with_rows(Some(batch), |h0, y| {
            let b = h0.ncols();
            let fwd = self.forward(x, h0, y);
            let d = self.output_delta(&fwd, y, 1.0);
            let deltas = self.deltas(x, &fwd, d, b);
            for (c, row) in out.chunks_exact_mut(self.n).enumerate() {
                for (l, dl) in deltas.iter().enumerate() {
                    let (nin, nout) = (self.sizes[l], self.sizes[l + 1]);
                    let dc = &dl[c * nout..(c + 1) * nout];
                    let input = self.input(h0, &fwd, l);
                    let (gw, gb) = self.split_mut(row, l);
                    for j in 0..nin {
                        let hj = input[(j, c)];
                        for (o, &di) in gw[j * nout..(j + 1) * nout].iter_mut().zip(dc) {
                            *o = di * hj;
                        }
                    }
                    gb.copy_from_slice(dc);
                }
            }
        })
    }
}
