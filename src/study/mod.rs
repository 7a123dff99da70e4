//! Scripted studies: a TOML file describes problems × methods × seeds with sweep axes
//! (docs/DESIGN.md, "Study files"); curvlab expands it, validates every instance up front, runs the
//! runs in parallel with stable ids, resumable and shardable outputs, and writes `runs.csv`,
//! per-run traces, `spectra.json`, `summary.md` and SVG plots. The benchmarking layout follows
//! Dolan & Moré (2002) and Moré, Garbow & Hillstrom (1981): every solver on every problem under
//! one stopping rule, counting evaluations as well as time.
//!
//! ```no_run
//! use curvlab::study::{StudySpec, RunOptions, run_study};
//! let spec = StudySpec::read(std::path::Path::new("studies/ravine.toml")).unwrap();
//! let outcome = run_study(&spec, &RunOptions::new("results/ravine")).unwrap();
//! assert_eq!(outcome.selected, outcome.performed + outcome.skipped);
//! ```

pub mod endpoint;
pub mod endpoint_summary;
pub mod expand;
pub mod format;
pub mod instance;
pub mod lock;
pub mod memory;
pub mod merge;
pub mod outputs;
pub mod plots;
pub mod profiles;
pub mod resume;
pub mod run_id;
pub mod runner;
pub mod shard;
pub mod sharpness_summary;
pub mod spec;
pub mod spectra;
pub mod summary;
pub mod theory;
pub mod track;
pub mod verdict;

pub use expand::{Instance, Plan, RunKey};
pub use merge::merge_shards;
pub use outputs::RunRecord;
pub use runner::{MethodFactory, Progress, RunOptions, StudyOutcome, run_study};
pub use shard::Shard;
pub use spec::StudySpec;
