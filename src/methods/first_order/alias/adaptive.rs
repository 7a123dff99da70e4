//! AdaGrad (Duchi, Hazan & Singer 2011), RMSProp (Hinton 2012; centered: Graves 2013) and
//! NAdam (Dozat 2016) as typed methods, with PyTorch's default learning rates
//! (`1e-2`, `1e-2`, `2e-3`); the other defaults are the transformations'.

use super::{Chain, Common, alias_common, alias_l2};
use crate::error::Result;
use crate::methods::first_order::{FirstOrder, ScaleByAdagrad, ScaleByNadam, ScaleByRms};
use crate::params::Value;

/// Diagonal AdaGrad `s ← s + g²`, `x ← x − η_t g/(√s + ε)`.
///
/// ```
/// use curvlab::methods::first_order::AdaGrad;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut m = AdaGrad::new(3.0).unwrap();
/// let r = minimize(&Ravine::seed(), &mut m, &[1.0, 8.0], &Stop::new(1e-6, 10_000)).unwrap();
/// assert!(r.converged());
/// assert_eq!(AdaGrad::default().learning_rate().base(), 1e-2);
/// ```
#[derive(Debug)]
pub struct AdaGrad {
    common: Common,
    transform: ScaleByAdagrad,
    run: Option<FirstOrder>,
}

impl Default for AdaGrad {
    /// PyTorch's `lr = 1e-2` and [`ScaleByAdagrad::default`].
    fn default() -> Self {
        AdaGrad {
            common: Common::with_default_rate(1e-2),
            transform: ScaleByAdagrad::default(),
            run: None,
        }
    }
}

impl AdaGrad {
    /// Learning rate `η > 0`, PyTorch's defaults otherwise.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(AdaGrad {
            common: Common::new(lr)?,
            ..Self::default()
        })
    }

    /// Sets the transformation (`ε`, its placement, the initial accumulator).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{AdaGrad, ScaleByAdagrad};
    /// let m = AdaGrad::new(0.1)?.with_transform(ScaleByAdagrad::new().with_eps(1e-6)?);
    /// assert_eq!(m.transform().eps(), 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByAdagrad) -> Self {
        self.transform = t;
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByAdagrad {
        &self.transform
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        let t = &self.transform;
        out.extend(self.common.settings(true));
        out.push(("eps", Value::Num(t.eps())));
        out.push(("eps_inside", Value::Bool(t.eps_inside())));
        out.push(("initial_accumulator", Value::Num(t.initial_accumulator())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(AdaGrad, "adagrad", "AdaGrad::new(0.1)?");
alias_l2!(AdaGrad, "AdaGrad::new(0.1)?");

/// RMSProp `s ← αs + (1 − α)g²`, `x ← x − η_t g/(√s + ε)` (centered and momentum options).
///
/// ```
/// use curvlab::methods::first_order::RmsProp;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut m = RmsProp::new(0.1).unwrap();
/// let r = minimize(&Ravine::seed(), &mut m, &[1.0, 8.0], &Stop::new(1e-4, 20_000)).unwrap();
/// assert!(r.converged());
/// assert!(RmsProp::new(0.1).unwrap().with_centered(true).transform().centered());
/// ```
#[derive(Debug)]
pub struct RmsProp {
    common: Common,
    transform: ScaleByRms,
    run: Option<FirstOrder>,
}

impl Default for RmsProp {
    /// PyTorch's `lr = 1e-2` and [`ScaleByRms::default`].
    fn default() -> Self {
        RmsProp {
            common: Common::with_default_rate(1e-2),
            transform: ScaleByRms::default(),
            run: None,
        }
    }
}

impl RmsProp {
    /// Learning rate `η > 0`, PyTorch's defaults otherwise.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(RmsProp {
            common: Common::new(lr)?,
            ..Self::default()
        })
    }

    /// The centered variant (Graves 2013), `ε` inside the root of the clamped variance.
    pub fn with_centered(mut self, centered: bool) -> Self {
        self.transform = self.transform.with_centered(centered);
        self
    }

    /// Sets the transformation (`α`, `ε`, centering, momentum).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{RmsProp, ScaleByRms};
    /// let m = RmsProp::new(0.01)?.with_transform(ScaleByRms::seed());
    /// assert_eq!(m.transform().alpha(), 0.9);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByRms) -> Self {
        self.transform = t;
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByRms {
        &self.transform
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        let t = &self.transform;
        out.extend(self.common.settings(true));
        out.push(("alpha", Value::Num(t.alpha())));
        out.push(("eps", Value::Num(t.eps())));
        out.push(("eps_inside", Value::Bool(t.eps_inside())));
        out.push(("centered", Value::Bool(t.centered())));
        out.push(("momentum", Value::Num(t.momentum())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(RmsProp, "rmsprop", "RmsProp::new(0.01)?");
alias_l2!(RmsProp, "RmsProp::new(0.01)?");

/// NAdam (Dozat 2016), PyTorch's form with the momentum schedule `μ_t = β₁(1 − ½·0.96^{tψ})`.
///
/// ```
/// use curvlab::methods::first_order::NAdam;
/// use curvlab::methods::Method;
/// let m = NAdam::default();
/// assert_eq!((m.name(), m.learning_rate().base()), ("nadam", 2e-3));
/// assert!(NAdam::new(-1.0).is_err());
/// ```
#[derive(Debug)]
pub struct NAdam {
    common: Common,
    transform: ScaleByNadam,
    run: Option<FirstOrder>,
}

impl Default for NAdam {
    /// PyTorch's `lr = 2e-3` and [`ScaleByNadam::default`].
    fn default() -> Self {
        NAdam {
            common: Common::with_default_rate(2e-3),
            transform: ScaleByNadam::default(),
            run: None,
        }
    }
}

impl NAdam {
    /// Learning rate `η > 0`, PyTorch's defaults otherwise.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(NAdam {
            common: Common::new(lr)?,
            ..Self::default()
        })
    }

    /// Sets the transformation (`β`, `ε`, `ψ`).
    ///
    /// ```
    /// # fn main() -> curvlab::Result<()> {
    /// use curvlab::methods::first_order::{NAdam, ScaleByNadam};
    /// let m = NAdam::new(0.01)?.with_transform(ScaleByNadam::new().with_betas(0.8, 0.99)?);
    /// assert_eq!(m.transform().betas(), (0.8, 0.99));
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_transform(mut self, t: ScaleByNadam) -> Self {
        self.transform = t;
        self
    }

    /// The transformation.
    pub fn transform(&self) -> &ScaleByNadam {
        &self.transform
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(self.transform.clone()));
        chain
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        let t = &self.transform;
        out.extend(self.common.settings(true));
        out.push(("beta1", Value::Num(t.betas().0)));
        out.push(("beta2", Value::Num(t.betas().1)));
        out.push(("eps", Value::Num(t.eps())));
        out.push(("eps_inside", Value::Bool(t.eps_inside())));
        out.push(("momentum_decay", Value::Num(t.momentum_decay())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        m
    }
}

alias_common!(NAdam, "nadam", "NAdam::new(2e-3)?");
alias_l2!(NAdam, "NAdam::new(2e-3)?");
