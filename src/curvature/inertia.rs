//! Inertia (Sylvester's law: the numbers of negative, zero and positive eigenvalues; Golub &
//! Van Loan 2013, §8.1) and negative-curvature certificates: a direction `d` with `dᵀAd < 0`
//! proves that a Hessian is not positive semidefinite, i.e. that a stationary point is not a
//! minimum and that Newton's direction may point uphill (Nocedal & Wright 2006, §3.4 and §4.3).

use crate::curvature::lanczos::{Lanczos, Which};
use crate::curvature::spectrum::spectrum;
use crate::error::{Error, Result};
use crate::linalg::LinearOperator;
use crate::linalg::vector::{axpy, dot, norm};

/// Counts of negative, zero and positive eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Inertia {
    /// `λ < −tol·‖A‖₂`.
    pub negative: usize,
    /// `|λ| ≤ tol·‖A‖₂`.
    pub zero: usize,
    /// `λ > tol·‖A‖₂`.
    pub positive: usize,
}

/// The inertia of a symmetric operator from its dense spectrum; an eigenvalue counts as zero
/// when `|λ| ≤ tol · max|λ|` (`tol ≥ 0`, relative to `‖A‖₂`).
///
/// ```
/// let a = faer::mat![[1.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 0.0]];
/// let i = curvlab::curvature::inertia(&a, 1e-12).unwrap();
/// assert_eq!((i.negative, i.zero, i.positive), (1, 1, 1));
/// ```
pub fn inertia<A: LinearOperator + ?Sized>(op: &A, tol: f64) -> Result<Inertia> {
    if !(tol >= 0.0 && tol.is_finite()) {
        return Err(Error::invalid("tol", tol, "must be finite and >= 0"));
    }
    let s = spectrum(op)?;
    Ok(inertia_of(&s.eigenvalues, tol))
}

pub(crate) fn inertia_of(eigenvalues: &[f64], tol: f64) -> Inertia {
    let scale = eigenvalues.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let z = tol * scale;
    let mut i = Inertia {
        negative: 0,
        zero: 0,
        positive: 0,
    };
    for l in eigenvalues {
        if *l < -z {
            i.negative += 1;
        } else if *l > z {
            i.positive += 1;
        } else {
            i.zero += 1;
        }
    }
    i
}

/// A certificate of negative curvature: a unit direction with `dᵀAd < 0`.
#[derive(Debug, Clone)]
pub struct NegativeCurvature {
    /// The unit direction `d`.
    pub direction: Vec<f64>,
    /// The Rayleigh quotient `dᵀAd` (recomputed with one application; negative).
    pub rayleigh: f64,
    /// `‖A d − (dᵀAd) d‖`: how close `d` is to an eigenvector.
    pub residual: f64,
    /// Operator applications used.
    pub applications: usize,
}

/// Looks for negative curvature by the default Krylov eigensolver of [`Lanczos::new`] on the
/// smallest eigenvalue (tolerance `1e-8`, the given seed; multiplicity check off: one value, no
/// multiplicity to find): `Some(certificate)` when the smallest Ritz value is negative (its Rayleigh
/// quotient, recomputed, is then `< 0`), `None` when the operator is positive semidefinite up to
/// the tolerance.
///
/// ```
/// let a = faer::mat![[2.0, 0.0], [0.0, -0.5]];
/// let c = curvlab::curvature::negative_curvature(&a, 0).unwrap().unwrap();
/// assert!(c.rayleigh < 0.0 && (c.rayleigh + 0.5).abs() < 1e-10);
/// let spd = faer::mat![[2.0, 0.0], [0.0, 1.0]];
/// assert!(curvlab::curvature::negative_curvature(&spd, 0).unwrap().is_none());
/// ```
pub fn negative_curvature<A: LinearOperator + ?Sized>(
    op: &A,
    seed: u64,
) -> Result<Option<NegativeCurvature>> {
    let r = Lanczos::new(1, Which::Smallest)?
        .with_tol(1e-8)?
        .with_seed(seed)?
        .with_multiplicity_check(false)?
        .run(op)?;
    let Some(p) = r.smallest.first() else {
        return Ok(None);
    };
    if !(p.value < 0.0) {
        return Ok(None);
    }
    let n = op.dim();
    let mut ad = vec![0.0; n];
    op.apply(&p.vector, &mut ad)?;
    let rayleigh = dot(&p.vector, &ad) / dot(&p.vector, &p.vector);
    if !(rayleigh < 0.0) {
        return Ok(None);
    }
    axpy(-rayleigh, &p.vector, &mut ad);
    Ok(Some(NegativeCurvature {
        direction: p.vector.clone(),
        rayleigh,
        residual: norm(&ad),
        applications: r.applications + 1,
    }))
}
