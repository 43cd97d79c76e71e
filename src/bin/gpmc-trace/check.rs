//! `gpmc-trace check`: the verdicts of the `gpmc_progress` crate docs' "Checking traces"
//! section, as JSON lines or as diagnostics for people, and the command's exit statuses.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, LineWriter, Write};
use std::path::Path;

use gpmc_progress::trace::{replay, TraceErrorKind, TraceReadError, Verdict};
use gpmc_progress::{Preset, Rules};

use crate::diagnostic::Human;
use crate::exit::Status;
use crate::output::{self, StandardOutput};
use crate::tap::LineTap;
use crate::{Format, OutputOptions};

/// Checks every file in order, writes each verdict, returns the exit status (2 when
/// standard output cannot be written: a verdict must not be lost silently).
pub fn run(preset: Preset, options: &OutputOptions, files: &[OsString]) -> u8 {
    let human = match Format::or_by_terminal(options.format) {
        Format::Json => None,
        Format::Human => Some(Human::for_stdout(options.color)),
    };
    let written = StandardOutput::open().and_then(|stdout| {
        let mut stdout = LineWriter::new(stdout);
        let status = check(Rules::preset(preset), human, files, &mut stdout)?;
        stdout.flush()?;
        Ok(status)
    });
    written.unwrap_or_else(|error| output::failed(&error))
}

/// Checks the files, writing each verdict as soon as it is known; the first failed write
/// stops the checking.
fn check(
    rules: Rules,
    human: Option<Human>,
    files: &[OsString],
    stdout: &mut impl Write,
) -> io::Result<u8> {
    let mut statuses = Vec::with_capacity(files.len());
    for file in files {
        match human {
            None => {
                let name = file.to_string_lossy();
                let verdict = if file == "-" {
                    replay(
                        BufReader::with_capacity(64 * 1024, io::stdin().lock()),
                        rules,
                    )
                } else {
                    match File::open(file) {
                        Ok(opened) => replay(BufReader::with_capacity(64 * 1024, opened), rules),
                        Err(source) => unopened(Path::new(file), source),
                    }
                };
                report_io_error(&name, &verdict);
                statuses.push(Status::of_verdict(&verdict));
                writeln!(stdout, "{}", verdict.to_json(&name))?;
            }
            Some(human) => {
                // The diagnostic quotes the line where reading stopped, and says what an
                // I/O error is (standard error repeats nothing).
                let (verdict, line) = if file == "-" {
                    quoting(
                        BufReader::with_capacity(64 * 1024, io::stdin().lock()),
                        rules,
                    )
                } else {
                    match File::open(file) {
                        Ok(opened) => quoting(BufReader::with_capacity(64 * 1024, opened), rules),
                        Err(source) => (unopened(Path::new(file), source), None),
                    }
                };
                statuses.push(Status::of_verdict(&verdict));
                let name = crate::human_name(file);
                write!(
                    stdout,
                    "{}",
                    human.verdict(&name, &verdict, line.as_deref())
                )?;
            }
        }
    }
    Ok(Status::combined(statuses).code())
}

/// The verdict of a trace and the text of the line it names (where reading stopped).
fn quoting(input: impl BufRead, rules: Rules) -> (Verdict, Option<Vec<u8>>) {
    let mut tap = LineTap::new(input);
    let verdict = replay(&mut tap, rules);
    let line = match &verdict {
        Verdict::Violation { line, .. } => Some(*line),
        Verdict::Error(error) => error.line,
        _ => None,
    };
    let text = line.and_then(|line| tap.line(line)).map(<[u8]>::to_vec);
    (verdict, text)
}

/// The verdict of a file that cannot be opened: an error no line is to blame for.
fn unopened(path: &Path, source: io::Error) -> Verdict {
    Verdict::Error(TraceReadError::unplaced(TraceErrorKind::Open {
        path: path.display().to_string(),
        source,
    }))
}

/// Describes an I/O error on standard error too (JSON verdicts are for programs).
fn report_io_error(name: &str, verdict: &Verdict) {
    if let Verdict::Error(error) = verdict {
        match error.kind {
            // The message names the file.
            TraceErrorKind::Open { .. } => {
                eprintln!("gpmc-trace: {}", error.message_and_sources())
            }
            TraceErrorKind::Io(_) => {
                eprintln!("gpmc-trace: {name}: {}", error.message_and_sources())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unopened_file_is_an_error_no_line_is_to_blame_for() {
        let path = Path::new("/nonexistent/trace.jsonl");
        let source = File::open(path).unwrap_err();
        let json = unopened(path, source).to_json("t");
        assert!(
            json.starts_with(
                r#"{"file":"t","verdict":"error","line":null,"message":"cannot open `/nonexistent/trace.jsonl`: "#
            ),
            "{json}"
        );
    }

    #[test]
    fn the_quoted_line_is_where_reading_stopped() {
        let trace = "{\"event\":\"status\",\"numerator\":1,\"denominator\":2}\r\n\n\
                     {\"event\":\"status\",\"numerator\":3,\"denominator\":2}\n\
                     {\"event\":\"status\",\"numerator\":2,\"denominator\":2}\n";
        let (verdict, line) = quoting(trace.as_bytes(), Rules::strict());
        assert!(matches!(verdict, Verdict::Violation { line: 3, .. }));
        assert_eq!(
            line.as_deref(),
            Some(&b"{\"event\":\"status\",\"numerator\":3,\"denominator\":2}"[..])
        );
        let (verdict, line) = quoting(
            &b"{\"event\":\"status\",\"numerator\":1}"[..],
            Rules::strict(),
        );
        assert!(matches!(verdict, Verdict::Error(_)));
        assert_eq!(
            line.as_deref(),
            Some(&b"{\"event\":\"status\",\"numerator\":1}"[..])
        );
        let (_, line) = quoting(&trace.as_bytes()[..50], Rules::strict());
        assert_eq!(line, None, "an incomplete trace names no line");
    }
}
