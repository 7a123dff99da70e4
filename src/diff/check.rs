//! Derivative checks against central finite differences, for users' own objectives
//! (the "gradient check" of Nocedal & Wright 2006, §8.1). A check whose error is NaN or
//! infinite (the objective overflows near `x`, or returns non-finite derivatives) is an error
//! naming the quantity, never `Ok` with a NaN that would compare as "not large".

use crate::error::{Error, Result, check_finite_scalar, check_len};
use crate::objective::Objective;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Relative errors of an objective's derivatives against central differences at one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivativeCheck {
    /// `|∇f·d − (f(x+hd) − f(x−hd))/2h| / max(|∇f·d|, |fd|, 1e-300)` over random unit directions
    /// `d` (the largest of them).
    pub gradient_rel_error: f64,
    /// `‖Hv − (∇f(x+hv) − ∇f(x−hv))/2h‖ / max(‖Hv‖, ‖fd‖)` for a random `v`.
    pub hvp_rel_error: f64,
    /// `‖Hv − hvp(v)‖ / ‖Hv‖` where `H` is `objective.hessian(x)`: consistency of the dense
    /// Hessian with the HVP (exact objectives agree to rounding).
    pub hessian_hvp_rel_error: f64,
    /// `max |H − Hᵀ| / max |H|`.
    pub hessian_asymmetry: f64,
}

/// Compares gradient, HVP and Hessian of `objective` at `x` against central differences, with
/// random directions drawn from `seed`.
///
/// ```
/// use curvlab::diff::check_derivatives;
/// use curvlab::problems::Rosenbrock;
/// let c = check_derivatives(&Rosenbrock::new(3).unwrap(), &[-1.2, 1.0, 0.5], 7).unwrap();
/// assert!(c.gradient_rel_error < 1e-6 && c.hvp_rel_error < 1e-6);
/// assert!(c.hessian_hvp_rel_error < 1e-12);
/// ```
pub fn check_derivatives<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    seed: u64,
) -> Result<DerivativeCheck> {
    let n = objective.dim();
    check_len("x", n, x.len())?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let xn = norm(x);
    let mut g = vec![0.0; n];
    objective.gradient(x, &mut g)?;
    crate::error::check_finite("gradient", &g, 0)?;

    // Gradient: directional derivatives along 3 random unit directions.
    let mut gradient_rel_error: f64 = 0.0;
    for _ in 0..3 {
        let d = unit(&mut rng, n);
        let h = f64::EPSILON.cbrt() * (1.0 + xn);
        let fp = objective.value(&axpy(x, h, &d))?;
        let fm = objective.value(&axpy(x, -h, &d))?;
        let fd = (fp - fm) / (2.0 * h);
        let an = dot(&g, &d);
        let scale = an.abs().max(fd.abs()).max(1e-300);
        // Differences below the rounding floor of f say nothing.
        let floor = 1e-9 * (1.0 + objective.value(x)?.abs()) / h;
        let err = (an - fd).abs();
        if !(err / scale).is_finite() {
            return Err(non_finite("gradient check", fp, fm, an));
        }
        gradient_rel_error = gradient_rel_error.max(if err < floor { 0.0 } else { err / scale });
    }

    // HVP against central differences of the gradient.
    let v = unit(&mut rng, n);
    let mut hv = vec![0.0; n];
    objective.hvp(x, &v, &mut hv)?;
    let mut fd = vec![0.0; n];
    crate::diff::fd::central_hvp(objective, x, &v, &mut fd)?;
    let diff: Vec<f64> = hv.iter().zip(&fd).map(|(a, b)| a - b).collect();
    let scale = norm(&hv).max(norm(&fd)).max(1e-300);
    let hvp_rel_error = norm(&diff) / scale;

    // Dense Hessian against the HVP, and its symmetry.
    let h = objective.hessian(x)?;
    let mut hv2 = vec![0.0; n];
    let mut maxabs: f64 = 0.0;
    let mut asym: f64 = 0.0;
    for i in 0..n {
        for j in 0..n {
            hv2[i] += h[(i, j)] * v[j];
            maxabs = maxabs.max(h[(i, j)].abs());
            asym = asym.max((h[(i, j)] - h[(j, i)]).abs());
        }
    }
    let d2: Vec<f64> = hv2.iter().zip(&hv).map(|(a, b)| a - b).collect();
    let hessian_hvp_rel_error = norm(&d2) / norm(&hv2).max(norm(&hv)).max(1e-300);
    for (name, v) in [
        ("hvp_rel_error", hvp_rel_error),
        ("hessian_hvp_rel_error", hessian_hvp_rel_error),
        ("hessian_asymmetry", asym),
    ] {
        check_finite_scalar(&format!("derivative check {name}"), v, 0)?;
    }
    Ok(DerivativeCheck {
        gradient_rel_error,
        hvp_rel_error,
        hessian_hvp_rel_error,
        hessian_asymmetry: if maxabs > 0.0 { asym / maxabs } else { 0.0 },
    })
}

fn non_finite(what: &str, fp: f64, fm: f64, an: f64) -> Error {
    Error::NonFinite {
        what: format!("{what}: f(x+hd) = {fp}, f(x−hd) = {fm}, ∇f·d = {an}"),
        iteration: 0,
    }
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
fn axpy(x: &[f64], a: f64, d: &[f64]) -> Vec<f64> {
    x.iter().zip(d).map(|(xi, di)| xi + a * di).collect()
}
fn unit(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let mut d: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
    let s = norm(&d).max(1e-300);
    d.iter_mut().for_each(|a| *a /= s);
    d
}
