//! Registry entries of L-BFGS and the second-order methods (Newton, Newton-CG, trust-region
//! Newton-CG, Hessian-free): names, parameter tables and builders.

use super::MethodEntry;

/// Appends the quasi-Newton and second-order entries in `curvlab list` order.
pub(super) fn register(v: &mut Vec<MethodEntry>) {
    v.extend_from_slice(crate::methods::lbfgs::ENTRIES);
    v.extend_from_slice(crate::methods::newton::ENTRIES);
    v.extend_from_slice(crate::methods::newton_cg::ENTRIES);
    v.extend_from_slice(crate::methods::hessian_free::ENTRIES);
}
