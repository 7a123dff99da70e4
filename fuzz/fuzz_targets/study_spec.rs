//! The study path up to the first run: TOML parsing with line numbers, sweep expansion into the
//! plan, and the methods' parameter validation. Any input must give `Ok` or `Err`.
#![no_main]
use curvlab::methods::{MethodContext, build_method};
use curvlab::study::expand::{DEFAULT_MAX_RUNS, check_run_count};
use curvlab::study::{Plan, StudySpec};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = StudySpec::parse(Path::new("fuzz.toml"), text) else {
        return;
    };
    // The CLI refuses plans above --max-runs before expanding them; so does the fuzz target.
    if check_run_count(&spec, DEFAULT_MAX_RUNS).is_err() {
        return;
    }
    let plan = Plan::new(&spec);
    for m in plan.methods.iter().take(64) {
        let _ = build_method(&m.kind, &m.to_params(), &MethodContext::default());
    }
});
