//! Backs up a real GPO asynchronously through GPMC, on Windows with the Group Policy
//! Management Console installed (RSAT): looks the GPO up by its ID (`{GUID}`) or its display
//! name with `com::Gpm`, starts the typed entry point `GpoExt::backup`, prints progress and
//! messages as they come, cancels on Ctrl-C (the `ctrlc` crate calls the handler on a
//! thread of its own: the operation crosses threads), records the trace for
//! `gpmc-trace check`, and says where the backup went, all in safe Rust.
//!
//! ```text
//! cargo run --features com --example com_backup -- corp.example "Default Domain Policy" C:\Backups [trace.jsonl]
//! ```

#[cfg(windows)]
fn main() -> std::process::ExitCode {
    match backup::run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example drives GPMC and runs on Windows only");
}

#[cfg(windows)]
mod backup {
    use std::error::Error;
    use std::fs::File;
    use std::process::ExitCode;

    use gpmc_progress::com::{Gpm, GpoExt};
    use gpmc_progress::live::{Notification, Update};
    use gpmc_progress::{HResult, OutcomeKind};

    pub fn run() -> Result<ExitCode, Box<dyn Error>> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [domain, gpo, directory, rest @ ..] = args.as_slice() else {
            eprintln!("usage: com_backup DOMAIN GPO-ID-OR-NAME BACKUP-DIR [TRACE-FILE]");
            return Ok(ExitCode::from(2));
        };
        let trace_path = rest
            .first()
            .map_or("gpo-backup.trace.jsonl", String::as_str);

        // COM in the multithreaded apartment for this thread, and GPMC's root object.
        let gpm = match Gpm::new() {
            Ok(gpm) => gpm,
            Err(error) => {
                let code = HResult::from(error.code());
                eprintln!(
                    "creating GPMgmt.GPM failed ({code:#}): is the Group Policy Management Console installed?"
                );
                return Ok(ExitCode::from(2));
            }
        };
        let in_domain = gpm
            .domain(domain, None)
            .map_err(|e| format!("opening the domain {domain} failed ({e})"))?;
        let found = if gpo.starts_with('{') {
            Gpm::gpo(&in_domain, gpo).map_err(|e| format!("finding the GPO {gpo} failed ({e})"))?
        } else {
            match gpm.gpos_named(&in_domain, gpo)?.as_slice() {
                [one] => one.clone(),
                found => return Err(format!("{} GPOs are named {gpo:?}", found.len()).into()),
            }
        };

        let operation = found
            .backup(directory, "backed up by gpmc-progress")
            .observer(|notification| match notification {
                // Progress, messages, anomalies, issues, faults and the end, in words.
                Notification::Update(update @ Update::Fault(_)) => eprintln!("{update}"),
                Notification::Update(update) => println!("{update}"),
                // What the server did after the end.
                Notification::Late(late) => eprintln!("{late}"),
                _ => {}
            })
            .record(File::create(trace_path)?)
            .start()?;
        // Ctrl-C: the handler runs on a thread of its own; the operation crosses threads.
        let canceller = operation.clone();
        ctrlc::set_handler(move || {
            println!("cancelling...");
            let request = canceller.cancel();
            if !request.in_time() {
                eprintln!("cancel: {request}");
            }
        })?;
        println!("backing up {gpo} to {directory} (Ctrl-C cancels); trace: {trace_path}");

        match operation.wait() {
            Ok(outcome) => {
                println!("outcome: {outcome}");
                if let Some(backup) = outcome.result() {
                    // Plain data: the backup's ID, the GPO's, the directory and the comment.
                    println!("result: {}", backup.description());
                }
                Ok(match outcome.kind() {
                    OutcomeKind::Succeeded => ExitCode::SUCCESS,
                    OutcomeKind::Failed | OutcomeKind::Cancelled => ExitCode::from(1),
                })
            }
            Err(error) => {
                eprintln!("{error}");
                Ok(ExitCode::from(1))
            }
        }
    }
}
