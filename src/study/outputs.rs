//! Study outputs: one JSON record per finished run (`runs/<run_id>.json`), one per-iteration CSV
//! per run (`traces/<run_id>.csv`), and the table of all runs (`runs.csv`) regenerated from the
//! records in the study's order. Every file is written atomically (a temporary file in the same
//! folder, then `rename`, which POSIX makes atomic), so a study killed at any moment leaves
//! either a whole record or none.
//!
//! `runs.csv` columns (stable; documented in docs/DESIGN.md's study contract):
//! `run_id, study, problem, problem.<key>..., method, method.<key>..., seed, converged,
//! iterations, f, grad_norm, value_evals, gradient_evals, hvp_evals, hessian_evals, ggn_evals,
//! seconds, termination, n, f_star, sharpness, example_evals, cost, sharpness_hvp` (`cost` in
//! full-gradient equivalents, finite-sum work counted per example; `sharpness_hvp` the products
//! of `[track]`, not in `cost`). There is one `problem.<key>` column per parameter
//! key that any problem table of the study sets (sorted by key), likewise `method.<key>`; a run
//! whose table does not set that key leaves the cell empty (the registry default applies).
//! Numbers are written in Rust's shortest round-trip form; a missing value is an empty cell.
//!
//! Trace columns: `k, f, grad_norm, step_length, value_evals, gradient_evals, hvp_evals,
//! hessian_evals, ggn_evals, seconds`, then `x0, x1` for 2-D problems (the trajectory), then one
//! column per method-specific extra (`lambda`, `cg_iters`, `radius`, ...) and per `[track]`
//! measure (`sharpness`, `precond_sharpness`, `hessian_trace`, `sharpness_hvp`; empty on rows
//! not measured).

use super::expand::Plan;
use crate::error::{Error, Result};
use crate::params::Value;
use crate::{Report, Termination};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The outcome of one run, as stored in `runs/<run_id>.json` and as one row of `runs.csv`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// Stable run id ([`super::run_id::run_id`]).
    pub run_id: String,
    /// The study's `name`.
    pub study: String,
    /// Problem kind.
    pub problem: String,
    /// Problem parameters given by the study (one value per key).
    pub problem_params: BTreeMap<String, Value>,
    /// Method kind.
    pub method: String,
    /// Method parameters given by the study.
    pub method_params: BTreeMap<String, Value>,
    /// The seed.
    pub seed: u64,
    /// Number of variables.
    pub n: usize,
    /// `‖∇f‖ ≤ grad_tol` reached.
    pub converged: bool,
    /// Iterations performed.
    pub iterations: usize,
    /// Final value (`None` when the run could not start).
    pub f: Option<f64>,
    /// Final gradient norm.
    pub grad_norm: Option<f64>,
    /// The problem's optimal value, where known.
    pub f_star: Option<f64>,
    /// Value evaluations.
    pub value_evals: u64,
    /// Gradient evaluations.
    pub gradient_evals: u64,
    /// Hessian-vector products.
    pub hvp_evals: u64,
    /// Dense Hessians.
    pub hessian_evals: u64,
    /// Gauss-Newton products.
    pub ggn_evals: u64,
    /// Per-example work of a finite sum (value, gradient, HVP and GGN examples added up; 0 for
    /// objectives that are not finite sums).
    #[serde(default)]
    pub example_evals: u64,
    /// The cost in full-gradient equivalents ([`crate::Counts::gradient_equivalents`]): what
    /// `max_evals` budgets and what equal-cost comparisons use.
    #[serde(default)]
    pub cost: f64,
    /// Wall time of the run in seconds.
    pub seconds: f64,
    /// Why the run ended ([`Termination`]'s display, or `error: ...` when it could not run).
    pub termination: String,
    /// Largest Hessian eigenvalue at the final point (the "sharpness"), where computed.
    pub sharpness: Option<f64>,
    /// The final point (`curvlab spectrum --at runs/<id>.json` reads it); `None` when the run
    /// could not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<Vec<f64>>,
    /// FNV-1a hash of the bytes of `traces/<run_id>.csv` as written ([`fnv1a_hex`]): `--resume`
    /// reruns a run whose trace is missing or no longer matches. `None` when no trace was
    /// written (the run could not start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_fnv: Option<String>,
    /// Smallest Hessian eigenvalue at the final point, where computed (the local-minimum /
    /// saddle test of [`super::verdict::classify`]).
    #[serde(default)]
    pub lambda_min: Option<f64>,
    /// The `[endpoint]` measures at the final point ([`super::endpoint`]), where asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<super::endpoint::EndpointRecord>,
    /// Hessian-vector products spent by the study's `[track]` sharpness tracking (not in
    /// `hvp_evals` or `cost`); `None` without `[track]`.
    #[serde(default)]
    pub sharpness_hvp: Option<u64>,
}

/// The 64-bit FNV-1a hash of `bytes`, as 16 hex digits.
///
/// ```
/// // The published FNV-1a 64 test vectors: "" and "a".
/// assert_eq!(curvlab::study::outputs::fnv1a_hex(b""), "cbf29ce484222325");
/// assert_eq!(curvlab::study::outputs::fnv1a_hex(b"a"), "af63dc4c8601ec8c");
/// ```
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Why a finished run's trace cannot be trusted: `Some("missing")` or `Some("modified")`, `None`
/// when it matches the hash in its record (or the record has no hash: a run that could not
/// start, or a record from an older curvlab whose trace exists).
///
/// ```
/// use curvlab::study::outputs::{RunRecord, trace_problem};
/// let d = tempfile::tempdir().unwrap();
/// let mut r = RunRecord::errored("00000000000000ff", "s", "ravine", "gd", 0, 2, "x".into());
/// assert_eq!(trace_problem(d.path(), &r), None);
/// r.trace_fnv = Some("0".into());
/// assert_eq!(trace_problem(d.path(), &r), Some("missing"));
/// ```
pub fn trace_problem(out: &Path, r: &RunRecord) -> Option<&'static str> {
    let path = traces_dir(out).join(format!("{}.csv", r.run_id));
    let hash = r.trace_fnv.as_ref()?;
    match std::fs::read(&path) {
        Err(_) => Some("missing"),
        Ok(bytes) if &fnv1a_hex(&bytes) != hash => Some("modified"),
        Ok(_) => None,
    }
}

impl RunRecord {
    /// The record of a finished run.
    ///
    /// ```
    /// use curvlab::study::outputs::RunRecord;
    /// let r = RunRecord::errored("00000000000000ff", "s", "ravine", "gd", 0, 2, "boom".into());
    /// assert!(!r.converged && r.termination == "error: boom");
    /// ```
    pub fn errored(
        run_id: &str,
        study: &str,
        problem: &str,
        method: &str,
        seed: u64,
        n: usize,
        message: String,
    ) -> Self {
        RunRecord {
            run_id: run_id.into(),
            study: study.into(),
            problem: problem.into(),
            problem_params: BTreeMap::new(),
            method: method.into(),
            method_params: BTreeMap::new(),
            seed,
            n,
            converged: false,
            iterations: 0,
            f: None,
            grad_norm: None,
            f_star: None,
            value_evals: 0,
            gradient_evals: 0,
            hvp_evals: 0,
            hessian_evals: 0,
            ggn_evals: 0,
            example_evals: 0,
            cost: 0.0,
            seconds: 0.0,
            termination: format!("error: {message}"),
            sharpness: None,
            x: None,
            trace_fnv: None,
            lambda_min: None,
            endpoint: None,
            sharpness_hvp: None,
        }
    }

    /// Fills the outcome fields from a [`Report`].
    pub fn set_report(&mut self, r: &Report) {
        self.converged = r.converged();
        self.iterations = r.iterations;
        self.f = Some(r.f);
        self.grad_norm = Some(r.grad_norm);
        self.value_evals = r.counts.value;
        self.gradient_evals = r.counts.gradient;
        self.hvp_evals = r.counts.hvp;
        self.hessian_evals = r.counts.hessian;
        self.ggn_evals = r.counts.ggn;
        let c = &r.counts;
        self.example_evals =
            c.value_examples + c.gradient_examples + c.hvp_examples + c.ggn_examples;
        self.cost = c.gradient_equivalents();
        self.seconds = r.seconds;
        self.termination = termination_text(&r.termination);
        self.x = Some(r.x.clone());
    }
}

fn termination_text(t: &Termination) -> String {
    t.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

static TMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then `rename`.
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// let p = d.path().join("a.txt");
/// curvlab::study::outputs::write_atomic(&p, b"hello").unwrap();
/// assert_eq!(std::fs::read_to_string(&p).unwrap(), "hello");
/// assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Write { path: p, source }
    };
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(
        ".{name}.tmp.{}.{}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Creates a folder (and its parents).
pub fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// `runs/` inside an output folder.
pub fn runs_dir(out: &Path) -> PathBuf {
    out.join("runs")
}

/// `traces/` inside an output folder.
pub fn traces_dir(out: &Path) -> PathBuf {
    out.join("traces")
}

/// Writes a run's record atomically to `runs/<run_id>.json`.
pub fn write_record(out: &Path, r: &RunRecord) -> Result<()> {
    let text = serde_json::to_string_pretty(r)
        .map_err(|e| Error::Numerical(format!("cannot serialize run {}: {e}", r.run_id)))?;
    write_atomic(
        &runs_dir(out).join(format!("{}.json", r.run_id)),
        text.as_bytes(),
    )
}

/// Every readable record in `runs/`, by run id. Files that do not parse (only possible when
/// edited by hand, since records are written atomically) are skipped: their runs run again.
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// assert!(curvlab::study::outputs::read_records(d.path()).unwrap().is_empty());
/// ```
pub fn read_records(out: &Path) -> Result<BTreeMap<String, RunRecord>> {
    let dir = runs_dir(out);
    let mut map = BTreeMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(map),
        Err(source) => return Err(Error::Io { path: dir, source }),
    };
    for e in entries {
        let e = e.map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if stem.starts_with('.') || p.extension().and_then(|s| s.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if let Ok(r) = serde_json::from_str::<RunRecord>(&text)
            && r.run_id == stem
        {
            map.insert(r.run_id.clone(), r);
        }
    }
    Ok(map)
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// The `runs.csv` header for a plan.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, outputs::runs_header};
/// let src = "name='s'\n[[problems]]\nkind='ravine'\nsteep=[10,100]\n[[methods]]\nkind='gd'\nlr=0.01\n";
/// let plan = Plan::new(&StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap());
/// let h = runs_header(&plan);
/// assert_eq!(&h[..6], &["run_id", "study", "problem", "problem.steep", "method", "method.lr"]);
/// ```
pub fn runs_header(plan: &Plan) -> Vec<String> {
    let (pk, mk) = param_keys(plan);
    let mut h = vec!["run_id".to_string(), "study".into(), "problem".into()];
    h.extend(pk.iter().map(|k| format!("problem.{k}")));
    h.push("method".into());
    h.extend(mk.iter().map(|k| format!("method.{k}")));
    for c in [
        "seed",
        "converged",
        "iterations",
        "f",
        "grad_norm",
        "value_evals",
        "gradient_evals",
        "hvp_evals",
        "hessian_evals",
        "ggn_evals",
        "seconds",
        "termination",
        "n",
        "f_star",
        "sharpness",
        "example_evals",
        "cost",
        "sharpness_hvp",
    ] {
        h.push(c.into());
    }
    h
}

fn param_keys(plan: &Plan) -> (Vec<String>, Vec<String>) {
    let pk: BTreeSet<String> = plan
        .problems
        .iter()
        .flat_map(|i| i.params.keys().cloned())
        .collect();
    let mk: BTreeSet<String> = plan
        .methods
        .iter()
        .flat_map(|i| i.params.keys().cloned())
        .collect();
    (pk.into_iter().collect(), mk.into_iter().collect())
}

/// Writes `runs.csv` (atomically) from the records of the plan's runs that are present, in the
/// plan's order. Returns the number of rows.
pub fn write_runs_csv(
    out: &Path,
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    only: Option<&BTreeSet<String>>,
) -> Result<usize> {
    let (pk, mk) = param_keys(plan);
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Numerical(format!("CSV: {e}"));
    w.write_record(runs_header(plan)).map_err(csv_err)?;
    let mut rows = 0;
    for key in &plan.runs {
        if only.is_some_and(|s| !s.contains(&key.id)) {
            continue;
        }
        let Some(r) = records.get(&key.id) else {
            continue;
        };
        let mut row = vec![r.run_id.clone(), r.study.clone(), r.problem.clone()];
        for k in &pk {
            row.push(
                r.problem_params
                    .get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
        }
        row.push(r.method.clone());
        for k in &mk {
            row.push(
                r.method_params
                    .get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
        }
        row.extend([
            r.seed.to_string(),
            r.converged.to_string(),
            r.iterations.to_string(),
            fmt_opt(r.f),
            fmt_opt(r.grad_norm),
            r.value_evals.to_string(),
            r.gradient_evals.to_string(),
            r.hvp_evals.to_string(),
            r.hessian_evals.to_string(),
            r.ggn_evals.to_string(),
            r.seconds.to_string(),
            r.termination.clone(),
            r.n.to_string(),
            fmt_opt(r.f_star),
            fmt_opt(r.sharpness),
            r.example_evals.to_string(),
            r.cost.to_string(),
            r.sharpness_hvp.map(|v| v.to_string()).unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(csv_err)?;
        rows += 1;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Numerical(format!("CSV: {e}")))?;
    write_atomic(&out.join("runs.csv"), &bytes)?;
    Ok(rows)
}

/// Writes `traces/<run_id>.csv` (atomically) from a report's trace and, for 2-D problems, the
/// trajectory (one point per trace row); returns the file's [`fnv1a_hex`] hash.
pub fn write_trace(
    out: &Path,
    run_id: &str,
    r: &Report,
    trajectory: Option<&[Vec<f64>]>,
) -> Result<String> {
    let mut extra_keys: Vec<String> = Vec::new();
    for row in &r.trace {
        for (k, _) in &row.extras {
            if !extra_keys.contains(k) {
                extra_keys.push(k.clone());
            }
        }
    }
    let dim = trajectory
        .and_then(|t| t.first().map(|x| x.len()))
        .unwrap_or(0);
    let mut header: Vec<String> = [
        "k",
        "f",
        "grad_norm",
        "step_length",
        "value_evals",
        "gradient_evals",
        "hvp_evals",
        "hessian_evals",
        "ggn_evals",
        "seconds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend((0..dim).map(|i| format!("x{i}")));
    header.extend(extra_keys.iter().cloned());
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Numerical(format!("CSV: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    for (i, row) in r.trace.iter().enumerate() {
        let mut cells = vec![
            row.k.to_string(),
            row.f.to_string(),
            row.grad_norm.to_string(),
            row.step_length.to_string(),
            row.counts.value.to_string(),
            row.counts.gradient.to_string(),
            row.counts.hvp.to_string(),
            row.counts.hessian.to_string(),
            row.counts.ggn.to_string(),
            row.seconds.to_string(),
        ];
        if dim > 0 {
            let x = trajectory.and_then(|t| t.get(i));
            for j in 0..dim {
                cells.push(
                    x.and_then(|x| x.get(j))
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                );
            }
        }
        for k in &extra_keys {
            cells.push(
                row.extras
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
            );
        }
        w.write_record(&cells).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Numerical(format!("CSV: {e}")))?;
    write_atomic(&traces_dir(out).join(format!("{run_id}.csv")), &bytes)?;
    Ok(fnv1a_hex(&bytes))
}

/// A trace read back: column names and rows (empty cells as NaN).
#[derive(Debug, Clone, Default)]
pub struct TraceTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows of numbers.
    pub rows: Vec<Vec<f64>>,
}

impl TraceTable {
    /// The values of a column, if present.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let j = self.header.iter().position(|h| h == name)?;
        Some(
            self.rows
                .iter()
                .map(|r| r.get(j).copied().unwrap_or(f64::NAN))
                .collect(),
        )
    }
}

/// Reads `traces/<run_id>.csv`; `None` when absent or unreadable.
pub fn read_trace(out: &Path, run_id: &str) -> Option<TraceTable> {
    let mut rdr = csv::Reader::from_path(traces_dir(out).join(format!("{run_id}.csv"))).ok()?;
    let header: Vec<String> = rdr.headers().ok()?.iter().map(|s| s.to_string()).collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.ok()?;
        rows.push(
            rec.iter()
                .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
                .collect(),
        );
    }
    Some(TraceTable { header, rows })
}

/// One line on stderr; a closed stderr (`2>&1 | head -1`) is ignored, never a panic.
pub(crate) fn say(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{args}");
}
