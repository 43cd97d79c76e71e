//! [`Tracker`]: the client's side of a live operation, [`Reporter`]: the server's side, and
//! [`TrackerBuilder`].

use std::any::Any;
use std::time::{Duration, Instant};

use super::engine::{Decision, Observer, Parts, Shared};
use super::sync::Arc;
use super::{OutcomeFuture, ReadIssue, TrackError, Update, Updates};
use crate::{
    HResult, OperationKind, OperationOutcome, ResultDescription, Rules, StatusCall, StatusMachine,
    TypedResult, Violation,
};

/// What the observer is told: the updates one `Status` call (or one cancel request, or a
/// fault) caused, in order.
#[derive(Debug)]
pub struct Notification<'a> {
    pub(crate) call: Option<u64>,
    pub(crate) updates: &'a [Update],
    /// What an adapter offers the observer while it runs inside the call that carried it (the
    /// COM adapter's live result object).
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) live: Option<&'a dyn Any>,
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
}

/// Builds a [`Tracker`]: the operation, the rules, an observer and a trace recorder.
///
/// ```
/// use gpmc_progress::live::{Tracker, Update};
/// use gpmc_progress::{Event, OperationKind, Rules};
///
/// let tracker = Tracker::builder(OperationKind::GpoBackup)
///     .rules(Rules::strict())
///     .observer(|notification| {
///         for update in notification.updates() {
///             if let Update::Event(Event::Progress(progress)) = update {
///                 println!("{}%", progress.percent());
///             }
///         }
///     })
///     .build();
/// # drop(tracker);
/// ```
pub struct TrackerBuilder<R = ResultDescription> {
    operation: OperationKind,
    rules: Rules,
    observer: Option<Box<Observer>>,
    recorder: Option<Box<dyn super::recorder::LineWriter>>,
    encoder: Option<super::engine::Encoder<R>>,
}

impl TrackerBuilder {
    /// A builder for a tracker whose calls carry plain [`ResultDescription`]s (the same as
    /// [`Tracker::builder`]); [`typed`](Self::typed) is the one for other result types.
    pub fn new(operation: OperationKind) -> Self {
        TrackerBuilder::typed(operation)
    }
}

impl<R> TrackerBuilder<R> {
    /// A builder for a tracker whose calls carry results of type `R` (the COM adapter's is
    /// its `ComResult`); name `R` where it cannot be inferred.
    pub fn typed(operation: OperationKind) -> Self {
        TrackerBuilder {
            operation,
            rules: Rules::documented(),
            observer: None,
            recorder: None,
            encoder: None,
        }
    }

    /// The rules the calls are judged by (default: [`Rules::documented`]).
    #[must_use]
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Calls `observer` with the updates of every `Status` call and cancel request, in order.
    ///
    /// It runs on the thread that made the call (the server's thread, or the client's for a
    /// cancel request), never while the tracker holds a lock, and never twice at once: when
    /// calls overlap, one thread delivers the queued notifications in order. It may use the
    /// tracker (even request cancel) but must not block waiting for the operation, which
    /// would stall the server. A panic is caught: the observer is dropped and
    /// [`Fault::ObserverPanicked`](super::Fault::ObserverPanicked) is reported.
    ///
    /// The observer is dropped when the last [`Reporter`] is (no call can come any more), so
    /// it may own a clone of the [`Tracker`] without keeping everything alive forever.
    #[must_use]
    pub fn observer(mut self, observer: impl FnMut(&Notification<'_>) + Send + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// The tracker.
    pub fn build(self) -> Tracker<R> {
        #[allow(unused_mut)]
        let mut log = Vec::new();
        #[allow(unused_mut)]
        let mut recorder = self.recorder;
        #[cfg(feature = "trace")]
        if let Some(writer) = recorder.as_mut() {
            let line = super::recorder::begin_line(self.operation);
            if let Err(fault) = super::recorder::write_line(writer.as_mut(), &line) {
                log.push(Update::Fault(fault));
                if let Some(writer) = recorder.take() {
                    log.extend(super::recorder::drop_writer(writer).map(Update::Fault));
                }
            }
        }
        let shared = Shared::new(Parts {
            machine: StatusMachine::typed(self.operation, self.rules),
            observer: self.observer,
            recorder,
            encoder: self.encoder,
            log,
        });
        Tracker {
            consumer: Consumer::new(&Arc::new(shared)),
        }
    }
}

#[cfg(feature = "trace")]
impl<R: AsRef<ResultDescription>> TrackerBuilder<R> {
    /// Records every `Status` call received and every cancel request to `writer`, in the
    /// trace format (JSON Lines, one flushed line per event, starting with a `begin` line),
    /// for `gpmc-trace check`. Feature `trace`.
    ///
    /// Lines are written in the order the calls were judged, by the thread that delivers to
    /// the observer, never under the tracker's lock. If writing fails or the writer panics,
    /// recording stops for good (a trace with a hole would be checked as a run that did not
    /// happen) and [`Fault::RecordingFailed`](super::Fault::RecordingFailed) is reported
    /// once.
    ///
    /// ```
    /// use gpmc_progress::live::Tracker;
    /// use gpmc_progress::{HResult, OperationKind, ResultDescription, StatusCall};
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Clone, Default)]
    /// struct Shared(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Shared {
    ///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
    ///         self.0.lock().unwrap().write(bytes)
    ///     }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    ///
    /// let trace = Shared::default();
    /// let tracker = Tracker::builder(OperationKind::GpoReport).record(trace.clone()).build();
    /// tracker.reporter().status(StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>")));
    /// let text = String::from_utf8(trace.0.lock().unwrap().clone())?;
    /// assert_eq!(text.lines().count(), 2);
    /// assert!(text.starts_with(r#"{"event":"begin","operation":"gpo-report"}"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn record(mut self, writer: impl std::io::Write + Send + 'static) -> Self {
        self.recorder = Some(Box::new(writer));
        self.encoder = Some(super::recorder::status_line::<R>);
        self
    }
}

impl<R> core::fmt::Debug for TrackerBuilder<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrackerBuilder")
            .field("operation", &self.operation)
            .field("rules", &self.rules)
            .field("observer", &self.observer.is_some())
            .field("recording", &self.recorder.is_some())
            .finish()
    }
}

/// The client's side of one live GPMC operation: judges the `Status` calls its
/// [`Reporter`]s deliver from any thread, and lets the client cancel, wait, poll and observe.
///
/// Cheap to clone, `Send + Sync`; every clone sees the same operation. How the operation
/// ends is set once, by the first of: the finishing `Status` call (`Ok(outcome)`), a call
/// that is a violation of the rules in force ([`TrackError::Violation`]), the asynchronous
/// method failing to start ([`TrackError::StartFailed`]), or the last [`Reporter`] dropped
/// before a finishing call ([`TrackError::Abandoned`]). Every consumer sees that same
/// end, however late it looks.
///
/// Ways to consume: an observer ([`TrackerBuilder::observer`]), blocking
/// [`wait`](Self::wait) / [`wait_timeout`](Self::wait_timeout), [`try_outcome`](Self::try_outcome),
/// the [`OutcomeFuture`] of [`outcome`](Self::outcome) and the [`Updates`] stream of
/// [`updates`](Self::updates) (any executor; no runtime needed).
///
/// ```
/// use gpmc_progress::live::Tracker;
/// use gpmc_progress::{OperationKind, OutcomeKind, ResultDescription, StatusCall};
///
/// let tracker = Tracker::new(OperationKind::GpoReport);
/// let server = tracker.reporter();
/// let thread = std::thread::spawn(move || {
///     server.progress(0, 2);
///     server.progress(1, 2);
///     server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<report/>")));
/// });
/// let outcome = tracker.wait()?;
/// assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
/// thread.join().unwrap();
/// # Ok::<(), gpmc_progress::live::TrackError>(())
/// ```
pub struct Tracker<R = ResultDescription> {
    consumer: Consumer<R>,
}

impl<R> Clone for Tracker<R> {
    fn clone(&self) -> Self {
        Tracker {
            consumer: self.consumer.clone(),
        }
    }
}

impl Tracker {
    /// A tracker for an operation of kind `operation` under the `documented` rules, carrying
    /// plain [`ResultDescription`]s, with no observer and no recorder.
    pub fn new(operation: OperationKind) -> Self {
        Tracker::builder(operation).build()
    }

    /// A builder, to set the rules, an observer or a recorder (plain [`ResultDescription`]s;
    /// see [`TrackerBuilder::typed`] for other result types).
    pub fn builder(operation: OperationKind) -> TrackerBuilder {
        TrackerBuilder::new(operation)
    }
}

impl<R> Tracker<R> {
    pub(crate) fn shared(&self) -> &Arc<Shared<R>> {
        &self.consumer.0
    }

    /// A new handle for the server's side. The operation counts as abandoned
    /// ([`TrackError::Abandoned`]) when the last reporter is dropped before the finishing call.
    pub fn reporter(&self) -> Reporter<R> {
        self.shared().attach();
        Reporter {
            shared: Arc::clone(self.shared()),
        }
    }

    /// The operation's kind.
    pub fn operation(&self) -> OperationKind {
        self.shared().lock().machine.operation()
    }

    /// Whether a [`Reporter`] of this tracker is still alive.
    pub fn is_attached(&self) -> bool {
        self.shared().is_attached()
    }
}

impl<R: TypedResult + Clone> Tracker<R> {
    /// Records the client's cancel request, before the server is asked to stop, so that a
    /// failure the request provokes is judged *cancelled* whatever thread it arrives on.
    ///
    /// Returns whether the request was recorded: a request after the finishing call changes
    /// nothing (it is still written to the trace) and returns `false`.
    pub fn cancel(&self) -> bool {
        self.shared().cancel()
    }

    /// Blocks until the operation's end is known.
    ///
    /// Do not call it from the observer (on the server's thread): the server would wait for
    /// itself. The end comes from the server's side, so make the [`Reporter`] (or hand the
    /// COM sink to GPMC) first: with no reporter ever made, nothing can decide it and this
    /// waits for ever (use [`wait_timeout`](Self::wait_timeout) where that can happen).
    pub fn wait(&self) -> Result<OperationOutcome<R>, TrackError> {
        match self.shared().wait_until(None) {
            Some(decision) => decision,
            None => unreachable_decision(),
        }
    }

    /// Blocks until the end is known (`Some`) or `timeout` has passed (`None`).
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> Option<Result<OperationOutcome<R>, TrackError>> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.shared().wait_until(Some(deadline)),
            None => Some(self.wait()),
        }
    }

    /// The end, if already known; never blocks.
    pub fn try_outcome(&self) -> Option<Result<OperationOutcome<R>, TrackError>> {
        self.shared().lock().decision().cloned()
    }

    /// A future of the end (runtime-agnostic: polling registers the task's waker and the
    /// tracker wakes it).
    pub fn outcome(&self) -> OutcomeFuture<R> {
        OutcomeFuture::new(self.consumer.clone())
    }

    /// A stream of every update, from the first (even those before the stream was made). It
    /// ends once the end is known and every update before it was yielded.
    pub fn updates(&self) -> Updates<R> {
        Updates::new(self.consumer.clone())
    }

    /// Every update so far (what a new [`Updates`] stream would yield first), with
    /// consecutive progress updates that no stream had yielded merged into the latest.
    pub fn updates_so_far(&self) -> Vec<Update> {
        self.shared().lock().log().to_vec()
    }

    /// Every violation received so far, in call order (the first set the end).
    pub fn violations(&self) -> Vec<Violation> {
        self.shared()
            .lock()
            .log()
            .iter()
            .filter_map(|update| match update {
                Update::Violation(violation) => Some(*violation),
                _ => None,
            })
            .collect()
    }

    /// A copy of the state machine as it is now (progress, phase, anomalies, messages, calls
    /// received, ...), taken under the lock; the lock is released before it is returned.
    pub fn snapshot(&self) -> StatusMachine<R> {
        let mut st = self.shared().lock();
        st.settle();
        st.machine.clone()
    }
}

#[cold]
fn unreachable_decision<R>() -> Decision<R> {
    // `wait_until(None)` only returns once decided; this keeps `wait` panic-free anyway.
    Err(TrackError::Abandoned { calls_received: 0 })
}

impl<R> core::fmt::Debug for Tracker<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let st = self.shared().lock();
        let operation = st.machine.operation();
        let calls = st.machine.calls_received();
        let phase = st.machine.phase();
        let decided = st.decision().is_some();
        drop(st);
        f.debug_struct("Tracker")
            .field("operation", &operation)
            .field("calls_received", &calls)
            .field("phase", &phase)
            .field("decided", &decided)
            .finish()
    }
}

/// The server's side of a live operation: any thread reports `Status` calls through it.
///
/// Cheap to clone, `Send + Sync`. Every clone counts: when the last one is dropped before
/// the finishing call, the server let go and the operation is [`TrackError::Abandoned`]. A
/// GPMC server holds the progress sink the same way: the COM adapter's sink object holds a
/// reporter.
///
/// Reporting never panics and never blocks for long: the tracker's lock is held only for
/// work in memory, and the observer and the recorder run after it was released.
pub struct Reporter<R = ResultDescription> {
    shared: Arc<Shared<R>>,
}

impl<R> Clone for Reporter<R> {
    fn clone(&self) -> Self {
        self.shared.attach();
        Reporter {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<R> Drop for Reporter<R> {
    fn drop(&mut self) {
        self.shared.detach();
    }
}

impl<R: TypedResult + Clone> Reporter<R> {
    /// One `Status` call, as the server made it.
    pub fn status(&self, call: StatusCall<R>) {
        self.shared.status(call, Vec::new(), None);
    }

    /// One `Status` call, with what an adapter could not read of it faithfully (reported as
    /// [`Update::Issue`]s before the call's own updates).
    pub fn status_with_issues(&self, call: StatusCall<R>, issues: Vec<ReadIssue>) {
        self.shared.status(call, issues, None);
    }

    /// A `Status` call that carries no result and a null message collection: the same as
    /// `status(StatusCall::new(numerator, denominator, S_OK, None, None))`, and the fast path
    /// of a server's most common call.
    #[inline]
    pub fn progress(&self, numerator: i32, denominator: i32) {
        self.shared.progress(numerator, denominator, HResult::S_OK);
    }

    /// Like [`progress`](Self::progress), with an `hrStatus`.
    #[inline]
    pub fn progress_with_hr(&self, numerator: i32, denominator: i32, hr: HResult) {
        self.shared.progress(numerator, denominator, hr);
    }

    /// The asynchronous method failed with `hr` (a failure code): no `Status` call is coming.
    /// Sets the end ([`TrackError::StartFailed`]) unless it was set already.
    pub fn start_failed(&self, hr: HResult) {
        self.shared.start_failed(hr);
    }

    /// The COM adapter's entry: a call read from the server's objects, with the live object
    /// offered to the observer.
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn status_live(
        &self,
        call: StatusCall<R>,
        issues: Vec<ReadIssue>,
        live: Option<&dyn Any>,
    ) {
        self.shared.status(call, issues, live);
    }

    /// The client's cancel request, made on the client's behalf by a server that plans it
    /// (the fake GPMC): the same as [`Tracker::cancel`].
    #[cfg_attr(not(all(windows, feature = "com-fake")), allow(dead_code))]
    pub(crate) fn client_cancel(&self) -> bool {
        self.shared.cancel()
    }

    /// A fault found by an adapter (a panic while reading a call), told like an update.
    #[cfg_attr(not(all(windows, feature = "com")), allow(dead_code))]
    pub(crate) fn fault(&self, fault: super::Fault) {
        self.shared.fault(fault);
    }
}

impl<R> core::fmt::Debug for Reporter<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reporter").finish_non_exhaustive()
    }
}

/// Keeps the log alive while it exists: held by every tracker handle, stream and future.
pub(crate) struct Consumer<R>(pub(crate) Arc<Shared<R>>);

impl<R> Consumer<R> {
    pub(crate) fn new(shared: &Arc<Shared<R>>) -> Self {
        shared.add_consumer();
        Consumer(Arc::clone(shared))
    }
}

impl<R> Clone for Consumer<R> {
    fn clone(&self) -> Self {
        Consumer::new(&self.0)
    }
}

impl<R> Drop for Consumer<R> {
    fn drop(&mut self) {
        self.0.remove_consumer();
    }
}
