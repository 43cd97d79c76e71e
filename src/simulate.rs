//! [`Simulation`]: a simulated GPMC server, seeded and reproducible, for demos and for testing
//! checkers and clients on any platform (feature `live`).
//!
//! A simulated operation walks over its client-side extensions: for `n` extensions it reports
//! `0/n`, `1/n`, …, `n/n`, with the operation's result on the last call. On top of that it can
//! attach warning messages at chosen steps, fail at a step, receive the client's cancel
//! request at a step and answer it, and, only when asked, break one rule of the protocol on
//! purpose. A failed or cancelled operation ends as a conforming server ends it: with a
//! finishing call at `n/n` and the failure's HRESULT.
//!
//! Steps are numbered from 0: step `i` is the call that reports `i/n`.
//!
//! The same plan can be used three ways:
//!
//! - [`Simulation::inputs`]: the plan as [`Input`]s, to feed a plain
//!   [`StatusMachine`](crate::StatusMachine) (see there);
//! - [`Simulation::serve`]: a live server on its own thread that reports the plan to a
//!   [`Tracker`] at a chosen [`pace`](Simulation::pace), answers the client's cancel as GPMC
//!   does, and can also fail to start, let go without finishing and make overlapping calls
//!   from two threads;
//! - `Simulation::events` (feature `trace`): the plan as trace events, beginning with
//!   `begin`, to write a trace.
//!
//! On Windows, the fake GPMC of feature `com-fake` (`com::fake`) runs the same plan as
//! [`serve`](Simulation::serve) does, under COM: the same seeds and options give the same
//! calls through both.
//!
//! ```
//! use gpmc_progress::live::Tracker;
//! use gpmc_progress::simulate::Simulation;
//! use gpmc_progress::{HResult, OperationKind, OutcomeKind};
//!
//! let tracker = Tracker::new(OperationKind::GpoBackup);
//! let server = Simulation::new(OperationKind::GpoBackup)
//!     .extensions(5)
//!     .warning_at(2)
//!     .fail_at(3, HResult::E_ACCESSDENIED)
//!     .seed(7)
//!     .serve(&tracker)?;
//! let outcome = tracker.wait()?;
//! assert_eq!(outcome.kind(), OutcomeKind::Failed);
//! assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
//! assert_eq!(server.join().calls, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::live::{Reporter, Tracker};
use crate::{
    HResult, Input, OperationKind, ResultDescription, ResultType, Rule, StatusCall, StatusMessage,
};

/// The most client-side extensions a simulation walks over.
pub const MAX_EXTENSIONS: u32 = 1_000_000;

/// Why a simulation cannot be run as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// More extensions than [`MAX_EXTENSIONS`].
    #[error("{extensions} extensions is more than the maximum of {MAX_EXTENSIONS}")]
    TooManyExtensions {
        /// The count given.
        extensions: u32,
    },
    /// A step is beyond the last one.
    #[error("{what} step {step} is beyond the last step, {extensions}")]
    StepOutOfRange {
        /// `warning`, `failure`, `cancel` or `let-go`.
        what: &'static str,
        /// The step given.
        step: u32,
        /// The number of extensions, which is also the last step.
        extensions: u32,
    },
    /// The HRESULT given for a failure (at a step, or of the start) is a success code.
    #[error("failure hresult {hr} is a success code")]
    FailureIsSuccess {
        /// The code given.
        hr: HResult,
    },
    /// The result type is not one the operation delivers.
    #[error("{result_type} is not a result of {operation}")]
    ResultTypeNotAllowed {
        /// The type given.
        result_type: ResultType,
        /// The operation.
        operation: OperationKind,
    },
    /// The rule cannot be broken in this simulation.
    #[error("rule {rule} cannot be broken here: {reason}")]
    CannotBreak {
        /// The rule asked for.
        rule: Rule,
        /// Why not.
        reason: &'static str,
    },
    /// The tracker given to [`Simulation::serve`] tracks another operation.
    #[error("the tracker follows {tracker}, not the simulated {simulation}")]
    OperationMismatch {
        /// The tracker's operation.
        tracker: OperationKind,
        /// The simulation's operation.
        simulation: OperationKind,
    },
    /// The live server's thread could not be started.
    #[error("the simulated server's thread could not start: {reason}")]
    ThreadNotStarted {
        /// What the system said.
        reason: String,
    },
}

/// A simulated operation, configured with builder methods, and run as a plan
/// ([`inputs`](Self::inputs)) or as a live server ([`serve`](Self::serve)).
///
/// The same configuration and seed always give the same plan. The seed picks the result's
/// GUIDs, the warnings' texts, the steps of [`random_warnings`](Self::random_warnings) and,
/// unless [`extensions`](Self::extensions) is given, the number of extensions (3 to 8).
///
/// Feeding a plain [`StatusMachine`](crate::StatusMachine) is one line:
///
/// ```
/// use gpmc_progress::simulate::Simulation;
/// use gpmc_progress::{HResult, OperationKind, OutcomeKind, Rules, StatusMachine};
///
/// let simulation = Simulation::new(OperationKind::GpoImport)
///     .extensions(4)
///     .cancel_at(1, HResult::ERROR_CANCELLED);
/// let mut machine = StatusMachine::new(simulation.operation(), Rules::strict());
/// simulation.inputs()?.into_iter().try_for_each(|input| machine.handle(input))?;
/// assert_eq!(machine.outcome().map(|o| o.kind()), Some(OutcomeKind::Cancelled));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    operation: OperationKind,
    extensions: Option<u32>,
    result_type: Option<ResultType>,
    warnings: Vec<u32>,
    random_warnings: u32,
    failure: Option<(u32, HResult)>,
    cancel_at: Option<u32>,
    cancel_answer: HResult,
    break_rule: Option<Rule>,
    start_failure: Option<HResult>,
    let_go_at: Option<u32>,
    pace: Duration,
    overlapping: bool,
    seed: u64,
}

impl Simulation {
    /// A conforming, successful run of `operation` with seed 0, at full speed.
    pub fn new(operation: OperationKind) -> Self {
        Simulation {
            operation,
            extensions: None,
            result_type: None,
            warnings: Vec::new(),
            random_warnings: 0,
            failure: None,
            cancel_at: None,
            cancel_answer: HResult::ERROR_CANCELLED,
            break_rule: None,
            start_failure: None,
            let_go_at: None,
            pace: Duration::ZERO,
            overlapping: false,
            seed: 0,
        }
    }

    /// The operation simulated.
    pub fn operation(&self) -> OperationKind {
        self.operation
    }

    /// The number of client-side extensions: the denominator of every call.
    #[must_use]
    pub fn extensions(mut self, extensions: u32) -> Self {
        self.extensions = Some(extensions);
        self
    }

    /// The type of the result delivered on success (default: the operation's first; `object`
    /// for `unknown`).
    #[must_use]
    pub fn result_type(mut self, result_type: ResultType) -> Self {
        self.result_type = Some(result_type);
        self
    }

    /// A warning message on the call of `step` (on the finishing call if the operation ended
    /// before it).
    #[must_use]
    pub fn warning_at(mut self, step: u32) -> Self {
        self.warnings.push(step);
        self
    }

    /// `count` more warnings at steps picked by the seed.
    #[must_use]
    pub fn random_warnings(mut self, count: u32) -> Self {
        self.random_warnings = count;
        self
    }

    /// The operation fails at `step` with `hr` (a failure code): that call reports `n/n` and
    /// `hr`, and ends the operation.
    #[must_use]
    pub fn fail_at(mut self, step: u32, hr: HResult) -> Self {
        self.failure = Some((step, hr));
        self
    }

    /// The client requests cancel right after the call of `step`, and the server answers
    /// with `answer` (which becomes the [`cancel_answer`](Self::cancel_answer)): a failure
    /// ends the operation with a finishing `n/n` call carrying it; a success means the cancel
    /// came too late and the server goes on to the end. A cancel at or after the end comes
    /// after the finishing call and changes nothing.
    ///
    /// The live server makes this request on the client's behalf at that very moment
    /// ([`Tracker::cancel`]), so a run with a planned cancel is reproducible at any pace.
    #[must_use]
    pub fn cancel_at(mut self, step: u32, answer: HResult) -> Self {
        self.cancel_at = Some(step);
        self.cancel_answer = answer;
        self
    }

    /// How the live server answers a cancel request that reaches it while it runs (default
    /// `HRESULT_FROM_WIN32(ERROR_CANCELLED)`): a failure ends the operation at its next step
    /// with a finishing `n/n` call carrying it (the same call as a planned
    /// [`cancel_at`](Self::cancel_at) the step before); a success means it goes on as if the
    /// cancel came too late.
    #[must_use]
    pub fn cancel_answer(mut self, answer: HResult) -> Self {
        self.cancel_answer = answer;
        self
    }

    /// Breaks `rule` on purpose, so that a checker under the `strict` rules reports exactly
    /// that violation (first).
    #[must_use]
    pub fn break_rule(mut self, rule: Rule) -> Self {
        self.break_rule = Some(rule);
        self
    }

    /// The asynchronous method fails with `hr` (a failure code) instead of starting: no
    /// `Status` call comes, the plan is empty, and the live server reports
    /// [`Reporter::start_failed`] before [`serve`](Self::serve) returns.
    #[must_use]
    pub fn fail_to_start(mut self, hr: HResult) -> Self {
        self.start_failure = Some(hr);
        self
    }

    /// The server lets go at `step` (0 to `n`) instead of making that step's call: the plan
    /// stops before its status call number `step` (counted from 0), and the live server then
    /// drops its reporters, so the operation ends
    /// [`Abandoned`](crate::live::TrackError::Abandoned). No effect when the run ended
    /// before (a failure, an answered cancel).
    #[must_use]
    pub fn let_go_at(mut self, step: u32) -> Self {
        self.let_go_at = Some(step);
        self
    }

    /// The live server's pause between two `Status` calls (default none). A cancel request
    /// cuts the pause short: the server answers it at once.
    #[must_use]
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// Whether the live server makes overlapping calls from two threads (default no): a
    /// second thread repeats each plain progress call of the plan (same fraction, no
    /// messages) at the same moment as the first thread makes it. Calls that end the
    /// operation or break a rule are made once. A repeated fraction changes nothing but the
    /// count of calls received, so the run ends as it would on one thread.
    #[must_use]
    pub fn overlapping(mut self, overlapping: bool) -> Self {
        self.overlapping = overlapping;
        self
    }

    /// The seed of the random choices.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of extensions this run uses (given, or picked by the seed).
    pub fn extension_count(&self) -> u32 {
        self.extensions
            .unwrap_or_else(|| 3 + (SplitMix64::new(self.seed ^ 0xE87E).next() % 6) as u32)
    }

    /// The plan: every `Status` call the server makes and the client's planned cancel
    /// request, in order (empty when the method [fails to start](Self::fail_to_start)).
    pub fn inputs(&self) -> Result<Vec<Input>, SimulationError> {
        Ok(self.plan()?.into_iter().map(|step| step.input).collect())
    }

    /// The events of the run, beginning with `begin`: the trace of [`inputs`](Self::inputs).
    /// Feature `trace`.
    ///
    /// ```
    /// use gpmc_progress::simulate::Simulation;
    /// use gpmc_progress::trace::{replay, TraceWriter, Verdict};
    /// use gpmc_progress::{HResult, OperationKind, OutcomeKind, Rules};
    ///
    /// let events = Simulation::new(OperationKind::GpoBackup)
    ///     .extensions(5)
    ///     .warning_at(2)
    ///     .cancel_at(3, HResult::ERROR_CANCELLED)
    ///     .seed(7)
    ///     .events()?;
    /// let mut writer = TraceWriter::new(Vec::new());
    /// for event in &events {
    ///     writer.write_event(event)?;
    /// }
    /// let trace = writer.into_inner();
    /// match replay(&trace[..], Rules::strict()) {
    ///     Verdict::Finished { outcome, anomalies } => {
    ///         assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
    ///         assert_eq!(outcome.hr(), HResult::ERROR_CANCELLED);
    ///         assert!(anomalies.is_empty());
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "trace")]
    pub fn events(&self) -> Result<Vec<crate::trace::TraceEvent>, SimulationError> {
        let mut events = vec![crate::trace::TraceEvent::Begin {
            operation: self.operation,
        }];
        events.extend(self.inputs()?.into_iter().map(Into::into));
        Ok(events)
    }

    /// The [`events`](Self::events), each with its planned moment in milliseconds since the
    /// operation began when a [`pace`](Self::pace) is set (`None` without one): a trace's
    /// `ms`. The first call comes at 0 and each later call one pace after the one before;
    /// `begin` is at 0, and the client's planned cancel at the moment of the call it follows.
    /// Feature `trace`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gpmc_progress::simulate::Simulation;
    /// use gpmc_progress::OperationKind;
    ///
    /// let simulation = Simulation::new(OperationKind::GpoReport).extensions(2).seed(1);
    /// let moments: Vec<Option<u64>> = simulation
    ///     .clone()
    ///     .pace(Duration::from_millis(250))
    ///     .timed_events()?
    ///     .into_iter()
    ///     .map(|(_, ms)| ms)
    ///     .collect();
    /// assert_eq!(moments, [Some(0), Some(0), Some(250), Some(500)]);
    /// assert!(simulation.timed_events()?.iter().all(|(_, ms)| ms.is_none()));
    /// # Ok::<(), gpmc_progress::simulate::SimulationError>(())
    /// ```
    #[cfg(feature = "trace")]
    pub fn timed_events(
        &self,
    ) -> Result<Vec<(crate::trace::TraceEvent, Option<u64>)>, SimulationError> {
        let pace = (!self.pace.is_zero()).then_some(self.pace);
        let mut calls: u32 = 0;
        let moment = |calls: u32| {
            pace.map(|pace| {
                let ms = pace
                    .as_nanos()
                    .saturating_mul(u128::from(calls.saturating_sub(1)))
                    / 1_000_000;
                u64::try_from(ms).map_or(i64::MAX as u64, |ms| ms.min(i64::MAX as u64))
            })
        };
        Ok(self
            .events()?
            .into_iter()
            .map(|event| {
                if matches!(event, crate::trace::TraceEvent::Status(_)) {
                    calls += 1;
                }
                let ms = moment(calls);
                (event, ms)
            })
            .collect())
    }

    /// The plan, with what a second server thread may repeat.
    fn plan(&self) -> Result<Vec<Planned>, SimulationError> {
        let n = self.extension_count();
        if n > MAX_EXTENSIONS {
            return Err(SimulationError::TooManyExtensions { extensions: n });
        }
        let d = n as i32;
        let mut rng = SplitMix64::new(self.seed);
        let check_step = |what, step: u32| {
            if step > n {
                Err(SimulationError::StepOutOfRange {
                    what,
                    step,
                    extensions: n,
                })
            } else {
                Ok(())
            }
        };
        for step in &self.warnings {
            check_step("warning", *step)?;
        }
        if let Some((step, hr)) = self.failure {
            check_step("failure", step)?;
            if hr.is_success() {
                return Err(SimulationError::FailureIsSuccess { hr });
            }
        }
        if let Some(step) = self.cancel_at {
            check_step("cancel", step)?;
        }
        if let Some(step) = self.let_go_at {
            check_step("let-go", step)?;
        }
        if let Some(hr) = self.start_failure.filter(|hr| hr.is_success()) {
            return Err(SimulationError::FailureIsSuccess { hr });
        }
        let result_type = match self.result_type {
            Some(t) if self.operation.allows(t) => t,
            Some(result_type) => {
                return Err(SimulationError::ResultTypeNotAllowed {
                    result_type,
                    operation: self.operation,
                })
            }
            None => self
                .operation
                .result_types()
                .first()
                .copied()
                .unwrap_or(ResultType::Object),
        };

        let mut warning_steps = self.warnings.clone();
        for _ in 0..self.random_warnings {
            warning_steps.push((rng.next() % (u64::from(n) + 1)) as u32);
        }
        let warnings_at = |step: u32, rng: &mut SplitMix64| -> Option<Vec<StatusMessage>> {
            let count = warning_steps.iter().filter(|s| **s == step).count();
            (count > 0).then(|| (0..count).map(|_| warning(rng)).collect())
        };

        let mut plan = Vec::new();
        let mut finishing_index = None;
        let mut cancel_sent = false;
        for step in 0..=n {
            let mut messages = warnings_at(step, &mut rng);
            if let Some((_, hr)) = self.failure.filter(|(at, _)| *at == step) {
                messages
                    .get_or_insert_with(Vec::new)
                    .push(failure_message(hr, &mut rng));
                plan.push(Planned::once(StatusCall::new(d, d, hr, None, messages)));
                finishing_index = Some(plan.len() - 1);
            } else if step == n {
                let result = Some(result_of(result_type, &mut rng));
                let call = StatusCall::new(d, d, HResult::S_OK, result, messages);
                plan.push(Planned::once(call));
                finishing_index = Some(plan.len() - 1);
            } else {
                let call = StatusCall::new(step as i32, d, HResult::S_OK, None, messages);
                plan.push(Planned {
                    input: call.into(),
                    repeatable: true,
                });
                if self.cancel_at == Some(step) {
                    plan.push(Planned::cancel());
                    cancel_sent = true;
                    let answer = self.cancel_answer;
                    if answer.is_failure() {
                        let messages = vec![failure_message(answer, &mut rng)];
                        let call = StatusCall::new(d, d, answer, None, Some(messages));
                        plan.push(Planned::once(call));
                        finishing_index = Some(plan.len() - 1);
                    }
                }
            }
            if finishing_index.is_some() {
                // Warnings planned for later steps come with the finishing call.
                let late: Vec<StatusMessage> = (step + 1..=n)
                    .filter_map(|later| warnings_at(later, &mut rng))
                    .flatten()
                    .collect();
                if !late.is_empty() {
                    if let Some(Input::Status(call)) = plan.last_mut().map(|p| &mut p.input) {
                        call.messages.get_or_insert_with(Vec::new).extend(late);
                    }
                }
                break;
            }
        }
        if self.cancel_at.is_some() && !cancel_sent {
            plan.push(Planned::cancel());
        }
        // The last step is always finishing; the fallback only keeps this panic-free.
        let finishing_index = finishing_index.unwrap_or(plan.len().saturating_sub(1));
        if let Some(rule) = self.break_rule {
            self.apply_break(rule, &mut plan, finishing_index, d, result_type, &mut rng)?;
        }
        if self.start_failure.is_some() {
            plan.clear();
        }
        if let Some(step) = self.let_go_at {
            let calls = plan.iter().enumerate().filter(|(_, p)| p.is_status());
            if let Some((index, _)) = calls.clone().nth(step as usize) {
                plan.truncate(index);
            }
        }
        Ok(plan)
    }

    /// Changes a conforming plan so that `rule` is the first rule it breaks. The calls it
    /// changes or adds are made once by a live server with two threads.
    fn apply_break(
        &self,
        rule: Rule,
        plan: &mut Vec<Planned>,
        t: usize,
        d: i32,
        result_type: ResultType,
        rng: &mut SplitMix64,
    ) -> Result<(), SimulationError> {
        let cannot = |reason| Err(SimulationError::CannotBreak { rule, reason });
        // The numerator of the status call before the finishing one, if any.
        let previous = plan[..t]
            .iter()
            .rev()
            .find_map(|planned| match &planned.input {
                Input::Status(call) => Some(call.numerator),
                Input::Cancel => None,
            });
        let Some(Input::Status(finishing)) = plan.get_mut(t).map(|p| &mut p.input) else {
            return cannot("the plan has no finishing call");
        };
        match rule {
            Rule::StatusAfterCompletion => {
                plan.insert(t + 1, Planned::once(StatusCall::progress(d, d)));
            }
            Rule::NegativeProgress => {
                let first = plan.iter_mut().find(|planned| planned.is_status());
                if let Some(Planned {
                    input: Input::Status(call),
                    repeatable,
                }) = first
                {
                    call.numerator = -1;
                    *repeatable = false;
                }
            }
            Rule::NumeratorExceedsDenominator => {
                plan.insert(t, Planned::once(StatusCall::progress(d + 1, d)));
            }
            Rule::DenominatorChanged => {
                let call = StatusCall::progress(previous.unwrap_or(0), d + 1);
                plan.insert(t, Planned::once(call));
            }
            Rule::NumeratorDecreased => match previous {
                Some(p) if p >= 1 => plan.insert(t, Planned::once(StatusCall::progress(p - 1, d))),
                _ if d >= 2 => {
                    plan.insert(t, Planned::once(StatusCall::progress(0, d)));
                    plan.insert(t, Planned::once(StatusCall::progress(1, d)));
                }
                _ => return cannot("the numerator can only go back with 2 or more extensions"),
            },
            Rule::FailureBeforeCompletion => {
                if d == 0 {
                    return cannot("with 0 extensions the first call is already complete");
                }
                finishing.numerator = previous.unwrap_or(0);
                finishing.result = None;
                if finishing.hr.is_success() {
                    finishing.hr = HResult::E_FAIL;
                    finishing
                        .messages
                        .get_or_insert_with(Vec::new)
                        .push(failure_message(HResult::E_FAIL, rng));
                }
            }
            Rule::ResultBeforeCompletion => {
                if d == 0 {
                    return cannot("with 0 extensions the first call is already complete");
                }
                let early = StatusCall::progress(previous.unwrap_or(0), d)
                    .with_result(result_of(result_type, rng));
                plan.insert(t, Planned::once(early));
            }
            Rule::ResultOnFailure => {
                if finishing.hr.is_success() {
                    finishing.hr = HResult::E_FAIL;
                    finishing
                        .messages
                        .get_or_insert_with(Vec::new)
                        .push(failure_message(HResult::E_FAIL, rng));
                }
                finishing.result = Some(result_of(result_type, rng));
            }
            Rule::UnexpectedResult => {
                if !self.operation.defines_result() {
                    return cannot("the unknown operation allows every result type");
                }
                if finishing.hr.is_failure() {
                    return cannot("a failed or cancelled run would break result-on-failure first");
                }
                finishing.result = Some(ResultDescription::Object);
            }
            Rule::MissingResult => {
                if !self.operation.defines_result() {
                    return cannot("the unknown operation defines no result");
                }
                if finishing.hr.is_failure() {
                    return cannot("a failed or cancelled run needs no result");
                }
                finishing.result = None;
            }
        }
        Ok(())
    }
}

/// One input of the plan, and whether a second server thread may repeat it.
#[derive(Debug, Clone)]
struct Planned {
    input: Input,
    /// A step's call that neither ends the operation nor breaks a rule: repeating its
    /// fraction at the same moment changes nothing but the count of calls.
    repeatable: bool,
}

impl Planned {
    fn once(call: StatusCall) -> Self {
        Planned {
            input: call.into(),
            repeatable: false,
        }
    }

    fn cancel() -> Self {
        Planned {
            input: Input::Cancel,
            repeatable: false,
        }
    }

    fn is_status(&self) -> bool {
        matches!(self.input, Input::Status(_))
    }
}

// The live server: `Simulation::serve` and what it hands back.
impl Simulation {
    /// Starts the simulated GPMC server on its own thread: it reports the plan to
    /// `tracker` (a tracker of this simulation's [`operation`](Self::operation)) through a
    /// [`Reporter`], at the [`pace`](Self::pace) set, as GPMC calls
    /// `IGPMAsyncProgress::Status`.
    ///
    /// - A planned [`cancel_at`](Self::cancel_at) is requested on the client's behalf at its
    ///   moment, with [`Tracker::cancel`].
    /// - A cancel request made with the server's [`CancelHandle`] reaches the server, which
    ///   answers it at its next step (cutting the pause short) with the
    ///   [`cancel_answer`](Self::cancel_answer): a failure is a finishing `n/n` call carrying
    ///   it, the very call of a run with [`cancel_at`](Self::cancel_at) planned right after
    ///   the server's last call (warnings still due included); a success means the server
    ///   goes on. A request after the finishing call changes nothing.
    /// - [`fail_to_start`](Self::fail_to_start): [`Reporter::start_failed`] is reported before
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
        let cancel = CancelHandle {
            tracker: tracker.clone(),
            signal: Arc::clone(&signal),
        };
        let reporter = tracker.reporter();
        if let Some(hr) = self.start_failure() {
            reporter.start_failed(hr);
            return Ok(SimulatedServer {
                thread: None,
                cancel,
            });
        }
        let follower = if self.overlapping {
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
            simulation: self.clone(),
            plan: self.plan()?,
        })
    }

    /// The code the asynchronous method fails to start with, if it does.
    pub(crate) fn start_failure(&self) -> Option<HResult> {
        self.start_failure
    }

    /// Whether a second thread repeats the plain progress calls.
    #[cfg_attr(not(all(windows, feature = "com-fake")), allow(dead_code))]
    pub(crate) fn is_overlapping(&self) -> bool {
        self.overlapping
    }

    /// The run as a synchronous call reports it: the same simulation without the client's
    /// cancel, a broken rule, a let-go and a second thread (a synchronous call can be neither
    /// cancelled nor observed), reduced to what the server's `IGPMResult` holds: the
    /// finishing call's HRESULT, the messages of every call, and the finishing call's result.
    #[cfg_attr(not(all(windows, feature = "com-fake")), allow(dead_code))]
    pub(crate) fn sync_plan(&self) -> Result<SyncPlan, SimulationError> {
        let mut plain = self.clone();
        plain.cancel_at = None;
        plain.break_rule = None;
        plain.let_go_at = None;
        plain.overlapping = false;
        plain.start_failure = None;
        let mut sync = SyncPlan {
            hr: HResult::S_OK,
            messages: Vec::new(),
            result: None,
        };
        for planned in plain.plan()? {
            if let Input::Status(call) = planned.input {
                sync.hr = call.hr;
                sync.messages.extend(call.messages.unwrap_or_default());
                sync.result = call.result;
            }
        }
        Ok(sync)
    }

    /// The call answering a cancel request that reached the server after its call reporting
    /// `after` (or before its first call): the answer of the same plan with the cancel
    /// planned there, without a broken rule or a let-go. `None` when that plan has none
    /// (the cancel comes at the end).
    fn answer_to_cancel(&self, after: Option<i32>) -> Option<StatusCall> {
        let n = self.extension_count();
        let step = after.map_or(0, |numerator| numerator.clamp(0, n as i32) as u32);
        let mut replanned = self.clone();
        replanned.break_rule = None;
        replanned.let_go_at = None;
        replanned.start_failure = None;
        replanned.cancel_at = Some(step);
        let plan = replanned.plan().ok()?;
        let cancel = plan.iter().position(|p| !p.is_status())?;
        plan.into_iter()
            .skip(cancel + 1)
            .find_map(|planned| match planned.input {
                Input::Status(call) => Some(call),
                Input::Cancel => None,
            })
    }
}

/// A running simulated server, from [`Simulation::serve`].
///
/// Dropping it leaves the server running to its end; [`join`](Self::join) waits for it.
#[derive(Debug)]
pub struct SimulatedServer {
    thread: Option<JoinHandle<Served>>,
    cancel: CancelHandle,
}

impl SimulatedServer {
    /// The client's cancel handle for this server (like GPMC's `IGPMAsyncCancel`).
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Requests cancel: the same as [`CancelHandle::cancel`].
    pub fn cancel(&self) -> bool {
        self.cancel.cancel()
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
    /// Whether a cancel request from a [`CancelHandle`] reached the server while it ran.
    pub cancel_received: bool,
}

/// The client's way to cancel a simulated operation, like GPMC's `IGPMAsyncCancel`: cheap
/// to clone, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct CancelHandle {
    tracker: Tracker,
    signal: Arc<Signal>,
}

impl CancelHandle {
    /// Records the cancel request with [`Tracker::cancel`], then tells the server, which
    /// answers at its next step. Returns what [`Tracker::cancel`] returned: `false` when
    /// the operation had already ended.
    pub fn cancel(&self) -> bool {
        let recorded = self.tracker.cancel();
        self.signal.raise();
        recorded
    }
}

/// What a synchronous call of the simulated method reports in its `IGPMResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(all(windows, feature = "com-fake")), allow(dead_code))]
pub(crate) struct SyncPlan {
    /// `OverallStatus`: the finishing call's HRESULT.
    pub(crate) hr: HResult,
    /// `Status`: the messages of every call, in order.
    pub(crate) messages: Vec<StatusMessage>,
    /// `Result`: the finishing call's result.
    pub(crate) result: Option<ResultDescription>,
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
        self.progress_with_hr(numerator, denominator, hr);
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
    simulation: Simulation,
    plan: Vec<Planned>,
}

impl Script {
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
        let Script { simulation, plan } = self;
        let mut served = Served::default();
        let mut last: Option<i32> = None;
        let mut first = true;
        for planned in plan {
            let call = match planned.input {
                Input::Status(call) => call,
                Input::Cancel => {
                    // The client's planned request, made at its moment.
                    client();
                    continue;
                }
            };
            if !first {
                signal.pause(simulation.pace);
            }
            first = false;
            if signal.take() {
                served.cancel_received = true;
                if simulation.cancel_answer.is_failure() {
                    if let Some(answer) = simulation.answer_to_cancel(last) {
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

/// A small, fast, seedable generator (SplitMix64): enough for picking texts and GUIDs.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    /// A random (version 4) GUID in braces, uppercase, as GPMC writes them.
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{{{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0x0FFF,
            0x8000 | (b >> 48) & 0x3FFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Warnings a real run might report: (extension, error code, text).
const WARNINGS: &[(&str, HResult, &str)] = &[
    (
        "Registry",
        HResult::S_OK,
        "one registry setting could not be read and was skipped",
    ),
    (
        "Security",
        HResult::E_ACCESSDENIED,
        "a group could not be resolved to a security identifier; the entry was kept as text",
    ),
    (
        "Scripts",
        HResult::ERROR_FILE_NOT_FOUND,
        "a logon script referenced by the GPO is missing from SYSVOL",
    ),
    (
        "Folder Redirection",
        HResult::ERROR_PATH_NOT_FOUND,
        "the redirection target path is not reachable",
    ),
    (
        "Software Installation",
        HResult::ERROR_FILE_NOT_FOUND,
        "a package source path is not reachable",
    ),
    (
        "Internet Explorer Maintenance",
        HResult::S_FALSE,
        "settings of an obsolete extension were carried over as they are",
    ),
    (
        "Group Policy Preferences",
        HResult::E_ACCESSDENIED,
        "a preference item refers to a file that cannot be read",
    ),
];

fn warning(rng: &mut SplitMix64) -> StatusMessage {
    let (extension, code, text) = *rng.pick(WARNINGS);
    StatusMessage::new(text)
        .with_extension_name(extension)
        .with_error_code(code)
        .with_operation_code(HResult::from_bits(1 + (rng.next() % 3) as u32))
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

fn failure_message(hr: HResult, rng: &mut SplitMix64) -> StatusMessage {
    let text = match hr.description() {
        Some(description) => format!("the operation stopped: {description}"),
        None => format!("the operation stopped with {hr}"),
    };
    StatusMessage::new(text)
        .with_error_code(hr)
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

fn result_of(result_type: ResultType, rng: &mut SplitMix64) -> ResultDescription {
    match result_type {
        ResultType::Gpo => ResultDescription::Gpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Workstation Policy".into()),
            domain: Some("example.test".into()),
        },
        ResultType::Backup => ResultDescription::Backup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::StarterGpo => ResultDescription::StarterGpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Starter GPO".into()),
        },
        ResultType::StarterGpoBackup => ResultDescription::StarterGpoBackup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\Starter GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::Text => ResultDescription::text(format!(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><GPO><Identifier>{}</Identifier></GPO>",
            rng.guid()
        )),
        ResultType::Object => ResultDescription::Object,
    }
}

// Not under the model checker: these run real threads (loom's primitives need its model).
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::live::TrackError;
    use crate::OutcomeKind;

    fn statuses(inputs: &[Input]) -> Vec<&StatusCall> {
        inputs
            .iter()
            .filter_map(|input| match input {
                Input::Status(call) => Some(call),
                Input::Cancel => None,
            })
            .collect()
    }

    #[test]
    fn the_synchronous_form_is_the_run_without_cancel_let_go_or_broken_rule() {
        let plain = Simulation::new(OperationKind::GpoBackup)
            .extensions(4)
            .warning_at(1)
            .random_warnings(2)
            .seed(9);
        let sync = plain.sync_plan().unwrap();
        let calls: Vec<StatusCall> = statuses(&plain.inputs().unwrap())
            .into_iter()
            .cloned()
            .collect();
        let last = calls.last().unwrap();
        assert_eq!(sync.hr, HResult::S_OK);
        assert_eq!(sync.result, last.result);
        let messages: Vec<StatusMessage> = calls
            .iter()
            .filter_map(|call| call.messages.clone())
            .flatten()
            .collect();
        assert_eq!(sync.messages, messages);
        assert!(sync.messages.len() >= 3);
        for other in [
            plain.clone().cancel_at(2, HResult::ERROR_CANCELLED),
            plain.clone().let_go_at(1),
            plain.clone().break_rule(Rule::MissingResult),
            plain.clone().overlapping(true),
        ] {
            assert_eq!(other.sync_plan().unwrap(), sync);
        }
        let failed = plain
            .fail_at(2, HResult::E_ACCESSDENIED)
            .sync_plan()
            .unwrap();
        assert_eq!(failed.hr, HResult::E_ACCESSDENIED);
        assert_eq!(failed.result, None);
    }

    #[test]
    fn same_seed_same_inputs_and_guids_look_like_guids() {
        let simulation = Simulation::new(OperationKind::GpoBackup)
            .random_warnings(3)
            .seed(42);
        assert_eq!(simulation.inputs().unwrap(), simulation.inputs().unwrap());
        let guid = SplitMix64::new(1).guid();
        assert_eq!(guid.len(), 38);
        assert_eq!(&guid[15..16], "4");
    }

    #[test]
    fn a_plain_run_counts_up_and_delivers_its_result() {
        let inputs = Simulation::new(OperationKind::GpoCopy)
            .extensions(3)
            .inputs()
            .unwrap();
        assert_eq!(inputs.len(), 4);
        for (step, call) in statuses(&inputs).into_iter().enumerate() {
            assert_eq!((call.numerator, call.denominator), (step as i32, 3));
            assert_eq!(call.result.is_some(), step == 3);
        }
    }

    #[cfg(feature = "trace")]
    #[test]
    fn events_are_the_inputs_after_a_begin() {
        use crate::trace::TraceEvent;
        let simulation = Simulation::new(OperationKind::GpoCopy).cancel_at(1, HResult::E_ABORT);
        let events = simulation.events().unwrap();
        assert_eq!(
            events[0],
            TraceEvent::Begin {
                operation: OperationKind::GpoCopy
            }
        );
        let inputs: Vec<TraceEvent> = simulation
            .inputs()
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect();
        assert_eq!(events[1..], inputs[..]);
    }

    #[cfg(feature = "trace")]
    #[test]
    fn timed_events_are_the_events_at_their_planned_moments() {
        use crate::trace::TraceEvent;
        let simulation = Simulation::new(OperationKind::GpoCopy)
            .extensions(3)
            .cancel_at(1, HResult::E_ABORT)
            .pace(Duration::from_micros(1500));
        let timed = simulation.timed_events().unwrap();
        let (events, moments): (Vec<TraceEvent>, Vec<Option<u64>>) = timed.into_iter().unzip();
        assert_eq!(events, simulation.events().unwrap());
        // begin, 0/3, 1/3, the client's cancel right after 1/3, the answer one pace later.
        assert!(matches!(events[3], TraceEvent::Cancel), "{events:?}");
        assert_eq!(moments, [Some(0), Some(0), Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn no_warning_is_lost_when_the_run_ends_early() {
        let count = |inputs: &[Input]| -> usize {
            statuses(inputs)
                .iter()
                .filter_map(|call| call.messages.as_ref().map(Vec::len))
                .sum()
        };
        let sim = Simulation::new(OperationKind::GpoBackup)
            .extensions(6)
            .warning_at(1)
            .warning_at(4)
            .warning_at(6);
        assert_eq!(count(&sim.clone().inputs().unwrap()), 3);
        // The failure adds its own message.
        let failed = sim.clone().fail_at(2, HResult::E_FAIL).inputs().unwrap();
        assert_eq!(count(&failed), 4);
        let cancelled = sim.cancel_at(2, HResult::E_ABORT).inputs().unwrap();
        assert_eq!(count(&cancelled), 4);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let sim = Simulation::new(OperationKind::GpoReport).extensions(2);
        assert!(matches!(
            sim.clone().warning_at(3).inputs(),
            Err(SimulationError::StepOutOfRange {
                what: "warning",
                step: 3,
                extensions: 2
            })
        ));
        assert!(matches!(
            sim.clone().fail_at(1, HResult::S_FALSE).inputs(),
            Err(SimulationError::FailureIsSuccess { .. })
        ));
        assert!(matches!(
            sim.clone().fail_to_start(HResult::S_OK).inputs(),
            Err(SimulationError::FailureIsSuccess { hr: HResult::S_OK })
        ));
        assert_eq!(
            sim.clone().let_go_at(3).inputs().unwrap_err().to_string(),
            "let-go step 3 is beyond the last step, 2"
        );
        assert!(matches!(
            sim.clone().result_type(ResultType::Gpo).inputs(),
            Err(SimulationError::ResultTypeNotAllowed { .. })
        ));
        assert!(matches!(
            sim.clone().extensions(MAX_EXTENSIONS + 1).inputs(),
            Err(SimulationError::TooManyExtensions { .. })
        ));
        assert!(matches!(
            sim.clone()
                .extensions(1)
                .break_rule(Rule::NumeratorDecreased)
                .inputs(),
            Err(SimulationError::CannotBreak {
                rule: Rule::NumeratorDecreased,
                ..
            })
        ));
        // A bad configuration starts no server: the tracker keeps waiting for one.
        let tracker = Tracker::new(OperationKind::GpoReport);
        assert!(sim.warning_at(9).serve(&tracker).is_err());
        assert!(!tracker.is_attached());
        assert!(tracker.try_outcome().is_none());
    }

    #[test]
    fn a_let_go_cuts_the_plan_before_that_call_and_a_start_failure_empties_it() {
        let sim = Simulation::new(OperationKind::GpoBackup).extensions(4);
        let inputs = sim.clone().let_go_at(2).inputs().unwrap();
        assert_eq!(inputs, sim.inputs().unwrap()[..2]);
        assert!(sim.clone().let_go_at(0).inputs().unwrap().is_empty());
        // A run that ended first is not cut.
        let failed = sim.clone().fail_at(1, HResult::E_FAIL);
        assert_eq!(
            failed.clone().let_go_at(3).inputs().unwrap(),
            failed.inputs().unwrap()
        );
        let no_start = sim.fail_to_start(HResult::E_ACCESSDENIED);
        assert!(no_start.inputs().unwrap().is_empty());
    }

    #[test]
    fn the_answer_to_a_live_cancel_is_the_planned_cancel_s() {
        let sim = Simulation::new(OperationKind::GpoImport)
            .extensions(5)
            .warning_at(4)
            .seed(3);
        let planned = sim.clone().cancel_at(2, HResult::E_ABORT).inputs().unwrap();
        let answer = sim
            .clone()
            .cancel_answer(HResult::E_ABORT)
            .answer_to_cancel(Some(2))
            .unwrap();
        assert_eq!(planned.last(), Some(&Input::Status(answer.clone())));
        assert_eq!((answer.numerator, answer.hr), (5, HResult::E_ABORT));
        // The warning of step 4 comes with it.
        assert_eq!(answer.messages.as_ref().map(Vec::len), Some(2));
        // After the last step there is nothing to answer.
        assert_eq!(sim.answer_to_cancel(Some(5)), None);
    }

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
        assert!(server.cancel());
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
