//! Issue 15, section 3 ("hostile inputs, enumerated") and the "found already" paragraph: every
//! hostile input is a case with the exact error text it expects. Cases are listed in tables
//! (`const ..._CASES`) so that docs/hostile.md counts them from this file. The CLI runs in
//! process (`curvlab::cli::main_to`) with `--max-memory 4GiB`, so no expected text depends on
//! the machine's memory; the few cases whose message goes to the process's own stderr (the
//! stale-lock note, the corrupted-record warning) run the built binary.
//!
//! Covered elsewhere and not repeated here: Matrix Market headers declaring terabytes and every
//! other memory refusal (tests/memory.rs), read-only output folders and an output below a regular
//! file (tests/faults.rs), tampered traces on `--resume` (tests/faults.rs), fuzzed parsers
//! (tests/fuzz_regressions.rs), SIGKILL + `--resume` (tests/kill_resume.rs).

use curvlab::cli::main_to;
use curvlab::cli::study::cap_jobs;
use curvlab::problems::data::Dataset;
use curvlab::problems::logistic::LogisticRegression;
use curvlab::study::expand::{check_run_count, count_runs};
use curvlab::study::lock::{LOCK_FILE, StudyLock};
use curvlab::study::{Plan, StudySpec};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_curvlab");

/// `curvlab --max-memory 4GiB ARGS...` in process: (exit status, stderr).
fn cli(args: &[&str]) -> (i32, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut all = vec!["curvlab", "--max-memory", "4GiB"];
    all.extend_from_slice(args);
    let code = main_to(all, &mut out, &mut err);
    (code, String::from_utf8_lossy(&err).into_owned())
}

/// Exit status 2 and exactly the line `error: {expected}` on stderr.
fn assert_refused(args: &[&str], expected: &str) {
    let (code, err) = cli(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(err, format!("error: {expected}\n"), "{args:?}");
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// 8 runs: a 300-dimensional quadratic and a ravine, two methods, two seeds.
const TINY: &str = "name = 'tiny'\nseeds = [0, 1]\n[stop]\nmax_iters = 50\n\
[[problems]]\nkind = 'quadratic'\ndim = 300\ncondition = 1000\n\
[[problems]]\nkind = 'ravine'\n\
[[methods]]\nkind = 'gd'\nlr = 'optimal'\n[[methods]]\nkind = 'lbfgs'\n";

fn records(out: &Path) -> usize {
    std::fs::read_dir(out.join("runs")).map_or(0, |e| {
        e.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    })
}

// ---- 1. --jobs 100000 ------------------------------------------------------------------------

#[test]
fn jobs_cap_is_the_minimum_of_request_cores_and_runs() {
    // (requested, cores, runs left) -> pool size, by the rule min(requested, cores, runs), >= 1.
    let cases: &[(Option<usize>, usize, usize, usize)] = &[
        (Some(100_000), 2, 8, 2),
        (Some(100_000), 64, 8, 8),
        (Some(1), 2, 8, 1),
        (Some(2), 2, 8, 2),
        (Some(4), 2, 0, 1),
        (None, 2, 8, 2),
        (None, 16, 3, 3),
        (Some(usize::MAX), 1, 1, 1),
    ];
    for &(req, cores, runs, want) in cases {
        assert_eq!(cap_jobs(req, cores, runs).0, want, "{req:?} {cores} {runs}");
    }
    assert_eq!(
        cap_jobs(Some(100_000), 2, 8).1.as_deref(),
        Some("--jobs 100000 capped at 2 (2 cores, 8 runs)")
    );
    assert_eq!(
        cap_jobs(Some(3), 1, 1).1.as_deref(),
        Some("--jobs 3 capped at 1 (1 core, 1 run)")
    );
    assert_eq!(
        cap_jobs(Some(2), 4, 8).1,
        None,
        "a request within the cap is kept silently"
    );
    assert_eq!(cap_jobs(None, 4, 8).1, None, "the default is not announced");
}

#[test]
fn study_with_jobs_100000_says_the_cap_once_and_finishes() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("out");
    let (code, err) = cli(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "100000",
    ]);
    assert_eq!(code, 0, "{err}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.min(8);
    let s = if cores == 1 { "" } else { "s" };
    assert_eq!(
        err,
        format!("note: --jobs 100000 capped at {cap} ({cores} core{s}, 8 runs)\n")
    );
    assert_eq!(records(&out), 8);
    // Resuming a finished study: 0 runs left, the pool is 1 thread.
    let (code, err) = cli(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--resume",
        "--jobs",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!("note: --jobs 3 capped at 1 ({cores} core{s}, 0 runs)\n")
    );
}

// ---- 2. data: classes, labels, rows, cells ---------------------------------------------------

/// (file name, contents, expected error after `error: <path>`).
const DATA_CASES: &[(&str, &str, &str)] = &[
    (
        "one1.csv",
        "a,b,y\n1,2,1\n3,4,1\n5,6,1\n",
        "invalid parameter `data` = {path}: logistic regression needs samples of at least 2 classes \
         in the data, but the data contains only one class: 1 (3 examples labelled 1, none labelled \
         0); its unregularised bias has no minimiser",
    ),
    (
        "one0.csv",
        "a,b,y\n1,2,0\n",
        "invalid parameter `data` = {path}: logistic regression needs samples of at least 2 classes \
         in the data, but the data contains only one class: 0 (1 example labelled 0, none labelled \
         1); its unregularised bias has no minimiser",
    ),
    (
        "label2.csv",
        "a,b,y\n1,2,0\n3,4,2\n",
        "{path}:3: logistic regression needs labels 0 or 1, found 2",
    ),
    (
        "label-1.csv",
        "a,b,y\n1,2,0\n3,4,-1\n",
        "{path}:3: logistic regression needs labels 0 or 1, found -1",
    ),
    (
        "label-half.csv",
        "a,b,y\n1,2,0\n3,4,0.5\n",
        "{path}:3: logistic regression needs labels 0 or 1, found 0.5",
    ),
    (
        "zero-rows.csv",
        "a,b,y\n",
        "{path}:1: no data rows after the header",
    ),
    (
        "empty.csv",
        "",
        "{path}:1: empty file: expected a header row naming the feature columns and the label",
    ),
    (
        "short-row.csv",
        "a,b,y\n1,2,0\n3,1\n",
        "{path}:3: ragged row: 2 columns, but the header has 3",
    ),
    (
        "long-row.csv",
        "a,b,y\n1,2,0\n3,4,5,1\n",
        "{path}:3: ragged row: 4 columns, but the header has 3",
    ),
    (
        "text-cell.csv",
        "a,b,y\n1,x,0\n3,4,1\n",
        "{path}:2: column 2 (`b`): `x` is not a number",
    ),
    (
        "nan.csv",
        "a,b,y\n1,NaN,0\n3,4,1\n",
        "{path}:2: column 2 (`b`): `NaN` is not finite",
    ),
    (
        "inf.csv",
        "a,b,y\n1,inf,0\n3,4,1\n",
        "{path}:2: column 2 (`b`): `inf` is not finite",
    ),
    (
        "minus-inf.csv",
        "a,b,y\n-inf,2,0\n3,4,1\n",
        "{path}:2: column 1 (`a`): `-inf` is not finite",
    ),
    (
        "overflow.csv",
        "a,b,y\n1,1e999,0\n3,4,1\n",
        "{path}:2: column 2 (`b`): `1e999` is not finite",
    ),
    (
        "nan-label.csv",
        "a,b,y\n1,2,0\n3,4,NaN\n",
        "{path}:3: column 3 (`y`): `NaN` is not finite",
    ),
];

#[test]
fn hostile_csv_data_gets_the_exact_error() {
    let d = tempfile::tempdir().unwrap();
    for (name, text, expected) in DATA_CASES {
        let path = write(d.path(), name, text);
        let p = path.to_str().unwrap();
        let args = [
            "run",
            "--problem",
            "logistic",
            "--method",
            "gd",
            "--method-opt",
            "lr=0.1",
            "--data",
            p,
        ];
        assert_refused(&args, &expected.replace("{path}", p));
    }
}

#[test]
fn one_class_data_is_refused_by_the_library_and_a_study_names_the_line() {
    // In memory: both one-class cases, and a two-class set that is accepted.
    let x = faer::mat![[1.0], [2.0], [3.0]];
    for (y, class, other) in [([1.0; 3], 1, 0), ([0.0; 3], 0, 1)] {
        let d = Dataset::new(x.clone(), y.to_vec(), None).unwrap();
        let e = LogisticRegression::new(d).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "invalid parameter `data` = (in memory): logistic regression needs samples of at \
                 least 2 classes in the data, but the data contains only one class: {class} (3 \
                 examples labelled {class}, none labelled {other}); its unregularised bias has no \
                 minimiser"
            )
        );
    }
    let ok = Dataset::new(x, vec![0.0, 1.0, 1.0], None).unwrap();
    assert!(LogisticRegression::new(ok).is_ok());
    // Synthetic data with one example has one class.
    let e = LogisticRegression::synthetic(1, 3, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("contains only one class"), "{e}");

    // In a study: the error names the study file and the line of `data`.
    let d = tempfile::tempdir().unwrap();
    let csv = write(d.path(), "one.csv", "a,y\n1,1\n2,1\n");
    let study = format!(
        "name = 'one'\n[[problems]]\nkind = 'logistic'\ndata = {:?}\n[[methods]]\nkind = 'gd'\nlr = 0.1\n",
        csv.to_str().unwrap()
    );
    let file = write(d.path(), "one.toml", &study);
    let out = d.path().join("out");
    let (code, err) = cli(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 2, "{err}");
    let prefix = format!("error: {}:4: ", file.display());
    assert!(err.starts_with(&prefix), "{err}");
    assert!(
        err.contains("contains only one class: 1 (2 examples labelled 1, none labelled 0)"),
        "{err}"
    );
    assert!(!out.join("runs").exists(), "refused before any output");
}

// ---- 3. names that leave the output folder ---------------------------------------------------

const LEAVE: &str = "would leave the output folder results/ (it names results/<name>/): no '/', \
                     '\\' or '..'; use letters, digits, '-', '_' or '.'";
const CHARS: &str = "use letters, digits, '-', '_' or '.', not starting with '.' (it names the \
                     output folder)";

/// (name as written in TOML, the message after `` `name` = "<name>" ``).
const NAME_CASES: &[(&str, &str)] = &[
    ("../x", LEAVE),
    ("/etc/x", LEAVE),
    ("a/b", LEAVE),
    ("a\\\\b", LEAVE),
    ("x/../../y", LEAVE),
    ("..", LEAVE),
    ("a..b", LEAVE),
    ("C:\\\\x", LEAVE),
    (".", CHARS),
    (".hidden", CHARS),
    ("", CHARS),
    ("a b", CHARS),
    ("name\\u0000", CHARS),
    ("résumé", CHARS),
];

#[test]
fn study_names_that_leave_the_output_folder_are_refused_with_the_line() {
    let d = tempfile::tempdir().unwrap();
    for (name, why) in NAME_CASES {
        let src = format!(
            "# a study\n\nname = \"{name}\"\n[[problems]]\nkind = 'ravine'\n[[methods]]\nkind = 'gd'\nlr = 0.01\n"
        );
        let file = write(d.path(), "n.toml", &src);
        let e = StudySpec::read(&file).unwrap_err();
        assert!(e.is_bad_input());
        // The name as the file spells it, decoded by TOML, then shown with Rust's {:?}.
        let decoded: String =
            toml::from_str::<toml::Table>(&format!("n = \"{name}\"")).unwrap()["n"]
                .as_str()
                .unwrap()
                .to_string();
        let sep = if *why == LEAVE { " " } else { ": " };
        assert_eq!(
            e.to_string(),
            format!("{}:3: `name` = {decoded:?}{sep}{why}", file.display()),
            "{name}"
        );
        // The CLI refuses it before creating anything.
        let (code, err) = cli(&["study", file.to_str().unwrap(), "--quiet"]);
        assert_eq!((code, err), (2, format!("error: {e}\n")));
    }
    assert!(!Path::new("results/x").exists() && !Path::new("/etc/x").exists());
}

#[test]
fn an_explicit_absolute_out_is_the_users_choice_and_is_honoured() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    // Absolute, and through `..`: the folder the path names is used as given.
    let out = d.path().join("a").join("..").join("b");
    assert!(out.is_absolute());
    let (code, err) = cli(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&d.path().join("b")), 8);
}

// ---- 4. sweeps that expand to millions of runs -----------------------------------------------

/// A study whose problem table has `k` axes of `len` values each (values 1..=len).
fn sweep(k: usize, len: usize, seeds: usize) -> String {
    let axis: Vec<String> = (1..=len).map(|v| v.to_string()).collect();
    let axis = axis.join(", ");
    let mut s = format!(
        "name = 'big'\nseeds = [{}]\n[[problems]]\nkind = 'mgh'\n",
        {
            let v: Vec<String> = (0..seeds).map(|s| s.to_string()).collect();
            v.join(", ")
        }
    );
    for i in 0..k {
        s.push_str(&format!("p{i} = [{axis}]\n"));
    }
    s.push_str("[[methods]]\nkind = 'gd'\nlr = [0.1, 0.01]\n");
    s
}

#[test]
fn run_count_is_the_product_of_axis_lengths_without_expanding() {
    // Against the materialised plan on small studies.
    for (k, len, seeds) in [(1, 3, 1), (2, 4, 3), (3, 2, 2), (0, 1, 5)] {
        let s = StudySpec::parse(Path::new("s.toml"), &sweep(k, len, seeds)).unwrap();
        assert_eq!(
            count_runs(&s),
            Plan::new(&s).runs.len() as u64,
            "{k} axes of {len}"
        );
        assert_eq!(count_runs(&s), (len.pow(k as u32) * 2 * seeds) as u64);
    }
    // 2^80 runs: saturates at u64::MAX instead of overflowing; returns at once because nothing
    // is materialised (2^80 instances would not fit in any memory).
    let s = StudySpec::parse(Path::new("s.toml"), &sweep(80, 2, 1)).unwrap();
    assert_eq!(count_runs(&s), u64::MAX);
    let e = check_run_count(&s, 100_000).unwrap_err().to_string();
    assert_eq!(
        e,
        "s.toml:5: the study expands to 18446744073709551615 or more runs \
         (18446744073709551615 or more problem instances x 2 method instances x 1 seeds), more \
         than the limit of 100000; shorten the sweep axes"
    );
}

#[test]
fn a_sweep_of_millions_of_runs_is_refused_before_any_work() {
    let d = tempfile::tempdir().unwrap();
    // 10 axes of 4 values: 4^10 = 1,048,576 problem instances x 2 methods x 3 seeds.
    let file = write(d.path(), "big.toml", &sweep(10, 4, 3));
    let out = d.path().join("out");
    let expected = format!(
        "{}:5: the study expands to 6291456 runs (1048576 problem instances x 2 method \
         instances x 3 seeds), more than the limit of 100000; shorten the sweep axes, or pass \
         --max-runs 6291456 to run them all",
        file.display()
    );
    let f = file.to_str().unwrap();
    let o = out.to_str().unwrap();
    assert_refused(&["study", f, "--out", o, "--quiet"], &expected);
    assert!(!out.exists(), "nothing was created");
    // A lower explicit cap refuses a small study; the exact count passes the cap.
    let tiny = write(d.path(), "tiny.toml", TINY);
    let t = tiny.to_str().unwrap();
    assert_refused(
        &["study", t, "--out", o, "--quiet", "--max-runs", "7"],
        &format!(
            "{}:6: the study expands to 8 runs (2 problem instances x 2 method instances x 2 \
             seeds), more than the limit of 7; shorten the sweep axes, or pass --max-runs 8 to \
             run them all",
            tiny.display()
        ),
    );
    assert_refused(
        &["study", t, "--out", o, "--max-runs", "0"],
        "invalid parameter `--max-runs` = 0: must be >= 1",
    );
    let (code, err) = cli(&[
        "study",
        t,
        "--out",
        o,
        "--quiet",
        "--max-runs",
        "8",
        "--jobs",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&out), 8);
}

// ---- 5. dimensions 0 and 10^9 ----------------------------------------------------------------

const GIB4: &str = "; the limit is 4.00 GiB (--max-memory): ";

/// (problem, its options, expected error). Every problem kind with a size parameter, at 0 and
/// at 10^9.
const DIM_CASES: &[(&str, &str, &str)] = &[
    (
        "quadratic",
        "dim=0",
        "invalid parameter `dim` = 0: must be >= 1",
    ),
    (
        "quadratic",
        "dim=1000000000",
        "quadratic dim = 1000000000 with a dense rotation needs more than 18.4 EB (its size \
         overflows 64 bits){L}use rotation = diagonal or a smaller dim",
    ),
    (
        "quadratic",
        "dim=1000000000 rotation=diagonal",
        "quadratic dim = 1000000000 (diagonal) needs 88.0 GB{L}use a smaller dim",
    ),
    (
        "rosenbrock",
        "dim=0",
        "invalid parameter `dim` = 0: Rosenbrock needs dim >= 2",
    ),
    (
        "rosenbrock",
        "dim=1000000000",
        "rosenbrock dim = 1000000000 needs 80.0 GB{L}use a smaller dim",
    ),
    (
        "mgh",
        "id=21 dim=0",
        "invalid parameter `dim` = 0: MGH problem 21 (Extended Rosenbrock) needs n a multiple of \
         2 in [2, 100000]",
    ),
    (
        "mgh",
        "id=21 dim=1000000000",
        "invalid parameter `dim` = 1000000000: MGH problem 21 (Extended Rosenbrock) needs n a \
         multiple of 2 in [2, 100000]",
    ),
    (
        "mgh",
        "id=35 dim=0",
        "invalid parameter `dim` = 0: MGH problem 35 (Chebyquad) needs n in [1, 100000]",
    ),
    (
        "mgh",
        "id=35 dim=1000000000",
        "invalid parameter `dim` = 1000000000: MGH problem 35 (Chebyquad) needs n in [1, 100000]",
    ),
    (
        "mgh",
        "id=1 dim=0",
        "invalid parameter `dim` = 0: MGH problem 1 (Rosenbrock) has fixed n = 2",
    ),
    (
        "logistic",
        "features=0",
        "invalid parameter `features` = 0: must be >= 1",
    ),
    (
        "logistic",
        "features=1000000000",
        "logistic samples = 1000, features = 1000000000 needs 8.06 TB{L}use fewer samples or \
         features",
    ),
    (
        "logistic",
        "samples=0",
        "invalid parameter `samples` = 0: must be >= 1",
    ),
    (
        "least-squares",
        "samples=0",
        "invalid parameter `samples` = 0: need at least 3 data points for 3 parameters",
    ),
    (
        "least-squares",
        "samples=1000000000",
        "least-squares samples = 1000000000 needs 64.0 GB{L}use fewer samples",
    ),
    (
        "mlp",
        "features=0 synthetic=blobs",
        "invalid parameter `features` = 0: must be >= 1",
    ),
    (
        "mlp",
        "features=1000000000 synthetic=blobs",
        "mlp samples = 600, features = 1000000000, hidden = 16 x 1 layers, classes = 3 \
         (16000000067 weights) needs 20.5 TB{L}use fewer samples or smaller layers",
    ),
    (
        "mlp",
        "hidden=0",
        "invalid parameter `hidden` = 0: a hidden layer needs width >= 1",
    ),
    (
        "mlp",
        "hidden=1000000000",
        "mlp samples = 600, features = 2, hidden = 1000000000 x 1 layers, classes = 3 \
         (6000000003 weights) needs 14.9 TB{L}use fewer samples or smaller layers",
    ),
    (
        "classifier",
        "hidden=0",
        "invalid parameter `hidden` = 0: layer widths must be >= 1",
    ),
    // Found by this enumeration: these two aborted with "memory allocation of 600000000080
    // bytes failed" (a width list of 10^9 entries, the weights) before the classifier had a
    // memory request in src/problems/registry.rs.
    (
        "classifier",
        "hidden=1000000000",
        "classifier samples = 1797, hidden = 1000000000 x 1 layers (75000000010 weights) needs \
         49.1 TB{L}use fewer samples or smaller layers",
    ),
    (
        "classifier",
        "depth=1000000000",
        "classifier samples = 1797, hidden = 128 x 1000000000 layers (16511999993098 weights) \
         needs 6.84 PB{L}use fewer samples or smaller layers",
    ),
    (
        "classifier",
        "samples=0",
        "invalid parameter `samples` = 0: must be in 1..=1797",
    ),
    (
        "classifier",
        "dataset=mnist1d samples=1000000000",
        "classifier samples = 1000000000, hidden = 128,128 (23050 weights) needs 7.67 TB{L}use \
         fewer samples or smaller layers",
    ),
];

#[test]
fn dimensions_zero_and_a_billion_get_a_clear_error_for_every_problem_kind() {
    for (problem, opts, expected) in DIM_CASES {
        let mut args = vec![
            "run",
            "--problem",
            problem,
            "--method",
            "gd",
            "--method-opt",
            "lr=0.1",
        ];
        for o in opts.split(' ') {
            args.extend(["--problem-opt", o]);
        }
        assert_refused(&args, &expected.replace("{L}", GIB4));
    }
}

// ---- 6. output folders that cannot be written ------------------------------------------------

#[test]
fn an_out_that_is_a_file_or_below_dev_null_fails_with_exit_1_and_no_run() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let plain = write(d.path(), "plain-file", "x");
    // (--out, the path the error names)
    let cases = [
        (plain.clone(), plain.clone()),
        (plain.join("sub"), plain.join("sub")),
        (
            PathBuf::from("/dev/null/out"),
            PathBuf::from("/dev/null/out"),
        ),
    ];
    for (out, named) in cases {
        let (code, err) = cli(&[
            "study",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        let reason = if out == plain {
            "File exists (os error 17)"
        } else {
            "Not a directory (os error 20)"
        };
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            err,
            format!("error: cannot write {}: {reason}\n", named.display())
        );
    }
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "x", "untouched");
}

#[test]
fn runs_replaced_by_a_file_on_resume_fails_with_exit_1() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("out");
    let f = file.to_str().unwrap();
    let o = out.to_str().unwrap();
    assert_eq!(
        cli(&["study", f, "--out", o, "--quiet", "--jobs", "1"]).0,
        0
    );
    std::fs::remove_dir_all(out.join("runs")).unwrap();
    std::fs::write(out.join("runs"), "not a folder").unwrap();
    let (code, err) = cli(&["study", f, "--out", o, "--quiet", "--resume"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        format!(
            "error: cannot write {}: File exists (os error 17)\n",
            out.join("runs").display()
        )
    );
}

// ---- 7. two studies on one folder ------------------------------------------------------------

#[test]
fn a_held_lock_refuses_a_second_study_with_the_pid() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("out");
    let lock = StudyLock::acquire(&out).unwrap();
    let expected = format!(
        "{}: another curvlab study (pid {}) is writing to {}; wait for it to end, or remove this \
         lock file if no such study runs",
        out.join(LOCK_FILE).display(),
        std::process::id(),
        out.display()
    );
    let f = file.to_str().unwrap();
    let o = out.to_str().unwrap();
    assert_refused(&["study", f, "--out", o, "--quiet"], &expected);
    assert_refused(&["study", f, "--out", o, "--quiet", "--resume"], &expected);
    assert!(!out.join("runs").exists(), "the second study wrote nothing");
    drop(lock);
    assert!(!out.join(LOCK_FILE).exists());
    // A lock file whose content is not a pid (being written, or garbage) counts as held.
    std::fs::write(out.join(LOCK_FILE), "").unwrap();
    assert_refused(
        &["study", f, "--out", o, "--quiet"],
        &expected.replace(&format!("pid {}", std::process::id()), "pid unknown"),
    );
    std::fs::remove_file(out.join(LOCK_FILE)).unwrap();
    let (code, err) = cli(&["study", f, "--out", o, "--quiet", "--jobs", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.join(LOCK_FILE).exists(), "released at the end");
}

#[test]
fn concurrent_studies_on_one_folder_one_wins_the_other_is_refused() {
    // Eight threads race for one folder's lock: create_new lets exactly one through.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let barrier = std::sync::Barrier::new(8);
    let won = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                barrier.wait();
                if let Ok(lock) = StudyLock::acquire(&out) {
                    won.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    barrier.wait(); // hold it until every thread has tried
                    drop(lock);
                } else {
                    barrier.wait();
                }
            });
        }
    });
    assert_eq!(won.into_inner(), 1);
}

/// The pid of a process that has ended and been reaped.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_stale_lock_from_a_dead_pid_is_taken_over_with_a_note() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let pid = dead_pid();
    std::fs::write(out.join(LOCK_FILE), format!("{pid}\n")).unwrap();
    let r = Command::new(BIN)
        .args([
            "study",
            file.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert_eq!(
        err,
        format!(
            "note: taking over the stale lock {} of pid {pid}, which no longer runs\n",
            out.join(LOCK_FILE).display()
        )
    );
    assert_eq!(records(&out), 8);
    assert!(!out.join(LOCK_FILE).exists());
}

// ---- 8. corrupted run records on --resume ----------------------------------------------------

#[test]
fn corrupted_records_are_named_and_their_runs_redone() {
    let d = tempfile::tempdir().unwrap();
    let file = write(d.path(), "tiny.toml", TINY);
    let out = d.path().join("out");
    let run = |extra: &[&str]| {
        let r = Command::new(BIN)
            .args(["study", file.to_str().unwrap(), "--jobs", "1", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        (
            r.status.success(),
            String::from_utf8_lossy(&r.stderr).into_owned(),
        )
    };
    assert!(run(&["--quiet"]).0);
    let csv_before = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let runs = out.join("runs");
    let mut ids: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    let path = |id: &str| runs.join(format!("{id}.json"));
    // a: truncated mid-file; b: not JSON; c: a valid record of another run (a's).
    let full_a = std::fs::read_to_string(path(a)).unwrap();
    std::fs::write(path(a), &full_a[..full_a.len() / 2]).unwrap();
    std::fs::write(path(b), "\u{0}\u{0}garbage").unwrap();
    std::fs::write(path(c), &full_a).unwrap();
    let (ok, err) = run(&["--resume"]);
    assert!(ok, "{err}");
    let serde_err = |text: &str| {
        serde_json::from_str::<curvlab::study::RunRecord>(text)
            .unwrap_err()
            .to_string()
    };
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(
        lines,
        vec![
            format!(
                "warning: run {a}: its record runs/{a}.json is corrupted (not a run record: {}); running it again",
                serde_err(&full_a[..full_a.len() / 2])
            ),
            format!(
                "warning: run {b}: its record runs/{b}.json is corrupted (not a run record: {}); running it again",
                serde_err("\u{0}\u{0}garbage")
            ),
            format!(
                "warning: run {c}: its record runs/{c}.json is corrupted (it holds run {a}); running it again"
            ),
        ]
    );
    assert!(err.contains("(3 run now, 5 already finished)"), "{err}");
    // Redone: the same rows as before, timing aside.
    let strip = |csv: &str| -> Vec<String> {
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let h = r.headers().unwrap().clone();
        let s = h.iter().position(|c| c == "seconds").unwrap();
        r.records()
            .map(|x| {
                let x = x.unwrap();
                x.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != s)
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    let csv_after = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(strip(&csv_before), strip(&csv_after));
    assert_eq!(records(&out), 8);
}
