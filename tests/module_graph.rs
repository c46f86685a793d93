//! The C shell's modules (`src/ffi/*.rs`) form a DAG: no module reaches, directly or through
//! others, a module that reaches it back (the layers are described in `src/ffi/mod.rs`). The
//! graph is read from the sources: every `super::x` and `crate::ffi::x` path, also inside a
//! `use super::{x, y}` group, where `x` is a sibling module, outside comments and outside the
//! file's `#[cfg(test)]` module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source without `//` comments (line and doc comments) and without the unit-test module
/// that ends each file (it may `use super::*` and name its parent's items).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            // Only a test module at the top level ends the scan; a `#[cfg(test)]` item
            // elsewhere is skipped with its line.
            if !line.starts_with(' ') {
                break;
            }
            continue;
        }
        let code = line.split("//").next().unwrap_or("");
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The sibling modules `code` names after `super::` or `crate::ffi::`.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for prefix in ["super::", "crate::ffi::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                    .collect()
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                vec![&rest[..end]]
            };
            for name in names {
                let name = if name == "self" { "" } else { name };
                if modules.contains(name) {
                    found.insert(name.to_string());
                }
            }
        }
    }
    found
}

fn graph() -> Graph {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/ffi") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        sources.insert(name, text);
    }
    let modules: BTreeSet<String> = sources.keys().filter(|m| *m != "mod").cloned().collect();
    sources
        .iter()
        .filter(|(name, _)| *name != "mod")
        .map(|(name, text)| {
            let mut deps = imports(&code_of(text), &modules);
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

/// A cycle of `g`, as the list of its modules with the first repeated at the end, if any.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        g: &Graph,
        m: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(m.to_string(), Mark::OnPath);
        path.push(m.to_string());
        for dep in g.get(m).into_iter().flatten() {
            match marks.get(dep.as_str()).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|p| p == dep).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(dep.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(g, dep, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in g.keys() {
        if marks.get(m.as_str()).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(g, m, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn ffi_modules_form_a_dag() {
    let g = graph();
    // The scan must see the graph, not an empty one: the executor's known imports.
    let exec = g.get("exec").expect("src/ffi/exec.rs");
    assert!(
        exec.contains("coap") && exec.contains("imports"),
        "{exec:?}"
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!(
            "src/ffi modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_scanner_finds_cycles_and_groups() {
    let modules: BTreeSet<String> = ["a", "b", "c", "log"].map(String::from).into();
    let code = code_of(
        "use super::{b, log::line};\n// super::c in a comment\nfn f() { crate::ffi::c::g(); }\n\
         #[cfg(test)]\nmod tests { use super::*; use super::a; }\n",
    );
    let deps = imports(&code, &modules);
    assert_eq!(deps, ["b", "c", "log"].map(String::from).into());
    let mut g = Graph::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
    g.get_mut("c").unwrap().insert("a".into());
    assert_eq!(
        find_cycle(&g).map(|c| c.join(" -> ")),
        Some("a -> b -> c -> a".to_string())
    );
}
