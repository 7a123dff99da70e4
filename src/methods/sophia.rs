//! Sophia (Liu, Li, Hall, Liang & Ma, "Sophia: A Scalable Stochastic Second-order Optimizer for
//! Language Model Pre-training", ICLR 2024, Algorithm 3): momentum preconditioned by an
//! exponential average of a diagonal-curvature estimate refreshed every `k` steps, with the
//! update clipped per coordinate.
//!
//! ```text
//! x ← x − ηλx                                           (decoupled weight decay)
//! m ← β₁m + (1 − β₁)g
//! every k steps (t ≡ 1 mod k):  h ← β₂h + (1 − β₂)ĥ     (ĥ: the diagonal estimate)
//! x ← x − η · clip(m / max(ρh, ε), 1)                   (clip(z, 1) = max(−1, min(z, 1)))
//! ```
//!
//! Two estimators `ĥ`:
//!
//! - **Sophia-H** ([`Sophia::new`]): `ĥ = u ⊙ ∇²f u` with Gaussian `u` (one Hessian-vector
//!   product per refresh, Algorithm 1).
//! - **Sophia-G** ([`Sophia::gauss_newton_bartlett`]): the Gauss-Newton-Bartlett estimator
//!   (Algorithm 2). Draw a minibatch of `B` examples, sample labels `ŷᵢ` from the model's own
//!   predictive distribution (the softmax for the `classifier`, `Bernoulli(σ(z))` for
//!   `logistic`), take the gradient `ĝ` of the mean loss with those labels, and set
//!   `ĥ = B · ĝ ⊙ ĝ`. Since `E_ŷ[∇ℓᵢ(ŷ)] = 0` and `E_ŷ[∇ℓᵢ ∇ℓᵢᵀ] = Jᵢᵀ H_L Jᵢ` (Bartlett's
//!   identities), `E[ĥ] = diag((1/B) Σᵢ Jᵢᵀ H_L Jᵢ)`, the diagonal of the minibatch GGN (data
//!   term), at the cost of one minibatch gradient. It needs
//!   [`Objective::sampled_labels`] and is refused elsewhere.
//!
//! `max(ρh, ε)` keeps negative and tiny curvature from flipping or blowing up the step: there the
//! update is `η·sign(m)`. Defaults are those of the authors' reference implementation
//! (github.com/Liuhong99/Sophia, `sophia.py`, class `SophiaG`: `lr = 1e-4`,
//! `betas = (0.965, 0.99)`, `rho = 0.04`, `weight_decay = 0.1`; `k = 10` is the Hessian interval
//! of `train_sophiag.py`) with the paper's `ε = 1e-12`; both estimators share them. The code
//! writes the denominator as `ρ · bs · h` with `h` the EMA of `ĝ ⊙ ĝ` and `bs` the batch size:
//! the same as the paper's `ρ · h` with `ĥ = B ĝ ⊙ ĝ`, which is what this module stores.
//! Sophia-G's label batch is `batch = 256` examples (capped at `N`), drawn without replacement
//! from the seeded generator; the authors' GPT-2 runs estimate on the training batch (480
//! sequences), so 256 is our choice for the small problems here. Like AdamW's weight decay,
//! `λ > 0` changes the fixed point: set `weight_decay = 0` to minimize `f` itself.

use super::{Iterate, Method, Needs, StepInfo};
use crate::curvature::diagonal_probe::{DiagonalEstimator, DiagonalProbe};
use crate::error::{Error, Result};
use crate::methods::first_order::{check_nonnegative, check_positive, check_unit};
use crate::objective::{Objective, SampledLabels};
use crate::params::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which diagonal `ĥ` Sophia preconditions with.
///
/// ```
/// use curvlab::methods::{Sophia, sophia::SophiaCurvature};
/// assert_eq!(Sophia::default().curvature(), SophiaCurvature::Hutchinson);
/// let g = Sophia::gauss_newton_bartlett(1e-3).unwrap();
/// assert_eq!(g.curvature(), SophiaCurvature::GaussNewtonBartlett);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SophiaCurvature {
    /// Sophia-H: Hutchinson's diagonal of the Hessian.
    Hutchinson,
    /// Sophia-G: the Gauss-Newton-Bartlett estimate `B ĝ ⊙ ĝ` from sampled labels.
    GaussNewtonBartlett,
}

/// Sophia-H (Hutchinson diagonal with Gaussian probes by default).
///
/// ```
/// use curvlab::methods::Sophia;
/// use curvlab::problems::Ravine;
/// use curvlab::{Stop, minimize};
/// let f = Ravine::new(100.0, 1.0, 0.0).unwrap();
/// let mut m = Sophia::new(0.05).unwrap().with_weight_decay(0.0).unwrap();
/// let r = minimize(&f, &mut m, &[1.0, 8.0], &Stop::new(1e-6, 5000)).unwrap();
/// assert!(r.grad_norm <= 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct Sophia {
    lr: f64,
    beta1: f64,
    beta2: f64,
    rho: f64,
    eps: f64,
    every: usize,
    weight_decay: f64,
    estimator: DiagonalEstimator,
    curvature: SophiaCurvature,
    batch: usize,
    seed: u64,
    state: Option<State>,
}

#[derive(Debug, Clone)]
struct State {
    m: Vec<f64>,
    h: Vec<f64>,
    hat: Vec<f64>,
    t: usize,
    probe: DiagonalProbe,
    /// Sophia-G's generator of minibatches and label seeds.
    rng: ChaCha8Rng,
    /// `0..N`, shuffled in part for each Sophia-G minibatch.
    order: Vec<usize>,
}

impl Default for Sophia {
    /// The authors' code: `lr = 1e-4`, `β₁ = 0.965`, `β₂ = 0.99`, `ρ = 0.04`, `λ = 0.1`,
    /// `k = 10`; the paper's `ε = 1e-12`; Gaussian probes, seed 0.
    fn default() -> Self {
        Sophia {
            lr: 1e-4,
            beta1: 0.965,
            beta2: 0.99,
            rho: 0.04,
            eps: 1e-12,
            every: 10,
            weight_decay: 0.1,
            estimator: DiagonalEstimator::Gaussian,
            curvature: SophiaCurvature::Hutchinson,
            batch: 256,
            seed: 0,
            state: None,
        }
    }
}

impl Sophia {
    /// Sophia with learning rate `lr > 0` and the other defaults.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(Sophia {
            lr: check_positive("lr", lr)?,
            ..Self::default()
        })
    }

    /// Sophia-G (Gauss-Newton-Bartlett estimator) with learning rate `lr > 0` and the same
    /// defaults, label batches of 256 examples.
    ///
    /// ```
    /// use curvlab::methods::Sophia;
    /// use curvlab::problems::logistic::LogisticRegression;
    /// use curvlab::{Stop, minimize};
    /// let f = LogisticRegression::synthetic(100, 3, 0).unwrap();
    /// let mut m = Sophia::gauss_newton_bartlett(0.01).unwrap().with_weight_decay(0.0).unwrap();
    /// let r = minimize(&f, &mut m, &[0.0; 4], &Stop::new(1e-4, 3000)).unwrap();
    /// assert!(r.grad_norm <= 1e-4);
    /// // Refused where there are no labels to sample.
    /// let q = curvlab::problems::Ravine::new(10.0, 1.0, 0.0).unwrap();
    /// assert!(minimize(&q, &mut m, &[1.0, 1.0], &Stop::new(1e-4, 10)).is_err());
    /// ```
    pub fn gauss_newton_bartlett(lr: f64) -> Result<Self> {
        Ok(Sophia {
            curvature: SophiaCurvature::GaussNewtonBartlett,
            ..Self::new(lr)?
        })
    }

    /// Sets the curvature estimator (Sophia-H or Sophia-G).
    ///
    /// ```
    /// use curvlab::methods::{Method, Sophia, sophia::SophiaCurvature};
    /// let m = Sophia::default().with_curvature(SophiaCurvature::GaussNewtonBartlett);
    /// assert_eq!(m.name(), "sophia-g");
    /// ```
    pub fn with_curvature(mut self, curvature: SophiaCurvature) -> Self {
        self.curvature = curvature;
        self
    }

    /// The curvature estimator.
    pub fn curvature(&self) -> SophiaCurvature {
        self.curvature
    }

    /// Sophia-G's label batch size `B ≥ 1` (capped at the number of examples).
    ///
    /// ```
    /// assert!(curvlab::methods::Sophia::gauss_newton_bartlett(0.1).unwrap().with_batch(0).is_err());
    /// ```
    pub fn with_batch(mut self, batch: usize) -> Result<Self> {
        if batch == 0 {
            return Err(Error::invalid("batch", 0, "must be >= 1"));
        }
        self.batch = batch;
        Ok(self)
    }

    /// `β₁, β₂ ∈ [0, 1)`.
    ///
    /// ```
    /// assert!(curvlab::methods::Sophia::default().with_betas(-0.1, 0.99).is_err());
    /// ```
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.beta1 = check_unit("beta1", beta1)?;
        self.beta2 = check_unit("beta2", beta2)?;
        Ok(self)
    }

    /// The clipping scale `ρ > 0` (the paper's γ; `rho` in the authors' code).
    pub fn with_rho(mut self, rho: f64) -> Result<Self> {
        self.rho = check_positive("rho", rho)?;
        Ok(self)
    }

    /// The floor `ε > 0` of the denominator.
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// Refresh the curvature estimate every `k ≥ 1` steps.
    ///
    /// ```
    /// assert!(curvlab::methods::Sophia::default().with_every(0).is_err());
    /// ```
    pub fn with_every(mut self, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", 0, "must be >= 1"));
        }
        self.every = k;
        Ok(self)
    }

    /// Decoupled weight decay `λ ≥ 0`.
    pub fn with_weight_decay(mut self, wd: f64) -> Result<Self> {
        self.weight_decay = check_nonnegative("weight_decay", wd)?;
        Ok(self)
    }

    /// The diagonal estimator (Gaussian as in the paper; `Exact` for a noiseless reference).
    pub fn with_estimator(mut self, e: DiagonalEstimator) -> Self {
        self.estimator = e;
        self
    }

    /// The probes' seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Method for Sophia {
    fn name(&self) -> &str {
        match self.curvature {
            SophiaCurvature::Hutchinson => "sophia",
            SophiaCurvature::GaussNewtonBartlett => "sophia-g",
        }
    }

    fn needs(&self) -> Needs {
        match self.curvature {
            SophiaCurvature::Hutchinson => Needs::Hvp,
            SophiaCurvature::GaussNewtonBartlett => Needs::Gradient,
        }
    }

    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let n = it.x.len();
        let mut examples = 0;
        if self.curvature == SophiaCurvature::GaussNewtonBartlett {
            examples = gnb_source(obj)?.1;
        }
        self.state = Some(State {
            m: vec![0.0; n],
            h: vec![0.0; n],
            hat: vec![0.0; n],
            t: 0,
            probe: DiagonalProbe::new(self.estimator, self.seed),
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            order: (0..examples).collect(),
        });
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let (b1, b2, rho, eps, lr, wd, every) = (
            self.beta1,
            self.beta2,
            self.rho,
            self.eps,
            self.lr,
            self.weight_decay,
            self.every,
        );
        let s = self
            .state
            .as_mut()
            .ok_or_else(|| Error::Usage("sophia: step before init".into()))?;
        crate::error::check_len("sophia state", s.m.len(), it.x.len())?;
        s.t += 1;
        let refresh = (s.t - 1).is_multiple_of(every);
        if refresh {
            match self.curvature {
                SophiaCurvature::Hutchinson => s.probe.estimate(obj, &it.x, &mut s.hat)?,
                SophiaCurvature::GaussNewtonBartlett => {
                    let b = self.batch.min(s.order.len());
                    let batch = draw_batch(&mut s.rng, &mut s.order, b);
                    let seed = s.rng.random::<u64>();
                    gnb_estimate(gnb_source(obj)?.0, &it.x, batch, seed, &mut s.hat)?;
                }
            }
            for (h, hat) in s.h.iter_mut().zip(&s.hat) {
                *h = b2 * *h + (1.0 - b2) * hat;
            }
        }
        let (mut sq, mut clipped) = (0.0, 0usize);
        for i in 0..it.x.len() {
            s.m[i] = b1 * s.m[i] + (1.0 - b1) * it.g[i];
            let ratio = s.m[i] / (rho * s.h[i]).max(eps);
            if ratio.abs() >= 1.0 {
                clipped += 1;
            }
            let dx = -lr * wd * it.x[i] - lr * ratio.clamp(-1.0, 1.0);
            it.x[i] += dx;
            sq += dx * dx;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        let frac = clipped as f64 / it.x.len().max(1) as f64;
        Ok(StepInfo::new(sq.sqrt())
            .with("lr", lr)
            .with("clipped_fraction", frac))
    }

    fn settings(&self) -> Vec<(&'static str, Value)> {
        let last = match self.curvature {
            SophiaCurvature::Hutchinson => ("estimator", Value::Str(self.estimator.name().into())),
            SophiaCurvature::GaussNewtonBartlett => ("batch", Value::Num(self.batch as f64)),
        };
        vec![
            ("lr", Value::Num(self.lr)),
            ("beta1", Value::Num(self.beta1)),
            ("beta2", Value::Num(self.beta2)),
            ("rho", Value::Num(self.rho)),
            ("eps", Value::Num(self.eps)),
            ("k", Value::Num(self.every as f64)),
            ("weight_decay", Value::Num(self.weight_decay)),
            last,
        ]
    }
}

/// The sampled-label source and the number of examples `N`, or the error that refuses Sophia-G.
fn gnb_source(obj: &dyn Objective) -> Result<(&dyn SampledLabels, usize)> {
    let refuse = || {
        Error::Unsupported(
            "sophia-g needs labels sampled from the model's predictive distribution: the classifier (loss = ce) or logistic".into(),
        )
    };
    let s = obj.sampled_labels().ok_or_else(refuse)?;
    let n = obj.as_finite_sum().ok_or_else(refuse)?.num_examples();
    if n == 0 {
        return Err(Error::invalid("examples", 0, "sophia-g needs examples"));
    }
    Ok((s, n))
}

/// The first `b` entries of `order` after a partial Fisher-Yates shuffle: `b` distinct examples.
fn draw_batch<'a>(rng: &mut ChaCha8Rng, order: &'a mut [usize], b: usize) -> &'a [usize] {
    for i in 0..b {
        let j = rng.random_range(i..order.len());
        order.swap(i, j);
    }
    &order[..b]
}

/// Sophia-G's Gauss-Newton-Bartlett estimate (Liu et al., ICLR 2024, Algorithm 2):
/// `ĥ = B · ĝ ⊙ ĝ`, `ĝ` the mean-loss gradient over `batch` with labels sampled from the model
/// at `x` (`seed`). `E[ĥ]` is the diagonal of the batch's Gauss-Newton matrix.
///
/// ```
/// use curvlab::methods::sophia::gnb_estimate;
/// use curvlab::problems::data::Dataset;
/// use curvlab::problems::logistic::LogisticRegression;
/// // A batch of one example x = 2 at w = b = 0: σ = ½, the residual is ±½ whichever label is
/// // drawn, ĝ = ±½ (2, 1) and ĥ = 1 · (1, ¼).
/// let d = Dataset::new(faer::mat![[2.0], [-1.0]], vec![1.0, 0.0], None).unwrap();
/// let f = LogisticRegression::new(d).unwrap();
/// let mut h = [0.0; 2];
/// gnb_estimate(&f, &[0.0, 0.0], &[0], 3, &mut h).unwrap();
/// assert_eq!(h, [1.0, 0.25]);
/// ```
pub fn gnb_estimate(
    source: &dyn SampledLabels,
    x: &[f64],
    batch: &[usize],
    seed: u64,
    out: &mut [f64],
) -> Result<()> {
    source.sampled_gradient(x, batch, seed, out)?;
    let b = batch.len() as f64;
    out.iter_mut().for_each(|g| *g = b * *g * *g);
    Ok(())
}
