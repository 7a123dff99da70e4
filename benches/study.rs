//! Study runner scaling: a reduced copy of `studies/conditioning.toml` (quadratics, κ sweep,
//! 4 seeds, 24 runs) run with `--jobs 1` and `--jobs 2`; the ratio of the two is the parallel speed-up
//! (target ≥ 1.8× on 2 cores). The method is gradient descent with the optimal step, written
//! here and injected through the runner's method factory, so the bench measures the runner's
//! scaling, not a particular method. faer runs sequentially inside runs (the runner sets it).
//!
//! Run: `cargo bench --bench study`.

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::methods::{Iterate, Method, MethodContext, StepInfo};
use curvlab::params::Params;
use curvlab::study::{Progress, RunOptions, StudySpec, run_study};
use curvlab::{Error, Objective, Result};
use std::time::Duration;

struct Gd(f64);

impl Method for Gd {
    fn name(&self) -> &str {
        "gd"
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        for (x, g) in it.x.iter_mut().zip(&it.g) {
            *x -= self.0 * g;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(self.0 * it.grad_norm()))
    }
}

fn factory(kind: &str, p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    if kind != "gd" {
        return Err(Error::Unknown(format!("unknown method `{kind}`")));
    }
    let _ = p.get("lr");
    let ev = ctx
        .eigenvalues
        .as_ref()
        .ok_or_else(|| Error::invalid("lr", "optimal", "needs eigenvalues"))?;
    let (mu, l) = (ev[0], ev[ev.len() - 1]);
    p.finish("method `gd`")?;
    Ok(Box::new(Gd(2.0 / (mu + l))))
}

const STUDY: &str = r#"
name = "conditioning-bench"
seeds = [0, 1, 2, 3]
[stop]
grad_tol = 1e-6
max_iters = 4000
[[problems]]
kind = "quadratic"
dim = 100
condition = [10, 100, 300, 1000, 3000, 10000]
[[methods]]
kind = "gd"
lr = "optimal"
"#;

fn run(jobs: usize) {
    let spec = StudySpec::parse(std::path::Path::new("bench.toml"), STUDY).unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut o = RunOptions::new(d.path().join("out"));
    o.jobs = Some(jobs);
    o.progress = Progress::Quiet;
    o.factory = factory;
    run_study(&spec, &o).unwrap();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("study_conditioning_reduced");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("jobs_1", |b| b.iter(|| run(1)));
    g.bench_function("jobs_2", |b| b.iter(|| run(2)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
