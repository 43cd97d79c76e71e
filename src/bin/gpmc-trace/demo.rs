//! `gpmc-trace demo`: a server on its own thread, tracked by the engine; the main thread
//! draws what the engine's observer hands it, as a Windows program would. The server is the
//! simulated one, or with `--trace` a recorded run served at its recorded pace.

use std::io;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::time::Duration;

use gpmc_progress::live::{Tracker, Update};
use gpmc_progress::simulate::RecordedRun;
use gpmc_progress::{Event, OperationKind, ResultDescription, Rules};

use crate::exit::Status;
use crate::output;
use crate::render::{self, AtViolation, Display, Follow, Told};
use crate::DemoArgs;

pub fn run(args: &DemoArgs) -> u8 {
    match &args.trace {
        Some(path) => play(args, Path::new(path)),
        None => simulate(args),
    }
}

/// The simulated server: Ctrl-C is the client's cancel, which it answers.
fn simulate(args: &DemoArgs) -> u8 {
    let (simulation, seed) = args.options.simulation(args.operation);
    let mut simulation = simulation
        .pace(Duration::from_millis(args.pace_ms))
        .overlapping(args.overlapping);
    if let Some(hr) = args.fail_to_start {
        simulation = simulation.fail_to_start(hr);
    }
    if let Some(step) = args.let_go_at {
        simulation = simulation.let_go_at(step);
    }
    let extensions = simulation.extension_count();
    let client = Client::new(args.operation, Rules::preset(args.rules));
    let server = match simulation.serve(&client.tracker) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("gpmc-trace: {error}");
            return Status::Error.code();
        }
    };
    let cancel = server.cancel_handle();
    let header = format!(
        "{} ({}), {} extensions, rules {}, seed {seed}",
        args.operation.gpmc_method(),
        args.operation,
        extensions,
        args.rules,
    );
    client.show(extensions, &header, |display| {
        display.line("client: IGPMAsyncCancel::Cancel (Ctrl-C)")?;
        if !cancel.cancel().in_time() {
            display.line("the operation had already ended")?;
        }
        Ok(())
    })
}

/// A recorded run, its client's cancel requests included: Ctrl-C stops it (the server lets
/// go of the operation), and so does the end of a trace without its finishing call.
fn play(args: &DemoArgs, path: &Path) -> u8 {
    let run = match RecordedRun::open(path) {
        Ok(run) => run,
        // A file that cannot be opened: the message names it.
        Err(error) if error.line.is_none() => {
            eprintln!("gpmc-trace: {}", error.message_and_sources());
            return Status::Error.code();
        }
        Err(error) => {
            eprintln!(
                "gpmc-trace: {}: {}",
                path.display(),
                error.message_and_sources()
            );
            return Status::Error.code();
        }
    };
    let calls = match run.calls() {
        1 => "1 Status call".to_owned(),
        calls => format!("{calls} Status calls"),
    };
    let header = format!(
        "{} ({}), recorded in {}: {calls} over {:.1} s, shown at speed {}, rules {}",
        run.operation().gpmc_method(),
        run.operation(),
        path.display(),
        run.duration().as_secs_f64(),
        args.speed,
        args.rules,
    );
    let client = Client::new(run.operation(), Rules::preset(args.rules));
    let playback = run
        .speed(args.speed)
        .replay_cancels(true)
        .let_go_at_end(true)
        .serve(&client.tracker);
    let playback = match playback {
        Ok(playback) => playback,
        Err(error) => {
            eprintln!("gpmc-trace: {error}");
            return Status::Error.code();
        }
    };
    client.show(1, &header, |display| {
        display.line("Ctrl-C: the recorded run stops here, its server lets go")?;
        playback.stop();
        Ok(())
    })
}

/// The client's side, as a Windows program has it: the engine calls the observer on its own
/// thread, and the observer hands the updates to the main thread, which draws.
struct Client {
    tracker: Tracker,
    from_server: mpsc::Receiver<Told<ResultDescription>>,
    /// Ctrl-C presses; a second one exits at once.
    interrupts: std::sync::Arc<AtomicUsize>,
}

impl Client {
    fn new(operation: OperationKind, rules: Rules) -> Self {
        let (to_main, from_server) = mpsc::channel::<Told<_>>();
        let tracker = Tracker::builder(operation)
            .rules(rules)
            .observer(move |notification| {
                // The main thread may have stopped listening (it exits at a violation).
                if let Some(told) = Told::of(notification) {
                    let _ = to_main.send(told);
                }
            })
            .build();
        Client {
            tracker,
            from_server,
            interrupts: render::interrupts(),
        }
    }

    /// Shows what the engine reports until the server lets go of the operation, under
    /// `header` and a bar of `length` steps; `interrupt` answers the first Ctrl-C. Returns the
    /// exit status (the one `check` gives the run's trace).
    fn show(
        &self,
        length: u32,
        header: &str,
        interrupt: impl FnMut(&mut Display) -> io::Result<()>,
    ) -> u8 {
        let shown = Display::open().and_then(|mut display| {
            let code = self.follow(length, header, interrupt, &mut display)?;
            display.close()?;
            Ok(code)
        });
        shown.unwrap_or_else(|error| output::failed(&error))
    }

    fn follow(
        &self,
        length: u32,
        header: &str,
        interrupt: impl FnMut(&mut Display) -> io::Result<()>,
        display: &mut Display,
    ) -> io::Result<u8> {
        display.start_bar(self.tracker.operation().gpmc_method(), length);
        display.line(header)?;
        let follow = Follow {
            from_server: &self.from_server,
            interrupts: &self.interrupts,
        };
        if let Some(code) = follow.show(display, interrupt, AtViolation::Stop)? {
            return Ok(code);
        }
        let end = self.tracker.wait();
        let anomalies = self
            .tracker
            .updates_so_far()
            .iter()
            .filter(|update| matches!(update, Update::Event(Event::Anomaly(_))))
            .count();
        let result = end.as_ref().ok().and_then(|outcome| outcome.result());
        let code = render::show_end(
            &end,
            result.map(|r| r as &dyn std::fmt::Display),
            anomalies,
            display,
        )?;
        // A call after the end changes nothing of it, but `check` of the trace reports it.
        Ok(if follow.after_end(display)? {
            Status::Violation.code()
        } else {
            code
        })
    }
}
