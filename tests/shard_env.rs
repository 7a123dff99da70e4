//! The shard index from the scheduler's environment (`src/study/shard.rs`): the binary run with a
//! Slurm array task's, a Kubernetes Indexed Job's or an HTCondor job's settings does exactly the
//! runs of its round-robin slice (recomputed here from the plan's sorted run ids), the slices of
//! every task cover the study once, arrays split at `MaxArraySize` with `CURVLAB_SHARD_OFFSET`
//! cover it the same way, and inconsistent settings are refused with exit status 2 before any
//! run starts.

use curvlab::study::shard::{Shard, ShardSource};
use curvlab::study::{Plan, StudySpec};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_curvlab");

/// 3 instances x 2 methods x 2 seeds = 12 short runs.
const STUDY: &str = "name = \"env\"\nseeds = [0, 1]\n[stop]\ngrad_tol = 1e-6\nmax_iters = 500\n\
[[problems]]\nkind = \"quadratic\"\ndim = 4\ncondition = [10, 100, 1000]\n\
[[methods]]\nkind = \"gd\"\nlr = \"optimal\"\n[[methods]]\nkind = \"newton\"\n";

/// Every variable the binary reads, removed before each run so that a CI job that itself runs
/// inside a Slurm array or Kubernetes pod does not leak into the test.
const VARS: [&str; 7] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "JOB_COMPLETION_INDEX",
    "CURVLAB_SHARD_COUNT",
    "CURVLAB_SHARD_OFFSET",
];

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    study: PathBuf,
    /// The plan's run ids in ascending order (the sharding order).
    ids: Vec<String>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let study = root.join("env.toml");
    std::fs::write(&study, STUDY).unwrap();
    let plan = Plan::new(&StudySpec::parse(&study, STUDY).unwrap());
    let ids: BTreeSet<String> = plan.runs.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 12);
    Fixture {
        _dir: dir,
        root,
        study,
        ids: ids.into_iter().collect(),
    }
}

impl Fixture {
    /// Slice `i/n` recomputed from the sorted ids (independent of `Shard::select`).
    fn slice(&self, i: usize, n: usize) -> BTreeSet<String> {
        (i..self.ids.len())
            .step_by(n)
            .map(|k| self.ids[k].clone())
            .collect()
    }

    /// Runs `curvlab study` into `out` with `args` and exactly the variables `env`; returns the
    /// exit status and stderr.
    fn run(&self, out: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let mut cmd = Command::new(BIN);
        cmd.arg("study")
            .arg(&self.study)
            .args(["--jobs", "1", "--out"])
            .arg(self.root.join(out))
            .args(args);
        for v in VARS {
            cmd.env_remove(v);
        }
        cmd.envs(env.iter().copied());
        let o = cmd.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// The run ids whose records `out` holds.
    fn done(&self, out: &str) -> BTreeSet<String> {
        let runs = self.root.join(out).join("runs");
        let Ok(entries) = std::fs::read_dir(&runs) else {
            return BTreeSet::new();
        };
        entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .collect()
    }

    fn shard_txt(&self, out: &str) -> String {
        std::fs::read_to_string(self.root.join(out).join("shard.txt")).unwrap()
    }
}

fn assert_cover_once(f: &Fixture, outs: &[String]) {
    let mut all = BTreeSet::new();
    let mut total = 0;
    for o in outs {
        let d = f.done(o);
        total += d.len();
        all.extend(d);
    }
    assert_eq!(total, f.ids.len(), "a run done twice or missing");
    assert_eq!(all, f.ids.iter().cloned().collect::<BTreeSet<_>>());
}

#[test]
fn slurm_array_tasks_from_the_environment_run_their_slice_and_cover_the_study_once() {
    let f = fixture();
    let mut outs = Vec::new();
    for id in 0..4 {
        let out = format!("shard-{id}");
        let id_s = id.to_string();
        let env = [
            ("SLURM_ARRAY_TASK_ID", id_s.as_str()),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ];
        let (code, err) = f.run(&out, &[], &env);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains(&format!("shard {id}/4 from SLURM_ARRAY_TASK_ID")),
            "{err}"
        );
        assert_eq!(f.done(&out), f.slice(id, 4), "task {id}");
        assert_eq!(f.shard_txt(&out), format!("{id}/4\n"));
        outs.push(out);
    }
    assert_cover_once(&f, &outs);
}

#[test]
fn arrays_split_at_max_array_size_with_an_offset_cover_the_study_like_one_array() {
    // MaxArraySize = 3 and 4 shards: array 0-2 (offset 0) and array 0-0 (offset 3), both with
    // CURVLAB_SHARD_COUNT=4, as studies/sbatch_array.sh --submit submits them.
    let f = fixture();
    let mut outs = Vec::new();
    for (offset, tasks) in [(0usize, 3usize), (3, 1)] {
        for id in 0..tasks {
            let out = format!("shard-{}", id + offset);
            let (id_s, off_s, n_s) = (id.to_string(), offset.to_string(), tasks.to_string());
            let max_s = (tasks - 1).to_string();
            let env = [
                ("SLURM_ARRAY_TASK_ID", id_s.as_str()),
                ("SLURM_ARRAY_TASK_COUNT", n_s.as_str()),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", max_s.as_str()),
                ("CURVLAB_SHARD_COUNT", "4"),
                ("CURVLAB_SHARD_OFFSET", off_s.as_str()),
            ];
            let (code, err) = f.run(&out, &["--quiet"], &env);
            assert_eq!(code, 0, "{err}");
            assert_eq!(
                f.done(&out),
                f.slice(id + offset, 4),
                "shard {}",
                id + offset
            );
            outs.push(out);
        }
    }
    assert_cover_once(&f, &outs);
}

#[test]
fn a_task_resubmitted_alone_takes_the_count_from_curvlab_shard_count_and_resumes() {
    let f = fixture();
    // `sbatch --array=2`: Slurm reports MIN = MAX = 2 and a count of 1.
    let alone = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "1"),
        ("SLURM_ARRAY_TASK_MIN", "2"),
        ("SLURM_ARRAY_TASK_MAX", "2"),
    ];
    let (code, err) = f.run("shard-2", &["--resume"], &alone);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("CURVLAB_SHARD_COUNT"), "{err}");
    assert!(f.done("shard-2").is_empty());
    let mut with_count = alone.to_vec();
    with_count.push(("CURVLAB_SHARD_COUNT", "4"));
    let (code, err) = f.run("shard-2", &["--resume"], &with_count);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f.done("shard-2"), f.slice(2, 4));
    // Again: every run of the slice is already finished (3 of 12 ids: 2, 6, 10).
    let (code, err) = f.run("shard-2", &["--resume"], &with_count);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 runs (0 run now, 3 already finished)"),
        "{err}"
    );
}

#[test]
fn a_kubernetes_indexed_job_needs_the_count_and_then_runs_its_slice() {
    let f = fixture();
    let (code, err) = f.run("k-1", &[], &[("JOB_COMPLETION_INDEX", "1")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("CURVLAB_SHARD_COUNT"), "{err}");
    let mut outs = Vec::new();
    for i in 0..3 {
        let out = format!("k{i}");
        let i_s = i.to_string();
        let env = [
            ("JOB_COMPLETION_INDEX", i_s.as_str()),
            ("CURVLAB_SHARD_COUNT", "3"),
        ];
        let (code, err) = f.run(&out, &[], &env);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains(&format!("shard {i}/3 from JOB_COMPLETION_INDEX")),
            "{err}"
        );
        assert_eq!(f.done(&out), f.slice(i, 3));
        outs.push(out);
    }
    assert_cover_once(&f, &outs);
}

#[test]
fn the_flag_wins_over_the_environment_as_htcondor_passes_its_process_number() {
    // HTCondor: `arguments = study s.toml --shard $(Process)/3`, here with Process = 2, inside a
    // (stale) Slurm environment that says 0/2.
    let f = fixture();
    let env = [
        ("SLURM_ARRAY_TASK_ID", "0"),
        ("SLURM_ARRAY_TASK_COUNT", "2"),
    ];
    let (code, err) = f.run("condor-2", &["--shard", "2/3"], &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f.done("condor-2"), f.slice(2, 3));
    // --shard 0/1 is the whole study.
    let (code, err) = f.run("whole", &["--shard", "0/1"], &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f.done("whole").len(), 12);
    // No variable at all: the whole study, no shard line.
    let (code, err) = f.run("plain", &[], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("shard "), "{err}");
    assert_eq!(f.done("plain").len(), 12);
}

#[test]
fn inconsistent_environments_are_refused_with_status_2_before_any_run() {
    let f = fixture();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID",
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "below the shard count",
        ),
        (&[("SLURM_ARRAY_TASK_ID", "0")], "SLURM_ARRAY_TASK_COUNT"),
        // --array=0-6:2 (a step): count 4, span 7.
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
            ],
            "step 1",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "0"), ("CURVLAB_SHARD_COUNT", "0")],
            "CURVLAB_SHARD_COUNT",
        ),
        (
            &[
                ("JOB_COMPLETION_INDEX", "1"),
                ("CURVLAB_SHARD_COUNT", "2"),
                ("CURVLAB_SHARD_OFFSET", "1"),
            ],
            "below the shard count",
        ),
        (&[("CURVLAB_SHARD_COUNT", "3")], "--shard"),
    ];
    for (k, (env, needle)) in cases.iter().enumerate() {
        let out = format!("bad{k}");
        let (code, err) = f.run(&out, &[], env);
        assert_eq!(code, 2, "case {k}: {err}");
        assert_eq!(err.lines().count(), 1, "case {k}: one line: {err}");
        assert!(err.contains(needle), "case {k}: {err}");
        assert!(!f.root.join(&out).exists(), "case {k}: wrote {out}");
    }
}

#[test]
fn resolve_reads_the_slurm_count_from_max_when_count_is_absent_and_ignores_empty_values() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let max_only = env(&[("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MAX", "7")]);
    assert_eq!(
        Shard::resolve_with(None, max_only).unwrap(),
        Some((Shard { index: 5, count: 8 }, ShardSource::Slurm))
    );
    // `SLURM_ARRAY_TASK_ID= curvlab study ...` is no shard at all.
    let empty = env(&[("SLURM_ARRAY_TASK_ID", ""), ("CURVLAB_SHARD_COUNT", " ")]);
    assert_eq!(Shard::resolve_with(None, empty).unwrap(), None);
    // Slurm is read before Kubernetes when both are set.
    let both = env(&[
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("JOB_COMPLETION_INDEX", "0"),
        ("CURVLAB_SHARD_COUNT", "2"),
    ]);
    assert_eq!(
        Shard::resolve_with(None, both)
            .unwrap()
            .map(|(s, src)| (s.index, src)),
        Some((1, ShardSource::Slurm))
    );
}
