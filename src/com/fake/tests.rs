//! Unit tests of the fake that need a hook inside it: a thread that cannot start, and a
//! panic of the fake's own while it makes a `Status` call.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Faults a test plants in one fake.
#[derive(Debug, Default)]
pub(super) struct Hooks {
    /// The next operation's thread cannot be started.
    fail_spawn: AtomicBool,
    /// The `Status` call with this 1-based number (0: none) panics before it is made.
    panic_at: AtomicUsize,
    played: AtomicUsize,
}

impl Hooks {
    /// Called before the operation's thread is spawned: whether to fail as if it could not be.
    pub(super) fn fail_spawn(&self) -> bool {
        self.fail_spawn.swap(false, Ordering::SeqCst)
    }

    /// Called by every `Status` call the fake makes: panics at the planted one.
    pub(super) fn before_call(&self) {
        let number = self.played.fetch_add(1, Ordering::SeqCst) + 1;
        if number == self.panic_at.load(Ordering::SeqCst) {
            panic!("the fake broke");
        }
    }
}

impl Hooks {
    /// The next operation's thread will not start.
    fn fail_next_spawn(&self) {
        self.fail_spawn.store(true, Ordering::SeqCst);
    }

    /// The `Status` call with this 1-based number panics before it is made.
    fn panic_at_call(&self, number: usize) {
        self.panic_at.store(number, Ordering::SeqCst);
    }
}

use windows::Win32::Foundation::E_OUTOFMEMORY;
use windows::Win32::System::Com::{CoInitializeEx, CoUninitialize, COINIT_MULTITHREADED};
use windows::Win32::System::Variant::VARIANT;

use super::FakeGpmc;
use crate::com::ProgressSink;
use crate::simulate::Simulation;
use crate::{OperationKind, OutcomeKind};

/// COM initialised on this thread (multithreaded), until dropped.
struct Mta;

impl Mta {
    fn enter() -> Self {
        // SAFETY: balanced by CoUninitialize in drop, on the same thread.
        unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) }
            .ok()
            .expect("CoInitializeEx");
        Mta
    }
}

impl Drop for Mta {
    fn drop(&mut self) {
        // SAFETY: balances `enter`'s CoInitializeEx on this thread.
        unsafe { CoUninitialize() };
    }
}

/// A method whose thread cannot start fails with `E_OUTOFMEMORY` and hands out nothing:
/// `pvarGPMCancel` stays empty (no cancel object is made, so none leaks).
#[test]
fn a_thread_that_cannot_start_leaves_the_cancel_slot_empty() {
    let _mta = Mta::enter();
    let gpmc = FakeGpmc::new();
    gpmc.inner.hooks.fail_next_spawn();
    let sink = ProgressSink::new(OperationKind::GpoBackup);
    let progress = sink.to_variant();
    let mut cancel = VARIANT::default();
    // SAFETY: both VARIANTs outlive the call.
    let returned = unsafe {
        gpmc.gpo()
            .Backup(&r"C:\Backups".into(), &"".into(), &progress, &mut cancel)
    };
    let error = sink.started(returned).map(|_| ()).unwrap_err();
    assert_eq!(error.code(), E_OUTOFMEMORY);
    assert!(cancel.is_empty(), "no cancel object was handed out");
    drop(progress);
    assert!(gpmc.join().is_empty());
    assert_eq!(gpmc.objects_alive(), 0);
    assert!(!sink.tracker().is_attached());
}

/// A panic of the fake's own while it makes a call (none is known) loses that call and no
/// more: the run goes on to its end, and both of an overlapping run's threads have let go of
/// the sink by the time `join` returns.
#[test]
fn a_panic_in_the_fake_loses_one_call_and_leaves_no_thread_behind() {
    let _mta = Mta::enter();
    for at in 1..=9 {
        let gpmc = FakeGpmc::new().simulation(
            Simulation::new(OperationKind::GpoReport)
                .extensions(4)
                .overlapping(true),
        );
        gpmc.inner.hooks.panic_at_call(at);
        let sink = ProgressSink::new(OperationKind::GpoReport);
        let progress = sink.to_variant();
        let mut cancel = VARIANT::default();
        // SAFETY: both VARIANTs outlive the call.
        let returned = unsafe {
            gpmc.gpo().GenerateReport(
                windows::Win32::System::GroupPolicy::repXML,
                &progress,
                &mut cancel,
            )
        };
        sink.started(returned).expect("started");
        drop((progress, cancel));
        gpmc.join();
        assert!(
            !sink.tracker().is_attached(),
            "call {at}: both server threads let go before join returned"
        );
        let end = sink.tracker().try_outcome().expect("decided");
        if at < 9 {
            assert_eq!(
                end.map(|o| o.kind()),
                Ok(OutcomeKind::Succeeded),
                "call {at}"
            );
        } else {
            // The finishing call was the one lost: the server let go without it.
            assert_eq!(
                end,
                Err(crate::live::TrackError::Abandoned { calls_received: 8 })
            );
        }
        assert_eq!(gpmc.objects_alive(), 0, "call {at}");
    }
}
