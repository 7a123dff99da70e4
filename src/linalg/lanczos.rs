//! Lanczos (issue 5): placeholder.
