//! A simulated GPMC backup (`IGPMGPO::Backup`) tracked end to end by the state machine.
//!
//! A "server" thread plays GPMC: it backs up a GPO with six client-side extensions, one
//! `Status` call per extension, with a warning message on the way, and delivers the
//! `IGPMBackup` on the completing call. The main thread is the client: it feeds every call to
//! the state machine and prints progress, messages, anomalies and the outcome.
//!
//! ```text
//! cargo run --example backup                 # succeeds
//! cargo run --example backup -- --fail-at 4  # fails with E_ACCESSDENIED at extension 4
//! cargo run --example backup -- --cancel-at 2
//! ```

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gpmc_progress::{
    Event, HResult, Input, OperationKind, OutcomeKind, ResultDescription, Rules, StatusCall,
    StatusMachine, StatusMessage,
};

const EXTENSIONS: [&str; 6] = [
    "Registry",
    "Security",
    "Scripts",
    "Folder Redirection",
    "Software Installation",
    "Internet Explorer Maintenance",
];

/// What the simulated run should do.
#[derive(Clone, Copy, Default)]
struct Plan {
    fail_at: Option<i32>,
    cancel_at: Option<i32>,
}

fn parse_args() -> Result<Plan, String> {
    let mut plan = Plan::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut step = |name: &str| -> Result<i32, String> {
            let value = args
                .next()
                .ok_or_else(|| format!("{name} needs a step number"))?;
            match value.parse::<i32>() {
                Ok(step) if (1..=EXTENSIONS.len() as i32).contains(&step) => Ok(step),
                _ => Err(format!(
                    "{name} takes a step from 1 to {}, not `{value}`",
                    EXTENSIONS.len()
                )),
            }
        };
        match arg.as_str() {
            "--fail-at" => plan.fail_at = Some(step("--fail-at")?),
            "--cancel-at" => plan.cancel_at = Some(step("--cancel-at")?),
            other => {
                return Err(format!(
                    "unknown argument `{other}` (use --fail-at N or --cancel-at N)"
                ))
            }
        }
    }
    Ok(plan)
}

/// The simulated GPMC server: one `Status` call per extension, as a conforming server
/// would make them, ending with numerator == denominator whatever happens.
fn serve(plan: Plan, inputs: mpsc::Sender<Input>, cancelled: mpsc::Receiver<()>) {
    let total = EXTENSIONS.len() as i32;
    let send = |input: Input| inputs.send(input).is_ok();
    if !send(StatusCall::progress(0, total).into()) {
        return;
    }
    for (index, extension) in EXTENSIONS.iter().enumerate() {
        thread::sleep(Duration::from_millis(250));
        let done = index as i32 + 1;
        if cancelled.try_recv().is_ok() {
            send(
                StatusCall::progress(total, total)
                    .with_hr(HResult::ERROR_CANCELLED)
                    .into(),
            );
            return;
        }
        if plan.fail_at == Some(done) {
            let message = StatusMessage::new(format!("could not read the {extension} settings"))
                .with_error_code(HResult::E_ACCESSDENIED)
                .with_extension_name(*extension)
                .with_object_path("cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies");
            send(
                StatusCall::progress(total, total)
                    .with_hr(HResult::E_ACCESSDENIED)
                    .with_messages(vec![message])
                    .into(),
            );
            return;
        }
        let mut call = StatusCall::progress(done, total);
        if *extension == "Scripts" {
            call = call.with_messages(vec![StatusMessage::new(
                "a logon script path points outside SYSVOL and was backed up as is",
            )
            .with_extension_name(*extension)
            .with_settings_name("Logon")]);
        }
        if done == total {
            call = call.with_result(ResultDescription::Backup {
                id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
                gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
                directory: Some(r"C:\Backups".into()),
                comment: Some("nightly".into()),
            });
        }
        if !send(call.into()) {
            return;
        }
    }
}

fn main() -> ExitCode {
    let plan = match parse_args() {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("backup: {message}");
            return ExitCode::from(2);
        }
    };
    println!("backing up the Default Domain Policy (IGPMGPO::Backup, simulated)");

    let (to_client, from_server) = mpsc::channel();
    let (cancel_server, cancel_requests) = mpsc::channel();
    let server = thread::spawn(move || serve(plan, to_client, cancel_requests));

    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::documented());
    for input in from_server {
        if let Err(violation) = machine.handle(input) {
            println!("  rejected: {violation}");
        }
        while let Some(event) = machine.poll_event() {
            match event {
                Event::Progress(progress) => {
                    let filled = usize::from(progress.percent()) / 5;
                    println!(
                        "  [{}{}] {:>3}% ({progress})",
                        "#".repeat(filled),
                        ".".repeat(20 - filled),
                        progress.percent()
                    );
                    let step = progress.numerator();
                    if plan.cancel_at == Some(step) && machine.handle_cancel() {
                        // The client calls IGPMAsyncCancel::Cancel; the server sees it later.
                        let _ = cancel_server.send(());
                    }
                }
                Event::Message(message) => println!(
                    "  message from {}: {} ({})",
                    message.extension_name, message.message, message.error_code
                ),
                Event::Anomaly(anomaly) => println!("  anomaly: {anomaly}"),
                Event::CancelRequested => println!("  cancel requested"),
                Event::Finished(kind) => println!("  finished: {kind}"),
                _ => {}
            }
        }
    }
    let _ = server.join();

    let Some(outcome) = machine.into_outcome() else {
        println!("the server stopped without a finishing Status call");
        return ExitCode::FAILURE;
    };
    println!("outcome: {outcome}");
    if let Some(ResultDescription::Backup { id, directory, .. }) = outcome.result() {
        println!(
            "backup {} in {}",
            id.as_deref().unwrap_or("(no id)"),
            directory.as_deref().unwrap_or("(no directory)")
        );
    }
    println!("{} message(s) collected", outcome.messages().len());
    match outcome.kind() {
        OutcomeKind::Succeeded => ExitCode::SUCCESS,
        OutcomeKind::Failed | OutcomeKind::Cancelled => ExitCode::FAILURE,
    }
}
