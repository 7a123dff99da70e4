//! The `curvlab` command-line tool; see `curvlab --help` and [`curvlab::cli`].

fn main() {
    std::process::exit(curvlab::cli::main());
}
