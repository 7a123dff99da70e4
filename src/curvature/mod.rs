//! Curvature diagnostics (issue 5): placeholder.
