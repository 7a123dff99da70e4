//! Conjugate gradients (issue 4): placeholder.
