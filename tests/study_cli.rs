//! `curvlab study` / `curvlab merge` through the binary: one-line errors with file and line and
//! exit status 2 for malformed study files, and a study killed with SIGKILL mid-run that
//! resumes to exactly the rows of an uninterrupted run.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_curvlab");

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const BASE: &str = "name = \"b\"\nseeds = [0]\n[[problems]]\nkind = \"quadratic\"\ndim = 4\n[[methods]]\nkind = \"gd\"\n";

#[test]
fn malformed_study_files_give_one_line_with_file_and_line_and_status_2() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown-method",
            BASE.replace("kind = \"gd\"", "kind = \"no-such-method\""),
            7,
            "unknown method",
        ),
        (
            "wrong-type",
            BASE.replace("dim = 4", "dim = \"four\""),
            5,
            "`dim`",
        ),
        (
            "negative-dim",
            BASE.replace("dim = 4", "dim = -3"),
            5,
            "`dim`",
        ),
        (
            "unknown-key",
            BASE.replace("seeds = [0]", "seeds = [0]\nrepeats = 3"),
            3,
            "unknown field `repeats`",
        ),
        (
            "unknown-param",
            BASE.replace("dim = 4", "dim = 4\nkappa = 10"),
            6,
            "unknown parameter `kappa`",
        ),
        ("not-toml", BASE.replace("dim = 4", "dim = = 4"), 5, ""),
    ];
    for (name, src, line, what) in cases {
        let file = write(d.path(), &format!("{name}.toml"), &src);
        let out = Command::new(BIN)
            .args(["study", file.to_str().unwrap(), "--out"])
            .arg(d.path().join(format!("out-{name}")))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        let prefix = format!("error: {}:{line}: ", file.display());
        assert!(
            err.starts_with(&prefix),
            "{name}: expected {prefix:?}, got {err}"
        );
        assert!(err.contains(what), "{name}: {err}");
        // Validation happens before any output is written.
        assert!(
            !d.path().join(format!("out-{name}")).join("runs").exists(),
            "{name}"
        );
    }
}

/// A study long enough to be killed mid-way at `--jobs 1`: 3 × 16 runs of GD on quadratics.
const LONG: &str = r#"
name = "long"
seeds = [0, 1, 2, 3]
[stop]
grad_tol = 1e-8
max_iters = 20000
[[problems]]
kind = "quadratic"
dim = 60
condition = [300, 1000, 3000, 10000]
[[methods]]
kind = "gd"
lr = "optimal"
"#;

fn untimed_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let s = h.iter().position(|c| c == "seconds").unwrap();
    r.records()
        .map(|x| {
            let mut v: Vec<String> = x.unwrap().iter().map(String::from).collect();
            v.remove(s);
            v
        })
        .collect()
}

#[test]
fn sigkilled_study_resumes_to_the_uninterrupted_rows() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "long.toml", LONG);
    let full = d.path().join("full");
    let st = Command::new(BIN)
        .args([
            "study",
            file.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(&full)
        .status()
        .unwrap();
    assert!(st.success());
    let total = untimed_rows(&full.join("runs.csv")).len();
    assert_eq!(total, 16);

    let cut = d.path().join("cut");
    let mut child = Command::new(BIN)
        .args([
            "study",
            file.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(&cut)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runs = cut.join("runs");
    let count = || {
        std::fs::read_dir(&runs)
            .map(|e| {
                e.filter_map(|x| x.ok())
                    .filter(|x| x.path().extension().is_some_and(|e| e == "json"))
                    .count()
            })
            .unwrap_or(0)
    };
    while count() == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the study ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = count();
    assert!(
        done >= 1 && done < total,
        "killed after {done} of {total} runs"
    );
    assert!(!cut.join("runs.csv").exists());

    // Without --resume the folder is refused; with it, only the missing runs run.
    let refused = Command::new(BIN)
        .args(["study", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let resumed = Command::new(BIN)
        .args([
            "study",
            file.to_str().unwrap(),
            "--resume",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        err.contains(&format!(
            "({} run now, {done} already finished)",
            total - done
        )),
        "{err}"
    );
    assert_eq!(
        untimed_rows(&full.join("runs.csv")),
        untimed_rows(&cut.join("runs.csv"))
    );
}

#[test]
fn cli_shards_merge_to_the_unsharded_rows() {
    let d = tempfile::tempdir().unwrap();
    let file = write(
        d.path(),
        "long.toml",
        &LONG.replace("max_iters = 20000", "max_iters = 200"),
    );
    let run = |extra: &[&str], out: &Path| {
        let st = Command::new(BIN)
            .args(["study", file.to_str().unwrap(), "--quiet"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .status()
            .unwrap();
        assert!(st.success());
    };
    run(&[], &d.path().join("all"));
    run(&["--shard", "0/2"], &d.path().join("s0"));
    run(&["--shard", "1/2"], &d.path().join("s1"));
    let st = Command::new(BIN)
        .arg("merge")
        .arg(d.path().join("s0"))
        .arg(d.path().join("s1"))
        .arg("--out")
        .arg(d.path().join("merged"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let a = untimed_rows(&d.path().join("all/runs.csv"));
    assert_eq!(a.len(), 16);
    assert_eq!(a, untimed_rows(&d.path().join("merged/runs.csv")));
    let s0 = untimed_rows(&d.path().join("s0/runs.csv")).len();
    assert_eq!(s0 + untimed_rows(&d.path().join("s1/runs.csv")).len(), 16);
    // Round-robin over the run-id order: shard 0 of 2 gets positions 0, 2, …, 14.
    assert_eq!(s0, 8);
}
