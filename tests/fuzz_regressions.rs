//! The fuzz targets' entry points (fuzz/fuzz_targets/) run on the committed inputs, in the
//! normal test suite: every seed in fuzz/corpus/<target>/ is a valid input and must be accepted,
//! and every input in fuzz/regressions/<target>/ (a crash, out-of-memory or hang that fuzz/run.sh
//! found and that was fixed) must now give `Ok` or a clear `Err`, without a panic.

use curvlab::linalg::sparse::CsrMatrix;
use curvlab::methods::{MethodContext, build_method, method_infos};
use curvlab::params::Params;
use curvlab::problems::data::Dataset;
use curvlab::study::expand::{DEFAULT_MAX_RUNS, check_run_count};
use curvlab::study::{Plan, StudySpec};
use std::path::{Path, PathBuf};

fn inputs(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<(PathBuf, Vec<u8>)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable input");
            (p, bytes)
        })
        .collect();
    v.sort();
    v
}

/// The error text of a rejected input: one non-empty line.
fn clear(e: curvlab::Error) -> String {
    let s = e.to_string();
    assert!(!s.trim().is_empty(), "empty error message");
    s
}

fn params(data: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<&str> = text.lines().take(64).collect();
    let p = Params::from_pairs(&pairs).map_err(clear)?;
    let ctx = MethodContext {
        eigenvalues: Some(vec![1.0, 10.0]),
        seed: 1,
        num_examples: Some(100),
    };
    Ok(method_infos()
        .iter()
        .filter(|i| build_method(i.name, &p, &ctx).is_ok())
        .count())
}

fn study(data: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let spec = StudySpec::parse(Path::new("fuzz.toml"), text).map_err(clear)?;
    check_run_count(&spec, DEFAULT_MAX_RUNS).map_err(clear)?;
    let plan = Plan::new(&spec);
    for m in plan.methods.iter().take(64) {
        let _ = build_method(&m.kind, &m.to_params(), &MethodContext::default());
    }
    Ok(plan.runs.len())
}

fn csv(data: &[u8]) -> Result<usize, String> {
    Dataset::from_csv_reader(data, Path::new("fuzz.csv"))
        .map(|d| d.len())
        .map_err(clear)
}

fn matrix_market(data: &[u8]) -> Result<usize, String> {
    CsrMatrix::read_matrix_market_from(data, Path::new("fuzz.mtx"))
        .map(|a| a.nnz())
        .map_err(clear)
}

type Entry = fn(&[u8]) -> Result<usize, String>;

const TARGETS: &[(&str, Entry)] = &[
    ("params", params),
    ("study_spec", study),
    ("csv_data", csv),
    ("matrix_market", matrix_market),
];

#[test]
fn every_seed_is_accepted() {
    let mut n = 0;
    for (target, entry) in TARGETS {
        for (path, bytes) in inputs("corpus", target) {
            let r = entry(&bytes);
            assert!(r.is_ok(), "{}: {r:?}", path.display());
            n += 1;
        }
    }
    // 5 params, 7 study files, 2 CSV and 3 Matrix Market seeds are committed.
    assert_eq!(n, 17, "seeds found");
}

#[test]
fn the_seeds_read_what_they_hold() {
    // Spot checks that the seeds are parsed, not merely not rejected: the symmetric coordinate
    // file stores 4 entries of the lower triangle; the full matrix has 5 ((1,1), (2,1), (1,2),
    // (2,2), (3,3)).
    let mm = inputs("corpus", "matrix_market");
    let sym = mm
        .iter()
        .find(|(p, _)| p.ends_with("coord_sym.mtx"))
        .expect("seed");
    assert_eq!(matrix_market(&sym.1), Ok(5));
    let csvs = inputs("corpus", "csv_data");
    let h = csvs
        .iter()
        .find(|(p, _)| p.ends_with("header.csv"))
        .expect("seed");
    assert_eq!(csv(&h.1), Ok(3));
    let smoke = inputs("corpus", "study_spec");
    let s = smoke
        .iter()
        .find(|(p, _)| p.ends_with("smoke.toml"))
        .expect("seed");
    assert_eq!(study(&s.1), Ok(36));
}

#[test]
fn every_regression_input_gets_an_answer() {
    for (target, entry) in TARGETS {
        for (path, bytes) in inputs("regressions", target) {
            // Ok or a clear Err; a panic fails the test with the file's name in the message.
            let r = std::panic::catch_unwind(|| entry(&bytes));
            assert!(r.is_ok(), "{}: panicked", path.display());
        }
    }
}
