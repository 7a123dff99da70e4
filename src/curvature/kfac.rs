//! Kronecker-factored curvature (K-FAC, Martens & Grosse, "Optimizing Neural Networks with
//! Kronecker-factored Approximate Curvature", ICML 2015) and its eigenvalue-corrected variant
//! (EK-FAC, George, Laurent, Bouthillier, Ballas & Vincent, NeurIPS 2018), as
//! [`LinearOperator`]s over the parameters of a layered network.
//!
//! For a fully connected layer `a = W̄ ā` with `W̄ = [W b]` (`out × (in + 1)`) and the input `ā`
//! with a 1 appended for the bias, the per-example gradient is `g āᵀ`, `g = ∂ℓ/∂a`, so its
//! column-major vector is `ā ⊗ g` and the layer's Fisher block is `E[(ā āᵀ) ⊗ (g gᵀ)]`. K-FAC
//! (Martens & Grosse §3, eq. 1) replaces it by `A ⊗ G` with `A = E[ā āᵀ]`, `G = E[g gᵀ]`,
//! block-diagonal over layers (§4.2), and `(A ⊗ G) vec(V) = vec(G V A)`.
//! The targets behind `g` ([`Targets`]) are drawn from the model's predictive distribution
//! (§5, the "true" Fisher), taken as the true labels (the empirical Fisher), or summed over all
//! labels with their probabilities (the exact expectation: then `E_y[g gᵀ] = Jᵀ H_L J` per example
//! and the Fisher is the generalized Gauss-Newton matrix).
//!
//! The damped inverse ([`KfacInverse`]) is `(A + π√λ I)⁻¹ ⊗ (G + √λ/π I)⁻¹` with the
//! π-correction of §6.3, `π = √((tr A / dim A) / (tr G / dim G))`, applied through the
//! eigendecompositions `A = U_A Λ_A U_Aᵀ`, `G = U_G Λ_G U_Gᵀ` (faer), so the damping can change
//! without a new decomposition. EK-FAC ([`Ekfac`]) keeps the Kronecker eigenbasis
//! `U_A ⊗ U_G` and re-fits the diagonal to the per-example second moments in that basis,
//! `s_jk = E[((U_Gᵀ g)_j (U_Aᵀ ā)_k)²]` (George et al. §3.2, eq. 10): the Frobenius-optimal
//! diagonal in that basis, so never further from the exact block than K-FAC.

pub use super::layered::{LayerShape, LayerStatistics, Layered, Targets};
use crate::error::{Error, Result, check_len};
use crate::linalg::LinearOperator;
use crate::objective::Objective;
use faer::{Accum, Mat, MatMut, MatRef};

/// The refusal of the K-FAC family on an objective without layers.
pub(crate) fn not_layered(who: &str) -> Error {
    Error::Unsupported(format!(
        "{who} needs a layered network objective (problem `classifier`); this objective does not expose its layers"
    ))
}

/// The Kronecker factors `A` (`(in + 1)²`) and `G` (`out²`) of one layer.
#[derive(Debug, Clone)]
pub struct KroneckerFactors {
    /// `A = E[ā āᵀ]`.
    pub a: Mat<f64>,
    /// `G = E[g gᵀ]`.
    pub g: Mat<f64>,
}

impl KroneckerFactors {
    /// `A = Ā Āᵀ / B`, `G = D Dᵀ / B`.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{KroneckerFactors, LayerStatistics};
    /// let s = LayerStatistics {
    ///     inputs: faer::mat![[2.0, 0.0], [1.0, 1.0]],
    ///     grads: faer::mat![[1.0, 3.0]],
    ///     per_example: 1,
    /// };
    /// let f = KroneckerFactors::from_statistics(&s).unwrap();
    /// assert_eq!((f.a[(0, 0)], f.a[(0, 1)], f.g[(0, 0)]), (2.0, 1.0, 5.0));
    /// ```
    pub fn from_statistics(s: &LayerStatistics) -> Result<Self> {
        let b = s.inputs.ncols();
        check_len("statistics columns", b * s.per_example, s.grads.ncols())?;
        if b == 0 {
            return Err(Error::invalid("batch", 0, "needs at least one example"));
        }
        let scale = 1.0 / b as f64;
        Ok(KroneckerFactors {
            a: gram(s.inputs.as_ref(), scale),
            g: gram(s.grads.as_ref(), scale),
        })
    }
}

/// `s · M Mᵀ`.
fn gram(m: MatRef<'_, f64>, s: f64) -> Mat<f64> {
    let mut out = Mat::zeros(m.nrows(), m.nrows());
    mm(out.as_mut(), Accum::Replace, m, m.transpose(), s);
    out
}

fn mm(dst: MatMut<'_, f64>, accum: Accum, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>, s: f64) {
    crate::problems::network::matmul_clean(dst, accum, lhs, rhs, s);
}

/// `out = L · V · R` for the `rows × cols` block `v` (column-major), into `out`.
fn sandwich(l: MatRef<'_, f64>, v: &[f64], r: MatRef<'_, f64>, out: &mut [f64]) {
    let (rows, cols) = (l.nrows(), r.ncols());
    let mut t = Mat::<f64>::zeros(rows, r.nrows());
    let vm = MatRef::from_column_major_slice(v, l.ncols(), r.nrows());
    mm(t.as_mut(), Accum::Replace, l, vm, 1.0);
    let o = MatMut::from_column_major_slice_mut(out, rows, cols);
    mm(o, Accum::Replace, t.as_ref(), r, 1.0);
}

fn check_shapes(shapes: &[LayerShape], n: usize) -> Result<()> {
    for s in shapes {
        if s.offset + s.len() > n {
            return Err(Error::invalid(
                "layer shapes",
                format!("{s:?}"),
                &format!("the layer ends past the dimension {n}"),
            ));
        }
    }
    Ok(())
}

/// The K-FAC approximation `blockdiag(A_l ⊗ G_l)` as an operator on the parameter vector
/// (entries outside every layer, if any, are mapped to 0).
///
/// ```
/// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
/// use curvlab::linalg::LinearOperator;
/// let f = KroneckerFactors { a: faer::mat![[2.0, 0.0], [0.0, 1.0]], g: faer::mat![[3.0]] };
/// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
/// let mut out = [0.0; 2];
/// k.apply(&[1.0, 1.0], &mut out).unwrap();
/// assert_eq!(out, [6.0, 3.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Kfac {
    shapes: Vec<LayerShape>,
    factors: Vec<KroneckerFactors>,
    n: usize,
}

impl Kfac {
    /// K-FAC from the factors of every layer of a parameter vector of length `n` (checked
    /// against the shapes).
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[1.0]], g: faer::mat![[1.0]] };
    /// let shape = LayerShape { offset: 0, inputs: 1, outputs: 1 };
    /// assert!(Kfac::new(vec![shape], vec![f], 2).is_err()); // A must be 2 × 2
    /// ```
    pub fn new(shapes: Vec<LayerShape>, factors: Vec<KroneckerFactors>, n: usize) -> Result<Self> {
        check_len("Kronecker factors", shapes.len(), factors.len())?;
        check_shapes(&shapes, n)?;
        for (s, f) in shapes.iter().zip(&factors) {
            check_len("factor A", s.inputs + 1, f.a.nrows())?;
            check_len("factor A columns", s.inputs + 1, f.a.ncols())?;
            check_len("factor G", s.outputs, f.g.nrows())?;
            check_len("factor G columns", s.outputs, f.g.ncols())?;
        }
        Ok(Kfac { shapes, factors, n })
    }

    /// K-FAC of a layered objective at `x` over the data set or a batch.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, Targets};
    /// use curvlab::params::Params;
    /// let p = Params::from_pairs(&["hidden=3", "samples=40"]).unwrap();
    /// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
    /// let k = Kfac::from_objective(inst.objective.as_ref(), &inst.x0, None, Targets::Empirical).unwrap();
    /// assert_eq!(k.factors().len(), 2);
    /// let q = curvlab::problems::build_problem("quadratic", &Params::default(), 0).unwrap();
    /// assert!(Kfac::from_objective(q.objective.as_ref(), &q.x0, None, Targets::Empirical).is_err());
    /// ```
    pub fn from_objective(
        obj: &dyn Objective,
        x: &[f64],
        batch: Option<&[usize]>,
        targets: Targets,
    ) -> Result<Self> {
        let layered = obj.layered().ok_or_else(|| not_layered("K-FAC"))?;
        let stats = layered.layer_statistics(x, batch, targets)?;
        let factors = stats
            .iter()
            .map(KroneckerFactors::from_statistics)
            .collect::<Result<Vec<_>>>()?;
        Kfac::new(layered.layer_shapes(), factors, obj.dim())
    }

    /// The factors, layer by layer.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[1.0, 0.0], [0.0, 1.0]], g: faer::mat![[3.0]] };
    /// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
    /// assert_eq!(k.factors()[0].g[(0, 0)], 3.0);
    /// assert_eq!(k.shapes()[0].len(), 2);
    /// ```
    pub fn factors(&self) -> &[KroneckerFactors] {
        &self.factors
    }

    /// The layers (example in [`Kfac::factors`]).
    pub fn shapes(&self) -> &[LayerShape] {
        &self.shapes
    }

    /// The π-corrected damped factors `(A + π√λ I) ⊗ (G + √λ/π I)` (Martens & Grosse §6.3):
    /// the operator [`Kfac::inverse`] inverts exactly.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[4.0, 0.0], [0.0, 4.0]], g: faer::mat![[1.0]] };
    /// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
    /// let d = k.damped(1.0).unwrap(); // π = 2: A + 2I, G + I/2
    /// assert_eq!((d.factors()[0].a[(0, 0)], d.factors()[0].g[(0, 0)]), (6.0, 1.5));
    /// ```
    pub fn damped(&self, damping: f64) -> Result<Kfac> {
        check_damping(damping)?;
        let mut out = self.clone();
        for f in &mut out.factors {
            let pi = pi_correction(&f.a, &f.g);
            let r = damping.sqrt();
            for i in 0..f.a.nrows() {
                f.a[(i, i)] += pi * r;
            }
            for i in 0..f.g.nrows() {
                f.g[(i, i)] += r / pi;
            }
        }
        Ok(out)
    }

    /// The damped inverse `⊕_l (A_l + π_l√λ I)⁻¹ ⊗ (G_l + √λ/π_l I)⁻¹` by eigendecomposition.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[1.0, 0.0], [0.0, 0.0]], g: faer::mat![[1.0]] };
    /// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
    /// assert!(k.inverse(0.0).is_err()); // A is singular: an error, not an Inf
    /// assert!(k.inverse(1e-3).is_ok());
    /// ```
    pub fn inverse(&self, damping: f64) -> Result<KfacInverse> {
        KfacInverse::new(self, damping)
    }
}

fn check_damping(damping: f64) -> Result<f64> {
    if !(damping >= 0.0 && damping.is_finite()) {
        return Err(Error::invalid(
            "damping",
            damping,
            "must be finite and >= 0",
        ));
    }
    Ok(damping)
}

/// `π = √((tr A / dim A) / (tr G / dim G))` (Martens & Grosse §6.3, the trace norm); 1 when
/// either trace vanishes.
///
/// ```
/// let a = faer::mat![[4.0, 0.0], [0.0, 4.0]];
/// let g = faer::mat![[1.0]];
/// assert_eq!(curvlab::curvature::kfac::pi_correction(&a, &g), 2.0);
/// ```
pub fn pi_correction(a: &Mat<f64>, g: &Mat<f64>) -> f64 {
    let ta = (0..a.nrows()).map(|i| a[(i, i)]).sum::<f64>() / a.nrows().max(1) as f64;
    let tg = (0..g.nrows()).map(|i| g[(i, i)]).sum::<f64>() / g.nrows().max(1) as f64;
    if ta > 0.0 && tg > 0.0 && (ta / tg).is_finite() {
        (ta / tg).sqrt()
    } else {
        1.0
    }
}

impl LinearOperator for Kfac {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.n, v.len())?;
        check_len("output buffer", self.n, out.len())?;
        out.fill(0.0);
        for (s, f) in self.shapes.iter().zip(&self.factors) {
            let r = s.offset..s.offset + s.len();
            sandwich(f.g.as_ref(), &v[r.clone()], f.a.as_ref(), &mut out[r]);
        }
        Ok(())
    }
}

/// The eigendecomposition `Q Λ Qᵀ` of a symmetric factor.
#[derive(Debug, Clone)]
struct Eigen {
    q: Mat<f64>,
    lam: Vec<f64>,
}

fn eigen(m: &Mat<f64>, what: &str) -> Result<Eigen> {
    let e = m.self_adjoint_eigen(faer::Side::Lower).map_err(|e| {
        Error::Numerical(format!("K-FAC: eigendecomposition of {what} failed: {e:?}"))
    })?;
    let lam: Vec<f64> = (0..m.nrows()).map(|i| e.S()[i]).collect();
    if let Some(bad) = lam.iter().find(|l| !l.is_finite()) {
        return Err(Error::NonFinite {
            what: format!("K-FAC factor {what} eigenvalue {bad}"),
            iteration: 0,
        });
    }
    Ok(Eigen {
        q: e.U().to_owned(),
        lam,
    })
}

/// `out = Q_G (V̂ ∘ W) Q_Aᵀ` with `V̂ = Q_Gᵀ V Q_A`, `w(j, k)` the entrywise weight.
fn in_eigenbasis(
    qg: &Mat<f64>,
    qa: &Mat<f64>,
    v: &[f64],
    out: &mut [f64],
    w: impl Fn(usize, usize) -> f64,
) {
    let (rows, cols) = (qg.nrows(), qa.nrows());
    let mut t = vec![0.0; rows * cols];
    sandwich(qg.transpose(), v, qa.as_ref(), &mut t);
    for k in 0..cols {
        for j in 0..rows {
            t[k * rows + j] *= w(j, k);
        }
    }
    sandwich(qg.as_ref(), &t, qa.transpose(), out);
}

/// The damped K-FAC inverse (Martens & Grosse §6.3 with the π-correction), applied through the
/// factors' eigendecompositions; [`KfacInverse::set_damping`] changes `λ` without a new
/// decomposition.
///
/// ```
/// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
/// use curvlab::linalg::LinearOperator;
/// let f = KroneckerFactors { a: faer::mat![[4.0, 0.0], [0.0, 4.0]], g: faer::mat![[1.0]] };
/// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
/// let inv = k.inverse(1.0).unwrap(); // (4 + 2)(1 + 1/2) = 9
/// let mut out = [0.0; 2];
/// inv.apply(&[9.0, 18.0], &mut out).unwrap();
/// assert!((out[0] - 1.0).abs() < 1e-14 && (out[1] - 2.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone)]
pub struct KfacInverse {
    shapes: Vec<LayerShape>,
    blocks: Vec<(Eigen, Eigen, f64)>,
    damping: f64,
    n: usize,
}

impl KfacInverse {
    /// Decomposes every factor of `k`; the inverse uses `damping = λ ≥ 0` (see
    /// [`Kfac::inverse`]).
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KfacInverse, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[1.0, 0.0], [0.0, 1.0]], g: faer::mat![[1.0]] };
    /// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
    /// assert!(KfacInverse::new(&k, f64::NAN).is_err());
    /// ```
    pub fn new(k: &Kfac, damping: f64) -> Result<Self> {
        check_damping(damping)?;
        let blocks = k
            .factors
            .iter()
            .map(|f| {
                Ok((
                    eigen(&f.a, "A")?,
                    eigen(&f.g, "G")?,
                    pi_correction(&f.a, &f.g),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let inv = KfacInverse {
            shapes: k.shapes.clone(),
            blocks,
            damping,
            n: k.n,
        };
        inv.check_definite()?;
        Ok(inv)
    }

    /// Changes the damping `λ ≥ 0` (no new decomposition); on an error the old one stays.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Kfac, KroneckerFactors, LayerShape};
    /// let f = KroneckerFactors { a: faer::mat![[1.0, 0.0], [0.0, 0.0]], g: faer::mat![[1.0]] };
    /// let k = Kfac::new(vec![LayerShape { offset: 0, inputs: 1, outputs: 1 }], vec![f], 2).unwrap();
    /// let mut inv = k.inverse(1.0).unwrap();
    /// assert!(inv.set_damping(0.0).is_err());
    /// assert_eq!(inv.damping(), 1.0);
    /// ```
    pub fn set_damping(&mut self, damping: f64) -> Result<()> {
        let old = self.damping;
        self.damping = check_damping(damping)?;
        self.check_definite().inspect_err(|_| self.damping = old)
    }

    /// The current damping `λ` (example in [`KfacInverse::set_damping`]).
    pub fn damping(&self) -> f64 {
        self.damping
    }

    fn check_definite(&self) -> Result<()> {
        let r = self.damping.sqrt();
        for (ea, eg, pi) in &self.blocks {
            let amin = ea.lam.iter().fold(f64::INFINITY, |m, &l| m.min(l)) + pi * r;
            let gmin = eg.lam.iter().fold(f64::INFINITY, |m, &l| m.min(l)) + r / pi;
            if !(amin > 0.0 && gmin > 0.0) {
                return Err(Error::NotPositiveDefinite(format!(
                    "K-FAC inverse: damped factor eigenvalues {amin:.3e} (A), {gmin:.3e} (G) are not positive; raise the damping"
                )));
            }
        }
        Ok(())
    }
}

impl LinearOperator for KfacInverse {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.n, v.len())?;
        check_len("output buffer", self.n, out.len())?;
        out.fill(0.0);
        let r = self.damping.sqrt();
        for (s, (ea, eg, pi)) in self.shapes.iter().zip(&self.blocks) {
            let range = s.offset..s.offset + s.len();
            let w = |j: usize, k: usize| 1.0 / ((eg.lam[j] + r / pi) * (ea.lam[k] + pi * r));
            in_eigenbasis(&eg.q, &ea.q, &v[range.clone()], &mut out[range], w);
        }
        Ok(())
    }
}

/// EK-FAC (George et al. 2018): `⊕_l (U_A ⊗ U_G) diag(s_l) (U_A ⊗ U_G)ᵀ` with the K-FAC
/// eigenbasis and the diagonal re-fitted to the per-example second moments in that basis.
///
/// ```
/// use curvlab::curvature::kfac::{Ekfac, Kfac, Targets};
/// use curvlab::linalg::{LinearOperator, operator::to_dense};
/// use curvlab::params::Params;
/// let p = Params::from_pairs(&["hidden=2", "samples=30"]).unwrap();
/// let inst = curvlab::problems::build_problem("classifier", &p, 0).unwrap();
/// let e = Ekfac::from_objective(inst.objective.as_ref(), &inst.x0, None, Targets::Expected).unwrap();
/// let d = to_dense(&e).unwrap();
/// assert!((d[(0, 1)] - d[(1, 0)]).abs() < 1e-12); // symmetric
/// ```
#[derive(Debug, Clone)]
pub struct Ekfac {
    shapes: Vec<LayerShape>,
    blocks: Vec<(Eigen, Eigen, Mat<f64>)>,
    n: usize,
}

impl Ekfac {
    /// EK-FAC from the statistics of every layer of a parameter vector of length `n`.
    ///
    /// ```
    /// use curvlab::curvature::kfac::{Ekfac, LayerShape, LayerStatistics};
    /// // One example, ā = (2, 1), g = 3: the one nonzero scale is ‖ā‖² g² = 45.
    /// let st = LayerStatistics {
    ///     inputs: faer::mat![[2.0], [1.0]],
    ///     grads: faer::mat![[3.0]],
    ///     per_example: 1,
    /// };
    /// let shape = LayerShape { offset: 0, inputs: 1, outputs: 1 };
    /// let e = Ekfac::from_statistics(vec![shape], &[st], 2).unwrap();
    /// let s = e.scales(0).unwrap();
    /// assert!((s[(0, 0)].max(s[(0, 1)]) - 45.0).abs() < 1e-12);
    /// ```
    pub fn from_statistics(
        shapes: Vec<LayerShape>,
        stats: &[LayerStatistics],
        n: usize,
    ) -> Result<Self> {
        check_len("layer statistics", shapes.len(), stats.len())?;
        check_shapes(&shapes, n)?;
        let mut blocks = Vec::with_capacity(stats.len());
        for (sh, st) in shapes.iter().zip(stats) {
            check_len(
                "statistics rows (inputs + 1)",
                sh.inputs + 1,
                st.inputs.nrows(),
            )?;
            check_len("statistics rows (outputs)", sh.outputs, st.grads.nrows())?;
            let f = KroneckerFactors::from_statistics(st)?;
            let (ea, eg) = (eigen(&f.a, "A")?, eigen(&f.g, "G")?);
            let s = refit_diagonal(&ea, &eg, st);
            blocks.push((ea, eg, s));
        }
        Ok(Ekfac { shapes, blocks, n })
    }

    /// EK-FAC of a layered objective at `x` over the data set or a batch (example on
    /// [`Ekfac`]).
    pub fn from_objective(
        obj: &dyn Objective,
        x: &[f64],
        batch: Option<&[usize]>,
        targets: Targets,
    ) -> Result<Self> {
        let layered = obj.layered().ok_or_else(|| not_layered("EK-FAC"))?;
        let stats = layered.layer_statistics(x, batch, targets)?;
        Ekfac::from_statistics(layered.layer_shapes(), &stats, obj.dim())
    }

    /// The re-fitted diagonal of layer `l` (`outputs × (inputs + 1)`, entry `(j, k)` for the
    /// eigenvector pair `(u_G,j, u_A,k)`); example in [`Ekfac::from_statistics`].
    pub fn scales(&self, l: usize) -> Option<&Mat<f64>> {
        self.blocks.get(l).map(|b| &b.2)
    }
}

/// `s = (1/B) [Σ_j (U_Gᵀ D_{i,j})²]ᵢ ((U_Aᵀ Ā)²)ᵀ` (George et al. eq. 10).
fn refit_diagonal(ea: &Eigen, eg: &Eigen, st: &LayerStatistics) -> Mat<f64> {
    let (b, c) = (st.inputs.ncols(), st.per_example);
    let mut pg = Mat::<f64>::zeros(eg.q.ncols(), st.grads.ncols());
    mm(
        pg.as_mut(),
        Accum::Replace,
        eg.q.transpose(),
        st.grads.as_ref(),
        1.0,
    );
    let q = Mat::<f64>::from_fn(pg.nrows(), b, |j, i| {
        (0..c).map(|t| pg[(j, i * c + t)].powi(2)).sum::<f64>()
    });
    let mut pa = Mat::<f64>::zeros(ea.q.ncols(), b);
    mm(
        pa.as_mut(),
        Accum::Replace,
        ea.q.transpose(),
        st.inputs.as_ref(),
        1.0,
    );
    let ra = Mat::<f64>::from_fn(pa.nrows(), b, |k, i| pa[(k, i)].powi(2));
    let mut s = Mat::<f64>::zeros(q.nrows(), ra.nrows());
    mm(
        s.as_mut(),
        Accum::Replace,
        q.as_ref(),
        ra.transpose(),
        1.0 / b as f64,
    );
    s
}

impl LinearOperator for Ekfac {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("v", self.n, v.len())?;
        check_len("output buffer", self.n, out.len())?;
        out.fill(0.0);
        for (sh, (ea, eg, s)) in self.shapes.iter().zip(&self.blocks) {
            let range = sh.offset..sh.offset + sh.len();
            in_eigenbasis(&eg.q, &ea.q, &v[range.clone()], &mut out[range], |j, k| {
                s[(j, k)]
            });
        }
        Ok(())
    }
}
