//! Client code written once against a `live::Tracker`, run here against the live simulated
//! GPMC server (`simulate::Simulation::serve`) on any OS.
//!
//! `follow` is what a client program would write: it draws the progress, prints the
//! messages, asks to cancel when the user does (here: at a chosen percentage), and says how
//! the operation ended, whatever the server does. On Windows the same function follows a
//! real `IGPMGPO::Backup`; here a simulated server on its own thread drives the tracker.
//!
//! ```text
//! cargo run --features live --example live_backup                        # succeeds
//! cargo run --features live --example live_backup -- --fail-at 3         # fails at step 3
//! cargo run --features live --example live_backup -- --cancel-at 50      # the user cancels at 50%
//! cargo run --features live --example live_backup -- --break numerator-decreased --strict
//! cargo run --features live --example live_backup -- --let-go-at 2       # the server goes away
//! ```

use std::process::ExitCode;
use std::time::Duration;

use gpmc_progress::live::{CancelRequest, TrackError, Tracker, Update};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{Event, HResult, OperationKind, OperationOutcome, OutcomeKind, Rule, Rules};

/// The client's code: draws and prints what the tracker reports, cancels once progress
/// reaches `cancel_at` percent, and returns how the operation ended as an exit status.
fn follow(
    tracker: &Tracker,
    cancel_at: Option<u8>,
    cancel: &dyn Fn() -> CancelRequest,
) -> ExitCode {
    let mut updates = tracker.updates();
    let mut asked = false;
    loop {
        // The next update, or the next tick of a user interface (20 ms).
        let update = match updates.next_timeout(Duration::from_millis(20)) {
            Ok(update) => update,
            Err(_) => continue,
        };
        match update {
            Update::Event(Event::Progress(progress)) => {
                let percent = progress.percent();
                let filled = usize::from(percent) / 5;
                println!(
                    "  [{}{}] {percent:>3}% ({progress})",
                    "#".repeat(filled),
                    ".".repeat(20 - filled)
                );
                if !asked && cancel_at.is_some_and(|at| percent >= at) {
                    asked = true;
                    println!("  the user asks to cancel");
                    if !cancel().in_time() {
                        println!("  too late: the operation had ended");
                    }
                }
            }
            Update::Event(Event::CancelRequested) => {
                println!("  cancel requested: waiting for the server")
            }
            // The last update: how the operation ended.
            Update::End(end) => return exit_status(end),
            // A message, an anomaly, an issue or a fault, in words.
            update => println!("  {update}"),
        }
    }
}

/// Prints the end and turns it into an exit status.
fn exit_status(end: Result<OperationOutcome, TrackError>) -> ExitCode {
    match end {
        Ok(outcome) => {
            println!("outcome: {outcome}");
            println!("{} message(s) collected", outcome.messages().len());
            match outcome.kind() {
                OutcomeKind::Succeeded => ExitCode::SUCCESS,
                OutcomeKind::Failed | OutcomeKind::Cancelled => ExitCode::FAILURE,
            }
        }
        Err(TrackError::Violation(violation)) => {
            println!("the server broke the protocol: {violation}");
            ExitCode::FAILURE
        }
        Err(error) => {
            println!("no outcome: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the simulated server and the simulated user do.
struct Options {
    simulation: Simulation,
    rules: Rules,
    cancel_at: Option<u8>,
}

fn parse_args() -> Result<Options, String> {
    let mut simulation = Simulation::new(OperationKind::GpoBackup)
        .extensions(6)
        .warning_at(2)
        .seed(2)
        .pace(Duration::from_millis(250));
    let mut rules = Rules::documented();
    let mut cancel_at = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, text: String| {
            text.parse::<u32>()
                .map_err(|_| format!("{name} takes a whole number, not `{text}`"))
        };
        match arg.as_str() {
            "--fail-at" => {
                let step = number("--fail-at", value("--fail-at")?)?;
                simulation = simulation.fail_at(step, HResult::E_ACCESSDENIED);
            }
            "--cancel-at" => {
                let percent = number("--cancel-at", value("--cancel-at")?)?;
                cancel_at = Some(u8::try_from(percent.min(100)).unwrap_or(100));
            }
            "--break" => {
                let text = value("--break")?;
                let rule: Rule = text.parse().map_err(|e| format!("--break: {e}"))?;
                simulation = simulation.break_rule(rule);
            }
            "--let-go-at" => {
                let step = number("--let-go-at", value("--let-go-at")?)?;
                simulation = simulation.let_go_at(step);
            }
            "--pace-ms" => {
                let ms = number("--pace-ms", value("--pace-ms")?)?;
                simulation = simulation.pace(Duration::from_millis(u64::from(ms)));
            }
            "--strict" => rules = Rules::strict(),
            other => {
                return Err(format!(
                    "unknown argument `{other}` (use --fail-at K, --cancel-at PERCENT, \
                     --break RULE, --let-go-at K, --pace-ms MS, --strict)"
                ))
            }
        }
    }
    Ok(Options {
        simulation,
        rules,
        cancel_at,
    })
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("live_backup: {message}");
            return ExitCode::from(2);
        }
    };
    println!("backing up a GPO (IGPMGPO::Backup, simulated server on its own thread)");
    let tracker = Tracker::builder(OperationKind::GpoBackup)
        .rules(options.rules)
        .build();
    let server = match options.simulation.serve(&tracker) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("live_backup: {error}");
            return ExitCode::from(2);
        }
    };
    let handle = server.cancel_handle();
    let code = follow(&tracker, options.cancel_at, &|| handle.cancel());
    server.join();
    code
}
