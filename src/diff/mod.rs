//! Exact derivatives.
//!
//! A problem writes its gradient once, generic over a [`Scalar`] (any `num_dual::DualNum` with
//! `f64` primitive, `f64` included): [`DualGradient`]. Evaluating that gradient at dual numbers
//! `x + εv` gives `∇f(x) + ε ∇²f(x) v`, so the Hessian-vector product is the ε-part: Pearlmutter's
//! R-operator (Pearlmutter 1994) computed in forward mode, exact to rounding. Dense Hessians are
//! assembled from `n` such products. Finite differences ([`fd`]) exist only as an explicit
//! fallback for gradient-only objectives and for [`check_derivatives`].

pub mod check;
pub mod dual;
pub mod fd;

pub use check::{DerivativeCheck, check_derivatives};
pub use dual::{DualGradient, Exact, Scalar, constant, dual_hvp, log_sum_exp, softplus};
pub use fd::FiniteDifferenceHvp;
