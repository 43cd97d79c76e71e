//! `gpmc-trace check`: the verdicts of the `gpmc_progress` crate docs' "Checking traces"
//! section, and the command's exit statuses.

use std::ffi::OsString;
use std::io::{self, BufReader, LineWriter, Write};

use gpmc_progress::trace::{check as check_trace, check_file, TraceErrorKind, Verdict};
use gpmc_progress::{Preset, Rules};

use crate::output::{self, StandardOutput};

/// Checks every file in order, prints one verdict line each, returns the exit status (2
/// when standard output cannot be written: a verdict must not be lost silently).
pub fn run(preset: Preset, files: &[OsString]) -> u8 {
    let written = StandardOutput::open().and_then(|stdout| {
        let mut stdout = LineWriter::new(stdout);
        let code = check(preset, files, &mut stdout)?;
        stdout.flush()?;
        Ok(code)
    });
    written.unwrap_or_else(|error| output::failed(&error))
}

/// Checks the files, writing each verdict as soon as it is known; the first failed write
/// stops the checking.
fn check(preset: Preset, files: &[OsString], stdout: &mut impl Write) -> io::Result<u8> {
    let rules = Rules::preset(preset);
    let mut codes = Vec::with_capacity(files.len());
    for file in files {
        let name = file.to_string_lossy();
        // The verdict line shows no message: none is kept.
        let verdict = if file == "-" {
            check_trace(
                BufReader::with_capacity(64 * 1024, io::stdin().lock()),
                rules,
            )
        } else {
            check_file(file, rules)
        };
        if let Verdict::Error(error) = &verdict {
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
        codes.push(exit_code(&verdict));
        writeln!(stdout, "{}", verdict.to_json(&name))?;
    }
    Ok(combined_exit_code(codes))
}

/// The exit status for one verdict: 0 complete, 1 violation, 3 incomplete, 2 error.
fn exit_code(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Finished { .. } => 0,
        Verdict::Violation { .. } => 1,
        Verdict::Unfinished { .. } => 3,
        // An error, and any verdict a later version adds, until it has its own status.
        _ => 2,
    }
}

/// The exit status for several verdicts: 2 if any is 2, else 1 if any is 1, else 3 if any
/// is 3, else 0 (also for none).
fn combined_exit_code(codes: impl IntoIterator<Item = u8>) -> u8 {
    let rank = |code: u8| match code {
        2 => 3,
        1 => 2,
        3 => 1,
        _ => 0,
    };
    codes
        .into_iter()
        .max_by_key(|code| rank(*code))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_exit_code_is_the_worst_in_the_order_2_1_3_0() {
        assert_eq!(combined_exit_code([]), 0);
        assert_eq!(combined_exit_code([0, 0]), 0);
        assert_eq!(combined_exit_code([0, 3, 1, 0]), 1);
        assert_eq!(combined_exit_code([3, 0]), 3);
        assert_eq!(combined_exit_code([1, 2]), 2);
        assert_eq!(combined_exit_code([2, 3, 1, 0]), 2);
    }

    #[test]
    fn exit_code_of_each_verdict() {
        let rules = Rules::preset(Preset::Strict);
        for (trace, code) in [
            (
                "{\"event\":\"status\",\"numerator\":1,\"denominator\":1}",
                0,
            ),
            (
                "{\"event\":\"status\",\"numerator\":2,\"denominator\":1}",
                1,
            ),
            (
                "{\"event\":\"status\",\"numerator\":0,\"denominator\":1}",
                3,
            ),
            ("{\"event\":\"status\"}", 2),
        ] {
            assert_eq!(
                exit_code(&check_trace(trace.as_bytes(), rules)),
                code,
                "{trace}"
            );
        }
    }
}
