//! Number and text formatting shared by the study report writers ([`super::summary`] and
//! [`super::plots`]): table numbers with four significant digits, ratios, Markdown escaping and
//! the file-name prefix of a problem instance. Presentation only; no numerics.

use super::expand::Instance;

/// A number for a table: 4 significant digits, scientific outside `[1e-3, 1e5)`, `—` for none.
///
/// ```
/// use curvlab::study::format::fmt_g;
/// assert_eq!(fmt_g(Some(922.0)), "922");
/// assert_eq!(fmt_g(Some(14.7358)), "14.74");
/// assert_eq!(fmt_g(Some(0.0013)), "0.0013");
/// assert_eq!(fmt_g(Some(0.000012)), "1.200e-5");
/// assert_eq!(fmt_g(None), "—");
/// ```
pub fn fmt_g(x: Option<f64>) -> String {
    match x {
        None => "—".into(),
        Some(0.0) => "0".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if (1e-3..1e5).contains(&v.abs()) => {
            let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
            let s = format!("{v:.digits$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
        Some(v) => format!("{v:.3e}"),
    }
}

/// A ratio with 2 significant digits (`44`, `2.4`, `0.38`).
///
/// ```
/// use curvlab::study::format::ratio;
/// assert_eq!((ratio(44.2), ratio(2.44), ratio(0.384)), ("44".into(), "2.4".into(), "0.38".into()));
/// ```
pub fn ratio(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let digits = (1 - x.abs().max(1e-300).log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Escapes `|` for a Markdown table cell.
///
/// ```
/// assert_eq!(curvlab::study::format::md_escape("a|b"), "a\\|b");
/// ```
pub fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The arithmetic mean, `None` for no values.
///
/// ```
/// assert_eq!(curvlab::study::format::mean(&[1.0, 2.0]), Some(1.5));
/// assert_eq!(curvlab::study::format::mean(&[]), None);
/// ```
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The file-name prefix of problem instance `pi`: `p03-quadratic`.
///
/// ```
/// use curvlab::study::{expand::Instance, format::slug};
/// let i = Instance { kind: "ravine".into(), params: Default::default(), table: 0 };
/// assert_eq!(slug(3, &i), "p03-ravine");
/// ```
pub fn slug(pi: usize, p: &Instance) -> String {
    format!("p{pi:02}-{}", p.kind)
}
