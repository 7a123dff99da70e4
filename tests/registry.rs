//! The registry's documentation against the methods it builds: for every method that
//! `curvlab list` prints, each default it prints (run the binary, `list --json`) equals the
//! value the method built from no parameters actually uses (read back through
//! `Method::settings`), which the registry takes from the typed methods' `Default`s; and for
//! the first-order family, the typed `Default`s (`Adam::default()`, …) agree with the
//! registry-built methods key by key.
//!
//! Printed defaults that are rules rather than values are checked as rules: `required` (the
//! build fails naming the key), `= KEY` (equals KEY's value), `a | b` (the values under the
//! schedules that read the key), `1 epoch` (`⌈N / batch_size⌉` minibatch steps).

use curvlab::Error;
use curvlab::methods::first_order::{
    AdaGrad, Adam, AdamW, Amsgrad, GradientDescent, Momentum, MomentumSchedule, NAdam, Nesterov,
    RmsProp,
};
use curvlab::methods::{Method, MethodContext, build_method, method_infos};
use curvlab::params::{Params, Value};
use std::collections::BTreeMap;

/// Methods that do not report their settings yet (the second-order family, whose tables are
/// being moved into the registry): the test fails when one of them starts reporting, so that
/// it is checked from then on.
const PENDING: &[&str] = &["lbfgs", "newton", "newton-cg", "trust-ncg", "hessian-free"];

/// Examples of the finite sum assumed for the minibatch build, and its batch size.
const N_EXAMPLES: usize = 100;
const BATCH: usize = 10;

/// `name → [(key, printed default)]` from `curvlab list --json`.
fn printed() -> BTreeMap<String, Vec<(String, String)>> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_curvlab"))
        .args(["list", "--json"])
        .output()
        .expect("run curvlab list");
    assert!(out.status.success(), "curvlab list failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    let mut map = BTreeMap::new();
    for m in v["methods"].as_array().expect("methods") {
        let params = m["params"]
            .as_array()
            .expect("params")
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().expect("string").to_string();
                (s("name"), s("default"))
            })
            .collect();
        map.insert(m["name"].as_str().expect("name").to_string(), params);
    }
    map
}

type Settings = BTreeMap<&'static str, Value>;
type Setting = (&'static str, Value);

fn build(kind: &str, opts: &[String], ctx: &MethodContext) -> curvlab::Result<Settings> {
    let m = build_method(kind, &Params::from_pairs(opts)?, ctx)?;
    Ok(m.settings().into_iter().collect())
}

/// The settings of `kind` built from `base` plus each schedule, and with minibatches.
fn variant_builds(kind: &str, base: &[String]) -> Vec<Settings> {
    let mut out = Vec::new();
    for extra in ["schedule=step", "schedule=exponential", "schedule=cosine"] {
        let mut o = base.to_vec();
        o.push(extra.into());
        out.push(build(kind, &o, &MethodContext::default()).expect(extra));
    }
    let mut o = base.to_vec();
    o.push(format!("batch_size={BATCH}"));
    let ctx = MethodContext {
        num_examples: Some(N_EXAMPLES),
        ..MethodContext::default()
    };
    out.push(build(kind, &o, &ctx).expect("minibatch build"));
    out
}

fn same(printed: &str, v: &Value) -> bool {
    match (Value::parse(printed), v) {
        (Value::Num(a), Value::Num(b)) => a == *b,
        (a, b) => a == *b,
    }
}

/// Checks one printed default of `kind` against the base build and the variant builds.
fn check_key(kind: &str, key: &str, printed: &str, base: &Settings, variants: &[Settings]) {
    let what = format!("{kind}.{key}: printed `{printed}`");
    if let Some(other) = printed.strip_prefix("= ") {
        assert_eq!(base.get(key), base.get(other), "{what}");
        assert!(base.contains_key(key), "{what}: not reported");
    } else if printed == "1 epoch" {
        let v = variants.iter().find_map(|s| s.get(key)).expect(&what);
        assert_eq!(*v, Value::Num(N_EXAMPLES.div_ceil(BATCH) as f64), "{what}");
    } else if let Some(v) = base.get(key) {
        assert!(same(printed, v), "{what}, built {v}");
    } else {
        // A key read only under some schedules: every variant that reads it uses one of the
        // printed alternatives, and every alternative is used by one of them.
        let alts: Vec<&str> = printed.split(" | ").collect();
        let used: Vec<&Value> = variants.iter().filter_map(|s| s.get(key)).collect();
        assert!(!used.is_empty(), "{what}: reported by no build");
        for v in &used {
            assert!(alts.iter().any(|a| same(a, v)), "{what}, built {v}");
        }
        for a in &alts {
            assert!(used.iter().any(|v| same(a, v)), "{what}: `{a}` unused");
        }
    }
}

/// Checks every printed default of `kind`; false if the method reports no settings.
fn check_method(kind: &str, params: &[(String, String)]) -> bool {
    let mut base_opts = Vec::new();
    for (key, default) in params {
        if default == "required" {
            match build_method(kind, &Params::new(), &MethodContext::default()) {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(&name, key, "{kind}"),
                other => panic!("{kind}: builds without required `{key}`: {:?}", other.err()),
            }
            base_opts.push(format!("{key}=0.1"));
        }
    }
    let base = build(kind, &base_opts, &MethodContext::default()).expect(kind);
    if base.is_empty() {
        return false;
    }
    // Schedules and minibatches exist for the methods that document them.
    let variants = if params.iter().any(|(k, _)| k == "schedule") {
        variant_builds(kind, &base_opts)
    } else {
        Vec::new()
    };
    for (key, default) in params.iter().filter(|(_, d)| d != "required") {
        check_key(kind, key, default, &base, &variants);
    }
    // Nothing reported that `list` does not document.
    let documented: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    for s in std::iter::once(&base).chain(&variants) {
        for k in s.keys() {
            assert!(
                documented.contains(k),
                "{kind}: `{k}` is not in curvlab list"
            );
        }
    }
    true
}

#[test]
fn curvlab_list_prints_the_defaults_the_methods_use() {
    let listed = printed();
    let infos = method_infos();
    assert_eq!(
        listed.len(),
        infos.len(),
        "list prints every registry method"
    );
    let mut pending = Vec::new();
    for info in &infos {
        let params = listed.get(info.name).expect(info.name);
        assert_eq!(params.len(), info.params.len(), "{}", info.name);
        if !check_method(info.name, params) {
            pending.push(info.name);
        }
    }
    assert_eq!(pending, PENDING, "methods that report no settings");
    // Measured: the nine first-order methods, AdaHessian, Sophia(-H), Sophia-G, Shampoo and K-FAC
    // are checked, 5 second-order ones pending.
    assert_eq!(infos.len() - pending.len(), 14);
}

#[test]
fn typed_defaults_agree_with_the_registry() {
    // The typed constructors' `Default`s (and, where the learning rate is required, `new`
    // with MomentumSchedule::default()'s ρ) against the registry's build, key by key.
    let rho = MomentumSchedule::default().end();
    let typed: Vec<(&str, Vec<Setting>, &[&str])> = vec![
        (
            "gd",
            GradientDescent::new(0.1).unwrap().settings(),
            &["lr=0.1"],
        ),
        (
            "momentum",
            Momentum::new(0.1, rho).unwrap().settings(),
            &["lr=0.1"],
        ),
        (
            "nesterov",
            Nesterov::new(0.1, rho).unwrap().settings(),
            &["lr=0.1"],
        ),
        ("adagrad", AdaGrad::default().settings(), &[]),
        ("rmsprop", RmsProp::default().settings(), &[]),
        ("adam", Adam::default().settings(), &[]),
        ("adamw", AdamW::default().settings(), &[]),
        ("amsgrad", Amsgrad::default().settings(), &[]),
        ("nadam", NAdam::default().settings(), &[]),
    ];
    for (kind, settings, opts) in typed {
        let opts: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
        let built = build(kind, &opts, &MethodContext::default()).unwrap();
        assert!(settings.len() >= 6, "{kind}: {settings:?}");
        for (k, v) in settings {
            assert_eq!(built.get(k), Some(&v), "{kind}.{k}");
        }
    }
}

#[test]
fn typed_constructors_run_the_same_iterates_as_the_registry() {
    // Adam::new(0.05) with betas (0.8, 0.99) and the registry's `adam lr=0.05 beta1=0.8
    // beta2=0.99` take bitwise the same 20 steps on Rosenbrock from (−1.2, 1).
    use curvlab::problems::Rosenbrock;
    use curvlab::{Stop, minimize};
    let f = Rosenbrock::new(2).unwrap();
    let stop = Stop::new(0.0, 20);
    let mut typed = Adam::new(0.05).unwrap().with_betas(0.8, 0.99).unwrap();
    let a = minimize(&f, &mut typed, &[-1.2, 1.0], &stop).unwrap();
    let p = Params::from_pairs(&["lr=0.05", "beta1=0.8", "beta2=0.99"]).unwrap();
    let mut named = build_method("adam", &p, &MethodContext::default()).unwrap();
    let b = minimize(&f, &mut named, &[-1.2, 1.0], &stop).unwrap();
    assert_eq!(a.iterations, 20);
    assert_eq!(a.x, b.x);
    let fa: Vec<f64> = a.trace.iter().map(|r| r.f).collect();
    let fb: Vec<f64> = b.trace.iter().map(|r| r.f).collect();
    assert_eq!(fa, fb);
}
