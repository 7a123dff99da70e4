//! AdaHessian (Yao, Gholami, Shen, Mustafa, Keutzer & Mahoney, "ADAHESSIAN: An adaptive second
//! order optimizer for machine learning", AAAI 2021, Algorithm 1): Adam whose second moment is
//! the exponential average of the squared Hutchinson diagonal of the Hessian instead of the
//! squared gradient.
//!
//! Each step draws one Rademacher probe `z` and forms `D = |z ⊙ ∇²f z|` (one Hessian-vector
//! product; the authors' code takes the absolute value), averages `D` over consecutive blocks of
//! `block` coordinates (the paper's spatial averaging, eq. 9; `block = 1` turns it off), then
//!
//! ```text
//! m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)D²
//! x ← x − η ( (m/(1 − β₁ᵗ)) / ((√v / √(1 − β₂ᵗ))ᵏ + ε) + λx )
//! ```
//!
//! with `k` the Hessian power (eq. 10) and `λ` the decoupled weight decay of the authors' code.
//! Defaults are the authors' (`lr = 0.15`, `β = (0.9, 0.999)`, `ε = 1e-4`, `k = 1`, `λ = 0`).
//! Full-batch: the gradient and the product are of the objective as given.

use super::{Iterate, Method, Needs, StepInfo};
use crate::curvature::diagonal_probe::{DiagonalEstimator, DiagonalProbe};
use crate::error::{Error, Result};
use crate::methods::first_order::{check_nonnegative, check_positive, check_unit};
use crate::objective::Objective;
use crate::params::Value;

/// AdaHessian.
///
/// ```
/// use curvlab::methods::AdaHessian;
/// use curvlab::problems::Ravine;
/// use curvlab::{Stop, minimize};
/// let f = Ravine::new(100.0, 1.0, 0.0).unwrap();
/// let mut m = AdaHessian::new(0.15).unwrap();
/// let r = minimize(&f, &mut m, &[1.0, 8.0], &Stop::new(1e-6, 2000)).unwrap();
/// assert!(r.grad_norm <= 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct AdaHessian {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    hessian_power: f64,
    block: usize,
    weight_decay: f64,
    estimator: DiagonalEstimator,
    seed: u64,
    state: Option<State>,
}

#[derive(Debug, Clone)]
struct State {
    m: Vec<f64>,
    v: Vec<f64>,
    d: Vec<f64>,
    t: i32,
    probe: DiagonalProbe,
}

impl Default for AdaHessian {
    /// The authors' defaults: `lr = 0.15`, `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-4`, power 1, no
    /// spatial averaging, no weight decay, Rademacher probes, seed 0.
    fn default() -> Self {
        AdaHessian {
            lr: 0.15,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-4,
            hessian_power: 1.0,
            block: 1,
            weight_decay: 0.0,
            estimator: DiagonalEstimator::Rademacher,
            seed: 0,
            state: None,
        }
    }
}

impl AdaHessian {
    /// AdaHessian with learning rate `lr > 0` and the other defaults.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(AdaHessian {
            lr: check_positive("lr", lr)?,
            ..Self::default()
        })
    }

    /// `β₁, β₂ ∈ [0, 1)`.
    ///
    /// ```
    /// assert!(curvlab::methods::AdaHessian::default().with_betas(0.9, 1.0).is_err());
    /// ```
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.beta1 = check_unit("beta1", beta1)?;
        self.beta2 = check_unit("beta2", beta2)?;
        Ok(self)
    }

    /// `ε > 0`, added to the denominator.
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// The Hessian power `k ∈ (0, 1]` (eq. 10: `k = 1` is the full diagonal Newton scaling).
    ///
    /// ```
    /// assert!(curvlab::methods::AdaHessian::default().with_hessian_power(1.5).is_err());
    /// ```
    pub fn with_hessian_power(mut self, k: f64) -> Result<Self> {
        if !(k > 0.0 && k <= 1.0) {
            return Err(Error::invalid("hessian_power", k, "must be in (0, 1]"));
        }
        self.hessian_power = k;
        Ok(self)
    }

    /// Spatial-averaging block size `≥ 1` (consecutive coordinates share their mean `|D|`).
    pub fn with_block(mut self, block: usize) -> Result<Self> {
        if block == 0 {
            return Err(Error::invalid("block", 0, "must be >= 1"));
        }
        self.block = block;
        Ok(self)
    }

    /// Decoupled weight decay `λ ≥ 0`.
    pub fn with_weight_decay(mut self, wd: f64) -> Result<Self> {
        self.weight_decay = check_nonnegative("weight_decay", wd)?;
        Ok(self)
    }

    /// The diagonal estimator (Rademacher as in the paper; `Exact` for a noiseless reference).
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

/// `d` replaced by its means over consecutive blocks of `block` entries (the last shorter).
pub(crate) fn block_average(d: &mut [f64], block: usize) {
    if block <= 1 {
        return;
    }
    for chunk in d.chunks_mut(block) {
        let mean = chunk.iter().sum::<f64>() / chunk.len() as f64;
        chunk.iter_mut().for_each(|v| *v = mean);
    }
}

impl Method for AdaHessian {
    fn name(&self) -> &str {
        "adahessian"
    }

    fn needs(&self) -> Needs {
        Needs::Hvp
    }

    fn init(&mut self, _obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let n = it.x.len();
        self.state = Some(State {
            m: vec![0.0; n],
            v: vec![0.0; n],
            d: vec![0.0; n],
            t: 0,
            probe: DiagonalProbe::new(self.estimator, self.seed),
        });
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let (b1, b2, eps, k, lr, wd) = (
            self.beta1,
            self.beta2,
            self.eps,
            self.hessian_power,
            self.lr,
            self.weight_decay,
        );
        let block = self.block;
        let s = self
            .state
            .as_mut()
            .ok_or_else(|| Error::Usage("adahessian: step before init".into()))?;
        crate::error::check_len("adahessian state", s.m.len(), it.x.len())?;
        s.probe.estimate(obj, &it.x, &mut s.d)?;
        s.d.iter_mut().for_each(|v| *v = v.abs());
        block_average(&mut s.d, block);
        s.t = s.t.saturating_add(1);
        let bc1 = 1.0 - b1.powi(s.t);
        let bc2 = (1.0 - b2.powi(s.t)).sqrt();
        let mut sq = 0.0;
        for i in 0..it.x.len() {
            s.m[i] = b1 * s.m[i] + (1.0 - b1) * it.g[i];
            s.v[i] = b2 * s.v[i] + (1.0 - b2) * s.d[i] * s.d[i];
            let denom = (s.v[i].sqrt() / bc2).powf(k) + eps;
            let dx = -lr * (s.m[i] / bc1 / denom + wd * it.x[i]);
            it.x[i] += dx;
            sq += dx * dx;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(sq.sqrt()).with("lr", lr))
    }

    fn settings(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("lr", Value::Num(self.lr)),
            ("beta1", Value::Num(self.beta1)),
            ("beta2", Value::Num(self.beta2)),
            ("eps", Value::Num(self.eps)),
            ("hessian_power", Value::Num(self.hessian_power)),
            ("block", Value::Num(self.block as f64)),
            ("weight_decay", Value::Num(self.weight_decay)),
            ("estimator", Value::Str(self.estimator.name().into())),
        ]
    }
}
