//! Problems by name: what `curvlab list` prints, what `curvlab run --problem` and study files
//! build. Each problem module exports `INFO` (name, parameters, defaults) and
//! `build(&Params, seed)`.

use crate::error::{Error, Result};
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
