//! The Matrix Market reader (Boisvert, Pozo & Remington 1996, "The Matrix Market Exchange
//! Formats"): header, size line and entries, with every buffer sized from what the file can
//! hold (a size line is untrusted input, its request is checked against
//! [`crate::memory::limit`] before reading the entries), lines bounded in length and free of NUL
//! bytes (a device such as `/dev/zero` is an error at line 1, not an unbounded read).

use super::CsrMatrix;
use crate::error::{Error, Result};
use crate::memory;
use std::io::BufRead;
use std::path::Path;

/// The size of a Matrix Market file as its size line declares it, capped by what the file's
/// length allows ([`CsrMatrix::read_matrix_market_size`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixMarketSize {
    /// The file.
    pub path: std::path::PathBuf,
    /// Rows.
    pub nrows: usize,
    /// Columns.
    pub ncols: usize,
    /// Entries to store (a symmetric file's off-diagonal entries count twice): the declared
    /// count, at most what the file's length can hold (a coordinate entry takes at least 6
    /// bytes, `1 1 1\n`; an array value at least 2).
    pub entries: u64,
}

impl MatrixMarketSize {
    /// What reading the file allocates: the row pointers `(nrows + 1)` and, per stored entry,
    /// its triplet, the sorted copy and the CSR index and value (64 bytes); plus the working set
    /// of whatever multiplies by it ([`memory::working_set`] of `ncols`).
    pub fn request(&self) -> memory::Request {
        memory::Request::new(
            format!(
                "Matrix Market file {} ({} x {}, {} stored entries)",
                self.path.display(),
                self.nrows,
                self.ncols,
                self.entries
            ),
            memory::sum(&[
                memory::f64s(&[(self.nrows as u64).saturating_add(1)]),
                memory::f64s(&[8, self.entries]),
                memory::working_set(self.ncols as u64),
            ]),
            "use a smaller matrix",
        )
        .with_key("path")
    }
}

/// The length of `file` when it is a regular file (pipes and devices have none).
pub(super) fn regular_file_size(file: &std::fs::File) -> Option<u64> {
    file.metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// The longest line a Matrix Market file may have (1 MiB): an array file has one value per
/// line, a coordinate file three numbers.
const MAX_LINE: u64 = 1 << 20;

/// Lines of a reader with a bound on each line's length and no NUL bytes: a device such as
/// `/dev/zero` or a binary file is an error at its first line, not an unbounded read.
pub(super) struct BoundedLines<R> {
    reader: R,
}

impl<R: BufRead> BoundedLines<R> {
    pub(super) fn new(reader: R) -> Self {
        BoundedLines { reader }
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::io::Read;
        let bad = |m: String| Some(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, m)));
        let mut buf = Vec::new();
        match (&mut self.reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
        if buf.contains(&0) {
            return bad("binary data (a NUL byte): not a Matrix Market text file".into());
        }
        if buf.len() as u64 > MAX_LINE && buf.last() != Some(&b'\n') {
            return bad(format!(
                "a line longer than {}: not a Matrix Market text file",
                memory::format_binary(MAX_LINE)
            ));
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Some(
            String::from_utf8(buf)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())),
        )
    }
}

/// The Matrix Market parser state: the file (for errors) and the current line number.
pub(super) struct MmReader<'a> {
    path: &'a Path,
    line: usize,
    /// The file's length, when it is a regular file.
    pub(super) file_bytes: Option<u64>,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Layout {
    Coordinate,
    Array,
}

impl<'a> MmReader<'a> {
    pub(super) fn new(path: &'a Path) -> Self {
        MmReader {
            path,
            line: 0,
            file_bytes: None,
        }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Parse {
            path: self.path.to_path_buf(),
            line: self.line,
            message: message.into(),
        }
    }

    /// The next line that is not a comment or blank, or `None` at the end.
    fn next_data_line<I: Iterator<Item = std::io::Result<String>>>(
        &mut self,
        lines: &mut I,
    ) -> Result<Option<String>> {
        for l in lines.by_ref() {
            self.line += 1;
            let l = l.map_err(|e| self.err(format!("cannot read: {e}")))?;
            let t = l.trim();
            if t.is_empty() || t.starts_with('%') {
                continue;
            }
            return Ok(Some(t.to_string()));
        }
        Ok(None)
    }

    pub(super) fn read<R: BufRead>(mut self, reader: R) -> Result<CsrMatrix> {
        let mut lines = BoundedLines::new(reader);
        let (layout, symmetric) = self.header(&mut lines)?;
        let (m, n, nnz) = self.size(&mut lines, layout, symmetric)?;
        self.size_of(layout, symmetric, (m, n, nnz))?
            .request()
            .check()?;
        let triplets = match layout {
            Layout::Coordinate => self.coordinate(&mut lines, (m, n), nnz, symmetric)?,
            Layout::Array => self.array(&mut lines, (m, n), symmetric)?,
        };
        CsrMatrix::from_triplets(m, n, &triplets)
    }

    /// The stored entries the size line allows, capped by the file's length.
    pub(super) fn size_of(
        &self,
        layout: Layout,
        symmetric: bool,
        (m, n, nnz): (usize, usize, usize),
    ) -> Result<MatrixMarketSize> {
        let (values, min_bytes) = match layout {
            Layout::Coordinate => (Some(nnz as u64), 6),
            Layout::Array => (array_values(m, n, symmetric), 2),
        };
        let values = match (values, self.file_bytes) {
            (Some(v), Some(len)) => Some(v.min(len / min_bytes)),
            (v, _) => v,
        };
        let entries = values
            .and_then(|v| v.checked_mul(if symmetric { 2 } else { 1 }))
            .ok_or_else(|| {
                self.err(format!(
                    "bad size line: a {m} x {n} array has more values than 64 bits can count"
                ))
            })?;
        Ok(MatrixMarketSize {
            path: self.path.to_path_buf(),
            nrows: m,
            ncols: n,
            entries,
        })
    }

    /// Line 1: `%%MatrixMarket matrix coordinate|array real|integer general|symmetric`.
    pub(super) fn header<I: Iterator<Item = std::io::Result<String>>>(
        &mut self,
        lines: &mut I,
    ) -> Result<(Layout, bool)> {
        self.line = 1;
        let header = match lines.next() {
            None => return Err(self.err("empty file: expected a %%MatrixMarket header")),
            Some(l) => l.map_err(|e| self.err(format!("cannot read: {e}")))?,
        };
        let tok: Vec<String> = header
            .split_whitespace()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let expected = "expected `%%MatrixMarket matrix coordinate|array real general|symmetric`";
        if tok.len() != 5 || tok[0] != "%%matrixmarket" || tok[1] != "matrix" {
            return Err(self.err(format!("bad header `{}`: {expected}", header.trim())));
        }
        let layout = match tok[2].as_str() {
            "coordinate" => Layout::Coordinate,
            "array" => Layout::Array,
            other => {
                return Err(self.err(format!(
                    "bad header: unknown format `{other}` (expected coordinate or array)"
                )));
            }
        };
        if !matches!(tok[3].as_str(), "real" | "double" | "integer") {
            return Err(self.err(format!(
                "bad header: field `{}` is not supported (only real or integer)",
                tok[3]
            )));
        }
        let symmetric = match tok[4].as_str() {
            "general" => false,
            "symmetric" => true,
            other => {
                return Err(self.err(format!(
                    "bad header: symmetry `{other}` is not supported (only general or symmetric)"
                )));
            }
        };
        Ok((layout, symmetric))
    }

    /// The size line: `rows columns entries` (coordinate) or `rows columns` (array; the
    /// entry count returned is 0).
    pub(super) fn size<I: Iterator<Item = std::io::Result<String>>>(
        &mut self,
        lines: &mut I,
        layout: Layout,
        symmetric: bool,
    ) -> Result<(usize, usize, usize)> {
        let size = self
            .next_data_line(lines)?
            .ok_or_else(|| self.err("missing size line"))?;
        let want = if layout == Layout::Coordinate { 3 } else { 2 };
        let dims: Vec<usize> = size
            .split_whitespace()
            .map(|s| s.parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .ok()
            .filter(|d: &Vec<usize>| d.len() == want)
            .ok_or_else(|| {
                self.err(format!(
                    "bad size line `{size}`: expected {}",
                    if want == 3 {
                        "`rows columns entries` (three nonnegative integers)"
                    } else {
                        "`rows columns` (two nonnegative integers)"
                    }
                ))
            })?;
        let (m, n) = (dims[0], dims[1]);
        if symmetric && m != n {
            return Err(self.err(format!(
                "bad size line: a symmetric matrix must be square, got {m} x {n}"
            )));
        }
        let nnz = dims.get(2).copied().unwrap_or(0);
        if layout == Layout::Coordinate && m.checked_mul(n).is_none_or(|mn| nnz > mn) {
            return Err(self.err(format!(
                "bad size line: {nnz} entries do not fit in a {m} x {n} matrix"
            )));
        }
        Ok((m, n, nnz))
    }

    /// The entries of a coordinate file: `row column value`, 1-based, the lower triangle only
    /// when symmetric (mirrored here).
    fn coordinate<I: Iterator<Item = std::io::Result<String>>>(
        &mut self,
        lines: &mut I,
        (m, n): (usize, usize),
        nnz: usize,
        symmetric: bool,
    ) -> Result<Vec<(usize, usize, f64)>> {
        // Capped: the size line is untrusted input.
        let mut triplets = Vec::with_capacity(nnz.min(1 << 20));
        let mut count = 0;
        while let Some(l) = self.next_data_line(lines)? {
            if count == nnz {
                return Err(self.err(format!(
                    "wrong number of entries: more than the {nnz} declared on the size line"
                )));
            }
            let (i, j, v) = self.coordinate_entry(&l, m, n)?;
            if symmetric && i < j {
                return Err(self.err(format!(
                    "entry ({}, {}) above the diagonal: a symmetric file stores the lower \
                     triangle only",
                    i + 1,
                    j + 1
                )));
            }
            triplets.push((i, j, v));
            if symmetric && i != j {
                triplets.push((j, i, v));
            }
            count += 1;
        }
        if count != nnz {
            return Err(self.err(format!(
                "wrong number of entries: the size line declares {nnz}, the file has {count}"
            )));
        }
        Ok(triplets)
    }

    /// One `row column value` line, as 0-based indices.
    fn coordinate_entry(&self, l: &str, m: usize, n: usize) -> Result<(usize, usize, f64)> {
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.len() != 3 {
            return Err(self.err(format!(
                "expected `row column value`, found {} fields in `{l}`",
                t.len()
            )));
        }
        let idx = |s: &str, what: &str, max: usize| -> Result<usize> {
            let v: usize = s
                .parse()
                .map_err(|_| self.err(format!("{what} index `{s}` is not a positive integer")))?;
            if v == 0 || v > max {
                return Err(self.err(format!(
                    "{what} index {v} out of range 1..={max} ({m} x {n} matrix)"
                )));
            }
            Ok(v - 1)
        };
        Ok((
            idx(t[0], "row", m)?,
            idx(t[1], "column", n)?,
            self.number(t[2])?,
        ))
    }

    /// The values of an array file, column-major; for symmetric files the lower triangle,
    /// column by column (mirrored here). Zeros are not stored.
    fn array<I: Iterator<Item = std::io::Result<String>>>(
        &mut self,
        lines: &mut I,
        (m, n): (usize, usize),
        symmetric: bool,
    ) -> Result<Vec<(usize, usize, f64)>> {
        let total = array_values(m, n, symmetric)
            .and_then(|t| usize::try_from(t).ok())
            .ok_or_else(|| self.err("bad size line: matrix too large"))?;
        let kind = if symmetric { "symmetric " } else { "" };
        let mut triplets = Vec::new();
        let (mut i, mut j) = (0, 0);
        let mut count = 0;
        while let Some(l) = self.next_data_line(lines)? {
            for s in l.split_whitespace() {
                if count == total {
                    return Err(self.err(format!(
                        "wrong number of entries: more than the {total} values of a \
                         {m} x {n} {kind}array"
                    )));
                }
                let v = self.number(s)?;
                if v != 0.0 {
                    triplets.push((i, j, v));
                    if symmetric && i != j {
                        triplets.push((j, i, v));
                    }
                }
                count += 1;
                i += 1;
                if i == m {
                    j += 1;
                    i = if symmetric { j } else { 0 };
                }
            }
        }
        if count != total {
            return Err(self.err(format!(
                "wrong number of entries: a {m} x {n} {kind}array needs {total} values, the \
                 file has {count}"
            )));
        }
        Ok(triplets)
    }

    fn number(&self, s: &str) -> Result<f64> {
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.err(format!("value `{s}` is not finite"))),
            Err(_) => Err(self.err(format!("value `{s}` is not a number"))),
        }
    }
}

/// The number of values of an `m × n` array file (`n(n+1)/2` when symmetric), `None` when it
/// overflows.
fn array_values(m: usize, n: usize, symmetric: bool) -> Option<u64> {
    let (m, n) = (m as u64, n as u64);
    if symmetric {
        n.checked_mul(n.checked_add(1)?).map(|x| x / 2)
    } else {
        m.checked_mul(n)
    }
}
