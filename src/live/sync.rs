//! The engine's synchronization primitives, in one place so that the model checker (`loom`,
//! under `--cfg loom`) can stand in for them.
//!
//! - [`Lock`]: the state's lock. A `std::sync::Mutex`, or with feature `com` a spin lock:
//!   under Wine a quiet `Status` through the COM sink cost 11.2 ns with a std mutex and 8 ns
//!   with the spin lock, whose release is a plain store (see `benches/com_sink.rs`). Chosen
//!   by feature, not by platform, so the native tests run both. No user code ever runs under
//!   it, so a waiter spins (then yields) only for work in memory.
//! - `Mutex` and `Condvar`: where blocking waiters sleep.
//! - [`WakerSlot`]: one task's waker (`atomic-waker`), registered outside every lock.

#[cfg(not(loom))]
pub(crate) use std::sync::{atomic::AtomicUsize, Arc, Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::{atomic::AtomicUsize, Arc, Condvar, Mutex, MutexGuard};

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

/// Locks a mutex, ignoring poisoning: no code of the engine panics while holding one, and a
/// poisoned lock still guards consistent state.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(all(feature = "com", not(loom)))]
mod imp {
    pub(crate) type Inner<T> = spin::mutex::SpinMutex<T, spin::relax::Yield>;
    pub(crate) type Guard<'a, T> = spin::mutex::SpinMutexGuard<'a, T, spin::relax::Yield>;

    pub(crate) fn new<T>(value: T) -> Inner<T> {
        Inner::new(value)
    }

    pub(crate) fn lock<T>(inner: &Inner<T>) -> Guard<'_, T> {
        inner.lock()
    }

    pub(crate) fn try_lock<T>(inner: &Inner<T>) -> Option<Guard<'_, T>> {
        inner.try_lock()
    }
}

#[cfg(not(all(feature = "com", not(loom))))]
mod imp {
    use super::{Mutex, MutexGuard};

    pub(crate) type Inner<T> = Mutex<T>;
    pub(crate) type Guard<'a, T> = MutexGuard<'a, T>;

    pub(crate) fn new<T>(value: T) -> Inner<T> {
        Mutex::new(value)
    }

    pub(crate) fn lock<T>(inner: &Inner<T>) -> Guard<'_, T> {
        super::lock(inner)
    }

    pub(crate) fn try_lock<T>(inner: &Inner<T>) -> Option<Guard<'_, T>> {
        match inner.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// The lock on the engine's state.
pub(crate) struct Lock<T>(imp::Inner<T>);

/// A held [`Lock`].
pub(crate) type Guard<'a, T> = imp::Guard<'a, T>;

impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Lock(imp::new(value))
    }

    pub(crate) fn lock(&self) -> Guard<'_, T> {
        imp::lock(&self.0)
    }

    /// The lock if nobody holds it, without waiting.
    #[inline(always)]
    pub(crate) fn try_lock(&self) -> Option<Guard<'_, T>> {
        imp::try_lock(&self.0)
    }
}

/// One future's or stream's waker. Registering clones the task's waker and drops the old
/// one on the polling thread; waking takes the waker out and wakes it on the waking thread.
/// Neither happens under the state's lock.
#[derive(Default)]
pub(crate) struct WakerSlot {
    #[cfg(not(loom))]
    waker: atomic_waker::AtomicWaker,
    #[cfg(loom)]
    waker: loom::future::AtomicWaker,
}

impl WakerSlot {
    /// Registers `waker` in place of the one before, which is dropped afterwards, its panic
    /// caught and returned. (Dropped inside `AtomicWaker::register`, a panicking drop would
    /// leave the slot locked for good: every later registration and wake-up lost.)
    pub(crate) fn register(&self, waker: &Waker) -> std::thread::Result<()> {
        let old = self.take();
        #[cfg(not(loom))]
        self.waker.register(waker);
        #[cfg(loom)]
        self.waker.register_by_ref(waker);
        catch_unwind(AssertUnwindSafe(move || drop(old)))
    }

    pub(crate) fn wake(&self) {
        self.waker.wake();
    }

    fn take(&self) -> Option<Waker> {
        #[cfg(not(loom))]
        return self.waker.take();
        #[cfg(loom)]
        return self.waker.take_waker();
    }
}
