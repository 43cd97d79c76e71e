//! The live engine (`gpmc_progress::live`) natively, by behaviour: the end as the last
//! update of every consumer, what comes after the end, progress as a latest value, waits,
//! futures and streams, the observer, the trace recorder, user code that panics, and
//! threads reporting at once. Timeouts here only guard against a deadlock or a lost
//! wake-up; no test asserts how long anything takes.
#![cfg(feature = "live")]

mod live_support;
mod trace_buffer;

use live_support::{normalized, read_to_end};
use trace_buffer::SharedBuffer;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use futures_core::Stream;
use gpmc_progress::live::{
    AfterEnd, Fault, Late, NoUpdate, Notification, TrackError, Tracker, TrackerBuilder, Update,
    Updates,
};
use gpmc_progress::{
    Event, HResult, OperationKind, OperationOutcome, OutcomeKind, ProgressFraction,
    ResultDescription, Rule, Rules, StatusCall, StatusMessage,
};

/// How long a test waits for something that must happen before calling it a deadlock.
const GUARD: Duration = Duration::from_secs(60);

type End = Result<OperationOutcome, TrackError>;

fn progress(numerator: i32, denominator: i32) -> Update {
    Update::Event(Event::Progress(
        ProgressFraction::new(numerator, denominator).unwrap(),
    ))
}

fn message(text: &str) -> Update {
    Update::Event(Event::Message(StatusMessage::new(text)))
}

fn report(text: &str) -> StatusCall {
    StatusCall::progress(1, 1).with_result(ResultDescription::text(text))
}

fn with_messages(numerator: i32, denominator: i32, texts: &[&str]) -> StatusCall {
    StatusCall::progress(numerator, denominator)
        .with_messages(texts.iter().map(|text| StatusMessage::new(*text)).collect())
}

fn ended(tracker: &Tracker) -> End {
    tracker
        .wait_timeout(GUARD)
        .expect("the end (deadlock guard)")
}

/// What the observer was handed.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    Update(Update),
    Late(Late),
}

/// An observer's notifications, and word of when it was dropped.
struct Watched {
    told: Arc<Mutex<Vec<Told>>>,
    dropped: mpsc::Receiver<()>,
    thread: Arc<Mutex<Option<thread::ThreadId>>>,
}

/// Sends on its channel when dropped (with the observer that owns it).
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

impl Watched {
    /// Every notification so far.
    fn told(&self) -> Vec<Told> {
        self.told.lock().unwrap().clone()
    }

    /// Every notification, once the observer was dropped (the server let go and it was
    /// handed everything).
    fn all(&self) -> Vec<Told> {
        self.dropped
            .recv_timeout(GUARD)
            .expect("the observer was dropped (deadlock guard)");
        self.told()
    }

    /// The updates among `told`.
    fn updates(told: &[Told]) -> Vec<Update> {
        told.iter()
            .filter_map(|told| match told {
                Told::Update(update) => Some(update.clone()),
                Told::Late(_) => None,
            })
            .collect()
    }
}

fn watched(builder: TrackerBuilder) -> (Tracker, Watched) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let thread = Arc::new(Mutex::new(None));
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let tracker = builder
        .observer({
            let told = Arc::clone(&told);
            let thread = Arc::clone(&thread);
            move |notification| {
                let _ = &guard;
                *thread.lock().unwrap() = Some(thread::current().id());
                told.lock().unwrap().push(match notification {
                    Notification::Update(update) => Told::Update(update.clone()),
                    Notification::Late(late) => Told::Late(late.clone()),
                    _ => unreachable!("a notification of neither kind"),
                });
            }
        })
        .build();
    (
        tracker,
        Watched {
            told,
            dropped,
            thread,
        },
    )
}

/// Unparks its thread and remembers that it was woken.
struct Flag {
    woken: AtomicBool,
    thread: thread::Thread,
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
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(false),
            thread: thread::current(),
        });
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

/// Every update of a stream, read through `poll_next` until it ends.
fn collect(mut stream: Updates) -> Vec<Update> {
    let mut all = Vec::new();
    while let Some(update) = block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut stream).poll_next(cx)
    })) {
        all.push(update);
    }
    all
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

/// Panics when dropped.
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
// The end: one update, once, last, the same for every consumer
// ---------------------------------------------------------------------------------------

/// Drives `tracker` to one kind of end, then does what a server and a client may do after
/// it: a late `Status` call, a late start failure, a cancel request (refused).
fn drive_to(end: &str, tracker: &Tracker) {
    let mut server = tracker.reporter();
    server.progress(0, 4);
    server.status(with_messages(1, 4, &["a warning"]));
    match end {
        "succeeded" => server.status(report_at(4, 4)),
        "failed" => server.status(StatusCall::progress(4, 4).with_hr(HResult::E_ACCESSDENIED)),
        "cancelled" => {
            assert!(tracker.cancel().in_time());
            server.status(StatusCall::progress(4, 4).with_hr(HResult::ERROR_CANCELLED));
        }
        // Strict: a changed denominator is a violation.
        "violation" => server.progress(2, 5),
        "start failed" => server.start_failed(HResult::E_ACCESSDENIED),
        "let go" => {
            drop(server);
            // Made after the server let go: it only reports late calls.
            server = tracker.reporter();
        }
        other => unreachable!("{other}"),
    }
    // Late: none of this reaches a stream.
    server.status(with_messages(4, 4, &["late"]));
    server.start_failed(HResult::E_FAIL);
    assert!(
        !tracker.cancel().in_time(),
        "a cancel after the end is refused"
    );
    drop(server);
}

const ENDS: [&str; 6] = [
    "succeeded",
    "failed",
    "cancelled",
    "violation",
    "start failed",
    "let go",
];

/// Every consumer sees the same updates and then the end once, last, equal to what the
/// waits and the future return: a stream made before, one read eagerly while the server
/// runs, one made after the end, the updates so far and the observer; for every kind of
/// end.
#[test]
fn every_kind_of_end_reaches_every_consumer_once_and_last() {
    for end in ENDS {
        let (tracker, watched) =
            watched(Tracker::builder(OperationKind::GpoReport).rules(Rules::strict()));
        let before = tracker.updates();
        let eager = read_to_end(tracker.updates());
        let future = {
            let future = tracker.outcome();
            thread::spawn(move || block_on(future))
        };
        drive_to(end, &tracker);
        let waited = ended(&tracker);
        let told = watched.all();
        let after = tracker.updates();
        let sequences = [
            ("stream made before", collect(before)),
            ("eager stream", eager.join().unwrap()),
            ("stream made after", collect(after)),
            ("updates so far", tracker.updates_so_far()),
            ("observer", Watched::updates(&told)),
        ];
        let expected = normalized(&sequences[0].1);
        for (consumer, sequence) in &sequences {
            let ends = sequence.iter().filter(|update| update.is_end()).count();
            assert_eq!(ends, 1, "{end}: {consumer} saw the end once: {sequence:?}");
            assert_eq!(
                sequence.last(),
                Some(&Update::End(waited.clone())),
                "{end}: {consumer}"
            );
            assert_eq!(&normalized(sequence), &expected, "{end}: {consumer}");
            assert!(
                !sequence.contains(&message("late")),
                "{end}: {consumer} saw a late call"
            );
        }
        assert_eq!(future.join().unwrap(), waited, "{end}");
        assert_eq!(tracker.try_outcome(), Some(waited.clone()), "{end}");
        assert_eq!(block_on(tracker.outcome()), waited, "{end}");
        // What came after the end: the late call and the late start failure.
        let after = tracker.after_end();
        assert_eq!(after.status_calls, 1, "{end}");
        assert_eq!(after.events.len(), 2, "{end}: {after:?}");
        assert_eq!(after.events[1], Late::StartFailed(HResult::E_FAIL), "{end}");
        // The observer was told of them apart, after the end; not when they came from a
        // reporter made after the server let go (nobody is told of those).
        let late: Vec<Told> = told
            .iter()
            .skip_while(|told| !matches!(told, Told::Update(Update::End(_))))
            .skip(1)
            .cloned()
            .collect();
        let expected: Vec<Told> = match end {
            "let go" => Vec::new(),
            _ => after.events.iter().cloned().map(Told::Late).collect(),
        };
        assert_eq!(late, expected, "{end}");
        match end {
            "succeeded" => {
                assert!(matches!(waited, Ok(ref o) if o.kind() == OutcomeKind::Succeeded))
            }
            "failed" => assert!(matches!(waited, Ok(ref o) if o.kind() == OutcomeKind::Failed)),
            "cancelled" => {
                assert!(matches!(waited, Ok(ref o) if o.kind() == OutcomeKind::Cancelled))
            }
            "violation" => assert!(
                matches!(waited, Err(TrackError::Violation(v)) if v.rule() == Rule::DenominatorChanged)
            ),
            "start failed" => assert_eq!(
                waited,
                Err(TrackError::StartFailed(HResult::E_ACCESSDENIED))
            ),
            _ => assert_eq!(waited, Err(TrackError::Abandoned { calls_received: 2 })),
        }
    }
}

/// A stream made after the end yields the updates up to it, then the end, and stays ended
/// whatever the server does later.
#[test]
fn a_stream_made_after_the_end_stops_at_the_end() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    server.progress(0, 1);
    server.status(report("<r/>"));
    server.progress(1, 1);
    server.status(with_messages(1, 1, &["late"]));
    let mut stream = tracker.updates();
    let end = ended(&tracker);
    assert_eq!(stream.try_next(), Ok(progress(1, 1)));
    assert_eq!(stream.try_next(), Ok(Update::End(end)));
    assert_eq!(stream.try_next(), Err(NoUpdate::Ended));
    server.progress(1, 1);
    assert_eq!(stream.next_timeout(Duration::ZERO), Err(NoUpdate::Ended));
    assert_eq!(collect(stream), []);
    assert_eq!(tracker.after_end().status_calls, 3);
}

/// A start failure and a server letting go reach the observer and the streams as the end,
/// as a finishing call does.
#[test]
fn a_start_failure_and_a_let_go_reach_the_observer_and_the_streams_as_the_end() {
    for failed in [true, false] {
        let (tracker, watched) = watched(Tracker::builder(OperationKind::GpoBackup));
        let mut stream = tracker.updates();
        let server = tracker.reporter();
        if failed {
            server.start_failed(HResult::E_ACCESSDENIED);
        }
        drop(server);
        let end = if failed {
            Err(TrackError::StartFailed(HResult::E_ACCESSDENIED))
        } else {
            Err(TrackError::Abandoned { calls_received: 0 })
        };
        assert_eq!(stream.next_timeout(GUARD), Ok(Update::End(end.clone())));
        assert_eq!(stream.next_timeout(GUARD), Err(NoUpdate::Ended));
        assert_eq!(watched.all(), [Told::Update(Update::End(end))]);
    }
}

// ---------------------------------------------------------------------------------------
// After the end: judged, counted, kept apart
// ---------------------------------------------------------------------------------------

/// A late call arriving while a stream waits does not reach it: the stream's last update is
/// the end, and the call is in the record after the end.
#[test]
fn a_late_call_never_reaches_a_stream() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut stream = tracker.updates();
    server.status(report("<r/>"));
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(1, 1)));
    assert!(matches!(stream.next_timeout(GUARD), Ok(Update::End(Ok(_)))));
    let reader = thread::spawn(move || stream.next_timeout(GUARD));
    server.status(with_messages(1, 1, &["late"]).with_hr(HResult::E_FAIL));
    drop(server);
    assert_eq!(reader.join().unwrap(), Err(NoUpdate::Ended));
    let after = tracker.after_end();
    assert_eq!(after.status_calls, 1);
    assert_eq!(after.not_kept, 0);
    assert_eq!(
        after.events,
        [Late::Status {
            call: 2,
            numerator: 1,
            denominator: 1,
            hr: HResult::E_FAIL
        }]
    );
}

/// After every kind of end, `cancel` returns `false` and records nothing: no update, no
/// trace line.
#[test]
fn cancel_after_each_kind_of_end_returns_false_and_records_nothing() {
    for end in ENDS {
        let trace = SharedBuffer::default();
        let builder = Tracker::builder(OperationKind::GpoReport).rules(Rules::strict());
        #[cfg(feature = "trace")]
        let builder = builder.record(trace.clone());
        let (tracker, watched) = watched(builder);
        drive_to(end, &tracker);
        // Everything was delivered and written once the observer was let go.
        watched.all();
        let before = (tracker.updates_so_far(), tracker.after_end(), trace.text());
        assert!(!tracker.cancel().in_time(), "{end}");
        assert!(!tracker.cancel().in_time(), "{end}");
        assert_eq!(
            (tracker.updates_so_far(), tracker.after_end(), trace.text()),
            before,
            "{end}"
        );
        #[cfg(feature = "trace")]
        {
            let text = trace.text();
            let cancels = text
                .lines()
                .filter(|line| line.contains("\"cancel\""))
                .count();
            assert_eq!(cancels, usize::from(end == "cancelled"), "{end}");
            // The late call is in the trace, unless it came from a reporter made after the
            // server let go.
            let recorded = text.lines().last().unwrap().contains("\"late\"");
            assert_eq!(recorded, end != "let go", "{end}: {text}");
        }
    }
}

/// Once the server let go it stays so: a reporter made later only reports late calls.
#[test]
fn a_revived_reporter_reports_late_calls() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    drop(tracker.reporter());
    let abandoned = Err(TrackError::Abandoned { calls_received: 0 });
    assert_eq!(ended(&tracker), abandoned);
    let revived = tracker.reporter();
    revived.progress(0, 1);
    revived.status(report("<r/>"));
    revived.start_failed(HResult::E_ACCESSDENIED);
    assert!(tracker.is_attached());
    drop(revived);
    assert_eq!(ended(&tracker), abandoned);
    assert_eq!(tracker.updates_so_far(), [Update::End(abandoned)]);
    let after = tracker.after_end();
    assert_eq!(after.status_calls, 2);
    assert_eq!(after.events[2], Late::StartFailed(HResult::E_ACCESSDENIED));
}

/// What the server does after the end goes to the observer as late notifications, after
/// the end; the record keeps the first ones and counts the rest.
#[test]
fn what_comes_after_the_end_is_told_apart_and_bounded() {
    let (tracker, watched) = watched(Tracker::builder(OperationKind::GpoReport));
    let server = tracker.reporter();
    server.status(report("<r/>"));
    let extra = 5;
    for _ in 0..AfterEnd::CAPACITY + extra {
        server.progress(1, 1);
    }
    drop(server);
    let told = watched.all();
    assert!(matches!(
        told[..2],
        [Told::Update(_), Told::Update(Update::End(Ok(_)))]
    ));
    assert_eq!(told.len(), 2 + AfterEnd::CAPACITY);
    assert!(told[2..]
        .iter()
        .all(|told| matches!(told, Told::Late(Late::Status { .. }))));
    let after = tracker.after_end();
    assert_eq!(after.status_calls, (AfterEnd::CAPACITY + extra) as u64);
    assert_eq!(after.events.len(), AfterEnd::CAPACITY);
    assert_eq!(after.not_kept, extra as u64);
    assert!(matches!(after.events[0], Late::Status { call: 2, .. }));
}

/// The trace the tracker recorded for a run with a call after the end names the same end
/// when checked, and the late call as the violation.
#[cfg(feature = "trace")]
#[test]
fn the_trace_of_a_run_with_a_late_call_checks_to_the_same_end() {
    use gpmc_progress::trace::{replay, Verdict};
    let trace = SharedBuffer::default();
    let (tracker, watched) =
        watched(Tracker::builder(OperationKind::GpoReport).record(trace.clone()));
    let server = tracker.reporter();
    server.progress(0, 2);
    server.status(StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>")));
    server.progress(2, 2);
    drop(server);
    let end = ended(&tracker).unwrap();
    watched.all(); // the writer too is done once the observer was let go
    let text = trace.text();
    assert_eq!(text.lines().count(), 4, "{text}");
    match replay(text.as_bytes(), Rules::documented()) {
        Verdict::Violation {
            line,
            violation,
            end: Some(checked),
            ..
        } => {
            assert_eq!(line, 4);
            assert_eq!(violation.rule(), Rule::StatusAfterCompletion);
            assert_eq!(violation.call, 3);
            assert_eq!(checked, end, "the checker names the tracker's end");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        tracker.after_end().events[..],
        [Late::Status { call: 3, .. }]
    ));
    assert_eq!(end.kind(), OutcomeKind::Succeeded);
}

/// `Reporter::is_closed`: true once every tracker handle, stream and future is gone and
/// there is no observer or recorder.
#[test]
fn a_server_learns_when_nobody_listens_any_more() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let stream = tracker.updates();
    let future = tracker.outcome();
    let clone = tracker.clone();
    drop(tracker);
    assert!(!server.is_closed());
    drop((stream, clone));
    assert!(!server.is_closed(), "the future still waits");
    drop(future);
    assert!(server.is_closed());
    // It keeps working.
    server.status(report("<r/>"));

    let (tracker, watched) = watched(Tracker::builder(OperationKind::GpoReport));
    let server = tracker.reporter();
    drop(tracker);
    assert!(!server.is_closed(), "the observer listens");
    server.status(report("<r/>"));
    drop(server);
    assert!(matches!(
        Watched::updates(&watched.all()).last(),
        Some(Update::End(Ok(_)))
    ));
}

// ---------------------------------------------------------------------------------------
// Progress is a latest value; the log is bounded
// ---------------------------------------------------------------------------------------

/// A stream read late skips progress it was not read in time for, but before every other
/// update it gets the progress that came just before it; an eager stream sees more, and
/// both agree once normalized.
#[test]
fn a_late_reader_skips_progress_but_never_the_progress_before_an_update() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut eager = tracker.updates();
    let mut seen = Vec::new();
    let mut read = |stream: &mut Updates| {
        while let Ok(update) = stream.try_next() {
            seen.push(update);
        }
    };
    server.progress(0, 4);
    read(&mut eager);
    server.progress(1, 4);
    read(&mut eager);
    server.progress(2, 4);
    server.status(with_messages(2, 4, &["m"]));
    server.progress(3, 4);
    read(&mut eager);
    server.status(report_at(4, 4));
    read(&mut eager);
    let late = collect(tracker.updates());
    let end = Update::End(ended(&tracker));
    assert_eq!(
        seen,
        [
            progress(0, 4),
            progress(1, 4),
            progress(2, 4),
            message("m"),
            progress(3, 4),
            progress(4, 4),
            end.clone()
        ]
    );
    assert_eq!(late, [progress(2, 4), message("m"), progress(4, 4), end]);
    assert_eq!(normalized(&seen), normalized(&late));
    assert_eq!(tracker.progress(), ProgressFraction::new(4, 4).ok());
}

fn report_at(numerator: i32, denominator: i32) -> StatusCall {
    StatusCall::progress(numerator, denominator).with_result(ResultDescription::text("<r/>"))
}

/// A server that sends a message with every call fills the log: what does not fit is
/// counted and reported as one fault before the end, and progress and the end still come.
#[test]
#[cfg_attr(miri, ignore = "8192 calls and more: too slow interpreted")]
fn a_full_log_reports_what_it_left_out_before_the_end() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let capacity = 8192;
    for _ in 0..capacity + 10 {
        server.status(with_messages(1, 2, &["again"]));
    }
    server.status(report_at(2, 2));
    let updates = tracker.updates_so_far();
    let n = updates.len();
    assert_eq!(
        updates[n - 3..],
        [
            progress(2, 2),
            Update::Fault(Fault::UpdatesDropped(10)),
            Update::End(ended(&tracker))
        ]
    );
    let messages = updates.iter().filter(|u| **u == message("again")).count();
    assert_eq!(messages, capacity);
    // The outcome still holds every message.
    assert_eq!(ended(&tracker).unwrap().messages().len(), capacity + 10);
}

// ---------------------------------------------------------------------------------------
// Waits, the future and the streams
// ---------------------------------------------------------------------------------------

#[test]
fn waiting_times_out_until_the_end() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    assert_eq!(tracker.wait_timeout(Duration::ZERO), None);
    assert_eq!(tracker.try_outcome(), None);
    let server = tracker.reporter();
    server.progress(0, 1);
    assert_eq!(tracker.wait_timeout(Duration::from_millis(1)), None);
    let waiter = {
        let tracker = tracker.clone();
        thread::spawn(move || tracker.wait_timeout(Duration::MAX))
    };
    server.status(report("<r/>"));
    let end = ended(&tracker);
    assert_eq!(waiter.join().unwrap(), Some(end.clone()));
    assert_eq!(tracker.wait(), end);
}

#[test]
fn try_next_and_next_timeout_say_not_yet_then_ended() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let mut stream = tracker.updates();
    assert_eq!(stream.try_next(), Err(NoUpdate::NotYet));
    assert_eq!(
        stream.next_timeout(Duration::from_millis(1)),
        Err(NoUpdate::NotYet)
    );
    let server = tracker.reporter();
    let thread = thread::spawn(move || {
        server.progress(1, 2);
        server.status(report_at(2, 2));
    });
    let mut all = Vec::new();
    loop {
        match stream.next_timeout(GUARD) {
            Ok(update) => all.push(update),
            Err(NoUpdate::Ended) => break,
            Err(_) => panic!("deadlock guard"),
        }
    }
    thread.join().unwrap();
    assert!(matches!(all.last(), Some(Update::End(Ok(_)))));
    assert_eq!(stream.try_next(), Err(NoUpdate::Ended));
    assert_eq!(stream.size_hint(), (0, Some(0)));
}

#[test]
fn the_future_resolves_to_the_end_again_and_again() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut future = tracker.outcome();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    assert!(poll_once(&mut future, &waker).is_pending());
    server.progress(0, 1);
    assert_eq!(counter.count(), 0, "progress does not wake a future");
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 1);
    let end = ended(&tracker);
    assert_eq!(poll_once(&mut future, &waker), Poll::Ready(end.clone()));
    assert_eq!(poll_once(&mut future, &waker), Poll::Ready(end));
}

#[test]
fn plain_progress_wakes_a_waiting_stream() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let mut stream = tracker.updates();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    assert!(poll_next_once(&mut stream, &waker).is_pending());
    server.progress(0, 2);
    assert_eq!(counter.count(), 1);
    assert_eq!(
        poll_next_once(&mut stream, &waker),
        Poll::Ready(Some(progress(0, 2)))
    );
    assert!(poll_next_once(&mut stream, &waker).is_pending());
    server.progress(1, 2);
    assert_eq!(counter.count(), 2);
}

#[test]
fn dropped_futures_and_streams_are_not_woken() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut stream = tracker.updates();
    let mut future = tracker.outcome();
    assert!(poll_next_once(&mut stream, &waker).is_pending());
    assert!(poll_once(&mut future, &waker).is_pending());
    drop((stream, future));
    server.progress(0, 1);
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 0);
}

// ---------------------------------------------------------------------------------------
// The observer
// ---------------------------------------------------------------------------------------

/// The observer runs on a thread of the tracker's own, and has been handed the end by the
/// time `wait` returns.
#[test]
fn the_observer_runs_off_the_servers_thread_and_has_the_end_when_wait_returns() {
    let (tracker, watched) = watched(Tracker::builder(OperationKind::GpoReport));
    let server = tracker.reporter();
    server.progress(0, 1);
    server.status(report("<r/>"));
    let end = ended(&tracker);
    assert_eq!(
        Watched::updates(&watched.told()).last(),
        Some(&Update::End(end)),
        "the observer has the end once it is seen"
    );
    let observer_thread = watched.thread.lock().unwrap().expect("called");
    assert_ne!(observer_thread, thread::current().id());
}

/// A slow observer never holds up the server: its calls return while the observer is
/// blocked, and it is handed the rest afterwards (progress it had no time for skipped).
#[test]
fn a_blocked_observer_never_holds_up_the_server() {
    let (release, blocked) = mpsc::channel::<()>();
    let blocked = Mutex::new(blocked);
    let told = Arc::new(Mutex::new(Vec::new()));
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer({
            let told = Arc::clone(&told);
            move |notification| {
                if let Notification::Update(update) = notification {
                    if told.lock().unwrap().is_empty() {
                        blocked.lock().unwrap().recv().unwrap();
                    }
                    told.lock().unwrap().push(update.clone());
                }
            }
        })
        .build();
    let server = tracker.reporter();
    within_guard(move || {
        for numerator in 0..10_000 {
            server.progress(numerator, 10_000);
        }
        server.status(
            with_messages(10_000, 10_000, &["done"]).with_result(ResultDescription::text("r")),
        );
    });
    assert_eq!(
        tracker.try_outcome(),
        None,
        "the end waits for the observer"
    );
    release.send(()).unwrap();
    let end = ended(&tracker);
    let told = told.lock().unwrap().clone();
    assert!(told.len() <= 4, "progress was skipped: {told:?}");
    assert_eq!(told[told.len() - 2..], [message("done"), Update::End(end)]);
}

#[test]
fn a_panicking_observer_is_dropped_and_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer({
            let calls = Arc::clone(&calls);
            move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                panic!("observer bug");
            }
        })
        .build();
    let server = tracker.reporter();
    server.progress(0, 2);
    let mut stream = tracker.updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(0, 2)));
    assert_eq!(
        stream.next_timeout(GUARD),
        Ok(Update::Fault(Fault::ObserverPanicked(
            "observer bug".into()
        )))
    );
    server.status(report_at(2, 2));
    assert!(ended(&tracker).is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// The observer may request cancel from inside its callback; the request is recorded in
/// its place and handed to the observer in turn.
#[test]
fn the_observer_may_cancel_from_inside_its_callback() {
    let slot: Arc<Mutex<Option<Tracker>>> = Arc::default();
    let told = Arc::new(Mutex::new(Vec::new()));
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer({
            let slot = Arc::clone(&slot);
            let told = Arc::clone(&told);
            move |notification| {
                if let Notification::Update(update) = notification {
                    told.lock().unwrap().push(update.clone());
                    if *update == progress(1, 2) {
                        let tracker = slot.lock().unwrap().take().unwrap();
                        assert!(tracker.cancel().in_time());
                    }
                }
            }
        })
        .build();
    *slot.lock().unwrap() = Some(tracker.clone());
    let server = tracker.reporter();
    server.progress(1, 2);
    let mut stream = tracker.updates();
    assert_eq!(stream.next_timeout(GUARD), Ok(progress(1, 2)));
    assert_eq!(
        stream.next_timeout(GUARD),
        Ok(Update::Event(Event::CancelRequested))
    );
    server.status(StatusCall::progress(2, 2).with_hr(HResult::E_ABORT));
    let end = ended(&tracker);
    assert_eq!(end.as_ref().unwrap().kind(), OutcomeKind::Cancelled);
    assert_eq!(
        *told.lock().unwrap(),
        [
            progress(1, 2),
            Update::Event(Event::CancelRequested),
            progress(2, 2),
            Update::End(end)
        ]
    );
}

/// The observer may own a clone of the tracker: it is dropped once the server let go and it
/// was handed everything, so nothing stays alive.
#[test]
fn an_observer_owning_the_tracker_is_let_go_with_the_server() {
    let slot: Arc<Mutex<Option<Tracker>>> = Arc::default();
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer({
            let slot = Arc::clone(&slot);
            move |_| {
                let _ = (
                    &guard,
                    slot.lock().unwrap().as_ref().map(Tracker::operation),
                );
            }
        })
        .build();
    let weak = {
        let owned = tracker.clone();
        *slot.lock().unwrap() = Some(owned);
        Arc::downgrade(&slot)
    };
    let server = tracker.reporter();
    server.status(report("<r/>"));
    drop(server);
    dropped
        .recv_timeout(GUARD)
        .expect("the observer was let go");
    drop(slot);
    // The observer's other captures are dropped right after the one that told us.
    let deadline = Instant::now() + GUARD;
    while weak.upgrade().is_some() {
        assert!(
            Instant::now() < deadline,
            "the observer's tracker stays alive"
        );
        thread::yield_now();
    }
}

/// Waiting from inside the observer, once it was handed the end, returns it: the observer's
/// own thread sees the end as soon as it is decided. The streams and the updates so far
/// show it once the observer has returned from it.
#[test]
fn the_observer_may_look_at_the_end_it_was_handed() {
    let slot: Arc<Mutex<Option<Tracker>>> = Arc::default();
    let (send, seen) = mpsc::channel();
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer({
            let slot = Arc::clone(&slot);
            move |notification| {
                if let Notification::Update(Update::End(end)) = notification {
                    let tracker = slot.lock().unwrap().take().unwrap();
                    let _ = send.send((
                        end.clone(),
                        tracker.wait(),
                        tracker.try_outcome(),
                        tracker.updates_so_far().last().cloned(),
                    ));
                }
            }
        })
        .build();
    *slot.lock().unwrap() = Some(tracker.clone());
    tracker.reporter().status(report("<r/>"));
    let (told, waited, tried, last) = seen.recv_timeout(GUARD).unwrap();
    assert_eq!(waited, told);
    assert_eq!(tried, Some(told.clone()));
    assert_eq!(last, Some(progress(1, 1)));
    assert_eq!(ended(&tracker), told);
    assert_eq!(tracker.updates_so_far().last(), Some(&Update::End(told)));
}

/// An observer whose drop panics: the panic is caught on the delivery thread and reported
/// after the end; nothing reaches the server.
#[test]
fn an_observer_whose_drop_panics_is_reported_after_the_end() {
    let bomb = DropBomb("observer drop bug");
    let (on_drop, dropped) = mpsc::channel();
    let guard = OnDrop(on_drop);
    let tracker = Tracker::builder(OperationKind::GpoBackup)
        .observer(move |_| {
            let _ = (&guard, &bomb);
        })
        .build();
    let server = tracker.reporter();
    server.progress(0, 2);
    let released = catch_unwind(AssertUnwindSafe(move || drop(server)));
    assert!(released.is_ok(), "the panic reached the server's thread");
    dropped.recv_timeout(GUARD).unwrap();
    let deadline = Instant::now() + GUARD;
    while tracker.after_end().is_empty() {
        assert!(Instant::now() < deadline, "no fault reported");
        thread::yield_now();
    }
    assert_eq!(
        tracker.after_end().events,
        [Late::Fault(Fault::ObserverDropPanicked(
            "observer drop bug".into()
        ))]
    );
    assert_eq!(
        ended(&tracker),
        Err(TrackError::Abandoned { calls_received: 1 })
    );
}

/// A panic whose payload panics when dropped does not escape the engine.
#[test]
fn a_panic_payload_whose_drop_panics_does_not_escape() {
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer(|_| std::panic::panic_any(DropBomb("payload drop bug")))
        .build();
    let server = tracker.reporter();
    server.status(report("<r/>"));
    assert!(ended(&tracker).is_ok());
    assert_eq!(
        tracker.updates_so_far()[1],
        Update::Fault(Fault::ObserverPanicked("a panic without a message".into()))
    );
}

// ---------------------------------------------------------------------------------------
// The trace recorder
// ---------------------------------------------------------------------------------------

#[cfg(feature = "trace")]
mod recorder {
    use super::*;

    /// A writer that fails (or panics) at its `fail_at`-th write.
    struct Breaks {
        writes: usize,
        fail_at: usize,
        panic: bool,
    }

    impl std::io::Write for Breaks {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            if self.writes == self.fail_at {
                assert!(!self.panic, "writer bug");
                return Err(std::io::Error::other("disk full"));
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Every line up to the finishing call is written by the time `wait` returns, each
    /// with its moment (`ms`, never going back).
    #[test]
    fn the_trace_holds_the_run_when_wait_returns() {
        use gpmc_progress::trace::{TraceEvent, TraceReader};
        let trace = SharedBuffer::default();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(trace.clone())
            .build();
        let server = tracker.reporter();
        server.progress(0, 2);
        assert!(tracker.cancel().in_time());
        thread::sleep(Duration::from_millis(5));
        server.status(StatusCall::progress(2, 2).with_hr(HResult::E_ABORT));
        assert_eq!(ended(&tracker).unwrap().kind(), OutcomeKind::Cancelled);
        let text = trace.text();
        let mut reader = TraceReader::new(text.as_bytes());
        let mut lines = Vec::new();
        while let Some(line) = reader.read_line().expect("a valid trace: ms never go back") {
            lines.push(line);
        }
        let events: Vec<&TraceEvent> = lines.iter().map(|line| &line.event).collect();
        assert_eq!(
            events,
            [
                &TraceEvent::Begin {
                    operation: OperationKind::GpoReport
                },
                &TraceEvent::Status(StatusCall::progress(0, 2)),
                &TraceEvent::Cancel,
                &TraceEvent::Status(StatusCall::progress(2, 2).with_hr(HResult::E_ABORT)),
            ],
            "{text}"
        );
        let moments: Vec<u64> = lines
            .iter()
            .map(|line| line.ms.expect("a moment"))
            .collect();
        assert_eq!(moments[0], 0, "{text}");
        assert!(moments[3] >= 5, "the pause is in the trace: {text}");
    }

    /// A writer that fails stops recording for good, reported once; everything else goes on.
    #[test]
    fn a_failing_or_panicking_writer_stops_recording_and_is_reported_once() {
        for panic in [false, true] {
            let tracker = Tracker::builder(OperationKind::GpoReport)
                .record(Breaks {
                    writes: 0,
                    fail_at: 3,
                    panic,
                })
                .build();
            let server = tracker.reporter();
            for numerator in 0..5 {
                server.progress(numerator, 5);
            }
            server.status(report_at(5, 5));
            assert!(ended(&tracker).is_ok());
            let faults: Vec<Update> = tracker
                .updates_so_far()
                .into_iter()
                .filter(|update| matches!(update, Update::Fault(_)))
                .collect();
            let expected = if panic {
                "the writer panicked while writing the status line: writer bug"
            } else {
                "writing the status line: disk full"
            };
            assert_eq!(
                faults,
                [Update::Fault(Fault::RecordingFailed(expected.into()))]
            );
        }
    }

    /// A server faster than a blocked writer waits for it once the queue of lines is full
    /// (1024 lines, plus at most the batch the writer took): its calls do not pile up in
    /// memory. (A server that did not wait would make its 10^4 calls in milliseconds; one
    /// that waits cannot finish until the writer is released.)
    #[test]
    #[cfg_attr(miri, ignore = "thousands of calls: too slow interpreted")]
    fn a_server_waits_for_a_blocked_writer_once_the_queue_is_full() {
        struct Blocked(Arc<Mutex<mpsc::Receiver<()>>>);
        impl std::io::Write for Blocked {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                if bytes.starts_with(b"{\"event\":\"status\"") {
                    // Only the first status line waits (the channel then is empty and
                    // disconnected).
                    let _ = self.0.lock().unwrap().recv();
                }
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (release, released) = mpsc::channel();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(Blocked(Arc::new(Mutex::new(released))))
            .build();
        let server = tracker.reporter();
        let calls: i32 = 10_000;
        let made = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&made);
        let (finished, done) = mpsc::channel();
        thread::spawn(move || {
            for numerator in 0..calls {
                server.progress(numerator, calls);
                counted.fetch_add(1, Ordering::SeqCst);
            }
            server.status(report_at(calls, calls));
            let _ = finished.send(());
        });
        assert_eq!(
            done.recv_timeout(Duration::from_millis(300)),
            Err(mpsc::RecvTimeoutError::Timeout),
            "the server did not wait for the writer"
        );
        let waiting_at = made.load(Ordering::SeqCst);
        assert!(waiting_at <= 2 * 1024 + 1, "{waiting_at} calls made");
        drop(release);
        done.recv_timeout(GUARD)
            .expect("the server finished once released");
        assert!(ended(&tracker).is_ok());
    }

    /// A writer slower than the server loses no line: the server waits for it once the
    /// queue of lines is full.
    #[test]
    fn a_writer_slower_than_the_server_loses_no_line() {
        #[derive(Clone)]
        struct Slow(SharedBuffer);
        impl std::io::Write for Slow {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                thread::yield_now();
                self.0.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let trace = SharedBuffer::default();
        let tracker = Tracker::builder(OperationKind::GpoReport)
            .record(Slow(trace.clone()))
            .build();
        let server = tracker.reporter();
        let calls = if cfg!(miri) { 40 } else { 5_000 };
        for numerator in 0..calls {
            server.progress(numerator, calls);
        }
        server.status(report_at(calls, calls));
        assert!(ended(&tracker).is_ok());
        assert_eq!(trace.text().lines().count(), calls as usize + 2);
    }
}

// ---------------------------------------------------------------------------------------
// Wakers that panic
// ---------------------------------------------------------------------------------------

/// A waker that panics when woken: the fault is reported, and every other waiting task is
/// still woken, a stream that re-armed after the fault included.
#[test]
fn a_waker_that_panics_is_reported_and_wakes_no_fewer_tasks() {
    let tracker = Tracker::new(OperationKind::GpoReport);
    let server = tracker.reporter();
    let bad = Waker::from(Arc::new(PanicOnWake));
    let counter = Arc::new(Counter::default());
    let good = Waker::from(Arc::clone(&counter));
    let mut first = tracker.updates();
    let mut second = tracker.updates();
    assert!(poll_next_once(&mut first, &bad).is_pending());
    assert!(poll_next_once(&mut second, &good).is_pending());
    let answered = catch_unwind(AssertUnwindSafe(|| server.progress(0, 2)));
    assert!(answered.is_ok(), "the waker's panic reached the server");
    assert_eq!(counter.count(), 1, "the good stream was woken");
    let fault = Update::Fault(Fault::WakePanicked("waker bug".into()));
    assert_eq!(
        poll_next_once(&mut second, &good),
        Poll::Ready(Some(progress(0, 2)))
    );
    assert_eq!(
        poll_next_once(&mut second, &good),
        Poll::Ready(Some(fault.clone()))
    );
    // Re-armed after the fault: woken by the next change.
    assert!(poll_next_once(&mut second, &good).is_pending());
    server.progress(1, 2);
    assert_eq!(counter.count(), 2, "the re-armed stream was woken");
    let mut rest = Vec::new();
    server.status(report_at(2, 2));
    while let Poll::Ready(Some(update)) = poll_next_once(&mut first, &good) {
        rest.push(update);
    }
    assert_eq!(rest[..2], [progress(0, 2), fault]);
    assert!(matches!(rest.last(), Some(Update::End(Ok(_)))));
}

/// A waker whose drop panics when the task polls again with another waker: the new waker
/// is still registered and woken, and the old one's panic is reported.
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
        "the panic reached the poll"
    );
    server.status(report("<r/>"));
    assert_eq!(counter.count(), 1, "the new waker was woken");
    assert!(matches!(poll_once(&mut future, &good), Poll::Ready(Ok(_))));
    assert_eq!(
        tracker.updates_so_far()[0],
        Update::Fault(Fault::WakePanicked("waker drop bug".into()))
    );
}

/// Holds an `Updates` stream and drops it when the waker is dropped.
struct DropsAStream(Mutex<Option<Updates>>);

impl Wake for DropsAStream {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropsAStream {
    fn drop(&mut self) {
        drop(self.0.lock().unwrap().take());
    }
}

/// A waker whose drop drops an `Updates` stream (which takes the tracker's lock): dropped
/// while the tracker wakes it and when a task polls with another waker. No deadlock.
#[test]
fn a_waker_whose_drop_drops_a_stream_does_not_deadlock() {
    within_guard(|| {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let server = tracker.reporter();
        let mut future = tracker.outcome();
        let waker = Waker::from(Arc::new(DropsAStream(Mutex::new(Some(tracker.updates())))));
        assert!(poll_once(&mut future, &waker).is_pending());
        drop(waker);
        server.progress(0, 2);
        let waker = Waker::from(Arc::new(DropsAStream(Mutex::new(Some(tracker.updates())))));
        assert!(poll_once(&mut future, &waker).is_pending());
        drop(waker);
        assert!(poll_once(&mut future, &Waker::from(Arc::new(Counter::default()))).is_pending());
        drop(future);
        server.status(report_at(2, 2));
        tracker.wait().map(|outcome| outcome.kind())
    })
    .map(|kind| assert_eq!(kind, OutcomeKind::Succeeded))
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------

/// Server threads reporting at once, with an observer, streams, a future and a waiter:
/// every consumer ends with the same end, and agrees on the updates once normalized.
#[test]
fn threads_reporting_at_once_agree_with_every_consumer() {
    let calls: i32 = if cfg!(miri) { 20 } else { 2_000 };
    let (tracker, watched) = watched(Tracker::builder(OperationKind::GpoReport));
    let streams: Vec<_> = (0..2)
        .map(|_| {
            let stream = tracker.updates();
            thread::spawn(move || collect(stream))
        })
        .collect();
    let future = {
        let future = tracker.outcome();
        thread::spawn(move || block_on(future))
    };
    let servers: Vec<_> = (0..3)
        .map(|thread_index| {
            let server = tracker.reporter();
            thread::spawn(move || {
                for numerator in 0..calls {
                    server.progress(numerator, calls);
                    if numerator % 500 == thread_index {
                        server.status(with_messages(numerator, calls, &["m"]));
                    }
                }
                server
            })
        })
        .collect();
    let servers: Vec<_> = servers.into_iter().map(|s| s.join().unwrap()).collect();
    servers[0].status(report_at(calls, calls));
    drop(servers);
    let end = ended(&tracker);
    let observed = Watched::updates(&watched.all());
    let expected = normalized(&observed);
    for stream in streams {
        assert_eq!(normalized(&stream.join().unwrap()), expected);
    }
    assert_eq!(normalized(&tracker.updates_so_far()), expected);
    assert_eq!(future.join().unwrap(), end.clone());
    assert_eq!(expected.last(), Some(&Update::End(end)));
}

/// An observer that never ran (no reporter was ever made) and whose drop panics: dropped
/// with the last tracker handle, the panic caught.
#[test]
fn an_observer_that_never_ran_is_dropped_with_the_tracker() {
    let bomb = DropBomb("observer drop bug");
    let tracker = Tracker::builder(OperationKind::GpoReport)
        .observer(move |_| {
            let _ = &bomb;
        })
        .build();
    let clone = tracker.clone();
    assert!(tracker.cancel().in_time());
    let dropped = catch_unwind(AssertUnwindSafe(move || drop((tracker, clone))));
    assert!(dropped.is_ok(), "the observer's drop panic escaped");
}
