//! `gpmc-trace demo`: the live simulated server on its own thread, tracked by the engine; the
//! main thread draws what the engine's observer hands it, as a Windows program would.

use std::io;
use std::sync::mpsc;
use std::time::Duration;

use gpmc_progress::live::{Tracker, Update};
use gpmc_progress::Event;
use gpmc_progress::Rules;

use crate::exit::Status;
use crate::output;
use crate::render::{self, AtViolation, Display, Follow, Told};
use crate::DemoArgs;

pub fn run(args: &DemoArgs) -> u8 {
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

    // The client's side, as a Windows program has it: the engine calls the observer on its
    // own thread, and the observer hands the updates to the main thread, which draws.
    let (to_main, from_server) = mpsc::channel::<Told<_>>();
    let tracker = Tracker::builder(args.operation)
        .rules(Rules::preset(args.rules))
        .observer(move |notification| {
            // The main thread may have stopped listening (it exits at a violation).
            if let Some(told) = Told::of(notification) {
                let _ = to_main.send(told);
            }
        })
        .build();

    // Ctrl-C is the client's cancel; a second one exits at once.
    let interrupts = render::interrupts();

    let server = match simulation.serve(&tracker) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("gpmc-trace: {error}");
            return Status::Error.code();
        }
    };
    let shown = Display::open().and_then(|mut display| {
        let code = show(
            args,
            &tracker,
            &server,
            &from_server,
            &interrupts,
            extensions,
            seed,
            &mut display,
        )?;
        display.close()?;
        Ok(code)
    });
    shown.unwrap_or_else(|error| output::failed(&error))
}

/// Shows what the engine reports until the server lets go of the operation; returns the
/// exit status (the one `check` gives the run's trace).
#[allow(clippy::too_many_arguments)]
fn show(
    args: &DemoArgs,
    tracker: &Tracker,
    server: &gpmc_progress::simulate::SimulatedServer,
    from_server: &mpsc::Receiver<Told<gpmc_progress::ResultDescription>>,
    interrupts: &std::sync::atomic::AtomicUsize,
    extensions: u32,
    seed: u64,
    display: &mut Display,
) -> io::Result<u8> {
    display.start_bar(args.operation.gpmc_method(), extensions);
    display.line(&format!(
        "{} ({}), {} extensions, rules {}, seed {seed}",
        args.operation.gpmc_method(),
        args.operation,
        extensions,
        args.rules,
    ))?;
    let cancel = server.cancel_handle();
    let follow = Follow {
        from_server,
        interrupts,
    };
    let stopped = follow.show(
        display,
        |display| {
            if !cancel.cancel().in_time() {
                display.line("the operation had already ended")?;
            }
            Ok(())
        },
        AtViolation::Stop,
    )?;
    if let Some(code) = stopped {
        return Ok(code);
    }
    let end = tracker.wait();
    let anomalies = tracker
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
