//! Adam (Kingma & Ba 2015, "Adam: a method for stochastic optimization", Algorithm 1) with the
//! AMSGrad option (Reddi, Kale & Kumar 2018, "On the convergence of Adam and beyond"):
//!
//! `t ← t + 1`, `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`,
//! `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`; AMSGrad: `v_max ← max(v_max, v)`, `v̂ = v_max/(1 − β₂ᵗ)`;
//! `u ← m̂ / (√v̂ + ε)` (or `m̂ / √(v̂ + ε)` with `eps_inside`).
//!
//! AMSGrad with bias correction (the default) is PyTorch's `Adam(amsgrad=True)`: the maximum of
//! the raw second moments, then both moments divided by `1 − βᵗ`. It is not Reddi et al.'s
//! algorithm: their Algorithm 2 has no bias correction, `v̂_t = max(v̂_{t−1}, v_t)` and
//! `x ← x − α m_t/√v̂_t`, which is this transformation with `with_bias_correction(false)` (and
//! an `ε` outside the root, which their analysis omits). optax's `scale_by_amsgrad` is a third
//! form (maximum of the bias-corrected `v̂`). [`crate::methods::first_order::Amsgrad`] names the
//! two forms ([`AmsgradVariant`]).
//!
//! Defaults follow PyTorch (`β = (0.9, 0.999)`, `ε = 1e-8` outside the root, bias correction).
//! The seed article's form (`preset = "seed"`) is `β₂ = 0.99`, `ε = 1e-10` inside the root and
//! no bias correction: `u = m/√(v + ε)`. (With `β = (0.9, 0.99)` the uncorrected first step
//! has the same size as the corrected one, `(1 − β₁)/√(1 − β₂) = 1`.)
//!
//! [`ScaleByAdam`] fuses its update with the step `x ← x − η u` ([`GradientTransformation::
//! fused_step`]): one pass reading `x, m, v, g` and writing `x, m, v` (seven streams of `f64`),
//! bitwise equal to the unfused chain.

use super::{GradientTransformation, check_positive, check_state, check_unit};
use crate::error::Result;

/// Adam's moment estimates and update `u ← m̂/(√v̂ + ε)`.
///
/// ```
/// use curvlab::methods::first_order::{GradientTransformation, ScaleByAdam};
/// let mut a = ScaleByAdam::new();
/// a.init(1);
/// let mut u = [0.5];
/// a.update(&mut u, &[0.0]).unwrap();
/// // First step: m̂ = g, v̂ = g², so u = g/(|g| + ε).
/// assert!((u[0] - 0.5 / (0.5 + 1e-8)).abs() < 1e-15);
/// assert!(ScaleByAdam::new().with_betas(0.9, 1.0).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ScaleByAdam {
    beta1: f64,
    beta2: f64,
    eps: f64,
    eps_inside: bool,
    amsgrad: bool,
    bias_correction: bool,
    t: u64,
    m: Vec<f64>,
    v: Vec<f64>,
    vmax: Vec<f64>,
}

impl Default for ScaleByAdam {
    fn default() -> Self {
        ScaleByAdam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eps_inside: false,
            amsgrad: false,
            bias_correction: true,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
            vmax: Vec::new(),
        }
    }
}

/// Which AMSGrad: PyTorch's bias-corrected form or Reddi, Kale & Kumar's (2018) original.
///
/// ```
/// use curvlab::methods::first_order::AmsgradVariant;
/// assert_eq!(AmsgradVariant::default(), AmsgradVariant::PyTorch);
/// assert_eq!(AmsgradVariant::parse("reddi").unwrap().name(), "reddi");
/// assert!(AmsgradVariant::parse("optax").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmsgradVariant {
    /// `v_max ← max(v_max, v)`, `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v_max/(1 − β₂ᵗ)` (PyTorch).
    #[default]
    PyTorch,
    /// `v̂ ← max(v̂, v)`, `u = m/(√v̂ + ε)`, no bias correction (Reddi et al. 2018, Alg. 2).
    Reddi,
}

impl AmsgradVariant {
    /// Parses `pytorch` or `reddi`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pytorch" => Ok(AmsgradVariant::PyTorch),
            "reddi" => Ok(AmsgradVariant::Reddi),
            _ => Err(crate::error::Error::invalid(
                "variant",
                s,
                "expected pytorch or reddi",
            )),
        }
    }

    /// The name `parse` reads.
    pub fn name(&self) -> &'static str {
        match self {
            AmsgradVariant::PyTorch => "pytorch",
            AmsgradVariant::Reddi => "reddi",
        }
    }
}

/// The constants of one fused pass.
#[derive(Clone, Copy)]
struct Coef {
    b1: f64,
    b2: f64,
    c1: f64,
    c2: f64,
    eps: f64,
}

impl ScaleByAdam {
    /// PyTorch's defaults: `β = (0.9, 0.999)`, `ε = 1e-8` outside the root, bias correction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The seed article's form: `β₂ = 0.99`, `ε = 1e-10` inside the root, no bias correction.
    ///
    /// ```
    /// let a = curvlab::methods::first_order::ScaleByAdam::seed();
    /// assert_eq!((a.betas(), a.eps(), a.eps_inside(), a.bias_correction()), ((0.9, 0.99), 1e-10, true, false));
    /// ```
    pub fn seed() -> Self {
        ScaleByAdam {
            beta2: 0.99,
            eps: 1e-10,
            eps_inside: true,
            bias_correction: false,
            ..Self::default()
        }
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

    /// Whether AMSGrad's maximum is taken.
    pub fn amsgrad(&self) -> bool {
        self.amsgrad
    }

    /// Whether the moments are bias-corrected.
    pub fn bias_correction(&self) -> bool {
        self.bias_correction
    }

    /// Sets `β₁, β₂ ∈ [0, 1)`.
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.beta1 = check_unit("beta1", beta1)?;
        self.beta2 = check_unit("beta2", beta2)?;
        Ok(self)
    }

    /// Sets `ε > 0`.
    ///
    /// ```
    /// assert!(curvlab::methods::first_order::ScaleByAdam::new().with_eps(-1e-8).is_err());
    /// ```
    pub fn with_eps(mut self, eps: f64) -> Result<Self> {
        self.eps = check_positive("eps", eps)?;
        Ok(self)
    }

    /// `ε` inside the square root (the seed's `√(v + ε)`).
    pub fn with_eps_inside(mut self, inside: bool) -> Self {
        self.eps_inside = inside;
        self
    }

    /// The AMSGrad maximum of the second moments (with bias correction on, PyTorch's form; off,
    /// Reddi et al. 2018's).
    pub fn with_amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// Bias correction of both moments (on by default; the seed's form has none).
    pub fn with_bias_correction(mut self, on: bool) -> Self {
        self.bias_correction = on;
        self
    }

    fn next_coef(&mut self) -> Coef {
        self.t += 1;
        let (c1, c2) = if self.bias_correction {
            let t = i32::try_from(self.t).unwrap_or(i32::MAX);
            (
                1.0 / (1.0 - self.beta1.powi(t)),
                1.0 / (1.0 - self.beta2.powi(t)),
            )
        } else {
            (1.0, 1.0)
        };
        Coef {
            b1: self.beta1,
            b2: self.beta2,
            c1,
            c2,
            eps: self.eps,
        }
    }

    fn check(&self, len: usize) -> Result<()> {
        check_state("adam", self.m.len(), len)?;
        if self.amsgrad {
            check_state("amsgrad", self.vmax.len(), len)?;
        }
        Ok(())
    }
}

/// One element of Adam: updates `m`, `v` (and `v_max`), returns `m̂/(√v̂ + ε)`.
#[inline(always)]
fn element<const INSIDE: bool, const AMS: bool>(
    k: &Coef,
    g: f64,
    m: &mut f64,
    v: &mut f64,
    vmax: &mut f64,
) -> f64 {
    let mi = k.b1 * *m + (1.0 - k.b1) * g;
    let vi = k.b2 * *v + (1.0 - k.b2) * (g * g);
    *m = mi;
    *v = vi;
    let vh = if AMS {
        let w = vmax.max(vi);
        *vmax = w;
        w
    } else {
        vi
    };
    let den = if INSIDE {
        (vh * k.c2 + k.eps).sqrt()
    } else {
        (vh * k.c2).sqrt() + k.eps
    };
    (mi * k.c1) / den
}

/// `u ← Adam(u)` in place.
fn update_pass<const INSIDE: bool, const AMS: bool>(
    k: &Coef,
    u: &mut [f64],
    m: &mut [f64],
    v: &mut [f64],
    vmax: &mut [f64],
) {
    if AMS {
        for (((ui, mi), vi), wi) in u.iter_mut().zip(m).zip(v).zip(vmax) {
            *ui = element::<INSIDE, true>(k, *ui, mi, vi, wi);
        }
    } else {
        let mut dummy = 0.0;
        for ((ui, mi), vi) in u.iter_mut().zip(m).zip(v) {
            *ui = element::<INSIDE, false>(k, *ui, mi, vi, &mut dummy);
        }
    }
}

/// `x ← x + s·Adam(g)` in one pass; returns `‖s·Adam(g)‖²` (four partial sums). Chunks of
/// four with independent accumulators so that the compiler vectorizes the loop.
fn fused_pass<const INSIDE: bool>(
    k: &Coef,
    s: f64,
    g: &[f64],
    x: &mut [f64],
    m: &mut [f64],
    v: &mut [f64],
) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut dummy = [0.0f64; 4];
    let mut xs = x.chunks_exact_mut(4);
    let mut ms = m.chunks_exact_mut(4);
    let mut vs = v.chunks_exact_mut(4);
    let mut gs = g.chunks_exact(4);
    for (((xc, mc), vc), gc) in (&mut xs).zip(&mut ms).zip(&mut vs).zip(&mut gs) {
        for l in 0..4 {
            let dx = s * element::<INSIDE, false>(k, gc[l], &mut mc[l], &mut vc[l], &mut dummy[l]);
            xc[l] += dx;
            acc[l] += dx * dx;
        }
    }
    let tail = xs
        .into_remainder()
        .iter_mut()
        .zip(ms.into_remainder())
        .zip(vs.into_remainder())
        .zip(gs.remainder());
    for (((xi, mi), vi), gi) in tail {
        let dx = s * element::<INSIDE, false>(k, *gi, mi, vi, &mut dummy[0]);
        *xi += dx;
        acc[0] += dx * dx;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// The AMSGrad variant of [`fused_pass`] (an eighth stream, `v_max`).
fn fused_pass_ams<const INSIDE: bool>(
    k: &Coef,
    s: f64,
    g: &[f64],
    x: &mut [f64],
    m: &mut [f64],
    v: &mut [f64],
    vmax: &mut [f64],
) -> f64 {
    let mut acc = 0.0;
    let it = x.iter_mut().zip(m).zip(v).zip(vmax).zip(g);
    for ((((xi, mi), vi), wi), gi) in it {
        let dx = s * element::<INSIDE, true>(k, *gi, mi, vi, wi);
        *xi += dx;
        acc += dx * dx;
    }
    acc
}

impl GradientTransformation for ScaleByAdam {
    fn name(&self) -> &'static str {
        "scale_by_adam"
    }
    fn init(&mut self, n: usize) {
        self.t = 0;
        self.m.clear();
        self.m.resize(n, 0.0);
        self.v.clear();
        self.v.resize(n, 0.0);
        self.vmax.clear();
        if self.amsgrad {
            self.vmax.resize(n, 0.0);
        }
    }
    fn update(&mut self, u: &mut [f64], _params: &[f64]) -> Result<()> {
        self.check(u.len())?;
        let k = self.next_coef();
        let (m, v, w) = (&mut self.m, &mut self.v, &mut self.vmax);
        match (self.eps_inside, self.amsgrad) {
            (false, false) => update_pass::<false, false>(&k, u, m, v, w),
            (false, true) => update_pass::<false, true>(&k, u, m, v, w),
            (true, false) => update_pass::<true, false>(&k, u, m, v, w),
            (true, true) => update_pass::<true, true>(&k, u, m, v, w),
        }
        Ok(())
    }
    fn fused_step(&mut self, g: &[f64], x: &mut [f64], s: f64) -> Result<Option<f64>> {
        self.check(x.len())?;
        check_state("adam gradient", x.len(), g.len())?;
        let k = self.next_coef();
        let (m, v, w) = (&mut self.m, &mut self.v, &mut self.vmax);
        let sq = match (self.eps_inside, self.amsgrad) {
            (false, false) => fused_pass::<false>(&k, s, g, x, m, v),
            (false, true) => fused_pass_ams::<false>(&k, s, g, x, m, v, w),
            (true, false) => fused_pass::<true>(&k, s, g, x, m, v),
            (true, true) => fused_pass_ams::<true>(&k, s, g, x, m, v, w),
        };
        Ok(Some(sq))
    }

    /// `P = (1 − β₁ᵗ) diag(√v̂ + ε)` with `v̂ = v/(1 − β₂ᵗ)` (AMSGrad: `v_max`), or
    /// `(1 − β₁ᵗ) √(v̂ + ε)` with `ε` inside: Adam's step `x ← x − η m̂/(√v̂ + ε)` written as
    /// `x ← x − η P⁻¹ m` with the un-corrected momentum `m`, the form of Cohen et al. (2022,
    /// "Adaptive gradient methods at the edge of stability", §2), whose stability threshold
    /// is `λ_max(P⁻¹H) < (2 + 2β₁)/((1 − β₁)η)`. Without bias correction the factors are 1.
    ///
    /// ```
    /// use curvlab::methods::first_order::{GradientTransformation, ScaleByAdam};
    /// let mut a = ScaleByAdam::new();
    /// a.init(1);
    /// assert!(a.diagonal_preconditioner().is_none()); // no step yet
    /// a.update(&mut [2.0], &[0.0]).unwrap();
    /// // t = 1: v̂ = g² = 4, so P = (1 − 0.9)(2 + 1e-8).
    /// let p = a.diagonal_preconditioner().unwrap();
    /// assert!((p[0] - 0.1 * (2.0 + 1e-8)).abs() < 1e-15);
    /// ```
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        if self.t == 0 {
            return None;
        }
        let t = i32::try_from(self.t).unwrap_or(i32::MAX);
        let (c1, c2) = if self.bias_correction {
            (1.0 - self.beta1.powi(t), 1.0 / (1.0 - self.beta2.powi(t)))
        } else {
            (1.0, 1.0)
        };
        let v = if self.amsgrad { &self.vmax } else { &self.v };
        let eps = self.eps;
        Some(
            v.iter()
                .map(|&vi| {
                    let den = if self.eps_inside {
                        (vi * c2 + eps).sqrt()
                    } else {
                        (vi * c2).sqrt() + eps
                    };
                    c1 * den
                })
                .collect(),
        )
    }
}
