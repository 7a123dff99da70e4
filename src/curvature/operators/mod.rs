//! Curvature matrices of a model over a whole data set as linear operators, after curvlinops
//! (Dangel, Tatzel & Hennig; the `curvlinops` PyTorch library) and the definitions of Martens
//! (2020, "New insights and perspectives on the natural gradient method", JMLR 21, §§5–9) and
//! Kunstner, Balles & Hennig (NeurIPS 2019) for the empirical Fisher:
//!
//! - [`fisher`]: the empirical Fisher `(1/N) Σᵢ gᵢgᵢᵀ`, the Monte-Carlo Fisher (labels sampled
//!   from the model, seeded), and the Hessian and generalized Gauss-Newton matrix of an
//!   [`Objective`](crate::Objective) accumulated over minibatches;
//! - [`jacobian`]: the Jacobian `J` of the `N·k` outputs in the parameters and its transpose;
//! - [`diagonal`]: exact diagonals (the GGN's from per-example Jacobian rows, the empirical
//!   Fisher's, any operator's from `n` unit-vector products);
//! - [`frobenius`]: the squared-Frobenius-norm estimator `E‖Av‖² = ‖A‖²_F`;
//! - [`inverse`]: `(A + δI)⁻¹` by conjugate gradients or by a truncated Neumann series, usable as a
//!   [`LinearOperator`](crate::linalg::LinearOperator) and as a CG [`Preconditioner`](crate::linalg::cg::Preconditioner).
//!
//! The model side is the [`OutputModel`] trait (`classifier` network and logistic regression):
//! a forward pass with `J v`, and back-propagation of output vectors `Σᵢ Jᵢᵀ uᵢ`. Every operator
//! loops over contiguous minibatches of a fixed size, so its result does not depend on the batch
//! size beyond rounding, and counts its applications. Hutchinson's trace and diagonal and Hutch++
//! ([`crate::curvature::hutchinson`]) take any of these operators.

pub mod diagonal;
pub mod fisher;
pub mod frobenius;
pub mod inverse;
pub mod jacobian;
pub mod logistic;

pub use diagonal::{empirical_fisher_diagonal, exact_diagonal, ggn_diagonal};
pub use fisher::{BatchedGgn, BatchedHessian, EmpiricalFisher, MonteCarloFisher};
pub use frobenius::hutchinson_squared_fro;
pub use inverse::{CgInverse, NeumannInverse};
pub use jacobian::{Jacobian, RectangularOperator, TransposedJacobian};

use crate::error::{Error, Result, check_len};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::sync::atomic::{AtomicU64, Ordering};

/// The predictive distribution `p(y | z)` whose negative log-likelihood is the per-example loss.
///
/// ```
/// use curvlab::curvature::operators::{Likelihood, OutputModel};
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
/// let b = f.outputs(&[0.0; 3], &[0], None).unwrap();
/// assert_eq!(b.likelihood, Likelihood::Bernoulli);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likelihood {
    /// Softmax cross-entropy: `y ~ Categorical(softmax(z))`, `H_L = diag(p) − ppᵀ`.
    Categorical,
    /// Squared error `½‖z − t‖²`: `y ~ N(z, I)`, `H_L = I`.
    Gaussian,
    /// Binary cross-entropy on one logit: `y ~ Bernoulli(σ(z))`, `H_L = σ(1 − σ)`.
    Bernoulli,
}

/// What one forward pass over a minibatch gives the curvature operators (all `k × B`,
/// column `i` for example `i` of the batch).
///
/// ```
/// use curvlab::curvature::operators::OutputModel;
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
/// let b = f.outputs(&[0.0; 3], &[0, 2], Some(&[0.0, 0.0, 1.0])).unwrap();
/// assert_eq!((b.len(), b.k, b.jv.clone()), (2, 1, vec![1.0, 1.0]));
/// assert!(!b.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct OutputBatch {
    /// The predictive distribution.
    pub likelihood: Likelihood,
    /// Outputs per example `k`.
    pub k: usize,
    /// Softmax probabilities (categorical) or `σ(z)` (Bernoulli); empty for the Gaussian.
    pub probs: Vec<f64>,
    /// `∂ℓᵢ/∂zᵢ` with the data's labels.
    pub dz: Vec<f64>,
    /// `Jᵢ v` when a direction was given, else empty.
    pub jv: Vec<f64>,
}

impl OutputBatch {
    /// The number of examples `B`.
    pub fn len(&self) -> usize {
        self.dz.len() / self.k.max(1)
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.dz.is_empty()
    }

    /// Column `c` of a square root `S` of `H_L = S Sᵀ` for example `i`: `√p_c (e_c − p)`
    /// (categorical, since `Σ_c p_c (e_c − p)(e_c − p)ᵀ = diag(p) − ppᵀ`), `e_c` (Gaussian),
    /// `√(σ(1 − σ))` (Bernoulli, `k = 1`).
    pub(crate) fn loss_hessian_factor(&self, i: usize, c: usize, out: &mut [f64]) {
        let k = self.k;
        match self.likelihood {
            Likelihood::Gaussian => {
                out.fill(0.0);
                out[c] = 1.0;
            }
            Likelihood::Bernoulli => {
                let p = self.probs[i];
                out[0] = (p * (1.0 - p)).sqrt();
            }
            Likelihood::Categorical => {
                let p = &self.probs[i * k..(i + 1) * k];
                let s = p[c].sqrt();
                for (o, pj) in out.iter_mut().zip(p) {
                    *o = -s * pj;
                }
                out[c] += s;
            }
        }
    }

    /// A sampled output gradient `∇_z ℓ(zᵢ, ŷ)` with `ŷ` drawn from the predictive distribution
    /// of example `i`: `p − e_ŷ` (categorical), `σ − ŷ` (Bernoulli), `−ε` with `ε ~ N(0, I)`
    /// (Gaussian). Its second moment is `H_L`.
    pub(crate) fn sample_output_gradient(&self, i: usize, rng: &mut ChaCha8Rng, out: &mut [f64]) {
        let k = self.k;
        match self.likelihood {
            Likelihood::Gaussian => {
                for o in out.iter_mut() {
                    *o = -rng.sample::<f64, _>(StandardNormal);
                }
            }
            Likelihood::Bernoulli => {
                let p = self.probs[i];
                let y = if rng.random::<f64>() < p { 1.0 } else { 0.0 };
                out[0] = p - y;
            }
            Likelihood::Categorical => {
                let p = &self.probs[i * k..(i + 1) * k];
                out.copy_from_slice(p);
                out[sample_categorical(p, rng.random::<f64>())] -= 1.0;
            }
        }
    }
}

/// The class `c` with `Σ_{j<c} p_j ≤ u < Σ_{j≤c} p_j` (the last class for rounding leftovers).
fn sample_categorical(p: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (c, pc) in p.iter().enumerate() {
        acc += pc;
        if u < acc {
            return c;
        }
    }
    p.len() - 1
}

/// A model `zᵢ = z(x; inputᵢ) ∈ R^k` with a per-example loss `ℓ(zᵢ, yᵢ)` that is a negative
/// log-likelihood ([`Likelihood`]): what the Fisher, GGN and Jacobian operators need.
///
/// ```
/// use curvlab::curvature::operators::OutputModel;
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
/// assert_eq!((f.num_params(), f.num_data(), f.num_outputs()), (3, 10, 1));
/// let b = f.outputs(&[0.0; 3], &[0, 1], Some(&[1.0, 0.0, 0.0])).unwrap();
/// assert_eq!(b.probs, vec![0.5, 0.5]);
/// ```
pub trait OutputModel: Send + Sync {
    /// The number of parameters `n`.
    fn num_params(&self) -> usize;
    /// The number of training examples `N`.
    fn num_data(&self) -> usize;
    /// Outputs per example `k`.
    fn num_outputs(&self) -> usize;
    /// One forward pass over the examples `batch` at `x`, with `Jᵢ v` when `v` is given.
    fn outputs(&self, x: &[f64], batch: &[usize], v: Option<&[f64]>) -> Result<OutputBatch>;
    /// Writes `Σ_{i∈B} Jᵢᵀ uᵢ` into `out` (`u` is `k × B`).
    fn vjp(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()>;
    /// Adds `Σ_{i∈B} (Jᵢᵀ uᵢ) ⊙ (Jᵢᵀ uᵢ)` to `out` without forming the per-example vectors.
    fn vjp_squared(&self, x: &[f64], batch: &[usize], u: &[f64], out: &mut [f64]) -> Result<()>;
}

/// The gradient of the mean loss over `batch` with labels sampled from the model at `x`
/// (seeded): `(1/B) Σᵢ Jᵢᵀ ∇_z ℓ(zᵢ, ŷᵢ)`. The implementation behind
/// [`crate::objective::SampledLabels`] for the classifier and logistic regression.
///
/// ```
/// use curvlab::curvature::operators::sampled_gradient;
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(10, 2, 0).unwrap();
/// let mut g = vec![0.0; 3];
/// sampled_gradient(&f, &[0.0; 3], &[3], 1, &mut g).unwrap();
/// // z = 0, σ = ½: the residual is ±½ whichever label was drawn.
/// assert_eq!(g[2].abs(), 0.5);
/// ```
pub fn sampled_gradient<M: OutputModel + ?Sized>(
    model: &M,
    x: &[f64],
    batch: &[usize],
    seed: u64,
    g: &mut [f64],
) -> Result<()> {
    check_len("gradient buffer", model.num_params(), g.len())?;
    let ob = batch_outputs(model, x, batch, None)?;
    let k = ob.k;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut u = vec![0.0; ob.dz.len()];
    let scale = 1.0 / batch.len() as f64;
    for (i, ui) in u.chunks_exact_mut(k).enumerate() {
        ob.sample_output_gradient(i, &mut rng, ui);
        ui.iter_mut().for_each(|v| *v *= scale);
    }
    model.vjp(x, batch, &u, g)
}

/// Default examples per minibatch of the operators.
pub const DEFAULT_BATCH_SIZE: usize = 256;

/// [`OutputModel::outputs`] with its shapes checked against the model, so that a model
/// returning inconsistent vectors is an error rather than a panic in an operator.
pub(crate) fn batch_outputs<M: OutputModel + ?Sized>(
    model: &M,
    x: &[f64],
    batch: &[usize],
    v: Option<&[f64]>,
) -> Result<OutputBatch> {
    let ob = model.outputs(x, batch, v)?;
    let (k, b) = (model.num_outputs(), batch.len());
    check_len("outputs per example", k, ob.k)?;
    if k == 0 {
        return Err(Error::invalid("outputs per example", 0, "must be >= 1"));
    }
    check_len("output gradients (k × batch)", k * b, ob.dz.len())?;
    match ob.likelihood {
        Likelihood::Categorical => check_len("probabilities (k × batch)", k * b, ob.probs.len())?,
        Likelihood::Bernoulli => {
            check_len("outputs per example (Bernoulli)", 1, k)?;
            check_len("probabilities (batch)", b, ob.probs.len())?;
        }
        Likelihood::Gaussian => {}
    }
    if v.is_some() {
        check_len("Jacobian-vector products (k × batch)", k * b, ob.jv.len())?;
    }
    Ok(ob)
}

/// Checks a minibatch size (`≥ 1`).
pub(crate) fn check_batch_size(batch_size: usize) -> Result<usize> {
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", 0, "must be >= 1"));
    }
    Ok(batch_size)
}

/// Calls `f` on the contiguous minibatches `[0, b), [b, 2b), …` of `0..n`.
pub(crate) fn for_batches(
    n: usize,
    batch_size: usize,
    mut f: impl FnMut(&[usize]) -> Result<()>,
) -> Result<()> {
    let mut start = 0;
    while start < n {
        let end = (start + batch_size).min(n);
        let batch: Vec<usize> = (start..end).collect();
        f(&batch)?;
        start = end;
    }
    Ok(())
}

/// A counter of operator applications (each column of a block counts one) and of the example
/// passes they made.
///
/// ```
/// use curvlab::curvature::operators::EmpiricalFisher;
/// use curvlab::linalg::LinearOperator;
/// let f = curvlab::problems::logistic::LogisticRegression::synthetic(7, 2, 0).unwrap();
/// let ef = EmpiricalFisher::new(&f, vec![0.0; 3]).unwrap();
/// let mut out = [0.0; 3];
/// ef.apply(&[1.0, 0.0, 0.0], &mut out).unwrap();
/// ef.apply(&[0.0, 1.0, 0.0], &mut out).unwrap();
/// assert_eq!((ef.counter().applications(), ef.counter().examples()), (2, 14));
/// ```
#[derive(Debug, Default)]
pub struct Applications {
    applications: AtomicU64,
    examples: AtomicU64,
}

impl Applications {
    pub(crate) fn bump(&self, examples: usize) {
        self.applications.fetch_add(1, Ordering::Relaxed);
        self.examples.fetch_add(examples as u64, Ordering::Relaxed);
    }
    /// Applications so far.
    pub fn applications(&self) -> u64 {
        self.applications.load(Ordering::Relaxed)
    }
    /// Example passes so far (`N` per application over the whole set).
    pub fn examples(&self) -> u64 {
        self.examples.load(Ordering::Relaxed)
    }
}
