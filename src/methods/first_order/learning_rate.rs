//! Scale by the learning rate, with schedules: the last transformation of every chain,
//! `u ← −η_t u` for step `t = 0, 1, 2, …`.
//!
//! Schedules (the forms of PyTorch's `lr_scheduler`, stepped once per iteration):
//! - constant: `η_t = η`;
//! - step (PyTorch `StepLR`): `η_t = η γ^⌊t / step_size⌋`;
//! - exponential (`ExponentialLR`): `η_t = η γ^t`;
//! - cosine (`CosineAnnealingLR`; Loshchilov & Hutter 2017, SGDR without restarts):
//!   `η_t = η_min + ½(η − η_min)(1 + cos(π min(t, T)/T))`;
//! - linear warm-up (Goyal et al. 2017) multiplies any of them by `min(1, (t + 1)/W)`.

use super::{GradientTransformation, check_nonnegative, check_positive};
use crate::error::{Error, Result};

/// A learning-rate schedule (multiplies the base rate `η`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// `η_t = η`.
    Constant,
    /// `η_t = η γ^⌊t / step_size⌋`.
    Step {
        /// Iterations between decays (≥ 1).
        step_size: usize,
        /// Decay factor `γ ∈ (0, 1]`.
        gamma: f64,
    },
    /// `η_t = η γ^t`.
    Exponential {
        /// Decay factor `γ ∈ (0, 1]`.
        gamma: f64,
    },
    /// `η_t = η_min + ½(η − η_min)(1 + cos(π min(t, T)/T))`.
    Cosine {
        /// `T`, the iterations to reach `η_min` (≥ 1).
        total: usize,
        /// `η_min ≥ 0`.
        lr_min: f64,
    },
}

impl Schedule {
    /// PyTorch `StepLR`'s `γ = 0.1`, every 100 iterations.
    pub const STEP: Schedule = Schedule::Step {
        step_size: 100,
        gamma: 0.1,
    };
    /// `γ = 0.99` per iteration.
    pub const EXPONENTIAL: Schedule = Schedule::Exponential { gamma: 0.99 };
    /// To `η_min = 0` over 1000 iterations.
    pub const COSINE: Schedule = Schedule::Cosine {
        total: 1000,
        lr_min: 0.0,
    };

    /// The schedule's name: `constant`, `step`, `exponential` or `cosine`.
    ///
    /// ```
    /// assert_eq!(curvlab::methods::first_order::Schedule::COSINE.name(), "cosine");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Step { .. } => "step",
            Schedule::Exponential { .. } => "exponential",
            Schedule::Cosine { .. } => "cosine",
        }
    }

    /// Checks the schedule's parameters.
    ///
    /// ```
    /// use curvlab::methods::first_order::Schedule;
    /// assert!(Schedule::Exponential { gamma: 0.99 }.validate().is_ok());
    /// assert!(Schedule::Step { step_size: 0, gamma: 0.1 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let gamma_ok = |g: f64| {
            if g > 0.0 && g <= 1.0 {
                Ok(())
            } else {
                Err(Error::invalid("decay", g, "must be in (0, 1]"))
            }
        };
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { step_size, gamma } => {
                if step_size == 0 {
                    return Err(Error::invalid("step_size", 0, "must be >= 1"));
                }
                gamma_ok(gamma)
            }
            Schedule::Exponential { gamma } => gamma_ok(gamma),
            Schedule::Cosine { total, lr_min } => {
                if total == 0 {
                    return Err(Error::invalid("total", 0, "must be >= 1"));
                }
                check_nonnegative("lr_min", lr_min).map(|_| ())
            }
        }
    }

    /// The rate at step `t` for base rate `lr`.
    ///
    /// ```
    /// use curvlab::methods::first_order::Schedule;
    /// let s = Schedule::Cosine { total: 10, lr_min: 0.0 };
    /// assert!((s.rate(1.0, 5) - 0.5).abs() < 1e-15 && s.rate(1.0, 20) == 0.0);
    /// ```
    pub fn rate(&self, lr: f64, t: usize) -> f64 {
        match *self {
            Schedule::Constant => lr,
            Schedule::Step { step_size, gamma } => lr * gamma.powi(pow_exp(t / step_size.max(1))),
            Schedule::Exponential { gamma } => lr * gamma.powi(pow_exp(t)),
            Schedule::Cosine { total, lr_min } => {
                let frac = t.min(total) as f64 / total.max(1) as f64;
                lr_min + 0.5 * (lr - lr_min) * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        }
    }
}

fn pow_exp(k: usize) -> i32 {
    i32::try_from(k).unwrap_or(i32::MAX)
}

/// `u ← −η_t u`.
///
/// ```
/// use curvlab::methods::first_order::{ScaleByLearningRate, Schedule};
/// let lr = ScaleByLearningRate::new(0.1).unwrap()
///     .with_schedule(Schedule::Step { step_size: 2, gamma: 0.5 }).unwrap()
///     .with_warmup(2).unwrap();
/// let rates: Vec<f64> = (0..5).map(|t| lr.rate_at(t)).collect();
/// assert_eq!(rates, vec![0.05, 0.1, 0.05, 0.05, 0.025]);
/// assert!(ScaleByLearningRate::new(0.0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleByLearningRate {
    lr: f64,
    schedule: Schedule,
    warmup: usize,
    t: usize,
    last: f64,
}

impl ScaleByLearningRate {
    /// A constant rate `η > 0`.
    pub fn new(lr: f64) -> Result<Self> {
        check_positive("lr", lr)?;
        Ok(ScaleByLearningRate {
            lr,
            schedule: Schedule::Constant,
            warmup: 0,
            t: 0,
            last: lr,
        })
    }

    /// A constant rate known to be valid (a positive constant in a `Default` impl).
    pub(crate) fn from_valid(lr: f64) -> Self {
        debug_assert!(lr > 0.0 && lr.is_finite());
        ScaleByLearningRate {
            lr,
            schedule: Schedule::Constant,
            warmup: 0,
            t: 0,
            last: lr,
        }
    }

    /// Sets the schedule. A cosine schedule anneals from `lr` down to `lr_min`, so
    /// `lr_min > lr` is an error naming both.
    ///
    /// ```
    /// use curvlab::methods::first_order::{ScaleByLearningRate, Schedule};
    /// let lr = ScaleByLearningRate::new(0.01).unwrap();
    /// let e = lr.with_schedule(Schedule::Cosine { total: 10, lr_min: 0.1 }).unwrap_err();
    /// assert!(e.to_string().contains("lr_min") && e.to_string().contains("lr = 0.01"));
    /// ```
    pub fn with_schedule(mut self, schedule: Schedule) -> Result<Self> {
        schedule.validate()?;
        if let Schedule::Cosine { lr_min, .. } = schedule
            && lr_min > self.lr
        {
            return Err(Error::invalid(
                "lr_min",
                lr_min,
                &format!(
                    "must be <= lr = {} (the cosine schedule anneals from lr down to lr_min)",
                    self.lr
                ),
            ));
        }
        self.schedule = schedule;
        Ok(self)
    }

    /// Sets a linear warm-up over `w` iterations (0: none).
    pub fn with_warmup(mut self, w: usize) -> Result<Self> {
        self.warmup = w;
        Ok(self)
    }

    /// The schedule.
    ///
    /// ```
    /// use curvlab::methods::first_order::{ScaleByLearningRate, Schedule};
    /// let lr = ScaleByLearningRate::new(0.3).unwrap().with_warmup(4).unwrap();
    /// assert_eq!((lr.schedule(), lr.warmup()), (Schedule::Constant, 4));
    /// ```
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The warm-up length.
    pub fn warmup(&self) -> usize {
        self.warmup
    }

    /// The base rate `η`.
    ///
    /// ```
    /// let lr = curvlab::methods::first_order::ScaleByLearningRate::new(0.3).unwrap();
    /// assert_eq!(lr.base(), 0.3);
    /// ```
    pub fn base(&self) -> f64 {
        self.lr
    }

    /// `η_t`: the schedule times the warm-up factor.
    pub fn rate_at(&self, t: usize) -> f64 {
        let w = if self.warmup > 0 && t < self.warmup {
            (t + 1) as f64 / self.warmup as f64
        } else {
            1.0
        };
        self.schedule.rate(self.lr, t) * w
    }

    /// The rate the next update will use.
    ///
    /// ```
    /// let lr = curvlab::methods::first_order::ScaleByLearningRate::new(0.3).unwrap();
    /// assert_eq!(lr.current_rate(), 0.3);
    /// ```
    pub fn current_rate(&self) -> f64 {
        self.rate_at(self.t)
    }

    /// Records that a step with [`Self::current_rate`] was taken (used by fused steps).
    pub(crate) fn advance(&mut self) {
        self.last = self.current_rate();
        self.t += 1;
    }
}

impl GradientTransformation for ScaleByLearningRate {
    fn name(&self) -> &'static str {
        "scale_by_learning_rate"
    }
    fn init(&mut self, _n: usize) {
        self.t = 0;
        self.last = self.rate_at(0);
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        let s = -self.current_rate();
        for ui in u.iter_mut() {
            *ui *= s;
        }
        self.advance();
        Ok(())
    }
    fn extras(&self, out: &mut Vec<(&'static str, f64)>) {
        out.push(("lr", self.last));
    }
}
