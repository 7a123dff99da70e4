//! The Matrix Market reader (coordinate and array formats, general and symmetric). Any input
//! must give `Ok` or `Err`, and never allocate from what a header merely declares.
#![no_main]
use curvlab::linalg::sparse::CsrMatrix;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = CsrMatrix::read_matrix_market_from(data, Path::new("fuzz.mtx"));
});
