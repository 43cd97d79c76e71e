//! Backs up a real GPO asynchronously through GPMC, on Windows with the Group Policy
//! Management Console installed (RSAT): prints progress and messages as they come, cancels on
//! Ctrl-C, and records the trace for `gpmc-trace check`.
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
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use gpmc_progress::com::ProgressSink;
    use gpmc_progress::live::Update;
    use gpmc_progress::{Event, OperationKind, OutcomeKind};
    use windows::Win32::System::Com::{
        CoCreateInstance, CoInitializeEx, CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED,
    };
    use windows::Win32::System::Console::SetConsoleCtrlHandler;
    use windows::Win32::System::GroupPolicy::{GPM, IGPM};
    use windows::Win32::System::Variant::VARIANT;
    use windows_core::{BOOL, BSTR};

    /// Set by the Ctrl-C handler (which Windows runs on a thread of its own); the main thread
    /// turns it into a cancel request, since GPMC's cancel interface stays on this thread.
    static CTRL_C: AtomicBool = AtomicBool::new(false);

    unsafe extern "system" fn on_ctrl_c(_ctrl_type: u32) -> BOOL {
        CTRL_C.store(true, Ordering::SeqCst);
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
        // SAFETY: registers a handler function that only stores to an atomic.
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

        let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
            .observer(|notification| {
                for update in notification.updates() {
                    match update {
                        Update::Event(Event::Progress(progress)) => {
                            println!("progress {progress} ({}%)", progress.percent());
                        }
                        Update::Event(Event::Message(message)) => println!(
                            "message [{}] {}: {} ({})",
                            message.extension_name,
                            message.object_path,
                            message.message,
                            message.error_code
                        ),
                        Update::Event(Event::Anomaly(anomaly)) => println!("anomaly: {anomaly}"),
                        Update::Violation(violation) => println!("protocol violation: {violation}"),
                        Update::Issue { call, issue } => println!("call {call}: {issue}"),
                        Update::Fault(fault) => eprintln!("sink: {fault}"),
                        _ => {}
                    }
                }
            })
            .record(File::create(trace_path)?)
            .build()
            .into();

        let progress = sink.to_variant();
        let mut cancel = VARIANT::default();
        let comment = BSTR::from("backed up by gpmc-progress");
        // SAFETY: `progress` and `cancel` are valid VARIANTs that outlive the call.
        let started = unsafe {
            gpo.Backup(
                &BSTR::from(directory.as_str()),
                &comment,
                &progress,
                &mut cancel,
            )
        };
        // `progress` still holds a reference here, so a failed start is told before the
        // sink is let go (the end is set once).
        sink.started(started)?;
        let cancel = sink.cancel_handle(&cancel)?;
        drop(progress);
        println!("backing up {gpo_id} to {directory} (Ctrl-C cancels); trace: {trace_path}");

        let mut cancel_sent = false;
        let end = loop {
            if let Some(end) = sink.wait_timeout(Duration::from_millis(200)) {
                break end;
            }
            if CTRL_C.load(Ordering::SeqCst) && !cancel_sent {
                cancel_sent = true;
                println!("cancelling...");
                if let Err(error) = cancel.cancel() {
                    eprintln!("cancel failed: {error}");
                }
            }
        };
        match end {
            Ok(outcome) => {
                println!("{outcome}");
                if let Some(result) = outcome.result() {
                    println!("result: {:?}", result.description());
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
