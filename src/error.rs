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
    /// The objective (or an operator) returned NaN or Inf. `what` names the quantity and, for a
    /// vector, the first bad entry and its value (`gradient[3] = NaN`, see [`check_finite`]);
    /// `iteration` is the iteration of the run in which it happened ([`crate::minimize`](fn@crate::minimize)
    /// fills it in), or the count of operator applications inside an iterative diagnostic, 0 when
    /// outside both.
    #[error("non-finite {what} at iteration {iteration}")]
    NonFinite {
        /// Which quantity (value, gradient, hvp, ...) and where in it.
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
    /// The capability a method needs is not offered by the objective (for example HVPs of an
    /// objective that only implements values and gradients).
    #[error("{0}")]
    Unsupported(String),
    /// An interface used out of order (a `step` before `init`, extending a full Lanczos basis): a
    /// programming error of the caller, not a numerical failure.
    #[error("usage: {0}")]
    Usage(String),
    /// I/O failure, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An output could not be written (disk full, read-only folder, a path through a file): a
    /// failure while running (exit status 1), not bad input.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// An error from argmin (an `anyhow::Error`, e.g. returned by an argmin problem's `cost`): a
/// curvlab error carried through argmin comes back as itself; argmin's own
/// `InvalidParameter` is [`Error::InvalidParameter`], `NotImplemented` is
/// [`Error::Unsupported`]; anything else (a user's error) is [`Error::Numerical`] with its
/// message chain. `?` works on argmin results in functions returning `curvlab::Result`.
///
/// ```
/// use curvlab::Error;
/// let e: Error = argmin::core::Error::msg("model blew up").into();
/// assert_eq!(e.to_string(), "argmin: model blew up");
/// let round: Error = argmin::core::Error::from(Error::Usage("x".into())).into();
/// assert!(matches!(round, Error::Usage(_)));
/// let ni: Error = argmin::core::Error::from(argmin::core::ArgminError::NotImplemented {
///     text: "hessian".into(),
/// }).into();
/// assert!(matches!(ni, Error::Unsupported(_)));
/// ```
impl From<argmin::core::Error> for Error {
    fn from(e: argmin::core::Error) -> Self {
        let e = match e.downcast::<Error>() {
            Ok(own) => return own,
            Err(e) => e,
        };
        match e.downcast::<argmin::core::ArgminError>() {
            Ok(argmin::core::ArgminError::InvalidParameter { text }) => Error::InvalidParameter {
                name: "argmin".into(),
                value: String::new(),
                reason: text,
            },
            Ok(argmin::core::ArgminError::NotImplemented { text }) => {
                Error::Unsupported(format!("argmin: not implemented: {text}"))
            }
            Ok(other) => Error::Numerical(format!("argmin: {other}")),
            Err(e) => Error::Numerical(format!("argmin: {e:#}")),
        }
    }
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
                | Error::Usage(_)
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

/// Checks that every entry is finite; the error names the first bad entry and its value.
///
/// ```
/// assert!(curvlab::error::check_finite("g", &[1.0, 2.0], 0).is_ok());
/// let e = curvlab::error::check_finite("g", &[1.0, f64::NAN], 4).unwrap_err();
/// assert_eq!(e.to_string(), "non-finite g[1] = NaN at iteration 4");
/// ```
pub fn check_finite(what: &str, v: &[f64], iteration: usize) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            what: format!("{what}[{i}] = {}", v[i]),
            iteration,
        }),
    }
}

/// Checks that a scalar is finite; the error names it and its value.
///
/// ```
/// assert_eq!(curvlab::error::check_finite_scalar("value", 2.0, 0).unwrap(), 2.0);
/// let e = curvlab::error::check_finite_scalar("value", f64::INFINITY, 0).unwrap_err();
/// assert_eq!(e.to_string(), "non-finite value = inf at iteration 0");
/// ```
pub fn check_finite_scalar(what: &str, v: f64, iteration: usize) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::NonFinite {
            what: format!("{what} = {v}"),
            iteration,
        })
    }
}
