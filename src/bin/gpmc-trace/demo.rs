//! `gpmc-trace demo`: the live simulated server on its own thread, tracked by the engine; the
//! main thread draws what the engine's observer hands it, as a Windows program would.

use std::io::{self, IsTerminal, LineWriter, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::simulate::SimulatedServer;
use gpmc_progress::{Event, OperationOutcome, ProgressFraction, Rules};
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
    let live = Live {
        tracker,
        server,
        from_server,
        interrupts,
    };
    let shown = StandardOutput::open().and_then(|out| {
        let mut display = Display {
            bar: None,
            out: LineWriter::new(out),
        };
        let code = show(args, &live, extensions, seed, &mut display)?;
        display.finish()?;
        display.out.flush()?;
        Ok(code)
    });
    shown.unwrap_or_else(|error| output::failed(&error))
}

/// The running operation, from the client's side.
struct Live {
    tracker: Tracker,
    server: SimulatedServer,
    /// Each `Status` call's (or cancel request's) updates, from the observer.
    from_server: mpsc::Receiver<Vec<Update>>,
    /// Ctrl-C presses.
    interrupts: Arc<AtomicUsize>,
}

/// Shows what the engine reports until the server lets go of the operation; returns the
/// exit status (0 finished, 1 violation, 3 no outcome).
fn show(
    args: &DemoArgs,
    live: &Live,
    extensions: u32,
    seed: u64,
    display: &mut Display,
) -> io::Result<u8> {
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

    let cancel = live.server.cancel_handle();
    let mut interrupted = false;
    let mut shown = None;
    loop {
        match live.from_server.recv_timeout(Duration::from_millis(50)) {
            Ok(updates) => {
                for update in updates {
                    match update {
                        Update::Violation(_) => {
                            display.finish()?;
                            display.line(&update.to_string())?;
                            return Ok(1);
                        }
                        // A repeated fraction (the second thread's) shows nothing new.
                        Update::Event(Event::Progress(progress))
                            if shown.replace(progress) == Some(progress) => {}
                        update => show_update(&update, interrupted, display)?,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The server let go of the operation: nothing more can come.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if !interrupted && live.interrupts.load(Ordering::SeqCst) > 0 {
            interrupted = true;
            display.line("client: IGPMAsyncCancel::Cancel (Ctrl-C)")?;
            if !cancel.cancel() {
                display.line("the operation had already ended")?;
            }
        }
    }
    display.finish()?;
    match live.tracker.wait() {
        Ok(outcome) => {
            let anomalies = live.tracker.snapshot().anomalies().len();
            report(&outcome, anomalies, display)?;
            Ok(0)
        }
        Err(TrackError::Violation(violation)) => {
            display.line(&format!("violation: {violation}"))?;
            Ok(1)
        }
        Err(error) => {
            display.line(&format!("no outcome: {error}"))?;
            Ok(3)
        }
    }
}

/// Shows one update of the engine: progress on the bar, everything else as its line.
fn show_update(update: &Update, interrupted: bool, display: &mut Display) -> io::Result<()> {
    match update {
        Update::Event(Event::Progress(progress)) => display.progress(*progress),
        Update::Event(Event::CancelRequested) => {
            if !interrupted {
                // The cancel planned with --cancel-at.
                display.line("client: IGPMAsyncCancel::Cancel")?;
            }
            display.line("cancel requested: waiting for the server")
        }
        update => display.line(&update.to_string()),
    }
}

fn report(outcome: &OperationOutcome, anomalies: usize, display: &mut Display) -> io::Result<()> {
    let mut text = format!("outcome: {outcome}");
    match outcome.result() {
        Some(result) => text.push_str(&format!("; result: {result}")),
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
