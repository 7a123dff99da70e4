//! Steihaug–Toint truncated conjugate gradients for the trust-region subproblem
//! `min_p m(p) = gᵀp + ½ pᵀBp` subject to `‖p‖ ≤ Δ` (Steihaug 1983; Toint 1981; Nocedal & Wright
//! 2006, Algorithm 7.2). It is CG on `Bp = −g` from `p = 0` that stops on the boundary when a
//! step would leave the region or along a direction of nonpositive curvature. The loop itself is
//! [`crate::linalg::cg::solve`]; this is its trust-region front end.

use crate::error::Result;
use crate::linalg::LinearOperator;
use crate::linalg::cg::{CgOptions, CgResult, solve};

/// Steihaug–Toint CG for `min gᵀp + ½pᵀBp`, `‖p‖ ≤ radius`, stopping in the interior when
/// `‖Bp + g‖ ≤ rtol ‖g‖`. The result's `phi` holds the model values `m(p_j)` and `x` the step.
///
/// ```
/// use curvlab::linalg::steihaug::steihaug;
/// use curvlab::linalg::cg::CgStatus;
/// // B = diag(1, -1): indefinite; the step goes to the boundary ‖p‖ = Δ.
/// let b = faer::mat![[1.0, 0.0], [0.0, -1.0]];
/// let r = steihaug(&b, &[1.0, 1.0], 2.0, 1e-10, 100).unwrap();
/// let pn = (r.x[0] * r.x[0] + r.x[1] * r.x[1]).sqrt();
/// assert!(r.on_boundary && (pn - 2.0).abs() < 1e-12);
/// assert_eq!(r.status, CgStatus::NegativeCurvature);
/// assert!(steihaug(&b, &[1.0, 1.0], 0.0, 1e-10, 100).is_err());
/// ```
pub fn steihaug<B: LinearOperator + ?Sized>(
    b: &B,
    g: &[f64],
    radius: f64,
    rtol: f64,
    max_iters: usize,
) -> Result<CgResult> {
    let opts = CgOptions::default()
        .with_rtol(rtol)?
        .with_max_iters(max_iters)?
        .with_radius(radius)?;
    let neg_g: Vec<f64> = g.iter().map(|v| -v).collect();
    solve(b, None, &neg_g, None, &opts)
}
