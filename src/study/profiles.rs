//! Benchmark profiles over a test set: Dolan–Moré **performance profiles** (E. D. Dolan and
//! J. J. Moré, "Benchmarking optimization software with performance profiles", Math. Program.
//! 91, 2002) and Moré–Wild **data profiles** (J. J. Moré and S. M. Wild, "Benchmarking
//! derivative-free optimization algorithms", SIAM J. Optim. 20, 2009), as numbers, a Markdown
//! table and an SVG figure.
//!
//! With `t[p][s]` the cost solver `s` needed to solve problem `p` (`+∞` when it did not solve
//! it — [`super::verdict`] decides), the performance ratio is `r[p][s] = t[p][s] / min_s t[p][s]`
//! and the performance profile `ρ_s(τ) = |{p : r[p][s] ≤ τ}| / |P|`: `ρ_s(1)` is the fraction of
//! problems on which `s` is (one of) the cheapest, `ρ_s(∞)` the fraction it solves. The data
//! profile `d_s(α) = |{p : t[p][s] ≤ α}| / |P|` is the fraction solved within a budget of `α`
//! cost units. Moré & Wild count simplex gradients (`n + 1` function values) because their
//! solvers are derivative-free; here the cost unit is one gradient evaluation (the studies'
//! gradient-equivalent `cost`), so no division by `n + 1`.

use super::format::{fmt_g, md_escape};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// The costs of a set of solvers on a set of problems.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// Solver names, one per column.
    pub solvers: Vec<String>,
    /// `costs[p][s]`: cost of solver `s` on problem `p`; `+∞` when it did not solve it.
    pub costs: Vec<Vec<f64>>,
}

impl Profiles {
    /// Checks the table: at least one solver and one problem, one cost per solver on every
    /// problem, each positive or `+∞` (a zero cost is taken as the smallest positive unit).
    ///
    /// ```
    /// use curvlab::study::profiles::Profiles;
    /// assert!(Profiles::new(vec!["a".into()], vec![vec![3.0]]).is_ok());
    /// assert!(Profiles::new(vec!["a".into()], vec![vec![f64::NAN]]).is_err());
    /// assert!(Profiles::new(vec!["a".into(), "b".into()], vec![vec![1.0]]).is_err());
    /// ```
    pub fn new(solvers: Vec<String>, costs: Vec<Vec<f64>>) -> Result<Self> {
        if solvers.is_empty() || costs.is_empty() {
            return Err(Error::invalid(
                "profiles",
                "(empty)",
                "need at least one solver and one problem",
            ));
        }
        for (p, row) in costs.iter().enumerate() {
            if row.len() != solvers.len() {
                return Err(Error::invalid(
                    "profiles",
                    format!("problem {p}"),
                    &format!("has {} costs for {} solvers", row.len(), solvers.len()),
                ));
            }
            if let Some(c) = row.iter().find(|c| c.is_nan() || **c < 0.0) {
                return Err(Error::invalid(
                    "profiles",
                    format!("problem {p}"),
                    &format!("cost {c} is not a nonnegative number or +∞"),
                ));
            }
        }
        Ok(Profiles { solvers, costs })
    }

    /// `r[p][s]` for solver `s`, over all problems (`+∞` where `s` failed or nobody solved).
    ///
    /// ```
    /// use curvlab::study::profiles::Profiles;
    /// let p = Profiles::new(vec!["a".into(), "b".into()], vec![vec![2.0, 4.0], vec![f64::INFINITY, 5.0]]).unwrap();
    /// assert_eq!(p.ratios(1), vec![2.0, 1.0]);
    /// assert_eq!(p.ratios(0), vec![1.0, f64::INFINITY]);
    /// ```
    pub fn ratios(&self, s: usize) -> Vec<f64> {
        self.costs
            .iter()
            .map(|row| {
                let best = row.iter().copied().fold(f64::INFINITY, f64::min);
                let t = row.get(s).copied().unwrap_or(f64::INFINITY);
                if t.is_finite() && best.is_finite() {
                    t.max(f64::MIN_POSITIVE) / best.max(f64::MIN_POSITIVE)
                } else {
                    f64::INFINITY
                }
            })
            .collect()
    }

    /// The performance profile `ρ_s(τ)`.
    ///
    /// ```
    /// use curvlab::study::profiles::Profiles;
    /// let p = Profiles::new(vec!["a".into(), "b".into()], vec![vec![2.0, 4.0], vec![f64::INFINITY, 5.0]]).unwrap();
    /// assert_eq!((p.performance(0, 1.0), p.performance(1, 1.0), p.performance(1, 2.0)), (0.5, 0.5, 1.0));
    /// assert_eq!(p.performance(0, f64::INFINITY), 0.5); // ρ(∞): the fraction solved
    /// ```
    pub fn performance(&self, s: usize, tau: f64) -> f64 {
        let r = self.ratios(s);
        r.iter().filter(|&&x| x.is_finite() && x <= tau).count() as f64 / r.len() as f64
    }

    /// The data profile `d_s(α)`: the fraction of problems solved within `α` cost units.
    ///
    /// ```
    /// use curvlab::study::profiles::Profiles;
    /// let p = Profiles::new(vec!["a".into()], vec![vec![2.0], vec![f64::INFINITY], vec![50.0]]).unwrap();
    /// assert_eq!((p.data(0, 10.0), p.data(0, 100.0)), (1.0 / 3.0, 2.0 / 3.0));
    /// ```
    pub fn data(&self, s: usize, alpha: f64) -> f64 {
        let solved = self
            .costs
            .iter()
            .filter(|row| row.get(s).is_some_and(|&t| t.is_finite() && t <= alpha))
            .count();
        solved as f64 / self.costs.len() as f64
    }

    /// The Markdown table: per solver `ρ(1)`, `ρ(2)`, `ρ(10)`, `ρ(∞)` and `d(α)` at
    /// `α = 10, 100, 1000` units.
    ///
    /// ```
    /// use curvlab::study::profiles::Profiles;
    /// let p = Profiles::new(vec!["a".into()], vec![vec![2.0]]).unwrap();
    /// assert!(p.markdown("gradient evaluations").contains("| a | 1 | 1 | 1 | 1 | 1 | 1 | 1 |"));
    /// ```
    pub fn markdown(&self, unit: &str) -> String {
        let mut s = String::from(
            "| method | ρ(1) (cheapest) | ρ(2) | ρ(10) | ρ(∞) (solved) | d(10) | d(100) | \
             d(1000) |\n|---|---|---|---|---|---|---|---|\n",
        );
        for (i, name) in self.solvers.iter().enumerate() {
            let cells: Vec<String> = [1.0, 2.0, 10.0, f64::INFINITY]
                .iter()
                .map(|&t| self.performance(i, t))
                .chain([10.0, 100.0, 1000.0].iter().map(|&a| self.data(i, a)))
                .map(|v| fmt_g(Some(v)))
                .collect();
            let _ = writeln!(s, "| {} | {} |", md_escape(name), cells.join(" | "));
        }
        let _ = write!(
            s,
            "\nρ(τ): fraction of the {} problems a method solves within τ times the cost of the \
             cheapest method on that problem (Dolan & Moré 2002). d(α): fraction solved within α \
             {unit} (Moré & Wild 2009).\n",
            self.costs.len()
        );
        s
    }
}

/// Plot errors as [`Error::Numerical`] (own copy: `plots/` imports this module, not the reverse).
fn perr<E: std::fmt::Debug>(e: E) -> Error {
    Error::Numerical(format!("plot: {e:?}"))
}

/// matplotlib's tab10 (the palette of the study plots).
fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// The staircase of a fraction-of-problems curve: the sorted finite values `v`, out of `total`
/// problems, drawn from `x0` to `x1`.
fn staircase(v: &[f64], total: usize, x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = total.max(1) as f64;
    let mut pts = vec![(x0, v.iter().filter(|&&x| x <= x0).count() as f64 / n)];
    for (k, &x) in v.iter().enumerate().filter(|(_, x)| **x > x0) {
        pts.push((x, k as f64 / n));
        pts.push((x, (k + 1) as f64 / n));
    }
    let last = pts.last().map_or(0.0, |p| p.1);
    pts.push((x1, last));
    pts
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    xdesc: &str,
    x: (f64, f64),
    curves: &[Vec<(f64, f64)>],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((x.0..x.1).log_scale(), 0f64..1.02)
        .map_err(perr)?;
    chart
        .configure_mesh()
        .x_desc(xdesc)
        .y_desc("fraction of problems")
        .max_light_lines(1)
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|v| fmt_g(Some(*v)))
        .draw()
        .map_err(perr)?;
    for (i, pts) in curves.iter().enumerate() {
        chart
            .draw_series(LineSeries::new(
                pts.iter().copied(),
                color(i).stroke_width(2),
            ))
            .map_err(perr)?;
    }
    Ok(())
}

/// Draws the legend in its own column, outside the data.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[String],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (i, name) in names.iter().enumerate() {
        let y = 70 + 24 * i as i32;
        area.draw(&PathElement::new(
            vec![(8, y), (36, y)],
            color(i).stroke_width(3),
        ))
        .map_err(perr)?;
        area.draw(&Text::new(name.clone(), (44, y - 8), ("sans-serif", 15)))
            .map_err(perr)?;
    }
    Ok(())
}

/// Writes the SVG figure to `path`: the performance profile (`τ` on a log axis) beside the data
/// profile (`α` in `unit` on a log axis), the legend in a column to the right.
///
/// ```
/// use curvlab::study::profiles::{Profiles, write_svg};
/// let p = Profiles::new(vec!["a".into(), "b".into()], vec![vec![2.0, 4.0], vec![f64::INFINITY, 5.0]]).unwrap();
/// let d = tempfile::tempdir().unwrap();
/// write_svg(&p, &d.path().join("p.svg"), "two problems", "gradient evaluations").unwrap();
/// assert!(std::fs::read_to_string(d.path().join("p.svg")).unwrap().contains("<svg"));
/// ```
pub fn write_svg(p: &Profiles, path: &Path, title: &str, unit: &str) -> Result<()> {
    let total = p.costs.len();
    let ratios: Vec<Vec<f64>> = (0..p.solvers.len()).map(|s| p.ratios(s)).collect();
    let finite = |v: &mut dyn Iterator<Item = f64>| {
        v.filter(|x| x.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            })
    };
    let (_, rmax) = finite(&mut ratios.iter().flatten().copied());
    let tau1 = if rmax.is_finite() {
        (rmax * 1.5).max(2.0)
    } else {
        2.0
    };
    let (cmin, cmax) = finite(&mut p.costs.iter().flatten().copied());
    let (a0, a1) = if cmin.is_finite() {
        ((cmin.max(0.5)) / 1.5, (cmax.max(1.0)) * 1.5)
    } else {
        (1.0, 10.0)
    };
    let perf: Vec<_> = ratios
        .iter()
        .map(|r| staircase(r, total, 1.0, tau1))
        .collect();
    let data: Vec<_> = (0..p.solvers.len())
        .map(|s| {
            let c: Vec<f64> = p.costs.iter().map(|row| row[s]).collect();
            staircase(&c, total, a0, a1)
        })
        .collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (1300, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(perr)?;
        let (plots, side) = root.split_horizontally(1060);
        let halves = plots.split_evenly((1, 2));
        panel(
            &halves[0],
            &format!("performance profile ρ(τ), {total} problems"),
            "τ (cost / cheapest method's cost)",
            (1.0, tau1),
            &perf,
        )?;
        panel(
            &halves[1],
            "data profile d(α)",
            &format!("α ({unit})"),
            (a0, a1),
            &data,
        )?;
        legend(&side, &p.solvers)?;
        root.present().map_err(perr)?;
    }
    super::outputs::write_atomic(path, buf.as_bytes())
}

/// The profiles of a study with several problem instances and methods: one problem per
/// (instance, seed), the cost of a run its gradient-equivalent `cost` when
/// [`super::verdict::classify`] counts it a success, `+∞` otherwise. `None` for a study with
/// fewer than two instances or two methods (no test set to profile).
///
/// ```
/// use curvlab::study::{StudySpec, Plan, profiles::study_profiles};
/// let src = "name='s'\n[[problems]]\nkind='ravine'\n[[methods]]\nkind='gd'\n";
/// let spec = StudySpec::parse(std::path::Path::new("s.toml"), src).unwrap();
/// assert!(study_profiles(&Plan::new(&spec), &Default::default()).is_none());
/// ```
pub fn study_profiles(
    plan: &super::expand::Plan,
    records: &std::collections::BTreeMap<String, super::outputs::RunRecord>,
) -> Option<Profiles> {
    use super::verdict::{Tolerances, classify};
    if plan.problems.len() < 2 || plan.methods.len() < 2 {
        return None;
    }
    let tol = Tolerances::default();
    let mut cells: std::collections::BTreeMap<(usize, u64), Vec<f64>> = Default::default();
    for r in &plan.runs {
        let Some(rec) = records.get(&r.id) else {
            continue;
        };
        let t = if classify(rec, &tol).is_success() {
            rec.cost
        } else {
            f64::INFINITY
        };
        let row = cells
            .entry((r.problem, r.seed))
            .or_insert_with(|| vec![f64::INFINITY; plan.methods.len()]);
        row[r.method] = t;
    }
    let names = plan.methods.iter().map(|m| m.label()).collect();
    Profiles::new(names, cells.into_values().collect()).ok()
}
