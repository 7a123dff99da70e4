//! Cost of the exact Hessian-vector product (Pearlmutter's R-operator) and of the Gauss-Newton
//! product relative to a gradient, for the issue-12 network: 64 → 128 → 128 → 10, tanh, softmax
//! cross-entropy, on the whole training part of the UCI digits (1,438 images, stratified 80/20
//! split, data seed 42), full batch, single-threaded (`faer::Par::Seq`).
//!
//! Criterion times each; then the ratios HVP/gradient (target ≤ 2.5) and GGN/gradient (target
//! ≤ 2) are printed from the medians of 21 interleaved calls in this same run, the products each
//! at a new point (from scratch) and at one point (the point's passes cached). Then the block
//! products (issue 13): a block of 8 against 8 single products (`BLOCK`), and 100 HVPs at `x0`
//! as 33 blocks of 3 plus one, the block eigensolver's use, on one worker and on two
//! (`SOLVER`; `parallel=true`). `cargo bench --bench network -- none` skips criterion and prints
//! only these lines.
//!
//! With `CURVLAB_NETWORK_EXPORT=FILE` set, the bench also writes the data, parameters, direction
//! and curvlab's gradient and HVP (and its timings) to FILE as JSON, for the JAX peer
//! (`benches/peers/network_jax.sh`), which computes the same product and compares.
//! Run: `cargo bench --bench network`.

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::params::Params;
use curvlab::problems::build_problem;
use curvlab::{GaussNewton, Objective};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median_seconds(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..21)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

struct Setup {
    f: Box<dyn Objective>,
    x: Vec<f64>,
    v: Vec<f64>,
}

fn setup() -> Setup {
    setup_with(false)
}

fn setup_with(parallel: bool) -> Setup {
    let par = format!("parallel={parallel}");
    let p = Params::from_pairs(&[
        "dataset=digits",
        "hidden=128,128",
        "activation=tanh",
        "loss=ce",
        &par,
    ])
    .expect("bench parameters");
    let inst = build_problem("classifier", &p, 0).expect("classifier builds");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let v: Vec<f64> = (0..inst.x0.len())
        .map(|_| 2.0 * rng.random::<f64>() - 1.0)
        .collect();
    Setup {
        f: inst.objective,
        x: inst.x0,
        v,
    }
}

/// Median seconds, interleaved: gradient; HVP and GGN product at a new point each call (the
/// point's forward and gradient passes redone: the cost of one product from scratch, what the
/// JAX peer measures); HVP and GGN product at one point (the passes cached, as in a Lanczos run).
struct Times {
    gradient: f64,
    hvp: f64,
    ggn: f64,
    hvp_cached: f64,
    ggn_cached: f64,
}

fn times(s: &Setup) -> Times {
    let n = s.f.dim();
    let gn: &dyn GaussNewton = s.f.as_gauss_newton().expect("network has GGN products");
    let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
    let x2: Vec<f64> = s.x.iter().map(|v| v * 0.999).collect();
    let xs = [&s.x, &x2];
    let mut t: [Vec<f64>; 5] = Default::default();
    let mut call = 0usize;
    for _ in 0..3 {
        t[0].push(median_seconds(|| {
            black_box(s.f.gradient(black_box(&s.x), &mut g).unwrap());
        }));
        t[1].push(median_seconds(|| {
            call += 1;
            s.f.hvp(black_box(xs[call % 2]), black_box(&s.v), &mut hv)
                .unwrap()
        }));
        t[2].push(median_seconds(|| {
            call += 1;
            gn.ggn_vp(black_box(xs[call % 2]), black_box(&s.v), &mut hv)
                .unwrap()
        }));
        t[3].push(median_seconds(|| {
            s.f.hvp(black_box(&s.x), black_box(&s.v), &mut hv).unwrap()
        }));
        t[4].push(median_seconds(|| {
            gn.ggn_vp(black_box(&s.x), black_box(&s.v), &mut hv)
                .unwrap()
        }));
    }
    let [a, b, c, d, e] = t.map(|t| t.into_iter().fold(f64::INFINITY, f64::min));
    Times {
        gradient: a,
        hvp: b,
        ggn: c,
        hvp_cached: d,
        ggn_cached: e,
    }
}

/// A seeded `n × k` block of directions uniform in `[-1, 1]`.
fn directions(n: usize, k: usize, seed: u64) -> faer::Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    faer::Mat::from_fn(n, k, |_, _| 2.0 * rng.random::<f64>() - 1.0)
}

/// Median seconds of 21 calls of `f`, the smallest of 3 such medians.
fn best_median(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| median_seconds(&mut f))
        .fold(f64::INFINITY, f64::min)
}

/// Block-8 against 8 single products (HVP and GGN): singles at the same point (the point's
/// forward and gradient passes cached, as in a Lanczos run) and singles each at a new point
/// (the passes redone, what every product cost before the cache). Printed as `BLOCK` lines.
fn block_times(s: &Setup) {
    let n = s.f.dim();
    let gn = s.f.as_gauss_newton().expect("GGN");
    let v8 = directions(n, 8, 11);
    let mut out8 = faer::Mat::<f64>::zeros(n, 8);
    let cols: Vec<Vec<f64>> = (0..8)
        .map(|j| v8.col(j).iter().copied().collect())
        .collect();
    let x2: Vec<f64> = s.x.iter().map(|v| v * 0.999).collect();
    let xs = [&s.x, &x2];
    let mut o = vec![0.0; n];
    for (name, ggn) in [("hvp", false), ("ggn", true)] {
        let single = |x: &[f64], c: &[f64], o: &mut [f64]| {
            if ggn {
                gn.ggn_vp(x, c, o).unwrap()
            } else {
                s.f.hvp(x, c, o).unwrap()
            }
        };
        let warm = best_median(|| {
            for c in &cols {
                single(black_box(&s.x), c, &mut o);
            }
        });
        let cold = best_median(|| {
            for (i, c) in cols.iter().enumerate() {
                single(black_box(xs[i % 2]), c, &mut o);
            }
        });
        let block = best_median(|| {
            if ggn {
                gn.ggn_vp_block(black_box(&s.x), v8.as_ref(), out8.as_mut())
            } else {
                s.f.hvp_block(black_box(&s.x), v8.as_ref(), out8.as_mut())
            }
            .unwrap()
        });
        println!(
            "BLOCK {name}: block of 8 {:.3} ms; 8 singles at one point {:.3} ms (ratio {:.3}); 8 singles at new points {:.3} ms (ratio {:.3}; target <= 0.4)",
            block * 1e3,
            warm * 1e3,
            block / warm,
            cold * 1e3,
            block / cold
        );
    }
}

/// 100 HVPs at x0 as 33 blocks of 3 plus one (the block eigensolver's use), the point's passes
/// included once (the first block of each run rebuilds them): median of 5 runs, printed as a
/// `SOLVER` line for one worker and for two.
fn solver_times(s: &Setup, label: &str) {
    let n = s.f.dim();
    let v3 = directions(n, 3, 13);
    let mut out3 = faer::Mat::<f64>::zeros(n, 3);
    let (v1, mut out1) = (directions(n, 1, 17), faer::Mat::<f64>::zeros(n, 1));
    let x2: Vec<f64> = s.x.iter().map(|v| v * 0.999).collect();
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            s.f.hvp_block(&x2, v1.as_ref(), out1.as_mut()).unwrap(); // evict x0's passes
            let t = Instant::now();
            for _ in 0..33 {
                s.f.hvp_block(black_box(&s.x), v3.as_ref(), out3.as_mut())
                    .unwrap();
            }
            s.f.hvp_block(black_box(&s.x), v1.as_ref(), out1.as_mut())
                .unwrap();
            t.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    println!(
        "SOLVER {label}: 100 HVPs at x0 as 33 blocks of 3 + 1: median of 5 {:.1} ms ({:.2} ms per product; budget 8 ms), min {:.1} ms",
        runs[2] * 1e3,
        runs[2] * 10.0,
        runs[0] * 1e3
    );
}

fn export(s: &Setup, path: &str, t: &Times) {
    use curvlab::problems::datasets::{digits, stratified_split};
    let all = digits::load().expect("digits");
    let split = stratified_split(&all, 10, 0.2, 42).expect("split");
    let n = s.f.dim();
    let (mut g, mut hv, mut gv) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let loss = s.f.gradient(&s.x, &mut g).unwrap();
    s.f.hvp(&s.x, &s.v, &mut hv).unwrap();
    s.f.as_gauss_newton()
        .unwrap()
        .ggn_vp(&s.x, &s.v, &mut gv)
        .unwrap();
    let x = split.train.x();
    let rows: Vec<Vec<f64>> = (0..x.nrows())
        .map(|i| (0..x.ncols()).map(|j| x[(i, j)]).collect())
        .collect();
    let json = serde_json::json!({
        "sizes": [64, 128, 128, 10],
        "layout": "per layer: W (out x in, column-major) then b",
        "x_train": rows,
        "y_train": split.train.labels(),
        "params": s.x,
        "v": s.v,
        "loss": loss,
        "gradient": g,
        "hvp": hv,
        "ggn": gv,
        "curvlab_seconds": {
            "gradient": t.gradient,
            "hvp": t.hvp,
            "ggn": t.ggn,
            "hvp_cached": t.hvp_cached,
            "ggn_cached": t.ggn_cached,
        },
    });
    std::fs::write(path, json.to_string()).expect("write export file");
    println!("EXPORT written to {path}");
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let n = s.f.dim();
    let gn = s.f.as_gauss_newton().expect("GGN");
    let mut group = c.benchmark_group("network_64_128_128_10_digits");
    let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
    group.bench_function("gradient", |b| {
        b.iter(|| s.f.gradient(black_box(&s.x), &mut g).unwrap())
    });
    group.bench_function("hvp", |b| {
        b.iter(|| s.f.hvp(black_box(&s.x), black_box(&s.v), &mut hv).unwrap())
    });
    group.bench_function("ggn_vp", |b| {
        b.iter(|| {
            gn.ggn_vp(black_box(&s.x), black_box(&s.v), &mut hv)
                .unwrap()
        })
    });
    group.finish();
    let t = times(&s);
    println!(
        "RATIO network 64-128-128-10 (digits, N = {}): gradient {:.3} ms, hvp {:.3} ms, ggn_vp {:.3} ms (each at a new point); hvp/gradient = {:.2} (target <= 2.5), ggn/gradient = {:.2} (target <= 2); at one point (passes cached): hvp {:.3} ms, ggn_vp {:.3} ms",
        s.f.as_finite_sum().map_or(0, |f| f.num_examples()),
        t.gradient * 1e3,
        t.hvp * 1e3,
        t.ggn * 1e3,
        t.hvp / t.gradient,
        t.ggn / t.gradient,
        t.hvp_cached * 1e3,
        t.ggn_cached * 1e3,
    );
    block_times(&s);
    solver_times(&s, "one worker");
    solver_times(&setup_with(true), "two workers (parallel=true)");
    if let Ok(path) = std::env::var("CURVLAB_NETWORK_EXPORT") {
        export(&s, &path, &t);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
