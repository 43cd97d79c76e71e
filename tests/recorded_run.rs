//! `simulate::RecordedRun`, a recorded trace served into a `Tracker`: a run recorded through
//! the live engine replays into a new tracker with the same updates and the same end; every
//! trace of `tests/fixtures` (the examples included) replays to the end `gpmc-trace check`
//! gives it, late calls included; an unreadable trace gives the checker's error before
//! anything is served; a trace's pace is kept at speed 1 and dropped at infinite speed.

#![cfg(all(feature = "live", feature = "trace", not(loom)))]

mod live_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use gpmc_progress::live::{AfterEnd, TrackError, Tracker, Update};
use gpmc_progress::simulate::{PlaybackError, RecordedRun, Simulation};
use gpmc_progress::trace::{replay, Verdict};
use gpmc_progress::{Event, HResult, OperationKind, OperationOutcome, Rule, Rules};
use live_support::normalized;

/// A recorder's writer: its bytes stay readable, and the receiver of `written` learns when
/// the tracker let it go (once the server let go and every line was written).
struct Recording {
    bytes: Arc<Mutex<Vec<u8>>>,
    _written: mpsc::Sender<()>,
}

impl Write for Recording {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.bytes.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a tracker showed of a run: every update (normalized: consecutive progress reduced
/// to its last) and its end.
#[derive(Debug, PartialEq)]
struct Seen {
    updates: Vec<Update>,
    end: Result<OperationOutcome, TrackError>,
    late: AfterEnd,
}

fn seen(tracker: &Tracker) -> Seen {
    let end = tracker.wait();
    Seen {
        updates: normalized(&tracker.updates_so_far()),
        end,
        late: tracker.after_end(),
    }
}

/// Runs `simulation` into a recording tracker; returns what it showed and the trace.
fn record(simulation: Simulation, rules: Rules) -> (Seen, Vec<u8>) {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let (written, all_written) = mpsc::channel();
    let recording = Recording {
        bytes: Arc::clone(&bytes),
        _written: written,
    };
    let tracker = Tracker::builder(simulation.operation())
        .rules(rules)
        .record(recording)
        .build();
    let server = simulation.serve(&tracker).expect("a valid simulation");
    server.join();
    let shown = seen(&tracker);
    // Nothing is ever sent: this returns when the writer is dropped.
    assert!(all_written.recv().is_err());
    let trace = bytes.lock().unwrap().clone();
    (shown, trace)
}

/// Serves `run` into a new tracker with no pause, the server letting go at the end.
fn served(run: RecordedRun, rules: Rules) -> Seen {
    let tracker = Tracker::builder(run.operation()).rules(rules).build();
    let mut playback = run
        .speed(f64::INFINITY)
        .replay_cancels(true)
        .let_go_at_end(true)
        .serve(&tracker)
        .expect("the tracker follows the trace's operation");
    playback.wait();
    seen(&tracker)
}

fn backup() -> Simulation {
    Simulation::new(OperationKind::GpoBackup)
        .extensions(6)
        .seed(11)
}

#[test]
fn a_recorded_run_replays_with_the_same_updates_and_end() {
    let runs = [
        (
            "succeeded with warnings",
            backup().warning_at(1).warning_at(4),
        ),
        ("failed", backup().fail_at(3, HResult::E_ACCESSDENIED)),
        (
            "cancelled",
            // The cancel finds the server between two calls.
            backup()
                .cancel_at(2, HResult::ERROR_CANCELLED)
                .pace(Duration::from_millis(5)),
        ),
        ("a violation", backup().break_rule(Rule::NumeratorDecreased)),
        (
            "a late call",
            backup().break_rule(Rule::StatusAfterCompletion),
        ),
        ("let go", backup().let_go_at(3)),
        ("overlapping calls", backup().overlapping(true)),
    ];
    for (what, simulation) in runs {
        for rules in [Rules::documented(), Rules::strict()] {
            let (live, trace) = record(simulation.clone(), rules);
            let run = RecordedRun::read(&trace[..]).expect("the recorder writes valid traces");
            let again = served(run, rules);
            assert_eq!(again, live, "{what} under {rules:?}");
        }
    }
}

/// Every `.jsonl` in `dir`.
fn traces(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    found.sort();
    found
}

#[test]
fn every_fixture_replays_to_the_end_the_checker_gives() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = traces(&fixtures);
    paths.extend(traces(&fixtures.join("examples")));
    assert!(paths.len() > 50, "{paths:?}");
    for path in paths {
        for rules in [Rules::documented(), Rules::strict()] {
            let context = format!("{} under {rules:?}", path.display());
            let bytes = std::fs::read(&path).unwrap();
            let verdict = replay(&bytes[..], rules);
            let run = match RecordedRun::read(&bytes[..]) {
                Ok(run) => run,
                Err(error) => {
                    // The reader's error, before anything is served: the checker's, unless
                    // the checker stopped reading at a violation before that line.
                    match verdict {
                        Verdict::Error(checked) => {
                            assert_eq!(error.to_string(), checked.to_string(), "{context}");
                            assert_eq!(error.line, checked.line, "{context}");
                        }
                        Verdict::Violation { line, .. } => {
                            assert!(error.line.is_some_and(|at| at > line), "{context}")
                        }
                        other => panic!("{context}: read as {error}, checked as {other:?}"),
                    }
                    continue;
                }
            };
            let seen = served(run, rules);
            let anomalies: Vec<Rule> = seen
                .updates
                .iter()
                .filter_map(|update| match update {
                    Update::Event(Event::Anomaly(anomaly)) => Some(anomaly.rule()),
                    _ => None,
                })
                .collect();
            match verdict {
                Verdict::Finished {
                    outcome,
                    anomalies: checked,
                } => {
                    let end = seen.end.expect(&context);
                    // The checker keeps no message; the tracker has every one.
                    assert_eq!(parts(end), parts(outcome), "{context}");
                    let checked: Vec<Rule> = checked.iter().map(|a| a.anomaly.rule()).collect();
                    assert_eq!(anomalies, checked, "{context}");
                    assert_eq!(seen.late.status_calls, 0, "{context}");
                }
                Verdict::Violation {
                    violation,
                    end: None,
                    ..
                } => match seen.end {
                    Err(TrackError::Violation(found)) => assert_eq!(found, violation, "{context}"),
                    other => panic!("{context}: {other:?}"),
                },
                Verdict::Violation {
                    violation,
                    end: Some(outcome),
                    ..
                } => {
                    // A late call: the end its finishing call decided, and the call after it.
                    let end = seen.end.expect(&context);
                    assert_eq!(parts(end), parts(outcome), "{context}");
                    assert_eq!(violation.rule(), Rule::StatusAfterCompletion, "{context}");
                    assert!(seen.late.status_calls > 0, "{context}: {:?}", seen.late);
                }
                Verdict::Unfinished { progress, .. } => {
                    assert!(
                        matches!(seen.end, Err(TrackError::Abandoned { .. })),
                        "{context}: {:?}",
                        seen.end
                    );
                    let last = seen.updates.iter().rev().find_map(|update| match update {
                        Update::Event(Event::Progress(progress)) => Some(*progress),
                        _ => None,
                    });
                    assert_eq!(last, progress, "{context}");
                }
                other => panic!("{context}: served, but checked as {other:?}"),
            }
        }
    }
}

/// An outcome without its messages.
fn parts(outcome: OperationOutcome) -> (HResult, bool, Option<gpmc_progress::ResultDescription>) {
    let (hr, cancel_requested, result, _) = outcome.into_parts();
    (hr, cancel_requested, result)
}

/// A trace of `calls` progress calls `step_ms` apart.
fn paced(calls: u64, step_ms: u64) -> String {
    let mut trace = String::from("{\"event\":\"begin\",\"ms\":0,\"operation\":\"gpo-backup\"}\n");
    for i in 0..calls {
        let last = i + 1 == calls;
        trace.push_str(&format!(
            "{{\"event\":\"status\",\"ms\":{},\"numerator\":{},\"denominator\":{}{}}}\n",
            i * step_ms,
            i + 1 - u64::from(!last),
            calls,
            if last {
                ",\"result\":{\"type\":\"backup\"}"
            } else {
                ""
            }
        ));
    }
    trace
}

#[test]
fn at_speed_one_a_run_takes_its_recorded_time_and_at_infinite_speed_none() {
    // 5 calls 100 ms apart: the last is due 400 ms after the start. The upper bound allows a
    // loaded machine its delays; the lower one is what the pace guarantees.
    let run = RecordedRun::read(paced(5, 100).as_bytes()).unwrap();
    assert_eq!(run.duration(), Duration::from_millis(400));
    let tracker = Tracker::new(run.operation());
    let started = Instant::now();
    let mut playback = run.clone().serve(&tracker).unwrap();
    tracker.wait().unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(playback.wait().calls, 5);

    // Twice as fast: at least half the time.
    let tracker = Tracker::new(run.operation());
    let started = Instant::now();
    let _playback = run.clone().speed(2.0).serve(&tracker).unwrap();
    tracker.wait().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));

    // A run recorded over a day, at infinite speed: no pause at all.
    let long = RecordedRun::read(paced(3, 43_200_000).as_bytes()).unwrap();
    assert_eq!(long.duration(), Duration::from_secs(86_400));
    let tracker = Tracker::new(long.operation());
    let started = Instant::now();
    let mut playback = long.speed(f64::INFINITY).serve(&tracker).unwrap();
    tracker.wait().unwrap();
    assert_eq!(playback.wait().calls, 3);
    assert!(playback.is_finished());
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_stopped_run_lets_go_at_once() {
    // The second call is due in a day: stopping cuts the pause short, and the server lets go.
    let run = RecordedRun::read(paced(3, 86_400_000).as_bytes()).unwrap();
    let tracker = Tracker::new(run.operation());
    let mut playback = run.serve(&tracker).unwrap();
    let mut updates = tracker.updates();
    assert!(matches!(
        updates.next_timeout(Duration::from_secs(60)),
        Ok(Update::Event(Event::Progress(_)))
    ));
    assert!(!playback.is_finished());
    playback.stop();
    assert_eq!(playback.wait().calls, 1);
    assert_eq!(
        tracker.wait(),
        Err(TrackError::Abandoned { calls_received: 1 })
    );

    // Dropping the playback stops it too.
    let run = RecordedRun::read(paced(3, 86_400_000).as_bytes()).unwrap();
    let tracker = Tracker::new(run.operation());
    let playback = run.serve(&tracker).unwrap();
    drop(playback);
    assert!(matches!(
        tracker.wait_timeout(Duration::from_secs(60)),
        Some(Err(TrackError::Abandoned { .. }))
    ));
}

#[test]
fn a_run_is_served_only_into_a_tracker_of_its_operation_at_a_positive_speed() {
    let run = RecordedRun::read(paced(2, 0).as_bytes()).unwrap();
    let report = Tracker::new(OperationKind::GpoReport);
    assert_eq!(
        run.serve(&report).unwrap_err(),
        PlaybackError::OperationMismatch {
            tracker: OperationKind::GpoReport,
            recorded: OperationKind::GpoBackup,
        }
    );
    let backup = Tracker::new(OperationKind::GpoBackup);
    for speed in [0.0, -1.0, f64::NAN] {
        let refused = run.clone().speed(speed).serve(&backup).unwrap_err();
        assert!(
            matches!(refused, PlaybackError::InvalidSpeed { .. }),
            "{refused}"
        );
    }
    // Nothing was served.
    assert_eq!(backup.updates_so_far(), []);
}
