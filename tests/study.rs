//! Study runner tests on the library API, with test-local methods injected through the method
//! factory (gradient descent with a fixed or "optimal" step and the heavy ball), so that every
//! expectation below has an independent closed form.

use curvlab::methods::{Iterate, Method, MethodContext, StepInfo};
use curvlab::params::{Params, Value};
use curvlab::study::{Plan, Progress, RunOptions, Shard, StudySpec, merge_shards, run_study};
use curvlab::{Error, Objective, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Gradient descent `x ← x − η g` (+ heavy-ball momentum `β (x_k − x_{k−1})` when `beta > 0`).
struct TestGd {
    name: &'static str,
    lr: f64,
    beta: f64,
    prev: Vec<f64>,
}

impl Method for TestGd {
    fn name(&self) -> &str {
        self.name
    }
    fn init(&mut self, _obj: &dyn Objective, it: &Iterate) -> Result<()> {
        self.prev = it.x.clone();
        Ok(())
    }
    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let mut len2 = 0.0;
        for i in 0..it.x.len() {
            let d = -self.lr * it.g[i] + self.beta * (it.x[i] - self.prev[i]);
            self.prev[i] = it.x[i];
            it.x[i] += d;
            len2 += d * d;
        }
        it.f = obj.gradient(&it.x, &mut it.g)?;
        Ok(StepInfo::new(len2.sqrt()).with("lr", self.lr))
    }
}

/// The test registry: `gd` (`lr` a number or "optimal" = 2/(μ+L)) and `hb` (`lr`, `beta`).
fn factory(kind: &str, p: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let lr = match p.get("lr") {
        None => 0.01,
        Some(Value::Num(x)) if *x > 0.0 => *x,
        Some(Value::Str(s)) if s == "optimal" => {
            let ev = ctx.eigenvalues.as_ref().ok_or_else(|| {
                Error::invalid("lr", "optimal", "needs the problem's eigenvalues")
            })?;
            let (mu, l) = (ev[0], ev[ev.len() - 1]);
            2.0 / (mu + l)
        }
        Some(v) => {
            return Err(Error::invalid(
                "lr",
                v,
                "expected a positive number or \"optimal\"",
            ));
        }
    };
    let m = match kind {
        "gd" => TestGd {
            name: "gd",
            lr,
            beta: 0.0,
            prev: vec![],
        },
        "hb" => TestGd {
            name: "hb",
            lr,
            beta: p.f64("beta", 0.9)?,
            prev: vec![],
        },
        other => return Err(Error::Unknown(format!("unknown method `{other}`"))),
    };
    p.finish(&format!("method `{kind}`"))?;
    Ok(Box::new(m))
}

const SMALL: &str = r#"
name = "small"
seeds = [0, 1]
[stop]
grad_tol = 1e-6
max_iters = 3000

[[problems]]
kind = "ravine"
steep = [10, 100]

[[problems]]
kind = "quadratic"
dim = 4
condition = [10, 100]

[[methods]]
kind = "gd"
lr = "optimal"

[[methods]]
kind = "hb"
lr = [0.005, 0.01]
beta = 0.9
"#;

fn spec(src: &str) -> StudySpec {
    StudySpec::parse(Path::new("small.toml"), src).unwrap()
}

fn opts(out: &Path) -> RunOptions {
    let mut o = RunOptions::new(out);
    o.factory = factory;
    o.progress = Progress::Quiet;
    o.jobs = Some(2);
    o
}

/// runs.csv as a header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

/// The index of column `name` in a CSV header.
fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column `{name}` in {h:?}"))
}

/// Rows without the timing column `seconds`.
fn untimed(path: &Path) -> Vec<Vec<String>> {
    untimed_with_header(path).1
}

/// The header and rows without the timing column `seconds`.
fn untimed_with_header(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let (mut h, rows) = read_csv(path);
    let s = col(&h, "seconds");
    h.remove(s);
    let rows = rows
        .into_iter()
        .map(|mut r| {
            r.remove(s);
            r
        })
        .collect();
    (h, rows)
}

#[test]
fn small_study_has_one_row_per_run_with_documented_columns() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let s = spec(SMALL);
    let o = run_study(&s, &opts(&out)).unwrap();
    // (2 ravine + 2 quadratic instances) × (1 gd + 2 hb instances) × 2 seeds.
    assert_eq!((o.selected, o.performed, o.skipped), (24, 24, 0));
    let (h, rows) = read_csv(&out.join("runs.csv"));
    let expected: Vec<&str> = vec![
        "run_id",
        "study",
        "problem",
        "problem.condition",
        "problem.dim",
        "problem.steep",
        "method",
        "method.beta",
        "method.lr",
        "seed",
        "converged",
        "iterations",
        "f",
        "grad_norm",
        "value_evals",
        "gradient_evals",
        "hvp_evals",
        "hessian_evals",
        "ggn_evals",
        "seconds",
        "termination",
        "n",
        "f_star",
        "sharpness",
        "example_evals",
        "cost",
        "sharpness_hvp",
    ];
    assert_eq!(h, expected);
    assert_eq!(rows.len(), 24);
    let c = |name: &str| col(&h, name);
    // These problems are not finite sums: no per-example work, and the cost is the call count
    // weighted by hand (value 1, gradient 1, HVP or GGN product 2, dense Hessian 2n).
    for r in &rows {
        let num = |name: &str| r[c(name)].parse::<f64>().unwrap();
        assert_eq!(num("example_evals"), 0.0);
        let want = num("value_evals")
            + num("gradient_evals")
            + 2.0 * (num("hvp_evals") + num("ggn_evals"))
            + 2.0 * num("n") * num("hessian_evals");
        assert_eq!(num("cost"), want, "{r:?}");
    }
    let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| r[c("run_id")].clone()).collect();
    assert_eq!(ids.len(), 24);
    for r in &rows {
        let id = &r[c("run_id")];
        assert!(out.join("traces").join(format!("{id}.csv")).exists());
        assert!(out.join("runs").join(format!("{id}.json")).exists());
    }
    // GD with the optimal step 2/(μ+L) on the axis-aligned ravine (steep 10, shallow 1) from
    // (1, 8): both gradient components shrink by exactly 9/11 per step, so ‖g_k‖ = (9/11)^k ‖g_0‖
    // with ‖g_0‖ = ‖(10, 8)‖ = √164; the run stops at the first k with ‖g_k‖ ≤ 1e-6.
    let k_closed = ((1e-6 / 164f64.sqrt()).ln() / (9.0f64 / 11.0).ln()).ceil() as usize;
    let row = rows
        .iter()
        .find(|r| {
            r[c("problem")] == "ravine"
                && r[c("problem.steep")] == "10"
                && r[c("method")] == "gd"
                && r[c("seed")] == "0"
        })
        .unwrap();
    assert_eq!(row[c("iterations")].parse::<usize>().unwrap(), k_closed);
    assert_eq!(row[c("converged")], "true");
    assert_eq!(row[c("termination")], "grad_tol");
    // Gradient evaluations: one at the start plus one per iteration.
    assert_eq!(
        row[c("gradient_evals")].parse::<usize>().unwrap(),
        k_closed + 1
    );
    // Sharpness on a quadratic is the largest eigenvalue everywhere: steep = 10.
    assert!((row[c("sharpness")].parse::<f64>().unwrap() - 10.0).abs() < 1e-9);
    // spectra.json: κ of the ravine instance = steep / shallow.
    let spectra: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spectra.json")).unwrap()).unwrap();
    let k = spectra[1]["at_optimum"]["condition_number"]
        .as_f64()
        .unwrap();
    assert!((k - 100.0).abs() < 1e-9, "{k}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## ravine(steep=10)") && summary.contains("**Who wins and why.**"));
    // explain's prediction for the study's own rule (‖∇f‖ ≤ 1e-6 from ‖∇f(x₀)‖) beside the
    // measurement: GD at 2/(μ+L) on this ravine contracts the gradient by exactly
    // (κ−1)/(κ+1) = 9/11, so the estimate on the spectrum and the κ bound are both attained.
    assert!(
        summary.contains(&format!(
            "| gd(lr=optimal) | gd (rate 0.8182) | {k_closed} iterations (spectrum) | {k_closed} \
             | {k_closed} | 1.00 |"
        )),
        "{summary}"
    );
    // The trace of a 2-D run records the trajectory, starting at (1, 8).
    let (th, trows) = read_csv(&out.join("traces").join(format!("{}.csv", row[c("run_id")])));
    let t = &trows[0];
    assert_eq!(
        (t[col(&th, "x0")].as_str(), t[col(&th, "x1")].as_str()),
        ("1", "8")
    );
}

/// Parses an SVG with quick-xml (fails on malformed XML) and returns its text content and the
/// number of `<path>`/`<polyline>` elements.
fn parse_svg(text: &str) -> (String, usize) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().check_end_names = true;
    let mut content = String::new();
    let mut paths = 0;
    let mut depth: i64 = 0;
    loop {
        match r.read_event().expect("well-formed SVG") {
            Event::Start(e) => {
                depth += 1;
                if matches!(e.name().as_ref(), "path" | "polyline") {
                    paths += 1;
                }
            }
            Event::Empty(e) => {
                if matches!(e.name().as_ref(), "path" | "polyline") {
                    paths += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                content.push_str(&t.xml10_content());
                content.push('\n');
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced SVG");
    (content, paths)
}

#[test]
fn every_svg_is_xml_and_names_its_series() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let s = spec(SMALL);
    run_study(&s, &opts(&out)).unwrap();
    let plots: Vec<_> = std::fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let names: Vec<String> = plots
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // 4 instances: convergence + spectrum each; trajectories for the 2 ravines; κ plot.
    assert!(
        names.contains(&"p00-ravine-convergence.svg".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"p01-ravine-trajectories.svg".to_string()),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("p02") && n.ends_with("trajectories.svg"))
    );
    assert!(
        names.contains(&"iterations-vs-condition.svg".to_string()),
        "{names:?}"
    );
    // + benchmark-profiles.svg (issue 18: performance/data profiles over the 4 instances).
    assert_eq!(names.len(), 4 * 2 + 2 + 1 + 1, "{names:?}");
    let methods = [
        "gd(lr=optimal)",
        "hb(beta=0.9, lr=0.005)",
        "hb(beta=0.9, lr=0.01)",
    ];
    for p in &plots {
        let text = std::fs::read_to_string(p).unwrap();
        let (content, paths) = parse_svg(&text);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("convergence.svg") || name.ends_with("trajectories.svg") {
            for m in methods {
                assert!(content.contains(m), "{name} lacks the legend entry {m}");
            }
            // A line and a legend sample per method (4 panels for the convergence figure).
            assert!(paths >= 2 * methods.len(), "{name}: {paths} paths");
        }
        if name.ends_with("convergence.svg") {
            assert!(content.contains("‖∇f‖ vs time") && content.contains("f − f* vs iterations"));
        }
        if name == "iterations-vs-condition.svg" {
            // A theory curve exists for gd ("hb" has no prediction: not a registry name),
            // measured points for all three.
            // (issue 18: the legend is a column beside the panels, the theory line's entry
            // right under its method's.)
            let pos = |t: &str| content.find(t).unwrap_or(usize::MAX);
            assert!(pos("gd(lr=optimal)") < pos("theory: gd"), "{content}");
            assert!(
                pos("theory: gd") < pos("hb(beta=0.9, lr=0.005)"),
                "{content}"
            );
            assert_eq!(content.matches("theory").count(), 2, "{content}"); // gd's, and the title
            for m in methods {
                assert!(content.contains(m), "{name} lacks {m}");
            }
        }
        if name.ends_with("spectrum.svg") {
            assert!(content.contains("eigenvalues"));
        }
    }
}

#[test]
fn resuming_after_losing_runs_reproduces_the_uninterrupted_study() {
    let d = tempfile::tempdir().unwrap();
    let full = d.path().join("full");
    let cut = d.path().join("cut");
    let s = spec(SMALL);
    run_study(&s, &opts(&full)).unwrap();
    run_study(&s, &opts(&cut)).unwrap();
    // Simulate a kill: drop 10 finished runs' records (a record is the last file a run writes),
    // leave a half-written temporary file behind, and remove runs.csv and the report.
    let mut recs: Vec<_> = std::fs::read_dir(cut.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    recs.sort();
    for p in recs.iter().take(10) {
        std::fs::remove_file(p).unwrap();
    }
    std::fs::write(cut.join("runs").join(".x.json.tmp.1.1"), "{\"run_id\":").unwrap();
    std::fs::remove_file(cut.join("runs.csv")).unwrap();
    // Without --resume the folder is refused.
    let e = run_study(&s, &opts(&cut)).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("--resume"),
        "{e}"
    );
    let mut o = opts(&cut);
    o.resume = true;
    let outcome = run_study(&s, &o).unwrap();
    assert_eq!((outcome.performed, outcome.skipped), (10, 14));
    assert_eq!(
        untimed(&full.join("runs.csv")),
        untimed(&cut.join("runs.csv"))
    );
    assert_eq!(std::fs::read_dir(cut.join("runs")).unwrap().count(), 24);
    // Resuming a finished study runs nothing and changes nothing.
    let again = run_study(&s, &o).unwrap();
    assert_eq!((again.performed, again.skipped), (0, 24));
    assert_eq!(
        untimed(&full.join("runs.csv")),
        untimed(&cut.join("runs.csv"))
    );
}

#[test]
fn merged_shards_equal_the_unsharded_study() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(SMALL);
    run_study(&s, &opts(&d.path().join("all"))).unwrap();
    let mut sizes = 0;
    for i in 0..3 {
        let mut o = opts(&d.path().join(format!("shard{i}")));
        o.shard = Some(Shard { index: i, count: 3 });
        sizes += run_study(&s, &o).unwrap().performed;
    }
    assert_eq!(sizes, 24);
    let shards: Vec<_> = (0..3).map(|i| d.path().join(format!("shard{i}"))).collect();
    let refs: Vec<&Path> = shards.iter().map(|p| p.as_path()).collect();
    assert_eq!(
        merge_shards(&refs, &d.path().join("merged")).unwrap(),
        (24, 24)
    );
    assert_eq!(
        untimed(&d.path().join("all/runs.csv")),
        untimed(&d.path().join("merged/runs.csv"))
    );
    for f in ["spectra.json", "summary.md"] {
        assert!(d.path().join("merged").join(f).exists());
    }
    let plots = |p: &str| {
        let mut v: Vec<_> = std::fs::read_dir(d.path().join(p).join("plots"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    assert_eq!(plots("all"), plots("merged"));
}

#[test]
fn same_seed_gives_identical_values() {
    let d = tempfile::tempdir().unwrap();
    let s = spec(SMALL);
    run_study(&s, &opts(&d.path().join("a"))).unwrap();
    let mut o = opts(&d.path().join("b"));
    o.jobs = Some(1);
    run_study(&s, &o).unwrap();
    let (h, a) = untimed_with_header(&d.path().join("a/runs.csv"));
    assert_eq!(a, untimed(&d.path().join("b/runs.csv")));
    let c = |name: &str| col(&h, name);
    // Different seeds rotate the quadratic differently (seeded Haar rotation): its rows differ.
    let by_seed: BTreeMap<&str, Vec<&Vec<String>>> = a
        .iter()
        .filter(|r| r[c("problem")] == "quadratic" && r[c("method")] == "gd")
        .fold(BTreeMap::new(), |mut m, r| {
            m.entry(r[c("seed")].as_str()).or_default().push(r);
            m
        });
    assert_ne!(by_seed["0"][0][c("f")], by_seed["1"][0][c("f")]);
}

#[test]
fn run_ids_are_stable_and_depend_only_on_the_run() {
    let a = Plan::new(&spec(SMALL));
    // Reordering tables and keys does not change the ids; changing the stop rule does.
    let reordered = SMALL.replace(
        "lr = [0.005, 0.01]\nbeta = 0.9",
        "beta = 0.9\nlr = [0.01, 0.005]",
    );
    let b = Plan::new(&spec(&reordered));
    let ids = |p: &Plan| {
        p.runs
            .iter()
            .map(|r| r.id.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    let c = Plan::new(&spec(
        &SMALL.replace("max_iters = 3000", "max_iters = 3001"),
    ));
    assert!(ids(&a).is_disjoint(&ids(&c)));
}

fn bad(src: &str) -> String {
    let s = match StudySpec::parse(Path::new("bad.toml"), src) {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    match curvlab::study::runner::prepare(&s, factory) {
        Ok(_) => panic!("accepted: {src}"),
        Err(e) => {
            assert!(e.is_bad_input());
            e.to_string()
        }
    }
}

#[test]
fn malformed_studies_name_file_and_line() {
    let base = "name = \"b\"\n[[problems]]\nkind = \"quadratic\"\ndim = 4\n[[methods]]\nkind = \"gd\"\nlr = 0.1\n";
    assert!(curvlab::study::runner::prepare(&spec(base), factory).is_ok());
    let cases = [
        (
            base.replace("kind = \"gd\"", "kind = \"gdd\""),
            6,
            "unknown method",
        ),
        (base.replace("dim = 4", "dim = \"four\""), 4, "`dim`"),
        (base.replace("dim = 4", "dim = -3"), 4, "`dim`"),
        (
            base.replace("dim = 4", "dimm = 4"),
            4,
            "unknown parameter `dimm`",
        ),
        (
            base.replace("lr = 0.1", "lr = 0.1\nmomentum = 0.9"),
            8,
            "unknown parameter `momentum`",
        ),
        (
            base.replace("name = \"b\"", "name = \"b\"\nsedes = [0]"),
            2,
            "unknown field `sedes`",
        ),
        (
            base.replace("[[methods]]", "[stop]\nmax_iter = 3\n[[methods]]"),
            6,
            "unknown field `max_iter`",
        ),
        (base.replace("dim = 4", "dim = [4, {a = 1}]"), 4, "`dim`"),
        (base.replace("lr = 0.1", "lr = -0.1"), 7, "`lr`"),
    ];
    for (src, line, what) in cases {
        let msg = bad(&src);
        assert!(msg.starts_with(&format!("bad.toml:{line}: ")), "{msg}");
        assert!(msg.contains(what), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}

#[test]
fn relative_gradient_tolerance_stops_at_the_closed_form_iteration() {
    // GD at 2/(μ+L) on the ravine (steep 10, shallow 1) from (1, 8): ‖g_k‖ = (9/11)^k ‖g_0‖
    // exactly, so `grad_rtol = 1e-8` stops at the first k with (9/11)^k ≤ 1e-8.
    let src = "name = \"rel\"\n[stop]\ngrad_rtol = 1e-8\nmax_iters = 1000\n[[problems]]\nkind = \"ravine\"\nsteep = 10\n[[methods]]\nkind = \"gd\"\nlr = \"optimal\"\n";
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    run_study(&spec(src), &opts(&out)).unwrap();
    let (h, rows) = read_csv(&out.join("runs.csv"));
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let k_closed = (1e-8f64.ln() / (9.0f64 / 11.0).ln()).ceil() as usize;
    assert_eq!(
        rows[0][col("iterations")].parse::<usize>().unwrap(),
        k_closed
    );
    assert_eq!(rows[0][col("converged")], "true");
    let g = rows[0][col("grad_norm")].parse::<f64>().unwrap();
    assert!(g <= 1e-8 * 164f64.sqrt() && g > 1e-8 * 164f64.sqrt() * 9.0 / 11.0);
    // The prediction is for ε = grad_rtol: the same closed form.
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!(
            "| {k_closed} iterations (spectrum) | {k_closed} | {k_closed} | 1.00 |"
        )),
        "{summary}"
    );
    assert!(summary.contains("‖∇f‖ ≤ 0.00000001·‖∇f(x₀)‖"), "{summary}");
    // grad_tol and grad_rtol together are an error at the [stop] line; so is grad_rtol ≥ 1.
    let both = src.replace("grad_rtol = 1e-8", "grad_rtol = 1e-8\ngrad_tol = 1e-6");
    let e = StudySpec::parse(Path::new("rel.toml"), &both)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("rel.toml:2:") && e.contains("not both"),
        "{e}"
    );
    let big = src.replace("grad_rtol = 1e-8", "grad_rtol = 2");
    let e = StudySpec::parse(Path::new("rel.toml"), &big)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`grad_rtol`"), "{e}");
    // The relative rule is part of the run ids.
    let abs = Plan::new(&spec(&src.replace("grad_rtol = 1e-8", "grad_tol = 1e-8")));
    assert_ne!(Plan::new(&spec(src)).runs[0].id, abs.runs[0].id);
}

#[test]
fn large_instances_get_lanczos_extremes_and_an_slq_density() {
    // n = 1100 > 1000: curvature's automatic rule picks Lanczos; the quadratic's spectrum is
    // log-uniform in [1, κ] by construction (diagonal, so cheap products), so λ_min = 1 and
    // λ_max = κ = 50 exactly.
    let src = "name = \"big\"\n[stop]\ngrad_tol = 1e-6\nmax_iters = 5\n[[problems]]\nkind = \"quadratic\"\ndim = 1100\ncondition = 50\nrotation = \"diagonal\"\n[[methods]]\nkind = \"gd\"\nlr = \"optimal\"\n";
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    run_study(&spec(src), &opts(&out)).unwrap();
    let sp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spectra.json")).unwrap()).unwrap();
    let s = &sp[0]["at_start"];
    assert_eq!(s["algo"], "lanczos");
    assert!(s["eigenvalues"].is_null() && s["inertia"].is_null());
    let hi = s["largest"][0].as_f64().unwrap();
    let lo = s["smallest"][0].as_f64().unwrap();
    // Measured errors 4.3e-11 (λ_max) and 7.8e-13 (λ_min); bound 1e-9.
    assert!(
        (hi - 50.0).abs() < 1e-9 && (lo - 1.0).abs() < 1e-9,
        "{lo} {hi}"
    );
    assert_eq!(s["negative_count"], 0);
    // The SLQ density integrates to 1 (trapezoid on its grid) and has its mean near tr A / n
    // (the log-uniform mean (κ−1)/ln κ = 12.53, within Hutchinson noise).
    let grid: Vec<f64> = serde_json::from_value(s["density"]["grid"].clone()).unwrap();
    let dens: Vec<f64> = serde_json::from_value(s["density"]["density"].clone()).unwrap();
    let h = grid[1] - grid[0];
    let mass: f64 = dens.iter().sum::<f64>() * h;
    // Measured |mass − 1| = 7.9e-12; bound 1e-10.
    assert!((mass - 1.0).abs() < 1e-10, "{mass}");
    let mean: f64 = grid.iter().zip(&dens).map(|(x, p)| x * p).sum::<f64>() * h;
    // Measured 12.537 against 12.525 (seed 0, 10 probes); bound 0.05.
    assert!((mean - 49.0 / 50f64.ln()).abs() < 0.05, "{mean}");
    // Predictions from the extremes: every iterative method's estimate uses κ alone (the
    // asymptotic rate); GD's count is the closed form for ε = grad_tol / ‖∇f(x₀)‖ with
    // ‖∇f(x₀)‖ = ‖b‖ (x₀ = 0).
    let methods = sp[0]["prediction"]["methods"].as_array().unwrap();
    assert_eq!(sp[0]["prediction"]["rule"]["kind"], "absolute_gradient");
    for m in methods.iter().filter(|m| m["method"] != "newton") {
        assert_eq!(m["basis"], "κ", "{m}");
    }
    let inst = curvlab::problems::build_problem(
        "quadratic",
        &Params::from_pairs(&["dim=1100", "condition=50", "rotation=diagonal"]).unwrap(),
        0,
    )
    .unwrap();
    let mut g = vec![0.0; 1100];
    inst.objective.gradient(&inst.x0, &mut g).unwrap();
    let eps = 1e-6 / g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let k_gd = (eps.ln() / (49.0f64 / 51.0).ln()).ceil() as u64;
    let gd = methods.iter().find(|m| m["method"] == "gd").unwrap();
    assert_eq!(gd["iterations"].as_u64().unwrap(), k_gd);
    let svg = std::fs::read_to_string(out.join("plots/p00-quadratic-spectrum.svg")).unwrap();
    let (content, _) = parse_svg(&svg);
    assert!(
        content.contains("(SLQ)") && content.contains("10 probes"),
        "{content}"
    );
    // Sharpness at the final point by Lanczos: the largest eigenvalue, 50.
    let (hd, rows) = read_csv(&out.join("runs.csv"));
    let c = hd.iter().position(|c| c == "sharpness").unwrap();
    // Measured error 4.2e-12; bound 1e-9.
    assert!((rows[0][c].parse::<f64>().unwrap() - 50.0).abs() < 1e-9);
}
