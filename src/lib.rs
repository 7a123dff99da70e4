//! # curvlab
//!
//! A toolkit for Hessian-aware optimization research: why ill-conditioned ("pathological")
//! curvature makes gradient descent zig-zag across a ravine, and how each remedy — exact Newton,
//! Newton-CG and trust regions, Hessian-free optimization (Martens 2010), L-BFGS, momentum,
//! RMSProp, Adam and their relatives — fares on the same problem.
//!
//! - [`Objective`]: values, gradients, exact Hessian-vector products ([`diff`]) and Hessians;
//!   a problem library in [`problems`].
//! - [`methods::Method`]: one interface for every method; [`minimize`](fn@minimize) drives any of them and
//!   records the same [`Report`] and trace.
//! - [`linalg`]: linear operators shared by methods and diagnostics.
//!
//! ```
//! use curvlab::prelude::*;
//! let f = Rosenbrock::new(2).unwrap();
//! let c = curvlab::diff::check_derivatives(&f, &[-1.2, 1.0], 0).unwrap();
//! assert!(c.hvp_rel_error < 1e-6);
//! ```

#![forbid(unsafe_code)]

pub mod argmin;
pub mod cli;
pub mod curvature;
pub mod diff;
pub mod error;
pub mod interop;
pub mod layout;
pub mod linalg;
pub mod memory;
pub mod methods;
pub mod minimize;
pub mod objective;
pub mod objective_fns;
pub mod params;
pub mod problems;
pub mod study;

pub use error::{Error, Result};
/// The faer version curvlab's dense linear algebra uses (Hessians are `faer::Mat<f64>`), so
/// callers match it without a second dependency line.
pub use faer;
pub use minimize::{Report, Stop, Termination, TraceRow, minimize};
/// The nalgebra version of curvlab's conversions ([`interop`]) and argmin plugin.
pub use nalgebra;
/// The num-dual version of curvlab's exact HVPs ([`diff::Scalar`], [`objective::from_generic`]).
pub use num_dual;
pub use objective::{Counted, Counts, FiniteSum, GaussNewton, Objective};

/// The names most programs need.
pub mod prelude {
    pub use crate::diff::{DualGradient, Exact, Scalar, check_derivatives, log_sum_exp};
    pub use crate::linalg::LinearOperator;
    pub use crate::methods::{Iterate, Method, StepInfo};
    pub use crate::problems::{Quadratic, Ravine, Rosenbrock};
    pub use crate::{Error, Objective, Report, Result, Stop, minimize};
    /// The methods of dual numbers (`.re()`, `.exp()`, `.powi()`, …) on concrete types.
    pub use num_dual::{DualNum as _, DualStruct as _};
}

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The code blocks of docs/own_model.md ("Bring your own model in five lines"), compiled and run
/// as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/own_model.md")]
pub struct OwnModelDoctests;
