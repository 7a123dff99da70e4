//! Objectives from closures: bring your own model without implementing a trait.
//!
//! - [`from_fns`]`(dim, value, gradient)`: `f64` closures. Hessian-vector products (HVPs) are
//!   then central finite differences of the gradient (Nocedal & Wright 2006, §8.1,
//!   [`crate::diff::fd::central_hvp`]), accurate to about 1e-8 relative, not to rounding; the
//!   objective says so ([`Objective::hvp_note`]) and every [`crate::Report`] of a run on it
//!   carries that note. [`FnObjective::with_hvp`] supplies an exact HVP closure instead.
//! - [`from_generic`]`(dim, value_gradient)`: one closure that writes the gradient and returns the
//!   value, written in dual numbers ([`num_dual::Dual64`]; a function generic over
//!   [`crate::diff::Scalar`] fits as is). Value and gradient are its real parts; the exact HVP
//!   is the ε-part at `x + εv` (Pearlmutter 1994, the R-operator in forward mode), exact to
//!   rounding like curvlab's own problems ([`crate::diff::dual`]).
//!
//! ```
//! use curvlab::prelude::*; // `.powi()`, `.exp()`, `.re()`, … on dual numbers
//! use curvlab::{minimize, objective, Stop};
//! use curvlab::methods::Newton;
//! // Rosenbrock, f = (1 − x)² + 100 (y − x²)², its gradient written once for f64 and duals.
//! let f = objective::from_generic(2, |x, g| {
//!     g[0] = (x[0] - 1.0) * 2.0 - x[0] * (x[1] - x[0] * x[0]) * 400.0;
//!     g[1] = (x[1] - x[0] * x[0]) * 200.0;
//!     (x[0] - 1.0).powi(2) + (x[1] - x[0] * x[0]).powi(2) * 100.0
//! }).unwrap();
//! let r = minimize(&f, &mut Newton::default(), &[-1.2, 1.0], &Stop::new(1e-10, 100)).unwrap();
//! assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-8);
//! assert!(r.notes.is_empty()); // exact HVPs: nothing to note
//! ```

use crate::diff::fd::central_hvp;
use crate::error::{Error, Result, check_len};
use crate::objective::Objective;
use num_dual::Dual64;

/// The note an objective with finite-difference HVPs gives ([`Objective::hvp_note`]).
pub const FINITE_DIFFERENCE_NOTE: &str = "finite-difference HVP: Hessian-vector products are \
     central differences of the gradient (about 1e-8 relative accuracy, not exact to rounding)";

/// The type of the HVP slot of an [`FnObjective`] built without one.
pub type NoHvp = fn(&[f64], &[f64], &mut [f64]);

fn check_dim(dim: usize) -> Result<()> {
    if dim == 0 {
        return Err(Error::invalid(
            "dim",
            dim,
            "the number of variables must be >= 1",
        ));
    }
    Ok(())
}

/// An [`Objective`] made of `f64` closures ([`from_fns`]).
///
/// ```
/// use curvlab::{objective, Objective};
/// let f = objective::from_fns(1, |x| x[0].powi(4), |x, g| g[0] = 4.0 * x[0].powi(3)).unwrap();
/// assert!(!f.hvp_is_exact());
/// let mut hv = [0.0];
/// f.hvp(&[1.0], &[1.0], &mut hv).unwrap();
/// assert!((hv[0] - 12.0).abs() < 1e-6); // f'' = 12 x², by central differences
/// ```
pub struct FnObjective<F, G, H = NoHvp> {
    dim: usize,
    value: F,
    gradient: G,
    hvp: Option<H>,
}

impl<F, G, H> std::fmt::Debug for FnObjective<F, G, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnObjective")
            .field("dim", &self.dim)
            .field("exact_hvp", &self.hvp.is_some())
            .finish()
    }
}

/// An objective from a value closure `x ↦ f(x)` and a gradient closure `(x, g) ↦ g = ∇f(x)`.
/// HVPs are central finite differences of the gradient until [`FnObjective::with_hvp`] gives
/// exact ones; [`Error::InvalidParameter`] for `dim = 0`.
///
/// ```
/// use curvlab::{minimize, objective, Stop};
/// use curvlab::methods::Newton;
/// // f(x) = Σ (xᵢ − i)², ∇f = 2(x − i).
/// let f = objective::from_fns(
///     3,
///     |x| x.iter().enumerate().map(|(i, v)| (v - i as f64).powi(2)).sum(),
///     |x, g| g.iter_mut().enumerate().for_each(|(i, gi)| *gi = 2.0 * (x[i] - i as f64)),
/// ).unwrap();
/// let r = minimize(&f, &mut Newton::default(), &[5.0; 3], &Stop::default()).unwrap();
/// assert!(r.converged() && (r.x[2] - 2.0).abs() < 1e-6);
/// assert!(r.notes[0].starts_with("finite-difference HVP"));
/// assert!(objective::from_fns(0, |_| 0.0, |_, _| ()).is_err());
/// ```
pub fn from_fns<F, G>(dim: usize, value: F, gradient: G) -> Result<FnObjective<F, G>>
where
    F: Fn(&[f64]) -> f64 + Send + Sync,
    G: Fn(&[f64], &mut [f64]) + Send + Sync,
{
    check_dim(dim)?;
    Ok(FnObjective {
        dim,
        value,
        gradient,
        hvp: None,
    })
}

impl<F, G, H> FnObjective<F, G, H>
where
    F: Fn(&[f64]) -> f64 + Send + Sync,
    G: Fn(&[f64], &mut [f64]) + Send + Sync,
    H: Fn(&[f64], &[f64], &mut [f64]) + Send + Sync,
{
    /// The same objective with the HVP closure `(x, v, out) ↦ out = ∇²f(x) v`, taken as exact.
    /// Check it once with [`crate::diff::check_derivatives`].
    ///
    /// ```
    /// use curvlab::{objective, Objective};
    /// let f = objective::from_fns(1, |x| x[0].powi(4), |x, g| g[0] = 4.0 * x[0].powi(3))
    ///     .unwrap()
    ///     .with_hvp(|x, v, out| out[0] = 12.0 * x[0] * x[0] * v[0]);
    /// assert!(f.hvp_is_exact() && f.hvp_note().is_none());
    /// let c = curvlab::diff::check_derivatives(&f, &[0.7], 0).unwrap();
    /// assert!(c.hvp_rel_error < 1e-6);
    /// ```
    pub fn with_hvp<H2>(self, hvp: H2) -> FnObjective<F, G, H2>
    where
        H2: Fn(&[f64], &[f64], &mut [f64]) + Send + Sync,
    {
        FnObjective {
            dim: self.dim,
            value: self.value,
            gradient: self.gradient,
            hvp: Some(hvp),
        }
    }

    /// True when HVPs come from a closure given with [`FnObjective::with_hvp`], false when they
    /// are finite differences.
    pub fn hvp_is_exact(&self) -> bool {
        self.hvp.is_some()
    }
}

impl<F, G, H> Objective for FnObjective<F, G, H>
where
    F: Fn(&[f64]) -> f64 + Send + Sync,
    G: Fn(&[f64], &mut [f64]) + Send + Sync,
    H: Fn(&[f64], &[f64], &mut [f64]) + Send + Sync,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.dim, x.len())?;
        Ok((self.value)(x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.dim, x.len())?;
        check_len("gradient buffer", self.dim, g.len())?;
        (self.gradient)(x, g);
        Ok((self.value)(x))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim, x.len())?;
        check_len("v", self.dim, v.len())?;
        check_len("hvp buffer", self.dim, out.len())?;
        match &self.hvp {
            Some(h) => {
                h(x, v, out);
                Ok(())
            }
            None => central_hvp(self, x, v, out),
        }
    }
    fn hvp_note(&self) -> Option<String> {
        self.hvp
            .is_none()
            .then(|| FINITE_DIFFERENCE_NOTE.to_string())
    }
}

/// An [`Objective`] from one value-and-gradient closure in dual numbers ([`from_generic`]):
/// exact value, gradient and HVPs.
///
/// ```
/// use curvlab::prelude::*;
/// use curvlab::objective;
/// let f = objective::from_generic(1, |x, g| { g[0] = x[0].powi(3) * 4.0; x[0].powi(4) }).unwrap();
/// let mut hv = [0.0];
/// f.hvp(&[1.0], &[1.0], &mut hv).unwrap();
/// assert_eq!(hv[0], 12.0); // exact
/// ```
pub struct GenericObjective<F> {
    dim: usize,
    f: F,
}

impl<F> std::fmt::Debug for GenericObjective<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenericObjective")
            .field("dim", &self.dim)
            .finish()
    }
}

/// An objective from one closure `(x, g) ↦ f(x)` that writes `∇f(x)` into `g`, with `x`, `g`
/// and the result in [`Dual64`]. Write it with the [`crate::diff::Scalar`] operations: `+ − × ÷`
/// between duals and with an `f64` on the right (`x * 2.0`, not `2.0 * x`), `powi`, `exp`, `ln`, `sqrt`, …, and `.re()` for
/// the real part where a branch needs a plain number (see [`crate::diff::Scalar`]); the methods
/// need `use curvlab::prelude::*` (or `use num_dual::DualNum`) in a closure, not in a generic
/// function. A function
/// `fn vg<T: Scalar>(x: &[T], g: &mut [T]) -> T` is passed as `from_generic(n, vg)`.
///
/// Value and gradient are the real parts (about twice the cost of the same code in `f64`; for
/// speed implement [`crate::diff::DualGradient`] instead, which runs in `f64`); the HVP is the
/// ε-part of the gradient at `x + εv`, exact to rounding. [`Error::InvalidParameter`] for
/// `dim = 0`.
///
/// ```
/// use curvlab::diff::Scalar;
/// use curvlab::{objective, Objective};
/// /// f(x) = x₀² x₁ + x₁³, written once for any scalar.
/// fn vg<T: Scalar>(x: &[T], g: &mut [T]) -> T {
///     g[0] = x[0] * x[1] * 2.0;
///     g[1] = x[0] * x[0] + x[1] * x[1] * 3.0;
///     x[0] * x[0] * x[1] + x[1].powi(3)
/// }
/// let f = objective::from_generic(2, vg).unwrap();
/// let h = f.hessian(&[1.0, 2.0]).unwrap();
/// assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 1)]), (4.0, 2.0, 12.0));
/// ```
pub fn from_generic<F>(dim: usize, value_gradient: F) -> Result<GenericObjective<F>>
where
    F: Fn(&[Dual64], &mut [Dual64]) -> Dual64 + Send + Sync,
{
    check_dim(dim)?;
    Ok(GenericObjective {
        dim,
        f: value_gradient,
    })
}

impl<F> GenericObjective<F>
where
    F: Fn(&[Dual64], &mut [Dual64]) -> Dual64 + Send + Sync,
{
    /// Evaluates the closure at `x + εv` (`v = 0` when `None`); returns the dual value and
    /// leaves the dual gradient in the returned vector.
    fn eval(&self, x: &[f64], v: Option<&[f64]>) -> (Dual64, Vec<Dual64>) {
        let xd: Vec<Dual64> = match v {
            Some(v) => x.iter().zip(v).map(|(&a, &b)| Dual64::new(a, b)).collect(),
            None => x.iter().map(|&a| Dual64::from(a)).collect(),
        };
        let mut gd = vec![Dual64::from(0.0); self.dim];
        let f = (self.f)(&xd, &mut gd);
        (f, gd)
    }
}

impl<F> Objective for GenericObjective<F>
where
    F: Fn(&[Dual64], &mut [Dual64]) -> Dual64 + Send + Sync,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.dim, x.len())?;
        Ok(self.eval(x, None).0.re)
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.dim, x.len())?;
        check_len("gradient buffer", self.dim, g.len())?;
        let (f, gd) = self.eval(x, None);
        for (o, d) in g.iter_mut().zip(&gd) {
            *o = d.re;
        }
        Ok(f.re)
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.dim, x.len())?;
        check_len("v", self.dim, v.len())?;
        check_len("hvp buffer", self.dim, out.len())?;
        let (_, gd) = self.eval(x, Some(v));
        for (o, d) in out.iter_mut().zip(&gd) {
            *o = d.eps;
        }
        Ok(())
    }
}
