//! Every typed entry point (the 14 methods of `GpoExt`, `DomainExt`, `Domain2Ext`,
//! `BackupExt`, `RsopExt`, `StarterGpoExt`, `StarterGpoBackupExt`) against the crate's fake
//! GPMC, through the public API only: success with its typed result (every result type the
//! method allows), a failure, a cancel answered in time and too late, a start failure, a
//! server that lets go, messages on the way, the synchronous form against the asynchronous
//! one, and the arguments the fake received; then what `Call` and `Operation` add (the
//! sink's options, a result of another type, the future and the stream). Every scenario
//! ends with the fake's threads joined and every fake object released. A failure names the
//! method and the scenario.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;
mod trace_buffer;

use std::fmt::Debug;
use std::thread;
use std::time::Duration;

use com_support::{assert_released, block_on, observer, reflected, Apartment, GUARD};
use gpmc_progress::com::fake::script::{
    CallSpec, CollectionSpec, MessageSpec, Props, ResultSpec, Step,
};
use gpmc_progress::com::fake::{FakeArgument, FakeGpmc, GPO_ID};
use gpmc_progress::com::{
    AsyncMethod, BackupExt, Call, ComResult, CopyFlags, DcValidation, Domain2Ext, DomainExt,
    GpoExt, ImportFlags, OperationError, ReportFormat, ResultObject, RsopExt, SaveAs,
    StarterGpoBackupExt, StarterGpoBackupResult, StarterGpoCopyResult, StarterGpoExt,
    SystemStarterGpo,
};
use gpmc_progress::live::{Late, NoUpdate, Notification, TrackError, Update};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{
    Event, HResult, Input, OperationKind, OperationOutcome, OutcomeKind, ResultDescription,
    ResultType, Rules, StatusMessage,
};
use trace_buffer::SharedBuffer;
use windows::Win32::Foundation::E_NOTIMPL;
use windows::Win32::System::Com::{COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED};
use windows::Win32::System::GroupPolicy::{
    GPMEntryType, IGPMMapEntry, IGPMMapEntryCollection, IGPMMigrationTable,
    IGPMMigrationTable_Impl, IGPMResult,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, Interface, BSTR};

const WAIT: Duration = Duration::from_secs(60);

/// What an observer was handed: an update, or what came after the end.
type Told = Result<Update<ComResult>, Late>;

/// Sends on its channel when dropped (with the observer that owns it).
struct OnDrop(std::sync::mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// What the tests need of a typed result: its plain description, and whether its live
/// interface resolves on the current thread.
trait Typed: Clone + Debug + PartialEq + Send + 'static {
    fn description(&self) -> ResultDescription;
    /// `None` for a text (nothing to resolve).
    fn resolves(&self) -> Option<bool>;
}

impl<I: Interface + 'static> Typed for ResultObject<I>
where
    ResultObject<I>: Send + Debug,
{
    fn description(&self) -> ResultDescription {
        ResultObject::description(self).clone()
    }
    fn resolves(&self) -> Option<bool> {
        Some(self.interface().is_ok())
    }
}

impl Typed for String {
    fn description(&self) -> ResultDescription {
        ResultDescription::Text {
            value: Some(self.clone()),
        }
    }
    fn resolves(&self) -> Option<bool> {
        None
    }
}

impl Typed for StarterGpoBackupResult {
    fn description(&self) -> ResultDescription {
        match self {
            StarterGpoBackupResult::StarterGpoBackup(object) => Typed::description(object),
            StarterGpoBackupResult::Backup(object) => Typed::description(object),
        }
    }
    fn resolves(&self) -> Option<bool> {
        match self {
            StarterGpoBackupResult::StarterGpoBackup(object) => object.resolves(),
            StarterGpoBackupResult::Backup(object) => object.resolves(),
        }
    }
}

impl Typed for StarterGpoCopyResult {
    fn description(&self) -> ResultDescription {
        match self {
            StarterGpoCopyResult::StarterGpo(object) => Typed::description(object),
            StarterGpoCopyResult::Gpo(object) => Typed::description(object),
        }
    }
    fn resolves(&self) -> Option<bool> {
        match self {
            StarterGpoCopyResult::StarterGpo(object) => object.resolves(),
            StarterGpoCopyResult::Gpo(object) => object.resolves(),
        }
    }
}

/// A scenario run for one method: `call` makes a fresh `Call` of it each time.
trait Scenario {
    fn run<'a, M>(&mut self, fake: &FakeGpmc, kind: OperationKind, call: &dyn Fn() -> Call<'a, M>)
    where
        M: AsyncMethod,
        M::Output: Typed;
}

/// The 14 methods.
fn kinds() -> impl Iterator<Item = OperationKind> {
    OperationKind::ALL
        .iter()
        .copied()
        .filter(|kind| *kind != OperationKind::Unknown)
}

/// Runs `scenario` for the method that starts `kind`, on fresh fake objects (released
/// before this returns).
fn with_method(fake: &FakeGpmc, kind: OperationKind, scenario: &mut impl Scenario) {
    use OperationKind::*;
    match kind {
        GpoBackup => {
            let gpo = fake.gpo();
            scenario.run(fake, kind, &|| gpo.backup(r"C:\Backups", "nightly"));
        }
        GpoImport => {
            let (gpo, backup) = (fake.gpo(), fake.backup());
            scenario.run(fake, kind, &|| {
                gpo.import(ImportFlags::default(), &backup, None)
            });
        }
        GpoCopy => {
            let (gpo, domain) = (fake.gpo(), fake.domain());
            let domain = domain.cast().unwrap();
            scenario.run(fake, kind, &|| {
                gpo.copy_to(CopyFlags::default(), &domain, Some("Copy"), None)
            });
        }
        GpoReport => {
            let gpo = fake.gpo();
            scenario.run(fake, kind, &|| gpo.generate_report(ReportFormat::Xml));
        }
        DomainRestoreGpo => {
            let (domain, backup) = (fake.domain(), fake.backup());
            let domain: windows::Win32::System::GroupPolicy::IGPMDomain = domain.cast().unwrap();
            scenario.run(fake, kind, &|| {
                domain.restore_gpo(&backup, DcValidation::Validate)
            });
        }
        BackupReport => {
            let backup = fake.backup();
            scenario.run(fake, kind, &|| backup.generate_report(ReportFormat::Html));
        }
        RsopReport => {
            let rsop = fake.rsop();
            scenario.run(fake, kind, &|| rsop.generate_report(ReportFormat::Xml));
        }
        DomainLoadStarterGpo => {
            let domain = fake.domain();
            scenario.run(fake, kind, &|| {
                domain.load_starter_gpo(r"C:\starter.cab", true)
            });
        }
        DomainRestoreStarterGpo => {
            let (domain, backup) = (fake.domain(), fake.starter_gpo_backup());
            scenario.run(fake, kind, &|| domain.restore_starter_gpo(&backup));
        }
        StarterGpoSave => {
            let starter = fake.starter_gpo();
            scenario.run(fake, kind, &|| {
                starter.save(r"C:\saved.cab", false, SaveAs::Custom)
            });
        }
        StarterGpoBackup => {
            let starter = fake.starter_gpo();
            scenario.run(fake, kind, &|| starter.backup(r"C:\Backups", "nightly"));
        }
        StarterGpoCopy => {
            let starter = fake.starter_gpo();
            scenario.run(fake, kind, &|| starter.copy_to(Some("Copy")));
        }
        StarterGpoReport => {
            let starter = fake.starter_gpo();
            scenario.run(fake, kind, &|| starter.generate_report(ReportFormat::Xml));
        }
        StarterGpoBackupReport => {
            let backup = fake.starter_gpo_backup();
            scenario.run(fake, kind, &|| backup.generate_report(ReportFormat::Html));
        }
        other => unreachable!("no method starts {other}"),
    }
}

/// Runs `scenario` for `simulation`'s method on a fake running it, then joins the fake's
/// threads and checks every fake object was released.
fn each(simulation: Simulation, name: &str, scenario: &mut impl Scenario) {
    let kind = simulation.operation();
    let fake = FakeGpmc::new().simulation(simulation);
    with_method(&fake, kind, scenario);
    fake.join();
    assert_eq!(
        fake.objects_alive(),
        0,
        "{kind} ({name}): fake objects leaked"
    );
}

/// The result the simulation's finishing call carries, as the fake reports it for the
/// arguments `with_method` passes: a backup has the directory and the comment it was given
/// and the ID of what it backed up, a copy the new name.
fn expected_result(simulation: &Simulation) -> Option<ResultDescription> {
    let result = simulation
        .inputs()
        .unwrap()
        .into_iter()
        .rev()
        .find_map(|input| match input {
            Input::Status(call) => Some(call.result),
            Input::Cancel => None,
        })
        .unwrap();
    result.map(|result| reflected(simulation.operation(), result))
}

/// Every message the simulation's calls carry, in order.
fn expected_messages(simulation: &Simulation) -> Vec<gpmc_progress::StatusMessage> {
    simulation
        .inputs()
        .unwrap()
        .into_iter()
        .filter_map(|input| match input {
            Input::Status(call) => call.messages,
            Input::Cancel => None,
        })
        .flatten()
        .collect()
}

/// The plain view of a typed outcome, to compare the two forms.
type Plain = (
    OutcomeKind,
    HResult,
    Option<ResultDescription>,
    Vec<gpmc_progress::StatusMessage>,
);

fn plain<T: Typed>(outcome: &OperationOutcome<T>) -> Plain {
    (
        outcome.kind(),
        outcome.hr(),
        outcome.result().map(Typed::description),
        outcome.messages().to_vec(),
    )
}

/// Runs asynchronously to the end, then synchronously, and checks the two agree with
/// what `check` expects of the outcome.
struct EndsAs<F: FnMut(OperationKind, &Plain)> {
    check: F,
    /// Whether the synchronous form ends the same (not after a let-go).
    sync_agrees: bool,
    /// The typed result's interface is resolved here and on MTA and STA threads.
    resolve: bool,
}

impl<F: FnMut(OperationKind, &Plain)> Scenario for EndsAs<F> {
    fn run<'a, M>(&mut self, fake: &FakeGpmc, kind: OperationKind, call: &dyn Fn() -> Call<'a, M>)
    where
        M: AsyncMethod,
        M::Output: Typed,
    {
        let operation = call()
            .start()
            .unwrap_or_else(|e| panic!("{kind}: start: {e}"));
        let outcome = operation
            .wait_timeout(WAIT)
            .unwrap_or_else(|| panic!("{kind}: no end"))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let asynchronous = plain(&outcome);
        (self.check)(kind, &asynchronous);
        let messages: Vec<_> = operation
            .tracker()
            .updates_so_far()
            .into_iter()
            .filter_map(|update| match update {
                Update::Event(Event::Message(message)) => Some(message),
                _ => None,
            })
            .collect();
        assert_eq!(messages, asynchronous.3, "{kind}: the updates' messages");
        if self.resolve {
            if let Some(result) = outcome.result() {
                if result.resolves().is_some() {
                    assert_eq!(result.resolves(), Some(true), "{kind}: here");
                    for mode in [COINIT_MULTITHREADED, COINIT_APARTMENTTHREADED] {
                        let result = result.clone();
                        let there = thread::spawn(move || {
                            let _apartment = Apartment::enter(mode);
                            result.resolves()
                        })
                        .join()
                        .unwrap();
                        assert_eq!(there, Some(true), "{kind}: on another thread ({mode:?})");
                    }
                }
            }
        }
        drop(outcome);
        drop(operation);
        fake.join();
        let sync = call()
            .run_sync()
            .unwrap_or_else(|e| panic!("{kind}: run_sync: {e}"));
        assert!(sync.issues.is_empty(), "{kind}: {:?}", sync.issues);
        let synchronous = plain(&sync.outcome);
        if self.sync_agrees {
            assert_eq!(synchronous, asynchronous, "{kind}: sync vs async");
        } else {
            (self.check)(kind, &synchronous);
        }
        let calls = fake.calls();
        assert_eq!(calls.len(), 2, "{kind}");
        assert!(calls[0].asynchronous && !calls[1].asynchronous, "{kind}");
        assert!(calls.iter().all(|call| call.operation == kind), "{kind}");
    }
}

fn ends_as(check: impl FnMut(OperationKind, &Plain)) -> EndsAs<impl FnMut(OperationKind, &Plain)> {
    EndsAs {
        check,
        sync_agrees: true,
        resolve: false,
    }
}

#[test]
fn every_method_succeeds_with_each_of_its_typed_results() {
    for kind in kinds() {
        for (seed, result_type) in kind.result_types().iter().enumerate() {
            let simulation = Simulation::new(kind)
                .extensions(3)
                .result_type(*result_type)
                .seed(seed as u64);
            let expected = expected_result(&simulation);
            assert!(expected.is_some(), "{kind}: the simulation has a result");
            let mut scenario = ends_as(|kind, (outcome, hr, result, _): &Plain| {
                assert_eq!(*outcome, OutcomeKind::Succeeded, "{kind} ({result_type})");
                assert_eq!(*hr, HResult::S_OK, "{kind} ({result_type})");
                assert_eq!(result, &expected, "{kind} ({result_type})");
                if matches!(result_type, ResultType::Text) {
                    assert!(matches!(
                        result,
                        Some(ResultDescription::Text { value: Some(_) })
                    ));
                }
            });
            scenario.resolve = true;
            each(
                simulation,
                &format!("success, {result_type}"),
                &mut scenario,
            );
        }
    }
}

#[test]
fn every_method_fails_as_the_simulation_says() {
    for kind in kinds() {
        let simulation = Simulation::new(kind)
            .extensions(4)
            .fail_at(2, HResult::E_ACCESSDENIED);
        let mut scenario = ends_as(|kind, (outcome, hr, result, messages): &Plain| {
            assert_eq!(*outcome, OutcomeKind::Failed, "{kind}");
            assert_eq!(*hr, HResult::E_ACCESSDENIED, "{kind}");
            assert_eq!(*result, None, "{kind}");
            assert!(!messages.is_empty(), "{kind}: the failure's message");
        });
        each(simulation, "failure", &mut scenario);
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
        let expected = expected_messages(&simulation);
        assert!(expected.len() >= 2);
        let mut scenario = ends_as(|kind, (outcome, _, _, messages): &Plain| {
            assert_eq!(*outcome, OutcomeKind::Succeeded, "{kind}");
            assert_eq!(messages, &expected, "{kind}");
        });
        each(simulation, "messages", &mut scenario);
    }
}

#[test]
fn every_method_reports_a_server_that_lets_go() {
    struct LetGo;
    impl Scenario for LetGo {
        fn run<'a, M>(
            &mut self,
            fake: &FakeGpmc,
            kind: OperationKind,
            call: &dyn Fn() -> Call<'a, M>,
        ) where
            M: AsyncMethod,
            M::Output: Typed,
        {
            let operation = call()
                .start()
                .unwrap_or_else(|e| panic!("{kind}: start: {e}"));
            match operation.wait_timeout(WAIT) {
                Some(Err(OperationError::Track(TrackError::Abandoned { calls_received: 2 }))) => {}
                other => panic!("{kind}: {other:?}"),
            }
            drop(operation);
            fake.join();
            // The synchronous form has no sink to let go of: it ends as the script does.
            let sync = call().run_sync().unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(sync.outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        }
    }
    for kind in kinds() {
        each(
            Simulation::new(kind).extensions(4).let_go_at(2),
            "let go",
            &mut LetGo,
        );
    }
}

#[test]
fn every_method_reports_a_start_failure() {
    struct StartFailure;
    impl Scenario for StartFailure {
        fn run<'a, M>(
            &mut self,
            fake: &FakeGpmc,
            kind: OperationKind,
            call: &dyn Fn() -> Call<'a, M>,
        ) where
            M: AsyncMethod,
            M::Output: Typed,
        {
            let seen: std::sync::Arc<std::sync::Mutex<Vec<Told>>> = std::sync::Arc::default();
            let record = SharedBuffer::default();
            let observed = std::sync::Arc::clone(&seen);
            let (on_drop, dropped) = std::sync::mpsc::channel();
            let guard = OnDrop(on_drop);
            let started = call()
                .observer(move |notification| {
                    let _ = &guard;
                    observed.lock().unwrap().push(match notification {
                        Notification::Update(update) => Ok(update.clone()),
                        Notification::Late(late) => Err(late.clone()),
                        _ => unreachable!("a notification of neither kind"),
                    })
                })
                .record(record.clone())
                .start();
            // No Status call came: the observer is handed the end and nothing else, then let
            // go (nothing holds the sink); the trace has its begin only.
            dropped
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("{kind}: the observer was not let go"));
            assert_eq!(
                *seen.lock().unwrap(),
                [Ok(Update::End(Err(TrackError::StartFailed(
                    HResult::E_ACCESSDENIED
                ))))],
                "{kind}"
            );
            assert_eq!(
                record.text(),
                format!(
                    "{{\"event\":\"begin\",\"ms\":0,\"operation\":\"{}\"}}\n",
                    kind.id()
                ),
                "{kind}"
            );
            match started {
                Err(error) => assert_eq!(
                    HResult::from(error.code()),
                    HResult::E_ACCESSDENIED,
                    "{kind}"
                ),
                Ok(_) => panic!("{kind}: started"),
            }
            let sync = call().run_sync().unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(sync.outcome.kind(), OutcomeKind::Failed, "{kind}");
            assert_eq!(sync.outcome.hr(), HResult::E_ACCESSDENIED, "{kind}");
            assert!(fake.join().is_empty(), "{kind}: no thread started");
            assert_eq!(fake.calls().len(), 2, "{kind}: both calls recorded");
        }
    }
    for kind in kinds() {
        let simulation = Simulation::new(kind).fail_to_start(HResult::E_ACCESSDENIED);
        each(simulation, "start failure", &mut StartFailure);
    }
}

#[test]
fn every_method_answers_a_cancel_from_another_thread_in_time() {
    struct InTime;
    impl Scenario for InTime {
        fn run<'a, M>(
            &mut self,
            fake: &FakeGpmc,
            kind: OperationKind,
            call: &dyn Fn() -> Call<'a, M>,
        ) where
            M: AsyncMethod,
            M::Output: Typed,
        {
            let operation = call()
                .start()
                .unwrap_or_else(|e| panic!("{kind}: start: {e}"));
            let request = thread::scope(|scope| scope.spawn(|| operation.cancel()).join().unwrap());
            assert!(request.in_time(), "{kind}");
            assert_eq!(request.server_answer(), Some(HResult::S_OK), "{kind}");
            let outcome = operation
                .wait_timeout(WAIT)
                .unwrap_or_else(|| panic!("{kind}: no end"))
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(outcome.kind(), OutcomeKind::Cancelled, "{kind}");
            assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED, "{kind}");
            assert!(outcome.cancel_requested(), "{kind}");
            assert!(outcome.result().is_none(), "{kind}");
            drop((outcome, operation));
            let served = fake.join();
            assert!(
                served[0].cancel_received,
                "{kind}: the cancel object reached the fake"
            );
        }
    }
    for kind in kinds() {
        // A long pause that the request cuts short: the run cannot end before it.
        let simulation = Simulation::new(kind)
            .extensions(5)
            .pace(Duration::from_secs(20));
        each(simulation, "cancel in time", &mut InTime);
    }
}

#[test]
fn every_method_keeps_its_outcome_when_the_cancel_comes_too_late() {
    struct TooLate;
    impl Scenario for TooLate {
        fn run<'a, M>(
            &mut self,
            fake: &FakeGpmc,
            kind: OperationKind,
            call: &dyn Fn() -> Call<'a, M>,
        ) where
            M: AsyncMethod,
            M::Output: Typed,
        {
            let operation = call()
                .start()
                .unwrap_or_else(|e| panic!("{kind}: start: {e}"));
            let before = operation
                .wait_timeout(WAIT)
                .unwrap_or_else(|| panic!("{kind}: no end"))
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            fake.join();
            // Too late: recorded nowhere; the server that has finished still answers, and
            // the outcome stays.
            let request = thread::scope(|scope| scope.spawn(|| operation.cancel()).join().unwrap());
            assert!(!request.in_time(), "{kind}");
            assert_eq!(request.server_answer(), Some(HResult::S_OK), "{kind}");
            let after = operation.wait().unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(plain(&after), plain(&before), "{kind}");
            assert_eq!(before.kind(), OutcomeKind::Succeeded, "{kind}");
            assert!(!after.cancel_requested(), "{kind}: too late to count");
        }
    }
    for kind in kinds() {
        each(
            Simulation::new(kind).extensions(2),
            "cancel too late",
            &mut TooLate,
        );
    }
}

/// A migration table for `import` and `copy_to` (the fake GPMC offers none): only passed.
#[implement(IGPMMigrationTable)]
struct Table;

com_support::dispatch_not_implemented!(Table_Impl);

impl IGPMMigrationTable_Impl for Table_Impl {
    fn Save(&self, _: &BSTR) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Add(&self, _: i32, _: &VARIANT) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn AddEntry(
        &self,
        _: &BSTR,
        _: GPMEntryType,
        _: *const VARIANT,
    ) -> windows_core::Result<IGPMMapEntry> {
        Err(E_NOTIMPL.into())
    }
    fn GetEntry(&self, _: &BSTR) -> windows_core::Result<IGPMMapEntry> {
        Err(E_NOTIMPL.into())
    }
    fn DeleteEntry(&self, _: &BSTR) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn UpdateDestination(&self, _: &BSTR, _: *const VARIANT) -> windows_core::Result<IGPMMapEntry> {
        Err(E_NOTIMPL.into())
    }
    fn Validate(&self) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GetEntries(&self) -> windows_core::Result<IGPMMapEntryCollection> {
        Err(E_NOTIMPL.into())
    }
}

/// The arguments of each form of each method, as the fake received them: the flags and
/// report types as GPMC's numbers, texts and objects or null.
#[test]
fn the_fake_receives_the_typed_arguments() {
    use FakeArgument::{Bool, Missing, Number, Object, Text};
    let fake = FakeGpmc::new();
    let (gpo, domain, backup) = (fake.gpo(), fake.domain(), fake.backup());
    let plain_domain: windows::Win32::System::GroupPolicy::IGPMDomain = domain.cast().unwrap();
    let (starter, starter_backup) = (fake.starter_gpo(), fake.starter_gpo_backup());
    let table: IGPMMigrationTable = Table.into();
    let mut expected: Vec<(OperationKind, Vec<(&str, FakeArgument)>)> = Vec::new();
    let mut sync =
        |kind, arguments: Vec<(&'static str, FakeArgument)>, result: Result<(), OperationError>| {
            result.unwrap_or_else(|e| panic!("{kind}: {e}"));
            expected.push((kind, arguments));
        };
    fn done<T>(
        r: Result<gpmc_progress::com::SyncOutcome<T>, OperationError>,
    ) -> Result<(), OperationError> {
        r.map(drop)
    }
    use OperationKind::*;
    sync(
        GpoBackup,
        vec![
            ("bstrBackupDir", Text(r"C:\Backups".into())),
            ("bstrComment", Text("nightly".into())),
        ],
        done(gpo.backup(r"C:\Backups", "nightly").run_sync()),
    );
    for bits in 0..=1 {
        let flags = ImportFlags {
            migration_table_only: bits == 1,
        };
        for with in [true, false] {
            sync(
                GpoImport,
                vec![
                    ("lFlags", Number(bits)),
                    ("pIGPMBackup", Object),
                    ("pvarMigrationTable", if with { Object } else { Missing }),
                ],
                done(
                    gpo.import(flags, &backup, with.then_some(&table))
                        .run_sync(),
                ),
            );
        }
    }
    for bits in 0..=3 {
        let flags = CopyFlags {
            migration_table_only: bits & 1 == 1,
            process_security: bits & 2 == 2,
        };
        for (name, with) in [(Some("Copy"), true), (None, false), (Some("Copy"), false)] {
            sync(
                GpoCopy,
                vec![
                    ("lFlags", Number(bits)),
                    ("pIGPMDomain", Object),
                    (
                        "pvarNewDisplayName",
                        name.map_or(Missing, |n| Text(n.into())),
                    ),
                    ("pvarMigrationTable", if with { Object } else { Missing }),
                ],
                done(
                    gpo.copy_to(flags, &plain_domain, name, with.then_some(&table))
                        .run_sync(),
                ),
            );
        }
    }
    for (format, number) in [(ReportFormat::Xml, 0), (ReportFormat::Html, 1)] {
        let report = vec![("gpmReportType", Number(number))];
        sync(
            GpoReport,
            report.clone(),
            done(gpo.generate_report(format).run_sync()),
        );
        sync(
            BackupReport,
            report.clone(),
            done(backup.generate_report(format).run_sync()),
        );
        sync(
            RsopReport,
            report.clone(),
            done(fake.rsop().generate_report(format).run_sync()),
        );
        sync(
            StarterGpoReport,
            report.clone(),
            done(starter.generate_report(format).run_sync()),
        );
        sync(
            StarterGpoBackupReport,
            report,
            done(starter_backup.generate_report(format).run_sync()),
        );
    }
    for (validation, number) in [
        (DcValidation::Validate, 0),
        (DcValidation::DoNotValidate, 1),
    ] {
        sync(
            DomainRestoreGpo,
            vec![("pIGPMBackup", Object), ("lDCFlags", Number(number))],
            done(plain_domain.restore_gpo(&backup, validation).run_sync()),
        );
    }
    for overwrite in [true, false] {
        sync(
            DomainLoadStarterGpo,
            vec![
                ("bstrLoadFile", Text(r"C:\starter.cab".into())),
                ("bOverwrite", Bool(overwrite)),
            ],
            done(
                domain
                    .load_starter_gpo(r"C:\starter.cab", overwrite)
                    .run_sync(),
            ),
        );
    }
    sync(
        DomainRestoreStarterGpo,
        vec![("pIGPMTmplBackup", Object)],
        done(domain.restore_starter_gpo(&starter_backup).run_sync()),
    );
    let system = SystemStarterGpo {
        language: Some("en-US".into()),
        author: Some("Ops".into()),
        product: None,
        unique_id: Some("{11111111-2222-3333-4444-555555555555}".into()),
        version: Some("1.2".into()),
    };
    for (save_as, is_system) in [
        (SaveAs::Custom, false),
        (SaveAs::System(system.clone()), true),
    ] {
        let text = |value: &Option<String>| match (is_system, value) {
            (true, Some(value)) => Text(value.clone()),
            _ => Missing,
        };
        sync(
            StarterGpoSave,
            vec![
                ("bstrSaveFile", Text(r"C:\saved.cab".into())),
                ("bOverwrite", Bool(true)),
                ("bSaveAsSystem", Bool(is_system)),
                ("bstrLanguage", text(&system.language)),
                ("bstrAuthor", text(&system.author)),
                ("bstrProduct", text(&system.product)),
                ("bstrUniqueID", text(&system.unique_id)),
                ("bstrVersion", text(&system.version)),
            ],
            done(starter.save(r"C:\saved.cab", true, save_as).run_sync()),
        );
    }
    sync(
        StarterGpoBackup,
        vec![
            ("bstrBackupDir", Text(r"C:\Backups".into())),
            ("bstrComment", Text("nightly".into())),
        ],
        done(starter.backup(r"C:\Backups", "nightly").run_sync()),
    );
    for name in [Some("Copy"), None] {
        sync(
            StarterGpoCopy,
            vec![(
                "pvarNewDisplayName",
                name.map_or(Missing, |n| Text(n.into())),
            )],
            done(starter.copy_to(name).run_sync()),
        );
    }
    let calls = fake.calls();
    assert_eq!(calls.len(), expected.len());
    for (call, (kind, arguments)) in calls.iter().zip(&expected) {
        assert_eq!(call.operation, *kind);
        assert!(!call.asynchronous, "{kind}");
        let received: Vec<(&str, FakeArgument)> = call
            .arguments
            .iter()
            .map(|(name, value)| (*name, value.clone()))
            .collect();
        assert_eq!(&received, arguments, "{kind}");
    }
    drop((
        gpo,
        domain,
        plain_domain,
        backup,
        starter,
        starter_backup,
        table,
    ));
    fake.join();
    assert_eq!(fake.objects_alive(), 0);
}

fn backup_steps() -> Vec<Step> {
    vec![
        CallSpec::progress(0, 2).into(),
        CallSpec::progress(1, 2)
            .messages(CollectionSpec::of(vec![MessageSpec::new("copied")]))
            .into(),
        CallSpec::progress(2, 2)
            .result(ResultSpec::Backup(Props::of(&[
                ("ID", "{2C5A3F7E-0000-4000-8000-000000000001}"),
                ("GPOID", GPO_ID),
                ("BackupDir", r"C:\Backups"),
                ("Comment", "nightly"),
            ])))
            .into(),
    ]
}

#[test]
fn options_observer_record_and_rules_apply() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
    let trace = SharedBuffer::default();
    let (keep, kept) = observer();
    let (observed, dropped) = (kept.told, kept.dropped);
    let operation = gpmc
        .gpo()
        .backup(r"C:\Backups", "nightly")
        .rules(Rules::strict())
        .observer(keep)
        .record(trace.clone())
        .start()
        .unwrap();
    // The observer has been handed the end, and the trace holds every line, by then.
    let outcome = operation.wait().expect("an outcome");
    gpmc.join();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    let progress = |n, d| {
        Update::<ComResult>::Event(Event::Progress(
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
    let seen: Vec<Update<ComResult>> = observed
        .lock()
        .unwrap()
        .iter()
        .map(|told| match told {
            com_support::Told::Update(update) => update.clone(),
            com_support::Told::Late(late) => panic!("{late}"),
        })
        .collect();
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
    assert!(text.starts_with("{\"event\":\"begin\",\"ms\":0,\"operation\":\"gpo-backup\"}\n"));
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(operation.tracker().after_end().is_empty());
    drop((outcome, operation, expected, seen));
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go (deadlock guard)");
    // The tracker's state, which holds the kept backup object in its end, is freed on the
    // tracker's own thread right after it let the observer and the recorder go.
    let deadline = std::time::Instant::now() + GUARD;
    while gpmc.objects_alive() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "a fake was not released"
        );
        thread::yield_now();
    }
    assert_released(&gpmc);
}

#[test]
fn a_result_of_another_type_is_an_error_that_keeps_the_outcome() {
    let _mta = Apartment::mta();
    let gpo = Props::of(&[("ID", "{G}"), ("DisplayName", "x"), ("DomainName", "d")]);
    let steps = || {
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Gpo(gpo.clone()))
            .into()]
    };
    // Documented rules: an unexpected result is an anomaly, so it reaches the conversion.
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, steps());
    let operation = gpmc.gpo().backup(r"C:\Backups", "").start().unwrap();
    match operation.wait() {
        Err(OperationError::UnexpectedResult(outcome)) => {
            assert!(matches!(
                outcome.result().map(|r| r.description()),
                Some(ResultDescription::Gpo { .. })
            ));
        }
        other => panic!("{other:?}"),
    }
    gpmc.join();
    drop(operation);
    // Strict rules: the violation decides.
    let operation = gpmc
        .gpo()
        .backup(r"C:\Backups", "")
        .rules(Rules::strict())
        .start()
        .unwrap();
    assert!(matches!(
        operation.wait(),
        Err(OperationError::Track(TrackError::Violation(_)))
    ));
    drop(operation);
    assert_released(&gpmc);
}

#[test]
fn the_future_and_the_stream_give_the_same_end() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().play(OperationKind::GpoBackup, backup_steps());
    let operation = gpmc.gpo().backup(r"C:\Backups", "nightly").start().unwrap();
    let mut updates = operation.tracker().updates();
    let by_method = block_on(operation.outcome()).expect("an outcome");
    let by_await = block_on(operation.clone().into_future_helper()).expect("an outcome");
    assert_eq!(by_method, by_await);
    assert_eq!(
        by_method.result().map(|backup| backup.description()),
        Some(&ResultDescription::Backup {
            id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
            gpo_id: Some(GPO_ID.into()),
            directory: Some(r"C:\Backups".into()),
            comment: Some("nightly".into()),
        })
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
    gpmc.join();
    assert_eq!(operation.try_outcome(), Some(Ok(by_method.clone())));
    drop((by_method, by_await, operation, updates, all));
    assert_released(&gpmc);
}

trait IntoFutureHelper: std::future::IntoFuture + Sized {
    /// `async { operation.await }` without an async block's Send questions.
    fn into_future_helper(self) -> Self::IntoFuture {
        std::future::IntoFuture::into_future(self)
    }
}

impl<T: std::future::IntoFuture> IntoFutureHelper for T {}
