//! Threads and apartments, against the crate's fake GPMC: `Status` calls from two server
//! threads at once, the sink marshaled to an MTA or an STA thread, the observer on the
//! tracker's own thread and the result hook on the server's, and the typed result of an
//! operation resolved on any thread, in any apartment (a thread without COM included), for a
//! client in an MTA or an STA. Every test checks that nothing was left behind.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;

use std::mem::ManuallyDrop;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use com_support::*;
use gpmc_progress::com::fake::script::{
    CallSpec, CollectionSpec, MessageSpec, Props, ResultSpec, Step,
};
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{
    BackupExt, ComResult, Gpm, GpoExt, ProgressSink, ReportFormat, ResultObject,
};
use gpmc_progress::live::Late;
use gpmc_progress::{
    Event, HResult, OperationKind, OperationOutcome, OutcomeKind, ProgressFraction,
    ResultDescription, StatusMessage,
};
use windows::Win32::System::Com::Marshal::CoMarshalInterThreadInterfaceInStream;
use windows::Win32::System::Com::StructuredStorage::CoGetInterfaceAndReleaseStream;
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, COINIT, COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{IGPMAsyncProgress, IGPMBackup};
use windows_core::Interface;

const BACKUP_ID: &str = "{2C5A3F7E-0000-4000-8000-000000000001}";

fn backup_props() -> Props {
    Props::of(&[
        ("ID", BACKUP_ID),
        ("GPOID", "{31B2F340-016D-11D2-945F-00C04FB984F9}"),
        ("BackupDir", r"C:\Backups"),
        ("Comment", "nightly"),
    ])
}

fn backup_description() -> ResultDescription {
    ResultDescription::Backup {
        id: Some(BACKUP_ID.into()),
        gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
        directory: Some(r"C:\Backups".into()),
        comment: Some("nightly".into()),
    }
}

fn backup_steps() -> Vec<Step> {
    vec![
        CallSpec::progress(0, 2).into(),
        CallSpec::progress(1, 2)
            .messages(CollectionSpec::of(vec![MessageSpec::new("copied")]))
            .into(),
        CallSpec::progress(2, 2)
            .result(ResultSpec::Backup(backup_props()))
            .into(),
    ]
}

/// The backup's ID, read through the live interface (windows-rs' getters are `unsafe`).
fn id_of(backup: &IGPMBackup) -> String {
    // SAFETY: a property getter of a live IGPMBackup, returning an owned BSTR.
    unsafe { backup.ID() }.expect("ID").to_string()
}

/// Moves a COM stream to another thread: it holds a marshaled reference, valid on any.
struct Sendable<T>(T);
// SAFETY: only the stream of `CoMarshalInterThreadInterfaceInStream` is moved, which is made
// to be unmarshaled on another thread.
unsafe impl<T> Send for Sendable<T> {}

#[test]
fn concurrent_status_calls_from_two_threads() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    let calls = 200;
    let meet = Arc::new(Barrier::new(2));
    let tick = |who: &str| {
        Step::from(CallSpec::progress(5, 10).messages(CollectionSpec::of(vec![
            MessageSpec::new(who),
            MessageSpec::new(who),
        ])))
    };
    let mut first: Vec<Step> = vec![Step::Meet(Arc::clone(&meet))];
    first.extend((0..calls).map(|_| tick("first")));
    first.push(Step::Meet(Arc::clone(&meet)));
    first.push(
        CallSpec::progress(10, 10)
            .result(ResultSpec::Backup(backup_props()))
            .into(),
    );
    // After the end: late, numbered after every call received.
    first.push(CallSpec::progress(10, 10).into());
    let mut second: Vec<Step> = vec![Step::Meet(Arc::clone(&meet))];
    second.extend((0..calls).map(|_| tick("second")));
    second.push(Step::Meet(Arc::clone(&meet)));

    let object = sink.interface();
    let servers = [
        gpmc.serve(&object, first).expect("served"),
        gpmc.serve(&object, second).expect("served"),
    ];
    for server in servers {
        server.join().expect("a server thread");
    }
    assert_eq!(refcount(&object), 1);
    drop(object);
    assert!(!sink.tracker().is_attached());

    let outcome = outcome_of(&sink);
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(outcome.messages().len(), 4 * calls);
    for who in ["first", "second"] {
        assert_eq!(
            outcome
                .messages()
                .iter()
                .filter(|m| m.message == who)
                .count(),
            2 * calls
        );
    }
    // Each call's two messages stay together, whatever the interleaving.
    for pair in outcome.messages().chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    // Every call was judged once: the late one is numbered right after them.
    let late = Late::Status {
        call: 2 * calls as u64 + 2,
        numerator: 10,
        denominator: 10,
        hr: HResult::S_OK,
    };
    assert_eq!(
        sink.tracker().after_end().events,
        std::slice::from_ref(&late)
    );
    assert_eq!(seen.late(), [late]);
    // The observer was handed every message once, each call's two together, no anomaly,
    // and the end last.
    let updates = seen.all();
    assert!(!updates
        .iter()
        .any(|u| matches!(u, Update::Event(Event::Anomaly(_)))));
    let messages: Vec<&StatusMessage> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Event(Event::Message(message)) => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 4 * calls);
    for pair in messages.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    assert_eq!(updates.last(), Some(&Update::End(Ok(outcome))));
    assert_released(&gpmc);
}

/// The fast path under contention: two server threads make quiet progress calls at once
/// while a consumer reads the log and a waiter sleeps until the end. No call is lost, none
/// is judged twice, the waiter wakes for the end.
#[test]
fn concurrent_quiet_calls_with_a_reader_and_a_waiter() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let calls = 5_000;
    let meet = Arc::new(Barrier::new(2));
    let ticks = |count: usize| -> Vec<Step> {
        let mut steps = vec![Step::Meet(Arc::clone(&meet))];
        steps.extend((0..count).map(|_| Step::from(CallSpec::progress(5, 10))));
        steps.push(Step::Meet(Arc::clone(&meet)));
        steps
    };
    let mut first = vec![Step::from(CallSpec::progress(0, 10))];
    first.extend(ticks(calls));
    first.push(
        CallSpec::progress(10, 10)
            .result(ResultSpec::Backup(backup_props()))
            .into(),
    );
    // After the end: late, numbered after every call received.
    first.push(CallSpec::progress(10, 10).into());
    let second = ticks(calls);

    let waiter = {
        let tracker = sink.tracker().clone();
        thread::spawn(move || tracker.wait_timeout(GUARD))
    };
    // The reader has read once before the servers start (under load it might otherwise
    // only be scheduled after the end), then reads for as long as the operation runs.
    let reading = Arc::new(Barrier::new(2));
    let reader = {
        let tracker = sink.tracker().clone();
        let reading = Arc::clone(&reading);
        thread::spawn(move || {
            let mut first = true;
            loop {
                let log = tracker.updates_so_far();
                assert!(log.len() <= 2, "unread progress is merged: {log:?}");
                if std::mem::take(&mut first) {
                    reading.wait();
                }
                if tracker.try_outcome().is_some() {
                    return;
                }
                thread::yield_now();
            }
        })
    };
    reading.wait();
    let object = sink.interface();
    let servers = [
        gpmc.serve(&object, first).expect("served"),
        gpmc.serve(&object, second).expect("served"),
    ];
    for server in servers {
        server.join().expect("a server thread");
    }
    drop(object);
    let outcome = waiter
        .join()
        .expect("the waiter")
        .expect("woken for the end")
        .expect("an outcome");
    // Its checks ran on every read (at least the one before the servers started).
    reader
        .join()
        .expect("the reader: unread progress was merged at every read");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Status {
            call: 2 * calls as u64 + 3,
            numerator: 10,
            denominator: 10,
            hr: HResult::S_OK,
        }],
        "every call judged once"
    );
    // Nothing but the latest progress and the end: no anomaly.
    assert_eq!(
        sink.tracker().updates_so_far(),
        [progress(10, 10), Update::End(Ok(outcome))]
    );
    assert!(!sink.tracker().is_attached());
    assert_released(&gpmc);
}

/// The observer runs on the tracker's own thread, never on the server's; the live result
/// object goes to the sink's hook, on the server's thread, inside the `Status` call that
/// carries it, once that call was reported.
#[test]
fn the_observer_runs_off_the_servers_thread_and_the_hook_has_the_live_result() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let engine = sink.tracker().clone();
    let sink = sink.on_result_object({
        let hooked = Arc::clone(&hooked);
        move |object| {
            let backup: IGPMBackup = object.cast().expect("an IGPMBackup");
            // SAFETY: a getter of the live backup, inside the Status call.
            let id = unsafe { backup.ID() }.expect("ID");
            hooked.lock().unwrap().push((
                thread::current().id(),
                id.to_string(),
                engine.progress(),
            ));
        }
    });
    let object = sink.interface();
    let server = gpmc
        .serve(
            &object,
            vec![
                CallSpec::progress(0, 1).into(),
                CallSpec::progress(1, 1)
                    .result(ResultSpec::Backup(backup_props()))
                    .into(),
            ],
        )
        .expect("served");
    let server_thread = server.thread().id();
    server.join().expect("the server thread");
    drop(object);
    assert_eq!(
        seen.all(),
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_eq!(
        *hooked.lock().unwrap(),
        [(
            server_thread,
            "{2C5A3F7E-0000-4000-8000-000000000001}".to_owned(),
            // The call was reported before the hook ran.
            ProgressFraction::new(1, 1).ok(),
        )]
    );
    let observer_threads = seen.threads.lock().unwrap().clone();
    assert!(!observer_threads.is_empty());
    for observer_thread in observer_threads {
        assert_ne!(
            observer_thread, server_thread,
            "called on the server's thread"
        );
        assert_ne!(observer_thread, thread::current().id());
    }
    assert_released(&gpmc);
}

/// Marshals the sink with `CoMarshalInterThreadInterfaceInStream` to a new thread in
/// `apartment`, which unmarshals it and calls `Status` through what came out. The sink is
/// agile: what comes out is the object itself (no proxy), and the calls run on that thread.
fn marshaled_to(apartment: COINIT) {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    let object = sink.interface();
    // SAFETY: a live interface and its own IID; the stream holds a marshaled reference.
    let stream = unsafe { CoMarshalInterThreadInterfaceInStream(&IGPMAsyncProgress::IID, &object) }
        .expect("marshaled");
    let original = object.as_raw() as usize;
    let stream = Sendable(stream);
    let calls = vec![
        CallSpec::progress(0, 1),
        CallSpec::progress(1, 1).result(ResultSpec::Bstr("<r/>".encode_utf16().collect())),
    ];
    let server = {
        let gpmc = gpmc.clone();
        thread::spawn(move || {
            let stream = ManuallyDrop::new(stream);
            // SAFETY: balanced by CoUninitialize below, on this thread.
            unsafe { CoInitializeEx(None, apartment) }
                .ok()
                .expect("CoInitializeEx");
            let direct = {
                // SAFETY: the stream holds the marshaled sink; the call releases the stream's
                // one reference, which is why it is never dropped here.
                let sink: IGPMAsyncProgress =
                    unsafe { CoGetInterfaceAndReleaseStream(&stream.0) }.expect("unmarshaled");
                for call in &calls {
                    gpmc.status(&sink, call);
                }
                sink.as_raw() as usize == original
            };
            // SAFETY: balances the CoInitializeEx above; every interface was released.
            unsafe { CoUninitialize() };
            direct
        })
    };
    assert!(
        server.join().expect("the server thread"),
        "the agile sink unmarshals to itself"
    );
    assert_eq!(
        seen.all(),
        vec![progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_eq!(
        outcome_of(&sink).result().map(ComResult::description),
        Some(&ResultDescription::text("<r/>"))
    );
    assert_eq!(refcount(&object), 1, "the marshaled reference was released");
    drop(object);
    assert!(!sink.tracker().is_attached());
    assert_eq!(gpmc.objects_alive(), 0);
}

#[test]
fn the_sink_marshaled_to_an_mta_thread_takes_status_calls() {
    marshaled_to(COINIT_MULTITHREADED);
}

#[test]
fn the_sink_marshaled_to_an_sta_thread_takes_status_calls() {
    marshaled_to(COINIT_APARTMENTTHREADED);
}

#[test]
fn a_backup_gives_the_typed_backup_on_any_thread_and_apartment() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
    let operation = gpmc
        .gpo()
        .backup(r"C:\Backups", "nightly")
        .start()
        .expect("started");
    let outcome: OperationOutcome<ResultObject<IGPMBackup>> = operation
        .wait_timeout(GUARD)
        .expect("ended")
        .expect("an outcome");
    gpmc.join();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(outcome.messages(), &[StatusMessage::new("copied")]);
    let backup = outcome.result().expect("a backup").clone();
    assert_eq!(backup.description(), &backup_description());
    assert_eq!(
        id_of(&backup.interface().expect("IGPMBackup here")),
        BACKUP_ID
    );
    for mode in [COINIT_MULTITHREADED, COINIT_APARTMENTTHREADED] {
        let backup = backup.clone();
        let id = thread::spawn(move || {
            let _apartment = Apartment::enter(mode);
            let interface = backup.interface().expect("IGPMBackup there");
            id_of(&interface)
        })
        .join()
        .unwrap();
        assert_eq!(id, BACKUP_ID);
    }
    // The resolved interface is a GPMC object like any other: its own entry points work.
    let interface = backup.interface().unwrap();
    let report = interface
        .generate_report(ReportFormat::Xml)
        .start()
        .expect("started")
        .wait()
        .expect("a report");
    assert!(report.result().is_some());
    drop((interface, report));
    assert!(
        gpmc.objects_alive() > 0,
        "the result object is kept while its result lives"
    );
    drop((backup, outcome, operation));
    assert_released(&gpmc);
}

/// A thread that never initialised COM is served in the multithreaded apartment, which the
/// kept result object holds alive.
#[test]
fn a_thread_without_com_resolves_the_result_in_the_multithreaded_apartment() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    let outcome = operation.wait().expect("an outcome");
    gpmc.join();
    let backup = outcome.result().unwrap().clone();
    let id = thread::spawn(move || id_of(&backup.interface().expect("implicit MTA")))
        .join()
        .unwrap();
    assert_eq!(id, BACKUP_ID);
    drop((outcome, operation));
    assert_released(&gpmc);
}

/// A client in a single-threaded apartment: started, waited for and cancelled there, the
/// result resolved on an MTA thread.
#[test]
fn a_client_in_an_sta_starts_waits_and_hands_the_result_to_an_mta_thread() {
    thread::spawn(|| {
        let _sta = Apartment::enter(COINIT_APARTMENTTHREADED);
        let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
        let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
        let outcome = operation.wait().expect("an outcome");
        gpmc.join();
        // After the end: refused by the tracker (recorded nowhere), still answered by the
        // fake's cancel object.
        let request = operation.cancel();
        assert!(!request.in_time());
        assert_eq!(request.server_answer(), Some(HResult::S_OK));
        assert!(!operation.tracker().cancel().in_time());
        assert!(!operation
            .tracker()
            .updates_so_far()
            .contains(&Update::Event(Event::CancelRequested)));
        let backup = outcome.result().expect("a backup").clone();
        let id = thread::spawn(move || {
            let _mta = Apartment::enter(COINIT_MULTITHREADED);
            id_of(&backup.interface().unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(id, BACKUP_ID);
        assert_eq!(
            id_of(&outcome.result().unwrap().interface().unwrap()),
            BACKUP_ID
        );
        drop((outcome, operation));
        assert_released(&gpmc);
    })
    .join()
    .unwrap();
}

#[test]
fn the_operation_and_its_future_are_send() {
    fn send<T: Send + Sync + 'static>(_: &T) {}
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    send(&operation);
    let waiter = operation.clone();
    let outcome = thread::spawn(move || block_on(async move { waiter.await }))
        .join()
        .unwrap()
        .expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    gpmc.join();
    drop((outcome, operation));
    assert_released(&gpmc);
}

/// `Gpm::new` wants the multithreaded apartment: on a thread that is a single-threaded one
/// (a UI thread) it fails with `RPC_E_CHANGED_MODE`, which `HResult`'s `{:#}` names. On an
/// MTA thread it creates GPMC, or says it is not installed (as under Wine).
#[test]
fn gpm_new_names_the_first_errors_a_program_meets() {
    thread::spawn(|| {
        let _sta = Apartment::sta();
        let code = HResult::from(Gpm::new().unwrap_err().code());
        assert_eq!(code, HResult::RPC_E_CHANGED_MODE);
        assert_eq!(format!("{code:#}"), "0x80010106 (RPC_E_CHANGED_MODE)");
    })
    .join()
    .unwrap();
    thread::spawn(|| match Gpm::new() {
        Ok(_) => {}
        Err(error) => {
            let code = HResult::from(error.code());
            assert_eq!(code, HResult::REGDB_E_CLASSNOTREG, "{code:#}");
            assert_eq!(format!("{code:#}"), "0x80040154 (REGDB_E_CLASSNOTREG)");
        }
    })
    .join()
    .unwrap();
}

/// The pattern of a GUI program: a worker thread in the MTA does the GPMC work and hands
/// the operation to the UI thread (an STA), which never blocks: it polls the end from its
/// loop and cancels from there.
#[test]
fn a_ui_thread_follows_an_operation_a_worker_started() {
    let gpmc = FakeGpmc::new().simulation(
        gpmc_progress::simulate::Simulation::new(OperationKind::GpoBackup)
            .extensions(4)
            .pace(std::time::Duration::from_secs(60)),
    );
    let (started, operations) = std::sync::mpsc::channel();
    let worker = {
        let gpmc = gpmc.clone();
        thread::spawn(move || {
            let _mta = Apartment::mta();
            let gpm = Gpm::from(gpmc.gpm());
            let domain = gpm.domain(gpmc_progress::com::fake::DOMAIN, None).unwrap();
            let gpo = Gpm::gpo(&domain, gpmc_progress::com::fake::GPO_ID).unwrap();
            let operation = gpo.backup(r"C:\Backups", "nightly").start().unwrap();
            started.send(operation.clone()).unwrap();
            operation.wait()
        })
    };
    let ui = thread::spawn(move || {
        let _sta = Apartment::sta();
        let operation = operations.recv_timeout(GUARD).expect("an operation");
        assert!(operation.try_outcome().is_none(), "a minute per step");
        assert!(operation.cancel().in_time());
        let deadline = std::time::Instant::now() + GUARD;
        loop {
            if let Some(end) = operation.try_outcome() {
                return end.map(|outcome| outcome.kind());
            }
            assert!(std::time::Instant::now() < deadline, "no end");
            thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    assert_eq!(ui.join().unwrap(), Ok(OutcomeKind::Cancelled));
    assert!(worker.join().unwrap().is_ok());
    assert_released(&gpmc);
}
