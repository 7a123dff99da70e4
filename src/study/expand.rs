//! Sweep expansion: every array-valued parameter of a problem or method table is an axis, and
//! a table stands for the cartesian product of its axes (the full-factorial design of
//! Montgomery, "Design and Analysis of Experiments", ch. 5). The study's runs are then
//! problem instances × method instances × seeds, in a fixed order: problems in file order, each
//! table's instances with the last axis (by key name) varying fastest, then methods likewise,
//! then seeds in file order.

pub use super::instance::Instance;
use super::run_id::run_id_rel;
use super::spec::{ComponentSpec, StudySpec};
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
