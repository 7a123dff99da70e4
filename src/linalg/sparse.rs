//! Sparse matrices in compressed sparse row (CSR) form (Saad 2003, *Iterative Methods for Sparse
//! Linear Systems*, §3.4), read from and written to Matrix Market files (Boisvert, Pozo &
//! Remington 1996, "The Matrix Market exchange formats": `coordinate real general|symmetric` and
//! `array real general|symmetric`), and the 2-D Laplacian test matrix. The quadratic built on a
//! Matrix Market file (the registry problem `matrix`) lives in
//! [`crate::problems::matrix_market`]: linear algebra knows no problems.
//!
//! Every malformed file gives an [`Error::Parse`] that names the file and the 1-based line: a
//! bad header, a bad size line, a non-numeric entry, an out-of-range index, an entry above the
//! diagonal of a symmetric file, or the wrong number of entries.

use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use crate::memory;
use faer::Mat;
use std::io::{BufRead, Write};
use std::path::Path;

mod reader;
pub use reader::MatrixMarketSize;
use reader::{BoundedLines, MmReader, regular_file_size};

/// A sparse matrix in compressed sparse row form: the column indices and values of row `i` are
/// `indices[indptr[i]..indptr[i+1]]` and `values[…]`, columns sorted, no duplicates.
///
/// ```
/// use curvlab::linalg::{LinearOperator, sparse::CsrMatrix};
/// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (1, 0, -1.0), (0, 1, -1.0), (1, 1, 2.0)]).unwrap();
/// let mut out = [0.0; 2];
/// a.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [1.0, 1.0]);
/// assert_eq!(a.nnz(), 4);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
}

/// How [`CsrMatrix::write_matrix_market`] writes a matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatrixMarketFormat {
    /// `coordinate real general`: every stored entry.
    CoordinateGeneral,
    /// `coordinate real symmetric`: the lower triangle of a symmetric matrix (the default).
    #[default]
    CoordinateSymmetric,
    /// `array real general`: every entry, column-major, zeros included.
    Array,
}

impl CsrMatrix {
    /// Builds a matrix from `(row, column, value)` triplets (0-based); duplicates are summed.
    /// Out-of-range indices and non-finite values are errors.
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        triplets: &[(usize, usize, f64)],
    ) -> Result<Self> {
        for &(i, j, v) in triplets {
            if i >= nrows || j >= ncols {
                return Err(Error::invalid(
                    "triplet",
                    format!("({i}, {j})"),
                    &format!("index outside the {nrows} x {ncols} matrix"),
                ));
            }
            if !v.is_finite() {
                return Err(Error::invalid(
                    "triplet",
                    format!("({i}, {j}) = {v}"),
                    "value is not finite",
                ));
            }
        }
        let mut t: Vec<(usize, usize, f64)> = Vec::new();
        memory::try_reserve(&mut t, triplets.len(), "sparse matrix triplets")?;
        t.extend_from_slice(triplets);
        t.sort_by_key(|a| (a.0, a.1));
        let mut indptr: Vec<usize> = Vec::new();
        memory::try_reserve(
            &mut indptr,
            nrows.saturating_add(1),
            "sparse matrix row pointers",
        )?;
        indptr.resize(nrows + 1, 0);
        let mut indices = Vec::new();
        memory::try_reserve(&mut indices, t.len(), "sparse matrix indices")?;
        let mut values: Vec<f64> = Vec::new();
        memory::try_reserve(&mut values, t.len(), "sparse matrix values")?;
        let mut last: Option<(usize, usize)> = None;
        for (i, j, v) in t {
            if last == Some((i, j)) {
                if let Some(x) = values.last_mut() {
                    *x += v;
                }
                continue;
            }
            indptr[i + 1] += 1;
            indices.push(j);
            values.push(v);
            last = Some((i, j));
        }
        for i in 0..nrows {
            indptr[i + 1] += indptr[i];
        }
        Ok(CsrMatrix {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// The nonzero entries of a dense matrix.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let a = CsrMatrix::from_dense(faer::mat![[1.0, 0.0], [0.0, 3.0]].as_ref());
    /// assert_eq!((a.nnz(), a.get(1, 1)), (2, 3.0));
    /// ```
    pub fn from_dense(a: faer::MatRef<'_, f64>) -> Self {
        let mut indptr = vec![0];
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for i in 0..a.nrows() {
            for j in 0..a.ncols() {
                if a[(i, j)] != 0.0 {
                    indices.push(j);
                    values.push(a[(i, j)]);
                }
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            nrows: a.nrows(),
            ncols: a.ncols(),
            indptr,
            indices,
            values,
        }
    }

    /// The 5-point finite-difference Laplacian on a `k × k` grid with zero Dirichlet boundary
    /// (LeVeque 2007, §3.2, scaled by `h²`): `n = k²`, 4 on the diagonal, −1 for each grid
    /// neighbour (node `(i, j)` is index `i + k j`). Symmetric positive definite with the
    /// closed-form eigenvalues `4 − 2cos(iπ/(k+1)) − 2cos(jπ/(k+1))`, `i, j = 1…k`
    /// ([`CsrMatrix::laplacian_2d_eigenvalues`]), so its condition number grows like
    /// `(2(k+1)/π)²`.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let a = CsrMatrix::laplacian_2d(3).unwrap();
    /// assert_eq!((a.nrows(), a.nnz()), (9, 9 + 2 * 12));
    /// assert_eq!((a.get(4, 4), a.get(4, 1), a.get(0, 4)), (4.0, -1.0, 0.0));
    /// assert!(CsrMatrix::laplacian_2d(0).is_err());
    /// ```
    pub fn laplacian_2d(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "the grid needs k >= 1"));
        }
        let n = k * k;
        let mut t = Vec::with_capacity(5 * n);
        for j in 0..k {
            for i in 0..k {
                let p = i + k * j;
                t.push((p, p, 4.0));
                if i > 0 {
                    t.push((p, p - 1, -1.0));
                }
                if i + 1 < k {
                    t.push((p, p + 1, -1.0));
                }
                if j > 0 {
                    t.push((p, p - k, -1.0));
                }
                if j + 1 < k {
                    t.push((p, p + k, -1.0));
                }
            }
        }
        Self::from_triplets(n, n, &t)
    }

    /// The `k²` eigenvalues of [`CsrMatrix::laplacian_2d`]`(k)` in closed form, ascending.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let l = CsrMatrix::laplacian_2d_eigenvalues(1);
    /// assert!((l[0] - 4.0).abs() < 1e-15); // 4 − 2cos(π/2) − 2cos(π/2)
    /// ```
    pub fn laplacian_2d_eigenvalues(k: usize) -> Vec<f64> {
        let h = std::f64::consts::PI / (k + 1) as f64;
        let mut l = Vec::with_capacity(k * k);
        for i in 1..=k {
            for j in 1..=k {
                l.push(4.0 - 2.0 * (i as f64 * h).cos() - 2.0 * (j as f64 * h).cos());
            }
        }
        l.sort_by(f64::total_cmp);
        l
    }

    /// Rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }
    /// Columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    /// Stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    /// Row pointers (length `nrows + 1`).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    /// Column indices of the stored entries.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
    /// Values of the stored entries.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Entry `(i, j)` (0 when not stored or out of range).
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let a = CsrMatrix::from_triplets(2, 3, &[(1, 2, 5.0)]).unwrap();
    /// assert_eq!((a.get(1, 2), a.get(0, 0), a.get(7, 7)), (5.0, 0.0, 0.0));
    /// ```
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if i >= self.nrows {
            return 0.0;
        }
        let (s, e) = (self.indptr[i], self.indptr[i + 1]);
        match self.indices[s..e].binary_search(&j) {
            Ok(k) => self.values[s + k],
            Err(_) => 0.0,
        }
    }

    /// `out = A v` for any shape (`v` of length `ncols`, `out` of length `nrows`).
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let a = CsrMatrix::from_triplets(1, 2, &[(0, 0, 1.0), (0, 1, 2.0)]).unwrap();
    /// let mut out = [0.0];
    /// a.matvec(&[3.0, 4.0], &mut out).unwrap();
    /// assert_eq!(out, [11.0]);
    /// assert!(a.matvec(&[1.0], &mut out).is_err());
    /// ```
    pub fn matvec(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.ncols, v.len())?;
        check_len("output", self.nrows, out.len())?;
        for (i, o) in out.iter_mut().enumerate() {
            let (s, e) = (self.indptr[i], self.indptr[i + 1]);
            *o = self.indices[s..e]
                .iter()
                .zip(&self.values[s..e])
                .map(|(&j, &a)| a * v[j])
                .sum();
        }
        Ok(())
    }

    /// The dense `faer::Mat`.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let d = CsrMatrix::laplacian_2d(2).unwrap().to_dense();
    /// assert_eq!((d[(0, 0)], d[(0, 1)], d[(0, 3)]), (4.0, -1.0, 0.0));
    /// ```
    pub fn to_dense(&self) -> Mat<f64> {
        let mut m = Mat::<f64>::zeros(self.nrows, self.ncols);
        for i in 0..self.nrows {
            for k in self.indptr[i]..self.indptr[i + 1] {
                m[(i, self.indices[k])] += self.values[k];
            }
        }
        m
    }

    /// True when square and `A[i][j] == A[j][i]` exactly for every stored entry.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// assert!(CsrMatrix::laplacian_2d(3).unwrap().is_symmetric());
    /// assert!(!CsrMatrix::from_triplets(2, 2, &[(0, 1, 1.0)]).unwrap().is_symmetric());
    /// ```
    pub fn is_symmetric(&self) -> bool {
        self.nrows == self.ncols
            && (0..self.nrows).all(|i| {
                (self.indptr[i]..self.indptr[i + 1])
                    .all(|k| self.get(self.indices[k], i) == self.values[k])
            })
    }

    /// Reads a Matrix Market file (`coordinate` or `array`, field `real` or `integer`,
    /// symmetry `general` or `symmetric`).
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("a.mtx");
    /// std::fs::write(&path, "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 2.0\n2 1 -1\n").unwrap();
    /// let a = CsrMatrix::read_matrix_market(&path).unwrap();
    /// assert_eq!((a.get(0, 1), a.get(1, 0), a.get(1, 1)), (-1.0, -1.0, 0.0));
    /// std::fs::write(&path, "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 2.0\n").unwrap();
    /// let e = CsrMatrix::read_matrix_market(&path).unwrap_err().to_string();
    /// assert!(e.contains("a.mtx:3:") && e.contains("out of range"), "{e}");
    /// ```
    pub fn read_matrix_market(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut r = MmReader::new(path);
        r.file_bytes = regular_file_size(&file);
        r.read(std::io::BufReader::new(file))
    }

    /// Reads only the header and size line of a Matrix Market file: what reading it would
    /// allocate, before reading it.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("a.mtx");
    /// std::fs::write(&path, "%%MatrixMarket matrix coordinate real general\n300000000 300000000 1\n1 1 2.0\n").unwrap();
    /// let s = CsrMatrix::read_matrix_market_size(&path).unwrap();
    /// assert_eq!((s.nrows, s.entries), (300_000_000, 1));
    /// assert_eq!(s.request().bytes, Some(8 * 300_000_001 + 64 + 64 * 300_000_000));
    /// ```
    pub fn read_matrix_market_size(path: impl AsRef<Path>) -> Result<MatrixMarketSize> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut r = MmReader::new(path);
        r.file_bytes = regular_file_size(&file);
        let mut lines = BoundedLines::new(std::io::BufReader::new(file));
        let (layout, symmetric) = r.header(&mut lines)?;
        let (m, n, nnz) = r.size(&mut lines, layout, symmetric)?;
        r.size_of(layout, symmetric, (m, n, nnz))
    }

    /// Reads Matrix Market text from any reader; `path` is only used in error messages.
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let text = "%%MatrixMarket matrix array real general\n2 1\n1.5\n-2\n";
    /// let a = CsrMatrix::read_matrix_market_from(text.as_bytes(), "x.mtx".as_ref()).unwrap();
    /// assert_eq!((a.nrows(), a.ncols(), a.get(1, 0)), (2, 1, -2.0));
    /// let e = CsrMatrix::read_matrix_market_from("%%MatrixMarket vector\n".as_bytes(), "x.mtx".as_ref());
    /// assert!(e.unwrap_err().to_string().starts_with("x.mtx:1:"));
    /// ```
    pub fn read_matrix_market_from<R: BufRead>(reader: R, path: &Path) -> Result<Self> {
        MmReader::new(path).read(reader)
    }
}

impl CsrMatrix {
    /// Writes the matrix as Matrix Market text; `CoordinateSymmetric` requires a symmetric
    /// matrix. Values are written with Rust's shortest round-trip formatting, so reading the file
    /// back gives the same matrix bit for bit.
    ///
    /// ```
    /// use curvlab::linalg::sparse::{CsrMatrix, MatrixMarketFormat};
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 1, 0.1)]).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// let p = dir.path().join("a.mtx");
    /// assert!(a.write_matrix_market(&p, MatrixMarketFormat::CoordinateSymmetric).is_err());
    /// a.write_matrix_market(&p, MatrixMarketFormat::CoordinateGeneral).unwrap();
    /// assert_eq!(CsrMatrix::read_matrix_market(&p).unwrap(), a);
    /// ```
    pub fn write_matrix_market(
        &self,
        path: impl AsRef<Path>,
        format: MatrixMarketFormat,
    ) -> Result<()> {
        let path = path.as_ref();
        if format == MatrixMarketFormat::CoordinateSymmetric && !self.is_symmetric() {
            return Err(Error::invalid(
                "format",
                "coordinate symmetric",
                "the matrix is not symmetric; write it as general",
            ));
        }
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        self.write_to(&mut w, format).map_err(io)?;
        w.flush().map_err(io)
    }

    fn write_to<W: Write>(&self, w: &mut W, format: MatrixMarketFormat) -> std::io::Result<()> {
        let (m, n) = (self.nrows, self.ncols);
        match format {
            MatrixMarketFormat::CoordinateGeneral | MatrixMarketFormat::CoordinateSymmetric => {
                let sym = format == MatrixMarketFormat::CoordinateSymmetric;
                let keep = |i: usize, j: usize| !sym || i >= j;
                let count = (0..m)
                    .map(|i| {
                        (self.indptr[i]..self.indptr[i + 1])
                            .filter(|&k| keep(i, self.indices[k]))
                            .count()
                    })
                    .sum::<usize>();
                writeln!(
                    w,
                    "%%MatrixMarket matrix coordinate real {}",
                    if sym { "symmetric" } else { "general" }
                )?;
                writeln!(w, "% written by curvlab")?;
                writeln!(w, "{m} {n} {count}")?;
                for i in 0..m {
                    for k in self.indptr[i]..self.indptr[i + 1] {
                        let j = self.indices[k];
                        if keep(i, j) {
                            writeln!(w, "{} {} {:e}", i + 1, j + 1, self.values[k])?;
                        }
                    }
                }
            }
            MatrixMarketFormat::Array => {
                writeln!(w, "%%MatrixMarket matrix array real general")?;
                writeln!(w, "% written by curvlab")?;
                writeln!(w, "{m} {n}")?;
                let d = self.to_dense();
                for j in 0..n {
                    for i in 0..m {
                        writeln!(w, "{:e}", d[(i, j)])?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl LinearOperator for CsrMatrix {
    fn dim(&self) -> usize {
        self.nrows
    }
    /// `A v`; an error for a non-square matrix.
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        if self.nrows != self.ncols {
            return Err(Error::Dimension {
                what: format!(
                    "matrix columns ({} x {} is not square)",
                    self.nrows, self.ncols
                ),
                expected: self.nrows,
                got: self.ncols,
            });
        }
        self.matvec(v, out)
    }
    /// `A X` by [`CsrMatrix::matmat`]: one pass over the nonzeros for the whole block.
    fn apply_block(&self, x: faer::MatRef<'_, f64>, y: faer::MatMut<'_, f64>) -> Result<()> {
        if self.nrows != self.ncols {
            return Err(Error::Dimension {
                what: format!(
                    "matrix columns ({} x {} is not square)",
                    self.nrows, self.ncols
                ),
                expected: self.nrows,
                got: self.ncols,
            });
        }
        self.matmat(x, y)
    }
}

impl CsrMatrix {
    /// `Y = A X` for a dense block `X` (`ncols × k`): each row of `A` is read once for all `k`
    /// columns (CSR × dense, Saad 2003, §3.4).
    ///
    /// ```
    /// use curvlab::linalg::sparse::CsrMatrix;
    /// let a = CsrMatrix::from_triplets(1, 2, &[(0, 0, 1.0), (0, 1, 2.0)]).unwrap();
    /// let x = faer::mat![[1.0, 0.0], [1.0, 1.0]];
    /// let mut y = faer::Mat::<f64>::zeros(1, 2);
    /// a.matmat(x.as_ref(), y.as_mut()).unwrap();
    /// assert_eq!((y[(0, 0)], y[(0, 1)]), (3.0, 2.0));
    /// assert!(a.matmat(faer::Mat::<f64>::zeros(3, 2).as_ref(), y.as_mut()).is_err());
    /// ```
    pub fn matmat(&self, x: faer::MatRef<'_, f64>, mut y: faer::MatMut<'_, f64>) -> Result<()> {
        check_len("block rows", self.ncols, x.nrows())?;
        check_len("output block rows", self.nrows, y.nrows())?;
        check_len("output block columns", x.ncols(), y.ncols())?;
        let k = x.ncols();
        let mut acc = vec![0.0; k];
        for i in 0..self.nrows {
            acc.fill(0.0);
            let (s, e) = (self.indptr[i], self.indptr[i + 1]);
            for (&j, &a) in self.indices[s..e].iter().zip(&self.values[s..e]) {
                for (c, ac) in acc.iter_mut().enumerate() {
                    *ac += a * x[(j, c)];
                }
            }
            for (c, ac) in acc.iter().enumerate() {
                y[(i, c)] = *ac;
            }
        }
        Ok(())
    }
}
