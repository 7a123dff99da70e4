//! Registry entries of L-BFGS and the second-order methods (Newton, Newton-CG, trust-region
//! Newton-CG, Hessian-free): names, parameter tables and builders from [`Params`]. The
//! algorithms live in their own files and know nothing of strings; every default lives once,
//! in the type's `Default` (a builder only overrides the keys that are given), and the tables'
//! default strings are checked against those values by this module's tests.

use super::{MethodContext, MethodEntry, MethodInfo};
use crate::error::{Error, Result};
use crate::methods::hessian_free::{CurvatureKind, HessianFree};
use crate::methods::lbfgs::Lbfgs;
use crate::methods::line_search::{Globalization, LineSearchKind};
use crate::methods::newton::{Newton, Safeguard};
use crate::methods::newton_cg::{NewtonCg, TrustNcg};
use crate::methods::trust_region::TrustRegion;
use crate::methods::{Method, line_search::Armijo};
use crate::params::{ParamInfo, Params, Value};

/// Appends the quasi-Newton and second-order entries in `curvlab list` order.
pub(super) fn register(v: &mut Vec<MethodEntry>) {
    v.extend_from_slice(ENTRIES);
}

const ENTRIES: &[MethodEntry] = &[
    MethodEntry {
        info: MethodInfo {
            name: "lbfgs",
            summary: "L-BFGS, two-loop recursion, strong-Wolfe line search (Liu & Nocedal 1989)",
            params: LBFGS_PARAMS,
        },
        build: |p, c| boxed(build_lbfgs(p, c)),
    },
    MethodEntry {
        info: MethodInfo {
            name: "newton",
            summary: "exact Newton on the dense Hessian (Cholesky via faer llt) with a safeguard: modified Cholesky + line search, Levenberg-Marquardt, or More-Sorensen trust region (Nocedal & Wright ch. 3-4)",
            params: NEWTON_PARAMS,
        },
        build: |p, c| boxed(build_newton(p, c)),
    },
    MethodEntry {
        info: MethodInfo {
            name: "newton-cg",
            summary: "line-search Newton-CG, matrix-free with exact HVPs, forcing term min(0.5, sqrt|g|) (Nocedal & Wright Alg 7.1)",
            params: NEWTON_CG_PARAMS,
        },
        build: |p, c| boxed(build_newton_cg(p, c)),
    },
    MethodEntry {
        info: MethodInfo {
            name: "trust-ncg",
            summary: "trust-region Newton-CG with Steihaug-Toint CG, matrix-free (Nocedal & Wright Alg 4.1 + 7.2)",
            params: TRUST_NCG_PARAMS,
        },
        build: |p, c| boxed(build_trust_ncg(p, c)),
    },
    MethodEntry {
        info: MethodInfo {
            name: "hessian-free",
            summary: "Hessian-free optimization: damped Gauss-Newton (or Hessian) CG steps with warm start, Martens's stop, CG backtracking, diagonal preconditioner and Armijo line search (Martens 2010; Martens & Sutskever 2012)",
            params: HESSIAN_FREE_PARAMS,
        },
        build: |p, c| boxed(build_hessian_free(p, c)),
    },
];

const LBFGS_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "history",
        default: "10",
        doc: "number of stored pairs m >= 1",
    },
    ParamInfo {
        name: "c1",
        default: "1e-4",
        doc: "sufficient-decrease constant of the strong-Wolfe search",
    },
    ParamInfo {
        name: "c2",
        default: "0.9",
        doc: "curvature constant of the strong-Wolfe search (c1 < c2 < 1)",
    },
];

const NEWTON_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "safeguard",
        default: "trust-exact",
        doc: "modified (Cholesky with added multiple of I, N&W Alg 3.3, + line search), lm (Levenberg-Marquardt, Nielsen's rho rule), trust-exact (More-Sorensen trust region), none (error if H is not positive definite)",
    },
    ParamInfo {
        name: "line_search",
        default: "armijo",
        doc: "armijo (monotone backtracking), wolfe (strong Wolfe), nonmonotone (Grippo-Lampariello-Lucidi 1986 Armijo against the max of the last nonmonotone_memory values), watchdog (Chamberlain-Powell-Lemarechal-Pedersen 1982, N&W Alg 15.2: a unit step that fails Armijo is kept once, checked after the next step) or none (unit step); used by safeguard = modified and none",
    },
    ParamInfo {
        name: "nonmonotone_memory",
        default: "10",
        doc: "memory M >= 1 of line_search = nonmonotone (1 = monotone Armijo)",
    },
    ParamInfo {
        name: "beta",
        default: "1e-3",
        doc: "relative shift of the modified Cholesky (N&W Alg 3.3: multiples of beta * ||H||_F) and smallest LM damping when H + lambda I is indefinite",
    },
    ParamInfo {
        name: "lambda",
        default: "1e-3",
        doc: "initial Levenberg-Marquardt damping (safeguard = lm), >= 0",
    },
    ParamInfo {
        name: "radius",
        default: "10",
        doc: "initial trust radius (safeguard = trust-exact), > 0",
    },
    ParamInfo {
        name: "max_radius",
        default: "1e8",
        doc: "largest trust radius",
    },
    ParamInfo {
        name: "eta",
        default: "0",
        doc: "step acceptance threshold on rho, in [0, 0.25)",
    },
];

const NEWTON_CG_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "line_search",
        default: "nonmonotone",
        doc: "armijo, wolfe, nonmonotone (Grippo-Lampariello-Lucidi 1986, memory nonmonotone_memory), watchdog (Chamberlain et al. 1982, N&W Alg 15.2) or none (unit step)",
    },
    ParamInfo {
        name: "nonmonotone_memory",
        default: "10",
        doc: "memory M >= 1 of line_search = nonmonotone (1 = monotone Armijo)",
    },
    ParamInfo {
        name: "cg_max_iters",
        default: "20n",
        doc: "CG iterations per Newton step (>= 1)",
    },
    ParamInfo {
        name: "forcing",
        default: "0.5",
        doc: "cap of the forcing term eta_k = min(cap, sqrt(|g|)), the CG relative residual tolerance",
    },
];

const TRUST_NCG_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "radius",
        default: "1",
        doc: "initial trust radius (> 0)",
    },
    ParamInfo {
        name: "max_radius",
        default: "1e8",
        doc: "largest trust radius",
    },
    ParamInfo {
        name: "eta",
        default: "0",
        doc: "step acceptance threshold on rho, in [0, 0.25)",
    },
    ParamInfo {
        name: "cg_max_iters",
        default: "20n",
        doc: "Steihaug-CG iterations per step (>= 1)",
    },
    ParamInfo {
        name: "forcing",
        default: "0.1",
        doc: "cap of the forcing term eta_k = min(cap, sqrt(|g|))",
    },
    ParamInfo {
        name: "cg_tol",
        default: "forcing",
        doc: "interior stop of Steihaug-CG: forcing (relative residual eta_k = min(forcing, sqrt(|g|)), as scipy's trust-ncg) or a fixed relative residual in (0, 1), e.g. 1e-10 for a nearly exact subproblem solution (argmin's Steihaug uses 1e-9)",
    },
    ParamInfo {
        name: "reuse_products",
        default: "true",
        doc: "after a rejected step, replay the Hessian-vector products of the rejected Steihaug-CG run (the new run repeats its iterates up to the smaller boundary) instead of recomputing them; memory: one vector pair per CG iteration",
    },
];

const HESSIAN_FREE_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "curvature",
        default: "auto",
        doc: "auto (ggn where the objective gives Gauss-Newton products, else hessian), ggn or hessian",
    },
    ParamInfo {
        name: "lambda",
        default: "1",
        doc: "initial Tikhonov damping lambda (>= 0), adapted by rho < 1/4 -> x3/2, rho > 3/4 -> x2/3",
    },
    ParamInfo {
        name: "decay",
        default: "0.95",
        doc: "CG warm start: previous CG solution times decay (in [0, 1])",
    },
    ParamInfo {
        name: "cg_max_iters",
        default: "250",
        doc: "CG iterations per step (>= 1)",
    },
    ParamInfo {
        name: "cg_rtol",
        default: "1e-10",
        doc: "CG also stops at this relative residual",
    },
    ParamInfo {
        name: "martens_eps",
        default: "5e-4",
        doc: "Martens's CG stop: (phi_i - phi_{i-k}) / phi_i < k eps, k = max(10, ceil(0.1 i))",
    },
    ParamInfo {
        name: "preconditioner",
        default: "martens",
        doc: "martens ((sum of squared per-example gradients / N + lambda)^xi, identity without per-example gradients) or none",
    },
    ParamInfo {
        name: "precond_exponent",
        default: "0.75",
        doc: "exponent xi of Martens's preconditioner",
    },
    ParamInfo {
        name: "backtracking",
        default: "true",
        doc: "CG backtracking over the iterates saved at ceil(5 * 1.3^j)",
    },
    ParamInfo {
        name: "ls_c1",
        default: "1e-2",
        doc: "Armijo sufficient-decrease constant of the line search",
    },
    ParamInfo {
        name: "ls_shrink",
        default: "0.8",
        doc: "Armijo shrink factor",
    },
    ParamInfo {
        name: "curvature_batch",
        default: "1",
        doc: "curvature minibatch: fraction in (0, 1] or size >= 2, sampled with the run's seed",
    },
];

fn boxed<M: Method + 'static>(m: Result<M>) -> Result<Box<dyn Method>> {
    Ok(Box::new(m?))
}

/// A number, if given.
fn num(p: &Params, key: &str) -> Result<Option<f64>> {
    match p.get(key) {
        None => Ok(None),
        Some(Value::Num(x)) => Ok(Some(*x)),
        Some(v) => Err(Error::invalid(key, v, "expected a number")),
    }
}

/// A nonnegative integer, if given.
fn int(p: &Params, key: &str) -> Result<Option<usize>> {
    match p.get(key) {
        None => Ok(None),
        Some(_) => Ok(Some(p.usize(key, 0)?)),
    }
}

/// A string, if given.
fn text(p: &Params, key: &str) -> Result<Option<String>> {
    match p.get(key) {
        None => Ok(None),
        Some(_) => Ok(Some(p.str(key, "")?)),
    }
}

/// A boolean, if given.
fn flag(p: &Params, key: &str) -> Result<Option<bool>> {
    match p.get(key) {
        None => Ok(None),
        Some(_) => Ok(Some(p.bool(key, false)?)),
    }
}

/// `cg_max_iters`: an integer `≥ 1`, or `20n` (the default, `None`).
fn cg_budget(p: &Params) -> Result<Option<usize>> {
    match p.get("cg_max_iters") {
        Some(Value::Str(s)) if s == "20n" => Ok(None),
        _ => int(p, "cg_max_iters"),
    }
}

/// The keys `radius`, `max_radius`, `eta` over `base`.
fn trust_region(p: &Params, base: TrustRegion) -> Result<TrustRegion> {
    let mut tr = base;
    if let Some(r) = num(p, "radius")? {
        tr = tr.with_radius(r)?;
    }
    if let Some(r) = num(p, "max_radius")? {
        tr = tr.with_max_radius(r)?;
    }
    if let Some(e) = num(p, "eta")? {
        tr = tr.with_eta(e)?;
    }
    tr.validate()?;
    Ok(tr)
}

/// The keys `line_search`, `nonmonotone_memory` over `base`.
fn globalization(p: &Params, base: &Globalization) -> Result<Globalization> {
    let mut g = base.clone();
    if let Some(k) = text(p, "line_search")? {
        g = g.with_kind(LineSearchKind::parse(&k)?);
    }
    if let Some(m) = int(p, "nonmonotone_memory")? {
        g = g.with_nonmonotone_memory(m)?;
    }
    Ok(g)
}

fn build_lbfgs(p: &Params, _ctx: &MethodContext) -> Result<Lbfgs> {
    let mut m = Lbfgs::new();
    if let Some(h) = int(p, "history")? {
        m = m.with_history(h)?;
    }
    let w = m.wolfe();
    let (c1, c2) = (num(p, "c1")?.unwrap_or(w.c1), num(p, "c2")?.unwrap_or(w.c2));
    m.with_wolfe(c1, c2)
}

fn build_newton(p: &Params, _ctx: &MethodContext) -> Result<Newton> {
    let mut m = Newton::new();
    if let Some(s) = text(p, "safeguard")? {
        m = m.with_safeguard(Safeguard::parse(&s)?);
    }
    let g = globalization(p, m.globalization())?;
    m = m.with_globalization(g);
    if let Some(b) = num(p, "beta")? {
        m = m.with_beta(b)?;
    }
    if let Some(l) = num(p, "lambda")? {
        m = m.with_lambda(l)?;
    }
    let tr = trust_region(p, m.trust_region())?;
    m.with_trust_region(tr)
}

fn build_newton_cg(p: &Params, _ctx: &MethodContext) -> Result<NewtonCg> {
    let mut m = NewtonCg::new();
    let g = globalization(p, m.globalization())?;
    m = m.with_globalization(g);
    if let Some(k) = cg_budget(p)? {
        m = m.with_cg_max_iters(k)?;
    }
    if let Some(f) = num(p, "forcing")? {
        m = m.with_forcing(f)?;
    }
    Ok(m)
}

fn build_trust_ncg(p: &Params, _ctx: &MethodContext) -> Result<TrustNcg> {
    let mut m = TrustNcg::new();
    let tr = trust_region(p, m.trust_region())?;
    m = m.with_trust_region(tr)?;
    if let Some(k) = cg_budget(p)? {
        m = m.with_cg_max_iters(k)?;
    }
    if let Some(f) = num(p, "forcing")? {
        m = m.with_forcing(f)?;
    }
    if let Some(r) = flag(p, "reuse_products")? {
        m = m.with_reuse_products(r);
    }
    match p.get("cg_tol") {
        None => {}
        Some(Value::Str(s)) if s == "forcing" => {}
        Some(Value::Num(t)) => m = m.with_cg_tol(*t)?,
        Some(v) => {
            return Err(Error::invalid(
                "cg_tol",
                v,
                "expected \"forcing\" or a number in (0, 1)",
            ));
        }
    }
    Ok(m)
}

fn build_hessian_free(p: &Params, ctx: &MethodContext) -> Result<HessianFree> {
    let mut m = HessianFree::new().with_seed(ctx.seed);
    if let Some(c) = text(p, "curvature")? {
        m = m.with_curvature(CurvatureKind::parse(&c)?);
    }
    if let Some(l) = num(p, "lambda")? {
        m = m.with_lambda(l)?;
    }
    if let Some(d) = num(p, "decay")? {
        m = m.with_decay(d)?;
    }
    if let Some(k) = int(p, "cg_max_iters")? {
        m = m.with_cg_max_iters(k)?;
    }
    if let Some(r) = num(p, "cg_rtol")? {
        m = m.with_cg_rtol(r)?;
    }
    if let Some(eps) = num(p, "martens_eps")? {
        let ms = m.martens();
        m = m.with_martens(crate::linalg::cg::MartensStop { eps, ..ms })?;
    }
    hessian_free_rest(p, m)
}

/// The preconditioner, backtracking, line-search and minibatch keys of Hessian-free.
fn hessian_free_rest(p: &Params, mut m: HessianFree) -> Result<HessianFree> {
    if let Some(s) = text(p, "preconditioner")? {
        m = match s.as_str() {
            "martens" => m.with_preconditioner(true),
            "none" => m.with_preconditioner(false),
            other => {
                return Err(Error::invalid(
                    "preconditioner",
                    other,
                    "expected martens or none",
                ));
            }
        };
    }
    if let Some(x) = num(p, "precond_exponent")? {
        m = m.with_precond_exponent(x)?;
    }
    if let Some(b) = flag(p, "backtracking")? {
        m = m.with_backtracking(b);
    }
    let a = m.armijo();
    let armijo = Armijo {
        c1: num(p, "ls_c1")?.unwrap_or(a.c1),
        shrink: num(p, "ls_shrink")?.unwrap_or(a.shrink),
        ..a
    };
    m = m.with_armijo(armijo)?;
    if let Some(b) = num(p, "curvature_batch")? {
        m = m.with_curvature_batch(b)?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's defaults, as a user would type them.
    fn defaults(table: &[ParamInfo]) -> Params {
        let mut p = Params::new();
        for info in table {
            p.insert(info.name, Value::parse(info.default));
        }
        p
    }

    /// Building from every listed default gives exactly the type's `Default` (compared through
    /// `Debug`, which prints every field), and every listed key is read: the strings that
    /// `curvlab list` prints are the values the methods run with.
    #[test]
    fn listed_defaults_are_the_types_defaults() {
        let ctx = MethodContext::default();
        let check = |name: &str, got: String, want: String| {
            assert_eq!(got, want, "{name}: the listed defaults differ from Default");
        };
        let p = defaults(LBFGS_PARAMS);
        check(
            "lbfgs",
            format!("{:?}", build_lbfgs(&p, &ctx).unwrap()),
            format!("{:?}", Lbfgs::default()),
        );
        p.finish("lbfgs").unwrap();
        let p = defaults(NEWTON_PARAMS);
        check(
            "newton",
            format!("{:?}", build_newton(&p, &ctx).unwrap()),
            format!("{:?}", Newton::default()),
        );
        p.finish("newton").unwrap();
        let p = defaults(NEWTON_CG_PARAMS);
        check(
            "newton-cg",
            format!("{:?}", build_newton_cg(&p, &ctx).unwrap()),
            format!("{:?}", NewtonCg::default()),
        );
        p.finish("newton-cg").unwrap();
        let p = defaults(TRUST_NCG_PARAMS);
        check(
            "trust-ncg",
            format!("{:?}", build_trust_ncg(&p, &ctx).unwrap()),
            format!("{:?}", TrustNcg::default()),
        );
        p.finish("trust-ncg").unwrap();
        let p = defaults(HESSIAN_FREE_PARAMS);
        check(
            "hessian-free",
            format!("{:?}", build_hessian_free(&p, &ctx).unwrap()),
            format!("{:?}", HessianFree::default()),
        );
        p.finish("hessian-free").unwrap();
    }

    /// A changed key does change the method (the comparison above can fail).
    #[test]
    fn a_changed_key_changes_the_method() {
        let ctx = MethodContext::default();
        let p = Params::from_pairs(&["eta=0.2", "line_search=wolfe"]).unwrap();
        let m = build_newton(&p, &ctx).unwrap();
        assert_eq!(m.trust_region().eta, 0.2);
        assert_eq!(m.globalization().kind(), LineSearchKind::Wolfe);
        assert_ne!(format!("{m:?}"), format!("{:?}", Newton::default()));
        let bad = Params::from_pairs(&["radius=10", "max_radius=5"]).unwrap();
        assert!(build_trust_ncg(&bad, &ctx).is_err());
    }
}
