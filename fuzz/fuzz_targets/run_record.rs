//! The run-record reader used by `--resume` and `merge`: a fuzzed `runs/<id>.json` in a study
//! folder. Any input must give `Ok` or `Err` (a record that does not parse is a run to redo).
#![no_main]
use curvlab::study::outputs::read_records;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn folder() -> &'static std::path::PathBuf {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("curvlab-fuzz-record-{}", std::process::id()));
        std::fs::create_dir_all(d.join("runs")).expect("temporary folder");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let out = folder();
    let path = out.join("runs").join("0123456789abcdef.json");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = read_records(out);
});
