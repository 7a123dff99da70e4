//! Forward-mode HVPs from a gradient written generically over a dual-number scalar
//! (Pearlmutter 1994, "Fast exact multiplication by the Hessian", the R-operator; here computed
//! with `num_dual::Dual64` instead of a second reverse sweep).

use crate::error::{Result, check_len};
use crate::objective::{FiniteSum, GaussNewton, Objective};
use faer::Mat;
use num_dual::{Dual64, DualNum};

/// A real scalar or a dual number over `f64`: what generic gradients are written in.
///
/// Writing a gradient generic over `T: Scalar`:
///
/// - **arithmetic** between `T`s, and with an `f64` on the right: `x * 2.0`, `x + 1.0`,
///   `x / n`, `x - 1.0`. An `f64` on the *left* (`2.0 * x`) does not compile for a dual type
///   (num-dual implements `Dual64 * f64`, not `f64 * Dual64`, and Rust's orphan rule forbids
///   adding it here): write `x * 2.0`, or lift the constant with [`constant`]`::<T>(2.0) * x`;
/// - **functions** are methods: `x.exp()`, `x.ln()`, `x.ln_1p()`, `x.sqrt()`, `x.powi(3)`,
///   `x.powf(0.5)`, `x.tanh()`, `x.recip()`, … (from [`num_dual::DualNum`]);
/// - **`.re()`** is the real part, an `f64`: use it for branches and comparisons (`if x.re() > 0.0`,
///   the max in a log-sum-exp) — a branch is not differentiated, the value it picks is;
/// - **stable building blocks**: [`log_sum_exp`] and [`softplus`].
///
/// ```
/// use curvlab::diff::{Scalar, constant};
/// fn square<T: Scalar>(x: T) -> T { x * x }
/// assert_eq!(square(3.0_f64), 9.0);
/// let d = square(num_dual::Dual64::new(3.0, 1.0));
/// assert_eq!((d.re, d.eps), (9.0, 6.0));
/// // Constants go on the right of `*`, or are lifted with `constant` to stand on the left.
/// fn scaled<T: Scalar>(x: T) -> T { x * 2.0 + constant::<T>(3.0) * x }
/// assert_eq!(scaled(num_dual::Dual64::new(1.0, 1.0)).eps, 5.0);
/// // The real part of any Scalar (the prelude brings the `.re()` method into scope).
/// use curvlab::prelude::*;
/// assert_eq!(num_dual::Dual64::new(1.5, 7.0).re(), 1.5);
/// ```
pub trait Scalar: DualNum<Primitive = f64> + Copy + Send + Sync {}
impl<T: DualNum<Primitive = f64> + Copy + Send + Sync> Scalar for T {}

/// The constant `c` as a `T` (for the left side of an operator in generic code).
///
/// ```
/// use curvlab::diff::{Scalar, constant};
/// fn f<T: Scalar>(x: T) -> T { constant::<T>(3.0) - x }
/// assert_eq!(f(1.0), 2.0);
/// ```
pub fn constant<T: Scalar>(c: f64) -> T {
    T::from(c)
}

/// `log Σᵢ exp(zᵢ)`, stable for any `z`: `m + log Σᵢ exp(zᵢ − m)` with `m = maxᵢ zᵢ.re()`, so
/// no term overflows and the largest is `exp(0) = 1`. Its derivative is the softmax of `z`
/// (the shift `m` is a constant, so duals differentiate it exactly). `−∞` for an empty `z`.
///
/// ```
/// use curvlab::diff::log_sum_exp;
/// // log(e¹⁰⁰⁰ + e¹⁰⁰⁰) = 1000 + ln 2, where the naive sum overflows.
/// assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
/// // d/dz₀ at z = (0, ln 3): softmax₀ = 1/4.
/// use num_dual::Dual64;
/// let d = log_sum_exp(&[Dual64::new(0.0, 1.0), Dual64::from(3f64.ln())]);
/// assert!((d.eps - 0.25).abs() < 1e-15);
/// ```
pub fn log_sum_exp<T: Scalar>(z: &[T]) -> T {
    let m = z.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.re()));
    if !m.is_finite() {
        return T::from(m);
    }
    let s = z.iter().fold(T::zero(), |s, v| s + (*v - m).exp());
    s.ln() + m
}

/// `softplus(t) = log(1 + eᵗ)`, stable for any `t`: `max(t, 0) + log1p(e^{−|t|})`.
///
/// ```
/// use curvlab::diff::softplus;
/// assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(softplus(1000.0), 1000.0); // log(1 + e¹⁰⁰⁰) without overflow
/// ```
pub fn softplus<T: Scalar>(t: T) -> T {
    if t.re() > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// A function whose value and gradient are written once, generically over [`Scalar`].
///
/// Wrap it in [`Exact`] to get an [`Objective`] with exact HVPs and Hessians.
///
/// ```
/// use curvlab::diff::{DualGradient, Exact, Scalar};
/// use curvlab::Objective;
/// /// f(x) = x0^2 x1 + x1^3
/// struct F;
/// impl DualGradient for F {
///     fn dim(&self) -> usize { 2 }
///     fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T {
///         g[0] = x[0] * x[1] * 2.0;
///         g[1] = x[0] * x[0] + x[1] * x[1] * 3.0;
///         x[0] * x[0] * x[1] + x[1].powi(3)
///     }
/// }
/// let f = Exact(F);
/// let mut hv = [0.0; 2];
/// f.hvp(&[1.0, 2.0], &[1.0, 0.0], &mut hv).unwrap();
/// assert_eq!(hv, [4.0, 2.0]); // first column of [[2 x1, 2 x0], [2 x0, 6 x1]]
/// ```
pub trait DualGradient: Send + Sync {
    /// The number of variables.
    fn dim(&self) -> usize;

    /// Writes `∇f(x)` into `g` (same length as `x`) and returns `f(x)`.
    fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T;

    /// `f(x)` alone; the default evaluates the gradient too (override for speed).
    fn value(&self, x: &[f64]) -> f64 {
        let mut g = vec![0.0; x.len()];
        self.value_gradient(x, &mut g)
    }
}

/// Writes `∇²f(x) v` into `out` by evaluating the generic gradient at `x + εv`.
///
/// ```
/// use curvlab::diff::dual_hvp;
/// use curvlab::problems::Rosenbrock;
/// let mut hv = [0.0; 2];
/// dual_hvp(&Rosenbrock::new(2).unwrap(), &[1.0, 1.0], &[0.0, 1.0], &mut hv).unwrap();
/// assert_eq!(hv, [-400.0, 200.0]);
/// ```
pub fn dual_hvp<P: DualGradient + ?Sized>(
    p: &P,
    x: &[f64],
    v: &[f64],
    out: &mut [f64],
) -> Result<()> {
    let n = p.dim();
    check_len("x", n, x.len())?;
    check_len("v", n, v.len())?;
    check_len("hvp buffer", n, out.len())?;
    // Scratch buffers are reused per thread: at n = 10⁶ two fresh 16 MB allocations per call
    // (and their page faults) cost more than the dual arithmetic itself.
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => hvp_into(p, x, v, out, &mut bufs),
        // Re-entered from inside a gradient (a nested HVP): fall back to fresh buffers.
        Err(_) => hvp_into(p, x, v, out, &mut (Vec::new(), Vec::new())),
    });
    Ok(())
}

type DualBuffers = (Vec<Dual64>, Vec<Dual64>);

thread_local! {
    static SCRATCH: std::cell::RefCell<DualBuffers> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

fn hvp_into<P: DualGradient + ?Sized>(
    p: &P,
    x: &[f64],
    v: &[f64],
    out: &mut [f64],
    bufs: &mut DualBuffers,
) {
    let (xd, gd) = bufs;
    xd.clear();
    xd.extend(x.iter().zip(v).map(|(&a, &b)| Dual64::new(a, b)));
    gd.clear();
    gd.resize(x.len(), Dual64::from(0.0));
    p.value_gradient(xd, gd);
    for (o, d) in out.iter_mut().zip(gd.iter()) {
        *o = d.eps;
    }
    // Do not keep more than ~64 MB per thread alive between calls.
    if xd.capacity() > 1 << 22 {
        *xd = Vec::new();
        *gd = Vec::new();
    }
}

/// Makes an [`Objective`] out of a [`DualGradient`]: gradient in `f64`, HVP in `Dual64`, the dense
/// Hessian from `n` HVPs.
///
/// ```
/// use curvlab::diff::Exact;
/// use curvlab::Objective;
/// use curvlab::problems::Rosenbrock;
/// let f = Exact(Rosenbrock::new(2).unwrap());
/// assert_eq!(f.value(&[1.0, 1.0]).unwrap(), 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Exact<P>(pub P);

impl<P: DualGradient> Objective for Exact<P> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64> {
        check_len("x", self.0.dim(), x.len())?;
        Ok(self.0.value(x))
    }
    fn gradient(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
        check_len("x", self.0.dim(), x.len())?;
        check_len("gradient buffer", self.0.dim(), g.len())?;
        Ok(self.0.value_gradient(x, g))
    }
    fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        dual_hvp(&self.0, x, v, out)
    }
    fn hessian(&self, x: &[f64]) -> Result<Mat<f64>> {
        crate::objective::assemble_hessian(self, x)
    }
}

/// Implements [`Objective`] for a type that implements [`DualGradient`], with exact HVPs
/// (and, optionally, forwarding `as_gauss_newton` / `as_finite_sum` to `self`).
///
/// ```
/// use curvlab::diff::{DualGradient, Scalar};
/// struct Sq;
/// impl DualGradient for Sq {
///     fn dim(&self) -> usize { 1 }
///     fn value_gradient<T: Scalar>(&self, x: &[T], g: &mut [T]) -> T { g[0] = x[0] * 2.0; x[0] * x[0] }
/// }
/// curvlab::dual_objective!(Sq);
/// use curvlab::Objective;
/// assert_eq!(Sq.hessian(&[0.3]).unwrap()[(0, 0)], 2.0);
/// ```
#[macro_export]
macro_rules! dual_objective {
    ($t:ty $(, $extra:ident)*) => {
        impl $crate::Objective for $t {
            fn dim(&self) -> usize {
                <$t as $crate::diff::DualGradient>::dim(self)
            }
            fn value(&self, x: &[f64]) -> $crate::Result<f64> {
                $crate::error::check_len("x", <$t as $crate::diff::DualGradient>::dim(self), x.len())?;
                Ok(<$t as $crate::diff::DualGradient>::value(self, x))
            }
            fn gradient(&self, x: &[f64], g: &mut [f64]) -> $crate::Result<f64> {
                let n = <$t as $crate::diff::DualGradient>::dim(self);
                $crate::error::check_len("x", n, x.len())?;
                $crate::error::check_len("gradient buffer", n, g.len())?;
                Ok(<$t as $crate::diff::DualGradient>::value_gradient(self, x, g))
            }
            fn hvp(&self, x: &[f64], v: &[f64], out: &mut [f64]) -> $crate::Result<()> {
                $crate::diff::dual_hvp(self, x, v, out)
            }
            $( $crate::dual_objective!(@extra $extra); )*
        }
    };
    (@extra gauss_newton) => {
        fn as_gauss_newton(&self) -> Option<&dyn $crate::objective::GaussNewton> { Some(self) }
    };
    (@extra finite_sum) => {
        fn as_finite_sum(&self) -> Option<&dyn $crate::objective::FiniteSum> { Some(self) }
    };
}

// Keep the trait imports used (they appear in the macro's paths only).
#[allow(dead_code)]
fn _assert_traits(_: &dyn GaussNewton, _: &dyn FiniteSum) {}
