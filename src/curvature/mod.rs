//! Curvature diagnostics of a symmetric operator (a Hessian, a Gauss–Newton matrix, a dense or
//! sparse matrix), all built on [`crate::linalg::LinearOperator`]:
//!
//! - [`spectrum`](fn@spectrum): the full eigendecomposition with faer (dense), with a symmetry check;
//! - [`lanczos`](fn@lanczos): the `k` extreme eigenvalues by thick-restart Lanczos (Lanczos 1950; Wu & Simon
//!   2000) with true residuals; [`power_iteration`] with deflation as the simple baseline;
//! - [`condition_number`], [`inertia`](fn@inertia) (Sylvester), [`negative_curvature`] (a certificate
//!   `dᵀAd < 0`);
//! - [`hutchinson_trace`], [`hutchinson_diagonal`] (Hutchinson 1989) and [`hutch_plus_plus`]
//!   (Meyer, Musco, Musco & Woodruff 2021);
//! - [`slq_density`]: the spectral density by stochastic Lanczos quadrature (Ubaru, Chen & Saad
//!   2017; Ghorbani, Krishnan & Xiao 2019);
//! - [`extremes`]: dense or Lanczos chosen by a stated rule ([`Algo::Auto`]);
//! - [`explain`](fn@explain): predicted iterations of gradient descent, heavy ball, Nesterov, CG and Newton
//!   from the spectrum (Polyak 1964; Nesterov 2004; Nocedal & Wright 2006; Goh 2017);
//! - [`eps_sharpness`](fn@eps_sharpness): Keskar et al. (2017)'s ε-sharpness by projected
//!   gradient ascent in the box; [`outliers`](fn@outliers): the outliers beyond a gap in the
//!   Hessian's density (Sagun et al. 2017; Papyan 2019, 2020);
//! - [`sharpness`](fn@sharpness) and [`trajectory`](fn@trajectory): the top eigenvalue and condition number of the Hessian
//!   along an optimization path.

pub mod auto;
pub mod block;
pub mod condition;
pub mod diagonal_probe;
pub mod eps_sharpness;
pub mod explain;
pub mod hutchinson;
pub mod inertia;
pub mod kfac;
pub mod lanczos;
pub mod layered;
pub mod operators;
pub mod outliers;
pub mod power;
pub mod sharpness;
pub mod slq;
pub mod spectrum;
pub mod trajectory;

pub use auto::{Algo, Extremes, extremes};
pub use condition::condition_number;
pub use eps_sharpness::{BoxAscent, EpsSharpness, eps_sharpness};
pub use explain::{
    CostModel, Count, MethodPrediction, Prediction, Setting, StoppingRule, explain, explain_for,
    explain_with,
};
pub use hutchinson::{
    DiagonalEstimate, TraceEstimate, hutch_plus_plus, hutchinson_diagonal, hutchinson_trace,
};
pub use inertia::{Inertia, NegativeCurvature, inertia, negative_curvature};
pub use lanczos::{BlockSize, Lanczos, LanczosResult, RitzPair, Which, lanczos};
pub use outliers::{OutlierSettings, Outliers, outliers};
pub use power::{PowerIteration, PowerResult, power_iteration};
pub use slq::{Density, Slq, slq_density};
pub use spectrum::{Spectrum, spectrum, spectrum_with_vectors, symmetric_dense};
pub use trajectory::{Sharpness, sharpness, trajectory};
