//! [`OutcomeFuture`]: the end of a tracked operation, as a future.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::engine::End;
use super::tracker::Client;
use super::waker::Waiting;
use crate::ResultDescription;

/// The end of the operation, as a future: resolves to the outcome, or to a
/// [`TrackError`](super::TrackError): the value every other consumer sees.
///
/// Runtime-agnostic: it listens for the end, then looks, so no wake-up is lost. Polled again
/// after it resolved, it resolves again to the same value.
#[must_use = "futures do nothing unless polled"]
pub struct OutcomeFuture<R = ResultDescription> {
    client: Client<R>,
    waiting: Waiting,
}

impl<R> OutcomeFuture<R> {
    pub(crate) fn new(client: Client<R>) -> Self {
        OutcomeFuture {
            waiting: Waiting::new(&client.0.inbox),
            client,
        }
    }
}

impl<R: Clone> Future for OutcomeFuture<R> {
    type Output = End<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let shared = &this.client.0;
        loop {
            if let Some(end) = shared.visible_end() {
                this.waiting.done();
                return Poll::Ready(end);
            }
            let polled = this.waiting.poll(&shared.ended, cx);
            // A task waker that panicked while replaced is reported now.
            shared.report_wakers();
            if polled.is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<R> core::fmt::Debug for OutcomeFuture<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutcomeFuture").finish_non_exhaustive()
    }
}
