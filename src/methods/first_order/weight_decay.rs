//! Weight decay as a transformation: `u ← u + λ x` (optax `add_decayed_weights`).
//!
//! Placed before a preconditioner it is the L2 penalty `½λ‖x‖²` added to the loss (PyTorch's
//! `weight_decay` for SGD, Adam, RMSProp, AdaGrad); placed after it, just before the learning
//! rate, it is decoupled weight decay, `x ← x − η(Adam(g) + λ x)` (Loshchilov & Hutter 2019,
//! AdamW; PyTorch's `AdamW` applies the same `x ← (1 − ηλ) x` before its Adam step).

use super::{GradientTransformation, check_nonnegative, check_state};
use crate::error::Result;
use crate::linalg::vector::axpy;

/// `u ← u + λ x`.
///
/// ```
/// use curvlab::methods::first_order::{AddDecayedWeights, GradientTransformation};
/// let mut w = AddDecayedWeights::new(0.1).unwrap();
/// w.init(1);
/// let mut u = [1.0];
/// w.update(&mut u, &[2.0]).unwrap();
/// assert!((u[0] - 1.2).abs() < 1e-15);
/// assert!(AddDecayedWeights::new(-1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AddDecayedWeights {
    lambda: f64,
}

impl AddDecayedWeights {
    /// Weight decay `λ ≥ 0`.
    pub fn new(lambda: f64) -> Result<Self> {
        check_nonnegative("weight_decay", lambda)?;
        Ok(AddDecayedWeights { lambda })
    }

    /// `λ`.
    ///
    /// ```
    /// let w = curvlab::methods::first_order::AddDecayedWeights::new(0.1).unwrap();
    /// assert_eq!(w.lambda(), 0.1);
    /// ```
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
}

impl GradientTransformation for AddDecayedWeights {
    fn name(&self) -> &'static str {
        "add_decayed_weights"
    }
    fn init(&mut self, _n: usize) {}
    fn update(&mut self, u: &mut [f64], params: &[f64]) -> Result<()> {
        check_state("weight decay", params.len(), u.len())?;
        axpy(self.lambda, params, u);
        Ok(())
    }
}
