//! Helpers shared by the integration tests of the `gpmc-trace` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_gpmc-trace")
}

/// Runs `gpmc-trace` with `args`, feeding `stdin` (empty when `None`).
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gpmc-trace binary runs");
    let input = stdin.unwrap_or_default().to_vec();
    let mut pipe = child.stdin.take().unwrap();
    // The checker may stop reading early (at a violation): a broken pipe is fine then.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("gpmc-trace finishes");
    writer.join().unwrap();
    output
}

/// The exit status (panics on a signal).
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// Standard output as JSON values, one per line.
pub fn verdicts(output: &Output) -> Vec<Value> {
    let text = std::str::from_utf8(&output.stdout).expect("stdout is UTF-8");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// Compares a verdict with an expected entry in the format of `expected.json` (every key but
/// `exit` must match; the verdict may add only `file` and, for violations and errors,
/// `message`).
pub fn assert_verdict(context: &str, actual: &Value, expected: &Value, file: &str) {
    let actual = actual.as_object().expect("a verdict is an object");
    let expected = expected
        .as_object()
        .expect("an expected entry is an object");
    assert_eq!(actual.get("file"), Some(&Value::from(file)), "{context}");
    for (key, value) in expected {
        if key == "exit" {
            continue;
        }
        assert_eq!(
            actual.get(key),
            Some(value),
            "{context}: key {key} in {actual:?}"
        );
    }
    for key in actual.keys() {
        let allowed = key == "file"
            || expected.contains_key(key)
            || (key == "message"
                && matches!(expected["verdict"].as_str(), Some("violation" | "error")));
        assert!(allowed, "{context}: unexpected key {key} in {actual:?}");
    }
    if let Some("violation" | "error") = expected["verdict"].as_str() {
        let message = actual.get("message").and_then(Value::as_str).unwrap_or("");
        assert!(!message.is_empty(), "{context}: no message in {actual:?}");
    }
}

/// Runs every trace of a directory with an `expected.json` under both presets, from the file
/// and from standard input, and checks verdicts and exit codes. Returns how many traces.
pub fn check_collection(dir: &Path) -> usize {
    let manifest = dir.join("expected.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let expected: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert!(!expected.is_empty());
    for (name, presets) in &expected {
        let path: PathBuf = dir.join(format!("{name}.jsonl"));
        let path_text = path.to_str().unwrap();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for preset in ["documented", "strict"] {
            let want = &presets[preset];
            let exit = want["exit"].as_i64().unwrap() as i32;
            let output = run(&["check", "--rules", preset, path_text], None);
            let context = format!("{name} under {preset} (file)");
            assert_eq!(code(&output), exit, "{context}: {output:?}");
            let got = verdicts(&output);
            assert_eq!(got.len(), 1, "{context}");
            assert_verdict(&context, &got[0], want, path_text);

            let output = run(&["check", "-", "--rules", preset], Some(&bytes));
            let context = format!("{name} under {preset} (stdin)");
            assert_eq!(code(&output), exit, "{context}: {output:?}");
            let got = verdicts(&output);
            assert_eq!(got.len(), 1, "{context}");
            assert_verdict(&context, &got[0], want, "-");
        }
        // The default preset is documented.
        let output = run(&["check", path_text], None);
        assert_eq!(
            code(&output) as i64,
            presets["documented"]["exit"].as_i64().unwrap(),
            "{name} without --rules"
        );
    }
    expected.len()
}
