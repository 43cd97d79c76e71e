//! The README's example is the crate documentation's example, word for word (both run as
//! doc tests: the crate docs directly, the README through `ReadmeDoctests` in lib.rs).

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first fenced block after `heading`, without its fences.
fn block_after(text: &str, heading: &str) -> String {
    let after = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))..];
    let open = after.find("```").expect("an opening fence");
    let body = &after[open..];
    let body = &body[body.find('\n').expect("a fence line") + 1..];
    body[..body.find("```").expect("a closing fence")].to_string()
}

#[test]
fn readme_example_is_the_crate_docs_example() {
    let readme = block_after(&read("README.md"), "## Example");
    let lib: String = read("src/lib.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| format!("{}\n", line.strip_prefix(' ').unwrap_or(line)))
        .collect();
    let docs = block_after(&lib, "# Example");
    assert!(readme.contains("fn main()"), "{readme}");
    assert_eq!(readme, docs);
}

#[test]
fn readme_client_test_is_tests_client_on_any_os() {
    let test = read("tests/client_on_any_os.rs");
    let after = |marker: &str| test.find(marker).expect("the marker") + marker.len();
    let code = &test[after("// The README's code:\n")..];
    let (code, recorded) = code.split_at(code.find("// The README's recorded run:\n").unwrap());
    let recorded = &recorded[recorded.find('\n').unwrap() + 1..];

    let readme = block_after(&read("README.md"), "## Testing your GPMC client on any OS");
    assert!(readme.contains("pub fn follow"), "{readme}");
    assert_eq!(readme, code);
    // The section's Rust block, after the trace it replays.
    let section = read("README.md");
    let section = &section[section
        .find("## Record once on Windows, test everywhere")
        .expect("the section")..];
    let readme = block_after(section, "```rust");
    assert!(readme.contains("RecordedRun::open("), "{readme}");
    assert_eq!(readme, recorded);
}

#[test]
fn readme_windows_tool_is_tests_user_style_windows() {
    let readme = block_after(
        &read("README.md"),
        "### A whole small tool, tested without a domain",
    );
    let test = read("tests/user_style_windows.rs");
    let marker = "// The README's code:\n";
    let code = &test[test.find(marker).expect("the marker") + marker.len()..];
    assert!(readme.contains("pub fn start_backup("), "{readme}");
    assert!(!code.contains("unsafe"), "the tool needs no unsafe");
    assert!(!code.contains("VARIANT"), "the tool needs no VARIANT");
    assert_eq!(readme, code);
}
