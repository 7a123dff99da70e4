//! Hessian-free optimization (Martens 2010, "Deep learning via Hessian-free optimization";
//! Martens & Sutskever 2012, "Training deep and recurrent networks with Hessian-free
//! optimization", §8). Each iteration approximately minimizes the damped quadratic model
//! `q(p) = gᵀp + ½pᵀ(B + λI)p` by preconditioned CG ([`crate::linalg::cg`]) and moves along
//! the result. Every piece is a named option with the published default:
//!
//! | piece | option | default (source) |
//! |---|---|---|
//! | curvature `B` | `curvature` | the Gauss-Newton matrix where the objective gives `as_gauss_newton()`, else the Hessian (Martens 2010 §4.2) |
//! | Tikhonov damping λ | `lambda` | λ₀ = 1 (a scale-dependent choice: λ multiplies the identity in the units of `B`; the Levenberg–Marquardt rule below adapts it within a few iterations) |
//! | λ update | — | ρ < ¼ → λ·3/2, ρ > ¾ → λ·2/3 (Martens 2010 §4.1), ρ the reduction ratio against the *undamped* model `gᵀp + ½pᵀBp` |
//! | CG warm start | `decay` | previous final CG iterate × 0.95 (Martens & Sutskever 2012 §8.7; Martens 2010 §4.5) |
//! | CG stop | `martens_eps`, `cg_max_iters` | `i > k`, `φᵢ < 0`, `(φᵢ − φᵢ₋ₖ)/φᵢ < kε`, `k = max(10, ⌈0.1 i⌉)`, ε = 5·10⁻⁴; at most 250 iterations (Martens 2010 §4.4) |
//! | CG backtracking | `backtracking` | iterates saved at `⌈5·1.3ʲ⌉` and the last; walk back while `f` decreases (Martens 2010 §4.6) |
//! | preconditioner | `preconditioner`, `precond_exponent` | `M = (Σᵢ ∇ℓᵢ⊙∇ℓᵢ / N + λ)^0.75` from per-example gradients (the mean's empirical Fisher diagonal, see below), identity otherwise (Martens 2010 §4.7) |
//! | line search | `ls_c1`, `ls_shrink` | Armijo backtracking with c = 10⁻², shrink 0.8 (Martens & Sutskever 2012 §8.8) |
//! | minibatch curvature | `curvature_batch` | full batch; a fraction in (0, 1) or a size ≥ 2 samples a seeded batch per iteration for the curvature products (Martens 2010 §4.3); gradient and line search always use the full batch |
//!
//! The preconditioner's scaling is a choice, stated here: Martens (2010, §4.7) writes
//! `M = [diag(Σᵢ ∇fᵢ ⊙ ∇fᵢ) + λI]^ξ` for an objective that is a *sum* over the training cases.
//! curvlab's finite-sum objectives are *means*, `f = (1/N) Σᵢ ℓᵢ`, and their curvature `B` (and
//! so the damping λ added to it) is that of the mean. curvlab therefore uses the diagonal of
//! the empirical Fisher of the mean, `(1/N) Σᵢ ∇ℓᵢ ⊙ ∇ℓᵢ`, which scales with `N` as `B` and λ
//! do (not at all): with Martens's sum the diagonal would grow like `N` relative to λ, and
//! taking the formula literally on the summands `ℓᵢ/N` of the mean would shrink it like `1/N`.
//! Applied to the summed objective `N·f`, whose curvature is `N·B` and whose equivalent
//! damping is `N·λ`, Martens's `M` is `N^ξ` times curvlab's, a constant factor that
//! preconditioned CG does not see: the two conventions give the same CG iterates.
//!
//! Two small additions, documented because they are not in the papers: CG also stops at the
//! relative residual `cg_rtol` (default 10⁻¹⁰, so that a small problem solved exactly does not
//! iterate on rounding noise); and with the (possibly indefinite) Hessian as curvature, a
//! direction of nonpositive damped curvature found by CG raises λ to at least twice what makes
//! that direction positive (`λ ← max(3λ/2, 2(λ − c))`, `c` its damped Rayleigh quotient).
//! A step whose direction is not a descent direction, or whose line search fails, is rejected
//! (x unchanged, λ raised, the warm start reset).
//!
//! Trace extras per iteration: `lambda` (λ used), `cg_iters`, `rho`, `alpha` (line-search
//! step, 0 for a rejected step), `cg_backtrack` (the CG iteration whose iterate was taken) and
//! `cg_status` (0 converged by residual, 1 Martens stop, 2 iteration budget, 3 negative
//! curvature).

use super::line_search::Armijo;
use super::{Iterate, Method, Needs, StepInfo};
use crate::error::{Error, Result};
use crate::linalg::cg::{CgOptions, CgStatus, Diagonal, MartensStop, Preconditioner, solve};
use crate::linalg::vector::{add_scaled, dot, norm};
use crate::linalg::{Damped, LinearOperator};
use crate::objective::Objective;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Which curvature matrix HF uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CurvatureKind {
    /// The Gauss-Newton matrix where available, else the Hessian.
    Auto,
    /// The generalized Gauss-Newton matrix (an error when the objective has none).
    Ggn,
    /// The Hessian.
    Hessian,
}

impl CurvatureKind {
    /// Parses `auto`, `ggn` or `hessian`.
    ///
    /// ```
    /// use curvlab::methods::hessian_free::CurvatureKind;
    /// assert_eq!(CurvatureKind::parse("ggn").unwrap(), CurvatureKind::Ggn);
    /// assert!(CurvatureKind::parse("fisher").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(CurvatureKind::Auto),
            "ggn" => Ok(CurvatureKind::Ggn),
            "hessian" => Ok(CurvatureKind::Hessian),
            _ => Err(Error::invalid(
                "curvature",
                s,
                "expected auto, ggn or hessian",
            )),
        }
    }
}

/// The curvature matrix `B` at a point, optionally on a minibatch, as a linear operator.
struct CurvatureOp<'a> {
    obj: &'a dyn Objective,
    x: &'a [f64],
    batch: Option<&'a [usize]>,
    ggn: bool,
}

impl LinearOperator for CurvatureOp<'_> {
    fn dim(&self) -> usize {
        self.obj.dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let unsupported = || Error::Unsupported("objective lost its Gauss-Newton products".into());
        match self.batch {
            None if self.ggn => self
                .obj
                .as_gauss_newton()
                .ok_or_else(unsupported)?
                .ggn_vp(self.x, v, out),
            None => self.obj.hvp(self.x, v, out),
            Some(b) => {
                let fs = self
                    .obj
                    .as_finite_sum()
                    .ok_or_else(|| Error::Unsupported("objective is not a finite sum".into()))?;
                if self.ggn {
                    fs.batch_ggn_vp(self.x, b, v, out)
                } else {
                    fs.batch_hvp(self.x, b, v, out)
                }
            }
        }
    }
}

/// Hessian-free optimization (Martens 2010).
///
/// ```
/// use curvlab::methods::HessianFree;
/// use curvlab::problems::Rosenbrock;
/// use curvlab::{minimize, Stop};
/// // Rosenbrock has no Gauss-Newton structure: HF uses damped Hessian products.
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut HessianFree::default(), &[-1.2, 1.0], &Stop::new(1e-8, 500)).unwrap();
/// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-6);
/// assert!(HessianFree::new().with_lambda(-1.0).is_err());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct HessianFree {
    curvature: CurvatureKind,
    lambda0: f64,
    decay: f64,
    cg_max_iters: usize,
    cg_rtol: f64,
    martens: MartensStop,
    precondition: bool,
    precond_exponent: f64,
    backtracking: bool,
    armijo: Armijo,
    curvature_batch: f64,
    seed: u64,
    // state
    lambda: f64,
    use_ggn: bool,
    per_example: bool,
    prev: Vec<f64>,
    rng: ChaCha8Rng,
}

impl Default for HessianFree {
    fn default() -> Self {
        HessianFree {
            curvature: CurvatureKind::Auto,
            lambda0: 1.0,
            decay: 0.95,
            cg_max_iters: 250,
            cg_rtol: 1e-10,
            martens: MartensStop::default(),
            precondition: true,
            precond_exponent: 0.75,
            backtracking: true,
            armijo: Armijo {
                c1: 1e-2,
                shrink: 0.8,
                max_evals: 60,
            },
            curvature_batch: 1.0,
            seed: 0,
            lambda: 1.0,
            use_ggn: false,
            per_example: true,
            prev: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }
}

/// Martens's CG backtracking schedule `⌈5·1.3ʲ⌉`, `j = 0, 1, …`, up to `max_iters`
/// (duplicates removed).
///
/// ```
/// let s = curvlab::methods::hessian_free::backtrack_schedule(20);
/// assert_eq!(s, vec![5, 7, 9, 11, 15, 19]);
/// ```
pub fn backtrack_schedule(max_iters: usize) -> Vec<usize> {
    let mut v: Vec<usize> = Vec::new();
    let mut j = 0i32;
    loop {
        let k = (5.0 * 1.3f64.powi(j)).ceil() as usize;
        if k > max_iters {
            break;
        }
        if v.last() != Some(&k) {
            v.push(k);
        }
        j += 1;
    }
    v
}

impl HessianFree {
    /// The published defaults (see the module table).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the curvature matrix.
    pub fn with_curvature(mut self, c: CurvatureKind) -> Self {
        self.curvature = c;
        self
    }
    /// Sets the initial damping λ₀ (finite, `≥ 0`).
    pub fn with_lambda(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::invalid(
                "lambda",
                lambda,
                "damping must be finite and >= 0",
            ));
        }
        self.lambda0 = lambda;
        Ok(self)
    }
    /// Sets the warm-start decay (in [0, 1]).
    pub fn with_decay(mut self, decay: f64) -> Result<Self> {
        if !((0.0..=1.0).contains(&decay)) {
            return Err(Error::invalid("decay", decay, "must be in [0, 1]"));
        }
        self.decay = decay;
        Ok(self)
    }
    /// Sets the CG budget per iteration (`≥ 1`).
    ///
    /// ```
    /// assert!(curvlab::methods::HessianFree::new().with_cg_max_iters(0).is_err());
    /// ```
    pub fn with_cg_max_iters(mut self, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid(
                "cg_max_iters",
                0,
                "CG needs at least one iteration",
            ));
        }
        self.cg_max_iters = k;
        Ok(self)
    }
    /// Sets the relative-residual safety stop of CG (finite, `≥ 0`).
    pub fn with_cg_rtol(mut self, rtol: f64) -> Result<Self> {
        if !(rtol >= 0.0 && rtol.is_finite()) {
            return Err(Error::invalid("cg_rtol", rtol, "must be finite and >= 0"));
        }
        self.cg_rtol = rtol;
        Ok(self)
    }
    /// Sets Martens's stopping rule.
    pub fn with_martens(mut self, m: MartensStop) -> Result<Self> {
        m.validate()?;
        self.martens = m;
        Ok(self)
    }
    /// Enables (default) or disables Martens's diagonal preconditioner.
    pub fn with_preconditioner(mut self, on: bool) -> Self {
        self.precondition = on;
        self
    }
    /// Sets the preconditioner's exponent ξ (Martens: 0.75; in [0, 1]).
    pub fn with_precond_exponent(mut self, xi: f64) -> Result<Self> {
        if !((0.0..=1.0).contains(&xi)) {
            return Err(Error::invalid("precond_exponent", xi, "must be in [0, 1]"));
        }
        self.precond_exponent = xi;
        Ok(self)
    }
    /// Enables (default) or disables CG backtracking.
    pub fn with_backtracking(mut self, on: bool) -> Self {
        self.backtracking = on;
        self
    }
    /// Sets the Armijo line search (validated; Martens: c = 10⁻², shrink 0.8).
    pub fn with_armijo(mut self, a: Armijo) -> Result<Self> {
        a.validate()?;
        self.armijo = a;
        Ok(self)
    }
    /// Sets the curvature minibatch: a fraction in (0, 1], or a size ≥ 2 (an integer).
    ///
    /// ```
    /// use curvlab::methods::HessianFree;
    /// assert!(HessianFree::new().with_curvature_batch(0.1).is_ok());
    /// assert!(HessianFree::new().with_curvature_batch(0.0).is_err());
    /// assert!(HessianFree::new().with_curvature_batch(2.5).is_err());
    /// ```
    pub fn with_curvature_batch(mut self, b: f64) -> Result<Self> {
        let ok = b.is_finite() && ((b > 0.0 && b <= 1.0) || (b >= 2.0 && b.fract() == 0.0));
        if !ok {
            return Err(Error::invalid(
                "curvature_batch",
                b,
                "a fraction in (0, 1] or an integer size >= 2",
            ));
        }
        self.curvature_batch = b;
        Ok(self)
    }
    /// Sets the seed of the minibatch sampler.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The current damping λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// Martens's CG stopping rule in use.
    pub fn martens(&self) -> MartensStop {
        self.martens
    }
    /// The line search's Armijo parameters.
    ///
    /// ```
    /// assert_eq!(curvlab::methods::HessianFree::new().armijo().c1, 1e-2);
    /// ```
    pub fn armijo(&self) -> Armijo {
        self.armijo
    }

    fn batch_size(&self, n_examples: usize) -> usize {
        let b = self.curvature_batch;
        let m = if b <= 1.0 {
            (b * n_examples as f64).ceil() as usize
        } else {
            b as usize
        };
        m.clamp(1, n_examples.max(1))
    }

    /// Martens's diagonal `(Σᵢ ∇ℓᵢ⊙∇ℓᵢ / N + λ)^ξ`, or `None` (identity).
    fn preconditioner(&mut self, obj: &dyn Objective, x: &[f64]) -> Result<Option<Diagonal>> {
        if !self.precondition || !self.per_example {
            return Ok(None);
        }
        let Some(fs) = obj.as_finite_sum() else {
            return Ok(None);
        };
        let n = x.len();
        let big_n = fs.num_examples();
        if big_n == 0 {
            return Ok(None);
        }
        const CHUNK: usize = 256;
        let mut buf = vec![0.0; CHUNK.min(big_n) * n];
        let mut acc = vec![0.0; n];
        let mut start = 0;
        while start < big_n {
            let end = (start + CHUNK).min(big_n);
            let batch: Vec<usize> = (start..end).collect();
            let out = &mut buf[..batch.len() * n];
            match fs.per_example_gradients(x, &batch, out) {
                Ok(()) => {}
                Err(Error::Unsupported(_)) => {
                    self.per_example = false;
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
            for row in out.chunks_exact(n) {
                for (a, g) in acc.iter_mut().zip(row) {
                    *a += g * g;
                }
            }
            start = end;
        }
        let d: Vec<f64> = acc
            .iter()
            .map(|a| (a / big_n as f64 + self.lambda).powf(self.precond_exponent))
            .collect();
        // All-zero diagonal (λ = 0 and zero per-example gradients): identity instead.
        if d.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
            return Ok(None);
        }
        Ok(Some(Diagonal::new(d)?))
    }
}

impl Method for HessianFree {
    fn name(&self) -> &str {
        "hessian-free"
    }
    fn needs(&self) -> Needs {
        Needs::Hvp
    }
    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        self.armijo.validate()?;
        self.martens.validate()?;
        self.use_ggn = match self.curvature {
            CurvatureKind::Auto => obj.as_gauss_newton().is_some(),
            CurvatureKind::Ggn => {
                if obj.as_gauss_newton().is_none() {
                    return Err(Error::Unsupported(
                        "hessian-free: curvature = ggn but the objective gives no Gauss-Newton \
                         products (use curvature = hessian or auto)"
                            .into(),
                    ));
                }
                true
            }
            CurvatureKind::Hessian => false,
        };
        if self.curvature_batch != 1.0 && obj.as_finite_sum().is_none() {
            return Err(Error::Unsupported(
                "hessian-free: curvature_batch needs a finite-sum objective (minibatches)".into(),
            ));
        }
        self.lambda = self.lambda0;
        self.per_example = true;
        self.prev = vec![0.0; it.x.len()];
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        let n = it.x.len();
        if self.prev.len() != n {
            self.prev = vec![0.0; n];
        }
        let lambda = self.lambda;
        let r = self.cg_run(obj, it)?;
        if let Some(neg) = &r.negative_curvature {
            self.lambda = (1.5 * self.lambda)
                .max(2.0 * (self.lambda - neg.curvature))
                .max(1e-8);
        }
        let mut x_try = vec![0.0; n];
        let (j, f_new) = self.backtrack(obj, it, &r, &mut x_try)?;
        let p = if j == r.iterations {
            r.x.clone()
        } else {
            r.saved
                .iter()
                .find(|(k, _)| *k == j)
                .map_or_else(|| r.x.clone(), |(_, v)| v.clone())
        };
        let pp = dot(&p, &p);
        // Undamped model q(p) = φ_damped(p) − ½λ‖p‖².
        let q = r.phi.get(j).copied().unwrap_or(f64::NAN) - 0.5 * lambda * pp;
        let rho = if q < 0.0 {
            (f_new - it.f) / q
        } else {
            f64::NEG_INFINITY
        };
        if r.negative_curvature.is_none() {
            if rho < 0.25 {
                self.lambda *= 1.5;
            } else if rho > 0.75 {
                self.lambda *= 2.0 / 3.0;
            }
        }
        self.prev.clone_from(&r.x);
        let alpha = self.line_search(obj, it, &p, f_new, &mut x_try)?;
        if alpha > 0.0 {
            let mut g_new = vec![0.0; n];
            it.f = obj.gradient(&x_try, &mut g_new)?;
            it.x.copy_from_slice(&x_try);
            it.g = g_new;
        } else {
            // No acceptable step: reject, raise λ, restart CG from zero.
            self.lambda = self.lambda.max(1.5 * lambda);
            self.prev.iter_mut().for_each(|v| *v = 0.0);
        }
        if !self.lambda.is_finite() || self.lambda > 1e300 {
            // Every model since λ₀ over-predicted the decrease: no damping makes the quadratic
            // model trustworthy here (seen on MGH 2, 6, 10, 16 from their standard starts).
            return Err(Error::Numerical(format!(
                "hessian-free: damping λ grew without bound (λ = {:.3e}); no step the model \
                 predicts decreases f",
                self.lambda
            )));
        }
        let info = StepInfo::new(alpha * norm(&p));
        let info = if alpha > 0.0 {
            info
        } else {
            StepInfo {
                accepted: false,
                ..info
            }
        };
        Ok(info
            .with("lambda", lambda)
            .with("cg_iters", r.iterations as f64)
            .with("rho", rho)
            .with("alpha", alpha)
            .with("cg_backtrack", j as f64)
            .with("cg_status", status_code(r.status)))
    }
}

/// The trace code of a CG status (module docs).
fn status_code(s: CgStatus) -> f64 {
    match s {
        CgStatus::Converged => 0.0,
        CgStatus::MartensStop => 1.0,
        CgStatus::MaxIterations => 2.0,
        CgStatus::NegativeCurvature => 3.0,
        CgStatus::Boundary => 4.0,
    }
}

impl HessianFree {
    /// The seeded curvature minibatch of this iteration (`None`: the full batch).
    fn sample_batch(&mut self, obj: &dyn Objective) -> Option<Vec<usize>> {
        let fs = obj.as_finite_sum()?;
        if self.curvature_batch == 1.0 {
            return None;
        }
        let big_n = fs.num_examples();
        let m = self.batch_size(big_n);
        if m >= big_n {
            return None;
        }
        let mut b = rand::seq::index::sample(&mut self.rng, big_n, m).into_vec();
        b.sort_unstable();
        Some(b)
    }

    /// Preconditioned CG on `(B + λI)p = −g` from the decayed previous solution, with
    /// Martens's stop and the backtracking iterates saved.
    fn cg_run(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<crate::linalg::cg::CgResult> {
        let batch = self.sample_batch(obj);
        let precond = self.preconditioner(obj, &it.x)?;
        let op = Damped::new(
            CurvatureOp {
                obj,
                x: &it.x,
                batch: batch.as_deref(),
                ggn: self.use_ggn,
            },
            self.lambda,
        )?;
        let b: Vec<f64> = it.g.iter().map(|v| -v).collect();
        let x0: Vec<f64> = self.prev.iter().map(|v| self.decay * v).collect();
        let mut opts = CgOptions::default()
            .with_rtol(self.cg_rtol)?
            .with_max_iters(self.cg_max_iters)?
            .with_martens(self.martens)?;
        if self.backtracking {
            opts = opts.with_save_at(backtrack_schedule(self.cg_max_iters));
        }
        solve(
            &op,
            precond.as_ref().map(|d| d as &dyn Preconditioner),
            &b,
            Some(&x0),
            &opts,
        )
    }

    /// Martens's CG backtracking (§4.6): from the final CG iterate, walk back through the saved
    /// ones while `f` decreases. Returns the chosen iteration and `f` there.
    fn backtrack(
        &self,
        obj: &dyn Objective,
        it: &Iterate,
        r: &crate::linalg::cg::CgResult,
        x_try: &mut [f64],
    ) -> Result<(usize, f64)> {
        let mut chain: Vec<(usize, &[f64])> = r
            .saved
            .iter()
            .filter(|(j, _)| *j < r.iterations)
            .map(|(j, v)| (*j, v.as_slice()))
            .collect();
        chain.push((r.iterations, r.x.as_slice()));
        let mut eval = |p: &[f64]| -> Result<f64> {
            add_scaled(&it.x, 1.0, p, x_try);
            super::line_search::trial_value(obj, x_try)
        };
        let mut idx = chain.len() - 1;
        let mut f_new = eval(chain[idx].1)?;
        if self.backtracking {
            while idx > 0 {
                let f_prev = eval(chain[idx - 1].1)?;
                if f_prev < f_new {
                    idx -= 1;
                    f_new = f_prev;
                } else {
                    break;
                }
            }
        }
        Ok((chain[idx].0, f_new))
    }

    /// Armijo backtracking on the full batch from the unit step, whose value `f_unit` is known;
    /// leaves the accepted point in `x_try` and returns α (0: no acceptable step).
    fn line_search(
        &self,
        obj: &dyn Objective,
        it: &Iterate,
        p: &[f64],
        f_unit: f64,
        x_try: &mut [f64],
    ) -> Result<f64> {
        let slope = dot(&it.g, p);
        if !(dot(p, p) > 0.0 && slope < 0.0) {
            return Ok(0.0);
        }
        if f_unit <= it.f + self.armijo.c1 * slope {
            add_scaled(&it.x, 1.0, p, x_try);
            return Ok(1.0);
        }
        let ls = Armijo {
            max_evals: self.armijo.max_evals.saturating_sub(1).max(1),
            ..self.armijo
        };
        match ls.search(obj, &it.x, it.f, &it.g, p, self.armijo.shrink, x_try) {
            Ok(res) => Ok(res.alpha),
            Err(Error::Numerical(_)) => Ok(0.0),
            Err(e) => Err(e),
        }
    }
}
