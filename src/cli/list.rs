//! `curvlab list`: the problems and methods with their parameters and defaults.

use crate::error::Result;
use crate::methods::method_infos;
use crate::params::ParamInfo;
use crate::problems::problem_infos;

/// Arguments of `curvlab list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prints the listing.
pub fn run(args: &ListArgs) -> Result<()> {
    print!("{}", render(args.json));
    Ok(())
}

/// The listing as text (or JSON).
///
/// ```
/// let text = curvlab::cli::list::render(false);
/// assert!(text.contains("problems:") && text.contains("quadratic"));
/// ```
pub fn render(json: bool) -> String {
    if json {
        let v = serde_json::json!({ "problems": problem_infos(), "methods": method_infos() });
        return format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    let mut out = String::from("problems:\n");
    for p in problem_infos() {
        out.push_str(&format!("  {:<16} {}\n", p.name, p.summary));
        params(&mut out, p.params);
    }
    out.push_str("methods:\n");
    for m in method_infos() {
        out.push_str(&format!("  {:<16} {}\n", m.name, m.summary));
        params(&mut out, m.params);
    }
    out
}

fn params(out: &mut String, ps: &[ParamInfo]) {
    for p in ps {
        out.push_str(&format!(
            "      {:<14} = {:<12} {}\n",
            p.name, p.default, p.doc
        ));
    }
}
