//! The curvature engine bench (issue 13): operator applications and time for the 5 largest and
//! the 5 smallest eigenvalues at relative tolerance 1e-8 (`‖Av − θv‖ ≤ 1e-8·|θ|`), for the
//! restarted block Krylov solver with its automatic block size (`BlockSize::Auto`) and the
//! single-vector thick-restart Lanczos (Wu & Simon 2000; Saad 2011, *Numerical Methods for Large
//! Eigenvalue Problems*, ch. 6) with and without its locked multiplicity pass, on five
//! matrices whose spectra are known independently of curvlab's eigensolvers:
//!
//! - the 2-D Laplacian, 5-point stencil on a 60 × 60 grid (n = 3600, double eigenvalues at both
//!   ends, closed form `c_i + c_j` with `c_i = 2 − 2cos(iπ/61)`, LeVeque 2007, §3.2);
//! - the 3-D Laplacian, 7-point stencil on a 16 × 16 × 16 grid (n = 4096, triple eigenvalues,
//!   closed form `c_i + c_j + c_l` with `c_i = 2 − 2cos(iπ/17)`);
//! - a diagonal matrix with a cluster (n = 2000: 10 four times, then 1996 values evenly spread
//!   over [1, 9]);
//! - an indefinite matrix `Q diag(λ) Qᵀ` (n = 500, λ evenly spread over [−1, 10], `Q` the
//!   orthogonal factor of a seeded Gaussian matrix);
//! - a dense SPD matrix `Q diag(λ) Qᵀ` with a log-uniform spectrum in [1, 10⁴] (n = 300).
//!
//! The two random matrices are written to `target/curvature_peer/{indef500,spd300}.mtx` for the
//! peer script `benches/peers/curvature_scipy.sh` (scipy's ARPACK `eigsh` and LOBPCG on the same
//! five matrices; it rebuilds the other three itself). Every solver gets the same budget of
//! [`BUDGET`] applications as the peers.
//!
//! Then block Hessian-vector products (k = 8 as one block against 8 single products: MLPs,
//! logistic regression 1000 × 20 and 20000 × 200, the issue-12 digits classifier), and the wall
//! clock of the top-5 Hessian eigenvalues of that classifier at `x₀` with the default solver.
//! Rows and ratios are printed once, as markdown table rows on stderr
//! (`cargo bench --bench curvature 2> rows.md`); criterion groups (`curvature`, `block_hvp`,
//! `classifier_top5`) take 10 flat samples each. curvlab's kernels run sequentially
//! (`faer::Par::Seq`).

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use curvlab::Objective;
use curvlab::curvature::{BlockSize, Lanczos, LanczosResult, RitzPair, Which, spectrum};
use curvlab::linalg::sparse::{CsrMatrix, MatrixMarketFormat};
use curvlab::linalg::{HessianOperator, LinearOperator};
use curvlab::params::Params;
use curvlab::problems::build_problem;
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::Mlp;
use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Operator applications allowed to every solver (curvlab and the peers alike).
const BUDGET: usize = 100_000;
/// Relative tolerance of every solver and of the multiset comparison.
const TOL: f64 = 1e-8;
/// Eigenvalues wanted at each end.
const K: usize = 5;
/// Where the matrices for the peer script go.
const PEER_DIR: &str = "target/curvature_peer";

/// A matrix with its reference eigenvalues (ascending), independent of curvlab's eigensolvers.
struct Case {
    name: &'static str,
    op: Box<dyn LinearOperator>,
    eigenvalues: Vec<f64>,
}

fn solver(which: Which, block: BlockSize, check: bool) -> Lanczos {
    Lanczos::new(K, which)
        .and_then(|l| l.with_tol(TOL))
        .and_then(|l| l.with_block_size(block))
        .and_then(|l| l.with_multiplicity_check(check))
        .and_then(|l| l.with_max_applications(BUDGET))
        .expect("valid settings")
}

/// `2 − 2cos(iπ/(k+1))`, `i = 1…k`: the eigenvalues of the 1-D Dirichlet Laplacian.
fn laplacian_1d_eigenvalues(k: usize) -> Vec<f64> {
    let h = std::f64::consts::PI / (k + 1) as f64;
    (1..=k).map(|i| 2.0 - 2.0 * (i as f64 * h).cos()).collect()
}

/// The 7-point Laplacian on a `k × k × k` grid with zero Dirichlet boundary (node `(i, j, l)` is
/// index `i + k j + k² l`) and its closed-form eigenvalues, ascending.
fn laplacian_3d(k: usize) -> (CsrMatrix, Vec<f64>) {
    let n = k * k * k;
    let mut t = Vec::with_capacity(7 * n);
    for l in 0..k {
        for j in 0..k {
            for i in 0..k {
                let p = i + k * j + k * k * l;
                t.push((p, p, 6.0));
                for (c, stride) in [(i, 1), (j, k), (l, k * k)] {
                    if c > 0 {
                        t.push((p, p - stride, -1.0));
                    }
                    if c + 1 < k {
                        t.push((p, p + stride, -1.0));
                    }
                }
            }
        }
    }
    let a = CsrMatrix::from_triplets(n, n, &t).expect("3-D Laplacian");
    let c = laplacian_1d_eigenvalues(k);
    let mut ev = Vec::with_capacity(n);
    for x in &c {
        for y in &c {
            for z in &c {
                ev.push(x + y + z);
            }
        }
    }
    ev.sort_by(f64::total_cmp);
    (a, ev)
}

/// `diag(10, 10, 10, 10, 1 + 8 j/1995 for j = 0…1995)`: a four-fold top eigenvalue over a
/// spread (n = 2000).
fn cluster_diagonal() -> (CsrMatrix, Vec<f64>) {
    let mut d = vec![10.0; 4];
    d.extend((0..1996).map(|j| 1.0 + 8.0 * j as f64 / 1995.0));
    let t: Vec<(usize, usize, f64)> = d.iter().enumerate().map(|(i, &v)| (i, i, v)).collect();
    let a = CsrMatrix::from_triplets(d.len(), d.len(), &t).expect("diagonal");
    d.sort_by(f64::total_cmp);
    (a, d)
}

/// `Q diag(λ) Qᵀ` with `λ_j = −1 + 11 j/499` (n = 500) and `Q` the orthogonal QR factor of a
/// Gaussian matrix drawn from ChaCha8 seed 13.
fn indefinite() -> (Mat<f64>, Vec<f64>) {
    let n = 500;
    let lambda: Vec<f64> = (0..n)
        .map(|j| -1.0 + 11.0 * j as f64 / (n - 1) as f64)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let g = Mat::<f64>::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
    let q = g.qr().compute_Q();
    let ql = Mat::<f64>::from_fn(n, n, |i, j| q[(i, j)] * lambda[j]);
    let a = &ql * q.transpose();
    let a = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
    (a, lambda)
}

/// Writes a dense matrix for the peer script and says so on stderr.
fn write_for_peer(a: &Mat<f64>, file: &str) {
    let dir = std::path::Path::new(PEER_DIR);
    let written = std::fs::create_dir_all(dir).and_then(|_| {
        CsrMatrix::from_dense(a.as_ref())
            .write_matrix_market(dir.join(file), MatrixMarketFormat::CoordinateGeneral)
            .map_err(std::io::Error::other)
    });
    eprintln!("{PEER_DIR}/{file} for the peer script: {written:?}");
}

fn cases() -> Vec<Case> {
    let lap2 = CsrMatrix::laplacian_2d(60).expect("laplacian");
    let (lap3, ev3) = laplacian_3d(16);
    let (diag, evd) = cluster_diagonal();
    let (ind, evi) = indefinite();
    write_for_peer(&ind, "indef500.mtx");
    let q = Quadratic::new(300, 1e4, SpectrumKind::LogUniform, Rotation::Random, 0).expect("q");
    let spd = q.matrix();
    write_for_peer(&spd, "spd300.mtx");
    // The two rotated matrices against the dense eigensolver: rounding only.
    for (name, a, ev) in [
        ("indef500", &ind, evi.as_slice()),
        ("spd300", &spd, q.eigenvalues()),
    ] {
        let dense = spectrum(a).expect("spectrum").eigenvalues;
        let diff = dense
            .iter()
            .zip(ev)
            .map(|(d, e)| (d - e).abs())
            .fold(0.0f64, f64::max);
        eprintln!("{name}: max |dense spectrum − construction| = {diff:.1e}");
    }
    vec![
        Case {
            name: "2-D Laplacian 60²",
            op: Box::new(lap2),
            eigenvalues: CsrMatrix::laplacian_2d_eigenvalues(60),
        },
        Case {
            name: "3-D Laplacian 16³",
            op: Box::new(lap3),
            eigenvalues: ev3,
        },
        Case {
            name: "diagonal, 10 ×4 + spread",
            op: Box::new(diag),
            eigenvalues: evd,
        },
        Case {
            name: "indefinite [−1, 10]",
            op: Box::new(ind),
            eigenvalues: evi,
        },
        Case {
            name: "SPD κ=1e4",
            op: Box::new(spd),
            eigenvalues: q.eigenvalues().to_vec(),
        },
    ]
}

/// What a run returned, checked against the reference.
struct Check {
    right: bool,
    residual: f64,
    orthogonality: f64,
}

/// The returned pairs against the `want`ed eigenvalues (ascending): the sorted values must match
/// one to one within `TOL·|λ|` (so a missing copy of a multiple eigenvalue fails); the true
/// relative residual and the orthogonality are recomputed by [`quality`].
fn check(op: &dyn LinearOperator, r: &LanczosResult, want: &[f64]) -> Check {
    let pairs: Vec<&RitzPair> = r.largest.iter().chain(&r.smallest).collect();
    let mut got: Vec<f64> = pairs.iter().map(|p| p.value).collect();
    got.sort_by(f64::total_cmp);
    let right = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= TOL * w.abs());
    let (residual, orthogonality) = quality(op, &pairs);
    Check {
        right,
        residual,
        orthogonality,
    }
}

/// `max ‖Av − θv‖/|θ|` over the pairs (one fresh application each, not counted) and
/// `max |VᵀV − I|`, independent of what the solver reports.
fn quality(op: &dyn LinearOperator, pairs: &[&RitzPair]) -> (f64, f64) {
    let mut av = vec![0.0; op.dim()];
    let mut residual = 0.0f64;
    for p in pairs {
        op.apply(&p.vector, &mut av).expect("apply");
        let r2: f64 = av
            .iter()
            .zip(&p.vector)
            .map(|(a, v)| (a - p.value * v).powi(2))
            .sum();
        residual = residual.max(r2.sqrt() / p.value.abs());
    }
    let mut orthogonality = 0.0f64;
    for (i, p) in pairs.iter().enumerate() {
        for (j, q) in pairs.iter().enumerate() {
            let d: f64 = p.vector.iter().zip(&q.vector).map(|(a, b)| a * b).sum();
            let e = if i == j { d - 1.0 } else { d };
            orthogonality = orthogonality.max(e.abs());
        }
    }
    (residual, orthogonality)
}

/// One table row per end and solver for one matrix.
fn report(case: &Case) {
    let solvers = [
        ("block auto", BlockSize::Auto, true),
        ("single + multiplicity pass", BlockSize::Single, true),
        ("single, no pass", BlockSize::Single, false),
    ];
    let ev = &case.eigenvalues;
    for which in [Which::Largest, Which::Smallest] {
        let want: Vec<f64> = match which {
            Which::Largest => ev[ev.len() - K..].to_vec(),
            _ => ev[..K].to_vec(),
        };
        for (label, block, pass) in solvers {
            let t = Instant::now();
            let r = solver(which, block, pass)
                .run(&*case.op)
                .expect("solver runs");
            let secs = t.elapsed().as_secs_f64();
            let c = check(&*case.op, &r, &want);
            eprintln!(
                "| {} | {} | {which:?} | curvlab {label} | {} | {secs:.3} | {} | {} | {:.2e} | {:.0e} |",
                case.name,
                case.op.dim(),
                r.applications,
                r.converged,
                c.right,
                c.residual,
                c.orthogonality
            );
        }
    }
}

/// The small end of the SPD matrix with a basis of `m = n` vectors (never restarted): the row
/// that shows the restarts, not Krylov subspaces as such, cost the tens of thousands of
/// applications there.
fn no_restart_row(case: &Case) {
    let n = case.op.dim();
    let t = Instant::now();
    let r = solver(Which::Smallest, BlockSize::Single, false)
        .with_basis_size(n)
        .and_then(|l| l.run(&*case.op))
        .expect("solver runs");
    let secs = t.elapsed().as_secs_f64();
    let c = check(&*case.op, &r, &case.eigenvalues[..K]);
    eprintln!(
        "| {} | {n} | Smallest | curvlab single, basis m = n (no restart) | {} | {secs:.3} | {} | {} | {:.2e} | {:.0e} |",
        case.name, r.applications, r.converged, c.right, c.residual, c.orthogonality
    );
}

/// Seconds of one call.
fn seconds(mut f: impl FnMut()) -> f64 {
    let s = Instant::now();
    f();
    s.elapsed().as_secs_f64()
}

/// Medians of `(a, b)` over interleaved calls, as many as fit in about 4 s (3 to 21).
fn interleaved_medians(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let once = seconds(&mut a) + seconds(&mut b);
    let reps = ((4.0 / once) as usize).clamp(3, 21);
    let (mut ta, mut tb): (Vec<f64>, Vec<f64>) = (0..reps)
        .map(|_| (seconds(&mut a), seconds(&mut b)))
        .unzip();
    ta.sort_by(f64::total_cmp);
    tb.sort_by(f64::total_cmp);
    (ta[reps / 2], tb[reps / 2])
}

/// A seeded block of 8 directions and its columns as vectors.
fn directions(n: usize) -> (Mat<f64>, Vec<Vec<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let v = Mat::<f64>::from_fn(n, 8, |_, _| StandardNormal.sample(&mut rng));
    let cols = (0..8)
        .map(|j| (0..n).map(|i| v[(i, j)]).collect())
        .collect();
    (v, cols)
}

/// k = 8 Hessian-vector products as one block and as 8 single products: the two agree to
/// `1e-10` relative (checked), the criterion pair is timed and the ratio of the medians of
/// interleaved calls in this run (3 to 21 pairs) is printed as a table row.
fn hvp_pair<O: Objective + ?Sized>(c: &mut Criterion, name: &str, f: &O, x: &[f64]) {
    let n = f.dim();
    let (v, cols) = directions(n);
    let mut out = Mat::<f64>::zeros(n, 8);
    let mut o = vec![0.0; n];
    f.hvp_block(x, v.as_ref(), out.as_mut()).expect("block");
    let mut err = 0.0f64;
    let mut scale = 0.0f64;
    for (j, col) in cols.iter().enumerate() {
        f.hvp(x, col, &mut o).expect("hvp");
        for (i, oi) in o.iter().enumerate() {
            err = err.max((out[(i, j)] - oi).abs());
            scale = scale.max(oi.abs());
        }
    }
    assert!(
        err <= 1e-10 * scale,
        "{name}: block and single products differ by {err:e}"
    );
    let mut block = || f.hvp_block(x, v.as_ref(), out.as_mut()).expect("block");
    let mut singles = || {
        for col in &cols {
            f.hvp(x, col, &mut o).expect("hvp");
        }
        black_box(&o);
    };
    let (tb, ts) = interleaved_medians(&mut block, &mut singles);
    eprintln!(
        "| {name} | {n} | {:.3} | {:.3} | {:.2} |",
        tb * 1e3,
        ts * 1e3,
        tb / ts
    );
    let mut g = c.benchmark_group("block_hvp");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    g.bench_function(format!("{name}_block8"), |b| b.iter(&mut block));
    g.bench_function(format!("{name}_single8"), |b| b.iter(&mut singles));
    g.finish();
}

/// The issue-12 classifier: digits, 64 → 128 → 128 → 10, tanh, softmax cross-entropy, full
/// training set, at its `x₀` (as in `benches/network.rs`).
fn classifier() -> (Box<dyn Objective>, Vec<f64>) {
    let p = Params::from_pairs(&[
        "dataset=digits",
        "hidden=128,128",
        "activation=tanh",
        "loss=ce",
    ])
    .expect("classifier parameters");
    let inst = build_problem("classifier", &p, 0).expect("classifier builds");
    (inst.objective, inst.x0)
}

/// The default solver (only `k`, the end and the tolerance set) for the top 5 of the classifier's
/// Hessian: one timed run printed, then a criterion group.
fn classifier_top5(c: &mut Criterion, f: &dyn Objective, x: &[f64]) {
    let h = HessianOperator::new(f, x.to_vec()).expect("operator");
    let top5 = || {
        Lanczos::new(K, Which::Largest)
            .and_then(|l| l.with_tol(TOL))
            .and_then(|l| l.run(&h))
            .expect("top 5")
    };
    let t = Instant::now();
    let r = top5();
    let secs = t.elapsed().as_secs_f64();
    let top: Vec<f64> = r.largest.iter().map(|p| p.value).collect();
    let pairs: Vec<&RitzPair> = r.largest.iter().collect();
    let (residual, _) = quality(&h, &pairs);
    eprintln!(
        "| classifier digits 64-128-128-10 tanh ce | {} | {secs:.3} | {} | {} | {:.2e} | {:?} |",
        f.dim(),
        r.applications,
        r.converged,
        residual,
        top.iter().map(|v| format!("{v:.6}")).collect::<Vec<_>>()
    );
    let mut g = c.benchmark_group("classifier_top5");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_millis(300));
    g.bench_function("hessian_top5_default", |b| b.iter(|| black_box(top5())));
    g.finish();
}

fn eigen_rows() -> Vec<Case> {
    let cases = cases();
    eprintln!(
        "\n| matrix | n | end | solver | applications | seconds | converged | right multiset | max rel residual | max abs(VᵀV − I) |"
    );
    eprintln!("|---|---|---|---|---|---|---|---|---|---|");
    for case in &cases {
        report(case);
    }
    no_restart_row(&cases[4]);
    let t = Instant::now();
    black_box(spectrum(&*cases[4].op).expect("spectrum"));
    eprintln!(
        "\nSPD κ=1e4 n=300, dense spectrum (all 300 eigenvalues): {:.4} s",
        t.elapsed().as_secs_f64()
    );
    cases
}

fn eigen_groups(c: &mut Criterion, cases: &[Case]) {
    let mut g = c.benchmark_group("curvature");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(300));
    let lap = &*cases[0].op;
    for (name, which) in [("largest5", Which::Largest), ("smallest5", Which::Smallest)] {
        for (label, block) in [("block", BlockSize::Auto), ("single", BlockSize::Single)] {
            g.bench_function(format!("laplacian3600_{label}_{name}"), |b| {
                b.iter(|| black_box(solver(which, block, true).run(lap).expect("runs")))
            });
        }
    }
    let spd = &*cases[4].op;
    g.bench_function("spd300_dense_spectrum", |b| {
        b.iter(|| black_box(spectrum(spd).expect("runs")))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let cases = eigen_rows();
    eigen_groups(c, &cases);

    eprintln!("\n| problem | n | block of 8 (ms) | 8 single products (ms) | ratio |");
    eprintln!("|---|---|---|---|---|");
    let small = Mlp::new(Dataset::spirals(600, 3, 0.05, 0).expect("data"), &[16]).expect("mlp");
    hvp_pair(c, "mlp600_h16", &small, &small.initial_point(0));
    let mlp = Mlp::new(Dataset::spirals(2000, 3, 0.05, 0).expect("data"), &[64, 64]).expect("mlp");
    hvp_pair(c, "mlp2000_h64x64", &mlp, &mlp.initial_point(0));
    let lr = LogisticRegression::synthetic(1000, 20, 0).expect("logistic");
    hvp_pair(c, "logistic1000x20", &lr, &lr.standard_start());
    let lr = LogisticRegression::synthetic(20000, 200, 0).expect("logistic");
    hvp_pair(c, "logistic20000x200", &lr, &lr.standard_start());
    let (net, x0) = classifier();
    hvp_pair(c, "classifier_digits_128x128", &*net, &x0);

    eprintln!("\n| problem | n | seconds | applications | converged | max rel residual | top 5 |");
    eprintln!("|---|---|---|---|---|---|---|");
    classifier_top5(c, &*net, &x0);
}

criterion_group!(curvature, benches);
criterion_main!(curvature);
