//! The live engine (`gpmc_progress::live`) natively: ordering of the update log, blocking
//! waits, the future, the stream, observers, dropped consumers, the trace recorder, threads
//! reporting at once, and one test for each defect found in the review of the COM-only
//! engine it replaced. Timeouts here only guard against a deadlock or a lost wake-up; no
//! test asserts how long anything takes.
#![cfg(feature = "live")]

mod trace_buffer;
use trace_buffer::SharedBuffer;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use futures_core::Stream;
use gpmc_progress::live::{
    Fault, Location, ReadIssue, ReadProblem, TrackError, Tracker, TrackerBuilder, Update,
};
use gpmc_progress::{
    Anomaly, Breach, Event, HResult, OperationKind, OperationOutcome, OutcomeKind,
    ProgressFraction, ResultDescription, Rules, StatusCall, StatusMessage,
};

/// How long a test waits for something that must happen before calling it a deadlock.
const GUARD: Duration = Duration::from_secs(60);

/// Fewer iterations under Miri, which interprets every instruction.
const fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

fn progress(numerator: i32, denominator: i32) -> Update {
    Update::Event(Event::Progress(
        ProgressFraction::new(numerator, denominator).unwrap(),
    ))
}

fn finished(kind: OutcomeKind) -> Update {
    Update::Event(Event::Finished(kind))
}

fn message(text: &str) -> Update {
    Update::Event(Event::Message(StatusMessage::new(text)))
}

fn anomaly(call: u64, breach: Breach) -> Update {
    Update::Event(Event::Anomaly(Anomaly { call, breach }))
}

fn cancel_requested() -> Update {
    Update::Event(Event::CancelRequested)
}

fn report(text: &str) -> StatusCall {
    StatusCall::progress(1, 1).with_result(ResultDescription::text(text))
}

fn with_messages(numerator: i32, denominator: i32, texts: &[&str]) -> StatusCall {
    StatusCall::progress(numerator, denominator)
        .with_messages(texts.iter().map(|text| StatusMessage::new(*text)).collect())
}

fn outcome_of(tracker: &Tracker) -> OperationOutcome {
    tracker
        .wait_timeout(GUARD)
        .expect("decided (deadlock guard)")
        .expect("an outcome")
}

/// One notification: the call index (`None` for a cancel request or a fault) and its updates.
type Notified = (Option<u64>, Vec<Update>);

/// Every notification the observer was given, unmerged.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Notified>>>);

impl Seen {
    fn notifications(&self) -> Vec<Notified> {
        self.0.lock().unwrap().clone()
    }

    fn all(&self) -> Vec<Update> {
        self.notifications()
            .into_iter()
            .flat_map(|(_, updates)| updates)
            .collect()
    }
}

fn watched(builder: TrackerBuilder) -> (Tracker, Seen) {
    let seen = Seen::default();
    let collect = seen.clone();
    let tracker = builder
        .observer(move |notification| {
            collect
                .0
                .lock()
                .unwrap()
                .push((notification.call(), notification.updates().to_vec()))
        })
        .build();
    (tracker, seen)
}

/// Unparks its thread and remembers that it was woken.
struct Flag {
    woken: AtomicBool,
    thread: thread::Thread,
}

impl Flag {
    fn new() -> Arc<Self> {
        Arc::new(Flag {
            woken: AtomicBool::new(false),
            thread: thread::current(),
        })
    }
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Polls `future` on this thread; between polls it sleeps until woken. A wake-up that never
/// comes (a lost one) fails the test after [`GUARD`] instead of being papered over by
/// polling again.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    loop {
        let flag = Flag::new();
        let waker = Waker::from(Arc::clone(&flag));
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        let deadline = Instant::now() + GUARD;
        while !flag.woken.load(Ordering::SeqCst) {
            let now = Instant::now();
            assert!(now < deadline, "lost wake-up: the task was never woken");
            thread::park_timeout(deadline - now);
        }
    }
}

fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut *stream).poll_next(cx)
    }))
}

fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

fn poll_next_once<S: Stream + Unpin>(stream: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(waker))
}

/// Counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Counter {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A waker whose wake panics.
struct PanicOnWake;

impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        panic!("waker bug");
    }
}

/// A waker whose drop (of its last clone) panics.
struct PanicOnDrop;

impl Wake for PanicOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("waker drop bug");
    }
}

/// Panics when dropped (owned by an observer).
struct DropBomb(&'static str);

impl Drop for DropBomb {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Runs `work` on a new thread and waits for it at most [`GUARD`]: a deadlock fails the test
/// instead of hanging it.
fn within_guard<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(work());
    });
    let value = finished
        .recv_timeout(GUARD)
        .expect("deadlock: the work did not finish");
    worker.join().unwrap();
    value
}

// ---------------------------------------------------------------------------------------
// Ordering of the update log
// ---------------------------------------------------------------------------------------

/// With no observer, recorder or waiting task, a plain progress call leaves its progress in
/// the state machine (the fast path). It still reaches the log in its place: before a later
/// anomaly, issue, message or end, merged like any unread progress, and the log is the same
/// as that of a tracker whose observer makes every call take the full path.
#[test]
fn quiet_progress_keeps_its_place_in_the_log() {
    let issue = ReadIssue::new(
        Location::Message(0),
        "Message",
        ReadProblem::InvalidUtf16 {
            units: vec![0x006D, 0xDC00],
        },
    );
    let serve = |tracker: &Tracker| {
        let server = tracker.reporter();
        server.progress(0, 4);
        server.progress(1, 4);
        server.progress(2, 4);
        // Back to 1/4: an anomaly under `documented`.
        server.progress(1, 4);
        server.progress(2, 4);
        server.status_with_issues(with_messages(3, 4, &["m\u{FFFD}"]), vec![issue.clone()]);
        server.progress(3, 4);
        server.status(StatusCall::progress(4, 4).with_result(ResultDescription::text("<r/>")));
    };
    let quiet = Tracker::new(OperationKind::GpoReport);
    serve(&quiet);
    let (observed, seen) = watched(Tracker::builder(OperationKind::GpoReport));
    serve(&observed);
    let expected = vec![
        progress(1, 4),
        anomaly(
            4,
            Breach::NumeratorDecreased {
                previous: 2,
                numerator: 1,
            },
        ),
        progress(2, 4),
        Update::Issue { call: 6, issue },
        progress(3, 4),
        message("m\u{FFFD}"),
        progress(4, 4),
        finished(OutcomeKind::Succeeded),
    ];
    assert_eq!(quiet.updates_so_far(), expected);
    assert_eq!(observed.updates_so_far(), expected);
    assert_eq!(
        seen.all().len(),
        8 + 4,
        "the observer saw every call unmerged"
    );
    assert_eq!(quiet.snapshot().calls_received(), 8);
    assert_eq!(outcome_of(&quiet), outcome_of(&observed));
}

#[test]
fn quiet_progress_comes_before_a_later_cancel_request() {
    let tracker = Tracker::new(OperationKind::GpoBackup);
    let server = tracker.reporter();
    server.progress(0, 4);
    server.progress(1, 4);
    server.progress(2, 4);
    // Reading the log brings the progress in, merged.
    assert_eq!(tracker.updates_so_far(), vec![progress(2, 4)]);
    let mut stream = tracker.updates();
    assert_eq!(stream.try_next(), Some(Some(progress(2, 4))));
    assert_eq!(stream.try_next(), None);
    assert!(tracker.cancel());
    server.status(StatusCall::progress(2, 4).with_hr(HResult::ERROR_CANCELLED));
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Cancelled);
    assert_eq!(
        tracker.updates_so_far(),
        vec![
            progress(2, 4),
            cancel_requested(),
            progress(2, 4),
            anomaly(
                4,
                Breach::FailureBeforeCompletion {
                    hr: HResult::ERROR_CANCELLED,
                    numerator: 2,
                    denominator: 4
                }
            ),
            finished(OutcomeKind::Cancelled),
        ]
    );
}

#[test]
fn status_after_completion_is_reported_but_does_not_change_the_end() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    server.status(report("<r/>"));
    server.status(with_messages(1, 1, &["late"]));
    server.progress(1, 1);
    let updates = tracker.updates_so_far();
    assert_eq!(
        updates[..2],
        [progress(1, 1), finished(OutcomeKind::Succeeded)]
    );
    let late: Vec<_> = tracker.violations().iter().map(|v| v.call).collect();
    assert_eq!(late, vec![2, 3]);
    assert!(tracker
        .violations()
        .iter()
        .all(|v| v.breach == Breach::StatusAfterCompletion { finishing_call: 1 }));
    assert_eq!(updates.len(), 4);
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
    assert!(
        !tracker.cancel(),
        "a cancel request after the end changes nothing"
    );
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
}

#[test]
fn every_end_of_the_contract() {
    let run = |rules: Rules, steps: &dyn Fn(&Tracker, &gpmc_progress::live::Reporter)| {
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .rules(rules)
            .build();
        let server = tracker.reporter();
        steps(&tracker, &server);
        drop(server);
        tracker.wait_timeout(GUARD).expect("decided")
    };
    let succeeded = run(Rules::documented(), &|_, server| {
        server.progress(0, 2);
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    })
    .unwrap();
    assert_eq!(succeeded.kind(), OutcomeKind::Succeeded);
    assert_eq!(succeeded.result(), Some(&ResultDescription::text("<r/>")));
    let failed = run(Rules::documented(), &|_, server| {
        server.progress(0, 2);
        server.progress_with_hr(2, 2, HResult::E_FAIL);
    })
    .unwrap();
    assert_eq!(
        (failed.kind(), failed.hr()),
        (OutcomeKind::Failed, HResult::E_FAIL)
    );
    let cancelled = run(Rules::documented(), &|tracker, server| {
        server.progress(0, 2);
        tracker.cancel();
        server.progress_with_hr(1, 2, HResult::ERROR_CANCELLED);
    })
    .unwrap();
    assert_eq!(cancelled.kind(), OutcomeKind::Cancelled);
    assert!(cancelled.cancel_requested());
    let too_late = run(Rules::documented(), &|tracker, server| {
        server.progress(0, 2);
        tracker.cancel();
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    })
    .unwrap();
    assert_eq!(too_late.kind(), OutcomeKind::Succeeded);
    assert!(too_late.cancel_requested());
    let violation = run(Rules::strict(), &|_, server| {
        server.progress(1, 2);
        server.progress(0, 2);
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    })
    .unwrap_err();
    match violation {
        TrackError::Violation(violation) => {
            assert_eq!(violation.call, 2);
            assert_eq!(
                violation.breach,
                Breach::NumeratorDecreased {
                    previous: 1,
                    numerator: 0
                }
            );
        }
        other => panic!("expected a violation, got {other:?}"),
    }
    assert_eq!(
        run(Rules::documented(), &|_, server| server
            .start_failed(HResult::E_ACCESSDENIED)),
        Err(TrackError::StartFailed(HResult::E_ACCESSDENIED))
    );
    assert_eq!(
        run(Rules::documented(), &|_, server| {
            server.progress(0, 2);
            server.progress(1, 2);
        }),
        Err(TrackError::Abandoned { calls_received: 2 })
    );
}

/// A server thread that stops at the client's cancel request answers with the failure; the
/// request is recorded before the server is asked, so whatever the timing it is *cancelled*.
#[test]
fn the_cancel_request_is_recorded_before_the_server_is_asked() {
    let tracker = Tracker::new(OperationKind::GpoImport);
    let server = tracker.reporter();
    let (ask, asked) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        server.progress(0, 3);
        asked.recv().unwrap();
        server.status(StatusCall::progress(1, 3).with_hr(HResult::ERROR_CANCELLED));
    });
    let mut updates = tracker.updates();
    assert_eq!(next(&mut updates), Some(progress(0, 3)));
    assert!(tracker.cancel());
    ask.send(()).unwrap();
    let outcome = outcome_of(&tracker);
    worker.join().unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    let rest: Vec<Update> = std::iter::from_fn(|| next(&mut updates)).collect();
    assert_eq!(
        rest,
        vec![
            cancel_requested(),
            progress(1, 3),
            anomaly(
                2,
                Breach::FailureBeforeCompletion {
                    hr: HResult::ERROR_CANCELLED,
                    numerator: 1,
                    denominator: 3
                }
            ),
            finished(OutcomeKind::Cancelled),
        ]
    );
    assert!(!tracker.is_attached());
}

// ---------------------------------------------------------------------------------------
// Waits
// ---------------------------------------------------------------------------------------

#[test]
fn waiting_times_out_until_the_end_is_decided() {
    let tracker = Tracker::new(OperationKind::BackupReport);
    let server = tracker.reporter();
    assert_eq!(tracker.wait_timeout(Duration::ZERO), None);
    assert_eq!(tracker.wait_timeout(Duration::from_millis(5)), None);
    assert_eq!(tracker.try_outcome(), None);
    let mut updates = tracker.updates();
    assert_eq!(updates.try_next(), None, "nothing yet, not ended");
    let (asleep, sleeping) = mpsc::channel();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let tracker = tracker.clone();
            let asleep = asleep.clone();
            thread::spawn(move || {
                asleep.send(()).unwrap();
                tracker.wait()
            })
        })
        .collect();
    let timed = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait_timeout(GUARD))
    };
    sleeping.recv().unwrap();
    sleeping.recv().unwrap();
    server.status(report("<report/>"));
    for waiter in waiters {
        let outcome = waiter.join().unwrap().expect("an outcome");
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    }
    let outcome = timed.join().unwrap().expect("woken before the guard");
    assert_eq!(tracker.try_outcome(), Some(outcome));
    assert_eq!(updates.try_next(), Some(Some(progress(1, 1))));
    assert_eq!(
        updates.try_next(),
        Some(Some(finished(OutcomeKind::Succeeded)))
    );
    assert_eq!(updates.try_next(), Some(None));
    assert_eq!(
        tracker.wait_timeout(Duration::MAX).map(|o| o.is_ok()),
        Some(true)
    );
}

#[test]
fn a_failed_start_ends_the_wait() {
    let tracker = Tracker::new(OperationKind::GpoBackup);
    let server = tracker.reporter();
    let waiter = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait())
    };
    server.start_failed(HResult::E_ACCESSDENIED);
    assert_eq!(
        waiter.join().unwrap(),
        Err(TrackError::StartFailed(HResult::E_ACCESSDENIED))
    );
    drop(server);
    assert!(!tracker.is_attached());
    assert_eq!(
        tracker.wait(),
        Err(TrackError::StartFailed(HResult::E_ACCESSDENIED))
    );
    assert_eq!(tracker.updates_so_far(), vec![]);
}

// ---------------------------------------------------------------------------------------
// Streams and futures
// ---------------------------------------------------------------------------------------

#[test]
fn the_stream_yields_every_update_and_ends() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let mut early = tracker.updates();
    let server = tracker.reporter();
    let worker = thread::spawn(move || {
        server.progress(0, 2);
        server.status(with_messages(1, 2, &["m"]));
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    });
    let collected: Vec<Update> = std::iter::from_fn(|| next(&mut early)).collect();
    let outcome = block_on(tracker.outcome()).expect("an outcome");
    worker.join().unwrap();
    // Whatever the timing: every message and the end exactly once, progress in order
    // (unread progress may have been merged), ending at 2/2.
    let not_progress: Vec<&Update> = collected
        .iter()
        .filter(|u| !matches!(u, Update::Event(Event::Progress(_))))
        .collect();
    assert_eq!(
        not_progress,
        vec![&message("m"), &finished(OutcomeKind::Succeeded)]
    );
    let fractions: Vec<i32> = collected
        .iter()
        .filter_map(|u| match u {
            Update::Event(Event::Progress(p)) => Some(p.numerator()),
            _ => None,
        })
        .collect();
    assert!(fractions.windows(2).all(|w| w[0] < w[1]), "{fractions:?}");
    assert_eq!(collected[collected.len() - 2], progress(2, 2));
    // A stream made afterwards yields the same log from its start, then ends.
    let mut late = tracker.updates();
    assert_eq!(
        std::iter::from_fn(|| next(&mut late)).collect::<Vec<_>>(),
        tracker.updates_so_far()
    );
    assert_eq!(late.try_next(), Some(None));
    assert_eq!(outcome.result(), Some(&ResultDescription::text("<r/>")));
}

/// Progress that no stream has yielded is merged into the next; what a stream yielded is
/// kept. Each stream reads at its own position.
#[test]
fn unread_progress_is_merged_and_each_stream_has_its_own_position() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut fast = tracker.updates();
    let mut slow = tracker.updates();
    server.progress(0, 4);
    server.progress(1, 4);
    assert_eq!(fast.try_next(), Some(Some(progress(1, 4))));
    assert_eq!(fast.try_next(), None);
    server.progress(2, 4);
    server.progress(3, 4);
    assert_eq!(
        tracker.updates_so_far(),
        vec![progress(1, 4), progress(3, 4)]
    );
    server.status(with_messages(3, 4, &["m"]));
    server.status(report("<r/>").with_messages(vec![]));
    // `report` is 1/1 while the calls were out of 4: an anomaly, then the end.
    let rest: Vec<Update> = std::iter::from_fn(|| fast.try_next().flatten()).collect();
    assert_eq!(rest[..2], [progress(3, 4), message("m")]);
    assert_eq!(rest.last(), Some(&finished(OutcomeKind::Succeeded)));
    assert_eq!(fast.try_next(), Some(None));
    // The slow stream starts from the beginning and sees the same log.
    let all: Vec<Update> = std::iter::from_fn(|| slow.try_next().flatten()).collect();
    assert_eq!(all, tracker.updates_so_far());
    assert_eq!(all[0], progress(1, 4));
    assert_eq!(slow.try_next(), Some(None));
}

/// A stream ends once the end is known and everything before was yielded, and stays
/// ended: later updates (a call after the finishing one) are in the log, not in the stream.
#[test]
fn a_stream_ends_after_the_decision_and_stays_ended() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut stream = tracker.updates();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    assert_eq!(poll_next_once(&mut stream, &waker), Poll::Pending);
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 1, "woken by the finishing call");
    assert_eq!(
        poll_next_once(&mut stream, &waker),
        Poll::Ready(Some(progress(1, 1)))
    );
    assert_eq!(
        poll_next_once(&mut stream, &waker),
        Poll::Ready(Some(finished(OutcomeKind::Succeeded)))
    );
    assert_eq!(poll_next_once(&mut stream, &waker), Poll::Ready(None));
    assert_eq!(stream.size_hint(), (0, Some(0)));
    server.progress(1, 1);
    assert_eq!(poll_next_once(&mut stream, &waker), Poll::Ready(None));
    assert_eq!(stream.try_next(), Some(None));
    assert!(matches!(
        tracker.updates_so_far().last(),
        Some(Update::Violation(_))
    ));
}

/// A plain progress call while a stream waits is not quiet: it takes the full path and
/// wakes the stream (the fast path wakes nobody).
#[test]
fn plain_progress_wakes_a_waiting_stream() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut stream = tracker.updates();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    server.progress(0, 2);
    assert_eq!(
        poll_next_once(&mut stream, &waker),
        Poll::Ready(Some(progress(0, 2)))
    );
    assert_eq!(poll_next_once(&mut stream, &waker), Poll::Pending);
    server.progress(1, 2);
    assert_eq!(counter.count(), 1, "woken by the progress");
    assert_eq!(
        poll_next_once(&mut stream, &waker),
        Poll::Ready(Some(progress(1, 2)))
    );
    // Not polled again: nobody waits, the next call is quiet and wakes nobody.
    server.progress(1, 2);
    assert_eq!(counter.count(), 1);
    assert_eq!(stream.try_next(), Some(Some(progress(1, 2))));
}

#[test]
fn the_future_resolves_to_the_decision_again_and_again() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut future = tracker.outcome();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    assert!(poll_once(&mut future, &waker).is_pending());
    server.progress(0, 1);
    assert!(poll_once(&mut future, &waker).is_pending());
    server.status(report("<r/>"));
    assert!(counter.count() >= 1);
    let first = match poll_once(&mut future, &waker) {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => panic!("decided"),
    };
    assert_eq!(poll_once(&mut future, &waker), Poll::Ready(first.clone()));
    // A future made after the end resolves at once.
    let mut late = tracker.outcome();
    assert_eq!(poll_once(&mut late, &waker), Poll::Ready(first));
}

/// A future or a stream dropped while it waited is not woken any more, and the tracker
/// stops treating it as a waiting task (quiet progress takes the fast path again).
#[test]
fn dropped_futures_and_streams_are_not_woken() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut future = tracker.outcome();
    let mut stream = tracker.updates();
    assert!(poll_once(&mut future, &waker).is_pending());
    assert!(poll_next_once(&mut stream, &waker).is_pending());
    drop((future, stream));
    server.progress(0, 2);
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 0);
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
}

// ---------------------------------------------------------------------------------------
// Observers
// ---------------------------------------------------------------------------------------

#[test]
fn the_observer_sees_every_call_in_order_on_the_calling_thread() {
    let main = thread::current().id();
    let threads = Arc::new(Mutex::new(Vec::new()));
    let (tracker, seen) = {
        let threads = Arc::clone(&threads);
        let seen = Seen::default();
        let collect = seen.clone();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .observer(move |notification| {
                threads.lock().unwrap().push(thread::current().id());
                collect
                    .0
                    .lock()
                    .unwrap()
                    .push((notification.call(), notification.updates().to_vec()));
            })
            .build();
        (tracker, seen)
    };
    let server = tracker.reporter();
    let worker = thread::spawn(move || {
        server.progress(0, 1);
        server.progress(0, 1);
        server.status(report("<r/>"));
        thread::current().id()
    });
    let server_thread = worker.join().unwrap();
    assert!(threads
        .lock()
        .unwrap()
        .iter()
        .all(|id| *id == server_thread && *id != main));
    assert_eq!(
        seen.notifications(),
        vec![
            (Some(1), vec![progress(0, 1)]),
            (Some(2), vec![progress(0, 1)]),
            (
                Some(3),
                vec![progress(1, 1), finished(OutcomeKind::Succeeded)]
            ),
        ]
    );
    // The cancel request after the end produces no update: nothing to notify.
    assert!(!tracker.cancel());
    assert_eq!(seen.notifications().len(), 3);
}

#[test]
fn a_panicking_observer_is_dropped_and_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let tracker = Tracker::builder(OperationKind::Unknown)
        .observer({
            let calls = Arc::clone(&calls);
            move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                panic!("observer bug");
            }
        })
        .build();
    let server = tracker.reporter();
    server.status(StatusCall::progress(0, 1).with_messages(vec![]));
    server.progress(1, 1);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "not called after it panicked"
    );
    assert_eq!(
        tracker.updates_so_far(),
        vec![
            progress(0, 1),
            Update::Fault(Fault::ObserverPanicked("observer bug".into())),
            progress(1, 1),
            finished(OutcomeKind::Succeeded),
        ]
    );
}

/// Calls from two threads at once: the observer is never called twice at once, and it is
/// handed the calls in the order they were judged (call indices 1, 2, 3, ...).
#[test]
fn overlapping_calls_are_delivered_one_at_a_time_in_order() {
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let seen = Seen::default();
    let tracker = Tracker::builder(OperationKind::GpoBackup)
        .observer({
            let inside = Arc::clone(&inside);
            let overlaps = Arc::clone(&overlaps);
            let seen = seen.clone();
            move |notification| {
                if inside.swap(true, Ordering::SeqCst) {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                seen.0
                    .lock()
                    .unwrap()
                    .push((notification.call(), notification.updates().to_vec()));
                thread::yield_now();
                inside.store(false, Ordering::SeqCst);
            }
        })
        .build();
    let calls = scaled(300, 15);
    let last = tracker.reporter();
    let meet = Arc::new(Barrier::new(2));
    let servers: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|who| {
            let server = tracker.reporter();
            let meet = Arc::clone(&meet);
            thread::spawn(move || {
                meet.wait();
                for _ in 0..calls {
                    server.status(with_messages(5, 10, &[who, who]));
                }
            })
        })
        .collect();
    for server in servers {
        server.join().unwrap();
    }
    last.progress_with_hr(10, 10, HResult::E_FAIL);
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "called twice at once");
    let notifications = seen.notifications();
    let indices: Vec<Option<u64>> = notifications.iter().map(|(call, _)| *call).collect();
    let expected: Vec<Option<u64>> = (1..=2 * calls as u64 + 1).map(Some).collect();
    assert_eq!(indices, expected, "delivered in the judged order");
    // Each call's two messages stay together, whatever the interleaving.
    let outcome = outcome_of(&tracker);
    assert_eq!(outcome.kind(), OutcomeKind::Failed);
    assert_eq!(outcome.messages().len(), 4 * calls);
    for pair in outcome.messages().chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    for (_, updates) in &notifications[..2 * calls] {
        assert_eq!(updates.len(), 3, "{updates:?}");
        assert_eq!(updates[0], progress(5, 10));
    }
    assert!(tracker.snapshot().anomalies().is_empty());
}

/// The observer may ask to cancel from inside its callback: the request is queued and
/// handed to it right after the notification it is handling, never re-entrantly.
#[test]
fn the_observer_may_cancel_from_inside_its_callback() {
    let slot: Arc<Mutex<Option<Tracker>>> = Arc::default();
    let depth = Arc::new(AtomicUsize::new(0));
    let seen = Seen::default();
    let tracker = Tracker::builder(OperationKind::GpoBackup)
        .observer({
            let slot = Arc::clone(&slot);
            let depth = Arc::clone(&depth);
            let seen = seen.clone();
            move |notification| {
                assert_eq!(depth.fetch_add(1, Ordering::SeqCst), 0, "re-entered");
                seen.0
                    .lock()
                    .unwrap()
                    .push((notification.call(), notification.updates().to_vec()));
                if notification.updates() == [progress(1, 4)] {
                    let tracker = slot.lock().unwrap().clone().expect("set");
                    assert!(tracker.cancel());
                }
                depth.fetch_sub(1, Ordering::SeqCst);
            }
        })
        .build();
    *slot.lock().unwrap() = Some(tracker.clone());
    let server = tracker.reporter();
    server.progress(0, 4);
    server.progress(1, 4);
    server.progress_with_hr(1, 4, HResult::ERROR_CANCELLED);
    drop(server);
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Cancelled);
    let notifications = seen.notifications();
    assert_eq!(
        notifications[..3],
        [
            (Some(1), vec![progress(0, 4)]),
            (Some(2), vec![progress(1, 4)]),
            (None, vec![cancel_requested()]),
        ]
    );
    assert_eq!(notifications[3].0, Some(3));
    assert_eq!(
        notifications[3].1.last(),
        Some(&finished(OutcomeKind::Cancelled))
    );
    assert!(!tracker
        .updates_so_far()
        .iter()
        .any(|u| matches!(u, Update::Fault(_))));
    slot.lock().unwrap().take();
}

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn an_observer_owning_the_tracker_does_not_keep_it_alive() {
    let trace = SharedBuffer::default();
    let dropped = Arc::new(AtomicBool::new(false));
    let slot: Arc<Mutex<Option<Tracker>>> = Arc::default();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let flag = DropFlag(Arc::clone(&dropped));
    let tracker = recording(Tracker::builder(OperationKind::GpoBackup), &trace)
        .observer({
            let slot = Arc::clone(&slot);
            let calls = Arc::clone(&calls);
            move |_| {
                let _flag = &flag;
                // The observer may use the tracker it observes.
                let seen = slot
                    .lock()
                    .unwrap()
                    .as_ref()
                    .map(|tracker| tracker.snapshot().calls_received());
                calls.lock().unwrap().push(seen);
            }
        })
        .build();
    *slot.lock().unwrap() = Some(tracker.clone());
    drop(slot);
    let server = tracker.reporter();
    server.progress(0, 1);
    server.status(
        StatusCall::progress(1, 1).with_result(ResultDescription::Backup {
            id: None,
            gpo_id: None,
            directory: None,
            comment: None,
        }),
    );
    assert!(!dropped.load(Ordering::SeqCst));
    drop(server);
    assert_eq!(*calls.lock().unwrap(), vec![Some(1), Some(2)]);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the observer was dropped with the last reporter"
    );
    assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
    drop(tracker);
    assert_eq!(
        Arc::strong_count(&trace.0),
        1,
        "the tracker's state was freed"
    );
}

// ---------------------------------------------------------------------------------------
// Dropped consumers
// ---------------------------------------------------------------------------------------

#[test]
fn the_reporter_keeps_working_after_every_consumer_has_gone() {
    let trace = SharedBuffer::default();
    let tracker = recording(Tracker::builder(OperationKind::GpoReport), &trace).build();
    let server = tracker.reporter();
    let updates = tracker.updates();
    let outcome = tracker.outcome();
    drop((tracker, updates, outcome));
    server.progress(0, 2);
    server.status(with_messages(1, 2, &["still read"]));
    server.progress(1, 2);
    server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    // Even a late call is answered.
    server.progress(2, 2);
    server.start_failed(HResult::E_FAIL);
    #[cfg(feature = "trace")]
    {
        let lines: Vec<String> = trace.text().lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 6, "begin and five status lines: {lines:?}");
        assert!(lines[2].contains("still read"));
    }
    assert_eq!(
        Arc::strong_count(&trace.0),
        if cfg!(feature = "trace") { 2 } else { 1 }
    );
    drop(server);
    assert_eq!(Arc::strong_count(&trace.0), 1, "the state was freed");
}

// ---------------------------------------------------------------------------------------
// The recorder (feature trace)
// ---------------------------------------------------------------------------------------

#[cfg(feature = "trace")]
fn recording(builder: TrackerBuilder, trace: &SharedBuffer) -> TrackerBuilder {
    builder.record(trace.clone())
}

#[cfg(not(feature = "trace"))]
fn recording(builder: TrackerBuilder, _: &SharedBuffer) -> TrackerBuilder {
    builder
}

#[cfg(feature = "trace")]
mod recorder {
    use super::*;
    use gpmc_progress::trace::{replay, TraceEvent, TraceReader, Verdict};

    fn events(text: &str) -> Vec<TraceEvent> {
        let mut reader = TraceReader::new(text.as_bytes());
        std::iter::from_fn(|| reader.read_line().expect("a valid trace"))
            .map(|traced| traced.event)
            .collect()
    }

    /// Two server threads and the client's cancel requests: the trace has every call and
    /// request once, in the order they were judged, which is the order the observer saw.
    #[test]
    fn lines_follow_the_judged_order() {
        let trace = SharedBuffer::default();
        let (tracker, seen) =
            watched(Tracker::builder(OperationKind::GpoBackup).record(trace.clone()));
        let calls = scaled(100, 8);
        // Both reporters exist before either thread runs: one dropped before the other is
        // made would be the last, and the observer would go with it.
        let reporters: Vec<_> = (0..2).map(|_| tracker.reporter()).collect();
        let servers: Vec<_> = reporters
            .into_iter()
            .enumerate()
            .map(|(thread, server)| {
                let tracker = tracker.clone();
                thread::spawn(move || {
                    for call in 0..calls {
                        server.status(with_messages(1, 10, &[&format!("{thread}/{call}")]));
                        if call % 10 == thread {
                            tracker.cancel();
                        }
                    }
                })
            })
            .collect();
        for server in servers {
            server.join().unwrap();
        }
        let events = events(&trace.text());
        assert_eq!(
            events[0],
            TraceEvent::Begin {
                operation: OperationKind::GpoBackup
            }
        );
        // The observer's notifications, cancel requests included, in the trace's order.
        let judged: Vec<Option<String>> = seen
            .notifications()
            .into_iter()
            .map(|(call, updates)| {
                call.map(|_| match &updates[..] {
                    [_, Update::Event(Event::Message(m))] => m.message.clone(),
                    other => panic!("{other:?}"),
                })
            })
            .collect();
        let traced: Vec<Option<String>> = events[1..]
            .iter()
            .filter_map(|event| match event {
                TraceEvent::Status(call) => {
                    Some(Some(call.messages.as_ref().unwrap()[0].message.clone()))
                }
                TraceEvent::Cancel => Some(None),
                _ => None,
            })
            .collect();
        // Only the first cancel request is notified (later ones change nothing).
        let first_cancel = traced.iter().position(Option::is_none).unwrap();
        let traced_notified: Vec<Option<String>> = traced
            .iter()
            .enumerate()
            .filter(|(at, event)| event.is_some() || *at == first_cancel)
            .map(|(_, event)| event.clone())
            .collect();
        assert_eq!(judged, traced_notified);
        assert_eq!(traced.iter().filter(|e| e.is_some()).count(), 2 * calls);
        for thread in 0..2 {
            let own: Vec<String> = traced
                .iter()
                .flatten()
                .filter(|m| m.starts_with(&format!("{thread}/")))
                .cloned()
                .collect();
            let sent: Vec<String> = (0..calls).map(|call| format!("{thread}/{call}")).collect();
            assert_eq!(own, sent);
        }
    }

    #[test]
    fn the_recorded_trace_replays_to_the_same_outcome() {
        let trace = SharedBuffer::default();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(trace.clone())
            .build();
        let server = tracker.reporter();
        server.progress(0, 3);
        server.status(StatusCall::progress(1, 3).with_messages(vec![]));
        server.status(with_messages(1, 4, &["a setting was skipped"]));
        tracker.cancel();
        server.status(StatusCall::progress(4, 4).with_result(ResultDescription::text("<r/>")));
        let outcome = outcome_of(&tracker);
        let text = trace.text();
        assert_eq!(text.lines().count(), 6);
        assert!(text.lines().nth(2).unwrap().ends_with(r#""messages":[]}"#));
        assert_eq!(text.lines().nth(4), Some(r#"{"event":"cancel"}"#));
        match replay(text.as_bytes(), Rules::documented()) {
            Verdict::Finished {
                outcome: replayed,
                anomalies,
            } => {
                assert_eq!(replayed, outcome);
                assert_eq!(anomalies.len(), 1, "denominator-changed");
            }
            other => panic!("unexpected verdict {other:?}"),
        }
    }

    /// Accepts `lines` writes, then fails every write.
    struct FailingWriter {
        lines: usize,
        writes: Arc<AtomicUsize>,
    }

    impl std::io::Write for FailingWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.writes.fetch_add(1, Ordering::SeqCst) >= self.lines {
                Err(std::io::Error::other("disk full"))
            } else {
                Ok(bytes.len())
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_recorder_is_reported_once_and_the_engine_goes_on() {
        let writes = Arc::new(AtomicUsize::new(0));
        let (tracker, seen) = watched(Tracker::builder(OperationKind::GpoReport).record(
            FailingWriter {
                lines: 2,
                writes: Arc::clone(&writes),
            },
        ));
        let server = tracker.reporter();
        server.progress(0, 2);
        server.status(with_messages(1, 2, &["kept"]));
        tracker.cancel();
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
        // begin and the first status line were written; the second failed; nothing more tried.
        assert_eq!(writes.load(Ordering::SeqCst), 3);
        let fault = Update::Fault(Fault::RecordingFailed(
            "writing the status line: disk full".into(),
        ));
        let faults: Vec<Update> = seen
            .all()
            .into_iter()
            .filter(|u| matches!(u, Update::Fault(_)))
            .collect();
        assert_eq!(faults, vec![fault.clone()]);
        assert_eq!(
            tracker.updates_so_far(),
            vec![
                // 0/2 was merged into 1/2: no stream had read it.
                progress(1, 2),
                message("kept"),
                fault,
                cancel_requested(),
                progress(2, 2),
                finished(OutcomeKind::Succeeded),
            ]
        );
        let outcome = outcome_of(&tracker);
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
        assert_eq!(outcome.messages(), &[StatusMessage::new("kept")]);
    }

    #[test]
    fn a_failing_begin_line_is_reported_and_nothing_more_is_written() {
        let writes = Arc::new(AtomicUsize::new(0));
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(FailingWriter {
                lines: 0,
                writes: Arc::clone(&writes),
            })
            .build();
        tracker.reporter().status(report("<r/>"));
        assert_eq!(writes.load(Ordering::SeqCst), 1);
        assert_eq!(
            tracker.updates_so_far()[0],
            Update::Fault(Fault::RecordingFailed(
                "writing the begin line: disk full".into()
            ))
        );
    }

    /// Writes half of its `panic_on`-th line, then panics.
    struct HalfLinePanic {
        buffer: SharedBuffer,
        panic_on: usize,
        lines: usize,
    }

    impl std::io::Write for HalfLinePanic {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.lines += 1;
            if self.lines == self.panic_on {
                std::io::Write::write_all(&mut self.buffer, &bytes[..bytes.len() / 2])?;
                panic!("writer bug");
            }
            std::io::Write::write(&mut self.buffer, bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Review defect: a writer that panicked mid-line still got the later lines, a trace
    /// with a hole. It counts as stopped: nothing is written after the partial line, and the
    /// fault is reported once.
    #[test]
    fn a_recorder_whose_writer_panics_mid_line_writes_nothing_after() {
        let buffer = SharedBuffer::default();
        let (tracker, seen) = watched(Tracker::builder(OperationKind::GpoReport).record(
            HalfLinePanic {
                buffer: buffer.clone(),
                panic_on: 3,
                lines: 0,
            },
        ));
        let server = tracker.reporter();
        server.progress(0, 3);
        server.progress(1, 3);
        tracker.cancel();
        server.progress(2, 3);
        server.status(StatusCall::progress(3, 3).with_result(ResultDescription::text("<r/>")));
        let text = buffer.text();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 3, "{text:?}");
        assert!(lines[1].ends_with('\n'));
        assert!(
            !lines[2].ends_with('\n'),
            "the partial line is the last thing written"
        );
        let faults: Vec<Update> = seen
            .all()
            .into_iter()
            .filter(|u| matches!(u, Update::Fault(_)))
            .collect();
        assert_eq!(
            faults,
            vec![Update::Fault(Fault::RecordingFailed(
                "the writer panicked while writing the status line: writer bug".into()
            ))]
        );
        assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
        assert_eq!(seen.notifications().last().unwrap().0, Some(4));
    }

    /// Fails its second line and panics when dropped.
    struct FailThenPanicOnDrop(usize);

    impl std::io::Write for FailThenPanicOnDrop {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            if self.0 >= 2 {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Drop for FailThenPanicOnDrop {
        fn drop(&mut self) {
            panic!("writer drop bug");
        }
    }

    /// The recorder's writer is user code: dropping it once recording stopped must not
    /// unwind into the server's call, nor leave deliveries stuck.
    #[test]
    fn a_writer_whose_drop_panics_once_recording_stopped_is_caught() {
        let (tracker, seen) =
            watched(Tracker::builder(OperationKind::GpoReport).record(FailThenPanicOnDrop(0)));
        let server = tracker.reporter();
        let reported = catch_unwind(AssertUnwindSafe(|| server.progress(0, 2)));
        assert!(
            reported.is_ok(),
            "the writer's drop panic reached the server"
        );
        server.progress(1, 2);
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
        let faults: Vec<Update> = tracker
            .updates_so_far()
            .into_iter()
            .filter(|u| matches!(u, Update::Fault(_)))
            .collect();
        assert_eq!(
            faults,
            vec![
                Update::Fault(Fault::RecordingFailed(
                    "writing the status line: disk full".into()
                )),
                Update::Fault(Fault::RecordingFailed(
                    "dropping the writer panicked: writer drop bug".into()
                )),
            ]
        );
        assert_eq!(
            seen.notifications().last().unwrap().0,
            Some(3),
            "still observed"
        );
        assert_eq!(outcome_of(&tracker).kind(), OutcomeKind::Succeeded);
    }

    /// The writer is dropped with the engine's state; when the last reporter is the last
    /// handle, that happens on the server's thread: a panic must not reach it.
    #[test]
    fn a_writer_whose_drop_panics_in_the_last_reporters_drop_is_caught() {
        struct PanicOnDropWriter;
        impl std::io::Write for PanicOnDropWriter {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl Drop for PanicOnDropWriter {
            fn drop(&mut self) {
                panic!("writer drop bug");
            }
        }
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(PanicOnDropWriter)
            .build();
        let server = tracker.reporter();
        server.progress(0, 1);
        drop(tracker);
        let released = catch_unwind(AssertUnwindSafe(move || drop(server)));
        assert!(
            released.is_ok(),
            "the writer's drop panic reached the server"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

/// The fast path under contention: two server threads make quiet progress calls at once
/// while a reader reads the log and a waiter sleeps (with a timeout) until the end. No call
/// is lost, none is judged twice, the waiter wakes for the end.
#[test]
fn concurrent_quiet_calls_with_a_reader_and_a_waiter() {
    let tracker = Tracker::new(OperationKind::GpoBackup);
    let calls = scaled(5_000, 40);
    // The servers start once the reader has read the log once (before the end, for sure).
    let meet = Arc::new(Barrier::new(3));
    let done = Arc::new(Barrier::new(2));
    let first = tracker.reporter();
    let second = tracker.reporter();
    first.progress(0, 10);
    let waiter = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait_timeout(GUARD))
    };
    let reader = {
        let tracker = tracker.clone();
        let meet = Arc::clone(&meet);
        thread::spawn(move || {
            let mut reads = 0;
            loop {
                let log = tracker.updates_so_far();
                assert!(log.len() <= 2, "unread progress is merged: {log:?}");
                reads += 1;
                if reads == 1 {
                    meet.wait();
                }
                if tracker.try_outcome().is_some() {
                    return reads;
                }
                thread::yield_now();
            }
        })
    };
    let servers: Vec<_> = [first, second]
        .into_iter()
        .enumerate()
        .map(|(at, server)| {
            let meet = Arc::clone(&meet);
            let done = Arc::clone(&done);
            thread::spawn(move || {
                meet.wait();
                for _ in 0..calls {
                    server.progress(5, 10);
                }
                // Both servers are done with their quiet calls before the finishing one.
                done.wait();
                if at == 0 {
                    server.status(StatusCall::progress(10, 10).with_result(
                        ResultDescription::Backup {
                            id: None,
                            gpo_id: None,
                            directory: None,
                            comment: None,
                        },
                    ));
                }
            })
        })
        .collect();
    for server in servers {
        server.join().unwrap();
    }
    let outcome = waiter
        .join()
        .unwrap()
        .expect("woken for the end")
        .expect("an outcome");
    assert!(reader.join().unwrap() > 0);
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    let machine = tracker.snapshot();
    assert_eq!(
        machine.calls_received(),
        2 * calls as u64 + 2,
        "every call judged once"
    );
    assert!(machine.anomalies().is_empty());
    let log = tracker.updates_so_far();
    assert_eq!(log.last(), Some(&finished(OutcomeKind::Succeeded)));
    assert_eq!(log[log.len() - 2], progress(10, 10));
    assert!(!tracker.is_attached());
}

/// A stream polled on its own thread while two servers report: every message once, in
/// each server's order, then the end.
#[test]
fn a_stream_polled_while_two_threads_report() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let calls = scaled(200, 10);
    let consumer = {
        let mut stream = tracker.updates();
        thread::spawn(move || std::iter::from_fn(|| next(&mut stream)).collect::<Vec<_>>())
    };
    let meet = Arc::new(Barrier::new(2));
    let servers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|who| {
            let server = tracker.reporter();
            let meet = Arc::clone(&meet);
            thread::spawn(move || {
                meet.wait();
                for call in 0..calls {
                    server.progress(1, 3);
                    server.status(with_messages(1, 3, &[&format!("{who}{call}")]));
                }
                server
            })
        })
        .collect();
    let servers: Vec<_> = servers.into_iter().map(|s| s.join().unwrap()).collect();
    servers[0].status(StatusCall::progress(3, 3).with_result(ResultDescription::text("<r/>")));
    drop(servers);
    let updates = consumer.join().unwrap();
    let messages: Vec<String> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Event(Event::Message(m)) => Some(m.message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 2 * calls);
    for who in ["a", "b"] {
        let own: Vec<&String> = messages.iter().filter(|m| m.starts_with(who)).collect();
        let sent: Vec<String> = (0..calls).map(|call| format!("{who}{call}")).collect();
        assert_eq!(own, sent.iter().collect::<Vec<_>>());
    }
    assert_eq!(updates.last(), Some(&finished(OutcomeKind::Succeeded)));
}

// ---------------------------------------------------------------------------------------
// The defects found in the review of the COM-only engine, one test each
// ---------------------------------------------------------------------------------------

/// A waker whose drop panics, dropped by the last reporter's drop (the server's last
/// `Release`): no panic escapes, a fault is reported, the decision stands.
#[test]
fn a_waker_whose_drop_panics_run_from_the_last_reporters_drop() {
    let tracker = Tracker::new(OperationKind::GpoBackup);
    let server = tracker.reporter();
    let mut future = tracker.outcome();
    {
        let waker = Waker::from(Arc::new(PanicOnDrop));
        assert!(poll_once(&mut future, &waker).is_pending());
        // The tracker now holds the only clone.
    }
    let released = catch_unwind(AssertUnwindSafe(move || drop(server)));
    assert!(released.is_ok(), "the panic reached the server's thread");
    assert_eq!(
        tracker.updates_so_far(),
        vec![Update::Fault(Fault::WakePanicked("waker drop bug".into()))]
    );
    assert_eq!(
        block_on(future),
        Err(TrackError::Abandoned { calls_received: 0 })
    );
}

/// An observer whose drop panics, run from the last reporter's drop: no panic escapes, a
/// fault is reported.
#[test]
fn an_observer_whose_drop_panics_run_from_the_last_reporters_drop() {
    let bomb = DropBomb("observer drop bug");
    let tracker = Tracker::builder(OperationKind::GpoBackup)
        .observer(move |_| {
            let _ = &bomb;
        })
        .build();
    let server = tracker.reporter();
    server.progress(0, 2);
    let released = catch_unwind(AssertUnwindSafe(move || drop(server)));
    assert!(released.is_ok(), "the panic reached the server's thread");
    assert_eq!(
        tracker.updates_so_far(),
        vec![
            progress(0, 2),
            Update::Fault(Fault::ObserverDropPanicked("observer drop bug".into()))
        ]
    );
    assert_eq!(
        tracker.wait(),
        Err(TrackError::Abandoned { calls_received: 1 })
    );
}

/// A waker that panics while woken: the other waiting tasks are still woken, the observer
/// is still called for later calls, and the fault is reported.
#[test]
fn a_panic_while_waking_loses_no_other_waker_and_stops_no_delivery() {
    let (tracker, seen) = watched(Tracker::builder(OperationKind::GpoReport));
    let server = tracker.reporter();
    let bad = Waker::from(Arc::new(PanicOnWake));
    let counter = Arc::new(Counter::default());
    let good = Waker::from(Arc::clone(&counter));
    let mut first = tracker.updates();
    let mut stream = tracker.updates();
    let mut last = tracker.outcome();
    assert!(poll_next_once(&mut first, &bad).is_pending());
    assert!(poll_next_once(&mut stream, &good).is_pending());
    assert!(poll_once(&mut last, &good).is_pending());
    let answered = catch_unwind(AssertUnwindSafe(|| server.progress(0, 2)));
    assert!(answered.is_ok(), "the waker's panic reached the server");
    // The good stream was woken; the future waits for the end only.
    assert_eq!(counter.count(), 1, "the good stream was woken");
    let fault = Update::Fault(Fault::WakePanicked("waker bug".into()));
    for (reader, waker) in [(&mut first, &bad), (&mut stream, &good)] {
        assert_eq!(
            poll_next_once(reader, waker),
            Poll::Ready(Some(progress(0, 2)))
        );
        assert_eq!(
            poll_next_once(reader, waker),
            Poll::Ready(Some(fault.clone()))
        );
        assert!(poll_next_once(reader, waker).is_pending());
    }
    assert!(poll_once(&mut last, &good).is_pending());
    server.progress(1, 2);
    server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    // The good stream by the second call, the future by the end.
    assert_eq!(counter.count(), 3);
    // Later deliveries still happen, and the observer hears of each fault after the
    // call whose wake-up panicked, as the log has it.
    assert_eq!(
        seen.notifications(),
        vec![
            (Some(1), vec![progress(0, 2)]),
            (None, vec![fault.clone()]),
            (Some(2), vec![progress(1, 2)]),
            (None, vec![fault.clone()]),
            (
                Some(3),
                vec![progress(2, 2), finished(OutcomeKind::Succeeded)]
            ),
        ]
    );
    let faults = tracker
        .updates_so_far()
        .into_iter()
        .filter(|u| *u == Update::Fault(Fault::WakePanicked("waker bug".into())))
        .count();
    assert_eq!(faults, 2, "one fault per panicking wake");
    assert!(matches!(poll_once(&mut last, &good), Poll::Ready(Ok(_))));
    // The stream with the bad waker still has everything, and ends.
    let mut rest = Vec::new();
    while let Poll::Ready(Some(update)) = poll_next_once(&mut first, &good) {
        rest.push(update);
    }
    assert_eq!(rest.last(), Some(&finished(OutcomeKind::Succeeded)));
    assert_eq!(poll_next_once(&mut first, &good), Poll::Ready(None));
}

/// An observer that panics and whose drop panics too: both are reported, and the later
/// calls are still recorded, logged and waited for.
#[test]
fn a_panic_while_dropping_a_panicked_observer_stops_no_later_delivery() {
    let trace = SharedBuffer::default();
    let bomb = DropBomb("observer drop bug");
    let tracker = recording(Tracker::builder(OperationKind::GpoReport), &trace)
        .observer(move |_| {
            let _ = &bomb;
            panic!("observer bug");
        })
        .build();
    let server = tracker.reporter();
    let counter = Arc::new(Counter::default());
    let mut future = tracker.outcome();
    assert!(poll_once(&mut future, &Waker::from(Arc::clone(&counter))).is_pending());
    let answered = catch_unwind(AssertUnwindSafe(|| server.progress(0, 2)));
    assert!(answered.is_ok());
    server.progress(1, 2);
    server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    assert!(counter.count() >= 1);
    assert_eq!(
        tracker.updates_so_far(),
        vec![
            progress(0, 2),
            Update::Fault(Fault::ObserverPanicked("observer bug".into())),
            Update::Fault(Fault::ObserverDropPanicked("observer drop bug".into())),
            progress(2, 2),
            finished(OutcomeKind::Succeeded),
        ]
    );
    #[cfg(feature = "trace")]
    assert_eq!(trace.text().lines().count(), 4, "every call recorded");
    assert!(matches!(block_on(future), Ok(outcome) if outcome.kind() == OutcomeKind::Succeeded));
}

/// Holds an `Updates` stream and drops it when the waker is dropped.
struct DropsAStream(Mutex<Option<gpmc_progress::live::Updates>>);

impl Wake for DropsAStream {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropsAStream {
    fn drop(&mut self) {
        drop(self.0.lock().unwrap().take());
    }
}

/// A waker whose drop drops an `Updates` stream (which takes the tracker's lock): dropped
/// while the tracker wakes it, and while a task polls with another waker. No deadlock.
#[test]
fn a_waker_whose_drop_drops_an_updates_stream_does_not_deadlock() {
    within_guard(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        // Dropped by the engine after waking it.
        let mut future = tracker.outcome();
        let waker = Waker::from(Arc::new(DropsAStream(Mutex::new(Some(tracker.updates())))));
        assert!(poll_once(&mut future, &waker).is_pending());
        drop(waker);
        server.progress(0, 2);
        // Dropped when the task polls again with another waker.
        let waker = Waker::from(Arc::new(DropsAStream(Mutex::new(Some(tracker.updates())))));
        assert!(poll_once(&mut future, &waker).is_pending());
        drop(waker);
        assert!(poll_once(&mut future, &Waker::from(Arc::new(Counter::default()))).is_pending());
        // Dropped with the future.
        let waker = Waker::from(Arc::new(DropsAStream(Mutex::new(Some(tracker.updates())))));
        assert!(poll_once(&mut future, &waker).is_pending());
        drop(waker);
        drop(future);
        server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
        tracker.wait().map(|outcome| outcome.kind())
    })
    .map(|kind| assert_eq!(kind, OutcomeKind::Succeeded))
    .unwrap();
}

/// A waker whose drop panics when the task polls again with another waker: the new waker
/// must still be registered and woken (the old one's panic is reported, not a lost task).
#[test]
fn a_waker_whose_drop_panics_when_replaced_does_not_lose_the_new_one() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut future = tracker.outcome();
    {
        let waker = Waker::from(Arc::new(PanicOnDrop));
        assert!(poll_once(&mut future, &waker).is_pending());
    }
    let counter = Arc::new(Counter::default());
    let good = Waker::from(Arc::clone(&counter));
    let polled = catch_unwind(AssertUnwindSafe(|| poll_once(&mut future, &good)));
    assert!(
        matches!(polled, Ok(Poll::Pending)),
        "the old waker's drop panic reached the poll"
    );
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 1, "the new waker was woken");
    assert!(matches!(poll_once(&mut future, &good), Poll::Ready(Ok(_))));
    assert_eq!(
        tracker.updates_so_far()[0],
        Update::Fault(Fault::WakePanicked("waker drop bug".into()))
    );
}

/// The first decision stands: a failed start reported after a waiter already saw the
/// operation abandoned does not change what anyone sees.
#[test]
fn the_decision_never_changes_after_it_was_published() {
    let tracker = Tracker::new(OperationKind::GpoBackup);
    drop(tracker.reporter());
    let abandoned = Err(TrackError::Abandoned { calls_received: 0 });
    assert_eq!(tracker.wait(), abandoned);
    let late = tracker.reporter();
    late.start_failed(HResult::E_ACCESSDENIED);
    late.status(
        StatusCall::progress(1, 1).with_result(ResultDescription::Backup {
            id: None,
            gpo_id: None,
            directory: None,
            comment: None,
        }),
    );
    drop(late);
    assert_eq!(tracker.wait(), abandoned);
    assert_eq!(tracker.try_outcome(), Some(abandoned.clone()));
    assert_eq!(block_on(tracker.outcome()), abandoned);
    assert_eq!(tracker.wait_timeout(GUARD), Some(abandoned));
}

/// Once decided, every consumer sees the same outcome, however late it looks: here a
/// violation decided the end before the finishing call completed the state machine.
#[test]
fn once_decided_every_consumer_sees_the_same_outcome() {
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .rules(Rules::strict())
        .build();
    let server = tracker.reporter();
    let waiter = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait())
    };
    let timed = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait_timeout(GUARD).expect("decided"))
    };
    let future = {
        let future = tracker.outcome();
        thread::spawn(move || block_on(future))
    };
    let worker = thread::spawn(move || {
        server.progress(2, 4);
        server.progress(1, 4);
        server.status(StatusCall::progress(4, 4).with_result(ResultDescription::text("<r/>")));
    });
    worker.join().unwrap();
    let seen = [
        waiter.join().unwrap(),
        timed.join().unwrap(),
        future.join().unwrap(),
        tracker.try_outcome().unwrap(),
        tracker.wait(),
        block_on(tracker.outcome()),
    ];
    assert!(matches!(seen[0], Err(TrackError::Violation(v)) if v.call == 2));
    assert!(seen.iter().all(|decision| *decision == seen[0]), "{seen:?}");
    assert!(
        tracker.snapshot().outcome().is_some(),
        "the machine finished anyway"
    );
}
