//! Registry entries of the first-order family (gradient descent, momentum, Nesterov, AdaGrad,
//! RMSProp, Adam, AdamW, AMSGrad, NAdam): names, parameter tables and builders.

use super::MethodEntry;

/// Appends the first-order entries in `curvlab list` order.
pub(super) fn register(v: &mut Vec<MethodEntry>) {
    v.extend_from_slice(crate::methods::first_order::ENTRIES);
}
