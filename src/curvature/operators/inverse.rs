//! Inverses of damped curvature operators, `(A + δI)⁻¹`, as operators (curvlinops'
//! `CGInverseLinearOperator` and `NeumannInverseLinearOperator`), usable as a
//! [`LinearOperator`] and as a CG [`Preconditioner`] (`M = A + δI`, `apply_inverse = M⁻¹`):
//!
//! - [`CgInverse`]: each product solves `(A + δI) x = v` by conjugate gradients (Hestenes & Stiefel
//!   1952; Nocedal & Wright 2006, Algorithm 5.2) to a relative residual `rtol`; it needs
//!   `A + δI` positive definite and is an error otherwise. A CG solve is a nonlinear function of
//!   `v` only to the tolerance, which is why a tight `rtol` is the default.
//! - [`NeumannInverse`]: the truncated Neumann series `α Σ_{j=0}^{J} (I − α(A + δI))ʲ v`, which
//!   converges to `(A + δI)⁻¹ v` when every eigenvalue `λ` of `A + δI` has `|1 − αλ| < 1`, i.e.
//!   `0 < α < 2/λ_max` for a positive definite matrix, with error factor `max|1 − αλ|^{J+1}`
//!   (the series of Neumann 1877; used for curvature inverses by Lorraine, Vicol & Duvenaud,
//!   AISTATS 2020). `J` products per application; a fixed linear operator.

use crate::error::{Error, Result, check_finite, check_len};
use crate::linalg::cg::{CgOptions, CgStatus, Preconditioner, cg};
use crate::linalg::{Damped, LinearOperator};
use std::sync::atomic::{AtomicU64, Ordering};

fn check_damping(damping: f64) -> Result<f64> {
    if !(damping.is_finite() && damping >= 0.0) {
        return Err(Error::invalid(
            "damping",
            damping,
            "must be finite and >= 0",
        ));
    }
    Ok(damping)
}

/// `(A + δI)⁻¹` by conjugate gradients.
///
/// ```
/// use curvlab::curvature::operators::CgInverse;
/// use curvlab::linalg::LinearOperator;
/// let a = faer::mat![[4.0, 1.0], [1.0, 3.0]];
/// let inv = CgInverse::new(&a, 0.0).unwrap();
/// let mut x = [0.0; 2];
/// inv.apply(&[1.0, 2.0], &mut x).unwrap();
/// assert!((x[0] - 1.0 / 11.0).abs() < 1e-12 && (x[1] - 7.0 / 11.0).abs() < 1e-12);
/// // Indefinite: a clear error, not a wrong answer.
/// let b = faer::mat![[1.0, 0.0], [0.0, -1.0]];
/// assert!(CgInverse::new(&b, 0.0).unwrap().apply(&[1.0, 1.0], &mut x).is_err());
/// ```
pub struct CgInverse<A> {
    op: Damped<A>,
    opts: CgOptions,
    inner: AtomicU64,
}

impl<A: LinearOperator> CgInverse<A> {
    /// `(op + damping·I)⁻¹`, `damping ≥ 0`, CG to `rtol = 1e-12` within `10 n` iterations.
    pub fn new(op: A, damping: f64) -> Result<Self> {
        let n = op.dim();
        let opts = CgOptions::default()
            .with_rtol(1e-12)?
            .with_max_iters((10 * n).max(1))?;
        Ok(CgInverse {
            op: Damped::new(op, check_damping(damping)?)?,
            opts,
            inner: AtomicU64::new(0),
        })
    }
    /// The relative residual tolerance (finite, `≥ 0`) and the iteration budget (`≥ 1`).
    ///
    /// ```
    /// let a = faer::mat![[1.0]];
    /// assert!(curvlab::curvature::operators::CgInverse::new(&a, 0.0).unwrap()
    ///     .with_tolerance(1e-8, 0).is_err());
    /// ```
    pub fn with_tolerance(mut self, rtol: f64, max_iters: usize) -> Result<Self> {
        self.opts = self.opts.with_rtol(rtol)?.with_max_iters(max_iters)?;
        Ok(self)
    }
    /// Products with `A` made by all solves so far.
    pub fn inner_applications(&self) -> u64 {
        self.inner.load(Ordering::Relaxed)
    }
}

impl<A: LinearOperator> LinearOperator for CgInverse<A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.op.dim(), v.len())?;
        check_len("output", self.op.dim(), out.len())?;
        let r = cg(&self.op, v, None, &self.opts)?;
        self.inner
            .fetch_add(r.applications as u64, Ordering::Relaxed);
        if r.status == CgStatus::NegativeCurvature {
            return Err(Error::Unsupported(
                "CG inverse: A + δI is not positive definite (nonpositive curvature found); raise the damping".into(),
            ));
        }
        out.copy_from_slice(&r.x);
        Ok(())
    }
}

impl<A: LinearOperator> Preconditioner for CgInverse<A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply_inverse(&self, r: &[f64], z: &mut [f64]) -> Result<()> {
        LinearOperator::apply(self, r, z)
    }
}

/// `(A + δI)⁻¹ ≈ α Σ_{j=0}^{J} (I − α(A + δI))ʲ` (truncated Neumann series).
///
/// ```
/// use curvlab::curvature::operators::NeumannInverse;
/// use curvlab::linalg::LinearOperator;
/// let a = faer::mat![[2.0, 0.0], [0.0, 1.0]];
/// // α = 0.5: the first coordinate is exact after one term, the second halves its error per term.
/// let inv = NeumannInverse::new(&a, 0.0, 0.5, 60).unwrap();
/// let mut x = [0.0; 2];
/// inv.apply(&[1.0, 1.0], &mut x).unwrap();
/// assert!((x[0] - 0.5).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
/// assert!(NeumannInverse::new(&a, 0.0, 0.0, 10).is_err());
/// ```
pub struct NeumannInverse<A> {
    op: Damped<A>,
    scale: f64,
    terms: usize,
    inner: AtomicU64,
}

impl<A: LinearOperator> NeumannInverse<A> {
    /// `scale = α > 0` (converges for `α < 2/λ_max(A + δI)`), `terms = J ≥ 1` products per
    /// application, `damping = δ ≥ 0`.
    pub fn new(op: A, damping: f64, scale: f64, terms: usize) -> Result<Self> {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::invalid("scale", scale, "must be finite and > 0"));
        }
        if terms == 0 {
            return Err(Error::invalid("terms", 0, "must be >= 1"));
        }
        Ok(NeumannInverse {
            op: Damped::new(op, check_damping(damping)?)?,
            scale,
            terms,
            inner: AtomicU64::new(0),
        })
    }
    /// Products with `A` made so far (`J` per application).
    pub fn inner_applications(&self) -> u64 {
        self.inner.load(Ordering::Relaxed)
    }
}

impl<A: LinearOperator> LinearOperator for NeumannInverse<A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.op.dim();
        check_len("v", n, v.len())?;
        check_len("output", n, out.len())?;
        let a = self.scale;
        let mut term: Vec<f64> = v.iter().map(|x| a * x).collect();
        out.copy_from_slice(&term);
        let mut at = vec![0.0; n];
        for _ in 0..self.terms {
            self.op.apply(&term, &mut at)?;
            for ((t, o), q) in term.iter_mut().zip(out.iter_mut()).zip(&at) {
                *t -= a * q;
                *o += *t;
            }
        }
        self.inner.fetch_add(self.terms as u64, Ordering::Relaxed);
        check_finite("Neumann series", out, 0)
    }
}

impl<A: LinearOperator> Preconditioner for NeumannInverse<A> {
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn apply_inverse(&self, r: &[f64], z: &mut [f64]) -> Result<()> {
        LinearOperator::apply(self, r, z)
    }
}
