//! Verdicts on runs: every run of a study is classified as **solved** (its stopping rule met at
//! `f − f* ≤ tol_f·max(1, |f*|)`), **stationary elsewhere** — a **local minimum** or a **saddle**
//! by the smallest Hessian eigenvalue at its end point — or **failed**; methods are then ranked
//! over seeds by success rate first, then by the median cost over *all* seeds (a failed seed
//! counts as +∞), with the spread over the successful seeds shown beside it.
//!
//! This is the benchmarking discipline of Moré, Garbow & Hillstrom (1981) and Dolan & Moré (2002):
//! a solver is credited only with the problems it solves, and a run that stops at a stationary
//! point with `f` far above the known optimum is not a success, however small its gradient.
//! The second-order test for a local minimum (`λ_min(∇²f(x_end)) ≥ −tol_λ`) is Nocedal & Wright
//! (2006), Theorem 2.3/2.4.
//!
//! Tolerances ([`Tolerances::default`]): `tol_f = 1e-5` relative — the published MGH optimal
//! values carry 6 significant digits (e.g. `f* = 124.362` for Box 3-D, whose true minimum is
//! 124.36218…), so a tighter test would fail exact solutions — and `tol_λ = 1e-6·max(1, |λ|_max)`.
//!
//! Without a known `f*`, a run that met its stopping rule with no negative curvature at its end
//! is **stationary (f* unknown)**: it counts as a success (the best any method can be credited
//! with there), and the summary says that it may be a non-global minimum.
//!
//! Time is only compared beyond the timer's noise ([`beyond_timer_noise`]): a difference counts
//! when it exceeds both 10 % of the faster time and 1 ms.

use super::outputs::RunRecord;

/// The tolerances of the verdicts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance on `f − f*`: solved when `f − f* ≤ f_rel·max(1, |f*|)`.
    pub f_rel: f64,
    /// Relative tolerance on negative curvature: a saddle when
    /// `λ_min < −lambda_rel·max(1, |λ|_max)`.
    pub lambda_rel: f64,
}

impl Default for Tolerances {
    /// `f_rel = 1e-5`, `lambda_rel = 1e-6`.
    ///
    /// ```
    /// let t = curvlab::study::verdict::Tolerances::default();
    /// assert_eq!((t.f_rel, t.lambda_rel), (1e-5, 1e-6));
    /// ```
    fn default() -> Self {
        Tolerances {
            f_rel: 1e-5,
            lambda_rel: 1e-6,
        }
    }
}

/// The class of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Stopping rule met and `f − f* ≤ tol_f·max(1, |f*|)`.
    Solved,
    /// `f*` unknown; stopping rule met with no negative curvature at the end (or curvature not
    /// recorded). Counted as a success.
    Stationary,
    /// Stopping rule met, `f` far above the known `f*`, no negative curvature: a non-global
    /// local minimum (or a flat plateau). Not a success.
    LocalMinimum,
    /// Stopping rule met with `f` far above `f*` and the end curvature not recorded. Not a
    /// success.
    StationaryElsewhere,
    /// Stopped at a point with negative curvature (gradient test met, or the method stopped on
    /// detecting the saddle). Not a success.
    Saddle,
    /// The study's training-loss target `[stop] f_target` was reached (termination `f_target`):
    /// a success whatever the curvature there, since the target, not stationarity, is the
    /// criterion ("trained to the same loss").
    TargetReached,
    /// Anything else: budget exhausted, line search or trust region failed, an error.
    Failed,
}

impl Verdict {
    /// Whether the verdict counts as a success in rankings and profiles.
    ///
    /// ```
    /// use curvlab::study::verdict::Verdict;
    /// assert!(Verdict::Solved.is_success() && Verdict::Stationary.is_success());
    /// assert!(Verdict::TargetReached.is_success());
    /// assert!(!Verdict::LocalMinimum.is_success() && !Verdict::Saddle.is_success());
    /// ```
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Verdict::Solved | Verdict::Stationary | Verdict::TargetReached
        )
    }

    /// A short label for tables: `solved`, `stationary (f* unknown)`, `local minimum`, ...
    ///
    /// ```
    /// assert_eq!(curvlab::study::verdict::Verdict::Saddle.label(), "saddle");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Solved => "solved",
            Verdict::Stationary => "stationary (f* unknown)",
            Verdict::LocalMinimum => "local minimum (f > f*)",
            Verdict::StationaryElsewhere => "stationary, f > f*",
            Verdict::Saddle => "saddle",
            Verdict::TargetReached => "target f reached",
            Verdict::Failed => "failed",
        }
    }
}

/// Whether `λ_min` (with `λ_max` for the scale) shows negative curvature beyond the tolerance.
fn negative_curvature(rec: &RunRecord, tol: &Tolerances) -> Option<bool> {
    let lmin = rec.lambda_min.filter(|v| v.is_finite())?;
    let scale = rec
        .sharpness
        .filter(|v| v.is_finite())
        .map_or(1.0, |l| l.abs().max(lmin.abs()).max(1.0));
    Some(lmin < -tol.lambda_rel * scale)
}

/// The verdict on one run.
///
/// ```
/// use curvlab::study::{outputs::RunRecord, verdict::{classify, Tolerances, Verdict}};
/// let mut r = RunRecord::errored("00000000000000ff", "s", "mgh", "newton", 0, 2, String::new());
/// r.termination = "grad_tol".into();
/// (r.converged, r.f, r.f_star, r.lambda_min, r.sharpness) = (true, Some(48.98), Some(0.0), Some(0.5), Some(9.0));
/// assert_eq!(classify(&r, &Tolerances::default()), Verdict::LocalMinimum);
/// r.f = Some(1e-12);
/// assert_eq!(classify(&r, &Tolerances::default()), Verdict::Solved);
/// // A run stopped by `[stop] f_target` reached its target, negative curvature or not.
/// (r.termination, r.f, r.lambda_min) = ("f_target".into(), Some(0.15), Some(-0.003));
/// assert_eq!(classify(&r, &Tolerances::default()), Verdict::TargetReached);
/// ```
pub fn classify(rec: &RunRecord, tol: &Tolerances) -> Verdict {
    let negative = negative_curvature(rec, tol);
    if !rec.converged {
        // A method that stops on detecting negative curvature (Newton-CG's "saddle: ...")
        // ended at a saddle; every other unconverged run failed.
        return if rec.termination.starts_with("saddle") {
            Verdict::Saddle
        } else {
            Verdict::Failed
        };
    }
    let Some(f) = rec.f.filter(|f| f.is_finite()) else {
        return Verdict::Failed;
    };
    if rec.termination == "f_target" {
        return Verdict::TargetReached;
    }
    if negative == Some(true) {
        return Verdict::Saddle;
    }
    match rec.f_star {
        Some(fs) if f - fs <= tol.f_rel * fs.abs().max(1.0) => Verdict::Solved,
        Some(_) if negative == Some(false) => Verdict::LocalMinimum,
        Some(_) => Verdict::StationaryElsewhere,
        None => Verdict::Stationary,
    }
}

/// The median of `v` (sorted internally; `+∞` entries allowed), `None` for no values.
///
/// ```
/// use curvlab::study::verdict::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
/// assert_eq!(median(&[1.0, 2.0, f64::INFINITY, f64::INFINITY]), Some(f64::INFINITY));
/// assert_eq!(median(&[]), None);
/// ```
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        0.5 * (s[m - 1] + s[m])
    })
}

/// A cost over the seeds of one method on one problem instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedCost {
    /// Median over all seeds, a failed seed counting as `+∞` (so `+∞` when half or more fail).
    pub median_all: f64,
    /// Median over the successful seeds only (`None` when none succeeded).
    pub median_success: Option<f64>,
    /// Smallest and largest value over the successful seeds.
    pub spread: Option<(f64, f64)>,
}

/// [`SeedCost`] of `value` over runs with their verdicts.
///
/// ```
/// use curvlab::study::verdict::{seed_cost, Verdict};
/// let v = [(Verdict::Solved, 10.0), (Verdict::Failed, 5.0), (Verdict::Failed, 7.0)];
/// let c = seed_cost(&v);
/// assert_eq!((c.median_all, c.median_success, c.spread), (f64::INFINITY, Some(10.0), Some((10.0, 10.0))));
/// ```
pub fn seed_cost(runs: &[(Verdict, f64)]) -> SeedCost {
    let all: Vec<f64> = runs
        .iter()
        .map(|&(v, c)| if v.is_success() { c } else { f64::INFINITY })
        .collect();
    let ok: Vec<f64> = runs
        .iter()
        .filter(|(v, _)| v.is_success())
        .map(|&(_, c)| c)
        .collect();
    let lo = ok.iter().copied().reduce(f64::min);
    let hi = ok.iter().copied().reduce(f64::max);
    SeedCost {
        median_all: median(&all).unwrap_or(f64::INFINITY),
        median_success: median(&ok),
        spread: lo.zip(hi),
    }
}

/// The ranking key of a method over seeds: success rate (higher first), then the median over
/// all seeds (lower first, `+∞` last), then the success-only median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankKey {
    /// Successful seeds / seeds.
    pub success_rate: f64,
    /// The cost statistics.
    pub cost: SeedCost,
}

/// Orders rank keys: the indices of `keys`, best first; methods with no success are left out.
///
/// ```
/// use curvlab::study::verdict::{rank, seed_cost, RankKey, Verdict::*};
/// // lbfgs: 1 of 3 seeds in 10 iterations; newton: 3 of 3 in 20.
/// let lbfgs = RankKey { success_rate: 1.0 / 3.0, cost: seed_cost(&[(Solved, 10.0), (Failed, 1.0), (Failed, 1.0)]) };
/// let newton = RankKey { success_rate: 1.0, cost: seed_cost(&[(Solved, 20.0), (Solved, 20.0), (Solved, 21.0)]) };
/// assert_eq!(rank(&[lbfgs, newton]), vec![1, 0]);
/// ```
pub fn rank(keys: &[RankKey]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len())
        .filter(|&i| keys[i].success_rate > 0.0)
        .collect();
    idx.sort_by(|&a, &b| {
        let (ka, kb) = (&keys[a], &keys[b]);
        kb.success_rate
            .total_cmp(&ka.success_rate)
            .then(ka.cost.median_all.total_cmp(&kb.cost.median_all))
            .then(
                ka.cost
                    .median_success
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&kb.cost.median_success.unwrap_or(f64::INFINITY)),
            )
    });
    idx
}

/// Relative part of the timer-noise threshold.
pub const TIME_NOISE_REL: f64 = 0.10;
/// Absolute part of the timer-noise threshold, in seconds.
pub const TIME_NOISE_ABS: f64 = 1e-3;

/// Whether `slower − faster` exceeds the timer's noise: more than 10 % of the faster time
/// *and* more than 1 ms.
///
/// ```
/// use curvlab::study::verdict::beyond_timer_noise;
/// assert!(!beyond_timer_noise(20e-6, 29e-6)); // 9 µs apart: noise
/// assert!(!beyond_timer_noise(1.0, 1.05));    // 5 %: noise
/// assert!(beyond_timer_noise(0.010, 0.020));
/// ```
pub fn beyond_timer_noise(faster: f64, slower: f64) -> bool {
    let d = slower - faster;
    d > TIME_NOISE_REL * faster.abs() && d > TIME_NOISE_ABS
}
