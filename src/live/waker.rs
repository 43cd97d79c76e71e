//! [`Waiting`]: a task waiting for one of the engine's events, and the guarded waker it
//! registers with `event-listener`, so that a
//! waker that panics (in its wake, or in its drop) never unwinds through `event-listener`,
//! whose bookkeeping a panic in the middle of a notification would leave wrong (later
//! notifications would be lost). The panic is kept in an [`Inbox`] and reported as a fault
//! once the notification is over.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::sync::{EventListener, Notice};

use super::unwind::catch;

/// Panic messages of wakers, waiting to be reported.
#[derive(Default)]
pub(crate) struct Inbox {
    any: AtomicBool,
    messages: Mutex<Vec<String>>,
}

impl Inbox {
    fn put(&self, message: String) {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message);
        self.any.store(true, Ordering::Release);
    }

    /// Whether a message is kept (a load).
    #[inline]
    pub(crate) fn has_any(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// The messages kept so far (cheap when there are none).
    pub(crate) fn take(&self) -> Vec<String> {
        // A plain load first: the common case, nothing kept, costs no read-modify-write.
        if !self.any.load(Ordering::Acquire) || !self.any.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(
            &mut *self
                .messages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Wraps a task's waker: its wake and drop run inside `catch_unwind`.
struct Guarded {
    waker: Option<Waker>,
    inbox: Arc<Inbox>,
}

impl Wake for Guarded {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(waker) = &self.waker {
            if let Err(message) = catch(|| waker.wake_by_ref()) {
                self.inbox.put(message);
            }
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let waker = self.waker.take();
        if let Err(message) = catch(move || drop(waker)) {
            self.inbox.put(message);
        }
    }
}

/// The guarded waker of the task polling now, remade only when the task's waker changes.
pub(crate) struct Registration {
    current: Option<(Waker, Waker)>,
    inbox: Arc<Inbox>,
}

impl Registration {
    pub(crate) fn new(inbox: &Arc<Inbox>) -> Self {
        Registration {
            current: None,
            inbox: Arc::clone(inbox),
        }
    }

    /// The guarded waker of `cx`'s task.
    pub(crate) fn guard(&mut self, cx: &Context<'_>) -> Waker {
        let inbox = &self.inbox;
        if let Some((task, guarded)) = &self.current {
            if task.will_wake(cx.waker()) {
                return guarded.clone();
            }
        }
        let task = cx.waker().clone();
        let guarded = Waker::from(Arc::new(Guarded {
            waker: Some(task.clone()),
            inbox: Arc::clone(inbox),
        }));
        // The task's previous waker is dropped here, a panic kept like the others.
        let previous = self.current.replace((task, guarded.clone()));
        if let Err(message) = catch(move || drop(previous)) {
            inbox.put(message);
        }
        guarded
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let current = self.current.take();
        if let Err(message) = catch(move || drop(current)) {
            self.inbox.put(message);
        }
    }
}

/// A task waiting for an event: it listens, looks at the state again, and only then waits,
/// so that no change made in between is missed.
pub(crate) struct Waiting {
    listener: Option<EventListener>,
    registration: Registration,
}

impl Waiting {
    pub(crate) fn new(inbox: &Arc<Inbox>) -> Self {
        Waiting {
            listener: None,
            registration: Registration::new(inbox),
        }
    }

    /// After the task found nothing: `Ready` when it must look again (it just started
    /// listening, or `event` was notified), `Pending` when it waits, to be woken by `event`.
    pub(crate) fn poll(&mut self, event: &Notice, cx: &Context<'_>) -> Poll<()> {
        let Some(listener) = self.listener.as_mut() else {
            self.listener = Some(event.listen());
            return Poll::Ready(());
        };
        let waker = self.registration.guard(cx);
        match Pin::new(listener).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(()) => {
                self.listener = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The task found what it waited for: it stops listening.
    pub(crate) fn done(&mut self) {
        self.listener = None;
    }
}
