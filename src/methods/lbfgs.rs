//! Limited-memory BFGS (Nocedal 1980, "Updating quasi-Newton matrices with limited storage";
//! Liu & Nocedal 1989; Nocedal & Wright 2006, Algorithms 7.4 and 7.5).
//!
//! The direction is `d = −H_k g` with `H_k` the BFGS inverse-Hessian approximation built from
//! the last `m` pairs `s_i = x_{i+1} − x_i`, `y_i = ∇f_{i+1} − ∇f_i`, applied by the two-loop
//! recursion (Algorithm 7.4) from the initial matrix `H⁰ = γ I`, `γ = sᵀy/yᵀy` of the newest
//! pair (eq. 7.20). The step satisfies the strong Wolfe conditions
//! ([`StrongWolfe`], `c₁ = 1e-4`, `c₂ = 0.9`), first trial `α = 1` (`min(1, 1/‖g‖)` on the
//! first iteration); if that search fails (near the minimizer, where changes of `f` fall below
//! its rounding level), Hager & Zhang's (2005) approximate Wolfe conditions are tested at the
//! first trial step before the memory is dropped. A pair with `sᵀy ≤ ε‖s‖‖y‖` (`ε = 1e-10`) is skipped, which keeps `H_k`
//! positive definite. The pairs live in a preallocated ring buffer: no allocation per
//! iteration.

use super::line_search::StrongWolfe;
use super::{Iterate, Method, StepInfo};
use crate::error::{Error, Result, check_len};
use crate::linalg::vector::{axpy, dot, norm};
use crate::objective::Objective;

/// L-BFGS with a strong-Wolfe line search.
///
/// ```
/// use curvlab::methods::lbfgs::Lbfgs;
/// use curvlab::{minimize, Stop};
/// use curvlab::problems::Rosenbrock;
/// let f = Rosenbrock::new(2).unwrap();
/// let r = minimize(&f, &mut Lbfgs::new(), &[-1.2, 1.0], &Stop::new(1e-8, 200)).unwrap();
/// assert!(r.converged() && (r.x[0] - 1.0).abs() < 1e-6);
/// assert!(Lbfgs::new().with_history(0).is_err());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde1", derive(serde::Serialize, serde::Deserialize))]
pub struct Lbfgs {
    m: usize,
    line_search: StrongWolfe,
    skip_eps: f64,
    n: usize,
    /// `s` pairs, row `i` at `s[i n .. (i+1) n]`.
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    alpha: Vec<f64>,
    /// Number of stored pairs (≤ m) and the slot of the newest.
    len: usize,
    newest: usize,
    d: Vec<f64>,
    x_new: Vec<f64>,
    g_new: Vec<f64>,
    first: bool,
    skipped: usize,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            m: 10,
            line_search: StrongWolfe::default(),
            skip_eps: 1e-10,
            n: 0,
            s: Vec::new(),
            y: Vec::new(),
            rho: Vec::new(),
            alpha: Vec::new(),
            len: 0,
            newest: 0,
            d: Vec::new(),
            x_new: Vec::new(),
            g_new: Vec::new(),
            first: true,
            skipped: 0,
        }
    }
}

impl Lbfgs {
    /// History `m = 10`, strong Wolfe with `c₁ = 1e-4`, `c₂ = 0.9`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the history length `m ≥ 1`.
    pub fn with_history(mut self, m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::invalid("history", 0, "must be >= 1"));
        }
        self.m = m;
        Ok(self)
    }

    /// Sets the line search's `c₁`, `c₂` (`0 < c₁ < c₂ < 1`).
    ///
    /// ```
    /// use curvlab::methods::lbfgs::Lbfgs;
    /// assert!(Lbfgs::new().with_wolfe(1e-4, 0.9).is_ok());
    /// assert!(Lbfgs::new().with_wolfe(0.5, 0.1).is_err());
    /// ```
    pub fn with_wolfe(mut self, c1: f64, c2: f64) -> Result<Self> {
        let ls = StrongWolfe {
            c1,
            c2,
            ..self.line_search
        };
        ls.validate()?;
        self.line_search = ls;
        Ok(self)
    }

    /// Replaces the whole line search (for example to turn off the approximate-Wolfe fallback
    /// with `epsilon = 0`), validated.
    ///
    /// ```
    /// use curvlab::methods::lbfgs::Lbfgs;
    /// use curvlab::methods::line_search::StrongWolfe;
    /// let off = StrongWolfe { epsilon: 0.0, ..Default::default() };
    /// assert_eq!(Lbfgs::new().with_line_search(off).unwrap().wolfe().epsilon, 0.0);
    /// assert!(Lbfgs::new().with_line_search(StrongWolfe { epsilon: -1.0, ..off }).is_err());
    /// ```
    pub fn with_line_search(mut self, ls: StrongWolfe) -> Result<Self> {
        ls.validate()?;
        self.line_search = ls;
        Ok(self)
    }

    /// The strong-Wolfe parameters.
    ///
    /// ```
    /// assert_eq!(curvlab::methods::lbfgs::Lbfgs::new().wolfe().c2, 0.9);
    /// ```
    pub fn wolfe(&self) -> StrongWolfe {
        self.line_search
    }

    /// Pairs skipped so far in this run (`sᵀy ≤ ε‖s‖‖y‖`).
    ///
    /// ```
    /// assert_eq!(curvlab::methods::lbfgs::Lbfgs::new().skipped(), 0);
    /// ```
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Writes `d = −H g` by the two-loop recursion (Algorithm 7.4).
    fn direction(&mut self, g: &[f64]) {
        let n = self.n;
        self.d.copy_from_slice(g);
        if self.len == 0 {
            for v in &mut self.d {
                *v = -*v;
            }
            return;
        }
        // Newest to oldest.
        for k in 0..self.len {
            let i = (self.newest + self.m - k) % self.m;
            let si = &self.s[i * n..(i + 1) * n];
            let yi = &self.y[i * n..(i + 1) * n];
            let a = self.rho[i] * dot(si, &self.d);
            self.alpha[i] = a;
            axpy(-a, yi, &mut self.d);
        }
        let j = self.newest;
        let (sj, yj) = (&self.s[j * n..(j + 1) * n], &self.y[j * n..(j + 1) * n]);
        let gamma = dot(sj, yj) / dot(yj, yj);
        for v in &mut self.d {
            *v *= gamma;
        }
        // Oldest to newest.
        for k in (0..self.len).rev() {
            let i = (self.newest + self.m - k) % self.m;
            let si = &self.s[i * n..(i + 1) * n];
            let yi = &self.y[i * n..(i + 1) * n];
            let b = self.rho[i] * dot(yi, &self.d);
            axpy(self.alpha[i] - b, si, &mut self.d);
        }
        for v in &mut self.d {
            *v = -*v;
        }
    }

    /// Hager & Zhang's (2005) approximate Wolfe test at the single step `alpha`, used only when
    /// the strong-Wolfe search fails: near a minimizer the decrease `|α gᵀd|` falls below the
    /// rounding level of `f` and sufficient decrease cannot be tested on values; HZ accept
    /// `f(x+αd) ≤ f + 1e-6|f|` and `(2δ − 1) gᵀd ≥ ∇f(x+αd)ᵀd ≥ σ gᵀd` (`δ = 0.1`,
    /// `σ = 0.9`), which tests the slope instead.
    fn approximate_wolfe(
        &mut self,
        obj: &dyn Objective,
        it: &Iterate,
        alpha: f64,
    ) -> Result<Option<super::line_search::LineSearchResult>> {
        let s0 = dot(&it.g, &self.d);
        crate::linalg::vector::add_scaled(&it.x, alpha, &self.d, &mut self.x_new);
        let f = match obj.gradient(&self.x_new, &mut self.g_new) {
            Ok(f) => f,
            Err(Error::NonFinite { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let s1 = dot(&self.g_new, &self.d);
        let ok = f <= it.f + 1e-6 * it.f.abs() && (2.0 * 0.1 - 1.0) * s0 >= s1 && s1 >= 0.9 * s0;
        Ok(ok.then_some(super::line_search::LineSearchResult {
            alpha,
            f,
            evaluations: 1,
        }))
    }

    /// Stores the pair from `x → x_new` unless `sᵀy ≤ ε‖s‖‖y‖`; returns whether it did.
    fn push_pair(&mut self, x: &[f64], g: &[f64]) -> bool {
        let n = self.n;
        let (mut sy, mut ss, mut yy) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let si = self.x_new[i] - x[i];
            let yi = self.g_new[i] - g[i];
            sy += si * yi;
            ss += si * si;
            yy += yi * yi;
        }
        if !(sy > self.skip_eps * (ss * yy).sqrt()) {
            self.skipped += 1;
            return false;
        }
        let slot = if self.len == 0 {
            0
        } else {
            (self.newest + 1) % self.m
        };
        let s = &mut self.s[slot * n..(slot + 1) * n];
        for ((si, xn), xo) in s.iter_mut().zip(&self.x_new).zip(x) {
            *si = xn - xo;
        }
        let y = &mut self.y[slot * n..(slot + 1) * n];
        for ((yi, gn), go) in y.iter_mut().zip(&self.g_new).zip(g) {
            *yi = gn - go;
        }
        self.rho[slot] = 1.0 / sy;
        self.newest = slot;
        self.len = (self.len + 1).min(self.m);
        true
    }
}

impl Method for Lbfgs {
    fn name(&self) -> &str {
        "lbfgs"
    }

    fn init(&mut self, obj: &dyn Objective, it: &Iterate) -> Result<()> {
        let n = obj.dim();
        check_len("x0", n, it.x.len())?;
        history_request(self.m as u64, n as u64).check()?;
        self.n = n;
        // Sizes checked above; allocated fallibly all the same (the system may refuse less).
        let mn = self.m.saturating_mul(n);
        for (buf, len, what) in [
            (&mut self.s, mn, "lbfgs history s"),
            (&mut self.y, mn, "lbfgs history y"),
            (&mut self.rho, self.m, "lbfgs history rho"),
            (&mut self.alpha, self.m, "lbfgs history alpha"),
            (&mut self.d, n, "lbfgs direction"),
            (&mut self.x_new, n, "lbfgs trial point"),
            (&mut self.g_new, n, "lbfgs trial gradient"),
        ] {
            *buf = crate::memory::try_zeros(len, what)?;
        }
        self.len = 0;
        self.newest = 0;
        self.first = true;
        self.skipped = 0;
        Ok(())
    }

    fn step(&mut self, obj: &dyn Objective, it: &mut Iterate) -> Result<StepInfo> {
        if self.d.len() != it.x.len() {
            return Err(Error::Numerical(
                "lbfgs: call init before step (or the dimension changed)".into(),
            ));
        }
        self.direction(&it.g);
        if !(dot(&it.g, &self.d) < 0.0) {
            // Cannot happen with positive-definite H in exact arithmetic; restart from −g.
            self.len = 0;
            self.direction(&it.g);
        }
        let alpha0 = if self.first || self.len == 0 {
            (1.0 / norm(&self.d)).min(1.0)
        } else {
            1.0
        };
        let ls = self.line_search;
        let r = match ls.search(
            obj,
            &it.x,
            it.f,
            &it.g,
            &self.d,
            alpha0,
            &mut self.x_new,
            &mut self.g_new,
        ) {
            Ok(r) => r,
            Err(Error::Numerical(msg)) => {
                if let Some(r) = self.approximate_wolfe(obj, it, alpha0)? {
                    r
                } else if self.len > 0 {
                    // Memory gone bad: drop it and retry along steepest descent once.
                    self.len = 0;
                    self.direction(&it.g);
                    let a0 = (1.0 / norm(&self.d)).min(1.0);
                    ls.search(
                        obj,
                        &it.x,
                        it.f,
                        &it.g,
                        &self.d,
                        a0,
                        &mut self.x_new,
                        &mut self.g_new,
                    )?
                } else {
                    return Err(Error::Numerical(msg));
                }
            }
            Err(e) => return Err(e),
        };
        self.first = false;
        let stored = self.push_pair(&it.x, &it.g);
        let step_length = r.alpha * norm(&self.d);
        std::mem::swap(&mut it.x, &mut self.x_new);
        std::mem::swap(&mut it.g, &mut self.g_new);
        it.f = r.f;
        Ok(StepInfo::new(step_length)
            .with("alpha", r.alpha)
            .with("line_search_evals", r.evaluations as f64)
            .with("pair_stored", if stored { 1.0 } else { 0.0 }))
    }
}

/// What L-BFGS with history `m` allocates at `n` variables: the `m` pairs `(s, y)` (`2mn`
/// values), `ρ` and `α` (`2m`) and three vectors (`3n`). Checked in `init` before allocating.
///
/// ```
/// use curvlab::methods::lbfgs::history_request;
/// assert_eq!(history_request(10, 100).bytes, Some(8 * (2 * 10 * 100 + 2 * 10 + 3 * 100)));
/// let r = history_request(100_000_000_000_000, 2);
/// assert_eq!(r.bytes, Some(8 * (6 * 100_000_000_000_000 + 6)));
/// assert!(r.what.starts_with("lbfgs history = 100000000000000 at n = 2"));
/// assert_eq!(history_request(u64::MAX, 3).bytes, None);
/// ```
pub fn history_request(m: u64, n: u64) -> crate::memory::Request {
    use crate::memory::{Request, f64s, sum};
    Request::new(
        format!("lbfgs history = {m} at n = {n} (2 x history x n values)"),
        sum(&[f64s(&[2, m, n]), f64s(&[2, m]), f64s(&[3, n])]),
        "use a smaller history (3 to 20 is typical)",
    )
    .with_key("history")
}
