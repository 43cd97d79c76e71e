//! `gpmc-trace demo`: the live simulated server on its own thread, tracked by the engine; the
//! main thread draws what the engine's observer hands it, as a Windows program would.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::{Event, OperationOutcome, OutcomeKind, ProgressFraction, Rules, StatusMessage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::DemoArgs;

/// Where the demo shows what happens: a live progress bar on a terminal, plain lines
/// otherwise.
enum Display {
    Bar(ProgressBar),
    Plain(io::StdoutLock<'static>),
}

impl Display {
    fn line(&mut self, text: &str) {
        match self {
            Display::Bar(bar) => bar.println(text),
            Display::Plain(out) => {
                // A closed standard output only loses the demo's display.
                let _ = writeln!(out, "{text}");
            }
        }
    }

    fn progress(&mut self, progress: ProgressFraction) {
        let text = format!("{progress} ({}%)", progress.percent());
        match self {
            Display::Bar(bar) => {
                // 0/0 is complete: show a full bar.
                let (position, length) = match progress.denominator() {
                    0 => (1, 1),
                    d => (progress.numerator() as u64, d as u64),
                };
                bar.set_length(length);
                bar.set_position(position);
                bar.set_message(text);
            }
            Display::Plain(_) => self.line(&format!("progress {text}")),
        }
    }

    /// Leaves the bar where it stands; what follows is printed below it, as plain lines.
    fn finish(&mut self) {
        if let Display::Bar(bar) = self {
            bar.abandon();
            *self = Display::Plain(io::stdout().lock());
        }
    }
}

pub fn run(args: &DemoArgs) -> u8 {
    let (simulation, seed) = args.options.simulation(args.operation);
    let mut simulation = simulation
        .pace(Duration::from_millis(args.delay_ms))
        .overlapping(args.two_threads);
    if let Some(hr) = args.fail_to_start {
        simulation = simulation.fail_to_start(hr);
    }
    if let Some(step) = args.let_go_at {
        simulation = simulation.let_go_at(step);
    }
    let extensions = simulation.extension_count();

    // The client's side, as a Windows program has it: the engine calls the observer on the
    // server's thread, and the observer hands the updates to the main thread, which draws.
    let (to_main, from_server) = mpsc::channel::<Vec<Update>>();
    let tracker = Tracker::builder(args.operation)
        .rules(Rules::preset(args.rules))
        .observer(move |notification| {
            // The main thread may have stopped listening (it exits at a violation).
            let _ = to_main.send(notification.updates().to_vec());
        })
        .build();

    // Ctrl-C is the client's cancel; a second one exits at once.
    let interrupts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&interrupts);
    if let Err(error) = ctrlc::set_handler(move || {
        if counted.fetch_add(1, Ordering::SeqCst) >= 1 {
            std::process::exit(130);
        }
    }) {
        eprintln!("gpmc-trace: Ctrl-C cannot cancel the operation: {error}");
    }

    let server = match simulation.serve(&tracker) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("gpmc-trace: {error}");
            return 2;
        }
    };
    let cancel = server.cancel_handle();

    let mut display = if io::stdout().is_terminal() {
        let bar = ProgressBar::with_draw_target(
            Some(extensions.max(1) as u64),
            ProgressDrawTarget::stdout(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{bar:40.cyan/blue}] {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(args.operation.gpmc_method());
        bar.set_message("waiting for the first Status call");
        bar.enable_steady_tick(Duration::from_millis(100));
        Display::Bar(bar)
    } else {
        Display::Plain(io::stdout().lock())
    };
    display.line(&format!(
        "{} ({}), {} extensions, rules {}, seed {seed}",
        args.operation.gpmc_method(),
        args.operation,
        extensions,
        args.rules,
    ));

    let mut interrupted = false;
    let mut shown = None;
    loop {
        match from_server.recv_timeout(Duration::from_millis(50)) {
            Ok(updates) => {
                for update in updates {
                    if let Update::Violation(violation) = update {
                        display.finish();
                        display.line(&format!(
                            "violation: {violation} (rule {})",
                            violation.rule()
                        ));
                        return 1;
                    }
                    if let Update::Event(Event::Progress(progress)) = update {
                        // A repeated fraction (the second thread's) shows nothing new.
                        if shown.replace(progress) == Some(progress) {
                            continue;
                        }
                    }
                    show(&update, interrupted, &mut display);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The server let go of the operation: nothing more can come.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if !interrupted && interrupts.load(Ordering::SeqCst) > 0 {
            interrupted = true;
            display.line("client: IGPMAsyncCancel::Cancel (Ctrl-C)");
            if !cancel.cancel() {
                display.line("the operation had already ended");
            }
        }
    }
    display.finish();
    match tracker.wait() {
        Ok(outcome) => {
            report(&outcome, tracker.snapshot().anomalies().len(), &mut display);
            0
        }
        Err(TrackError::Violation(violation)) => {
            display.line(&format!(
                "violation: {violation} (rule {})",
                violation.rule()
            ));
            1
        }
        Err(error) => {
            display.line(&format!("no outcome: {error}"));
            3
        }
    }
}

/// Shows one update of the engine.
fn show(update: &Update, interrupted: bool, display: &mut Display) {
    match update {
        Update::Event(event) => match event {
            Event::Progress(progress) => display.progress(*progress),
            Event::Message(message) => display.line(&describe(message)),
            Event::Anomaly(anomaly) => display.line(&format!("anomaly: {anomaly}")),
            Event::CancelRequested => {
                if !interrupted {
                    // The cancel planned with --cancel-at.
                    display.line("client: IGPMAsyncCancel::Cancel");
                }
                display.line("cancel requested: waiting for the server");
            }
            Event::Finished(kind) => display.line(&format!("finished: {kind}")),
            _ => {}
        },
        Update::Issue { call, issue } => display.line(&format!("call {call}: {issue}")),
        Update::Fault(fault) => display.line(&format!("fault: {fault}")),
        _ => {}
    }
}

fn describe(message: &StatusMessage) -> String {
    let mut text = String::from("message");
    if !message.extension_name.is_empty() {
        text.push_str(&format!(" [{}]", message.extension_name));
    }
    text.push_str(&format!(" {}", message.error_code));
    if let Some(name) = message.error_code.name() {
        text.push_str(&format!(" {name}"));
    }
    text.push_str(&format!(": {}", message.message));
    text
}

fn report(outcome: &OperationOutcome, anomalies: usize, display: &mut Display) {
    let mut text = format!("outcome: {}", outcome.kind());
    if outcome.kind() != OutcomeKind::Succeeded {
        text.push_str(&format!(" with {}", outcome.hr()));
        if let Some(name) = outcome.hr().name() {
            text.push_str(&format!(" ({name})"));
        }
    }
    match outcome.result() {
        Some(result) => {
            let json = serde_json::to_string(result).unwrap_or_default();
            text.push_str(&format!("; result: {json}"));
        }
        None => text.push_str("; no result"),
    }
    let messages = outcome.messages().len();
    text.push_str(&format!(
        "; {messages} message{}, {anomalies} {}",
        if messages == 1 { "" } else { "s" },
        if anomalies == 1 {
            "anomaly"
        } else {
            "anomalies"
        }
    ));
    display.line(&text);
}
