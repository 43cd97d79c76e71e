//! One truth under racing threads. 1 to 4 server threads report `Status` calls, cancel
//! requests, start failures and let go, in random interleavings, while consumers attach at
//! random moments (a stream read eagerly from the start, one made midway by a server thread,
//! one made after the end, the updates so far, the observer, a future): every consumer sees
//! the same updates and the same end, equal to a plain `StatusMachine` fed the inputs in the
//! order the engine judged them. That order is the recorder's trace, which must be an
//! interleaving of what each thread sent (cancel requests after the end are refused, so not
//! recorded). Then a bounded stress test of racing ends, natively in CI.
#![cfg(all(feature = "live", feature = "trace", not(miri)))]

mod live_support;
mod trace_buffer;

use live_support::{judge, normalized, read_to_end};
use trace_buffer::SharedBuffer;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use gpmc_progress::live::{Late, Notification, TrackError, Tracker, Update};
use gpmc_progress::trace::{TraceEvent, TraceReader};
use gpmc_progress::{
    HResult, Input, OperationKind, OperationOutcome, ResultDescription, Rules, StatusCall,
    StatusMessage,
};
use proptest::prelude::*;

const GUARD: Duration = Duration::from_secs(60);

type End = Result<OperationOutcome, TrackError>;

/// One step of a server thread.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Status(StatusCall),
    Cancel,
    StartFailed(HResult),
    /// Drops the thread's reporter; the thread stops.
    LetGo,
    /// Makes a stream, read to its end on a thread of its own.
    Watch,
    Yield,
}

fn status_call() -> impl Strategy<Value = StatusCall> {
    let fraction = prop_oneof![
        6 => (0..=4i32).prop_map(|numerator| (numerator, 4)),
        1 => (0..=3i32, 2..=3i32).prop_map(|(n, d)| (n, d)),
        1 => (-1..=5i32, -1..=5i32),
    ];
    let hr = prop_oneof![
        8 => Just(HResult::S_OK),
        1 => Just(HResult::E_FAIL),
        1 => Just(HResult::ERROR_CANCELLED),
    ];
    let result = prop_oneof![
        6 => Just(None),
        2 => Just(Some(ResultDescription::text("<report/>"))),
        1 => Just(Some(ResultDescription::Gpo { id: None, display_name: None, domain: None })),
    ];
    let messages = prop_oneof![
        6 => Just(None),
        1 => Just(Some(Vec::new())),
        2 => "[a-z]{1,3}".prop_map(|text| Some(vec![StatusMessage::new(text)])),
    ];
    (fraction, hr, result, messages).prop_map(|((numerator, denominator), hr, result, messages)| {
        StatusCall::new(numerator, denominator, hr, result, messages)
    })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => status_call().prop_map(Step::Status),
        2 => Just(Step::Cancel),
        1 => prop_oneof![Just(HResult::E_ACCESSDENIED), Just(HResult::E_FAIL)].prop_map(Step::StartFailed),
        1 => Just(Step::LetGo),
        1 => Just(Step::Watch),
        3 => Just(Step::Yield),
    ]
}

fn threads() -> impl Strategy<Value = Vec<Vec<Step>>> {
    prop::collection::vec(prop::collection::vec(step(), 0..10), 1..=4)
}

fn rules() -> impl Strategy<Value = Rules> {
    prop_oneof![Just(Rules::documented()), Just(Rules::strict())]
}

fn operation() -> impl Strategy<Value = OperationKind> {
    prop_oneof![
        Just(OperationKind::GpoReport),
        Just(OperationKind::GpoImport),
        Just(OperationKind::Unknown),
    ]
}

/// A trace writer that says when it was dropped: every line is written then.
struct Closing {
    buffer: SharedBuffer,
    _closed: mpsc::Sender<()>,
}

impl std::io::Write for Closing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What one run gave.
struct Run {
    /// What each consumer saw, named.
    seen: Vec<(&'static str, Vec<Update>)>,
    end: End,
    /// The judged inputs, from the trace.
    traced: Vec<Input>,
    late: Vec<Late>,
    late_calls: u64,
    cancels_recorded: usize,
    observer_late: Vec<Late>,
}

fn run_live(operation: OperationKind, rules: Rules, threads: &[Vec<Step>]) -> Run {
    let trace = SharedBuffer::default();
    let (closed, trace_closed) = mpsc::channel();
    let told: Arc<Mutex<Vec<Notified>>> = Arc::default();
    let tracker = Tracker::builder(operation)
        .rules(rules)
        .record(Closing {
            buffer: trace.clone(),
            _closed: closed,
        })
        .observer({
            let told = Arc::clone(&told);
            move |notification| {
                told.lock().unwrap().push(match notification {
                    Notification::Update(update) => Notified::Update(update.clone()),
                    Notification::Late(late) => Notified::Late(late.clone()),
                    _ => unreachable!(),
                })
            }
        })
        .build();
    let eager = read_to_end(tracker.updates());
    let future = {
        let future = tracker.outcome();
        thread::spawn(move || futures_lite_block_on(future))
    };
    let cancels_recorded = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(threads.len()));
    let handles: Vec<_> = threads
        .iter()
        .cloned()
        .map(|steps| {
            let server = tracker.reporter();
            let client = tracker.clone();
            let start = Arc::clone(&start);
            let cancels = Arc::clone(&cancels_recorded);
            thread::spawn(move || {
                let mut watchers = Vec::new();
                start.wait();
                for step in steps {
                    match step {
                        Step::Status(call) => send(&server, call),
                        Step::Cancel => {
                            if client.cancel().in_time() {
                                cancels.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Step::StartFailed(hr) => server.start_failed(hr),
                        Step::LetGo => break,
                        Step::Watch => watchers.push(read_to_end(client.updates())),
                        Step::Yield => thread::yield_now(),
                    }
                }
                drop(server);
                watchers
            })
        })
        .collect();
    let watchers: Vec<_> = handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect();
    let end = tracker
        .wait_timeout(GUARD)
        .expect("the end (deadlock guard)");
    // The writer's sender is dropped with it: every line is written then.
    assert_eq!(
        trace_closed.recv_timeout(GUARD),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "the writer let go (deadlock guard)"
    );
    let mut seen = vec![
        ("eager stream", eager.join().unwrap()),
        (
            "stream made after the end",
            read_to_end(tracker.updates()).join().unwrap(),
        ),
        ("updates so far", tracker.updates_so_far()),
        ("observer", updates_of(&told.lock().unwrap())),
    ];
    for watcher in watchers {
        seen.push(("stream made midway", watcher.join().unwrap()));
    }
    assert_eq!(future.join().unwrap(), end, "the future");
    assert_eq!(tracker.try_outcome(), Some(end.clone()), "try_outcome");
    let text = trace.text();
    let mut reader = TraceReader::new(text.as_bytes());
    let traced: Vec<Input> = std::iter::from_fn(|| reader.read_line().expect("a valid trace"))
        .filter_map(|line| match line.event {
            TraceEvent::Begin { .. } => None,
            event => event.into_input(),
        })
        .collect();
    let after = tracker.after_end();
    let observer_late = told
        .lock()
        .unwrap()
        .iter()
        .filter_map(|told| match told {
            Notified::Late(late) => Some(late.clone()),
            Notified::Update(_) => None,
        })
        .collect();
    Run {
        seen,
        end,
        traced,
        late: after.events,
        late_calls: after.status_calls,
        cancels_recorded: cancels_recorded.load(Ordering::SeqCst),
        observer_late,
    }
}

#[derive(Debug, Clone)]
enum Notified {
    Update(Update),
    Late(Late),
}

fn updates_of(told: &[Notified]) -> Vec<Update> {
    told.iter()
        .filter_map(|told| match told {
            Notified::Update(update) => Some(update.clone()),
            Notified::Late(_) => None,
        })
        .collect()
}

/// A call through the entry a server would use: the progress-only one for plain calls.
fn send(server: &gpmc_progress::live::Reporter, call: StatusCall) {
    if call.result.is_none() && call.messages.is_none() && call.hr == HResult::S_OK {
        server.progress(call.numerator, call.denominator);
    } else {
        server.status(call);
    }
}

/// Polls a future on this thread, parking between polls.
fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        thread::park_timeout(GUARD);
    }
}

/// The threads' inputs as the trace can hold them: `Status` calls and cancel requests.
fn inputs_of(steps: &[Step]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for step in steps {
        match step {
            Step::Status(call) => inputs.push(Input::Status(call.clone())),
            Step::Cancel => inputs.push(Input::Cancel),
            Step::LetGo => break,
            _ => {}
        }
    }
    inputs
}

/// Whether `traced` is an interleaving of the threads' inputs, each thread's in its order;
/// a cancel request may be missing (refused after the end).
fn is_interleaving(traced: &[Input], threads: &[Vec<Input>]) -> bool {
    fn search(
        traced: &[Input],
        threads: &[Vec<Input>],
        at: &mut Vec<usize>,
        done: usize,
        failed: &mut HashSet<(Vec<usize>, usize)>,
    ) -> bool {
        if done == traced.len() {
            return at
                .iter()
                .zip(threads)
                .all(|(at, inputs)| inputs[*at..].iter().all(|i| *i == Input::Cancel));
        }
        if !failed.insert((at.clone(), done)) {
            return false;
        }
        for thread in 0..threads.len() {
            let here = at[thread];
            let Some(input) = threads[thread].get(here) else {
                continue;
            };
            if *input == traced[done] {
                at[thread] += 1;
                if search(traced, threads, at, done + 1, failed) {
                    return true;
                }
                at[thread] -= 1;
            }
            if *input == Input::Cancel {
                at[thread] += 1;
                if search(traced, threads, at, done, failed) {
                    return true;
                }
                at[thread] -= 1;
            }
        }
        false
    }
    search(
        traced,
        threads,
        &mut vec![0; threads.len()],
        0,
        &mut HashSet::new(),
    )
}

/// Checks one run against a plain machine fed its judged order.
fn check(
    operation: OperationKind,
    rules: Rules,
    threads: &[Vec<Step>],
    run: &Run,
) -> Result<(), TestCaseError> {
    let inputs: Vec<Vec<Input>> = threads.iter().map(|steps| inputs_of(steps)).collect();
    prop_assert!(
        is_interleaving(&run.traced, &inputs),
        "not an interleaving: {:?}",
        run.traced
    );
    let cancels = run.traced.iter().filter(|i| **i == Input::Cancel).count();
    prop_assert_eq!(
        cancels,
        run.cancels_recorded,
        "a recorded cancel is a true cancel()"
    );
    // The calls before the end are the first ones; the rest were late.
    let statuses = run
        .traced
        .iter()
        .filter(|i| matches!(i, Input::Status(_)))
        .count() as u64;
    let before_end = statuses - run.late_calls;
    let mut seen_statuses = 0;
    let mut late_traced = Vec::new();
    let judged_inputs: Vec<Input> = run
        .traced
        .iter()
        .filter(|input| match input {
            Input::Status(call) => {
                seen_statuses += 1;
                if seen_statuses > before_end {
                    late_traced.push((call.numerator, call.denominator, call.hr));
                    return false;
                }
                true
            }
            _ => true,
        })
        .cloned()
        .collect();
    let judged = judge(operation, rules, judged_inputs);
    prop_assert_eq!(judged.late_calls, 0);
    let expected = match &judged.end {
        Some(end) => {
            prop_assert_eq!(&run.end, end);
            judged.updates.clone()
        }
        None => {
            match &run.end {
                Err(TrackError::Abandoned { calls_received }) => {
                    prop_assert_eq!(*calls_received, before_end)
                }
                Err(TrackError::StartFailed(hr)) => prop_assert!(threads
                    .iter()
                    .flatten()
                    .any(|step| *step == Step::StartFailed(*hr))),
                other => prop_assert!(false, "an end the machine did not decide: {:?}", other),
            }
            let mut updates = judged.updates.clone();
            updates.push(Update::End(run.end.clone()));
            updates
        }
    };
    for (consumer, sequence) in &run.seen {
        prop_assert_eq!(&normalized(sequence), &expected, "{}", consumer);
        prop_assert_eq!(
            sequence.iter().filter(|u| u.is_end()).count(),
            1,
            "{}",
            consumer
        );
    }
    // The late calls are the trace's last ones, in order; the observer was told of what
    // came after the end (none of it came from a reporter made after the server let go).
    let late_kept: Vec<(i32, i32, HResult)> = run
        .late
        .iter()
        .filter_map(|late| match late {
            Late::Status {
                numerator,
                denominator,
                hr,
                ..
            } => Some((*numerator, *denominator, *hr)),
            _ => None,
        })
        .collect();
    prop_assert_eq!(late_kept, late_traced);
    prop_assert_eq!(&run.observer_late, &run.late);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_consumer_sees_what_a_plain_machine_sees_in_judged_order(
        operation in operation(),
        rules in rules(),
        threads in threads(),
    ) {
        let run = run_live(operation, rules, &threads);
        check(operation, rules, &threads, &run)?;
    }
}

/// Racing ends, many times: one thread finishes, another breaks a rule, fails to start or
/// lets go at the same moment. Whichever wins, every consumer agrees on it, and the loser
/// is late.
#[test]
fn racing_ends_agree_every_time() {
    let iterations = 10_000;
    for iteration in 0..iterations {
        let other = match iteration % 3 {
            0 => Step::Status(StatusCall::progress(1, 3)),
            1 => Step::StartFailed(HResult::E_ACCESSDENIED),
            _ => Step::LetGo,
        };
        let finishing = StatusCall::progress(2, 2).with_result(ResultDescription::text("<r/>"));
        let threads = vec![
            vec![
                Step::Status(StatusCall::progress(1, 2)),
                Step::Status(finishing),
            ],
            vec![Step::Yield, other],
        ];
        let run = run_live(OperationKind::GpoReport, Rules::strict(), &threads);
        if let Err(error) = check(OperationKind::GpoReport, Rules::strict(), &threads, &run) {
            panic!("iteration {iteration}: {error}");
        }
    }
}
