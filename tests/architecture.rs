//! The house rules of `docs/DESIGN.md`, checked on the source tree:
//!
//! 1. no import cycle between files of different folders (a file's imports are the `crate::…` and
//!    `super::…` paths it names outside `pub use` re-exports, `mod` declarations and its
//!    `#[cfg(test)]` module);
//!    and no cycle at all between two files that are not `mod.rs`;
//! 2. no method file imports another method file (a method file is one under `src/methods/` that
//!    implements `Method`; the first-order family counts as one unit, `src/methods/first_order/`);
//! 3. no file over 700 lines in `src/methods/`, `src/linalg/` and `src/study/`.
//!
//! Each check prints every offender before failing, so one run lists all that is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, relative to the crate root, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The module path of a source file: `src/methods/newton.rs` → `[methods, newton]`,
/// `src/methods/first_order/mod.rs` → `[methods, first_order]`, `src/lib.rs` → `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(root().join("src"))
        .expect("file under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The file that defines the longest prefix of `path` that is a module.
fn resolve(path: &[String]) -> PathBuf {
    let src = root().join("src");
    for len in (1..=path.len()).rev() {
        let base = path[..len].iter().fold(src.clone(), |p, s| p.join(s));
        let file = base.with_extension("rs");
        if file.is_file() {
            return file;
        }
        let modrs = base.join("mod.rs");
        if modrs.is_file() {
            return modrs;
        }
    }
    src.join("lib.rs")
}

/// The code of a file without comments, its `#[cfg(test)]` tail, re-exports and `mod` lines.
fn import_text(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .map(str::trim_start)
        .filter(|l| {
            !(l.starts_with("//")
                || l.starts_with("pub use")
                || l.starts_with("pub(crate) use")
                || l.starts_with("mod ")
                || l.starts_with("pub mod ")
                || l.starts_with("pub(crate) mod "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits a brace group's body at top-level commas.
fn split_group(body: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items
}

/// Module paths named after `prefix` (already resolved to absolute segments) in `rest`,
/// following one `::{a::b, c}` group level by level.
fn collect_paths(prefix: Vec<String>, rest: &str, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut s = rest;
    while let Some(after) = s.strip_prefix("::") {
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    if c == '{' {
                        depth += 1;
                    } else if c == '}' {
                        depth -= 1;
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            for item in split_group(&group[..end]) {
                let item = item.trim();
                let ident: String = item.chars().take_while(|&c| is_ident(c)).collect();
                if ident.is_empty() || ident == "self" {
                    continue;
                }
                let mut p = path.clone();
                p.push(ident.clone());
                collect_paths(p, &item[ident.len()..], out);
            }
            return;
        }
        let ident: String = after.chars().take_while(|&c| is_ident(c)).collect();
        if ident.is_empty() {
            break;
        }
        s = &after[ident.len()..];
        path.push(ident);
    }
    out.push(path);
}

/// The files `file` imports (resolved module paths), excluding itself.
fn imports(file: &Path) -> BTreeSet<PathBuf> {
    let text = fs::read_to_string(file).expect("readable source");
    let code = import_text(&text);
    let module = module_of(file);
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let prev_ok = i == 0 || !is_ident(bytes[i - 1] as char) && bytes[i - 1] != b':';
        let rest = &code[i..];
        if prev_ok && rest.starts_with("crate::") {
            collect_paths(Vec::new(), &rest["crate".len()..], &mut paths);
            i += "crate".len();
        } else if prev_ok && rest.starts_with("super::") {
            // `super` of `a/b.rs` and of `a/b/mod.rs` (module `a::b`) is `a`.
            let mut base = module.clone();
            let mut r = rest;
            while let Some(after) = r.strip_prefix("super") {
                base.pop();
                r = after;
                match r.strip_prefix("::") {
                    Some(next) if next.starts_with("super") => r = next,
                    _ => break,
                }
            }
            collect_paths(base, r, &mut paths);
            i += "super".len();
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    paths
        .iter()
        .map(|p| resolve(p))
        .filter(|p| p != file && !p.ends_with("lib.rs"))
        .collect()
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    rust_files(&root().join("src"))
        .into_iter()
        .map(|f| {
            let i = imports(&f);
            (f, i)
        })
        .collect()
}

/// Strongly connected components (Tarjan), each sorted.
fn components(g: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        g: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for w in g.get(v).into_iter().flatten() {
            let Some((w, _)) = g.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            comp.sort();
            s.out.push(comp);
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn import_resolution_finds_known_edges() {
    // A guard on the parser itself: these imports exist by construction of the crate.
    let g = graph();
    let src = root().join("src");
    let lanczos = &g[&src.join("curvature/lanczos.rs")];
    assert!(
        lanczos.iter().any(|p| p.starts_with(src.join("linalg"))),
        "curvature/lanczos.rs imports linalg: {lanczos:?}"
    );
    let minimize = &g[&src.join("minimize.rs")];
    assert!(minimize.contains(&src.join("objective.rs")));
    assert!(minimize.contains(&src.join("methods/mod.rs")));
}

#[test]
fn no_import_cycle_spans_two_folders() {
    let g = graph();
    let bad: Vec<String> = components(&g)
        .into_iter()
        .filter(|c| {
            let folders: BTreeSet<_> = c.iter().filter_map(|p| p.parent()).collect();
            folders.len() > 1
        })
        .map(|c| c.iter().map(|p| rel(p)).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(
        bad.is_empty(),
        "import cycles across folders:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_import_cycle_between_leaf_files() {
    // `mod.rs` files declare and re-export their children, who name the interface defined there:
    // those two-way edges are Rust's module system, not a layering defect. Between any two other
    // files (e.g. `study/plots.rs` and `study/summary.rs`) a cycle is one.
    let is_mod = |p: &Path| p.file_name().is_some_and(|n| n == "mod.rs");
    let g: BTreeMap<PathBuf, BTreeSet<PathBuf>> = graph()
        .into_iter()
        .filter(|(f, _)| !is_mod(f))
        .map(|(f, d)| (f, d.into_iter().filter(|p| !is_mod(p)).collect()))
        .collect();
    let bad: Vec<String> = components(&g)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|p| rel(p)).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(bad.is_empty(), "import cycles:\n{}", bad.join("\n"));
}

#[test]
fn no_method_file_imports_another() {
    let g = graph();
    let methods = root().join("src/methods");
    let first_order = methods.join("first_order");
    // Stochastic (minibatch) mode runs the first-order transforms: one unit with them.
    let stochastic = methods.join("stochastic.rs");
    let unit = |p: &Path| -> PathBuf {
        if p.starts_with(&first_order) || p == stochastic {
            first_order.clone()
        } else {
            p.to_path_buf()
        }
    };
    let is_method = |p: &Path| -> bool {
        p.starts_with(&methods)
            && !p.starts_with(methods.join("registry"))
            && p.file_name().is_some_and(|n| n != "mod.rs")
            && fs::read_to_string(p).is_ok_and(|t| {
                t.lines()
                    .any(|l| l.trim_start().starts_with("impl") && l.contains(" Method for "))
            })
    };
    let mut bad = Vec::new();
    for (file, deps) in &g {
        if !is_method(file) {
            continue;
        }
        for d in deps {
            if is_method(d) && unit(d) != unit(file) {
                bad.push(format!("{} imports {}", rel(file), rel(d)));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "method files importing method files:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_long_files_in_methods_linalg_study() {
    let mut bad = Vec::new();
    for dir in ["src/methods", "src/linalg", "src/study"] {
        for f in rust_files(&root().join(dir)) {
            let n = fs::read_to_string(&f).map_or(0, |t| t.lines().count());
            if n > 700 {
                bad.push(format!("{}: {n} lines", rel(&f)));
            }
        }
    }
    assert!(bad.is_empty(), "files over 700 lines:\n{}", bad.join("\n"));
}
