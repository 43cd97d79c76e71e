//! The README's "Testing your GPMC client on any OS" code, word for word (the README marks it
//! `rust,ignore` because it needs feature `live`; `tests/readme.rs` keeps the two identical).

#![cfg(all(feature = "live", not(loom)))]

/// The README's `follow`, unchanged, run against a Windows operation: the crate's fake GPMC
/// runs the simulation behind the COM sink, and `follow` reads the operation's
/// `Tracker<ComResult>` as it reads the simulated server's `Tracker`, and cancels through
/// the operation.
#[cfg(all(test, windows, feature = "com-fake"))]
mod on_windows {
    use super::follow;
    use gpmc_progress::com::fake::FakeGpmc;
    use gpmc_progress::com::GpoExt;
    use gpmc_progress::simulate::Simulation;
    use gpmc_progress::{HResult, OperationKind, OutcomeKind};
    use std::time::Duration;

    fn backup() -> Simulation {
        Simulation::new(OperationKind::GpoBackup)
            .extensions(4)
            .seed(1)
    }

    #[test]
    fn success() {
        let gpmc = FakeGpmc::new().simulation(backup().warning_at(2));
        let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
        let (shown, end) = follow(operation.tracker(), |_| false, || operation.cancel());
        assert_eq!(end.unwrap().kind(), OutcomeKind::Succeeded);
        assert!(shown.iter().any(|line| line.starts_with("warning: ")));
        assert_eq!(
            shown[shown.len() - 3..][..2],
            ["100%", "finished: succeeded"]
        );
        let result = shown.last().unwrap();
        assert!(result.starts_with("result: backup {"), "{result}");
        assert!(
            result.ends_with(r#", directory C:\Backups, comment "nightly""#),
            "{result}"
        );
        drop(operation);
        gpmc.join();
        assert_eq!(gpmc.objects_alive(), 0);
    }

    #[test]
    fn failure() {
        let gpmc = FakeGpmc::new().simulation(backup().fail_at(2, HResult::E_ACCESSDENIED));
        let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
        let (shown, end) = follow(operation.tracker(), |_| false, || operation.cancel());
        assert_eq!(end.unwrap().hr(), HResult::E_ACCESSDENIED);
        assert_eq!(shown.last().unwrap(), "finished: failed");
    }

    #[test]
    fn cancel_in_time_and_too_late() {
        // A slow server: the cancel finds it between two calls, and it answers at once.
        let gpmc = FakeGpmc::new().simulation(backup().pace(Duration::from_secs(60)));
        let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
        let (shown, end) = follow(operation.tracker(), |_| true, || operation.cancel());
        let outcome = end.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
        assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
        assert_eq!(shown.first().unwrap(), "0%");
        assert!(!shown.contains(&"too late to cancel".to_owned()));
        // At 100% the finishing call has ended the operation: too late.
        let gpmc = FakeGpmc::new().simulation(backup());
        let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
        let (shown, end) = follow(
            operation.tracker(),
            |percent| percent == 100,
            || operation.cancel(),
        );
        assert_eq!(end.unwrap().kind(), OutcomeKind::Succeeded);
        assert!(
            shown.contains(&"too late to cancel".to_owned()),
            "{shown:?}"
        );
    }
}

// The README's code:
use std::time::Duration;

use gpmc_progress::live::{CancelRequest, TrackError, Tracker, Update};
use gpmc_progress::{Event, OperationOutcome, ResultDescription, TypedResult};

/// Your client code: shows an operation's progress, messages and result, and asks to cancel
/// when the user does. It sees only a `Tracker` and a way to cancel, so the same code follows
/// GPMC on Windows (whose tracker carries the COM adapter's `ComResult`) and the simulated
/// server anywhere (plain `ResultDescription`s): both give the plain description with
/// `as_ref()`, and every cancel handle says whether it came in time.
pub fn follow<R>(
    tracker: &Tracker<R>,
    user_cancels_at: impl Fn(u8) -> bool,
    cancel: impl Fn() -> CancelRequest,
) -> (Vec<String>, Result<OperationOutcome<R>, TrackError>)
where
    R: TypedResult + Clone + AsRef<ResultDescription>,
{
    let mut shown = Vec::new();
    let mut updates = tracker.updates();
    let mut asked = false;
    loop {
        // The next update, or nothing at the user interface's next tick.
        match updates.next_timeout(Duration::from_millis(100)) {
            Ok(Update::Event(Event::Progress(progress))) => {
                shown.push(format!("{}%", progress.percent()));
                if !asked && user_cancels_at(progress.percent()) {
                    asked = true;
                    if !cancel().in_time() {
                        shown.push("too late to cancel".into());
                    }
                }
            }
            Ok(Update::Event(Event::Message(message))) => {
                shown.push(format!("warning: {}", message.message));
            }
            // The last update: how the operation ended, the value `tracker.wait()` returns.
            // 100% is not success: GPMC ends a failed or cancelled operation at n/n too.
            Ok(Update::End(end)) => {
                match &end {
                    Ok(outcome) => {
                        shown.push(format!("finished: {}", outcome.kind()));
                        if let Some(result) = outcome.result() {
                            shown.push(format!("result: {}", result.as_ref()));
                        }
                    }
                    Err(error) => shown.push(format!("no outcome: {error}")),
                }
                return (shown, end);
            }
            Ok(_) => {}
            // A tick: a real user interface would redraw and look at its buttons here. (The
            // stream only ends after yielding the end, returned above.)
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpmc_progress::simulate::Simulation;
    use gpmc_progress::{HResult, OperationKind, OutcomeKind, Rule, Rules};

    /// Runs `follow` against a simulated GPMC backup; the user cancels at `cancel_at` percent.
    fn run(
        simulation: Simulation,
        rules: Rules,
        cancel_at: Option<u8>,
    ) -> (Vec<String>, Result<OperationOutcome, TrackError>) {
        let tracker = Tracker::builder(OperationKind::GpoBackup)
            .rules(rules)
            .build();
        let server = simulation.serve(&tracker).expect("a valid simulation");
        let handle = server.cancel_handle();
        let seen = follow(
            &tracker,
            |percent| cancel_at.is_some_and(|at| percent >= at),
            || handle.cancel(),
        );
        server.join();
        seen
    }

    fn backup() -> Simulation {
        Simulation::new(OperationKind::GpoBackup)
            .extensions(4)
            .seed(1)
    }

    #[test]
    fn success() {
        let (shown, end) = run(backup().warning_at(2), Rules::documented(), None);
        assert_eq!(end.unwrap().kind(), OutcomeKind::Succeeded);
        assert_eq!(
            shown[shown.len() - 3..][..2],
            ["100%", "finished: succeeded"]
        );
        assert!(shown.last().unwrap().starts_with("result: backup {"));
        assert!(shown.iter().any(|line| line.starts_with("warning: ")));
    }

    #[test]
    fn failure() {
        let failing = backup().fail_at(2, HResult::E_ACCESSDENIED);
        let (shown, end) = run(failing, Rules::documented(), None);
        let outcome = end.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Failed);
        assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
        assert_eq!(shown.last().unwrap(), "finished: failed");
    }

    #[test]
    fn cancel() {
        // A slow server: the cancel finds it between two calls, and it answers at once.
        let slow = backup().pace(Duration::from_secs(60));
        let (shown, end) = run(slow, Rules::documented(), Some(0));
        let outcome = end.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
        assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
        assert_eq!(shown.first().unwrap(), "0%");
    }

    #[test]
    fn a_server_that_breaks_a_rule() {
        let broken = backup().break_rule(Rule::NumeratorDecreased);
        let (shown, end) = run(broken, Rules::strict(), None);
        match end {
            Err(TrackError::Violation(violation)) => {
                assert_eq!(violation.rule(), Rule::NumeratorDecreased)
            }
            other => panic!("{other:?}"),
        }
        assert!(shown
            .last()
            .unwrap()
            .starts_with("no outcome: the server broke the protocol: "));
    }

    #[test]
    fn a_server_that_goes_away() {
        let (shown, end) = run(backup().let_go_at(2), Rules::documented(), None);
        assert_eq!(end, Err(TrackError::Abandoned { calls_received: 2 }));
        assert_eq!(
            shown.last().unwrap(),
            "no outcome: the server let go of the operation after 2 status calls without finishing"
        );
    }
}
// The README's recorded run:
/// A GPO backup that failed on a customer's domain, recorded there (by `gpmc-trace record`
/// or `Call::record`) and committed as a test fixture, is served into the same `follow`
/// (`RecordedRun` needs feature `trace` too).
#[cfg(all(test, feature = "trace"))]
mod recorded {
    use super::*;
    use gpmc_progress::simulate::RecordedRun;
    use gpmc_progress::{HResult, OutcomeKind};

    #[test]
    fn the_customer_s_failed_backup() {
        let trace = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/recorded-backup-access-denied.jsonl"
        );
        let run = RecordedRun::open(trace).expect("a readable trace");
        // The recorded run took 1.2 s: served ten times as fast, at its own rhythm.
        let tracker = Tracker::new(run.operation());
        let mut playback = run.speed(10.0).serve(&tracker).expect("a backup's tracker");
        let (shown, end) = follow(&tracker, |_| false, || tracker.cancel());
        assert_eq!(playback.wait().calls, 5);

        let outcome = end.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Failed);
        assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
        // What the dialog showed, up to the end (progress right before a message is never
        // merged into a later one).
        let warned = shown
            .iter()
            .position(|line| line.contains("SYSVOL"))
            .unwrap();
        assert_eq!(shown[warned - 1], "40%");
        assert_eq!(
            shown[shown.len() - 3..],
            [
                "100%",
                "warning: the operation stopped: access denied",
                "finished: failed"
            ]
        );
    }
}
