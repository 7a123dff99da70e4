//! Outliers of a Hessian (or Gauss–Newton) spectrum: the few large eigenvalues separated from a
//! bulk near zero that Sagun, Evci, Güney, Dauphin & Bottou ("Empirical analysis of the Hessian
//! of over-parametrized neural networks", 2017) observed at the end of training, and that Papyan
//! ("Measurements of three-level hierarchical structure in the outliers in the spectrum of
//! deepnet Hessians", ICML 2019; "Traces of class/cross-class structure pervade deep learning
//! spectra", JMLR 2020) traced to the class structure: about `C` outliers for `C` classes.
//!
//! The count is made from two measurements of the operator:
//!
//! 1. the top `k` Ritz values `θ₁ ≥ … ≥ θ_k` by the default Krylov eigensolver of
//!    [`Lanczos::new`] ([`crate::curvature::lanczos`](mod@crate::curvature::lanczos), whatever
//!    [`crate::curvature::BlockSize`] it defaults to), its multiplicity check off: in floating
//!    point the restarted solver picks up the further copies of a repeated outlier anyway
//!    (measured: a triple eigenvalue 20 above a bulk in [0, 1), n = 80 … 1000, top 4 … 20,
//!    all three copies found in every case, at 29–69 % of the applications the check costs);
//!    the candidate gap is `(θ_{c+1}, θ_c)` for the `c` that
//!    maximizes the relative gap `r_c = (θ_c − θ_{c+1}) / (θ_c − t_lo)`, `t_lo` the bottom of
//!    the spectrum (the smallest SLQ node), so that a gap counts against everything below it
//!    and spacings among the outliers themselves lose to the gap above the bulk;
//! 2. the spectral density by stochastic Lanczos quadrature ([`crate::curvature::slq`](mod@crate::curvature::slq)): the
//!    gap is *confirmed empty* when the SLQ estimate of the number of eigenvalues inside it,
//!    `n · Σ { τⱼ : θⱼ in the gap shrunk by 5 % at each end }`, is below one half, and
//!    `r_c ≥ min_gap`.
//!
//! The count is then `c`: the Ritz values beyond the gap. It is 0 when no gap is confirmed;
//! `saturated` says the gap fell at `c = k − 1` (ask for a larger `k`).

use crate::curvature::lanczos::{Lanczos, Which};
use crate::curvature::slq::Slq;
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;

/// Settings of [`outliers`].
///
/// ```
/// let s = curvlab::curvature::outliers::OutlierSettings::default();
/// assert_eq!((s.top, s.probes, s.steps), (20, 5, 60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutlierSettings {
    /// Ritz values wanted from the top (`k ≥ 3`; more than the expected count).
    pub top: usize,
    /// SLQ probes (≥ 1).
    pub probes: usize,
    /// SLQ Lanczos steps per probe (≥ 1).
    pub steps: usize,
    /// The smallest relative gap `r_c` that counts (default 0.2).
    pub min_gap: f64,
    /// Seed of the Lanczos start and the SLQ probes.
    pub seed: u64,
}

impl Default for OutlierSettings {
    fn default() -> Self {
        OutlierSettings {
            top: 20,
            probes: 5,
            steps: 60,
            min_gap: 0.2,
            seed: 0,
        }
    }
}

/// What [`outliers`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outliers {
    /// Eigenvalues beyond the confirmed gap (0 when none is confirmed).
    pub count: usize,
    /// The candidate count `c` (the Ritz values above the largest relative gap).
    pub candidate: usize,
    /// Whether the candidate gap passed both tests (relative size and empty density).
    pub confirmed: bool,
    /// The gap `(θ_{c+1}, θ_c)`: the bulk edge and the smallest outlier.
    pub gap: (f64, f64),
    /// Its relative size `r_c`.
    pub gap_ratio: f64,
    /// SLQ estimate of the number of eigenvalues inside the gap.
    pub gap_count: f64,
    /// SLQ estimate of the number of eigenvalues above the gap.
    pub above_count: f64,
    /// The top Ritz values, descending.
    pub ritz: Vec<f64>,
    /// Whether every Ritz value converged.
    pub ritz_converged: bool,
    /// True when the gap fell at the last Ritz value (`c = k − 1`): increase `top`.
    pub saturated: bool,
    /// SLQ quadrature nodes (all probes).
    pub nodes: Vec<f64>,
    /// Their weights (summing to 1).
    pub weights: Vec<f64>,
    /// The operator's dimension.
    pub n: usize,
    /// Operator applications (Lanczos and SLQ).
    pub matvecs: usize,
}

/// `n ·` the SLQ mass of the open interval `(lo, hi)`.
fn count_in(nodes: &[f64], weights: &[f64], n: usize, lo: f64, hi: f64) -> f64 {
    let m: f64 = nodes
        .iter()
        .zip(weights)
        .filter(|(t, _)| **t > lo && **t < hi)
        .map(|(_, w)| w)
        .sum();
    n as f64 * m + 0.0 // an empty sum is −0.0
}

/// The `c` (1-based) of the largest relative gap `(θ_c − θ_{c+1}) / (θ_c − t_lo)` and its ratio.
fn largest_gap(ritz: &[f64], t_lo: f64) -> (usize, f64) {
    let mut best = (0, 0.0);
    for c in 1..ritz.len() {
        let span = ritz[c - 1] - t_lo;
        if span <= 0.0 {
            continue;
        }
        let r = (ritz[c - 1] - ritz[c]) / span;
        if r > best.1 {
            best = (c, r);
        }
    }
    best
}

/// Counts the outliers of the symmetric operator `op` (module docs).
///
/// ```
/// use curvlab::curvature::outliers::{outliers, OutlierSettings};
/// // Bulk: 100 eigenvalues in [0, 1]; outliers: 8 and 20.
/// let a = faer::Mat::<f64>::from_fn(102, 102, |i, j| {
///     if i != j { 0.0 } else if i == 0 { 20.0 } else if i == 1 { 8.0 } else { (i - 2) as f64 / 99.0 }
/// });
/// let o = outliers(&a, &OutlierSettings::default()).unwrap();
/// assert_eq!(o.count, 2);
/// assert!((o.gap.0 - 1.0).abs() < 1e-8 && (o.gap.1 - 8.0).abs() < 1e-8);
/// ```
pub fn outliers<A: LinearOperator + ?Sized>(op: &A, s: &OutlierSettings) -> Result<Outliers> {
    let n = op.dim();
    if s.top < 3 || s.top >= n {
        return Err(Error::invalid(
            "top",
            s.top,
            &format!("must be in 3..{n} (below the dimension)"),
        ));
    }
    if !(s.min_gap > 0.0 && s.min_gap < 1.0) {
        return Err(Error::invalid("min_gap", s.min_gap, "must be in (0, 1)"));
    }
    let lz = Lanczos::new(s.top, Which::Largest)?
        .with_tol(1e-8)?
        .with_seed(s.seed)?
        .with_multiplicity_check(false)?
        .run(op)?;
    let ritz: Vec<f64> = lz.largest.iter().map(|p| p.value).collect();
    let d = Slq::new()
        .with_probes(s.probes)?
        .with_steps(s.steps)?
        .with_grid_points(2)?
        .with_seed(s.seed)?
        .run(op)?;
    let t_lo = d
        .nodes
        .iter()
        .chain(&ritz)
        .copied()
        .fold(f64::INFINITY, f64::min);
    let (c, ratio) = largest_gap(&ritz, t_lo);
    let (gap, gap_count, above_count) = if c == 0 {
        ((t_lo, t_lo), 0.0, 0.0)
    } else {
        let (lo, hi) = (ritz[c], ritz[c - 1]);
        let shrink = 0.05 * (hi - lo);
        let inside = count_in(&d.nodes, &d.weights, n, lo + shrink, hi - shrink);
        let above = count_in(&d.nodes, &d.weights, n, lo + shrink, f64::INFINITY);
        ((lo, hi), inside, above)
    };
    let confirmed = c > 0 && ratio >= s.min_gap && gap_count < 0.5;
    Ok(Outliers {
        count: if confirmed { c } else { 0 },
        candidate: c,
        confirmed,
        gap,
        gap_ratio: ratio,
        gap_count,
        above_count,
        ritz,
        ritz_converged: lz.converged,
        saturated: c + 1 == s.top,
        nodes: d.nodes,
        weights: d.weights,
        n,
        matvecs: lz.applications + d.matvecs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_gap_means_no_outliers() {
        // Evenly spaced eigenvalues 1..=200: the largest relative gap is 1/199 < 0.2.
        let a =
            faer::Mat::<f64>::from_fn(200, 200, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
        let o = outliers(&a, &OutlierSettings::default()).unwrap();
        assert_eq!((o.count, o.confirmed), (0, false));
        assert!(o.gap_ratio < 0.01, "{}", o.gap_ratio);
    }

    #[test]
    fn bad_settings_are_errors() {
        let a = faer::Mat::<f64>::identity(10, 10);
        let s = OutlierSettings::default(); // top = 20 ≥ n = 10
        assert!(outliers(&a, &s).is_err());
        let s = OutlierSettings {
            top: 5,
            min_gap: 1.5,
            ..Default::default()
        };
        assert!(outliers(&a, &s).is_err());
    }
}
