//! NAdam (Dozat 2016, "Incorporating Nesterov momentum into Adam", Algorithm 2), in PyTorch's
//! form with the momentum schedule `μ_t = β₁(1 − ½·0.96^{tψ})` (`ψ = momentum_decay`,
//! default 4e-3):
//!
//! `t ← t + 1`, `Π_t = Π_{t−1} μ_t`, `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`,
//! `v̂ = v/(1 − β₂ᵗ)`,
//! `u ← [(1 − μ_t)/(1 − Π_t) g + μ_{t+1}/(1 − Π_t μ_{t+1}) m] / (√v̂ + ε)`.
//!
//! Defaults follow PyTorch: `lr = 2e-3`, `β = (0.9, 0.999)`, `ε = 1e-8` outside the root.

use super::{GradientTransformation, check_nonnegative, check_positive, check_state, check_unit};
use crate::error::Result;

/// NAdam's update.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, ScaleByNadam};
/// let mut a = ScaleByNadam::new();
/// a.init(1);
/// let mut u = [1.0];
/// a.update(&mut u, &[0.0]).unwrap();
/// // t = 1: Π₁ = μ₁, m = 0.1 g, v̂ = g², so u = (1 + μ₂/(1 − μ₁μ₂)·0.1)·g/(|g| + ε).
/// let mu = |t: f64| 0.9 * (1.0 - 0.5 * 0.96f64.powf(0.004 * t));
/// let expect = (1.0 + mu(2.0) / (1.0 - mu(1.0) * mu(2.0)) * 0.1) / (1.0 + 1e-8);
/// assert!((u[0] - expect).abs() < 1e-15);
/// assert!(ScaleByNadam::new().with_momentum_decay(-1.0).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ScaleByNadam {
    beta1: f64,
    beta2: f64,
    eps: f64,
    eps_inside: bool,
    psi: f64,
    t: u64,
    mu_product: f64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Default for ScaleByNadam {
    fn default() -> Self {
        ScaleByNadam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eps_inside: false,
            psi: 4e-3,
            t: 0,
            mu_product: 1.0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }
}

impl ScaleByNadam {
    /// PyTorch's defaults.
    ///
    /// ```
    /// let a = curvlab::methods::first_order::ScaleByNadam::new();
    /// assert_eq!((a.betas(), a.eps(), a.momentum_decay()), ((0.9, 0.999), 1e-8, 4e-3));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// `(β₁, β₂)`.
    pub fn betas(&self) -> (f64, f64) {
        (self.beta1, self.beta2)
    }

    /// `ε`.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Whether `ε` is inside the root.
    pub fn eps_inside(&self) -> bool {
        self.eps_inside
    }

    /// `ψ`.
    pub fn momentum_decay(&self) -> f64 {
        self.psi
    }

    /// Sets `β₁, β₂ ∈ [0, 1)`.
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.beta1 = check_unit("beta1", beta1)?;
        self.beta2 = check_unit("beta2", beta2)?;
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

    /// Sets the momentum decay `ψ ≥ 0`.
    pub fn with_momentum_decay(mut self, psi: f64) -> Result<Self> {
        self.psi = check_nonnegative("momentum_decay", psi)?;
        Ok(self)
    }

    /// `μ_t = β₁(1 − ½·0.96^{tψ})`.
    ///
    /// ```
    /// let a = curvlab::methods::first_order::ScaleByNadam::new();
    /// assert!((a.mu(1) - 0.9 * (1.0 - 0.5 * 0.96f64.powf(4e-3))).abs() < 1e-16);
    /// ```
    pub fn mu(&self, t: u64) -> f64 {
        self.beta1 * (1.0 - 0.5 * 0.96f64.powf(t as f64 * self.psi))
    }
}

impl GradientTransformation for ScaleByNadam {
    fn name(&self) -> &'static str {
        "scale_by_nadam"
    }
    fn init(&mut self, n: usize) {
        self.t = 0;
        self.mu_product = 1.0;
        self.m.clear();
        self.m.resize(n, 0.0);
        self.v.clear();
        self.v.resize(n, 0.0);
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        check_state("nadam", self.m.len(), u.len())?;
        self.t += 1;
        let t = self.t;
        let mu = self.mu(t);
        let mu_next = self.mu(t + 1);
        self.mu_product *= mu;
        let cg = (1.0 - mu) / (1.0 - self.mu_product);
        let cm = mu_next / (1.0 - self.mu_product * mu_next);
        let c2 = 1.0 / (1.0 - self.beta2.powi(i32::try_from(t).unwrap_or(i32::MAX)));
        let (b1, b2, eps, inside) = (self.beta1, self.beta2, self.eps, self.eps_inside);
        for ((ui, mi), vi) in u.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            let g = *ui;
            *mi = b1 * *mi + (1.0 - b1) * g;
            *vi = b2 * *vi + (1.0 - b2) * g * g;
            let vh = *vi * c2;
            let den = if inside {
                (vh + eps).sqrt()
            } else {
                vh.sqrt() + eps
            };
            *ui = (cg * g + cm * *mi) / den;
        }
        Ok(())
    }
}
