//! [`Simulation`]: what a simulated GPMC operation does, configured with builder methods, and
//! [`SimulationError`]: why a configuration cannot run.

use std::time::Duration;

use super::plan::Plan;
use crate::{HResult, Input, OperationKind, ResultType, Rule};

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
    pub(super) operation: OperationKind,
    pub(super) extensions: Option<u32>,
    pub(super) result_type: Option<ResultType>,
    pub(super) warnings: Vec<u32>,
    pub(super) random_warnings: u32,
    pub(super) failure: Option<(u32, HResult)>,
    pub(super) cancel_at: Option<u32>,
    pub(super) cancel_answer: HResult,
    pub(super) break_rule: Option<Rule>,
    pub(super) start_failure: Option<HResult>,
    pub(super) let_go_at: Option<u32>,
    pub(super) pace: Duration,
    pub(super) overlapping: bool,
    pub(super) seed: u64,
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
    /// ([`Tracker::cancel`](crate::live::Tracker::cancel)), so a run with a planned cancel is
    /// reproducible at any pace.
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
    /// [`Reporter::start_failed`](crate::live::Reporter::start_failed) before
    /// [`serve`](Self::serve) returns.
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
        self.extensions.unwrap_or_else(|| {
            3 + (super::data::SplitMix64::new(self.seed ^ 0xE87E).next() % 6) as u32
        })
    }

    /// The plan: every `Status` call the server makes and the client's planned cancel
    /// request, in order (empty when the method [fails to start](Self::fail_to_start)).
    pub fn inputs(&self) -> Result<Vec<Input>, SimulationError> {
        Ok(Plan::new(self)?.inputs().collect())
    }

    /// What a synchronous call of the simulated method reports (GPMC's methods run
    /// synchronously when given no progress sink): the same run without the client's cancel,
    /// a broken rule, a let-go or a second thread (a synchronous call can be neither
    /// cancelled nor observed), as one outcome: the finishing call's HRESULT and result, and
    /// the messages of every call. The fake GPMC's synchronous form returns it.
    ///
    /// ```
    /// use gpmc_progress::simulate::Simulation;
    /// use gpmc_progress::{HResult, OperationKind, OutcomeKind};
    ///
    /// let simulation = Simulation::new(OperationKind::GpoBackup).extensions(3).warning_at(1);
    /// let outcome = simulation.clone().cancel_at(1, HResult::E_ABORT).synchronous()?;
    /// assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "no cancel reaches a synchronous call");
    /// assert_eq!(outcome.messages().len(), 1);
    /// assert!(outcome.result().is_some());
    /// # Ok::<(), gpmc_progress::simulate::SimulationError>(())
    /// ```
    pub fn synchronous(&self) -> Result<crate::OperationOutcome, SimulationError> {
        let mut plain = self.clone();
        plain.cancel_at = None;
        plain.break_rule = None;
        plain.let_go_at = None;
        plain.overlapping = false;
        plain.start_failure = None;
        let (mut hr, mut messages, mut result) = (HResult::S_OK, Vec::new(), None);
        for input in plain.inputs()? {
            if let Input::Status(call) = input {
                hr = call.hr;
                messages.extend(call.messages.unwrap_or_default());
                result = call.result;
            }
        }
        Ok(crate::OperationOutcome::new(hr, false, result, messages))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StatusCall, StatusMessage};

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
        let sync = plain.synchronous().unwrap();
        let calls: Vec<StatusCall> = statuses(&plain.inputs().unwrap())
            .into_iter()
            .cloned()
            .collect();
        let last = calls.last().unwrap();
        assert_eq!(sync.hr(), HResult::S_OK);
        assert_eq!(sync.result(), last.result.as_ref());
        let messages: Vec<StatusMessage> = calls
            .iter()
            .filter_map(|call| call.messages.clone())
            .flatten()
            .collect();
        assert_eq!(sync.messages(), &messages[..]);
        assert!(sync.messages().len() >= 3);
        for other in [
            plain.clone().cancel_at(2, HResult::ERROR_CANCELLED),
            plain.clone().let_go_at(1),
            plain.clone().break_rule(Rule::MissingResult),
            plain.clone().overlapping(true),
            plain.clone().fail_to_start(HResult::E_FAIL),
        ] {
            assert_eq!(other.synchronous().unwrap(), sync);
        }
        let failed = plain
            .fail_at(2, HResult::E_ACCESSDENIED)
            .synchronous()
            .unwrap();
        assert_eq!(failed.hr(), HResult::E_ACCESSDENIED);
        assert_eq!(failed.result(), None);
    }

    #[test]
    fn same_seed_same_inputs() {
        let simulation = Simulation::new(OperationKind::GpoBackup)
            .random_warnings(3)
            .seed(42);
        assert_eq!(simulation.inputs().unwrap(), simulation.inputs().unwrap());
        assert_ne!(
            simulation.inputs().unwrap(),
            simulation.seed(43).inputs().unwrap()
        );
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

    #[test]
    #[cfg(feature = "trace")]
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

    #[test]
    #[cfg(feature = "trace")]
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
}
