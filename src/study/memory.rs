//! The memory check of a study: before any problem is built or any run starts, every problem
//! instance and every method instance on it is sized from its parameters
//! ([`crate::memory::run_request`]) and checked against the limit ([`crate::memory::limit`]);
//! all offenders are reported at once, each with the file and line of the key most responsible
//! (the same blame rule as the study's other errors, [`crate::study::spec::ComponentSpec`]).
//!
//! A study runs its runs one at a time per rayon task, so the check is per run: `--jobs N`
//! concurrent runs may need up to N times as much.

use super::expand::Plan;
use super::spec::{ComponentSpec, StudySpec};
use crate::error::Result;
use crate::memory::{Limit, Request, limit, method_request};
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
