//! Cost of an exact Hessian-vector product relative to a gradient (Pearlmutter 1994 predicts a
//! small constant, about 2–3 gradients) on three problems:
//!
//! - chained Rosenbrock, `n = 10⁶`: HVP by `Dual64` over the generic gradient (`diff::dual_hvp`);
//! - logistic regression, `N = 10⁴` examples, `d = 100` features: closed-form faer products;
//! - an MLP (`N = 2000`, 20 → 32 → 32 → 5, tanh): backprop vs the R-operator, and the
//!   Gauss-Newton product.
//!
//! Criterion times each; after each group the ratio HVP/gradient (median of 15 timed calls of
//! each, interleaved, in this same run) is printed. The `norm_1e6` group times the overflow-safe
//! `linalg::vector::norm` against the plain `√(a·a)` it replaced (the ratio is printed too). Single-threaded (`faer::Par::Seq` inside).
//! Run: `cargo bench --bench derivatives`.

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::Objective;
use curvlab::problems::Rosenbrock;
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::Mlp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn random_vec(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| scale * (rng.random::<f64>() * 2.0 - 1.0))
        .collect()
}

fn median_seconds(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn report<O: Objective>(name: &str, f: &O, x: &[f64], v: &[f64], ggn: bool) {
    let n = f.dim();
    let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
    let tg = median_seconds(|| {
        black_box(f.gradient(black_box(x), &mut g).unwrap());
    });
    let th = median_seconds(|| f.hvp(black_box(x), black_box(v), &mut hv).unwrap());
    let mut line = format!(
        "RATIO {name}: gradient {:.3} ms, hvp {:.3} ms, hvp/gradient = {:.2}",
        tg * 1e3,
        th * 1e3,
        th / tg
    );
    if ggn && let Some(gn) = f.as_gauss_newton() {
        let tgn = median_seconds(|| gn.ggn_vp(black_box(x), black_box(v), &mut hv).unwrap());
        line.push_str(&format!(
            ", ggn_vp {:.3} ms, ggn/gradient = {:.2}",
            tgn * 1e3,
            tgn / tg
        ));
    }
    println!("{line}");
}

fn bench_pair<O: Objective>(c: &mut Criterion, name: &str, f: &O, x: &[f64], v: &[f64], ggn: bool) {
    let n = f.dim();
    let mut group = c.benchmark_group(name);
    let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
    group.bench_function("gradient", |b| {
        b.iter(|| f.gradient(black_box(x), &mut g).unwrap())
    });
    group.bench_function("hvp", |b| {
        b.iter(|| f.hvp(black_box(x), black_box(v), &mut hv).unwrap())
    });
    if ggn && let Some(gn) = f.as_gauss_newton() {
        group.bench_function("ggn_vp", |b| {
            b.iter(|| gn.ggn_vp(black_box(x), black_box(v), &mut hv).unwrap())
        });
    }
    group.finish();
    report(name, f, x, v, ggn);
}

fn rosenbrock(c: &mut Criterion) {
    let n = 1_000_000;
    let f = Rosenbrock::new(n).unwrap();
    let x = random_vec(n, 1, 1.5);
    let v = random_vec(n, 2, 1.0);
    bench_pair(c, "rosenbrock_1e6", &f, &x, &v, false);
}

fn logistic(c: &mut Criterion) {
    let f = LogisticRegression::synthetic(10_000, 100, 3).unwrap();
    let x = random_vec(101, 4, 0.2);
    let v = random_vec(101, 5, 1.0);
    bench_pair(c, "logistic_1e4x100", &f, &x, &v, true);
}

fn mlp(c: &mut Criterion) {
    let data = Dataset::gaussian_blobs(2000, 20, 5, 6).unwrap();
    let f = Mlp::new(data, &[32, 32]).unwrap().with_classes(5).unwrap();
    let x = f.initial_point(7);
    let v = random_vec(f.dim(), 8, 1.0);
    bench_pair(c, "mlp_2000_20-32-32-5", &f, &x, &v, true);
}

fn norm(c: &mut Criterion) {
    use curvlab::linalg::vector::{dot, norm};
    let a = random_vec(1_000_000, 9, 1.0);
    let mut group = c.benchmark_group("norm_1e6");
    group.bench_function("scaled", |b| b.iter(|| norm(black_box(&a))));
    group.bench_function("plain", |b| {
        b.iter(|| dot(black_box(&a), black_box(&a)).sqrt())
    });
    group.finish();
    let ts = median_seconds(|| {
        black_box(norm(black_box(&a)));
    });
    let tp = median_seconds(|| {
        black_box(dot(black_box(&a), black_box(&a)).sqrt());
    });
    println!(
        "RATIO norm_1e6: scaled {:.3} ms, plain {:.3} ms, scaled/plain = {:.2}",
        ts * 1e3,
        tp * 1e3,
        ts / tp
    );
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = rosenbrock, logistic, mlp, norm
}
criterion_main!(benches);
