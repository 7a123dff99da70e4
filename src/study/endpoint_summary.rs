//! The `[endpoint]` part of the study report: `endpoint.csv` ([`write_csv`]) and
//! a `summary.md` section with, per problem instance and method instance, the median and the
//! min–max over seeds of every end-point measure, followed by the comparisons the literature
//! makes: small- against large-batch runs of one method (Keskar et al., ICLR 2017: large
//! batches reach sharper minima — larger λ_max and ε-sharpness — with a larger generalization
//! gap), and the outlier count against the number of classes (Sagun et al. 2017; Papyan 2019,
//! 2020: about one outlier per class).

use super::endpoint::EndpointRecord;
use super::expand::{Instance, Plan};
use super::format::{fmt_g, md_escape};
use super::outputs::{RunRecord, write_atomic};
use super::spec::StudySpec;
use super::verdict::median;
use crate::curvature::outliers::Outliers;
use crate::error::{Error, Result};
use crate::params::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// Median and range of some values: `median [min–max]`, `—` for none.
///
/// ```
/// use curvlab::study::endpoint_summary::spread;
/// assert_eq!(spread(&[3.0, 1.0, 2.0]), "2 [1–3]");
/// assert_eq!(spread(&[]), "—");
/// ```
pub fn spread(v: &[f64]) -> String {
    let Some(m) = median(v) else {
        return "—".into();
    };
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.len() == 1 {
        return fmt_g(Some(m));
    }
    format!(
        "{} [{}–{}]",
        fmt_g(Some(m)),
        fmt_g(Some(lo)),
        fmt_g(Some(hi))
    )
}

/// The end-point records of one method instance on one problem instance, over seeds.
fn group<'a>(
    plan: &Plan,
    records: &'a BTreeMap<String, RunRecord>,
    pi: usize,
    mi: usize,
) -> Vec<(&'a RunRecord, &'a EndpointRecord)> {
    plan.runs
        .iter()
        .filter(|k| k.problem == pi && k.method == mi)
        .filter_map(|k| records.get(&k.id))
        .filter_map(|r| r.endpoint.as_ref().map(|e| (r, e)))
        .collect()
}

type Getter = fn(&EndpointRecord) -> Option<f64>;

/// The table's measure columns: header and getter.
const COLUMNS: [(&str, Getter); 10] = [
    ("f", |e| e.f),
    ("λ_max", |e| e.lambda_max),
    ("trace (Hutch++)", |e| e.trace),
    ("ε-sharpness (%)", |e| e.eps_sharpness),
    ("train acc.", |e| e.train_accuracy),
    ("test acc.", |e| e.test_accuracy),
    ("gap", |e| {
        e.train_accuracy.zip(e.test_accuracy).map(|(a, b)| a - b)
    }),
    ("outliers H", |e| {
        e.outliers_hessian.as_ref().map(|o| o.count as f64)
    }),
    ("outliers GGN", |e| {
        e.outliers_ggn.as_ref().map(|o| o.count as f64)
    }),
    ("HVPs + GGN", |e| Some((e.hvp_evals + e.ggn_evals) as f64)),
];

fn values(g: &[(&RunRecord, &EndpointRecord)], f: Getter) -> Vec<f64> {
    g.iter()
        .filter_map(|(_, e)| f(e))
        .filter(|v| v.is_finite())
        .collect()
}

/// The table of one problem instance; columns that no run measured are left out.
fn table(s: &mut String, plan: &Plan, records: &BTreeMap<String, RunRecord>, pi: usize) {
    let groups: Vec<(&Instance, Vec<_>)> = (0..plan.methods.len())
        .map(|mi| (&plan.methods[mi], group(plan, records, pi, mi)))
        .filter(|(_, g)| !g.is_empty())
        .collect();
    let used: Vec<usize> = (0..COLUMNS.len())
        .filter(|&c| {
            groups
                .iter()
                .any(|(_, g)| !values(g, COLUMNS[c].1).is_empty())
        })
        .collect();
    let _ = write!(s, "| method | runs (converged) |");
    for &c in &used {
        let _ = write!(s, " {} |", COLUMNS[c].0);
    }
    let _ = write!(s, "\n| --- | --- |");
    for _ in &used {
        let _ = write!(s, " --- |");
    }
    let _ = writeln!(s);
    for (m, g) in &groups {
        let conv = g.iter().filter(|(r, _)| r.converged).count();
        let _ = write!(s, "| {} | {} ({conv}) |", md_escape(&m.label()), g.len());
        for &c in &used {
            let _ = write!(s, " {} |", spread(&values(g, COLUMNS[c].1)));
        }
        let _ = writeln!(s);
    }
    let errors: Vec<&String> = groups
        .iter()
        .flat_map(|(_, g)| g.iter().filter_map(|(_, e)| e.error.as_ref()))
        .collect();
    if let Some(e) = errors.first() {
        let _ = writeln!(
            s,
            "\n{} run(s) had a failed measure, e.g.: {}",
            errors.len(),
            md_escape(e)
        );
    }
    let _ = writeln!(s);
}

/// The batch size of a method instance (`0` or absent: the full batch).
fn batch(m: &Instance) -> Option<f64> {
    match m.params.get("batch_size") {
        Some(Value::Num(b)) if *b > 0.0 => Some(*b),
        _ => None,
    }
}

/// Keskar et al.'s comparison: per method kind with several batch sizes, the smallest batch
/// against the largest (full batch counts as the largest).
fn batch_comparison(s: &mut String, plan: &Plan, records: &BTreeMap<String, RunRecord>, pi: usize) {
    let mut kinds: Vec<&str> = plan.methods.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        let ms: Vec<usize> = (0..plan.methods.len())
            .filter(|&i| plan.methods[i].kind == kind)
            .collect();
        let key = |i: &usize| batch(&plan.methods[*i]).unwrap_or(f64::INFINITY);
        let (Some(&sb), Some(&lb)) = (
            ms.iter().min_by(|a, b| key(a).total_cmp(&key(b))),
            ms.iter().max_by(|a, b| key(a).total_cmp(&key(b))),
        ) else {
            continue;
        };
        if key(&sb) == key(&lb) {
            continue;
        }
        let (gs, gl) = (group(plan, records, pi, sb), group(plan, records, pi, lb));
        let _ = write!(
            s,
            "- `{kind}`, small batch ({}) vs large batch ({}):",
            md_escape(&plan.methods[sb].label()),
            md_escape(&plan.methods[lb].label())
        );
        for (c, name) in [
            (1, "λ_max"),
            (2, "trace"),
            (3, "ε-sharpness"),
            (6, "train−test gap"),
        ] {
            let (a, b) = (values(&gs, COLUMNS[c].1), values(&gl, COLUMNS[c].1));
            if let (Some(ma), Some(mb)) = (median(&a), median(&b)) {
                let _ = write!(
                    s,
                    " {name} {} vs {} ({});",
                    fmt_g(Some(ma)),
                    fmt_g(Some(mb)),
                    keskar_verdict(&a, &b)
                );
            }
        }
        let _ = writeln!(s);
    }
}

/// Keskar et al.'s claim (larger for the large batch) read on the seeds: a difference counts only
/// when the min–max ranges of the small-batch values `sb` and large-batch values `lb` do not
/// overlap.
///
/// ```
/// use curvlab::study::endpoint_summary::keskar_verdict;
/// assert_eq!(keskar_verdict(&[1.0, 1.2], &[2.0, 2.5]), "larger for LB in every seed, as Keskar et al.");
/// assert_eq!(keskar_verdict(&[3.0, 4.0], &[2.0, 2.5]), "smaller for LB in every seed, against Keskar et al.");
/// assert_eq!(keskar_verdict(&[1.0, 3.0], &[2.0, 2.5]), "ranges overlap: no clear difference");
/// ```
pub fn keskar_verdict(sb: &[f64], lb: &[f64]) -> &'static str {
    let lo = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo(lb) > hi(sb) {
        "larger for LB in every seed, as Keskar et al."
    } else if hi(lb) < lo(sb) {
        "smaller for LB in every seed, against Keskar et al."
    } else {
        "ranges overlap: no clear difference"
    }
}

/// The outlier counts against the number of classes of a `classifier`.
fn outlier_claim(s: &mut String, plan: &Plan, records: &BTreeMap<String, RunRecord>, pi: usize) {
    let p = &plan.problems[pi];
    let all: Vec<_> = (0..plan.methods.len())
        .flat_map(|mi| group(plan, records, pi, mi))
        .collect();
    let (h, g) = (values(&all, COLUMNS[7].1), values(&all, COLUMNS[8].1));
    if h.is_empty() {
        return;
    }
    let classes = if p.kind == "classifier" {
        " (C = 10 classes: Sagun et al. 2017 and Papyan 2019/2020 find about C outliers)"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "- Outliers beyond the gap{classes}: Hessian {}, GGN {} (median [min–max] over runs).",
        spread(&h),
        spread(&g)
    );
}

/// Writes `endpoint.csv` and returns the `summary.md` section (empty when the study has no
/// `[endpoint]` table).
///
/// ```
/// use curvlab::study::{StudySpec, Plan, endpoint_summary::section};
/// let src = "name='s'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let d = tempfile::tempdir().unwrap();
/// let md = section(&spec, &Plan::new(&spec), d.path(), &Default::default()).unwrap();
/// assert!(md.is_empty()); // no [endpoint] table: no section, no endpoint.csv
/// ```
pub fn section(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    records: &BTreeMap<String, RunRecord>,
) -> Result<String> {
    let Some(e) = &spec.endpoint else {
        return Ok(String::new());
    };
    write_csv(out, plan, records)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## End-point measures\n\nAt each run's final point (`endpoint.csv`): median [min–max] over \
         seeds. λ_max by Lanczos; trace by Hutch++ ({} products); ε-sharpness of Keskar et al. \
         (2017) with ε = {} ({} gradient evaluations × {} starts of projected ascent); outliers: \
         Ritz values beyond a gap confirmed empty by the SLQ density (top {} Ritz values).\n",
        e.probes, e.ascent.eps, e.ascent.iters, e.ascent.starts, e.outliers.top
    );
    if let Some(t) = spec.stop.f_target {
        let _ = writeln!(
            s,
            "Every run trains to the same loss: it stops, converged, at the first f ≤ f_target = \
             {t} (`[stop] f_target`, termination `f_target`); a run that stops otherwise did not \
             reach it.\n"
        );
    }
    for (pi, p) in plan.problems.iter().enumerate() {
        let _ = writeln!(s, "### {}\n", md_escape(&p.label()));
        table(&mut s, plan, records, pi);
        batch_comparison(&mut s, plan, records, pi);
        outlier_claim(&mut s, plan, records, pi);
        let _ = writeln!(s);
    }
    Ok(s)
}

/// The stable `endpoint.csv` columns after the `method.<key>` columns.
pub const CSV_COLUMNS: [&str; 21] = [
    "seed",
    "termination",
    "iterations",
    "f",
    "lambda_max",
    "trace",
    "trace_std_error",
    "eps_sharpness",
    "train_accuracy",
    "test_accuracy",
    "accuracy_gap",
    "test_loss",
    "outliers_hessian",
    "outliers_ggn",
    "bulk_edge_hessian",
    "top_ritz_hessian",
    "endpoint_value_evals",
    "endpoint_gradient_evals",
    "endpoint_hvp_evals",
    "endpoint_ggn_evals",
    "endpoint_seconds",
];

fn cell(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// One `endpoint.csv` row's measure cells (from `seed` on).
fn row_cells(r: &RunRecord, e: &EndpointRecord) -> Vec<String> {
    let gap = e.train_accuracy.zip(e.test_accuracy).map(|(a, b)| a - b);
    let count = |o: &Option<Outliers>| o.as_ref().map(|o| o.count.to_string()).unwrap_or_default();
    let h = e.outliers_hessian.as_ref();
    vec![
        r.seed.to_string(),
        r.termination.clone(),
        r.iterations.to_string(),
        cell(e.f),
        cell(e.lambda_max),
        cell(e.trace),
        cell(e.trace_std_error),
        cell(e.eps_sharpness),
        cell(e.train_accuracy),
        cell(e.test_accuracy),
        cell(gap),
        cell(e.test_loss),
        count(&e.outliers_hessian),
        count(&e.outliers_ggn),
        cell(h.filter(|o| o.confirmed).map(|o| o.gap.0)),
        cell(h.and_then(|o| o.ritz.first().copied())),
        e.value_evals.to_string(),
        e.gradient_evals.to_string(),
        e.hvp_evals.to_string(),
        e.ggn_evals.to_string(),
        e.seconds.to_string(),
    ]
}

/// Writes `endpoint.csv` (atomically): one row per run of the plan whose record holds end-point
/// measures, in the plan's order. Columns: `run_id, problem, method, method.<key>...`, then
/// [`CSV_COLUMNS`]. Returns the number of rows.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, endpoint_summary::write_csv};
/// let src = "name='s'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\nlr=[0.1, 0.01]\n";
/// let plan = Plan::new(&StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap());
/// let d = tempfile::tempdir().unwrap();
/// assert_eq!(write_csv(d.path(), &plan, &Default::default()).unwrap(), 0);
/// let text = std::fs::read_to_string(d.path().join("endpoint.csv")).unwrap();
/// assert!(text.starts_with("run_id,problem,method,method.lr,seed,termination"));
/// ```
pub fn write_csv(out: &Path, plan: &Plan, records: &BTreeMap<String, RunRecord>) -> Result<usize> {
    let keys: BTreeSet<&String> = plan.methods.iter().flat_map(|m| m.params.keys()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Numerical(format!("endpoint.csv: {e}"));
    let mut header = vec!["run_id".to_string(), "problem".into(), "method".into()];
    header.extend(keys.iter().map(|k| format!("method.{k}")));
    header.extend(CSV_COLUMNS.iter().map(|c| c.to_string()));
    w.write_record(&header).map_err(csv_err)?;
    let mut rows = 0;
    for key in &plan.runs {
        let Some(r) = records.get(&key.id) else {
            continue;
        };
        let Some(e) = &r.endpoint else {
            continue;
        };
        let mut row = vec![
            r.run_id.clone(),
            plan.problems[key.problem].label(),
            r.method.clone(),
        ];
        row.extend(keys.iter().map(|k| {
            r.method_params
                .get(*k)
                .map(|v| v.to_string())
                .unwrap_or_default()
        }));
        row.extend(row_cells(r, e));
        w.write_record(&row).map_err(csv_err)?;
        rows += 1;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Numerical(format!("endpoint.csv: {e}")))?;
    write_atomic(&out.join("endpoint.csv"), &bytes)?;
    Ok(rows)
}
