//! The crate's fake GPMC (feature `com-fake`) under the crate's own sink: every one of the
//! 14 asynchronous methods, each scenario of the simulation (success with its typed result,
//! failure, cancel answered in time and too late, start failure, let-go, messages, the
//! synchronous form), and the same simulation through `Simulation::serve` and through the
//! fake giving the same updates. Every test ends with every fake object and sink released.
#![cfg(all(windows, feature = "com-fake"))]

use std::time::Duration;

use gpmc_progress::com::fake::{FakeArgument, FakeGpmc};
use gpmc_progress::com::{outcome_from_result, ComResult, ProgressSink};
use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{
    Event, HResult, Input, OperationKind, OperationOutcome, OutcomeKind, ResultDescription, Rule,
    StatusCall, TypedResult,
};
use windows::Win32::Foundation::{VARIANT_FALSE, VARIANT_TRUE};
use windows::Win32::System::GroupPolicy::{repHTML, repXML, IGPMResult};
use windows::Win32::System::Variant::VARIANT;

/// The 14 operations, each started by its own method.
fn kinds() -> impl Iterator<Item = OperationKind> {
    OperationKind::ALL
        .iter()
        .copied()
        .filter(|kind| *kind != OperationKind::Unknown)
}

/// Calls the method that starts `kind` on a fresh fake object.
fn invoke(
    fake: &FakeGpmc,
    kind: OperationKind,
    progress: *const VARIANT,
    cancel: *mut VARIANT,
) -> windows_core::Result<IGPMResult> {
    use OperationKind::*;
    let name = VARIANT::from("Copy of Default Domain Policy");
    // SAFETY: every VARIANT and interface outlives the call; `cancel` is writable (also
    // for the two methods windows-rs declares it `*const` for).
    unsafe {
        match kind {
            GpoBackup => {
                fake.gpo()
                    .Backup(&r"C:\Backups".into(), &"nightly".into(), progress, cancel)
            }
            GpoImport => fake
                .gpo()
                .Import(0, &fake.backup(), core::ptr::null(), progress, cancel),
            GpoCopy => fake.gpo().CopyTo(
                0,
                &*fake.domain(),
                &name,
                core::ptr::null(),
                progress,
                cancel,
            ),
            GpoReport => fake.gpo().GenerateReport(repXML, progress, cancel),
            DomainRestoreGpo => fake
                .domain()
                .RestoreGPO(&fake.backup(), 0, progress, cancel),
            BackupReport => fake.backup().GenerateReport(repHTML, progress, cancel),
            RsopReport => fake.rsop().GenerateReport(repXML, progress, cancel),
            DomainLoadStarterGpo => fake.domain().LoadStarterGPO(
                &r"C:\starter.cab".into(),
                VARIANT_TRUE,
                progress,
                cancel,
            ),
            DomainRestoreStarterGpo => {
                fake.domain()
                    .RestoreStarterGPO(&fake.starter_gpo_backup(), progress, cancel)
            }
            StarterGpoSave => fake.starter_gpo().Save(
                &r"C:\saved.cab".into(),
                VARIANT_FALSE,
                VARIANT_FALSE,
                core::ptr::null(),
                core::ptr::null(),
                core::ptr::null(),
                core::ptr::null(),
                core::ptr::null(),
                progress,
                cancel,
            ),
            StarterGpoBackup => fake.starter_gpo().Backup(
                &r"C:\Backups".into(),
                &"nightly".into(),
                progress,
                cancel,
            ),
            StarterGpoCopy => fake
                .starter_gpo()
                .CopyTo(&name, progress, cancel.cast_const()),
            StarterGpoReport => {
                fake.starter_gpo()
                    .GenerateReport(repXML, progress, cancel.cast_const())
            }
            StarterGpoBackupReport => fake
                .starter_gpo_backup()
                .GenerateReport(repXML, progress, cancel),
            Unknown => unreachable!("no method starts the unknown operation"),
            _ => unreachable!("an operation without a method"),
        }
    }
}

/// A started asynchronous operation: its sink, and the cancel object GPMC handed out.
struct Started {
    sink: ProgressSink,
    cancel: Option<gpmc_progress::com::CancelHandle>,
    started: windows_core::Result<Option<IGPMResult>>,
}

/// Starts `kind` on `fake` asynchronously, as a client does with the crate's sink.
fn start(fake: &FakeGpmc, kind: OperationKind) -> Started {
    let sink = ProgressSink::new(kind);
    let progress = sink.to_variant();
    let mut cancel = VARIANT::default();
    let started = sink.started(invoke(fake, kind, &progress, &mut cancel));
    let cancel = sink.cancel_handle(&cancel).ok();
    drop(progress);
    Started {
        sink,
        cancel,
        started,
    }
}

/// The plan's finishing call (the last status call).
fn finishing(simulation: &Simulation) -> StatusCall {
    simulation
        .inputs()
        .unwrap()
        .into_iter()
        .rev()
        .find_map(|input| match input {
            Input::Status(call) => Some(call),
            Input::Cancel => None,
        })
        .unwrap()
}

fn description(outcome: &OperationOutcome<ComResult>) -> Option<ResultDescription> {
    outcome.result().cloned().map(ComResult::into_description)
}

/// `update` with its result described in plain values, as a tracker of plain results (the
/// simulated server's) has it.
fn described(update: Update<ComResult>) -> Update {
    match update {
        Update::Event(event) => Update::Event(event),
        Update::Issue { call, issue } => Update::Issue { call, issue },
        Update::Fault(fault) => Update::Fault(fault),
        Update::End(end) => {
            Update::End(end.map(|outcome| outcome.map_result(ComResult::into_description)))
        }
        other => panic!("an update of a new kind: {other:?}"),
    }
}

/// Everything released: the operation threads joined, the client's cancel object let go,
/// the sink released by the fake, no fake object alive.
fn released(fake: &FakeGpmc, started: Started) {
    fake.join();
    let Started { sink, cancel, .. } = started;
    drop(cancel);
    assert!(!sink.tracker().is_attached(), "the fake released the sink");
    assert_eq!(fake.live_objects(), 0, "every fake object was released");
}

/// Runs `simulation` for its operation, asynchronously, to its end.
fn run(
    simulation: Simulation,
) -> (
    FakeGpmc,
    Started,
    Result<OperationOutcome<ComResult>, TrackError>,
) {
    let kind = simulation.operation();
    let fake = FakeGpmc::new().simulation(simulation);
    let started = start(&fake, kind);
    let outcome = started.sink.tracker().wait();
    (fake, started, outcome)
}

#[test]
fn every_method_succeeds_with_its_typed_result_and_records_its_arguments() {
    for (seed, kind) in kinds().enumerate() {
        let simulation = Simulation::new(kind).extensions(3).seed(seed as u64);
        let expected = finishing(&simulation).result;
        let (fake, started, outcome) = run(simulation.clone());
        assert!(
            matches!(started.started, Ok(None)),
            "{kind}: S_OK and no IGPMResult"
        );
        assert!(
            started.cancel.is_some(),
            "{kind}: a cancel object was handed out"
        );
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        let result = description(&outcome);
        assert_eq!(result, expected, "{kind}");
        let result_type = result.unwrap().result_type();
        assert!(kind.allows(result_type), "{kind}: {result_type}");
        let calls = fake.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].operation, kind);
        assert!(calls[0].asynchronous);
        assert!(!calls[0].arguments.is_empty(), "{kind}: arguments recorded");
        let served = fake.join();
        assert_eq!(served.len(), 1);
        assert_eq!(served[0].calls, 4, "{kind}: 0/3 to 3/3");
        drop(started);
        assert_eq!(fake.live_objects(), 0, "{kind}");
    }
}

#[test]
fn arguments_are_recorded_as_received() {
    let fake = FakeGpmc::new();
    let started = start(&fake, OperationKind::GpoCopy);
    started.sink.tracker().wait().unwrap();
    let started_save = start(&fake, OperationKind::StarterGpoSave);
    started_save.sink.tracker().wait().unwrap();
    let calls = fake.calls();
    assert_eq!(
        calls[0].arguments,
        vec![
            ("lFlags", FakeArgument::Number(0)),
            ("pIGPMDomain", FakeArgument::Object),
            (
                "pvarNewDisplayName",
                FakeArgument::Text("Copy of Default Domain Policy".into())
            ),
            ("pvarMigrationTable", FakeArgument::Missing),
        ]
    );
    assert_eq!(
        calls[1].arguments[0],
        ("bstrSaveFile", FakeArgument::Text(r"C:\saved.cab".into()))
    );
    assert_eq!(
        calls[1].arguments[1],
        ("bOverwrite", FakeArgument::Bool(false))
    );
    let save_sink = started_save.sink.clone();
    drop(started_save);
    released(&fake, started);
    assert!(!save_sink.tracker().is_attached());
}

#[test]
fn every_method_fails_as_the_simulation_says() {
    for kind in kinds() {
        let simulation = Simulation::new(kind)
            .extensions(4)
            .fail_at(2, HResult::E_ACCESSDENIED);
        let (fake, started, outcome) = run(simulation);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Failed, "{kind}");
        assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED, "{kind}");
        assert_eq!(outcome.result(), None);
        assert!(
            !outcome.messages().is_empty(),
            "{kind}: the failure's message"
        );
        released(&fake, started);
    }
}

#[test]
fn every_method_answers_a_cancel_in_time() {
    for kind in kinds() {
        // A long pause: the request cuts it short, so the run cannot end before it.
        let simulation = Simulation::new(kind)
            .extensions(5)
            .pace(Duration::from_secs(20));
        let fake = FakeGpmc::new().simulation(simulation);
        let started = start(&fake, kind);
        started.cancel.as_ref().unwrap().cancel().unwrap();
        let outcome = started.sink.tracker().wait().unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled, "{kind}");
        assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED, "{kind}");
        assert!(outcome.cancel_requested());
        let served = fake.join();
        assert!(served[0].cancel_received, "{kind}");
        released(&fake, started);
    }
}

#[test]
fn every_method_goes_on_when_the_cancel_comes_too_late() {
    for kind in kinds() {
        // The server answers the request with a success: too late, it goes on. The pace
        // leaves the request time to reach the running server.
        let simulation = Simulation::new(kind)
            .extensions(3)
            .pace(Duration::from_millis(100))
            .cancel_answer(HResult::S_OK);
        let fake = FakeGpmc::new().simulation(simulation.clone());
        let started = start(&fake, kind);
        started.cancel.as_ref().unwrap().cancel().unwrap();
        let outcome = started.sink.tracker().wait().unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        assert_eq!(
            description(&outcome),
            finishing(&simulation).result,
            "{kind}"
        );
        assert!(fake.join()[0].cancel_received, "{kind}");
        released(&fake, started);

        // A request after the finishing call changes nothing and is recorded nowhere (the
        // server still hears it).
        let fake = FakeGpmc::new().simulation(Simulation::new(kind).extensions(2));
        let started = start(&fake, kind);
        let outcome = started.sink.tracker().wait().unwrap();
        let before = started.sink.tracker().updates_so_far();
        started.cancel.as_ref().unwrap().cancel().unwrap();
        assert_eq!(started.sink.tracker().wait().unwrap(), outcome);
        assert_eq!(started.sink.tracker().updates_so_far(), before, "{kind}");
        assert!(!before.contains(&Update::Event(Event::CancelRequested)));
        assert!(started.sink.tracker().after_end().is_empty(), "{kind}");
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        released(&fake, started);
    }
}

#[test]
fn every_method_takes_a_planned_cancel_on_the_clients_behalf() {
    for kind in kinds() {
        let simulation = Simulation::new(kind)
            .extensions(4)
            .cancel_at(1, HResult::ERROR_CANCELLED);
        let (fake, started, outcome) = run(simulation);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled, "{kind}");
        assert!(outcome.cancel_requested(), "{kind}");
        released(&fake, started);
    }
}

#[test]
fn every_method_can_fail_to_start() {
    for kind in kinds() {
        let fake = FakeGpmc::new()
            .simulation(Simulation::new(kind).fail_to_start(HResult::E_ACCESSDENIED));
        let started = start(&fake, kind);
        let error = started.started.as_ref().unwrap_err();
        assert_eq!(
            HResult::from(error.code()),
            HResult::E_ACCESSDENIED,
            "{kind}"
        );
        assert!(
            started.cancel.is_none(),
            "{kind}: nothing started, no cancel object"
        );
        let failed = Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
        assert_eq!(started.sink.tracker().wait(), failed, "{kind}");
        // The failed start reaches the streams as the end.
        assert_eq!(
            started.sink.tracker().updates_so_far(),
            [Update::End(failed)],
            "{kind}"
        );
        assert!(fake.join().is_empty(), "{kind}: no thread started");
        assert_eq!(fake.calls().len(), 1, "{kind}: the call is recorded");
        released(&fake, started);
    }
}

#[test]
fn every_method_can_let_go_without_finishing() {
    for kind in kinds() {
        let (fake, started, outcome) = run(Simulation::new(kind).extensions(4).let_go_at(2));
        assert_eq!(
            outcome,
            Err(TrackError::Abandoned { calls_received: 2 }),
            "{kind}"
        );
        released(&fake, started);
    }
}

#[test]
fn every_method_reports_messages_on_the_way() {
    for (seed, kind) in kinds().enumerate() {
        let simulation = Simulation::new(kind)
            .extensions(4)
            .warning_at(0)
            .warning_at(2)
            .random_warnings(2)
            .seed(seed as u64);
        let expected: Vec<_> = simulation
            .inputs()
            .unwrap()
            .into_iter()
            .filter_map(|input| match input {
                Input::Status(call) => call.messages,
                Input::Cancel => None,
            })
            .flatten()
            .collect();
        assert!(expected.len() >= 2);
        let (fake, started, outcome) = run(simulation);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        assert_eq!(outcome.messages(), &expected[..], "{kind}");
        released(&fake, started);
    }
}

#[test]
fn every_method_runs_synchronously_without_a_sink() {
    for (seed, kind) in kinds().enumerate() {
        for simulation in [
            Simulation::new(kind)
                .extensions(3)
                .warning_at(1)
                .seed(seed as u64),
            Simulation::new(kind)
                .extensions(3)
                .fail_at(2, HResult::E_FAIL),
        ] {
            let fake = FakeGpmc::new().simulation(simulation.clone());
            let call = finishing(&simulation);
            let sync = outcome_from_result(invoke(
                &fake,
                kind,
                core::ptr::null(),
                core::ptr::null_mut(),
            ));
            assert!(sync.issues.is_empty(), "{kind}: {:?}", sync.issues);
            assert_eq!(sync.outcome.hr(), call.hr, "{kind}");
            assert_eq!(description(&sync.outcome), call.result, "{kind}");
            assert!(!sync.outcome.messages().is_empty(), "{kind}");
            assert!(!fake.calls()[0].asynchronous);

            // The asynchronous run ends the same way.
            let started = start(&fake, kind);
            let outcome = started.sink.tracker().wait().unwrap();
            assert_eq!(outcome, sync.outcome, "{kind}");
            drop(sync);
            released(&fake, started);
        }
        let fake = FakeGpmc::new()
            .simulation(Simulation::new(kind).fail_to_start(HResult::E_ACCESSDENIED));
        let sync = outcome_from_result(invoke(
            &fake,
            kind,
            core::ptr::null(),
            core::ptr::null_mut(),
        ));
        assert_eq!(sync.outcome.hr(), HResult::E_ACCESSDENIED, "{kind}");
        assert_eq!(fake.live_objects(), 0);
    }
}

#[test]
fn overlapping_calls_from_two_threads_end_as_on_one() {
    for kind in kinds() {
        let simulation = Simulation::new(kind).extensions(4).overlapping(true);
        let expected = finishing(&simulation).result;
        let (fake, started, outcome) = run(simulation);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        assert_eq!(description(&outcome), expected);
        assert_eq!(
            fake.join()[0].calls,
            9,
            "{kind}: 4 progress calls twice, and the finishing one"
        );
        released(&fake, started);
    }
}

/// One simulation, two transports: the simulated server reporting to a tracker in-process,
/// and the fake GPMC calling the COM sink. The updates are the same.
#[test]
fn the_same_simulation_gives_the_same_updates_through_both_transports() {
    for (index, kind) in kinds().enumerate() {
        let seed = index as u64 * 31 + 5;
        let simulations = [
            Simulation::new(kind).seed(seed),
            Simulation::new(kind).random_warnings(3).seed(seed),
            Simulation::new(kind)
                .extensions(5)
                .fail_at(3, HResult::E_ACCESSDENIED)
                .warning_at(4)
                .seed(seed),
            Simulation::new(kind)
                .extensions(4)
                .cancel_at(2, HResult::ERROR_CANCELLED)
                .seed(seed),
            Simulation::new(kind)
                .extensions(4)
                .cancel_at(1, HResult::S_OK)
                .seed(seed),
            Simulation::new(kind).extensions(4).let_go_at(3).seed(seed),
            Simulation::new(kind)
                .extensions(3)
                .break_rule(Rule::NumeratorDecreased)
                .seed(seed),
            Simulation::new(kind)
                .extensions(3)
                .break_rule(Rule::UnexpectedResult)
                .seed(seed),
            Simulation::new(kind)
                .extensions(3)
                .overlapping(true)
                .warning_at(1)
                .seed(seed),
        ];
        for simulation in simulations {
            let tracker = Tracker::new(kind);
            let server = simulation.serve(&tracker).unwrap();
            let native = tracker
                .wait()
                .map(|o| o.map_result(ResultDescription::from));
            server.join();

            let fake = FakeGpmc::new().simulation(simulation.clone());
            let started = start(&fake, kind);
            let com = started
                .sink
                .tracker()
                .wait()
                .map(|o| o.map_result(ComResult::into_description));
            assert_eq!(com, native, "{kind}: {simulation:?}");
            let updates: Vec<Update> = started
                .sink
                .tracker()
                .updates_so_far()
                .into_iter()
                .map(described)
                .collect();
            assert_eq!(updates, tracker.updates_so_far(), "{kind}: {simulation:?}");
            released(&fake, started);
        }
    }
}

/// Result objects are full fakes: a backup delivered by `IGPMGPO::Backup` generates its own
/// report, through the same fake GPMC.
#[test]
fn a_delivered_result_object_runs_its_own_methods() {
    let fake = FakeGpmc::new();
    let backup = outcome_from_result(invoke(
        &fake,
        OperationKind::GpoBackup,
        core::ptr::null(),
        core::ptr::null_mut(),
    ));
    // SAFETY: synchronous calls on live fakes; the VARIANTs are ours.
    let report = unsafe {
        let result = fake
            .gpo()
            .Backup(
                &r"C:\Backups".into(),
                &"".into(),
                core::ptr::null(),
                core::ptr::null_mut(),
            )
            .unwrap();
        let delivered = result.Result().unwrap();
        let object: windows::Win32::System::Com::IDispatch = (&delivered).try_into().unwrap();
        let delivered_backup: windows::Win32::System::GroupPolicy::IGPMBackup =
            windows_core::Interface::cast(&object).unwrap();
        outcome_from_result(delivered_backup.GenerateReport(
            repXML,
            core::ptr::null(),
            core::ptr::null_mut(),
        ))
    };
    assert!(matches!(
        description(&backup.outcome),
        Some(ResultDescription::Backup { .. })
    ));
    assert!(matches!(
        description(&report.outcome),
        Some(ResultDescription::Text { value: Some(_) })
    ));
    let operations: Vec<_> = fake.calls().iter().map(|call| call.operation).collect();
    assert_eq!(
        operations,
        [
            OperationKind::GpoBackup,
            OperationKind::GpoBackup,
            OperationKind::BackupReport
        ]
    );
    drop((backup, report));
    assert_eq!(fake.live_objects(), 0);
}
