//! Sophia (Liu, Li, Hall, Liang & Ma, "Sophia: A Scalable Stochastic Second-order Optimizer for
//! Language Model Pre-training", ICLR 2024, Algorithm 3): momentum preconditioned by an
//! exponential average of a diagonal-Hessian estimate refreshed every `k` steps, with the
//! update clipped per coordinate.
//!
//! ```text
//! x ← x − ηλx                                           (decoupled weight decay)
//! m ← β₁m + (1 − β₁)g
//! every k steps (t ≡ 1 mod k):  h ← β₂h + (1 − β₂)ĥ     (ĥ: the diagonal estimate)
//! x ← x − η · clip(m / max(ρh, ε), 1)                   (clip(z, 1) = max(−1, min(z, 1)))
//! ```
//!
//! Sophia-H takes `ĥ = u ⊙ ∇²f u` with Gaussian `u` (one Hessian-vector product per refresh,
//! Algorithm 1). Sophia-G's Gauss–Newton–Bartlett estimator (Algorithm 2) needs labels sampled
//! from the model's own predictions and is not offered here. `max(ρh, ε)` keeps negative and
//! tiny curvature from flipping or blowing up the step: there the update is `η·sign(m)`.
//! Defaults are those of the authors' reference implementation (`lr = 1e-4`,
//! `β = (0.965, 0.99)`, `ρ = 0.04`, `λ = 0.1`, `k = 10`) with the paper's `ε = 1e-12`.
//! Like AdamW's weight decay, `λ > 0` changes the fixed point (`∇f(x) + λx/… ≠ 0`): set
//! `weight_decay = 0` to minimize `f` itself.

use super::{Iterate, Method, Needs, StepInfo};
use crate::curvature::diagonal_probe::{DiagonalEstimator, DiagonalProbe};
use crate::error::{Error, Result};
use crate::methods::first_order::{check_nonnegative, check_positive, check_unit};
use crate::objective::Objective;
use crate::params::Value;

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
        "sophia"
    }

    fn needs(&self) -> Needs {
        Needs::Hvp
    }

    fn init(&mut self, _obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let n = it.x.len();
        self.state = Some(State {
            m: vec![0.0; n],
            h: vec![0.0; n],
            hat: vec![0.0; n],
            t: 0,
            probe: DiagonalProbe::new(self.estimator, self.seed),
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
            s.probe.estimate(obj, &it.x, &mut s.hat)?;
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
        vec![
            ("lr", Value::Num(self.lr)),
            ("beta1", Value::Num(self.beta1)),
            ("beta2", Value::Num(self.beta2)),
            ("rho", Value::Num(self.rho)),
            ("eps", Value::Num(self.eps)),
            ("k", Value::Num(self.every as f64)),
            ("weight_decay", Value::Num(self.weight_decay)),
            ("estimator", Value::Str(self.estimator.name().into())),
        ]
    }
}
