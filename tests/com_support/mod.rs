//! What the COM tests share, and only that: the harness around the crate's fake GPMC
//! (`com::fake`), which plays every server in these tests. COM apartments, a reference
//! count, a minimal executor, an observer that keeps what it is handed, the sink's updates
//! in plain values, and the checks that a test left nothing behind.

#![allow(dead_code)] // each test file uses part of it

use std::future::Future;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use futures_core::Stream;
use gpmc_progress::com::fake::script::Step;
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{ComResult, ProgressSink};
use gpmc_progress::live::{
    self, Location, Notification, ReadIssue, ReadProblem, TrackError, TrackerBuilder,
};
use gpmc_progress::{
    Anomaly, Breach, Event, OperationOutcome, OutcomeKind, ProgressFraction, StatusMessage,
};
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, COINIT, COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{IGPMResult, IGPMGPO};
use windows::Win32::System::Variant::VARIANT;
use windows_core::Interface;

/// `IDispatch` for a test's own COM class, used only through its vtable: no type
/// information and no late-bound calls (`GetTypeInfoCount` answers 0, the rest `E_NOTIMPL`).
#[allow(unused_macros)] // used by some test files only
macro_rules! dispatch_not_implemented {
    ($object:ty) => {
        impl ::windows::Win32::System::Com::IDispatch_Impl for $object {
            fn GetTypeInfoCount(&self) -> ::windows_core::Result<u32> {
                Ok(0)
            }
            fn GetTypeInfo(
                &self,
                _: u32,
                _: u32,
            ) -> ::windows_core::Result<::windows::Win32::System::Com::ITypeInfo> {
                Err(::windows::Win32::Foundation::E_NOTIMPL.into())
            }
            fn GetIDsOfNames(
                &self,
                _: *const ::windows_core::GUID,
                _: *const ::windows_core::PCWSTR,
                _: u32,
                _: u32,
                _: *mut i32,
            ) -> ::windows_core::Result<()> {
                Err(::windows::Win32::Foundation::E_NOTIMPL.into())
            }
            fn Invoke(
                &self,
                _: i32,
                _: *const ::windows_core::GUID,
                _: u32,
                _: ::windows::Win32::System::Com::DISPATCH_FLAGS,
                _: *const ::windows::Win32::System::Com::DISPPARAMS,
                _: *mut ::windows::Win32::System::Variant::VARIANT,
                _: *mut ::windows::Win32::System::Com::EXCEPINFO,
                _: *mut u32,
            ) -> ::windows_core::Result<()> {
                Err(::windows::Win32::Foundation::E_NOTIMPL.into())
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use dispatch_not_implemented;

/// How long a test waits for something that must happen before calling it a deadlock.
pub const GUARD: Duration = Duration::from_secs(60);

/// The sink's updates carry its `ComResult`s.
pub type Update = live::Update<ComResult>;

/// COM initialised on the current thread, until dropped.
pub struct Apartment;

impl Apartment {
    /// COM initialised on this thread with `mode` (multithreaded or single-threaded).
    pub fn enter(mode: COINIT) -> Self {
        // SAFETY: balanced by CoUninitialize in drop, on the same thread.
        unsafe { CoInitializeEx(None, mode) }
            .ok()
            .expect("CoInitializeEx");
        Apartment
    }

    /// The multithreaded apartment.
    pub fn mta() -> Self {
        Apartment::enter(COINIT_MULTITHREADED)
    }

    /// A single-threaded apartment.
    pub fn sta() -> Self {
        Apartment::enter(COINIT_APARTMENTTHREADED)
    }
}

impl Drop for Apartment {
    fn drop(&mut self) {
        // SAFETY: balances the successful CoInitializeEx of `enter` on this thread.
        unsafe { CoUninitialize() };
    }
}

/// The reference count of a COM object (AddRef then Release, reading the counts they return).
pub fn refcount<T: Interface>(object: &T) -> u32 {
    let raw = object.as_raw();
    // SAFETY: `raw` is the live interface pointer `object` holds (borrowed, so it stays alive
    // for the call); every COM vtable starts with IUnknown's three methods, so its first
    // pointer can be read as an IUnknown vtable; AddRef then Release leave the count as it was.
    unsafe {
        let vtable = *(raw as *const *const windows_core::IUnknown_Vtbl);
        ((*vtable).AddRef)(raw);
        ((*vtable).Release)(raw)
    }
}

/// Every fake released and the sink well-behaved: the fake's threads joined, no fake object
/// alive, nothing the sink did wrong.
pub fn assert_released(gpmc: &FakeGpmc) {
    gpmc.join();
    assert_eq!(gpmc.objects_alive(), 0, "every fake was released");
    assert_eq!(gpmc.sink_errors(), Vec::<String>::new());
}

/// Serves `steps` to a fresh COM object of `sink` from the fake's MTA worker thread, and
/// checks that the server released every reference it took to the sink.
pub fn serve_to(gpmc: &FakeGpmc, sink: &ProgressSink, steps: Vec<Step>) {
    let object = sink.interface();
    assert_eq!(refcount(&object), 1);
    assert!(sink.tracker().is_attached());
    gpmc.serve(&object, steps)
        .expect("served")
        .join()
        .expect("the server thread");
    assert_eq!(refcount(&object), 1, "the server released the sink");
    drop(object);
    assert!(
        !sink.tracker().is_attached(),
        "no reference to the sink is left"
    );
}

/// Calls `IGPMGPO::Backup` with the sink, the way a user drives GPMC without the typed entry
/// points; returns the progress VARIANT (the client's reference to the sink, to keep until
/// `started` was told), the cancel VARIANT and the method's return.
pub fn start_backup(
    gpo: &IGPMGPO,
    sink: &ProgressSink,
) -> (VARIANT, VARIANT, windows_core::Result<IGPMResult>) {
    let progress = sink.to_variant();
    let mut cancel = VARIANT::default();
    // SAFETY: both VARIANTs outlive the call.
    let returned = unsafe {
        gpo.Backup(
            &r"C:\Backups".into(),
            &"nightly".into(),
            &progress,
            &mut cancel,
        )
    };
    (progress, cancel, returned)
}

/// The end of the operation behind `sink`, within the guard.
pub fn ended(sink: &ProgressSink) -> Result<OperationOutcome<ComResult>, TrackError> {
    sink.tracker()
        .wait_timeout(GUARD)
        .expect("decided (deadlock guard)")
}

pub fn outcome_of(sink: &ProgressSink) -> OperationOutcome<ComResult> {
    ended(sink).expect("an outcome")
}

pub fn progress(numerator: i32, denominator: i32) -> Update {
    Update::Event(Event::Progress(
        ProgressFraction::new(numerator, denominator).unwrap(),
    ))
}

/// The end of the operation behind `sink` as the last update every consumer sees, after
/// checking that it is an outcome of `kind`.
pub fn finished(sink: &ProgressSink, kind: OutcomeKind) -> Update {
    let outcome = outcome_of(sink);
    assert_eq!(outcome.kind(), kind);
    Update::End(Ok(outcome))
}

pub fn message(message: StatusMessage) -> Update {
    Update::Event(Event::Message(message))
}

pub fn anomaly(call: u64, breach: Breach) -> Update {
    Update::Event(Event::Anomaly(Anomaly { call, breach }))
}

pub fn issue(
    call: u64,
    location: Location,
    property: &'static str,
    problem: ReadProblem,
) -> Update {
    Update::Issue {
        call,
        issue: ReadIssue::new(location, property, problem),
    }
}

/// `update` with its result described in plain values, as a tracker of plain results (the
/// simulated server's) has it.
pub fn described(update: Update) -> live::Update {
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

/// What the observer was handed.
#[derive(Debug, Clone, PartialEq)]
pub enum Told {
    Update(Update),
    Late(live::Late),
}

/// Sends on its channel when dropped (with the observer or the writer that owns it).
pub struct OnDrop(pub mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// What an observer was handed, the tracker it observes, and word of when it was let go.
pub struct Seen {
    pub told: Arc<Mutex<Vec<Told>>>,
    /// The thread of each notification.
    pub threads: Arc<Mutex<Vec<thread::ThreadId>>>,
    pub tracker: live::Tracker<ComResult>,
    pub dropped: mpsc::Receiver<()>,
}

impl Seen {
    /// The updates the observer was handed, once the end is known (it has been handed the
    /// end by then), with each run of progress reduced to its last (it skips progress it
    /// had no time for). Checked: the end once, last, and the same updates as every other
    /// consumer's.
    pub fn all(&self) -> Vec<Update> {
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
        let mut normal: Vec<Update> = Vec::with_capacity(updates.len());
        for update in updates {
            if let (Some(Update::Event(Event::Progress(_))), Update::Event(Event::Progress(_))) =
                (normal.last(), &update)
            {
                normal.pop();
            }
            normal.push(update);
        }
        assert_eq!(
            normal,
            self.tracker.updates_so_far(),
            "the observer agrees with the updates so far"
        );
        normal
    }

    /// What the observer was told after the end, once it was let go (the server let go and
    /// it had been handed everything).
    pub fn late(&self) -> Vec<live::Late> {
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

/// What [`observer`] keeps: every notification, the thread of each, and word of when the
/// observer was let go.
pub struct Kept {
    pub told: Arc<Mutex<Vec<Told>>>,
    pub threads: Arc<Mutex<Vec<thread::ThreadId>>>,
    pub dropped: mpsc::Receiver<()>,
}

/// An observer that keeps every notification it is handed, and the thread it ran on.
pub fn observer() -> (
    impl FnMut(Notification<'_, ComResult>) + Send + 'static,
    Kept,
) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let threads = Arc::new(Mutex::new(Vec::new()));
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let keep = {
        let told = Arc::clone(&told);
        let threads = Arc::clone(&threads);
        move |notification: Notification<'_, ComResult>| {
            let _ = &guard;
            threads.lock().unwrap().push(thread::current().id());
            told.lock().unwrap().push(match notification {
                Notification::Update(update) => Told::Update(update.clone()),
                Notification::Late(late) => Told::Late(late.clone()),
                _ => unreachable!("a notification of neither kind"),
            });
        }
    };
    let kept = Kept {
        told,
        threads,
        dropped,
    };
    (keep, kept)
}

/// A sink whose observer keeps every notification.
pub fn watched(builder: TrackerBuilder<ComResult>) -> (ProgressSink, Seen) {
    let (keep, kept) = observer();
    let sink: ProgressSink = builder.observer(keep).build().into();
    let seen = Seen {
        told: kept.told,
        threads: kept.threads,
        tracker: sink.tracker().clone(),
        dropped: kept.dropped,
    };
    (sink, seen)
}

/// A minimal executor: polls on this thread, parks until woken.
pub struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park_timeout(Duration::from_secs(1));
    }
}

/// The next item of a stream, waiting for it.
pub fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut *stream).poll_next(cx)
    }))
}

/// A trace writer that says when it was dropped, once what it wraps was dropped.
pub struct Signalling<W> {
    writer: W,
    _dropped: OnDrop,
}

impl<W> Signalling<W> {
    pub fn new(writer: W) -> (Self, mpsc::Receiver<()>) {
        let (on_drop, dropped) = mpsc::channel();
        let signalling = Signalling {
            writer,
            _dropped: OnDrop(on_drop),
        };
        (signalling, dropped)
    }
}

impl<W: std::io::Write> std::io::Write for Signalling<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.writer.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// `result` as the fake GPMC reports it for the arguments these tests pass (a backup into
/// `C:\Backups` with the comment "nightly", a copy named "Copy"): a backup has the directory,
/// the comment and the ID of what it backed up, a copy the new name.
pub fn reflected(
    operation: gpmc_progress::OperationKind,
    mut result: gpmc_progress::ResultDescription,
) -> gpmc_progress::ResultDescription {
    use gpmc_progress::{OperationKind, ResultDescription};
    let backed_up = match operation {
        OperationKind::GpoBackup => Some(gpmc_progress::com::fake::GPO_ID),
        OperationKind::StarterGpoBackup => Some(STARTER_GPO_ID),
        _ => None,
    };
    match &mut result {
        ResultDescription::Backup {
            gpo_id,
            directory,
            comment,
            ..
        }
        | ResultDescription::StarterGpoBackup {
            gpo_id,
            directory,
            comment,
            ..
        } if backed_up.is_some() => {
            *gpo_id = backed_up.map(String::from);
            *directory = Some(r"C:\Backups".into());
            *comment = Some("nightly".into());
        }
        ResultDescription::Gpo { display_name, .. }
        | ResultDescription::StarterGpo { display_name, .. }
            if matches!(
                operation,
                OperationKind::GpoCopy | OperationKind::StarterGpoCopy
            ) =>
        {
            *display_name = Some("Copy".into());
        }
        _ => {}
    }
    result
}

/// The ID of the fake's Starter GPO.
pub const STARTER_GPO_ID: &str = "{9A3F0C1E-7B2D-4E8F-A6C5-1D0B3E2F4A55}";
