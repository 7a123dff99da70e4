//! A fully connected classifier network on a real data set (the UCI 8×8 digits or MNIST-1D,
//! [`crate::problems::datasets`]), the object of the deep-learning curvature literature
//! (Sagun et al. 2017; Cohen et al., ICLR 2021; Papyan 2020):
//!
//! `f(θ) = (1/N) Σᵢ ℓ(zᵢ, yᵢ) + (λ/2) Σ_l ‖W_l‖²`,  `zᵢ = W_L φ(… φ(W_1 xᵢ + b_1) …) + b_L`,
//!
//! with `ℓ` the softmax cross-entropy `logsumexp(z) − z_y` or the squared error on the one-hot
//! target `½‖z − e_y‖²` (the loss of Cohen et al.), `φ` = tanh, ReLU or GELU (the tanh form of
//! Hendrycks & Gimpel 2016, as `jax.nn.gelu`), biases not regularised. Every derivative is exact
//! and batched over the whole minibatch with faer products ([`passes`](self)):
//!
//! - gradients by backpropagation (Rumelhart, Hinton & Williams 1986);
//! - Hessian-vector products by Pearlmutter's (1994) R-operator, forward-over-reverse;
//! - Gauss-Newton products `Gv = Jᵀ H_L J v + λ v_W` (Schraudolph 2002; Martens 2010, §4.2),
//!   `H_L = diag(p) − ppᵀ` (cross-entropy) or `I` (squared error), per example over `N`;
//! - minibatches and per-example gradients ([`FiniteSum`]); train and test accuracy.
//!
//! The flat parameter vector stores, layer by layer, `W_l` (`out × in`, column-major) then `b_l`.
//! The default start is PyTorch's `nn.Linear` initialisation, `W_l, b_l ~ U(±1/√in)`, from the
//! seed.

mod block;
pub mod edge;
mod fisher;
mod kfac;
mod passes;
pub mod vecmath;

pub(crate) use passes::mm_scaled as matmul_clean;

use super::datasets::{self, Split};
use super::registry::{ProblemInfo, ProblemInstance, label};
use crate::error::{Error, Result, check_len};
use crate::objective::{FiniteSum, GaussNewton, Objective};
use crate::params::{ParamInfo, Params, Value};
use faer::{Mat, MatMut, MatRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The hidden-layer nonlinearity `φ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `tanh(a)`.
    Tanh,
    /// `max(a, 0)` (`φ'' = 0`; `φ'(0) = 0`).
    Relu,
    /// `½ a (1 + tanh(√(2/π)(a + 0.044715 a³)))`, the tanh form of GELU.
    Gelu,
}

pub(super) const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)
pub(super) const GELU_K: f64 = 0.044_715;

impl Activation {
    /// Parses `tanh`, `relu` or `gelu`.
    ///
    /// ```
    /// use curvlab::problems::network::Activation;
    /// assert_eq!(Activation::parse("gelu").unwrap(), Activation::Gelu);
    /// assert!(Activation::parse("sigmoid").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            "gelu" => Ok(Activation::Gelu),
            _ => Err(Error::invalid(
                "activation",
                s,
                "expected tanh, relu or gelu",
            )),
        }
    }

    /// `φ(a)`.
    ///
    /// ```
    /// use curvlab::problems::network::Activation;
    /// assert_eq!(Activation::Relu.apply(-2.0), 0.0);
    /// assert!((Activation::Gelu.apply(1.0) - 0.841_192).abs() < 1e-6);
    /// ```
    #[inline]
    pub fn apply(self, a: f64) -> f64 {
        match self {
            Activation::Tanh => a.tanh(),
            Activation::Relu => a.max(0.0),
            Activation::Gelu => 0.5 * a * (1.0 + (GELU_C * (a + GELU_K * a * a * a)).tanh()),
        }
    }

    /// `(φ'(a), φ''(a))` given `a` and `h = φ(a)`.
    ///
    /// ```
    /// use curvlab::problems::network::Activation;
    /// let (d1, d2) = Activation::Tanh.derivatives(0.5, 0.5f64.tanh());
    /// assert!((d1 - (1.0 - 0.5f64.tanh().powi(2))).abs() < 1e-15);
    /// assert!(d2 < 0.0);
    /// ```
    #[inline]
    pub fn derivatives(self, a: f64, h: f64) -> (f64, f64) {
        match self {
            Activation::Tanh => {
                let d1 = 1.0 - h * h;
                (d1, -2.0 * h * d1)
            }
            Activation::Relu => (if a > 0.0 { 1.0 } else { 0.0 }, 0.0),
            Activation::Gelu => {
                let u1 = GELU_C * (1.0 + 3.0 * GELU_K * a * a);
                let u2 = GELU_C * 6.0 * GELU_K * a;
                let t = (GELU_C * (a + GELU_K * a * a * a)).tanh();
                let s = 1.0 - t * t;
                let d1 = 0.5 * (1.0 + t) + 0.5 * a * s * u1;
                let d2 = s * (u1 + 0.5 * a * (u2 - 2.0 * t * u1 * u1));
                (d1, d2)
            }
        }
    }
}

/// The per-example loss `ℓ(z, y)` on the network outputs `z ∈ R^k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Softmax cross-entropy `logsumexp(z) − z_y`.
    CrossEntropy,
    /// Squared error on the one-hot target, `½‖z − e_y‖²`.
    Mse,
}

impl Loss {
    /// Parses `ce` (or `cross-entropy`) or `mse`.
    ///
    /// ```
    /// use curvlab::problems::network::Loss;
    /// assert_eq!(Loss::parse("mse").unwrap(), Loss::Mse);
    /// assert!(Loss::parse("hinge").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ce" | "cross-entropy" => Ok(Loss::CrossEntropy),
            "mse" => Ok(Loss::Mse),
            _ => Err(Error::invalid("loss", s, "expected ce or mse")),
        }
    }
}

/// A classifier network on a train/test [`Split`]; the objective is the training loss.
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::datasets::{Labeled, Split};
/// use curvlab::problems::network::Network;
/// let part = Labeled::new(faer::mat![[0.0, 1.0], [1.0, 0.0]], vec![0, 1]).unwrap();
/// let split = Split { train: part.clone(), test: part, classes: 2 };
/// let net = Network::new(&split, &[3]).unwrap();
/// assert_eq!(net.dim(), (2 * 3 + 3) + (3 * 2 + 2));
/// // All-zero parameters: uniform predictions, loss ln 2.
/// assert!((net.value(&vec![0.0; net.dim()]).unwrap() - 2f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct Network {
    /// Training inputs transposed (`d × N`): examples are columns.
    train_x: Mat<f64>,
    train_y: Vec<usize>,
    test_x: Mat<f64>,
    test_y: Vec<usize>,
    /// Layer widths `[d, h_1, …, k]`.
    sizes: Vec<usize>,
    /// Offset of each layer's `W` in the flat vector (its `b` follows).
    offsets: Vec<usize>,
    n: usize,
    activation: Activation,
    loss: Loss,
    l2: f64,
    /// Block products split the examples over two rayon workers.
    parallel: bool,
    /// The point-dependent passes of the last full-batch product ([`block`]).
    cache: block::StateCache,
    /// Buffers of the block products, kept between calls.
    pools: block::Pools,
}

impl Network {
    /// A network with hidden widths `hidden` (empty: a linear classifier), tanh, cross-entropy,
    /// no L2. Errors on a zero width or a label not below `split.classes`.
    pub fn new(split: &Split, hidden: &[usize]) -> Result<Self> {
        if let Some(&w) = hidden.iter().find(|&&w| w == 0) {
            return Err(Error::invalid("hidden", w, "layer widths must be >= 1"));
        }
        if split.classes < 2 {
            return Err(Error::invalid("classes", split.classes, "must be >= 2"));
        }
        let d = split.train.num_features();
        check_len("test features", d, split.test.num_features())?;
        for part in [&split.train, &split.test] {
            if let Some(&y) = part.labels().iter().find(|&&y| y >= split.classes) {
                return Err(Error::invalid(
                    "labels",
                    y,
                    &format!("not below the number of classes {}", split.classes),
                ));
            }
        }
        let mut sizes = vec![d];
        sizes.extend_from_slice(hidden);
        sizes.push(split.classes);
        let mut offsets = Vec::with_capacity(sizes.len() - 1);
        let mut n = 0;
        for w in sizes.windows(2) {
            offsets.push(n);
            n += w[0] * w[1] + w[1];
        }
        Ok(Network {
            train_x: split.train.x().transpose().to_owned(),
            train_y: split.train.labels().to_vec(),
            test_x: split.test.x().transpose().to_owned(),
            test_y: split.test.labels().to_vec(),
            sizes,
            offsets,
            n,
            activation: Activation::Tanh,
            loss: Loss::CrossEntropy,
            l2: 0.0,
            parallel: false,
            cache: block::StateCache::default(),
            pools: block::Pools::default(),
        })
    }

    /// Sets the activation.
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::{Activation, Network};
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[2]).unwrap().with_activation(Activation::Relu);
    /// assert_eq!(net.activation(), Activation::Relu);
    /// ```
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self.cache = block::StateCache::default();
        self
    }

    /// Sets the loss.
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::Objective;
    /// use curvlab::problems::network::{Loss, Network};
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[2]).unwrap().with_loss(Loss::Mse);
    /// // Zero outputs against one-hot targets: ½ per example.
    /// assert_eq!(net.value(&vec![0.0; net.dim()]).unwrap(), 0.5);
    /// ```
    pub fn with_loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self.cache = block::StateCache::default();
        self
    }

    /// Sets the L2 coefficient `λ ≥ 0` on the weights (not the biases).
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[2]).unwrap();
    /// assert!(net.clone().with_l2(-1.0).is_err());
    /// assert_eq!(net.with_l2(1e-4).unwrap().l2(), 1e-4);
    /// ```
    pub fn with_l2(mut self, l2: f64) -> Result<Self> {
        if !(l2 >= 0.0 && l2.is_finite()) {
            return Err(Error::invalid("l2", l2, "must be finite and >= 0"));
        }
        self.l2 = l2;
        Ok(self)
    }

    /// Full-batch Hessian and Gauss-Newton products (single and block) split the examples in two
    /// halves on two rayon workers when `parallel` is set. The halves are the same either way,
    /// so the results are identical bit for bit; only the wall-clock time changes.
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::Objective;
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0], [0.5]], vec![0, 1, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[3]).unwrap();
    /// let x = net.initial_point(1);
    /// let v = vec![1.0; net.dim()];
    /// let (mut a, mut b) = (vec![0.0; net.dim()], vec![0.0; net.dim()]);
    /// net.hvp(&x, &v, &mut a).unwrap();
    /// net.clone().with_parallel(true).hvp(&x, &v, &mut b).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn with_parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Whether block products use two rayon workers ([`Network::with_parallel`]).
    pub fn parallel(&self) -> bool {
        self.parallel
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
    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }
    /// The L2 coefficient `λ`.
    pub fn l2(&self) -> f64 {
        self.l2
    }
    /// The number of test examples.
    pub fn num_test(&self) -> usize {
        self.test_y.len()
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

    /// PyTorch's `nn.Linear` initialisation `W_l, b_l ~ U(±1/√in)`, drawn from `seed`.
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0, 1.0, 2.0, 3.0]], vec![0]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[5]).unwrap();
    /// let x = net.initial_point(3);
    /// assert!(x[..25].iter().all(|w| w.abs() <= 0.5)); // first layer: 4 inputs
    /// assert_eq!(x, net.initial_point(3));
    /// ```
    pub fn initial_point(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(2);
        let mut x = vec![0.0; self.n];
        for (l, w) in self.sizes.windows(2).enumerate() {
            let (nin, nout) = (w[0], w[1]);
            let s = 1.0 / (nin as f64).sqrt();
            let off = self.offsets[l];
            for v in &mut x[off..off + nin * nout + nout] {
                *v = s * (2.0 * rng.random::<f64>() - 1.0);
            }
        }
        x
    }

    /// `(λ/2) Σ ‖W_l‖²`, and `out += λ x_W` when `out` is given.
    fn weight_decay(&self, x: &[f64], out: Option<&mut [f64]>) -> f64 {
        if self.l2 == 0.0 {
            return 0.0;
        }
        let mut reg = 0.0;
        for l in 0..self.layers() {
            let (w, _) = self.split(x, l);
            reg += crate::linalg::vector::dot(w, w);
        }
        if let Some(out) = out {
            for l in 0..self.layers() {
                let (w, _) = self.split(x, l);
                let (o, _) = self.split_mut(out, l);
                crate::linalg::vector::axpy(self.l2, w, o);
            }
        }
        0.5 * self.l2 * reg
    }

    /// Runs `f` on the training inputs (`d × B`) and labels of the whole set or a checked batch.
    fn with_rows<R>(
        &self,
        batch: Option<&[usize]>,
        f: impl FnOnce(MatRef<'_, f64>, &[usize]) -> R,
    ) -> Result<R> {
        match batch {
            None => Ok(f(self.train_x.as_ref(), &self.train_y)),
            Some(b) => {
                super::data::check_batch(b, self.train_y.len())?;
                let x = &self.train_x;
                let cols = Mat::from_fn(x.nrows(), b.len(), |j, i| x[(j, b[i])]);
                let labels: Vec<usize> = b.iter().map(|&i| self.train_y[i]).collect();
                Ok(f(cols.as_ref(), &labels))
            }
        }
    }

    fn check_xv(&self, x: &[f64], v: &[f64], out: &[f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("v", self.n, v.len())?;
        check_len("output buffer", self.n, out.len())
    }

    /// The outputs `z` (`N × k`, row `i` is example `i`) on the training or the test set.
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0], [2.0]], vec![0, 1, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[4]).unwrap();
    /// let z = net.outputs(&net.initial_point(0), false).unwrap();
    /// assert_eq!((z.nrows(), z.ncols()), (3, 2));
    /// ```
    pub fn outputs(&self, x: &[f64], test: bool) -> Result<Mat<f64>> {
        check_len("x", self.n, x.len())?;
        let (h0, y) = if test {
            (&self.test_x, &self.test_y)
        } else {
            (&self.train_x, &self.train_y)
        };
        let fwd = self.forward(x, h0.as_ref(), y);
        let k = self.classes();
        let z = &fwd.pre[fwd.pre.len() - 1];
        Ok(Mat::from_fn(y.len(), k, |i, c| z[i * k + c]))
    }

    /// The fraction of training examples whose largest output is the label (ties to the lowest
    /// class).
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[]).unwrap();
    /// // z = (0, x): example 0 ties (class 0, right), example 1 picks class 1 (right).
    /// assert_eq!(net.train_accuracy(&[0.0, 1.0, 0.0, 0.0]).unwrap(), 1.0);
    /// ```
    pub fn train_accuracy(&self, x: &[f64]) -> Result<f64> {
        Ok(accuracy(self.outputs(x, false)?.as_ref(), &self.train_y))
    }

    /// The fraction of test examples classified right (see [`Network::train_accuracy`]).
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[]).unwrap();
    /// assert_eq!(net.test_accuracy(&[0.0, -1.0, 0.0, 0.0]).unwrap(), 0.5);
    /// ```
    pub fn test_accuracy(&self, x: &[f64]) -> Result<f64> {
        Ok(accuracy(self.outputs(x, true)?.as_ref(), &self.test_y))
    }

    /// The mean test loss (data term only).
    ///
    /// ```
    /// # use curvlab::problems::datasets::{Labeled, Split};
    /// use curvlab::problems::network::Network;
    /// # let part = Labeled::new(faer::mat![[0.0], [1.0]], vec![0, 1]).unwrap();
    /// # let split = Split { train: part.clone(), test: part, classes: 2 };
    /// let net = Network::new(&split, &[]).unwrap();
    /// assert!((net.test_loss(&[0.0; 4]).unwrap() - 2f64.ln()).abs() < 1e-15);
    /// ```
    pub fn test_loss(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        let fwd = self.forward(x, self.test_x.as_ref(), &self.test_y);
        Ok(fwd.loss_sum / self.test_y.len() as f64)
    }
}

/// The fraction of rows of `z` (`N × k`) whose first largest entry is at the label.
///
/// ```
/// let z = faer::mat![[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]];
/// assert_eq!(curvlab::problems::network::accuracy(z.as_ref(), &[1, 1, 0]), 2.0 / 3.0);
/// ```
pub fn accuracy(z: MatRef<'_, f64>, labels: &[usize]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = labels
        .iter()
        .enumerate()
        .filter(|&(i, &y)| {
            let mut best = 0;
            for c in 1..z.ncols() {
                if z[(i, c)] > z[(i, best)] {
                    best = c;
                }
            }
            best == y
        })
        .count();
    right as f64 / labels.len() as f64
}

impl Objective for Network {
    fn dim(&self) -> usize {
        self.n
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        let loss = self.with_rows(None, |h0, y| {
            self.forward(x, h0, y).loss_sum / y.len() as f64
        })?;
        Ok(loss + self.weight_decay(x, None))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        check_len("gradient buffer", self.n, g.len())?;
        let f = self.with_rows(None, |h0, y| self.value_grad_rows(x, h0, y, g))?;
        Ok(f + self.weight_decay(x, Some(g)))
    }
    /// The block kernel with one column: the forward and gradient passes at `x` are cached.
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        let n = self.n;
        let vm = MatRef::from_column_major_slice(v, n, 1);
        self.hvp_block_full(x, vm, MatMut::from_column_major_slice_mut(out, n, 1))
    }
    /// One forward and one gradient backward pass (cached for the last `x`), R-passes with the
    /// `k` directions stacked (`problems/network/block.rs`).
    fn hvp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.hvp_block_full(x, v, out)
    }
    fn as_gauss_newton(&self) -> Option<&dyn GaussNewton> {
        Some(self)
    }
    fn sampled_labels(&self) -> Option<&dyn crate::objective::SampledLabels> {
        (self.loss == Loss::CrossEntropy).then_some(self as &dyn crate::objective::SampledLabels)
    }
    fn as_finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
    fn layered(&self) -> Option<&dyn crate::curvature::layered::Layered> {
        Some(self)
    }
}

/// `Gv = Jᵀ H_L J v + λ v_W`.
impl GaussNewton for Network {
    fn ggn_vp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        let n = self.n;
        let vm = MatRef::from_column_major_slice(v, n, 1);
        self.ggn_block_full(x, vm, MatMut::from_column_major_slice_mut(out, n, 1))
    }
    fn ggn_vp_block(&self, x: &[f64], v: MatRef<'_, f64>, out: MatMut<'_, f64>) -> Result<()> {
        self.ggn_block_full(x, v, out)
    }
}

/// Minibatches over training examples (mean over the batch plus the full regulariser).
impl FiniteSum for Network {
    fn num_examples(&self) -> usize {
        self.train_y.len()
    }
    fn batch_gradient(&self, x: &[f64], batch: &[usize], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.n, x.len())?;
        check_len("gradient buffer", self.n, g.len())?;
        let f = self.with_rows(Some(batch), |h0, y| self.value_grad_rows(x, h0, y, g))?;
        Ok(f + self.weight_decay(x, Some(g)))
    }
    fn batch_hvp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(Some(batch), |h0, y| self.hvp_rows(x, v, h0, y, out))?;
        self.weight_decay(v, Some(out));
        Ok(())
    }
    fn batch_ggn_vp(&self, x: &[f64], batch: &[usize], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.check_xv(x, v, out)?;
        self.with_rows(Some(batch), |h0, y| self.ggn_rows(x, v, h0, y, out))?;
        self.weight_decay(v, Some(out));
        Ok(())
    }
    fn per_example_gradients(&self, x: &[f64], batch: &[usize], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        let expected = batch.len() * self.n;
        check_len("per-example gradient buffer", expected, out.len())?;
        self.with_rows(Some(batch), |h0, y| self.per_example_rows(x, h0, y, out))
    }
}

/// Registry entry.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "classifier",
    summary: "fully connected classifier on the UCI 8×8 digits or MNIST-1D: cross-entropy or MSE, tanh/ReLU/GELU; exact HVP (R-operator) and GGN",
    params: &[
        ParamInfo {
            name: "dataset",
            default: "digits",
            doc: "digits (UCI 8×8, 1,797 images, shipped) | mnist1d (Greydanus 2020, generated)",
        },
        ParamInfo {
            name: "samples",
            default: "(all)",
            doc: "examples before the train/test split (digits ≤ 1797 stratified; mnist1d default 5000)",
        },
        ParamInfo {
            name: "test_fraction",
            default: "0.2",
            doc: "fraction of the examples held out for testing",
        },
        ParamInfo {
            name: "data_seed",
            default: "42",
            doc: "seed of the data (MNIST-1D generation, the split); the problem seed draws the weights",
        },
        ParamInfo {
            name: "hidden",
            default: "128,128",
            doc: "hidden widths, e.g. \"128,128\", or one width repeated `depth` times",
        },
        ParamInfo {
            name: "depth",
            default: "1",
            doc: "number of hidden layers when `hidden` is a single width",
        },
        ParamInfo {
            name: "activation",
            default: "tanh",
            doc: "tanh | relu | gelu",
        },
        ParamInfo {
            name: "loss",
            default: "ce",
            doc: "ce (softmax cross-entropy) | mse (½‖z − e_y‖², Cohen et al. 2021)",
        },
        ParamInfo {
            name: "l2",
            default: "0",
            doc: "L2 coefficient λ ≥ 0 on the weights (not the biases)",
        },
        ParamInfo {
            name: "parallel",
            default: "false",
            doc: "full-batch HVP / GGN products on two rayon workers (same result bit for bit)",
        },
    ],
};

/// Builds the `classifier` problem; `x0` is the seeded PyTorch-style initialisation.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["dataset=digits", "hidden=8", "samples=200"]).unwrap();
/// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
/// assert_eq!(inst.x0.len(), (64 * 8 + 8) + (8 * 10 + 10));
/// ```
pub fn build(p: &Params, seed: u64) -> Result<ProblemInstance> {
    let net = network(p)?;
    Ok(ProblemInstance {
        kind: INFO.name.into(),
        label: label(INFO.name, p),
        x0: net.initial_point(seed),
        f_star: None,
        x_star: None,
        eigenvalues: None,
        objective: Box::new(net),
    })
}

/// The `classifier` network of the parameters `p` (what [`build`] wraps; the seed only draws
/// `x0`), e.g. to measure accuracies at a study's end points.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["dataset=digits", "hidden=8", "samples=200"]).unwrap();
/// let net = curvlab::problems::network::network(&p).unwrap();
/// assert_eq!(net.classes(), 10);
/// ```
pub fn network(p: &Params) -> Result<Network> {
    let hidden = parse_hidden(p)?;
    let activation = Activation::parse(&p.str("activation", "tanh")?)?;
    let loss = Loss::parse(&p.str("loss", "ce")?)?;
    let l2 = p.f64("l2", 0.0)?;
    let parallel = p.bool("parallel", false)?;
    let split = build_split(p)?;
    Network::new(&split, &hidden)?
        .with_activation(activation)
        .with_loss(loss)
        .with_parallel(parallel)
        .with_l2(l2)
}

fn build_split(p: &Params) -> Result<Split> {
    let test_fraction = p.f64("test_fraction", 0.2)?;
    let data_seed = p.usize("data_seed", 42)? as u64;
    match p.str("dataset", "digits")?.as_str() {
        "digits" => {
            let all = datasets::digits::load()?;
            let samples = p.usize("samples", all.len())?;
            let data = datasets::stratified_subset(&all, 10, samples, data_seed)?;
            datasets::stratified_split(&data, 10, test_fraction, data_seed)
        }
        "mnist1d" => {
            let args = datasets::mnist1d::Mnist1dArgs {
                num_samples: p.usize("samples", 5000)?,
                train_split: 1.0 - test_fraction,
                seed: data_seed,
                ..Default::default()
            };
            datasets::mnist1d::make_dataset(&args)
        }
        other => Err(Error::invalid(
            "dataset",
            other,
            "expected digits or mnist1d",
        )),
    }
}

fn parse_hidden(p: &Params) -> Result<Vec<usize>> {
    let depth_given = p.get("depth").is_some();
    let depth = p.usize("depth", 1)?;
    match p.get("hidden") {
        None => Ok(if depth_given {
            vec![128; depth]
        } else {
            vec![128, 128]
        }),
        Some(Value::Num(_)) => Ok(vec![p.usize("hidden", 128)?; depth]),
        Some(Value::Str(s)) => {
            let widths = s
                .split(',')
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(|t| match t.parse::<usize>() {
                    Ok(w) if w > 0 => Ok(w),
                    _ => Err(Error::invalid(
                        "hidden",
                        s,
                        "expected positive widths separated by commas, e.g. 128,128",
                    )),
                })
                .collect::<Result<Vec<_>>>()?;
            if depth_given && depth != widths.len() {
                return Err(Error::invalid(
                    "depth",
                    depth,
                    &format!("`hidden` lists {} widths", widths.len()),
                ));
            }
            Ok(widths)
        }
        Some(v) => Err(Error::invalid("hidden", v, "expected a width or a list")),
    }
}
