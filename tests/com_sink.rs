//! The sink in front of the live engine, against the crate's fake GPMC: how an operation
//! ends through the sink (every outcome of the protocol, a violation, a failed start, a
//! server that lets go), what comes after the end, the place of quiet progress among the
//! updates, and a sink whose consumers have all gone. `Status` is called through the COM
//! vtable from the fake's own MTA thread. Every test checks what every consumer sees, and
//! that the server released the sink and every fake object.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;
mod trace_buffer;

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use com_support::*;
use gpmc_progress::com::fake::script::{
    text, CallSpec, CollectionSpec, MessageSpec, Props, ResultSpec, Step,
};
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{ComResult, ProgressSink};
use gpmc_progress::live::{self, Late, Location, NoUpdate, Notification, ReadProblem, TrackError};
use gpmc_progress::simulate::{RecordedRun, Simulation};
use gpmc_progress::trace::{replay, Verdict};
use gpmc_progress::{
    Breach, Event, HResult, OperationKind, OutcomeKind, ProgressFraction, ResultDescription, Rules,
    StatusMessage,
};
use trace_buffer::SharedBuffer;
use windows::Win32::Foundation::E_POINTER;

fn backup_props() -> Props {
    Props::of(&[
        ("ID", "{2C5A3F7E-0000-4000-8000-000000000001}"),
        ("GPOID", "{31B2F340-016D-11D2-945F-00C04FB984F9}"),
        ("BackupDir", r"C:\Backups"),
        ("Comment", "nightly"),
    ])
}

/// A call that only moves the progress on (no result, a null collection) takes the sink's
/// quiet path. It must still reach the updates in its place: before a later anomaly,
/// message, cancel request or end, merged like any unread progress, and the same updates as
/// a sink whose observer reads them as they come. A quiet call after the end is late like
/// any other, numbered after every call received (so each call was counted once).
#[test]
fn quiet_progress_keeps_its_place_in_the_log() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    // Call 6 has a message with invalid UTF-16: its issue comes before its own progress,
    // and after the progress the quiet calls before it left in the machine.
    let broken = vec![0x006D, 0xDC00];
    let steps = || -> Vec<Step> {
        let mut spec = MessageSpec::new("");
        spec.message = Ok(broken.clone());
        vec![
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4).into(),
            CallSpec::progress(2, 4).into(),
            // Back to 1/4: an anomaly under `documented`.
            CallSpec::progress(1, 4).into(),
            CallSpec::progress(2, 4).into(),
            CallSpec::progress(3, 4)
                .messages(CollectionSpec::of(vec![spec]))
                .into(),
            CallSpec::progress(3, 4).into(),
            CallSpec::progress(4, 4)
                .result(ResultSpec::Bstr("<r/>".encode_utf16().collect()))
                .into(),
            // After the end: late.
            CallSpec::progress(4, 4).into(),
        ]
    };
    let quiet = ProgressSink::new(OperationKind::GpoReport);
    serve_to(&gpmc, &quiet, steps());
    let (observed, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(&gpmc, &observed, steps());
    let expected = vec![
        progress(1, 4),
        anomaly(
            4,
            Breach::NumeratorDecreased {
                previous: 2,
                numerator: 1,
            },
        ),
        progress(2, 4),
        issue(
            6,
            Location::Message(0),
            "Message",
            ReadProblem::InvalidUtf16 {
                units: broken.clone(),
            },
        ),
        progress(3, 4),
        message(StatusMessage::new("m\u{FFFD}")),
        progress(4, 4),
        finished(&quiet, OutcomeKind::Succeeded),
    ];
    assert_eq!(quiet.tracker().updates_so_far(), expected);
    assert_eq!(seen.all(), expected);
    let late = Late::Status {
        call: 9,
        numerator: 4,
        denominator: 4,
        hr: HResult::S_OK,
    };
    assert_eq!(
        quiet.tracker().after_end().events,
        std::slice::from_ref(&late)
    );
    assert_eq!(
        observed.tracker().after_end().events,
        std::slice::from_ref(&late)
    );
    assert_eq!(seen.late(), [late]);
    assert_eq!(outcome_of(&quiet), outcome_of(&observed));
    assert_released(&gpmc);
}

/// Quiet progress, then the client's cancel request: the progress comes first.
#[test]
fn quiet_progress_comes_before_a_later_cancel_request() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().play(
        OperationKind::GpoBackup,
        [
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4).into(),
            CallSpec::progress(2, 4).into(),
            Step::AwaitCancel,
            CallSpec::progress(2, 4).hr(HResult::ERROR_CANCELLED).into(),
        ],
    );
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let (progress_variant, cancel_variant, returned) = start_backup(&gpmc.gpo(), &sink);
    assert!(sink.started(returned).expect("started").is_none());
    drop(progress_variant);
    let cancel = sink
        .cancel_handle(&cancel_variant)
        .expect("IGPMAsyncCancel");
    drop(cancel_variant);
    // Quiet progress wakes a waiting stream; the server then waits for the request.
    let mut waiting = sink.tracker().updates();
    loop {
        match waiting.next_timeout(GUARD) {
            Ok(update) if update == progress(2, 4) => break,
            Ok(update) => assert!(
                matches!(update, Update::Event(Event::Progress(_))),
                "{update:?}"
            ),
            Err(error) => panic!("{error} (deadlock guard)"),
        }
    }
    // A reader that comes now is handed the progress once, merged.
    assert_eq!(sink.tracker().updates_so_far(), vec![progress(2, 4)]);
    let mut stream = sink.tracker().updates();
    assert_eq!(stream.try_next(), Ok(progress(2, 4)));
    assert_eq!(stream.try_next(), Err(NoUpdate::NotYet));
    let request = cancel.cancel();
    assert!(request.in_time());
    assert_eq!(request.server_answer(), Some(HResult::S_OK), "accepted");
    assert_eq!(outcome_of(&sink).kind(), OutcomeKind::Cancelled);
    assert!(gpmc.join()[0].cancel_received);
    assert_eq!(
        sink.tracker().updates_so_far(),
        vec![
            progress(2, 4),
            Update::Event(Event::CancelRequested),
            progress(2, 4),
            anomaly(
                4,
                Breach::FailureBeforeCompletion {
                    hr: HResult::ERROR_CANCELLED,
                    numerator: 2,
                    denominator: 4
                }
            ),
            finished(&sink, OutcomeKind::Cancelled),
        ]
    );
    drop(cancel);
    assert!(!sink.tracker().is_attached());
    assert_released(&gpmc);
}

#[test]
fn the_sink_keeps_working_after_its_consumer_has_gone() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let trace = SharedBuffer::default();
    let (writer, writer_dropped) = Signalling::new(trace.clone());
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(writer)
        .build()
        .into();
    let object = sink.interface();
    let updates = sink.tracker().updates();
    let outcome = sink.tracker().outcome();
    // Every consumer goes away before the server starts.
    drop((sink, updates, outcome));
    gpmc.serve(
        &object,
        vec![
            CallSpec::progress(0, 2).into(),
            CallSpec::progress(1, 2)
                .messages(CollectionSpec::of(vec![MessageSpec::new("still read")]))
                .into(),
            CallSpec::progress(2, 2)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
            // Even a late call is answered.
            CallSpec::progress(2, 2).into(),
        ],
    )
    .expect("served")
    .join()
    .expect("the server thread");
    assert_eq!(refcount(&object), 1);
    // The recorder is let go once the server let go of the last COM reference (and every
    // line was written), not before.
    assert_eq!(Arc::strong_count(&trace.0), 2);
    drop(object);
    writer_dropped
        .recv_timeout(GUARD)
        .expect("the recorder was let go (deadlock guard)");
    assert_eq!(Arc::strong_count(&trace.0), 1, "the recorder was dropped");
    let lines: Vec<String> = trace.text().lines().map(str::to_owned).collect();
    // The late call is recorded too: the server had not let go yet.
    assert_eq!(lines.len(), 5, "begin and four status lines: {lines:?}");
    assert!(lines[2].contains("still read"));
    assert!(lines[3].contains(r#""type":"backup""#));
    assert_released(&gpmc);
}

#[test]
fn every_outcome_of_the_contract() {
    let _mta = Apartment::mta();
    let backup = || ResultSpec::Backup(backup_props());
    // (rules, steps, cancel after the first call, expected end)
    #[derive(Debug)]
    enum End {
        Violation(u64, Breach),
        Abandoned(u64),
    }
    type Expected = Result<(OutcomeKind, HResult, bool), End>;
    let cases: Vec<(&str, Rules, Vec<CallSpec>, bool, Expected)> = vec![
        (
            "succeeded",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).result(backup()),
            ],
            false,
            Ok((OutcomeKind::Succeeded, HResult::S_OK, true)),
        ),
        (
            "succeeded with S_FALSE",
            Rules::strict(),
            vec![CallSpec::progress(2, 2)
                .hr(HResult::S_FALSE)
                .result(backup())],
            false,
            Ok((OutcomeKind::Succeeded, HResult::S_FALSE, true)),
        ),
        (
            "failed at completion",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).hr(HResult::E_ACCESSDENIED),
            ],
            false,
            Ok((OutcomeKind::Failed, HResult::E_ACCESSDENIED, false)),
        ),
        (
            "failed before completion (documented)",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(1, 2).hr(HResult::E_FAIL),
            ],
            false,
            Ok((OutcomeKind::Failed, HResult::E_FAIL, false)),
        ),
        (
            "failed with the result kept",
            Rules::documented(),
            vec![CallSpec::progress(2, 2)
                .hr(HResult::E_FAIL)
                .result(backup())],
            false,
            Ok((OutcomeKind::Failed, HResult::E_FAIL, true)),
        ),
        (
            "cancelled",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).hr(HResult::ERROR_CANCELLED),
            ],
            true,
            Ok((OutcomeKind::Cancelled, HResult::ERROR_CANCELLED, false)),
        ),
        (
            "succeeded although cancel was requested",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).result(backup()),
            ],
            true,
            Ok((OutcomeKind::Succeeded, HResult::S_OK, true)),
        ),
        (
            "violation (strict: denominator changed)",
            Rules::strict(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(1, 3),
                CallSpec::progress(3, 3).result(backup()),
            ],
            false,
            Err(End::Violation(
                2,
                Breach::DenominatorChanged {
                    previous: 2,
                    denominator: 3,
                },
            )),
        ),
        (
            "violation (documented: numerator exceeds denominator)",
            Rules::documented(),
            vec![CallSpec::progress(0, 2), CallSpec::progress(3, 2)],
            false,
            Err(End::Violation(
                2,
                Breach::NumeratorExceedsDenominator {
                    numerator: 3,
                    denominator: 2,
                },
            )),
        ),
        (
            "abandoned",
            Rules::documented(),
            vec![CallSpec::progress(0, 2), CallSpec::progress(1, 2)],
            false,
            Err(End::Abandoned(2)),
        ),
    ];
    for (name, rules, calls, cancel_first, expected) in cases {
        let calls_made = calls.len() as u64;
        let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
            .rules(rules)
            .build()
            .into();
        let mut steps: Vec<Step> = Vec::new();
        for (i, call) in calls.into_iter().enumerate() {
            if i == 1 && cancel_first {
                steps.push(Step::AwaitCancel);
            }
            steps.push(call.into());
        }
        let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, steps);
        let (progress_variant, cancel_variant, returned) = start_backup(&gpmc.gpo(), &sink);
        sink.started(returned).expect("started");
        let object = progress_variant;
        let handle = if cancel_first {
            let handle = sink
                .cancel_handle(&cancel_variant)
                .expect("a cancel handle");
            let mut updates = sink.tracker().updates();
            assert!(matches!(
                next(&mut updates),
                Some(Update::Event(Event::Progress(_)))
            ));
            assert!(handle.cancel().in_time(), "{name}");
            Some(handle)
        } else {
            None
        };
        drop(cancel_variant);
        let served = gpmc.join();
        assert_eq!(served[0].cancel_received, cancel_first, "{name}");
        drop(object);
        let end = ended(&sink);
        // Whatever the end, it is the last update.
        assert_eq!(
            sink.tracker().updates_so_far().last(),
            Some(&Update::End(end.clone())),
            "{name}"
        );
        let after = sink.tracker().after_end();
        match (&end, &expected) {
            (Ok(outcome), Ok((kind, hr, has_result))) => {
                assert_eq!(outcome.kind(), *kind, "{name}");
                assert_eq!(outcome.hr(), *hr, "{name}");
                assert_eq!(outcome.result().is_some(), *has_result, "{name}");
                assert_eq!(outcome.cancel_requested(), cancel_first, "{name}");
                assert!(after.is_empty(), "{name}: {after:?}");
            }
            (Err(TrackError::Violation(violation)), Err(End::Violation(call, breach))) => {
                assert_eq!(
                    (violation.call, violation.breach),
                    (*call, *breach),
                    "{name}"
                );
                // The first violation ended the operation: a call after it is late.
                let late: Vec<u64> = after
                    .events
                    .iter()
                    .map(|late| match late {
                        Late::Status { call, .. } => *call,
                        other => panic!("{name}: {other:?}"),
                    })
                    .collect();
                let expected: Vec<u64> = (*call + 1..=calls_made).collect();
                assert_eq!(late, expected, "{name}");
            }
            (Err(TrackError::Abandoned { calls_received }), Err(End::Abandoned(calls))) => {
                assert_eq!(calls_received, calls, "{name}");
                assert!(after.is_empty(), "{name}: {after:?}");
            }
            _ => panic!("{name}: got {end:?}, expected {expected:?}"),
        }
        // The future agrees with the blocking wait.
        assert_eq!(block_on(sink.tracker().outcome()), end, "{name}");
        drop(handle);
        assert!(!sink.tracker().is_attached(), "{name}");
        assert_released(&gpmc);
    }
}

#[test]
fn a_failing_asynchronous_method_ends_the_wait() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().simulation(
        Simulation::new(OperationKind::GpoBackup).fail_to_start(HResult::E_ACCESSDENIED),
    );
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let (progress, cancel, returned) = start_backup(&gpmc.gpo(), &sink);
    assert!(cancel.is_empty());
    // The failing server took no reference; the client's VARIANT holds one.
    assert!(sink.tracker().is_attached());
    let error = sink.started(returned).expect_err("the method failed");
    assert_eq!(HResult::from(error.code()), HResult::E_ACCESSDENIED);
    drop(progress);
    let failed = Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
    assert_eq!(ended(&sink), failed);
    // The failed start reaches the streams as the end.
    assert_eq!(sink.tracker().updates_so_far(), [Update::End(failed)]);
    assert_eq!(
        sink.cancel_handle(&cancel).map(|_| ()).unwrap_err().code(),
        E_POINTER
    );
    assert!(gpmc.join().is_empty(), "nothing started");
    assert!(!sink.tracker().is_attached());
    assert_released(&gpmc);
}

/// The end is set once: a client that let go of its VARIANT before telling `started`
/// sees the release first (abandoned), and `started` still returns the method's error;
/// the failed start, after the end, is kept apart as late.
#[test]
fn a_failed_start_told_after_the_last_release_stays_abandoned() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().simulation(
        Simulation::new(OperationKind::GpoBackup).fail_to_start(HResult::E_ACCESSDENIED),
    );
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let (progress, _cancel, returned) = start_backup(&gpmc.gpo(), &sink);
    drop(progress);
    let abandoned = Err(TrackError::Abandoned { calls_received: 0 });
    assert_eq!(sink.tracker().try_outcome(), Some(abandoned.clone()));
    let error = sink.started(returned).map(|_| ()).unwrap_err();
    assert_eq!(HResult::from(error.code()), HResult::E_ACCESSDENIED);
    assert_eq!(ended(&sink), abandoned);
    assert_eq!(sink.tracker().updates_so_far(), [Update::End(abandoned)]);
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::StartFailed(HResult::E_ACCESSDENIED)]
    );
    assert!(!sink.tracker().is_attached());
    assert_released(&gpmc);
}

/// A call after the finishing one is late: it breaks `status-after-completion`, is kept
/// apart and told to the observer apart, and never reaches the updates (nor its message).
#[test]
fn status_after_completion_is_reported_but_does_not_change_the_end() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
            CallSpec::progress(1, 1)
                .messages(CollectionSpec::of(vec![MessageSpec::new("late")]))
                .into(),
        ],
    );
    assert_eq!(
        seen.all(),
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    let late = Late::Status {
        call: 2,
        numerator: 1,
        denominator: 1,
        hr: HResult::S_OK,
    };
    let after = sink.tracker().after_end();
    assert_eq!(after.status_calls, 1);
    assert_eq!(after.events, std::slice::from_ref(&late));
    assert_eq!(seen.late(), [late]);
    assert_released(&gpmc);
}

#[test]
fn the_stream_yields_every_update_and_ends() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let sink = ProgressSink::new(OperationKind::GpoReport);
    let mut early = sink.tracker().updates();
    let object = sink.interface();
    let server = gpmc
        .serve(
            &object,
            vec![
                CallSpec::progress(0, 2).into(),
                CallSpec::progress(1, 2)
                    .messages(CollectionSpec::of(vec![MessageSpec::new("m")]))
                    .into(),
                CallSpec::progress(2, 2)
                    .result(ResultSpec::Bstr("<r/>".encode_utf16().collect()))
                    .into(),
            ],
        )
        .expect("served");
    let collected: Vec<Update> = std::iter::from_fn(|| next(&mut early)).collect();
    let outcome = block_on(sink.tracker().outcome()).expect("an outcome");
    server.join().expect("the server thread");
    drop(object);
    // Whatever the timing, the stream yields every message and the end exactly once, and
    // progress in order (unread progress may have been merged), ending at 2/2.
    let not_progress: Vec<&Update> = collected
        .iter()
        .filter(|u| !matches!(u, Update::Event(Event::Progress(_))))
        .collect();
    assert_eq!(
        not_progress,
        vec![
            &message(StatusMessage::new("m")),
            &finished(&sink, OutcomeKind::Succeeded)
        ]
    );
    let fractions: Vec<(i32, i32)> = collected
        .iter()
        .filter_map(|u| match u {
            Update::Event(Event::Progress(p)) => Some((p.numerator(), p.denominator())),
            _ => None,
        })
        .collect();
    assert!(
        fractions.windows(2).all(|w| w[0].0 < w[1].0),
        "{fractions:?}"
    );
    assert_eq!(fractions.last(), Some(&(2, 2)));
    assert_eq!(collected[collected.len() - 2], progress(2, 2));
    // A stream made afterwards yields the same updates from the start, then ends.
    let mut late = sink.tracker().updates();
    assert_eq!(
        std::iter::from_fn(|| next(&mut late)).collect::<Vec<_>>(),
        sink.tracker().updates_so_far()
    );
    assert_eq!(late.try_next(), Err(NoUpdate::Ended));
    assert_eq!(
        outcome.result().map(ComResult::description),
        Some(&ResultDescription::text("<r/>"))
    );
    assert_released(&gpmc);
}

#[test]
fn the_recorded_trace_replays_to_the_same_outcome() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let trace = SharedBuffer::default();
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(trace.clone())
        .build()
        .into();
    let mut warning = MessageSpec::new("a setting was skipped");
    warning.error_code = HResult::S_FALSE;
    warning.extension_name = text("Registry");
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 3).into(),
            CallSpec::progress(1, 3)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            CallSpec::progress(1, 4)
                .messages(CollectionSpec::of(vec![warning]))
                .into(),
            CallSpec::progress(4, 4)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
    );
    // Every line up to the end is written by the time the end is known.
    let outcome = outcome_of(&sink).map_result(ResultDescription::from);
    let text = trace.text();
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().nth(2).unwrap().ends_with(r#""messages":[]}"#));
    match replay(text.as_bytes(), Rules::documented()) {
        Verdict::Finished {
            outcome: replayed,
            anomalies,
        } => {
            // The verdict keeps the finishing call's code and result; the messages are read
            // and checked, not kept (a tracker fed the trace keeps them, as the next test shows).
            assert_eq!(replayed.hr(), outcome.hr());
            assert_eq!(replayed.result(), outcome.result());
            assert!(replayed.messages().is_empty());
            assert_eq!(outcome.messages().len(), 1);
            assert_eq!(anomalies.len(), 1, "denominator-changed");
        }
        other => panic!("unexpected verdict {other:?}"),
    }
    assert_released(&gpmc);
}

/// Record once on Windows, replay anywhere: the trace the sink recorded, served by
/// `RecordedRun` into a new tracker, is the same run: the same updates, the same end and the
/// same call after it.
#[test]
fn a_recorded_run_replays_into_a_new_tracker_as_the_same_run() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let trace = SharedBuffer::default();
    let (writer, writer_dropped) = Signalling::new(trace.clone());
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(writer)
        .build()
        .into();
    let mut warning = MessageSpec::new("a logon script is missing from SYSVOL");
    warning.error_code = HResult::from_bits(0x8007_0002);
    warning.extension_name = text("Scripts");
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4)
                .messages(CollectionSpec::of(vec![warning]))
                .into(),
            CallSpec::progress(1, 5).into(),
            CallSpec::progress(5, 5).hr(HResult::E_ACCESSDENIED).into(),
            // A call after the finishing one.
            CallSpec::progress(5, 5).into(),
        ],
    );
    let recorded = sink.tracker();
    // The recorder lets go of its writer once it wrote every line, the late one included.
    writer_dropped
        .recv_timeout(Duration::from_secs(60))
        .expect("the recorder let go of its writer");
    let text = trace.text();
    assert_eq!(text.lines().count(), 6, "{text}");

    let run = RecordedRun::read(text.as_bytes()).expect("the recorded trace reads");
    assert_eq!(run.operation(), OperationKind::GpoBackup);
    assert_eq!(run.calls(), 5);
    let replayed = live::Tracker::new(OperationKind::GpoBackup);
    let served = run
        .speed(f64::INFINITY)
        .serve(&replayed)
        .expect("a backup's tracker")
        .wait();
    assert_eq!(served.calls, 5);
    let updates: Vec<live::Update> = recorded
        .updates_so_far()
        .into_iter()
        .map(described)
        .collect();
    assert!(
        updates
            .iter()
            .any(|update| matches!(update, live::Update::Event(Event::Anomaly(_)))),
        "the denominator changed: {updates:?}"
    );
    assert_eq!(replayed.updates_so_far(), updates);
    let end = replayed.wait().expect("an outcome");
    assert_eq!(end.kind(), OutcomeKind::Failed);
    assert_eq!(end.hr(), HResult::E_ACCESSDENIED);
    assert_eq!(recorded.after_end().status_calls, 1);
    assert_eq!(replayed.after_end(), recorded.after_end());
    assert_released(&gpmc);
}

#[test]
fn waiting_times_out_until_the_end_is_decided() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let sink = ProgressSink::new(OperationKind::BackupReport);
    let object = sink.interface();
    let tracker_of_sink = sink.tracker();
    assert_eq!(
        tracker_of_sink.wait_timeout(Duration::from_millis(20)),
        None
    );
    assert_eq!(tracker_of_sink.try_outcome(), None);
    let mut updates = tracker_of_sink.updates();
    assert_eq!(
        updates.try_next(),
        Err(NoUpdate::NotYet),
        "nothing yet, not ended"
    );
    // A waiter on another thread is woken by the server's finishing call.
    let waiter = {
        let tracker = tracker_of_sink.clone();
        thread::spawn(move || tracker.wait())
    };
    gpmc.serve(
        &object,
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Bstr("<report/>".encode_utf16().collect()))
            .into()],
    )
    .expect("served")
    .join()
    .expect("the server thread");
    let outcome = waiter.join().expect("the waiter").expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(tracker_of_sink.try_outcome(), Some(Ok(outcome.clone())));
    assert_eq!(updates.try_next(), Ok(progress(1, 1)));
    assert_eq!(updates.try_next(), Ok(Update::End(Ok(outcome))));
    assert_eq!(updates.try_next(), Err(NoUpdate::Ended));
    assert_eq!(refcount(&object), 1);
    drop(object);
    assert!(!tracker_of_sink.is_attached());
    assert_eq!(gpmc.objects_alive(), 0);
}

/// The observer may own a handle of the sink it observes: it is let go once the server let
/// go and it was handed everything, so the sink's state is freed.
#[test]
fn an_observer_owning_the_sink_does_not_keep_it_alive() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let trace = SharedBuffer::default();
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(trace.clone())
        .build()
        .into();
    // Build a second sink whose observer owns a handle of itself through a slot.
    let slot: Arc<Mutex<Option<ProgressSink>>> = Arc::default();
    let (on_drop, observer_dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let (writer, writer_dropped) = Signalling::new(trace.clone());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let cyclic: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(writer)
        .observer({
            let slot = Arc::clone(&slot);
            let calls = Arc::clone(&calls);
            move |notification| {
                let _ = &guard;
                // The observer may use the sink it observes.
                let progress = slot
                    .lock()
                    .unwrap()
                    .as_ref()
                    .map(|sink| sink.tracker().progress());
                if let Notification::Update(update) = notification {
                    calls.lock().unwrap().push((update.is_end(), progress));
                }
            }
        })
        .build()
        .into();
    *slot.lock().unwrap() = Some(cyclic.clone());
    drop(slot);
    serve_to(
        &gpmc,
        &cyclic,
        vec![
            CallSpec::progress(0, 1).into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
    );
    observer_dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go once the server let go (deadlock guard)");
    writer_dropped
        .recv_timeout(GUARD)
        .expect("the recorder was let go too (deadlock guard)");
    let calls = calls.lock().unwrap().clone();
    assert!(
        calls
            .iter()
            .all(|(_, progress)| matches!(progress, Some(Some(_)))),
        "the observer saw its sink's progress at every update: {calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&(true, Some(ProgressFraction::new(1, 1).ok())))
    );
    assert_eq!(outcome_of(&cyclic).kind(), OutcomeKind::Succeeded);
    drop(cyclic);
    drop(sink);
    assert_eq!(
        Arc::strong_count(&trace.0),
        1,
        "both sinks' recorders were freed"
    );
    assert_released(&gpmc);
}
