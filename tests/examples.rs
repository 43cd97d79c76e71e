//! The worked example traces (`tests/fixtures/examples`) and the other fixtures
//! (`tests/fixtures`) get their expected verdicts and exit codes from the real
//! `gpmc-trace check`, under both presets, from files and from standard input.

mod common;

use std::path::Path;

#[test]
fn own_fixtures_cover_every_rule_verdict_and_input_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let count = common::check_collection(&dir);
    assert!(count >= 40, "only {count} fixtures");
}

#[test]
fn worked_examples_get_their_expected_verdicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/examples");
    let count = common::check_collection(&dir);
    assert!(count >= 10, "only {count} worked examples");
}
