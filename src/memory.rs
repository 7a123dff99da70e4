//! Memory sizing before allocation: every problem, method and diagnostic states what it will
//! allocate from its parameters (a [`Request`]), and the builders check it against a process-wide
//! limit ([`limit`]) before allocating anything, so a request larger than the machine is a
//! one-line error that names the request, its size, the limit and what to do instead — never an
//! allocation failure that aborts the process.
//!
//! The limit is the machine's available memory (`MemAvailable` of `/proc/meminfo`, the kernel's
//! estimate of what can be allocated without swapping; Linux `proc(5)`), or
//! [`FALLBACK_LIMIT`] where that cannot be read, unless set by [`set_limit`] (the CLI's global
//! `--max-memory SIZE`). Sizes are computed with checked arithmetic: a size that does not fit in
//! 64 bits is itself an error. Where a size comes from input, buffers are allocated with
//! [`try_zeros`] / [`try_mat`] (`Vec::try_reserve` and faer's `Mat::try_reserve`), so that even a
//! request under the limit that the operating system refuses becomes an `Err`.
//!
//! Sizes are printed in SI units for requests (`80.0 GB`) and binary units for the limit
//! (`23.1 GiB`), as `free -h` and `/proc/meminfo` users expect.

use crate::error::{Error, Result};
use crate::params::{Params, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The limit used when `/proc/meminfo` cannot be read (not Linux, a sandbox): 8 GiB.
pub const FALLBACK_LIMIT: u64 = 8 << 30;

/// The number of working vectors of length `n` a problem is sized with on top of its own
/// storage: the iterate, the gradient, a trial point and its gradient, a direction, and the
/// state of the method or diagnostic that uses it (Adam's two moments, CG's residual, …).
pub const WORKING_VECTORS: u64 = 8;

/// 0: not set (use the available memory).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Where the limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// Set by [`set_limit`] (`--max-memory`).
    Set,
    /// `MemAvailable` of `/proc/meminfo`.
    Available,
    /// [`FALLBACK_LIMIT`]: the available memory could not be read.
    Fallback,
}

/// The memory limit in bytes and where it came from.
///
/// ```
/// curvlab::memory::set_limit(Some(1 << 30));
/// let l = curvlab::memory::limit();
/// assert_eq!(l.bytes, 1 << 30);
/// assert_eq!(l.to_string(), "1.00 GiB (--max-memory)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// Where it came from.
    pub source: LimitSource,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let src = match self.source {
            LimitSource::Set => "--max-memory",
            LimitSource::Available => "available memory; change with --max-memory",
            LimitSource::Fallback => "available memory unknown; change with --max-memory",
        };
        write!(f, "{} ({src})", format_binary(self.bytes))
    }
}

/// Sets the process-wide limit (`None`: back to the available memory). A limit of 0 bytes is
/// taken as 1 byte (everything is refused).
///
/// ```
/// use curvlab::memory::{set_limit, limit, LimitSource};
/// set_limit(Some(500_000_000));
/// assert_eq!(limit().source, LimitSource::Set);
/// ```
pub fn set_limit(bytes: Option<u64>) {
    LIMIT.store(bytes.map_or(0, |b| b.max(1)), Ordering::SeqCst);
}

/// The current limit: the one set by [`set_limit`], else the available memory, else
/// [`FALLBACK_LIMIT`].
///
/// ```
/// assert!(curvlab::memory::limit().bytes > 0);
/// ```
pub fn limit() -> Limit {
    match LIMIT.load(Ordering::SeqCst) {
        0 => match available_memory() {
            Some(bytes) => Limit {
                bytes,
                source: LimitSource::Available,
            },
            None => Limit {
                bytes: FALLBACK_LIMIT,
                source: LimitSource::Fallback,
            },
        },
        bytes => Limit {
            bytes,
            source: LimitSource::Set,
        },
    }
}

/// `MemAvailable` of `/proc/meminfo` in bytes, or `None` where it cannot be read.
///
/// ```
/// if let Some(b) = curvlab::memory::available_memory() { assert!(b > 0); }
/// ```
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemAvailable` (in kB in the file) of a `/proc/meminfo` text, in bytes.
///
/// ```
/// let t = "MemTotal:       32000000 kB\nMemAvailable:   24000000 kB\n";
/// assert_eq!(curvlab::memory::parse_meminfo(t), Some(24_000_000 * 1024));
/// assert_eq!(curvlab::memory::parse_meminfo("MemTotal: 1 kB\n"), None);
/// ```
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024).filter(|&b| b > 0)
}

/// Parses a size: bytes (`1000000`), or a number with a unit `B`, `kB`/`KB`, `MB`, `GB`, `TB`
/// (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024); `K`, `M`, `G`, `T` alone are
/// binary, as in `free`/`ulimit`. Case-insensitive apart from the `i`.
///
/// ```
/// use curvlab::memory::parse_size;
/// assert_eq!(parse_size("8GiB").unwrap(), 8 << 30);
/// assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
/// assert_eq!(parse_size("1.5 kB").unwrap(), 1500);
/// assert_eq!(parse_size("123").unwrap(), 123);
/// assert!(parse_size("8 parsecs").is_err());
/// assert!(parse_size("-1GB").is_err());
/// assert!(parse_size("1e30").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '+'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = |why: &str| Error::invalid("max-memory", s, why);
    let x: f64 = num
        .parse()
        .map_err(|_| bad("expected a size such as 8GiB, 500MB or a number of bytes"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        _ => {
            return Err(bad(
                "unknown unit (use B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)",
            ));
        }
    };
    let bytes = x * mult;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(bad("must be at least 1 byte and below 16 EiB"));
    }
    Ok(bytes as u64)
}

/// A size in SI units with three significant digits: `80.0 GB`, `512 B`.
///
/// ```
/// assert_eq!(curvlab::memory::format_si(80_000_000_000), "80.0 GB");
/// assert_eq!(curvlab::memory::format_si(7_200_000_000), "7.20 GB");
/// assert_eq!(curvlab::memory::format_si(512), "512 B");
/// ```
pub fn format_si(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB", "EB"])
}

/// A size in binary units with three significant digits: `23.1 GiB`.
///
/// ```
/// assert_eq!(curvlab::memory::format_binary(8 << 30), "8.00 GiB");
/// ```
pub fn format_binary(bytes: u64) -> String {
    scaled(
        bytes,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"],
    )
}

fn scaled(bytes: u64, base: f64, units: &[&str]) -> String {
    let mut x = bytes as f64;
    let mut u = 0;
    while x >= base && u + 1 < units.len() {
        x /= base;
        u += 1;
    }
    if u == 0 {
        return format!("{bytes} B");
    }
    let prec = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    format!("{x:.prec$} {}", units[u])
}

/// `count` values of `f64` in bytes, `None` when it overflows.
///
/// ```
/// assert_eq!(curvlab::memory::f64s(&[1000, 1000]), Some(8_000_000));
/// assert_eq!(curvlab::memory::f64s(&[u64::MAX, 2]), None);
/// ```
pub fn f64s(factors: &[u64]) -> Option<u64> {
    factors.iter().try_fold(8u64, |acc, &f| acc.checked_mul(f))
}

/// Checked sum of sizes (`None` if any part is `None` or the sum overflows).
///
/// ```
/// assert_eq!(curvlab::memory::sum(&[Some(1), Some(2)]), Some(3));
/// assert_eq!(curvlab::memory::sum(&[Some(1), None]), None);
/// ```
pub fn sum(parts: &[Option<u64>]) -> Option<u64> {
    parts
        .iter()
        .try_fold(0u64, |acc, p| p.and_then(|p| acc.checked_add(p)))
}

/// What something will allocate: a description naming the request (`quadratic dim = 100000
/// with a dense rotation`), its size in bytes (`None`: larger than 64 bits can count), what to
/// do instead, and the parameter most responsible (a study blames that key's line).
///
/// ```
/// use curvlab::memory::{Request, set_limit};
/// set_limit(Some(1 << 30));
/// let r = Request::new("a dense 100000 x 100000 matrix", Some(80_000_000_000), "use a smaller n");
/// let e = r.check().unwrap_err().to_string();
/// assert_eq!(e, "a dense 100000 x 100000 matrix needs 80.0 GB; the limit is 1.00 GiB \
///     (--max-memory): use a smaller n");
/// assert!(Request::new("x", Some(1000), "").check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What is requested, naming the parameters.
    pub what: String,
    /// Bytes; `None` when the size overflows 64 bits.
    pub bytes: Option<u64>,
    /// What to do instead.
    pub instead: String,
    /// The parameter key most responsible, if any.
    pub key: Option<String>,
}

impl Request {
    /// A request without a responsible key.
    pub fn new(what: impl Into<String>, bytes: Option<u64>, instead: impl Into<String>) -> Self {
        Request {
            what: what.into(),
            bytes,
            instead: instead.into(),
            key: None,
        }
    }

    /// Names the parameter key most responsible.
    ///
    /// ```
    /// let r = curvlab::memory::Request::new("x", Some(1), "").with_key("dim");
    /// assert_eq!(r.key.as_deref(), Some("dim"));
    /// ```
    pub fn with_key(mut self, key: &str) -> Self {
        self.key = Some(key.to_string());
        self
    }

    /// Adds `other`'s bytes (and its description, after `plus`): the request of running both;
    /// what to do instead (and the key to blame) is the larger part's.
    ///
    /// ```
    /// use curvlab::memory::Request;
    /// let r = Request::new("a", Some(1), "x").plus(Request::new("b", Some(2), "y"));
    /// assert_eq!((r.bytes, r.what.as_str(), r.instead.as_str()), (Some(3), "a plus b", "y"));
    /// let r = Request::new("a", None, "x").plus(Request::new("b", Some(2), "y"));
    /// assert_eq!((r.bytes, r.instead.as_str()), (None, "x"));
    /// ```
    pub fn plus(self, other: Request) -> Request {
        let other_larger = other.bytes.unwrap_or(u64::MAX) > self.bytes.unwrap_or(u64::MAX)
            || (self.bytes.is_some() && other.bytes.is_none());
        let (big, small) = if other_larger {
            (other.clone(), self.clone())
        } else {
            (self.clone(), other.clone())
        };
        Request {
            what: format!("{} plus {}", self.what, other.what),
            bytes: sum(&[self.bytes, other.bytes]),
            instead: big.instead,
            key: big.key.or(small.key),
        }
    }

    /// The one-line error if the request exceeds [`limit`], `Ok` otherwise.
    pub fn check(&self) -> Result<()> {
        self.check_against(limit())
    }

    /// The one-line error if the request exceeds `limit`.
    ///
    /// ```
    /// use curvlab::memory::{Limit, LimitSource, Request};
    /// let l = Limit { bytes: 23 << 30, source: LimitSource::Available };
    /// let e = Request::new("q", None, "use less").check_against(l).unwrap_err().to_string();
    /// assert!(e.starts_with("q needs more than 18.4 EB (its size overflows 64 bits); the limit \
    ///     is 23.0 GiB (available memory; change with --max-memory)"), "{e}");
    /// ```
    pub fn check_against(&self, limit: Limit) -> Result<()> {
        let size = match self.bytes {
            Some(b) if b <= limit.bytes => return Ok(()),
            Some(b) => format_si(b),
            None => format!(
                "more than {} (its size overflows 64 bits)",
                format_si(u64::MAX)
            ),
        };
        Err(Error::Unsupported(format!(
            "{} needs {size}; the limit is {limit}: {}",
            self.what, self.instead
        )))
    }
}

/// A zero vector of `len` values, allocated fallibly: an `Err` naming `what` when the system
/// refuses (never an abort). Check a [`Request`] first; this is the last line of defence.
///
/// ```
/// assert_eq!(curvlab::memory::try_zeros(3, "x").unwrap(), vec![0.0; 3]);
/// assert!(curvlab::memory::try_zeros(usize::MAX / 4, "x").is_err());
/// ```
pub fn try_zeros(len: usize, what: &str) -> Result<Vec<f64>> {
    let mut v: Vec<f64> = Vec::new();
    try_reserve(&mut v, len, what)?;
    v.resize(len, 0.0);
    Ok(v)
}

/// Reserves room for `additional` more elements, an `Err` naming `what` when refused.
///
/// ```
/// let mut v: Vec<u8> = Vec::new();
/// assert!(curvlab::memory::try_reserve(&mut v, 10, "buf").is_ok());
/// assert!(curvlab::memory::try_reserve(&mut v, usize::MAX, "buf").is_err());
/// ```
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> Result<()> {
    v.try_reserve(additional).map_err(|e| {
        let bytes = (additional as u64).checked_mul(std::mem::size_of::<T>() as u64);
        refused(what, bytes, &e.to_string())
    })
}

/// A `nrows × ncols` matrix with entries `f(i, j)`, allocated fallibly (faer's
/// `Mat::try_reserve`).
///
/// ```
/// let m = curvlab::memory::try_mat(2, 3, "A", |i, j| (i + j) as f64).unwrap();
/// assert_eq!(m[(1, 2)], 3.0);
/// assert!(curvlab::memory::try_mat(usize::MAX / 2, 4, "A", |_, _| 0.0).is_err());
/// ```
pub fn try_mat(
    nrows: usize,
    ncols: usize,
    what: &str,
    f: impl FnMut(usize, usize) -> f64,
) -> Result<faer::Mat<f64>> {
    let bytes = f64s(&[nrows as u64, ncols as u64]);
    if nrows.checked_mul(ncols).and(bytes).is_none() {
        return Err(refused(what, None, "size overflows"));
    }
    let mut m = faer::Mat::<f64>::new();
    m.try_reserve(nrows, ncols)
        .map_err(|e| refused(what, bytes, &format!("{e:?}")))?;
    m.resize_with(nrows, ncols, f);
    Ok(m)
}

fn refused(what: &str, bytes: Option<u64>, why: &str) -> Error {
    let size = bytes.map_or_else(|| "more than 64 bits can count".into(), format_si);
    Error::Unsupported(format!(
        "{what}: the system refused to allocate {size} ({why}); the limit is {}: use a smaller size",
        limit()
    ))
}

/// A number parameter without marking it as read (sizing must not hide unknown keys): `Ok(None)`
/// when absent, `Ok(Some(x))` for a number, an `Err` for a value of the wrong type — the same
/// as the builder will report.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["dim=1e9"]).unwrap();
/// assert_eq!(curvlab::memory::peek_count(&p, "dim").unwrap(), Some(1e9));
/// assert!(p.finish("x").is_err()); // still unread
/// let mut q = Params::new();
/// q.insert("hidden", curvlab::params::Value::Str("8".into()));
/// assert_eq!(curvlab::memory::peek_count(&q, "hidden").unwrap(), Some(8.0));
/// ```
pub fn peek_count(p: &Params, key: &str) -> Result<Option<f64>> {
    match p.iter().find(|(k, _)| k.as_str() == key) {
        None => Ok(None),
        Some((_, Value::Num(x))) if *x >= 0.0 && x.is_finite() => Ok(Some(x.floor())),
        // a number written as a string ("8" from a Params map built by hand), as the builders accept
        Some((_, Value::Str(s))) => match s.trim().parse::<f64>() {
            Ok(x) if x >= 0.0 && x.is_finite() => Ok(Some(x.floor())),
            _ => Err(Error::invalid(key, s, "expected a nonnegative integer")),
        },
        Some((_, v)) => Err(Error::invalid(key, v, "expected a nonnegative integer")),
    }
}

/// A count parameter as `u64` (saturating: sizes are then checked), or `default`.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["history=1e14"]).unwrap();
/// assert_eq!(curvlab::memory::peek_u64(&p, "history", 10).unwrap(), 100_000_000_000_000);
/// assert_eq!(curvlab::memory::peek_u64(&p, "dim", 10).unwrap(), 10);
/// ```
pub fn peek_u64(p: &Params, key: &str, default: u64) -> Result<u64> {
    Ok(peek_count(p, key)?.map_or(default, |x| x.min(u64::MAX as f64) as u64))
}

/// A string parameter without marking it as read.
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["rotation=diagonal"]).unwrap();
/// assert_eq!(curvlab::memory::peek_str(&p, "rotation").as_deref(), Some("diagonal"));
/// ```
pub fn peek_str(p: &Params, key: &str) -> Option<String> {
    p.iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v.to_string())
}

/// The working vectors every use of a problem with `n` variables needs
/// ([`WORKING_VECTORS`] of length `n`).
///
/// ```
/// assert_eq!(curvlab::memory::working_set(1000), Some(64_000));
/// ```
pub fn working_set(n: u64) -> Option<u64> {
    f64s(&[WORKING_VECTORS, n])
}

/// Checks a dense spectrum of an `n × n` Hessian (the matrix and its eigenvectors, `2n²`).
///
/// ```
/// curvlab::memory::set_limit(Some(1 << 30));
/// assert!(curvlab::memory::check_dense_spectrum(1000).is_ok());
/// let e = curvlab::memory::check_dense_spectrum(100_000).unwrap_err().to_string();
/// assert!(e.starts_with("a dense spectrum at n = 100000 needs 160 GB"), "{e}");
/// ```
pub fn check_dense_spectrum(n: usize) -> Result<()> {
    Request::new(
        format!("a dense spectrum at n = {n}"),
        f64s(&[2, n as u64, n as u64]),
        "use --algo lanczos (or auto)",
    )
    .check()
}

/// [`parse_size`] for clap's `value_parser` (`--max-memory`).
///
/// ```
/// assert_eq!(curvlab::memory::parse_size_arg("1KiB"), Ok(1024));
/// assert!(curvlab::memory::parse_size_arg("lots").is_err());
/// ```
pub fn parse_size_arg(s: &str) -> std::result::Result<u64, String> {
    parse_size(s).map_err(|e| e.to_string())
}
