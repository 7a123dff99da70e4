//! Chooses each second-order method's default globalization setting from a study's `runs.csv`
//! (issue 11, defect 6: defaults are measured, not guessed), in the spirit of Dolan & Moré,
//! "Benchmarking optimization software with performance profiles" (Math. Programming 91, 2002):
//! one problem set, one stopping rule, robustness first, then cost.
//!
//! The rule, per method (`newton`, `newton-cg`, `trust-ncg`, `hessian-free`):
//!
//! - a run **solves** its problem when it converged on the study's gradient test
//!   (`converged = true`) and, where the problem's optimal value `f*` is known,
//!   `f − f* ≤ 1e-5 · max(1, |f*|)` (the MGH values are published to 6 significant digits, a
//!   relative rounding of at most 5e-6, so the test accepts the published minimum and rejects
//!   the other stationary points, e.g. MGH 2's local minimum 48.98 or MGH 26's 2.8e-5);
//! - the **target** set is every problem that ANY setting of the method solves;
//! - the **cost** of a run is in gradient-equivalents:
//!   `value + gradient + 2·(hvp + ggn) + 2n·hessian` (an HVP or Gauss-Newton product costs
//!   about two gradients by Pearlmutter's R-operator, as `Counts::gradient_equivalents`; a dense
//!   Hessian costs `n` HVPs, which that function leaves out);
//! - the **chosen** setting is, among the settings that solve the whole target set, the one with
//!   the smallest total cost over the target set (ties: today's default, then the label). When
//!   no setting solves the whole target set, it is, among the settings that solve the most
//!   problems, the one with the smallest total cost over the problems all of them solve.
//!
//! The table lists, per method, the settings that solve the whole target set (cheapest first),
//! then the settings that solve the most problems (the secondary ranking), and today's default
//! (the study's method table without keys, shown as `(default)`). Columns: problems solved out
//! of the target, the target problems missed, the total cost over the target (when complete),
//! the cost relative to the chosen setting over the problems both solve, and the iterations on
//! the probe problem (MGH 1, Rosenbrock, unless `--probe LABEL`).
//!
//! Columns are read by name, so any study whose method tables set `method.<key>` columns works;
//! several `runs.csv` files (e.g. one study per stopping rule) are read as one table.
//!
//! Run: `cargo run --release --example choose_defaults -- results/second_order_defaults/runs.csv`
//! (options: `--top K` rows per section, default 8; `--probe LABEL`, default `mgh(id=1)`;
//! `--exclude PREFIX`, repeatable: leave out the problems whose label starts with `PREFIX`, to
//! see whether one expensive problem decides the choice).
//! Tests: `cargo test --release --example choose_defaults`.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;

type Res<T> = Result<T, Box<dyn Error>>;

/// Relative tolerance of the `f − f*` test (see the header).
const F_RTOL: f64 = 1e-5;
/// Label of a method table that sets no key: the registry's default.
const DEFAULT_LABEL: &str = "(default)";

/// One row of `runs.csv`, reduced to what the rule needs.
#[derive(Debug, Clone)]
struct Run {
    problem: String,
    method: String,
    setting: String,
    solved: bool,
    cost: f64,
    iterations: u64,
}

/// Column indices of `runs.csv`, found by name.
struct Columns {
    problem: usize,
    problem_keys: Vec<(String, usize)>,
    method: usize,
    method_keys: Vec<(String, usize)>,
    counts: [usize; 6], // seed, converged, iterations, f, f_star, n
    evals: [usize; 5],  // value, gradient, hvp, ggn, hessian
}

fn column(header: &csv::StringRecord, name: &str) -> Res<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("runs.csv has no column `{name}`").into())
}

impl Columns {
    fn new(header: &csv::StringRecord) -> Res<Self> {
        let keys = |prefix: &str| -> Vec<(String, usize)> {
            header
                .iter()
                .enumerate()
                .filter_map(|(i, h)| h.strip_prefix(prefix).map(|k| (k.to_string(), i)))
                .collect()
        };
        let c = |n: &str| column(header, n);
        Ok(Columns {
            problem: c("problem")?,
            problem_keys: keys("problem."),
            method: c("method")?,
            method_keys: keys("method."),
            counts: [
                c("seed")?,
                c("converged")?,
                c("iterations")?,
                c("f")?,
                c("f_star")?,
                c("n")?,
            ],
            evals: [
                c("value_evals")?,
                c("gradient_evals")?,
                c("hvp_evals")?,
                c("ggn_evals")?,
                c("hessian_evals")?,
            ],
        })
    }
}

/// `kind(k=v, ...)` from the non-empty `<prefix>.<key>` cells, or `empty` without any.
fn label(row: &csv::StringRecord, kind: &str, keys: &[(String, usize)], empty: &str) -> String {
    let kv: Vec<String> = keys
        .iter()
        .filter_map(|(k, i)| {
            row.get(*i)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={v}"))
        })
        .collect();
    if kv.is_empty() {
        empty.to_string()
    } else if kind.is_empty() {
        kv.join(", ")
    } else {
        format!("{kind}({})", kv.join(", "))
    }
}

fn num(row: &csv::StringRecord, i: usize, what: &str) -> Res<f64> {
    let s = row.get(i).unwrap_or("");
    s.parse::<f64>()
        .map_err(|_| format!("runs.csv: `{what}` = {s:?} is not a number").into())
}

/// Gradient-equivalent cost: `value + gradient + 2·(hvp + ggn) + 2n·hessian`.
fn cost(value: f64, gradient: f64, hvp: f64, ggn: f64, hessian: f64, n: f64) -> f64 {
    value + gradient + 2.0 * (hvp + ggn) + 2.0 * n * hessian
}

/// Converged and, where `f*` is known, `f − f* ≤ F_RTOL · max(1, |f*|)`.
fn is_solved(converged: bool, f: Option<f64>, f_star: Option<f64>) -> bool {
    match (converged, f, f_star) {
        (false, _, _) | (true, None, _) => false,
        (true, Some(f), Some(fs)) => f.is_finite() && f - fs <= F_RTOL * fs.abs().max(1.0),
        (true, Some(f), None) => f.is_finite(),
    }
}

fn parse_row(row: &csv::StringRecord, c: &Columns) -> Res<Run> {
    let cell = |i: usize| row.get(i).unwrap_or("");
    let opt = |i: usize| -> Res<Option<f64>> {
        if cell(i).is_empty() {
            Ok(None)
        } else {
            num(row, i, "f/f_star").map(Some)
        }
    };
    let [seed, converged, iterations, f, f_star, n] = c.counts;
    let mut problem = label(row, cell(c.problem), &c.problem_keys, cell(c.problem));
    if cell(seed) != "0" {
        problem = format!("{problem}#{}", cell(seed));
    }
    let e: Vec<f64> = c
        .evals
        .iter()
        .map(|&i| num(row, i, "evaluation count"))
        .collect::<Res<_>>()?;
    Ok(Run {
        problem,
        method: cell(c.method).to_string(),
        setting: label(row, "", &c.method_keys, DEFAULT_LABEL),
        solved: is_solved(cell(converged) == "true", opt(f)?, opt(f_star)?),
        cost: cost(e[0], e[1], e[2], e[3], e[4], num(row, n, "n")?),
        iterations: num(row, iterations, "iterations")? as u64,
    })
}

/// Reads one `runs.csv` text (columns by name).
fn parse_runs(text: &str) -> Res<Vec<Run>> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = rdr.headers()?.clone();
    let cols = Columns::new(&header)?;
    let mut runs = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let row = rec?;
        runs.push(parse_row(&row, &cols).map_err(|e| format!("row {}: {e}", line + 2))?);
    }
    Ok(runs)
}

/// The runs whose problem label starts with none of `prefixes`.
fn exclude(runs: Vec<Run>, prefixes: &[String]) -> Vec<Run> {
    runs.into_iter()
        .filter(|r| !prefixes.iter().any(|p| r.problem.starts_with(p.as_str())))
        .collect()
}

/// One setting of a method: what it solved, and its cost and iterations per problem.
#[derive(Debug, Clone, Default)]
struct Candidate {
    setting: String,
    solved: BTreeSet<String>,
    cost: BTreeMap<String, f64>,
    iterations: BTreeMap<String, u64>,
}

impl Candidate {
    fn total(&self, over: &BTreeSet<String>) -> f64 {
        over.iter().filter_map(|p| self.cost.get(p)).sum()
    }
}

/// Which rule picked the chosen setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Solves the whole target set, fewest evaluations.
    Complete,
    /// No setting solves the whole target; most solved, fewest evaluations on the common set.
    MostSolved,
}

/// The outcome for one method.
#[derive(Debug, Clone)]
struct MethodChoice {
    method: String,
    target: BTreeSet<String>,
    candidates: Vec<Candidate>,
    chosen: usize,
    rule: Rule,
}

fn candidates(runs: &[Run], method: &str) -> Vec<Candidate> {
    let mut by: BTreeMap<String, Candidate> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.method == method) {
        let c = by.entry(r.setting.clone()).or_insert_with(|| Candidate {
            setting: r.setting.clone(),
            ..Candidate::default()
        });
        if r.solved {
            c.solved.insert(r.problem.clone());
        }
        *c.cost.entry(r.problem.clone()).or_insert(0.0) += r.cost;
        c.iterations.insert(r.problem.clone(), r.iterations);
    }
    by.into_values().collect()
}

/// Sort key: cost, then today's default first, then the label.
fn cheaper(a: &Candidate, b: &Candidate, over: &BTreeSet<String>) -> std::cmp::Ordering {
    a.total(over)
        .total_cmp(&b.total(over))
        .then_with(|| (b.setting == DEFAULT_LABEL).cmp(&(a.setting == DEFAULT_LABEL)))
        .then_with(|| a.setting.cmp(&b.setting))
}

fn choose_method(runs: &[Run], method: &str) -> Res<MethodChoice> {
    let cands = candidates(runs, method);
    let target: BTreeSet<String> = cands.iter().flat_map(|c| c.solved.clone()).collect();
    let complete: Vec<usize> = (0..cands.len())
        .filter(|&i| cands[i].solved.is_superset(&target))
        .collect();
    let (pool, over, rule) = if complete.is_empty() {
        let most = cands.iter().map(|c| c.solved.len()).max().unwrap_or(0);
        let pool: Vec<usize> = (0..cands.len())
            .filter(|&i| cands[i].solved.len() == most)
            .collect();
        (pool.clone(), common(&cands, &pool), Rule::MostSolved)
    } else {
        (complete, target.clone(), Rule::Complete)
    };
    let chosen = pool
        .iter()
        .copied()
        .min_by(|&a, &b| cheaper(&cands[a], &cands[b], &over))
        .ok_or_else(|| format!("no runs of method `{method}`"))?;
    Ok(MethodChoice {
        method: method.to_string(),
        target,
        candidates: cands,
        chosen,
        rule,
    })
}

/// The problems that every candidate in `pool` solves.
fn common(cands: &[Candidate], pool: &[usize]) -> BTreeSet<String> {
    let mut it = pool.iter().map(|&i| cands[i].solved.clone());
    let first = it.next().unwrap_or_default();
    it.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
}

/// Every method in `runs`, in order of first appearance.
fn choose_all(runs: &[Run]) -> Res<Vec<MethodChoice>> {
    let mut methods: Vec<String> = Vec::new();
    for r in runs {
        if !methods.contains(&r.method) {
            methods.push(r.method.clone());
        }
    }
    methods.iter().map(|m| choose_method(runs, m)).collect()
}

/// Cost of `a` relative to `b` over the problems both solve.
fn ratio(a: &Candidate, b: &Candidate) -> Option<f64> {
    let both: BTreeSet<String> = a.solved.intersection(&b.solved).cloned().collect();
    let (ca, cb) = (a.total(&both), b.total(&both));
    (cb > 0.0).then(|| ca / cb)
}

/// Rows shown for one method: complete settings (cheapest first), then the most-solved ones,
/// then today's default; each once, at most `top` per section.
fn rows(m: &MethodChoice, top: usize) -> Vec<usize> {
    let cands = &m.candidates;
    let mut complete: Vec<usize> = (0..cands.len())
        .filter(|&i| cands[i].solved.is_superset(&m.target))
        .collect();
    complete.sort_by(|&a, &b| cheaper(&cands[a], &cands[b], &m.target));
    let mut rest: Vec<usize> = (0..cands.len()).filter(|i| !complete.contains(i)).collect();
    let chosen = &cands[m.chosen];
    rest.sort_by(|&a, &b| {
        let key = |i: usize| {
            (
                std::cmp::Reverse(cands[i].solved.len()),
                ratio(&cands[i], chosen),
            )
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then_with(|| {
            let (x, y) = (ka.1.unwrap_or(f64::INFINITY), kb.1.unwrap_or(f64::INFINITY));
            x.total_cmp(&y)
        })
    });
    let mut out: Vec<usize> = complete.iter().take(top).copied().collect();
    out.extend(rest.iter().take(top));
    if let Some(d) = cands.iter().position(|c| c.setting == DEFAULT_LABEL)
        && !out.contains(&d)
    {
        out.push(d);
    }
    out
}

fn render_row(s: &mut String, m: &MethodChoice, i: usize, probe: &str) {
    let c = &m.candidates[i];
    let missed: Vec<&String> = m.target.difference(&c.solved).collect();
    let missed = match missed.len() {
        0 => "—".to_string(),
        k if k <= 4 => missed
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        k => format!("{k} problems"),
    };
    let total = if missed == "—" {
        format!("{:.0}", c.total(&m.target))
    } else {
        "—".to_string()
    };
    let r = ratio(c, &m.candidates[m.chosen]).map_or("—".into(), |r| format!("{r:.2}"));
    let it = c
        .iterations
        .get(probe)
        .map_or("—".into(), |k| k.to_string());
    let mark = if i == m.chosen { " **←**" } else { "" };
    let _ = writeln!(
        s,
        "| {}{mark} | {}/{} | {missed} | {total} | {r} | {it} |",
        c.setting,
        c.solved.intersection(&m.target).count(),
        m.target.len()
    );
}

/// The markdown report for every method.
fn render(choices: &[MethodChoice], top: usize, probe: &str) -> String {
    let mut s = String::new();
    for m in choices {
        let rule = match m.rule {
            Rule::Complete => "solves every target problem, fewest evaluations",
            Rule::MostSolved => {
                "no setting solves every target problem: most solved, then fewest evaluations on the problems they all solve"
            }
        };
        let all: BTreeSet<&String> = m.candidates.iter().flat_map(|c| c.cost.keys()).collect();
        let unsolved: Vec<&str> = all
            .into_iter()
            .filter(|p| !m.target.contains(*p))
            .map(|p| p.as_str())
            .collect();
        let _ = writeln!(
            s,
            "### {}\n\n{} settings, target {} problems (solved by no setting: {}); chosen ({rule}): `{}`\n",
            m.method,
            m.candidates.len(),
            m.target.len(),
            if unsolved.is_empty() {
                "—".to_string()
            } else {
                unsolved.join(", ")
            },
            m.candidates[m.chosen].setting
        );
        let _ = writeln!(
            s,
            "| setting | solved | missed | cost over target | cost vs chosen | {probe} iters |\n|---|---|---|---|---|---|"
        );
        for i in rows(m, top) {
            render_row(&mut s, m, i, probe);
        }
        s.push('\n');
    }
    s
}

fn main() -> Res<()> {
    let mut paths = Vec::new();
    let (mut top, mut probe) = (8usize, "mgh(id=1)".to_string());
    let mut excluded: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--top" => {
                let v = args.next().ok_or("--top needs a number")?;
                top = v
                    .parse()
                    .map_err(|_| format!("--top {v:?}: not a number"))?;
            }
            "--probe" => probe = args.next().ok_or("--probe needs a problem label")?,
            "--exclude" => excluded.push(args.next().ok_or("--exclude needs a label prefix")?),
            _ => paths.push(a),
        }
    }
    if paths.is_empty() {
        return Err(
            "usage: choose_defaults RUNS.CSV... [--top K] [--probe LABEL] [--exclude PREFIX]..."
                .into(),
        );
    }
    let mut runs = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
        runs.extend(parse_runs(&text).map_err(|e| format!("{p}: {e}"))?);
    }
    let runs = exclude(runs, &excluded);
    let choices = choose_all(&runs)?;
    print!("{}", render(&choices, top, &probe));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runs.csv with its columns in an unusual order (read by name) and three settings of
    /// one method on three problems; `p3` has `f* = 1` and setting `a` converges there to a
    /// stationary point with f = 2 (not solved).
    const CSV: &str = "\
termination,method.radius,n,f_star,converged,f,iterations,seed,problem,problem.id,method,value_evals,gradient_evals,hvp_evals,ggn_evals,hessian_evals,run_id
grad_tol,,2,,true,0,5,0,p,1,m,5,5,10,0,0,x
grad_tol,,2,,true,0,5,0,p,2,m,5,5,10,0,0,x
grad_tol,,2,1,true,2,5,0,p,3,m,5,5,10,0,0,x
grad_tol,0.1,2,,true,0,9,0,p,1,m,9,9,0,0,9,x
grad_tol,0.1,2,,true,0,9,0,p,2,m,9,9,0,0,9,x
grad_tol,0.1,2,1,true,1.000001,9,0,p,3,m,9,9,0,0,9,x
grad_tol,10,2,,true,0,7,0,p,1,m,7,7,0,4,0,x
max_iters,10,2,,false,0,7,0,p,2,m,7,7,0,4,0,x
grad_tol,10,2,1,true,1,7,0,p,3,m,7,7,0,4,0,x
";

    #[test]
    fn cost_is_gradient_equivalents_with_dense_hessians() {
        // 1 + 2 + 2·(3 + 4) + 2·10·5 = 117, by hand.
        assert_eq!(cost(1.0, 2.0, 3.0, 4.0, 5.0, 10.0), 117.0);
    }

    #[test]
    fn solved_needs_convergence_and_f_near_f_star() {
        assert!(is_solved(true, Some(124.36218), Some(124.362))); // 6-digit f*: rel 1.8e-6
        assert!(!is_solved(true, Some(48.98), Some(0.0))); // MGH 2's local minimum
        assert!(!is_solved(true, Some(2.8e-5), Some(0.0))); // MGH 26's local minimum
        assert!(is_solved(true, Some(9e-6), Some(0.0)));
        assert!(!is_solved(false, Some(0.0), Some(0.0)));
        assert!(is_solved(true, Some(0.4), None));
        assert!(!is_solved(true, Some(f64::NAN), None));
    }

    #[test]
    fn picks_the_cheapest_setting_that_solves_the_target() {
        let runs = parse_runs(CSV).unwrap();
        let m = choose_method(&runs, "m").unwrap();
        // Target: p(id=1..3), all solved by radius=0.1 (p(id=3) at f − f* = 1e-6 ≤ 1e-5).
        assert_eq!(m.target.len(), 3);
        assert_eq!(m.rule, Rule::Complete);
        let c = &m.candidates[m.chosen];
        assert_eq!(c.setting, "radius=0.1");
        // Its cost per problem: 9 + 9 + 2·2·9 = 54, three problems.
        assert_eq!(c.total(&m.target), 3.0 * 54.0);
        // The default (cost 5 + 5 + 20 = 30 per problem) misses p(id=3): not eligible.
        let d = m
            .candidates
            .iter()
            .find(|c| c.setting == DEFAULT_LABEL)
            .unwrap();
        assert_eq!(d.solved.len(), 2);
        assert!(!d.solved.contains("p(id=3)"));
        // Relative cost on the two problems both solve: 60 / 108.
        assert!((ratio(d, c).unwrap() - 60.0 / 108.0).abs() < 1e-15);
    }

    #[test]
    fn falls_back_to_most_solved_when_none_is_complete() {
        // Drop radius=0.1: the default solves {1, 2}, radius=10 solves {1, 3}; target {1, 2, 3}.
        let text: String = CSV
            .lines()
            .filter(|l| !l.contains(",0.1,"))
            .collect::<Vec<_>>()
            .join("\n");
        let m = choose_method(&parse_runs(&text).unwrap(), "m").unwrap();
        assert_eq!((m.rule, m.target.len()), (Rule::MostSolved, 3));
        // Both solve 2; on their common problem p(id=1) the default costs 30, radius=10 costs 22.
        assert_eq!(m.candidates[m.chosen].setting, "radius=10");
    }

    #[test]
    fn excluding_a_problem_changes_the_target_and_the_choice() {
        // Without p(id=3) the default solves the whole target {1, 2} at 30 per problem, the
        // cheapest complete setting (radius=0.1 costs 54 per problem).
        let runs = exclude(parse_runs(CSV).unwrap(), &["p(id=3".to_string()]);
        assert_eq!(runs.len(), 6);
        let m = choose_method(&runs, "m").unwrap();
        assert_eq!((m.rule, m.target.len()), (Rule::Complete, 2));
        let c = &m.candidates[m.chosen];
        assert_eq!(
            (c.setting.as_str(), c.total(&m.target)),
            (DEFAULT_LABEL, 60.0)
        );
    }

    #[test]
    fn missing_column_is_a_clear_error() {
        let e = parse_runs("problem,method\np,m\n").unwrap_err();
        assert!(e.to_string().contains("no column `seed`"), "{e}");
        let bad = CSV.replace("grad_tol,,2,,true,0,5,", "grad_tol,,2,,true,0,five,");
        let e = parse_runs(&bad).unwrap_err();
        assert!(
            e.to_string().contains("row 2") && e.to_string().contains("iterations"),
            "{e}"
        );
    }

    #[test]
    fn report_marks_the_chosen_row_and_lists_the_default() {
        let m = choose_all(&parse_runs(CSV).unwrap()).unwrap();
        let s = render(&m, 8, "p(id=1)");
        assert!(
            s.contains("| radius=0.1 **←** | 3/3 | — | 162 | 1.00 | 9 |"),
            "{s}"
        );
        assert!(
            s.contains("| (default) | 2/3 | p(id=3) | — | 0.56 | 5 |"),
            "{s}"
        );
    }
}
