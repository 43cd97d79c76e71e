//! The live engine's wake-up protocol under the `loom` model checker, which runs each model
//! in every interleaving of its threads (up to a bound on preemptions) with the engine's
//! lock, atomics, threads and `event-listener`'s events replaced by loom's
//! (`src/live/sync.rs`). A lost wake-up shows as a deadlock: loom's blocking waits never time
//! out (a timed wait is an untimed one), and its `block_on` sleeps until woken.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --features live --test loom
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` (default here: 3) bounds the search.
#![cfg(loom)]
#![cfg(feature = "live")]

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_core::Stream;
use gpmc_progress::live::{Fault, NoUpdate, Notification, TrackError, Tracker, Update, Updates};
use gpmc_progress::{
    Event, HResult, OperationKind, OutcomeKind, ResultDescription, StatusCall, StatusMessage,
};
use loom::future::block_on;
use loom::thread;

fn model(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&runs);
    builder.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        body();
    });
    eprintln!("{} interleavings checked", runs.load(Ordering::Relaxed));
}

fn finishing() -> StatusCall {
    StatusCall::progress(1, 1).with_result(ResultDescription::text("<r/>"))
}

fn with_message(numerator: i32, denominator: i32, text: &str) -> StatusCall {
    StatusCall::progress(numerator, denominator).with_messages(vec![StatusMessage::new(text)])
}

/// Reads a stream until it ends, through `poll_next`.
fn read_all(mut stream: Updates) -> Vec<Update> {
    let mut seen = Vec::new();
    while let Some(update) = block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx))) {
        seen.push(update);
    }
    seen
}

/// Two reporters race, each with a call that carries a message, then let go: the
/// observer (on the delivery thread) is handed every update exactly once, in the order of
/// the log, ending with the end; `wait` returns only once it has been.
#[test]
fn the_observer_gets_every_notification_once_in_order_with_two_reporters_racing() {
    model(|| {
        let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .observer({
                let told = std::sync::Arc::clone(&told);
                move |notification| {
                    if let Notification::Update(update) = notification {
                        told.lock().unwrap().push(update.clone());
                    }
                }
            })
            .build();
        let first = tracker.reporter();
        let second = tracker.reporter();
        let racer = thread::spawn(move || second.status(with_message(1, 2, "b")));
        first.status(with_message(1, 2, "a"));
        drop(first);
        racer.join().unwrap();
        let end = tracker.wait();
        assert_eq!(end, Err(TrackError::Abandoned { calls_received: 2 }));
        let told = told.lock().unwrap().clone();
        assert_eq!(told, tracker.updates_so_far(), "once each, in order");
        assert_eq!(told.len(), 5, "{told:?}");
        assert_eq!(told.last(), Some(&Update::End(end)));
    });
}

/// A stream polled on its own thread while the server finishes and then calls once more:
/// the end is the stream's last update, once, and the late call never reaches it.
#[test]
fn the_end_stays_last_in_a_stream_polled_while_a_late_call_arrives() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let reader = {
            let stream = tracker.updates();
            thread::spawn(move || read_all(stream))
        };
        server.status(finishing());
        server.status(with_message(1, 1, "late"));
        drop(server);
        let seen = reader.join().unwrap();
        let end = tracker.wait();
        assert!(end.is_ok());
        assert_eq!(seen.last(), Some(&Update::End(end)), "{seen:?}");
        assert_eq!(seen.iter().filter(|u| u.is_end()).count(), 1);
        assert_eq!(tracker.after_end().status_calls, 1);
    });
}

/// A thread blocked in `next_timeout` while the server reports and ends: it is woken for
/// each update and for the end (a timed wait never times out under loom, so a lost wake-up
/// is a deadlock).
#[test]
fn next_timeout_racing_the_end() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let reader = {
            let mut stream = tracker.updates();
            thread::spawn(move || {
                let mut seen = Vec::new();
                loop {
                    match stream.next_timeout(Duration::from_secs(3600)) {
                        Ok(update) => seen.push(update),
                        Err(NoUpdate::Ended) => return seen,
                        Err(_) => panic!("timed out under loom"),
                    }
                }
            })
        };
        server.progress(0, 1);
        server.status(finishing());
        drop(server);
        let seen = reader.join().unwrap();
        assert!(matches!(seen.last(), Some(Update::End(Ok(_)))), "{seen:?}");
    });
}

/// A waker that panics when woken, beside a stream read on another thread: the panic is
/// caught and reported as a fault, and the fault wakes the other stream even after it
/// re-armed (it read the progress and waits again). The server sends nothing more until
/// the reader saw the fault, so a lost wake-up is a deadlock.
#[test]
fn a_fault_wakes_a_stream_that_re_armed() {
    struct PanicOnWake;
    impl Wake for PanicOnWake {
        fn wake(self: std::sync::Arc<Self>) {
            // A panic without the panic hook's message, printed in every interleaving.
            std::panic::resume_unwind(Box::new("waker bug"));
        }
    }
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let mut bad = tracker.updates();
        let waker = Waker::from(std::sync::Arc::new(PanicOnWake));
        assert!(Pin::new(&mut bad)
            .poll_next(&mut Context::from_waker(&waker))
            .is_pending());
        let reader = {
            let mut stream = tracker.updates();
            thread::spawn(move || loop {
                match block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx))) {
                    Some(Update::Fault(Fault::WakePanicked(_))) => return,
                    Some(_) => {}
                    None => panic!("ended before the fault"),
                }
            })
        };
        server.progress(0, 2);
        reader.join().unwrap();
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("r")));
        drop(server);
        assert!(matches!(
            Pin::new(&mut bad).poll_next(&mut Context::from_waker(&Waker::noop())),
            Poll::Ready(Some(_))
        ));
        assert_eq!(
            tracker.wait().map(|outcome| outcome.kind()),
            Ok(OutcomeKind::Succeeded)
        );
    });
}

/// Two servers race to end the operation (a success and a failure) while a client waits
/// and a future is polled: one end, seen the same by every consumer; the other call is
/// late.
#[test]
fn two_finishing_calls_racing_make_one_end() {
    model(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let first = tracker.reporter();
        let second = tracker.reporter();
        let waiter = {
            let tracker = tracker.clone();
            thread::spawn(move || tracker.wait())
        };
        let racer = thread::spawn(move || {
            second.status(StatusCall::progress(1, 1).with_hr(HResult::E_FAIL));
        });
        first.status(finishing());
        racer.join().unwrap();
        let end = waiter.join().unwrap();
        assert_eq!(tracker.try_outcome(), Some(end.clone()));
        assert_eq!(block_on(tracker.outcome()), end);
        assert_eq!(tracker.updates_so_far().last(), Some(&Update::End(end)));
        assert_eq!(
            tracker.after_end().status_calls,
            1,
            "the later finishing call"
        );
        drop(first);
    });
}

/// The server lets go while a future and a timed waiter wait: both see the abandonment.
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

/// The observer asks to cancel from inside its callback while the client asks on its own
/// thread, both racing the server's failure: the observer is never re-entered, is told of
/// the request at most once, and every consumer judges the failure the same way (cancelled
/// when a request came before it).
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
                    match notification {
                        Notification::Update(Update::Event(Event::Progress(p)))
                            if p.numerator() == 0 =>
                        {
                            let tracker = slot.lock().unwrap().take();
                            if let Some(tracker) = tracker {
                                tracker.cancel();
                            }
                        }
                        Notification::Update(Update::Event(Event::CancelRequested)) => {
                            requests.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {}
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
        server.status(StatusCall::progress(1, 2).with_hr(HResult::ERROR_CANCELLED));
        drop(server);
        let end = client.join().unwrap();
        let kind = end.as_ref().map(|o| o.kind()).expect("an outcome");
        assert_eq!(tracker.try_outcome(), Some(end.clone()));
        let requested = tracker
            .updates_so_far()
            .contains(&Update::Event(Event::CancelRequested));
        assert_eq!(kind == OutcomeKind::Cancelled, requested);
        assert_ne!(kind, OutcomeKind::Succeeded);
        assert_eq!(requests.load(Ordering::SeqCst), usize::from(requested));
        slot.lock().unwrap().take();
    });
}
