//! `gpmc-trace check`: the verdicts and exit statuses of the `gpmc_progress` crate docs'
//! "Checking traces" section.

use std::ffi::OsString;
use std::io::{self, BufReader, LineWriter, Write};

use gpmc_progress::trace::{replay, replay_file, TraceErrorKind, Verdict};
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
        let verdict = if file == "-" {
            replay(
                BufReader::with_capacity(64 * 1024, io::stdin().lock()),
                rules,
            )
        } else {
            replay_file(file, rules)
        };
        if let Verdict::Error(error) = &verdict {
            if matches!(
                error.kind,
                TraceErrorKind::Open { .. } | TraceErrorKind::Io(_)
            ) {
                eprintln!("gpmc-trace: {name}: {error}");
            }
        }
        codes.push(verdict.exit_code());
        writeln!(stdout, "{}", verdict.to_json(&name))?;
    }
    Ok(Verdict::combined_exit_code(codes))
}
