//! Sharding: `--shard i/N` runs a deterministic slice of a study — the runs whose position in
//! the run-id order (ascending hex) is `i` modulo `N` — so that `N` independent jobs (a Slurm
//! array, see `studies/sbatch_array.sh`) cover every run exactly once. Run ids are hashes, so
//! the round-robin slice mixes cheap and expensive runs evenly.

use super::expand::Plan;
use crate::error::{Error, Result};
use std::collections::BTreeSet;

/// Slice `index` of `count` (0-based `index < count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, `0 ≤ index < count`.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl Shard {
    /// Parses `i/N`.
    ///
    /// ```
    /// use curvlab::study::Shard;
    /// assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
    /// assert!(Shard::parse("4/4").is_err());
    /// assert!(Shard::parse("0/0").is_err());
    /// assert!(Shard::parse("x").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::invalid("--shard", s, "expected i/N with 0 <= i < N");
        let (a, b) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = a.trim().parse().map_err(|_| bad())?;
        let count: usize = b.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The run ids of this slice of a plan.
    ///
    /// ```
    /// use curvlab::study::{StudySpec, Plan, Shard};
    /// let src = "name='s'\nseeds=[0,1,2]\n[[problems]]\nkind='ravine'\nsteep=[10,100]\n[[methods]]\nkind='gd'\n";
    /// let plan = Plan::new(&StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap());
    /// let a = Shard { index: 0, count: 2 }.select(&plan);
    /// let b = Shard { index: 1, count: 2 }.select(&plan);
    /// assert_eq!(a.len() + b.len(), 6);
    /// assert!(a.is_disjoint(&b));
    /// ```
    pub fn select(&self, plan: &Plan) -> BTreeSet<String> {
        let ids: BTreeSet<&String> = plan.runs.iter().map(|r| &r.id).collect();
        ids.into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.count == self.index)
            .map(|(_, id)| id.clone())
            .collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
