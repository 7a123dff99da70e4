//! The nearly exact trust-region subproblem `min_p m(p) = gᵀp + ½pᵀHp` subject to `‖p‖ ≤ Δ`
//! (Moré & Sorensen 1983; Nocedal & Wright 2006, §4.3 and Algorithm 4.3).
//!
//! The solution satisfies `(H + λI)p = −g`, `λ(Δ − ‖p‖) = 0`, `H + λI ⪰ 0` (N&W Theorem 4.1).
//! With `H ≻ 0` the multiplier `λ` is found by Moré–Sorensen's safeguarded Newton iteration on
//! the secular equation `1/‖p(λ)‖ − 1/Δ = 0`, `λ ← λ + (‖p‖/‖q‖)² (‖p‖ − Δ)/Δ` with
//! `q = L⁻¹p` from the Cholesky factor `LLᵀ = H + λI` (faer `llt`). The function is concave and
//! increasing, so Newton started where `‖p‖ > Δ` increases `λ` monotonically to the root.
//! When `H` is not positive definite the same Newton iteration runs in the eigenbasis of `H`
//! (one symmetric eigendecomposition), where `‖p(λ)‖² = Σ cᵢ²/(λᵢ + λ)²` is exact even for `λ`
//! next to `−λ₁`; this also decides the *hard case* — `g` orthogonal (to `√ε` relative
//! accuracy) to the eigenspace of the smallest eigenvalue `λ₁` and
//! `‖(H − λ₁I)⁺g‖ ≤ Δ` — whose solution is `p = −(H − λ₁I)⁺g + τz` with `z` a unit eigenvector
//! of `λ₁` and `τ` chosen so that `‖p‖ = Δ` (N&W eq. 4.45).

use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::vector::{axpy, dot, norm, scale};
use crate::methods::newton::CholeskyWorkspace;
use faer::{Mat, MatRef, Side};

/// The solution of the trust-region subproblem.
///
/// ```
/// use curvlab::methods::trust_region::{more_sorensen, MoreSorensen};
/// // H = 2I, g = (4, 0): the Newton step (−2, 0) lies outside Δ = 1, so p = (−1, 0), λ = 2.
/// let h = faer::mat![[2.0, 0.0], [0.0, 2.0]];
/// let s = more_sorensen(h.as_ref(), &[4.0, 0.0], 1.0, &MoreSorensen::default()).unwrap();
/// assert!(s.on_boundary && (s.p[0] + 1.0).abs() < 1e-9 && (s.lambda - 2.0).abs() < 1e-8);
/// assert!((s.model_value - (-4.0 + 1.0)).abs() < 1e-8);
/// let nan = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
/// assert!(more_sorensen(nan.as_ref(), &[1.0, 0.0], 1.0, &MoreSorensen::default()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRegionStep {
    /// The step `p`.
    pub p: Vec<f64>,
    /// The multiplier `λ ≥ 0` with `(H + λI)p = −g`.
    pub lambda: f64,
    /// The model value `m(p) = gᵀp + ½pᵀHp`.
    pub model_value: f64,
    /// Newton iterations on the secular equation.
    pub iterations: usize,
    /// True when the solution lies on the boundary `‖p‖ = Δ`.
    pub on_boundary: bool,
    /// True in the hard case.
    pub hard_case: bool,
}

/// Options of [`more_sorensen`].
///
/// ```
/// let o = curvlab::methods::trust_region::MoreSorensen::default();
/// assert_eq!((o.rtol, o.max_iters), (1e-10, 100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoreSorensen {
    /// Accept a boundary solution when `|‖p‖ − Δ| ≤ rtol · Δ` (default 1e-10).
    pub rtol: f64,
    /// Newton iterations on `λ` (default 100).
    pub max_iters: usize,
}

impl Default for MoreSorensen {
    fn default() -> Self {
        MoreSorensen {
            rtol: 1e-10,
            max_iters: 100,
        }
    }
}

/// Solves the trust-region subproblem for the dense symmetric `h` (lower triangle read for the
/// Cholesky path, the whole matrix for products), gradient `g` and radius `Δ > 0`.
///
/// ```
/// use curvlab::methods::trust_region::{more_sorensen, MoreSorensen};
/// // Hard case: H = diag(-2, 1, 3), g ⊥ e₁.
/// let h = faer::mat![[-2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]];
/// let s = more_sorensen(h.as_ref(), &[0.0, 1.0, 1.0], 2.0, &MoreSorensen::default()).unwrap();
/// let pn = s.p.iter().map(|v| v * v).sum::<f64>().sqrt();
/// assert!(s.hard_case && (pn - 2.0).abs() < 1e-12 && (s.lambda - 2.0).abs() < 1e-12);
/// assert!(more_sorensen(h.as_ref(), &[0.0, 1.0, 1.0], -1.0, &MoreSorensen::default()).is_err());
/// ```
pub fn more_sorensen(
    h: MatRef<'_, f64>,
    g: &[f64],
    radius: f64,
    opts: &MoreSorensen,
) -> Result<TrustRegionStep> {
    let n = h.nrows();
    check_len("hessian columns", n, h.ncols())?;
    check_len("g", n, g.len())?;
    check_finite("g", g, 0)?;
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(Error::invalid(
            "radius",
            radius,
            "trust radius must be finite and > 0",
        ));
    }
    if !(opts.rtol > 0.0 && opts.rtol < 1.0) {
        return Err(Error::invalid("rtol", opts.rtol, "must be in (0, 1)"));
    }
    if opts.max_iters == 0 {
        return Err(Error::invalid("max_iters", 0, "must be >= 1"));
    }
    for j in 0..n {
        for i in 0..n {
            if !h[(i, j)].is_finite() {
                return Err(Error::NonFinite {
                    what: "hessian".into(),
                    iteration: 0,
                });
            }
        }
    }
    let mut ws = CholeskyWorkspace::new();
    let mut p = vec![0.0; n];
    let mut q = vec![0.0; n];
    // λ = 0 first: an interior Newton step when H ≻ 0 and ‖H⁻¹g‖ ≤ Δ.
    if ws.factor(h, 0.0).is_ok() {
        p.copy_from_slice(g);
        scale(-1.0, &mut p);
        ws.solve_in_place(&mut p);
        if norm(&p) <= radius {
            return Ok(finish(h, g, p, 0.0, 0, false, false));
        }
        // Moré–Sorensen Newton iteration from λ = 0 (where ‖p‖ > Δ).
        let mut lambda = 0.0;
        for it in 1..=opts.max_iters {
            let pn = norm(&p);
            if (pn - radius).abs() <= opts.rtol * radius {
                return Ok(finish(h, g, p, lambda, it - 1, true, false));
            }
            q.copy_from_slice(&p);
            ws.solve_lower_in_place(&mut q);
            let qn2 = dot(&q, &q);
            let next = lambda + (pn * pn / qn2) * (pn - radius) / radius;
            if !(next.is_finite() && next >= lambda) {
                break;
            }
            lambda = next;
            ws.factor(h, lambda)?;
            p.copy_from_slice(g);
            scale(-1.0, &mut p);
            ws.solve_in_place(&mut p);
        }
        // Budget spent (not observed in practice): scale onto the boundary.
        let pn = norm(&p);
        if pn > radius {
            scale(radius / pn, &mut p);
        }
        return Ok(finish(h, g, p, lambda, opts.max_iters, true, false));
    }
    // H is not positive definite: work in its eigenbasis, H = Q diag(μ) Qᵀ.
    let h_owned = h.to_owned();
    let evd = h_owned
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Numerical(format!("eigendecomposition failed: {e:?}")))?;
    let u = evd.U();
    let mu: Vec<f64> = (0..n).map(|i| evd.S().column_vector()[i]).collect();
    let mu1 = mu.first().copied().unwrap_or(0.0);
    let hscale = mu
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    // c = Qᵀg
    let c: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|k| u[(k, i)] * g[k]).sum())
        .collect();
    let gnorm = norm(g);
    let in_e1 = |i: usize| mu[i] - mu1 <= 1e-12 * hscale;
    let c1 = (0..n)
        .filter(|&i| in_e1(i))
        .map(|i| c[i] * c[i])
        .sum::<f64>()
        .sqrt();
    // ‖p(λ)‖² and ‖q(λ)‖² = pᵀ(H + λI)⁻¹p in the eigenbasis.
    let norms = |lambda: f64, skip_e1: bool| -> (f64, f64) {
        let (mut pp, mut qq) = (0.0, 0.0);
        for i in 0..n {
            if skip_e1 && in_e1(i) {
                continue;
            }
            let d = mu[i] + lambda;
            pp += c[i] * c[i] / (d * d);
            qq += c[i] * c[i] / (d * d * d);
        }
        (pp.sqrt(), qq)
    };
    let to_x = |y: &[f64]| -> Vec<f64> {
        let mut x = vec![0.0; n];
        for (i, yi) in y.iter().enumerate() {
            for k in 0..n {
                x[k] += u[(k, i)] * yi;
            }
        }
        x
    };
    let step_at = |lambda: f64, skip_e1: bool| -> Vec<f64> {
        let y: Vec<f64> = (0..n)
            .map(|i| {
                if skip_e1 && in_e1(i) {
                    0.0
                } else {
                    -c[i] / (mu[i] + lambda)
                }
            })
            .collect();
        to_x(&y)
    };
    let lambda_low = -mu1; // > 0 here
    let hard_tol = f64::EPSILON.sqrt() * gnorm;
    if c1 <= hard_tol {
        let (pt, _) = norms(lambda_low, true);
        if pt <= radius {
            // Hard case: p = p̃ + τz, ‖p‖ = Δ; the sign of τ that lowers gᵀz τ.
            let mut pv = step_at(lambda_low, true);
            let i1 = (0..n).find(|&i| in_e1(i)).unwrap_or(0);
            let z: Vec<f64> = (0..n).map(|k| u[(k, i1)]).collect();
            let pz = dot(&pv, &z);
            let pp = dot(&pv, &pv);
            // ‖p̃ + τz‖² = Δ² with ‖z‖ = 1: τ = −pᵀz ± √((pᵀz)² + Δ² − ‖p̃‖²)
            let disc = (pz * pz + radius * radius - pp).max(0.0).sqrt();
            let tau = if c[i1] > 0.0 { -pz - disc } else { -pz + disc };
            axpy(tau, &z, &mut pv);
            return Ok(finish(h, g, pv, lambda_low, 0, true, true));
        }
    }
    // Easy case: the root λ* > −λ₁. Start just right of −λ₁ where ‖p‖ > Δ.
    let mut delta = if c1 > 0.0 {
        0.5 * c1 / radius
    } else {
        1e-10 * hscale
    };
    let mut lambda = lambda_low + delta;
    for _ in 0..60 {
        if norms(lambda, false).0 > radius {
            break;
        }
        delta *= 0.25;
        lambda = lambda_low + delta;
    }
    let mut iterations = 0;
    for it in 1..=opts.max_iters {
        iterations = it;
        let (pn, qq) = norms(lambda, false);
        if (pn - radius).abs() <= opts.rtol * radius {
            break;
        }
        let next = lambda + (pn * pn / qq) * (pn - radius) / radius;
        if !(next.is_finite() && next > lambda_low) {
            break;
        }
        lambda = next;
    }
    let mut pv = step_at(lambda, false);
    let pn = norm(&pv);
    if pn > 0.0 {
        scale(radius / pn, &mut pv);
    }
    Ok(finish(h, g, pv, lambda, iterations, true, false))
}

fn finish(
    h: MatRef<'_, f64>,
    g: &[f64],
    p: Vec<f64>,
    lambda: f64,
    iterations: usize,
    on_boundary: bool,
    hard_case: bool,
) -> TrustRegionStep {
    let model_value = model(h, g, &p);
    TrustRegionStep {
        p,
        lambda,
        model_value,
        iterations,
        on_boundary,
        hard_case,
    }
}

/// `m(p) = gᵀp + ½pᵀHp` for a dense `H`.
///
/// ```
/// let h = faer::mat![[2.0, 0.0], [0.0, 4.0]];
/// let m = curvlab::methods::trust_region::model(h.as_ref(), &[1.0, 1.0], &[1.0, -1.0]);
/// assert_eq!(m, 0.0 + 0.5 * (2.0 + 4.0));
/// ```
pub fn model(h: MatRef<'_, f64>, g: &[f64], p: &[f64]) -> f64 {
    let mut hp = Mat::<f64>::zeros(p.len(), 1);
    faer::linalg::matmul::matmul(
        hp.as_mut(),
        faer::Accum::Replace,
        h,
        faer::ColRef::from_slice(p).as_mat(),
        1.0,
        faer::Par::Seq,
    );
    let php: f64 = (0..p.len()).map(|i| p[i] * hp[(i, 0)]).sum();
    dot(g, p) + 0.5 * php
}
