//! `curvlab spectrum --diag P`: Hutchinson's estimate of the Hessian diagonal (Bekas,
//! Kokiopoulou & Saad 2007; the estimator AdaHessian and Sophia-H use, `curvature::hutchinson`)
//! with `P` Rademacher probes, set against the exact diagonal when `n` is small enough to form
//! it (`n ≤` [`EXACT_MAX_DIM`], from `n` unit-vector products,
//! [`crate::curvature::operators::exact_diagonal`]).

use crate::curvature::hutchinson_diagonal;
use crate::curvature::operators::exact_diagonal;
use crate::error::{Error, Result};
use crate::linalg::HessianOperator;
use crate::objective::Objective;

/// The largest `n` for which the exact diagonal is formed (`n` Hessian-vector products).
pub const EXACT_MAX_DIM: usize = 2000;

/// The estimated diagonal, its standard errors and, for small `n`, the exact one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DiagonalOutput {
    /// Rademacher probes (Hessian-vector products) used by the estimate.
    pub probes: usize,
    /// Hutchinson's estimate `mean(z ⊙ ∇²f z)`.
    pub estimate: Vec<f64>,
    /// Standard error of each estimated entry.
    pub std_error: Vec<f64>,
    /// The exact diagonal (when `n ≤ EXACT_MAX_DIM`).
    pub exact: Option<Vec<f64>>,
    /// `max_i |d̂_i − d_i| / max_i |d_i|` (when the exact diagonal is known).
    pub max_rel_error: Option<f64>,
    /// The largest `|d̂_i − d_i|` in units of entry `i`'s standard error (when known; entries
    /// with a zero standard error and no error are skipped).
    pub max_std_errors: Option<f64>,
}

/// Estimates the diagonal of `∇²f(x)` with `probes ≥ 2` probes (`seed`) and compares it with
/// the exact one for `n ≤` [`EXACT_MAX_DIM`].
///
/// ```
/// use curvlab::cli::spectrum_diag::diagonal;
/// let f = curvlab::problems::Ravine::seed(); // ½(100 w₁² + w₂²): diag(100, 1)
/// let d = diagonal(&f, &[1.0, 1.0], 4, 0).unwrap();
/// assert_eq!(d.estimate, vec![100.0, 1.0]); // exact for a diagonal Hessian
/// assert_eq!(d.max_rel_error, Some(0.0));
/// assert!(diagonal(&f, &[1.0, 1.0], 1, 0).is_err()); // at least 2 probes
/// ```
pub fn diagonal(
    obj: &dyn Objective,
    x: &[f64],
    probes: usize,
    seed: u64,
) -> Result<DiagonalOutput> {
    if probes < 2 {
        return Err(Error::invalid("diag", probes, "needs at least 2 probes"));
    }
    let op = HessianOperator::new(obj, x.to_vec())?;
    let est = hutchinson_diagonal(&op, probes, seed)?;
    let n = x.len();
    // n unit-vector products, never the n × n matrix.
    let exact = if n <= EXACT_MAX_DIM {
        Some(exact_diagonal(&op, EXACT_MAX_DIM)?)
    } else {
        None
    };
    let (max_rel_error, max_std_errors) = match &exact {
        Some(d) => {
            let scale = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = |i: usize| (est.diagonal[i] - d[i]).abs();
            let worst = (0..n).map(err).fold(0.0f64, f64::max);
            let in_se = (0..n)
                .filter(|&i| est.std_error[i] > 0.0)
                .map(|i| err(i) / est.std_error[i])
                .fold(0.0f64, f64::max);
            (
                Some(if scale > 0.0 { worst / scale } else { worst }),
                Some(in_se),
            )
        }
        None => (None, None),
    };
    Ok(DiagonalOutput {
        probes,
        estimate: est.diagonal,
        std_error: est.std_error,
        exact,
        max_rel_error,
        max_std_errors,
    })
}

/// The text lines `curvlab spectrum --diag` prints: the comparison and the first entries.
///
/// ```
/// use curvlab::cli::spectrum_diag::{diagonal, lines};
/// let d = diagonal(&curvlab::problems::Ravine::seed(), &[1.0, 1.0], 4, 0).unwrap();
/// assert!(lines(&d)[0].starts_with("diagonal (Hutchinson, 4 probes): max |d̂ − d| / max |d| = 0"));
/// ```
pub fn lines(d: &DiagonalOutput) -> Vec<String> {
    let mut out = Vec::new();
    match (d.max_rel_error, d.max_std_errors) {
        (Some(e), Some(s)) => out.push(format!(
            "diagonal (Hutchinson, {} probes): max |d̂ − d| / max |d| = {e:.3e}; largest error {s:.2} standard errors",
            d.probes
        )),
        _ => out.push(format!(
            "diagonal (Hutchinson, {} probes): n > {EXACT_MAX_DIM}, no exact diagonal to compare with",
            d.probes
        )),
    }
    out.push(format!(
        "{:>6} {:>14} {:>12} {:>14}",
        "i", "estimate", "± std err", "exact"
    ));
    for i in 0..d.estimate.len().min(10) {
        let exact = d
            .exact
            .as_ref()
            .map_or("—".to_string(), |e| format!("{:.6e}", e[i]));
        out.push(format!(
            "{:>6} {:>14.6e} {:>12.2e} {:>14}",
            i, d.estimate[i], d.std_error[i], exact
        ));
    }
    out
}
