//! One dense Newton step's linear algebra — Cholesky factorization of a given SPD matrix plus
//! the solve — through the function exact Newton uses (`factor_solve` on a reused
//! `CholeskyWorkspace`), against a raw faer `llt` + `solve_in_place` on the same matrix in the
//! same run. Hessian assembly is excluded. n = 500, 1000, 2000; the matrix is
//! `H = GᵀG/n + I` with `G` standard normal from `ChaCha8Rng` seed 0. Both sides use faer's
//! global parallelism (rayon, all cores). Target: curvlab / faer ≤ 1.1.
//!
//! Run: `cargo bench --bench newton`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use curvlab::methods::newton::{CholeskyWorkspace, factor_solve};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::time::Duration;

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

fn bench(c: &mut Criterion) {
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
            bch.iter(|| {
                factor_solve(&mut ws, black_box(h.as_ref()), 0.0, black_box(&b), &mut x).unwrap();
                black_box(&x);
            })
        });
        group.bench_with_input(BenchmarkId::new("faer_llt_solve", n), &n, |bch, _| {
            bch.iter(|| {
                let llt = black_box(&h).llt(Side::Lower).unwrap();
                let mut rhs = Mat::<f64>::from_fn(n, 1, |i, _| b[i]);
                llt.solve_in_place(rhs.as_mut());
                black_box(&rhs);
            })
        });
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
