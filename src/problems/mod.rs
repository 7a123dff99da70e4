//! The problem library: objectives that optimization researchers recognise, each with its
//! formula and source in its doc comment, exact gradients, HVPs and Hessians, a standard start and
//! (where known) the optimal value and minimizer.

pub mod data;
pub mod datasets;
pub mod least_squares;
pub mod logistic;
pub mod matrix_market;
pub mod mgh;
pub mod mlp;
pub mod network;
pub mod quadratic;
pub mod ravine;
pub mod registry;
pub mod rosenbrock;

pub use matrix_market::SparseQuadratic;
pub use quadratic::{Quadratic, Rotation, SpectrumKind};
pub use ravine::Ravine;
pub use registry::{
    ProblemInfo, ProblemInstance, ProblemSize, build_problem, problem_infos, problem_request,
};
pub use rosenbrock::Rosenbrock;
