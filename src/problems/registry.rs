//! Problems by name: what `curvlab list` prints, what `curvlab run --problem` and study files
//! build. Each problem module exports `INFO` (name, parameters, defaults) and
//! `build(&Params, seed)`.

use crate::error::{Error, Result};
use crate::memory::{Request, f64s, peek_str, peek_u64, sum, working_set};
use crate::objective::Objective;
use crate::params::{ParamInfo, Params};

/// A problem's name, summary and parameters.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ProblemInfo {
    /// Registry name (`kind` in study files, `--problem` on the command line).
    pub name: &'static str,
    /// One line: the formula or what it is.
    pub summary: &'static str,
    /// Its parameters with defaults.
    pub params: &'static [ParamInfo],
}

/// A built problem: the objective, where to start, and what is known about the answer.
pub struct ProblemInstance {
    /// Registry name.
    pub kind: String,
    /// A label with the parameters, e.g. `quadratic(dim=50, condition=100)`.
    pub label: String,
    /// The objective.
    pub objective: Box<dyn Objective>,
    /// The standard start.
    pub x0: Vec<f64>,
    /// The optimal value, where known.
    pub f_star: Option<f64>,
    /// A minimizer, where known.
    pub x_star: Option<Vec<f64>>,
    /// The Hessian's eigenvalues (ascending) when the Hessian is constant and its spectrum
    /// known in closed form (quadratics, the ravine): lets methods use "optimal" step sizes.
    pub eigenvalues: Option<Vec<f64>>,
}

impl std::fmt::Debug for ProblemInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProblemInstance")
            .field("label", &self.label)
            .field("n", &self.x0.len())
            .field("f_star", &self.f_star)
            .finish()
    }
}

type Builder = fn(&Params, u64) -> Result<ProblemInstance>;

fn entries() -> [(ProblemInfo, Builder); 9] {
    use super::*;
    [
        (quadratic_info(), build_quadratic),
        (ravine_info(), build_ravine),
        (rosenbrock_info(), build_rosenbrock),
        (mgh::INFO, mgh::build),
        (logistic::INFO, logistic::build),
        (least_squares::INFO, least_squares::build),
        (mlp::INFO, mlp::build),
        (matrix_market::INFO, matrix_market::build),
        (network::INFO, network::build),
    ]
}

/// Every problem's documentation, in `curvlab list` order.
///
/// ```
/// let names: Vec<_> = curvlab::problems::problem_infos().iter().map(|p| p.name).collect();
/// assert!(names.contains(&"quadratic") && names.contains(&"ravine"));
/// ```
pub fn problem_infos() -> Vec<ProblemInfo> {
    entries().iter().map(|(i, _)| *i).collect()
}

/// Builds the problem `kind` from `params` (unknown keys are an error) and `seed`.
///
/// ```
/// use curvlab::params::Params;
/// let p = curvlab::problems::build_problem("ravine", &Params::new(), 0).unwrap();
/// assert_eq!(p.x0, vec![1.0, 8.0]);
/// assert!(curvlab::problems::build_problem("nope", &Params::new(), 0).is_err());
/// let bad = Params::from_pairs(&["dimm=3"]).unwrap();
/// assert!(curvlab::problems::build_problem("rosenbrock", &bad, 0).is_err());
/// ```
pub fn build_problem(kind: &str, params: &Params, seed: u64) -> Result<ProblemInstance> {
    let (info, build) = entries()
        .into_iter()
        .find(|(i, _)| i.name == kind)
        .ok_or_else(|| {
            let names: Vec<_> = problem_infos().iter().map(|p| p.name).collect();
            Error::Unknown(format!(
                "unknown problem `{kind}` (known: {})",
                names.join(", ")
            ))
        })?;
    if let Some(size) = problem_request(kind, params)? {
        size.request.check()?;
    }
    let inst = build(params, seed)?;
    params.finish(&format!("problem `{}`", info.name))?;
    Ok(inst)
}

/// Formats `name(k=v, ...)` from the params that were given.
pub fn label(name: &str, params: &Params) -> String {
    let kv: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if kv.is_empty() {
        name.to_string()
    } else {
        format!("{name}({})", kv.join(", "))
    }
}

const QUADRATIC_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "dim",
        default: "50",
        doc: "number of variables n",
    },
    ParamInfo {
        name: "condition",
        default: "100",
        doc: "condition number κ = L/μ (μ = 1)",
    },
    ParamInfo {
        name: "spectrum",
        default: "log-uniform",
        doc: "log-uniform | uniform | two-cluster",
    },
    ParamInfo {
        name: "rotation",
        default: "random",
        doc: "random (seeded Haar rotation) | diagonal",
    },
];

fn quadratic_info() -> ProblemInfo {
    ProblemInfo {
        name: "quadratic",
        summary: "½xᵀAx − bᵀx with a prescribed spectrum in [1, κ]; x* known",
        params: QUADRATIC_PARAMS,
    }
}

fn build_quadratic(p: &Params, seed: u64) -> Result<ProblemInstance> {
    use super::quadratic::*;
    let n = p.usize("dim", 50)?;
    let kappa = p.f64("condition", 100.0)?;
    let kind = SpectrumKind::parse(&p.str("spectrum", "log-uniform")?)?;
    let rot = match p.str("rotation", "random")?.as_str() {
        "random" => Rotation::Random,
        "diagonal" => Rotation::Diagonal,
        other => {
            return Err(Error::invalid(
                "rotation",
                other,
                "expected random or diagonal",
            ));
        }
    };
    let q = Quadratic::new(n, kappa, kind, rot, seed)?;
    Ok(ProblemInstance {
        kind: "quadratic".into(),
        label: label("quadratic", p),
        x0: q.standard_start(),
        f_star: Some(q.optimal_value()),
        x_star: Some(q.minimizer().to_vec()),
        eigenvalues: Some(q.eigenvalues().to_vec()),
        objective: Box::new(q),
    })
}

const RAVINE_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "steep",
        default: "100",
        doc: "curvature across the ravine (w1)",
    },
    ParamInfo {
        name: "shallow",
        default: "1",
        doc: "curvature along the floor (w2)",
    },
    ParamInfo {
        name: "angle",
        default: "0",
        doc: "rotation of the ravine in degrees",
    },
];

fn ravine_info() -> ProblemInfo {
    ProblemInfo {
        name: "ravine",
        summary: "the seed's 2-D pathological-curvature valley ½(a u1² + b u2²), start (1, 8)",
        params: RAVINE_PARAMS,
    }
}

fn build_ravine(p: &Params, _seed: u64) -> Result<ProblemInstance> {
    let r = super::Ravine::new(
        p.f64("steep", 100.0)?,
        p.f64("shallow", 1.0)?,
        p.f64("angle", 0.0)?,
    )?;
    Ok(ProblemInstance {
        kind: "ravine".into(),
        label: label("ravine", p),
        x0: r.standard_start(),
        f_star: Some(0.0),
        x_star: Some(vec![0.0, 0.0]),
        eigenvalues: Some(r.eigenvalues().to_vec()),
        objective: Box::new(r),
    })
}

const ROSENBROCK_PARAMS: &[ParamInfo] = &[ParamInfo {
    name: "dim",
    default: "2",
    doc: "number of variables n >= 2 (chained form)",
}];

fn rosenbrock_info() -> ProblemInfo {
    ProblemInfo {
        name: "rosenbrock",
        summary: "Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², start (−1.2, 1, …), f* = 0",
        params: ROSENBROCK_PARAMS,
    }
}

fn build_rosenbrock(p: &Params, _seed: u64) -> Result<ProblemInstance> {
    let n = p.usize("dim", 2)?;
    let r = super::Rosenbrock::new(n)?;
    Ok(ProblemInstance {
        kind: "rosenbrock".into(),
        label: label("rosenbrock", p),
        x0: r.standard_start(),
        f_star: Some(0.0),
        x_star: Some(vec![1.0; n]),
        eigenvalues: None,
        objective: Box::new(r),
    })
}

/// What a problem will allocate, computed from its parameters before it is built: `n` (the
/// number of variables, where known without reading a file) and the [`Request`] of its own
/// storage plus the working set of whatever uses it ([`crate::memory::working_set`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemSize {
    /// Number of variables, where known before reading data.
    pub n: Option<u64>,
    /// The request.
    pub request: Request,
}

/// The memory problem `kind` with `params` needs, from the parameters alone (reads no key as
/// used; a Matrix Market file's size line is read, a CSV file's size is taken from the file
/// system). `Ok(None)` for an unknown kind (the builder reports it) or a data file whose size
/// is only known once read (a pipe: the reader bounds it).
///
/// ```
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["dim=100000"]).unwrap();
/// let s = curvlab::problems::problem_request("quadratic", &p).unwrap().unwrap();
/// assert_eq!(s.n, Some(100_000));
/// assert!(s.request.bytes.unwrap() > 5 * 8 * 100_000 * 100_000);
/// assert!(s.request.what.starts_with("quadratic dim = 100000 with a dense rotation"));
/// ```
pub fn problem_request(kind: &str, params: &Params) -> Result<Option<ProblemSize>> {
    use super::*;
    let size = |n: u64, request: Request| {
        Ok(Some(ProblemSize {
            n: Some(n),
            request,
        }))
    };
    match kind {
        "quadratic" => {
            let n = peek_u64(params, "dim", 50)?;
            let diagonal = peek_str(params, "rotation").as_deref() == Some("diagonal");
            size(n, quadratic::memory_request(n, diagonal))
        }
        "ravine" => size(2, Request::new("ravine", f64s(&[16]), "")),
        "rosenbrock" => {
            let n = peek_u64(params, "dim", 2)?;
            size(n, rosenbrock::memory_request(n))
        }
        "mgh" => Ok(
            mgh::memory_request(params)?.map(|(n, request)| ProblemSize {
                n: Some(n),
                request,
            }),
        ),
        "logistic" => logistic::memory_request(params),
        "least-squares" => least_squares::memory_request(params),
        "mlp" => mlp_request(params),
        "classifier" => classifier_request(params),
        "matrix" => matrix_market::memory_request(params),
        _ => Ok(None),
    }
}

/// The mlp's request from its parameters (synthetic data `samples × features`, the weights of
/// the layers `features → hidden… → classes`, and per-example activations of every layer,
/// three buffers each: pre-activations, activations and back-propagated errors). Computed in
/// closed form from `hidden × layers`, never by listing the layers.
fn mlp_request(p: &Params) -> Result<Option<ProblemSize>> {
    let samples = peek_u64(p, "samples", 600)?;
    let classes = peek_u64(p, "classes", 3)?;
    let from_file = peek_str(p, "data").is_some();
    let features = if from_file {
        0
    } else {
        peek_u64(p, "features", 2)?
    };
    // (widths of the hidden layers as (width, count) runs, their description)
    let (runs, desc): (Vec<(u64, u64)>, String) = match peek_str(p, "hidden") {
        Some(h) if h.contains(',') => {
            let w: Vec<u64> = h
                .split(',')
                .map(|w| w.trim().parse().unwrap_or(0))
                .collect();
            (w.iter().map(|&w| (w, 1)).collect(), format!("hidden = {h}"))
        }
        _ => {
            let (w, l) = (peek_u64(p, "hidden", 16)?, peek_u64(p, "layers", 1)?);
            (vec![(w, l)], format!("hidden = {w} x {l} layers"))
        }
    };
    let (n, act) = mlp_counts(features, &runs, classes);
    let data = if from_file {
        Some(0)
    } else {
        f64s(&[samples, features.saturating_add(1)])
    };
    let bytes = sum(&[
        data,
        act.and_then(|a| f64s(&[3, samples, a])),
        n.and_then(|n| f64s(&[2, n])),
        n.and_then(working_set),
    ]);
    let what = format!(
        "mlp samples = {samples}, features = {features}, {desc}, classes = {classes} ({} weights)",
        n.map_or_else(|| "more than 2^64".into(), |n| n.to_string())
    );
    let key = ["layers", "hidden", "classes", "features", "samples"]
        .into_iter()
        .find(|k| peek_str(p, k).is_some())
        .unwrap_or("hidden");
    let request = Request::new(what, bytes, "use fewer samples or smaller layers").with_key(key);
    Ok(Some(ProblemSize {
        n: if from_file { None } else { n },
        request,
    }))
}

/// The classifier's request from its parameters, as [`mlp_request`]: the data set (UCI digits:
/// 64 features, at most 1,797 examples; MNIST-1D: 40 features, `samples` generated), the weights
/// of `features → hidden… → 10` and three per-example buffers per layer. Widths repeated `depth`
/// times are counted in closed form, so `depth = 10⁹` is refused before a list of widths exists.
fn classifier_request(p: &Params) -> Result<Option<ProblemSize>> {
    let mnist1d = peek_str(p, "dataset").as_deref() == Some("mnist1d");
    let (features, samples) = if mnist1d {
        (40, peek_u64(p, "samples", 5000)?)
    } else {
        (64, peek_u64(p, "samples", 1797)?.min(1797))
    };
    let depth_given = peek_str(p, "depth").is_some();
    let depth = peek_u64(p, "depth", 1)?;
    let (runs, desc): (Vec<(u64, u64)>, String) = match peek_str(p, "hidden") {
        Some(h) if h.contains(',') => {
            let w: Vec<u64> = h
                .split(',')
                .map(|w| w.trim().parse().unwrap_or(0))
                .collect();
            (w.iter().map(|&w| (w, 1)).collect(), format!("hidden = {h}"))
        }
        Some(_) => {
            let w = peek_u64(p, "hidden", 128)?;
            (vec![(w, depth)], format!("hidden = {w} x {depth} layers"))
        }
        None if depth_given => (vec![(128, depth)], format!("hidden = 128 x {depth} layers")),
        None => (vec![(128, 2)], "hidden = 128,128".to_string()),
    };
    let (n, act) = mlp_counts(features, &runs, 10);
    let bytes = sum(&[
        f64s(&[samples, features + 1]),
        act.and_then(|a| f64s(&[3, samples, a])),
        n.and_then(|n| f64s(&[2, n])),
        n.and_then(working_set),
        // the list of widths itself
        runs.iter()
            .try_fold(0u64, |acc, r| acc.checked_add(r.1))
            .and_then(|l| l.checked_mul(8)),
    ]);
    let what = format!(
        "classifier samples = {samples}, {desc} ({} weights)",
        n.map_or_else(|| "more than 2^64".into(), |n| n.to_string())
    );
    let key = ["depth", "hidden", "samples"]
        .into_iter()
        .find(|k| peek_str(p, k).is_some())
        .unwrap_or("hidden");
    let request = Request::new(what, bytes, "use fewer samples or smaller layers").with_key(key);
    Ok(Some(ProblemSize { n, request }))
}

/// The weights `Σ (in + 1)·out` and activations per example `features + Σ widths + classes` of
/// an mlp whose hidden layers are `runs` of `(width, count)`; `None` on overflow.
fn mlp_counts(features: u64, runs: &[(u64, u64)], classes: u64) -> (Option<u64>, Option<u64>) {
    let mut n = Some(0u64);
    let mut act = features.checked_add(classes);
    let mut prev = features;
    let add = |acc: Option<u64>, x: Option<u64>| acc.and_then(|a| x.and_then(|x| a.checked_add(x)));
    for &(w, count) in runs.iter().filter(|r| r.1 > 0) {
        // first layer of the run: prev -> w; the other count - 1: w -> w
        n = add(n, prev.checked_add(1).and_then(|x| x.checked_mul(w)));
        let inner = w.checked_add(1).and_then(|x| x.checked_mul(w));
        n = add(n, inner.and_then(|x| x.checked_mul(count - 1)));
        act = add(act, w.checked_mul(count));
        prev = w;
    }
    n = add(n, prev.checked_add(1).and_then(|x| x.checked_mul(classes)));
    (n, act)
}
