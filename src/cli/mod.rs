//! The `curvlab` command line (contract in docs/DESIGN.md): `list`, `run`, `spectrum`, `study`,
//! `merge`. Errors go to stderr as one line; exit status 2 for bad input, 1 for a failure while
//! running (an I/O failure included) and for a `run` that diverged or failed.
//!
//! Every command writes through [`main_to`]'s two writers and ignores write errors on them, so
//! a closed pipe (`curvlab study ... 2>&1 | head -1`) never panics and never stops the work: the
//! results still go to the output folder.

pub mod list;
pub mod run;
pub mod spectrum;
pub mod spectrum_diag;
pub mod study;

use clap::{Parser, Subcommand};
use std::io::Write;

/// curvlab: Hessian-aware optimization research.
#[derive(Debug, Parser)]
#[command(name = "curvlab", version, about)]
pub struct Cli {
    /// Memory limit for every allocation a request sizes (e.g. `8GiB`, `500MB`, bytes); default
    /// the machine's available memory (see `curvlab::memory`).
    #[arg(long, global = true, value_parser = crate::memory::parse_size_arg)]
    pub max_memory: Option<u64>,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Problems and methods, with their parameters and defaults.
    List(list::ListArgs),
    /// Run one method on one problem.
    Run(run::RunArgs),
    /// Curvature spectrum of a problem's Hessian or a Matrix Market matrix.
    Spectrum(spectrum::SpectrumArgs),
    /// Run a study file (a sweep of problems x methods x seeds).
    Study(study::StudyArgs),
    /// Merge shard outputs of one study into one.
    Merge(study::MergeArgs),
}

/// Parses `args` (including the program name), runs, and returns the exit status.
///
/// ```
/// assert_eq!(curvlab::cli::main_with(["curvlab", "list"]), 0);
/// assert_eq!(curvlab::cli::main_with(["curvlab", "run", "--problem", "nope", "--method", "gd"]), 2);
/// ```
pub fn main_with<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    main_to(args, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Like [`main_with`], writing the command's output to `out` and messages to `err` (write
/// errors on either are ignored: the exit status and the files written are what count).
///
/// ```
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let code = curvlab::cli::main_to(
///     ["curvlab", "run", "--problem", "ravine", "--method", "lbfgs", "--json"], &mut out, &mut err);
/// assert_eq!(code, 0);
/// let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(v["converged"], true);
/// ```
pub fn main_to<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                err.write_all(text.as_bytes())
            } else {
                out.write_all(text.as_bytes())
            };
            return code;
        }
    };
    // Every command computes on one thread inside faer: the blocking of faer's parallel kernels
    // depends on the core count, so a spectrum computed by `merge` on one machine would differ
    // in its last bits (and a CG prediction from it by whole iterations) from the same spectrum
    // computed by `study` elsewhere. Parallelism comes from running independent runs at once.
    faer::set_global_parallelism(faer::Par::Seq);
    crate::memory::set_limit(cli.max_memory);
    let result = match cli.command {
        Command::List(a) => list::run_to(&a, out).map(|()| 0),
        Command::Run(a) => run::run_to(&a, out),
        Command::Spectrum(a) => spectrum::run_to(&a, out, err).map(|()| 0),
        Command::Study(mut a) => {
            shard_from_env(&mut a, err).and_then(|()| study::run_to(&a, err).map(|()| 0))
        }
        Command::Merge(a) => study::merge_to(&a, err).map(|()| 0),
    };
    let _ = out.flush();
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {}", one_line(&e.to_string()));
            if e.is_bad_input() { 2 } else { 1 }
        }
    }
}

/// Without `--shard`, takes the slice from the scheduler's environment (Slurm array, Kubernetes
/// Indexed Job; see [`crate::study::shard`]) and says so on stderr.
fn shard_from_env(a: &mut study::StudyArgs, err: &mut dyn Write) -> crate::error::Result<()> {
    if a.shard.is_none()
        && let Some((s, source)) = crate::study::Shard::resolve(None)?
    {
        if !a.quiet {
            let _ = writeln!(err, "shard {s} from {source}");
        }
        a.shard = Some(s.to_string());
    }
    Ok(())
}

/// Runs with the process's arguments.
pub fn main() -> i32 {
    main_with(std::env::args_os())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
