//! The study runner: validates every instance up front, then runs the runs on a rayon pool of
//! `jobs` threads (faer set to sequential inside runs, so that run-level and linear-algebra-level
//! parallelism do not compete for the same cores), writing each run's trace and record
//! atomically as soon as it ends, with a progress bar on a terminal and plain lines otherwise.
//!
//! The runner is generic over the method factory ([`MethodFactory`], by default
//! [`crate::methods::build_method`]) so that tests and experiments can run methods that are not
//! in the registry.

use super::expand::{Plan, RunKey};
use super::outputs::{RunRecord, say, write_record, write_trace};
use super::resume::prepare_output;
use super::shard::Shard;
use super::spec::StudySpec;
use crate::error::{Error, Result};
use crate::methods::{Iterate, Method, MethodContext, Needs, StepInfo};
use crate::objective::Objective;
use crate::params::Params;
use crate::problems::{ProblemInstance, build_problem};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Builds a method from its kind, parameters and context (the registry's signature).
pub type MethodFactory = fn(&str, &Params, &MethodContext) -> Result<Box<dyn Method>>;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar when stderr is a terminal, plain lines otherwise.
    Auto,
    /// One plain line per finished run on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

/// Options of [`run_study`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Parallel runs (`None`: all cores).
    pub jobs: Option<usize>,
    /// Skip the runs already finished in `out`.
    pub resume: bool,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Progress display.
    pub progress: Progress,
    /// Builds methods.
    pub factory: MethodFactory,
}

impl RunOptions {
    /// Defaults: all cores, no resume, no shard, automatic progress, the registry's methods.
    ///
    /// ```
    /// let o = curvlab::study::RunOptions::new("results/x");
    /// assert!(!o.resume && o.jobs.is_none());
    /// ```
    pub fn new(out: impl Into<PathBuf>) -> Self {
        RunOptions {
            out: out.into(),
            jobs: None,
            resume: false,
            shard: None,
            progress: Progress::Auto,
            factory: crate::methods::build_method,
        }
    }
}

/// A validated study: its plan and every problem instance built (per problem instance and
/// seed).
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// `instances[p][s]`: problem instance `p` built with `spec.seeds[s]`.
    pub instances: Vec<Vec<Arc<ProblemInstance>>>,
}

impl Prepared {
    /// The instance of run `r`.
    pub fn instance(&self, spec: &StudySpec, r: &RunKey) -> Option<&Arc<ProblemInstance>> {
        let s = spec.seeds.iter().position(|&s| s == r.seed)?;
        self.instances.get(r.problem)?.get(s)
    }
}

/// The context a method is built with on a problem instance.
pub fn method_context(inst: &ProblemInstance, seed: u64) -> MethodContext {
    MethodContext {
        eigenvalues: inst.eigenvalues.clone(),
        seed,
        num_examples: inst.objective.as_finite_sum().map(|f| f.num_examples()),
    }
}

/// Builds every problem instance (for every seed) and every method instance (on every problem
/// instance), so that an unknown kind, an unknown key or an invalid value fails before any run,
/// with the file and line of the offending key.
pub fn prepare(spec: &StudySpec, factory: MethodFactory) -> Result<Prepared> {
    let plan = Plan::new(spec);
    super::memory::check_plan(spec, &plan)?;
    if let Some(e) = &spec.endpoint {
        let kinds: Vec<&str> = plan.problems.iter().map(|p| p.kind.as_str()).collect();
        e.check(&kinds)
            .map_err(|m| spec.error_at(e.line, format!("[endpoint]: {m}")))?;
    }
    // Built in parallel on the current rayon pool; errors are reported in the study's order.
    let pairs: Vec<(usize, u64)> = (0..plan.problems.len())
        .flat_map(|pi| spec.seeds.iter().map(move |&s| (pi, s)))
        .collect();
    let built: Vec<Result<Arc<ProblemInstance>>> = pairs
        .par_iter()
        .with_max_len(1)
        .map(|&(pi, seed)| {
            let p = &plan.problems[pi];
            let table = &spec.problems[p.table];
            build_problem(&p.kind, &p.to_params(), seed)
                .map(Arc::new)
                .map_err(|e| {
                    let msg = e.to_string();
                    spec.error_at(
                        table.blame_line(&msg),
                        format!("problem `{}`: {}", p.label(), one_line(&msg)),
                    )
                })
        })
        .collect();
    let mut instances: Vec<Vec<Arc<ProblemInstance>>> = vec![Vec::new(); plan.problems.len()];
    for (&(pi, _), inst) in pairs.iter().zip(built) {
        instances[pi].push(inst?);
    }
    for m in &plan.methods {
        let table = &spec.methods[m.table];
        let params = m.to_params();
        for (p, per_seed) in plan.problems.iter().zip(&instances) {
            let Some(inst) = per_seed.first() else {
                continue;
            };
            factory(&m.kind, &params, &method_context(inst, spec.seeds[0])).map_err(|e| {
                let msg = e.to_string();
                spec.error_at(
                    table.blame_line(&msg),
                    format!(
                        "method `{}` on {}: {}",
                        m.label(),
                        p.label(),
                        one_line(&msg)
                    ),
                )
            })?;
        }
    }
    Ok(Prepared { plan, instances })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Wraps a method and records the point after every step (the trajectory of a 2-D run).
pub struct TrajectoryRecorder<M> {
    /// The wrapped method.
    pub inner: M,
    /// `x_0, x_1, ...`: the start (recorded by `init`) and every accepted step.
    pub points: Vec<Vec<f64>>,
}

impl<M: Method> Method for TrajectoryRecorder<M> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn needs(&self) -> Needs {
        self.inner.needs()
    }
    fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.inner.set_deadline(deadline);
    }
    fn diagonal_preconditioner(&self) -> Option<Vec<f64>> {
        self.inner.diagonal_preconditioner()
    }
    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        self.points.clear();
        self.points.push(it.x.clone());
        self.inner.init(obj, it)
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let info = self.inner.step(obj, it)?;
        // The driver rejects (and restores) a non-finite iterate without a trace row.
        if it.f.is_finite()
            && it.x.iter().all(|v| v.is_finite())
            && it.g.iter().all(|v| v.is_finite())
        {
            self.points.push(it.x.clone());
        }
        Ok(info)
    }
}

/// The stopping rule of a run on `inst`: the study's `[stop]`, with `grad_tol` set to
/// `grad_rtol · ‖∇f(x₀)‖` when the study gives `grad_rtol`.
///
/// ```
/// use curvlab::study::{StudySpec, runner::run_stop};
/// let src = "name='s'\n[stop]\ngrad_rtol=1e-6\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let inst = curvlab::problems::build_problem("ravine", &Default::default(), 0).unwrap();
/// // ∇f(1, 8) = (100·1, 1·8) on the seed's ravine.
/// let tol = run_stop(&spec, &inst).unwrap().grad_tol;
/// assert!((tol - 1e-6 * (100f64 * 100.0 + 64.0).sqrt()).abs() < 1e-15);
/// ```
pub fn run_stop(spec: &StudySpec, inst: &ProblemInstance) -> Result<crate::Stop> {
    let mut stop = spec.stop;
    if let Some(r) = spec.grad_rtol {
        let mut g = vec![0.0; inst.x0.len()];
        inst.objective.gradient(&inst.x0, &mut g)?;
        stop.grad_tol = r * crate::linalg::vector::norm(&g);
    }
    Ok(stop)
}

/// Runs one run and writes its trace and record. Never fails for a run that cannot run (that
/// is recorded as `error: ...`); fails only when the outputs cannot be written.
pub fn execute(
    spec: &StudySpec,
    prepared: &Prepared,
    key: &RunKey,
    opts: &RunOptions,
) -> Result<RunRecord> {
    let p = &prepared.plan.problems[key.problem];
    let m = &prepared.plan.methods[key.method];
    let inst = prepared
        .instance(spec, key)
        .ok_or_else(|| Error::Numerical(format!("run {}: no problem instance", key.id)))?;
    let n = inst.x0.len();
    let mut rec = RunRecord::errored(
        &key.id,
        &spec.name,
        &p.kind,
        &m.kind,
        key.seed,
        n,
        String::new(),
    );
    rec.problem_params = p.params.clone();
    rec.method_params = m.params.clone();
    rec.f_star = inst.f_star;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<_> {
        let method = (opts.factory)(&m.kind, &m.to_params(), &method_context(inst, key.seed))?;
        let mut rec_method = TrajectoryRecorder {
            inner: method,
            points: Vec::new(),
        };
        let stop = run_stop(spec, inst)?;
        let (report, tracked) = run_tracked(spec, inst, &mut rec_method, &stop, key.seed)?;
        // Sharpness λ_max(∇²f) at the final point: dense or Lanczos (curvature's rule).
        let sharp = crate::curvature::sharpness(inst.objective.as_ref(), &report.x, key.seed)
            .ok()
            .map(|s| (s.lambda_max, s.lambda_min))
            .filter(|v| v.0.is_finite());
        // `[endpoint]` measures at the final point, once, with their own counts.
        let end = (spec.endpoint.as_ref())
            .map(|e| super::endpoint::measure(e, inst, p, &report.x, key.seed));
        Ok((report, rec_method.points, sharp, tracked, end))
    }));
    match outcome {
        Ok(Ok((report, points, sharp, tracked, end))) => {
            rec.set_report(&report);
            rec.sharpness_hvp = tracked;
            rec.endpoint = end;
            (rec.sharpness, rec.lambda_min) = (sharp.map(|s| s.0), sharp.map(|s| s.1));
            let traj = (n == 2 && points.len() == report.trace.len()).then_some(points.as_slice());
            rec.trace_fnv = Some(write_trace(&opts.out, &key.id, &report, traj)?);
        }
        Ok(Err(e)) => rec.termination = format!("error: {}", one_line(&e.to_string())),
        Err(_) => rec.termination = "error: the method panicked".into(),
    }
    write_record(&opts.out, &rec)?;
    Ok(rec)
}

/// One run through [`crate::minimize::minimize_monitored`] with the study's `[track]`
/// tracker (or plain [`crate::minimize()`] without one); returns the report and the products the
/// tracker spent.
fn run_tracked(
    spec: &StudySpec,
    inst: &ProblemInstance,
    method: &mut dyn Method,
    stop: &crate::Stop,
    seed: u64,
) -> Result<(crate::Report, Option<u64>)> {
    let obj = inst.objective.as_ref();
    match &spec.track {
        Some(t) => {
            let mut tracker = crate::curvature::sharpness::SharpnessTracker::new(t.config(seed));
            let r = crate::minimize::minimize_monitored(obj, method, &inst.x0, stop, &mut tracker)?;
            Ok((r, Some(tracker.hvps())))
        }
        None => Ok((crate::minimize(obj, method, &inst.x0, stop)?, None)),
    }
}

/// What [`run_study`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyOutcome {
    /// Runs in the study (or in the shard).
    pub selected: usize,
    /// Runs skipped because they were already finished (`--resume`).
    pub skipped: usize,
    /// Runs performed now.
    pub performed: usize,
}

/// Runs a study: validation, output folder, the runs in parallel, then `runs.csv` and (for an
/// unsharded study) `spectra.json`, `summary.md` and `plots/`.
pub fn run_study(spec: &StudySpec, opts: &RunOptions) -> Result<StudyOutcome> {
    let jobs = opts.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if jobs == 0 {
        return Err(Error::invalid("--jobs", 0, "must be >= 1"));
    }
    faer::set_global_parallelism(faer::Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start {jobs} threads: {e}")))?;
    let prepared = pool.install(|| prepare(spec, opts.factory))?;
    let _lock = super::lock::StudyLock::acquire(&opts.out)?; // held until the study returns
    let finished = prepare_output(&opts.out, &spec.source, opts.resume)?;
    let selected: BTreeSet<String> = match opts.shard {
        Some(s) => s.select(&prepared.plan),
        None => prepared.plan.runs.iter().map(|r| r.id.clone()).collect(),
    };
    let todo: Vec<&RunKey> = prepared
        .plan
        .runs
        .iter()
        .filter(|r| selected.contains(&r.id) && !finished.contains(&r.id))
        .collect();
    let skipped = selected.len() - todo.len();
    if let Some(s) = opts.shard {
        super::outputs::write_atomic(&opts.out.join("shard.txt"), format!("{s}\n").as_bytes())?;
    }

    let progress = ProgressSink::new(opts.progress, todo.len(), skipped);
    // The first failed write (disk full, read-only folder) ends the study: rayon stops handing
    // out runs, the runs already under way finish, and that error is returned.
    let result = pool.install(|| {
        todo.par_iter()
            .with_max_len(1)
            .try_for_each(|key| -> Result<()> {
                let rec = execute(spec, &prepared, key, opts)?;
                progress.done(&prepared, key, &rec);
                Ok(())
            })
    });
    progress.finish();
    result?;
    let first_seed: Vec<Arc<ProblemInstance>> = prepared
        .instances
        .iter()
        .filter_map(|v| v.first().cloned())
        .collect();
    pool.install(|| {
        super::summary::finalize(
            spec,
            &prepared.plan,
            &opts.out,
            Some(&selected),
            opts.shard.is_none(),
            Some(&first_seed),
        )
    })?;
    Ok(StudyOutcome {
        selected: selected.len(),
        skipped,
        performed: todo.len(),
    })
}

struct ProgressSink {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    total: usize,
    state: Mutex<(usize, Option<(usize, String)>)>,
}

impl ProgressSink {
    fn new(mode: Progress, total: usize, skipped: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (bar, lines) = match mode {
            Progress::Quiet => (None, false),
            Progress::Lines => (None, true),
            Progress::Auto if terminal => {
                let b = indicatif::ProgressBar::new(total as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} runs, ETA {eta} {wide_msg}",
                ) {
                    b.set_style(style);
                }
                (Some(b), false)
            }
            Progress::Auto => (None, true),
        };
        if lines && skipped > 0 {
            say(format_args!(
                "resuming: {skipped} runs already finished, {total} to run"
            ));
        }
        ProgressSink {
            bar,
            lines,
            total,
            state: Mutex::new((0, None)),
        }
    }

    fn done(&self, prepared: &Prepared, key: &RunKey, rec: &RunRecord) {
        let label = format!(
            "{} on {}",
            prepared.plan.methods[key.method].label(),
            prepared.plan.problems[key.problem].label()
        );
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.0 += 1;
        if rec.converged && st.1.as_ref().is_none_or(|(k, _)| rec.iterations < *k) {
            st.1 = Some((rec.iterations, label.clone()));
        }
        if let Some(b) = &self.bar {
            b.inc(1);
            if let Some((k, w)) = &st.1 {
                b.set_message(format!("fastest so far: {w} ({k} its)"));
            }
        }
        if self.lines {
            say(format_args!(
                "[{}/{}] {} {} seed={}: {} after {} iterations ({:.3} s)",
                st.0,
                self.total,
                key.id,
                label,
                key.seed,
                rec.termination,
                rec.iterations,
                rec.seconds
            ));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish();
        }
    }
}
