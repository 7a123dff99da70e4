//! Forward-mode HVPs from a gradient written generically over a dual-number scalar
//! (Pearlmutter 1994, "Fast exact multiplication by the Hessian", the R-operator; here computed
//! with `num_dual::Dual64` instead of a second reverse sweep).

use crate::error::{Result, check_len};
use crate::objective::{FiniteSum, GaussNewton, Objective};
use faer::Mat;
use num_dual::{Dual64, DualNum};

/// A real scalar or a dual number over `f64`: what generic gradients are written in.
///
/// ```
/// use curvlab::diff::Scalar;
/// fn square<T: Scalar>(x: T) -> T { x * x }
/// assert_eq!(square(3.0_f64), 9.0);
/// let d = square(num_dual::Dual64::new(3.0, 1.0));
/// assert_eq!((d.re, d.eps), (9.0, 6.0));
/// ```
pub trait Scalar: DualNum<Primitive = f64> + Copy + Send + Sync {}
impl<T: DualNum<Primitive = f64> + Copy + Send + Sync> Scalar for T {}

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
