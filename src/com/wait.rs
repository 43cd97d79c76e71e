//! Consuming the sink asynchronously: [`OutcomeFuture`] and the [`Updates`] stream, and the
//! [`SinkError`] ends.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

use super::sink::Consumer;
use super::{ComResult, Update};
use crate::{HResult, OperationOutcome, Violation};

/// How an operation can end for the sink's consumers without an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// A `Status` call broke a rule that is a violation under the rules in force (the first
    /// one decides; the sink keeps receiving and judging later calls).
    #[error("the server broke the protocol: {0}")]
    Violation(Violation),
    /// The asynchronous GPMC method failed, so the operation never started.
    #[error("the asynchronous method failed with {0}")]
    StartFailed(HResult),
    /// Every reference to the sink's COM objects was released before a terminal `Status`
    /// call: no more calls can come.
    #[error("the server released the progress sink after {calls_received} status calls without finishing")]
    Abandoned {
        /// How many `Status` calls had been received.
        calls_received: u64,
    },
}

/// The end of the operation, as a future: resolves to the outcome, or to a [`SinkError`].
///
/// Runtime-agnostic: polling stores the waker under the sink's lock after checking the state,
/// and every change wakes it, so no wake-up is lost. Poll it again after it resolved and it
/// resolves again to the same value.
#[must_use = "futures do nothing unless polled"]
pub struct OutcomeFuture {
    consumer: Consumer,
    id: u64,
}

impl OutcomeFuture {
    pub(crate) fn new(consumer: Consumer) -> Self {
        let id = consumer.0.lock().new_waker_id();
        OutcomeFuture { consumer, id }
    }
}

impl Future for OutcomeFuture {
    type Output = Result<OperationOutcome<ComResult>, SinkError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.consumer.0.lock();
        match st.decision().cloned() {
            Some(decision) => {
                st.forget_waker(self.id);
                Poll::Ready(decision)
            }
            None => {
                st.register_waker(self.id, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl Drop for OutcomeFuture {
    fn drop(&mut self) {
        self.consumer.0.lock().forget_waker(self.id);
    }
}

impl core::fmt::Debug for OutcomeFuture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutcomeFuture")
            .field("id", &self.id)
            .finish()
    }
}

/// Every [`Update`] of the sink, in order, as a [`Stream`] (from the first update, whenever
/// the stream was made). It ends once the operation's end is decided and every update up to
/// then was yielded, and stays ended (updates after that, such as a `Status` call after the
/// terminal one, are in [`ProgressSink::updates_so_far`](super::ProgressSink::updates_so_far)
/// and the observer). Each stream has its own position; any number may exist.
///
/// Like the state machine's events, progress that no stream has read yet is merged: when two
/// progress updates follow each other with nothing between and the first was not yielded,
/// only the latest is kept. Everything else (messages, anomalies, issues, faults, the end)
/// is yielded exactly once per stream. The observer sees every call unmerged.
#[must_use = "streams do nothing unless polled"]
pub struct Updates {
    consumer: Consumer,
    id: u64,
    next: usize,
    ended: bool,
}

impl Updates {
    pub(crate) fn new(consumer: Consumer) -> Self {
        let id = consumer.0.lock().new_waker_id();
        Updates {
            consumer,
            id,
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
}

impl Stream for Updates {
    type Item = Update;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Update>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let mut st = this.consumer.0.lock();
        if let Some(update) = st.read_log(this.next) {
            this.next += 1;
            Poll::Ready(Some(update))
        } else if st.decision().is_some() {
            st.forget_waker(this.id);
            drop(st);
            this.ended = true;
            Poll::Ready(None)
        } else {
            st.register_waker(this.id, cx.waker());
            Poll::Pending
        }
    }
}

impl Drop for Updates {
    fn drop(&mut self) {
        self.consumer.0.lock().forget_waker(self.id);
    }
}

impl core::fmt::Debug for Updates {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Updates").field("next", &self.next).finish()
    }
}
