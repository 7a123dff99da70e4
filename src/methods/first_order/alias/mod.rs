//! Typed constructors of the first-order methods for library users, in the manner of optax's
//! aliases (`optax.adam(learning_rate)`, `optax.sgd(learning_rate, momentum)`; Babuschkin et
//! al. 2020): [`GradientDescent::new(lr)`](GradientDescent::new), [`Momentum::new(lr, ρ)`](Momentum::new),
//! [`Nesterov::new(lr, ρ)`](Nesterov::new), [`AdaGrad::new(lr)`](AdaGrad::new),
//! [`RmsProp::new(lr)`](RmsProp::new), [`Adam::new(lr)`](Adam::new),
//! [`Amsgrad::new(lr)`](Amsgrad::new), [`AdamW::new(lr, λ)`](AdamW::new),
//! [`NAdam::new(lr)`](NAdam::new).
//!
//! Each is a validated configuration (every `new` and `with_*` that can receive a bad value
//! returns a `Result`) and a [`Method`](crate::methods::Method) itself: its chain of [`GradientTransformation`]s is
//! built when a run starts. [`GradientDescent::build`] (and the same on every alias) gives the
//! [`FirstOrder`] directly, for minibatch loops through [`FirstOrder::apply`].
//!
//! The defaults of every method live here, in the aliases' constructors and `Default` impls,
//! and in the transformations' `Default` (PyTorch's values); the registry reads them from
//! there. Every alias shares the learning-rate options (schedule, warm-up) and gradient
//! clipping; all but [`AdamW`] take a coupled L2 penalty (`with_weight_decay`, applied before
//! the preconditioner as PyTorch's `weight_decay`).

mod adam;
mod adaptive;
mod sgd;

pub use adam::{Adam, AdamW, AdamWVariant, Amsgrad};
pub use adaptive::{AdaGrad, NAdam, RmsProp};
pub use sgd::{GradientDescent, Momentum, Nesterov};

use super::{
    AddDecayedWeights, ClipByGlobalNorm, FirstOrder, GradientTransformation, ScaleByLearningRate,
    Schedule,
};
use crate::error::Result;
use crate::params::Value;

type Chain = Vec<Box<dyn GradientTransformation>>;

/// The shared options of every alias, for code that builds any of them (the registry).
pub(crate) trait Options: Sized {
    /// `with_schedule`.
    fn set_schedule(self, s: Schedule) -> Result<Self>;
    /// `with_warmup`.
    fn set_warmup(self, w: usize) -> Result<Self>;
    /// `with_clip_norm`.
    fn set_clip_norm(self, c: f64) -> Result<Self>;
    /// `build`.
    fn first_order(&self) -> FirstOrder;
}

/// The coupled L2 penalty of every alias but [`AdamW`].
pub(crate) trait L2: Sized {
    /// `with_weight_decay`.
    fn set_l2(self, wd: f64) -> Result<Self>;
}

/// The options every alias shares: the learning-rate scaling (rate, schedule, warm-up),
/// clipping by global norm, and the coupled L2 penalty.
#[derive(Debug, Clone)]
struct Common {
    lr: ScaleByLearningRate,
    clip: Option<ClipByGlobalNorm>,
    l2: Option<AddDecayedWeights>,
}

impl Common {
    fn new(lr: f64) -> Result<Self> {
        Ok(Common {
            lr: ScaleByLearningRate::new(lr)?,
            clip: None,
            l2: None,
        })
    }

    /// For `Default` impls, whose rate is a positive constant.
    fn with_default_rate(lr: f64) -> Self {
        Common {
            lr: ScaleByLearningRate::from_valid(lr),
            clip: None,
            l2: None,
        }
    }

    /// Clipping, then the coupled L2 penalty: the start of every chain.
    fn prefix(&self) -> Chain {
        let mut chain: Chain = Vec::new();
        if let Some(c) = self.clip {
            chain.push(Box::new(c));
        }
        if let Some(w) = self.l2 {
            chain.push(Box::new(w));
        }
        chain
    }

    fn set_clip(&mut self, c: f64) -> Result<()> {
        super::check_nonnegative("clip_norm", c)?;
        self.clip = if c > 0.0 {
            Some(ClipByGlobalNorm::new(c)?)
        } else {
            None
        };
        Ok(())
    }

    fn set_l2(&mut self, wd: f64) -> Result<()> {
        super::check_nonnegative("weight_decay", wd)?;
        self.l2 = if wd > 0.0 {
            Some(AddDecayedWeights::new(wd)?)
        } else {
            None
        };
        Ok(())
    }

    /// `lr`, the schedule's keys, `warmup`, `clip_norm` (and `weight_decay` if `l2`).
    fn settings(&self, l2: bool) -> Vec<(&'static str, Value)> {
        let mut out = vec![("lr", Value::Num(self.lr.base()))];
        let s = self.lr.schedule();
        out.push(("schedule", Value::Str(s.name().into())));
        match s {
            Schedule::Constant => {}
            Schedule::Step { step_size, gamma } => {
                out.push(("step_size", Value::Num(step_size as f64)));
                out.push(("decay", Value::Num(gamma)));
            }
            Schedule::Exponential { gamma } => out.push(("decay", Value::Num(gamma))),
            Schedule::Cosine { total, lr_min } => {
                out.push(("total", Value::Num(total as f64)));
                out.push(("lr_min", Value::Num(lr_min)));
            }
        }
        out.push(("warmup", Value::Num(self.lr.warmup() as f64)));
        let clip = self.clip.map_or(0.0, |c| c.max_norm());
        out.push(("clip_norm", Value::Num(clip)));
        if l2 {
            out.push((
                "weight_decay",
                Value::Num(self.l2.map_or(0.0, |w| w.lambda())),
            ));
        }
        out
    }
}

/// The shared builders, [`FirstOrder`] construction and [`Method`] impl of an alias with a
/// `common: Common` field, a `run: Option<FirstOrder>` field and the type-specific
/// `fn chain(&self) -> Chain`, `fn own_settings(&self, out)` and `fn configure(&self, FirstOrder)`. `$ctor` is an expression
/// building one, for the doc examples.
macro_rules! alias_common {
    ($ty:ident, $name:literal, $ctor:literal) => {
        impl $ty {
            #[doc = concat!("Sets the learning-rate schedule (validated).\n\n```\n",
                "# fn main() -> curvlab::Result<()> {\n",
                "use curvlab::methods::first_order::*;\n",
                "let m = ", $ctor, ".with_schedule(Schedule::COSINE)?;\n",
                "assert_eq!(m.learning_rate().schedule(), Schedule::COSINE);\n",
                "assert!(", $ctor, ".with_schedule(Schedule::Exponential { gamma: 2.0 }).is_err());\n",
                "# Ok(())\n# }\n```")]
            pub fn with_schedule(mut self, schedule: $crate::methods::first_order::Schedule) -> $crate::error::Result<Self> {
                self.common.lr = self.common.lr.clone().with_schedule(schedule)?;
                Ok(self)
            }

            #[doc = concat!("Sets a linear warm-up over `w` iterations (0: none).\n\n```\n",
                "# fn main() -> curvlab::Result<()> {\n",
                "use curvlab::methods::first_order::*;\n",
                "let m = ", $ctor, ".with_warmup(5)?;\n",
                "assert_eq!(m.learning_rate().warmup(), 5);\n",
                "# Ok(())\n# }\n```")]
            pub fn with_warmup(mut self, w: usize) -> $crate::error::Result<Self> {
                self.common.lr = self.common.lr.clone().with_warmup(w)?;
                Ok(self)
            }

            #[doc = concat!("Clips the gradient to this global norm first (`c ≥ 0`; 0: off).\n\n```\n",
                "# fn main() -> curvlab::Result<()> {\n",
                "use curvlab::methods::first_order::*;\n",
                "assert!(", $ctor, ".with_clip_norm(1.0).is_ok());\n",
                "assert!(", $ctor, ".with_clip_norm(-1.0).is_err());\n",
                "# Ok(())\n# }\n```")]
            pub fn with_clip_norm(mut self, c: f64) -> $crate::error::Result<Self> {
                self.common.set_clip(c)?;
                Ok(self)
            }

            #[doc = concat!("The learning-rate scaling.\n\n```\n",
                "# fn main() -> curvlab::Result<()> {\n",
                "use curvlab::methods::first_order::*;\n",
                "assert!(", $ctor, ".learning_rate().base() > 0.0);\n",
                "# Ok(())\n# }\n```")]
            pub fn learning_rate(&self) -> &$crate::methods::first_order::ScaleByLearningRate {
                &self.common.lr
            }

            #[doc = concat!("The chain as a [`FirstOrder`](crate::methods::first_order::FirstOrder), ",
                "carrying these settings (for minibatch loops through `apply`).\n\n```\n",
                "# fn main() -> curvlab::Result<()> {\n",
                "use curvlab::methods::first_order::*;\n",
                "use curvlab::methods::Method;\n",
                "let m = ", $ctor, ".build();\n",
                "assert_eq!(m.name(), \"", $name, "\");\n",
                "assert!(!m.settings().is_empty());\n",
                "# Ok(())\n# }\n```")]
            pub fn build(&self) -> $crate::methods::first_order::FirstOrder {
                let mut settings = Vec::new();
                self.own_settings(&mut settings);
                let m = $crate::methods::first_order::FirstOrder::new(
                    $name,
                    self.chain(),
                    self.common.lr.clone(),
                );
                self.configure(m.with_settings(settings))
            }
        }

        impl $crate::methods::first_order::alias::Options for $ty {
            fn set_schedule(self, s: $crate::methods::first_order::Schedule) -> $crate::error::Result<Self> {
                self.with_schedule(s)
            }
            fn set_warmup(self, w: usize) -> $crate::error::Result<Self> {
                self.with_warmup(w)
            }
            fn set_clip_norm(self, c: f64) -> $crate::error::Result<Self> {
                self.with_clip_norm(c)
            }
            fn first_order(&self) -> $crate::methods::first_order::FirstOrder {
                self.build()
            }
        }

        impl $crate::methods::Method for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn init(
                &mut self,
                obj: &dyn $crate::objective::Objective,
                it: &$crate::methods::Iterate,
            ) -> $crate::error::Result<()> {
                let mut run = self.build();
                $crate::methods::Method::init(&mut run, obj, it)?;
                self.run = Some(run);
                Ok(())
            }
            fn step(
                &mut self,
                obj: &dyn $crate::objective::Objective,
                it: &mut $crate::methods::Iterate,
            ) -> $crate::error::Result<$crate::methods::StepInfo> {
                match self.run.as_mut() {
                    Some(run) => $crate::methods::Method::step(run, obj, it),
                    None => Err($crate::error::Error::Numerical(format!(
                        "{}: call init before stepping",
                        $name
                    ))),
                }
            }
            fn settings(&self) -> Vec<(&'static str, $crate::params::Value)> {
                let mut out = Vec::new();
                self.own_settings(&mut out);
                out
            }
        }
    };
}

/// `with_weight_decay`: the coupled L2 penalty `u ← g + λx` before the preconditioner.
macro_rules! alias_l2 {
    ($ty:ident, $ctor:literal) => {
        impl $ty {
            #[doc = concat!("L2 penalty `λ ≥ 0` (0: off): `u ← g + λx` before the preconditioner, ",
                                "PyTorch's `weight_decay`.\n\n```\n",
                                "# fn main() -> curvlab::Result<()> {\n",
                                "use curvlab::methods::first_order::*;\n",
                                "assert!(", $ctor, ".with_weight_decay(1e-4).is_ok());\n",
                                "assert!(", $ctor, ".with_weight_decay(f64::NAN).is_err());\n",
                                "# Ok(())\n# }\n```")]
            pub fn with_weight_decay(mut self, wd: f64) -> $crate::error::Result<Self> {
                self.common.set_l2(wd)?;
                Ok(self)
            }
        }

        impl $crate::methods::first_order::alias::L2 for $ty {
            fn set_l2(self, wd: f64) -> $crate::error::Result<Self> {
                self.with_weight_decay(wd)
            }
        }
    };
}

pub(crate) use alias_common;
pub(crate) use alias_l2;
