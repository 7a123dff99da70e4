//! AdaGrad (Duchi, Hazan & Singer 2011, "Adaptive subgradient methods", diagonal version):
//!
//! `s ← s + g²`, `u ← g / (√s + ε)` (elementwise; then `x ← x − η u`),
//!
//! with PyTorch's defaults `η = 1e-2`, `ε = 1e-10` outside the square root, `s₀ = 0`
//! (`initial_accumulator`). With `eps_inside`, `u ← g / √(s + ε)`.

use super::{GradientTransformation, check_nonnegative, check_positive, check_state};
use crate::error::Result;

/// Diagonal AdaGrad: `s ← s + g²`, `u ← g/(√s + ε)`.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, ScaleByAdagrad};
/// let mut a = ScaleByAdagrad::new();
/// a.init(1);
/// let mut u = [3.0];
/// a.update(&mut u, &[0.0]).unwrap();
/// assert!((u[0] - 3.0 / (3.0 + 1e-10)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct ScaleByAdagrad {
    eps: f64,
    eps_inside: bool,
    initial: f64,
    s: Vec<f64>,
}

impl Default for ScaleByAdagrad {
    fn default() -> Self {
        ScaleByAdagrad {
            eps: 1e-10,
            eps_inside: false,
            initial: 0.0,
            s: Vec::new(),
        }
    }
}

impl ScaleByAdagrad {
    /// PyTorch's defaults (`ε = 1e-10` outside the root, `s₀ = 0`).
    ///
    /// ```
    /// let a = curvlab::methods::first_order::ScaleByAdagrad::new();
    /// assert_eq!((a.eps(), a.eps_inside(), a.initial_accumulator()), (1e-10, false, 0.0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// `ε`.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Whether `ε` is inside the root.
    pub fn eps_inside(&self) -> bool {
        self.eps_inside
    }

    /// `s₀`.
    pub fn initial_accumulator(&self) -> f64 {
        self.initial
    }

    /// Sets `ε > 0`.
    ///
    /// ```
    /// assert!(curvlab::methods::first_order::ScaleByAdagrad::new().with_eps(0.0).is_err());
    /// ```
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// `ε` inside the square root (`√(s + ε)`) instead of outside.
    pub fn with_eps_inside(mut self, inside: bool) -> Self {
        self.eps_inside = inside;
        self
    }

    /// Sets the initial accumulator `s₀ ≥ 0`.
    pub fn with_initial_accumulator(mut self, s0: f64) -> Result<Self> {
        self.initial = check_nonnegative("initial_accumulator", s0)?;
        Ok(self)
    }
}

impl GradientTransformation for ScaleByAdagrad {
    fn name(&self) -> &'static str {
        "scale_by_adagrad"
    }
    fn init(&mut self, n: usize) {
        self.s.clear();
        self.s.resize(n, self.initial);
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        check_state("adagrad", self.s.len(), u.len())?;
        let (eps, inside) = (self.eps, self.eps_inside);
        for (si, ui) in self.s.iter_mut().zip(u.iter_mut()) {
            *si += *ui * *ui;
            let den = if inside {
                (*si + eps).sqrt()
            } else {
                si.sqrt() + eps
            };
            *ui /= den;
        }
        Ok(())
    }

    /// `P = diag(√s + ε)` (or `√(s + ε)` with `ε` inside), AdaGrad's preconditioner (Duchi et
    /// al. 2011; Cohen et al. 2022, §2); `None` while the accumulator is zero.
    ///
    /// ```
    /// use curvlab::methods::first_order::{GradientTransformation, ScaleByAdagrad};
    /// let mut a = ScaleByAdagrad::new();
    /// a.init(1);
    /// assert!(a.diagonal_preconditioner().is_none());
    /// a.update(&mut [3.0], &[0.0]).unwrap();
    /// assert_eq!(a.diagonal_preconditioner().unwrap(), vec![3.0 + 1e-10]);
    /// ```
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        if self.s.iter().all(|&v| v == 0.0) {
            return None;
        }
        let (eps, inside) = (self.eps, self.eps_inside);
        Some(
            self.s
                .iter()
                .map(|&s| {
                    if inside {
                        (s + eps).sqrt()
                    } else {
                        s.sqrt() + eps
                    }
                })
                .collect(),
        )
    }
}
