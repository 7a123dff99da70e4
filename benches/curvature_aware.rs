//! One step of each curvature-aware method (AdaHessian, Sophia-H, K-FAC, Shampoo) against one
//! Adam step and the curvature products they use, in the same run, on the largest `classifier`
//! network that fits: 64 → 1000 → 1000 → 10, tanh, softmax cross-entropy, n = 1,076,010
//! parameters, full batch over the 1,438 digits training images, single-threaded.
//!
//! A method's *overhead* is its step time over (one Adam step + the products it needs per step):
//! AdaHessian one HVP; Sophia-H one HVP every k = 10 steps; K-FAC one statistics pass (a
//! forward/backward with sampled targets) and two GGN products (the §7 model with momentum);
//! Shampoo none. Steps that refresh (Sophia's estimate, K-FAC's eigendecompositions every 20,
//! Shampoo's roots every 10) are amortized: `steady + (refresh − steady) / T`. Target ≤ 1.5.
//!
//! Criterion times the steady steps and products (10 samples); the RATIO lines come from medians
//! of interleaved calls in the same run. `CURVLAB_BENCH_HIDDEN=256,256` picks a smaller network.
//! Run: `cargo bench --bench curvature_aware`.

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::curvature::kfac::Targets;
use curvlab::methods::{Iterate, Method, MethodContext, build_method};
use curvlab::params::Params;
use curvlab::problems::build_problem;
use curvlab::{GaussNewton, Objective};
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Setup {
    f: Box<dyn Objective>,
    x: Vec<f64>,
    v: Vec<f64>,
    hidden: String,
}

fn setup() -> Setup {
    let hidden = std::env::var("CURVLAB_BENCH_HIDDEN").unwrap_or_else(|_| "1000,1000".into());
    let h = format!("hidden={hidden}");
    let p = Params::from_pairs(&["dataset=digits", h.as_str(), "activation=tanh", "loss=ce"])
        .expect("bench parameters");
    let inst = build_problem("classifier", &p, 0).expect("classifier builds");
    let v: Vec<f64> = inst.x0.iter().map(|t| t.sin()).collect();
    Setup {
        f: inst.objective,
        x: inst.x0,
        v,
        hidden,
    }
}

fn seconds(f: impl FnOnce()) -> f64 {
    let s = Instant::now();
    f();
    s.elapsed().as_secs_f64()
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// A method built from the registry and initialised at `x`.
fn method(s: &Setup, kind: &str, opts: &[&str]) -> (Box<dyn Method>, Iterate) {
    let p = Params::from_pairs(opts).expect("method parameters");
    let mut m = build_method(kind, &p, &MethodContext::default()).expect("method builds");
    let it = Iterate::new(s.f.as_ref(), s.x.clone()).expect("iterate");
    m.init(s.f.as_ref(), &it).expect("init");
    (m, it)
}

/// `(first step, median of `reps` later steps)` in seconds.
fn step_times(s: &Setup, kind: &str, opts: &[&str], reps: usize) -> (f64, f64) {
    let (mut m, mut it) = method(s, kind, opts);
    let first = seconds(|| {
        m.step(s.f.as_ref(), &mut it).expect("step");
    });
    let later = (0..reps)
        .map(|_| {
            seconds(|| {
                m.step(s.f.as_ref(), &mut it).expect("step");
            })
        })
        .collect();
    (first, median(later))
}

/// Median seconds of the products: `(gradient, hvp, ggn, K-FAC statistics)`.
fn product_times(s: &Setup, reps: usize) -> (f64, f64, f64, f64) {
    let n = s.f.dim();
    let gn: &dyn GaussNewton = s.f.as_gauss_newton().expect("GGN");
    let layered = s.f.layered().expect("layers");
    let (mut g, mut out) = (vec![0.0; n], vec![0.0; n]);
    let (mut tg, mut th, mut tn, mut ts) = (vec![], vec![], vec![], vec![]);
    for r in 0..reps {
        tg.push(seconds(|| {
            black_box(s.f.gradient(&s.x, &mut g).unwrap());
        }));
        th.push(seconds(|| s.f.hvp(&s.x, &s.v, &mut out).unwrap()));
        tn.push(seconds(|| gn.ggn_vp(&s.x, &s.v, &mut out).unwrap()));
        ts.push(seconds(|| {
            let t = Targets::Sampled { seed: r as u64 };
            black_box(layered.layer_statistics(&s.x, None, t).unwrap());
        }));
    }
    (median(tg), median(th), median(tn), median(ts))
}

const SHAPE_NOTE: &str = "shampoo shape: W₁ 1000x64, b₁, W₂ 1000x1000, b₂, W₃ 10x1000, b₃";

fn shampoo_shape(s: &Setup) -> String {
    let w: Vec<usize> = s
        .hidden
        .split(',')
        .map(|t| t.trim().parse().unwrap())
        .collect();
    let mut sizes = vec![64];
    sizes.extend(&w);
    sizes.push(10);
    let parts: Vec<String> = sizes
        .windows(2)
        .flat_map(|p| [format!("{}x{}", p[1], p[0]), p[1].to_string()])
        .collect();
    format!("shape={}", parts.join(","))
}

fn report(s: &Setup) {
    let reps = 3;
    let (tg, th, tn, ts) = product_times(s, reps);
    let shape = shampoo_shape(s);
    let (_, adam) = step_times(s, "adam", &[], reps);
    let (a1, ada) = step_times(s, "adahessian", &[], reps);
    let (s1, sop) = step_times(s, "sophia", &["weight_decay=0"], reps);
    let (k1, kf) = step_times(s, "kfac", &["damping=0.1"], reps);
    let (h1, sh) = step_times(s, "shampoo", &[shape.as_str()], reps);
    let amort = |first: f64, steady: f64, t: f64| steady + (first - steady).max(0.0) / t;
    let sop_a = amort(s1, sop, 10.0);
    let kf_a = amort(k1, kf, 20.0);
    let sh_a = amort(h1, sh, 10.0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "RATIO curvature_aware n = {} (hidden {}; {SHAPE_NOTE}), load average {}",
        s.f.dim(),
        s.hidden,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "RATIO products: gradient {:.1} ms, hvp {:.1} ms ({:.2}x), ggn {:.1} ms ({:.2}x), K-FAC statistics {:.1} ms ({:.2}x); adam step {:.1} ms",
        tg * 1e3,
        th * 1e3,
        th / tg,
        tn * 1e3,
        tn / tg,
        ts * 1e3,
        ts / tg,
        adam * 1e3
    );
    let line = |name: &str, step: f64, first: f64, base: f64| {
        println!(
            "RATIO {name}: first step {:.1} ms, steady {:.1} ms amortized; over Adam + its products ({:.1} ms) = {:.2} (target <= 1.5)",
            first * 1e3,
            step * 1e3,
            base * 1e3,
            step / base
        );
    };
    line("adahessian", ada, a1, adam + th);
    line("sophia-h (k = 10)", sop_a, s1, adam + th / 10.0);
    line("kfac (T = 20, momentum)", kf_a, k1, adam + ts + 2.0 * tn);
    line("shampoo (T = 10)", sh_a, h1, adam);
}

fn bench(c: &mut Criterion) {
    let s = setup();
    report(&s);
    let n = s.f.dim();
    let mut group = c.benchmark_group(format!("curvature_aware_{}", s.hidden.replace(',', "_")));
    let mut g = vec![0.0; n];
    group.bench_function("gradient", |b| {
        b.iter(|| s.f.gradient(black_box(&s.x), &mut g).unwrap())
    });
    group.bench_function("hvp", |b| {
        b.iter(|| s.f.hvp(black_box(&s.x), black_box(&s.v), &mut g).unwrap())
    });
    let shape = shampoo_shape(&s);
    let cases: [(&str, Vec<&str>); 5] = [
        ("adam", vec![]),
        ("adahessian", vec![]),
        ("sophia", vec!["weight_decay=0"]),
        ("kfac", vec!["damping=0.1"]),
        ("shampoo", vec![shape.as_str()]),
    ];
    for (kind, opts) in cases {
        let (mut m, mut it) = method(&s, kind, &opts);
        m.step(s.f.as_ref(), &mut it).expect("first step");
        group.bench_function(format!("{kind}_step"), |b| {
            b.iter(|| m.step(s.f.as_ref(), &mut it).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
