//! [`Updates`]: a tracker's updates as a stream, and as a queue a plain thread reads.

use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::state::{Cursor, Read};
use super::sync;
use super::tracker::Client;
use super::waker::Waiting;
use super::Update;
use crate::ResultDescription;

/// Why [`Updates::try_next`] or [`Updates::next_timeout`] gave no update.
///
/// ```
/// use gpmc_progress::live::NoUpdate;
///
/// assert_eq!(NoUpdate::NotYet.to_string(), "no update came yet");
/// assert_eq!(NoUpdate::Ended.to_string(), "the stream ended with the operation");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NoUpdate {
    /// None came yet (in time, for [`next_timeout`](Updates::next_timeout)); more will.
    #[error("no update came yet")]
    NotYet,
    /// The stream yielded the end: nothing more will come.
    #[error("the stream ended with the operation")]
    Ended,
}

/// Every [`Update`] of a tracker, in order, from the first whenever the stream was made,
/// ending with [`Update::End`]: as a [`Stream`] for any executor, or read by a plain thread
/// with [`try_next`](Self::try_next) and [`next_timeout`](Self::next_timeout).
///
/// After the end it stays ended: what the server does later is not in it
/// ([`Tracker::after_end`](super::Tracker::after_end)). Each stream has its own position;
/// any number may exist. Progress is a latest value: a stream read more slowly than the
/// server calls skips the progress it was not read in time for, but it is always handed the
/// progress that came just before each other update, and before the end.
#[must_use = "streams do nothing unless polled"]
pub struct Updates<R = ResultDescription> {
    client: Client<R>,
    cursor: Cursor,
    waiting: Waiting,
    ended: bool,
}

impl<R> Updates<R> {
    pub(crate) fn new(client: Client<R>) -> Self {
        Updates {
            waiting: Waiting::new(&client.0.inbox),
            client,
            cursor: Cursor::default(),
            ended: false,
        }
    }
}

impl<R: Clone> Updates<R> {
    /// The next update without waiting: `Err(NoUpdate::NotYet)` when none is ready,
    /// `Err(NoUpdate::Ended)` once the end was yielded.
    pub fn try_next(&mut self) -> Result<Update<R>, NoUpdate> {
        if self.ended {
            return Err(NoUpdate::Ended);
        }
        let read = {
            let mut st = self.client.0.lock();
            let read = st.read(&mut self.cursor, false);
            if matches!(read, Read::Nothing) {
                st.listen_for_change();
            }
            read
        };
        match read {
            Read::Ended => {
                self.ended = true;
                Err(NoUpdate::Ended)
            }
            Read::Nothing | Read::Late(_) => Err(NoUpdate::NotYet),
            read => read.into_update().ok_or(NoUpdate::NotYet),
        }
    }

    /// Blocks the thread until the next update, the end of the stream
    /// (`Err(NoUpdate::Ended)`) or `timeout` (`Err(NoUpdate::NotYet)`): the stream for a
    /// thread without an executor, such as a user interface's loop that also has other
    /// things to look at. `Duration::MAX` waits for as long as it takes.
    ///
    /// ```
    /// use gpmc_progress::live::{NoUpdate, Tracker, Update};
    /// use gpmc_progress::{Event, OperationKind};
    /// use std::time::Duration;
    ///
    /// let tracker = Tracker::new(OperationKind::GpoBackup);
    /// let mut updates = tracker.updates();
    /// assert_eq!(updates.next_timeout(Duration::ZERO), Err(NoUpdate::NotYet));
    /// let server = tracker.reporter();
    /// std::thread::spawn(move || server.progress(1, 4)); // then lets go
    /// let next = updates.next_timeout(Duration::from_secs(60));
    /// assert!(matches!(next, Ok(Update::Event(Event::Progress(_)))));
    /// assert!(matches!(updates.next_timeout(Duration::MAX), Ok(Update::End(Err(_)))));
    /// assert_eq!(updates.next_timeout(Duration::MAX), Err(NoUpdate::Ended));
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Update<R>, NoUpdate> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            match self.try_next() {
                Err(NoUpdate::NotYet) => {}
                next => return next,
            }
            let listener = self.client.0.changed.listen();
            match self.try_next() {
                Err(NoUpdate::NotYet) => {}
                next => return next,
            }
            if !sync::wait(listener, deadline) {
                return self.try_next();
            }
        }
    }
}

impl<R: Clone> Stream for Updates<R> {
    type Item = Update<R>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Update<R>>> {
        let this = &mut *self;
        loop {
            match this.try_next() {
                Ok(update) => {
                    this.waiting.done();
                    return Poll::Ready(Some(update));
                }
                Err(NoUpdate::Ended) => {
                    this.waiting.done();
                    return Poll::Ready(None);
                }
                Err(NoUpdate::NotYet) => {}
            }
            let polled = this.waiting.poll(&this.client.0.changed, cx);
            // A task waker that panicked while replaced is reported now.
            this.client.0.report_wakers();
            if polled.is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, if self.ended { Some(0) } else { None })
    }
}

impl<R> core::fmt::Debug for Updates<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Updates")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
