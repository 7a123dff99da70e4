//! `--problem-opt` / `--method-opt` parsing and every method's builder: one `key=value` pair per
//! input line. Any input must give `Ok` or `Err`, never a panic.
#![no_main]
use curvlab::methods::{MethodContext, build_method, method_infos};
use curvlab::params::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<&str> = text.lines().take(64).collect();
    let Ok(p) = Params::from_pairs(&pairs) else {
        return;
    };
    let ctx = MethodContext {
        eigenvalues: Some(vec![1.0, 10.0]),
        seed: 1,
        num_examples: Some(100),
    };
    for info in method_infos() {
        let _ = build_method(info.name, &p, &ctx);
    }
});
