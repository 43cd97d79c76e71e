//! The live simulated server: [`Simulation::serve`] runs the plan on its own thread through
//! a [`Reporter`], at the simulation's pace, and answers the client's cancel as GPMC does;
//! [`SimulatedServer`] and [`SimulatedCancel`] are the client's handles. The same runner
//! ([`Script`], over a [`Port`]) drives the fake GPMC of feature `com-fake`.

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::plan::Plan;
use super::{Simulation, SimulationError};
use crate::live::{Reporter, Tracker};
use crate::{HResult, Input, StatusCall};

// The live server: `Simulation::serve` and what it hands back.
impl Simulation {
    /// Starts the simulated GPMC server on its own thread: it reports the plan to
    /// `tracker` (a tracker of this simulation's [`operation`](Self::operation)) through a
    /// [`Reporter`], at the [`pace`](Self::pace) set, as GPMC calls
    /// `IGPMAsyncProgress::Status`.
    ///
    /// - A planned [`cancel_at`](Self::cancel_at) is requested on the client's behalf at its
    ///   moment, with [`Tracker::cancel`].
    /// - A cancel request made with the server's [`SimulatedCancel`] reaches the server, which
    ///   answers it at its next step (cutting the pause short) with the
    ///   [`cancel_answer`](Self::cancel_answer): a failure is a finishing `n/n` call carrying
    ///   it, the very call of a run with [`cancel_at`](Self::cancel_at) planned right after
    ///   the server's last call (warnings still due included); a success means the server
    ///   goes on. A request after the finishing call changes nothing.
    /// - [`fail_to_start`](Self::fail_to_start): [`Reporter::start_failed`](crate::live::Reporter::start_failed) is reported before
    ///   this returns, and no thread is started.
    /// - [`let_go_at`](Self::let_go_at): the server drops its reporters midway. The operation
    ///   is abandoned when no other reporter of `tracker` is alive.
    /// - [`overlapping`](Self::overlapping): a second thread repeats the plain progress calls
    ///   at the same moment.
    ///
    /// The configuration is checked first, and the tracker's operation must be the
    /// simulation's ([`SimulationError::OperationMismatch`]): an error starts nothing.
    pub fn serve(&self, tracker: &Tracker) -> Result<SimulatedServer, SimulationError> {
        if tracker.operation() != self.operation {
            return Err(SimulationError::OperationMismatch {
                tracker: tracker.operation(),
                simulation: self.operation,
            });
        }
        let script = self.script()?;
        let signal = Arc::new(Signal::default());
        let cancel = SimulatedCancel {
            tracker: tracker.clone(),
            signal: Arc::clone(&signal),
        };
        let reporter = tracker.reporter();
        if let Some(hr) = script.start_failure() {
            reporter.start_failed(hr);
            return Ok(SimulatedServer {
                thread: None,
                cancel,
            });
        }
        let follower = if script.is_overlapping() {
            let second = reporter.clone();
            Some(Follower::start(move || second)?)
        } else {
            None
        };
        let client = tracker.clone();
        let thread = std::thread::Builder::new()
            .name("simulated GPMC server".into())
            .spawn(move || {
                script.run(
                    reporter,
                    follower,
                    &|| {
                        client.cancel();
                    },
                    &signal,
                )
            })
            .map_err(|error| SimulationError::ThreadNotStarted {
                reason: error.to_string(),
            })?;
        Ok(SimulatedServer {
            thread: Some(thread),
            cancel,
        })
    }

    /// The checked plan, ready to be run by a server thread on any transport.
    pub(crate) fn script(&self) -> Result<Script, SimulationError> {
        Ok(Script {
            plan: Plan::new(self)?,
            pace: self.pace,
            cancel_answer: self.cancel_answer,
            start_failure: self.start_failure,
            overlapping: self.overlapping,
        })
    }
}

/// A running simulated server, from [`Simulation::serve`].
///
/// Dropping it leaves the server running to its end; [`join`](Self::join) waits for it.
#[derive(Debug)]
pub struct SimulatedServer {
    thread: Option<JoinHandle<Served>>,
    cancel: SimulatedCancel,
}

impl SimulatedServer {
    /// The client's way to cancel this server's operation (like GPMC's `IGPMAsyncCancel`).
    pub fn cancel_handle(&self) -> SimulatedCancel {
        self.cancel.clone()
    }

    /// Whether the server has finished (made its last call and let its reporters go).
    pub fn is_finished(&self) -> bool {
        match &self.thread {
            None => true,
            Some(thread) => thread.is_finished(),
        }
    }

    /// Waits for the server to finish, and says what it did.
    pub fn join(self) -> Served {
        match self.thread {
            None => Served::default(),
            Some(thread) => match thread.join() {
                Ok(served) => served,
                Err(payload) => std::panic::resume_unwind(payload),
            },
        }
    }
}

/// What a simulated server did, from [`SimulatedServer::join`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Served {
    /// `Status` calls made, by both threads.
    pub calls: u64,
    /// Whether a cancel request from a [`SimulatedCancel`] reached the server while it ran.
    pub cancel_received: bool,
}

/// The client's way to cancel a simulated operation, like GPMC's `IGPMAsyncCancel`: cheap
/// to clone, `Send + Sync`.
///
/// ```
/// use gpmc_progress::live::Tracker;
/// use gpmc_progress::simulate::Simulation;
/// use gpmc_progress::{OperationKind, OutcomeKind};
/// use std::time::Duration;
///
/// let tracker = Tracker::new(OperationKind::GpoBackup);
/// let server = Simulation::new(OperationKind::GpoBackup)
///     .pace(Duration::from_secs(3600))
///     .serve(&tracker)?;
/// assert!(server.cancel_handle().cancel().in_time()); // answered at once, not in an hour
/// assert_eq!(tracker.wait()?.kind(), OutcomeKind::Cancelled);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimulatedCancel {
    tracker: Tracker,
    signal: Arc<Signal>,
}

impl SimulatedCancel {
    /// Records the cancel request with [`Tracker::cancel`], then tells the server, which
    /// answers at its next step, through its calls. Returns what [`Tracker::cancel`]
    /// returned: whether the request came in time (not once the operation had ended), and no
    /// server answer ([`CancelRequest::server_answer`](crate::live::CancelRequest::server_answer)
    /// is `None`: the server's answer is its next call).
    pub fn cancel(&self) -> crate::live::CancelRequest {
        let request = self.tracker.cancel();
        self.signal.raise();
        request
    }
}

/// One server thread's way to the client: how a [`Script`] makes its `Status` calls.
pub(crate) trait Port {
    /// A call with a result or messages (or both).
    fn status(&mut self, call: StatusCall);
    /// A quiet call: no result, a null message collection.
    fn progress(&mut self, numerator: i32, denominator: i32, hr: HResult);
}

impl Port for Reporter {
    fn status(&mut self, call: StatusCall) {
        Reporter::status(self, call);
    }

    fn progress(&mut self, numerator: i32, denominator: i32, hr: HResult) {
        if hr == HResult::S_OK {
            Reporter::progress(self, numerator, denominator);
        } else {
            Reporter::status(
                self,
                StatusCall::new(numerator, denominator, hr, None, None),
            );
        }
    }
}

/// A cancel request on its way to the server, and the pause it cuts short.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    raised: Mutex<bool>,
    changed: Condvar,
}

impl Signal {
    /// The client's request reaches the server.
    pub(crate) fn raise(&self) {
        *self.raised.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Waits up to `pace`, less if a request comes.
    fn pause(&self, pace: Duration) {
        if pace.is_zero() {
            return;
        }
        let raised = self.raised.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .changed
            .wait_timeout_while(raised, pace, |raised| !*raised)
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Whether a request came since the last look.
    fn take(&self) -> bool {
        std::mem::take(&mut *self.raised.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The second server thread of an overlapping run: it makes each call it is handed at the
/// same moment as the first thread makes its own.
#[derive(Debug)]
pub(crate) struct Follower {
    calls: Option<mpsc::Sender<(i32, i32)>>,
    done: mpsc::Receiver<()>,
    together: Arc<Barrier>,
    thread: Option<JoinHandle<()>>,
}

impl Follower {
    /// Starts the second thread; `port` makes its way to the client on that thread (a COM
    /// port needs its own apartment there).
    pub(crate) fn start<P: Port>(
        port: impl FnOnce() -> P + Send + 'static,
    ) -> Result<Self, SimulationError> {
        let (calls, received) = mpsc::channel::<(i32, i32)>();
        let (finished, done) = mpsc::channel();
        let together = Arc::new(Barrier::new(2));
        let meet = Arc::clone(&together);
        let thread = std::thread::Builder::new()
            .name("simulated GPMC server (second thread)".into())
            .spawn(move || {
                let mut port = port();
                for (numerator, denominator) in received {
                    meet.wait();
                    port.progress(numerator, denominator, HResult::S_OK);
                    if finished.send(()).is_err() {
                        break;
                    }
                }
                // The port (and what it holds of the client) goes with the thread.
                drop(port);
            })
            .map_err(|error| SimulationError::ThreadNotStarted {
                reason: error.to_string(),
            })?;
        Ok(Follower {
            calls: Some(calls),
            done,
            together,
            thread: Some(thread),
        })
    }

    /// Hands over a call; `false` if the thread is gone.
    fn hand(&self, numerator: i32, denominator: i32) -> bool {
        match &self.calls {
            Some(calls) => calls.send((numerator, denominator)).is_ok(),
            None => false,
        }
    }

    /// Stops the thread, and waits until it and its port are gone.
    fn stop(mut self) {
        self.calls = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A checked plan, run by a server thread over any transport ([`Port`]): the live simulated
/// server and the fake GPMC run the very same script.
#[derive(Debug)]
pub(crate) struct Script {
    plan: Plan,
    pace: Duration,
    cancel_answer: HResult,
    start_failure: Option<HResult>,
    overlapping: bool,
}

impl Script {
    /// The code the asynchronous method fails to start with, if it does.
    pub(crate) fn start_failure(&self) -> Option<HResult> {
        self.start_failure
    }

    /// Whether a second thread repeats the plain progress calls.
    pub(crate) fn is_overlapping(&self) -> bool {
        self.overlapping
    }

    /// Runs the plan on the current thread: the pace (cut short by `signal`), the client's
    /// planned cancel (`client`, at its moment), the answer to a cancel that reached the
    /// server (`signal`), the let-go (the plan ends early), and the second thread's repeated
    /// calls (`follower`). `port` and the follower are let go before this returns: the
    /// server's last release.
    pub(crate) fn run<P: Port>(
        self,
        mut port: P,
        follower: Option<Follower>,
        client: &dyn Fn(),
        signal: &Signal,
    ) -> Served {
        let Script {
            plan,
            pace,
            cancel_answer,
            ..
        } = self;
        let mut served = Served::default();
        let mut last: Option<i32> = None;
        let mut first = true;
        for planned in plan.steps.iter().cloned() {
            let call = match planned.input {
                Input::Status(call) => call,
                Input::Cancel => {
                    // The client's planned request, made at its moment.
                    client();
                    continue;
                }
            };
            if !first {
                signal.pause(pace);
            }
            first = false;
            if signal.take() {
                served.cancel_received = true;
                if cancel_answer.is_failure() {
                    if let Some(answer) = plan.answer_to_cancel(last) {
                        port.status(answer);
                        served.calls += 1;
                        break;
                    }
                }
            }
            last = Some(call.numerator);
            let follower = follower
                .as_ref()
                .filter(|f| planned.repeatable && f.hand(call.numerator, call.denominator));
            if let Some(follower) = follower {
                follower.together.wait();
            }
            report(&mut port, call);
            served.calls += 1;
            if let Some(follower) = follower {
                if follower.done.recv().is_ok() {
                    served.calls += 1;
                }
            }
        }
        if let Some(follower) = follower {
            follower.stop();
        }
        drop(port);
        served
    }
}

/// One call, through the progress-only entry when it is one.
fn report(port: &mut impl Port, call: StatusCall) {
    if call.result.is_none() && call.messages.is_none() {
        port.progress(call.numerator, call.denominator, call.hr);
    } else {
        port.status(call);
    }
}

// Not under the model checker: these run real threads (loom's primitives need its model).
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::live::TrackError;
    use crate::{OperationKind, OutcomeKind};

    #[test]
    fn a_server_runs_its_plan_through_a_tracker() {
        let tracker = Tracker::new(OperationKind::GpoCopy);
        let sim = Simulation::new(OperationKind::GpoCopy).extensions(2);
        let served = sim.serve(&tracker).unwrap().join();
        assert_eq!(served.calls, 3);
        assert!(!served.cancel_received);
        assert_eq!(tracker.wait().unwrap().kind(), OutcomeKind::Succeeded);
        assert!(!tracker.is_attached());
    }

    #[test]
    fn a_tracker_of_another_operation_is_refused() {
        let tracker = Tracker::new(OperationKind::GpoBackup);
        let Err(error) = Simulation::new(OperationKind::GpoCopy).serve(&tracker) else {
            panic!("a tracker of another operation was served");
        };
        assert_eq!(
            error.to_string(),
            "the tracker follows gpo-backup, not the simulated gpo-copy"
        );
        assert!(!tracker.is_attached());
        assert_eq!(tracker.try_outcome(), None);
    }

    #[test]
    fn a_bad_configuration_starts_no_server() {
        let tracker = Tracker::new(OperationKind::GpoReport);
        let sim = Simulation::new(OperationKind::GpoReport).extensions(2);
        assert!(sim.warning_at(9).serve(&tracker).is_err());
        assert!(!tracker.is_attached());
        assert!(tracker.try_outcome().is_none());
    }

    #[test]
    fn a_start_failure_is_reported_before_serve_returns() {
        let tracker = Tracker::new(OperationKind::GpoCopy);
        let server = Simulation::new(OperationKind::GpoCopy)
            .fail_to_start(HResult::E_ACCESSDENIED)
            .serve(&tracker)
            .unwrap();
        assert_eq!(
            tracker.try_outcome(),
            Some(Err(TrackError::StartFailed(HResult::E_ACCESSDENIED)))
        );
        assert!(server.is_finished());
        assert_eq!(server.join(), Served::default());
    }

    #[test]
    fn a_cancel_cuts_a_long_pause_short() {
        let tracker = Tracker::new(OperationKind::GpoBackup);
        let server = Simulation::new(OperationKind::GpoBackup)
            .extensions(3)
            .pace(Duration::from_secs(3600))
            .serve(&tracker)
            .unwrap();
        assert!(server.cancel_handle().cancel().in_time());
        let outcome = tracker.wait().unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
        assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
        let served = server.join();
        assert!(served.cancel_received);
        assert!(served.calls <= 2, "{served:?}");
    }

    #[test]
    fn the_signal_is_taken_once() {
        let signal = Signal::default();
        assert!(!signal.take());
        signal.raise();
        signal.pause(Duration::from_secs(3600));
        assert!(signal.take());
        assert!(!signal.take());
    }
}
