//! What the live engine's tests share: what they compare it with (a plain `StatusMachine`
//! fed the same inputs in the order the engine judged them, read the way every consumer of
//! a tracker reads: progress a latest value, the end last), a normal form of a sequence of
//! updates in which consumers that read at different paces agree, and a stream read to its
//! end on a thread of its own.

#![allow(dead_code)] // each test file uses part of it

use std::thread;
use std::time::Duration;

use gpmc_progress::live::{NoUpdate, TrackError, Update, Updates};
use gpmc_progress::{Event, Input, OperationKind, OperationOutcome, Rules, StatusMachine};

pub type End = Result<OperationOutcome, TrackError>;

/// A plain machine's judgement of a run.
#[derive(Debug)]
pub struct Judged {
    /// The updates up to and with the end (normalized; no end when there was none).
    pub updates: Vec<Update>,
    /// The end, if a call or a violation decided it.
    pub end: Option<End>,
    /// `Status` calls received before the end (the rejected one included).
    pub calls: u64,
    /// `Status` calls after the end.
    pub late_calls: u64,
}

/// Feeds `inputs` to a plain machine the way the live engine does: the first finishing call
/// or violation ends the operation; later `Status` calls are late, later cancel requests
/// are refused.
pub fn judge(
    operation: OperationKind,
    rules: Rules,
    inputs: impl IntoIterator<Item = Input>,
) -> Judged {
    let mut machine = StatusMachine::new(operation, rules);
    let mut updates = Vec::new();
    let mut end = None;
    let mut late_calls = 0;
    for input in inputs {
        if end.is_some() {
            late_calls += u64::from(matches!(input, Input::Status(_)));
            continue;
        }
        let verdict = machine.handle(input);
        while let Some(event) = machine.poll_event() {
            if !matches!(event, Event::Finished(_)) {
                updates.push(Update::Event(event));
            }
        }
        if let Err(violation) = verdict {
            end = Some(Err(TrackError::Violation(violation)));
        } else if let Some(outcome) = machine.outcome() {
            end = Some(Ok(outcome.clone()));
        }
    }
    if let Some(end) = &end {
        updates.push(Update::End(end.clone()));
    }
    Judged {
        updates: normalized(&updates),
        end,
        calls: machine.calls_received(),
        late_calls,
    }
}

/// `updates` with each run of consecutive progress updates reduced to its last: what every
/// consumer of one tracker agrees on, however fast it read.
pub fn normalized<R: Clone>(updates: &[Update<R>]) -> Vec<Update<R>> {
    let mut normal: Vec<Update<R>> = Vec::with_capacity(updates.len());
    for update in updates {
        if let (Some(Update::Event(Event::Progress(_))), Update::Event(Event::Progress(_))) =
            (normal.last(), update)
        {
            normal.pop();
        }
        normal.push(update.clone());
    }
    normal
}

/// Reads `stream` to its end on a thread of its own, one `next_timeout` at a time (a minute
/// without an update fails the test: a lost wake-up).
pub fn read_to_end(mut stream: Updates) -> thread::JoinHandle<Vec<Update>> {
    thread::spawn(move || {
        let mut seen = Vec::new();
        loop {
            match stream.next_timeout(Duration::from_secs(60)) {
                Ok(update) => seen.push(update),
                Err(NoUpdate::Ended) => return seen,
                Err(_) => panic!("no update for a minute: a lost wake-up"),
            }
        }
    })
}
