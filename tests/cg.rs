//! Conjugate gradients, preconditioned CG, Steihaug–Toint and the Moré–Sorensen subproblem,
//! each checked against an independent reference: a faer Cholesky solve, direct evaluation of
//! `φ(x) = ½xᵀAx − bᵀx` and of Rayleigh quotients, the trust-region optimality conditions
//! (Nocedal & Wright 2006, Theorem 4.1) and the published Martens rule recomputed from the
//! reported `φ` history. Every random matrix comes from a stated `ChaCha8Rng` seed.

use curvlab::linalg::LinearOperator;
use curvlab::linalg::cg::{
    CgOptions, CgStatus, Diagonal, MartensStop, Preconditioner, cg, pcg, solve,
};
use curvlab::linalg::steihaug::steihaug;
use curvlab::methods::trust_region::{MoreSorensen, more_sorensen};
use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
use faer::{Mat, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn randn(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn matvec(a: &Mat<f64>, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    a.apply(v, &mut out).unwrap();
    out
}

/// `Q diag(eigs) Qᵀ` with a Haar-random `Q` (from the seeded Quadratic generator).
fn sym_with_eigs(eigs: &[f64], seed: u64) -> (Mat<f64>, Mat<f64>) {
    let n = eigs.len();
    // Quadratic with eigenvalues 1..n gives a rotated matrix A = Q diag(1..n) Qᵀ; recover Q.
    let q =
        Quadratic::with_eigenvalues((1..=n).map(|i| i as f64).collect(), Rotation::Random, seed)
            .unwrap();
    let a = q.matrix();
    let evd = a.self_adjoint_eigen(Side::Lower).unwrap();
    let qm = evd.U().to_owned();
    let mut ql = qm.clone();
    for j in 0..n {
        for i in 0..n {
            ql[(i, j)] *= eigs[j];
        }
    }
    let mut h = &ql * qm.transpose();
    curvlab::objective::symmetrize(&mut h);
    (h, qm)
}

fn phi(a: &Mat<f64>, b: &[f64], x: &[f64]) -> f64 {
    0.5 * dot(x, &matvec(a, x)) - dot(b, x)
}

/// CG on an SPD system (n = 60, κ = 100, log-uniform spectrum, Quadratic seed 3, b from seed 4)
/// matches a faer Cholesky solve to 1e-10 relative, and the iteration/application counts agree.
#[test]
fn cg_matches_cholesky_solve() {
    let a = Quadratic::new(60, 100.0, SpectrumKind::LogUniform, Rotation::Random, 3)
        .unwrap()
        .matrix();
    let b = randn(60, 4);
    let opts = CgOptions::default()
        .with_rtol(1e-14)
        .unwrap()
        .with_max_iters(1000)
        .unwrap();
    let r = cg(&a, &b, None, &opts).unwrap();
    assert_eq!(r.status, CgStatus::Converged);
    let mut x = faer::Mat::<f64>::from_fn(60, 1, |i, _| b[i]);
    faer::linalg::solvers::Solve::solve_in_place(&a.llt(Side::Lower).unwrap(), x.as_mut());
    let xs: Vec<f64> = (0..60).map(|i| x[(i, 0)]).collect();
    let err: Vec<f64> = r.x.iter().zip(&xs).map(|(u, v)| u - v).collect();
    assert!(
        norm(&err) / norm(&xs) < 1e-10,
        "rel err {}",
        norm(&err) / norm(&xs)
    );
    assert_eq!(r.applications, r.iterations);
    assert_eq!(r.phi.len(), r.iterations + 1);
    // The reported residual is the true residual (to rounding).
    let ax = matvec(&a, &r.x);
    let res: Vec<f64> = b.iter().zip(&ax).map(|(u, v)| u - v).collect();
    assert!((norm(&res) - r.residual_norm).abs() <= 1e-12 * norm(&b));
}

/// On a badly scaled SPD matrix `A = D M D` (D = diag(10^-3 … 10^3), M = Q diag(1..4) Qᵀ with
/// seed 11, n = 40, b from seed 12), Jacobi-preconditioned CG converges in fewer iterations than
/// plain CG to the same relative residual 1e-8, and both solve the system.
#[test]
fn jacobi_pcg_beats_cg_on_badly_scaled_system() {
    let n = 40;
    let eigs: Vec<f64> = (0..n)
        .map(|i| 1.0 + 3.0 * i as f64 / (n - 1) as f64)
        .collect();
    let (m, _) = sym_with_eigs(&eigs, 11);
    let d: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(-3.0 + 6.0 * i as f64 / (n - 1) as f64))
        .collect();
    let a = Mat::<f64>::from_fn(n, n, |i, j| d[i] * m[(i, j)] * d[j]);
    let b = randn(n, 12);
    let opts = CgOptions::default()
        .with_rtol(1e-8)
        .unwrap()
        .with_max_iters(5000)
        .unwrap();
    let plain = cg(&a, &b, None, &opts).unwrap();
    let jac = Diagonal::jacobi(&a).unwrap();
    let pre = pcg(&a, &jac, &b, None, &opts).unwrap();
    assert_eq!(pre.status, CgStatus::Converged);
    assert!(
        pre.iterations < plain.iterations,
        "pcg {} vs cg {}",
        pre.iterations,
        plain.iterations
    );
    for x in [&plain.x, &pre.x] {
        let ax = matvec(&a, x);
        let res: Vec<f64> = b.iter().zip(&ax).map(|(u, v)| u - v).collect();
        assert!(norm(&res) <= 1.01e-8 * norm(&b));
    }
}

/// CG on an indefinite matrix (Q diag(1, 2, −1, 3, 4) Qᵀ, seed 5, b from seed 6) stops and
/// reports a direction whose Rayleigh quotient, recomputed directly, is nonpositive and equal
/// to the reported one.
#[test]
fn cg_reports_negative_curvature() {
    let (a, _) = sym_with_eigs(&[1.0, 2.0, -1.0, 3.0, 4.0], 5);
    let b = randn(5, 6);
    let r = cg(&a, &b, None, &CgOptions::default()).unwrap();
    assert_eq!(r.status, CgStatus::NegativeCurvature);
    let neg = r.negative_curvature.clone().unwrap();
    let p = &neg.direction;
    let rq = dot(p, &matvec(&a, p)) / dot(p, p);
    assert!(rq <= 0.0);
    assert!((rq - neg.curvature).abs() <= 1e-12 * (1.0 + rq.abs()));
    assert!(!r.on_boundary);
    // The detection used one operator application beyond the completed iterations.
    assert_eq!(r.applications, r.iterations + 1);
}

/// Steihaug–Toint on an indefinite matrix (Q diag(−1, 0.5, 2, 3) Qᵀ, seed 7, g from seed 8,
/// Δ = 10): the step lies on the boundary (‖p‖ = Δ to 1e-12) reached along a direction of
/// negative curvature (recomputed directly), and the tracked model value equals
/// gᵀp + ½pᵀAp evaluated directly.
#[test]
fn steihaug_stops_on_boundary_along_negative_curvature() {
    let mut hit = 0;
    for seed in 0..20u64 {
        let (a, _) = sym_with_eigs(&[-1.0, 0.5, 2.0, 3.0], 7);
        let g = randn(4, 8 + seed);
        let radius = 10.0;
        let r = steihaug(&a, &g, radius, 1e-10, 100).unwrap();
        assert!(
            r.on_boundary,
            "an indefinite model always reaches the boundary"
        );
        assert!((norm(&r.x) - radius).abs() <= 1e-12 * radius);
        let model = dot(&g, &r.x) + 0.5 * dot(&r.x, &matvec(&a, &r.x));
        assert!((model - r.model_value()).abs() <= 1e-10 * (1.0 + model.abs()));
        if r.status == CgStatus::NegativeCurvature {
            hit += 1;
            let d = r.negative_curvature.unwrap().direction;
            assert!(dot(&d, &matvec(&a, &d)) < 0.0);
        }
    }
    assert!(hit > 0, "no seed met negative curvature");
}

/// Steihaug–Toint on SPD matrices: inside a large region it is plain CG (same iterate, not on
/// the boundary); with a small region it stops at the boundary with status `Boundary`.
#[test]
fn steihaug_interior_and_boundary_on_spd() {
    let a = Quadratic::new(20, 50.0, SpectrumKind::Uniform, Rotation::Random, 9)
        .unwrap()
        .matrix();
    let g = randn(20, 10);
    let neg_g: Vec<f64> = g.iter().map(|v| -v).collect();
    let free = cg(&a, &neg_g, None, &CgOptions::default()).unwrap();
    let big = steihaug(&a, &g, 1e6, 1e-10, 1000).unwrap();
    assert_eq!(big.status, CgStatus::Converged);
    assert!(!big.on_boundary);
    assert_eq!(big.x, free.x);
    let small_radius = 0.1 * norm(&free.x);
    let small = steihaug(&a, &g, small_radius, 1e-10, 1000).unwrap();
    assert_eq!(small.status, CgStatus::Boundary);
    assert!((norm(&small.x) - small_radius).abs() <= 1e-12 * small_radius);
}

/// The tracked `φ(x_j)` equals `½x_jᵀAx_j − bᵀx_j` at every saved iterate (including a warm
/// start), iterates are saved exactly at the requested iteration numbers, and a warm start at
/// the solution needs no iteration.
#[test]
fn phi_history_saved_iterates_and_warm_start() {
    let q = Quadratic::new(30, 1e3, SpectrumKind::LogUniform, Rotation::Random, 13).unwrap();
    let a = q.matrix();
    let b = q.b().to_vec();
    let x0 = randn(30, 14);
    let opts = CgOptions::default()
        .with_max_iters(200)
        .unwrap()
        .with_save_at(vec![0, 5, 7, 9, 11]);
    let r = cg(&a, &b, Some(&x0), &opts).unwrap();
    assert_eq!(
        r.saved.iter().map(|(j, _)| *j).collect::<Vec<_>>(),
        vec![0, 5, 7, 9, 11]
    );
    assert_eq!(r.saved[0].1, x0);
    for (j, xj) in &r.saved {
        let want = phi(&a, &b, xj);
        assert!(
            (r.phi[*j] - want).abs() <= 1e-9 * (1.0 + want.abs()),
            "j = {j}"
        );
    }
    // φ decreases monotonically along CG iterates on an SPD matrix.
    assert!(r.phi.windows(2).all(|w| w[1] <= w[0] + 1e-12 * w[0].abs()));
    let at_solution = cg(
        &a,
        &b,
        Some(q.minimizer()),
        &CgOptions::default().with_rtol(1e-8).unwrap(),
    )
    .unwrap();
    assert_eq!(at_solution.iterations, 0);
    assert_eq!(at_solution.applications, 1);
}

/// Martens's rule on an ill-conditioned system (n = 200, κ = 1e6, log-uniform, seed 15):
/// CG stops with `MartensStop` well before its budget, and recomputing the published rule
/// (k = max(10, ⌈0.1 i⌉), φᵢ < 0, (φᵢ − φᵢ₋ₖ)/φᵢ < kε, ε = 5e-4) from the reported φ history
/// fires at the reported iteration and at no earlier one.
#[test]
fn martens_stop_fires_as_published() {
    let q = Quadratic::new(200, 1e6, SpectrumKind::LogUniform, Rotation::Random, 15).unwrap();
    let a = q.matrix();
    let b = q.b().to_vec();
    let opts = CgOptions::default()
        .with_rtol(1e-14)
        .unwrap()
        .with_max_iters(2000)
        .unwrap()
        .with_martens(MartensStop::default())
        .unwrap();
    let r = cg(&a, &b, None, &opts).unwrap();
    assert_eq!(r.status, CgStatus::MartensStop);
    let rule = |i: usize| {
        let k = 10usize.max((0.1 * i as f64).ceil() as usize);
        i > k && r.phi[i] < 0.0 && (r.phi[i] - r.phi[i - k]) / r.phi[i] < k as f64 * 5e-4
    };
    assert!(rule(r.iterations));
    assert!((1..r.iterations).all(|i| !rule(i)));
    assert!(r.iterations < 2000);
}

/// Bad input is an error, never a panic: zero iteration budget (builder and struct literal),
/// nonpositive radius, wrong lengths, NaN right-hand side, a non-positive Jacobi diagonal.
#[test]
fn cg_bad_input_errors() {
    let a = faer::mat![[2.0, 0.0], [0.0, 1.0]];
    assert!(CgOptions::default().with_max_iters(0).is_err());
    let raw = CgOptions {
        max_iters: 0,
        ..CgOptions::default()
    };
    assert!(cg(&a, &[1.0, 1.0], None, &raw).is_err());
    assert!(CgOptions::default().with_radius(0.0).is_err());
    assert!(CgOptions::default().with_radius(-1.0).is_err());
    assert!(steihaug(&a, &[1.0, 1.0], 0.0, 1e-8, 10).is_err());
    assert!(steihaug(&a, &[1.0, 1.0], 1.0, 1e-8, 0).is_err());
    assert!(cg(&a, &[1.0], None, &CgOptions::default()).is_err());
    assert!(cg(&a, &[1.0, f64::NAN], None, &CgOptions::default()).is_err());
    assert!(cg(&a, &[1.0, 1.0], Some(&[0.0]), &CgOptions::default()).is_err());
    let m = Diagonal::new(vec![1.0, 1.0, 1.0]).unwrap();
    assert!(pcg(&a, &m, &[1.0, 1.0], None, &CgOptions::default()).is_err());
    let indefinite = faer::mat![[1.0, 0.0], [0.0, -1.0]];
    assert!(Diagonal::jacobi(&indefinite).is_err());
    // An identity preconditioner reproduces plain CG.
    let id = Diagonal::new(vec![1.0, 1.0]).unwrap();
    let r1 = solve(
        &a,
        Some(&id as &dyn Preconditioner),
        &[1.0, 2.0],
        None,
        &CgOptions::default(),
    )
    .unwrap();
    let r2 = cg(&a, &[1.0, 2.0], None, &CgOptions::default()).unwrap();
    assert_eq!(r1.x, r2.x);
}

/// Moré–Sorensen, hard case: H = Q diag(−2, 1, 3, 5) Qᵀ (seed 17), g ⊥ the eigenvector of −2
/// (g = Q (0, 1, −1, 0.5)), Δ = 3 > ‖(H + 2I)⁺g‖. The step has ‖p‖ = Δ (1e-12) and satisfies
/// N&W Theorem 4.1 to the accuracy of Moré–Sorensen's hard-case test (σ = 1e-10):
/// (H + λI)p = −g, λ = 2, H + λI ⪰ 0.
#[test]
fn more_sorensen_hard_case() {
    let (h, q) = sym_with_eigs(&[-2.0, 1.0, 3.0, 5.0], 17);
    // eigenvalues sorted ascending, so column 0 of Q is the eigenvector of −2.
    let coeff = [0.0, 1.0, -1.0, 0.5];
    let g: Vec<f64> = (0..4)
        .map(|i| (0..4).map(|j| q[(i, j)] * coeff[j]).sum())
        .collect();
    let radius = 3.0;
    let s = more_sorensen(h.as_ref(), &g, radius, &MoreSorensen::default()).unwrap();
    assert!(s.hard_case);
    assert!((norm(&s.p) - radius).abs() <= 1e-12 * radius);
    // λ* = 2 to the hard-case test's σ = 1e-10 (relative model error): measured
    // |λ − 2| = 1.3e-10, bound 1e-9.
    assert!((s.lambda - 2.0).abs() <= 1e-9, "{:e}", s.lambda - 2.0);
    let hp = matvec(&h, &s.p);
    let kkt: Vec<f64> = (0..4).map(|i| hp[i] + s.lambda * s.p[i] + g[i]).collect();
    // The hard-case term τz leaves a residual τ(H + λI)z of the order of σ = 1e-10: measured
    // 3.0e-10·‖g‖, bound 1e-9·‖g‖.
    assert!(
        norm(&kkt) <= 1e-9 * norm(&g),
        "KKT residual {:e}",
        norm(&kkt)
    );
    let shifted = Mat::<f64>::from_fn(4, 4, |i, j| h[(i, j)] + if i == j { s.lambda } else { 0.0 });
    let ev = shifted.self_adjoint_eigenvalues(Side::Lower).unwrap();
    assert!(ev[0] >= -1e-10);
    // The reported model value is gᵀp + ½pᵀHp.
    let m = dot(&g, &s.p) + 0.5 * dot(&s.p, &hp);
    assert!((m - s.model_value).abs() <= 1e-12 * (1.0 + m.abs()));
}

/// Moré–Sorensen in the easy cases (checked by N&W Theorem 4.1 and, for the interior case, a
/// faer Cholesky solve): SPD interior, SPD boundary, indefinite boundary; seeds 19-21.
#[test]
fn more_sorensen_easy_cases() {
    let n = 8;
    let spd: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let indef: Vec<f64> = (0..n).map(|i| -3.0 + i as f64).collect();
    for (eigs, radius, seed) in [(&spd, 100.0, 19u64), (&spd, 0.05, 20), (&indef, 1.5, 21)] {
        let (h, _) = sym_with_eigs(eigs, seed);
        let g = randn(n, seed + 100);
        let s = more_sorensen(h.as_ref(), &g, radius, &MoreSorensen::default()).unwrap();
        assert!(!s.hard_case);
        assert!(norm(&s.p) <= radius * (1.0 + 1e-10));
        let hp = matvec(&h, &s.p);
        let kkt: Vec<f64> = (0..n).map(|i| hp[i] + s.lambda * s.p[i] + g[i]).collect();
        assert!(norm(&kkt) <= 1e-8 * norm(&g), "seed {seed}: {}", norm(&kkt));
        assert!(s.lambda >= 0.0 && s.lambda >= -eigs[0] - 1e-12);
        if s.lambda > 0.0 {
            assert!((norm(&s.p) - radius).abs() <= 1e-9 * radius);
        }
        if radius == 100.0 {
            assert_eq!(s.lambda, 0.0);
            let mut x = Mat::<f64>::from_fn(n, 1, |i, _| -g[i]);
            faer::linalg::solvers::Solve::solve_in_place(&h.llt(Side::Lower).unwrap(), x.as_mut());
            let diff: Vec<f64> = (0..n).map(|i| x[(i, 0)] - s.p[i]).collect();
            assert!(norm(&diff) <= 1e-12 * norm(&s.p));
        }
    }
}

/// The trust-region subproblem solved in the eigenbasis of `H` (an independent dense reference):
/// `H = Q diag(μ) Qᵀ`, `c = Qᵀg`, `‖p(λ)‖² = Σ cᵢ²/(μᵢ + λ)²`. Interior when `μ₁ > 0` and
/// `‖p(0)‖ ≤ Δ`; else `λ > −μ₁` by bisection on `‖p(λ)‖ = Δ` (200 halvings); the hard case
/// when the components along `μ₁`'s eigenspace vanish (exactly zero by construction in the
/// tests that use it) and `‖p(−μ₁)‖ ≤ Δ`: then `λ = −μ₁` and the rest of the length goes along
/// that eigenspace. Returns `(λ, m*)`.
fn reference_subproblem(h: &Mat<f64>, g: &[f64], radius: f64, hard: bool) -> (f64, f64) {
    let n = g.len();
    let evd = h.self_adjoint_eigen(Side::Lower).unwrap();
    let q = evd.U();
    let mu: Vec<f64> = (0..n).map(|i| evd.S().column_vector()[i]).collect();
    let c: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|k| q[(k, i)] * g[k]).sum())
        .collect();
    // λ is parametrized by its offset δ from lo0 = max(0, −μ₁), so that μᵢ + λ = (μᵢ + lo0) + δ
    // keeps full relative precision next to −μ₁ (the nearly hard case).
    let lo0 = (-mu[0]).max(0.0);
    let skip = |i: usize| hard && (mu[i] - mu[0]).abs() <= 1e-9;
    let model = |delta: f64, tail: f64| -> f64 {
        // m(p) = Σ cᵢyᵢ + ½μᵢyᵢ², yᵢ = −cᵢ/(μᵢ + λ); plus ½μ₁τ² along the eigenspace.
        let mut m = 0.0;
        for i in (0..n).filter(|&i| !skip(i)) {
            let y = -c[i] / ((mu[i] + lo0) + delta);
            m += c[i] * y + 0.5 * mu[i] * y * y;
        }
        m + 0.5 * mu[0] * tail
    };
    let len2 = |delta: f64| -> f64 {
        (0..n)
            .filter(|&i| !skip(i))
            .map(|i| (c[i] / ((mu[i] + lo0) + delta)).powi(2))
            .sum()
    };
    if mu[0] > 0.0 && len2(0.0) <= radius * radius {
        return (0.0, model(0.0, 0.0));
    }
    if hard {
        let rest = radius * radius - len2(0.0);
        assert!(rest >= 0.0, "not a hard case");
        return (lo0, model(0.0, rest));
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while len2(hi) > radius * radius {
        hi *= 2.0;
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if len2(mid) > radius * radius {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let d = 0.5 * (lo + hi);
    (lo0 + d, model(d, 0.0))
}

/// Checks a Moré–Sorensen step against the reference: model value to `rel` relative,
/// `‖p‖ ≤ Δ(1 + 1e-10)`, on the boundary (1e-10 relative) when `λ > 0`, `λ ≥ 0`,
/// `H + λI ⪰ 0` (smallest eigenvalue ≥ −1e-9·‖H‖), `(H + λI)p = −g` to `kkt·‖g‖`. Returns the
/// step's λ.
fn check_against_reference(
    h: &Mat<f64>,
    g: &[f64],
    radius: f64,
    hard: bool,
    rel: f64,
) -> (f64, bool) {
    let n = g.len();
    let s = more_sorensen(h.as_ref(), g, radius, &MoreSorensen::default()).unwrap();
    let (lambda_ref, m_ref) = reference_subproblem(h, g, radius, hard);
    let hp = matvec(h, &s.p);
    let m = dot(g, &s.p) + 0.5 * dot(&s.p, &hp);
    assert!((m - s.model_value).abs() <= 1e-12 * (1.0 + m.abs()));
    assert!(
        (m - m_ref).abs() <= rel * m_ref.abs(),
        "model {m:.17e} vs reference {m_ref:.17e}; λ {} vs {lambda_ref}, ‖p‖ {}, hard {}",
        s.lambda,
        norm(&s.p),
        s.hard_case
    );
    // Factorizations: measured 1–34 over the cases below (30 and 34 in the exact hard cases,
    // 22 in the nearly hard one); the budget is 100.
    assert!(s.iterations <= 40, "{} factorizations", s.iterations);
    assert!(norm(&s.p) <= radius * (1.0 + 1e-10));
    assert!(s.lambda >= 0.0);
    if s.lambda > 0.0 {
        assert!((norm(&s.p) - radius).abs() <= 1e-10 * radius && s.on_boundary);
    }
    let shifted = Mat::<f64>::from_fn(n, n, |i, j| h[(i, j)] + if i == j { s.lambda } else { 0.0 });
    let ev = shifted.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let hnorm = h.norm_l2();
    assert!(ev[0] >= -1e-9 * hnorm, "H + λI has eigenvalue {:e}", ev[0]);
    let kkt: Vec<f64> = (0..n).map(|i| hp[i] + s.lambda * s.p[i] + g[i]).collect();
    assert!(
        norm(&kkt) <= 1e-8 * norm(g),
        "KKT residual {:e}",
        norm(&kkt)
    );
    assert!(
        (s.lambda - lambda_ref).abs() <= 1e-8 * (1.0 + lambda_ref),
        "λ {} vs {}",
        s.lambda,
        lambda_ref
    );
    (s.lambda, s.hard_case)
}

/// Issue 11, defect 2 (fails on the eigendecomposition solver, which called this a hard case and
/// stepped to the boundary along the near-null direction): H = diag(1, 1e-17), g = (1, 1e-17),
/// the Newton step p = (−1, −1) has length 1.41 < Δ = 10, so it is the solution (λ = 0,
/// interior), model value −1 (exactly: m = −1 − 1e-17 + ½(1 + 1e-17)).
#[test]
fn more_sorensen_nearly_singular_interior_newton_step() {
    let h = faer::mat![[1.0, 0.0], [0.0, 1e-17]];
    let g = [1.0, 1e-17];
    let s = more_sorensen(h.as_ref(), &g, 10.0, &MoreSorensen::default()).unwrap();
    assert!(!s.on_boundary && !s.hard_case && s.lambda == 0.0);
    assert!(
        (s.p[0] + 1.0).abs() <= 1e-15 && (s.p[1] + 1.0).abs() <= 1e-15,
        "{:?}",
        s.p
    );
    assert!((s.model_value + 0.5).abs() <= 1e-15);
}

/// Moré–Sorensen against the eigenbasis reference on random symmetric matrices (n = 12,
/// Haar-random rotations, seeds 31–38), every case the algorithm distinguishes:
/// interior (SPD, large Δ), boundary on SPD and on indefinite H (easy case), the exact hard
/// case (g ⟂ the eigenvector of λ_min, Δ larger than ‖(H − λ_min I)⁺g‖) with a simple and with
/// a double smallest eigenvalue (no cluster threshold to tune), and the nearly hard case (a
/// 1e-3 or 1e-6 component along that eigenvector, an easy case with λ* just above −λ_min). The
/// model value must match the reference to 1e-10 relative: measured ≤ 4.2e-11 where the step
/// ends on the boundary test |‖p‖ − Δ| ≤ 1e-10·Δ, ≤ 9e-16 elsewhere (hard cases included).
#[test]
fn more_sorensen_matches_the_dense_reference() {
    let n = 12;
    let spd: Vec<f64> = (0..n).map(|i| 0.5 + i as f64).collect();
    let indef: Vec<f64> = (0..n).map(|i| -2.5 + 0.75 * i as f64).collect();
    let mut double = indef.clone();
    double[1] = double[0];
    let tol = 1e-10;
    // Interior and boundary.
    for (eigs, radius, seed, interior) in [
        (&spd, 50.0, 31u64, true),
        (&spd, 0.1, 32, false),
        (&indef, 0.5, 33, false),
        (&indef, 5.0, 34, false),
    ] {
        let (h, _) = sym_with_eigs(eigs, seed);
        let g = randn(n, seed + 100);
        let (l, hard) = check_against_reference(&h, &g, radius, false, tol);
        assert_eq!(l == 0.0, interior, "seed {seed}");
        assert!(!hard, "seed {seed}");
    }
    // Hard cases: g in the span of the eigenvectors above λ_min.
    for (eigs, seed, mult) in [(&indef, 35u64, 1usize), (&double, 36, 2)] {
        let (h, q) = sym_with_eigs(eigs, seed);
        let coeff = randn(n, seed + 100);
        let g: Vec<f64> = (0..n)
            .map(|i| (mult..n).map(|j| q[(i, j)] * 0.1 * coeff[j]).sum())
            .collect();
        let (l, hard) = check_against_reference(&h, &g, 4.0, true, tol);
        assert!(hard && (l + eigs[0]).abs() <= 1e-9, "seed {seed}: λ = {l}");
    }
    // Nearly hard: a small component along λ_min's eigenvector (λ* − 2.5 ≈ 2.5e-7 for 1e-6).
    // Moré–Sorensen may finish it either way (its hard-case test only asks for a model value
    // within σ); the value must match.
    for (eps, seed) in [(1e-3, 37u64), (1e-6, 38)] {
        let (h, q) = sym_with_eigs(&indef, seed);
        let coeff = randn(n, seed + 100);
        let g: Vec<f64> = (0..n)
            .map(|i| q[(i, 0)] * eps + (1..n).map(|j| q[(i, j)] * 0.1 * coeff[j]).sum::<f64>())
            .collect();
        check_against_reference(&h, &g, 4.0, false, tol);
    }
}

/// With `g = 0` and an indefinite H the solution is Δ times an eigenvector of λ_min (a pure hard
/// case, λ = −λ_min, m* = ½λ_min Δ²); with g = 0 and H ≻ 0 it is p = 0.
#[test]
fn more_sorensen_zero_gradient() {
    let h = faer::mat![[2.0, 1.0, 0.0], [1.0, -1.0, 0.5], [0.0, 0.5, 3.0]];
    let ev = h.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let s = more_sorensen(h.as_ref(), &[0.0; 3], 2.0, &MoreSorensen::default()).unwrap();
    assert!(s.hard_case && (norm(&s.p) - 2.0).abs() <= 1e-12);
    let m_ref = 0.5 * ev[0] * 4.0;
    assert!(
        (s.model_value - m_ref).abs() <= 1e-10 * m_ref.abs(),
        "{} vs {m_ref}",
        s.model_value
    );
    let spd = faer::mat![[2.0, 1.0], [1.0, 2.0]];
    let s = more_sorensen(spd.as_ref(), &[0.0; 2], 1.0, &MoreSorensen::default()).unwrap();
    assert_eq!((s.p, s.lambda, s.on_boundary), (vec![0.0, 0.0], 0.0, false));
}
