//! Adam (Kingma & Ba 2015), AMSGrad (Reddi, Kale & Kumar 2018) and AdamW (Loshchilov & Hutter
//! 2019) as typed methods, each in two attributed forms where the literature has two.
//!
//! - [`Amsgrad`]: PyTorch's `Adam(amsgrad=True)` (the default; maximum of the raw second
//!   moments, then bias correction of both moments) or Reddi et al.'s Algorithm 2
//!   ([`AmsgradVariant::Reddi`]: `v̂ ← max(v̂, v)`, `x ← x − α m/(√v̂ + ε)`, no bias correction).
//! - [`AdamW`]: PyTorch's and optax's `adamw` (the default), `x ← x − η_t (Adam(g) + λ x)`,
//!   where `η_t` is the scheduled learning rate, so the decay per step is `η_t λ` and scales
//!   with the learning rate; or Loshchilov & Hutter's Algorithm 2
//!   ([`AdamWVariant::Loshchilov`]), `x ← x − η_t (α Adam(g) + λ x)`, where `α` is the learning
//!   rate and `η_t` only the schedule multiplier (1 for a constant schedule): the decay per
//!   step is `η_t λ`, independent of `α`. (Implemented as `u ← Adam(g) + (λ/α) x` before the
//!   scaling by `α η_t`.) The same `λ` means a decay `α` times stronger in their form.

use super::{Chain, Common, alias_common, alias_l2};
use crate::error::{Error, Result};
use crate::methods::first_order::{AddDecayedWeights, AmsgradVariant, FirstOrder, ScaleByAdam};
use crate::params::Value;

/// The keys of an Adam transformation.
fn adam_settings(t: &ScaleByAdam, out: &mut Vec<(&'static str, Value)>) {
    out.push(("beta1", Value::Num(t.betas().0)));
    out.push(("beta2", Value::Num(t.betas().1)));
    out.push(("eps", Value::Num(t.eps())));
    out.push(("eps_inside", Value::Bool(t.eps_inside())));
    out.push(("bias_correction", Value::Bool(t.bias_correction())));
}

/// Adam, `x ← x − η_t m̂/(√v̂ + ε)` with bias correction (Kingma & Ba 2015, Algorithm 1).
///
/// ```
/// use curvlab::methods::first_order::Adam;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut adam = Adam::new(0.1).unwrap();
/// let r = minimize(&Ravine::seed(), &mut adam, &[1.0, 8.0], &Stop::new(1e-3, 2000)).unwrap();
/// assert!(r.converged());
/// assert_eq!(Adam::default().learning_rate().base(), 1e-3);
/// ```
#[derive(Debug)]
pub struct Adam {
    common: Common,
    transform: ScaleByAdam,
    run: Option<FirstOrder>,
}

impl Default for Adam {
    /// PyTorch's `lr = 1e-3` and [`ScaleByAdam::default`].
    fn default() -> Self {
        Adam {
            common: Common::with_default_rate(1e-3),
            transform: ScaleByAdam::default(),
            run: None,
        }
    }
}

impl Adam {
    /// Learning rate `η > 0`, PyTorch's defaults otherwise.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(Adam {
            common: Common::new(lr)?,
            ..Self::default()
        })
    }

    /// Sets `β₁, β₂ ∈ [0, 1)`.
    ///
    /// ```
    /// use curvlab::methods::first_order::Adam;
    /// assert!(Adam::new(0.1).unwrap().with_betas(0.9, 0.99).is_ok());
    /// assert!(Adam::new(0.1).unwrap().with_betas(1.0, 0.99).is_err());
    /// ```
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        self.transform = self.transform.with_betas(beta1, beta2)?;
        Ok(self)
    }

    /// Sets the transformation (`β`, `ε`, bias correction, AMSGrad's maximum).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{Adam, ScaleByAdam};
    /// let m = Adam::new(0.01)?.with_transform(ScaleByAdam::seed());
    /// assert!(!m.transform().bias_correction());
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByAdam) -> Self {
        self.transform = t;
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByAdam {
        &self.transform
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend(self.common.settings(true));
        adam_settings(&self.transform, out);
        out.push(("amsgrad", Value::Bool(self.transform.amsgrad())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(Adam, "adam", "Adam::new(1e-3)?");
alias_l2!(Adam, "Adam::new(1e-3)?");

/// AMSGrad: Adam with the running maximum of the second moments, in PyTorch's form (the
/// default) or Reddi et al.'s ([`AmsgradVariant`]).
///
/// ```
/// use curvlab::methods::first_order::{Amsgrad, AmsgradVariant};
/// let m = Amsgrad::new(0.01).unwrap();
/// assert_eq!(m.variant(), AmsgradVariant::PyTorch);
/// let m = m.with_variant(AmsgradVariant::Reddi);
/// assert!(!m.transform().bias_correction() && m.transform().amsgrad());
/// ```
#[derive(Debug)]
pub struct Amsgrad {
    common: Common,
    transform: ScaleByAdam,
    run: Option<FirstOrder>,
}

impl Default for Amsgrad {
    /// PyTorch's `lr = 1e-3`, [`ScaleByAdam::default`] with the maximum: PyTorch's form.
    fn default() -> Self {
        Amsgrad {
            common: Common::with_default_rate(1e-3),
            transform: ScaleByAdam::default().with_amsgrad(true),
            run: None,
        }
    }
}

impl Amsgrad {
    /// Learning rate `η > 0`, PyTorch's form and defaults otherwise.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(Amsgrad {
            common: Common::new(lr)?,
            ..Self::default()
        })
    }

    /// PyTorch's form (bias correction) or Reddi et al.'s (none).
    pub fn with_variant(mut self, v: AmsgradVariant) -> Self {
        let bias = v == AmsgradVariant::PyTorch;
        self.transform = self.transform.with_bias_correction(bias);
        self
    }

    /// The form: Reddi's exactly when the moments are not bias-corrected.
    pub fn variant(&self) -> AmsgradVariant {
        if self.transform.bias_correction() {
            AmsgradVariant::PyTorch
        } else {
            AmsgradVariant::Reddi
        }
    }

    /// Sets the transformation (its AMSGrad maximum is switched on).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{Amsgrad, ScaleByAdam};
    /// let m = Amsgrad::new(0.01)?.with_transform(ScaleByAdam::new().with_betas(0.9, 0.9)?);
    /// assert!(m.transform().amsgrad());
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByAdam) -> Self {
        self.transform = t.with_amsgrad(true);
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByAdam {
        &self.transform
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend(self.common.settings(true));
        adam_settings(&self.transform, out);
        out.push(("variant", Value::Str(self.variant().name().into())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(Amsgrad, "amsgrad", "Amsgrad::new(1e-3)?");
alias_l2!(Amsgrad, "Amsgrad::new(1e-3)?");

/// Which AdamW: PyTorch's and optax's (decay `η_t λ` with `η_t` the scheduled learning rate)
/// or Loshchilov & Hutter's (decay `η_t λ` with `η_t` the schedule multiplier alone).
///
/// ```
/// use curvlab::methods::first_order::AdamWVariant;
/// assert_eq!(AdamWVariant::default(), AdamWVariant::PyTorch);
/// assert_eq!(AdamWVariant::parse("loshchilov").unwrap(), AdamWVariant::Loshchilov);
/// assert!(AdamWVariant::parse("keras").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdamWVariant {
    /// `x ← x − η_t (Adam(g) + λ x)`, `η_t` the scheduled learning rate (PyTorch, optax).
    #[default]
    PyTorch,
    /// `x ← x − η_t (α Adam(g) + λ x)`, `α` the learning rate, `η_t` the schedule multiplier
    /// (Loshchilov & Hutter 2019, Algorithm 2).
    Loshchilov,
}

impl AdamWVariant {
    /// Parses `pytorch` or `loshchilov`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pytorch" => Ok(AdamWVariant::PyTorch),
            "loshchilov" => Ok(AdamWVariant::Loshchilov),
            _ => Err(Error::invalid(
                "variant",
                s,
                "expected pytorch or loshchilov",
            )),
        }
    }

    /// The name `parse` reads.
    pub fn name(&self) -> &'static str {
        match self {
            AdamWVariant::PyTorch => "pytorch",
            AdamWVariant::Loshchilov => "loshchilov",
        }
    }
}

/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), PyTorch's form by
/// default ([`AdamWVariant`]).
///
/// ```
/// use curvlab::methods::first_order::{AdamW, AdamWVariant};
/// let m = AdamW::new(1e-3, 1e-2).unwrap().with_variant(AdamWVariant::Loshchilov).unwrap();
/// assert_eq!((m.weight_decay(), m.variant()), (1e-2, AdamWVariant::Loshchilov));
/// assert!(AdamW::new(1e-3, -1.0).is_err());
/// ```
#[derive(Debug)]
pub struct AdamW {
    common: Common,
    transform: ScaleByAdam,
    weight_decay: f64,
    variant: AdamWVariant,
    run: Option<FirstOrder>,
}

impl Default for AdamW {
    /// PyTorch's `lr = 1e-3`, `weight_decay = 1e-2`, [`ScaleByAdam::default`], PyTorch's form.
    fn default() -> Self {
        AdamW {
            common: Common::with_default_rate(1e-3),
            transform: ScaleByAdam::default(),
            weight_decay: 1e-2,
            variant: AdamWVariant::PyTorch,
            run: None,
        }
    }
}

impl AdamW {
    /// Learning rate `η > 0` and decoupled weight decay `λ ≥ 0`.
    pub fn new(lr: f64, weight_decay: f64) -> Result<Self> {
        AdamW {
            common: Common::new(lr)?,
            ..Self::default()
        }
        .with_weight_decay(weight_decay)
    }

    /// Sets the decoupled weight decay `λ ≥ 0` (0: plain Adam).
    ///
    /// ```
    /// use curvlab::methods::first_order::AdamW;
    /// assert!(AdamW::default().with_weight_decay(f64::INFINITY).is_err());
    /// ```
    pub fn with_weight_decay(mut self, wd: f64) -> Result<Self> {
        self.weight_decay = super::super::check_nonnegative("weight_decay", wd)?;
        self.check_decay()?;
        Ok(self)
    }

    /// PyTorch's form or Loshchilov & Hutter's (an error if `λ/α` overflows).
    pub fn with_variant(mut self, v: AdamWVariant) -> Result<Self> {
        self.variant = v;
        self.check_decay()?;
        Ok(self)
    }

    /// Loshchilov & Hutter's form scales `x` by `λ/α`: it must be finite.
    fn check_decay(&self) -> Result<()> {
        if self.variant == AdamWVariant::Loshchilov {
            let r = self.weight_decay / self.common.lr.base();
            super::super::check_nonnegative("weight_decay / lr", r)?;
        }
        Ok(())
    }

    /// Sets the transformation (`β`, `ε`, bias correction, AMSGrad's maximum).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{AdamW, ScaleByAdam};
    /// let m = AdamW::new(1e-3, 0.0)?.with_transform(ScaleByAdam::new().with_eps(1e-6)?);
    /// assert_eq!(m.transform().eps(), 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByAdam) -> Self {
        self.transform = t;
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByAdam {
        &self.transform
    }

    /// `λ`.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    /// The form of the decay.
    pub fn variant(&self) -> AdamWVariant {
        self.variant
    }

    /// Clipping, Adam, then `u ← u + λ' x` with `λ' = λ` (PyTorch) or `λ/α` (Loshchilov).
    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        let lambda = match self.variant {
            AdamWVariant::PyTorch => self.weight_decay,
            AdamWVariant::Loshchilov => self.weight_decay / self.common.lr.base(),
        };
        // λ' is finite and ≥ 0: checked by `check_decay` whenever λ or the form changes.
        if let (true, Ok(w)) = (lambda > 0.0, AddDecayedWeights::new(lambda)) {
            chain.push(Box::new(w));
        }
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend(self.common.settings(false));
        adam_settings(&self.transform, out);
        out.push(("amsgrad", Value::Bool(self.transform.amsgrad())));
        out.push(("weight_decay", Value::Num(self.weight_decay)));
        out.push(("variant", Value::Str(self.variant.name().into())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(AdamW, "adamw", "AdamW::new(1e-3, 1e-2)?");
