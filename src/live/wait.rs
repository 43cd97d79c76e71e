//! Consuming a tracker asynchronously: [`OutcomeFuture`] and the [`Updates`] stream, and the
//! [`TrackError`] ends.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::engine::Interest;
use super::sync::{Arc, WakerSlot};
use super::tracker::Consumer;
use super::update::panic_message;
use super::{Fault, Update};
use crate::{HResult, OperationOutcome, TypedResult, Violation};

/// How an operation can end for a tracker's consumers without an outcome.
///
/// ```
/// use gpmc_progress::live::TrackError;
/// use gpmc_progress::HResult;
///
/// assert_eq!(
///     TrackError::StartFailed(HResult::E_ACCESSDENIED).to_string(),
///     "the asynchronous method failed with 0x80070005 (E_ACCESSDENIED)"
/// );
/// assert_eq!(
///     TrackError::Abandoned { calls_received: 2 }.to_string(),
///     "the server let go of the operation after 2 status calls without finishing"
/// );
/// assert_eq!(
///     TrackError::Abandoned { calls_received: 1 }.to_string(),
///     "the server let go of the operation after 1 status call without finishing"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// A `Status` call broke a rule that is a violation under the rules in force (the first
    /// one decides; later calls are still received and judged).
    #[error("the server broke the protocol: {0}")]
    Violation(Violation),
    /// The asynchronous GPMC method failed, so the operation never started.
    #[error("the asynchronous method failed with {0:#}")]
    StartFailed(HResult),
    /// The server let go (the last reporter, or the COM sink's last reference, was released)
    /// before a finishing `Status` call: no more calls can come.
    #[error(
        "the server let go of the operation after {calls_received} status call{} without finishing",
        if *calls_received == 1 { "" } else { "s" }
    )]
    Abandoned {
        /// How many `Status` calls had been received.
        calls_received: u64,
    },
}

/// The end of the operation, as a future: resolves to the outcome, or to a [`TrackError`].
///
/// Runtime-agnostic: polling registers the task's waker (outside the tracker's lock), then
/// looks at the state, so no wake-up is lost. Polled again after it resolved, it resolves
/// again to the same value.
#[must_use = "futures do nothing unless polled"]
pub struct OutcomeFuture<R = crate::ResultDescription> {
    consumer: Consumer<R>,
    slot: Arc<WakerSlot>,
}

impl<R> OutcomeFuture<R> {
    pub(crate) fn new(consumer: Consumer<R>) -> Self {
        OutcomeFuture {
            consumer,
            slot: Arc::new(WakerSlot::default()),
        }
    }
}

impl<R: TypedResult + Clone> Future for OutcomeFuture<R> {
    type Output = Result<OperationOutcome<R>, TrackError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        register(&self.consumer, &self.slot, cx.waker());
        let mut st = self.consumer.0.lock();
        match st.decision().cloned() {
            Some(decision) => {
                let disarmed = st.disarm(&self.slot, Interest::End);
                drop(st);
                drop(disarmed);
                Poll::Ready(decision)
            }
            None => {
                st.arm(&self.slot, Interest::End);
                Poll::Pending
            }
        }
    }
}

impl<R> Drop for OutcomeFuture<R> {
    fn drop(&mut self) {
        let disarmed = self.consumer.0.lock().disarm(&self.slot, Interest::End);
        drop(disarmed);
    }
}

impl<R> core::fmt::Debug for OutcomeFuture<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutcomeFuture").finish_non_exhaustive()
    }
}

/// Registers the polling task's waker in `slot`, outside the lock; a panic while dropping
/// the waker it replaces is reported as a fault.
fn register<R>(consumer: &Consumer<R>, slot: &WakerSlot, waker: &Waker) {
    if let Err(payload) = slot.register(waker) {
        consumer
            .0
            .fault(Fault::WakePanicked(panic_message(&*payload)));
    }
}

/// Every [`Update`] of a tracker, in order, as a [`Stream`] (from the first update, whenever
/// the stream was made). It ends once the operation's end is known and every update up to
/// then was yielded, and stays ended (updates after that, such as a `Status` call after the
/// finishing one, are in [`Tracker::updates_so_far`](super::Tracker::updates_so_far) and the
/// observer). Each stream has its own position; any number may exist.
///
/// Like the state machine's events, progress that no stream has read yet is merged: when two
/// progress updates follow each other with nothing between and the first was not yielded,
/// only the latest is kept. Everything else (messages, anomalies, issues, faults, the end)
/// is yielded exactly once per stream. The observer sees every call unmerged.
#[must_use = "streams do nothing unless polled"]
pub struct Updates<R = crate::ResultDescription> {
    consumer: Consumer<R>,
    slot: Arc<WakerSlot>,
    next: usize,
    ended: bool,
}

impl<R> Updates<R> {
    pub(crate) fn new(consumer: Consumer<R>) -> Self {
        Updates {
            consumer,
            slot: Arc::new(WakerSlot::default()),
            next: 0,
            ended: false,
        }
    }

    /// The next update if one is ready, without waiting: `Some(Some(update))`, `Some(None)`
    /// when the stream has ended, `None` when nothing is ready yet.
    pub fn try_next(&mut self) -> Option<Option<Update>> {
        if self.ended {
            return Some(None);
        }
        let mut st = self.consumer.0.lock();
        if let Some(update) = st.read_log(self.next) {
            self.next += 1;
            Some(Some(update))
        } else if st.decision().is_some() {
            drop(st);
            self.ended = true;
            Some(None)
        } else {
            None
        }
    }

    /// Blocks the thread until the next update (`Some(Some(update))`), the end of the stream
    /// (`Some(None)`) or `timeout` (`None`): the stream for a thread without an executor,
    /// such as a user interface's loop that also has other things to look at.
    ///
    /// ```
    /// use gpmc_progress::live::{Tracker, Update};
    /// use gpmc_progress::{Event, OperationKind};
    /// use std::time::Duration;
    ///
    /// let tracker = Tracker::new(OperationKind::GpoBackup);
    /// let mut updates = tracker.updates();
    /// assert_eq!(updates.next_timeout(Duration::ZERO), None);
    /// let server = tracker.reporter();
    /// std::thread::spawn(move || server.progress(1, 4));
    /// let next = updates.next_timeout(Duration::from_secs(60));
    /// assert!(matches!(next, Some(Some(Update::Event(Event::Progress(_))))));
    /// ```
    #[cfg(not(loom))]
    pub fn next_timeout(&mut self, timeout: std::time::Duration) -> Option<Option<Update>> {
        use std::time::Instant;
        let deadline = Instant::now().checked_add(timeout);
        let waker = std::task::Waker::from(std::sync::Arc::new(Unparker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(next) = Pin::new(&mut *self).poll_next(&mut cx) {
                return Some(next);
            }
            match deadline {
                None => std::thread::park(),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    std::thread::park_timeout(left);
                }
            }
        }
    }
}

/// Wakes a thread blocked in [`Updates::next_timeout`].
#[cfg(not(loom))]
struct Unparker(std::thread::Thread);

#[cfg(not(loom))]
impl std::task::Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

impl<R> Stream for Updates<R> {
    type Item = Update;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Update>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        register(&this.consumer, &this.slot, cx.waker());
        let mut st = this.consumer.0.lock();
        if let Some(update) = st.read_log(this.next) {
            this.next += 1;
            Poll::Ready(Some(update))
        } else if st.decision().is_some() {
            let disarmed = st.disarm(&this.slot, Interest::Updates);
            drop(st);
            drop(disarmed);
            this.ended = true;
            Poll::Ready(None)
        } else {
            st.arm(&this.slot, Interest::Updates);
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, if self.ended { Some(0) } else { None })
    }
}

impl<R> Drop for Updates<R> {
    fn drop(&mut self) {
        let disarmed = self.consumer.0.lock().disarm(&self.slot, Interest::Updates);
        drop(disarmed);
    }
}

impl<R> core::fmt::Debug for Updates<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Updates")
            .field("next", &self.next)
            .field("ended", &self.ended)
            .finish()
    }
}
