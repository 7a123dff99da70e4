//! Full-batch gradient descent with the sharpness `λ_max(∇²f)` tracked by Lanczos every `k`
//! steps: the measurement behind the "edge of stability" (Cohen, Kaur, Li, Kolter & Talwalkar,
//! ICLR 2021), where the sharpness first rises (progressive sharpening) and then hovers at
//! `2/η`, the stability limit of gradient descent with step `η` on a quadratic.

use crate::curvature::{Lanczos, Which};
use crate::error::{Error, Result};
use crate::linalg::HessianOperator;
use crate::objective::Objective;

/// One recorded step of [`gd_with_sharpness`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpnessPoint {
    /// The step number (0 is the start).
    pub step: usize,
    /// `f(x)` at that step.
    pub loss: f64,
    /// `λ_max(∇²f(x))` on the steps where it was measured.
    pub sharpness: Option<f64>,
}

/// The trace of [`gd_with_sharpness`] and the Hessian-vector products its Lanczos runs used.
#[derive(Debug, Clone)]
pub struct SharpnessTrace {
    /// One point per step, `steps + 1` in all.
    pub points: Vec<SharpnessPoint>,
    /// Hessian-vector products spent on the sharpness (counted by Lanczos).
    pub hvps: usize,
}

/// Runs `steps` steps of full-batch gradient descent `x ← x − η ∇f(x)` from `x0` and measures the
/// sharpness at step 0, every `every` steps and at the last step, by thick-restart Lanczos (one
/// eigenvalue, relative tolerance 1e-6, start vector from `seed`).
///
/// ```
/// use curvlab::Objective;
/// use curvlab::problems::datasets::{Labeled, Split};
/// use curvlab::problems::network::{Loss, Network, edge::gd_with_sharpness};
/// let part = Labeled::new(faer::mat![[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], vec![0, 1, 1]).unwrap();
/// let net = Network::new(&Split { train: part.clone(), test: part, classes: 2 }, &[3])
///     .unwrap()
///     .with_loss(Loss::Mse);
/// let t = gd_with_sharpness(&net, &net.initial_point(0), 0.1, 10, 5, 0).unwrap();
/// assert_eq!(t.points.len(), 11);
/// assert!(t.points[0].sharpness.is_some() && t.points[1].sharpness.is_none());
/// assert!(t.points[10].loss < t.points[0].loss);
/// ```
pub fn gd_with_sharpness<O: Objective + ?Sized>(
    f: &O,
    x0: &[f64],
    lr: f64,
    steps: usize,
    every: usize,
    seed: u64,
) -> Result<SharpnessTrace> {
    if !(lr > 0.0 && lr.is_finite()) {
        return Err(Error::invalid("lr", lr, "must be finite and > 0"));
    }
    if every == 0 {
        return Err(Error::invalid("every", every, "must be >= 1"));
    }
    crate::error::check_len("x0", f.dim(), x0.len())?;
    let mut x = x0.to_vec();
    let mut g = vec![0.0; x.len()];
    let mut points = Vec::with_capacity(steps + 1);
    let mut hvps = 0;
    for step in 0..=steps {
        let loss = f.gradient(&x, &mut g)?;
        let sharpness = if step % every == 0 || step == steps {
            let (lam, used) = lambda_max(f, &x, seed)?;
            hvps += used;
            Some(lam)
        } else {
            None
        };
        points.push(SharpnessPoint {
            step,
            loss,
            sharpness,
        });
        if step < steps {
            crate::linalg::vector::axpy(-lr, &g, &mut x);
        }
    }
    Ok(SharpnessTrace { points, hvps })
}

/// `(λ_max, HVPs used)` by Lanczos.
fn lambda_max<O: Objective + ?Sized>(f: &O, x: &[f64], seed: u64) -> Result<(f64, usize)> {
    let op = HessianOperator::new(f, x.to_vec())?;
    let r = Lanczos::new(1, Which::Largest)?
        .with_tol(1e-6)?
        .with_seed(seed)?
        .with_multiplicity_check(false)?
        .run(&op)?;
    let lam = r
        .largest
        .first()
        .map(|p| p.value)
        .ok_or_else(|| Error::Unsupported("Lanczos returned no Ritz value".into()))?;
    Ok((lam, r.applications))
}
