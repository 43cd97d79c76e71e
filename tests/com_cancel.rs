//! The client's cancel request through COM, against the crate's fake GPMC: the request is
//! recorded (state machine, stream, trace) before the server hears of it; a server that
//! stops answers with a failure (cancelled), one that goes on ends as it would have
//! (succeeded, the request still recorded); a server may refuse the request; a request after
//! the end is recorded nowhere; and a simulation's planned cancel is requested on the
//! client's behalf. What each handle says of its request is checked beside it.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;
mod trace_buffer;

use std::time::Duration;

use com_support::*;
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{GpoExt, ProgressSink};
use gpmc_progress::live::{self, Update};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{Event, HResult, OperationKind, OutcomeKind};
use trace_buffer::SharedBuffer;

/// A trace line without its moment (`"ms":N`), which no test can know.
fn without_ms(line: &str) -> String {
    let Some(at) = line.find("\"ms\":") else {
        return line.to_owned();
    };
    let rest = &line[at + 5..];
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix(',') {
        Some(rest) => format!("{}{rest}", &line[..at]),
        None => format!("{}{rest}", line[..at].trim_end_matches(',')),
    }
}

/// The request is recorded (state machine, stream, trace) before the server hears of it,
/// and the server answers it at once, cutting its pause short: the same updates as the
/// simulated server with the cancel planned after its first call.
#[test]
fn cancel_through_the_handle_is_recorded_and_reaches_the_server() {
    let _mta = Apartment::mta();
    let simulation = Simulation::new(OperationKind::GpoBackup)
        .extensions(4)
        .pace(Duration::from_secs(20))
        .seed(3);
    let gpmc = FakeGpmc::new().simulation(simulation.clone());
    let trace = SharedBuffer::default();
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(trace.clone())
        .build()
        .into();
    let mut updates = sink.tracker().updates();
    let (progress_variant, cancel_variant, returned) = start_backup(&gpmc.gpo(), &sink);
    // The asynchronous method returned S_OK with a null IGPMResult.
    assert!(sink.started(returned).expect("started").is_none());
    drop(progress_variant);
    let cancel = sink
        .cancel_handle(&cancel_variant)
        .expect("IGPMAsyncCancel");
    drop(cancel_variant);
    assert_eq!(next(&mut updates), Some(progress(0, 4)));
    let request = cancel.cancel();
    assert!(request.in_time());
    assert_eq!(request.server_answer(), Some(HResult::S_OK), "accepted");
    let outcome = outcome_of(&sink);
    let served = gpmc.join();
    assert!(served[0].cancel_received);
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);

    let planned = live::Tracker::new(OperationKind::GpoBackup);
    simulation
        .clone()
        .pace(Duration::ZERO)
        .cancel_at(0, HResult::ERROR_CANCELLED)
        .serve(&planned)
        .unwrap()
        .join();
    let rest: Vec<live::Update> = std::iter::from_fn(|| next(&mut updates))
        .map(described)
        .collect();
    assert_eq!(rest[0], live::Update::Event(Event::CancelRequested));
    assert_eq!(rest, planned.updates_so_far()[1..]);
    let text = trace.text();
    let lines: Vec<String> = text.lines().map(without_ms).collect();
    assert_eq!(
        lines[..3],
        [
            "{\"event\":\"begin\",\"operation\":\"gpo-backup\"}",
            "{\"event\":\"status\",\"numerator\":0,\"denominator\":4,\"hr\":\"0x00000000\"}",
            "{\"event\":\"cancel\"}",
        ]
    );
    assert!(lines[3].starts_with(
        "{\"event\":\"status\",\"numerator\":4,\"denominator\":4,\"hr\":\"0x800704C7\""
    ));
    assert_eq!(lines.len(), 4);
    drop(cancel);
    assert!(!sink.tracker().is_attached());
    assert_released(&gpmc);
}

/// A server that answers the request with a success goes on: the operation succeeds, the
/// request recorded (it came in time, the server chose to finish).
#[test]
fn a_server_that_goes_on_ends_as_it_would_have() {
    let _mta = Apartment::mta();
    let simulation = Simulation::new(OperationKind::GpoBackup)
        .extensions(3)
        .pace(Duration::from_millis(100))
        .cancel_answer(HResult::S_OK);
    let gpmc = FakeGpmc::new().simulation(simulation);
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    let request = operation.cancel();
    assert!(request.in_time());
    assert_eq!(request.server_answer(), Some(HResult::S_OK), "accepted");
    let outcome = operation.wait().expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert!(outcome.cancel_requested());
    assert!(outcome.result().is_some());
    assert!(gpmc.join()[0].cancel_received);
    drop((outcome, operation));
    assert_released(&gpmc);
}

/// A simulation's planned cancel is requested on the client's behalf, through the crate's
/// sink, as `Simulation::serve` does on any platform.
#[test]
fn a_planned_cancel_is_requested_on_the_clients_behalf() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().simulation(
        Simulation::new(OperationKind::GpoBackup)
            .extensions(4)
            .cancel_at(1, HResult::ERROR_CANCELLED),
    );
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    let outcome = operation.wait().expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    assert!(outcome.cancel_requested());
    assert!(operation
        .tracker()
        .updates_so_far()
        .contains(&Update::Event(Event::CancelRequested)));
    drop((outcome, operation));
    assert_released(&gpmc);
}

/// A server may refuse the request: its code is the answer, the request was in time (the
/// client did ask, and it stays recorded), and the operation runs to its end.
#[test]
fn a_server_that_refuses_says_so_in_its_answer() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new()
        .simulation(
            Simulation::new(OperationKind::GpoBackup)
                .extensions(3)
                .pace(Duration::from_millis(50)),
        )
        .refuse_cancel(HResult::E_ACCESSDENIED);
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    let request = operation.cancel();
    assert!(request.in_time());
    assert_eq!(request.server_answer(), Some(HResult::E_ACCESSDENIED));
    assert_eq!(
        request.to_string(),
        "in time; the server answered 0x80070005 (E_ACCESSDENIED)"
    );
    let outcome = operation.wait().expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert!(outcome.cancel_requested());
    assert!(!gpmc.join()[0].cancel_received, "the server never heard it");
    drop((outcome, operation));
    assert_released(&gpmc);
}
