//! The `[track]` table of a study file: curvature measured *along* every run, every `k` steps,
//! at a counted cost that is not charged to the run (Cohen et al. 2021, "Gradient descent on
//! neural networks typically occurs at the edge of stability"; Cohen et al. 2022, "Adaptive
//! gradient methods at the edge of stability"). The measurement is
//! [`crate::curvature::sharpness::SharpnessTracker`]; the hook is
//! [`crate::minimize::minimize_monitored`].
//!
//! ```toml
//! [track]
//! sharpness_every = 20       # λ_max(∇²f) every 20 steps (and at step 0); required
//! precond_sharpness = true   # also λ_max(P⁻¹∇²f) for Adam / RMSProp / AdaGrad (default false)
//! trace = false              # also the Hutch++ trace of ∇²f, 30 products (default false)
//! ```
//!
//! Outputs (contract): trace columns `sharpness`, `precond_sharpness`, `hessian_trace` and
//! `sharpness_hvp` (cumulative products), empty on the rows that were not measured; the
//! `sharpness_hvp` column of `runs.csv` (products over the whole run).

use crate::curvature::sharpness::TrackConfig;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// Hutch++ products per measurement when `trace = true`.
pub const TRACE_PRODUCTS: usize = 30;

/// The parsed `[track]` table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackSpec {
    /// `sharpness_every`: measure at steps `0, k, 2k, …`.
    pub sharpness_every: usize,
    /// `precond_sharpness`: also `λ_max(P⁻¹∇²f)` for diagonally preconditioned methods.
    pub precond_sharpness: bool,
    /// `trace`: also the Hutch++ trace.
    pub trace: bool,
    /// 1-based line of `[track]`.
    pub line: usize,
}

impl TrackSpec {
    /// The tracker configuration of a run with `seed` (start vectors and probes).
    ///
    /// ```
    /// use curvlab::study::track::TrackSpec;
    /// let t = TrackSpec { sharpness_every: 5, precond_sharpness: true, trace: true, line: 1 };
    /// let c = t.config(7);
    /// assert_eq!((c.every, c.precond, c.trace_products, c.seed), (5, true, 30, 7));
    /// ```
    pub fn config(&self, seed: u64) -> TrackConfig {
        TrackConfig {
            every: self.sharpness_every,
            precond: self.precond_sharpness,
            trace_products: if self.trace { TRACE_PRODUCTS } else { 0 },
            tol: 1e-6,
            max_products: 300,
            seed,
        }
    }
}

/// The `[track]` table as written (serde), before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrack {
    sharpness_every: Option<toml::Spanned<i64>>,
    #[serde(default)]
    precond_sharpness: bool,
    #[serde(default)]
    trace: bool,
}

/// Validates a `[track]` table found at `line` of `path`.
///
/// ```
/// use curvlab::study::StudySpec;
/// let base = "name='s'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let ok = format!("{base}[track]\nsharpness_every = 10\n");
/// let s = StudySpec::parse(std::path::Path::new("s.toml"), &ok).unwrap();
/// assert_eq!(s.track.unwrap().sharpness_every, 10);
/// let bad = format!("{base}[track]\nsharpness_every = 0\n");
/// let e = StudySpec::parse(std::path::Path::new("s.toml"), &bad).unwrap_err();
/// assert!(e.to_string().starts_with("s.toml:7:"), "{e}");
/// let unknown = format!("{base}[track]\nsharpness_evry = 10\n");
/// assert!(StudySpec::parse(std::path::Path::new("s.toml"), &unknown).is_err());
/// ```
pub fn validate(path: &Path, text: &str, line: usize, raw: RawTrack) -> Result<TrackSpec> {
    let err = |line: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let Some(every) = raw.sharpness_every else {
        return Err(err(
            line,
            "[track]: `sharpness_every` is required (measure every k steps, k >= 1)".into(),
        ));
    };
    let every_line = text.as_bytes()[..every.span().start.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let k = *every.get_ref();
    if k < 1 {
        return Err(err(
            every_line,
            format!("[track]: `sharpness_every` = {k} must be >= 1"),
        ));
    }
    Ok(TrackSpec {
        sharpness_every: usize::try_from(k).map_err(|_| {
            err(
                every_line,
                format!("[track]: `sharpness_every` = {k} is too large"),
            )
        })?,
        precond_sharpness: raw.precond_sharpness,
        trace: raw.trace,
        line,
    })
}

/// The stability threshold a run's tracked sharpness is compared with (Cohen et al. 2021, §1;
/// Cohen et al. 2022, §2): `2/η` for gradient descent on `λ_max(∇²f)`;
/// `(2 + 2β₁)/((1 − β₁)η)` for Adam (38/η at `β₁ = 0.9`) and `2/η` for RMSProp and AdaGrad on
/// the preconditioned sharpness `λ_max(P⁻¹∇²f)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The trace column it applies to (`sharpness` or `precond_sharpness`).
    pub column: &'static str,
    /// Its value.
    pub value: f64,
    /// How it is written (`2/η`, `38/η`, …).
    pub label: String,
}

/// The threshold of a run of `method` with the study's method parameters `params` (`lr` must be
/// given as a number; Adam's `beta1` defaults to 0.9); `None` for other methods.
///
/// ```
/// use curvlab::params::Value;
/// use curvlab::study::track::threshold;
/// let p = [("lr".to_string(), Value::Num(0.01))].into_iter().collect();
/// let t = threshold("adam", &p).unwrap();
/// assert_eq!((t.column, t.label.as_str()), ("precond_sharpness", "38/η"));
/// assert!((t.value - 3800.0).abs() < 1e-9);
/// assert_eq!(threshold("gd", &p).unwrap().value, 200.0);
/// assert!(threshold("newton", &p).is_none());
/// ```
pub fn threshold(
    method: &str,
    params: &std::collections::BTreeMap<String, crate::params::Value>,
) -> Option<Threshold> {
    let num = |k: &str| match params.get(k) {
        Some(crate::params::Value::Num(v)) => Some(*v),
        _ => None,
    };
    let lr = num("lr").filter(|v| *v > 0.0)?;
    let (column, c, label) = match method {
        "gd" => ("sharpness", 2.0, "2/η".to_string()),
        "rmsprop" | "adagrad" => ("precond_sharpness", 2.0, "2/η".to_string()),
        "adam" => {
            let b1 = num("beta1").unwrap_or(0.9);
            if !(0.0..1.0).contains(&b1) {
                return None;
            }
            let c = (2.0 + 2.0 * b1) / (1.0 - b1);
            (
                "precond_sharpness",
                c,
                format!("{}/η", (c * 1e9).round() / 1e9),
            )
        }
        _ => return None,
    };
    Some(Threshold {
        column,
        value: c / lr,
        label,
    })
}
