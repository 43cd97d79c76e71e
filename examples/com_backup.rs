//! Backs up a real GPO asynchronously through GPMC, on Windows with the Group Policy
//! Management Console installed (RSAT), with the typed entry point `GpoExt::backup`: prints
//! progress and messages as they come, cancels on Ctrl-C (from the handler's own thread), and
//! records the trace for `gpmc-trace check`.
//!
//! ```text
//! cargo run --features com --example com_backup -- corp.example {31B2F340-016D-11D2-945F-00C04FB984F9} C:\Backups [trace.jsonl]
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
    use std::sync::OnceLock;

    use gpmc_progress::com::{GpoExt, Operation, ResultObject};
    use gpmc_progress::live::{Notification, Update};
    use gpmc_progress::OutcomeKind;
    use windows::Win32::System::Com::{
        CoCreateInstance, CoInitializeEx, CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED,
    };
    use windows::Win32::System::Console::SetConsoleCtrlHandler;
    use windows::Win32::System::GroupPolicy::{IGPMBackup, GPM, IGPM};
    use windows_core::{BOOL, BSTR};

    /// The running backup, for the Ctrl-C handler (which Windows runs on a thread of its
    /// own): an `Operation` is `Send + Sync` and cancels from any thread.
    static OPERATION: OnceLock<Operation<ResultObject<IGPMBackup>>> = OnceLock::new();

    unsafe extern "system" fn on_ctrl_c(_ctrl_type: u32) -> BOOL {
        // Nothing may unwind out of the handler.
        let _ = std::panic::catch_unwind(|| {
            if let Some(operation) = OPERATION.get() {
                println!("cancelling...");
                let request = operation.cancel();
                if !request.in_time() {
                    eprintln!("cancel: {request}");
                }
            }
        });
        BOOL(1)
    }

    pub fn run() -> Result<ExitCode, Box<dyn Error>> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [domain, gpo_id, directory, rest @ ..] = args.as_slice() else {
            eprintln!("usage: com_backup DOMAIN {{GPO-GUID}} BACKUP-DIR [TRACE-FILE]");
            return Ok(ExitCode::from(2));
        };
        let trace_path = rest
            .first()
            .map_or("gpo-backup.trace.jsonl", String::as_str);

        // SAFETY: initialises COM for this thread once; it stays initialised until exit.
        unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) }.ok()?;
        // SAFETY: registers a handler function that only reads a OnceLock and cancels.
        unsafe { SetConsoleCtrlHandler(Some(on_ctrl_c), true) }?;

        // SAFETY: plain COM calls on interfaces this thread created.
        let gpo = unsafe {
            let gpm: IGPM = CoCreateInstance(&GPM, None, CLSCTX_INPROC_SERVER).map_err(|e| {
                format!("creating GPMgmt.GPM failed ({e}): is the Group Policy Management Console installed?")
            })?;
            let constants = gpm.GetConstants()?;
            let domain = gpm
                .GetDomain(
                    &BSTR::from(domain.as_str()),
                    &BSTR::new(),
                    constants.UsePDC()?,
                )
                .map_err(|e| format!("opening the domain {domain} failed ({e})"))?;
            domain
                .GetGPO(&BSTR::from(gpo_id.as_str()))
                .map_err(|e| format!("finding the GPO {gpo_id} failed ({e})"))?
        };

        let operation = gpo
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
        let operation = OPERATION.get_or_init(|| operation);
        println!("backing up {gpo_id} to {directory} (Ctrl-C cancels); trace: {trace_path}");

        let end = operation.wait();
        match end {
            Ok(outcome) => {
                println!("outcome: {outcome}");
                if let Some(backup) = outcome.result() {
                    println!("result: {}", backup.description());
                    // The live IGPMBackup, valid on this thread.
                    let backup = backup.interface()?;
                    // SAFETY: a property getter of a live IGPMBackup.
                    println!("backup id: {}", unsafe { backup.ID() }?);
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
