//! The study report: `spectra.json` ([`super::spectra`]), `summary.md` and the plots
//! ([`super::plots`]).
//!
//! `summary.md` answers, per problem instance, "who wins and why": the winner by iterations and
//! by wall time among the runs that reached the tolerance, the condition number κ of the
//! Hessian, one sentence of explanation from the convergence theory for the winner's family
//! ([`super::theory::why`]), the iteration counts [`crate::curvature::explain_for`] predicts
//! beside the measured ones (gradient descent at `2/(μ+L)`, heavy ball and Nesterov at their
//! optimal parameters, conjugate gradients, Newton — Polyak 1964/1987, Nesterov 2004, Nocedal &
//! Wright 2006), and the sharpness `λ_max(∇²f)` at each method's final point (Cohen et al.
//! 2021; Keskar et al. 2017 for the flat-minimum question of the seed article).
//!
//! Predictions are made for quadratics only (constant Hessian) and for the study's own stopping
//! rule ([`super::theory::stopping_rule`]): `grad_rtol` as `‖∇f‖ ≤ ε‖∇f(x₀)‖`, `grad_tol` as
//! `‖∇f‖ ≤ tol` from the instance's `‖∇f(x₀)‖` — the test the runs stop on, so measured and
//! predicted count the same thing.

use super::expand::{Instance, Plan};
use super::format::{fmt_g, md_escape, mean, ratio, slug};
use super::outputs::{RunRecord, read_records, write_atomic, write_runs_csv};
use super::spec::StudySpec;
use super::spectra::{InstanceSpectra, study_instance_spectra};
use super::theory::{Measure, family, stopping_rule, theory_for, why_at};
use super::verdict::{
    RankKey, SeedCost, Tolerances, Verdict, beyond_timer_noise, classify, rank, seed_cost,
};
use crate::curvature::Prediction;
use crate::error::{Error, Result};
use crate::problems::{ProblemInstance, build_problem};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Regenerates the study outputs from the records on disk: `runs.csv` always; `spectra.json`,
/// `summary.md` and `plots/` when `full` (an unsharded study or a merge). `instances` are the
/// problem instances built with the first seed (rebuilt when `None`). Spectra and plots are
/// computed per problem instance in parallel on the current rayon pool.
pub fn finalize(
    spec: &StudySpec,
    plan: &Plan,
    out: &Path,
    only: Option<&BTreeSet<String>>,
    full: bool,
    instances: Option<&[Arc<ProblemInstance>]>,
) -> Result<()> {
    let records = read_records(out)?;
    write_runs_csv(out, plan, &records, only)?;
    if !full {
        return Ok(());
    }
    let built: Vec<Arc<ProblemInstance>> = match instances {
        Some(v) => v.to_vec(),
        None => plan
            .problems
            .iter()
            .map(|p| build_problem(&p.kind, &p.to_params(), spec.seeds[0]).map(Arc::new))
            .collect::<Result<_>>()?,
    };
    // One task per instance on the current rayon pool (the study's `--jobs`).
    let spectra: Vec<InstanceSpectra> = built
        .par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(pi, i)| {
            let rule = stopping_rule(spec, i);
            study_instance_spectra(i, rule, plan, &records, pi, spec.seeds[0])
        })
        .collect();
    let json = serde_json::to_string_pretty(&spectra)
        .map_err(|e| Error::Numerical(format!("spectra.json: {e}")))?;
    write_atomic(&out.join("spectra.json"), json.as_bytes())?;
    let plots = super::plots::write_plots(spec, plan, out, &records, &spectra, &built)?;
    let md = summary_markdown(spec, plan, &records, &spectra, &plots)
        + &super::sharpness_summary::section(plan, &records, out);
    let md = md + &super::endpoint_summary::section(spec, plan, out, &records)?;
    write_atomic(&out.join("summary.md"), md.as_bytes())
}

/// One method instance on one problem instance, over its seeds.
struct Row<'a> {
    method: &'a Instance,
    runs: Vec<&'a RunRecord>,
    /// The verdict on each run, in the order of `runs`.
    verdicts: Vec<Verdict>,
    converged: usize,
    /// Mean iterations / HVPs over the converged seeds (the theory table's measurement).
    iterations: Option<f64>,
    hvps: Option<f64>,
    /// Over all seeds, a seed that did not succeed counting as +∞ ([`super::verdict`]).
    iters: SeedCost,
    cost: SeedCost,
    secs: SeedCost,
    f_end: Option<f64>,
    gap: Option<f64>,
    sharpness: Option<f64>,
}

impl Row<'_> {
    fn successes(&self) -> usize {
        self.verdicts.iter().filter(|v| v.is_success()).count()
    }

    fn key(&self, c: SeedCost) -> RankKey {
        RankKey {
            success_rate: self.successes() as f64 / self.runs.len().max(1) as f64,
            cost: c,
        }
    }

    /// Mean `(λ_min, λ_max)` of `∇²f(x_end)` over the successful seeds (all seeds when none).
    fn end_curvature(&self) -> Option<(f64, f64)> {
        let ok: Vec<&&RunRecord> = self
            .runs
            .iter()
            .zip(&self.verdicts)
            .filter(|(_, v)| v.is_success())
            .map(|(r, _)| r)
            .collect();
        let pick: Vec<&&RunRecord> = if ok.is_empty() {
            self.runs.iter().collect()
        } else {
            ok
        };
        let lo = mean(&pick.iter().filter_map(|r| r.lambda_min).collect::<Vec<_>>())?;
        let hi = mean(&pick.iter().filter_map(|r| r.sharpness).collect::<Vec<_>>())?;
        (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
    }

    /// `solved 2/3, failed 1/3`.
    fn verdict_text(&self) -> String {
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        for v in &self.verdicts {
            *counts.entry(*v).or_default() += 1;
        }
        counts
            .iter()
            .map(|(v, k)| format!("{} {k}/{}", v.label(), self.runs.len()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn row<'a>(m: &'a Instance, runs: Vec<&'a RunRecord>) -> Row<'a> {
    let tol = Tolerances::default();
    let verdicts: Vec<Verdict> = runs.iter().map(|r| classify(r, &tol)).collect();
    let conv: Vec<&&RunRecord> = runs.iter().filter(|r| r.converged).collect();
    let cm = |f: &dyn Fn(&RunRecord) -> f64| mean(&conv.iter().map(|r| f(r)).collect::<Vec<_>>());
    let am = |f: &dyn Fn(&RunRecord) -> Option<f64>| {
        mean(&runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
    };
    let sc = |f: &dyn Fn(&RunRecord) -> f64| {
        seed_cost(
            &verdicts
                .iter()
                .zip(&runs)
                .map(|(v, r)| (*v, f(r)))
                .collect::<Vec<_>>(),
        )
    };
    Row {
        method: m,
        converged: conv.len(),
        iterations: cm(&|r| r.iterations as f64),
        hvps: cm(&|r| r.hvp_evals as f64),
        iters: sc(&|r| r.iterations as f64),
        cost: sc(&|r| r.cost),
        secs: sc(&|r| r.seconds),
        f_end: am(&|r| r.f),
        gap: am(&|r| Some(r.f? - r.f_star?)),
        sharpness: am(&|r| r.sharpness),
        verdicts,
        runs,
    }
}

fn rows<'a>(
    plan: &'a Plan,
    records: &'a BTreeMap<String, RunRecord>,
    problem: usize,
) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    for (mi, m) in plan.methods.iter().enumerate() {
        let runs: Vec<&RunRecord> = plan
            .runs
            .iter()
            .filter(|r| r.problem == problem && r.method == mi)
            .filter_map(|r| records.get(&r.id))
            .collect();
        if !runs.is_empty() {
            out.push(row(m, runs));
        }
    }
    out
}

fn stop_text(spec: &StudySpec) -> String {
    let mut s = match spec.grad_rtol {
        Some(r) => format!("‖∇f‖ ≤ {r}·‖∇f(x₀)‖"),
        None => format!("‖∇f‖ ≤ {}", spec.stop.grad_tol),
    };
    if let Some(t) = spec.stop.f_target {
        let _ = write!(s, " or f ≤ {t} (target)");
    }
    let _ = write!(s, ", at most {} iterations", spec.stop.max_iters);
    if let Some(t) = spec.stop.max_seconds {
        let _ = write!(s, ", {t} s per run");
    }
    if let Some(e) = spec.stop.max_evals {
        let _ = write!(s, ", {e} gradient-equivalent evaluations");
    }
    s
}

/// One line of the theory table, and whether the bound is only a reference (†).
fn theory_line(r: &Row, p: &Prediction) -> Option<(String, bool)> {
    let t = theory_for(&r.method.kind, &r.method.params)?;
    let mp = p.method(t.family)?;
    let (measured, unit) = match t.measure {
        Measure::Iterations => (r.iterations, "iterations"),
        Measure::HessianVectorProducts => (r.hvps, "Hessian-vector products"),
    };
    let unit = if mp.iterations == Some(1) {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    let ratio = measured
        .zip(mp.iterations.get().filter(|&k| k > 0))
        .map(|(m, k)| format!("{:.2}", m / k as f64));
    let line = format!(
        "| {} | {}{} (rate {}) | {} {} ({}) | {} | {} | {} |",
        md_escape(&r.method.label()),
        mp.method,
        if t.exact { "" } else { " †" },
        fmt_g(Some(mp.rate)),
        mp.iterations,
        unit,
        mp.basis,
        mp.bound,
        fmt_g(measured),
        ratio.unwrap_or_else(|| "—".into())
    );
    Some((line, !t.exact))
}

fn theory_table(s: &mut String, rows: &[Row], p: &Prediction) {
    let lines: Vec<(String, bool)> = rows.iter().filter_map(|r| theory_line(r, p)).collect();
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "Theory vs measurement (`curvature::explain_for` for the runs' own stopping rule, {}; \
         measured = mean over converged seeds). The estimate follows each method's iteration \
         on the spectrum (`spectrum`: the whole spectrum, initial error spread evenly over the \
         eigenvectors; `κ`: the asymptotic rate from the extremes only); the bound is the worst \
         case over all starts from κ alone.\n",
        p.rule.describe()
    );
    let _ = writeln!(
        s,
        "| method | theory | predicted (basis) | worst-case bound | measured | measured / predicted |\n\
         |---|---|---|---|---|---|"
    );
    for (l, _) in &lines {
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(s);
    if lines.iter().any(|(_, dagger)| *dagger) {
        let _ = writeln!(
            s,
            "† a reference, not a prediction for this run: the bound is for the method at its \
             optimal parameters (`lr = momentum = \"optimal\"`), or for one CG solve (Newton-CG \
             restarts CG at every outer step with a loose forcing term; L-BFGS with an inexact \
             line search only approximates CG).\n"
        );
    }
    let _ = writeln!(
        s,
        "The spectrum alone predicts the winner by iterations to be **{}** and by flops **{}**.\n",
        p.winner_by_iterations, p.winner_by_time
    );
}

/// The facts line of an instance: n, κ, λ range, inertia, how the spectrum was computed. κ is
/// quoted where the explanation applies ([`InstanceSpectra::reference`]: at `x*`, else where
/// the best successful run ended), with κ at `x₀` beside it when that point differs.
fn facts(sp: &InstanceSpectra) -> String {
    let mut facts = vec![format!("n = {}", sp.n)];
    if let Some(r) = sp.reference() {
        let whose = match (&sp.end_run, r.point.as_str()) {
            (Some(run), "x_end") => format!(", where {} ended", md_escape(run)),
            _ => String::new(),
        };
        facts.push(format!(
            "κ(∇²f({})) = {} (λ_min = {}, λ_max = {}{whose})",
            r.point,
            fmt_g(sp.condition_number()),
            fmt_g(r.lambda_min()),
            fmt_g(r.lambda_max())
        ));
        if let Some(x0) = sp
            .at_start
            .as_ref()
            .filter(|x0| r.point != x0.point && !sp.quadratic)
        {
            facts.push(format!("κ(∇²f(x0)) = {}", fmt_g(x0.condition_number)));
        }
        let inertia: Vec<String> = [&sp.at_start, &sp.at_optimum, &sp.at_end]
            .into_iter()
            .flatten()
            .map(|q| format!("{} at {}", q.inertia_text(), q.point))
            .collect();
        facts.push(format!("inertia (−/0/+) {}", inertia.join(", ")));
        facts.push(format!("spectrum: {} ({})", r.algo, r.reason));
    }
    facts.join(" · ")
}

/// A cost over seeds for the text: `20 [18–25]` (median over all seeds, spread over the
/// successful ones), or `∞ (10 on its successful seeds)` when half or more did not succeed.
fn cost_text(c: &SeedCost) -> String {
    let spread = c
        .spread
        .filter(|(a, b)| a < b)
        .map(|(a, b)| format!(" [{}–{}]", fmt_g(Some(a)), fmt_g(Some(b))))
        .unwrap_or_default();
    match c.median_success {
        _ if c.median_all.is_finite() => format!("{}{spread}", fmt_g(Some(c.median_all))),
        Some(m) => format!("∞ ({} on its successful seeds{spread})", fmt_g(Some(m))),
        None => "∞".into(),
    }
}

/// The value a time comparison uses: the median over all seeds, or over the successful ones
/// when that is infinite.
fn typical(c: &SeedCost) -> f64 {
    if c.median_all.is_finite() {
        c.median_all
    } else {
        c.median_success.unwrap_or(f64::INFINITY)
    }
}

fn ranked(rows: &[Row], f: &dyn Fn(&Row) -> SeedCost) -> Vec<usize> {
    rank(&rows.iter().map(|r| r.key(f(r))).collect::<Vec<_>>())
}

/// The curvature where a method ended: κ when positive definite, the inertia sign otherwise.
fn end_text(label: &str, lo: f64, hi: f64) -> String {
    let label = md_escape(label);
    if lo > 0.0 {
        format!(
            "Where {label} ended, ∇²f(x_end) has λ_min = {}, λ_max = {}, κ = {}.",
            fmt_g(Some(lo)),
            fmt_g(Some(hi)),
            fmt_g(Some(hi / lo))
        )
    } else {
        format!(
            "Where {label} ended, ∇²f(x_end) is not positive definite (λ_min = {}, λ_max = {}; \
             no condition number).",
            fmt_g(Some(lo)),
            fmt_g(Some(hi))
        )
    }
}

/// "Who wins and why": the winner by iterations and by time among the runs that succeeded
/// ([`super::verdict`]), ranked by success rate first; or the lowest final f when none did.
fn who_wins(s: &mut String, rows: &[Row], sp: &InstanceSpectra) {
    let _ = write!(s, "**Who wins and why.** ");
    let by_iters = ranked(rows, &|r| r.iters);
    let Some(wi) = by_iters.first().map(|&i| &rows[i]) else {
        no_winner(s, rows);
        return;
    };
    let _ = write!(
        s,
        "By iterations **{}** (succeeded on {}/{} seeds; {} iteration{}). {}",
        md_escape(&wi.method.label()),
        wi.successes(),
        wi.runs.len(),
        cost_text(&wi.iters),
        if wi.iters.median_all == 1.0 { "" } else { "s" },
        why_at(&wi.method.kind, sp, wi.end_curvature())
    );
    if !sp.quadratic
        && let Some((lo, hi)) = wi.end_curvature()
    {
        let _ = write!(s, " {}", end_text(&wi.method.label(), lo, hi));
    }
    cost_winner(s, rows, wi);
    time_winner(s, rows, wi);
    if rows.iter().any(|r| r.runs.len() > 1) {
        let list: Vec<String> = by_iters
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let r = &rows[i];
                format!(
                    "{}. {} {}/{}, {}",
                    k + 1,
                    md_escape(&r.method.label()),
                    r.successes(),
                    r.runs.len(),
                    cost_text(&r.iters)
                )
            })
            .collect();
        let _ = write!(
            s,
            " Ranking (success rate, then median iterations over all seeds — a seed that did \
             not succeed counts as ∞ —, [min–max] over the successful seeds): {}.",
            list.join("; ")
        );
    }
}

/// No run succeeded: say so, with the lowest final f.
fn no_winner(s: &mut String, rows: &[Row]) {
    let lowest = rows
        .iter()
        .filter_map(|r| r.f_end.map(|f| (f, r)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let _ = write!(s, "No method solved this problem (no winner)");
    if let Some((f, r)) = lowest {
        let _ = write!(
            s,
            "; lowest final f: {} (f = {})",
            md_escape(&r.method.label()),
            fmt_g(Some(f))
        );
    }
    s.push('.');
}

/// The winner by time, declared only beyond the timer's noise
/// ([`super::verdict::beyond_timer_noise`]).
/// The winner by cost in gradient-equivalents ([`crate::Counts::gradient_equivalents`]), said
/// when it differs from the winner by iterations (an iteration of a curvature method costs
/// several gradients).
fn cost_winner(s: &mut String, rows: &[Row], wi: &Row) {
    let Some(wc) = ranked(rows, &|r| r.cost).first().map(|&i| &rows[i]) else {
        return;
    };
    if std::ptr::eq(wi, wc) {
        let _ = write!(
            s,
            " It also wins by cost ({} gradient-equivalents).",
            cost_text(&wc.cost)
        );
        return;
    }
    let _ = write!(
        s,
        " By cost (gradient-equivalents: a value or gradient 1, an HVP or GGN product 2) \
         **{}** ({}, against {} for {}).",
        md_escape(&wc.method.label()),
        cost_text(&wc.cost),
        cost_text(&wi.cost),
        md_escape(&wi.method.label())
    );
}

fn time_winner(s: &mut String, rows: &[Row], wi: &Row) {
    let order = ranked(rows, &|r| r.secs);
    let Some(wt) = order.first().map(|&i| &rows[i]) else {
        return;
    };
    let t = typical(&wt.secs);
    if let Some(second) = order.get(1).map(|&i| &rows[i])
        && second.successes() * wt.runs.len() == wt.successes() * second.runs.len()
        && !beyond_timer_noise(t, typical(&second.secs))
    {
        let _ = write!(
            s,
            " No winner by time: {} and {} are within the timer's noise ({} s vs {} s; a \
             difference counts when it exceeds both 10 % and 1 ms).",
            md_escape(&wt.method.label()),
            md_escape(&second.method.label()),
            fmt_g(Some(t)),
            fmt_g(Some(typical(&second.secs)))
        );
        return;
    }
    let _ = write!(
        s,
        " By time **{}** ({} s).",
        md_escape(&wt.method.label()),
        cost_text(&wt.secs)
    );
    let (ti, ki, kt) = (typical(&wi.secs), typical(&wi.iters), typical(&wt.iters));
    if !std::ptr::eq(wi, wt) && ti.is_finite() && ki.is_finite() && kt.is_finite() {
        let per = |sec: f64, k: f64| sec / k.max(1.0);
        let _ = write!(
            s,
            " By time {} wins instead: each of its iterations costs {}× less than one \
             of {}'s, which outweighs its {}× more iterations.",
            md_escape(&wt.method.label()),
            ratio(per(ti, ki) / per(t, kt)),
            md_escape(&wi.method.label()),
            ratio(kt / ki.max(1.0))
        );
    }
}

/// Runs that did not succeed, with their verdicts, and the reason adaptive methods hover on a
/// quadratic.
fn not_solved(s: &mut String, rows: &[Row], sp: &InstanceSpectra) {
    let stalled: Vec<String> = rows
        .iter()
        .filter(|r| r.converged == 0 && family(&r.method.kind) == "adaptive")
        .map(|r| md_escape(&r.method.label()))
        .collect();
    let gap_or_f = |r: &Row| match r.gap {
        Some(g) => format!("f − f* = {}", fmt_g(Some(g))),
        None => format!("f = {}", fmt_g(r.f_end)),
    };
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.successes() < r.runs.len())
        .filter(|r| !(sp.quadratic && r.converged == 0 && family(&r.method.kind) == "adaptive"))
        .map(|r| {
            format!(
                "{} ({}; {})",
                md_escape(&r.method.label()),
                r.verdict_text(),
                gap_or_f(r)
            )
        })
        .collect();
    if !failed.is_empty() {
        let _ = write!(s, " Not solved: {}.", failed.join(", "));
    }
    if sp.quadratic && !stalled.is_empty() {
        let _ = write!(
            s,
            " Not converged: {} — with a constant learning rate the normalized step \
             g/√v (m/√v for Adam) stays of the order of lr near x*, so these hover around the \
             minimizer instead of converging (see f − f* below).",
            stalled.join(", ")
        );
    }
}

/// The sharpness spread at the final points (non-quadratic instances).
fn sharpness_note(s: &mut String, rows: &[Row]) {
    let sharp: Vec<(f64, &Row)> = rows
        .iter()
        .filter_map(|r| r.sharpness.map(|v| (v, r)))
        .collect();
    let lo = sharp.iter().min_by(|a, b| a.0.total_cmp(&b.0));
    let hi = sharp.iter().max_by(|a, b| a.0.total_cmp(&b.0));
    if let (Some(lo), Some(hi)) = (lo, hi)
        && sharp.len() > 1
        && (lo.0 <= 0.0 || hi.0 > 1.5 * lo.0)
    {
        let _ = write!(
            s,
            " Sharpness λ_max(∇²f) at the final points ranges from {} ({}) to {} ({}): \
             the methods end in differently curved regions (compare at similar final f: \
             curvature also changes with the loss level, e.g. it shrinks with a \
             cross-entropy loss).",
            fmt_g(Some(lo.0)),
            md_escape(&lo.1.method.label()),
            fmt_g(Some(hi.0)),
            md_escape(&hi.1.method.label())
        );
    }
}

/// The per-method results table.
fn results_table(s: &mut String, rows: &[Row], gap_col: bool) {
    let _ = writeln!(
        s,
        "| method | verdict | iterations | seconds | cost (∇f-equivalents) | evaluations f / ∇f / \
         Hv / H / Gv | {} | λ_min / λ_max of ∇²f(x_end) |\n|---|---|---|---|---|---|---|---|",
        if gap_col { "f − f*" } else { "f (final)" }
    );
    for r in rows {
        let ev = |f: &dyn Fn(&RunRecord) -> u64| {
            fmt_g(mean(
                &r.runs.iter().map(|x| f(x) as f64).collect::<Vec<_>>(),
            ))
        };
        let lmin = mean(
            &r.runs
                .iter()
                .filter_map(|x| x.lambda_min)
                .collect::<Vec<_>>(),
        );
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} / {} / {} / {} / {} | {} | {} / {} |",
            md_escape(&r.method.label()),
            r.verdict_text(),
            cost_text(&r.iters),
            cost_text(&r.secs),
            cost_text(&r.cost),
            ev(&|x| x.value_evals),
            ev(&|x| x.gradient_evals),
            ev(&|x| x.hvp_evals),
            ev(&|x| x.hessian_evals),
            ev(&|x| x.ggn_evals),
            fmt_g(if gap_col { r.gap } else { r.f_end }),
            fmt_g(lmin),
            fmt_g(r.sharpness)
        );
    }
    let _ = writeln!(
        s,
        "\nVerdicts: solved = stopping rule met with f − f* ≤ {}·max(1, |f*|); local minimum = \
         stopping rule met far above f* with λ_min(∇²f(x_end)) ≥ −{}·max(1, |λ|max); saddle = \
         negative curvature beyond that; stationary (f* unknown) = stopping rule met, no \
         negative curvature, f* not known (counted as a success); target f reached = stopped \
         by `[stop] f_target` (a success); failed = anything else. \
         Iterations, seconds and cost: median over all seeds, a seed that did not succeed \
         counting as ∞, [min–max] over the successful seeds; evaluations, f and curvature: \
         mean over all seeds.\n",
        fmt_g(Some(Tolerances::default().f_rel)),
        fmt_g(Some(Tolerances::default().lambda_rel))
    );
}

/// The section of one problem instance.
fn instance_section(s: &mut String, rows: &[Row], sp: &InstanceSpectra, plots: &[&String]) {
    let _ = writeln!(s, "{}\n", facts(sp));
    who_wins(s, rows, sp);
    not_solved(s, rows, sp);
    if !sp.quadratic {
        sharpness_note(s, rows);
    }
    let _ = writeln!(s, "\n");
    results_table(s, rows, sp.f_star.is_some());
    if let Some(pred) = &sp.prediction {
        theory_table(s, rows, pred);
    }
    for n in &sp.notes {
        let _ = writeln!(s, "- {n}");
    }
    if !sp.notes.is_empty() {
        let _ = writeln!(s);
    }
    for f in plots {
        let _ = writeln!(s, "![{f}](plots/{f})");
    }
    let _ = writeln!(s);
}

fn summary_markdown(
    spec: &StudySpec,
    plan: &Plan,
    records: &BTreeMap<String, RunRecord>,
    spectra: &[InstanceSpectra],
    plots: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Study `{}`\n", spec.name);
    if let Some(d) = &spec.description {
        let _ = writeln!(s, "{}\n", d.trim());
    }
    let present = plan
        .runs
        .iter()
        .filter(|r| records.contains_key(&r.id))
        .count();
    let _ = writeln!(
        s,
        "{present} of {} runs finished · seeds {:?} · stop: {}.\n",
        plan.runs.len(),
        spec.seeds,
        stop_text(spec)
    );
    for (pi, p) in plan.problems.iter().enumerate() {
        let Some(sp) = spectra.get(pi) else {
            continue;
        };
        let _ = writeln!(s, "## {}\n", md_escape(&p.label()));
        let prefix = slug(pi, p);
        let mine: Vec<&String> = plots.iter().filter(|f| f.starts_with(&prefix)).collect();
        instance_section(&mut s, &rows(plan, records, pi), sp, &mine);
    }
    if let Some(prof) = super::profiles::study_profiles(plan, records) {
        let _ = writeln!(
            s,
            "## Performance and data profiles\n\nCost: gradient-equivalent evaluations \
             (`cost`); a run counts only when it succeeded (solved, or stationary where f* is \
             unknown); one problem per instance and seed.\n\n{}",
            prof.markdown("gradient evaluations")
        );
    }
    for f in plots.iter().filter(|f| !f.starts_with('p')) {
        let _ = writeln!(s, "![{f}](plots/{f})\n");
    }
    s
}
