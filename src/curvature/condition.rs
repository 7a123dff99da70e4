//! The spectral condition number `κ(A) = max|λ| / min|λ|` of a symmetric operator (Golub & Van
//! Loan 2013, §2.6): the quantity that governs the rates of gradient descent (`(κ−1)/(κ+1)`),
//! heavy ball and CG (`(√κ−1)/(√κ+1)`); see [`crate::curvature::explain`](fn@crate::curvature::explain).

use crate::curvature::auto::{Algo, extremes};
use crate::curvature::lanczos::Which;
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;

/// `κ = max|λ| / min|λ|` (`∞` for a singular operator), dense or by Lanczos following the
/// [`Algo::Auto`] rule. By Lanczos (large `n`) the smallest `|λ|` is only reachable for a
/// definite operator (for an indefinite one it lies inside the spectrum): then an error says so.
///
/// ```
/// let a = faer::mat![[100.0, 0.0], [0.0, 1.0]];
/// assert!((curvlab::curvature::condition_number(&a).unwrap() - 100.0).abs() < 1e-10);
/// ```
pub fn condition_number<A: LinearOperator + ?Sized>(op: &A) -> Result<f64> {
    let e = extremes(op, 1, Which::Both, Algo::Auto, 1e-10, 0)?;
    e.condition_number.ok_or_else(|| {
        Error::Unsupported(
            "the operator is indefinite and too large for a dense spectrum: its smallest |λ| \
             lies inside the spectrum, out of reach of Lanczos on the extremes"
                .into(),
        )
    })
}
