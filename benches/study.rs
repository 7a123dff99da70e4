//! Study runner scaling: a reduced copy of `studies/conditioning.toml` (300-D quadratics with
//! κ = 10², 10³, 10⁴, six registry methods — gd, heavy ball and Nesterov at their optimal
//! parameters, Adam, L-BFGS, Newton-CG — two seeds, 36 runs of up to 4000 iterations, about
//! 0.7 CPU-seconds in all) run with `--jobs 1` and `--jobs 2`. The runs are large enough that the
//! parallel part dominates the serial one (building the instances, then `spectra.json`, the
//! summary and the plots: about 0.15 s). The ratio of the two is the parallel speed-up (target
//! ≥ 1.8× on 2 idle cores). faer runs sequentially inside runs (the runner sets it), so each
//! worker uses one core.
//!
//! Besides criterion's estimates, the bench prints the ratio of the minimum wall times of 5
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
seeds = [0, 1]
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

fn bench(c: &mut Criterion) {
    let before = loadavg();
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
