//! `gpmc-trace demo`: a simulated operation tracked live through the state machine.

use std::io::{self, IsTerminal, LineWriter, Write};
use std::thread::sleep;
use std::time::Duration;

use gpmc_progress::trace::TraceEvent;
use gpmc_progress::{
    Event, OperationOutcome, OutcomeKind, ProgressFraction, Rules, StatusMachine, StatusMessage,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{self, StandardOutput};
use crate::DemoArgs;

/// Where the demo shows what happens: a live progress bar on a terminal, plain lines
/// otherwise (and below the bar once it is left). A plain line that cannot be written is an
/// error that ends the demo.
struct Display {
    bar: Option<ProgressBar>,
    out: LineWriter<StandardOutput>,
}

impl Display {
    fn line(&mut self, text: &str) -> io::Result<()> {
        match &self.bar {
            Some(bar) => {
                bar.println(text);
                Ok(())
            }
            None => writeln!(self.out, "{text}"),
        }
    }

    fn progress(&mut self, progress: ProgressFraction) -> io::Result<()> {
        let text = format!("{progress} ({}%)", progress.percent());
        match &self.bar {
            Some(bar) => {
                // 0/0 is complete: show a full bar.
                let (position, length) = match progress.denominator() {
                    0 => (1, 1),
                    d => (progress.numerator() as u64, d as u64),
                };
                bar.set_length(length);
                bar.set_position(position);
                bar.set_message(text);
                Ok(())
            }
            None => self.line(&format!("progress {text}")),
        }
    }

    /// Leaves the bar where it stands; what follows is printed below it, as plain lines.
    fn finish(&mut self) -> io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
            // The bar is drawn through std's `Stdout`: all of it before the plain lines.
            io::stdout().flush()?;
        }
        Ok(())
    }
}

pub fn run(args: &DemoArgs) -> u8 {
    let (events, extensions, seed) = match args.options.events(args.operation) {
        Ok(planned) => planned,
        Err(code) => return code,
    };
    let shown = StandardOutput::open().and_then(|out| {
        let mut display = Display {
            bar: None,
            out: LineWriter::new(out),
        };
        let code = show(args, events, extensions, seed, &mut display)?;
        display.finish()?;
        display.out.flush()?;
        Ok(code)
    });
    shown.unwrap_or_else(|error| output::failed(&error))
}

/// Runs the events through the state machine, showing what happens; returns the exit
/// status (0 finished, 1 violation, 3 not finished).
fn show(
    args: &DemoArgs,
    events: Vec<TraceEvent>,
    extensions: u32,
    seed: u64,
    display: &mut Display,
) -> io::Result<u8> {
    let rules = Rules::preset(args.rules);
    let delay = Duration::from_millis(args.delay_ms);
    let mut machine = StatusMachine::new(args.operation, rules);

    if io::stdout().is_terminal() {
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
        display.bar = Some(bar);
    }
    display.line(&format!(
        "{} ({}), {} extensions, rules {}, seed {seed}",
        args.operation.gpmc_method(),
        args.operation,
        extensions,
        args.rules,
    ))?;

    for event in events {
        match event {
            TraceEvent::Begin { .. } => continue,
            TraceEvent::Cancel => {
                display.line("client: IGPMAsyncCancel::Cancel")?;
                machine.handle_cancel();
            }
            TraceEvent::Status(call) => {
                if let Err(violation) = machine.handle_status(call) {
                    drain(&mut machine, display)?;
                    display.finish()?;
                    display.line(&format!(
                        "violation: {violation} (rule {})",
                        violation.rule()
                    ))?;
                    return Ok(1);
                }
            }
            _ => {}
        }
        drain(&mut machine, display)?;
        sleep(delay);
    }
    display.finish()?;
    match machine.outcome() {
        Some(outcome) => {
            report(outcome, machine.anomalies().len(), display)?;
            Ok(0)
        }
        None => {
            display.line("the operation has not finished")?;
            Ok(3)
        }
    }
}

/// Shows every event the machine has queued.
fn drain(machine: &mut StatusMachine, display: &mut Display) -> io::Result<()> {
    while let Some(event) = machine.poll_event() {
        match event {
            Event::Progress(progress) => display.progress(progress)?,
            Event::Message(message) => display.line(&describe(&message))?,
            Event::Anomaly(anomaly) => display.line(&format!("anomaly: {anomaly}"))?,
            Event::CancelRequested => {
                display.line("cancel requested: waiting for the server")?;
            }
            Event::Finished(kind) => display.line(&format!("finished: {kind}"))?,
            _ => {}
        }
    }
    Ok(())
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

fn report(outcome: &OperationOutcome, anomalies: usize, display: &mut Display) -> io::Result<()> {
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
    display.line(&text)
}
