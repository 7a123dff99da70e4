//! The UCI "Optical Recognition of Handwritten Digits" data set, 8×8 version (E. Alpaydin and
//! C. Kaynak, 1998; UCI Machine Learning Repository, CC BY 4.0): 1,797 images of handwritten
//! digits 0–9 from 43 writers, each an 8×8 grid of block counts 0..16, as scikit-learn ships it
//! (`load_digits`).
//!
//! The gzip file `data/digits.csv.gz` (extracted once by `scripts/fetch_digits.sh`; licence and
//! attribution in `data/README.md`) is compiled into the crate with `include_bytes!`, inflated
//! with `miniz_oxide` and checked against its CRC-32: nothing is read or downloaded at run time.
//! Pixels are scaled to `[0, 1]` (divided by 16).

use super::Labeled;
use crate::error::{Error, Result};
use faer::Mat;

/// The gzip file as committed.
const DIGITS_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// The number of images.
pub const SAMPLES: usize = 1797;
/// Pixels per image (8×8).
pub const FEATURES: usize = 64;
/// The classes, digits 0–9.
pub const CLASSES: usize = 10;

/// All 1,797 digits in file order, pixels scaled to `[0, 1]`.
///
/// ```
/// let d = curvlab::problems::datasets::digits::load().unwrap();
/// assert_eq!((d.len(), d.num_features()), (1797, 64));
/// assert_eq!(d.labels()[..3], [0, 1, 2]);
/// ```
pub fn load() -> Result<Labeled> {
    let text = gunzip(DIGITS_GZ)?;
    let text = std::str::from_utf8(&text).map_err(|e| corrupt(&format!("not UTF-8: {e}")))?;
    parse_csv(text)
}

fn corrupt(what: &str) -> Error {
    Error::invalid("digits", "data/digits.csv.gz", what)
}

/// Parses rows of 64 pixel counts and a label.
fn parse_csv(text: &str) -> Result<Labeled> {
    let mut x = Mat::<f64>::zeros(SAMPLES, FEATURES);
    let mut labels = Vec::with_capacity(SAMPLES);
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if i >= SAMPLES {
            return Err(corrupt(&format!("more than {SAMPLES} rows")));
        }
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != FEATURES + 1 {
            return Err(corrupt(&format!("row {i} has {} cells", cells.len())));
        }
        for (j, c) in cells.iter().enumerate() {
            let v: u32 = c
                .trim()
                .parse()
                .map_err(|_| corrupt(&format!("row {i}, column {j}: `{c}`")))?;
            let bound = if j == FEATURES { CLASSES as u32 } else { 17 };
            if v >= bound {
                return Err(corrupt(&format!("row {i}, column {j}: {v} out of range")));
            }
            if j == FEATURES {
                labels.push(v as usize);
            } else {
                x[(i, j)] = v as f64 / 16.0;
            }
        }
    }
    if labels.len() != SAMPLES {
        return Err(corrupt(&format!(
            "{} rows, expected {SAMPLES}",
            labels.len()
        )));
    }
    Labeled::new(x, labels)
}

/// Inflates a single-member gzip file (RFC 1952) and checks its CRC-32 and length.
///
/// ```
/// // An empty member: header, an empty final stored block, CRC 0, length 0.
/// let gz = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// assert!(curvlab::problems::datasets::digits::gunzip(&gz).unwrap().is_empty());
/// assert!(curvlab::problems::datasets::digits::gunzip(&gz[..5]).is_err());
/// ```
pub fn gunzip(gz: &[u8]) -> Result<Vec<u8>> {
    if gz.len() < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8 {
        return Err(corrupt("not a gzip (deflate) file"));
    }
    let flags = gz[3];
    let mut pos = 10;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes([gz[pos], gz[pos + 1]]) as usize;
        pos += 2 + xlen;
    }
    for bit in [8u8, 16] {
        // FNAME, FCOMMENT: zero-terminated.
        if flags & bit != 0 {
            let end = gz[pos.min(gz.len())..].iter().position(|&b| b == 0);
            pos += end.ok_or_else(|| corrupt("truncated header"))? + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    if pos + 8 > gz.len() {
        return Err(corrupt("truncated file"));
    }
    let body = &gz[pos..gz.len() - 8];
    let out = miniz_oxide::inflate::decompress_to_vec(body)
        .map_err(|e| corrupt(&format!("inflate failed: {e:?}")))?;
    let t = &gz[gz.len() - 8..];
    let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
    let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
    if crc32(&out) != crc || out.len() as u32 != len {
        return Err(corrupt("CRC-32 or length mismatch"));
    }
    Ok(out)
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bitwise.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32: "123456789" -> 0xCBF43926.
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}
