//! [`Tracker`]: the client's side of a live operation, and [`TrackerBuilder`].

use std::time::{Duration, Instant};

use super::delivery::Courier;
use super::engine::{Encoder, End, Shared};
use super::sync::Arc;
use super::{AfterEnd, Late, OutcomeFuture, Reporter, Update, Updates};
use crate::{
    OperationKind, OperationOutcome, ProgressFraction, ResultDescription, Rules, StatusMachine,
    TypedResult,
};

/// What the observer is handed: each update as every stream sees it, then what came after
/// the end.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Notification<'a, R = ResultDescription> {
    /// The next update, in the order every consumer sees them; the last is
    /// [`Update::End`].
    Update(&'a Update<R>),
    /// Something after the end (a late `Status` call, a late start failure, a fault).
    Late(&'a Late),
}

/// Builds a [`Tracker`]: the operation, the rules, an observer and a trace recorder.
///
/// ```
/// use gpmc_progress::live::{Notification, Tracker, Update};
/// use gpmc_progress::{Event, OperationKind, Rules};
///
/// let tracker = Tracker::builder(OperationKind::GpoBackup)
///     .rules(Rules::strict())
///     .observer(|notification| {
///         if let Notification::Update(Update::Event(Event::Progress(progress))) = notification {
///             println!("{}%", progress.percent());
///         }
///     })
///     .build();
/// # drop(tracker);
/// ```
pub struct TrackerBuilder<R = ResultDescription> {
    operation: OperationKind,
    rules: Rules,
    courier: Courier<R>,
    encoder: Option<Encoder<R>>,
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
            courier: Courier {
                observer: None,
                recorder: None,
            },
            encoder: None,
        }
    }

    /// The rules the calls are judged by (default: [`Rules::documented`]).
    #[must_use]
    pub fn rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Calls `observer` with every update, in the order every stream sees them, ending
    /// with [`Update::End`], then with what comes after the end ([`Notification::Late`])
    /// until the server let go.
    ///
    /// It runs on a thread of the tracker's own (started with the first [`Reporter`]), one
    /// notification at a time, never under a lock, so it never holds up the server: a slow
    /// observer skips progress it had no time for, as a slow stream does, and is handed the
    /// rest. The end is seen by the waits, the future and the streams only once the
    /// observer was handed it, so after [`Tracker::wait`] returns the observer has seen
    /// the end. It may use the tracker (even request cancel), but must not wait for the
    /// operation to end: the end waits for it. A panic is caught: the observer is dropped
    /// and [`Fault::ObserverPanicked`](super::Fault::ObserverPanicked) is reported.
    ///
    /// The observer is dropped once the server let go (the last [`Reporter`] dropped) and
    /// it was handed everything, so it may own a clone of the [`Tracker`] without keeping
    /// everything alive forever.
    #[must_use]
    pub fn observer(mut self, observer: impl FnMut(Notification<'_, R>) + Send + 'static) -> Self {
        self.courier.observer = Some(Box::new(observer));
        self
    }

    /// The tracker.
    pub fn build(self) -> Tracker<R> {
        let began = std::time::Instant::now();
        #[allow(unused_mut)]
        let mut log = Vec::new();
        #[cfg_attr(not(feature = "trace"), allow(unused_mut))]
        let mut courier = self.courier;
        #[cfg(feature = "trace")]
        if let Some(writer) = courier.recorder.as_mut() {
            let line = super::recorder::begin_line(self.operation);
            if let Err(fault) = super::recorder::write_line(writer.as_mut(), "begin", &line) {
                log.push(Update::Fault(fault));
                if let Some(writer) = courier.recorder.take() {
                    log.extend(super::recorder::drop_writer(writer).map(Update::Fault));
                }
            }
        }
        let delivers = courier.observer.is_some() || courier.recorder.is_some();
        let shared = Shared::new(
            StatusMachine::typed(self.operation, self.rules),
            delivers.then_some(courier),
            self.encoder,
            log,
            began,
        );
        Tracker {
            client: Client::new(&Arc::new(shared)),
        }
    }
}

#[cfg(feature = "trace")]
impl<R: AsRef<ResultDescription>> TrackerBuilder<R> {
    /// Records every `Status` call received (late ones included, until the server let go)
    /// and every cancel request made before the end to `writer`, in the trace format (JSON
    /// Lines, one flushed line per event, starting with a `begin` line), for `gpmc-trace
    /// check`. Feature `trace`. Each line carries its moment (`ms`: milliseconds since the
    /// tracker was built, from a monotonic clock, never less than the line before's), so a
    /// replay can keep the recorded pace.
    ///
    /// Lines are written in the order the calls were judged, on the tracker's delivery
    /// thread, never under the tracker's lock; every line before the end is written before
    /// the end is seen (so after [`Tracker::wait`] returns, the trace holds the finishing
    /// call). A server that calls faster than the writer writes waits for it once 1024
    /// lines are queued. If writing fails or the writer panics, recording stops for good (a
    /// trace with a hole would be checked as a run that did not happen) and
    /// [`Fault::RecordingFailed`](super::Fault::RecordingFailed) is reported once. The
    /// writer is dropped once the server let go and every line was written.
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
    /// tracker.wait()?;
    /// let text = String::from_utf8(trace.0.lock().unwrap().clone())?;
    /// assert_eq!(text.lines().count(), 2);
    /// assert!(text.starts_with(r#"{"event":"begin","ms":0,"operation":"gpo-report"}"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn record(mut self, writer: impl std::io::Write + Send + 'static) -> Self {
        self.courier.recorder = Some(Box::new(writer));
        self.encoder = Some(super::recorder::status_line::<R>);
        self
    }
}

impl<R> core::fmt::Debug for TrackerBuilder<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrackerBuilder")
            .field("operation", &self.operation)
            .field("rules", &self.rules)
            .field("observer", &self.courier.observer.is_some())
            .field("recording", &self.courier.recorder.is_some())
            .finish()
    }
}

/// The client's side of one live GPMC operation: judges the `Status` calls its
/// [`Reporter`]s deliver from any thread, and lets the client cancel, wait, poll and
/// observe. The one way to follow an operation, on every platform (the COM adapter hands
/// out its tracker).
///
/// Cheap to clone, `Send + Sync`; every clone sees the same operation. How the operation
/// ends (its *end*) is decided once, by the first of: the finishing `Status` call
/// (`Ok(outcome)`), a call that is a violation of the rules in force
/// ([`TrackError::Violation`](super::TrackError::Violation)), the asynchronous method
/// failing to start ([`TrackError::StartFailed`](super::TrackError::StartFailed)), or the
/// last [`Reporter`] dropped before a finishing call
/// ([`TrackError::Abandoned`](super::TrackError::Abandoned)).
///
/// Every consumer sees the same updates and then that end, once, last: the waits
/// ([`wait`](Self::wait), [`wait_timeout`](Self::wait_timeout)),
/// [`try_outcome`](Self::try_outcome), the [`OutcomeFuture`] of [`outcome`](Self::outcome),
/// each [`Updates`] stream of [`updates`](Self::updates) (any executor, or a plain thread),
/// [`updates_so_far`](Self::updates_so_far), the observer
/// ([`TrackerBuilder::observer`]) and the recorded trace. What the server does after the
/// end is *late*: it never changes the end or reaches a stream, and is kept apart in
/// [`after_end`](Self::after_end).
///
/// ```
/// use gpmc_progress::live::{Tracker, Update};
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
/// assert_eq!(tracker.updates_so_far().last(), Some(&Update::End(Ok(outcome))));
/// # Ok::<(), gpmc_progress::live::TrackError>(())
/// ```
pub struct Tracker<R = ResultDescription> {
    client: Client<R>,
}

impl<R> Clone for Tracker<R> {
    fn clone(&self) -> Self {
        Tracker {
            client: self.client.clone(),
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
        &self.client.0
    }

    /// A new handle for the server's side.
    ///
    /// The operation is abandoned ([`TrackError::Abandoned`](super::TrackError::Abandoned))
    /// when the last reporter is dropped before the end. That stays so: a reporter made
    /// after the server let go only reports late calls.
    pub fn reporter(&self) -> Reporter<R>
    where
        R: Clone + Send + Sync + 'static,
    {
        Reporter::new(self.shared())
    }

    /// The operation's kind.
    pub fn operation(&self) -> OperationKind {
        self.shared().lock().machine.operation()
    }

    /// Whether a [`Reporter`] of this tracker is alive.
    pub fn is_attached(&self) -> bool {
        self.shared().is_attached()
    }

    /// The progress of the last accepted `Status` call, `None` before the first.
    pub fn progress(&self) -> Option<ProgressFraction> {
        self.shared().lock().progress()
    }

    /// What happened after the end so far: late `Status` calls, a late start failure,
    /// faults (empty before the end).
    pub fn after_end(&self) -> AfterEnd {
        self.shared().lock().after_end.clone()
    }
}

impl<R: TypedResult + Clone> Tracker<R> {
    /// Records the client's cancel request, before the server is asked to stop, so that a
    /// failure the request provokes is judged *cancelled* whatever thread it arrives on.
    ///
    /// Says whether the request came in time
    /// ([`CancelRequest::in_time`](super::CancelRequest::in_time)): once the operation has
    /// ended (however it ended) it is too late and recorded nowhere. No server is asked here
    /// ([`CancelRequest::server_answer`](super::CancelRequest::server_answer) is `None`): the
    /// handles that reach one record through this first.
    pub fn cancel(&self) -> super::CancelRequest {
        super::CancelRequest::recorded(self.shared().cancel())
    }

    /// Blocks until the operation's end is known.
    ///
    /// Do not call it from the observer: the end waits for the observer. The end comes from
    /// the server's side, so make the [`Reporter`] (or hand the COM sink to GPMC) first:
    /// with no reporter ever made, nothing can decide it and this waits for ever (use
    /// [`wait_timeout`](Self::wait_timeout) where that can happen).
    pub fn wait(&self) -> Result<OperationOutcome<R>, super::TrackError> {
        loop {
            if let Some(end) = self.shared().wait_end(None) {
                return end;
            }
        }
    }

    /// Blocks until the end is known (`Some`) or `timeout` has passed (`None`).
    pub fn wait_timeout(&self, timeout: Duration) -> Option<End<R>> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.shared().wait_end(Some(deadline)),
            None => Some(self.wait()),
        }
    }

    /// The end, if already known; never blocks.
    pub fn try_outcome(&self) -> Option<End<R>> {
        self.shared().visible_end()
    }

    /// A future of the end (runtime-agnostic).
    pub fn outcome(&self) -> OutcomeFuture<R> {
        OutcomeFuture::new(self.client.clone())
    }

    /// A stream of every update, from the first (even those before the stream was made),
    /// ending with [`Update::End`].
    pub fn updates(&self) -> Updates<R> {
        Updates::new(self.client.clone())
    }

    /// Every update so far: what a new [`Updates`] stream would yield at once (progress
    /// that other updates do not separate is shown once, at its latest). Like a stream, it
    /// shows the end once the observer (if any) has returned from it.
    pub fn updates_so_far(&self) -> Vec<Update<R>> {
        self.shared().updates_so_far()
    }
}

impl<R> core::fmt::Debug for Tracker<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let st = self.shared().lock();
        let operation = st.machine.operation();
        let calls = st.machine.calls_received();
        let progress = st.progress();
        let ended = st.is_published();
        drop(st);
        f.debug_struct("Tracker")
            .field("operation", &operation)
            .field("calls_received", &calls)
            .field("progress", &progress)
            .field("ended", &ended)
            .finish()
    }
}

/// A handle of the client's (a tracker, a stream or a future): while one exists, somebody
/// may still learn of the operation ([`Reporter::is_closed`]).
pub(crate) struct Client<R>(pub(crate) Arc<Shared<R>>);

impl<R> Client<R> {
    pub(crate) fn new(shared: &Arc<Shared<R>>) -> Self {
        shared.lock().add_client();
        Client(Arc::clone(shared))
    }
}

impl<R> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client::new(&self.0)
    }
}

impl<R> Drop for Client<R> {
    fn drop(&mut self) {
        self.0.lock().remove_client();
    }
}
