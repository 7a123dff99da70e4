//! Gradient clipping by global norm (Pascanu, Mikolov & Bengio 2013; optax
//! `clip_by_global_norm`): `u ← u · min(1, c/‖u‖₂)`.

use super::{GradientTransformation, check_positive};
use crate::error::Result;
use crate::linalg::vector::{norm, scale};

/// `u ← u · min(1, c/‖u‖₂)`.
///
/// ```
/// use curvlab::methods::first_order::{ClipByGlobalNorm, GradientTransformation};
/// let mut c = ClipByGlobalNorm::new(1.0).unwrap();
/// c.init(2);
/// let mut u = [3.0, 4.0];
/// c.update(&mut u, &[0.0, 0.0]).unwrap();
/// assert!((u[0] - 0.6).abs() < 1e-15 && (u[1] - 0.8).abs() < 1e-15);
/// assert!(ClipByGlobalNorm::new(0.0).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ClipByGlobalNorm {
    max_norm: f64,
}

impl ClipByGlobalNorm {
    /// Clips to `‖u‖ ≤ max_norm` (`> 0`).
    pub fn new(max_norm: f64) -> Result<Self> {
        check_positive("clip_norm", max_norm)?;
        Ok(ClipByGlobalNorm { max_norm })
    }

    /// The largest norm let through.
    ///
    /// ```
    /// let c = curvlab::methods::first_order::ClipByGlobalNorm::new(2.0).unwrap();
    /// assert_eq!(c.max_norm(), 2.0);
    /// ```
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }
}

impl GradientTransformation for ClipByGlobalNorm {
    fn name(&self) -> &'static str {
        "clip_by_global_norm"
    }
    fn init(&mut self, _n: usize) {}
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        let nu = norm(u);
        if nu > self.max_norm {
            scale(self.max_norm / nu, u);
        }
        Ok(())
    }
}
