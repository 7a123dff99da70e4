//! Placeholder: sparse CSR matrices and Matrix Market I/O (issue 2).

use crate::error::{Error, Result};
use crate::params::Params;
use crate::problems::registry::{ProblemInfo, ProblemInstance};

/// Registry entry for the quadratic defined by a Matrix Market file.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "matrix",
    summary: "not yet available",
    params: &[],
};

/// Builds the problem.
pub fn build_problem(_p: &Params, _seed: u64) -> Result<ProblemInstance> {
    Err(Error::Unsupported("matrix is not available yet".into()))
}
