//! Sharding: `--shard i/N` runs a deterministic slice of a study — the runs whose position in
//! the run-id order (ascending hex) is `i` modulo `N` — so that `N` independent jobs (a Slurm
//! array, see `studies/sbatch_array.sh`) cover every run exactly once. Run ids are hashes, so
//! the round-robin slice mixes cheap and expensive runs evenly.
//!
//! Without `--shard`, [`Shard::resolve`] takes the slice from the scheduler's environment, so the
//! same binary runs as an array task under each scheduler without a wrapper:
//!
//! | scheduler | index `i` | count `N` |
//! |---|---|---|
//! | Slurm job array (`sbatch --array=0-(N-1)`) | `SLURM_ARRAY_TASK_ID` | `SLURM_ARRAY_TASK_COUNT` (or `SLURM_ARRAY_TASK_MAX + 1`), only for a contiguous array from 0; otherwise `CURVLAB_SHARD_COUNT` |
//! | Kubernetes Indexed Job (`completionMode: Indexed`) | `JOB_COMPLETION_INDEX` | `CURVLAB_SHARD_COUNT` (set it to `completions`) |
//! | HTCondor (`queue N`) | `--shard $(Process)/N` in `arguments` | (in the flag) |
//!
//! `CURVLAB_SHARD_COUNT`, when set, is the total count for either scheduler, and
//! `CURVLAB_SHARD_OFFSET` is added to the environment's index: a study of more shards than the
//! cluster's `MaxArraySize` runs as several arrays `0..M-1` with offsets `0, M, 2M, …` and
//! `CURVLAB_SHARD_COUNT=N` (what `studies/sbatch_array.sh --submit` does). A task resubmitted
//! alone (`sbatch --array=2`) needs `CURVLAB_SHARD_COUNT` too, since Slurm then reports a count
//! of 1. The flag always wins over the environment; `--shard 0/1` runs the whole study inside an
//! array task. The environment variables are read only by `curvlab study`.
//!
//! The layout follows the job-array model of the Slurm documentation (`sbatch --array`,
//! "Job Array Support") and Kubernetes' Indexed Jobs (KEP-2214).

use super::expand::Plan;
use crate::error::{Error, Result};
use std::collections::BTreeSet;

/// Total shard count for the environment's index (any scheduler).
pub const SHARD_COUNT_VAR: &str = "CURVLAB_SHARD_COUNT";
/// Added to the environment's index (arrays split at the cluster's `MaxArraySize`).
pub const SHARD_OFFSET_VAR: &str = "CURVLAB_SHARD_OFFSET";
/// Slurm's array task id.
pub const SLURM_TASK_ID_VAR: &str = "SLURM_ARRAY_TASK_ID";
/// Kubernetes Indexed Jobs' completion index.
pub const K8S_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// Where a [`Shard`] came from.
///
/// ```
/// use curvlab::study::shard::ShardSource;
/// assert_eq!(ShardSource::Slurm.to_string(), "SLURM_ARRAY_TASK_ID");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSource {
    /// The `--shard i/N` flag (HTCondor: `--shard $(Process)/N`).
    Flag,
    /// A Slurm job array's environment.
    Slurm,
    /// A Kubernetes Indexed Job's environment.
    Kubernetes,
}

impl std::fmt::Display for ShardSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShardSource::Flag => "--shard",
            ShardSource::Slurm => SLURM_TASK_ID_VAR,
            ShardSource::Kubernetes => K8S_INDEX_VAR,
        })
    }
}

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

    /// The slice to run: from the `--shard` flag when given, otherwise from the process's
    /// environment (see the [module documentation](self)); `None` runs the whole study.
    ///
    /// ```
    /// use curvlab::study::shard::{Shard, ShardSource};
    /// let s = Shard::resolve(Some("2/4")).unwrap();
    /// assert_eq!(s, Some((Shard { index: 2, count: 4 }, ShardSource::Flag)));
    /// ```
    pub fn resolve(flag: Option<&str>) -> Result<Option<(Shard, ShardSource)>> {
        Self::resolve_with(flag, |k| std::env::var(k).ok())
    }

    /// [`Shard::resolve`] with the environment given as a lookup function (an empty value
    /// counts as unset).
    ///
    /// ```
    /// use curvlab::study::shard::{Shard, ShardSource};
    /// let env = |vars: &'static [(&'static str, &'static str)]| {
    ///     move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    /// };
    /// // Task 2 of `sbatch --array=0-3`:
    /// let slurm = env(&[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4"),
    ///                   ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "3")]);
    /// assert_eq!(Shard::resolve_with(None, &slurm).unwrap(),
    ///            Some((Shard { index: 2, count: 4 }, ShardSource::Slurm)));
    /// // The flag wins:
    /// assert_eq!(Shard::resolve_with(Some("0/1"), &slurm).unwrap().unwrap().0.count, 1);
    /// // Task 0 of the second array of a study split at MaxArraySize = 3:
    /// let split = env(&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "1"),
    ///                   ("CURVLAB_SHARD_OFFSET", "3"), ("CURVLAB_SHARD_COUNT", "4")]);
    /// assert_eq!(Shard::resolve_with(None, &split).unwrap().unwrap().0,
    ///            Shard { index: 3, count: 4 });
    /// // A Kubernetes Indexed Job needs the count:
    /// let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
    /// assert!(Shard::resolve_with(None, &k8s).unwrap_err().is_bad_input());
    /// assert_eq!(Shard::resolve_with(None, env(&[])).unwrap(), None);
    /// ```
    pub fn resolve_with<F>(flag: Option<&str>, env: F) -> Result<Option<(Shard, ShardSource)>>
    where
        F: Fn(&str) -> Option<String>,
    {
        if let Some(f) = flag {
            return Ok(Some((Shard::parse(f)?, ShardSource::Flag)));
        }
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let total = get(SHARD_COUNT_VAR)
            .map(|v| parse_var(SHARD_COUNT_VAR, &v, 1))
            .transpose()?;
        let offset = get(SHARD_OFFSET_VAR)
            .map(|v| parse_var(SHARD_OFFSET_VAR, &v, 0))
            .transpose()?;
        let (index, count, source) = if let Some(id) = get(SLURM_TASK_ID_VAR) {
            let id = parse_var(SLURM_TASK_ID_VAR, &id, 0)?;
            let count = match total {
                Some(n) => n,
                None => slurm_array_count(&get)?,
            };
            (id, count, ShardSource::Slurm)
        } else if let Some(id) = get(K8S_INDEX_VAR) {
            let id = parse_var(K8S_INDEX_VAR, &id, 0)?;
            let why = "a Kubernetes Indexed Job does not export its completions; \
                       set CURVLAB_SHARD_COUNT to `completions`";
            (
                id,
                total.ok_or_else(|| Error::invalid(SHARD_COUNT_VAR, "(unset)", why))?,
                ShardSource::Kubernetes,
            )
        } else if total.is_some() || offset.is_some() {
            let why = "is set but neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is; \
                       pass --shard i/N (or --shard 0/1 for the whole study)";
            let name = if total.is_some() {
                SHARD_COUNT_VAR
            } else {
                SHARD_OFFSET_VAR
            };
            return Err(Error::invalid(name, get(name).unwrap_or_default(), why));
        } else {
            return Ok(None);
        };
        let index = index
            .checked_add(offset.unwrap_or(0))
            .filter(|&i| i < count)
            .ok_or_else(|| {
                let shown = format!("{index} + offset {} of {count}", offset.unwrap_or(0));
                Error::invalid(
                    &source.to_string(),
                    shown,
                    "the shard index must be below the shard count",
                )
            })?;
        Ok(Some((Shard { index, count }, source)))
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

/// Parses an environment variable as an integer `>= min`.
fn parse_var(name: &str, value: &str, min: usize) -> Result<usize> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&v| v >= min)
        .ok_or_else(|| {
            let why = if min == 0 {
                "expected an integer >= 0"
            } else {
                "expected an integer >= 1"
            };
            Error::invalid(name, value, why)
        })
}

/// The task count of a Slurm array `0-(N-1)` (step 1) from `SLURM_ARRAY_TASK_COUNT`, or
/// `SLURM_ARRAY_TASK_MAX + 1`; any other array (from a nonzero minimum, with a step, a single
/// resubmitted task) is an error asking for `CURVLAB_SHARD_COUNT`.
fn slurm_array_count(get: &dyn Fn(&str) -> Option<String>) -> Result<usize> {
    let var = |k: &str, min| get(k).map(|v| parse_var(k, &v, min)).transpose();
    let count = var("SLURM_ARRAY_TASK_COUNT", 1)?;
    let min = var("SLURM_ARRAY_TASK_MIN", 0)?.unwrap_or(0);
    let max = var("SLURM_ARRAY_TASK_MAX", 0)?;
    let span = max.map(|m| m.saturating_sub(min) + 1);
    let why = "the Slurm array is not 0-(N-1) with step 1 (e.g. a task resubmitted alone); \
               set CURVLAB_SHARD_COUNT to the total number of shards";
    match (count, span) {
        (Some(c), Some(s)) if c == s && min == 0 => Ok(c),
        (Some(c), None) if min == 0 => Ok(c),
        (None, Some(s)) if min == 0 => Ok(s),
        (None, None) => Err(Error::invalid(
            "SLURM_ARRAY_TASK_COUNT",
            "(unset)",
            "neither it nor SLURM_ARRAY_TASK_MAX is set; set CURVLAB_SHARD_COUNT",
        )),
        _ => Err(Error::invalid(
            "SLURM_ARRAY_TASK_COUNT",
            count.map_or("(unset)".into(), |c| c.to_string()),
            why,
        )),
    }
}
