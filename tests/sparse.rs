//! CSR matrices and Matrix Market I/O against independent references: write/read round trips
//! (bit-exact), dense products, the 2-D Laplacian's eigenvalues from faer's dense solver against
//! the closed form `4 − 2cos(iπ/(k+1)) − 2cos(jπ/(k+1))`, the `matrix` problem's derivatives, and
//! malformed files (every error names the file and line).

use curvlab::Objective;
use curvlab::diff::check_derivatives;
use curvlab::linalg::LinearOperator;
use curvlab::linalg::sparse::{CsrMatrix, MatrixMarketFormat};
use curvlab::params::{Params, Value};
use curvlab::problems::build_problem;
use curvlab::problems::matrix_market::SparseQuadratic;
use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded random sparse matrix (about `density` of the entries nonzero, values of mixed
/// magnitude so that formatting must be exact).
fn random_sparse(m: usize, n: usize, density: f64, symmetric: bool, seed: u64) -> CsrMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = Vec::new();
    for i in 0..m {
        for j in 0..n {
            if symmetric && j > i {
                continue;
            }
            if rng.random::<f64>() < density {
                let v = (rng.random::<f64>() - 0.5) * 10f64.powi(rng.random_range(-12..12));
                t.push((i, j, v));
                if symmetric && i != j {
                    t.push((j, i, v));
                }
            }
        }
    }
    CsrMatrix::from_triplets(m, n, &t).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn matrix_market_round_trips_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let general = random_sparse(7, 5, 0.4, false, 1);
    let symmetric = random_sparse(8, 8, 0.3, true, 2);
    assert!(symmetric.is_symmetric() && !general.is_symmetric());
    let p = dir.path().join("g.mtx");
    general
        .write_matrix_market(&p, MatrixMarketFormat::CoordinateGeneral)
        .unwrap();
    assert_eq!(CsrMatrix::read_matrix_market(&p).unwrap(), general);
    let p = dir.path().join("s.mtx");
    symmetric
        .write_matrix_market(&p, MatrixMarketFormat::CoordinateSymmetric)
        .unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.starts_with("%%MatrixMarket matrix coordinate real symmetric"));
    assert_eq!(CsrMatrix::read_matrix_market(&p).unwrap(), symmetric);
    // Symmetric written as general reads back equal too.
    symmetric
        .write_matrix_market(&p, MatrixMarketFormat::CoordinateGeneral)
        .unwrap();
    assert_eq!(CsrMatrix::read_matrix_market(&p).unwrap(), symmetric);
    // Array: every entry, zeros included; compare dense forms entry by entry.
    let p = dir.path().join("a.mtx");
    general
        .write_matrix_market(&p, MatrixMarketFormat::Array)
        .unwrap();
    let back = CsrMatrix::read_matrix_market(&p).unwrap();
    let (d0, d1) = (general.to_dense(), back.to_dense());
    assert_eq!((back.nrows(), back.ncols()), (7, 5));
    for i in 0..7 {
        for j in 0..5 {
            assert_eq!(d0[(i, j)].to_bits(), d1[(i, j)].to_bits());
        }
    }
    // Writing a non-symmetric matrix as symmetric is refused.
    assert!(
        general
            .write_matrix_market(&p, MatrixMarketFormat::CoordinateSymmetric)
            .is_err()
    );
}

#[test]
fn matrix_market_reads_hand_written_files() {
    let dir = tempfile::tempdir().unwrap();
    // Symmetric coordinate with comments, blank lines, integer field and upper-case header.
    let p = write(
        &dir,
        "c.mtx",
        "%%MatrixMarket MATRIX Coordinate Integer Symmetric\n% a comment\n\n3 3 4\n1 1 4\n2 1 -1\n3 3 5\n3 2 2\n",
    );
    let a = CsrMatrix::read_matrix_market(&p).unwrap();
    let want = [[4.0, -1.0, 0.0], [-1.0, 0.0, 2.0], [0.0, 2.0, 5.0]];
    let d = a.to_dense();
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(d[(i, j)], want[i][j]);
        }
    }
    // Symmetric array: the lower triangle column by column.
    let p = write(
        &dir,
        "sa.mtx",
        "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n",
    );
    let d = CsrMatrix::read_matrix_market(&p).unwrap().to_dense();
    let want = [[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]];
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(d[(i, j)], want[i][j]);
        }
    }
    // Duplicate coordinate entries are summed (the convention of scipy.io.mmread).
    let p = write(
        &dir,
        "dup.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 2 1.5\n1 2 2.5\n2 1 1\n",
    );
    let a = CsrMatrix::read_matrix_market(&p).unwrap();
    assert_eq!((a.get(0, 1), a.get(1, 0), a.nnz()), (4.0, 1.0, 2));
}

#[test]
fn matrix_market_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "hdr.mtx",
            "%%MatrixMarket tensor coordinate real general\n2 2 0\n",
            1,
            "bad header",
        ),
        ("hdr2.mtx", "2 2 1\n1 1 1\n", 1, "bad header"),
        (
            "cplx.mtx",
            "%%MatrixMarket matrix coordinate complex general\n",
            1,
            "complex",
        ),
        (
            "skew.mtx",
            "%%MatrixMarket matrix coordinate real skew-symmetric\n",
            1,
            "skew-symmetric",
        ),
        ("empty.mtx", "", 1, "empty file"),
        (
            "size.mtx",
            "%%MatrixMarket matrix coordinate real general\n% c\n2 x 1\n1 1 1\n",
            3,
            "bad size line",
        ),
        (
            "size2.mtx",
            "%%MatrixMarket matrix array real general\n2 2 4\n",
            2,
            "bad size line",
        ),
        (
            "nosize.mtx",
            "%%MatrixMarket matrix coordinate real general\n% only comments\n",
            2,
            "missing size line",
        ),
        (
            "row.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 1\n3 1 1\n",
            4,
            "row index 3 out of range",
        ),
        (
            "col.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 4 1\n",
            3,
            "column index 4 out of range",
        ),
        (
            "zero.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 3 1\n0 1 1\n",
            3,
            "out of range",
        ),
        (
            "few.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n",
            4,
            "wrong number of entries",
        ),
        (
            "many.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 1\n",
            4,
            "wrong number of entries",
        ),
        (
            "arrfew.mtx",
            "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n",
            5,
            "wrong number of entries",
        ),
        (
            "nan.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n",
            3,
            "not a number",
        ),
        (
            "fields.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n",
            3,
            "row column value",
        ),
        (
            "upper.mtx",
            "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n",
            3,
            "above the diagonal",
        ),
        (
            "rect.mtx",
            "%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n",
            2,
            "square",
        ),
    ];
    for &(name, text, line, what) in cases {
        let p = write(&dir, name, text);
        let e = CsrMatrix::read_matrix_market(&p).unwrap_err();
        assert!(matches!(e, curvlab::Error::Parse { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}:{line}:", p.display())),
            "{name}: {msg}"
        );
        assert!(msg.contains(what), "{name}: {msg}");
    }
}

#[test]
fn laplacian_eigenvalues_match_dense_solver_and_closed_form() {
    for k in [1usize, 4, 7] {
        let a = CsrMatrix::laplacian_2d(k).unwrap();
        assert!(a.is_symmetric());
        let d = a.to_dense();
        let eig = d.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        // Independent closed form, computed here.
        let h = std::f64::consts::PI / (k + 1) as f64;
        let mut closed: Vec<f64> = (1..=k)
            .flat_map(|i| {
                (1..=k).map(move |j| 4.0 - 2.0 * (i as f64 * h).cos() - 2.0 * (j as f64 * h).cos())
            })
            .collect();
        closed.sort_by(f64::total_cmp);
        let library = CsrMatrix::laplacian_2d_eigenvalues(k);
        assert_eq!(eig.len(), k * k);
        for ((e, c), l) in eig.iter().zip(&closed).zip(&library) {
            assert!((e - c).abs() <= 1e-12, "k = {k}: {e} vs {c}");
            assert!((l - c).abs() <= 1e-14);
        }
    }
}

#[test]
fn csr_products_match_dense_products() {
    let a = random_sparse(9, 6, 0.35, false, 3);
    let d = a.to_dense();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let v: Vec<f64> = (0..6).map(|_| rng.random::<f64>() - 0.5).collect();
    let mut out = vec![0.0; 9];
    a.matvec(&v, &mut out).unwrap();
    let dv = &d * Mat::from_fn(6, 1, |i, _| v[i]);
    for i in 0..9 {
        assert!((out[i] - dv[(i, 0)]).abs() <= 1e-12 * (1.0 + dv[(i, 0)].abs()));
    }
    // As a LinearOperator: square only; wrong lengths are errors.
    assert!(a.apply(&v, &mut out).is_err());
    let lap = CsrMatrix::laplacian_2d(3).unwrap();
    let mut o = vec![0.0; 9];
    assert!(lap.apply(&[1.0; 8], &mut o).is_err());
    lap.apply(&[1.0; 9], &mut o).unwrap();
    // Row sums of the Dirichlet Laplacian: 4 − (number of neighbours).
    assert_eq!(o, vec![2.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 2.0]);
    assert_eq!(CsrMatrix::from_dense(d.as_ref()), a);
    assert!(CsrMatrix::from_triplets(2, 2, &[(2, 0, 1.0)]).is_err());
    assert!(CsrMatrix::from_triplets(2, 2, &[(0, 0, f64::NAN)]).is_err());
}

#[test]
fn matrix_problem_is_the_quadratic_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lap.mtx");
    let a = CsrMatrix::laplacian_2d(5).unwrap();
    a.write_matrix_market(&p, MatrixMarketFormat::CoordinateSymmetric)
        .unwrap();
    let mut params = Params::new();
    params.insert("path", Value::Str(p.display().to_string()));
    let inst = build_problem("matrix", &params, 0).unwrap();
    let f = &inst.objective;
    assert_eq!(inst.x0, vec![0.0; 25]);
    // Hessian = A exactly, at any point.
    let h = f.hessian(&[0.3; 25]).unwrap();
    let d = a.to_dense();
    for i in 0..25 {
        for j in 0..25 {
            assert_eq!(h[(i, j)], d[(i, j)]);
        }
    }
    // x* = 1: zero gradient, and f* = −½ 1ᵀA1.
    let mut g = vec![0.0; 25];
    let fstar = f.gradient(&[1.0; 25], &mut g).unwrap();
    assert!(g.iter().all(|gi| *gi == 0.0));
    let sum: f64 = (0..25)
        .flat_map(|i| (0..25).map(move |j| (i, j)))
        .map(|(i, j)| d[(i, j)])
        .sum();
    assert!((fstar + 0.5 * sum).abs() < 1e-12);
    assert_eq!(inst.f_star, Some(fstar));
    let c = check_derivatives(f, &[0.7; 25], 1).unwrap();
    // Measured 0 (gradient) and 8.7e-12 (HVP) against finite differences; bound 1e-10.
    assert!(
        c.gradient_rel_error <= 1e-10 && c.hvp_rel_error <= 1e-10,
        "{c:?}"
    );
    assert!(c.hessian_hvp_rel_error <= 1e-12 && c.hessian_asymmetry == 0.0);
    // Errors: no path; a non-symmetric matrix (names the file); a malformed file (file + line).
    assert!(build_problem("matrix", &Params::new(), 0).is_err());
    let ns = dir.path().join("ns.mtx");
    random_sparse(4, 4, 0.6, false, 5)
        .write_matrix_market(&ns, MatrixMarketFormat::CoordinateGeneral)
        .unwrap();
    params.insert("path", Value::Str(ns.display().to_string()));
    let e = build_problem("matrix", &params, 0).unwrap_err().to_string();
    assert!(e.contains("ns.mtx") && e.contains("symmetric"), "{e}");
    let bad = write(
        &dir,
        "bad.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n9 1 1\n",
    );
    params.insert("path", Value::Str(bad.display().to_string()));
    let e = build_problem("matrix", &params, 0).unwrap_err().to_string();
    assert!(e.contains(&format!("{}:3:", bad.display())), "{e}");
    assert!(SparseQuadratic::new(CsrMatrix::from_triplets(2, 3, &[]).unwrap()).is_err());
}
