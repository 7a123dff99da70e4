//! Study runner scaling: a reduced copy of `studies/conditioning.toml` (300-D quadratics with
//! κ = 10², 10³, 10⁴, six registry methods — gd, heavy ball and Nesterov at their optimal
//! parameters, Adam, L-BFGS, Newton-CG — three seeds, 54 runs of up to 4000 iterations plus
//! the sharpness at each final point) run with `--jobs 1` and `--jobs 2`. The runs dominate the
//! rest (building the instances, then `spectra.json`, the summary and the plots, which are also
//! spread over the pool per problem instance). The ratio of the two is the parallel speed-up
//! (target ≥ 1.8× on 2 idle cores). faer runs sequentially inside runs (the runner sets it), so
//! each worker uses one core.
//!
//! It also prints the time of each phase at one thread (building and validating the instances,
//! the runs, the report), so the serial share — and with it Amdahl's bound on the speed-up —
//! is visible. Besides criterion's estimates, the bench prints the ratio of the minimum wall times of 5
//! paired runs (jobs 1, jobs 2 alternately) and the load average read from `/proc/loadavg`
//! before and after: a speed-up needs two free cores, and on a shared machine the load says how
//! many there were.
//!
//! Run: `cargo bench --bench study` (about a minute).

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::study::{Progress, RunOptions, StudySpec, run_study};
use std::time::{Duration, Instant};

const STUDY: &str = r#"
name = "conditioning-bench"
seeds = [0, 1, 2]
[stop]
grad_rtol = 1e-6
max_iters = 4000
[[problems]]
kind = "quadratic"
dim = 300
condition = [100, 1000, 10000]
[[methods]]
kind = "gd"
lr = "optimal"
[[methods]]
kind = "momentum"
lr = "optimal"
momentum = "optimal"
[[methods]]
kind = "nesterov"
lr = "optimal"
momentum = "optimal"
[[methods]]
kind = "adam"
lr = 0.1
[[methods]]
kind = "lbfgs"
[[methods]]
kind = "newton-cg"
"#;

fn run(jobs: usize) {
    let spec = StudySpec::parse(std::path::Path::new("bench.toml"), STUDY).unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut o = RunOptions::new(d.path().join("out"));
    o.jobs = Some(jobs);
    o.progress = Progress::Quiet;
    run_study(&spec, &o).unwrap();
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Seconds of each phase on one thread: (prepare, runs, report).
fn phases() -> (f64, f64, f64) {
    use curvlab::study::{Plan, resume::prepare_output, runner, summary};
    let spec = StudySpec::parse(std::path::Path::new("bench.toml"), STUDY).unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut o = RunOptions::new(d.path().join("out"));
    o.progress = Progress::Quiet;
    faer::set_global_parallelism(faer::Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let t = Instant::now();
        let prepared = runner::prepare(&spec, curvlab::methods::build_method).unwrap();
        let t_prepare = t.elapsed().as_secs_f64();
        prepare_output(&o.out, &spec.source, false).unwrap();
        let t = Instant::now();
        for key in &prepared.plan.runs {
            runner::execute(&spec, &prepared, key, &o).unwrap();
        }
        let t_runs = t.elapsed().as_secs_f64();
        let first: Vec<_> = prepared.instances.iter().map(|v| v[0].clone()).collect();
        let plan: &Plan = &prepared.plan;
        let t = Instant::now();
        summary::finalize(&spec, plan, &o.out, None, true, Some(&first)).unwrap();
        (t_prepare, t_runs, t.elapsed().as_secs_f64())
    })
}

fn bench(c: &mut Criterion) {
    let before = loadavg();
    let (p, r, f) = phases();
    println!(
        "phases at 1 thread: prepare {p:.3} s, runs {r:.3} s, report {f:.3} s \
         (serial if not parallelized: {:.0}%)",
        100.0 * (p + f) / (p + r + f)
    );
    let mut g = c.benchmark_group("study_conditioning_reduced");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.bench_function("jobs_1", |b| b.iter(|| run(1)));
    g.bench_function("jobs_2", |b| b.iter(|| run(2)));
    g.finish();
    let (mut t1, mut t2) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        let t = Instant::now();
        run(1);
        t1 = t1.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        run(2);
        t2 = t2.min(t.elapsed().as_secs_f64());
    }
    println!(
        "paired minimum of 5: jobs 1 {t1:.3} s, jobs 2 {t2:.3} s, speed-up {:.2}x \
         (load average before {before}, after {})",
        t1 / t2,
        loadavg()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
