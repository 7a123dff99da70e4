//! Nesterov momentum in PyTorch's form (`SGD(nesterov=True)`):
//!
//! `v ← ρ_t v + u`, `u ← u + ρ_t v` (then the learning rate: `x ← x − η (g + ρ v)`).
//!
//! Sutskever, Martens, Dahl & Hinton (2013) write Nesterov's accelerated gradient (Nesterov
//! 1983) as `v ← ρ v − η ∇f(x + ρ v)`, `x ← x + v`: the gradient at the look-ahead point.
//! With constant `η` and `ρ`, PyTorch's form is the same iteration written in the look-ahead
//! variable `y = x + ρ v` (Bengio, Boulanger-Lewandowski & Pascanu 2013): the point stored
//! here is Sutskever's look-ahead point, and the two produce the same sequence of gradients.
//! For a quadratic with spectrum in `[μ, L]`, `η = 1/L` and `ρ = (√κ − 1)/(√κ + 1)` is the
//! classical constant-momentum choice (`lr = "optimal"`).

use super::{Momentum, MomentumSchedule};

/// Nesterov momentum, PyTorch form: `v ← ρ_t v + u`, `u ← u + ρ_t v`.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, MomentumSchedule, Nesterov};
/// let mut m = Nesterov::new(MomentumSchedule::constant(0.5).unwrap());
/// m.init(1);
/// let mut u = [2.0];
/// m.update(&mut u, &[0.0]).unwrap();
/// assert_eq!(u[0], 2.0 + 0.5 * 2.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Nesterov;

impl Nesterov {
    /// Nesterov momentum with the given coefficient schedule: the heavy-ball velocity of
    /// [`Momentum`] read out at the look-ahead point.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(schedule: MomentumSchedule) -> Momentum {
        Momentum::nesterov(schedule)
    }
}
