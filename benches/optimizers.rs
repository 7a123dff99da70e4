//! One Adam step on n = 10⁷ parameters (the fused single pass of `FirstOrder::apply` with
//! `ScaleByAdam`: reads x, m, v, g and writes x, m, v, seven streams of 8 bytes per parameter)
//! beside a STREAM-style triad `a = b + s·c` (McCalpin 1995; three streams) on arrays of the
//! same length, in the same run, both single-threaded. Reported: each kernel's effective
//! bandwidth and the Adam step's as a fraction of the triad's (target ≥ 50 %).

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::methods::first_order::{Adam, FirstOrder};
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 10_000_000;

fn triad(a: &mut [f64], b: &[f64], c: &[f64], s: f64) {
    for ((ai, bi), ci) in a.iter_mut().zip(b).zip(c) {
        *ai = bi + s * ci;
    }
}

/// `Adam::default()` (lr = 1e-3, PyTorch's β, ε) as its chain, a single fused transformation.
fn adam() -> FirstOrder {
    let mut m = Adam::default().build();
    m.reset(N);
    m
}

/// Best-of-`reps` seconds of `f`.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn bench(c: &mut Criterion) {
    let b: Vec<f64> = (0..N).map(|i| (i % 7) as f64).collect();
    let cc: Vec<f64> = (0..N).map(|i| (i % 5) as f64 * 0.1).collect();
    let mut a = vec![0.0; N];
    let g: Vec<f64> = (0..N).map(|i| ((i % 11) as f64 - 5.0) * 1e-2).collect();
    let mut x = vec![0.5; N];
    let mut opt = adam();

    let mut group = c.benchmark_group("optimizers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("triad_1e7", |bch| {
        bch.iter(|| triad(black_box(&mut a), &b, &cc, 3.0))
    });
    group.bench_function("adam_step_1e7", |bch| {
        bch.iter(|| black_box(opt.apply(black_box(&g), &mut x).unwrap()))
    });
    group.finish();

    // Same run, interleaved best-of-15: the ratio reported in the README.
    let (mut t_triad, mut t_adam) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..15 {
        t_triad = t_triad.min(best(1, || triad(black_box(&mut a), &b, &cc, 3.0)));
        t_adam = t_adam.min(best(1, || {
            black_box(opt.apply(black_box(&g), &mut x).unwrap());
        }));
    }
    let bw_triad = 3.0 * 8.0 * N as f64 / t_triad / 1e9;
    let bw_adam = 7.0 * 8.0 * N as f64 / t_adam / 1e9;
    println!(
        "single thread, n = 1e7: triad {:.2} ms ({bw_triad:.2} GB/s, 3 streams); \
         adam step {:.2} ms ({bw_adam:.2} GB/s, 7 streams); adam / triad bandwidth = {:.0} %",
        t_triad * 1e3,
        t_adam * 1e3,
        100.0 * bw_adam / bw_triad
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
