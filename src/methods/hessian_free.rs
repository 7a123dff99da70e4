//! Placeholder: filled in by the method work (issues 3 and 4).

use super::registry::MethodEntry;

/// Registry entries.
pub const ENTRIES: &[MethodEntry] = &[];
