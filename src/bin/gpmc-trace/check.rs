//! `gpmc-trace check`: contract section 6.

use std::ffi::OsString;
use std::io::{self, BufReader, Write};

use gpmc_progress::trace::{replay, replay_file, TraceErrorKind, Verdict};
use gpmc_progress::{Preset, Rules};

/// Checks every file in order, prints one verdict line each, returns the exit status.
pub fn run(preset: Preset, files: &[OsString]) -> u8 {
    let rules = Rules::preset(preset);
    let mut stdout = io::stdout().lock();
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
        if let Err(error) = writeln!(stdout, "{}", verdict.to_json(&name)) {
            eprintln!("gpmc-trace: cannot write to standard output: {error}");
            return 2;
        }
    }
    if let Err(error) = stdout.flush() {
        eprintln!("gpmc-trace: cannot write to standard output: {error}");
        return 2;
    }
    Verdict::combined_exit_code(codes)
}
