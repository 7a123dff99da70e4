//! The line-search globalization shared by every method that uses one: Armijo backtracking, its
//! nonmonotone variant (Grippo, Lampariello & Lucidi 1986), the watchdog technique of
//! Chamberlain, Powell, Lemaréchal & Pedersen (1982) (N&W Algorithm 15.2) and the strong-Wolfe
//! search with zoom and safeguarded cubic interpolation (Nocedal & Wright 2006, Algorithms 3.1,
//! 3.5 and 3.6, eq. 3.59); and [`Globalization`], the one object a line-search method (Newton,
//! Newton-CG) holds: it owns the chosen kind ([`LineSearchKind`]), the state of the stateful
//! searches and the trial buffers, and moves the iterate in a single [`Globalization::step`].
//! A trial point whose value or gradient is not finite counts as a failed sufficient-decrease
//! test, so a step into an overflow is shortened rather than fatal.

mod armijo;
mod watchdog;
mod wolfe;

pub use armijo::{Armijo, NonmonotoneArmijo};
pub use watchdog::Watchdog;
pub use wolfe::StrongWolfe;

use crate::error::{Error, Result};
use crate::linalg::vector::{add_scaled, norm};
use crate::methods::Iterate;
use crate::objective::Objective;

/// The accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSearchResult {
    /// The step `α` along the direction.
    pub alpha: f64,
    /// `f(x + α d)`.
    pub f: f64,
    /// Objective evaluations used (values for Armijo, gradients for Wolfe).
    pub evaluations: usize,
}

/// A non-finite value (or an objective that reports one) becomes `+∞`; other errors propagate.
fn finite_or_inf(r: Result<f64>) -> Result<f64> {
    match r {
        Ok(f) if f.is_finite() => Ok(f),
        Ok(_) | Err(Error::NonFinite { .. }) => Ok(f64::INFINITY),
        Err(e) => Err(e),
    }
}

/// `f(x)`, with a non-finite value (or a `NonFinite` error) read as `+∞`: a trial point of a
/// trust-region, damped or Hessian-free step that overflows is rejected, not fatal.
pub(crate) fn trial_value(obj: &dyn Objective, x: &[f64]) -> Result<f64> {
    finite_or_inf(obj.value(x))
}

/// Which line search a Newton-type method uses along its direction (started at the unit step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LineSearchKind {
    /// Armijo backtracking ([`Armijo`]).
    Armijo,
    /// Strong Wolfe ([`StrongWolfe`]).
    Wolfe,
    /// The unit step, unconditionally.
    None,
    /// Nonmonotone Armijo backtracking (Grippo, Lampariello & Lucidi 1986), [`NonmonotoneArmijo`].
    Nonmonotone,
    /// The watchdog technique (Chamberlain et al. 1982; N&W Algorithm 15.2), [`Watchdog`].
    Watchdog,
}

impl LineSearchKind {
    /// Parses `armijo`, `wolfe`, `nonmonotone`, `watchdog` or `none`.
    ///
    /// ```
    /// use curvlab::methods::line_search::LineSearchKind;
    /// assert_eq!(LineSearchKind::parse("wolfe").unwrap(), LineSearchKind::Wolfe);
    /// assert_eq!(LineSearchKind::parse("nonmonotone").unwrap(), LineSearchKind::Nonmonotone);
    /// assert!(LineSearchKind::parse("exact").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "armijo" => Ok(LineSearchKind::Armijo),
            "wolfe" => Ok(LineSearchKind::Wolfe),
            "none" => Ok(LineSearchKind::None),
            "nonmonotone" => Ok(LineSearchKind::Nonmonotone),
            "watchdog" => Ok(LineSearchKind::Watchdog),
            _ => Err(Error::invalid(
                "line_search",
                s,
                "expected armijo, wolfe, nonmonotone, watchdog or none",
            )),
        }
    }

    /// The registry spelling (inverse of [`Self::parse`]).
    ///
    /// ```
    /// use curvlab::methods::line_search::LineSearchKind;
    /// assert_eq!(LineSearchKind::Watchdog.as_str(), "watchdog");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            LineSearchKind::Armijo => "armijo",
            LineSearchKind::Wolfe => "wolfe",
            LineSearchKind::None => "none",
            LineSearchKind::Nonmonotone => "nonmonotone",
            LineSearchKind::Watchdog => "watchdog",
        }
    }
}

/// What one [`Globalization::step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlobalStep {
    /// The step `α` along the direction.
    pub alpha: f64,
    /// `‖x_{k+1} − x_k‖`.
    pub step_length: f64,
    /// True when the iteration was the watchdog's return to its checkpoint (no new direction
    /// was computed).
    pub watchdog_return: bool,
}

/// The line-search globalization of a method: one of the [`LineSearchKind`]s with its
/// parameters and state, and the trial buffers. The method supplies a direction; [`Self::step`]
/// moves the iterate along it.
///
/// ```
/// use curvlab::methods::line_search::{Globalization, LineSearchKind};
/// use curvlab::methods::Iterate;
/// use curvlab::problems::Ravine;
/// let f = Ravine::seed(); // ½(100 x₀² + x₁²)
/// let mut it = Iterate::new(&f, vec![1.0, 1.0]).unwrap();
/// let mut glob = Globalization::new(LineSearchKind::Armijo);
/// // Steepest descent: the unit step overshoots and Armijo halves it until it decreases f.
/// let (s, extra) = glob.step(&f, &mut it, |it, d| {
///     d.iter_mut().zip(&it.g).for_each(|(d, g)| *d = -g);
///     Ok(())
/// }).unwrap();
/// assert!(s.alpha < 1.0 && it.f < 50.5 && extra == Some(()));
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct Globalization {
    kind: LineSearchKind,
    armijo: Armijo,
    wolfe: StrongWolfe,
    nonmonotone: NonmonotoneArmijo,
    watchdog: Watchdog,
    #[cfg_attr(feature = "serde1", serde(skip))]
    d: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    x_new: Vec<f64>,
    #[cfg_attr(feature = "serde1", serde(skip))]
    g_new: Vec<f64>,
}

impl Default for Globalization {
    fn default() -> Self {
        Self::new(LineSearchKind::Armijo)
    }
}

impl Globalization {
    /// The search `kind` with the default parameters (Armijo c₁ = 10⁻⁴, ρ = ½; strong Wolfe
    /// c₁ = 10⁻⁴, c₂ = 0.9; nonmonotone memory 10).
    pub fn new(kind: LineSearchKind) -> Self {
        Globalization {
            kind,
            armijo: Armijo::default(),
            wolfe: StrongWolfe::default(),
            nonmonotone: NonmonotoneArmijo::default(),
            watchdog: Watchdog::new(),
            d: Vec::new(),
            x_new: Vec::new(),
            g_new: Vec::new(),
        }
    }

    /// Sets the kind.
    pub fn with_kind(mut self, kind: LineSearchKind) -> Self {
        self.kind = kind;
        self
    }

    /// The kind.
    pub fn kind(&self) -> LineSearchKind {
        self.kind
    }

    /// Sets the Armijo parameters (validated; also those of the nonmonotone search and the
    /// watchdog).
    pub fn with_armijo(mut self, a: Armijo) -> Result<Self> {
        a.validate()?;
        self.armijo = a;
        self.nonmonotone.armijo = a;
        Ok(self)
    }

    /// Sets the strong-Wolfe parameters (validated).
    pub fn with_wolfe(mut self, w: StrongWolfe) -> Result<Self> {
        w.validate()?;
        self.wolfe = w;
        Ok(self)
    }

    /// Sets the memory `M ≥ 1` of the nonmonotone search (`M = 1` is monotone Armijo).
    ///
    /// ```
    /// use curvlab::methods::line_search::Globalization;
    /// assert!(Globalization::default().with_nonmonotone_memory(0).is_err());
    /// assert_eq!(Globalization::default().nonmonotone_memory(), 10);
    /// ```
    pub fn with_nonmonotone_memory(mut self, memory: usize) -> Result<Self> {
        self.nonmonotone = NonmonotoneArmijo::new(memory)?.with_armijo(self.armijo)?;
        Ok(self)
    }

    /// The nonmonotone memory `M`.
    pub fn nonmonotone_memory(&self) -> usize {
        self.nonmonotone.memory
    }

    /// Checks every parameter and forgets the state of a previous run.
    pub fn reset(&mut self) -> Result<()> {
        self.armijo.validate()?;
        self.wolfe.validate()?;
        self.nonmonotone.armijo = self.armijo;
        self.nonmonotone.validate()?;
        self.nonmonotone.reset();
        self.watchdog.reset();
        Ok(())
    }

    /// One line-search iteration: unless the watchdog returns to its checkpoint (then
    /// `direction` is not called and its result is `None`), `direction(it, d)` writes a descent
    /// direction into `d` (length `n`, contents unspecified on entry) and the chosen search
    /// moves `it` along it from `α = 1`. Leaves `it` consistent (`f`, `g` at the new `x`).
    pub fn step<T, F>(
        &mut self,
        obj: &dyn Objective,
        it: &mut Iterate,
        direction: F,
    ) -> Result<(GlobalStep, Option<T>)>
    where
        F: FnOnce(&Iterate, &mut [f64]) -> Result<T>,
    {
        let n = it.x.len();
        for v in [&mut self.d, &mut self.x_new, &mut self.g_new] {
            v.resize(n, 0.0);
        }
        if self.kind == LineSearchKind::Watchdog && self.watchdog.pending_return() {
            self.x_new.copy_from_slice(&it.x);
            let alpha = self.watchdog.return_step(&self.armijo, obj, it)?;
            for ((d, a), b) in self.d.iter_mut().zip(&it.x).zip(&self.x_new) {
                *d = a - b;
            }
            let moved = norm(&self.d);
            let s = GlobalStep {
                alpha,
                step_length: moved,
                watchdog_return: true,
            };
            return Ok((s, None));
        }
        let extra = direction(it, &mut self.d)?;
        let alpha = self.search(obj, it)?;
        let s = GlobalStep {
            alpha,
            step_length: alpha * norm(&self.d),
            watchdog_return: false,
        };
        Ok((s, Some(extra)))
    }

    /// Moves `it` along `self.d` with the chosen search; returns `α`.
    fn search(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<f64> {
        let (x, d) = (&it.x, &self.d);
        let (xn, gn) = (&mut self.x_new, &mut self.g_new);
        let alpha = match self.kind {
            LineSearchKind::Armijo => self.armijo.search(obj, x, it.f, &it.g, d, 1.0, xn)?.alpha,
            LineSearchKind::Nonmonotone => {
                self.nonmonotone
                    .search(obj, x, it.f, &it.g, d, 1.0, xn)?
                    .alpha
            }
            LineSearchKind::None => {
                add_scaled(x, 1.0, d, xn);
                1.0
            }
            LineSearchKind::Wolfe => {
                let r = self.wolfe.search(obj, x, it.f, &it.g, d, 1.0, xn, gn)?;
                it.f = r.f;
                std::mem::swap(&mut it.x, xn);
                std::mem::swap(&mut it.g, gn);
                return Ok(r.alpha);
            }
            LineSearchKind::Watchdog => return self.watchdog.step(&self.armijo, obj, it, d),
        };
        it.f = obj.gradient(xn, gn)?;
        std::mem::swap(&mut it.x, xn);
        std::mem::swap(&mut it.g, gn);
        Ok(alpha)
    }
}
