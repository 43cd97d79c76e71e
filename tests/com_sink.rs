//! The COM adapter against a fake GPMC server (tests/fake_gpmc): `Status` is called through
//! the COM vtable from the server's own MTA worker thread, with real oleaut32 VARIANTs and
//! BSTRs. Every test checks every update and the outcome, and that the server released the
//! sink (its reference count is back to where it started) and every fake (live count zero).
//! The observer runs on the tracker's own thread: a test waits for the end (or for the
//! observer to be let go) before it looks at what the observer was handed.
#![cfg(all(windows, feature = "com"))]

mod fake_gpmc;
mod live_support;
mod trace_buffer;

use std::future::Future;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

use fake_gpmc::*;
use futures_core::Stream;
use gpmc_progress::com::{async_started, outcome_from_result, ComResult, ProgressSink};
use gpmc_progress::live::{
    self, Fault, Late, Location, NoUpdate, Notification, ReadIssue, ReadProblem, TrackError,
    TrackerBuilder,
};
use gpmc_progress::trace::{replay, Verdict};
use gpmc_progress::{
    Anomaly, Breach, Event, HResult, OperationKind, OperationOutcome, OutcomeKind,
    ProgressFraction, ResultDescription, Rules, StatusMessage,
};
use live_support::normalized;
use trace_buffer::SharedBuffer;
use windows::Win32::Foundation::{E_ACCESSDENIED, E_FAIL, E_OUTOFMEMORY, S_FALSE, S_OK};
use windows::Win32::System::Com::Marshal::CoMarshalInterThreadInterfaceInStream;
use windows::Win32::System::Com::StructuredStorage::CoGetInterfaceAndReleaseStream;
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, IDispatch, COINIT, COINIT_APARTMENTTHREADED,
    COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncCancel, IGPMAsyncProgress, IGPMBackup, IGPMResult,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{Interface, HRESULT};

const CANCELLED: HRESULT = HRESULT(0x8007_04C7_u32 as i32);

/// How long a test waits for something that must happen before calling it a deadlock.
const GUARD: Duration = Duration::from_secs(60);

/// The sink's updates carry its `ComResult`s.
type Update = live::Update<ComResult>;

/// `update` with its result described in plain values, as a tracker of plain results
/// (the simulated server's) has it.
#[cfg_attr(not(feature = "com-fake"), allow(dead_code))]
fn described(update: Update) -> live::Update {
    match update {
        Update::Event(event) => live::Update::Event(event),
        Update::Issue { call, issue } => live::Update::Issue { call, issue },
        Update::Fault(fault) => live::Update::Fault(fault),
        Update::End(end) => {
            live::Update::End(end.map(|outcome| outcome.map_result(ComResult::into_description)))
        }
        other => panic!("an update of a new kind: {other:?}"),
    }
}

fn progress(numerator: i32, denominator: i32) -> Update {
    Update::Event(Event::Progress(
        ProgressFraction::new(numerator, denominator).unwrap(),
    ))
}

/// The end of the operation behind `sink` as the last update every consumer sees, after
/// checking that it is an outcome of `kind`.
fn finished(sink: &ProgressSink, kind: OutcomeKind) -> Update {
    let outcome = outcome_of(sink);
    assert_eq!(outcome.kind(), kind);
    Update::End(Ok(outcome))
}

fn message(message: StatusMessage) -> Update {
    Update::Event(Event::Message(message))
}

fn anomaly(call: u64, breach: Breach) -> Update {
    Update::Event(Event::Anomaly(Anomaly { call, breach }))
}

fn issue(call: u64, location: Location, property: &'static str, problem: ReadProblem) -> Update {
    Update::Issue {
        call,
        issue: ReadIssue::new(location, property, problem),
    }
}

fn backup_props() -> Props {
    Props::of(&[
        ("ID", "{2C5A3F7E-0000-4000-8000-000000000001}"),
        ("GPOID", "{31B2F340-016D-11D2-945F-00C04FB984F9}"),
        ("BackupDir", r"C:\Backups"),
        ("Comment", "nightly"),
    ])
}

fn backup_description() -> ResultDescription {
    ResultDescription::Backup {
        id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
        gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
        directory: Some(r"C:\Backups".into()),
        comment: Some("nightly".into()),
    }
}

/// Serves `steps` to a fresh COM object of `sink` from an MTA worker thread and checks that
/// the server released every reference it took to the sink.
fn serve_to(sink: &ProgressSink, steps: Vec<Step>, tracker: &Tracker) {
    let object = sink.interface();
    assert_eq!(refcount(&object), 1);
    assert!(sink.tracker().is_attached());
    serve(object.clone(), steps, tracker, None)
        .join()
        .expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    assert!(
        !sink.tracker().is_attached(),
        "no reference to the sink is left"
    );
}

fn assert_released(tracker: &Tracker) {
    assert!(tracker.created() > 0, "the test created fakes");
    assert_eq!(tracker.live(), 0, "every fake was released");
}

fn ended(sink: &ProgressSink) -> Result<OperationOutcome<ComResult>, TrackError> {
    sink.tracker()
        .wait_timeout(GUARD)
        .expect("decided (deadlock guard)")
}

fn outcome_of(sink: &ProgressSink) -> OperationOutcome<ComResult> {
    ended(sink).expect("an outcome")
}

/// What the observer was handed.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    Update(Update),
    Late(Late),
}

/// Sends on its channel when dropped (with the observer or the writer that owns it).
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A trace writer that says when it was dropped, once what it wraps was dropped.
struct Signalling<W> {
    writer: W,
    _dropped: OnDrop,
}

impl<W> Signalling<W> {
    fn new(writer: W) -> (Self, mpsc::Receiver<()>) {
        let (on_drop, dropped) = mpsc::channel();
        let signalling = Signalling {
            writer,
            _dropped: OnDrop(on_drop),
        };
        (signalling, dropped)
    }
}

impl<W: Write> Write for Signalling<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.writer.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// What an observer was handed, the tracker it observes, and word of when it was let go.
struct Seen {
    told: Arc<Mutex<Vec<Told>>>,
    /// The thread of each notification.
    threads: Arc<Mutex<Vec<thread::ThreadId>>>,
    tracker: live::Tracker<ComResult>,
    dropped: mpsc::Receiver<()>,
}

impl Seen {
    /// The updates the observer was handed, once the end is known (it has been handed the
    /// end by then), with each run of progress reduced to its last (it skips progress it
    /// had no time for). Checked: the end once, last, and the same updates as every
    /// other consumer's.
    fn all(&self) -> Vec<Update> {
        let end = self
            .tracker
            .wait_timeout(GUARD)
            .expect("the end (deadlock guard)");
        let updates: Vec<Update> = self
            .told
            .lock()
            .unwrap()
            .iter()
            .filter_map(|told| match told {
                Told::Update(update) => Some(update.clone()),
                Told::Late(_) => None,
            })
            .collect();
        let ends = updates.iter().filter(|update| update.is_end()).count();
        assert_eq!(ends, 1, "the observer saw the end once: {updates:?}");
        assert_eq!(updates.last(), Some(&Update::End(end)), "the end last");
        let updates = normalized(&updates);
        assert_eq!(
            updates,
            self.tracker.updates_so_far(),
            "the observer agrees with the updates so far"
        );
        updates
    }

    /// What the observer was told after the end, once it was let go (the server let go and
    /// it had been handed everything).
    fn late(&self) -> Vec<Late> {
        self.dropped
            .recv_timeout(GUARD)
            .expect("the observer was let go (deadlock guard)");
        let told = self.told.lock().unwrap().clone();
        let end = told
            .iter()
            .position(|told| matches!(told, Told::Update(Update::End(_))))
            .expect("the end was told");
        told[end + 1..]
            .iter()
            .map(|told| match told {
                Told::Late(late) => late.clone(),
                Told::Update(update) => panic!("an update after the end: {update:?}"),
            })
            .collect()
    }
}

/// A sink whose observer collects every notification.
fn watched(builder: TrackerBuilder<ComResult>) -> (ProgressSink, Seen) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let threads = Arc::new(Mutex::new(Vec::new()));
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let sink: ProgressSink = builder
        .observer({
            let told = Arc::clone(&told);
            let threads = Arc::clone(&threads);
            move |notification| {
                let _ = &guard;
                threads.lock().unwrap().push(thread::current().id());
                told.lock().unwrap().push(match notification {
                    Notification::Update(update) => Told::Update(update.clone()),
                    Notification::Late(late) => Told::Late(late.clone()),
                    _ => unreachable!("a notification of neither kind"),
                });
            }
        })
        .build()
        .into();
    let seen = Seen {
        told,
        threads,
        tracker: sink.tracker().clone(),
        dropped,
    };
    (sink, seen)
}

fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut *stream).poll_next(cx)
    }))
}

#[test]
fn empty_null_and_null_pointers_are_no_result() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::Unknown));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4).result(ResultSpec::Empty).into(),
            CallSpec::progress(2, 4).result(ResultSpec::Null).into(),
            CallSpec::progress(3, 4)
                .result(ResultSpec::DispatchNull)
                .into(),
            CallSpec::progress(4, 4)
                .result(ResultSpec::NullPointer)
                // A filled collection, so the test's fakes are counted too.
                .messages(CollectionSpec::of(vec![MessageSpec::new("done")]))
                .into(),
        ],
        &tracker,
    );
    // Progress is a latest value: what the observer (or a late reader) had no time for
    // is skipped, and the one current before the message is never.
    assert_eq!(
        seen.all(),
        vec![
            progress(4, 4),
            message(StatusMessage::new("done")),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.result(), None);
    assert_released(&tracker);
}

#[test]
fn a_bstr_result_is_text_with_the_whole_string() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    // A large report with an embedded NUL and characters outside the BMP.
    let mut report = String::from("<report>\u{0}\u{1F600}");
    report.push_str(&"x".repeat(200_000));
    report.push_str("</report>");
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 1).into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Bstr(report.encode_utf16().collect()))
                .into(),
        ],
        &tracker,
    );
    assert_eq!(
        seen.all(),
        vec![progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    let outcome = outcome_of(&sink);
    let result = outcome.result().expect("the report");
    assert_eq!(result.vartype(), ComResult::VT_BSTR);
    assert_eq!(result.description(), &ResultDescription::text(report));
    // No fake object was needed: the BSTR is plain oleaut32 memory.
    assert_eq!(tracker.live(), 0);
}

#[test]
fn dispatch_results_of_each_gpmc_interface_are_identified() {
    let _mta = Apartment::mta();
    let cases = [
        (
            OperationKind::GpoImport,
            ResultSpec::Gpo(Props::of(&[
                ("ID", "{6AC1786C-016F-11D2-945F-00C04FB984F9}"),
                ("DisplayName", "Default Domain Controllers Policy"),
                ("DomainName", "corp.example"),
            ])),
            ResultDescription::Gpo {
                id: Some("{6AC1786C-016F-11D2-945F-00C04FB984F9}".into()),
                display_name: Some("Default Domain Controllers Policy".into()),
                domain: Some("corp.example".into()),
            },
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::GpoBackup,
            ResultSpec::Backup(backup_props()),
            backup_description(),
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::GpoBackup,
            ResultSpec::BackupAsUnknown(backup_props()),
            backup_description(),
            ComResult::VT_UNKNOWN,
        ),
        (
            OperationKind::DomainLoadStarterGpo,
            ResultSpec::StarterGpo(Props::of(&[
                ("ID", "{11111111-2222-3333-4444-555555555555}"),
                ("DisplayName", "Baseline"),
            ])),
            ResultDescription::StarterGpo {
                id: Some("{11111111-2222-3333-4444-555555555555}".into()),
                display_name: Some("Baseline".into()),
            },
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::StarterGpoBackup,
            ResultSpec::StarterGpoBackup(Props::of(&[
                ("ID", "{AAAAAAAA-0000-4000-8000-000000000002}"),
                ("StarterGPOID", "{11111111-2222-3333-4444-555555555555}"),
                ("BackupDir", r"D:\Starter"),
                ("Comment", ""),
            ])),
            ResultDescription::StarterGpoBackup {
                id: Some("{AAAAAAAA-0000-4000-8000-000000000002}".into()),
                gpo_id: Some("{11111111-2222-3333-4444-555555555555}".into()),
                directory: Some(r"D:\Starter".into()),
                comment: Some(String::new()),
            },
            ComResult::VT_DISPATCH,
        ),
    ];
    for (operation, spec, description, vartype) in cases {
        let tracker = Tracker::new();
        let (sink, seen) = watched(ProgressSink::builder(operation));
        serve_to(
            &sink,
            vec![
                CallSpec::progress(0, 2).into(),
                CallSpec::progress(2, 2).result(spec).into(),
            ],
            &tracker,
        );
        assert_eq!(
            seen.all(),
            vec![progress(2, 2), finished(&sink, OutcomeKind::Succeeded)],
            "{operation}"
        );
        let outcome = outcome_of(&sink);
        let result = outcome.result().expect("a result");
        assert_eq!(result.description(), &description, "{operation}");
        assert_eq!(result.vartype(), vartype, "{operation}");
        assert_released(&tracker);
    }
}

#[test]
fn unexpected_vartypes_and_unknown_objects_are_objects() {
    let _mta = Apartment::mta();
    // VT_I4 where a backup belongs: an `object` keeping its VARTYPE, an unexpected result.
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 1)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            CallSpec::progress(1, 1).result(ResultSpec::Int(7)).into(),
        ],
        &tracker,
    );
    let unexpected = Breach::UnexpectedResult {
        result_type: gpmc_progress::ResultType::Object,
        operation: OperationKind::GpoBackup,
    };
    assert_eq!(
        seen.all(),
        vec![
            progress(1, 1),
            anomaly(2, unexpected),
            finished(&sink, OutcomeKind::Succeeded)
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.result(),
        Some(&ComResult::new(ResultDescription::Object, 3))
    );
    assert_released(&tracker);

    // An object that is none of GPMC's interfaces.
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::Unknown));
    serve_to(
        &sink,
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::PlainObject)
            .into()],
        &tracker,
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.result(),
        Some(&ComResult::new(
            ResultDescription::Object,
            ComResult::VT_DISPATCH
        ))
    );
    assert_eq!(
        seen.all(),
        vec![progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_released(&tracker);
}

#[test]
fn null_empty_and_filled_collections() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let denied = MessageSpec {
        object_path: text("cn={31B2F340-016D-11D2-945F-00C04FB984F9}"),
        error_code: E_ACCESSDENIED,
        extension_name: text("Security"),
        settings_name: text("Restricted Groups"),
        operation_code: HRESULT(0x8007_0000_u32 as i32 | 1337),
        message: text("access denied while resolving a group"),
    };
    // Success-severity codes must survive (the windows-rs wrapper would turn them into Ok).
    let informational = MessageSpec {
        object_path: text(""),
        error_code: S_FALSE,
        extension_name: text("Registry"),
        settings_name: text(""),
        operation_code: HRESULT(0x4004_0001),
        message: text("one setting skipped"),
    };
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 3).into(),
            CallSpec::progress(1, 3)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            CallSpec::progress(2, 3)
                .messages(CollectionSpec::of(vec![
                    denied.clone(),
                    informational.clone(),
                    MessageSpec::new("third"),
                ]))
                .into(),
            CallSpec::progress(3, 3)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
        &tracker,
    );
    let denied = StatusMessage::new("access denied while resolving a group")
        .with_object_path("cn={31B2F340-016D-11D2-945F-00C04FB984F9}")
        .with_error_code(HResult::E_ACCESSDENIED)
        .with_extension_name("Security")
        .with_settings_name("Restricted Groups")
        .with_operation_code(HResult::from_bits(0x8007_0539));
    let informational = StatusMessage::new("one setting skipped")
        .with_error_code(HResult::S_FALSE)
        .with_extension_name("Registry")
        .with_operation_code(HResult::from_bits(0x4004_0001));
    assert_eq!(
        seen.all(),
        vec![
            progress(2, 3),
            message(denied.clone()),
            message(informational.clone()),
            message(StatusMessage::new("third")),
            progress(3, 3),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.messages(),
        &[denied, informational, StatusMessage::new("third")]
    );
    assert_eq!(
        outcome.result().map(ComResult::description),
        Some(&backup_description())
    );
    assert_released(&tracker);
}

#[test]
fn failing_getters_keep_what_could_be_read() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let mut half = MessageSpec::new("unused");
    half.object_path = Err(E_ACCESSDENIED);
    half.message = Err(E_OUTOFMEMORY);
    half.extension_name = text("Scripts");
    half.error_code = E_FAIL;
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &sink,
        vec![
            // A message whose getters fail, and an element that is not a message.
            CallSpec::progress(0, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![ElementSpec::Message(half), ElementSpec::NotAMessage(5)],
                    new_enum_fails: None,
                    next_fails_at: None,
                })
                .into(),
            // `_NewEnum` fails: read through Count and Item instead.
            CallSpec::progress(1, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![ElementSpec::Message(MessageSpec::new("by index"))],
                    new_enum_fails: Some(E_FAIL),
                    next_fails_at: None,
                })
                .into(),
            // The enumerator fails on its second element: the first is kept.
            CallSpec::progress(2, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![
                        ElementSpec::Message(MessageSpec::new("first")),
                        ElementSpec::Message(MessageSpec::new("never read")),
                    ],
                    new_enum_fails: None,
                    next_fails_at: Some(1),
                })
                .into(),
            // The result's ID getter fails.
            CallSpec::progress(4, 4)
                .result(ResultSpec::Backup(
                    backup_props().with("ID", Err(E_ACCESSDENIED)),
                ))
                .into(),
        ],
        &tracker,
    );
    let kept = StatusMessage::new("")
        .with_error_code(HResult::E_FAIL)
        .with_extension_name("Scripts");
    let failed = |hr: HResult| ReadProblem::GetterFailed(hr);
    assert_eq!(
        seen.all(),
        vec![
            issue(
                1,
                Location::Message(0),
                "ObjectPath",
                failed(HResult::E_ACCESSDENIED)
            ),
            issue(
                1,
                Location::Message(0),
                "Message",
                failed(HResult::E_OUTOFMEMORY)
            ),
            issue(
                1,
                Location::Message(1),
                "element",
                ReadProblem::NotAMessage { vartype: 3 }
            ),
            progress(0, 4),
            message(kept),
            message(StatusMessage::default()),
            issue(2, Location::Collection, "_NewEnum", failed(HResult::E_FAIL)),
            progress(1, 4),
            message(StatusMessage::new("by index")),
            issue(
                3,
                Location::Collection,
                "IEnumVARIANT::Next",
                failed(HResult::E_FAIL)
            ),
            progress(2, 4),
            message(StatusMessage::new("first")),
            issue(4, Location::Result, "ID", failed(HResult::E_ACCESSDENIED)),
            progress(4, 4),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.messages().len(), 4);
    assert_eq!(
        outcome.result().map(ComResult::description),
        Some(&ResultDescription::Backup {
            id: None,
            gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
            directory: Some(r"C:\Backups".into()),
            comment: Some("nightly".into()),
        })
    );
    assert_released(&tracker);
}

#[test]
fn invalid_utf16_is_kept_with_replacements_and_reported() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let broken = vec![0x0041, 0xDC00, 0x0042];
    let mut spec = MessageSpec::new("");
    spec.message = Ok(broken.clone());
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 1)
                .messages(CollectionSpec::of(vec![spec]))
                .into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Bstr(vec![0xD800, 0x003C]))
                .into(),
        ],
        &tracker,
    );
    assert_eq!(
        seen.all(),
        vec![
            issue(
                1,
                Location::Message(0),
                "Message",
                ReadProblem::InvalidUtf16 { units: broken }
            ),
            progress(0, 1),
            message(StatusMessage::new("A\u{FFFD}B")),
            issue(
                2,
                Location::Result,
                "value",
                ReadProblem::InvalidUtf16 {
                    units: vec![0xD800, 0x003C]
                }
            ),
            progress(1, 1),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    assert_eq!(
        outcome_of(&sink).result().map(ComResult::description),
        Some(&ResultDescription::text("\u{FFFD}<"))
    );
    assert_released(&tracker);
}

/// A call that only moves the progress on (no result, a null collection) takes the sink's
/// quiet path. It must still reach the updates in its place: before a later anomaly,
/// message, cancel request or end, merged like any unread progress, and the same updates as
/// a sink whose observer reads them as they come. A quiet call after the end is late like
/// any other, numbered after every call received (so each call was counted once).
#[test]
fn quiet_progress_keeps_its_place_in_the_log() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
    serve_to(&quiet, steps(), &tracker);
    let (observed, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(&observed, steps(), &tracker);
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
    assert_released(&tracker);
}

/// Quiet progress, then the client's cancel request: the progress comes first.
#[test]
fn quiet_progress_comes_before_a_later_cancel_request() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let backup = ScriptedGpo::new(
        vec![
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4).into(),
            CallSpec::progress(2, 4).into(),
            Step::AwaitCancel,
            CallSpec::progress(2, 4).hr(CANCELLED).into(),
        ],
        None,
        &tracker,
    );
    let (progress_variant, cancel_variant, returned) = backup.start_backup(&sink);
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
    cancel.cancel().expect("the server accepted the request");
    assert_eq!(outcome_of(&sink).kind(), OutcomeKind::Cancelled);
    backup.join();
    assert_eq!(backup.cancel.requests(), 1);
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
    drop(backup);
    assert!(!sink.tracker().is_attached());
    assert_released(&tracker);
}

#[test]
fn concurrent_status_calls_from_two_threads() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
        serve(object.clone(), first, &tracker, None),
        serve(object.clone(), second, &tracker, None),
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
    assert_released(&tracker);
}

/// The fast path under contention: two server threads make quiet progress calls at once
/// while a consumer reads the log and a waiter sleeps until the end. No call is lost, none
/// is judged twice, the waiter wakes for the end.
#[test]
fn concurrent_quiet_calls_with_a_reader_and_a_waiter() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
        serve(object.clone(), first, &tracker, None),
        serve(object.clone(), second, &tracker, None),
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
    assert_released(&tracker);
}

#[test]
fn the_sink_keeps_working_after_its_consumer_has_gone() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
    serve(
        object.clone(),
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
        &tracker,
        None,
    )
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
    assert_released(&tracker);
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
            vec![CallSpec::progress(2, 2).hr(S_FALSE).result(backup())],
            false,
            Ok((OutcomeKind::Succeeded, HResult::S_FALSE, true)),
        ),
        (
            "failed at completion",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).hr(E_ACCESSDENIED),
            ],
            false,
            Ok((OutcomeKind::Failed, HResult::E_ACCESSDENIED, false)),
        ),
        (
            "failed before completion (documented)",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(1, 2).hr(E_FAIL),
            ],
            false,
            Ok((OutcomeKind::Failed, HResult::E_FAIL, false)),
        ),
        (
            "failed with the result kept",
            Rules::documented(),
            vec![CallSpec::progress(2, 2).hr(E_FAIL).result(backup())],
            false,
            Ok((OutcomeKind::Failed, HResult::E_FAIL, true)),
        ),
        (
            "cancelled",
            Rules::documented(),
            vec![
                CallSpec::progress(0, 2),
                CallSpec::progress(2, 2).hr(CANCELLED),
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
        let tracker = Tracker::new();
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
        let cancel = Arc::new(CancelState::default());
        let object = sink.interface();
        let server = serve(object.clone(), steps, &tracker, Some(Arc::clone(&cancel)));
        let handle = if cancel_first {
            let cancel_object: IGPMAsyncCancel = fake_gpmc::FakeCancel {
                state: Arc::clone(&cancel),
                answer: S_OK,
                _token: tracker.token(),
            }
            .into();
            let cancel_object: IDispatch = cancel_object.into();
            let variant = VARIANT::from(cancel_object);
            let handle = sink.cancel_handle(&variant).expect("a cancel handle");
            let mut updates = sink.tracker().updates();
            assert!(matches!(
                next(&mut updates),
                Some(Update::Event(Event::Progress(_)))
            ));
            handle.cancel().expect("cancel");
            Some(handle)
        } else {
            None
        };
        server.join().expect("the server thread");
        assert_eq!(refcount(&object), 1, "{name}");
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
        if cancel_first {
            assert_eq!(cancel.requests(), 1, "{name}");
        }
        if tracker.created() > 0 {
            assert_released(&tracker);
        }
    }
}

/// The sink against the crate's fake GPMC (feature `com-fake`): `IGPMGPO::Backup` runs a
/// `Simulation`, as a user's tests drive it.
#[cfg(feature = "com-fake")]
mod against_the_crates_fake {
    use super::*;
    use gpmc_progress::com::fake::FakeGpmc;
    use gpmc_progress::live;
    use gpmc_progress::simulate::Simulation;

    fn start(
        gpmc: &FakeGpmc,
        sink: &ProgressSink,
    ) -> (VARIANT, VARIANT, windows_core::Result<IGPMResult>) {
        let progress = sink.to_variant();
        let mut cancel = VARIANT::default();
        // SAFETY: both VARIANTs outlive the call.
        let returned = unsafe {
            gpmc.gpo().Backup(
                &r"C:\Backups".into(),
                &"nightly".into(),
                &progress,
                &mut cancel,
            )
        };
        (progress, cancel, returned)
    }

    /// The request is recorded (state machine, stream, trace) before the server hears of
    /// it, and the server answers it at once, cutting its pause short: the same updates as
    /// the simulated server with the cancel planned after its first call.
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
        let (progress_variant, cancel_variant, returned) = start(&gpmc, &sink);
        // The asynchronous method returned S_OK with a null IGPMResult.
        assert!(sink.started(returned).expect("started").is_none());
        drop(progress_variant);
        let cancel = sink
            .cancel_handle(&cancel_variant)
            .expect("IGPMAsyncCancel");
        drop(cancel_variant);
        assert_eq!(next(&mut updates), Some(progress(0, 4)));
        cancel.cancel().expect("the server accepted the request");
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
        let lines: Vec<&str> = text.lines().collect();
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
        assert_eq!(gpmc.live_objects(), 0);
    }

    #[test]
    fn a_failing_asynchronous_method_ends_the_wait() {
        let _mta = Apartment::mta();
        let gpmc = FakeGpmc::new().simulation(
            Simulation::new(OperationKind::GpoBackup).fail_to_start(HResult::E_ACCESSDENIED),
        );
        let sink = ProgressSink::new(OperationKind::GpoBackup);
        let (progress, cancel, returned) = start(&gpmc, &sink);
        assert!(cancel.is_empty());
        // The failing server took no reference; the client's VARIANT holds one.
        assert!(sink.tracker().is_attached());
        let error = sink.started(returned).expect_err("the method failed");
        assert_eq!(error.code(), E_ACCESSDENIED);
        drop(progress);
        let failed = Err(TrackError::StartFailed(HResult::E_ACCESSDENIED));
        assert_eq!(ended(&sink), failed);
        // The failed start reaches the streams as the end.
        assert_eq!(sink.tracker().updates_so_far(), [Update::End(failed)]);
        assert_eq!(
            sink.cancel_handle(&cancel).map(|_| ()).unwrap_err().code(),
            windows::Win32::Foundation::E_POINTER
        );
        assert!(gpmc.join().is_empty(), "nothing started");
        assert!(!sink.tracker().is_attached());
        assert_eq!(gpmc.live_objects(), 0);
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
        let (progress, _cancel, returned) = start(&gpmc, &sink);
        drop(progress);
        let abandoned = Err(TrackError::Abandoned { calls_received: 0 });
        assert_eq!(sink.tracker().try_outcome(), Some(abandoned.clone()));
        let error = sink.started(returned).map(|_| ()).unwrap_err();
        assert_eq!(error.code(), E_ACCESSDENIED);
        assert_eq!(ended(&sink), abandoned);
        assert_eq!(sink.tracker().updates_so_far(), [Update::End(abandoned)]);
        assert_eq!(
            sink.tracker().after_end().events,
            [Late::StartFailed(HResult::E_ACCESSDENIED)]
        );
        assert!(!sink.tracker().is_attached());
        assert_eq!(gpmc.live_objects(), 0);
    }
}

/// A call after the finishing one is late: it breaks `status-after-completion`, is kept
/// apart and told to the observer apart, and never reaches the updates (nor its message).
#[test]
fn status_after_completion_is_reported_but_does_not_change_the_end() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
            CallSpec::progress(1, 1)
                .messages(CollectionSpec::of(vec![MessageSpec::new("late")]))
                .into(),
        ],
        &tracker,
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
    assert_released(&tracker);
}

/// The observer runs on the tracker's own thread, never on the server's; the live result
/// object goes to the sink's hook, on the server's thread, inside the `Status` call that
/// carries it, once that call was reported.
#[test]
fn the_observer_runs_off_the_servers_thread_and_the_hook_has_the_live_result() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
    let server = serve(
        object.clone(),
        vec![
            CallSpec::progress(0, 1).into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
        &tracker,
        None,
    );
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
    assert_released(&tracker);
}

#[test]
fn a_panicking_observer_is_dropped_and_reported() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let calls = Arc::new(Mutex::new(0));
    let sink: ProgressSink = ProgressSink::builder(OperationKind::Unknown)
        .observer({
            let calls = Arc::clone(&calls);
            move |_| {
                *calls.lock().unwrap() += 1;
                panic!("observer bug");
            }
        })
        .build()
        .into();
    let meet = Arc::new(Barrier::new(2));
    let object = sink.interface();
    let server = serve(
        object.clone(),
        vec![
            CallSpec::progress(0, 1)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            Step::Meet(Arc::clone(&meet)),
            CallSpec::progress(1, 1).into(),
        ],
        &tracker,
        None,
    );
    // The observer panics on the first call's progress, while the server waits.
    let mut stream = sink.tracker().updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(0, 1)));
    assert_eq!(
        stream.next_timeout(GUARD),
        Ok(Update::Fault(Fault::ObserverPanicked(
            "observer bug".into()
        )))
    );
    meet.wait();
    server.join().expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    let end = finished(&sink, OutcomeKind::Succeeded);
    assert_eq!(
        sink.tracker().updates_so_far(),
        vec![
            progress(0, 1),
            Update::Fault(Fault::ObserverPanicked("observer bug".into())),
            progress(1, 1),
            end,
        ]
    );
    assert_eq!(*calls.lock().unwrap(), 1, "not called after it panicked");
    assert_released(&tracker);
}

#[test]
fn the_stream_yields_every_update_and_ends() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let sink = ProgressSink::new(OperationKind::GpoReport);
    let mut early = sink.tracker().updates();
    let object = sink.interface();
    let server = serve(
        object.clone(),
        vec![
            CallSpec::progress(0, 2).into(),
            CallSpec::progress(1, 2)
                .messages(CollectionSpec::of(vec![MessageSpec::new("m")]))
                .into(),
            CallSpec::progress(2, 2)
                .result(ResultSpec::Bstr("<r/>".encode_utf16().collect()))
                .into(),
        ],
        &tracker,
        None,
    );
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
    assert_released(&tracker);
}

#[test]
fn the_recorded_trace_replays_to_the_same_outcome() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let trace = SharedBuffer::default();
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(trace.clone())
        .build()
        .into();
    let mut warning = MessageSpec::new("a setting was skipped");
    warning.error_code = S_FALSE;
    warning.extension_name = text("Registry");
    serve_to(
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
        &tracker,
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
            assert_eq!(replayed, outcome);
            assert_eq!(anomalies.len(), 1, "denominator-changed");
        }
        other => panic!("unexpected verdict {other:?}"),
    }
    assert_released(&tracker);
}

#[test]
fn a_synchronous_igpmresult_becomes_the_same_outcome() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let result = |overall: HRESULT, status: Option<CollectionSpec>, result: ResultSpec| {
        let result: IGPMResult = fake_gpmc::FakeResult {
            overall,
            status,
            status_fails: None,
            result,
            tracker: tracker.clone(),
            _token: tracker.token(),
        }
        .into();
        result
    };

    // Success: messages from Status, the result from Result, S_FALSE kept.
    let converted = outcome_from_result(Ok(result(
        S_FALSE,
        Some(CollectionSpec::of(vec![MessageSpec::new("note")])),
        ResultSpec::Backup(backup_props()),
    )));
    assert!(converted.issues.is_empty());
    assert_eq!(converted.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(converted.outcome.hr(), HResult::S_FALSE);
    assert_eq!(converted.outcome.messages(), &[StatusMessage::new("note")]);
    assert_eq!(
        converted.outcome.result().map(ComResult::description),
        Some(&backup_description())
    );

    // OverallStatus failure: failed, the result kept, a null collection is no message.
    let converted =
        outcome_from_result(Ok(result(E_FAIL, None, ResultSpec::Backup(backup_props()))));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Failed);
    assert_eq!(converted.outcome.hr(), HResult::E_FAIL);
    assert!(converted.outcome.messages().is_empty());
    assert!(converted.outcome.result().is_some());

    // The method's HRESULT decides first.
    let converted = outcome_from_result(Err(E_ACCESSDENIED.into()));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Failed);
    assert_eq!(converted.outcome.hr(), HResult::E_ACCESSDENIED);
    assert!(converted.outcome.result().is_none());

    // S_OK with a null IGPMResult.
    let converted = outcome_from_result(Err(windows_core::Error::empty()));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(
        converted.issues,
        vec![ReadIssue::new(
            Location::Result,
            "ppIGPMResult",
            ReadProblem::NullResultObject
        )]
    );

    // A failing Status getter is reported; the rest is read.
    let failing: IGPMResult = fake_gpmc::FakeResult {
        overall: S_OK,
        status: None,
        status_fails: Some(E_OUTOFMEMORY),
        result: ResultSpec::Bstr("<report/>".encode_utf16().collect()),
        tracker: tracker.clone(),
        _token: tracker.token(),
    }
    .into();
    let converted = outcome_from_result(Ok(failing));
    assert_eq!(
        converted.issues,
        vec![ReadIssue::new(
            Location::Collection,
            "IGPMResult::Status",
            ReadProblem::GetterFailed(HResult::E_OUTOFMEMORY)
        )]
    );
    assert_eq!(
        converted.outcome.result().map(ComResult::description),
        Some(&ResultDescription::text("<report/>"))
    );
    assert_released(&tracker);
}

#[test]
fn async_started_reads_a_null_igpmresult_as_success() {
    assert!(matches!(
        async_started(Err(windows_core::Error::empty())),
        Ok(None)
    ));
    assert_eq!(
        async_started(Err(E_FAIL.into()))
            .map(|_| ())
            .unwrap_err()
            .code(),
        E_FAIL
    );
}

/// The leak checks above are real: a reference that is never released shows up in them.
#[test]
fn the_leak_checks_detect_a_leaked_reference() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let backup: IGPMBackup = FakeBackup::new(backup_props(), &tracker).into();
    std::mem::forget(backup.clone());
    drop(backup);
    assert_eq!(
        tracker.live(),
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

/// Accepts `lines` writes, then fails every write.
struct FailingWriter {
    lines: usize,
    writes: Arc<Mutex<usize>>,
}

impl Write for FailingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut writes = self.writes.lock().unwrap();
        *writes += 1;
        if *writes > self.lines {
            Err(std::io::Error::other("disk full"))
        } else {
            Ok(bytes.len())
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_recorder_is_reported_once_and_the_sink_goes_on() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let writes = Arc::new(Mutex::new(0));
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup).record(
        FailingWriter {
            lines: 2,
            writes: Arc::clone(&writes),
        },
    ));
    serve_to(
        &sink,
        vec![
            CallSpec::progress(0, 2).into(),
            CallSpec::progress(1, 2)
                .messages(CollectionSpec::of(vec![MessageSpec::new("kept")]))
                .into(),
            CallSpec::progress(2, 2)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
        &tracker,
    );
    let faults: Vec<Update> = seen
        .all()
        .into_iter()
        .filter(|u| matches!(u, Update::Fault(_)))
        .collect();
    // The lines before the end are written (or not) by the time the end is known: begin
    // and the first status line were written; the second failed; nothing more tried.
    assert_eq!(*writes.lock().unwrap(), 3);
    assert_eq!(
        faults,
        vec![Update::Fault(Fault::RecordingFailed(
            "writing the status line: disk full".into()
        ))]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(outcome.messages(), &[StatusMessage::new("kept")]);
    assert_released(&tracker);
}

#[test]
fn waiting_times_out_until_the_end_is_decided() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
    serve(
        object.clone(),
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Bstr("<report/>".encode_utf16().collect()))
            .into()],
        &tracker,
        None,
    )
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
    assert_eq!(tracker.live(), 0);
}

/// Panics on its `panic_on`-th write (a bug in user code).
struct PanickingWriter {
    panic_on: usize,
    writes: Arc<Mutex<usize>>,
}

impl Write for PanickingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let writes = {
            let mut writes = self.writes.lock().unwrap();
            *writes += 1;
            *writes
        };
        assert_ne!(writes, self.panic_on, "writer bug");
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// User code that panics never unwinds into the server. The trace writer runs on the
/// tracker's own thread: recording stops and the fault is reported in its place. The live
/// result hook is the one piece of user code inside `Status`: its panic is caught there,
/// the server is answered `S_OK`, and the fault is reported (after the end: the hook runs
/// once the finishing call was reported). A panic while *reading* a call is tested in the
/// crate's unit tests.
#[test]
fn a_panic_in_user_code_never_reaches_the_server() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let writes = Arc::new(Mutex::new(0));
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup).record(
        PanickingWriter {
            panic_on: 2,
            writes: Arc::clone(&writes),
        },
    ));
    let meet = Arc::new(Barrier::new(2));
    let object = sink.interface();
    // The server asserts that every call is answered S_OK; a panic unwinding into its
    // vtable call would abort the whole test process instead.
    let server = serve(
        object.clone(),
        vec![
            CallSpec::progress(0, 1).into(),
            Step::Meet(Arc::clone(&meet)),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
        &tracker,
        None,
    );
    // The writer panics on the first call's line, while the server waits.
    let mut stream = sink.tracker().updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(0, 1)));
    match stream.next_timeout(GUARD) {
        Ok(Update::Fault(Fault::RecordingFailed(message))) if message.contains("writer bug") => {}
        other => panic!("{other:?}"),
    }
    meet.wait();
    server.join().expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    let updates = seen.all();
    assert_eq!(updates[0], progress(0, 1));
    assert!(
        matches!(&updates[1], Update::Fault(Fault::RecordingFailed(message)) if message.contains("writer bug")),
        "{updates:?}"
    );
    assert_eq!(
        updates[2..],
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    // Recording stopped for good: the begin line and the one that panicked.
    assert_eq!(*writes.lock().unwrap(), 2);
    assert_released(&tracker);

    let tracker = Tracker::new();
    let sink = ProgressSink::new(OperationKind::GpoBackup).on_result_object(|_| panic!("hook bug"));
    serve_to(
        &sink,
        vec![CallSpec::progress(1, 1)
            .result(ResultSpec::Backup(backup_props()))
            .into()],
        &tracker,
    );
    assert_eq!(
        sink.tracker().updates_so_far(),
        [progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::StatusPanicked("hook bug".into()))]
    );
    assert_released(&tracker);
}

/// The observer may own a handle of the sink it observes: it is let go once the server let
/// go and it was handed everything, so the sink's state is freed.
#[test]
fn an_observer_owning_the_sink_does_not_keep_it_alive() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
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
        &cyclic,
        vec![
            CallSpec::progress(0, 1).into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
        &tracker,
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
    assert_released(&tracker);
}

#[test]
fn a_null_enumerator_is_reported_as_such_and_the_collection_is_read_by_index() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &sink,
        vec![CallSpec::progress(1, 1)
            .messages(CollectionSpec::Elements {
                elements: vec![ElementSpec::Message(MessageSpec::new("by index"))],
                // `_NewEnum` answers S_OK without an enumerator.
                new_enum_fails: Some(S_OK),
                next_fails_at: None,
            })
            .result(ResultSpec::Backup(backup_props()))
            .into()],
        &tracker,
    );
    assert_eq!(
        seen.all(),
        vec![
            issue(1, Location::Collection, "_NewEnum", ReadProblem::NullObject),
            progress(1, 1),
            message(StatusMessage::new("by index")),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    assert_eq!(
        ReadIssue::new(Location::Collection, "_NewEnum", ReadProblem::NullObject).to_string(),
        "message collection: _NewEnum: the getter succeeded without an object"
    );
    assert_released(&tracker);
}

/// Marshals the sink with `CoMarshalInterThreadInterfaceInStream` to a new thread in
/// `apartment`, which unmarshals it and calls `Status` through what came out. The sink is
/// agile: what comes out is the object itself (no proxy), and the calls run on that thread.
fn marshaled_to(apartment: COINIT) {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    let object = sink.interface();
    // SAFETY: a live interface and its own IID; the stream holds a marshaled reference.
    let stream = unsafe { CoMarshalInterThreadInterfaceInStream(&IGPMAsyncProgress::IID, &object) }
        .expect("marshaled");
    let original = object.as_raw() as usize;
    let stream = Agile(stream);
    let calls = vec![
        CallSpec::progress(0, 1),
        CallSpec::progress(1, 1).result(ResultSpec::Bstr("<r/>".encode_utf16().collect())),
    ];
    let server = {
        let tracker = tracker.clone();
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
                    call_status(&sink, call, &tracker);
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
    assert_eq!(tracker.live(), 0);
}

#[test]
fn the_sink_marshaled_to_an_mta_thread_takes_status_calls() {
    marshaled_to(COINIT_MULTITHREADED);
}

#[test]
fn the_sink_marshaled_to_an_sta_thread_takes_status_calls() {
    marshaled_to(COINIT_APARTMENTTHREADED);
}

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A task's waker that panics when woken (a bug in an executor).
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker bug");
    }
}

/// The server's last `Release` ends the operation (abandoned). Without an observer the end
/// is published right there, on the server's thread, waking the future that waits for it:
/// its waker panics there. With an observer, the observer is let go on the tracker's own
/// thread once it was handed the end, and its drop panics there. The server's thread
/// survives (a panic unwinding into its `Release` would abort the process) and each panic
/// is reported after the end.
#[test]
fn panics_after_the_last_release_are_late_faults() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let abandoned = Err(TrackError::Abandoned { calls_received: 1 });

    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let meet = Arc::new(Barrier::new(2));
    // The server makes one call, waits while the client polls, then releases the sink.
    let server = serve(
        sink.interface(),
        vec![
            CallSpec::progress(0, 2).into(),
            Step::Meet(Arc::clone(&meet)),
            Step::Meet(Arc::clone(&meet)),
        ],
        &tracker,
        None,
    );
    meet.wait();
    let mut outcome = Box::pin(sink.tracker().outcome());
    let waker = Waker::from(Arc::new(PanickingWaker));
    assert!(outcome
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    meet.wait();
    server
        .join()
        .expect("the server thread survived its last Release");
    assert!(!sink.tracker().is_attached());
    assert_eq!(
        sink.tracker().updates_so_far(),
        [progress(0, 2), Update::End(abandoned.clone())]
    );
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::WakePanicked("waker bug".into()))]
    );
    assert_eq!(block_on(outcome), abandoned);

    let bomb = PanicOnDrop("observer drop bug");
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .observer(move |_| {
            let _ = (&guard, &bomb);
        })
        .build()
        .into();
    serve_to(&sink, vec![CallSpec::progress(0, 2).into()], &tracker);
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go (deadlock guard)");
    // The observer's other captures are dropped around the one that told us; the panic is
    // reported right after.
    let deadline = std::time::Instant::now() + GUARD;
    while sink.tracker().after_end().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no fault reported");
        thread::yield_now();
    }
    assert_eq!(
        sink.tracker().after_end().events,
        [Late::Fault(Fault::ObserverDropPanicked(
            "observer drop bug".into()
        ))]
    );
    assert_eq!(ended(&sink), abandoned);
    assert_eq!(tracker.live(), 0);
}

/// A trace writer whose drop panics.
struct WriterPanickingOnDrop {
    trace: SharedBuffer,
    _bomb: PanicOnDrop,
}

impl Write for WriterPanickingOnDrop {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.trace.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// With every consumer gone, the server's last `Release` lets the engine go: the recorder's
/// writer is dropped on the tracker's own thread once every line was written, and its drop
/// panics there. The panic is caught (by the engine, and the sink's `Release` guards
/// whatever else could unwind), and the server's thread goes on.
#[test]
fn a_panic_freeing_the_engine_in_the_last_release_stays_in_the_sink() {
    let _mta = Apartment::mta();
    let tracker = Tracker::new();
    let trace = SharedBuffer::default();
    let (writer, writer_dropped) = Signalling::new(WriterPanickingOnDrop {
        trace: trace.clone(),
        _bomb: PanicOnDrop("writer drop bug"),
    });
    let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
        .record(writer)
        .build()
        .into();
    let object = sink.interface();
    drop(sink);
    serve(
        object,
        vec![CallSpec::progress(0, 2).into()],
        &tracker,
        None,
    )
    .join()
    .expect("the server thread survived its last Release");
    writer_dropped
        .recv_timeout(GUARD)
        .expect("the writer was dropped (deadlock guard)");
    assert_eq!(trace.text().lines().count(), 2, "begin and one status line");
    assert_eq!(Arc::strong_count(&trace.0), 1, "the writer was dropped");
    assert_eq!(tracker.live(), 0);
}
