//! Issue 19 (fault findings) and issue 18's `explain` items, in process: every finding is a test
//! with its expected error or its reference value (docs/faults.md maps finding → test).

use curvlab::cli::main_to;
use curvlab::curvature::{Spectrum, explain, spectrum};
use curvlab::methods::{Iterate, Method, MethodContext, StepInfo, build_method};
use curvlab::objective::Objective;
use curvlab::params::{Params, Value};
use curvlab::study::outputs::{fnv1a_hex, read_records, traces_dir};
use curvlab::study::{Progress, RunOptions, StudySpec, run_study};
use std::path::{Path, PathBuf};

/// `curvlab ARGS...` in process: (exit status, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut all = vec!["curvlab"];
    all.extend_from_slice(args);
    let code = main_to(all, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// A small study: a 300-dimensional quadratic (a dense spectrum) and a ravine, two methods, two
/// seeds: 8 runs.
const TINY: &str = "name = 'tiny'\nseeds = [0, 1]\n[stop]\nmax_iters = 50\n\
[[problems]]\nkind = 'quadratic'\ndim = 300\ncondition = 1000\n\
[[problems]]\nkind = 'ravine'\n\
[[methods]]\nkind = 'gd'\nlr = 'optimal'\n[[methods]]\nkind = 'lbfgs'\n";

fn write_study(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("study.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Removes every `seconds` key (wall times), leaving every other number to compare exactly.
fn strip_seconds(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("seconds");
            m.values_mut().for_each(strip_seconds);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_seconds),
        _ => {}
    }
}

// ---- results independent of the core count -------------------------------------------------

#[test]
fn run_gives_the_same_iterations_whatever_faer_parallelism_was_set_before() {
    let args = [
        "run",
        "--problem",
        "quadratic",
        "--dim",
        "400",
        "--problem-opt",
        "condition=1000",
        "--method",
        "lbfgs",
        "--json",
    ];
    faer::set_global_parallelism(faer::Par::rayon(2));
    let (_, par, _) = cli(&args);
    assert_eq!(
        faer::get_global_parallelism(),
        faer::Par::Seq,
        "the CLI sets Seq"
    );
    faer::set_global_parallelism(faer::Par::Seq);
    let (_, seq, _) = cli(&args);
    let (p, s) = (json(&par), json(&seq));
    // Measured: 280 iterations both ways. The library call honours faer's global setting:
    // under Rayon(2) it takes 261 (the finding), which is what the CLI's override removes.
    use clap::Parser;
    let Ok(curvlab::cli::Cli {
        command: curvlab::cli::Command::Run(a),
        ..
    }) = curvlab::cli::Cli::try_parse_from(std::iter::once("curvlab").chain(args))
    else {
        panic!("parse")
    };
    faer::set_global_parallelism(faer::Par::rayon(2));
    let lib = curvlab::cli::run::execute(&a).unwrap().1.iterations;
    faer::set_global_parallelism(faer::Par::Seq);
    assert_ne!(
        Some(lib as u64),
        s["iterations"].as_u64(),
        "measured 261 vs 280"
    );
    assert_eq!(p["iterations"], s["iterations"]);
    assert_eq!(p["f"], s["f"], "bit-identical final value");
    assert_eq!(p["grad_norm"], s["grad_norm"]);
}

#[test]
fn merged_shards_give_the_unsharded_spectra_bit_for_bit() {
    let d = tempfile::tempdir().unwrap();
    let file = write_study(d.path(), TINY);
    let f = file.to_str().unwrap();
    let out = |n: &str| d.path().join(n).to_str().unwrap().to_string();
    let (whole, s0, s1, merged) = (out("whole"), out("s0"), out("s1"), out("merged"));
    assert_eq!(
        cli(&["study", f, "--out", &whole, "--quiet", "--jobs", "2"]).0,
        0
    );
    for (s, o) in [("0/2", &s0), ("1/2", &s1)] {
        assert_eq!(
            cli(&[
                "study", f, "--out", o, "--quiet", "--shard", s, "--jobs", "1"
            ])
            .0,
            0
        );
    }
    // merge runs with faer parallel before the call: the CLI must make it sequential.
    faer::set_global_parallelism(faer::Par::rayon(2));
    let (code, _, err) = cli(&["merge", &s0, &s1, "--out", &merged]);
    assert_eq!(code, 0, "{err}");
    let read = |o: &str| {
        let mut v = json(&std::fs::read_to_string(Path::new(o).join("spectra.json")).unwrap());
        strip_seconds(&mut v);
        v
    };
    // serde_json reads floats back bit-identical (float_roundtrip), so `==` compares bits.
    assert_eq!(read(&whole), read(&merged));
    faer::set_global_parallelism(faer::Par::Seq);
}

// ---- time limits -----------------------------------------------------------------------------

#[test]
fn max_seconds_stops_inside_a_long_stochastic_step() {
    // 1e10 minibatch steps per iteration: without the check inside the minibatch loop, the
    // first step alone would run for hours.
    let t0 = std::time::Instant::now();
    let (code, out, err) = cli(&[
        "run",
        "--problem",
        "logistic",
        "--method",
        "gd",
        "--method-opt",
        "batch_size=5",
        "--method-opt",
        "eval_every=1e10",
        "--method-opt",
        "lr=0.1",
        "--max-seconds",
        "1",
        "--json",
    ]);
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["termination"], "max_seconds");
    assert_eq!(v["iterations"], 1);
    // Measured about 1.0 s; the bound is generous for a loaded 2-core machine.
    assert!(wall < 20.0, "took {wall} s for max_seconds = 1");
}

#[test]
fn spectrum_max_seconds_stops_lanczos_with_exit_1() {
    let (code, _, err) = cli(&[
        "spectrum",
        "--problem",
        "quadratic",
        "--dim",
        "2000",
        "--algo",
        "lanczos",
        "--max-seconds",
        "1e-9",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("time limit (--max-seconds)"), "{err}");
    let (code, _, err) = cli(&["spectrum", "--problem", "ravine", "--max-seconds=-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("max-seconds"), "{err}");
}

// ---- overwrites --------------------------------------------------------------------------------

#[test]
fn study_refuses_a_folder_of_user_files_and_leaves_them_untouched() {
    let d = tempfile::tempdir().unwrap();
    let file = write_study(
        d.path(),
        "name='r'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\nlr='optimal'\n",
    );
    let out = d.path().join("mine");
    std::fs::create_dir_all(out.join("plots")).unwrap();
    std::fs::write(out.join("summary.md"), "my notes").unwrap();
    std::fs::write(out.join("runs.csv"), "my,table").unwrap();
    for resume in [false, true] {
        let mut args = vec![
            "study",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.push("--quiet");
        if resume {
            args.push("--resume");
        }
        let (code, _, err) = cli(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not a curvlab study output"), "{err}");
        assert!(
            err.contains("summary.md") && err.contains("runs.csv"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("runs.csv")).unwrap(),
        "my,table"
    );
    assert!(!out.join("runs").exists());
}

#[test]
fn merge_refuses_another_studys_outputs() {
    let d = tempfile::tempdir().unwrap();
    let a = write_study(
        d.path(),
        "name='a'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\nlr='optimal'\n",
    );
    let (oa, ob) = (d.path().join("oa"), d.path().join("ob"));
    assert_eq!(
        cli(&[
            "study",
            a.to_str().unwrap(),
            "--out",
            oa.to_str().unwrap(),
            "--quiet"
        ])
        .0,
        0
    );
    let b = d.path().join("b.toml");
    std::fs::write(
        &b,
        "name='b'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='lbfgs'\n",
    )
    .unwrap();
    assert_eq!(
        cli(&[
            "study",
            b.to_str().unwrap(),
            "--out",
            ob.to_str().unwrap(),
            "--quiet"
        ])
        .0,
        0
    );
    let before = std::fs::read(ob.join("runs.csv")).unwrap();
    let (code, _, err) = cli(&["merge", oa.to_str().unwrap(), "--out", ob.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another study"), "{err}");
    assert_eq!(std::fs::read(ob.join("runs.csv")).unwrap(), before);
    // Merging again into the same study's merged folder stays allowed.
    let m = d.path().join("m");
    for _ in 0..2 {
        let (code, _, err) = cli(&["merge", oa.to_str().unwrap(), "--out", m.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
}

// ---- failed writes ---------------------------------------------------------------------------

#[test]
fn an_output_below_a_regular_file_fails_with_exit_1_before_any_run() {
    // Fails for root too (CI): a path through a regular file cannot be created.
    let d = tempfile::tempdir().unwrap();
    let file = write_study(d.path(), TINY);
    let blocker = d.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("out");
    let t0 = std::time::Instant::now();
    let (code, _, err) = cli(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 1, "an I/O failure is not bad input: {err}");
    assert!(err.contains("cannot write"), "{err}");
    // Measured 0.1 s (validation only); running the 8 runs would take longer than this.
    assert!(t0.elapsed().as_secs_f64() < 30.0);
}

#[test]
fn a_read_only_output_folder_fails_with_exit_1() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let file = write_study(d.path(), TINY);
        let out = d.path().join("ro");
        std::fs::create_dir(&out).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(out.join("probe"), "x").is_ok() {
            eprintln!("skipped: running as root, permissions are not enforced");
            return;
        }
        let (code, _, err) = cli(&[
            "study",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("cannot write"), "{err}");
    }
}

static SABOTAGE: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Gradient descent that, during its run, replaces the study's `traces/` folder by a regular
/// file: the run's trace cannot be written (as on a disk that filled up), for root too.
struct Saboteur;

impl Method for Saboteur {
    fn name(&self) -> &str {
        "saboteur"
    }
    fn init(&mut self, _obj: &dyn Objective, _it: &Iterate) -> curvlab::Result<()> {
        STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(out) = SABOTAGE.lock().unwrap().as_ref() {
            let t = traces_dir(out);
            if t.is_dir() {
                std::fs::remove_dir_all(&t).unwrap();
                std::fs::write(&t, "not a folder").unwrap();
            }
        }
        Ok(())
    }
    fn step(&mut self, _obj: &dyn Objective, it: &mut Iterate) -> curvlab::Result<StepInfo> {
        for (x, g) in it.x.iter_mut().zip(&it.g) {
            *x -= 0.001 * g;
        }
        Ok(StepInfo::new(0.0))
    }
}

fn saboteur(_: &str, _: &Params, _: &MethodContext) -> curvlab::Result<Box<dyn Method>> {
    Ok(Box::new(Saboteur))
}

#[test]
fn the_first_failed_write_stops_the_study() {
    let d = tempfile::tempdir().unwrap();
    let src = "name='w'\nseeds=[0,1,2,3,4,5,6,7]\n[stop]\nmax_iters=20\n\
               [[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\nlr='optimal'\n";
    let spec = StudySpec::parse(Path::new("w.toml"), src).unwrap();
    let out = d.path().join("out");
    *SABOTAGE.lock().unwrap() = Some(out.clone());
    let mut opts = RunOptions::new(&out);
    opts.jobs = Some(1);
    opts.progress = Progress::Quiet;
    opts.factory = saboteur;
    let e = run_study(&spec, &opts).unwrap_err();
    let started = STARTED.load(std::sync::atomic::Ordering::SeqCst);
    assert!(!e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("cannot write"), "{e}");
    // Measured: 1 of the 8 runs started (one worker stops at its first error).
    assert!(
        started <= 2,
        "{started} runs started after the first failed write"
    );
    assert!(!out.join("runs.csv").exists());
}

// ---- overflow ------------------------------------------------------------------------------------

#[test]
fn spectrum_of_entries_near_f64_max_is_finite() {
    let a = faer::Mat::<f64>::from_fn(3, 3, |i, j| {
        if i == j {
            [1e308, 1e307, 3e305][i]
        } else {
            0.0
        }
    });
    let s = spectrum(&a).unwrap();
    // Reference: the diagonal itself; the scaled eigensolver is accurate to a few ulps.
    for (got, want) in s.eigenvalues.iter().zip([3e305, 1e307, 1e308]) {
        assert!(((got - want) / want).abs() < 1e-14, "{got} vs {want}");
    }
    assert!((s.condition_number() / (1e308 / 3e305) - 1.0).abs() < 1e-14);
    // Eigenvalues beyond f64's range are an error, never inf: [[M, M], [M, M]] has 2M.
    let m = f64::MAX / 1.5;
    let e = spectrum(&faer::mat![[m, m], [m, m]]).unwrap_err();
    assert!(e.to_string().contains("beyond f64's range"), "{e}");
}

#[test]
fn spectrum_cli_of_a_diagonal_of_1e308_prints_finite_values_by_dense_and_lanczos() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.mtx");
    std::fs::write(
        &p,
        "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 1e308\n2 2 1e307\n",
    )
    .unwrap();
    for algo in ["dense", "lanczos"] {
        let (code, out, err) = cli(&[
            "spectrum",
            "--matrix",
            p.to_str().unwrap(),
            "--algo",
            algo,
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v = json(&out);
        let hi = v["largest"][0].as_f64().unwrap();
        let kappa = v["condition_number"].as_f64().unwrap();
        assert!((hi / 1e308 - 1.0).abs() < 1e-12, "{algo}: {hi}");
        assert!((kappa / 10.0 - 1.0).abs() < 1e-12, "{algo}: κ = {kappa}");
    }
}

#[test]
fn check_derivatives_refuses_a_nan_error() {
    // Rosenbrock at (1e100, 1e100): f = 100(x₂ − x₁²)² overflows, so the central differences
    // are inf − inf = NaN.
    let r = curvlab::problems::Rosenbrock::new(2).unwrap();
    let e = curvlab::diff::check_derivatives(&r, &[1e100, 1e100], 0).unwrap_err();
    assert!(e.to_string().contains("non-finite"), "{e}");
    // At an ordinary point the check still passes (N&W §8.1 accuracy: measured ~1e-9).
    let c = curvlab::diff::check_derivatives(&r, &[-1.2, 1.0], 0).unwrap();
    assert!(c.gradient_rel_error < 1e-6 && c.hvp_rel_error < 1e-6);
}

#[test]
fn explain_refuses_a_kappa_that_overflows_and_never_predicts_zero() {
    let s = Spectrum::from_eigenvalues(vec![1e-300, 1e300]).unwrap();
    let e = explain(&s, 1e-6).unwrap_err();
    assert!(e.to_string().contains("overflows"), "{e}");
    // Eigenvalues near f64's limit: the predictions of the same spectrum at unit scale (2^600
    // scales exactly), where squaring 1e200-sized eigenvalues used to overflow to 0 iterations.
    let unit: Vec<f64> = (0..50).map(|i| 1.0 + i as f64).collect();
    let big: Vec<f64> = unit.iter().map(|x| x * 2f64.powi(600)).collect();
    let (pu, pb) = (
        explain(&Spectrum::from_eigenvalues(unit).unwrap(), 1e-6).unwrap(),
        explain(&Spectrum::from_eigenvalues(big).unwrap(), 1e-6).unwrap(),
    );
    for m in ["gd", "heavy_ball", "nesterov", "cg"] {
        let (a, b) = (pu.method(m).unwrap(), pb.method(m).unwrap());
        assert_eq!(a.iterations, b.iterations, "{m}");
        assert!(
            b.iterations.get().is_some_and(|k| k > 0),
            "{m}: {}",
            b.iterations
        );
    }
}

#[test]
fn explain_on_a_nearly_singular_spectrum_prints_no_saturated_count() {
    let s = Spectrum::from_eigenvalues(vec![1e-20, 0.5, 1.0]).unwrap();
    let p = explain(&s, 1e-6).unwrap();
    let gd = p.method("gd").unwrap();
    // ρ = (κ−1)/(κ+1) rounds to 1 at κ = 1e20: no count fits, shown as `—`.
    assert_eq!(gd.iterations.get(), None);
    assert_eq!(format!("{}", gd.iterations), "—");
    let text =
        serde_json::to_string(&p.methods.iter().map(|m| m.iterations).collect::<Vec<_>>()).unwrap();
    assert!(!text.contains("18446744073709551615"), "{text}");
    // A singular PSD spectrum is refused.
    assert!(explain(&Spectrum::from_eigenvalues(vec![0.0, 1.0]).unwrap(), 1e-6).is_err());
}

#[test]
fn condition_number_of_an_indefinite_spectrum_is_the_ratio_of_magnitudes() {
    // Dense reference: diag(−4, 0.5, 2) rotated by a Householder reflection.
    let v = [1.0f64, 2.0, 2.0];
    let h = faer::Mat::<f64>::from_fn(3, 3, |i, j| {
        (if i == j { 1.0 } else { 0.0 }) - 2.0 * v[i] * v[j] / 9.0
    });
    let dg = faer::Mat::<f64>::from_fn(3, 3, |i, j| if i == j { [-4.0, 0.5, 2.0][i] } else { 0.0 });
    let a = &h * &dg * &h;
    let k = curvlab::curvature::condition_number(&a).unwrap();
    assert!((k - 8.0).abs() < 1e-12, "|−4| / |0.5| = 8, got {k}");
    let (code, out, _) = cli(&["spectrum", "--problem", "ravine"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("condition number: 1.000000e2 (|λ|max/|λ|min)"),
        "{out}"
    );
}

// ---- resume, sweeps, invalid pairs, exit status --------------------------------------------

#[test]
fn resume_reruns_runs_whose_trace_was_modified_or_deleted() {
    let d = tempfile::tempdir().unwrap();
    let src = "name='t'\nseeds=[0,1,2]\n[stop]\nmax_iters=30\n[[problems]]\nkind='ravine'\n\
               [[methods]]\nkind='gd'\nlr='optimal'\n";
    let spec = StudySpec::parse(Path::new("t.toml"), src).unwrap();
    let out = d.path().join("out");
    let mut opts = RunOptions::new(&out);
    opts.progress = Progress::Quiet;
    assert_eq!(run_study(&spec, &opts).unwrap().performed, 3);
    let recs = read_records(&out).unwrap();
    let ids: Vec<&String> = recs.keys().collect();
    for (id, r) in &recs {
        let bytes = std::fs::read(traces_dir(&out).join(format!("{id}.csv"))).unwrap();
        assert_eq!(r.trace_fnv.as_deref(), Some(fnv1a_hex(&bytes).as_str()));
    }
    let tampered = traces_dir(&out).join(format!("{}.csv", ids[0]));
    let mut t = std::fs::read_to_string(&tampered).unwrap();
    t.push_str("999,0,0,0,0,0,0,0,0,0\n");
    std::fs::write(&tampered, t).unwrap();
    std::fs::remove_file(traces_dir(&out).join(format!("{}.csv", ids[1]))).unwrap();
    opts.resume = true;
    let o = run_study(&spec, &opts).unwrap();
    assert_eq!((o.performed, o.skipped), (2, 1));
    for (id, r) in read_records(&out).unwrap() {
        let bytes = std::fs::read(traces_dir(&out).join(format!("{id}.csv"))).unwrap();
        assert_eq!(r.trace_fnv, Some(fnv1a_hex(&bytes)), "{id}");
    }
}

#[test]
fn duplicate_sweep_values_are_an_error_naming_the_key_and_line() {
    let src =
        "name='d'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\nlr = [0.1, 0.2, 0.1]\n";
    let e = StudySpec::parse(Path::new("d.toml"), src)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("d.toml:6:") && e.contains("`lr`") && e.contains("repeats the value 0.1"),
        "{e}"
    );
    // 1 and 1.0 are the same value.
    let src = "name='d'\n[[problems]]\nkind='ravine'\nsteep = [1, 1.0]\n[[methods]]\nkind='gd'\n";
    assert!(StudySpec::parse(Path::new("d.toml"), src).is_err());
}

fn params(pairs: &[(&str, Value)]) -> Params {
    let mut p = Params::default();
    for (k, v) in pairs {
        p.insert(k, v.clone());
    }
    p
}

#[test]
fn lr_min_above_lr_and_radius_above_max_radius_name_both_keys() {
    let ctx = MethodContext::default();
    let p = params(&[
        ("lr", Value::Num(0.01)),
        ("schedule", Value::Str("cosine".into())),
        ("lr_min", Value::Num(0.1)),
    ]);
    let e = build_method("gd", &p, &ctx).err().unwrap().to_string();
    assert!(e.contains("lr_min") && e.contains("lr = 0.01"), "{e}");
    let p = params(&[
        ("radius", Value::Num(10.0)),
        ("max_radius", Value::Num(1.0)),
    ]);
    for m in ["newton", "trust-ncg"] {
        let e = build_method(m, &p, &ctx).err().map(|e| e.to_string());
        let e = match e {
            Some(e) => e,
            // Validated when the run starts: run it.
            None => {
                let (code, _, err) = cli(&[
                    "run",
                    "--problem",
                    "ravine",
                    "--method",
                    m,
                    "--method-opt",
                    "radius=10",
                    "--method-opt",
                    "max_radius=1",
                ]);
                assert_eq!(code, 2);
                err
            }
        };
        assert!(
            e.contains("max_radius") && e.contains("radius = 10"),
            "{m}: {e}"
        );
    }
}

#[test]
fn run_exits_1_for_a_diverged_run_and_0_for_converged_or_budget() {
    // gd on the ravine (L = 100) with lr = 1.5 > 2/L diverges.
    let (code, out, _) = cli(&[
        "run",
        "--problem",
        "ravine",
        "--method",
        "gd",
        "--method-opt",
        "lr=1.5",
        "--json",
    ]);
    let t = json(&out)["termination"].as_str().unwrap().to_string();
    assert_eq!(code, 1, "{t}");
    assert!(
        t.starts_with("runaway") || t.starts_with("non-finite"),
        "{t}"
    );
    let (code, out, _) = cli(&["run", "--problem", "ravine", "--method", "lbfgs", "--json"]);
    assert_eq!((code, json(&out)["converged"].as_bool()), (0, Some(true)));
    let (code, out, _) = cli(&[
        "run",
        "--problem",
        "ravine",
        "--method",
        "gd",
        "--method-opt",
        "lr=optimal",
        "--max-iters",
        "2",
        "--json",
    ]);
    assert_eq!(
        (code, json(&out)["termination"].as_str()),
        (0, Some("max_iters"))
    );
    let (_, help, _) = cli(&["run", "--help"]);
    assert!(
        help.contains("Exit status: 0 when the run converged"),
        "{help}"
    );
}

// ---- spectrum --at FILE ----------------------------------------------------------------------

#[test]
fn spectrum_at_a_point_file_or_a_run_record() {
    let d = tempfile::tempdir().unwrap();
    // Rosenbrock's Hessian at (1, 1) is [[802, −400], [−400, 200]]: λ = 501 ± √(301² + 400²).
    let (hi, lo) = (501.0 + 250_601f64.sqrt(), 501.0 - 250_601f64.sqrt());
    let p = d.path().join("x.txt");
    std::fs::write(&p, "1\n1\n").unwrap();
    let q = d.path().join("x.json");
    std::fs::write(&q, "[1.0, 1.0]").unwrap();
    for f in [&p, &q] {
        let (code, out, err) = cli(&[
            "spectrum",
            "--problem",
            "rosenbrock",
            "--at",
            f.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v = json(&out);
        assert!((v["largest"][0].as_f64().unwrap() - hi).abs() < 1e-10 * hi);
        assert!((v["smallest"][0].as_f64().unwrap() - lo).abs() < 1e-9);
    }
    // A study's run record: newton on rosenbrock ends at (1, 1) to ~1e-10.
    let file = write_study(
        d.path(),
        "name='r'\n[[problems]]\nkind='rosenbrock'\n[[methods]]\nkind='newton'\n",
    );
    let out = d.path().join("o");
    assert_eq!(
        cli(&[
            "study",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet"
        ])
        .0,
        0
    );
    let rec = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (code, o, err) = cli(&[
        "spectrum",
        "--problem",
        "rosenbrock",
        "--at",
        rec.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&o);
    assert!(
        (v["largest"][0].as_f64().unwrap() - hi).abs() < 1e-5 * hi,
        "{o}"
    );
    // The wrong problem, a malformed file and a missing file are bad input.
    let (code, _, err) = cli(&[
        "spectrum",
        "--problem",
        "ravine",
        "--at",
        rec.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("problem `rosenbrock`, not `ravine`"), "{err}");
    std::fs::write(&p, "1\nx\n").unwrap();
    let (code, _, err) = cli(&[
        "spectrum",
        "--problem",
        "rosenbrock",
        "--at",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("x.txt:2:"), "{err}");
    let (code, _, err) = cli(&[
        "spectrum",
        "--problem",
        "rosenbrock",
        "--at",
        "/no/such/point",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("x0, opt"), "{err}");
    let (code, _, _) = cli(&[
        "spectrum",
        "--problem",
        "rosenbrock",
        "--at",
        q.to_str().unwrap(),
        "--dim",
        "3",
    ]);
    assert_eq!(code, 2, "a point of the wrong length");
}
