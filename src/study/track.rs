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
    let every_line = super::spec::line_of(text, every.span().start);
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
