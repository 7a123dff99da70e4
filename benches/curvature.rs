//! The curvature engine: operator applications and time for the 5 largest and the 5 smallest
//! eigenvalues at relative tolerance 1e-8 (`‖Av − θv‖ ≤ 1e-8·|θ|`), block solver (default,
//! automatic block size) against the single-vector thick-restart Lanczos with and without its
//! multiplicity pass, on
//! - the 2-D Laplacian, 5-point stencil on a 60 × 60 grid (n = 3600, CSR, double eigenvalues);
//! - a dense SPD matrix Q diag(λ) Qᵀ with a log-uniform spectrum in [1, 10⁴] (n = 300), written
//!   to `target/curvature_peer/spd300.mtx` for the peer script `benches/peers/curvature_scipy.sh`
//!   (ARPACK eigsh and LOBPCG on the same matrices);
//!
//! plus block Hessian-vector products (k = 8 as one block against 8 single products, MLP and
//! logistic regression) and the wall clock of the top-5 Hessian eigenvalues of an MLP.
//! Counts, multisets and one-run times are printed (stderr) in the setup.

use criterion::{Criterion, criterion_group, criterion_main};
use curvlab::Objective;
use curvlab::curvature::{BlockSize, Lanczos, Which, spectrum};
use curvlab::linalg::sparse::{CsrMatrix, MatrixMarketFormat};
use curvlab::linalg::{HessianOperator, LinearOperator};
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::problems::mlp::Mlp;
use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
use faer::Mat;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn solver(which: Which, block: BlockSize, check: bool) -> Lanczos {
    Lanczos::new(5, which)
        .and_then(|l| l.with_tol(1e-8))
        .and_then(|l| l.with_block_size(block))
        .and_then(|l| l.with_multiplicity_check(check))
        .expect("valid settings")
}

/// Runs every solver at both ends and prints applications, time, and whether the multiset
/// matches the reference eigenvalues `ev` (ascending) to 1e-8 relative.
fn report<A: LinearOperator>(name: &str, op: &A, ev: &[f64]) {
    let solvers = [
        ("block auto", BlockSize::Auto, true),
        ("single + multiplicity pass", BlockSize::Single, true),
        ("single", BlockSize::Single, false),
    ];
    for which in [Which::Largest, Which::Smallest] {
        let want: Vec<f64> = match which {
            Which::Largest => ev.iter().rev().take(5).copied().collect(),
            _ => ev.iter().take(5).copied().collect(),
        };
        for (label, block, check) in solvers {
            let t = Instant::now();
            let r = solver(which, block, check).run(op).expect("solver runs");
            let secs = t.elapsed().as_secs_f64();
            let pairs: Vec<_> = r.largest.iter().chain(&r.smallest).collect();
            let right = pairs.len() == 5
                && pairs
                    .iter()
                    .zip(&want)
                    .all(|(p, w)| (p.value - w).abs() <= 1e-8 * w.abs());
            let res = pairs
                .iter()
                .map(|p| p.residual / p.value.abs())
                .fold(0.0f64, f64::max);
            eprintln!(
                "| {name} | {which:?} | curvlab {label} | {} | {secs:.3} | {right} | {res:.1e} |",
                r.applications
            );
        }
    }
}

/// Ratio data: k = 8 Hessian-vector products as one block and as 8 single products.
fn hvp_pair<O: Objective>(c: &mut Criterion, name: &str, f: &O, x: &[f64]) {
    let n = f.dim();
    let v = Mat::<f64>::from_fn(n, 8, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5);
    let mut out = Mat::<f64>::zeros(n, 8);
    let mut g = c.benchmark_group("block_hvp");
    g.sample_size(20);
    g.bench_function(format!("{name}_block8"), |b| {
        b.iter(|| f.hvp_block(x, v.as_ref(), out.as_mut()).expect("block"))
    });
    let cols: Vec<Vec<f64>> = (0..8)
        .map(|j| (0..n).map(|i| v[(i, j)]).collect())
        .collect();
    let mut o = vec![0.0; n];
    g.bench_function(format!("{name}_single8"), |b| {
        b.iter(|| {
            for col in &cols {
                f.hvp(x, col, &mut o).expect("hvp");
            }
            black_box(&o);
        })
    });
    g.finish();
}

fn spd300() -> Mat<f64> {
    let q = Quadratic::new(300, 1e4, SpectrumKind::LogUniform, Rotation::Random, 0).expect("q");
    let a = q.matrix();
    let dir = std::path::Path::new("target/curvature_peer");
    if std::fs::create_dir_all(dir).is_ok() {
        let csr = CsrMatrix::from_dense(a.as_ref());
        let written = csr.write_matrix_market(
            dir.join("spd300.mtx"),
            MatrixMarketFormat::CoordinateGeneral,
        );
        eprintln!("spd300.mtx for the peer script: {:?}", written.is_ok());
    }
    a
}

/// The MLP whose full-batch Hessian top-5 is timed: spirals, 2000 examples, 3 classes,
/// hidden [64, 64] (n = 4547 parameters).
fn big_mlp() -> (Mlp, Vec<f64>) {
    let data = Dataset::spirals(2000, 3, 0.05, 0).expect("data");
    let f = Mlp::new(data, &[64, 64]).expect("mlp");
    let x = f.initial_point(0);
    (f, x)
}

fn benches(c: &mut Criterion) {
    let lap = CsrMatrix::laplacian_2d(60).expect("laplacian");
    eprintln!(
        "| matrix | end | solver | applications | seconds | right multiset | max rel residual |"
    );
    report(
        "2-D Laplacian n=3600",
        &lap,
        &CsrMatrix::laplacian_2d_eigenvalues(60),
    );
    let a = spd300();
    let ev = spectrum(&a).expect("spectrum").eigenvalues;
    report("SPD kappa=1e4 n=300", &a, &ev);
    let t = Instant::now();
    black_box(spectrum(&a).expect("spectrum"));
    eprintln!(
        "SPD n=300 dense spectrum: {:.4} s",
        t.elapsed().as_secs_f64()
    );

    let (mlp, x) = big_mlp();
    let h = HessianOperator::new(&mlp, x.clone()).expect("op");
    let t = Instant::now();
    let r = solver(Which::Largest, BlockSize::Auto, true)
        .run(&h)
        .expect("top5");
    eprintln!(
        "MLP n={} full-batch Hessian top-5: {:.3} s, {} applications, converged {}, values {:?}",
        mlp.dim(),
        t.elapsed().as_secs_f64(),
        r.applications,
        r.converged,
        r.largest.iter().map(|p| p.value).collect::<Vec<_>>()
    );

    let mut g = c.benchmark_group("curvature");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (name, which) in [("largest5", Which::Largest), ("smallest5", Which::Smallest)] {
        g.bench_function(format!("laplacian3600_block_{name}"), |b| {
            b.iter(|| {
                black_box(
                    solver(which, BlockSize::Auto, true)
                        .run(&lap)
                        .expect("runs"),
                )
            })
        });
        g.bench_function(format!("laplacian3600_single_{name}"), |b| {
            b.iter(|| {
                black_box(
                    solver(which, BlockSize::Single, true)
                        .run(&lap)
                        .expect("runs"),
                )
            })
        });
    }
    g.bench_function("spd300_dense_spectrum", |b| {
        b.iter(|| black_box(spectrum(&a).expect("runs")))
    });
    g.bench_function("mlp_top5_block", |b| {
        b.iter(|| {
            black_box(
                solver(Which::Largest, BlockSize::Auto, true)
                    .run(&h)
                    .expect("runs"),
            )
        })
    });
    g.finish();

    let small = Mlp::new(Dataset::spirals(600, 3, 0.05, 0).expect("data"), &[16]).expect("mlp");
    let xs = small.initial_point(0);
    hvp_pair(c, "mlp600_h16", &small, &xs);
    hvp_pair(c, "mlp2000_h64x64", &mlp, &x);
    let lr = LogisticRegression::synthetic(1000, 20, 0).expect("logistic");
    let xl = lr.standard_start();
    hvp_pair(c, "logistic1000x20", &lr, &xl);
}

criterion_group!(curvature, benches);
criterion_main!(curvature);
