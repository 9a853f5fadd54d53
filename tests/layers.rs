//! The layout is the design: the top-level modules of `src/` form layers, and no module
//! imports from a module that imports it, directly or through others. Read from the source
//! itself: every `crate::NAME` path, including those inside `use crate::{a, b::c}` groups,
//! is an edge from the file's top-level module to `NAME`.
//!
//! And nothing outside the store names the database engine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to: `src/plan/series.rs` is `plan`.
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The code of a file without its comments, so that prose naming a module is no edge.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named after `crate::` in `text`, groups included.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: the first segment of each top-level entry.
            let mut depth = 0;
            let mut entry_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        rest = &group[i..];
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && (c.is_alphanumeric() || c == '_') => {
                        let name: String =
                            group[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        if modules.contains(&name) {
                            found.insert(name);
                        }
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if modules.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(file) else { continue };
        let text = code(&std::fs::read_to_string(file).expect("read file"));
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(imports(&text, &modules).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A cycle through `start`, if any, as the list of modules on it.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn the_reader_finds_edges_in_paths_and_groups() {
    let modules: BTreeSet<String> = ["plan", "store", "domain", "config"].map(String::from).into();
    let text = "use crate::{domain::{Task, Rule}, plan};\nlet x = crate::store::Store::open();";
    assert_eq!(imports(text, &modules), ["domain", "plan", "store"].map(String::from).into());
    assert_eq!(code("let a = 1; // crate::config"), "let a = 1; ");
}

#[test]
fn no_module_imports_from_a_module_that_imports_it() {
    let graph = graph();
    assert!(graph.len() > 10, "the reader found the modules of src/: {graph:?}");
    let cycles: Vec<String> =
        graph.keys().filter_map(|m| cycle_from(&graph, m)).map(|cycle| cycle.join(" → ")).collect();
    assert!(cycles.is_empty(), "import cycles between modules of src/:\n{}", cycles.join("\n"));
}

#[test]
fn only_the_store_names_the_database_engine() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    // The store's engine is the store's alone; `sources/sql.rs` reads the databases of
    // e-office systems, which are sources at the edge, not the store.
    let edge = src().join("sources").join("sql.rs");
    for file in files.iter().filter(|f| !f.starts_with(src().join("store")) && **f != edge) {
        let text = std::fs::read_to_string(file).expect("read file");
        for (number, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            // The store URL's scheme is the config's to check.
            let scheme_only = lower.replace("sqlite://", "");
            if scheme_only.contains("sqlx") || scheme_only.contains("sqlite") {
                found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the database engine is named outside src/store/:\n{}", found.join("\n"));
}
