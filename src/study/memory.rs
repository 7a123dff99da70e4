//! The memory check of a study: before any problem is built or any run starts, every problem
//! instance and every method instance on it is sized from its parameters
//! ([`run_request`]) and checked against the limit ([`crate::memory::limit`]);
//! all offenders are reported at once, each with the file and line of the key most responsible
//! (the same blame rule as the study's other errors, [`crate::study::spec::ComponentSpec`]).
//!
//! A study runs its runs one at a time per rayon task, so the check is per run: `--jobs N`
//! concurrent runs may need up to N times as much.

use super::expand::Plan;
use super::spec::{ComponentSpec, StudySpec};
use crate::error::Result;
use crate::memory::{Limit, Request, f64s, limit, peek_u64};
use crate::params::Params;
use crate::problems::problem_request;

/// One instance over the limit: the line to blame and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Offender {
    /// 1-based line of the study file.
    pub line: usize,
    /// `problem `label`: … needs …` or `method `label` on `problem`: … needs …`.
    pub message: String,
}

/// Checks every instance of `plan` against the current limit; the error (a parse error at the
/// first offender's line) lists every offender with its line, on one line.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, memory::check_plan};
/// curvlab::memory::set_limit(Some(1 << 30));
/// let src = "name='s'\n[[problems]]\nkind='quadratic'\ndim=[10, 100000]\n\
///            [[problems]]\nkind='rosenbrock'\ndim=1e9\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let e = check_plan(&spec, &Plan::new(&spec)).unwrap_err().to_string();
/// assert!(e.starts_with("s.toml:4: 2 study instances exceed the memory limit"), "{e}");
/// assert!(e.contains("s.toml:7: problem `rosenbrock(dim=1000000000)`"), "{e}");
/// ```
pub fn check_plan(spec: &StudySpec, plan: &Plan) -> Result<()> {
    let l = limit();
    let offenders = offenders(spec, plan, l);
    let Some(first) = offenders.first() else {
        return Ok(());
    };
    let list: Vec<String> = offenders
        .iter()
        .map(|o| format!("{}:{}: {}", spec.path.display(), o.line, o.message))
        .collect();
    Err(spec.error_at(
        first.line,
        format!(
            "{} study instance{} exceed{} the memory limit {l}: {}",
            offenders.len(),
            if offenders.len() == 1 { "" } else { "s" },
            if offenders.len() == 1 { "s" } else { "" },
            list.join("; ")
        ),
    ))
}

/// Every instance of `plan` whose request exceeds `limit`, in the study's order: a problem
/// instance over the limit on its own is listed once; otherwise each method instance whose
/// extra need (Newton's dense Hessian, L-BFGS's history) takes the run over it. Instances whose
/// parameters cannot be sized (a wrong type, a missing file) are left to the builders, which
/// report them with their lines.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, memory::offenders};
/// use curvlab::memory::{Limit, LimitSource};
/// let src = "name='s'\n[[problems]]\nkind='rosenbrock'\ndim=1000\n[[methods]]\nkind='gd'\n\
///            [[methods]]\nkind='lbfgs'\nhistory=1e14\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let l = Limit { bytes: 1 << 30, source: LimitSource::Set };
/// let o = offenders(&spec, &Plan::new(&spec), l);
/// assert_eq!(o.len(), 1);
/// assert_eq!(o[0].line, 9);
/// assert!(o[0].message.starts_with("method `lbfgs(history=100000000000000)` on"), "{}", o[0].message);
/// ```
pub fn offenders(spec: &StudySpec, plan: &Plan, limit: Limit) -> Vec<Offender> {
    let mut out = Vec::new();
    for p in &plan.problems {
        let ptable = &spec.problems[p.table];
        let Ok(Some(size)) = problem_request(&p.kind, &p.to_params()) else {
            continue;
        };
        if let Err(e) = size.request.check_against(limit) {
            out.push(Offender {
                line: blame(ptable, &size.request),
                message: format!("problem `{}`: {}", p.label(), reason(&e.to_string(), limit)),
            });
            continue;
        }
        let Some(n) = size.n else {
            continue;
        };
        for m in &plan.methods {
            let Ok(Some(extra)) = method_request(&m.kind, &m.to_params(), n) else {
                continue;
            };
            let run = size.request.clone().plus(extra);
            if let Err(e) = run.check_against(limit) {
                out.push(Offender {
                    line: blame(&spec.methods[m.table], &run),
                    message: format!(
                        "method `{}` on `{}`: {}",
                        m.label(),
                        p.label(),
                        reason(&e.to_string(), limit)
                    ),
                });
            }
        }
    }
    out
}

/// The line of the request's key in `table`, else the table's `kind` line.
fn blame(table: &ComponentSpec, r: &Request) -> usize {
    r.key
        .as_ref()
        .and_then(|k| table.params.get(k))
        .map_or(table.line, |p| p.line)
}

/// The error without the limit (stated once in the header).
fn reason(message: &str, limit: Limit) -> String {
    message.replace(&format!("; the limit is {limit}"), "")
}

/// What method `kind` allocates beyond a problem's working set on `n` variables: Newton's dense
/// Hessian and its Cholesky factor (`2n²`), L-BFGS's `2·history` pairs, Hessian-free's 256
/// per-example rows; `Ok(None)` for methods that only use a few vectors. Reads `params` without
/// marking them.
///
/// ```
/// use curvlab::params::Params;
/// use curvlab::study::memory::method_request;
/// let r = method_request("newton", &Params::new(), 30_000).unwrap().unwrap();
/// assert_eq!(r.bytes, Some(2 * 8 * 30_000 * 30_000));
/// let p = Params::from_pairs(&["history=1e14"]).unwrap();
/// assert!(method_request("lbfgs", &p, 2).unwrap().unwrap().bytes.unwrap() > 1 << 50);
/// assert!(method_request("adam", &Params::new(), 1 << 40).unwrap().is_none());
/// ```
pub fn method_request(kind: &str, params: &Params, n: u64) -> Result<Option<Request>> {
    Ok(match kind {
        "newton" => Some(Request::new(
            format!("method newton at n = {n} (a dense n x n Hessian and its Cholesky factor)"),
            f64s(&[2, n, n]),
            "use newton-cg, trust-ncg, hessian-free or lbfgs (Hessian-vector products only)",
        )),
        "lbfgs" => {
            let m = peek_u64(params, "history", 10)?;
            Some(crate::methods::lbfgs::history_request(m, n).with_key("history"))
        }
        "hessian-free" => Some(Request::new(
            format!("method hessian-free at n = {n} (256 per-example rows)"),
            f64s(&[256, n]),
            "use a smaller problem",
        )),
        _ => None,
    })
}

/// Checks a run of `method` on `problem` before building either: the problem's request (its
/// storage and working set, see [`crate::problems::problem_request`]) plus the method's
/// ([`method_request`]).
///
/// ```
/// use curvlab::params::Params;
/// curvlab::memory::set_limit(Some(1 << 30));
/// let p = Params::from_pairs(&["dim=30000", "rotation=diagonal"]).unwrap();
/// let e = curvlab::study::memory::check_run("quadratic", &p, "newton", &Params::new()).unwrap_err();
/// assert!(e.to_string().contains("method newton at n = 30000"), "{e}");
/// assert!(curvlab::study::memory::check_run("quadratic", &p, "lbfgs", &Params::new()).is_ok());
/// ```
pub fn check_run(problem: &str, pp: &Params, method: &str, mp: &Params) -> Result<()> {
    // The problem alone first: its error names only what is too large.
    if let Some(size) = crate::problems::problem_request(problem, pp)? {
        size.request.check()?;
    }
    run_request(problem, pp, method, mp)?.map_or(Ok(()), |r| r.check())
}

/// The request of a run ([`check_run`] without the check); `Ok(None)` when the problem's size is
/// only known once its file is read (CSV data from a pipe).
pub fn run_request(
    problem: &str,
    pp: &Params,
    method: &str,
    mp: &Params,
) -> Result<Option<Request>> {
    let Some(size) = crate::problems::problem_request(problem, pp)? else {
        return Ok(None);
    };
    let extra = match size.n {
        Some(n) => method_request(method, mp, n)?,
        None => None,
    };
    Ok(Some(match extra {
        Some(e) => size.request.plus(e),
        None => size.request,
    }))
}
