//! Bring your own model in five lines: a logistic regression written as one generic closure,
//! minimized by curvlab's Newton, then its Hessian spectrum at the solution (docs/own_model.md).
//!
//! Run with `cargo run --release --example own_model`.

use curvlab::diff::softplus;
use curvlab::methods::{Lbfgs, Newton};
use curvlab::num_dual::Dual64;
use curvlab::objective;
use curvlab::prelude::*; // Objective, minimize, Stop, and `.exp()`, `.re()`, … on Dual64

fn main() -> curvlab::Result<()> {
    // Data: x ∈ R², label ±1 (four points, not separable).
    let data = [
        ([1.0, 2.0], 1.0),
        ([2.0, 0.5], -1.0),
        ([-1.0, 1.0], 1.0),
        ([0.5, -1.5], -1.0),
    ];
    let (data2, n) = (data, data.len() as f64);

    // The model: f(w) = (1/N) Σ softplus(−yᵢ wᵀxᵢ) + ½ 0.1 ‖w‖², value and gradient once, in
    // dual numbers: value, gradient and Hessian-vector products are exact.
    let f = objective::from_generic(2, move |w: &[Dual64], g: &mut [Dual64]| {
        let mut f = (w[0] * w[0] + w[1] * w[1]) * 0.05;
        g[0] = w[0] * 0.1;
        g[1] = w[1] * 0.1;
        for (x, y) in &data {
            let m = (w[0] * x[0] + w[1] * x[1]) * -*y; // margin −y wᵀx
            f += softplus(m) / n;
            let s = (-softplus(-m)).exp(); // σ(m), stable
            g[0] += s * (-y * x[0] / n);
            g[1] += s * (-y * x[1] / n);
        }
        f
    })?;
    let r = minimize(
        &f,
        &mut Newton::default(),
        &[0.0, 0.0],
        &Stop::new(1e-10, 100),
    )?;
    println!(
        "newton: {} iterations, f = {:.6}, ‖∇f‖ = {:.1e}",
        r.iterations, r.f, r.grad_norm
    );

    // Plain f64 closures work too; Hessian-vector products are then finite differences, and
    // the report says so.
    let value = move |w: &[f64]| {
        let reg = 0.05 * (w[0] * w[0] + w[1] * w[1]);
        reg + data2
            .iter()
            .map(|(x, y)| softplus(-y * (w[0] * x[0] + w[1] * x[1])))
            .sum::<f64>()
            / n
    };
    let gradient = move |w: &[f64], g: &mut [f64]| {
        g[0] = 0.1 * w[0];
        g[1] = 0.1 * w[1];
        for (x, y) in &data2 {
            let s = (-softplus(y * (w[0] * x[0] + w[1] * x[1]))).exp(); // σ(−y wᵀx)
            g[0] -= s * y * x[0] / n;
            g[1] -= s * y * x[1] / n;
        }
    };
    let h = objective::from_fns(2, value, gradient)?;
    let r2 = minimize(
        &h,
        &mut Lbfgs::default(),
        &[0.0, 0.0],
        &Stop::new(1e-10, 100),
    )?;
    println!(
        "lbfgs (f64 closures): {} iterations, notes: {:?}",
        r2.iterations, r2.notes
    );

    // Every diagnostic runs on it: the Hessian spectrum where Newton ended.
    let s = curvlab::curvature::spectrum(&f.hessian(&r.x)?)?;
    println!("eigenvalues of ∇²f(x*): {:?}", s.eigenvalues);
    Ok(())
}
