//! Stable run ids: the 64-bit FNV-1a hash (Fowler, Noll & Vo; IETF draft-eastlake-fnv) of the
//! canonical JSON of a run's specification — problem kind and parameters, method kind and
//! parameters, seed and stopping rule — written as 16 hex digits.
//!
//! The canonical form sorts keys (BTreeMap), writes every number as an `f64` through
//! `serde_json` (shortest round-trip digits), so `dim = 200` and `dim = 200.0` are the same
//! run. FNV-1a is implemented here on purpose: `std`'s `DefaultHasher` is not stable across Rust
//! releases, and a resumed study must recognise its finished runs forever.

use super::instance::Instance;
use crate::minimize::Stop;

/// FNV-1a, 64 bits.
///
/// ```
/// use curvlab::study::run_id::fnv1a64;
/// // Published test vectors (FNV reference code): "" and "a".
/// assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
/// assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
/// assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
/// ```
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The canonical JSON text a run id is the hash of.
///
/// ```
/// use curvlab::study::{expand::Instance, run_id::canonical};
/// let p = Instance { kind: "ravine".into(), params: Default::default(), table: 0 };
/// let m = Instance { kind: "gd".into(), params: Default::default(), table: 0 };
/// let c = canonical(&p, &m, 3, &curvlab::Stop::default());
/// assert!(c.contains("\"kind\":\"gd\""));
/// assert!(c.contains("\"seed\":3"));
/// ```
pub fn canonical(problem: &Instance, method: &Instance, seed: u64, stop: &Stop) -> String {
    canonical_rel(problem, method, seed, stop, None)
}

/// [`canonical`] with the study's relative gradient tolerance (`[stop] grad_rtol`), which enters
/// the text only when given, so the ids of studies without it do not change.
///
/// ```
/// use curvlab::study::{expand::Instance, run_id::{canonical, canonical_rel}};
/// let p = Instance { kind: "ravine".into(), params: Default::default(), table: 0 };
/// let m = Instance { kind: "gd".into(), params: Default::default(), table: 0 };
/// let s = curvlab::Stop::default();
/// assert_eq!(canonical_rel(&p, &m, 0, &s, None), canonical(&p, &m, 0, &s));
/// assert!(canonical_rel(&p, &m, 0, &s, Some(1e-6)).contains("\"grad_rtol\":1e-6"));
/// ```
pub fn canonical_rel(
    problem: &Instance,
    method: &Instance,
    seed: u64,
    stop: &Stop,
    grad_rtol: Option<f64>,
) -> String {
    let mut v = serde_json::json!({
        "version": 1,
        "problem": { "kind": problem.kind, "params": problem.params },
        "method": { "kind": method.kind, "params": method.params },
        "seed": seed,
        "stop": {
            "grad_tol": stop.grad_tol,
            "f_rel_tol": stop.f_rel_tol,
            "max_iters": stop.max_iters,
            "max_evals": stop.max_evals,
            "max_seconds": stop.max_seconds,
        },
    });
    if let (Some(r), Some(s)) = (grad_rtol, v.get_mut("stop").and_then(|s| s.as_object_mut())) {
        s.insert("grad_rtol".into(), serde_json::json!(r));
    }
    // `[stop] f_target` enters only when given, so other studies' ids do not change.
    if let (Some(t), Some(s)) = (
        stop.f_target,
        v.get_mut("stop").and_then(|s| s.as_object_mut()),
    ) {
        s.insert("f_target".into(), serde_json::json!(t));
    }
    // serde_json's default map is a BTreeMap: keys come out sorted.
    v.to_string()
}

/// The run id: 16 hex digits of [`fnv1a64`] of [`canonical`].
///
/// ```
/// use curvlab::study::{expand::Instance, run_id::run_id};
/// use curvlab::params::Value;
/// let p = Instance { kind: "quadratic".into(), params: [("dim".to_string(), Value::Num(200.0))].into(), table: 0 };
/// let m = Instance { kind: "gd".into(), params: Default::default(), table: 1 };
/// let a = run_id(&p, &m, 0, &curvlab::Stop::default());
/// assert_eq!(a.len(), 16);
/// assert_eq!(a, run_id(&Instance { table: 5, ..p.clone() }, &m, 0, &curvlab::Stop::default()));
/// assert_ne!(a, run_id(&p, &m, 1, &curvlab::Stop::default()));
/// ```
pub fn run_id(problem: &Instance, method: &Instance, seed: u64, stop: &Stop) -> String {
    run_id_rel(problem, method, seed, stop, None)
}

/// [`run_id`] of [`canonical_rel`].
///
/// ```
/// use curvlab::study::{expand::Instance, run_id::{run_id, run_id_rel}};
/// let p = Instance { kind: "ravine".into(), params: Default::default(), table: 0 };
/// let m = Instance { kind: "gd".into(), params: Default::default(), table: 0 };
/// let s = curvlab::Stop::default();
/// assert_eq!(run_id_rel(&p, &m, 0, &s, None), run_id(&p, &m, 0, &s));
/// assert_ne!(run_id_rel(&p, &m, 0, &s, Some(1e-6)), run_id(&p, &m, 0, &s));
/// ```
pub fn run_id_rel(
    problem: &Instance,
    method: &Instance,
    seed: u64,
    stop: &Stop,
    grad_rtol: Option<f64>,
) -> String {
    format!(
        "{:016x}",
        fnv1a64(canonical_rel(problem, method, seed, stop, grad_rtol).as_bytes())
    )
}
