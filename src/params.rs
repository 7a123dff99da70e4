//! Named parameters of problems and methods, as given on the command line (`KEY=VALUE`) or in a
//! study file, with defaults, type checks and "unknown key" errors.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One parameter value.
///
/// ```
/// use curvlab::params::Value;
/// assert_eq!(Value::parse("1e-3"), Value::Num(1e-3));
/// assert_eq!(Value::parse("optimal"), Value::Str("optimal".into()));
/// assert_eq!(Value::parse("true"), Value::Bool(true));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A number (integers are stored as `f64`).
    Num(f64),
    /// A string.
    Str(String),
}

impl Value {
    /// Parses a command-line value: a number, `true`/`false`, or a string.
    pub fn parse(s: &str) -> Value {
        match s {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => s
                .parse::<f64>()
                .map(Value::Num)
                .unwrap_or_else(|_| Value::Str(s.to_string())),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s}"),
        }
    }
}

/// Documentation of one parameter, for `curvlab list`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ParamInfo {
    /// Key, as in study files and `--problem-opt` / `--method-opt`.
    pub name: &'static str,
    /// Default, formatted.
    pub default: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

/// A set of named values that records which keys were read, so that unknown keys can be
/// reported.
///
/// ```
/// use curvlab::params::Params;
/// let mut p = Params::from_pairs(&["lr=0.1", "beta1=0.9"]).unwrap();
/// assert_eq!(p.f64("lr", 1e-3).unwrap(), 0.1);
/// assert_eq!(p.f64("eps", 1e-8).unwrap(), 1e-8);
/// assert!(p.finish("adam").is_err()); // beta1 was never read
/// ```
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, Value>,
    used: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Params {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `KEY=VALUE` strings.
    pub fn from_pairs<S: AsRef<str>>(pairs: &[S]) -> Result<Self> {
        let mut p = Params::new();
        for s in pairs {
            let s = s.as_ref();
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| Error::invalid("option", s, "expected KEY=VALUE"))?;
            p.insert(k.trim(), Value::parse(v.trim()));
        }
        Ok(p)
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: &str, value: Value) {
        self.values.insert(key.to_string(), value);
    }

    /// The raw value of `key`, marking it as read.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let v = self.values.get(key);
        if v.is_some() {
            self.used.borrow_mut().insert(key.to_string());
        }
        v
    }

    /// All keys and values.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.values.iter()
    }

    /// A number, or `default` when absent.
    pub fn f64(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Num(x)) => Ok(*x),
            Some(v) => Err(Error::invalid(key, v, "expected a number")),
        }
    }

    /// A nonnegative integer, or `default` when absent.
    pub fn usize(&self, key: &str, default: usize) -> Result<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Num(x)) if *x >= 0.0 && x.fract() == 0.0 && *x < 1e15 => Ok(*x as usize),
            Some(v) => Err(Error::invalid(key, v, "expected a nonnegative integer")),
        }
    }

    /// A string, or `default` when absent.
    pub fn str(&self, key: &str, default: &str) -> Result<String> {
        match self.get(key) {
            None => Ok(default.to_string()),
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(v) => Err(Error::invalid(key, v, "expected a string")),
        }
    }

    /// A boolean, or `default` when absent.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(key, v, "expected true or false")),
        }
    }

    /// An error naming the first key that was never read (`owner` is the problem or method).
    pub fn finish(&self, owner: &str) -> Result<()> {
        let used = self.used.borrow();
        for k in self.values.keys() {
            if !used.contains(k) {
                return Err(Error::Unknown(format!(
                    "unknown parameter `{k}` for {owner} (see `curvlab list`)"
                )));
            }
        }
        Ok(())
    }
}
