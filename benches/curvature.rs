//! Lanczos (thick restart, full reorthogonalization) for the 5 largest and the 5 smallest
//! eigenvalues at relative residual ≤ 1e-8 (`‖Av − θv‖ ≤ 1e-8·|θ|`, ARPACK's criterion), beside
//! the full dense spectrum (faer, default global parallelism) of the same matrix:
//! - the 2-D Laplacian, 5-point stencil on a 60 × 60 grid (n = 3600), matrix-free;
//! - a dense SPD matrix Q diag(λ) Qᵀ with a log-uniform spectrum in [1, 10⁴] (n = 300).
//!
//! Operator applications are printed (stderr) in the setup; Lanczos applies the operator
//! sequentially (faer `Par::Seq`).

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::Result;
use curvlab::curvature::{Lanczos, Which, spectrum};
use curvlab::linalg::LinearOperator;
use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Laplacian2d {
    k: usize,
}

impl LinearOperator for Laplacian2d {
    fn dim(&self) -> usize {
        self.k * self.k
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let k = self.k;
        for i in 0..k {
            for j in 0..k {
                let p = i * k + j;
                let mut s = 4.0 * v[p];
                if i > 0 {
                    s -= v[p - k];
                }
                if i + 1 < k {
                    s -= v[p + k];
                }
                if j > 0 {
                    s -= v[p - 1];
                }
                if j + 1 < k {
                    s -= v[p + 1];
                }
                out[p] = s;
            }
        }
        Ok(())
    }
}

fn solver(which: Which, check: bool) -> Lanczos {
    Lanczos::new(5, which)
        .and_then(|l| l.with_tol(1e-8))
        .and_then(|l| l.with_multiplicity_check(check))
        .expect("valid settings")
}

fn report<A: LinearOperator>(name: &str, op: &A) {
    for which in [Which::Largest, Which::Smallest] {
        for check in [false, true] {
            let t = Instant::now();
            let r = solver(which, check).run(op).expect("Lanczos runs");
            let vals: Vec<f64> = r
                .largest
                .iter()
                .chain(&r.smallest)
                .map(|p| p.value)
                .collect();
            let res = r
                .largest
                .iter()
                .chain(&r.smallest)
                .map(|p| p.residual / p.value.abs())
                .fold(0.0f64, f64::max);
            eprintln!(
                "{name}: {which:?} multiplicity_check={check}: {} applications, {} restarts, \
                 {:.3} s, converged {}, max rel residual {res:.1e}, values {vals:.6?}",
                r.applications,
                r.restarts,
                t.elapsed().as_secs_f64(),
                r.converged
            );
        }
    }
}

fn benches(c: &mut Criterion) {
    let lap = Laplacian2d { k: 60 };
    report("laplacian n=3600", &lap);
    let t = Instant::now();
    let dense = curvlab::linalg::operator::to_dense(&lap).expect("dense");
    let s = spectrum(&dense).expect("spectrum");
    eprintln!(
        "laplacian n=3600: dense spectrum (one run, incl. forming the matrix): {:.2} s, λ_max {:.6}",
        t.elapsed().as_secs_f64(),
        s.max()
    );
    drop(dense);
    let q = Quadratic::new(300, 1e4, SpectrumKind::LogUniform, Rotation::Random, 0).expect("q");
    let a = q.matrix();
    report("dense SPD kappa=1e4 n=300", &a);

    let mut g = c.benchmark_group("curvature");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (name, which) in [("largest5", Which::Largest), ("smallest5", Which::Smallest)] {
        g.bench_function(format!("laplacian3600_lanczos_{name}"), |b| {
            b.iter(|| black_box(solver(which, true).run(&lap).expect("runs")))
        });
        g.bench_function(format!("spd300_lanczos_{name}"), |b| {
            b.iter(|| black_box(solver(which, true).run(&a).expect("runs")))
        });
    }
    g.bench_function("spd300_dense_spectrum", |b| {
        b.iter(|| black_box(spectrum(&a).expect("runs")))
    });
    g.finish();
}

criterion_group!(curvature, benches);
criterion_main!(curvature);
