//! `gpmc-trace`'s output for people, one process per case: `check`'s diagnostics for every
//! kind of problem and `show`'s rows, as snapshots (`tests/snapshots`, reviewed by eye when
//! they change: `cargo insta review`), the README's listings as the binary prints them, the
//! one table of exit statuses in every `--help` and in the README, and the valid values an
//! unknown argument's error lists.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::code;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs `gpmc-trace` with `args` in `dir` (so file names show as given), standard input
/// empty, standard output a pipe.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(common::binary())
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the gpmc-trace binary runs")
}

/// A directory of its own for a test's trace files, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `check --format human` of `file` (in `tests/fixtures`) under `rules`: its standard
/// output, after checking the exit status and that nothing went to standard error.
fn human_check(rules: &str, file: &str, exit: i32) -> String {
    let output = run_in(
        &fixtures(),
        &["check", "--format", "human", "--rules", rules, file],
    );
    assert_eq!(code(&output), exit, "{file}: {output:?}");
    assert!(output.stderr.is_empty(), "{file}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

// Each rule's violation, with the line, a caret under the field, the rule and a help line.

#[test]
fn violation_status_after_completion_is_a_late_call_with_the_end() {
    insta::assert_snapshot!(human_check(
        "documented",
        "cancelled-then-a-late-call.jsonl",
        1
    ));
}

#[test]
fn violation_negative_progress() {
    insta::assert_snapshot!(human_check("documented", "rule-negative-progress.jsonl", 1));
}

#[test]
fn violation_numerator_exceeds_denominator() {
    insta::assert_snapshot!(human_check(
        "documented",
        "rule-numerator-exceeds-denominator.jsonl",
        1
    ));
}

#[test]
fn violation_denominator_changed() {
    insta::assert_snapshot!(human_check("strict", "rule-denominator-changed.jsonl", 1));
}

#[test]
fn violation_numerator_decreased() {
    insta::assert_snapshot!(human_check(
        "strict",
        "examples/numerator-goes-back.jsonl",
        1
    ));
}

#[test]
fn violation_failure_before_completion() {
    insta::assert_snapshot!(human_check(
        "strict",
        "examples/import-early-failure.jsonl",
        1
    ));
}

#[test]
fn violation_result_before_completion() {
    insta::assert_snapshot!(human_check(
        "documented",
        "examples/result-too-early.jsonl",
        1
    ));
}

#[test]
fn violation_result_on_failure_in_a_long_line_elided_around_the_field() {
    let dir = scratch("result-on-failure");
    let comment = "x".repeat(300);
    std::fs::write(
        dir.join("long.jsonl"),
        format!(
            "{{\"event\":\"begin\",\"operation\":\"gpo-copy\"}}\n\
             {{\"event\":\"status\",\"numerator\":2,\"denominator\":2,\"messages\":[{{\"message\":\"{comment}\"}}],\"hr\":\"0x80070005\",\"result\":{{\"type\":\"gpo\",\"display_name\":\"{comment}\"}}}}\n"
        ),
    )
    .unwrap();
    let output = run_in(
        &dir,
        &[
            "check",
            "--format",
            "human",
            "--rules",
            "strict",
            "long.jsonl",
        ],
    );
    assert_eq!(code(&output), 1, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    // Not a terminal: 100 columns.
    assert!(
        text.lines().all(|line| line.chars().count() <= 100),
        "long lines are elided: {text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn violation_unexpected_result() {
    insta::assert_snapshot!(human_check("strict", "rule-unexpected-result.jsonl", 1));
}

#[test]
fn violation_missing_result() {
    insta::assert_snapshot!(human_check(
        "strict",
        "examples/restore-missing-result.jsonl",
        1
    ));
}

/// Under `strict` the first anomaly of `documented` is the violation; under `documented`
/// the summary lists every anomaly with its line.
#[test]
fn anomalies_are_violations_under_strict_and_listed_under_documented() {
    let strict = human_check("strict", "several-anomalies-on-one-line.jsonl", 1);
    let documented = human_check("documented", "several-anomalies-on-one-line.jsonl", 0);
    insta::assert_snapshot!(format!("{strict}---\n{documented}"));
}

// Input errors, each at its line and column.

#[test]
fn error_json_syntax() {
    insta::assert_snapshot!(human_check("documented", "error-malformed-json.jsonl", 2));
}

#[test]
fn error_wrong_type() {
    insta::assert_snapshot!(human_check("documented", "error-wrong-json-type.jsonl", 2));
}

#[test]
fn error_bad_ms_points_at_the_ms() {
    let texts: Vec<String> = [
        "error-ms-negative.jsonl",
        "error-ms-fractional.jsonl",
        "error-ms-out-of-range.jsonl",
        "error-ms-decreasing.jsonl",
    ]
    .iter()
    .map(|file| human_check("documented", file, 2))
    .collect();
    insta::assert_snapshot!(texts.join("\n"));
}

#[test]
fn error_unknown_operation_lists_the_operations() {
    insta::assert_snapshot!(human_check(
        "documented",
        "error-unknown-operation.jsonl",
        2
    ));
}

#[test]
fn error_missing_field_invalid_utf8_and_fields_that_do_not_belong() {
    let texts: Vec<String> = [
        "error-missing-required-field.jsonl",
        "error-invalid-utf8.jsonl",
        "error-field-of-another-event.jsonl",
        "error-unknown-result-property.jsonl",
        "error-required-field-null.jsonl",
        "error-begin-not-first.jsonl",
    ]
    .iter()
    .map(|file| human_check("documented", file, 2))
    .collect();
    insta::assert_snapshot!(texts.join("---\n"));
}

#[test]
fn error_truncated_file() {
    let dir = scratch("truncated");
    std::fs::write(
        dir.join("cut.jsonl"),
        "{\"event\":\"begin\",\"operation\":\"gpo-backup\"}\n\
         {\"event\":\"status\",\"numerator\":0,\"denominator\":3}\n\
         {\"event\":\"status\",\"numerator\":1,\"denominator\":3,\"messages\":[{\"extension_name\":\"Sec",
    )
    .unwrap();
    let output = run_in(&dir, &["check", "--format", "human", "cut.jsonl"]);
    assert_eq!(code(&output), 2, "{output:?}");
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

#[test]
fn empty_file_is_incomplete() {
    insta::assert_snapshot!(human_check("documented", "empty.jsonl", 3));
}

#[test]
fn missing_file_is_said_once() {
    let output = run_in(
        &fixtures(),
        &["check", "--format", "human", "no-such-trace.jsonl"],
    );
    assert_eq!(code(&output), 2, "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "the diagnostic says it: {output:?}"
    );
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

#[test]
fn several_files_and_standard_input() {
    let output = Command::new(common::binary())
        .args([
            "check",
            "--format",
            "human",
            "examples/backup-succeeds.jsonl",
            "examples/still-running.jsonl",
            "-",
            "examples/copy-fails-at-the-end.jsonl",
        ])
        .current_dir(fixtures())
        .stdin(std::fs::File::open(fixtures().join("examples/call-after-the-end.jsonl")).unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "{output:?}");
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

// `show`.

#[test]
fn show_a_cancel_then_a_late_call() {
    let output = run_in(
        &fixtures(),
        &[
            "show",
            "--format",
            "human",
            "cancelled-then-a-late-call.jsonl",
        ],
    );
    assert_eq!(code(&output), 1, "{output:?}");
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

#[test]
fn show_as_json_is_the_same_rows_then_the_verdict_of_check() {
    let output = run_in(
        &fixtures(),
        &[
            "show",
            "--format",
            "json",
            "cancelled-then-a-late-call.jsonl",
        ],
    );
    assert_eq!(code(&output), 1, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // One row per event, then the verdict.
    assert_eq!(lines.len(), 7, "{text}");
    let check = run_in(
        &fixtures(),
        &[
            "check",
            "--format",
            "json",
            "cancelled-then-a-late-call.jsonl",
        ],
    );
    assert_eq!(
        format!("{}\n", lines[6]),
        String::from_utf8(check.stdout).unwrap()
    );
    for (row, line) in lines[..6].iter().zip(1..) {
        let row: serde_json::Value = serde_json::from_str(row).unwrap();
        assert_eq!(row["line"], line, "{row}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn show_anomalies_a_violation_and_what_is_not_judged_after_it() {
    let documented = run_in(
        &fixtures(),
        &[
            "show",
            "--format",
            "human",
            "several-anomalies-on-one-line.jsonl",
        ],
    );
    assert_eq!(code(&documented), 0, "{documented:?}");
    let strict = run_in(
        &fixtures(),
        &[
            "show",
            "--format",
            "human",
            "--rules",
            "strict",
            "examples/numerator-goes-back.jsonl",
        ],
    );
    assert_eq!(code(&strict), 1, "{strict:?}");
    let error = run_in(
        &fixtures(),
        &["show", "--format", "human", "error-malformed-json.jsonl"],
    );
    assert_eq!(code(&error), 2, "{error:?}");
    let missing = run_in(&fixtures(), &["show", "--format", "human", "no-such-trace"]);
    assert_eq!(code(&missing), 2, "{missing:?}");
    insta::assert_snapshot!([documented, strict, error, missing]
        .map(|output| String::from_utf8(output.stdout).unwrap())
        .join("---\n"));
}

// Colours.

#[test]
fn colours_follow_the_color_option_and_no_color() {
    let file = "examples/numerator-goes-back.jsonl";
    let has_escapes = |args: &[&str], no_color: bool| {
        let mut command = Command::new(common::binary());
        command
            .args(args)
            .current_dir(fixtures())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let output = command.output().unwrap();
        String::from_utf8(output.stdout).unwrap().contains('\u{1b}')
    };
    for command in ["check", "show"] {
        let human = [command, "--format", "human", "--rules", "strict"];
        let with = |color: &'static str| {
            let mut args = human.to_vec();
            args.extend(["--color", color, file]);
            args
        };
        assert!(has_escapes(&with("always"), false), "{command}");
        assert!(
            has_escapes(&with("always"), true),
            "{command}: --color wins"
        );
        assert!(!has_escapes(&with("never"), false), "{command}");
        // Not a terminal: no colours by default.
        assert!(!has_escapes(&with("auto"), false), "{command}");
        // JSON never has colours.
        assert!(
            !has_escapes(
                &[command, "--format", "json", "--color", "always", file],
                false
            ),
            "{command}"
        );
    }
}

// The README.

/// The fenced `text` block of README section `heading` whose first line is `$ gpmc-trace ...`:
/// the arguments and the expected output.
fn readme_transcript(heading: &str) -> (Vec<String>, String) {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap_or_else(|| panic!("{heading}"))..];
    let start = section
        .find("```text\n$ gpmc-trace ")
        .unwrap_or_else(|| panic!("a transcript in {heading}"));
    let block = &section[start + "```text\n".len()..];
    let block = &block[..block.find("```").expect("its end")];
    let (command, expected) = block.split_once('\n').unwrap();
    let args = command["$ gpmc-trace ".len()..]
        .split(' ')
        .map(str::to_owned)
        .collect();
    (args, expected.to_owned())
}

#[test]
fn the_readme_diagnostic_and_show_listing_are_what_the_binary_prints() {
    for heading in [
        "## Checking traces: `gpmc-trace check`",
        "## Reading a trace: `gpmc-trace show`",
    ] {
        let (args, expected) = readme_transcript(heading);
        assert!(args.contains(&"human".to_owned()), "{args:?}");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run_in(&fixtures(), &args);
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            expected,
            "{heading}"
        );
    }
}

/// The table as each `--help` prints it, without the indentation clap may add.
fn exit_table_of(help: &str) -> String {
    let start = help
        .find("Exit status (the same for check, show, demo and record):")
        .unwrap_or_else(|| panic!("no exit table in {help}"));
    help[start..].trim_end().to_owned()
}

#[test]
fn every_help_and_the_readme_show_the_one_table_of_exit_statuses() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Exit statuses of `gpmc-trace`")
        .expect("the section")..];
    let block = &section[section.find("```text\n").expect("the table") + 8..];
    let table = block[..block.find("```").expect("its end")].trim_end();
    for command in ["check", "show", "simulate", "demo", "record", ""] {
        let args: Vec<&str> = [command, "--help"]
            .into_iter()
            .filter(|arg| !arg.is_empty())
            .collect();
        let output = run_in(&fixtures(), &args);
        assert_eq!(code(&output), 0, "{command}");
        let help = String::from_utf8(output.stdout).unwrap();
        assert_eq!(exit_table_of(&help), table, "{command} --help");
    }
}

// Names and errors.

#[test]
fn an_unknown_value_is_answered_with_the_valid_ones() {
    for (args, valid) in [
        (
            &["simulate", "gpo-delete"][..],
            "gpo-backup, gpo-import, gpo-copy",
        ),
        (
            &["demo", "--break", "no-such-rule"],
            "status-after-completion, negative-progress",
        ),
        (
            &["check", "--rules", "lax", "x.jsonl"],
            "documented, strict",
        ),
        (&["show", "--rules", "lax", "x.jsonl"], "documented, strict"),
        (
            &["simulate", "gpo-backup", "--result-type", "report"],
            "gpo, backup, starter-gpo",
        ),
        (&["check", "--format", "yaml", "x.jsonl"], "human, json"),
        (
            &["check", "--color", "sometimes", "x.jsonl"],
            "auto, always, never",
        ),
    ] {
        let output = run_in(&fixtures(), args);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains(&format!("[possible values: {valid}")),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn the_demo_takes_the_library_s_names_pace_and_overlapping() {
    let output = run_in(
        &fixtures(),
        &[
            "demo",
            "--pace-ms",
            "0",
            "--overlapping",
            "--seed",
            "2",
            "--extensions",
            "2",
        ],
    );
    assert_eq!(code(&output), 0, "{output:?}");
    for old in ["--delay-ms", "--two-threads"] {
        let output = run_in(&fixtures(), &["demo", old, "0"]);
        assert_eq!(code(&output), 2, "{old} is gone");
    }
}
