//! [`OutcomeFuture`]: the end of a tracked operation, as a future.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::engine::End;
use super::sync::EventListener;
use super::tracker::Client;
use super::waker::Registration;
use crate::ResultDescription;

/// The end of the operation, as a future: resolves to the outcome, or to a
/// [`TrackError`](super::TrackError): the value every other consumer sees.
///
/// Runtime-agnostic: it listens for the end, then looks, so no wake-up is lost. Polled again
/// after it resolved, it resolves again to the same value.
#[must_use = "futures do nothing unless polled"]
pub struct OutcomeFuture<R = ResultDescription> {
    client: Client<R>,
    listener: Option<EventListener>,
    registration: Registration,
}

impl<R> OutcomeFuture<R> {
    pub(crate) fn new(client: Client<R>) -> Self {
        OutcomeFuture {
            registration: Registration::new(&client.0.inbox),
            client,
            listener: None,
        }
    }
}

impl<R: Clone> Future for OutcomeFuture<R> {
    type Output = End<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            if let Some(end) = this.client.0.visible_end() {
                this.listener = None;
                return Poll::Ready(end);
            }
            let Some(listener) = this.listener.as_mut() else {
                this.listener = Some(this.client.0.ended.listen());
                continue;
            };
            let waker = this.registration.guard(cx);
            let polled = Pin::new(&mut *listener).poll(&mut Context::from_waker(&waker));
            // A task waker that panicked while replaced is reported now.
            this.client.0.report_wakers();
            match polled {
                Poll::Ready(()) => this.listener = None,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<R> core::fmt::Debug for OutcomeFuture<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutcomeFuture").finish_non_exhaustive()
    }
}
