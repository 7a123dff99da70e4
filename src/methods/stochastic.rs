//! Stochastic (minibatch) mode for first-order methods on finite sums
//! `f(x) = (1/N) Σᵢ ℓᵢ(x) + r(x)` ([`crate::FiniteSum`]), as in Robbins & Monro (1951) and
//! Bottou, Curtis & Nocedal (2018, "Optimization methods for large-scale machine learning",
//! §4): each minibatch step applies the method's transformation chain to the batch gradient
//! `(1/|B|) Σ_{i∈B} ∇ℓᵢ(x) + ∇r(x)`.
//!
//! Batches come from a seeded [`EpochSampler`]: every epoch is a fresh ChaCha8 shuffle of
//! `0..N` cut into consecutive batches of `batch_size` (the last one shorter when
//! `batch_size ∤ N`), so every example is used exactly once per epoch (sampling without
//! replacement, PyTorch's `DataLoader(shuffle=True, drop_last=False)`).
//!
//! One [`Method::step`] of [`Stochastic`] is `eval_every` minibatch steps followed by one
//! full-batch evaluation of `f` and `∇f`, so [`crate::minimize`](fn@crate::minimize)'s trace, stopping tests and
//! iteration budget see full-batch values every `eval_every` minibatch steps. A step also ends
//! early, after the minibatch step that crosses the run's deadline (`max_seconds`, passed by
//! the driver through [`Method::set_deadline`]), so a large `eval_every` cannot overrun it.

use super::first_order::FirstOrder;
use super::{Iterate, Method, StepInfo};
use crate::error::{Error, Result};
use crate::objective::Objective;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Shuffled epochs of `0..N` in batches.
///
/// ```
/// use curvlab::methods::stochastic::EpochSampler;
/// let mut s = EpochSampler::new(5, 2, 7).unwrap();
/// let mut seen: Vec<usize> = Vec::new();
/// for _ in 0..3 { seen.extend_from_slice(s.next_batch()); }
/// seen.sort();
/// assert_eq!(seen, vec![0, 1, 2, 3, 4]);
/// assert_eq!(s.epoch(), 0);
/// s.next_batch();
/// assert_eq!(s.epoch(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct EpochSampler {
    perm: Vec<usize>,
    pos: usize,
    batch: usize,
    epoch: usize,
    rng: ChaCha8Rng,
}

impl EpochSampler {
    /// A sampler over `n` examples with batches of `batch` (`1 ≤ batch ≤ n`), seeded.
    pub fn new(n: usize, batch: usize, seed: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid("num_examples", 0, "must be >= 1"));
        }
        if batch == 0 || batch > n {
            return Err(Error::invalid(
                "batch_size",
                batch,
                &format!("must be in 1..={n} (the number of examples)"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        Ok(EpochSampler {
            perm,
            pos: 0,
            batch,
            epoch: 0,
            rng,
        })
    }

    /// The next batch; a new epoch (a new shuffle) starts when the current one is used up.
    pub fn next_batch(&mut self) -> &[usize] {
        if self.pos >= self.perm.len() {
            self.perm.shuffle(&mut self.rng);
            self.pos = 0;
            self.epoch += 1;
        }
        let start = self.pos;
        let end = (start + self.batch).min(self.perm.len());
        self.pos = end;
        &self.perm[start..end]
    }

    /// The index of the current epoch (0 for the first).
    pub fn epoch(&self) -> usize {
        self.epoch
    }
}

/// A first-order method run on minibatches, with a full-batch evaluation every `eval_every`
/// minibatch steps.
///
/// ```
/// use curvlab::methods::stochastic::Stochastic;
/// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
/// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.1).unwrap());
/// assert!(Stochastic::new(gd, 0, 1, 0).is_err());
/// ```
pub struct Stochastic {
    inner: FirstOrder,
    batch_size: usize,
    eval_every: usize,
    seed: u64,
    sampler: Option<EpochSampler>,
    g_batch: Vec<f64>,
    x_prev: Vec<f64>,
    steps: usize,
    deadline: Option<std::time::Instant>,
}

impl std::fmt::Debug for Stochastic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stochastic")
            .field("inner", &self.inner)
            .field("batch_size", &self.batch_size)
            .field("eval_every", &self.eval_every)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Stochastic {
    /// Wraps `inner` with batches of `batch_size ≥ 1`, `eval_every ≥ 1` minibatch steps per
    /// iteration, and the sampler's `seed`.
    pub fn new(inner: FirstOrder, batch_size: usize, eval_every: usize, seed: u64) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be >= 1"));
        }
        if eval_every == 0 {
            return Err(Error::invalid("eval_every", 0, "must be >= 1"));
        }
        Ok(Stochastic {
            inner,
            batch_size,
            eval_every,
            seed,
            sampler: None,
            g_batch: Vec::new(),
            x_prev: Vec::new(),
            steps: 0,
            deadline: None,
        })
    }

    /// The sampler of the current run (after `init`).
    ///
    /// ```
    /// use curvlab::methods::stochastic::Stochastic;
    /// use curvlab::methods::first_order::{FirstOrder, ScaleByLearningRate};
    /// let gd = FirstOrder::gd(ScaleByLearningRate::new(0.1).unwrap());
    /// assert!(Stochastic::new(gd, 4, 1, 0).unwrap().sampler().is_none());
    /// ```
    pub fn sampler(&self) -> Option<&EpochSampler> {
        self.sampler.as_ref()
    }
}

impl Method for Stochastic {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn settings(&self) -> Vec<(&'static str, crate::params::Value)> {
        self.inner.settings()
    }

    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let fs = obj.as_finite_sum().ok_or_else(|| {
            Error::Unsupported(format!(
                "{} with batch_size > 0 needs a finite-sum objective (examples)",
                self.inner.name()
            ))
        })?;
        self.inner.init(obj, it)?;
        self.sampler = Some(EpochSampler::new(
            fs.num_examples(),
            self.batch_size,
            self.seed,
        )?);
        self.g_batch.clear();
        self.g_batch.resize(obj.dim(), 0.0);
        self.x_prev.clear();
        self.x_prev.resize(obj.dim(), 0.0);
        self.steps = 0;
        Ok(())
    }

    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.deadline = deadline;
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let fs = obj.as_finite_sum().ok_or_else(|| {
            Error::Unsupported("objective is not a finite sum over examples".into())
        })?;
        let sampler = self
            .sampler
            .as_mut()
            .ok_or_else(|| Error::Usage("stochastic: call init before step".into()))?;
        self.x_prev.copy_from_slice(&it.x);
        let mut batch_f = 0.0;
        for i in 0..self.eval_every {
            if i > 0
                && self
                    .deadline
                    .is_some_and(|d| std::time::Instant::now() >= d)
            {
                break;
            }
            let batch = sampler.next_batch();
            batch_f = fs.batch_gradient(&it.x, batch, &mut self.g_batch)?;
            self.inner.apply(&self.g_batch, &mut it.x)?;
            self.steps += 1;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        for (p, x) in self.x_prev.iter_mut().zip(&it.x) {
            *p -= x;
        }
        let lr = self
            .inner
            .learning_rate()
            .rate_at(self.steps.saturating_sub(1));
        Ok(StepInfo::new(crate::linalg::vector::norm(&self.x_prev))
            .with("minibatch_steps", self.steps as f64)
            .with("epoch", sampler.epoch() as f64)
            .with("batch_f", batch_f)
            .with("lr", lr))
    }
}
