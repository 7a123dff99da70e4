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
///
/// ```
/// let args = curvlab::cli::list::ListArgs { json: false };
/// assert!(curvlab::cli::list::run(&args).is_ok());
/// ```
pub fn run(args: &ListArgs) -> Result<()> {
    run_to(args, &mut std::io::stdout())
}

/// Writes the listing to `out` (a write error, such as a closed pipe, is ignored).
///
/// ```
/// let mut out = Vec::new();
/// curvlab::cli::list::run_to(&curvlab::cli::list::ListArgs { json: false }, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("methods:"));
/// ```
pub fn run_to(args: &ListArgs, out: &mut dyn std::io::Write) -> Result<()> {
    let _ = out.write_all(render(args.json).as_bytes());
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
