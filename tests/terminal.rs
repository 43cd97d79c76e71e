//! `gpmc-trace` on a terminal. `check` and `show` run on a pseudo-terminal (`script` from
//! util-linux) write for people, in colour unless NO_COLOR is set, and JSON when their
//! output is a pipe. The demo runs in tmux, which keeps the screen a person would see:
//! after a Ctrl-C the bar is there once, in its cancelled look, with no spinner or `^C`
//! left behind; a second Ctrl-C leaves it as interrupted and exits 130; the terminal's
//! settings are as before.

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `text` quoted for the shell.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The command line that runs `gpmc-trace` with `args`.
fn command_line(args: &[&str]) -> String {
    let mut line = quoted(common::binary());
    for arg in args {
        line.push(' ');
        line.push_str(&quoted(arg));
    }
    line
}

/// Runs `gpmc-trace` with `args` in `tests/fixtures` on a pseudo-terminal; its screen's text
/// (line ends as `\n`) and exit status.
fn on_a_terminal(args: &[&str], no_color: bool) -> (String, i32) {
    let mut command = Command::new("script");
    command
        .args(["-qec", &command_line(args), "/dev/null"])
        .current_dir(fixtures())
        // A terminal that has colours, whatever the one the tests run from.
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    if no_color {
        command.env("NO_COLOR", "1");
    }
    let output = command.output().expect("script(1) from util-linux runs");
    let code = common::code(&output);
    let text = String::from_utf8(output.stdout)
        .unwrap()
        .replace("\r\n", "\n");
    (text, code)
}

/// Runs `gpmc-trace` with `args` in `tests/fixtures`, standard output a pipe.
fn through_a_pipe(args: &[&str]) -> (String, i32) {
    let output = Command::new(common::binary())
        .args(args)
        .current_dir(fixtures())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let code = common::code(&output);
    (String::from_utf8(output.stdout).unwrap(), code)
}

fn all_json(text: &str) -> bool {
    !text.is_empty()
        && text
            .lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok())
}

#[test]
fn check_writes_diagnostics_on_a_terminal_and_json_to_a_pipe() {
    let args = [
        "check",
        "--rules",
        "strict",
        "examples/numerator-goes-back.jsonl",
    ];
    let (screen, code) = on_a_terminal(&args, false);
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("error[numerator-decreased]"), "{screen}");
    assert!(
        screen.contains("examples/numerator-goes-back.jsonl:3:31"),
        "{screen}"
    );
    assert!(screen.contains('\u{1b}'), "in colour: {screen:?}");
    assert!(!all_json(&screen), "{screen}");

    let (plain, _) = on_a_terminal(&args, true);
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
    assert!(plain.contains("  = help: "), "{plain}");
    let (never, _) = on_a_terminal(&["check", "--color", "never", args[3]], false);
    assert!(!never.contains('\u{1b}'), "{never:?}");

    let (piped, code) = through_a_pipe(&args);
    assert_eq!(code, 1);
    assert!(all_json(&piped), "{piped}");
    assert!(!piped.contains('\u{1b}'));

    // Asked for, JSON on a terminal too, the same bytes as through a pipe.
    let mut json = vec!["check", "--format", "json"];
    json.extend(&args[1..]);
    let (screen, _) = on_a_terminal(&json, false);
    assert_eq!(screen, piped);
}

#[test]
fn show_writes_rows_on_a_terminal_and_json_to_a_pipe() {
    let args = ["show", "cancelled-then-a-late-call.jsonl"];
    let (screen, code) = on_a_terminal(&args, true);
    assert_eq!(code, 1, "{screen}");
    assert!(screen.starts_with("1 | begin "), "{screen}");
    assert!(screen.contains("+-- after the end\n"), "{screen}");
    assert!(!all_json(&screen), "{screen}");
    let (piped, code) = through_a_pipe(&args);
    assert_eq!(code, 1);
    assert!(all_json(&piped), "{piped}");
    assert_eq!(
        piped.lines().count(),
        7,
        "six rows and the verdict: {piped}"
    );
    // Asked for, the human format through a pipe is the terminal's without colours.
    let (human, _) = through_a_pipe(&["show", "--format", "human", args[1]]);
    assert_eq!(human, screen);
}

/// A tmux server of its own (its own socket), killed when dropped, running one command in
/// a window of a fixed size.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("gpmc-trace-test-{name}-{}", std::process::id());
        let tmux = Tmux { socket };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "main", "-x", "200", "-y", "40"])
            .arg(command)
            .current_dir(fixtures())
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (.ci/run installs it: apt-get install tmux)");
        assert!(status.success(), "tmux new-session");
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    /// The window's text now.
    fn screen(&self) -> String {
        let output = self
            .command()
            .args(["capture-pane", "-p", "-t", "main"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8(output.stdout).unwrap()
    }

    /// The screen once `done` says so (within 30 seconds).
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {what} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ctrl_c(&self) {
        let status = self
            .command()
            .args(["send-keys", "-t", "main", "C-c"])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// The shell command: the terminal's echo of control characters, the demo, its exit
/// status, the echo again and `DONE`; then it stays, so that the screen can be read.
fn demo_in_a_shell(args: &[&str]) -> String {
    let echo = "stty -a | tr ' ;' '\\n\\n' | grep -x -e echoctl -e -echoctl";
    let mut demo = vec!["demo", "gpo-backup", "--seed", "3"];
    demo.extend(args);
    format!(
        "{echo}; {}; echo EXIT=$?; {echo}; echo DONE; sleep 120",
        command_line(&demo)
    )
}

/// The screen's lines that draw the bar.
fn bar_lines(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|line| line.contains("IGPMGPO::Backup ["))
        .collect()
}

/// No spinner (a braille pattern) and no echoed `^C` anywhere on the screen.
fn assert_nothing_frozen(screen: &str) {
    assert!(
        !screen
            .chars()
            .any(|c| ('\u{2800}'..='\u{28FF}').contains(&c)),
        "a spinner is left:\n{screen}"
    );
    assert!(!screen.contains("^C"), "an echoed ^C is left:\n{screen}");
}

/// The echo setting printed before the demo and after it are the same.
fn assert_echo_restored(screen: &str) {
    let settings: Vec<&str> = screen
        .lines()
        .filter(|line| *line == "echoctl" || *line == "-echoctl")
        .collect();
    assert_eq!(settings.len(), 2, "{screen}");
    assert_eq!(settings[0], settings[1], "{screen}");
}

#[test]
fn ctrl_c_in_the_demo_leaves_one_bar_showing_the_cancel() {
    let tmux = Tmux::start(
        "cancel",
        &demo_in_a_shell(&["--extensions", "100", "--pace-ms", "200"]),
    );
    tmux.wait_for("progress", |screen| screen.contains("/100 ("));
    tmux.ctrl_c();
    let screen = tmux.wait_for("the end", |screen| screen.contains("\nDONE"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("client: IGPMAsyncCancel::Cancel (Ctrl-C)"),
        "{screen}"
    );
    let bars = bar_lines(&screen);
    assert_eq!(bars.len(), 1, "one bar, drawn once:\n{screen}");
    // GPMC ends a cancelled operation at n/n: the bar is full, in the cancelled look.
    assert!(
        bars[0].contains(&format!("[{}]", "/".repeat(40))),
        "{screen}"
    );
    assert!(
        bars[0].trim_end().ends_with("100/100 (100%), cancelled"),
        "{screen}"
    );
    assert!(
        screen.contains("outcome: cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))"),
        "{screen}"
    );
    assert_nothing_frozen(&screen);
    assert_echo_restored(&screen);
}

#[test]
fn a_second_ctrl_c_leaves_the_bar_as_interrupted_and_exits_130() {
    // The server answers the cancel with success (too late) and goes on.
    let tmux = Tmux::start(
        "interrupt",
        &demo_in_a_shell(&[
            "--extensions",
            "100",
            "--pace-ms",
            "200",
            "--cancel-answer",
            "0x0",
        ]),
    );
    tmux.wait_for("progress", |screen| screen.contains("/100 ("));
    tmux.ctrl_c();
    tmux.wait_for("the cancel request", |screen| {
        screen.contains("cancel requested: waiting for the server")
    });
    tmux.ctrl_c();
    let screen = tmux.wait_for("the end", |screen| screen.contains("\nDONE"));
    assert!(screen.contains("EXIT=130"), "{screen}");
    let bars = bar_lines(&screen);
    assert_eq!(bars.len(), 1, "one bar, drawn once:\n{screen}");
    assert!(bars[0].trim_end().ends_with(", interrupted"), "{screen}");
    assert!(!screen.contains("outcome:"), "{screen}");
    assert_nothing_frozen(&screen);
    assert_echo_restored(&screen);
}

#[test]
fn a_failure_and_a_success_each_have_their_own_last_look() {
    for (name, args, fill, end) in [
        ("failed", &["--fail-at", "2"][..], "x", "4/4 (100%), failed"),
        ("succeeded", &[][..], "=", "4/4 (100%), succeeded"),
    ] {
        let mut all = vec!["--extensions", "4", "--pace-ms", "0"];
        all.extend(args);
        let tmux = Tmux::start(name, &demo_in_a_shell(&all));
        let screen = tmux.wait_for("the end", |screen| screen.contains("\nDONE"));
        assert!(screen.contains("EXIT=0"), "{screen}");
        let bars = bar_lines(&screen);
        assert_eq!(bars.len(), 1, "{screen}");
        assert!(
            bars[0].contains(&format!("[{}]", fill.repeat(40))),
            "{screen}"
        );
        assert!(bars[0].trim_end().ends_with(end), "{screen}");
        assert_nothing_frozen(&screen);
        drop(tmux);
    }
}
