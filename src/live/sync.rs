//! The engine's synchronization primitives, in one place so that the model checker (`loom`,
//! under `--cfg loom`) can stand in for them: std's `Mutex` (one lock kind on every
//! platform), `Arc`, threads, and [`Notice`], `event-listener`'s event, the one wake-up
//! mechanism of every waiting consumer (blocking waits, futures, streams and the delivery
//! thread).

#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

pub(crate) use event_listener::{EventListener, Listener};

use std::time::Instant;

/// An `event-listener` event, notified without a fence of its own.
///
/// Its notifier and its waiters meet under the state's lock: a waiter listens, then looks at
/// the state under the lock and, finding nothing, says so there
/// ([`Listening`](super::state::Listening)); a notifier changes the state under the lock,
/// takes note there of whether anyone said so, and notifies after releasing it, only then.
/// Either the waiter looked after the change (and sees it), or before, and then its
/// listening happened before the notification, which finds it.
#[derive(Debug, Default)]
pub(crate) struct Notice {
    event: event_listener::Event,
}

impl Notice {
    /// Starts listening (before looking at the state once more).
    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// Wakes every listener.
    pub(crate) fn notify(&self) {
        self.event.notify_relaxed(usize::MAX);
    }
}

/// Locks a mutex, ignoring poisoning: no code of the engine panics while holding one, and a
/// poisoned lock still guards consistent state.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Blocks on `listener` until it is notified (`true`) or `deadline` has passed (`false`).
///
/// Under loom, which models no time, a timed wait is an untimed one: a wake-up the engine
/// forgets shows as a deadlock.
pub(crate) fn wait(listener: EventListener, deadline: Option<Instant>) -> bool {
    #[cfg(not(loom))]
    match deadline {
        Some(deadline) => listener.wait_deadline(deadline).is_some(),
        None => {
            listener.wait();
            true
        }
    }
    #[cfg(loom)]
    {
        let _ = deadline;
        listener.wait();
        true
    }
}

/// A thread's identity, to tell the delivery thread from the others.
#[cfg(not(loom))]
pub(crate) type ThreadId = std::thread::ThreadId;
#[cfg(loom)]
pub(crate) type ThreadId = loom::thread::ThreadId;

pub(crate) fn current_thread() -> ThreadId {
    #[cfg(not(loom))]
    return std::thread::current().id();
    #[cfg(loom)]
    return loom::thread::current().id();
}

/// Starts `body` on a thread of its own, named after its work; `Err` when the platform
/// refused (the closure, and what it owns, was dropped).
pub(crate) fn spawn(body: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    #[cfg(not(loom))]
    return std::thread::Builder::new()
        .name("gpmc-progress delivery".to_owned())
        .spawn(body)
        .map(drop);
    #[cfg(loom)]
    {
        loom::thread::spawn(body);
        Ok(())
    }
}
