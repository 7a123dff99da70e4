//! One dense Newton step's linear algebra — Cholesky factorization of a given SPD matrix plus
//! the solve — through the function exact Newton uses (`factor_solve` on a reused
//! `CholeskyWorkspace`), against a raw faer `llt` + `solve_in_place` on the same matrix in the
//! same run. Hessian assembly is excluded. n = 500, 1000, 2000; the matrix is
//! `H = GᵀG/n + I` with `G` standard normal from `ChaCha8Rng` seed 0. Both sides run
//! single-threaded (`faer::set_global_parallelism(Par::Seq)`), which keeps the comparison
//! stable on a shared machine. Target: curvlab / faer ≤ 1.1.
//!
//! Besides criterion's estimates, the bench prints a paired ratio per size: the two sides are
//! timed alternately (7 rounds) and the minimum times compared, which is robust to load from
//! other processes.
//!
//! Run: `cargo bench --bench newton`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use curvlab::linalg::cholesky::{CholeskyWorkspace, factor_solve};
use faer::linalg::solvers::Solve;
use faer::{Mat, Par, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn spd(n: usize) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let g = Mat::<f64>::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
    let mut h = g.transpose() * &g;
    for j in 0..n {
        for i in 0..n {
            h[(i, j)] /= n as f64;
        }
        h[(j, j)] += 1.0;
    }
    h
}

fn curvlab_step(ws: &mut CholeskyWorkspace, h: &Mat<f64>, b: &[f64], x: &mut [f64]) {
    factor_solve(ws, black_box(h.as_ref()), 0.0, black_box(b), x).unwrap();
    black_box(&x);
}

fn faer_step(h: &Mat<f64>, b: &[f64]) {
    let llt = black_box(h).llt(Side::Lower).unwrap();
    let mut rhs = Mat::<f64>::from_fn(b.len(), 1, |i, _| b[i]);
    llt.solve_in_place(rhs.as_mut());
    black_box(&rhs);
}

fn paired_ratio(n: usize, h: &Mat<f64>, b: &[f64]) {
    let mut ws = CholeskyWorkspace::new();
    let mut x = vec![0.0; n];
    let (mut best_c, mut best_f) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..7 {
        let t = Instant::now();
        curvlab_step(&mut ws, h, b, &mut x);
        best_c = best_c.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        faer_step(h, b);
        best_f = best_f.min(t.elapsed().as_secs_f64());
    }
    println!(
        "paired min n = {n}: curvlab {:.3} ms, faer {:.3} ms, ratio {:.3}",
        best_c * 1e3,
        best_f * 1e3,
        best_c / best_f
    );
}

fn bench(c: &mut Criterion) {
    faer::set_global_parallelism(Par::Seq);
    let mut group = c.benchmark_group("newton_step_linear_algebra");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for n in [500usize, 1000, 2000] {
        let h = spd(n);
        let b: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut ws = CholeskyWorkspace::new();
        let mut x = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("curvlab_factor_solve", n), &n, |bch, _| {
            bch.iter(|| curvlab_step(&mut ws, &h, &b, &mut x))
        });
        group.bench_with_input(BenchmarkId::new("faer_llt_solve", n), &n, |bch, _| {
            bch.iter(|| faer_step(&h, &b))
        });
        paired_ratio(n, &h, &b);
        // Same answer (the bench compares equal work).
        let llt = h.llt(Side::Lower).unwrap();
        let mut rhs = Mat::<f64>::from_fn(n, 1, |i, _| b[i]);
        llt.solve_in_place(rhs.as_mut());
        factor_solve(&mut ws, h.as_ref(), 0.0, &b, &mut x).unwrap();
        let diff = (0..n)
            .map(|i| (rhs[(i, 0)] - x[i]).abs())
            .fold(0.0, f64::max);
        assert!(diff <= 1e-10, "solutions differ by {diff}");
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
