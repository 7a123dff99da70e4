//! Sweep expansion: every array-valued parameter of a problem or method table is an axis, and
//! a table stands for the cartesian product of its axes (the full-factorial design of
//! Montgomery, "Design and Analysis of Experiments", ch. 5). The study's runs are then
//! problem instances × method instances × seeds, in a fixed order: problems in file order, each
//! table's instances with the last axis (by key name) varying fastest, then methods likewise,
//! then seeds in file order.
//!
//! The run count is known from the axis lengths alone ([`count_runs`]: a saturating product,
//! nothing materialised), so a sweep that expands to millions of runs is refused before any
//! work ([`check_run_count`]).

pub use super::instance::Instance;
use super::run_id::run_id_rel;
use super::spec::{ComponentSpec, StudySpec};
use crate::error::Result;
use crate::params::Value;
use std::collections::BTreeMap;

/// The instances of one table: the cartesian product of its axes.
///
/// ```
/// use curvlab::study::{StudySpec, expand::expand};
/// let src = "name='s'\n[[problems]]\nkind='quadratic'\ndim=[2,3]\ncondition=[10,100,1000]\n[[methods]]\nkind='gd'\n";
/// let s = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// let inst = expand(&s.problems[0], 0);
/// assert_eq!(inst.len(), 6);
/// assert_eq!(inst[1].label(), "quadratic(condition=10, dim=3)");
/// ```
pub fn expand(c: &ComponentSpec, table: usize) -> Vec<Instance> {
    let mut out = vec![BTreeMap::new()];
    for (k, p) in &c.params {
        let mut next = Vec::with_capacity(out.len() * p.values.len());
        for partial in &out {
            for v in &p.values {
                let mut m: BTreeMap<String, Value> = partial.clone();
                m.insert(k.clone(), v.clone());
                next.push(m);
            }
        }
        out = next;
    }
    out.into_iter()
        .map(|params| Instance {
            kind: c.kind.clone(),
            params,
            table,
        })
        .collect()
}

/// The default cap on a study's runs (`curvlab study --max-runs` overrides it): 100,000 runs,
/// about a day of 1-second runs on a 2-core machine.
pub const DEFAULT_MAX_RUNS: u64 = 100_000;

/// The number of instances of one table: the product of its axis lengths (saturating).
///
/// ```
/// use curvlab::study::{StudySpec, expand::table_size};
/// let src = "name='s'\n[[problems]]\nkind='quadratic'\ndim=[2,3]\ncondition=[10,100,1000]\n[[methods]]\nkind='gd'\n";
/// let s = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// assert_eq!(table_size(&s.problems[0]), 6);
/// ```
pub fn table_size(c: &ComponentSpec) -> u64 {
    c.params
        .values()
        .fold(1u64, |n, p| n.saturating_mul(p.values.len() as u64))
}

/// The number of runs of a study — (Σ problem tables) × (Σ method tables) × seeds — from the
/// axis lengths, without expanding anything; saturates at `u64::MAX`.
///
/// ```
/// use curvlab::study::{StudySpec, Plan, expand::count_runs};
/// let src = "name='s'\nseeds=[0,1]\n[[problems]]\nkind='quadratic'\ncondition=[10,100]\n[[methods]]\nkind='gd'\n[[methods]]\nkind='adam'\nlr=[1e-3,1e-2]\n";
/// let s = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// assert_eq!(count_runs(&s), Plan::new(&s).runs.len() as u64);
/// ```
pub fn count_runs(spec: &StudySpec) -> u64 {
    let sum = |tables: &[ComponentSpec]| {
        tables
            .iter()
            .fold(0u64, |n, c| n.saturating_add(table_size(c)))
    };
    sum(&spec.problems)
        .saturating_mul(sum(&spec.methods))
        .saturating_mul(spec.seeds.len() as u64)
}

/// The run count, or an error naming it, its factors and the longest axis (file and line) when
/// it exceeds `max_runs`: refused before any run, any instance or any output.
///
/// ```
/// use curvlab::study::{StudySpec, expand::check_run_count};
/// let src = "name='s'\n[[problems]]\nkind='quadratic'\ncondition=[10,100]\n[[methods]]\nkind='gd'\n";
/// let s = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// assert_eq!(check_run_count(&s, 2).unwrap(), 2);
/// let e = check_run_count(&s, 1).unwrap_err().to_string();
/// assert!(e.starts_with("s.toml:4: the study expands to 2 runs"), "{e}");
/// ```
pub fn check_run_count(spec: &StudySpec, max_runs: u64) -> Result<u64> {
    let n = count_runs(spec);
    if n <= max_runs {
        return Ok(n);
    }
    let sum = |tables: &[ComponentSpec]| {
        tables
            .iter()
            .fold(0u64, |n, c| n.saturating_add(table_size(c)))
    };
    let count = |n: u64| {
        if n == u64::MAX {
            format!("{n} or more")
        } else {
            n.to_string()
        }
    };
    let fix = if n == u64::MAX {
        "shorten the sweep axes".to_string()
    } else {
        format!("shorten the sweep axes, or pass --max-runs {n} to run them all")
    };
    // Blame the longest sweep axis (the first of equal length, problems before methods), or
    // the first problem table when no key is an axis (the runs come from tables and seeds).
    let mut line = spec.problems.first().map_or(0, |c| c.line);
    let mut longest = 1;
    for p in spec
        .problems
        .iter()
        .chain(&spec.methods)
        .flat_map(|c| c.params.values())
    {
        if p.values.len() > longest {
            (longest, line) = (p.values.len(), p.line);
        }
    }
    Err(spec.error_at(
        line,
        format!(
            "the study expands to {} runs ({} problem instances x {} method instances x {} \
             seeds), more than the limit of {max_runs}; {fix}",
            count(n),
            count(sum(&spec.problems)),
            count(sum(&spec.methods)),
            spec.seeds.len(),
        ),
    ))
}

/// One run: indices into [`Plan::problems`] and [`Plan::methods`], a seed and the stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    /// Index into [`Plan::problems`].
    pub problem: usize,
    /// Index into [`Plan::methods`].
    pub method: usize,
    /// The seed.
    pub seed: u64,
    /// The stable run id ([`crate::study::run_id`]).
    pub id: String,
}

/// Every instance and run of a study, in the study's fixed order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Problem instances.
    pub problems: Vec<Instance>,
    /// Method instances.
    pub methods: Vec<Instance>,
    /// Runs: problems × methods × seeds.
    pub runs: Vec<RunKey>,
}

impl Plan {
    /// Expands a study.
    ///
    /// ```
    /// use curvlab::study::{StudySpec, Plan};
    /// let src = "name='s'\nseeds=[0,1]\n[[problems]]\nkind='quadratic'\ncondition=[10,100]\n[[methods]]\nkind='gd'\n[[methods]]\nkind='adam'\nlr=[1e-3,1e-2]\n";
    /// let plan = Plan::new(&StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap());
    /// assert_eq!(plan.runs.len(), 2 * 3 * 2);
    /// ```
    pub fn new(spec: &StudySpec) -> Self {
        let problems: Vec<Instance> = spec
            .problems
            .iter()
            .enumerate()
            .flat_map(|(i, c)| expand(c, i))
            .collect();
        let methods: Vec<Instance> = spec
            .methods
            .iter()
            .enumerate()
            .flat_map(|(i, c)| expand(c, i))
            .collect();
        let mut runs = Vec::with_capacity(problems.len() * methods.len() * spec.seeds.len());
        for (pi, p) in problems.iter().enumerate() {
            for (mi, m) in methods.iter().enumerate() {
                for &seed in &spec.seeds {
                    runs.push(RunKey {
                        problem: pi,
                        method: mi,
                        seed,
                        id: run_id_rel(p, m, seed, &spec.stop, spec.grad_rtol),
                    });
                }
            }
        }
        Plan {
            problems,
            methods,
            runs,
        }
    }
}
