//! [`ProgressSink`]: the `IGPMAsyncProgress` implementation and the state it feeds.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use spin::mutex::{SpinMutex, SpinMutexGuard};
use spin::relax::Yield;
use windows::Win32::Foundation::E_NOTIMPL;
use windows::Win32::System::Com::{
    IDispatch, IDispatch_Impl, ITypeInfo, DISPATCH_FLAGS, DISPPARAMS, EXCEPINFO,
};
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncProgress, IGPMAsyncProgress_Impl, IGPMResult, IGPMStatusMsgCollection,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, IUnknown, Ref, GUID, HRESULT, PCWSTR};

use super::messages::read_messages;
use super::recorder::Recorder;
use super::result::{holds_nothing, read_result};
use super::update::panic_message;
use super::{CancelHandle, ComResult, Fault, OutcomeFuture, ReadIssue, SinkError, Update, Updates};
use crate::{
    Accepted, Event, HResult, OperationKind, OperationOutcome, Rules, StatusCall, StatusMachine,
    Violation,
};

/// How the operation ended for the sink's consumers: decided once, by the first of the
/// terminal call, a violation, a failed start or the server letting go of the sink.
pub(crate) type Decision = Result<OperationOutcome<ComResult>, SinkError>;

/// The observer's type: called with each [`Notification`], never while a lock is held.
type Observer = dyn FnMut(&Notification<'_>) + Send;

/// What the observer is told: the updates one `Status` call (or one cancel request) caused,
/// and, when the observer runs inside that `Status` call, the live result object.
#[derive(Debug)]
pub struct Notification<'a> {
    call: Option<u64>,
    updates: &'a [Update],
    live_result: Option<&'a IUnknown>,
}

impl<'a> Notification<'a> {
    /// The 1-based index of the `Status` call, or `None` for a cancel request or a fault.
    pub fn call(&self) -> Option<u64> {
        self.call
    }

    /// The updates, in order.
    pub fn updates(&self) -> &'a [Update] {
        self.updates
    }

    /// The result object the `Status` call carried (`VT_DISPATCH` or `VT_UNKNOWN`), live and
    /// borrowed from the server's VARIANT, without a reference of its own.
    ///
    /// It is offered only while the observer runs on the server's thread inside that very
    /// `Status` call, which is the case unless two `Status` calls overlap (then the observer
    /// is called for the second one from the first one's thread, after the second returned,
    /// and this is `None`). To keep the object beyond the callback, take a reference with
    /// [`Interface::cast`](windows_core::Interface::cast) (for example to `IGPMBackup`) and
    /// use it as its threading model allows; the plain [`ComResult`] in the updates is always
    /// there and is `Send + Sync`.
    pub fn live_result(&self) -> Option<&'a IUnknown> {
        self.live_result
    }
}

struct Batch {
    ticket: u64,
    call: Option<u64>,
    updates: Vec<Update>,
}

pub(crate) struct State {
    pub(crate) machine: StatusMachine<ComResult>,
    decision: Option<Decision>,
    /// Every update, kept while a consumer exists (streams read it by position). A progress
    /// update that no stream has yielded yet is replaced by the next one when nothing came
    /// between them, so the log does not grow with progress nobody reads. The progress of
    /// quiet calls waits in the machine until the log is next read or added to.
    log: Vec<Update>,
    /// How far the furthest stream has read the log.
    log_read: usize,
    consumers: usize,
    sleepers: usize,
    wakers: Vec<(u64, Waker)>,
    next_waker: u64,
    observer: Option<Box<Observer>>,
    observing: bool,
    retire_observer: bool,
    delivering: bool,
    pending: VecDeque<Batch>,
    next_ticket: u64,
    scratch: Vec<Update>,
}

impl State {
    /// Whether a `Status` call that only reports progress can leave that progress in the
    /// state machine (see [`Shared::quiet_progress`]): nothing has to hear of it at once
    /// (a recorder is checked apart: it is not in the state).
    fn is_quiet(&self) -> bool {
        !self.observing && self.wakers.is_empty()
    }

    /// Moves what the state machine still holds (at most the progress of quiet calls) to the
    /// log. Everything that reads the log or adds to it does this first, so the log keeps
    /// the order of the calls.
    fn settle(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            if self.consumers > 0 {
                self.append(Update::Event(event));
            }
        }
    }

    /// The update at `position` of the log, which a stream has now read.
    pub(crate) fn read_log(&mut self, position: usize) -> Option<Update> {
        self.settle();
        let update = self.log.get(position)?.clone();
        self.log_read = self.log_read.max(position + 1);
        Some(update)
    }

    fn append(&mut self, update: Update) {
        let unread = self.log_read < self.log.len();
        match (self.log.last_mut(), &update) {
            (Some(last @ Update::Event(Event::Progress(_))), Update::Event(Event::Progress(_)))
                if unread =>
            {
                *last = update;
            }
            _ => self.log.push(update),
        }
    }

    pub(crate) fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }

    /// Registers (or replaces) the waker of the future or stream `id`.
    pub(crate) fn register_waker(&mut self, id: u64, waker: &Waker) {
        match self.wakers.iter_mut().find(|(slot, _)| *slot == id) {
            Some((_, stored)) => stored.clone_from(waker),
            None => self.wakers.push((id, waker.clone())),
        }
    }

    pub(crate) fn forget_waker(&mut self, id: u64) {
        self.wakers.retain(|(slot, _)| *slot != id);
    }

    pub(crate) fn new_waker_id(&mut self) -> u64 {
        self.next_waker += 1;
        self.next_waker
    }
}

/// The lock on the [`State`].
type StateGuard<'a> = SpinMutexGuard<'a, State, Yield>;

/// What the COM object and every consumer share.
///
/// The state is behind a spin lock: taking it is one atomic instruction and releasing it a
/// plain store, which is most of what a quiet `Status` call costs (a standard mutex releases
/// with a second atomic instruction: under Wine, a `Status` that only took and released a
/// `std::sync::Mutex` cost 11.2 ns, against 3.9 ns for a no-op). It is
/// only ever held for work in memory: the recorder's writes happen under the recorder's own
/// lock, the observer and wakers run after it is released, and blocking waiters sleep on a
/// condition variable of their own. A thread that finds it taken yields its time slice.
pub(crate) struct Shared {
    state: SpinMutex<State, Yield>,
    /// The trace recorder. Its lock is taken before the state's (never the other way) and
    /// held while a call is written and judged, so the trace has the calls in the order they
    /// were judged; it is released before anything is published.
    recorder: Option<Mutex<Recorder>>,
    /// Held by a blocking waiter from its look at the decision until it sleeps on `decided`,
    /// and taken by whoever decides before notifying: no wake-up is lost.
    sleep: Mutex<()>,
    decided: Condvar,
    attached: AtomicUsize,
}

impl Shared {
    pub(crate) fn lock(&self) -> StateGuard<'_> {
        self.state.lock()
    }

    /// The recorder, locked, if there is one.
    fn recording(&self) -> Option<std::sync::MutexGuard<'_, Recorder>> {
        self.recorder
            .as_ref()
            .map(|recorder| recorder.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// One `Status` call, from any thread. Never panics.
    ///
    /// Inlined (with `quiet_progress`) into windows-rs' vtable entry for `Status`, so the fast
    /// path makes no call of its own: under Wine that alone took the sink's cost from 12.7 ns
    /// to 7.9 ns a call (see `benches/com_sink.rs`).
    #[inline(always)]
    fn status(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        result: *const VARIANT,
        collection: Ref<'_, IGPMStatusMsgCollection>,
    ) {
        // SAFETY: `pResult` is null or points to a VARIANT the server keeps alive for the
        // whole call; it is only borrowed, never cleared or copied.
        let variant = unsafe { result.as_ref() };
        let plain = collection.is_none() && holds_nothing(variant);
        if plain && self.quiet_progress(numerator, denominator, HResult::new(hr.0)) {
            return;
        }
        self.status_in_full(numerator, denominator, hr, variant, collection, plain);
    }

    /// The fast path, when it applies: a plain call (nothing to read) that only moves the
    /// progress on while nothing has to hear of it at once ([`State::is_quiet`]). The
    /// progress stays in the machine's event queue (merged into the previous one that nobody
    /// read) until the log is next read or added to. One atomic instruction and a few
    /// comparisons; `false` when it did nothing, which includes finding the lock taken (the
    /// full path waits).
    ///
    /// It runs outside `catch_unwind` (which costs here): nothing in it can panic. The one
    /// panic in reach is the event queue's capacity overflow, and the queue is empty here
    /// (every other path drains it; quiet progress waits beside it, not in it).
    #[inline(always)]
    fn quiet_progress(&self, numerator: i32, denominator: i32, hr: HResult) -> bool {
        if self.recorder.is_some() {
            return false;
        }
        let Some(mut st) = self.state.try_lock() else {
            return false;
        };
        st.is_quiet()
            && st
                .machine
                .plain_progress(numerator, denominator, hr)
                .is_some()
    }

    /// Everything but the fast path, panics caught.
    #[inline(never)]
    fn status_in_full(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        variant: Option<&VARIANT>,
        collection: Ref<'_, IGPMStatusMsgCollection>,
        plain: bool,
    ) {
        let handled = catch_unwind(AssertUnwindSafe(|| {
            if plain {
                // Nothing to read. The fast path did not take it: the first call, an anomaly,
                // the end, a violation, someone to tell at once, or the lock was taken.
                let call = StatusCall::new(numerator, denominator, HResult::new(hr.0), None, None);
                self.judge(call, Vec::new(), None);
            } else {
                self.full_status(numerator, denominator, hr, variant, collection);
            }
        }));
        if let Err(payload) = handled {
            self.status_panicked(&*payload);
        }
    }

    #[cold]
    fn status_panicked(&self, payload: &(dyn std::any::Any + Send)) {
        let fault = Update::Fault(Fault::StatusPanicked(panic_message(payload)));
        let mut st = self.lock();
        st.settle();
        let mut updates = std::mem::take(&mut st.scratch);
        updates.push(fault);
        self.publish(st, None, updates, None);
    }

    /// A call with a result or a message collection to read.
    #[inline(never)]
    fn full_status(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        variant: Option<&VARIANT>,
        collection: Ref<'_, IGPMStatusMsgCollection>,
    ) {
        // Read everything outside the lock: concurrent calls read their objects in parallel.
        let mut issues = Vec::new();
        let (result, live) = read_result(variant, &mut issues);
        let messages = collection
            .as_ref()
            .map(|collection| read_messages(collection, &mut issues));
        let call = StatusCall::new(numerator, denominator, HResult::new(hr.0), result, messages);
        self.judge(call, issues, live);
    }

    /// Judges a call that was read, and publishes what it caused.
    #[inline(never)]
    fn judge(&self, call: StatusCall<ComResult>, issues: Vec<ReadIssue>, live: Option<&IUnknown>) {
        let mut recording = self.recording();
        let fault = recording.as_mut().and_then(|r| r.status(&call));
        let mut st = self.lock();
        st.settle();
        let index = st.machine.calls_received().saturating_add(1);
        let mut updates = std::mem::take(&mut st.scratch);
        updates.extend(
            issues
                .into_iter()
                .map(|issue| Update::Issue { call: index, issue }),
        );
        updates.extend(fault.map(Update::Fault));
        let verdict = st.machine.handle_status(call);
        self.conclude(&mut st, &mut updates, verdict);
        // Judged: the next call may be written (the observer may cancel, which writes).
        drop(recording);
        self.publish(st, Some(index), updates, live);
    }

    /// Turns the machine's verdict on a call into updates, and decides the end if it came.
    fn conclude(
        &self,
        st: &mut State,
        updates: &mut Vec<Update>,
        verdict: Result<Accepted, Violation>,
    ) {
        drain_events(&mut st.machine, updates);
        match verdict {
            Ok(accepted) => {
                if accepted.finished.is_some() && st.decision.is_none() {
                    st.decision = st.machine.outcome().cloned().map(Ok);
                }
            }
            Err(violation) => {
                updates.push(Update::Violation(violation));
                if st.decision.is_none() {
                    st.decision = Some(Err(SinkError::Violation(violation)));
                }
            }
        }
    }

    /// The client's cancel request, recorded before the server is asked.
    pub(crate) fn cancel(&self) {
        let mut recording = self.recording();
        let fault = recording.as_mut().and_then(|r| r.cancel());
        let mut st = self.lock();
        st.settle();
        let mut updates = std::mem::take(&mut st.scratch);
        updates.extend(fault.map(Update::Fault));
        st.machine.handle_cancel();
        drain_events(&mut st.machine, &mut updates);
        drop(recording);
        self.publish(st, None, updates, None);
    }

    /// The asynchronous method itself failed: no `Status` call is coming.
    fn start_failed(&self, hr: HResult) {
        let mut st = self.lock();
        // A server whose method failed releases the sink at once, often before the caller
        // got to report the failure: that release is the failed start, not an abandonment.
        if matches!(
            st.decision,
            None | Some(Err(SinkError::Abandoned { calls_received: 0 }))
        ) {
            st.decision = Some(Err(SinkError::StartFailed(hr)));
        }
        st.settle();
        let updates = std::mem::take(&mut st.scratch);
        self.publish(st, None, updates, None);
    }

    /// A COM object was released; when the last goes before the end, the server let go.
    fn detach(&self) {
        if self.attached.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut st = self.lock();
            st.settle();
            if st.decision.is_none() {
                st.decision = Some(Err(SinkError::Abandoned {
                    calls_received: st.machine.calls_received(),
                }));
            }
            // No call can come any more: let the observer go (it may hold a handle of this
            // sink, a cycle that would otherwise keep everything alive). A thread still
            // delivering queued notifications lets it go when it is done.
            st.retire_observer = true;
            let retired = if st.delivering {
                None
            } else {
                st.observing = false;
                st.observer.take()
            };
            let updates = std::mem::take(&mut st.scratch);
            self.publish(st, None, updates, None);
            drop(retired);
        }
    }

    /// Hands one call's updates to every consumer: the log (for streams), sleeping waiters,
    /// futures' wakers and the observer. Takes the lock guard and releases it.
    fn publish(
        &self,
        mut st: StateGuard<'_>,
        call: Option<u64>,
        mut updates: Vec<Update>,
        live: Option<&IUnknown>,
    ) {
        st.next_ticket += 1;
        let ticket = st.next_ticket;
        // While a thread delivers, the observer is out of `st.observer`: `observing` says
        // whether there is one at all.
        if st.observing && !updates.is_empty() {
            st.pending.push_back(Batch {
                ticket,
                call,
                updates: updates.clone(),
            });
        }
        if st.consumers > 0 {
            for update in updates.drain(..) {
                st.append(update);
            }
        } else {
            updates.clear();
        }
        st.scratch = updates;
        let wake_sleepers = st.sleepers > 0 && st.decision.is_some();
        let wakers = std::mem::take(&mut st.wakers);
        let deliver = !st.delivering && !st.pending.is_empty();
        if deliver {
            st.delivering = true;
        }
        drop(st);
        if wake_sleepers {
            // Taken once a sleeper is asleep (or has not looked yet, and will see the decision).
            drop(self.sleep.lock().unwrap_or_else(PoisonError::into_inner));
            self.decided.notify_all();
        }
        for (_, waker) in wakers {
            waker.wake();
        }
        if deliver {
            self.deliver(ticket, live);
        }
    }

    /// Calls the observer for every pending batch, in order, without holding the lock.
    /// Only one thread delivers at a time; others (and re-entrant calls) just queue.
    fn deliver(&self, own_ticket: u64, live: Option<&IUnknown>) {
        let mut st = self.lock();
        while let Some(batch) = st.pending.pop_front() {
            let Some(mut observer) = st.observer.take() else {
                st.pending.clear();
                break;
            };
            drop(st);
            let notification = Notification {
                call: batch.call,
                updates: &batch.updates,
                live_result: if batch.ticket == own_ticket {
                    live
                } else {
                    None
                },
            };
            let outcome = catch_unwind(AssertUnwindSafe(|| observer(&notification)));
            match outcome {
                Ok(()) => {
                    st = self.lock();
                    st.observer = Some(observer);
                }
                Err(payload) => {
                    // Dropped outside the lock: it may own a handle of this very sink.
                    drop(observer);
                    st = self.lock();
                    st.observing = false;
                    st.pending.clear();
                    let fault = Update::Fault(Fault::ObserverPanicked(panic_message(&*payload)));
                    st.settle();
                    if st.consumers > 0 {
                        st.append(fault);
                    }
                    let wakers = std::mem::take(&mut st.wakers);
                    drop(st);
                    wakers.into_iter().for_each(|(_, waker)| waker.wake());
                    st = self.lock();
                }
            }
        }
        st.delivering = false;
        let retired = if st.retire_observer {
            st.observing = false;
            st.observer.take()
        } else {
            None
        };
        drop(st);
        drop(retired);
    }

    /// Blocks until the decision, or until `deadline`.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> Option<Decision> {
        let mut asleep = self.sleep.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            {
                let mut st = self.lock();
                if let Some(decision) = &st.decision {
                    return Some(decision.clone());
                }
                if left.is_some_and(|left| left.is_zero()) {
                    return None;
                }
                st.sleepers += 1;
            }
            asleep = match left {
                None => self
                    .decided
                    .wait(asleep)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(left) => {
                    self.decided
                        .wait_timeout(asleep, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            self.lock().sleepers -= 1;
        }
    }

    pub(crate) fn add_consumer(&self) {
        self.lock().consumers += 1;
    }

    pub(crate) fn remove_consumer(&self) {
        let mut st = self.lock();
        st.consumers -= 1;
        if st.consumers == 0 {
            st.log = Vec::new();
            st.log_read = 0;
            st.wakers = Vec::new();
        }
    }
}

fn drain_events(machine: &mut StatusMachine<ComResult>, updates: &mut Vec<Update>) {
    while let Some(event) = machine.poll_event() {
        updates.push(Update::Event(event));
    }
}

/// Keeps the log alive while it exists: held by the sink handle, streams and futures.
pub(crate) struct Consumer(pub(crate) Arc<Shared>);

impl Consumer {
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        shared.add_consumer();
        Consumer(Arc::clone(shared))
    }
}

impl Clone for Consumer {
    fn clone(&self) -> Self {
        Consumer::new(&self.0)
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.0.remove_consumer();
    }
}

/// The COM object: an agile `IGPMAsyncProgress` (and `IDispatch`) feeding the shared state.
#[implement(IGPMAsyncProgress)]
struct SinkObject {
    shared: Arc<Shared>,
}

impl Drop for SinkObject {
    fn drop(&mut self) {
        self.shared.detach();
    }
}

impl IDispatch_Impl for SinkObject_Impl {
    fn GetTypeInfoCount(&self) -> windows_core::Result<u32> {
        Ok(0)
    }

    fn GetTypeInfo(&self, _itinfo: u32, _lcid: u32) -> windows_core::Result<ITypeInfo> {
        Err(E_NOTIMPL.into())
    }

    fn GetIDsOfNames(
        &self,
        _riid: *const GUID,
        _names: *const PCWSTR,
        _count: u32,
        _lcid: u32,
        _dispids: *mut i32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn Invoke(
        &self,
        _dispid: i32,
        _riid: *const GUID,
        _lcid: u32,
        _flags: DISPATCH_FLAGS,
        _params: *const DISPPARAMS,
        _result: *mut VARIANT,
        _excepinfo: *mut EXCEPINFO,
        _argerr: *mut u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl IGPMAsyncProgress_Impl for SinkObject_Impl {
    /// Always answers `S_OK`: the protocol gives the server nothing to do with an error, and
    /// everything the sink has to say goes to its consumers.
    #[inline(always)]
    fn Status(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HRESULT,
        result: *const VARIANT,
        collection: Ref<'_, IGPMStatusMsgCollection>,
    ) -> windows_core::Result<()> {
        self.shared
            .status(numerator, denominator, hr, result, collection);
        Ok(())
    }
}

/// Builds a [`ProgressSink`]: the operation, the rules, an observer and a trace recorder.
///
/// ```no_run
/// use gpmc_progress::com::{ProgressSink, Update};
/// use gpmc_progress::{Event, OperationKind, Rules};
///
/// let sink = ProgressSink::builder(OperationKind::GpoBackup)
///     .rules(Rules::strict())
///     .observer(|notification| {
///         for update in notification.updates() {
///             if let Update::Event(Event::Progress(progress)) = update {
///                 println!("{}%", progress.percent());
///             }
///         }
///     })
///     .record(std::fs::File::create("backup.trace.jsonl")?)
///     .build();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SinkBuilder {
    operation: OperationKind,
    rules: Rules,
    observer: Option<Box<Observer>>,
    record: Option<Box<dyn std::io::Write + Send>>,
}

impl SinkBuilder {
    /// The rules the calls are judged by (default: [`Rules::documented`]).
    #[must_use]
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Calls `observer` with the updates of every `Status` call and cancel request, in order.
    ///
    /// It runs on the thread that made the call (usually the server's worker thread), never
    /// while the sink holds a lock, and never twice at once: when calls overlap, one thread
    /// delivers the queued notifications in order. It may use the sink (even request cancel)
    /// but must not block waiting for the operation, which would stall the server. A panic
    /// is caught: the observer is dropped and [`Fault::ObserverPanicked`] is reported.
    ///
    /// The observer is dropped when the last COM object of the sink is released (no call can
    /// come any more), so it may own a clone of the [`ProgressSink`] without keeping the
    /// sink alive forever.
    #[must_use]
    pub fn observer(mut self, observer: impl FnMut(&Notification<'_>) + Send + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Records every `Status` call received and every cancel request made through a
    /// [`CancelHandle`] to `writer`, in the trace format (JSON Lines, one flushed line per
    /// event, starting with a `begin` line), for `gpmc-trace check`.
    ///
    /// If writing fails, recording stops for good (a trace with a hole would be checked as a
    /// run that did not happen) and [`Fault::RecordingFailed`] is reported once.
    ///
    /// The trace holds what the plain values hold: a string with invalid UTF-16 is written
    /// with U+FFFD replacements, and an `object` result without its `VARTYPE` (the format has
    /// no field for it). The invalid UTF-16 is reported as a [`ReadIssue`]
    /// update with the raw units; the `VARTYPE` stays in the [`ComResult`].
    #[must_use]
    pub fn record(mut self, writer: impl std::io::Write + Send + 'static) -> Self {
        self.record = Some(Box::new(writer));
        self
    }

    /// The sink.
    pub fn build(self) -> ProgressSink {
        let mut log = Vec::new();
        let recorder =
            self.record
                .and_then(|writer| match Recorder::begin(writer, self.operation) {
                    Ok(recorder) => Some(Mutex::new(recorder)),
                    Err(fault) => {
                        log.push(Update::Fault(fault));
                        None
                    }
                });
        let state = State {
            machine: StatusMachine::new_generic(self.operation, self.rules),
            decision: None,
            log,
            log_read: 0,
            consumers: 0,
            sleepers: 0,
            wakers: Vec::new(),
            next_waker: 0,
            observing: self.observer.is_some(),
            observer: self.observer,
            retire_observer: false,
            delivering: false,
            pending: VecDeque::new(),
            next_ticket: 0,
            scratch: Vec::new(),
        };
        let shared = Arc::new(Shared {
            state: SpinMutex::new(state),
            recorder,
            sleep: Mutex::new(()),
            decided: Condvar::new(),
            attached: AtomicUsize::new(0),
        });
        ProgressSink {
            consumer: Consumer::new(&shared),
        }
    }
}

/// A client-side `IGPMAsyncProgress` sink for one GPMC asynchronous operation, and the
/// handle to consume what it receives.
///
/// The handle is plain (`Send + Sync`, cheap to clone); the COM object it hands out with
/// [`to_variant`](Self::to_variant) is agile (free-threaded): `Status` runs on whichever
/// thread the server calls it from, even two at once, and turns each call into plain values
/// ([`StatusCall`]`<`[`ComResult`]`>`) that feed a [`StatusMachine`] behind a lock. It always
/// answers the server with `S_OK`, never panics into it, and keeps working after every
/// consumer has gone.
///
/// How the operation ends for the consumers is decided once, by the first of: the terminal
/// `Status` call (`Ok(outcome)`), a call that is a violation of the rules in force
/// ([`SinkError::Violation`]), the asynchronous method failing ([`started`](Self::started)),
/// or the server releasing the sink without a terminal call ([`SinkError::Abandoned`]).
///
/// Ways to consume: an observer ([`SinkBuilder::observer`]), blocking
/// [`wait`](Self::wait)/[`wait_timeout`](Self::wait_timeout), the [`OutcomeFuture`]
/// from [`outcome`](Self::outcome) and the [`Updates`] stream from
/// [`updates`](Self::updates) (any executor; no runtime needed).
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
/// let cancel = sink.cancel_handle(&cancel)?;
/// sink.started(started)?;
/// drop(progress);
/// let outcome = sink.wait()?;
/// println!("{outcome}");
/// # drop(cancel);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ProgressSink {
    consumer: Consumer,
}

impl ProgressSink {
    /// A sink for an operation of kind `operation`, under the `documented` rules, with no
    /// observer and no recorder.
    pub fn new(operation: OperationKind) -> Self {
        ProgressSink::builder(operation).build()
    }

    /// A builder, to set the rules, an observer or a recorder.
    pub fn builder(operation: OperationKind) -> SinkBuilder {
        SinkBuilder {
            operation,
            rules: Rules::documented(),
            observer: None,
            record: None,
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.consumer.0
    }

    /// A new COM object for this sink, as `IGPMAsyncProgress`.
    ///
    /// Make one per operation: every object feeds the same state. The sink counts as
    /// abandoned ([`SinkError::Abandoned`]) when the last object is released before the
    /// terminal call, so keep it (or the VARIANT) alive until the GPMC method has returned.
    pub fn interface(&self) -> IGPMAsyncProgress {
        self.shared().attached.fetch_add(1, Ordering::AcqRel);
        SinkObject {
            shared: Arc::clone(self.shared()),
        }
        .into()
    }

    /// A new COM object for this sink packed as GPMC's `pvarGPMProgress` argument: a
    /// `VT_DISPATCH` VARIANT holding one reference (released when the VARIANT drops).
    pub fn to_variant(&self) -> VARIANT {
        let dispatch: IDispatch = self.interface().into();
        VARIANT::from(dispatch)
    }

    /// Whether a COM object of this sink is still referenced (by the server or a VARIANT).
    pub fn is_attached(&self) -> bool {
        self.shared().attached.load(Ordering::Acquire) > 0
    }

    /// The cancel handle GPMC wrote to `pvarGPMCancel` (an `IGPMAsyncCancel` as
    /// `VT_DISPATCH` or `VT_UNKNOWN`), bound to this sink so each request is recorded.
    ///
    /// Fails with `E_POINTER` when the VARIANT holds no object, and with the interface
    /// query's error when the object is not an `IGPMAsyncCancel`.
    pub fn cancel_handle(&self, pvar_gpm_cancel: &VARIANT) -> windows_core::Result<CancelHandle> {
        CancelHandle::from_variant(pvar_gpm_cancel, Arc::clone(self.shared()))
    }

    /// Takes the asynchronous GPMC method's return value.
    ///
    /// A failure means the operation did not start: the sink's decision becomes
    /// [`SinkError::StartFailed`] (unless a `Status` call already decided it; it replaces an
    /// [`SinkError::Abandoned`] with no call received, which is how a server that failed the
    /// method lets go of the sink) and the error is returned. windows-rs reports a method that returned `S_OK` with a null `IGPMResult`
    /// as an error whose code is `S_OK`; that is a successful start without an `IGPMResult`
    /// (`Ok(None)`), as is usual for asynchronous calls.
    pub fn started(
        &self,
        call: windows_core::Result<IGPMResult>,
    ) -> windows_core::Result<Option<IGPMResult>> {
        match async_started(call) {
            Ok(result) => Ok(result),
            Err(error) => {
                self.shared().start_failed(HResult::new(error.code().0));
                Err(error)
            }
        }
    }

    /// Blocks until the operation's end is decided.
    ///
    /// Do not call it on the thread the server calls `Status` from (inside an observer).
    pub fn wait(&self) -> Result<OperationOutcome<ComResult>, SinkError> {
        match self.shared().wait_until(None) {
            Some(decision) => decision,
            None => unreachable_decision(),
        }
    }

    /// Blocks until the end is decided or `timeout` has passed (`None`).
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> Option<Result<OperationOutcome<ComResult>, SinkError>> {
        let deadline = Instant::now().checked_add(timeout);
        match deadline {
            Some(deadline) => self.shared().wait_until(Some(deadline)),
            None => Some(self.wait()),
        }
    }

    /// The end, if already decided; never blocks.
    pub fn try_outcome(&self) -> Option<Result<OperationOutcome<ComResult>, SinkError>> {
        self.shared().lock().decision().cloned()
    }

    /// A future of the end (runtime-agnostic: it stores the waker and the sink wakes it).
    pub fn outcome(&self) -> OutcomeFuture {
        OutcomeFuture::new(Consumer::new(self.shared()))
    }

    /// A stream of every update, from the first (even those before the stream was made).
    /// It ends once the end is decided and every update before it was yielded.
    pub fn updates(&self) -> Updates {
        Updates::new(Consumer::new(self.shared()))
    }

    /// Every update so far (what a new [`Updates`] stream would yield first), with
    /// consecutive progress updates that no stream had yielded merged into the latest.
    pub fn updates_so_far(&self) -> Vec<Update> {
        let mut st = self.shared().lock();
        st.settle();
        st.log.clone()
    }

    /// Runs `f` on the state machine (progress, anomalies, messages, calls received, ...).
    ///
    /// `f` runs under the sink's lock, which `Status` calls wait for (spinning, then
    /// yielding): keep it short, and do not call the sink from it (that would never return).
    pub fn inspect<T>(&self, f: impl FnOnce(&StatusMachine<ComResult>) -> T) -> T {
        f(&self.shared().lock().machine)
    }

    /// Every violation received so far, in call order (the first decided the end).
    pub fn violations(&self) -> Vec<Violation> {
        // Violations are never left in the machine: no need to settle.
        self.shared()
            .lock()
            .log
            .iter()
            .filter_map(|update| match update {
                Update::Violation(violation) => Some(*violation),
                _ => None,
            })
            .collect()
    }
}

#[cold]
fn unreachable_decision() -> Decision {
    // `wait_until(None)` only returns once decided; this keeps `wait` panic-free anyway.
    Err(SinkError::Abandoned { calls_received: 0 })
}

impl core::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let st = self.shared().lock();
        f.debug_struct("ProgressSink")
            .field("operation", &st.machine.operation())
            .field("calls_received", &st.machine.calls_received())
            .field("phase", &st.machine.phase())
            .field("decided", &st.decision.is_some())
            .finish()
    }
}

/// Interprets an asynchronous GPMC method's return value: `Ok(Some(result))`, `Ok(None)` for
/// `S_OK` with a null `IGPMResult` (which windows-rs reports as an error with code `S_OK`),
/// or the method's failure.
///
/// ```
/// use gpmc_progress::com::async_started;
/// use windows_core::Error;
///
/// // What windows-rs returns for S_OK with a null [out] interface.
/// assert!(matches!(async_started(Err(Error::empty())), Ok(None)));
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
