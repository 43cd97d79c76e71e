//! The `gpmc-trace` binary, one process per case: exit codes, the multi-file rule, usage
//! errors, files that cannot be opened, `simulate` piped into `check`, `demo` (Ctrl-C
//! included), and standard output that cannot be written (not open for writing, full, a
//! pipe without reader). The output for people is in tests/cli_human.rs, the terminal in
//! tests/terminal.rs.

mod common;

use std::path::PathBuf;

use common::{code, run, verdicts};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.jsonl"))
        .to_str()
        .unwrap()
        .to_owned()
}

const COMPLETE: &str = "cancel-too-late-is-success";
const VIOLATION: &str = "rule-negative-progress";
const INCOMPLETE: &str = "incomplete-after-a-cancel";
const ERROR: &str = "error-malformed-json";

#[test]
fn one_file_each_verdict_has_its_exit_code() {
    for (name, verdict, exit) in [
        (COMPLETE, "complete", 0),
        (VIOLATION, "violation", 1),
        (INCOMPLETE, "incomplete", 3),
        (ERROR, "error", 2),
    ] {
        let output = run(&["check", &fixture(name)], None);
        assert_eq!(code(&output), exit, "{name}");
        let got = verdicts(&output);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["verdict"], verdict, "{name}");
        assert!(output.stderr.is_empty(), "{name}: {output:?}");
    }
}

#[test]
fn several_files_combine_two_then_one_then_three_then_zero() {
    let cases: &[(&[&str], i32)] = &[
        (&[COMPLETE, COMPLETE], 0),
        (&[COMPLETE, INCOMPLETE], 3),
        (&[INCOMPLETE, VIOLATION, COMPLETE], 1),
        (&[VIOLATION, INCOMPLETE], 1),
        (&[COMPLETE, ERROR, VIOLATION, INCOMPLETE], 2),
        (&[ERROR, COMPLETE], 2),
    ];
    for (names, exit) in cases {
        let paths: Vec<String> = names.iter().map(|n| fixture(n)).collect();
        let mut args = vec!["check"];
        args.extend(paths.iter().map(String::as_str));
        let output = run(&args, None);
        assert_eq!(code(&output), *exit, "{names:?}");
        let got = verdicts(&output);
        let files: Vec<&str> = got.iter().map(|v| v["file"].as_str().unwrap()).collect();
        assert_eq!(files, paths, "one verdict per file, in argument order");
    }
}

#[test]
fn a_file_that_cannot_be_opened_is_an_error_without_line_and_the_others_are_checked() {
    let missing = fixture("no-such-trace");
    let dir = env!("CARGO_MANIFEST_DIR");
    let complete = fixture(COMPLETE);
    let output = run(&["check", &missing, &complete, dir], None);
    assert_eq!(code(&output), 2);
    let got = verdicts(&output);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["verdict"], "error");
    assert_eq!(got[0]["line"], serde_json::Value::Null);
    assert_eq!(got[0]["file"], missing.as_str());
    assert_eq!(got[1]["verdict"], "complete");
    // A directory opens but cannot be read: no line is to blame either.
    assert_eq!(got[2]["verdict"], "error");
    assert_eq!(got[2]["line"], serde_json::Value::Null);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-trace"), "{stderr}");
}

/// A call after the finishing one is late: its violation carries the end that call decided,
/// as a complete verdict has it (`hr` for failed and cancelled only).
#[test]
fn a_late_call_s_violation_carries_the_end() {
    let cancelled = fixture("cancelled-then-a-late-call");
    let output = run(&["check", &cancelled], None);
    assert_eq!(code(&output), 1);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "{{\"file\":{},\"verdict\":\"violation\",\"line\":6,\"rule\":\"status-after-completion\",\"message\":\"status call 4 violates status-after-completion: the operation already ended at status call 3\",\"outcome\":\"cancelled\",\"result\":null,\"hr\":\"0x800704C7\"}}\n",
            serde_json::Value::from(cancelled.as_str())
        )
    );
    let succeeded = "{\"event\":\"begin\",\"operation\":\"gpo-report\"}\n\
        {\"event\":\"status\",\"numerator\":1,\"denominator\":1,\"result\":{\"type\":\"text\",\"value\":\"<r/>\"}}\n\
        {\"event\":\"status\",\"numerator\":1,\"denominator\":1}\n";
    let output = run(&["check", "-"], Some(succeeded.as_bytes()));
    assert_eq!(code(&output), 1);
    let got = verdicts(&output);
    assert_eq!(got[0]["outcome"], "succeeded");
    assert_eq!(got[0]["result"], "text");
    assert!(got[0].get("hr").is_none(), "{}", got[0]);
    // A violation before the end has none.
    let output = run(&["check", &fixture(VIOLATION)], None);
    assert!(verdicts(&output)[0].get("outcome").is_none());
}

/// Each input error's message in full, as `check` prints it, with its line.
#[test]
fn input_errors_say_what_is_wrong_once_naming_the_line() {
    let status = r#"{"event":"status","numerator":1,"denominator":1"#;
    let begin = r#"{"event":"begin","operation":"unknown"}"#;
    let cases = [
        (
            format!("{begin}\n{status},\"result\":{{\"type\":\"report\"}}}}\n"),
            2,
            "column 73: unknown result type `report`",
        ),
        (
            format!("{status},\"result\":{{\"value\":\"v\"}}}}\n"),
            1,
            "required field `type` is missing",
        ),
        (
            "\n\n{\"event\":\"status\",\"numerator\":1}\n".to_owned(),
            3,
            "required field `denominator` is missing",
        ),
        (
            format!("{begin}\n\n{begin}\n"),
            3,
            "second `begin` event: the first is on line 1",
        ),
        (
            "{\"event\":\"cancel\"}\n{\"event\":\"begin\",\"operation\":\"gpo-copy\"}\n"
                .to_owned(),
            2,
            "`begin` must be the first event, but line 1 has an earlier event",
        ),
        (
            "{\"event\":\"status\",\"numerator\":1e0,\"denominator\":1}\n".to_owned(),
            1,
            "column 33: invalid type: a number with an exponent `1e0`, expected an integer in -2147483648..=2147483647",
        ),
        (
            format!("\n{status},\"messages\":[{{\"message\":\"unfinished\""),
            2,
            "column 83: EOF while parsing an object",
        ),
        (
            format!("{status},\"hr\":\"1223\"}}\n"),
            1,
            "column 60: invalid hresult `1223`: expected 0x and 1 to 8 hex digits",
        ),
    ];
    for (trace, line, message) in cases {
        let output = run(&["check", "-"], Some(trace.as_bytes()));
        assert_eq!(code(&output), 2, "{trace}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!(
                "{{\"file\":\"-\",\"verdict\":\"error\",\"line\":{line},\"message\":{}}}\n",
                serde_json::Value::from(message)
            ),
            "{trace}"
        );
        // Input errors are in the verdict only.
        assert!(output.stderr.is_empty(), "{trace}: {output:?}");
    }
}

/// A file that cannot be opened: the path and the system's reason, each said once on
/// standard error and once in the verdict.
#[test]
fn a_missing_file_is_reported_once() {
    let missing = fixture("no-such-trace");
    let reason = std::fs::File::open(&missing).unwrap_err().to_string();
    let output = run(&["check", &missing], None);
    assert_eq!(code(&output), 2);
    let message = format!("cannot open `{missing}`: {reason}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, format!("gpmc-trace: {message}\n"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        format!(
            "{{\"file\":{},\"verdict\":\"error\",\"line\":null,\"message\":{}}}\n",
            serde_json::Value::from(missing.as_str()),
            serde_json::Value::from(message.as_str())
        )
    );
    for text in [&stderr, &stdout] {
        assert_eq!(text.matches(reason.as_str()).count(), 1, "{text}");
        assert_eq!(text.matches("cannot open").count(), 1, "{text}");
    }
    assert_eq!(stderr.matches("no-such-trace").count(), 1, "{stderr}");
}

#[test]
fn usage_errors_exit_two_with_nothing_on_stdout() {
    for args in [
        &["check"][..],
        &["check", "--rules", "lax", "x.jsonl"],
        &["check", "--rules"],
        &["check", "--colour", "x.jsonl"],
        &[],
        &["frobnicate"],
        &["simulate"],
        &["simulate", "gpo-delete"],
        &["simulate", "gpo-backup", "--break", "no-such-rule"],
        &["simulate", "gpo-backup", "--fail-hr", "0x80004005"],
        &["demo", "gpo-backup", "--pace-ms", "soon"],
    ] {
        let output = run(args, None);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

/// `record` is declared everywhere (the same `--help`); its usage errors exit 2 like the
/// others, and a well-formed command on a build without Windows and `com` says what it needs,
/// exits 2 and creates no trace file.
#[test]
fn record_needs_windows_and_the_com_feature_and_checks_its_arguments() {
    let help = run(&["record", "--help"], None);
    assert_eq!(code(&help), 0);
    let help = String::from_utf8(help.stdout).unwrap();
    for operation in ["gpo-backup", "gpo-report", "backup-report", "rsop-report"] {
        assert!(help.contains(operation), "{operation}: {help}");
    }
    let backup = &[
        "record",
        "gpo-backup",
        "--domain",
        "corp.example",
        "--gpo",
        "{31B2F340-016D-11D2-945F-00C04FB984F9}",
        "--dir",
        "C:\\Backups",
    ][..];
    for args in [
        &["record"][..],
        &["record", "gpo-delete"],
        backup, // no --out
        &[
            "record",
            "gpo-backup",
            "--domain",
            "corp.example",
            "--dir",
            "d",
            "--out",
            "t.jsonl",
        ],
        &[
            "record",
            "gpo-report",
            "--domain",
            "c",
            "--gpo",
            "  ",
            "--out",
            "t.jsonl",
        ],
        &[
            "record",
            "gpo-report",
            "--domain",
            "c",
            "--gpo",
            "x",
            "--format",
            "pdf",
            "--out",
            "t.jsonl",
        ],
        &[
            "record",
            "rsop-report",
            "--out",
            "t.jsonl",
            "--rules",
            "lax",
        ],
    ] {
        let output = run(args, None);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
    if cfg!(windows) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gpmc-trace-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("backup.jsonl");
    let mut args = backup.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    let output = run(&args, None);
    assert_eq!(code(&output), 2, "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "gpmc-trace: record needs Windows and the com feature (this gpmc-trace was built without them)\n"
    );
    assert!(!out.exists(), "no trace file is created");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn standard_input_can_be_named_among_files() {
    let trace = std::fs::read(fixture(VIOLATION)).unwrap();
    let output = run(&["check", &fixture(COMPLETE), "-"], Some(&trace));
    assert_eq!(code(&output), 1);
    let got = verdicts(&output);
    assert_eq!(got[1]["file"], "-");
    assert_eq!(got[1]["rule"], "negative-progress");
    assert_eq!(got[1]["line"], 2);
}

#[test]
fn simulate_output_checks_as_intended() {
    let cases: &[(&[&str], &str, Option<&str>)] = &[
        (
            &["simulate", "gpo-backup", "--seed", "1"],
            "succeeded",
            None,
        ),
        (
            &[
                "simulate",
                "gpo-import",
                "--seed",
                "2",
                "--warnings",
                "3",
                "--fail-at",
                "2",
                "--fail-hr",
                "0x80070005",
            ],
            "failed",
            Some("0x80070005"),
        ),
        (
            &["simulate", "rsop-report", "--seed", "3", "--cancel-at", "1"],
            "cancelled",
            Some("0x800704C7"),
        ),
        (
            &[
                "simulate",
                "gpo-report",
                "--extensions",
                "4",
                "--cancel-at",
                "1",
                "--cancel-answer",
                "0",
            ],
            "succeeded",
            None,
        ),
    ];
    for (args, outcome, hr) in cases {
        let trace = run(args, None);
        assert_eq!(code(&trace), 0, "{args:?}: {trace:?}");
        let output = run(&["check", "--rules", "strict", "-"], Some(&trace.stdout));
        assert_eq!(code(&output), 0, "{args:?}: {output:?}");
        let got = &verdicts(&output)[0];
        assert_eq!(got["outcome"], *outcome, "{args:?}");
        assert_eq!(got["anomalies"], serde_json::json!([]));
        assert_eq!(got.get("hr").and_then(|h| h.as_str()), *hr, "{args:?}");
    }
    let trace = run(
        &[
            "simulate",
            "gpo-copy",
            "--break",
            "numerator-decreased",
            "--seed",
            "4",
        ],
        None,
    );
    let output = run(&["check", "--rules", "strict", "-"], Some(&trace.stdout));
    assert_eq!(code(&output), 1);
    assert_eq!(verdicts(&output)[0]["rule"], "numerator-decreased");
}

#[test]
fn simulate_with_a_pace_writes_each_line_s_planned_moment() {
    let base = ["simulate", "gpo-backup", "--seed", "1", "--extensions", "3"];
    let moments = |output: &std::process::Output| -> Vec<Option<u64>> {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                value.get("ms").map(|ms| ms.as_u64().unwrap())
            })
            .collect()
    };
    let untimed = run(&base, None);
    assert_eq!(code(&untimed), 0);
    assert_eq!(moments(&untimed), [None; 5]);
    let timed = run(&[&base[..], &["--pace-ms", "250"]].concat(), None);
    assert_eq!(code(&timed), 0, "{timed:?}");
    assert_eq!(
        moments(&timed),
        [Some(0), Some(0), Some(250), Some(500), Some(750)]
    );
    // The same trace but for the time, with the same verdict.
    let check = |trace: &[u8]| verdicts(&run(&["check", "--rules", "strict", "-"], Some(trace)));
    assert_eq!(check(&timed.stdout), check(&untimed.stdout));
    assert_eq!(check(&timed.stdout)[0]["verdict"], "complete");
}

#[test]
fn simulate_is_reproducible_with_a_seed_and_refuses_impossible_runs() {
    let args = [
        "simulate",
        "starter-gpo-backup",
        "--seed",
        "99",
        "--warnings",
        "2",
    ];
    let first = run(&args, None);
    assert_eq!(first.stdout, run(&args, None).stdout);
    assert!(
        first.stderr.is_empty(),
        "no seed note when the seed is given"
    );
    let impossible = run(&["simulate", "unknown", "--break", "missing-result"], None);
    assert_eq!(code(&impossible), 2);
    assert!(impossible.stdout.is_empty());
    assert!(String::from_utf8_lossy(&impossible.stderr).contains("missing-result"));
}

#[test]
fn demo_prints_one_plain_line_per_event_when_not_on_a_terminal() {
    let output = run(
        &[
            "demo",
            "gpo-backup",
            "--pace-ms",
            "0",
            "--seed",
            "5",
            "--extensions",
            "3",
            "--warn-at",
            "1",
        ],
        None,
    );
    assert_eq!(code(&output), 0, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("IGPMGPO::Backup (gpo-backup), 3 extensions"),
        "{text}"
    );
    // The progress just before each other line and before the end is always shown; the
    // demo may skip progress it had no time for (the server makes no pause here).
    let lines = coalesced(&text);
    let shown: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(shown[1], "progress 1/3 (33%)", "{text}");
    assert!(
        shown[2].starts_with("message: Folder Redirection"),
        "{text}"
    );
    assert_eq!(shown[3], "progress 3/3 (100%)", "{text}");
    assert!(shown[4].starts_with("outcome: succeeded"), "{text}");
    assert!(
        lines.iter().any(|l| l
            .starts_with("message: Folder Redirection: the redirection target path is not reachable; object cn=")
            && l.ends_with(
                "; error code 0x80070003 (HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)); operation code 0x00000002"
            )),
        "{text}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("outcome: succeeded; result: backup {"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no finishing escapes in plain output"
    );

    let output = run(
        &[
            "demo",
            "gpo-copy",
            "--pace-ms",
            "0",
            "--cancel-at",
            "1",
            "--extensions",
            "3",
        ],
        None,
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("client: IGPMAsyncCancel::Cancel"), "{text}");
    assert!(
        text.contains("outcome: cancelled with 0x800704C7"),
        "{text}"
    );

    let output = run(
        &[
            "demo",
            "gpo-copy",
            "--pace-ms",
            "0",
            "--rules",
            "strict",
            "--break",
            "result-before-completion",
        ],
        None,
    );
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .contains("violation: "));
}

#[test]
fn demo_draws_a_progress_bar_on_a_terminal() {
    // `script` (util-linux, essential on Debian) runs the demo on a pseudo-terminal, one that
    // draws (whatever TERM the tests run with).
    let command = format!(
        "{} demo gpo-backup --pace-ms 0 --seed 1 --extensions 3",
        common::binary()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    assert_eq!(code(&output), 0, "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains('\u{1b}'), "terminal drawing: {text}");
    assert!(text.contains("IGPMGPO::Backup ["), "{text}");
    assert!(text.contains("========"), "a filled bar: {text}");
    assert!(text.contains("3/3 (100%)"), "{text}");
    assert!(text.contains("outcome: succeeded"), "{text}");
    assert!(
        !text.contains("progress 1/3"),
        "no plain lines on a terminal: {text}"
    );
}

/// Starts a slow demo with plain output, and hands back the child and its output's lines.
fn slow_demo(
    extra: &[&str],
) -> (
    std::process::Child,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(common::binary())
        .args([
            "demo",
            "gpo-backup",
            "--pace-ms",
            "200",
            "--extensions",
            "100",
            "--seed",
            "3",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gpmc-trace binary runs");
    let stdout = child.stdout.take().unwrap();
    (child, std::io::BufReader::new(stdout).lines())
}

/// Reads lines until one equals `wanted`; returns every line read.
fn read_until(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    wanted: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    for line in lines {
        let line = line.unwrap();
        let found = line == wanted;
        seen.push(line);
        if found {
            return seen;
        }
    }
    panic!("no line {wanted:?} in {seen:#?}");
}

fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill(1) runs");
    assert!(status.success());
}

#[test]
fn ctrl_c_in_the_demo_is_the_client_s_cancel() {
    let (mut child, mut lines) = slow_demo(&[]);
    read_until(&mut lines, "progress 1/100 (1%)");
    interrupt(&child);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{rest:#?}");
    let at = |wanted: &str| {
        rest.iter()
            .position(|line| line == wanted)
            .unwrap_or_else(|| panic!("no line {wanted:?} in {rest:#?}"))
    };
    let asked = at("client: IGPMAsyncCancel::Cancel (Ctrl-C)");
    let recorded = at("cancel requested: waiting for the server");
    let finished = rest.len() - 1;
    assert!(asked < recorded && recorded < finished, "{rest:#?}");
    assert!(
        rest.last().unwrap().starts_with(
            "outcome: cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))"
        ),
        "{rest:#?}"
    );
}

#[test]
fn a_second_ctrl_c_exits_the_demo_at_once_with_130() {
    // The server answers a cancel with success (it came too late) and goes on: only the
    // second Ctrl-C ends the run.
    let (mut child, mut lines) = slow_demo(&["--cancel-answer", "0x0"]);
    read_until(&mut lines, "progress 1/100 (1%)");
    interrupt(&child);
    read_until(&mut lines, "cancel requested: waiting for the server");
    interrupt(&child);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:#?}");
    assert!(
        !rest.iter().any(|line| line.starts_with("outcome:")),
        "{rest:#?}"
    );
}

#[test]
fn the_readme_demo_transcript_is_what_the_demo_prints() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = &readme[readme
        .find("## Watch a simulated operation")
        .expect("the demo's section")..];
    let block = &section[section.find("```text\n").expect("a transcript") + 8..];
    let block = &block[..block.find("```").expect("its end")];
    let (command, expected) = block.split_once('\n').unwrap();
    let args = command
        .strip_prefix("$ gpmc-trace ")
        .and_then(|c| c.strip_suffix(" | cat"))
        .expect("`$ gpmc-trace ... | cat`");
    let mut args: Vec<&str> = args.split(' ').collect();
    // The pace changes nothing but the time it takes.
    args.extend(["--pace-ms", "0"]);
    let output = run(&args, None);
    assert_eq!(code(&output), 0, "{output:?}");
    // Without a pause, the demo may skip progress the README shows: compared with each run
    // of progress lines taken at its last, as the README's transcript is.
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(coalesced(&text), coalesced(expected), "{text}");
    assert_eq!(
        coalesced(expected).join("\n") + "\n",
        expected,
        "the README is coalesced"
    );
}

/// `text`'s lines, each run of consecutive `progress` lines reduced to its last: what the
/// demo shows however fast the server calls (the engine skips the progress a slow reader
/// had no time for, never the progress just before another update).
fn coalesced(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("progress ") && lines.last().is_some_and(|l| l.starts_with("progress "))
        {
            lines.pop();
        }
        lines.push(line.to_owned());
    }
    lines
}

#[test]
fn demo_shows_a_failed_start_a_server_that_lets_go_and_overlapping_calls() {
    let base = ["demo", "gpo-backup", "--pace-ms", "0", "--seed", "4"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(["--extensions", "3"]);
        args.extend(extra);
        run(&args, None)
    };

    let output = with(&["--let-go-at", "2"]);
    assert_eq!(code(&output), 3, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("progress 1/3 (33%)\n"), "{text}");
    assert!(!text.contains("progress 2/3"), "{text}");
    assert!(
        text.ends_with(
            "no outcome: the server let go of the operation after 2 status calls without \
             finishing\n"
        ),
        "{text}"
    );

    let output = with(&["--fail-to-start", "0x80070005"]);
    assert_eq!(code(&output), 3, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.ends_with(
            "no outcome: the asynchronous method failed with 0x80070005 (E_ACCESSDENIED)\n"
        ),
        "{text}"
    );

    // Overlapping calls from two threads show what one thread shows.
    let one = with(&["--warn-at", "1", "--cancel-at", "2"]);
    let two = with(&["--warn-at", "1", "--cancel-at", "2", "--overlapping"]);
    assert_eq!(code(&two), 0, "{two:?}");
    assert_eq!(
        coalesced(&String::from_utf8(two.stdout).unwrap()),
        coalesced(&String::from_utf8(one.stdout).unwrap())
    );
}

#[test]
fn demo_plays_a_recorded_trace_to_the_end_check_gives_it() {
    // Every fixture that can be read (the examples included): the exit status is check's,
    // and the demo shows the end check reports.
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut played = 0;
    for dir in [fixtures.clone(), fixtures.join("examples")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if !name.ends_with(".jsonl") || name.starts_with("error-") {
                continue;
            }
            let path = path.to_str().unwrap();
            let checked = run(&["check", path], None);
            let verdict = &verdicts(&checked)[0];
            let output = run(&["demo", "--trace", path, "--speed", "inf"], None);
            let text = String::from_utf8(output.stdout.clone()).unwrap();
            if code(&output) == 2 {
                // A trace is read whole before it is played: an input error anywhere, even
                // past the violation where check stops reading, and nothing is played.
                assert_eq!(text, "", "{name}");
                let stderr = String::from_utf8(output.stderr).unwrap();
                let error_line: u64 = stderr
                    .split(": line ")
                    .nth(1)
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|line| line.parse().ok())
                    .unwrap_or_else(|| panic!("{name}: {stderr}"));
                match verdict["verdict"].as_str().unwrap() {
                    "error" => assert_eq!(verdict["line"], error_line, "{name}"),
                    "violation" => assert!(
                        verdict["line"].as_u64().unwrap() < error_line,
                        "{name}: {stderr}"
                    ),
                    other => panic!("{name}: {other}: {stderr}"),
                }
                continue;
            }
            played += 1;
            assert_eq!(code(&output), code(&checked), "{name}: {text}");
            let last_words = match verdict["verdict"].as_str().unwrap() {
                "complete" => format!("outcome: {}", verdict["outcome"].as_str().unwrap()),
                "incomplete" => "no outcome: the server let go of the operation".to_owned(),
                _ if verdict["outcome"].is_string() => "after the end: status call".to_owned(),
                _ => "violation: ".to_owned(),
            };
            assert!(
                text.contains(&last_words),
                "{name}: {last_words:?} in {text}"
            );
        }
    }
    assert!(played > 20, "{played}");
}

#[test]
fn demo_plays_a_recorded_trace_with_its_cancels_messages_and_late_calls() {
    let output = run(
        &[
            "demo",
            "--trace",
            &fixture("cancelled-then-a-late-call"),
            "--speed",
            "inf",
        ],
        None,
    );
    assert_eq!(code(&output), 1, "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("IGPMGPO::Backup (gpo-backup), recorded in ")
            && lines[0].ends_with(
                "cancelled-then-a-late-call.jsonl: 4 Status calls over 0.0 s, shown at speed \
                 inf, rules documented"
            ),
        "{text}"
    );
    // Played without pauses, the demo may skip progress it had no time for (0/4).
    let lines = coalesced(&text);
    assert_eq!(
        lines[1..],
        [
            "progress 1/4 (25%)",
            "message: Scripts: a logon script is missing from SYSVOL; error code 0x80070002 \
             (HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND))",
            // The recorded client's cancel request, played.
            "client: IGPMAsyncCancel::Cancel",
            "cancel requested: waiting for the server",
            "progress 4/4 (100%)",
            "outcome: cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED)); no \
             result; 1 message, 0 anomalies",
            "after the end: status call 4 (4/4, 0x00000000) came after the end: it breaks \
             status-after-completion",
        ]
    );
}

#[test]
fn demo_refuses_a_bad_trace_or_speed_and_simulation_options_with_a_trace() {
    let bad = run(&["demo", "--trace", &fixture("error-ms-decreasing")], None);
    assert_eq!(code(&bad), 2);
    assert!(bad.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&bad.stderr).ends_with(
            "error-ms-decreasing.jsonl: line 4: `ms` is 9, less than the 10 on line 2\n"
        ),
        "{bad:?}"
    );
    let missing = run(&["demo", "--trace", "/nonexistent/run.jsonl"], None);
    assert_eq!(code(&missing), 2);
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .starts_with("gpmc-trace: cannot open `/nonexistent/run.jsonl`: "),
        "{missing:?}"
    );
    for args in [
        &["demo", "--speed", "2"][..],
        &["demo", "--trace", &fixture(COMPLETE), "--speed", "0"],
        &["demo", "--trace", &fixture(COMPLETE), "--speed", "-1"],
        &["demo", "--trace", &fixture(COMPLETE), "--speed", "fast"],
        &["demo", "--trace", &fixture(COMPLETE), "--seed", "3"],
        &["demo", "gpo-report", "--trace", &fixture(COMPLETE)],
        &["demo", "--trace", &fixture(COMPLETE), "--pace-ms", "10"],
    ] {
        let refused = run(args, None);
        assert_eq!(code(&refused), 2, "{args:?}: {refused:?}");
        assert!(refused.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn ctrl_c_stops_a_recorded_trace_and_its_server_lets_go() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    // The second call is due in ten minutes.
    let dir = std::env::temp_dir().join(format!("gpmc-trace-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("slow.jsonl");
    std::fs::write(
        &trace,
        "{\"event\":\"begin\",\"ms\":0,\"operation\":\"gpo-backup\"}\n\
         {\"event\":\"status\",\"ms\":5,\"numerator\":0,\"denominator\":2}\n\
         {\"event\":\"status\",\"ms\":600000,\"numerator\":1,\"denominator\":2}\n",
    )
    .unwrap();
    let mut child = Command::new(common::binary())
        .args(["demo", "--trace", trace.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gpmc-trace binary runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    read_until(&mut lines, "progress 0/2 (0%)");
    interrupt(&child);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // No outcome: what check gives a trace cut there.
    assert_eq!(status.code(), Some(3), "{rest:#?}");
    assert_eq!(
        rest,
        [
            "Ctrl-C: the recorded run stops here, its server lets go",
            "no outcome: the server let go of the operation after 1 status call without \
             finishing",
        ]
    );
}

/// The commands that write to standard output: `check` of `checked` copies of a complete
/// trace (JSON) and of a violation (for people), `simulate` and `demo` of a backup over
/// `extensions` extensions, and `show` (both formats) of such a backup's trace.
#[cfg(unix)]
fn commands_writing(checked: usize, extensions: u32) -> Vec<Vec<String>> {
    let mut check = vec!["check".to_owned()];
    check.extend(std::iter::repeat(fixture(COMPLETE)).take(checked));
    let mut human = vec![
        "check".to_owned(),
        "--format".to_owned(),
        "human".to_owned(),
    ];
    human.extend(std::iter::repeat(fixture(VIOLATION)).take(checked));
    let extensions = extensions.to_string();
    let simulate = [
        "simulate",
        "gpo-backup",
        "--seed",
        "1",
        "--extensions",
        &extensions,
    ];
    let demo = [
        "demo",
        "gpo-backup",
        "--pace-ms",
        "0",
        "--seed",
        "1",
        "--extensions",
        &extensions,
    ];
    // The trace `show` lists, written by `simulate`.
    let trace =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("backup-{extensions}.jsonl"));
    let written = std::process::Command::new(common::binary())
        .args(simulate)
        .stdout(std::fs::File::create(&trace).unwrap())
        .status()
        .unwrap();
    assert!(written.success());
    let trace = trace.to_str().unwrap();
    let show = |format: &str| {
        ["show", "--format", format, trace]
            .map(str::to_owned)
            .to_vec()
    };
    vec![
        check,
        human,
        simulate.map(str::to_owned).to_vec(),
        demo.map(str::to_owned).to_vec(),
        show("json"),
        show("human"),
    ]
}

/// The commands that write to standard output, each with enough output (over 64 KiB, a
/// pipe's buffer) that its writes fail even when they began before the reader went.
#[cfg(unix)]
fn commands_with_much_output() -> Vec<Vec<String>> {
    commands_writing(1_000, 20_000)
}

/// The commands that write to standard output, with little output (it fits in a buffer,
/// so only the final flush writes it).
#[cfg(unix)]
fn commands_with_little_output() -> Vec<Vec<String>> {
    commands_writing(1, 3)
}

/// Runs `gpmc-trace` with `args` and standard output `stdout` (standard input empty).
#[cfg(unix)]
fn run_with_stdout(args: &[String], stdout: std::process::Stdio) -> std::process::Output {
    std::process::Command::new(common::binary())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the gpmc-trace binary runs")
}

/// Exit status 2 and one message on standard error naming standard output and the error.
#[cfg(unix)]
fn assert_write_failure(args: &[String], output: &std::process::Output, os_error: &str) {
    let command = &args[..2];
    assert_eq!(code(output), 2, "{command:?}: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = "gpmc-trace: cannot write to standard output: ";
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with(expected)
                && line.ends_with(&format!("(os error {os_error})"))),
        "{command:?}: {stderr}"
    );
}

#[test]
#[cfg(unix)]
fn stdout_not_open_for_writing_is_an_error_not_a_silent_loss() {
    // File descriptor 1 open for reading only: every write fails with EBADF, which std's
    // `Stdout` would report as a success.
    for args in commands_with_little_output()
        .into_iter()
        .chain(commands_with_much_output())
    {
        let read_only = std::fs::File::open(fixture(COMPLETE)).unwrap();
        let output = run_with_stdout(&args, read_only.into());
        assert_write_failure(&args, &output, "9");
    }
}

#[test]
#[cfg(unix)]
fn stdout_closed_before_the_start_is_dev_null_as_rust_std_reopens_it() {
    // Rust's std reopens a standard descriptor closed at startup on /dev/null (read-write),
    // which a process cannot tell from a /dev/null its parent gave it (as Python's
    // subprocess.DEVNULL does): so `>&-` runs as `>/dev/null` does, with the verdict's exit
    // status. Were fd 1 still closed, opening standard output would fail with EBADF.
    let output = std::process::Command::new("sh")
        .args(["-c", r#"exec "$0" "$@" >&-"#, common::binary()])
        .args(["check", &fixture(VIOLATION)])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("sh runs");
    assert_eq!(code(&output), 1, "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
}

#[test]
#[cfg(target_os = "linux")]
fn stdout_full_is_an_error_not_a_silent_loss() {
    for args in commands_with_little_output()
        .into_iter()
        .chain(commands_with_much_output())
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let output = run_with_stdout(&args, full.into());
        assert_write_failure(&args, &output, "28");
    }
}

#[test]
#[cfg(unix)]
fn stdout_to_a_pipe_without_reader_is_an_error_not_a_silent_loss() {
    for args in commands_with_much_output() {
        let mut child = std::process::Command::new(common::binary())
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the gpmc-trace binary runs");
        // The only reader goes: writes fail with EPIPE (Rust programs ignore SIGPIPE) once
        // the pipe's buffer is full, if not before.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("gpmc-trace finishes");
        assert_write_failure(&args, &output, "32");
    }
}
