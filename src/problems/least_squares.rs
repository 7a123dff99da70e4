//! Placeholder: filled in by the problem-library work (issue 2).

use super::registry::{ProblemInfo, ProblemInstance};
use crate::error::{Error, Result};
use crate::params::Params;

/// Registry entry.
pub const INFO: ProblemInfo = ProblemInfo {
    name: "least-squares",
    summary: "not yet available",
    params: &[],
};

/// Builds the problem.
pub fn build(_p: &Params, _seed: u64) -> Result<ProblemInstance> {
    Err(Error::Unsupported(
        "least_squares is not available yet".into(),
    ))
}
