//! The live simulated server (`Simulation::serve`) against a plain `StatusMachine` fed the
//! same plan (`Simulation::inputs`): for every option, the tracker's updates (as its observer
//! saw them) and its end are the machine's. Pace 0 except where a cancel must find the
//! server between two calls; no assertion depends on timing.

#![cfg(all(feature = "live", not(loom)))]

mod live_support;

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use gpmc_progress::live::{Notification, TrackError, Tracker, Update};
use gpmc_progress::simulate::{Served, SimulatedServer, Simulation, SimulationError};
use gpmc_progress::{Event, HResult, OperationKind, OutcomeKind, Rule, Rules};
use live_support::{judge, normalized, End, Judged};

/// Every update the observer saw.
type Seen = Arc<Mutex<Vec<Update>>>;

/// A tracker whose observer collects every update, and sends each.
fn observed(operation: OperationKind, rules: Rules) -> (Tracker, Seen, mpsc::Receiver<Update>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (sender, receiver) = mpsc::channel();
    let collected = Arc::clone(&seen);
    let tracker = Tracker::builder(operation)
        .rules(rules)
        .observer(move |notification| {
            if let Notification::Update(update) = notification {
                collected.lock().unwrap().push(update.clone());
                let _ = sender.send(update.clone());
            }
        })
        .build();
    (tracker, seen, receiver)
}

struct Live {
    /// What the observer saw, normalized.
    updates: Vec<Update>,
    end: End,
    served: Served,
    tracker: Tracker,
}

fn finish(tracker: &Tracker, seen: &Mutex<Vec<Update>>, server: SimulatedServer) -> Live {
    let served = server.join();
    // Once the end is seen, the observer has seen it too.
    let end = tracker.wait();
    let updates = normalized(&seen.lock().unwrap());
    assert_eq!(updates.last(), Some(&Update::End(end.clone())));
    assert_eq!(normalized(&tracker.updates_so_far()), updates);
    Live {
        updates,
        end,
        served,
        tracker: tracker.clone(),
    }
}

/// Runs `simulation` live, at its own pace, with nobody cancelling.
fn live(simulation: &Simulation, rules: Rules) -> Live {
    let (tracker, seen, _) = observed(simulation.operation(), rules);
    let server = simulation.serve(&tracker).unwrap();
    finish(&tracker, &seen, server)
}

/// The plan fed to a plain machine.
fn plain(simulation: &Simulation, rules: Rules) -> Judged {
    judge(simulation.operation(), rules, simulation.inputs().unwrap())
}

/// The plan's updates and end; an unfinished plan is a server that let go after its calls.
fn expected(judged: Judged) -> (Vec<Update>, End) {
    match judged.end {
        Some(end) => (judged.updates, end),
        None => {
            let end = Err(TrackError::Abandoned {
                calls_received: judged.calls,
            });
            let mut updates = judged.updates;
            updates.push(Update::End(end.clone()));
            (updates, end)
        }
    }
}

/// The live run agrees with the plan: same updates, same end, same late calls.
fn agrees(simulation: &Simulation, rules: Rules) -> Live {
    let run = live(simulation, rules);
    let judged = plain(simulation, rules);
    let late_calls = judged.late_calls;
    let (updates, end) = expected(judged);
    assert_eq!(run.updates, updates, "{simulation:?}");
    assert_eq!(run.end, end, "{simulation:?}");
    assert_eq!(
        run.tracker.after_end().status_calls,
        late_calls,
        "{simulation:?}"
    );
    run
}

fn backup() -> Simulation {
    Simulation::new(OperationKind::GpoBackup)
        .extensions(5)
        .warning_at(2)
        .random_warnings(2)
        .seed(11)
}

#[test]
fn success() {
    let run = agrees(&backup(), Rules::strict());
    let outcome = run.end.unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert!(outcome.result().is_some());
    assert_eq!(outcome.messages().len(), 3);
    assert_eq!(run.served.calls, 6);
}

#[test]
fn failure_at_a_step() {
    let run = agrees(
        &backup().fail_at(3, HResult::E_ACCESSDENIED),
        Rules::strict(),
    );
    let outcome = run.end.unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Failed);
    assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
    assert_eq!(run.served.calls, 4);
}

#[test]
fn a_planned_cancel_in_time_and_too_late() {
    let run = agrees(
        &backup().cancel_at(2, HResult::ERROR_CANCELLED),
        Rules::strict(),
    );
    let outcome = run.end.unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
    assert!(
        !run.served.cancel_received,
        "planned: made by the server itself"
    );

    let run = agrees(&backup().cancel_at(2, HResult::S_OK), Rules::strict());
    assert_eq!(run.end.unwrap().kind(), OutcomeKind::Succeeded);
    assert!(run.updates.contains(&Update::Event(Event::CancelRequested)));
}

/// A cancel made with the server's handle while the server pauses after its first call.
fn cancel_after_the_first_call(simulation: &Simulation) -> (Live, bool) {
    let (tracker, seen, notifications) = observed(simulation.operation(), Rules::strict());
    let server = simulation
        .clone()
        .pace(Duration::from_secs(3600))
        .serve(&tracker)
        .unwrap();
    // The first call's updates: the server now pauses for an hour, unless cancelled.
    let first = notifications.recv().unwrap();
    assert!(matches!(first, Update::Event(Event::Progress(_))));
    let recorded = server.cancel_handle().cancel().in_time();
    (finish(&tracker, &seen, server), recorded)
}

#[test]
fn a_cancel_from_the_client_in_time_is_answered_at_the_next_step() {
    let (run, recorded) = cancel_after_the_first_call(&backup());
    assert!(recorded);
    assert!(run.served.cancel_received);
    // The same run as a cancel planned after step 0.
    let (updates, end) = expected(plain(
        &backup().cancel_at(0, HResult::ERROR_CANCELLED),
        Rules::strict(),
    ));
    assert_eq!(run.updates, updates);
    assert_eq!(run.end, end);
    let outcome = run.end.unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
    // Every planned warning still came, with the answer.
    assert_eq!(outcome.messages().len(), 4);
    assert_eq!(run.served.calls, 2);
}

#[test]
fn a_cancel_the_server_answers_with_success_came_too_late() {
    let simulation = Simulation::new(OperationKind::GpoCopy)
        .extensions(1)
        .cancel_answer(HResult::S_OK);
    let (run, recorded) = cancel_after_the_first_call(&simulation);
    assert!(recorded);
    assert!(run.served.cancel_received);
    let (updates, end) = expected(plain(
        &simulation.cancel_at(0, HResult::S_OK),
        Rules::strict(),
    ));
    assert_eq!(run.updates, updates);
    assert_eq!(run.end, end);
    assert_eq!(run.end.unwrap().kind(), OutcomeKind::Succeeded);
}

#[test]
fn a_cancel_after_the_end_changes_nothing() {
    let (tracker, seen, _) = observed(OperationKind::GpoBackup, Rules::strict());
    let server = backup().serve(&tracker).unwrap();
    let cancel = server.cancel_handle();
    let run = finish(&tracker, &seen, server);
    assert!(!cancel.cancel().in_time(), "the operation had ended");
    assert_eq!(tracker.wait(), run.end);
    assert_eq!(run.end.unwrap().kind(), OutcomeKind::Succeeded);
    assert!(!run.served.cancel_received);
}

#[test]
fn every_rule_broken_on_purpose_is_the_first_violation_under_strict() {
    for &rule in Rule::ALL {
        for operation in [OperationKind::GpoBackup, OperationKind::Unknown] {
            let simulation = Simulation::new(operation)
                .extensions(4)
                .warning_at(1)
                .break_rule(rule);
            if let Err(SimulationError::CannotBreak { .. }) = simulation.inputs() {
                continue;
            }
            let run = agrees(&simulation, Rules::strict());
            match run.end {
                // A call after the finishing one is late: the end stands, the call is apart.
                Ok(outcome) if rule == Rule::StatusAfterCompletion => {
                    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
                    assert_eq!(run.tracker.after_end().status_calls, 1);
                }
                Err(TrackError::Violation(violation)) => {
                    assert_eq!(violation.rule(), rule, "{simulation:?}")
                }
                other => panic!("{rule}: {other:?}"),
            }
            // Under the documented rules, the same server, judged the documented way.
            agrees(&simulation, Rules::documented());
        }
    }
}

#[test]
fn a_failed_start_reports_nothing_but_its_hresult() {
    let simulation = backup().fail_to_start(HResult::E_ACCESSDENIED);
    let judged = plain(&simulation, Rules::strict());
    assert!(judged.updates.is_empty());
    assert!(judged.end.is_none());
    let run = live(&simulation, Rules::strict());
    let end = Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
    assert_eq!(run.end, end);
    // The failed start reaches the observer as the end.
    assert_eq!(run.updates, [Update::End(end)]);
    assert_eq!(run.served, Served::default());
}

#[test]
fn a_server_that_lets_go_abandons_the_operation() {
    let run = agrees(&backup().let_go_at(3), Rules::strict());
    assert_eq!(run.end, Err(TrackError::Abandoned { calls_received: 3 }));
    let run = agrees(&backup().let_go_at(0), Rules::strict());
    assert_eq!(run.end, Err(TrackError::Abandoned { calls_received: 0 }));
    // A planned cancel, then the server lets go instead of answering.
    let run = agrees(
        &backup().cancel_at(1, HResult::E_ABORT).let_go_at(2),
        Rules::strict(),
    );
    assert_eq!(run.end, Err(TrackError::Abandoned { calls_received: 2 }));
}

/// Leaves out each progress update that repeats the last progress reported (the second
/// thread's repeated fractions, wherever they fell among the first thread's calls), and
/// shows anomalies and violations by their rule only (the repeated calls count too, so
/// call numbers differ).
fn without_repeats(updates: &[Update]) -> Vec<String> {
    let mut last = None;
    normalized(
        &updates
            .iter()
            .filter(|update| match update {
                Update::Event(Event::Progress(progress)) => {
                    last.replace(*progress) != Some(*progress)
                }
                _ => true,
            })
            .cloned()
            .collect::<Vec<_>>(),
    )
    .iter()
    .map(|update| match update {
        Update::End(Err(TrackError::Violation(violation))) => {
            format!("violation {}", violation.rule())
        }
        Update::End(Err(TrackError::Abandoned { .. })) => "abandoned".to_owned(),
        Update::Event(Event::Anomaly(anomaly)) => format!("anomaly {}", anomaly.rule()),
        other => format!("{other:?}"),
    })
    .collect()
}

#[test]
fn two_threads_making_overlapping_calls_end_as_one_does() {
    let simulations = [
        backup(),
        backup().fail_at(3, HResult::E_FAIL),
        backup().cancel_at(2, HResult::ERROR_CANCELLED),
        backup().break_rule(Rule::NumeratorDecreased),
        backup().break_rule(Rule::DenominatorChanged),
        backup().break_rule(Rule::StatusAfterCompletion),
        backup().let_go_at(4),
    ];
    for round in 0..10 {
        for simulation in &simulations {
            for rules in [Rules::strict(), Rules::documented()] {
                let simulation = simulation.clone().seed(round).overlapping(true);
                let run = live(&simulation, rules);
                let (updates, end) = expected(plain(&simulation, rules));
                let planned_calls = simulation
                    .inputs()
                    .unwrap()
                    .iter()
                    .filter(|input| matches!(input, gpmc_progress::Input::Status(_)))
                    .count() as u64;
                assert!(run.served.calls > planned_calls, "{simulation:?}");
                assert_eq!(
                    without_repeats(&run.updates),
                    without_repeats(&updates),
                    "{simulation:?}"
                );
                match (run.end, end) {
                    (Err(TrackError::Violation(live)), Err(TrackError::Violation(plain))) => {
                        assert_eq!(live.rule(), plain.rule(), "{simulation:?}")
                    }
                    (Err(TrackError::Abandoned { .. }), Err(TrackError::Abandoned { .. })) => {}
                    (live, plain) => assert_eq!(live, plain, "{simulation:?}"),
                }
            }
        }
    }
}
