//! Curvature along an optimization path: the sharpness `λ_max(∇²f(x))` (the quantity behind the
//! step-size limit `2/λ_max` of gradient descent, Cohen et al. 2021 "edge of stability") and the
//! condition number of the Hessian at given points, by Lanczos on exact Hessian-vector products
//! ([`crate::linalg::HessianOperator`]; Pearlmutter 1994) — or densely for small `n`.

use crate::curvature::auto::{Algo, choose};
use crate::curvature::lanczos::{Lanczos, Which};
use crate::curvature::spectrum::spectrum;
use crate::error::Result;
use crate::linalg::HessianOperator;
use crate::objective::Objective;

/// Curvature of the Hessian at one point.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sharpness {
    /// The largest eigenvalue (sharpness).
    pub lambda_max: f64,
    /// The smallest eigenvalue.
    pub lambda_min: f64,
    /// `λ_max / λ_min` when the Hessian is positive definite, else `None`.
    pub condition_number: Option<f64>,
    /// Hessian-vector products used (the dense Hessian counts as 0 products).
    pub matvecs: usize,
    /// Dense or Lanczos.
    pub algo: Algo,
}

/// Sharpness and condition number of `∇²f(x)`: dense (`obj.hessian(x)`) when `n ≤ 1000`, else
/// the default Krylov eigensolver of [`Lanczos::new`] (whatever [`crate::curvature::BlockSize`]
/// it defaults to) for the largest and smallest eigenvalue (tolerance `1e−8`, `seed`). The
/// multiplicity check is off: one value per end has no multiplicity to find.
///
/// ```
/// use curvlab::curvature::sharpness;
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let s = sharpness(&f, &[1.0, 1.0], 0).unwrap();
/// // ∇²f(1,1) = [[802, −400], [−400, 200]]: λ = 501 ± √(301² + 400²).
/// let r = (301f64.powi(2) + 400f64.powi(2)).sqrt();
/// assert!((s.lambda_max - (501.0 + r)).abs() < 1e-9);
/// assert!((s.condition_number.unwrap() - (501.0 + r) / (501.0 - r)).abs() < 1e-6);
/// ```
pub fn sharpness<O: Objective + ?Sized>(obj: &O, x: &[f64], seed: u64) -> Result<Sharpness> {
    let n = obj.dim();
    crate::error::check_len("x", n, x.len())?;
    let (algo, _) = choose(Algo::Auto, n, Which::Both, false);
    let (hi, lo, matvecs) = if algo == Algo::Dense {
        let h = obj.hessian(x)?;
        let s = spectrum(&h)?;
        (s.max(), s.min(), 0)
    } else {
        let op = HessianOperator::new(obj, x.to_vec())?;
        let r = Lanczos::new(1, Which::Both)?
            .with_tol(1e-8)?
            .with_seed(seed)?
            .with_multiplicity_check(false)?
            .run(&op)?;
        let hi = r.largest.first().map(|p| p.value).unwrap_or(f64::NAN);
        let lo = r.smallest.first().map(|p| p.value).unwrap_or(f64::NAN);
        (hi, lo, r.applications)
    };
    Ok(Sharpness {
        lambda_max: hi,
        lambda_min: lo,
        condition_number: if lo > 0.0 { Some(hi / lo) } else { None },
        matvecs,
        algo,
    })
}

/// [`sharpness`] at each point of a path (e.g. the iterates an optimizer visited).
///
/// ```
/// use curvlab::curvature::trajectory;
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let s = trajectory(&f, &[vec![-1.2, 1.0], vec![1.0, 1.0]], 0).unwrap();
/// assert_eq!(s.len(), 2);
/// assert!(s[0].condition_number.is_some());
/// ```
pub fn trajectory<O: Objective + ?Sized>(
    obj: &O,
    points: &[Vec<f64>],
    seed: u64,
) -> Result<Vec<Sharpness>> {
    points.iter().map(|x| sharpness(obj, x, seed)).collect()
}
