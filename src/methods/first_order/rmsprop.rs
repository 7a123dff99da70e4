//! RMSProp (Hinton 2012, Coursera "Neural Networks for Machine Learning", lecture 6e), the
//! centered variant (Graves 2013, "Generating sequences with recurrent neural networks", eq.
//! 38–41) and PyTorch's momentum option:
//!
//! `s ← α s + (1 − α) g²`;
//! - plain: `r = g / (√s + ε)` (or `g / √(s + ε)` with `eps_inside`, the seed article's form);
//! - centered: `ḡ ← α ḡ + (1 − α) g`, `r = g / √(max(s − ḡ², 0) + ε)`, always with `ε` inside
//!   the root, as optax's `scale_by_stddev`. The variance estimate `s − ḡ²` is a difference of
//!   two nearly equal numbers when the gradient is nearly constant: in floating point it is
//!   0 or negative (PyTorch's `√(s − ḡ²) + ε` then divides by `ε` or returns NaN, a step of
//!   `|g|/ε ≈ 10⁷·η` for `g = 0.3`). Clamped at 0 with `ε` inside, `|r| ≤ |g|/√ε`.
//!
//! With momentum `μ > 0`: `b ← μ b + r`, `u ← b`; else `u ← r`.
//!
//! Defaults follow PyTorch (`α = 0.99`, `ε = 1e-8` outside the root, `lr = 1e-2`); the seed
//! preset is `α = 0.9`, `ε = 1e-10` inside the root.

use super::{GradientTransformation, check_positive, check_state, check_unit};
use crate::error::Result;

/// RMSProp: `s ← αs + (1−α)g²`, `u ← g/(√s + ε)` (centered and momentum options).
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, ScaleByRms};
/// let mut r = ScaleByRms::new().with_alpha(0.9).unwrap();
/// r.init(1);
/// let mut u = [2.0];
/// r.update(&mut u, &[0.0]).unwrap();
/// let s: f64 = 0.1 * 4.0;
/// assert!((u[0] - 2.0 / (s.sqrt() + 1e-8)).abs() < 1e-14);
/// assert!(ScaleByRms::new().with_alpha(1.0).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ScaleByRms {
    alpha: f64,
    eps: f64,
    eps_inside: bool,
    centered: bool,
    momentum: f64,
    s: Vec<f64>,
    gbar: Vec<f64>,
    b: Vec<f64>,
}

impl Default for ScaleByRms {
    fn default() -> Self {
        ScaleByRms {
            alpha: 0.99,
            eps: 1e-8,
            eps_inside: false,
            centered: false,
            momentum: 0.0,
            s: Vec::new(),
            gbar: Vec::new(),
            b: Vec::new(),
        }
    }
}

impl ScaleByRms {
    /// PyTorch's defaults: `α = 0.99`, `ε = 1e-8` outside the root, not centered, no momentum.
    pub fn new() -> Self {
        Self::default()
    }

    /// The seed article's form: `α = 0.9`, `ε = 1e-10` inside the root.
    ///
    /// ```
    /// let r = curvlab::methods::first_order::ScaleByRms::seed();
    /// assert_eq!((r.alpha(), r.eps(), r.eps_inside()), (0.9, 1e-10, true));
    /// ```
    pub fn seed() -> Self {
        ScaleByRms {
            alpha: 0.9,
            eps: 1e-10,
            eps_inside: true,
            ..Self::default()
        }
    }

    /// `α`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// `ε`.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Whether `ε` is inside the root (always, in effect, when centered).
    pub fn eps_inside(&self) -> bool {
        self.eps_inside
    }

    /// Whether the centered variant is used.
    pub fn centered(&self) -> bool {
        self.centered
    }

    /// The momentum `μ`.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    /// Sets the decay rate `α ∈ [0, 1)` (the seed's `ρ`).
    pub fn with_alpha(mut self, alpha: f64) -> Result<Self> {
        self.alpha = check_unit("alpha", alpha)?;
        Ok(self)
    }

    /// Sets `ε > 0`.
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// `ε` inside the square root.
    pub fn with_eps_inside(mut self, inside: bool) -> Self {
        self.eps_inside = inside;
        self
    }

    /// The centered variant (Graves 2013): divides by `√(max(s − ḡ², 0) + ε)`, an estimate of
    /// the standard deviation, with `ε` inside the root whatever [`Self::with_eps_inside`] says.
    pub fn with_centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    /// Momentum on the rescaled gradient, `μ ∈ [0, 1)` (0: none).
    ///
    /// ```
    /// use curvlab::methods::first_order::ScaleByRms;
    /// assert!(ScaleByRms::new().with_momentum(-0.1).is_err());
    /// ```
    pub fn with_momentum(mut self, mu: f64) -> Result<Self> {
        self.momentum = check_unit("momentum", mu)?;
        Ok(self)
    }
}

impl GradientTransformation for ScaleByRms {
    fn name(&self) -> &'static str {
        "scale_by_rms"
    }
    fn init(&mut self, n: usize) {
        self.s.clear();
        self.s.resize(n, 0.0);
        self.gbar.clear();
        if self.centered {
            self.gbar.resize(n, 0.0);
        }
        self.b.clear();
        if self.momentum > 0.0 {
            self.b.resize(n, 0.0);
        }
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        check_state("rmsprop", self.s.len(), u.len())?;
        if self.centered {
            check_state("centered rmsprop", self.gbar.len(), u.len())?;
        }
        let (a, eps, inside) = (self.alpha, self.eps, self.eps_inside);
        for (i, ui) in u.iter_mut().enumerate() {
            let g = *ui;
            let s = a * self.s[i] + (1.0 - a) * g * g;
            self.s[i] = s;
            let den = if self.centered {
                let gb = a * self.gbar[i] + (1.0 - a) * g;
                self.gbar[i] = gb;
                ((s - gb * gb).max(0.0) + eps).sqrt()
            } else if inside {
                (s + eps).sqrt()
            } else {
                s.sqrt() + eps
            };
            let r = g / den;
            *ui = if self.momentum > 0.0 {
                let b = self.momentum * self.b[i] + r;
                self.b[i] = b;
                b
            } else {
                r
            };
        }
        Ok(())
    }

    /// `P = diag(√s + ε)` (or `√(s + ε)` with `ε` inside; centered: `√(max(s − ḡ², 0) + ε)`),
    /// the RMSProp preconditioner of Cohen et al. (2022, §2); `None` before the first update.
    ///
    /// ```
    /// use curvlab::methods::first_order::{GradientTransformation, ScaleByRms};
    /// let mut r = ScaleByRms::new().with_alpha(0.9).unwrap();
    /// r.init(1);
    /// assert!(r.diagonal_preconditioner().is_none());
    /// r.update(&mut [2.0], &[0.0]).unwrap();
    /// let p = r.diagonal_preconditioner().unwrap(); // s = 0.1 · 4
    /// assert!((p[0] - (0.4f64.sqrt() + 1e-8)).abs() < 1e-15);
    /// ```
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        if self.s.iter().all(|&v| v == 0.0) {
            return None;
        }
        let eps = self.eps;
        Some(
            self.s
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    if self.centered {
                        let gb = self.gbar.get(i).copied().unwrap_or(0.0);
                        ((s - gb * gb).max(0.0) + eps).sqrt()
                    } else if self.eps_inside {
                        (s + eps).sqrt()
                    } else {
                        s.sqrt() + eps
                    }
                })
                .collect(),
        )
    }
}
