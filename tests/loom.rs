//! The live engine's wake-up protocol under the `loom` model checker, which runs each model
//! in every interleaving of its threads (up to a bound on preemptions) with the engine's
//! locks, condition variable, atomics and task wakers replaced by loom's
//! (`src/live/sync.rs`). A lost wake-up shows as a deadlock: loom's timed wait never times
//! out, and its `block_on` sleeps until woken.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --features live --test loom
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` (default here: 4, some 10^5 interleavings in all, seconds in a
//! release build; 5 takes about ten times longer) bounds the search.
#![cfg(loom)]
#![cfg(feature = "live")]

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_core::Stream;
use gpmc_progress::live::{TrackError, Tracker, Update};
use gpmc_progress::{Event, HResult, OperationKind, OutcomeKind, ResultDescription, StatusCall};
use loom::future::block_on;
use loom::thread;

fn model(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&runs);
    builder.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        body();
    });
    eprintln!("{} interleavings checked", runs.load(Ordering::Relaxed));
}

fn finished(kind: OutcomeKind) -> Update {
    Update::Event(Event::Finished(kind))
}

/// A server finishes while one client thread sleeps in `wait_timeout` and another polls
/// the update stream: both wake, and see the one decision.
#[test]
fn a_server_finishing_while_a_waiter_sleeps_and_a_stream_polls() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let waiter = {
            let tracker = tracker.clone();
            thread::spawn(move || tracker.wait_timeout(Duration::from_secs(3600)))
        };
        let reader = {
            let mut stream = tracker.updates();
            thread::spawn(move || {
                let mut seen = Vec::new();
                while let Some(update) = block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)))
                {
                    seen.push(update);
                }
                seen
            })
        };
        server.progress(0, 1);
        server.status(StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>")));
        let decided = waiter.join().unwrap().expect("woken for the end");
        let seen = reader.join().unwrap();
        assert_eq!(
            decided.as_ref().map(|o| o.kind()),
            Ok(OutcomeKind::Succeeded)
        );
        assert_eq!(tracker.try_outcome(), Some(decided));
        assert_eq!(seen.last(), Some(&finished(OutcomeKind::Succeeded)));
        drop(server);
    });
}

/// The server lets go (its last reporter dropped) while a future and a timed waiter wait.
#[test]
fn the_last_reporter_dropped_while_a_future_and_a_waiter_wait() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let future = {
            let future = tracker.outcome();
            thread::spawn(move || block_on(future))
        };
        let waiter = {
            let tracker = tracker.clone();
            thread::spawn(move || tracker.wait_timeout(Duration::from_secs(3600)))
        };
        server.progress(0, 2);
        drop(server);
        let abandoned = Err(TrackError::Abandoned { calls_received: 1 });
        assert_eq!(future.join().unwrap(), abandoned);
        assert_eq!(waiter.join().unwrap(), Some(abandoned));
    });
}

/// Two servers race to end the operation (a success and a failure) while a client waits:
/// one decision, the first finishing call judged, seen the same by every consumer.
#[test]
fn two_terminal_calls_racing_make_one_decision() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let first = tracker.reporter();
        let second = tracker.reporter();
        let waiter = {
            let tracker = tracker.clone();
            thread::spawn(move || tracker.wait())
        };
        let racer = thread::spawn(move || {
            second.progress_with_hr(1, 1, HResult::E_FAIL);
        });
        first.status(StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>")));
        racer.join().unwrap();
        let decided = waiter.join().unwrap();
        let outcome = decided.clone().expect("an outcome");
        assert_eq!(tracker.snapshot().outcome(), Some(&outcome));
        assert_eq!(tracker.try_outcome(), Some(decided.clone()));
        assert_eq!(block_on(tracker.outcome()), decided);
        assert_eq!(tracker.violations().len(), 1, "the later finishing call");
        drop(first);
    });
}

/// The observer asks to cancel from inside its callback while the client asks too, on its
/// own thread: the observer is never re-entered, hears of the request once, and the
/// server's failure is judged cancelled by every consumer.
#[test]
fn an_observer_cancelling_from_inside_its_callback() {
    model(|| {
        let depth = std::sync::Arc::new(AtomicUsize::new(0));
        let requests = std::sync::Arc::new(AtomicUsize::new(0));
        let slot: std::sync::Arc<std::sync::Mutex<Option<Tracker>>> = Default::default();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .observer({
                let depth = std::sync::Arc::clone(&depth);
                let requests = std::sync::Arc::clone(&requests);
                let slot = std::sync::Arc::clone(&slot);
                move |notification| {
                    assert_eq!(depth.fetch_add(1, Ordering::SeqCst), 0, "re-entered");
                    for update in notification.updates() {
                        match update {
                            Update::Event(Event::Progress(p)) if p.numerator() == 0 => {
                                let tracker = slot.lock().unwrap().clone();
                                if let Some(tracker) = tracker {
                                    tracker.cancel();
                                }
                            }
                            Update::Event(Event::CancelRequested) => {
                                requests.fetch_add(1, Ordering::SeqCst);
                            }
                            _ => {}
                        }
                    }
                    depth.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .build();
        *slot.lock().unwrap() = Some(tracker.clone());
        let server = tracker.reporter();
        let client = {
            let tracker = tracker.clone();
            thread::spawn(move || {
                tracker.cancel();
                tracker.wait()
            })
        };
        server.progress(0, 2);
        server.progress_with_hr(1, 2, HResult::ERROR_CANCELLED);
        drop(server);
        let decided = client.join().unwrap();
        assert_eq!(
            decided.as_ref().map(|o| o.kind()),
            Ok(OutcomeKind::Cancelled)
        );
        assert_eq!(tracker.try_outcome(), Some(decided));
        assert_eq!(requests.load(Ordering::SeqCst), 1);
        slot.lock().unwrap().take();
    });
}

/// Quiet progress (the fast path, which wakes nobody) racing a stream that starts to wait:
/// the stream either finds the progress when it looks, or is armed before the call, which
/// then takes the full path and wakes it. The server sends nothing more until the stream
/// saw the progress, so a lost wake-up is a deadlock.
#[test]
fn quiet_progress_racing_a_stream_that_starts_waiting() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        server.progress(0, 2);
        let reader = {
            let mut stream = tracker.updates();
            thread::spawn(move || loop {
                let update = block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)));
                match update {
                    Some(Update::Event(Event::Progress(p))) if p.numerator() == 1 => break,
                    Some(_) => {}
                    None => panic!("ended before the progress"),
                }
            })
        };
        server.progress(1, 2);
        reader.join().unwrap();
        assert_eq!(tracker.snapshot().calls_received(), 2);
        drop(server);
    });
}
