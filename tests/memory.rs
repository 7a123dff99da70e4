//! Issue 17: a request larger than the machine gets a clear error, not an abort. Every case the
//! issue lists is here: the CLI cases run the built binary under `ulimit -v 2000000` (2 GB of
//! address space), so a case that attempted its allocation would die (abort or panic) instead of
//! answering with exit status 2 and one line; the library cases return an `Err`. The limit is set
//! explicitly (`--max-memory 4GiB`, `memory::set_limit`) so no test depends on the machine.

use curvlab::memory::{self, Limit, LimitSource, Request};
use curvlab::params::Params;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_curvlab");
/// The limit every test in this file uses (the library's is process-wide: all tests set the same).
const LIMIT: u64 = 4 << 30;

/// Runs the binary with `--max-memory 4GiB` under a 2 GB address-space limit; returns the exit
/// status and stderr.
fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2000000 && exec \"$0\" --max-memory 4GiB \"$@\"")
        .arg(BIN)
        .args(args)
        .output()
        .expect("spawn curvlab");
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Exit status 2, exactly one line on stderr, containing every `needle`.
fn assert_clear(args: &[&str], needles: &[&str]) -> String {
    let (code, err) = cli(args);
    assert_eq!(code, 2, "{args:?}: status {code}, stderr {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: `{n}` not in {err}");
    }
    err
}

fn lib_limit() {
    memory::set_limit(Some(LIMIT));
}

fn params(pairs: &[&str]) -> Params {
    Params::from_pairs(pairs).unwrap()
}

#[test]
fn quadratic_lbfgs_dim_1e5_dense_rotation() {
    // 5 dense n x n matrices: 5·8·10¹⁰ = 400 GB, plus 11 vectors of n.
    let e = assert_clear(
        &[
            "run",
            "--problem",
            "quadratic",
            "--method",
            "lbfgs",
            "--dim",
            "100000",
        ],
        &[
            "quadratic dim = 100000 with a dense rotation needs 400 GB",
            "the limit is 4.00 GiB (--max-memory)",
            "use rotation = diagonal or a smaller dim",
        ],
    );
    assert!(!e.contains("panicked"));
}

#[test]
fn newton_dim_30000_hessian() {
    // Dense rotation: 5·8·9·10⁸ = 36 GB.
    assert_clear(
        &[
            "run",
            "--problem",
            "quadratic",
            "--method",
            "newton",
            "--dim",
            "30000",
        ],
        &["quadratic dim = 30000 with a dense rotation needs 36.0 GB"],
    );
    // Diagonal: the problem is small (2.6 MB) and Newton's Hessian and factor 2·8·9·10⁸.
    assert_clear(
        &[
            "run",
            "--problem",
            "quadratic",
            "--method",
            "newton",
            "--dim",
            "30000",
            "--problem-opt",
            "rotation=diagonal",
        ],
        &[
            "method newton at n = 30000 (a dense n x n Hessian and its Cholesky factor)",
            "needs 14.4 GB",
            "use newton-cg, trust-ncg, hessian-free or lbfgs",
        ],
    );
}

#[test]
fn spectrum_dense_rosenbrock_1e5() {
    // 2·8·10¹⁰ = 160 GB for the Hessian and its eigenvectors.
    assert_clear(
        &[
            "spectrum",
            "--problem",
            "rosenbrock",
            "--dim",
            "100000",
            "--algo",
            "dense",
        ],
        &[
            "a dense spectrum at n = 100000 needs 160 GB",
            "use --algo lanczos",
        ],
    );
}

#[test]
fn dim_1e9_run_and_spectrum() {
    for problem in ["quadratic", "rosenbrock"] {
        for cmd in ["run", "spectrum"] {
            let mut args = vec![cmd, "--problem", problem, "--dim", "1000000000"];
            if cmd == "run" {
                args.extend(["--method", "gd"]);
            }
            assert_clear(&args, &[&format!("{problem} dim = 1000000000")]);
        }
    }
    // Rosenbrock: x₀, x* and 8 working vectors: 10·8·10⁹ = 80 GB.
    assert_clear(
        &[
            "run",
            "--problem",
            "rosenbrock",
            "--method",
            "gd",
            "--dim",
            "1000000000",
        ],
        &["needs 80.0 GB"],
    );
}

#[test]
fn data_problem_sizes() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "logistic",
            "samples=1e9",
            "logistic samples = 1000000000, features = 20 needs 200 GB",
        ),
        ("mlp", "samples=1e9", "mlp samples = 1000000000"),
        (
            "logistic",
            "features=1e9",
            "logistic samples = 1000, features = 1000000000",
        ),
        ("mlp", "features=1e9", "features = 1000000000"),
        ("mlp", "classes=1e7", "classes = 10000000"),
        ("mlp", "hidden=1e7", "hidden = 10000000 x 1 layers"),
        ("mlp", "layers=1e7", "hidden = 16 x 10000000 layers"),
        (
            "least-squares",
            "samples=1e12",
            "least-squares samples = 1000000000000",
        ),
    ];
    for (problem, opt, needle) in cases {
        assert_clear(
            &[
                "run",
                "--problem",
                problem,
                "--method",
                "gd",
                "--problem-opt",
                opt,
            ],
            &[needle, "; the limit is 4.00 GiB"],
        );
    }
}

#[test]
fn lbfgs_history_1e14_cli_and_library() {
    // 2·10¹⁴·2 values + 2·10¹⁴ + 6: 8·6·10¹⁴ = 4.8 PB.
    assert_clear(
        &[
            "run",
            "--problem",
            "rosenbrock",
            "--method",
            "lbfgs",
            "--method-opt",
            "history=1e14",
        ],
        &[
            "lbfgs history = 100000000000000 at n = 2",
            "needs 4.80 PB",
            "use a smaller history",
        ],
    );
    lib_limit();
    let f = curvlab::problems::Rosenbrock::new(2).unwrap();
    let mut m = curvlab::methods::lbfgs::Lbfgs::new()
        .with_history(100_000_000_000_000)
        .unwrap();
    let e = curvlab::minimize(&f, &mut m, &[-1.2, 1.0], &curvlab::Stop::default()).unwrap_err();
    assert!(e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("needs 4.80 PB"), "{e}");
    // A history whose size overflows 64 bits is the same error, not a wrapped size.
    let mut m = curvlab::methods::lbfgs::Lbfgs::new()
        .with_history(usize::MAX)
        .unwrap();
    let e = curvlab::minimize(&f, &mut m, &[-1.2, 1.0], &curvlab::Stop::default()).unwrap_err();
    assert!(e.to_string().contains("overflows 64 bits"), "{e}");
    // The default history still runs (reference: converges as before).
    let mut m = curvlab::methods::lbfgs::Lbfgs::new();
    let r = curvlab::minimize(&f, &mut m, &[-1.2, 1.0], &curvlab::Stop::default()).unwrap();
    assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-5);
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn matrix_market_sizes() {
    let dir = tempfile::tempdir().unwrap();
    // n(n+1)/2 with n = 2³² wraps 64 bits.
    let wrap = write(
        dir.path(),
        "wrap.mtx",
        "%%MatrixMarket matrix array real symmetric\n4294967296 4294967296\n1\n",
    );
    assert_clear(
        &[
            "run",
            "--problem",
            "matrix",
            "--matrix",
            &wrap,
            "--method",
            "gd",
        ],
        &["wrap.mtx:2:", "more values than 64 bits can count"],
    );
    // 3·10⁸ rows, one entry: row pointers 2.4 GB + 11 vectors of n = 28.8 GB in all.
    let big = write(
        dir.path(),
        "big.mtx",
        "%%MatrixMarket matrix coordinate real general\n300000000 300000000 1\n1 1 2.0\n",
    );
    assert_clear(
        &[
            "run",
            "--problem",
            "matrix",
            "--matrix",
            &big,
            "--method",
            "gd",
        ],
        &["(300000000 x 300000000, 1 stored entries) needs 28.8 GB"],
    );
    assert_clear(
        &["spectrum", "--matrix", &big],
        &["300000000 x 300000000", "needs"],
    );
    // A device: the first line is an error, not an unbounded read.
    assert_clear(
        &[
            "run",
            "--problem",
            "matrix",
            "--matrix",
            "/dev/zero",
            "--method",
            "gd",
        ],
        &["/dev/zero:1:", "NUL"],
    );
    assert_clear(
        &[
            "run",
            "--problem",
            "logistic",
            "--data",
            "/dev/zero",
            "--method",
            "gd",
        ],
        &["/dev/zero", "not a CSV text file"],
    );
}

#[test]
fn study_reports_every_offender_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let bad_mtx = write(
        dir.path(),
        "bad.mtx",
        "%%MatrixMarket matrix array real symmetric\n",
    );
    let study = write(
        dir.path(),
        "s.toml",
        &format!(
            "name = 's'\n\
             [[problems]]\n\
             kind = 'quadratic'\n\
             dim = [10, 100000]\n\
             [[problems]]\n\
             kind = 'rosenbrock'\n\
             dim = 1000\n\
             [[methods]]\n\
             kind = 'gd'\n\
             [[methods]]\n\
             kind = 'lbfgs'\n\
             history = 1e14\n\
             [[problems]]\n\
             kind = 'matrix'\n\
             path = '{bad_mtx}'\n"
        ),
    );
    let out = dir.path().join("out");
    let e = assert_clear(
        &[
            "study",
            &study,
            "--out",
            &out.display().to_string(),
            "--quiet",
        ],
        &[
            "s.toml:12: 3 study instances exceed the memory limit 4.00 GiB (--max-memory)",
            "s.toml:4: problem `quadratic(dim=100000)`: quadratic dim = 100000 with a dense \
             rotation needs 400 GB",
            "s.toml:12: method `lbfgs(history=100000000000000)` on `quadratic(dim=10)`",
            "s.toml:12: method `lbfgs(history=100000000000000)` on `rosenbrock(dim=1000)`",
        ],
    );
    // The dim = 100000 quadratic is reported once (not once per method).
    assert_eq!(e.matches("quadratic(dim=100000)").count(), 1, "{e}");
    assert!(!out.join("runs.csv").exists());
}

#[test]
fn study_with_malformed_matrix_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.mtx",
        "%%MatrixMarket matrix array real symmetric\n18446744073709551615 18446744073709551615\n",
    );
    let study = write(
        dir.path(),
        "s.toml",
        &format!(
            "name = 's'\n[[problems]]\nkind = 'matrix'\npath = '{bad}'\n[[methods]]\nkind = 'gd'\n"
        ),
    );
    let out = dir.path().join("out");
    assert_clear(
        &[
            "study",
            &study,
            "--out",
            &out.display().to_string(),
            "--quiet",
        ],
        &["bad.mtx:2:", "more values than 64 bits can count"],
    );
    let study2 = write(
        dir.path(),
        "s2.toml",
        "name = 's'\n[[problems]]\nkind = 'quadratic'\ndim = 1e5\n[[methods]]\nkind = 'gd'\n",
    );
    assert_clear(
        &[
            "study",
            &study2,
            "--out",
            &out.display().to_string(),
            "--quiet",
        ],
        &[
            "s2.toml:4:",
            "1 study instance exceeds the memory limit",
            "needs 400 GB",
        ],
    );
}

#[test]
fn library_builders_return_err() {
    lib_limit();
    let cases: &[(&str, &[&str])] = &[
        ("quadratic", &["dim=100000"]),
        ("quadratic", &["dim=1e9", "rotation=diagonal"]),
        ("rosenbrock", &["dim=1e9"]),
        ("logistic", &["samples=1e9"]),
        ("logistic", &["features=1e9"]),
        ("mlp", &["samples=1e9"]),
        ("mlp", &["classes=1e7"]),
        ("mlp", &["hidden=1e7"]),
        ("mlp", &["layers=1e7"]),
        ("least-squares", &["samples=1e12"]),
    ];
    for (kind, p) in cases {
        let e = curvlab::problems::build_problem(kind, &params(p), 0).unwrap_err();
        assert!(e.is_bad_input(), "{kind} {p:?}: {e}");
        let s = e.to_string();
        assert!(
            s.contains(" needs ") && s.contains("the limit is 4.00 GiB"),
            "{s}"
        );
    }
    // The direct constructors check too.
    use curvlab::problems::{Quadratic, Rotation, SpectrumKind};
    let e = Quadratic::new(100_000, 10.0, SpectrumKind::LogUniform, Rotation::Random, 0);
    assert!(e.unwrap_err().to_string().contains("needs 400 GB"));
    let e = curvlab::problems::data::Dataset::synthetic_logistic(1_000_000_000, 20, 0);
    assert!(e.unwrap_err().to_string().contains("needs 168 GB"));
    let e = curvlab::problems::data::Dataset::gaussian_blobs(600, 2, 10_000_000_000_000, 0);
    assert!(e.is_err());
}

#[test]
fn sizes_are_the_hand_computed_ones() {
    // quadratic, dense: 5n² + 11n values.
    let s = curvlab::problems::problem_request("quadratic", &params(&["dim=1000"]))
        .unwrap()
        .unwrap();
    assert_eq!(s.request.bytes, Some(8 * (5 * 1000 * 1000 + 11 * 1000)));
    // mlp with 2 features, hidden 16, 3 classes, 600 samples: n = 3·16 + 17·3 = 99 weights;
    // data 600·3, activations 3·600·(2 + 16 + 3), weights 2·99 + 8·99.
    let s = curvlab::problems::problem_request("mlp", &Params::new())
        .unwrap()
        .unwrap();
    assert_eq!(s.n, Some(99));
    assert_eq!(
        s.request.bytes,
        Some(8 * (600 * 3 + 3 * 600 * 21 + 2 * 99 + 8 * 99))
    );
    // The built mlp has the same number of weights (independent reference: the builder).
    let inst = curvlab::problems::build_problem("mlp", &Params::new(), 0).unwrap();
    assert_eq!(inst.x0.len(), 99);
    let inst =
        curvlab::problems::build_problem("mlp", &params(&["hidden=8,4", "classes=2"]), 0).unwrap();
    let s = curvlab::problems::problem_request("mlp", &params(&["hidden=8,4", "classes=2"]))
        .unwrap()
        .unwrap();
    assert_eq!(s.n, Some(inst.x0.len() as u64));
    // logistic: n = features + 1, as built.
    let p = params(&["features=7", "samples=30"]);
    let s = curvlab::problems::problem_request("logistic", &p)
        .unwrap()
        .unwrap();
    let inst = curvlab::problems::build_problem("logistic", &p, 0).unwrap();
    assert_eq!(s.n, Some(inst.x0.len() as u64));
    // Sizing reads no key: an unknown key is still reported by the builder.
    let p = params(&["dim=10", "dimm=3"]);
    curvlab::problems::problem_request("rosenbrock", &p).unwrap();
    assert!(curvlab::problems::build_problem("rosenbrock", &p, 0).is_err());
}

#[test]
fn limit_text_and_parse() {
    let l = Limit {
        bytes: 24_800_000_000,
        source: LimitSource::Available,
    };
    let e = Request::new(
        "quadratic dim = 100000 with a dense rotation",
        Some(80_000_000_000),
        "use rotation = diagonal or a smaller dim",
    )
    .check_against(l)
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "quadratic dim = 100000 with a dense rotation needs 80.0 GB; the limit is 23.1 GiB \
         (available memory; change with --max-memory): use rotation = diagonal or a smaller dim"
    );
    assert_eq!(memory::parse_size("8GiB").unwrap(), 8 * 1024 * 1024 * 1024);
    assert_eq!(memory::parse_size("500MB").unwrap(), 500_000_000);
    assert_eq!(memory::parse_size("4096").unwrap(), 4096);
    // A bad --max-memory is a usage error (clap, exit 2).
    let out = Command::new(BIN)
        .args(["--max-memory", "lots", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn under_the_limit_still_runs() {
    // The same commands with sizes that fit run to the end (exit 0) under the 2 GB address space.
    for args in [
        vec![
            "run",
            "--problem",
            "quadratic",
            "--method",
            "newton",
            "--dim",
            "200",
        ],
        vec![
            "run",
            "--problem",
            "rosenbrock",
            "--method",
            "lbfgs",
            "--dim",
            "1000",
        ],
        vec![
            "spectrum",
            "--problem",
            "rosenbrock",
            "--dim",
            "300",
            "--algo",
            "dense",
        ],
        vec![
            "run",
            "--problem",
            "logistic",
            "--method",
            "lbfgs",
            "--problem-opt",
            "samples=2000",
        ],
    ] {
        let (code, err) = cli(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "d.csv",
        "a,b,y\n1,2,0\n-1,0.5,1\n0.3,-2,1\n2,1,0\n",
    );
    let (code, err) = cli(&[
        "run",
        "--problem",
        "logistic",
        "--data",
        &csv,
        "--method",
        "lbfgs",
    ]);
    assert_eq!(code, 0, "{err}");
    // And --max-memory bounds a CSV read from a file larger than limit / 9 (reference: its
    // length x 9 > 100 bytes).
    let need = format!("needs {} B", 9 * std::fs::metadata(&csv).unwrap().len());
    let out = Command::new(BIN)
        .args([
            "--max-memory",
            "100",
            "run",
            "--problem",
            "logistic",
            "--data",
            &csv,
        ])
        .args(["--method", "gd"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("data file") && err.contains(&need), "{err}");
}

#[test]
fn pipes_are_read_with_a_bound() {
    // A pipe of 10 kB of valid CSV text with a 9 kB limit: bound 1 kB of text, exceeded.
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "{ echo a,y; i=0; while [ $i -lt 2000 ]; do echo 1,0; i=$((i+1)); done; } | \
             \"$0\" --max-memory 9000 run --problem logistic --data /dev/stdin --method gd",
        )
        .arg(BIN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("more than 1.00 kB of text"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// How one generated input ended.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    ran: usize,
    clear_errors: usize,
    panics: usize,
    aborts: usize,
    other: Vec<String>,
}

impl Tally {
    /// Runs one input (with `--max-memory 1GiB`, under `ulimit -v 2000000`) and classifies it;
    /// returns the exit status.
    fn run(&mut self, args: &[String]) -> i32 {
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2000000 && exec \"$0\" --max-memory 1GiB \"$@\"")
            .arg(BIN)
            .args(args)
            .output()
            .expect("spawn curvlab");
        let err = String::from_utf8_lossy(&out.stderr);
        self.tried += 1;
        let code = out.status.code().unwrap_or(-1);
        match code {
            0 => self.ran += 1,
            1 | 2 if err.lines().count() == 1 && err.starts_with("error: ") => {
                self.clear_errors += 1
            }
            101 => self.panics += 1,
            -1 => self.aborts += 1,
            _ => self.other.push(format!("{args:?}: {code} {err}")),
        }
        code
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The reliability row of docs/memory.md: generated oversized (and some fitting) requests to
/// `run`, `spectrum --algo dense`, Matrix Market and CSV readers and studies (sizes 10⁹, 10¹²,
/// 10¹⁵ of every size parameter, with four method settings). Every input is refused with exit
/// status 2 and one line; none panics or aborts. Prints the counts (see docs/memory.md).
#[test]
fn reliability_sweep() {
    let axes: &[(&str, &str, &[&str])] = &[
        ("quadratic", "dim", &[]),
        ("quadratic", "dim", &["rotation=diagonal"]),
        ("rosenbrock", "dim", &[]),
        ("logistic", "samples", &[]),
        ("logistic", "features", &[]),
        ("mlp", "samples", &[]),
        ("mlp", "features", &["synthetic=blobs"]),
        ("mlp", "classes", &[]),
        ("mlp", "hidden", &[]),
        ("mlp", "layers", &[]),
        ("least-squares", "samples", &[]),
        ("mgh", "dim", &["id=21"]),
    ];
    // Sizes that fit run real computations (tests/cli_run.rs covers them): only oversized ones.
    let values = ["1e9", "1e12", "1e15"];
    let methods: &[&[&str]] = &[
        &["--method", "gd"],
        &["--method", "lbfgs"],
        &["--method", "newton"],
        &["--method", "lbfgs", "--method-opt", "history=1e14"],
    ];
    let mut t = Tally::default();
    for (problem, key, extra) in axes {
        for v in values {
            let mut popts: Vec<String> = vec![format!("{key}={v}")];
            popts.extend(extra.iter().map(|e| e.to_string()));
            let popt_args: Vec<String> = popts
                .iter()
                .flat_map(|o| ["--problem-opt".to_string(), o.clone()])
                .collect();
            for m in methods {
                let mut args = s(&["run", "--problem", problem, "--max-iters", "1"]);
                args.extend(s(m));
                args.extend(popt_args.clone());
                let code = t.run(&args);
                assert_eq!(code, 2, "{args:?}");
            }
            let mut args = s(&["spectrum", "--problem", problem, "--algo", "dense"]);
            args.extend(popt_args.clone());
            let code = t.run(&args);
            assert_eq!(code, 2, "{args:?}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec!["/dev/zero".to_string()];
    for layout in ["coordinate", "array"] {
        for sym in ["general", "symmetric"] {
            for n in ["300000000", "4294967296", "18446744073709551615"] {
                let size = if layout == "coordinate" {
                    format!("{n} {n} 1")
                } else {
                    format!("{n} {n}")
                };
                let name = format!("{layout}-{sym}-{n}.mtx");
                let text = format!("%%MatrixMarket matrix {layout} real {sym}\n{size}\n1 1 2.0\n");
                files.push(write(dir.path(), &name, &text));
            }
        }
    }
    for f in &files {
        let code = t.run(&s(&[
            "run",
            "--problem",
            "matrix",
            "--matrix",
            f,
            "--method",
            "gd",
        ]));
        assert_eq!(code, 2, "{f}");
        let code = t.run(&s(&["spectrum", "--matrix", f]));
        assert_eq!(code, 2, "{f}");
    }
    for problem in ["logistic", "mlp"] {
        let code = t.run(&s(&[
            "run",
            "--problem",
            problem,
            "--data",
            "/dev/zero",
            "--method",
            "gd",
        ]));
        assert_eq!(code, 2);
    }
    for (i, body) in [
        "[[problems]]\nkind='quadratic'\ndim=1e5\n[[methods]]\nkind='gd'\n",
        "[[problems]]\nkind='rosenbrock'\ndim=[10, 1e9]\n[[methods]]\nkind='lbfgs'\nhistory=[5, 1e14]\n",
        "[[problems]]\nkind='mlp'\nlayers=1e7\n[[methods]]\nkind='newton'\n",
    ]
    .iter()
    .enumerate()
    {
        let f = write(dir.path(), &format!("s{i}.toml"), &format!("name='s'\n{body}"));
        let out = dir.path().join(format!("out{i}")).display().to_string();
        let code = t.run(&s(&["study", &f, "--out", &out, "--quiet"]));
        assert_eq!(code, 2, "{body}");
    }
    println!(
        "tried {}, ran {}, clear errors {}, panics {}, aborts {}",
        t.tried, t.ran, t.clear_errors, t.panics, t.aborts
    );
    assert!(t.other.is_empty(), "{:#?}", t.other);
    assert_eq!((t.panics, t.aborts), (0, 0));
    assert_eq!(t.tried, t.ran + t.clear_errors);
    // 12 axes x 3 sizes x (4 runs + 1 spectrum), 13 files x 2 commands, 2 CSV, 3 studies.
    assert_eq!(t.tried, 12 * 3 * 5 + 13 * 2 + 2 + 3);
}
