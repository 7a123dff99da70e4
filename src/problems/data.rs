//! Data sets for the data-fitting problems (logistic regression, the multilayer perceptron):
//! loading a CSV file (header row, one example per row, the last column the label) and seeded
//! synthetic generators — Gaussian features with labels drawn from a logistic model (the
//! generative model of logistic regression, Hastie, Tibshirani & Friedman 2009, §4.4), Gaussian
//! blobs and the two-spirals benchmark generalised to `k` arms (Lang & Witbrock 1988).
//!
//! Every malformed file is an [`Error::Parse`] naming the file and the 1-based line: an empty
//! file, a row without a label, a ragged row, a non-numeric or non-finite cell (with its column).

use crate::error::{Error, Result};
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::path::{Path, PathBuf};

/// A data set: features `x` (one row per example), labels `y`, feature names, and, for data
/// read from a file, where each example came from (so later checks, such as "labels must be
/// 0/1", can name the file and line).
///
/// ```
/// use curvlab::problems::data::Dataset;
/// let d = Dataset::new(faer::mat![[1.0, 2.0], [3.0, 4.0]], vec![0.0, 1.0], None).unwrap();
/// assert_eq!((d.len(), d.num_features()), (2, 2));
/// assert_eq!(d.feature_names(), ["x0", "x1"]);
/// assert!(Dataset::new(faer::mat![[1.0]], vec![0.0, 1.0], None).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Dataset {
    x: Mat<f64>,
    y: Vec<f64>,
    feature_names: Vec<String>,
    source: Option<Source>,
}

#[derive(Debug, Clone)]
struct Source {
    path: PathBuf,
    /// 1-based line of each example.
    lines: Vec<usize>,
}

impl Dataset {
    /// A data set from features (rows = examples) and labels; `names` defaults to `x0, x1, …`.
    /// Errors on mismatched sizes, no examples, or non-finite entries.
    pub fn new(x: Mat<f64>, y: Vec<f64>, names: Option<Vec<String>>) -> Result<Self> {
        if x.nrows() != y.len() {
            return Err(Error::Dimension {
                what: "labels".into(),
                expected: x.nrows(),
                got: y.len(),
            });
        }
        if y.is_empty() {
            return Err(Error::invalid("samples", 0, "a data set needs examples"));
        }
        let feature_names =
            names.unwrap_or_else(|| (0..x.ncols()).map(|j| format!("x{j}")).collect());
        if feature_names.len() != x.ncols() {
            return Err(Error::Dimension {
                what: "feature names".into(),
                expected: x.ncols(),
                got: feature_names.len(),
            });
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                if !x[(i, j)].is_finite() {
                    return Err(Error::invalid(
                        "data",
                        x[(i, j)],
                        &format!("feature {j} of example {i} is not finite"),
                    ));
                }
            }
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "data",
                y[i],
                &format!("label of example {i} is not finite"),
            ));
        }
        Ok(Dataset {
            x,
            y,
            feature_names,
            source: None,
        })
    }

    /// Reads a CSV file: a header row naming the columns, then one example per row; the last
    /// column is the label, the others are features. Cells are trimmed of whitespace; blank lines
    /// are skipped.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("d.csv");
    /// std::fs::write(&path, "a,b,label\n1,2,0\n3,4,1\n").unwrap();
    /// let d = Dataset::from_csv(&path).unwrap();
    /// assert_eq!(d.x()[(1, 0)], 3.0);
    /// assert_eq!(d.y(), [0.0, 1.0]);
    /// std::fs::write(&path, "a,b,label\n1,2,0\n3,x,1\n").unwrap();
    /// let e = Dataset::from_csv(&path).unwrap_err().to_string();
    /// assert!(e.contains("d.csv:3") && e.contains("`b`"), "{e}");
    /// ```
    pub fn from_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(r) = file_request(path, "data")? {
            r.check()?;
        }
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_csv_reader(file, path)
    }

    /// Reads CSV from any reader; `path` is only used in error messages.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::from_csv_reader("x,y\n0.5,1\n".as_bytes(), "inline.csv".as_ref()).unwrap();
    /// assert_eq!((d.len(), d.feature_names()[0].as_str()), (1, "x"));
    /// let e = Dataset::from_csv_reader("".as_bytes(), "inline.csv".as_ref()).unwrap_err();
    /// assert!(e.to_string().starts_with("inline.csv:1: empty file"));
    /// ```
    pub fn from_csv_reader<R: std::io::Read>(mut reader: R, path: &Path) -> Result<Self> {
        let perr = |line: usize, message: String| Error::Parse {
            path: path.to_path_buf(),
            line,
            message,
        };
        let bytes = read_text(&mut reader, path, text_bound())?;
        // Line numbers from byte offsets (the csv crate's own line count skips blank lines).
        let newlines: Vec<usize> = bytes
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == b'\n').then_some(i))
            .collect();
        // A record's position may point at blank lines the reader skipped before it.
        let line_of = |pos: Option<&csv::Position>| {
            pos.map_or(0, |p| {
                let mut b = p.byte() as usize;
                while bytes.get(b).is_some_and(|c| *c == b'\n' || *c == b'\r') {
                    b += 1;
                }
                newlines.partition_point(|&nl| nl < b) + 1
            })
        };
        let csv_err = |e: csv::Error| perr(line_of(e.position()), format!("malformed CSV: {e}"));
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let header = rdr.headers().map_err(csv_err)?.clone();
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(perr(
                1,
                "empty file: expected a header row naming the feature columns and the label".into(),
            ));
        }
        let header_line = line_of(header.position()).max(1);
        let ncols = header.len();
        if ncols < 2 {
            return Err(perr(
                header_line,
                format!(
                    "header has one column (`{}`): need at least one feature column and the label \
                     column (the last)",
                    &header[0]
                ),
            ));
        }
        let names: Vec<String> = header.iter().map(str::to_string).collect();
        let nf = ncols - 1;
        let mut values: Vec<f64> = Vec::new();
        let mut y = Vec::new();
        let mut lines = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_err(e)),
            }
            let line = line_of(record.position());
            if record.len() == 1 {
                if record[0].is_empty() {
                    continue;
                }
                return Err(perr(
                    line,
                    format!(
                        "missing label: the row has 1 column, expected {ncols} ({nf} features \
                         and the label `{}`)",
                        names[nf]
                    ),
                ));
            }
            if record.len() != ncols {
                return Err(perr(
                    line,
                    format!(
                        "ragged row: {} columns, but the header has {ncols}",
                        record.len()
                    ),
                ));
            }
            for (j, cell) in record.iter().enumerate() {
                let v: f64 = cell.parse().map_err(|_| {
                    perr(
                        line,
                        format!(
                            "column {} (`{}`): `{cell}` is not a number",
                            j + 1,
                            names[j]
                        ),
                    )
                })?;
                if !v.is_finite() {
                    return Err(perr(
                        line,
                        format!("column {} (`{}`): `{cell}` is not finite", j + 1, names[j]),
                    ));
                }
                if j < nf {
                    values.push(v);
                } else {
                    y.push(v);
                }
            }
            lines.push(line);
        }
        if y.is_empty() {
            return Err(perr(
                header_line,
                "no data rows after the header".to_string(),
            ));
        }
        let n = y.len();
        let x = crate::memory::try_mat(n, nf, "the data matrix", |i, j| values[i * nf + j])?;
        Ok(Dataset {
            x,
            y,
            feature_names: names[..nf].to_vec(),
            source: Some(Source {
                path: path.to_path_buf(),
                lines,
            }),
        })
    }

    /// The features, one row per example.
    pub fn x(&self) -> faer::MatRef<'_, f64> {
        self.x.as_ref()
    }
    /// The labels.
    pub fn y(&self) -> &[f64] {
        &self.y
    }
    /// The feature (column) names.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// The number of examples `N`.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// True when there are no examples (never, for a constructed data set).
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// The number of features `d`.
    pub fn num_features(&self) -> usize {
        self.x.ncols()
    }

    /// The file the data came from (`None` for data built in memory).
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::from_csv_reader("a,y\n1,0\n".as_bytes(), "f.csv".as_ref()).unwrap();
    /// assert_eq!(d.source_path(), Some(std::path::Path::new("f.csv")));
    /// assert!(Dataset::new(faer::mat![[1.0]], vec![0.0], None).unwrap().source_path().is_none());
    /// ```
    pub fn source_path(&self) -> Option<&Path> {
        self.source.as_ref().map(|s| s.path.as_path())
    }

    /// An error about example `i` (0-based): an [`Error::Parse`] naming the file and line when the
    /// data came from a file, an invalid-parameter error otherwise.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::from_csv_reader("a,y\n1,0\n2,7\n".as_bytes(), "f.csv".as_ref()).unwrap();
    /// assert!(d.example_error(1, "bad label".into()).to_string().starts_with("f.csv:3: bad label"));
    /// ```
    pub fn example_error(&self, i: usize, message: String) -> Error {
        match &self.source {
            Some(s) => Error::Parse {
                path: s.path.clone(),
                line: s.lines.get(i).copied().unwrap_or(0),
                message,
            },
            None => Error::invalid("data", format!("example {i}"), &message),
        }
    }

    /// Features scaled by `factor` (labels unchanged).
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::new(faer::mat![[1.0], [2.0]], vec![0.0, 1.0], None).unwrap();
    /// assert_eq!(d.scaled(10.0).unwrap().x()[(1, 0)], 20.0);
    /// ```
    pub fn scaled(&self, factor: f64) -> Result<Self> {
        if !factor.is_finite() {
            return Err(Error::invalid("scale", factor, "must be finite"));
        }
        let mut d = self.clone();
        d.x = Mat::from_fn(self.x.nrows(), self.x.ncols(), |i, j| {
            factor * self.x[(i, j)]
        });
        Ok(d)
    }

    /// Binary classification data from the logistic model: features `x ~ N(0, I_d)`, a true
    /// weight vector `w* ~ N(0, (4/d) I)` (so `x·w*` has standard deviation 2), a true bias
    /// `b* ~ N(0, 0.25)`, and labels `y ~ Bernoulli(σ(x·w* + b*))`. Returns the data and
    /// `(w*, b*)` concatenated.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let (d, truth) = Dataset::synthetic_logistic(200, 3, 1).unwrap();
    /// assert_eq!((d.len(), d.num_features(), truth.len()), (200, 3, 4));
    /// assert!(d.y().iter().all(|&y| y == 0.0 || y == 1.0));
    /// ```
    pub fn synthetic_logistic(
        samples: usize,
        features: usize,
        seed: u64,
    ) -> Result<(Self, Vec<f64>)> {
        check_count("samples", samples, 1)?;
        check_count("features", features, 1)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let ws = 2.0 / (features as f64).sqrt();
        let mut truth: Vec<f64> = (0..features).map(|_| ws * normal(&mut rng)).collect();
        truth.push(0.5 * normal(&mut rng));
        synthetic_request(samples, features)?.check()?;
        let mut x = crate::memory::try_mat(samples, features, "synthetic features", |_, _| 0.0)?;
        let mut y = Vec::new();
        crate::memory::try_reserve(&mut y, samples, "synthetic labels")?;
        for i in 0..samples {
            let mut z = truth[features];
            for j in 0..features {
                let v = normal(&mut rng);
                x[(i, j)] = v;
                z += v * truth[j];
            }
            let p = 1.0 / (1.0 + (-z).exp());
            y.push(if rng.random::<f64>() < p { 1.0 } else { 0.0 });
        }
        Ok((Dataset::new(x, y, None)?, truth))
    }

    /// `k`-class data: `k` Gaussian blobs in `features` dimensions, centres drawn from
    /// `N(0, 4 I)`, unit within-class spread, `samples` examples assigned to classes in turn.
    /// Labels are `0, …, k−1`.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::gaussian_blobs(30, 4, 3, 0).unwrap();
    /// assert_eq!(d.y()[..4], [0.0, 1.0, 2.0, 0.0]);
    /// assert!(Dataset::gaussian_blobs(30, 4, 1, 0).is_err());
    /// ```
    pub fn gaussian_blobs(
        samples: usize,
        features: usize,
        classes: usize,
        seed: u64,
    ) -> Result<Self> {
        check_count("samples", samples, 1)?;
        check_count("features", features, 1)?;
        check_count("classes", classes, 2)?;
        synthetic_request(samples, features)?.check()?;
        let centres_len = classes
            .checked_mul(features)
            .ok_or_else(|| Error::invalid("classes", classes, "classes x features overflows"))?;
        crate::memory::Request::new(
            format!("{classes} blob centres in {features} dimensions"),
            crate::memory::f64s(&[centres_len as u64]),
            "use fewer classes or features",
        )
        .with_key("classes")
        .check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres: Vec<f64> = (0..centres_len).map(|_| 2.0 * normal(&mut rng)).collect();
        let mut x = crate::memory::try_mat(samples, features, "synthetic features", |_, _| 0.0)?;
        let mut y = Vec::new();
        crate::memory::try_reserve(&mut y, samples, "synthetic labels")?;
        for i in 0..samples {
            let c = i % classes;
            for j in 0..features {
                x[(i, j)] = centres[c * features + j] + normal(&mut rng);
            }
            y.push(c as f64);
        }
        Dataset::new(x, y, None)
    }

    /// The two-spirals benchmark (Lang & Witbrock 1988) with `k` interleaved arms in the plane:
    /// example `i` of arm `c` lies at radius `r = t` and angle `2π c/k + 3.5 t` for
    /// `t ∈ (0, 1]`, plus `N(0, noise²)` jitter. Two features, labels `0, …, k−1`.
    ///
    /// ```
    /// use curvlab::problems::data::Dataset;
    /// let d = Dataset::spirals(100, 2, 0.0, 0).unwrap();
    /// assert_eq!(d.num_features(), 2);
    /// let r = (d.x()[(0, 0)].powi(2) + d.x()[(0, 1)].powi(2)).sqrt();
    /// assert!(r <= 1.0 + 1e-12);
    /// ```
    pub fn spirals(samples: usize, classes: usize, noise: f64, seed: u64) -> Result<Self> {
        check_count("samples", samples, 1)?;
        check_count("classes", classes, 2)?;
        if !(noise >= 0.0 && noise.is_finite()) {
            return Err(Error::invalid("noise", noise, "must be finite and >= 0"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let per = samples.div_ceil(classes);
        synthetic_request(samples, 2)?.check()?;
        let mut x = crate::memory::try_mat(samples, 2, "synthetic features", |_, _| 0.0)?;
        let mut y = Vec::new();
        crate::memory::try_reserve(&mut y, samples, "synthetic labels")?;
        for i in 0..samples {
            let c = i % classes;
            let t = ((i / classes) + 1) as f64 / per as f64;
            let angle = std::f64::consts::TAU * c as f64 / classes as f64 + 3.5 * t;
            x[(i, 0)] = t * angle.cos() + noise * normal(&mut rng);
            x[(i, 1)] = t * angle.sin() + noise * normal(&mut rng);
            y.push(c as f64);
        }
        Dataset::new(x, y, None)
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn check_count(name: &str, v: usize, min: usize) -> Result<()> {
    if v < min {
        Err(Error::invalid(name, v, &format!("must be >= {min}")))
    } else {
        Ok(())
    }
}

/// Checks every index of a minibatch against `n` examples; an empty batch is an error.
///
/// ```
/// use curvlab::problems::data::check_batch;
/// assert!(check_batch(&[0, 2], 3).is_ok());
/// assert!(check_batch(&[3], 3).is_err());
/// assert!(check_batch(&[], 3).is_err());
/// ```
pub fn check_batch(batch: &[usize], n: usize) -> Result<()> {
    if batch.is_empty() {
        return Err(Error::invalid("batch", "[]", "a minibatch needs examples"));
    }
    if let Some(&i) = batch.iter().find(|&&i| i >= n) {
        return Err(Error::invalid(
            "batch",
            i,
            &format!("example index out of range (N = {n})"),
        ));
    }
    Ok(())
}

/// The rows `batch` of `x` (indices checked by [`check_batch`] beforehand), gathered into a new
/// matrix.
pub(crate) fn gather_rows(x: faer::MatRef<'_, f64>, batch: &[usize]) -> Mat<f64> {
    Mat::from_fn(batch.len(), x.ncols(), |i, j| x[(batch[i], j)])
}

/// Reads the optional `data` parameter (a CSV path) of a data problem.
pub(crate) fn data_path(p: &crate::params::Params, key: &str) -> Option<PathBuf> {
    p.get(key).map(|v| PathBuf::from(v.to_string()))
}

/// The request of a synthetic data set: `samples × (features + 1)` values (features and labels).
///
/// ```
/// let r = curvlab::problems::data::synthetic_request(1_000_000_000, 20).unwrap();
/// assert_eq!(r.bytes, Some(8 * 21 * 1_000_000_000));
/// ```
pub fn synthetic_request(samples: usize, features: usize) -> Result<crate::memory::Request> {
    let (s, f) = (samples as u64, features as u64);
    Ok(crate::memory::Request::new(
        format!("synthetic data samples = {samples}, features = {features}"),
        crate::memory::f64s(&[s, f.saturating_add(1)]),
        "use fewer samples or features",
    )
    .with_key(if samples >= features {
        "samples"
    } else {
        "features"
    }))
}

/// Bytes of parsed data per byte of CSV text, at most: the text itself, the values parsed from
/// it (a value takes at least 2 bytes of text — a digit and a separator — and 8 as `f64`, kept
/// in a list and then in the matrix: 4 + 4), and the line of each example.
pub const CSV_BYTES_PER_TEXT_BYTE: u64 = 9;

/// The largest CSV text read, in bytes: the memory limit divided by
/// [`CSV_BYTES_PER_TEXT_BYTE`]; it bounds reads from pipes and devices, whose size is unknown.
///
/// ```
/// curvlab::memory::set_limit(Some(9_000));
/// assert_eq!(curvlab::problems::data::text_bound(), 1000);
/// ```
pub fn text_bound() -> u64 {
    crate::memory::limit().bytes / CSV_BYTES_PER_TEXT_BYTE
}

/// The request of reading the data file `path`, for a regular file (its size × 9, see
/// [`CSV_BYTES_PER_TEXT_BYTE`]); `Ok(None)` for a pipe or device (bounded while read) or a file
/// that does not exist (the reader reports it).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("d.csv");
/// std::fs::write(&p, "a,y\n1,0\n").unwrap();
/// let r = curvlab::problems::data::file_request(&p, "data").unwrap().unwrap();
/// assert_eq!(r.bytes, Some(9 * 8));
/// ```
pub fn file_request(path: &Path, key: &str) -> Result<Option<crate::memory::Request>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some(
        crate::memory::Request::new(
            format!(
                "{key} file {} ({} of text)",
                path.display(),
                crate::memory::format_si(meta.len())
            ),
            meta.len().checked_mul(CSV_BYTES_PER_TEXT_BYTE),
            "use a smaller file or raise --max-memory",
        )
        .with_key(key),
    ))
}

/// Reads all of `reader` as text, in chunks, with a bound: an error when it holds more than
/// `bound` bytes or a NUL byte (a binary file or a device such as `/dev/zero`: not CSV text).
fn read_text<R: std::io::Read>(reader: &mut R, path: &Path, bound: u64) -> Result<Vec<u8>> {
    let perr = |message: String| Error::Parse {
        path: path.to_path_buf(),
        line: 0,
        message,
    };
    let mut bytes: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let k = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(perr(format!("cannot read: {e}"))),
        };
        if let Some(i) = chunk[..k].iter().position(|&b| b == 0) {
            return Err(perr(format!(
                "binary data (a NUL byte at byte {}): not a CSV text file",
                bytes.len() + i
            )));
        }
        if (bytes.len() + k) as u64 > bound {
            return Err(perr(format!(
                "more than {} of text; the limit is {} / {CSV_BYTES_PER_TEXT_BYTE} for CSV text: \
                 use a smaller file or raise --max-memory",
                crate::memory::format_si(bound),
                crate::memory::limit()
            )));
        }
        crate::memory::try_reserve(&mut bytes, k, "CSV text")?;
        bytes.extend_from_slice(&chunk[..k]);
    }
    Ok(bytes)
}
