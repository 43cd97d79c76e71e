//! The typed entry points (`GpoExt::backup` and its `Call` / `Operation`) against the fake
//! GPMC server (tests/fake_gpmc), written as a user writes them: only the public API, no
//! VARIANT handling. The only `unsafe` is windows-rs' own property getter, to check that
//! the typed result is the live object.
#![cfg(all(windows, feature = "com"))]

mod fake_gpmc;
mod trace_buffer;

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use fake_gpmc::*;
use gpmc_progress::com::{
    BackupExt, ComResult, GpoExt, OperationError, ReportFormat, ResultObject,
};
use gpmc_progress::live::{NoUpdate, Notification, TrackError};
use gpmc_progress::{
    Event, HResult, OperationOutcome, OutcomeKind, ResultDescription, Rules, StatusMessage,
};
use trace_buffer::SharedBuffer;
use windows::Win32::Foundation::{E_ACCESSDENIED, E_NOTIMPL};
use windows::Win32::System::Com::{COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED};
use windows::Win32::System::GroupPolicy::{IGPMBackup, IGPMGPO};
use windows_core::HRESULT;

const CANCELLED: HRESULT = HRESULT(0x8007_04C7_u32 as i32);
const BACKUP_ID: &str = "{2C5A3F7E-0000-4000-8000-000000000001}";

/// How long a test waits for something that must happen before calling it a deadlock.
const GUARD: Duration = Duration::from_secs(60);

/// An operation's updates carry its `ComResult`s.
type Update = gpmc_progress::live::Update<ComResult>;

/// Sends on its channel when dropped (with the observer that owns it).
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// The updates an observer was handed.
type Seen = Arc<Mutex<Vec<Update>>>;

/// An observer that collects the updates it is handed, and word of when it was let go.
fn collecting() -> (
    impl FnMut(Notification<'_, ComResult>) + Send + 'static,
    Seen,
    mpsc::Receiver<()>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let observed = Arc::clone(&seen);
    let observer = move |notification: Notification<'_, ComResult>| {
        let _ = &guard;
        if let Notification::Update(update) = notification {
            observed.lock().unwrap().push(update.clone());
        }
    };
    (observer, seen, dropped)
}

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

fn assert_released(fakes: &Tracker) {
    assert!(fakes.created() > 0, "the test created fakes");
    assert_eq!(fakes.live(), 0, "every fake was released");
}

/// The backup's ID, read through the live interface (windows-rs' getters are `unsafe`).
fn id_of(backup: &IGPMBackup) -> String {
    // SAFETY: a property getter of a live IGPMBackup, returning an owned BSTR.
    unsafe { backup.ID() }.expect("ID").to_string()
}

#[test]
fn a_backup_gives_the_typed_backup_on_any_thread_and_apartment() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let operation = server
        .gpo
        .backup(r"C:\Backups", "nightly")
        .start()
        .expect("started");
    let outcome: OperationOutcome<ResultObject<IGPMBackup>> = operation
        .wait_timeout(Duration::from_secs(20))
        .expect("ended")
        .expect("an outcome");
    server.join();
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
    // The resolved interface is a GPMC object like any other: its own entry points work
    // (the fake's IGPMBackup::GenerateReport fails to start with E_NOTIMPL).
    let interface = backup.interface().unwrap();
    let report = interface.generate_report(ReportFormat::Xml).start();
    assert_eq!(report.unwrap_err().code(), E_NOTIMPL);
    drop(interface);
    assert!(
        fakes.live() > 0,
        "the result object is kept while its result lives"
    );
    drop((backup, outcome, operation, server));
    assert_released(&fakes);
}

#[test]
fn a_failure_is_a_failed_outcome_without_result() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(
        vec![
            CallSpec::progress(0, 2).into(),
            CallSpec::progress(2, 2).hr(E_ACCESSDENIED).into(),
        ],
        None,
        &fakes,
    );
    let operation = server.gpo.backup(r"C:\Backups", "").start().unwrap();
    let outcome = operation.wait().expect("an outcome");
    server.join();
    assert_eq!(outcome.kind(), OutcomeKind::Failed);
    assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
    assert!(outcome.result().is_none());
    drop((operation, server));
    assert_released(&fakes);
}

#[test]
fn cancel_from_a_thread_without_com_reaches_the_server() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(
        vec![
            CallSpec::progress(0, 4).into(),
            Step::AwaitCancel,
            CallSpec::progress(1, 4).hr(CANCELLED).into(),
        ],
        None,
        &fakes,
    );
    let operation = server.gpo.backup(r"C:\Backups", "").start().unwrap();
    let canceller = operation.clone();
    // Like a Ctrl-C handler: a plain thread, COM never initialised by the caller.
    thread::spawn(move || canceller.cancel())
        .join()
        .unwrap()
        .expect("the server accepted the request");
    let outcome = operation.wait().expect("an outcome");
    server.join();
    assert_eq!(server.cancel.requests(), 1);
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    assert!(outcome.cancel_requested());
    assert!(operation
        .tracker()
        .updates_so_far()
        .contains(&Update::Event(Event::CancelRequested)));
    drop((operation, server));
    assert_released(&fakes);
}

#[test]
fn a_method_that_fails_to_start_is_an_error_and_the_trackers_end() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), Some(E_ACCESSDENIED), &fakes);
    let trace = SharedBuffer::default();
    let (observer, seen, dropped) = collecting();
    let error = server
        .gpo
        .backup(r"C:\Backups", "")
        .observer(observer)
        .record(trace.clone())
        .start()
        .unwrap_err();
    assert_eq!(error.code(), E_ACCESSDENIED);
    // Nothing holds the sink any more: the observer is let go once it was handed the end,
    // the failed start, and nothing else.
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go (deadlock guard)");
    assert_eq!(
        *seen.lock().unwrap(),
        [Update::End(Err(TrackError::StartFailed(
            HResult::E_ACCESSDENIED
        )))]
    );
    // The trace has the operation's beginning and no Status call.
    assert_eq!(
        trace.text(),
        "{\"event\":\"begin\",\"operation\":\"gpo-backup\"}\n"
    );
    drop(server);
    assert_released(&fakes);
}

#[test]
fn a_server_that_lets_go_without_finishing_is_abandoned() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(vec![CallSpec::progress(0, 4).into()], None, &fakes);
    let operation = server.gpo.backup(r"C:\Backups", "").start().unwrap();
    server.join();
    assert_eq!(
        operation.wait(),
        Err(OperationError::Track(TrackError::Abandoned {
            calls_received: 1
        }))
    );
    drop((operation, server));
    assert_released(&fakes);
}

#[test]
fn options_observer_record_and_rules_apply() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let trace = SharedBuffer::default();
    let (observer, observed, dropped) = collecting();
    let operation = server
        .gpo
        .backup(r"C:\Backups", "nightly")
        .rules(Rules::strict())
        .observer(observer)
        .record(trace.clone())
        .start()
        .unwrap();
    // The observer has been handed the end, and the trace holds every line, by then.
    let outcome = operation.wait().expect("an outcome");
    server.join();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    let progress = |n, d| {
        Update::Event(Event::Progress(
            gpmc_progress::ProgressFraction::new(n, d).unwrap(),
        ))
    };
    let end = Update::End(operation.tracker().wait());
    let expected = [
        progress(1, 2),
        Update::Event(Event::Message(StatusMessage::new("copied"))),
        progress(2, 2),
        end,
    ];
    // The observer may skip progress it had no time for (here the first call's), never
    // the progress current before an update or the end.
    let seen = observed.lock().unwrap().clone();
    drop(observed);
    assert!(seen.len() >= 4, "{seen:?}");
    let (skippable, rest) = seen.split_at(seen.len() - 4);
    assert!(
        skippable.iter().all(|update| *update == progress(0, 2)),
        "{seen:?}"
    );
    assert_eq!(rest, expected);
    assert_eq!(operation.tracker().updates_so_far(), expected);
    let text = trace.text();
    assert!(text.starts_with("{\"event\":\"begin\",\"operation\":\"gpo-backup\"}\n"));
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(operation.tracker().after_end().is_empty());
    drop((outcome, operation, server, expected, seen));
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go (deadlock guard)");
    // The tracker's state, which holds the kept backup object in its end, is freed on the
    // tracker's own thread right after it let the observer and the recorder go.
    let deadline = std::time::Instant::now() + GUARD;
    while fakes.live() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a fake was not released"
        );
        thread::yield_now();
    }
    assert_released(&fakes);
}

#[test]
fn a_result_of_another_type_is_an_error_that_keeps_the_outcome() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let gpo = Props::of(&[("ID", "{G}"), ("DisplayName", "x"), ("DomainName", "d")]);
    let steps = || {
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Gpo(gpo.clone()))
            .into()]
    };
    // Documented rules: an unexpected result is an anomaly, so it reaches the conversion.
    let server = ScriptedGpo::new(steps(), None, &fakes);
    let operation = server.gpo.backup(r"C:\Backups", "").start().unwrap();
    match operation.wait() {
        Err(OperationError::UnexpectedResult(outcome)) => {
            assert!(matches!(
                outcome.result().map(|r| r.description()),
                Some(ResultDescription::Gpo { .. })
            ));
        }
        other => panic!("{other:?}"),
    }
    server.join();
    drop(operation);
    // Strict rules: the violation decides.
    let strict = ScriptedGpo::new(steps(), None, &fakes);
    let operation = strict
        .gpo
        .backup(r"C:\Backups", "")
        .rules(Rules::strict())
        .start()
        .unwrap();
    assert!(matches!(
        operation.wait(),
        Err(OperationError::Track(TrackError::Violation(_)))
    ));
    strict.join();
    drop((operation, server, strict));
    assert_released(&fakes);
}

#[test]
fn the_future_and_the_stream_give_the_same_end() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let operation = server.gpo.backup(r"C:\Backups", "nightly").start().unwrap();
    let mut updates = operation.tracker().updates();
    let by_method = block_on(operation.outcome()).expect("an outcome");
    let by_await = block_on(operation.clone().into_future_helper()).expect("an outcome");
    assert_eq!(by_method, by_await);
    assert_eq!(
        by_method.result().map(|backup| backup.description()),
        Some(&backup_description())
    );
    let mut all = Vec::new();
    loop {
        match updates.next_timeout(GUARD) {
            Ok(update) => all.push(update),
            Err(NoUpdate::Ended) => break,
            Err(error) => panic!("{error} (deadlock guard)"),
        }
    }
    assert_eq!(all, operation.tracker().updates_so_far());
    assert_eq!(all.last(), Some(&Update::End(operation.tracker().wait())));
    server.join();
    assert_eq!(operation.try_outcome(), Some(Ok(by_method.clone())));
    drop((by_method, by_await, operation, updates, all, server));
    assert_released(&fakes);
}

trait IntoFutureHelper: std::future::IntoFuture + Sized {
    /// `async { operation.await }` without an async block's Send questions.
    fn into_future_helper(self) -> Self::IntoFuture {
        std::future::IntoFuture::into_future(self)
    }
}

impl<T: std::future::IntoFuture> IntoFutureHelper for T {}

#[test]
fn the_operation_and_its_future_are_send() {
    fn send<T: Send + Sync + 'static>(_: &T) {}
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let operation = server.gpo.backup(r"C:\Backups", "nightly").start().unwrap();
    send(&operation);
    let waiter = operation.clone();
    let outcome = thread::spawn(move || block_on(async move { waiter.await }))
        .join()
        .unwrap()
        .expect("an outcome");
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    server.join();
    drop((outcome, operation, server));
    assert_released(&fakes);
}

#[test]
fn the_synchronous_form_returns_the_same_typed_outcome() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let sync = server
        .gpo
        .backup(r"C:\Backups", "nightly")
        .run_sync()
        .expect("a typed outcome");
    assert!(sync.issues.is_empty(), "{:?}", sync.issues);
    assert_eq!(sync.outcome.kind(), OutcomeKind::Succeeded);
    let backup = sync.outcome.result().expect("a backup");
    assert_eq!(backup.description(), &backup_description());
    let id = {
        let backup = backup.clone();
        thread::spawn(move || {
            let _sta = Apartment::enter(COINIT_APARTMENTTHREADED);
            id_of(&backup.interface().unwrap())
        })
        .join()
        .unwrap()
    };
    assert_eq!(id, BACKUP_ID);
    // A method that fails to start: failed, no result.
    let failing = ScriptedGpo::new(backup_steps(), Some(E_ACCESSDENIED), &fakes);
    let failed = failing.gpo.backup(r"C:\Backups", "").run_sync().unwrap();
    assert_eq!(failed.outcome.hr(), HResult::E_ACCESSDENIED);
    assert!(failed.outcome.result().is_none());
    drop((sync, server, failing));
    assert_released(&fakes);
}

/// The result object of a backup whose finishing call carries `result` (under the
/// documented rules, a result of another type reaches the caller in the error).
fn result_object(result: ResultSpec, fakes: &Tracker) -> gpmc_progress::com::ComResult {
    let server = ScriptedGpo::new(
        vec![CallSpec::progress(1, 1).result(result).into()],
        None,
        fakes,
    );
    let operation = server.gpo.backup(r"C:\Backups", "").start().unwrap();
    let end = operation.wait();
    server.join();
    match end {
        Ok(outcome) => outcome.result().expect("a backup").com_result().clone(),
        Err(OperationError::UnexpectedResult(outcome)) => {
            outcome.result().expect("a result").clone()
        }
        Err(other) => panic!("{other}"),
    }
}

/// Every entry point the fake's result objects have (their asynchronous methods answer
/// E_NOTIMPL): started, the failure is the start's error; run synchronously, a failed
/// outcome with that code. The fake records no arguments: what each method receives is
/// for the full fake GPMC to check.
#[test]
fn entry_points_on_result_objects_report_a_method_that_fails_to_start() {
    use gpmc_progress::com::{SaveAs, StarterGpoBackupExt, StarterGpoExt, SystemStarterGpo};
    use windows::Win32::System::GroupPolicy::{IGPMStarterGPO, IGPMStarterGPOBackup};

    fn not_implemented<T: std::fmt::Debug>(started: windows_core::Result<T>) {
        assert_eq!(started.unwrap_err().code(), E_NOTIMPL);
    }
    fn failed<T: gpmc_progress::com::FromComResult + std::fmt::Debug>(
        sync: Result<gpmc_progress::com::SyncOutcome<T>, OperationError>,
    ) {
        let sync = sync.expect("a typed outcome");
        assert_eq!(sync.outcome.hr(), HResult::from(E_NOTIMPL));
        assert!(sync.outcome.result().is_none());
    }

    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let backup: IGPMBackup = result_object(ResultSpec::Backup(backup_props()), &fakes)
        .interface()
        .unwrap();
    not_implemented(backup.generate_report(ReportFormat::Html).start());
    failed(backup.generate_report(ReportFormat::Xml).run_sync());

    let starter: IGPMStarterGPO =
        result_object(ResultSpec::StarterGpo(Props::of(&[("ID", "{S}")])), &fakes)
            .interface()
            .unwrap();
    let system = SaveAs::System(SystemStarterGpo {
        author: Some("me".into()),
        version: Some("0001.00000".into()),
        ..SystemStarterGpo::default()
    });
    not_implemented(starter.save(r"C:\s.cab", true, system.clone()).start());
    failed(starter.save(r"C:\s.cab", false, SaveAs::Custom).run_sync());
    not_implemented(starter.backup(r"C:\Backups", "c").start());
    failed(starter.backup(r"C:\Backups", "c").run_sync());
    not_implemented(starter.copy_to(Some("copy")).start());
    failed(starter.copy_to(None).run_sync());
    not_implemented(starter.generate_report(ReportFormat::Xml).start());
    failed(starter.generate_report(ReportFormat::Html).run_sync());

    let starter_backup: IGPMStarterGPOBackup = result_object(
        ResultSpec::StarterGpoBackup(Props::of(&[("ID", "{SB}")])),
        &fakes,
    )
    .interface()
    .unwrap();
    not_implemented(starter_backup.generate_report(ReportFormat::Xml).start());
    failed(starter_backup.generate_report(ReportFormat::Xml).run_sync());

    let gpo: IGPMGPO = result_object(ResultSpec::Gpo(Props::of(&[("ID", "{G}")])), &fakes)
        .interface()
        .unwrap();
    let flags = gpmc_progress::com::ImportFlags {
        migration_table_only: true,
    };
    not_implemented(gpo.import(flags, &backup, None).start());
    failed(gpo.import(flags, &backup, None).run_sync());
    not_implemented(gpo.generate_report(ReportFormat::Html).start());
    failed(gpo.generate_report(ReportFormat::Html).run_sync());

    drop((backup, starter, starter_backup, gpo));
    assert_released(&fakes);
}

/// A thread that never initialised COM is served in the multithreaded apartment, which the
/// kept result object holds alive.
#[test]
fn a_thread_without_com_resolves_the_result_in_the_multithreaded_apartment() {
    let _mta = Apartment::enter(COINIT_MULTITHREADED);
    let fakes = Tracker::new();
    let server = ScriptedGpo::new(backup_steps(), None, &fakes);
    let operation = server.gpo.backup(r"C:\Backups", "nightly").start().unwrap();
    let outcome = operation.wait().expect("an outcome");
    server.join();
    let backup = outcome.result().unwrap().clone();
    let id = thread::spawn(move || id_of(&backup.interface().expect("implicit MTA")))
        .join()
        .unwrap();
    assert_eq!(id, BACKUP_ID);
    drop((outcome, operation, server));
    assert_released(&fakes);
}

/// A client in a single-threaded apartment: started, waited for and cancelled there, the
/// result resolved on an MTA thread.
#[test]
fn a_client_in_an_sta_starts_waits_and_hands_the_result_to_an_mta_thread() {
    thread::spawn(|| {
        let _sta = Apartment::enter(COINIT_APARTMENTTHREADED);
        let fakes = Tracker::new();
        let server = ScriptedGpo::new(backup_steps(), None, &fakes);
        let operation = server.gpo.backup(r"C:\Backups", "nightly").start().unwrap();
        let outcome = operation.wait().expect("an outcome");
        server.join();
        // After the end: refused by the tracker (recorded nowhere), still answered by the
        // fake's cancel object.
        operation.cancel().expect("the server answered");
        assert_eq!(server.cancel.requests(), 1);
        assert!(!operation.tracker().cancel());
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
        drop((outcome, operation, server));
        assert_released(&fakes);
    })
    .join()
    .unwrap();
}
