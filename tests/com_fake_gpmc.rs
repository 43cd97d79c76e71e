//! The crate's fake GPMC itself (`com::fake`): the same simulation gives the same updates
//! through the fake and through `Simulation::serve`; every method's results are full fake
//! objects with methods of their own; overlapping calls from two server threads; and the
//! checks the other COM tests rely on (fake objects alive, what the sink did wrong, a
//! collection's bounds) can fail.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;

use com_support::{described, refcount, reflected, Apartment, STARTER_GPO_ID};
use gpmc_progress::com::fake::script::{CallSpec, CollectionSpec, MessageSpec};
use gpmc_progress::com::fake::{FakeGpmc, DOMAIN, GPO_ID};
use gpmc_progress::com::{
    gpo_name_and_id, outcome_from_result, ComResult, CopyFlags, Gpm, GpoExt, ProgressSink,
    ReportFormat, RsopExt, StarterGpoBackupResult, StarterGpoExt,
};
use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::simulate::Simulation;
use gpmc_progress::{
    HResult, Input, OperationKind, OperationOutcome, OutcomeKind, ResultDescription, Rule,
    StatusCall,
};
use windows::Win32::Foundation::{E_FAIL, E_INVALIDARG, VARIANT_FALSE, VARIANT_TRUE};
use windows::Win32::System::GroupPolicy::{
    repHTML, repXML, IGPMAsyncProgress, IGPMAsyncProgress_Impl, IGPMResult, IGPMStatusMsgCollection,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, Ref, HRESULT};

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
    let name = VARIANT::from("Copy");
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
}

/// Starts `kind` on `fake` asynchronously, as a client does with the crate's sink.
fn start(fake: &FakeGpmc, kind: OperationKind) -> Started {
    let sink = ProgressSink::new(kind);
    let progress = sink.to_variant();
    let mut cancel = VARIANT::default();
    sink.started(invoke(fake, kind, &progress, &mut cancel))
        .expect("started");
    let cancel = sink.cancel_handle(&cancel).ok();
    drop(progress);
    Started { sink, cancel }
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

/// Everything released: the operation threads joined, the client's cancel object let go,
/// the sink released by the fake, no fake object alive.
fn released(fake: &FakeGpmc, started: Started) {
    fake.join();
    let Started { sink, cancel, .. } = started;
    drop(cancel);
    assert!(!sink.tracker().is_attached(), "the fake released the sink");
    assert_eq!(fake.objects_alive(), 0, "every fake object was released");
    assert_eq!(fake.sink_errors(), Vec::<String>::new());
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
                .map(|outcome| outcome.map_result(|result| reflected(kind, result)));
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
            let native: Vec<Update> = tracker
                .updates_so_far()
                .into_iter()
                .map(|update| match update {
                    Update::End(end) => Update::End(
                        end.map(|outcome| outcome.map_result(|result| reflected(kind, result))),
                    ),
                    other => other,
                })
                .collect();
            assert_eq!(updates, native, "{kind}: {simulation:?}");
            released(&fake, started);
        }
    }
}

#[test]
fn overlapping_calls_from_two_threads_end_as_on_one() {
    for kind in kinds() {
        let simulation = Simulation::new(kind).extensions(4).overlapping(true);
        let expected = finishing(&simulation)
            .result
            .map(|result| reflected(kind, result));
        let (fake, started, outcome) = run(simulation);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{kind}");
        assert_eq!(description(&outcome), expected, "{kind}");
        assert_eq!(
            fake.join()[0].calls,
            9,
            "{kind}: 4 progress calls twice, and the finishing one"
        );
        released(&fake, started);
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
    assert_eq!(fake.objects_alive(), 0);
}

/// A leaked reference shows in the checks every test ends with: a fake object kept alive
/// is counted, and so is a reference to the sink.
#[test]
fn the_leak_checks_detect_a_leaked_reference() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let backup = gpmc.backup();
    std::mem::forget(backup.clone());
    drop(backup);
    assert_eq!(
        gpmc.objects_alive(),
        1,
        "the forgotten reference keeps the fake alive"
    );

    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let object = sink.interface();
    std::mem::forget(object.clone());
    assert_eq!(refcount(&object), 2, "the forgotten reference is counted");
    drop(object);
    assert!(
        sink.tracker().is_attached(),
        "a leaked sink reference keeps it attached"
    );
}

/// A sink that refuses `Status` calls (a foreign one: this crate's always answers `S_OK`).
#[implement(IGPMAsyncProgress)]
struct Refusing;

impl IGPMAsyncProgress_Impl for Refusing_Impl {
    fn Status(
        &self,
        _: i32,
        _: i32,
        _: HRESULT,
        _: *const VARIANT,
        _: Ref<'_, IGPMStatusMsgCollection>,
    ) -> windows_core::Result<()> {
        Err(E_FAIL.into())
    }
}

com_support::dispatch_not_implemented!(Refusing_Impl);

/// What a sink does wrong is reported: the check every test ends with can fail.
#[test]
fn a_sink_that_refuses_a_call_is_reported() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let sink: IGPMAsyncProgress = Refusing.into();
    gpmc.status(&sink, &CallSpec::progress(1, 2));
    assert_eq!(
        gpmc.sink_errors(),
        ["status call 1/2: the sink answered 0x80004005 (E_FAIL)"]
    );
}

/// A collection's `Item` out of range is an error, `i32::MIN` included (the index is never
/// computed with an overflow inside a COM method, where a panic would abort the process).
#[test]
fn a_collection_item_out_of_range_is_an_error() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let result = gpmc.sync_result(
        &CallSpec::progress(1, 1).messages(CollectionSpec::of(vec![MessageSpec::new("one")])),
    );
    // SAFETY: a getter of a live IGPMResult.
    let collection = unsafe { result.Status() }.expect("a collection");
    for index in [i32::MIN, -1, 0, 2, i32::MAX] {
        // SAFETY: a getter of a live collection; the VARIANT it returns is ours.
        let item = unsafe { collection.get_Item(index) };
        assert_eq!(
            item.map(|_| ()).unwrap_err().code(),
            E_INVALIDARG,
            "Item({index})"
        );
    }
    // SAFETY: as above.
    assert!(unsafe { collection.get_Item(1) }.is_ok());
    drop((collection, result));
    assert_eq!(gpmc.objects_alive(), 0);
}

/// The look-ups `Gpm` makes, against the fake: the domain, a GPO by ID and by display name
/// (none, one, several), a backup in its directory, an RSoP query. What is not there is an
/// error with the code GPMC answers.
#[test]
fn gpm_finds_what_the_fake_holds() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new()
        .with_gpo("{0A000000-0000-4000-8000-00000000000A}", "Workstations")
        .with_gpo("{0B000000-0000-4000-8000-00000000000B}", "Servers")
        .with_gpo("{0C000000-0000-4000-8000-00000000000C}", "Servers");
    let gpm = Gpm::from(gpmc.gpm());
    let code = |error: windows_core::Error| HResult::from(error.code());

    let domain = gpm.domain(DOMAIN, None).expect("the fake's domain");
    assert_eq!(
        gpm.domain("elsewhere.test", Some("dc1.elsewhere.test"))
            .map(drop)
            .map_err(code),
        Err(HResult::ERROR_NO_SUCH_DOMAIN)
    );

    let gpo = Gpm::gpo(&domain, &GPO_ID.to_lowercase()).expect("found by ID");
    assert_eq!(
        gpo_name_and_id(&gpo).unwrap(),
        ("Default Domain Policy".to_owned(), GPO_ID.to_owned())
    );
    assert_eq!(
        Gpm::gpo(&domain, "{00000000-0000-4000-8000-000000000000}")
            .map(drop)
            .map_err(code),
        Err(HResult::ERROR_DS_NO_SUCH_OBJECT)
    );

    let named = |name: &str| -> Vec<(String, String)> {
        gpm.gpos_named(&domain, name)
            .expect("searched")
            .iter()
            .map(|gpo| gpo_name_and_id(gpo).unwrap())
            .collect()
    };
    assert_eq!(
        named("Workstations"),
        [(
            "Workstations".to_owned(),
            "{0A000000-0000-4000-8000-00000000000A}".to_owned()
        )]
    );
    assert_eq!(named("Servers").len(), 2);
    assert_eq!(named("Nobody"), []);

    // The fake's own backup, then one it makes.
    let made = gpo
        .backup(r"D:\Saved", "weekly")
        .run_sync()
        .expect("backed up")
        .outcome;
    let Some(ResultDescription::Backup { id: Some(id), .. }) =
        made.result().map(|backup| backup.description().clone())
    else {
        panic!("a backup: {made:?}");
    };
    for (directory, id) in [
        (r"C:\GPO Backups\", "{6E2A6B8C-1B1F-4D2E-9C3A-2F5D8E7A9B01}"),
        (r"d:\saved", id.as_str()),
    ] {
        let backup = gpm.backup(directory, id).expect("the backup");
        // SAFETY: a property getter of a live IGPMBackup.
        let found = unsafe { backup.ID() }.unwrap().to_string();
        assert!(found.eq_ignore_ascii_case(id), "{directory}");
    }
    assert_eq!(
        gpm.backup(r"C:\Elsewhere", &id).map(drop).map_err(code),
        Err(HResult::ERROR_FILE_NOT_FOUND)
    );

    let query = gpm
        .rsop_logging(Some("PC01"), Some(r"CORP\alice"))
        .expect("an RSoP query");
    let report = query
        .rsop()
        .generate_report(ReportFormat::Html)
        .run_sync()
        .expect("a report");
    assert!(report.outcome.result().is_some());
    drop((query, report, made, gpo, domain, gpm));
    gpmc.join();
    assert_eq!(gpmc.objects_alive(), 0);
}

/// A simulation's result reflects the method's arguments: a backup has the directory and
/// comment it was given and the ID of what it backed up (GPO or Starter GPO), a copy its new
/// name; asynchronously and synchronously alike.
#[test]
fn results_reflect_the_methods_arguments() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new().with_gpo("{0A000000-0000-4000-8000-00000000000A}", "Workstations");
    let gpm = Gpm::from(gpmc.gpm());
    let domain = gpm.domain(DOMAIN, None).unwrap();
    let gpo = Gpm::gpo(&domain, "{0A000000-0000-4000-8000-00000000000A}").unwrap();
    let asynchronous = gpo
        .backup(r"D:\Saved", "weekly")
        .start()
        .unwrap()
        .wait()
        .expect("backed up");
    let synchronous = gpo
        .backup(r"D:\Saved", "weekly")
        .run_sync()
        .unwrap()
        .outcome;
    for outcome in [&asynchronous, &synchronous] {
        match outcome.result().map(|backup| backup.description()) {
            Some(ResultDescription::Backup {
                id: Some(_),
                gpo_id,
                directory,
                comment,
            }) => {
                assert_eq!(
                    gpo_id.as_deref(),
                    Some("{0A000000-0000-4000-8000-00000000000A}")
                );
                assert_eq!(directory.as_deref(), Some(r"D:\Saved"));
                assert_eq!(comment.as_deref(), Some("weekly"));
            }
            other => panic!("{other:?}"),
        }
    }
    let copy = gpo
        .copy_to(
            CopyFlags::default(),
            &domain,
            Some("Copy of Workstations"),
            None,
        )
        .run_sync()
        .unwrap()
        .outcome;
    assert!(matches!(
        copy.result().map(|gpo| gpo.description()),
        Some(ResultDescription::Gpo { display_name: Some(name), .. }) if name == "Copy of Workstations"
    ));
    let starter = gpmc
        .starter_gpo()
        .backup(r"D:\Starter", "baseline")
        .run_sync()
        .unwrap()
        .outcome;
    let description = match starter.result() {
        Some(StarterGpoBackupResult::StarterGpoBackup(backup)) => backup.description().clone(),
        Some(StarterGpoBackupResult::Backup(backup)) => backup.description().clone(),
        None => panic!("no result"),
    };
    assert!(matches!(
        description,
        ResultDescription::StarterGpoBackup { gpo_id: Some(id), directory: Some(dir), comment: Some(c), .. }
            if id == STARTER_GPO_ID && dir == r"D:\Starter" && c == "baseline"
    ));
    drop((asynchronous, synchronous, copy, starter, gpo, domain, gpm));
    gpmc.join();
    assert_eq!(gpmc.objects_alive(), 0);
}
