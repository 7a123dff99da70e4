//! Placeholder: the first-order family (issue 3).

use super::registry::MethodEntry;

/// Registry entries.
pub const ENTRIES: &[MethodEntry] = &[];
