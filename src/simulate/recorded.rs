//! [`RecordedRun`]: a recorded trace served as a server, so that code written against a
//! [`Tracker`] meets a real GPMC run (recorded once, on Windows) on any platform.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Served;
use crate::live::{Reporter, Tracker};
use crate::trace::{TraceErrorKind, TraceEvent, TraceReadError, TraceReader};
use crate::{HResult, OperationKind, StatusCall};

/// Why a [`RecordedRun`] cannot be served.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlaybackError {
    /// The tracker follows another operation than the trace's.
    #[error("the tracker follows {tracker}, not the recorded {recorded}")]
    OperationMismatch {
        /// The tracker's operation.
        tracker: OperationKind,
        /// The trace's (`unknown` without a `begin` line).
        recorded: OperationKind,
    },
    /// The speed is not a positive number.
    #[error("speed {speed} is not a positive number")]
    InvalidSpeed {
        /// The speed given.
        speed: f64,
    },
    /// The serving thread could not be started.
    #[error("the recorded run's thread could not start: {reason}")]
    ThreadNotStarted {
        /// What the system said.
        reason: String,
    },
}

/// One event of the run, at its moment.
#[derive(Debug, Clone)]
enum Step {
    Status(StatusCall),
    Cancel,
}

/// A recorded trace (from `Call::record`, `gpmc-trace record` or any tracker's
/// [`record`](crate::live::TrackerBuilder::record)), read whole and checked, then served into
/// a [`Tracker`] on a thread of its own through a [`Reporter`], as a real or simulated server
/// reports: the recorded `Status` calls in order, at the recorded pace (each line's `ms`), or
/// faster ([`speed`](Self::speed)), or with no pause (`speed(f64::INFINITY)`). A trace
/// without `ms` has no pace: its calls come one after another.
///
/// The trace's `cancel` lines are the recorded client's: the code under test makes its own
/// cancel requests, so they are not replayed unless asked
/// ([`replay_cancels`](Self::replay_cancels): each at its recorded moment). A trace that
/// ends before its finishing call leaves the operation unfinished while the [`Playback`]
/// lives (as a server that holds the sink), or lets go at once with
/// [`let_go_at_end`](Self::let_go_at_end) (the end is then
/// [`Abandoned`](crate::live::TrackError::Abandoned)). What comes after the trace's end
/// (a call after the finishing one) is served too: the tracker judges it late, as
/// `gpmc-trace check` judges the trace. So the end is the one `gpmc-trace check` gives the
/// trace under the tracker's rules, with two differences that come from serving a whole
/// trace: a trace with an input error on any line is not served at all (the checker gives a
/// violation when it stops at one before the bad line), and a run whose method failed to
/// start, which leaves only the `begin` line, is served as a run that never called.
///
/// ```
/// use gpmc_progress::live::Tracker;
/// use gpmc_progress::simulate::RecordedRun;
/// use gpmc_progress::OutcomeKind;
///
/// let trace = "{\"event\":\"begin\",\"ms\":0,\"operation\":\"gpo-report\"}\n\
///              {\"event\":\"status\",\"ms\":0,\"numerator\":0,\"denominator\":2}\n\
///              {\"event\":\"status\",\"ms\":40,\"numerator\":1,\"denominator\":2}\n\
///              {\"event\":\"status\",\"ms\":90,\"numerator\":2,\"denominator\":2,\
///               \"result\":{\"type\":\"text\",\"value\":\"<report/>\"}}\n";
/// let run = RecordedRun::read(trace.as_bytes())?;
/// let tracker = Tracker::new(run.operation());
/// let mut playback = run.speed(f64::INFINITY).serve(&tracker)?;
/// assert_eq!(tracker.wait()?.kind(), OutcomeKind::Succeeded);
/// assert_eq!(playback.wait().calls, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordedRun {
    operation: OperationKind,
    steps: Vec<(Option<u64>, Step)>,
    speed: f64,
    replay_cancels: bool,
    let_go_at_end: bool,
}

impl RecordedRun {
    /// Reads a whole trace; its first input error (with its line), wherever it is, is
    /// returned before anything could be served.
    pub fn read(input: impl BufRead) -> Result<Self, TraceReadError> {
        let mut reader = TraceReader::new(input);
        let mut operation = OperationKind::Unknown;
        let mut steps = Vec::new();
        while let Some(line) = reader.read_line()? {
            match line.event {
                TraceEvent::Begin { operation: kind } => operation = kind,
                TraceEvent::Status(call) => steps.push((line.ms, Step::Status(call))),
                TraceEvent::Cancel => steps.push((line.ms, Step::Cancel)),
            }
        }
        Ok(RecordedRun {
            operation,
            steps,
            speed: 1.0,
            replay_cancels: false,
            let_go_at_end: false,
        })
    }

    /// Reads the trace in the file at `path` (as [`read`](Self::read)); a file that cannot
    /// be opened is an error with no line.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceReadError> {
        let path = path.as_ref();
        match File::open(path) {
            Ok(file) => RecordedRun::read(BufReader::with_capacity(64 * 1024, file)),
            Err(source) => Err(TraceReadError::unplaced(TraceErrorKind::Open {
                path: path.display().to_string(),
                source,
            })),
        }
    }

    /// The recorded operation (`unknown` for a trace without a `begin` line): the tracker it
    /// is served into must follow the same.
    pub fn operation(&self) -> OperationKind {
        self.operation
    }

    /// How many `Status` calls the trace holds.
    pub fn calls(&self) -> usize {
        self.steps
            .iter()
            .filter(|(_, step)| matches!(step, Step::Status(_)))
            .count()
    }

    /// How long the recorded run took: its last line's `ms` (zero without `ms`).
    pub fn duration(&self) -> Duration {
        Duration::from_millis(
            self.steps
                .iter()
                .filter_map(|(ms, _)| *ms)
                .max()
                .unwrap_or(0),
        )
    }

    /// How much faster than recorded it is served (default 1: the recorded pace; 2: twice
    /// as fast; `f64::INFINITY`: with no pause). Not a positive number:
    /// [`PlaybackError::InvalidSpeed`] when served.
    #[must_use]
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }

    /// Whether the recorded client's cancel requests are made again, each at its moment, with
    /// [`Tracker::cancel`] (default: no, the code under test makes its own).
    #[must_use]
    pub fn replay_cancels(mut self, replay: bool) -> Self {
        self.replay_cancels = replay;
        self
    }

    /// Whether the server lets go once the trace is served (default: no: the operation of a
    /// trace that ends before its finishing call stays unfinished while the [`Playback`]
    /// lives).
    #[must_use]
    pub fn let_go_at_end(mut self, let_go: bool) -> Self {
        self.let_go_at_end = let_go;
        self
    }

    /// Starts serving the trace into `tracker` on a thread of its own.
    pub fn serve(&self, tracker: &Tracker) -> Result<Playback, PlaybackError> {
        if tracker.operation() != self.operation {
            return Err(PlaybackError::OperationMismatch {
                tracker: tracker.operation(),
                recorded: self.operation,
            });
        }
        if self.speed.is_nan() || self.speed <= 0.0 {
            return Err(PlaybackError::InvalidSpeed { speed: self.speed });
        }
        let stop = Arc::new(Stop::default());
        let reporter = tracker.reporter();
        let client = self.replay_cancels.then(|| tracker.clone());
        let run = self.clone();
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("recorded GPMC run".into())
            .spawn(move || run.play(reporter, client.as_ref(), &stopping))
            .map_err(|error| PlaybackError::ThreadNotStarted {
                reason: error.to_string(),
            })?;
        Ok(Playback {
            thread: Some(thread),
            stop,
            kept: None,
            served: Served::default(),
        })
    }

    /// Serves the steps at their moments; returns the reporter unless the server lets go.
    fn play(
        self,
        reporter: Reporter,
        client: Option<&Tracker>,
        stop: &Stop,
    ) -> (Served, Option<Reporter>) {
        let began = Instant::now();
        let mut served = Served::default();
        for (ms, step) in self.steps {
            // A line without `ms` is due at once.
            let at = ms.map_or(Some(began), |ms| due(began, ms, self.speed));
            if stop.wait_until(at) {
                return (served, None);
            }
            match step {
                Step::Status(call) => {
                    if call.result.is_none() && call.messages.is_none() && call.hr == HResult::S_OK
                    {
                        reporter.progress(call.numerator, call.denominator);
                    } else {
                        reporter.status(call);
                    }
                    served.calls += 1;
                }
                Step::Cancel => {
                    if let Some(client) = client {
                        client.cancel();
                    }
                }
            }
        }
        (served, (!self.let_go_at_end).then_some(reporter))
    }
}

/// When the line recorded at `ms` is due, served at `speed` from `began`; `None` when that is
/// too far to say (it is never due: only a stop ends the wait).
fn due(began: Instant, ms: u64, speed: f64) -> Option<Instant> {
    let seconds = ms as f64 / 1000.0 / speed;
    let after = Duration::try_from_secs_f64(seconds).ok()?;
    began.checked_add(after)
}

/// A request to stop serving, and the pause it cuts short.
#[derive(Debug, Default)]
struct Stop {
    set: Mutex<bool>,
    changed: Condvar,
}

impl Stop {
    fn set(&self) {
        *self.set.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Waits until `deadline` (for ever with none), or until asked to stop: `true` then.
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let mut set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *set {
                return true;
            }
            set = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.changed
                        .wait_timeout(set, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .changed
                    .wait(set)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

/// A recorded run being served, from [`RecordedRun::serve`]. Dropping it stops the serving
/// at its next pause and lets go (the operation is abandoned if it had not ended).
#[derive(Debug)]
pub struct Playback {
    thread: Option<JoinHandle<(Served, Option<Reporter>)>>,
    stop: Arc<Stop>,
    /// The reporter of a served trace that ended unfinished, held until this is dropped.
    kept: Option<Reporter>,
    /// What was served, once waited for.
    served: Served,
}

impl Playback {
    /// Whether every line was served (or the serving stopped).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().map_or(true, JoinHandle::is_finished)
    }

    /// Stops serving at the next pause: the server lets go of the operation (abandoned, if
    /// it had not ended).
    pub fn stop(&self) {
        self.stop.set();
    }

    /// Waits until every line was served (or the serving stopped), and says what was. The
    /// operation of a trace that ends unfinished stays so until this `Playback` is dropped
    /// (unless the run lets go at its end).
    pub fn wait(&mut self) -> Served {
        let Some(thread) = self.thread.take() else {
            return self.served;
        };
        match thread.join() {
            Ok((served, kept)) => {
                self.kept = kept;
                self.served = served;
                served
            }
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.stop.set();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::live::TrackError;
    use crate::trace::TraceErrorKind;
    use crate::OutcomeKind;

    const UNFINISHED: &str = "{\"event\":\"begin\",\"operation\":\"gpo-backup\"}\n\
                              {\"event\":\"status\",\"ms\":0,\"numerator\":0,\"denominator\":3}\n\
                              {\"event\":\"cancel\",\"ms\":5}\n\
                              {\"event\":\"status\",\"ms\":7,\"numerator\":1,\"denominator\":3}\n";

    #[test]
    fn an_unreadable_trace_is_an_error_before_anything_is_served() {
        let error =
            RecordedRun::read(&b"{\"event\":\"status\",\"numerator\":1}\n"[..]).unwrap_err();
        assert_eq!(error.line, Some(1));
        let missing = RecordedRun::open("no/such/trace.jsonl").unwrap_err();
        assert!(
            matches!(missing.kind, TraceErrorKind::Open { .. }),
            "{missing}"
        );
        assert_eq!(missing.line, None);
    }

    #[test]
    fn the_tracker_must_follow_the_recorded_operation_and_the_speed_be_positive() {
        let run = RecordedRun::read(UNFINISHED.as_bytes()).unwrap();
        assert_eq!(run.operation(), OperationKind::GpoBackup);
        assert_eq!((run.calls(), run.duration()), (2, Duration::from_millis(7)));
        let other = Tracker::new(OperationKind::GpoReport);
        assert_eq!(
            run.serve(&other).unwrap_err().to_string(),
            "the tracker follows gpo-report, not the recorded gpo-backup"
        );
        assert!(!other.is_attached(), "nothing was started");
        let tracker = Tracker::new(OperationKind::GpoBackup);
        for speed in [0.0, -1.0, f64::NAN] {
            assert!(matches!(
                run.clone().speed(speed).serve(&tracker),
                Err(PlaybackError::InvalidSpeed { .. })
            ));
        }
    }

    #[test]
    fn an_unfinished_trace_stays_unfinished_or_lets_go_on_request() {
        let run = RecordedRun::read(UNFINISHED.as_bytes())
            .unwrap()
            .speed(f64::INFINITY);
        let tracker = Tracker::new(OperationKind::GpoBackup);
        let mut playback = run.serve(&tracker).unwrap();
        assert_eq!(playback.wait().calls, 2);
        assert_eq!(
            tracker.try_outcome(),
            None,
            "unfinished while the playback lives"
        );
        assert_eq!(tracker.progress().map(|p| p.numerator()), Some(1));
        // The recorded client's cancel was not replayed.
        assert!(tracker.cancel().in_time());
        drop(playback);
        assert_eq!(
            tracker.wait(),
            Err(TrackError::Abandoned { calls_received: 2 })
        );

        let tracker = Tracker::new(OperationKind::GpoBackup);
        let mut playback = run.let_go_at_end(true).serve(&tracker).unwrap();
        assert_eq!(
            tracker.wait(),
            Err(TrackError::Abandoned { calls_received: 2 })
        );
        assert_eq!(playback.wait().calls, 2);
    }

    #[test]
    fn the_recorded_cancel_is_replayed_on_request() {
        let trace = UNFINISHED.to_owned()
            + "{\"event\":\"status\",\"ms\":9,\"numerator\":3,\"denominator\":3,\"hr\":\"0x800704C7\"}\n";
        let run = RecordedRun::read(trace.as_bytes())
            .unwrap()
            .speed(f64::INFINITY);
        let tracker = Tracker::new(OperationKind::GpoBackup);
        run.clone()
            .replay_cancels(true)
            .serve(&tracker)
            .unwrap()
            .wait();
        assert_eq!(tracker.wait().unwrap().kind(), OutcomeKind::Cancelled);
        let tracker = Tracker::new(OperationKind::GpoBackup);
        run.serve(&tracker).unwrap().wait();
        assert_eq!(tracker.wait().unwrap().kind(), OutcomeKind::Failed);
    }

    #[test]
    fn stopping_cuts_a_long_pause_short_and_lets_go() {
        let trace = "{\"event\":\"status\",\"ms\":0,\"numerator\":0,\"denominator\":1}\n\
                     {\"event\":\"status\",\"ms\":3600000,\"numerator\":1,\"denominator\":1}\n";
        let run = RecordedRun::read(trace.as_bytes()).unwrap();
        let tracker = Tracker::new(OperationKind::Unknown);
        let mut playback = run.serve(&tracker).unwrap();
        let mut updates = tracker.updates();
        assert!(updates.next_timeout(Duration::from_secs(60)).is_ok());
        playback.stop();
        assert_eq!(
            tracker.wait(),
            Err(TrackError::Abandoned { calls_received: 1 })
        );
        assert_eq!(playback.wait().calls, 1);
    }
}
