//! The `summary.md` section of a study with a `[track]` table: per run, the measured sharpness
//! plateau against the stability threshold — `2/η` for gradient descent (Cohen, Kaur, Li, Kolter
//! & Talwalkar, ICLR 2021, "Gradient descent on neural networks typically occurs at the edge of
//! stability"), `38/η` for Adam's preconditioned sharpness at `β₁ = 0.9` (Cohen et al. 2022,
//! "Adaptive gradient methods at the edge of stability") — whether the sharpness rose before
//! reaching it (progressive sharpening), the step from which it stayed in `[0.9, 1.2]` × the
//! threshold, and whether the loss kept falling non-monotonically. The reading itself is
//! [`edge_reading`].

use super::expand::Plan;
use super::format::fmt_g;
use super::outputs::{RunRecord, TraceTable, read_trace};
use super::track::threshold;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The section (empty when no run's trace has a `sharpness` column).
///
/// ```
/// use curvlab::study::{Plan, StudySpec, sharpness_summary::section};
/// let src = "name='s'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let plan = Plan::new(&StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap());
/// let d = tempfile::tempdir().unwrap();
/// assert!(section(&plan, &Default::default(), d.path()).is_empty());
/// ```
pub fn section(plan: &Plan, records: &BTreeMap<String, RunRecord>, out: &Path) -> String {
    let mut rows = String::new();
    let mut lines = String::new();
    for key in &plan.runs {
        let Some(rec) = records.get(&key.id) else {
            continue;
        };
        let Some(t) = read_trace(out, &key.id) else {
            continue;
        };
        if measured(&t, "sharpness").is_empty() {
            continue;
        }
        let label = format!(
            "{} on {} (seed {})",
            plan.methods[key.method].label(),
            plan.problems[key.problem].label(),
            key.seed
        );
        run_row(&mut rows, &mut lines, &label, rec, &t);
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Sharpness along the runs (edge of stability)\n\nMeasured by Lanczos every \
         `sharpness_every` steps (warm-started, products in `sharpness_hvp`, not charged to the \
         runs). Plateau: the median of the measurements over the second half of the steps. \
         Thresholds: 2/η for gradient descent on λ_max(∇²f) (Cohen et al. 2021); \
         (2 + 2β₁)/((1 − β₁)η) = 38/η for Adam on λ_max(P⁻¹∇²f) (Cohen et al. 2022).\n"
    );
    s.push_str(&lines);
    let _ = writeln!(
        s,
        "\n| run | measured | threshold | plateau / threshold | progressive sharpening | \
         in [{}, {}] × threshold from step | loss non-monotone |\n|---|---|---|---|---|---|---|",
        BAND.0, BAND.1
    );
    s.push_str(&rows);
    s.push('\n');
    s
}

/// One run: a sentence and a table row.
fn run_row(rows: &mut String, lines: &mut String, label: &str, rec: &RunRecord, t: &TraceTable) {
    let raw = measured(t, "sharpness");
    let raw_text = raw_path(&raw);
    let th = threshold(&rec.method, &rec.method_params);
    let reading = th
        .as_ref()
        .and_then(|th| edge_reading(t, th.column, th.value).map(|r| (th, r)));
    let Some((th, r)) = reading else {
        let _ = writeln!(lines, "- {label}: λ_max {raw_text}.");
        let _ = writeln!(rows, "| {label} | λ_max {raw_text} | — | — | — | — | — |");
        return;
    };
    let what = if th.column == "sharpness" {
        "sharpness"
    } else {
        "preconditioned sharpness"
    };
    let ratio = r.plateau / r.threshold;
    let _ = write!(
        lines,
        "- {label}: {what} plateau {} ({} = {}): {}",
        fmt_g(Some(r.plateau)),
        th.label,
        fmt_g(Some(r.threshold)),
        within(ratio)
    );
    if th.column != "sharpness" {
        let _ = write!(lines, "; raw λ_max {raw_text}");
    }
    let _ = writeln!(lines, ".");
    let _ = writeln!(
        rows,
        "| {label} | {what} {} | {} = {} | {:.3} | {} | {} | {} |",
        fmt_g(Some(r.plateau)),
        th.label,
        fmt_g(Some(r.threshold)),
        ratio,
        progressive(&r),
        r.settled_at
            .map_or("never".into(), |s| format!("{s} to {}", r.last_step)),
        nonmonotone(&r)
    );
}

/// `within 3 %` or `12 % above` / `below`.
fn within(ratio: f64) -> String {
    let pct = (ratio - 1.0) * 100.0;
    if pct.abs() < 10.0 {
        format!("within {:.0} %", pct.abs().max(1.0).ceil())
    } else if pct > 0.0 {
        format!("{pct:.0} % above")
    } else {
        format!("{:.0} % below", -pct)
    }
}

/// `first → peak (step) → last` of the raw sharpness.
fn raw_path(raw: &[(f64, f64)]) -> String {
    let (Some(first), Some(last)) = (raw.first(), raw.last()) else {
        return "not measured".into();
    };
    let peak = raw.iter().copied().fold(
        (0.0, f64::NEG_INFINITY),
        |a, p| if p.1 > a.1 { p } else { a },
    );
    format!(
        "{} (step {}) → peak {} (step {}) → {} (step {})",
        fmt_g(Some(first.1)),
        first.0,
        fmt_g(Some(peak.1)),
        peak.0,
        fmt_g(Some(last.1)),
        last.0
    )
}

/// Progressive sharpening: the measurement started below `0.9 ×` the threshold and reached it.
fn progressive(r: &EdgeReading) -> String {
    match r.reached_at {
        Some(k) if r.first < BAND.0 * r.threshold => format!(
            "yes: {} → {} at step {k} (peak {})",
            fmt_g(Some(r.first)),
            fmt_g(Some(r.threshold)),
            fmt_g(Some(r.peak))
        ),
        Some(_) => format!("no: started at {}", fmt_g(Some(r.first))),
        None => format!(
            "not reached (peak {} < {})",
            fmt_g(Some(r.peak)),
            fmt_g(Some(r.threshold))
        ),
    }
}

/// Loss non-monotone (after settling): yes/no with the count and the loss change.
fn nonmonotone(r: &EdgeReading) -> String {
    let (a, b) = r.loss_from_to;
    format!(
        "{} ({} increases; {} → {})",
        if r.loss_increases > 0 { "yes" } else { "no" },
        r.loss_increases,
        fmt_g(Some(a)),
        fmt_g(Some(b))
    )
}

/// The measured rows of one trace column: `(k, value)` where the cell is not empty.
///
/// ```
/// use curvlab::study::outputs::TraceTable;
/// let t = TraceTable { header: vec!["k".into(), "sharpness".into()],
///     rows: vec![vec![0.0, 2.0], vec![1.0, f64::NAN], vec![2.0, 3.0]] };
/// assert_eq!(curvlab::study::sharpness_summary::measured(&t, "sharpness"), vec![(0.0, 2.0), (2.0, 3.0)]);
/// ```
pub fn measured(t: &TraceTable, column: &str) -> Vec<(f64, f64)> {
    let (Some(k), Some(v)) = (t.column("k"), t.column(column)) else {
        return Vec::new();
    };
    k.into_iter()
        .zip(v)
        .filter(|(k, v)| k.is_finite() && v.is_finite())
        .collect()
}

/// What a tracked run shows against its threshold (the edge-of-stability reading).
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeReading {
    /// The threshold.
    pub threshold: f64,
    /// The median of the measurements over the second half of the run's steps.
    pub plateau: f64,
    /// The first measured value.
    pub first: f64,
    /// The largest measured value.
    pub peak: f64,
    /// The first step at which the measurement reached the threshold.
    pub reached_at: Option<f64>,
    /// The first step after `reached_at` from which every measurement lies in
    /// `[0.9, 1.2] × threshold` (the issue's band).
    pub settled_at: Option<f64>,
    /// The last measured step.
    pub last_step: f64,
    /// Increases of the loss between consecutive trace rows after `settled_at` (or over the
    /// whole run when it did not settle).
    pub loss_increases: usize,
    /// The loss at `settled_at` (or at the start) and at the end.
    pub loss_from_to: (f64, f64),
}

/// The band of [`EdgeReading::settled_at`].
pub const BAND: (f64, f64) = (0.9, 1.2);

/// Reads a run's trace against a threshold; `None` without measurements.
///
/// ```
/// use curvlab::study::outputs::TraceTable;
/// use curvlab::study::sharpness_summary::edge_reading;
/// let rows = [(0.0, 1.0, 2.0), (1.0, 0.8, 5.0), (2.0, 0.9, 4.2), (3.0, 0.7, 3.9)];
/// let t = TraceTable { header: vec!["k".into(), "f".into(), "sharpness".into()],
///     rows: rows.iter().map(|r| vec![r.0, r.1, r.2]).collect() };
/// let e = edge_reading(&t, "sharpness", 4.0).unwrap();
/// assert_eq!((e.reached_at, e.settled_at, e.loss_increases), (Some(1.0), Some(2.0), 0));
/// assert_eq!((e.first, e.peak, e.loss_from_to), (2.0, 5.0, (0.9, 0.7)));
/// ```
pub fn edge_reading(t: &TraceTable, column: &str, threshold: f64) -> Option<EdgeReading> {
    let pts = measured(t, column);
    let (&(_, first), &(last_step, _)) = (pts.first()?, pts.last()?);
    let peak = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let mut late: Vec<f64> = pts
        .iter()
        .filter(|p| p.0 >= last_step / 2.0)
        .map(|p| p.1)
        .collect();
    late.sort_by(f64::total_cmp);
    let plateau = late[late.len() / 2];
    let reached = pts.iter().position(|p| p.1 >= threshold);
    let inside = |v: f64| v >= BAND.0 * threshold && v <= BAND.1 * threshold;
    let settled = reached.and_then(|r| {
        let last_out = pts.iter().rposition(|p| !inside(p.1));
        match last_out {
            None => Some(r),
            Some(o) if o + 1 < pts.len() => Some((o + 1).max(r)),
            Some(_) => None,
        }
    });
    let from = settled.map_or(0.0, |s| pts[s].0);
    let (k, f) = (t.column("k")?, t.column("f")?);
    let losses: Vec<f64> = k
        .iter()
        .zip(&f)
        .filter(|(k, f)| **k >= from && f.is_finite())
        .map(|(_, f)| *f)
        .collect();
    let loss_increases = losses.windows(2).filter(|w| w[1] > w[0]).count();
    Some(EdgeReading {
        threshold,
        plateau,
        first,
        peak,
        reached_at: reached.map(|r| pts[r].0),
        settled_at: settled.map(|s| pts[s].0),
        last_step,
        loss_increases,
        loss_from_to: (*losses.first()?, *losses.last()?),
    })
}
