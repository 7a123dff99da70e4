//! The trust-region Newton methods on the Moré–Garbow–Hillstrom set (J. J. Moré, B. S. Garbow,
//! K. E. Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7(1), 17–41, 1981):
//! from each problem's standard start `x0` at the default dimensions of `mgh::all()`, the method
//! must reach the value the literature publishes for the minimum it converges to.
//!
//! - `newton` with `safeguard = trust-exact` (N&W Algorithm 4.1 with Moré & Sorensen's nearly
//!   exact subproblem solution): the trust-region Newton method. Every problem reaches its
//!   published global `f*`, except two that reach a published *local* minimum (listed in
//!   [`EXACT_LOCAL`] with their sources).
//! - `trust-ncg` (Steihaug–Toint CG inside the same trust region), as a second, matrix-free
//!   trust-region Newton.
//!
//! Settings, the same for every problem (stated, not tuned per problem):
//! - budget: at most 1000 iterations (a rejected trust-region step counts as one), stop at
//!   `‖∇f‖ ≤ 1e-10`; a run may also end with "trust radius collapsed" once `f` is at rounding
//!   level (Meyer, Osborne 2 with trust-exact): the value reached is then what is checked;
//! - initial radius `Δ₀ = ‖x0‖` (`1` where `x0 = 0`): MINPACK's rule `Δ₀ = factor·‖D x0‖`
//!   (Moré 1978; MINPACK User Guide, Moré, Garbow & Hillstrom 1980) with `factor = 1` and
//!   `D = I`; largest radius `10¹⁰` (Brown badly scaled has `x* = (10⁶, 2·10⁻⁶)` while
//!   `x0 = (1, 1)`: with the crate's default `Δmax = 1000` the iterate cannot travel 10⁶ in 1000
//!   iterations); acceptance `η = 0.15` (default);
//! - trust-ncg: the same radii, forcing cap `1e-2` (the default `½` lets CG stop after one
//!   iteration on Meyer, whose Hessian near x* is extremely ill-conditioned (diagonal
//!   entries ≈ 2·10¹⁴, 5·10⁴, 1·10⁷), and the run stalls at f ≈ 97 with the radius collapsing). With
//!   the cap 1e-2 Meyer reaches f* but spends the whole budget there.
//!
//! With the crate's defaults (`Δ₀ = 1`, `Δmax = 1000`) trust-exact reaches the targets on 33
//! problems ([`trust_exact_with_default_radii`]); the two others are Brown badly scaled
//! (`Δmax` bound above: `f = 8.06·10⁷` after 1000 iterations) and Biggs EXP6, which from
//! `Δ₀ = 1` follows a valley with `x1 = x5` and `x3, x4, x6` growing (f ≈ 0.2427, ‖∇f‖ ≈ 8e-4
//! after 1000 iterations, still decreasing), not a published minimum.
//!
//! Tolerances against the published values: `f* = 0`: `f ≤ 1e-8`; the exact closed forms of
//! the linear functions 32–34 (`f* > 1`): relative `1e-6`; the paper's six-significant-digit
//! values: one unit in the sixth digit (the precision of the reference, relative ≤ 1e-5: the
//! paper truncates, e.g. Freudenstein–Roth's 48.98425… is printed 48.9842, Bard's 8.214877…e-3
//! as 8.21487e-3, Penalty II's 2.9366054…e-4 as 2.93660e-4);
//! gonum's 16-digit local value of the trigonometric function: relative `1e-9`.
//!
//! Every run prints one row of a Markdown table (`cargo test --release --test mgh_newton --
//! --nocapture`): id, name, n, m, iterations, evaluation counts (value, gradient, dense Hessian,
//! HVP), f reached, target and its kind.

use curvlab::methods::newton::{Newton, Safeguard};
use curvlab::methods::trust_region::TrustRegion;
use curvlab::methods::{Method, TrustNcg};
use curvlab::problems::mgh::{self, Mgh, MghProblem};
use curvlab::{Report, Stop, Termination, minimize};

/// How precisely a reference value is known.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Precision {
    /// Exactly (0, or a closed form).
    Exact,
    /// Six significant digits, truncated (the paper's tables).
    SixDigits,
    /// Printed to 16 digits (gonum's tables).
    Full,
}

/// The paper's `f*` at the default dimensions of `mgh::all()`, written out here (not read from
/// the crate): Moré, Garbow & Hillstrom (1981), §3. Problem 33 with `m = 10`:
/// `m(m − 1)/(2(2m + 1)) = 90/42`; 34 with `m = 10`: `(m² + 3m − 6)/(2(2m − 3)) = 124/34`;
/// 32: `m − n = 5`.
const PUBLISHED: [(usize, f64, Precision); 35] = {
    use Precision::{Exact as E, SixDigits as S};
    [
        (1, 0.0, E),
        (2, 0.0, E),
        (3, 0.0, E),
        (4, 0.0, E),
        (5, 0.0, E),
        (6, 124.362, S), // m = 10
        (7, 0.0, E),
        (8, 8.21487e-3, S),
        (9, 1.12793e-8, S),
        (10, 87.9458, S),
        (11, 0.0, E),
        (12, 0.0, E),
        (13, 0.0, E),
        (14, 0.0, E),
        (15, 3.07505e-4, S),
        (16, 85822.2, S), // m = 20
        (17, 5.46489e-5, S),
        (18, 0.0, E),
        (19, 4.01377e-2, S),
        (20, 2.28767e-3, S), // n = 6
        (21, 0.0, E),
        (22, 0.0, E),
        (23, 7.08765e-5, S), // n = 10
        (24, 2.93660e-4, S), // n = 10
        (25, 0.0, E),
        (26, 0.0, E),
        (27, 0.0, E),
        (28, 0.0, E),
        (29, 0.0, E),
        (30, 0.0, E),
        (31, 0.0, E),
        (32, 5.0, E),
        (33, 90.0 / 42.0, E),
        (34, 124.0 / 34.0, E),
        (35, 3.51687e-3, S), // n = 8
    ]
};

/// A published local (non-global) minimum that a method reaches from `x0`.
struct Local {
    id: usize,
    f: f64,
    precision: Precision,
    source: &'static str,
}

/// The local minima trust-exact reaches from `x0` with the settings of the module docs.
const EXACT_LOCAL: &[Local] = &[
    Local {
        id: 2,
        f: 48.9842,
        precision: Precision::SixDigits,
        source: "Moré, Garbow & Hillstrom 1981, problem 2 (Freudenstein and Roth)",
    },
    Local {
        id: 26,
        f: 2.795056121876575e-5,
        precision: Precision::Full,
        source: "gonum optimize/functions Trigonometric.Minima, n = 10, Global: false",
    },
];

/// The published values trust-ncg reaches: the same two local minima, and Biggs EXP6's
/// f = 5.65565e-3 (MGH's value for m = 13), which is *not* a local minimum: the point is a
/// saddle, the Hessian there has the eigenvalue λ_min ≈ −0.0098 (issue 11, defect 9). The
/// test checks only that the value is reached.
const NCG_LOCAL: &[Local] = &[
    Local {
        id: 2,
        f: 48.9842,
        precision: Precision::SixDigits,
        source: "Moré, Garbow & Hillstrom 1981, problem 2 (Freudenstein and Roth)",
    },
    Local {
        id: 18,
        f: 5.65565e-3,
        precision: Precision::SixDigits,
        source: "Moré, Garbow & Hillstrom 1981, problem 18 (Biggs EXP6, m = 13; a saddle point)",
    },
    Local {
        id: 26,
        f: 2.795056121876575e-5,
        precision: Precision::Full,
        source: "gonum optimize/functions Trigonometric.Minima, n = 10, Global: false",
    },
];

/// The allowed `|f − target|` for a reference of the given precision.
fn tolerance(target: f64, precision: Precision) -> f64 {
    match precision {
        Precision::Exact if target == 0.0 => 1e-8,
        Precision::Exact if target > 1.0 => 1e-6 * target,
        Precision::Exact => 1e-8,
        // One unit in the sixth significant digit: the paper truncates (Freudenstein–Roth's
        // 48.98425… is printed 48.9842, Meyer's 87.94585… as 87.9458).
        Precision::SixDigits => 10f64.powi(target.abs().log10().floor() as i32 - 5),
        Precision::Full => 1e-9 * target.abs(),
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// MINPACK's initial radius with factor 1 and unit scaling: `‖x0‖`, or 1 at `x0 = 0`.
fn minpack_radius(x0: &[f64]) -> f64 {
    let r = norm(x0);
    if r > 0.0 { r } else { 1.0 }
}

fn trust_exact(radius: f64, max_radius: f64) -> Box<dyn Method> {
    Box::new(
        Newton::new()
            .with_safeguard(Safeguard::TrustExact)
            .with_trust_region(TrustRegion::new(radius, max_radius, 0.15).unwrap())
            .unwrap(),
    )
}

fn trust_ncg(radius: f64) -> Box<dyn Method> {
    Box::new(
        TrustNcg::new()
            .with_trust_region(TrustRegion::new(radius, 1e10, 0.15).unwrap())
            .unwrap()
            .with_forcing(1e-2)
            .unwrap(),
    )
}

struct Outcome {
    id: usize,
    report: Report,
    target: f64,
    precision: Precision,
    kind: &'static str,
}

impl Outcome {
    fn met(&self) -> bool {
        (self.report.f - self.target).abs() <= tolerance(self.target, self.precision)
    }
}

/// Runs `make(x0)` on every problem of `mgh::all()` (1000 iterations, `‖∇f‖ ≤ 1e-10`), prints
/// a Markdown table and returns the outcomes with their targets.
fn run_set(
    title: &str,
    make: &dyn Fn(&[f64]) -> Box<dyn Method>,
    locals: &[Local],
) -> Vec<Outcome> {
    println!("\n{title}\n");
    println!(
        "| id | problem | n | m | iterations | f evals | ∇f evals | ∇²f evals | HVPs | f reached | target | kind | end |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut out = Vec::new();
    let mut sources = Vec::new();
    for spec in mgh::all() {
        let f = mgh::problem(spec.id, None).unwrap();
        let x0 = f.problem().x0();
        let mut method = make(&x0);
        let report = minimize(&f, method.as_mut(), &x0, &Stop::new(1e-10, 1000)).unwrap();
        let (_, f_star, precision) = PUBLISHED[spec.id - 1];
        let (target, precision, kind) = match locals.iter().find(|l| l.id == spec.id) {
            Some(l) => (l.f, l.precision, "local"),
            None => (f_star, precision, "global f*"),
        };
        let end = match &report.termination {
            Termination::GradientTolerance => "‖∇f‖ ≤ 1e-10".to_string(),
            Termination::Failed(m) if m.contains("collapsed") => "radius collapsed".to_string(),
            other => other.to_string(),
        };
        let c = report.counts;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.6e} | {:.6e} | {kind} | {end} |",
            spec.id,
            spec.name,
            spec.n,
            spec.m,
            report.iterations,
            c.value,
            c.gradient,
            c.hessian,
            c.hvp,
            report.f,
            target
        );
        if let Some(l) = locals.iter().find(|l| l.id == spec.id) {
            sources.push(format!(
                "{}: published stationary value {:e} ({})",
                l.id, l.f, l.source
            ));
        }
        out.push(Outcome {
            id: spec.id,
            report,
            target,
            precision,
            kind,
        });
    }
    println!("\nLocal minima reached, with their sources:");
    for s in sources {
        println!("- {s}");
    }
    out
}

/// Asserts every outcome (or every one outside `skip`) against its target, and that no run
/// ended for any reason other than convergence or a trust radius collapsed at the target
/// (or, for the ids in `slow`, the iteration budget spent at the target).
fn check(outcomes: &[Outcome], skip: &[usize], slow: &[usize]) {
    let mut failures = Vec::new();
    for o in outcomes.iter().filter(|o| !skip.contains(&o.id)) {
        let ended_well = match &o.report.termination {
            Termination::GradientTolerance => true,
            Termination::Failed(m) => m.contains("collapsed"),
            Termination::MaxIterations => slow.contains(&o.id),
            // MGH 18's f = 5.65565e-3 point is a saddle (λ_min = −0.0098): the driver says so.
            Termination::Saddle { .. } => o.id == 18,
            _ => false,
        };
        if !(o.met() && ended_well) {
            failures.push(format!(
                "{}: f = {:e}, target {} {:e} (tolerance {:e}), {}",
                o.id,
                o.report.f,
                o.kind,
                o.target,
                tolerance(o.target, o.precision),
                o.report.termination
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn published_values_match_the_crates_and_are_all_known_at_default_sizes() {
    // Every default instance has a published f* (so no problem falls back to a gradient test),
    // and the crate stores the values written out above.
    for spec in mgh::all() {
        let p = Mgh::new(spec.id, None).unwrap();
        let (id, f_star, _) = PUBLISHED[spec.id - 1];
        assert_eq!(id, spec.id);
        let stored = p.f_star().expect("f* published at the default size");
        assert!(
            (stored - f_star).abs() <= 1e-12 * f_star.abs(),
            "{}: crate {stored:e}, paper {f_star:e}",
            p.label()
        );
    }
    assert_eq!(Mgh::new(2, None).unwrap().local_f(), Some(48.9842));
    assert_eq!(Mgh::new(18, None).unwrap().local_f(), Some(5.65565e-3));
    // gonum's local minimizer of the trigonometric function (n = 10) is a stationary point of
    // this crate's formula with that value: an independent check of the reference.
    let f = mgh::problem(26, None).unwrap();
    let x = [
        0.05515090434047145,
        0.05684061730812344,
        0.05876400231100774,
        0.060990608903034337,
        0.06362621381044778,
        0.06684318087364617,
        0.2081615177172172,
        0.16436309604419047,
        0.08500689695564931,
        0.09143145386293675,
    ];
    let mut g = [0.0; 10];
    let v = curvlab::Objective::gradient(&f, &x, &mut g).unwrap();
    assert!((v - 2.795056121876575e-5).abs() <= 1e-15, "{v:e}");
    assert!(norm(&g) <= 1e-8, "{:e}", norm(&g));
}

#[test]
fn trust_exact_reaches_published_minima_from_x0() {
    let out = run_set(
        "newton, safeguard = trust-exact, Δ₀ = ‖x0‖, Δmax = 1e10, η = 0.15, ≤ 1000 iterations, ‖∇f‖ ≤ 1e-10",
        &|x0| trust_exact(minpack_radius(x0), 1e10),
        EXACT_LOCAL,
    );
    check(&out, &[], &[]);
    // The global f* on every problem but the two listed local minima.
    let globals = out.iter().filter(|o| o.kind == "global f*").count();
    assert_eq!(globals, 33);
    // Dense Hessians only: no HVPs, one Hessian per accepted step at most (rejected steps
    // reuse the cached one).
    for o in &out {
        // (HVPs only in the driver's end-of-run Lanczos check of λ_min.)
        let check = o.report.curvature_check.as_ref().map_or(0, |c| c.hvp);
        assert_eq!(o.report.counts.hvp, check);
        assert!(o.report.counts.hessian as usize <= o.report.iterations);
    }
    // The badly scaled ones named in the issue, and Wood, where plain LM stalls at f ≈ 7.72.
    for id in [3, 4, 10, 14] {
        assert!(out[id - 1].met(), "{id}");
    }
}

#[test]
fn trust_ncg_reaches_published_minima_from_x0() {
    let out = run_set(
        "trust-ncg, Δ₀ = ‖x0‖, Δmax = 1e10, η = 0.15, forcing cap 1e-2, ≤ 1000 iterations, ‖∇f‖ ≤ 1e-10",
        &|x0| trust_ncg(minpack_radius(x0)),
        NCG_LOCAL,
    );
    // Meyer: f* is reached, but the run spends its 1000 iterations there (‖∇f‖ stays above
    // 1e-10 at this scale and the radius does not collapse).
    check(&out, &[], &[10]);
    for o in &out {
        assert_eq!(o.report.counts.hessian, 0, "matrix-free: HVPs only");
    }
}

/// The crate's defaults (`Δ₀ = 1`, `Δmax = 1000`): the targets are met on all problems but
/// Brown badly scaled (4) and Biggs EXP6 (18) (see the module docs); their rows are printed.
#[test]
fn trust_exact_with_default_radii() {
    let out = run_set(
        "newton, safeguard = trust-exact, defaults (Δ₀ = 1, Δmax = 1000, η = 0.15)",
        &|_| trust_exact(1.0, 1000.0),
        EXACT_LOCAL,
    );
    check(&out, &[4, 18], &[]);
    // Brown badly scaled: ‖x_k − x0‖ ≤ Σ Δ_j with Δ_j ≤ min(2ʲ, 1000), so after 1000
    // iterations x1 ≤ 1 + 1023 + 990·1000 < 10⁶ − 8900 and f ≥ (x1 − 10⁶)² > 7.9·10⁷.
    assert!(out[3].report.f > 7.9e7, "{}", out[3].report.f);
}
