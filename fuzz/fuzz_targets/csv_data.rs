//! The CSV data reader (features then a label column, optional header). Any input must give
//! `Ok` or `Err`.
#![no_main]
use curvlab::problems::data::Dataset;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = Dataset::from_csv_reader(data, Path::new("fuzz.csv"));
});
