//! The live engine against a plain `StatusMachine`: `Status` calls split over 1 to 4 server
//! threads in random interleavings, with the client's cancel requests between them, give
//! exactly the updates and the outcome of a machine fed the same inputs in the order the
//! engine judged them. That order is the recorder's trace (feature `trace`), which must be
//! an interleaving of what each thread sent; the observer's notifications must match it.
#![cfg(all(feature = "live", feature = "trace", not(miri)))]

mod trace_buffer;
use trace_buffer::SharedBuffer;

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::trace::{TraceEvent, TraceReader};
use gpmc_progress::{
    Event, HResult, Input, OperationKind, OperationOutcome, ResultDescription, Rules, StatusCall,
    StatusMachine, StatusMessage,
};
use proptest::prelude::*;

/// One step of a server thread: a `Status` call or a cancel request, and whether the thread
/// yields first (to vary the interleavings).
#[derive(Debug, Clone)]
struct Step {
    input: Input,
    yield_first: bool,
}

fn status_call() -> impl Strategy<Value = StatusCall> {
    let fraction = prop_oneof![
        6 => (0..=4i32).prop_map(|numerator| (numerator, 4)),
        1 => (0..=3i32, 2..=3i32).prop_map(|(n, d)| (n, d)),
        1 => (-1..=5i32, -1..=5i32),
    ];
    let hr = prop_oneof![
        8 => Just(HResult::S_OK),
        1 => Just(HResult::E_FAIL),
        1 => Just(HResult::ERROR_CANCELLED),
    ];
    let result = prop_oneof![
        6 => Just(None),
        2 => Just(Some(ResultDescription::text("<report/>"))),
        1 => Just(Some(ResultDescription::Gpo { id: None, display_name: None, domain: None })),
    ];
    let messages = prop_oneof![
        6 => Just(None),
        1 => Just(Some(Vec::new())),
        2 => "[a-z]{1,3}".prop_map(|text| Some(vec![StatusMessage::new(text)])),
    ];
    (fraction, hr, result, messages).prop_map(|((numerator, denominator), hr, result, messages)| {
        StatusCall::new(numerator, denominator, hr, result, messages)
    })
}

fn step() -> impl Strategy<Value = Step> {
    let input = prop_oneof![
        8 => status_call().prop_map(Input::Status),
        1 => Just(Input::Cancel),
    ];
    (input, any::<bool>()).prop_map(|(input, yield_first)| Step { input, yield_first })
}

fn threads() -> impl Strategy<Value = Vec<Vec<Step>>> {
    prop::collection::vec(prop::collection::vec(step(), 0..8), 1..=4)
}

fn rules() -> impl Strategy<Value = Rules> {
    prop_oneof![Just(Rules::documented()), Just(Rules::strict())]
}

fn operation() -> impl Strategy<Value = OperationKind> {
    prop_oneof![
        Just(OperationKind::GpoReport),
        Just(OperationKind::GpoImport),
        Just(OperationKind::Unknown),
    ]
}

type Notifications = Vec<(Option<u64>, Vec<Update>)>;

/// Runs the threads against one tracker; returns the judged inputs (from the trace), the
/// observer's notifications, the log, the decision and the engine's machine.
fn run_live(
    operation: OperationKind,
    rules: Rules,
    threads: &[Vec<Step>],
) -> (
    Vec<Input>,
    Notifications,
    Vec<Update>,
    Result<OperationOutcome, TrackError>,
    StatusMachine,
) {
    let trace = SharedBuffer::default();
    let seen: Arc<Mutex<Notifications>> = Arc::default();
    let tracker = Tracker::builder(operation)
        .rules(rules)
        .record(trace.clone())
        .observer({
            let seen = Arc::clone(&seen);
            move |notification| {
                seen.lock()
                    .unwrap()
                    .push((notification.call(), notification.updates().to_vec()))
            }
        })
        .build();
    let start = Arc::new(Barrier::new(threads.len()));
    let handles: Vec<_> = threads
        .iter()
        .cloned()
        .map(|steps| {
            let server = tracker.reporter();
            let client = tracker.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for step in steps {
                    if step.yield_first {
                        thread::yield_now();
                    }
                    match step.input {
                        Input::Cancel => {
                            client.cancel();
                        }
                        Input::Status(call) => send(&server, call),
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let decision = tracker
        .wait_timeout(Duration::from_secs(60))
        .expect("decided once every reporter was dropped (deadlock guard)");
    let text = trace.text();
    let mut reader = TraceReader::new(text.as_bytes());
    let judged: Vec<Input> = std::iter::from_fn(|| reader.read_line().expect("a valid trace"))
        .filter_map(|traced| match traced.event {
            TraceEvent::Begin { .. } => None,
            event => event.into_input(),
        })
        .collect();
    let notifications = seen.lock().unwrap().clone();
    (
        judged,
        notifications,
        tracker.updates_so_far(),
        decision,
        tracker.snapshot(),
    )
}

/// A call through the entry a server would use: the progress-only ones for plain calls.
fn send(server: &gpmc_progress::live::Reporter, call: StatusCall) {
    if call.result.is_none() && call.messages.is_none() {
        if call.hr == HResult::S_OK {
            server.progress(call.numerator, call.denominator);
        } else {
            server.progress_with_hr(call.numerator, call.denominator, call.hr);
        }
    } else {
        server.status(call);
    }
}

/// Whether `judged` is an interleaving of the threads' inputs (each thread's in its order).
fn is_interleaving(judged: &[Input], threads: &[Vec<Step>]) -> bool {
    fn search(
        judged: &[Input],
        threads: &[Vec<Step>],
        positions: &mut Vec<usize>,
        failed: &mut HashSet<Vec<usize>>,
    ) -> bool {
        let done: usize = positions.iter().sum();
        if done == judged.len() {
            return positions
                .iter()
                .zip(threads)
                .all(|(at, steps)| *at == steps.len());
        }
        if failed.contains(positions) {
            return false;
        }
        for thread in 0..threads.len() {
            let at = positions[thread];
            if at < threads[thread].len() && threads[thread][at].input == judged[done] {
                positions[thread] += 1;
                if search(judged, threads, positions, failed) {
                    return true;
                }
                positions[thread] -= 1;
            }
        }
        failed.insert(positions.clone());
        false
    }
    search(
        judged,
        threads,
        &mut vec![0; threads.len()],
        &mut HashSet::new(),
    )
}

/// What a plain machine fed `inputs` reports: one notification per input that caused
/// updates, the decision, and the machine.
fn run_plain(
    operation: OperationKind,
    rules: Rules,
    inputs: &[Input],
) -> (
    Notifications,
    Result<OperationOutcome, TrackError>,
    StatusMachine,
) {
    let mut machine = StatusMachine::new(operation, rules);
    let mut notifications = Vec::new();
    let mut decision = None;
    for input in inputs.iter().cloned() {
        let mut updates = Vec::new();
        let call = match input {
            Input::Cancel => {
                machine.handle_cancel();
                None
            }
            Input::Status(call) => {
                let index = machine.calls_received() + 1;
                let verdict = machine.handle_status(call);
                while let Some(event) = machine.poll_event() {
                    updates.push(Update::Event(event));
                }
                match verdict {
                    Ok(accepted) => {
                        if accepted.finished.is_some() && decision.is_none() {
                            decision = Some(Ok(machine.outcome().unwrap().clone()));
                        }
                    }
                    Err(violation) => {
                        updates.push(Update::Violation(violation));
                        decision.get_or_insert(Err(TrackError::Violation(violation)));
                    }
                }
                Some(index)
            }
        };
        while let Some(event) = machine.poll_event() {
            updates.push(Update::Event(event));
        }
        if !updates.is_empty() {
            notifications.push((call, updates));
        }
    }
    let decision = decision.unwrap_or(Err(TrackError::Abandoned {
        calls_received: machine.calls_received(),
    }));
    (notifications, decision, machine)
}

/// The log a tracker keeps when no stream reads it: consecutive progress merged.
fn merged(notifications: &Notifications) -> Vec<Update> {
    let mut log: Vec<Update> = Vec::new();
    for update in notifications.iter().flat_map(|(_, updates)| updates) {
        match (log.last_mut(), update) {
            (Some(last @ Update::Event(Event::Progress(_))), Update::Event(Event::Progress(_))) => {
                *last = update.clone();
            }
            _ => log.push(update.clone()),
        }
    }
    log
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn threads_give_the_updates_and_outcome_of_a_plain_machine_in_judged_order(
        operation in operation(),
        rules in rules(),
        threads in threads(),
    ) {
        let (judged, notifications, log, decision, engine) = run_live(operation, rules, &threads);
        let sent: usize = threads.iter().map(Vec::len).sum();
        prop_assert_eq!(judged.len(), sent, "every input traced once");
        prop_assert!(is_interleaving(&judged, &threads), "not an interleaving: {:?}", judged);
        let (expected, expected_decision, machine) = run_plain(operation, rules, &judged);
        prop_assert_eq!(&notifications, &expected);
        prop_assert_eq!(&decision, &expected_decision);
        prop_assert_eq!(log, merged(&expected));
        prop_assert_eq!(engine.calls_received(), machine.calls_received());
        prop_assert_eq!(engine.anomalies(), machine.anomalies());
        prop_assert_eq!(engine.outcome(), machine.outcome());
        prop_assert_eq!(engine.progress(), machine.progress());
    }
}
