//! Issue 15, section 4 (fault tests for studies), on the built binary: a study SIGKILLed five
//! times at seeded moments and resumed each time ends with the outputs of an uninterrupted run;
//! `--jobs 1`, `--jobs 2` and three shards merged give identical numbers. "Identical" is
//! byte-for-byte after removing the wall-clock fields: the `seconds` column of `runs.csv` and of
//! every trace, and the `seconds` and `trace_fnv` (a hash of the trace, seconds included) keys of
//! every record and of `spectra.json`. Everything else — iterates, values, gradient norms,
//! evaluation counts, terminations, the final `x` — must match exactly.
//!
//! Already elsewhere: one SIGKILL and `--resume` comparing `runs.csv` (tests/study_cli.rs),
//! merged shards' `spectra.json` against an unsharded run (tests/faults.rs), shards from
//! scheduler environments covering the study once (tests/shard_env.rs).

use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_curvlab");

/// 24 runs (4 quadratics × gd, AdaHessian — seeded Hutchinson probes — and L-BFGS × 2 seeds),
/// about 1.7 s at `--jobs 1` on the 2-core test machine (measured).
const STUDY: &str = r#"
name = "kill"
seeds = [0, 1]
[stop]
grad_tol = 1e-6
max_iters = 4000
[[problems]]
kind = "quadratic"
dim = 60
condition = [300, 1000, 3000, 10000]
[[methods]]
kind = "gd"
lr = "optimal"
[[methods]]
kind = "adahessian"
lr = 0.05
[[methods]]
kind = "lbfgs"
"#;
const TOTAL: usize = 24;

fn study(file: &Path, out: &Path, args: &[&str]) -> (bool, String) {
    let r = Command::new(BIN)
        .arg("study")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (
        r.status.success(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

fn records(out: &Path) -> usize {
    std::fs::read_dir(out.join("runs")).map_or(0, |e| {
        e.flatten()
            .filter(|e| {
                let p = e.path();
                p.extension().is_some_and(|x| x == "json")
                    && !p.file_name().unwrap().to_string_lossy().starts_with('.')
            })
            .count()
    })
}

/// A CSV file without its `seconds` column.
fn untimed_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let s = h.iter().position(|c| c == "seconds");
    let mut rows = vec![h];
    rows.extend(
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect::<Vec<_>>()),
    );
    for row in &mut rows {
        if let Some(s) = s {
            row.remove(s);
        }
    }
    rows
}

fn untimed_json(path: &Path) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("seconds");
                m.remove("trace_fnv");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    strip(&mut v);
    v
}

/// Everything a study leaves that is not a wall time: runs.csv, every record, every trace
/// (keyed by file name), and `spectra.json` when present.
#[derive(Debug, PartialEq)]
struct Outputs {
    runs_csv: Vec<Vec<String>>,
    records: BTreeMap<String, serde_json::Value>,
    traces: BTreeMap<String, Vec<Vec<String>>>,
    spectra: Option<serde_json::Value>,
}

fn outputs(out: &Path) -> Outputs {
    let files = |dir: &str, ext: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(out.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        v.sort();
        v
    };
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let spectra = out.join("spectra.json");
    Outputs {
        runs_csv: untimed_csv(&out.join("runs.csv")),
        records: files("runs", "json")
            .iter()
            .map(|p| (name(p), untimed_json(p)))
            .collect(),
        traces: files("traces", "csv")
            .iter()
            .map(|p| (name(p), untimed_csv(p)))
            .collect(),
        spectra: spectra.exists().then(|| untimed_json(&spectra)),
    }
}

/// No temporary file, no lock: only the outputs.
fn assert_clean(out: &Path) {
    for dir in [out.to_path_buf(), out.join("runs"), out.join("traces")] {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(
                !n.starts_with('.'),
                "left behind: {}",
                dir.join(n).display()
            );
        }
    }
}

#[test]
fn five_seeded_sigkills_then_resume_equal_an_uninterrupted_run() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("kill.toml");
    std::fs::write(&file, STUDY).unwrap();
    let reference = d.path().join("reference");
    let (ok, err) = study(&file, &reference, &["--quiet", "--jobs", "1"]);
    assert!(ok, "{err}");
    let want = outputs(&reference);
    assert_eq!(want.records.len(), TOTAL);
    assert_eq!(want.traces.len(), TOTAL);

    // Kill moments: after a seeded number of finished runs (5 distinct counts in 1..TOTAL, so
    // every kill lands inside the study whatever the machine's speed), plus a seeded delay of
    // 0-40 ms so that the kill falls at an arbitrary point of the next run or of its writes.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
    let mut targets: Vec<usize> = Vec::new();
    while targets.len() < 5 {
        let t = rng.random_range(1..TOTAL - 4);
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    targets.sort_unstable();
    let cut = d.path().join("cut");
    let mut killed_at = Vec::new();
    for (i, &target) in targets.iter().enumerate() {
        let jobs = if i % 2 == 0 { "1" } else { "2" };
        let mut cmd = Command::new(BIN);
        cmd.arg("study").arg(&file).arg("--out").arg(&cut);
        cmd.args(["--quiet", "--jobs", jobs]);
        if i > 0 {
            cmd.arg("--resume");
        }
        let mut child = cmd.stderr(Stdio::null()).spawn().unwrap();
        while records(&cut) < target && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(rng.random_range(0..40)));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(!finished, "kill {i} came after the study ended");
        killed_at.push(records(&cut));
        // A killed study leaves its lock behind (its pid is now dead).
        assert!(cut.join(curvlab::study::lock::LOCK_FILE).exists());
    }
    eprintln!("kill targets {targets:?}, records at the kills {killed_at:?}");
    assert!(
        killed_at.iter().zip(&targets).all(|(k, t)| k >= t) && *killed_at.last().unwrap() < TOTAL,
        "{killed_at:?}"
    );
    assert!(!cut.join("runs.csv").exists(), "never finished");

    let (ok, err) = study(&file, &cut, &["--resume", "--jobs", "2"]);
    assert!(ok, "{err}");
    // Records are renamed into place whole, after their trace: the runs with a record are
    // exactly the runs the resume skips.
    let done = *killed_at.last().unwrap();
    assert!(
        err.contains(&format!(
            "study `kill`: {TOTAL} runs ({} run now, {done} already finished)",
            TOTAL - done
        )),
        "{err}"
    );
    let lock = cut.join(curvlab::study::lock::LOCK_FILE);
    assert!(
        err.contains(&format!(
            "note: taking over the stale lock {}",
            lock.display()
        )),
        "{err}"
    );
    assert_eq!(outputs(&cut), want, "killed 5 times at {killed_at:?}");
    assert_clean(&cut);
}

#[test]
fn jobs_1_jobs_2_and_three_merged_shards_give_identical_outputs() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("kill.toml");
    std::fs::write(&file, STUDY).unwrap();
    let one = d.path().join("one");
    let two = d.path().join("two");
    assert!(study(&file, &one, &["--quiet", "--jobs", "1"]).0);
    assert!(study(&file, &two, &["--quiet", "--jobs", "2"]).0);
    let want = outputs(&one);
    assert_eq!(want.records.len(), TOTAL);
    assert!(want.spectra.is_some());
    assert_eq!(outputs(&two), want, "--jobs 2 vs --jobs 1");

    let shards: Vec<PathBuf> = (0..3).map(|i| d.path().join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        let (ok, err) = study(
            &file,
            s,
            &["--quiet", "--jobs", "2", "--shard", &format!("{i}/3")],
        );
        assert!(ok, "{err}");
        assert!(records(s) < TOTAL && records(s) > 0);
    }
    let merged = d.path().join("merged");
    let r = Command::new(BIN)
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(outputs(&merged), want, "3 shards merged vs unsharded");
    for o in [&one, &two, &merged] {
        assert_clean(o);
    }
}
