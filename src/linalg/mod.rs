//! Linear algebra shared by methods and diagnostics: the [`LinearOperator`] abstraction
//! (Hessian and Gauss-Newton operators at a point, dense faer matrices, sparse CSR matrices,
//! damping), level-1 vector kernels on slices, and the Krylov solvers (CG, preconditioned CG,
//! Steihaug-Toint) and Lanczos process built on them.

pub mod block_lanczos;
pub mod cg;
pub mod cholesky;
pub mod lanczos;
pub mod lanczos_batch;
pub mod matmul;
pub mod operator;
pub mod sparse;
pub mod steihaug;
pub mod vector;

pub use operator::{Damped, DenseOperator, GgnOperator, HessianOperator, LinearOperator};
