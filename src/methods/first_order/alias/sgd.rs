//! Gradient descent (Cauchy 1847), heavy-ball momentum (Polyak 1964) and Nesterov momentum
//! (Nesterov 1983, PyTorch's form), with the spectrum-optimal constants for a quadratic with
//! Hessian spectrum in `[μ, L]`: gradient descent `η = 2/(μ + L)` (rate `(κ − 1)/(κ + 1)`,
//! Nocedal & Wright 2006, §3.3); heavy ball `η = 4/(√L + √μ)²`, `ρ = ((√κ − 1)/(√κ + 1))²`
//! (Polyak 1964; rate `(√κ − 1)/(√κ + 1)`); Nesterov `η = 1/L`, `ρ = (√κ − 1)/(√κ + 1)`
//! (Nesterov 2004, §2.2).

use super::{Chain, Common, alias_common, alias_l2};
use crate::error::{Error, Result};
use crate::methods::first_order::{FirstOrder, MomentumSchedule, Trace};
use crate::methods::line_search::Armijo;
use crate::params::Value;

/// Checks `0 < μ ≤ L < ∞` and returns `√κ = √(L/μ)`.
fn sqrt_kappa(mu: f64, l: f64) -> Result<f64> {
    if !(mu > 0.0 && mu.is_finite()) {
        return Err(Error::invalid("mu", mu, "must be finite and > 0"));
    }
    if !(l >= mu && l.is_finite()) {
        return Err(Error::invalid("L", l, "must be finite and >= mu"));
    }
    Ok((l / mu).sqrt())
}

/// Gradient descent `x ← x − η_t ∇f(x)`, optionally with Armijo backtracking.
///
/// ```
/// use curvlab::methods::first_order::GradientDescent;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut gd = GradientDescent::new(0.0199).unwrap();
/// let r = minimize(&Ravine::seed(), &mut gd, &[1.0, 8.0], &Stop::new(1e-6, 10_000)).unwrap();
/// assert!(r.converged());
/// assert!(GradientDescent::new(0.0).is_err());
/// ```
#[derive(Debug)]
pub struct GradientDescent {
    common: Common,
    line_search: Option<Armijo>,
    run: Option<FirstOrder>,
}

impl GradientDescent {
    /// The first trial step of the Armijo search when no learning rate is given.
    pub const ARMIJO_FIRST_TRIAL: f64 = 1.0;

    /// A constant learning rate `η > 0`.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(GradientDescent {
            common: Common::new(lr)?,
            line_search: None,
            run: None,
        })
    }

    /// `η = 2/(μ + L)` for a Hessian spectrum in `[μ, L]`, `0 < μ ≤ L`.
    ///
    /// ```
    /// use curvlab::methods::first_order::GradientDescent;
    /// let gd = GradientDescent::optimal(1.0, 99.0).unwrap();
    /// assert_eq!(gd.learning_rate().base(), 0.02);
    /// assert!(GradientDescent::optimal(0.0, 1.0).is_err());
    /// ```
    pub fn optimal(mu: f64, l: f64) -> Result<Self> {
        sqrt_kappa(mu, l)?;
        Self::new(2.0 / (mu + l))
    }

    /// Armijo backtracking from the first trial step `lr` (validated).
    ///
    /// ```
    /// use curvlab::methods::first_order::GradientDescent;
    /// use curvlab::methods::line_search::Armijo;
    /// let gd = GradientDescent::new(GradientDescent::ARMIJO_FIRST_TRIAL).unwrap();
    /// assert!(gd.with_line_search(Armijo::default()).is_ok());
    /// let gd = GradientDescent::new(1.0).unwrap();
    /// assert!(gd.with_line_search(Armijo { c1: 2.0, ..Armijo::default() }).is_err());
    /// ```
    pub fn with_line_search(mut self, ls: Armijo) -> Result<Self> {
        ls.validate()?;
        self.line_search = Some(ls);
        Ok(self)
    }

    fn chain(&self) -> Chain {
        self.common.prefix()
    }

    fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
        out.extend(self.common.settings(true));
        let ls = if self.line_search.is_some() {
            "armijo"
        } else {
            "none"
        };
        out.push(("line_search", Value::Str(ls.into())));
    }

    fn configure(&self, m: FirstOrder) -> FirstOrder {
        match self.line_search {
            Some(ls) => m.with_checked_line_search(ls),
            None => m,
        }
    }
}

alias_common!(GradientDescent, "gd", "GradientDescent::new(0.1)?");
alias_l2!(GradientDescent, "GradientDescent::new(0.1)?");

/// The momentum options of [`Momentum`] and [`Nesterov`].
macro_rules! momentum_alias {
    ($ty:ident, $name:literal, $ctor:literal) => {
        impl $ty {
            /// Learning rate `η > 0` and constant momentum `ρ ∈ [0, 1)`.
            pub fn new(lr: f64, rho: f64) -> Result<Self> {
                Ok($ty {
                    common: Common::new(lr)?,
                    schedule: MomentumSchedule::constant(rho)?,
                    run: None,
                })
            }

            #[doc = concat!("Momentum `start` for the first `anneal_after` steps, then the ",
                        "constant given to `new` (the seed article: 0.5 for 5 steps).\n\n```\n",
                        "# fn main() -> curvlab::Result<()> {\n",
                        "use curvlab::methods::first_order::*;\n",
                        "let m = ", $ctor, ".with_annealing(0.5, 5)?;\n",
                        "assert_eq!(m.momentum_schedule().at(4), 0.5);\n",
                        "assert!(", $ctor, ".with_annealing(1.5, 5).is_err());\n",
                        "# Ok(())\n# }\n```")]
            pub fn with_annealing(mut self, start: f64, anneal_after: usize) -> Result<Self> {
                self.schedule =
                    MomentumSchedule::annealed(start, self.schedule.end(), anneal_after)?;
                Ok(self)
            }

            #[doc = concat!("The momentum schedule.\n\n```\n",
                        "# fn main() -> curvlab::Result<()> {\n",
                        "use curvlab::methods::first_order::*;\n",
                        "assert_eq!(", $ctor, ".momentum_schedule().end(), 0.9);\n",
                        "# Ok(())\n# }\n```")]
            pub fn momentum_schedule(&self) -> MomentumSchedule {
                self.schedule
            }

            fn own_settings(&self, out: &mut Vec<(&'static str, Value)>) {
                out.extend(self.common.settings(true));
                out.push(("momentum", Value::Num(self.schedule.end())));
                out.push(("momentum_start", Value::Num(self.schedule.start())));
                out.push((
                    "anneal_after",
                    Value::Num(self.schedule.anneal_after() as f64),
                ));
            }

            fn configure(&self, m: FirstOrder) -> FirstOrder {
                m
            }
        }

        alias_common!($ty, $name, $ctor);
        alias_l2!($ty, $ctor);
    };
}

/// Heavy-ball momentum `v ← ρ_t v + g`, `x ← x − η_t v` (Polyak 1964; PyTorch's SGD).
///
/// ```
/// use curvlab::methods::first_order::Momentum;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut hb = Momentum::optimal(1.0, 100.0).unwrap();
/// let r = minimize(&Ravine::seed(), &mut hb, &[1.0, 8.0], &Stop::new(1e-6, 1_000)).unwrap();
/// assert!(r.converged());
/// assert!(Momentum::new(0.1, 1.0).is_err());
/// ```
#[derive(Debug)]
pub struct Momentum {
    common: Common,
    schedule: MomentumSchedule,
    run: Option<FirstOrder>,
}

impl Momentum {
    /// Polyak's `η = 4/(√L + √μ)²`, `ρ = ((√κ − 1)/(√κ + 1))²` for a spectrum in `[μ, L]`.
    ///
    /// ```
    /// use curvlab::methods::first_order::Momentum;
    /// let hb = Momentum::optimal(1.0, 9.0).unwrap();
    /// assert_eq!((hb.learning_rate().base(), hb.momentum_schedule().end()), (0.25, 0.25));
    /// ```
    pub fn optimal(mu: f64, l: f64) -> Result<Self> {
        let k = sqrt_kappa(mu, l)?;
        let q = (k - 1.0) / (k + 1.0);
        Self::new(4.0 / (l.sqrt() + mu.sqrt()).powi(2), q * q)
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(Trace::new(self.schedule)));
        chain
    }
}

momentum_alias!(Momentum, "momentum", "Momentum::new(0.1, 0.9)?");

/// Nesterov momentum, PyTorch's form `v ← ρ_t v + g`, `x ← x − η_t (g + ρ_t v)` (Nesterov
/// 1983; Sutskever et al. 2013).
///
/// ```
/// use curvlab::methods::first_order::Nesterov;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Ravine;
/// let mut nag = Nesterov::optimal(1.0, 100.0).unwrap();
/// let r = minimize(&Ravine::seed(), &mut nag, &[1.0, 8.0], &Stop::new(1e-6, 1_000)).unwrap();
/// assert!(r.converged());
/// ```
#[derive(Debug)]
pub struct Nesterov {
    common: Common,
    schedule: MomentumSchedule,
    run: Option<FirstOrder>,
}

impl Nesterov {
    /// `η = 1/L`, `ρ = (√κ − 1)/(√κ + 1)` for a spectrum in `[μ, L]`.
    ///
    /// ```
    /// use curvlab::methods::first_order::Nesterov;
    /// let nag = Nesterov::optimal(1.0, 9.0).unwrap();
    /// assert_eq!((nag.learning_rate().base(), nag.momentum_schedule().end()), (1.0 / 9.0, 0.5));
    /// ```
    pub fn optimal(mu: f64, l: f64) -> Result<Self> {
        let k = sqrt_kappa(mu, l)?;
        Self::new(1.0 / l, (k - 1.0) / (k + 1.0))
    }

    fn chain(&self) -> Chain {
        let mut chain = self.common.prefix();
        chain.push(Box::new(Trace::nesterov(self.schedule)));
        chain
    }
}

momentum_alias!(Nesterov, "nesterov", "Nesterov::new(0.1, 0.9)?");
