//! `live_engine`: the live engine's single-threaded operations in any order, beside a plain
//! [`StatusMachine`] fed the same `Status` calls and cancel requests the way the engine
//! judges them (the first end decides; what comes after it is late).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use futures_core::Stream;
use gpmc_progress::live::{
    NoUpdate, OutcomeFuture, Reporter, TrackError, Tracker, Update, Updates,
};
use gpmc_progress::{
    Event, HResult, OperationKind, OperationOutcome, Rules, StatusCall, StatusMachine,
};

/// One operation on the engine's handles. Indices pick among the live handles of that kind
/// (modulo their number); an operation on a kind with no live handle does nothing.
#[derive(Debug, Clone)]
pub enum Op {
    NewReporter,
    CloneReporter(u8),
    DropReporter(u8),
    Status(u8, StatusCall),
    /// Looks at what came after the end.
    AfterEnd,
    Progress(u8, i32, i32),
    ProgressWithHr(u8, i32, i32, HResult),
    Cancel,
    StartFailed(u8, HResult),
    CloneTracker,
    DropTracker(u8),
    NewFuture,
    PollFuture(u8),
    DropFuture(u8),
    NewStream,
    PollStream(u8),
    TryNextStream(u8),
    DropStream(u8),
    TryOutcome,
    Inspect,
}

const OPS: u8 = 20;

#[derive(Debug, Clone)]
pub struct LiveInput {
    pub operation: OperationKind,
    pub rules: Rules,
    pub ops: Vec<Op>,
}

const MAX_OPS: usize = 256;

impl<'a> Arbitrary<'a> for LiveInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let (operation, rules) = crate::header(u);
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            let b = crate::byte;
            ops.push(match crate::byte(u) % OPS {
                0 => Op::NewReporter,
                1 => Op::CloneReporter(b(u)),
                2 => Op::DropReporter(b(u)),
                3 => Op::Status(b(u), crate::call(u)),
                4 => Op::AfterEnd,
                5 => Op::Progress(b(u), crate::number(u), crate::number(u)),
                6 => {
                    Op::ProgressWithHr(b(u), crate::number(u), crate::number(u), crate::hresult(u))
                }
                7 => Op::Cancel,
                8 => Op::StartFailed(b(u), crate::hresult(u)),
                9 => Op::CloneTracker,
                10 => Op::DropTracker(b(u)),
                11 => Op::NewFuture,
                12 => Op::PollFuture(b(u)),
                13 => Op::DropFuture(b(u)),
                14 => Op::NewStream,
                15 => Op::PollStream(b(u)),
                16 => Op::TryNextStream(b(u)),
                17 => Op::DropStream(b(u)),
                18 => Op::TryOutcome,
                _ => Op::Inspect,
            });
        }
        Ok(LiveInput {
            operation,
            rules,
            ops,
        })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

impl LiveInput {
    /// The bytes that decode to this input (the seed corpus's encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        crate::encode_header(&mut out, self.operation, self.rules);
        for op in &self.ops {
            match op {
                Op::NewReporter => out.push(0),
                Op::CloneReporter(i) => out.extend([1, *i]),
                Op::DropReporter(i) => out.extend([2, *i]),
                Op::Status(i, call) => {
                    out.extend([3, *i]);
                    crate::encode_call(&mut out, call);
                }
                Op::AfterEnd => out.push(4),
                Op::Progress(i, n, d) => {
                    out.extend([5, *i]);
                    crate::encode_number(&mut out, *n);
                    crate::encode_number(&mut out, *d);
                }
                Op::ProgressWithHr(i, n, d, hr) => {
                    out.extend([6, *i]);
                    crate::encode_number(&mut out, *n);
                    crate::encode_number(&mut out, *d);
                    crate::encode_hresult(&mut out, *hr);
                }
                Op::Cancel => out.push(7),
                Op::StartFailed(i, hr) => {
                    out.extend([8, *i]);
                    crate::encode_hresult(&mut out, *hr);
                }
                Op::CloneTracker => out.push(9),
                Op::DropTracker(i) => out.extend([10, *i]),
                Op::NewFuture => out.push(11),
                Op::PollFuture(i) => out.extend([12, *i]),
                Op::DropFuture(i) => out.extend([13, *i]),
                Op::NewStream => out.push(14),
                Op::PollStream(i) => out.extend([15, *i]),
                Op::TryNextStream(i) => out.extend([16, *i]),
                Op::DropStream(i) => out.extend([17, *i]),
                Op::TryOutcome => out.push(18),
                Op::Inspect => out.push(19),
            }
        }
        out
    }
}

type Decision = Result<OperationOutcome, TrackError>;

/// What the engine should have done, from a plain state machine fed the same inputs.
struct Expected {
    machine: StatusMachine,
    /// Every update, progress unmerged, ending with the end once decided.
    log: Vec<Update>,
    decision: Option<Decision>,
    reporters: usize,
    let_go: bool,
    late_calls: u64,
    late_events: usize,
}

impl Expected {
    fn decide(&mut self, decision: Decision) {
        if self.decision.is_none() {
            self.log.push(Update::End(decision.clone()));
            self.decision = Some(decision);
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            if !matches!(event, Event::Finished(_)) {
                self.log.push(Update::Event(event));
            }
        }
    }

    fn status(&mut self, call: StatusCall) {
        if self.decision.is_some() {
            self.late_calls += 1;
            self.late_events += 1;
            return;
        }
        let verdict = self.machine.handle_status(call);
        self.drain();
        match verdict {
            Ok(accepted) => {
                if accepted.finished.is_some() {
                    let outcome = self.machine.outcome().expect("finished").clone();
                    self.decide(Ok(outcome));
                }
            }
            Err(violation) => self.decide(Err(TrackError::Violation(violation))),
        }
    }

    fn start_failed(&mut self, hr: HResult) {
        if self.decision.is_some() {
            self.late_events += 1;
        } else {
            self.decide(Err(TrackError::StartFailed(hr)));
        }
    }

    fn cancel(&mut self) -> bool {
        if self.decision.is_some() {
            return false;
        }
        let recorded = self.machine.handle_cancel();
        self.drain();
        recorded
    }

    fn drop_reporter(&mut self) {
        self.reporters -= 1;
        if self.reporters == 0 && !self.let_go {
            self.let_go = true;
            let calls_received = self.machine.calls_received();
            self.decide(Err(TrackError::Abandoned { calls_received }));
        }
    }

    /// The last progress accepted before the end.
    fn progress(&self) -> Option<gpmc_progress::ProgressFraction> {
        self.log.iter().rev().find_map(|update| match update {
            Update::Event(Event::Progress(progress)) => Some(*progress),
            _ => None,
        })
    }
}

type Segment<'a> = (Vec<&'a Update>, Option<&'a Update>);

/// The updates cut after each non-progress one: the progress before it, and it.
fn segments(updates: &[Update]) -> Vec<Segment<'_>> {
    let mut segments: Vec<Segment<'_>> = vec![(Vec::new(), None)];
    for update in updates {
        if matches!(update, Update::Event(Event::Progress(_))) {
            segments.last_mut().expect("one").0.push(update);
        } else {
            segments.last_mut().expect("one").1 = Some(update);
            segments.push((Vec::new(), None));
        }
    }
    segments
}

/// `got` is what the engine's log (or a stream) gave, `expected` every update unmerged.
/// Every non-progress update is there, once, in order (all of them when `complete`, else a
/// prefix); between two of them the progress updates are some of the expected ones, in
/// order, ending with the latest one whenever something followed it.
fn consistent(got: &[Update], expected: &[Update], complete: bool) {
    let got_segments = segments(got);
    let expected_segments = segments(expected);
    if complete {
        assert_eq!(
            got_segments.len(),
            expected_segments.len(),
            "{got:?} vs {expected:?}"
        );
    } else {
        assert!(
            got_segments.len() <= expected_segments.len(),
            "{got:?} vs {expected:?}"
        );
    }
    for (got_segment, expected_segment) in got_segments.iter().zip(&expected_segments) {
        if let Some(update) = &got_segment.1 {
            assert_eq!(
                Some(update),
                expected_segment.1.as_ref(),
                "{got:?} vs {expected:?}"
            );
        }
        // Progress: an ordered subsequence.
        let mut rest = expected_segment.0.iter();
        for progress in &got_segment.0 {
            assert!(
                rest.any(|candidate| candidate == progress),
                "{got:?} vs {expected:?}"
            );
        }
        if got_segment.1.is_some() || complete {
            assert_eq!(
                got_segment.0.last(),
                expected_segment.0.last(),
                "{got:?} vs {expected:?}"
            );
        }
    }
}

struct StreamState {
    stream: Updates,
    seen: Vec<Update>,
    ended: bool,
}

struct FutureState {
    future: OutcomeFuture,
    resolved: Option<Decision>,
}

fn pick<T>(items: &mut [T], index: u8) -> Option<&mut T> {
    let len = items.len();
    if len == 0 {
        None
    } else {
        items.get_mut(usize::from(index) % len)
    }
}

fn remove<T>(items: &mut Vec<T>, index: u8) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        let len = items.len();
        Some(items.remove(usize::from(index) % len))
    }
}

/// No panic; one decision, the same wherever it is looked at and never changing; nothing
/// lost: every update in order in the log and in every stream, compared with a plain
/// state machine fed the same inputs.
pub fn check(input: LiveInput) {
    let tracker = Tracker::builder(input.operation).rules(input.rules).build();
    let mut trackers = vec![tracker];
    let mut reporters: Vec<Reporter> = Vec::new();
    let mut futures: Vec<FutureState> = Vec::new();
    let mut streams: Vec<StreamState> = Vec::new();
    let mut expected = Expected {
        machine: StatusMachine::new(input.operation, input.rules),
        log: Vec::new(),
        decision: None,
        reporters: 0,
        let_go: false,
        late_calls: 0,
        late_events: 0,
    };
    let mut cx = Context::from_waker(Waker::noop());

    for op in input.ops {
        let tracker = trackers[0].clone();
        match op {
            Op::NewReporter => {
                reporters.push(tracker.reporter());
                expected.reporters += 1;
            }
            Op::CloneReporter(i) => {
                if let Some(reporter) = pick(&mut reporters, i) {
                    let clone = reporter.clone();
                    reporters.push(clone);
                    expected.reporters += 1;
                }
            }
            Op::DropReporter(i) => {
                if let Some(reporter) = remove(&mut reporters, i) {
                    drop(reporter);
                    expected.drop_reporter();
                }
            }
            Op::Status(i, call) => {
                if let Some(reporter) = pick(&mut reporters, i) {
                    reporter.status(call.clone());
                    expected.status(call);
                }
            }
            Op::AfterEnd => {
                let after = tracker.after_end();
                assert_eq!(after.status_calls, expected.late_calls);
                assert_eq!(after.events.len(), expected.late_events);
            }
            Op::Progress(i, numerator, denominator) => {
                if let Some(reporter) = pick(&mut reporters, i) {
                    reporter.progress(numerator, denominator);
                    expected.status(StatusCall::progress(numerator, denominator));
                }
            }
            Op::ProgressWithHr(i, numerator, denominator, hr) => {
                if let Some(reporter) = pick(&mut reporters, i) {
                    let call = StatusCall::progress(numerator, denominator).with_hr(hr);
                    reporter.status(call.clone());
                    expected.status(call);
                }
            }
            Op::Cancel => {
                assert_eq!(tracker.cancel().in_time(), expected.cancel());
            }
            Op::StartFailed(i, hr) => {
                if let Some(reporter) = pick(&mut reporters, i) {
                    reporter.start_failed(hr);
                    expected.start_failed(hr);
                }
            }
            Op::CloneTracker => trackers.push(tracker.clone()),
            Op::DropTracker(i) => {
                // The first handle stays, so that the log is kept.
                if trackers.len() > 1 {
                    let len = trackers.len() - 1;
                    drop(trackers.remove(1 + usize::from(i) % len));
                }
            }
            Op::NewFuture => futures.push(FutureState {
                future: tracker.outcome(),
                resolved: None,
            }),
            Op::PollFuture(i) => {
                if let Some(state) = pick(&mut futures, i) {
                    match Pin::new(&mut state.future).poll(&mut cx) {
                        Poll::Ready(decision) => {
                            assert_eq!(Some(&decision), expected.decision.as_ref());
                            if let Some(before) = &state.resolved {
                                assert_eq!(before, &decision);
                            }
                            state.resolved = Some(decision);
                        }
                        Poll::Pending => {
                            assert!(expected.decision.is_none());
                            assert!(state.resolved.is_none());
                        }
                    }
                }
            }
            Op::DropFuture(i) => drop(remove(&mut futures, i)),
            Op::NewStream => streams.push(StreamState {
                stream: tracker.updates(),
                seen: Vec::new(),
                ended: false,
            }),
            Op::PollStream(i) | Op::TryNextStream(i) => {
                let by_poll = matches!(op, Op::PollStream(_));
                if let Some(state) = pick(&mut streams, i) {
                    let next = if by_poll {
                        match Pin::new(&mut state.stream).poll_next(&mut cx) {
                            Poll::Ready(next) => Some(next),
                            Poll::Pending => None,
                        }
                    } else {
                        match state.stream.try_next() {
                            Ok(update) => Some(Some(update)),
                            Err(NoUpdate::Ended) => Some(None),
                            Err(_) => None,
                        }
                    };
                    match next {
                        Some(Some(update)) => {
                            assert!(!state.ended, "an update after the end");
                            assert!(
                                !state.seen.last().is_some_and(Update::is_end),
                                "an update after the end update"
                            );
                            // Checked in full when the stream is caught up, ends or is dropped.
                            state.seen.push(update);
                        }
                        Some(None) => {
                            assert!(expected.decision.is_some());
                            if !state.ended {
                                // It ended: everything up to now was yielded.
                                consistent(&state.seen, &expected.log, true);
                                state.ended = true;
                            }
                        }
                        None => {
                            assert!(expected.decision.is_none());
                            assert!(!state.ended);
                            consistent(&state.seen, &expected.log, true);
                        }
                    }
                }
            }
            Op::DropStream(i) => {
                if let Some(state) = remove(&mut streams, i) {
                    consistent(&state.seen, &expected.log, false);
                }
            }
            Op::TryOutcome => {
                assert_eq!(tracker.try_outcome(), expected.decision);
                assert_eq!(tracker.wait_timeout(Duration::ZERO), expected.decision);
            }
            Op::Inspect => {
                consistent(&tracker.updates_so_far(), &expected.log, true);
                assert_eq!(tracker.progress(), expected.progress());
                assert_eq!(tracker.is_attached(), expected.reporters > 0);
            }
        }
    }

    // The end: the decision everywhere, and a fresh stream with every update.
    let tracker = trackers[0].clone();
    assert_eq!(tracker.try_outcome(), expected.decision);
    assert_eq!(tracker.wait_timeout(Duration::ZERO), expected.decision);
    let mut fresh = tracker.updates();
    let mut seen = Vec::new();
    let ended = loop {
        match fresh.try_next() {
            Ok(update) => seen.push(update),
            Err(NoUpdate::Ended) => break true,
            Err(_) => break false,
        }
    };
    assert_eq!(ended, expected.decision.is_some());
    consistent(&seen, &expected.log, true);
    consistent(&tracker.updates_so_far(), &expected.log, true);
    assert_eq!(tracker.progress(), expected.progress());
    let after = tracker.after_end();
    assert_eq!(after.status_calls, expected.late_calls);
    for mut state in futures {
        if let Poll::Ready(decision) = Pin::new(&mut state.future).poll(&mut cx) {
            assert_eq!(Some(decision), expected.decision);
        } else {
            assert!(expected.decision.is_none());
        }
    }
    for state in streams {
        consistent(&state.seen, &expected.log, false);
    }
    let remaining = reporters.len();
    drop(reporters);
    for _ in 0..remaining {
        expected.drop_reporter();
    }
    // Dropping the last reporters may have ended it (abandoned).
    assert_eq!(tracker.try_outcome(), expected.decision);
    let mut last = tracker.updates();
    let mut seen = Vec::new();
    while let Ok(update) = last.try_next() {
        seen.push(update);
    }
    consistent(&seen, &expected.log, true);
}
