//! Heavy-ball momentum (Polyak 1964, "Some methods of speeding up the convergence of iteration
//! methods"), in the "trace" form of PyTorch's SGD and optax:
//!
//! `v ← ρ_t v + u`, `u ← v` (then the learning rate: `x ← x − η v`),
//!
//! which is Polyak's `x_{k+1} = x_k − η ∇f(x_k) + ρ (x_k − x_{k−1})` for constant `η`, `ρ`.
//! The seed article's setting anneals the coefficient: `ρ_t = 0.5` for `t < anneal_after`,
//! then `0.9` ([`MomentumSchedule`]). On a quadratic with spectrum in `[μ, L]` Polyak's optimal
//! `η = 4/(√L + √μ)²`, `ρ = ((√κ − 1)/(√κ + 1))²` give the rate `(√κ − 1)/(√κ + 1)`.

use super::{GradientTransformation, check_state, check_unit};
use crate::error::Result;

/// A momentum coefficient that is `start` for the first `anneal_after` steps, then `end`.
///
/// ```
/// use curvlab::methods::first_order::MomentumSchedule;
/// let s = MomentumSchedule::annealed(0.5, 0.9, 2).unwrap();
/// assert_eq!((s.at(0), s.at(1), s.at(2)), (0.5, 0.5, 0.9));
/// assert!(MomentumSchedule::constant(1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MomentumSchedule {
    start: f64,
    end: f64,
    anneal_after: usize,
}

impl Default for MomentumSchedule {
    /// A constant 0.9 (PyTorch's usual choice; `torch.optim.SGD` itself defaults to 0).
    fn default() -> Self {
        MomentumSchedule {
            start: 0.9,
            end: 0.9,
            anneal_after: 0,
        }
    }
}

impl MomentumSchedule {
    /// A constant coefficient `ρ ∈ [0, 1)`.
    pub fn constant(rho: f64) -> Result<Self> {
        check_unit("momentum", rho)?;
        Ok(MomentumSchedule {
            start: rho,
            end: rho,
            anneal_after: 0,
        })
    }

    /// `start` for `t < anneal_after`, then `end` (both in `[0, 1)`).
    pub fn annealed(start: f64, end: f64, anneal_after: usize) -> Result<Self> {
        check_unit("momentum_start", start)?;
        check_unit("momentum", end)?;
        Ok(MomentumSchedule {
            start,
            end,
            anneal_after,
        })
    }

    /// The seed article's schedule: 0.5 for the first 5 steps, then `rho`.
    ///
    /// ```
    /// use curvlab::methods::first_order::MomentumSchedule;
    /// let s = MomentumSchedule::seed(0.9).unwrap();
    /// assert_eq!((s.start(), s.end(), s.anneal_after()), (0.5, 0.9, 5));
    /// ```
    pub fn seed(rho: f64) -> Result<Self> {
        Self::annealed(0.5, rho, 5)
    }

    /// The coefficient of the first `anneal_after` steps.
    pub fn start(&self) -> f64 {
        self.start
    }

    /// The coefficient after annealing.
    pub fn end(&self) -> f64 {
        self.end
    }

    /// The number of steps at `start`.
    pub fn anneal_after(&self) -> usize {
        self.anneal_after
    }

    /// `ρ_t`.
    pub fn at(&self, t: usize) -> f64 {
        if t < self.anneal_after {
            self.start
        } else {
            self.end
        }
    }
}

/// Heavy-ball momentum `v ← ρ_t v + u`, `u ← v` (optax's `trace`), or Nesterov's read-out.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, MomentumSchedule, Trace};
/// let mut m = Trace::new(MomentumSchedule::constant(0.9).unwrap());
/// m.init(1);
/// let (mut u1, mut u2) = ([1.0], [1.0]);
/// m.update(&mut u1, &[0.0]).unwrap();
/// m.update(&mut u2, &[0.0]).unwrap();
/// assert_eq!((u1[0], u2[0]), (1.0, 1.9));
/// ```
#[derive(Debug, Clone)]
pub struct Trace {
    schedule: MomentumSchedule,
    /// Nesterov's look-ahead form (`u ← u + ρ_t v`, see [`Trace::nesterov`]) instead of `u ← v`.
    nesterov: bool,
    v: Vec<f64>,
    t: usize,
    last: f64,
}

impl Trace {
    /// Heavy ball with the given coefficient schedule.
    pub fn new(schedule: MomentumSchedule) -> Self {
        Trace {
            schedule,
            nesterov: false,
            v: Vec::new(),
            t: 0,
            last: schedule.at(0),
        }
    }
}

impl Trace {
    /// Nesterov momentum in PyTorch's form, `v ← ρ_t v + u`, `u ← u + ρ_t v` (as optax's
    /// `trace(decay, nesterov=True)`: one transform, two read-outs of the same velocity).
    ///
    /// ```
    /// use curvlab::methods::first_order::{GradientTransformation, MomentumSchedule, Trace};
    /// let mut m = Trace::nesterov(MomentumSchedule::constant(0.5).unwrap());
    /// m.init(1);
    /// let mut u = [2.0];
    /// m.update(&mut u, &[0.0]).unwrap();
    /// assert_eq!(u[0], 2.0 + 0.5 * 2.0);
    /// ```
    pub fn nesterov(schedule: MomentumSchedule) -> Self {
        Trace {
            nesterov: true,
            ..Trace::new(schedule)
        }
    }

    /// The coefficient schedule.
    pub fn schedule(&self) -> MomentumSchedule {
        self.schedule
    }
}

impl GradientTransformation for Trace {
    fn name(&self) -> &'static str {
        if self.nesterov { "nesterov" } else { "trace" }
    }
    fn init(&mut self, n: usize) {
        self.v.clear();
        self.v.resize(n, 0.0);
        self.t = 0;
        self.last = self.schedule.at(0);
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        check_state(self.name(), self.v.len(), u.len())?;
        let rho = self.schedule.at(self.t);
        for (vi, ui) in self.v.iter_mut().zip(u.iter_mut()) {
            *vi = rho * *vi + *ui;
            if self.nesterov {
                *ui += rho * *vi;
            } else {
                *ui = *vi;
            }
        }
        self.last = rho;
        self.t += 1;
        Ok(())
    }
    fn extras(&self, out: &mut Vec<(&'static str, f64)>) {
        out.push(("momentum", self.last));
    }
}
