//! Errors and the crate-wide `Result`.
//!
//! Every fallible call in curvlab returns [`Result`]. Bad input (wrong dimensions, invalid
//! hyperparameters, malformed files) is an error that says what was wrong and where; numerical
//! breakdowns (NaN/Inf from an objective, an indefinite matrix where a method needs positive
//! definiteness) are errors too, never panics or silent NaNs.

use std::path::PathBuf;

/// The error type of every curvlab call.
///
/// ```
/// use curvlab::Error;
/// let e = Error::Dimension { what: "x0".into(), expected: 3, got: 2 };
/// assert_eq!(e.to_string(), "x0 has length 2, expected 3");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A vector or matrix had the wrong size.
    #[error("{what} has length {got}, expected {expected}")]
    Dimension {
        /// Which argument.
        what: String,
        /// The length the callee needed.
        expected: usize,
        /// The length it received.
        got: usize,
    },
    /// A hyperparameter or option outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name (as in `curvlab list`).
        name: String,
        /// Its value, formatted.
        value: String,
        /// What the valid range is.
        reason: String,
    },
    /// The objective (or an operator) returned NaN or Inf.
    #[error("non-finite {what} at iteration {iteration}")]
    NonFinite {
        /// Which quantity (value, gradient, hvp, ...).
        what: String,
        /// Where it happened (0 for outside a run).
        iteration: usize,
    },
    /// A matrix that must be positive definite (or symmetric, or nonsingular) is not.
    #[error("{0}")]
    NotPositiveDefinite(String),
    /// A numerical method failed (breakdown, no descent direction, line search failure).
    #[error("{0}")]
    Numerical(String),
    /// A file could not be parsed: names the file and the line.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when unknown).
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// An unknown problem, method or key.
    #[error("{0}")]
    Unknown(String),
    /// The capability a method needs is not offered by the objective.
    #[error("{0}")]
    Unsupported(String),
    /// I/O failure, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `Result<T, curvlab::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    ///
    /// ```
    /// let e = curvlab::Error::invalid("lr", -1.0, "must be > 0");
    /// assert!(e.to_string().contains("`lr` = -1"));
    /// ```
    pub fn invalid(name: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// True for errors caused by the caller's input (CLI exit status 2) rather than by a failure
    /// while running (exit status 1).
    ///
    /// ```
    /// assert!(curvlab::Error::Unknown("no such problem".into()).is_bad_input());
    /// assert!(!curvlab::Error::Numerical("breakdown".into()).is_bad_input());
    /// ```
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Dimension { .. }
                | Error::InvalidParameter { .. }
                | Error::Parse { .. }
                | Error::Unknown(_)
                | Error::Unsupported(_)
                | Error::Io { .. }
        )
    }
}

/// Checks that `got == expected`, naming the argument otherwise.
///
/// ```
/// assert!(curvlab::error::check_len("v", 3, 3).is_ok());
/// assert!(curvlab::error::check_len("v", 3, 2).is_err());
/// ```
pub fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::Dimension {
            what: what.to_string(),
            expected,
            got,
        })
    }
}

/// Checks that every entry is finite.
///
/// ```
/// assert!(curvlab::error::check_finite("g", &[1.0, 2.0], 0).is_ok());
/// assert!(curvlab::error::check_finite("g", &[f64::NAN], 0).is_err());
/// ```
pub fn check_finite(what: &str, v: &[f64], iteration: usize) -> Result<()> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(Error::NonFinite {
            what: what.to_string(),
            iteration,
        })
    }
}
