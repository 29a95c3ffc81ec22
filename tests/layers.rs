//! Keeps `src/` free of import cycles between its top-level modules: reads every file under `src/`, collects the
//! top modules it names (`crate::x`, `crate::{x, y}`, a `super::` that climbs out of its own top module), and fails,
//! naming the file and the edge, when a module uses one that is not below it. The layers are read from the crate
//! doc in `src/lib.rs` (its "Layers" list), so the doc and this test cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges the layering allows for now, each with why. Keep this empty; an entry is a debt with a name.
const KNOWN: &[(&str, &str, &str)] = &[];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/` (`src/a/b.rs` and `src/a/b/mod.rs` are `["a", "b"]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The layers from the crate doc: lines `//! N. name: `a` `b` …` under a `# Layers` heading, lowest first.
fn layers() -> Vec<Vec<String>> {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    let mut out = Vec::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            break;
        };
        let doc = doc.trim();
        if doc.starts_with('#') {
            inside = doc.trim_start_matches('#').trim() == "Layers";
            continue;
        }
        let numbered = doc
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if inside && numbered {
            let names: Vec<String> = doc
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            out.push(names);
        }
    }
    assert!(
        !out.is_empty(),
        "src/lib.rs has no `# Layers` list (`//! 1. base: `a` `b``)"
    );
    out
}

/// Top modules a line of code names, besides its own.
fn references(code: &str, path: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e}}`: the names at depth 0 of the group.
            let mut depth = 0;
            let mut word = String::new();
            let mut first = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        first = true;
                        word.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && first {
                    if c.is_alphanumeric() || c == '_' {
                        word.push(c);
                    } else if !word.is_empty() {
                        out.insert(std::mem::take(&mut word));
                        first = false;
                    }
                }
            }
            if first && !word.is_empty() {
                out.insert(word);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    // `super::` chains that climb to the crate root name a top module.
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let before = rest[..i].chars().next_back();
        let mut tail = &rest[i..];
        rest = &rest[i + "super::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut ups = 0;
        while let Some(t) = tail.strip_prefix("super::") {
            ups += 1;
            tail = t;
        }
        if ups >= path.len() {
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // Only a path through it names a module (`super::Item` in an inline test module is its own file's).
            if tail[name.len()..].starts_with("::") {
                out.insert(name);
            }
        }
    }
    out
}

/// Code without comments (doc links to other modules are not uses) and without string literals.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut prev = ' ';
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
            break;
        }
        if c == '"' && prev != '\\' && !(prev == '\'' && chars.get(i + 1) == Some(&'\'')) {
            in_str = !in_str;
        } else if !in_str {
            out.push(c);
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
        i += 1;
    }
    out
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let layers = layers();
    // rank: (layer, place in the layer); a module may use a lower layer, or one listed before it in its own.
    let mut rank: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (l, names) in layers.iter().enumerate() {
        for (p, n) in names.iter().enumerate() {
            assert!(
                rank.insert(n.clone(), (l, p)).is_none(),
                "`{n}` is in two layers of the crate doc"
            );
        }
    }
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut tops = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let path = module_path(rel);
        let Some(top) = path.first().cloned() else {
            continue;
        };
        if top == "lib" || top == "main" {
            continue;
        }
        tops.insert(top.clone());
        let Some(&mine) = rank.get(&top) else {
            problems.push(format!(
                "src/{}: module `{top}` is in no layer of the crate doc",
                rel.display()
            ));
            continue;
        };
        let shown = format!("src/{}", rel.display());
        let text = std::fs::read_to_string(file).expect("readable");
        let mut seen = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            for used in references(&code_of(line), &path) {
                if used == top || used.is_empty() || !seen.insert(used.clone()) {
                    continue;
                }
                let Some(&theirs) = rank.get(&used) else {
                    problems.push(format!(
                        "{shown}:{}: `{top}` uses `{used}`, which is in no layer",
                        n + 1
                    ));
                    continue;
                };
                let below = theirs.0 < mine.0 || (theirs.0 == mine.0 && theirs.1 < mine.1);
                let known = KNOWN.iter().any(|(f, t, _)| *f == shown && *t == used);
                if !below && !known {
                    problems.push(format!(
                        "{shown}:{}: `{top}` -> `{used}`, but `{used}` is not below `{top}`",
                        n + 1
                    ));
                }
            }
        }
    }
    for name in rank.keys() {
        assert!(
            tops.contains(name),
            "the crate doc's layers name `{name}`, which is not a module of src/"
        );
    }
    assert!(
        problems.is_empty(),
        "layering broken (see the crate doc's Layers):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reference_reader_sees_groups_and_supers() {
    let p = vec!["a".to_string()];
    assert_eq!(
        references(
            &code_of("use crate::{app::App, error::{ApiError, Code}, world};"),
            &p
        ),
        BTreeSet::from(["app".into(), "error".into(), "world".into()])
    );
    assert_eq!(
        references(
            &code_of("let x = super::super::grpc::caller(&r); // crate::control"),
            &p
        ),
        BTreeSet::from(["grpc".into()])
    );
    assert_eq!(
        references(
            &code_of(r#"let s = "crate::world"; crate::clock::now()"#),
            &p
        ),
        BTreeSet::from(["clock".into()])
    );
}
