//! [`ProgressSink`]: the `IGPMAsyncProgress` COM object, a translator in front of a live
//! [`Tracker`]: it reads each `Status` call into plain values and reports them.

use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncProgress, IGPMAsyncProgress_Impl, IGPMResult, IGPMStatusMsgCollection,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, IUnknown, Ref, HRESULT};

use super::messages::read_messages;
use super::result::{holds_nothing, read_result};
use super::{CancelHandle, ComResult};
use crate::live::{catch, drop_payload, Fault, Reporter, Tracker, TrackerBuilder};
use crate::{HResult, OperationKind, StatusCall};

/// What [`ProgressSink::on_result_object`] calls.
type ResultHook = Arc<dyn Fn(&IUnknown) + Send + Sync>;

/// A client-side `IGPMAsyncProgress` sink for one GPMC asynchronous operation: a
/// [`Tracker`]`<`[`ComResult`]`>` that hands out COM objects.
///
/// The handle is plain (`Send + Sync`, cheap to clone); the COM object it hands out with
/// [`to_variant`](Self::to_variant) or [`interface`](Self::interface) is agile
/// (free-threaded): `Status` runs on whichever thread the server calls it from, even two at
/// once, reads the call into plain values ([`StatusCall`]`<`[`ComResult`]`>`) and reports
/// them through a [`Reporter`]. It always answers the server with `S_OK`, never lets a panic
/// reach it, and keeps working after every consumer has gone.
///
/// Everything else is the tracker's ([`tracker`](Self::tracker)), the one way to follow the
/// operation on every platform: how it ends is decided once, by the first of the finishing
/// `Status` call, a violation of the rules in force, the asynchronous method failing
/// ([`started`](Self::started)) or the server releasing the last COM object before the end
/// ([`TrackError::Abandoned`](crate::live::TrackError::Abandoned)); waits, the future, the
/// streams and the observer all come from it.
///
/// ```no_run
/// use gpmc_progress::com::ProgressSink;
/// use gpmc_progress::OperationKind;
/// use windows::Win32::System::GroupPolicy::IGPMGPO;
/// use windows::Win32::System::Variant::VARIANT;
///
/// # fn backup(gpo: &IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
/// let sink = ProgressSink::new(OperationKind::GpoBackup);
/// let progress = sink.to_variant();
/// let mut cancel = VARIANT::default();
/// // SAFETY: `progress` and `cancel` are valid VARIANTs for the duration of the call.
/// let started = unsafe { gpo.Backup(&r"C:\Backups".into(), &"nightly".into(), &progress, &mut cancel) };
/// sink.started(started)?;
/// let cancel = sink.cancel_handle(&cancel)?;
/// drop(progress);
/// let outcome = sink.tracker().wait()?;
/// println!("{outcome}");
/// # drop(cancel);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ProgressSink {
    tracker: Tracker<ComResult>,
    /// Whether result objects are kept in the Global Interface Table.
    keep: bool,
    /// Called with each live result object, during its call.
    hook: Option<ResultHook>,
}

impl core::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProgressSink")
            .field("tracker", &self.tracker)
            .field("keep", &self.keep)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl From<Tracker<ComResult>> for ProgressSink {
    /// The sink of a tracker built with [`ProgressSink::builder`] (rules, observer, recorder).
    fn from(tracker: Tracker<ComResult>) -> Self {
        ProgressSink {
            tracker,
            keep: false,
            hook: None,
        }
    }
}

impl ProgressSink {
    /// A sink for an operation of kind `operation`, under the `documented` rules, with no
    /// observer and no recorder.
    pub fn new(operation: OperationKind) -> Self {
        ProgressSink::builder(operation).build().into()
    }

    /// A builder of the tracker behind a sink, to set the rules, an observer or a recorder;
    /// turn what it builds into a sink with `.into()` (or [`ProgressSink::from`]).
    ///
    /// ```no_run
    /// use gpmc_progress::com::ProgressSink;
    /// use gpmc_progress::live::{Notification, Update};
    /// use gpmc_progress::{Event, OperationKind, Rules};
    ///
    /// let sink: ProgressSink = ProgressSink::builder(OperationKind::GpoBackup)
    ///     .rules(Rules::strict())
    ///     .observer(|notification| {
    ///         if let Notification::Update(Update::Event(Event::Progress(progress))) = notification {
    ///             println!("{}%", progress.percent());
    ///         }
    ///     })
    ///     .record(std::fs::File::create("backup.trace.jsonl")?)
    ///     .build()
    ///     .into();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// The trace holds what the plain values hold: a string with invalid UTF-16 is written
    /// with U+FFFD replacements (the raw units are in the
    /// [`ReadIssue`](crate::live::ReadIssue) update), and an `object` result without its
    /// `VARTYPE` (which stays in the [`ComResult`]).
    pub fn builder(operation: OperationKind) -> TrackerBuilder<ComResult> {
        TrackerBuilder::typed(operation)
    }

    /// The sink, keeping the live result object of each `Status` call that carries one (an
    /// object, not a string): registered in COM's Global Interface Table while the call is
    /// read, it stays with the [`ComResult`] (and every clone of it) and is handed out on
    /// any thread by [`ComResult::interface`]. The entry points' sinks
    /// ([`Call::start`](super::Call::start)) do this.
    ///
    /// It costs a registration per call carrying an object and keeps the server's object
    /// alive as long as its `ComResult` (in the tracker, the outcome, updates): without it,
    /// the object is only lent to [`on_result_object`](Self::on_result_object) during its
    /// call. Set it before handing out COM objects: objects made earlier keep nothing.
    ///
    /// ```no_run
    /// use gpmc_progress::com::ProgressSink;
    /// use gpmc_progress::OperationKind;
    ///
    /// let sink = ProgressSink::new(OperationKind::GpoBackup).keep_result_objects();
    /// # let _ = sink;
    /// ```
    pub fn keep_result_objects(mut self) -> Self {
        self.keep = true;
        self
    }

    /// The sink, calling `hook` with the live result object of each `Status` call that
    /// carries one (`VT_DISPATCH` or `VT_UNKNOWN`), on the server's thread, inside that very
    /// call, after the call was reported: the object is borrowed from the server's VARIANT,
    /// without a reference of its own. To keep it beyond the hook, take a reference with
    /// [`Interface::cast`](windows_core::Interface::cast) (for example to `IGPMBackup`) and use
    /// it as its threading model allows; the plain [`ComResult`] in the updates is always
    /// there and is `Send + Sync`. A panic in the hook is caught and reported as
    /// [`Fault::StatusPanicked`]. Set it before handing out COM objects.
    ///
    /// ```no_run
    /// use gpmc_progress::com::ProgressSink;
    /// use gpmc_progress::OperationKind;
    /// use windows::Win32::System::GroupPolicy::IGPMBackup;
    /// use windows_core::Interface;
    ///
    /// let sink = ProgressSink::new(OperationKind::GpoBackup).on_result_object(|object| {
    ///     if let Ok(backup) = object.cast::<IGPMBackup>() {
    ///         // SAFETY: `backup` is a valid interface during the call.
    ///         println!("{:?}", unsafe { backup.ID() });
    ///     }
    /// });
    /// # let _ = sink;
    /// ```
    pub fn on_result_object(mut self, hook: impl Fn(&IUnknown) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The tracker behind the sink: the one way to follow the operation (wait, the future,
    /// the streams, the updates so far, what came after the end), with code written against
    /// [`Tracker`] on any platform.
    pub fn tracker(&self) -> &Tracker<ComResult> {
        &self.tracker
    }

    /// A new COM object for this sink, as `IGPMAsyncProgress`; it holds a [`Reporter`].
    ///
    /// Make one per operation: every object feeds the same tracker. The operation counts as
    /// abandoned ([`TrackError::Abandoned`](crate::live::TrackError::Abandoned)) when the last
    /// object is released before the finishing call, so keep it (or the VARIANT) alive until
    /// the GPMC method has returned and [`started`](Self::started) has been told.
    pub fn interface(&self) -> IGPMAsyncProgress {
        SinkObject {
            reporter: ManuallyDrop::new(self.tracker.reporter()),
            keep: self.keep,
            hook: self.hook.clone(),
        }
        .into()
    }

    /// A new COM object for this sink packed as GPMC's `pvarGPMProgress` argument: a
    /// `VT_DISPATCH` VARIANT holding one reference (released when the VARIANT drops).
    pub fn to_variant(&self) -> VARIANT {
        let dispatch: IDispatch = self.interface().into();
        VARIANT::from(dispatch)
    }

    /// The cancel handle GPMC wrote to `pvarGPMCancel` (an `IGPMAsyncCancel` as
    /// `VT_DISPATCH` or `VT_UNKNOWN`), bound to this sink so each request is recorded.
    ///
    /// Fails with `E_POINTER` when the VARIANT holds no object, and with the interface
    /// query's error when the object is not an `IGPMAsyncCancel`.
    pub fn cancel_handle(&self, pvar_gpm_cancel: &VARIANT) -> windows_core::Result<CancelHandle> {
        CancelHandle::from_variant(pvar_gpm_cancel, self.tracker.clone())
    }

    /// Takes the asynchronous GPMC method's return value.
    ///
    /// A failure means the operation did not start: it is reported
    /// ([`TrackError::StartFailed`](crate::live::TrackError::StartFailed), unless the
    /// operation had ended: then it is late) and the error is returned. A server whose method
    /// fails releases the sink at once, and the end is decided only once: keep the VARIANT of
    /// [`to_variant`](Self::to_variant) (or the object) alive until this was called, or the
    /// release comes first and the end stays
    /// [`TrackError::Abandoned`](crate::live::TrackError::Abandoned).
    ///
    /// windows-rs reports a method that returned `S_OK` with a null `IGPMResult` as an error
    /// whose code is `S_OK`; that is a successful start without an `IGPMResult` (`Ok(None)`),
    /// as is usual for asynchronous calls.
    pub fn started(
        &self,
        call: windows_core::Result<IGPMResult>,
    ) -> windows_core::Result<Option<IGPMResult>> {
        let started = async_started(call);
        if let Err(error) = &started {
            self.tracker
                .reporter()
                .start_failed(HResult::from(error.code()));
        }
        started
    }
}

/// The client's cancel request, made on its behalf (the fake GPMC's planned cancel): recorded
/// by the tracker behind `sink` when it is this crate's sink; `false` otherwise (a foreign
/// sink, or a proxy, which is never asked for the Rust object behind it).
#[cfg(feature = "com-fake")]
pub(crate) fn cancel_on_behalf(sink: &IGPMAsyncProgress) -> bool {
    super::ours::<SinkObject>(sink).is_some_and(|object| object.reporter.client_cancel())
}

/// The COM object: an agile `IGPMAsyncProgress` (and `IDispatch`) holding a reporter.
#[implement(IGPMAsyncProgress)]
struct SinkObject {
    /// Dropped by hand, inside `catch_unwind` (see `Drop`).
    reporter: ManuallyDrop<Reporter<ComResult>>,
    /// [`ProgressSink::keep_result_objects`].
    keep: bool,
    /// [`ProgressSink::on_result_object`].
    hook: Option<ResultHook>,
}

impl Drop for SinkObject {
    /// The last `Release`: the server let go. Dropping the reporter may end the operation
    /// and let the observer go; the engine catches the panics of user code, and this catch
    /// keeps anything else from unwinding into the server's `Release`.
    fn drop(&mut self) {
        // SAFETY: the reporter is taken once, here, and the object is never used again.
        let reporter = unsafe { ManuallyDrop::take(&mut self.reporter) };
        // Nobody is left to tell.
        let _ = catch(move || drop(reporter));
    }
}

impl SinkObject {
    /// A quiet call (no result, a null collection): straight to the reporter's progress
    /// entry; a panic (none is known) is caught like the full path's.
    #[inline(always)]
    fn status_quiet(&self, numerator: i32, denominator: i32, hr: HRESULT) {
        let handled = catch_unwind(AssertUnwindSafe(|| {
            #[cfg(test)]
            super::tests::panic_if_asked();
            self.reporter
                .progress_with_hr(numerator, denominator, HResult::from(hr));
        }));
        if let Err(payload) = handled {
            self.status_panicked(payload);
        }
    }

    /// Everything but a quiet call: read outside any lock (concurrent calls read their
    /// objects in parallel), reported, then the live result object handed to the hook;
    /// panics caught.
    #[inline(never)]
    fn status_in_full(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        variant: Option<&VARIANT>,
        collection: Ref<'_, IGPMStatusMsgCollection>,
    ) {
        let handled = catch_unwind(AssertUnwindSafe(|| {
            #[cfg(test)]
            super::tests::panic_if_asked();
            let mut issues = Vec::new();
            let (result, object) = read_result(variant, self.keep, &mut issues);
            let messages = collection
                .as_ref()
                .map(|collection| read_messages(collection, &mut issues));
            let call = StatusCall::new(numerator, denominator, HResult::from(hr), result, messages);
            self.reporter.status_with_issues(call, issues);
            if let (Some(hook), Some(object)) = (&self.hook, object) {
                hook(object);
            }
        }));
        if let Err(payload) = handled {
            self.status_panicked(payload);
        }
    }

    #[cold]
    fn status_panicked(&self, payload: Box<dyn std::any::Any + Send>) {
        let message = crate::live::panic_message(&*payload);
        drop_payload(payload);
        // Reporting cannot panic; should it, nothing escapes to the server either.
        let _ = catch(|| self.reporter.fault(Fault::StatusPanicked(message)));
    }
}

// No type information, names or late-bound calls: GPMC calls `Status` through the vtable.
dispatch_not_implemented!(SinkObject_Impl);

impl IGPMAsyncProgress_Impl for SinkObject_Impl {
    /// Always answers `S_OK`: the protocol gives the server nothing to do with an error, and
    /// everything the sink has to say goes to its consumers. No panic reaches the server.
    ///
    /// A quiet call (no result, a null collection), the server's most common one, goes
    /// straight to the reporter's progress entry, inlined into windows-rs' vtable entry (see
    /// `benches/com_sink.rs`).
    #[inline(always)]
    fn Status(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        result: *const VARIANT,
        collection: Ref<'_, IGPMStatusMsgCollection>,
    ) -> windows_core::Result<()> {
        // SAFETY: `pResult` is null or points to a VARIANT the server keeps alive for the
        // whole call; it is only borrowed, never cleared or copied.
        let variant = unsafe { result.as_ref() };
        if collection.is_none() && holds_nothing(variant) {
            self.status_quiet(numerator, denominator, hr);
        } else {
            self.status_in_full(numerator, denominator, hr, variant, collection);
        }
        Ok(())
    }
}

/// Compile-time proof that the COM object may be called on any thread: it is agile (the
/// `#[implement]` default), so `Status` comes on whichever thread the server calls from.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SinkObject>();
};

/// Interprets an asynchronous GPMC method's return value: `Ok(Some(result))`, `Ok(None)` for
/// `S_OK` with a null `IGPMResult` (which windows-rs reports as an error with code `S_OK`),
/// or the method's failure.
///
/// ```
/// use gpmc_progress::com::async_started;
/// use windows::Win32::Foundation::E_FAIL;
/// use windows_core::Error;
///
/// // What windows-rs returns for S_OK with a null [out] interface.
/// assert!(matches!(async_started(Err(Error::empty())), Ok(None)));
/// // A failure is the method's.
/// assert_eq!(async_started(Err(E_FAIL.into())).map(drop).unwrap_err().code(), E_FAIL);
/// ```
pub fn async_started(
    call: windows_core::Result<IGPMResult>,
) -> windows_core::Result<Option<IGPMResult>> {
    match call {
        Ok(result) => Ok(Some(result)),
        // `Error::empty()` (code S_OK): the method succeeded and wrote a null pointer.
        Err(error) if error.code().is_ok() => Ok(None),
        Err(error) => Err(error),
    }
}
