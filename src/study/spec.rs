//! Study files: the TOML contract of docs/DESIGN.md ("Study files"), parsed with serde into a
//! [`StudySpec`] that remembers the line of every key, so that every error — a malformed file,
//! an unknown key, a wrong type, an unknown method, an invalid parameter found later when the
//! instances are built — names the file and the line.
//!
//! The layout follows the experiment-description style of benchmarking suites such as
//! CUTEst/Optimization-Benchmark studies (Dolan & Moré 2002, "Benchmarking optimization software
//! with performance profiles"): a set of problems × a set of solvers × seeds, run under one
//! stopping rule.
//!
//! Top-level keys: `name`, `description` (optional), `seeds` (default `[0]`), `[stop]`
//! (`grad_tol`, `grad_rtol`, `max_iters`, `max_seconds`, `f_rel_tol`, `max_evals`, `f_target`),
//! `[endpoint]` (measures at each run's end point, [`super::endpoint`]), `[track]` (sharpness
//! along every run, [`super::track`]), `[[problems]]`, `[[methods]]`. Any other top-level or
//! `[stop]` key is an error. Inside a problem or method
//! table, `kind` names the registry entry and every other key is a parameter (checked against
//! the registry when the instances are built); an array value is a sweep axis, which must not
//! repeat a value (`lr = [0.1, 0.1]` is an error naming the key and its line).

use crate::error::{Error, Result};
use crate::minimize::Stop;
use crate::params::Value;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One parameter of a problem or method table: its values (one, or several for a sweep axis)
/// and the line of its key.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The values; more than one makes the key a sweep axis.
    pub values: Vec<Value>,
    /// True when the file gave an array (a sweep axis, even of length one).
    pub is_axis: bool,
    /// 1-based line of the key.
    pub line: usize,
}

/// One `[[problems]]` or `[[methods]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentSpec {
    /// The registry name (`kind`).
    pub kind: String,
    /// 1-based line of the `kind` key (the table's line for errors that name no key).
    pub line: usize,
    /// Parameters by key.
    pub params: BTreeMap<String, ParamSpec>,
}

impl ComponentSpec {
    /// The line to blame for an error message: the line of the first parameter key that the
    /// message quotes (`` `key` ``), else the line of `kind`.
    ///
    /// ```
    /// use curvlab::study::spec::StudySpec;
    /// let src = "name = \"s\"\n[[problems]]\nkind = \"ravine\"\nsteep = 50\n[[methods]]\nkind = \"gd\"\n";
    /// let s = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
    /// assert_eq!(s.problems[0].blame_line("invalid parameter `steep` = 50"), 4);
    /// assert_eq!(s.problems[0].blame_line("something else"), 3);
    /// ```
    pub fn blame_line(&self, message: &str) -> usize {
        for (k, p) in &self.params {
            if message.contains(&format!("`{k}`")) {
                return p.line;
            }
        }
        self.line
    }
}

/// A parsed study file.
#[derive(Debug, Clone, PartialEq)]
pub struct StudySpec {
    /// The file it came from (for error messages).
    pub path: PathBuf,
    /// The file's text (copied into the output folder, so merges can rebuild the study).
    pub source: String,
    /// `name`: the default output folder is `results/<name>/`.
    pub name: String,
    /// `description`, if any.
    pub description: Option<String>,
    /// `seeds`: every run is repeated per seed (default `[0]`).
    pub seeds: Vec<u64>,
    /// `[stop]`, with [`Stop::default`] for the keys not given.
    pub stop: Stop,
    /// `[stop] grad_rtol`: when given, each run stops at `‖∇f(x)‖ ≤ grad_rtol · ‖∇f(x₀)‖` (the
    /// relative test of Nocedal & Wright 2006, §2.2 and the iteration counts of the convergence
    /// theory), i.e. `grad_tol` is set per run from its start; exclusive with `grad_tol`.
    pub grad_rtol: Option<f64>,
    /// 1-based line of `[stop]` (1 when absent).
    pub stop_line: usize,
    /// `[[problems]]`.
    pub problems: Vec<ComponentSpec>,
    /// `[[methods]]`.
    pub methods: Vec<ComponentSpec>,
    /// `[endpoint]`: measures at each run's final point ([`super::endpoint`]), if asked for.
    pub endpoint: Option<super::endpoint::EndpointSpec>,
    /// `[track]`: sharpness tracking along every run ([`super::track`]), if given.
    pub track: Option<super::track::TrackSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    seeds: Option<Spanned<Vec<u64>>>,
    #[serde(default)]
    stop: Option<Spanned<RawStop>>,
    #[serde(default)]
    endpoint: Option<Spanned<super::endpoint::RawEndpoint>>,
    problems: Vec<Spanned<RawTable>>,
    methods: Vec<Spanned<RawTable>>,
    #[serde(default)]
    track: Option<Spanned<super::track::RawTrack>>,
}

type RawTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStop {
    grad_tol: Option<f64>,
    grad_rtol: Option<f64>,
    max_iters: Option<usize>,
    max_seconds: Option<f64>,
    f_rel_tol: Option<f64>,
    max_evals: Option<f64>,
    f_target: Option<f64>,
}

/// The 1-based line of byte `offset` in `text`.
///
/// ```
/// assert_eq!(curvlab::study::spec::line_of("a\nb\nc", 2), 2);
/// assert_eq!(curvlab::study::spec::line_of("a\nb\nc", 0), 1);
/// ```
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl StudySpec {
    /// Reads and parses a study file.
    ///
    /// ```
    /// let e = curvlab::study::StudySpec::read(std::path::Path::new("/no/such.toml")).unwrap_err();
    /// assert!(e.is_bad_input());
    /// ```
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of a study file (`path` is used in error messages only).
    ///
    /// ```
    /// use curvlab::study::StudySpec;
    /// let src = r#"
    /// name = "demo"
    /// seeds = [0, 1]
    /// [stop]
    /// max_iters = 100
    /// [[problems]]
    /// kind = "quadratic"
    /// condition = [10, 100]
    /// [[methods]]
    /// kind = "gd"
    /// lr = "optimal"
    /// "#;
    /// let s = StudySpec::parse(std::path::Path::new("demo.toml"), src).unwrap();
    /// assert_eq!((s.name.as_str(), s.seeds.len(), s.stop.max_iters), ("demo", 2, 100));
    /// assert_eq!(s.problems[0].params["condition"].values.len(), 2);
    /// let bad = src.replace("seeds", "sedes");
    /// let e = StudySpec::parse(std::path::Path::new("demo.toml"), &bad).unwrap_err();
    /// assert!(e.to_string().starts_with("demo.toml:3:"), "{e}");
    /// ```
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let src = Source { path, text };
        let raw: RawStudy = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            src.err(line, e.message().trim().to_string())
        })?;
        let name = src.name(raw.name)?;
        let seeds = src.seeds(raw.seeds)?;
        let (stop, grad_rtol, stop_line) = src.stop(raw.stop)?;
        let endpoint = raw
            .endpoint
            .map(|e| {
                let line = src.line(&e);
                super::endpoint::EndpointSpec::from_raw(e.into_inner(), line)
                    .map_err(|m| src.err(line, format!("[endpoint]: {m}")))
            })
            .transpose()?;
        let problems = raw
            .problems
            .into_iter()
            .map(|t| src.component("problem", t))
            .collect::<Result<Vec<_>>>()?;
        let methods = raw
            .methods
            .into_iter()
            .map(|t| src.component("method", t))
            .collect::<Result<Vec<_>>>()?;
        let track = raw
            .track
            .map(|t| super::track::validate(path, text, src.line(&t), t.into_inner()))
            .transpose()?;
        if problems.is_empty() {
            return Err(src.err(0, "the study has no [[problems]]".into()));
        }
        if methods.is_empty() {
            return Err(src.err(0, "the study has no [[methods]]".into()));
        }
        Ok(StudySpec {
            path: path.to_path_buf(),
            source: text.to_string(),
            name,
            description: raw.description,
            seeds,
            stop,
            grad_rtol,
            stop_line,
            problems,
            methods,
            endpoint,
            track,
        })
    }

    /// An [`Error::Parse`] at `line` of this file.
    pub fn error_at(&self, line: usize, message: impl Into<String>) -> Error {
        Error::Parse {
            path: self.path.clone(),
            line,
            message: message.into(),
        }
    }
}

/// The file being parsed: its path and text, for errors that name the line.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn err(&self, line: usize, message: String) -> Error {
        Error::Parse {
            path: self.path.to_path_buf(),
            line,
            message,
        }
    }

    fn line<T>(&self, s: &Spanned<T>) -> usize {
        line_of(self.text, s.span().start)
    }

    /// `name`: letters, digits, `-`, `_`, `.`, not starting with `.` and without `..` (it names
    /// the folder `results/<name>/`, which must stay inside `results/`: no path separator, no
    /// parent, no absolute path).
    fn name(&self, raw: Spanned<String>) -> Result<String> {
        let line = self.line(&raw);
        let name = raw.into_inner();
        let leaves = name.contains(['/', '\\']) || name.contains("..");
        if leaves {
            return Err(self.err(
                line,
                format!(
                    "`name` = {name:?} would leave the output folder results/ (it names \
                     results/<name>/): no '/', '\\' or '..'; use letters, digits, '-', '_' or '.'"
                ),
            ));
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            || name.starts_with('.')
        {
            return Err(self.err(
                line,
                format!(
                    "`name` = {name:?}: use letters, digits, '-', '_' or '.', not starting with '.' (it \
                     names the output folder)"
                ),
            ));
        }
        Ok(name)
    }

    /// `seeds`: nonempty, no repeats; `[0]` when absent.
    fn seeds(&self, raw: Option<Spanned<Vec<u64>>>) -> Result<Vec<u64>> {
        let Some(s) = raw else {
            return Ok(vec![0]);
        };
        let line = self.line(&s);
        let v = s.into_inner();
        if v.is_empty() {
            return Err(self.err(line, "`seeds` must not be empty".into()));
        }
        let mut sorted = v.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != v.len() {
            return Err(self.err(line, "`seeds` has a repeated seed".into()));
        }
        Ok(v)
    }

    /// `[stop]`: the [`Stop`] (validated), `grad_rtol` and the table's line.
    fn stop(&self, raw: Option<Spanned<RawStop>>) -> Result<(Stop, Option<f64>, usize)> {
        let Some(s) = raw else {
            return Ok((Stop::default(), None, 1));
        };
        let line = self.line(&s);
        let r = s.into_inner();
        let d = Stop::default();
        let stop = Stop {
            grad_tol: r.grad_tol.unwrap_or(d.grad_tol),
            f_rel_tol: r.f_rel_tol.unwrap_or(d.f_rel_tol),
            max_iters: r.max_iters.unwrap_or(d.max_iters),
            max_evals: r.max_evals.or(d.max_evals),
            max_seconds: r.max_seconds.or(d.max_seconds),
            f_target: r.f_target,
            ..d
        };
        stop.validate()
            .map_err(|e| self.err(line, format!("[stop]: {e}")))?;
        if let Some(rel) = r.grad_rtol {
            if r.grad_tol.is_some() {
                return Err(self.err(
                    line,
                    "[stop]: give `grad_tol` (absolute) or `grad_rtol` (relative to ‖∇f(x₀)‖), not both".into(),
                ));
            }
            if !(rel > 0.0 && rel < 1.0) {
                return Err(self.err(
                    line,
                    format!("[stop]: `grad_rtol` = {rel} must be in (0, 1)"),
                ));
            }
        }
        Ok((stop, r.grad_rtol, line))
    }

    /// One `[[problems]]` or `[[methods]]` table: `kind` and the parameters.
    fn component(&self, what: &str, t: Spanned<RawTable>) -> Result<ComponentSpec> {
        let table_line = self.line(&t);
        let mut kind = None;
        let mut params = BTreeMap::new();
        for (k, v) in t.into_inner() {
            let key_line = self.line(&k);
            let key = k.into_inner();
            let value = v.into_inner();
            if key == "kind" {
                match value {
                    toml::Value::String(s) => kind = Some((s, key_line)),
                    other => {
                        return Err(self.err(
                            key_line,
                            format!(
                                "`kind` of a {what} must be a string, found {}",
                                other.type_str()
                            ),
                        ));
                    }
                }
                continue;
            }
            let (values, is_axis) = self.values(&key, key_line, value)?;
            params.insert(
                key,
                ParamSpec {
                    values,
                    is_axis,
                    line: key_line,
                },
            );
        }
        let (kind, line) =
            kind.ok_or_else(|| self.err(table_line, format!("a {what} table needs a `kind`")))?;
        Ok(ComponentSpec { kind, line, params })
    }

    /// A parameter's values: one scalar, or a nonempty array (a sweep axis).
    fn values(&self, key: &str, line: usize, value: toml::Value) -> Result<(Vec<Value>, bool)> {
        match value {
            toml::Value::Array(items) => {
                if items.is_empty() {
                    return Err(self.err(line, format!("`{key}`: a sweep axis must not be empty")));
                }
                let vs = items
                    .into_iter()
                    .map(|item| scalar(key, item).map_err(|m| self.err(line, m)))
                    .collect::<Result<Vec<_>>>()?;
                // A repeated value would give two runs with one id: refused, not de-duplicated.
                if let Some(j) = (1..vs.len()).find(|&j| vs[..j].contains(&vs[j])) {
                    return Err(self.err(
                        line,
                        format!(
                            "`{key}`: the sweep axis repeats the value {} (it would run the same \
                             runs twice); remove the repeat",
                            vs[j]
                        ),
                    ));
                }
                Ok((vs, true))
            }
            other => Ok((
                vec![scalar(key, other).map_err(|m| self.err(line, m))?],
                false,
            )),
        }
    }
}

fn scalar(key: &str, v: toml::Value) -> std::result::Result<Value, String> {
    match v {
        toml::Value::Integer(i) => Ok(Value::Num(i as f64)),
        toml::Value::Float(x) => Ok(Value::Num(x)),
        toml::Value::Boolean(b) => Ok(Value::Bool(b)),
        toml::Value::String(s) => Ok(Value::Str(s)),
        other => Err(format!(
            "`{key}`: expected a number, string or boolean (or an array of them), found {}",
            other.type_str()
        )),
    }
}
