//! [`StatusMachine`]: the sans-IO state machine that judges a sequence of `Status` calls.

use core::fmt;
use std::collections::VecDeque;

use crate::{
    Anomaly, Breach, HResult, Input, OperationKind, OperationOutcome, OutcomeKind,
    ProgressFraction, ResultDescription, Rules, StatusCall, StatusMessage, TypedResult, Violation,
};

/// Where an operation is, as far as its `Status` calls tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// No `Status` call has been accepted yet.
    NotStarted,
    /// At least one call was accepted and none finished the operation.
    Running,
    /// The finishing call was accepted: the outcome is known.
    Finished,
}

impl fmt::Display for Phase {
    /// `not started`, `running` or `finished`.
    ///
    /// ```
    /// use gpmc_progress::{Phase, StatusCall, StatusMachine};
    ///
    /// let mut machine: StatusMachine = StatusMachine::default();
    /// assert_eq!(machine.phase().to_string(), "not started");
    /// machine.handle_status(StatusCall::progress(1, 2))?;
    /// assert_eq!(machine.phase().to_string(), "running");
    /// assert_eq!(Phase::Finished.to_string(), "finished");
    /// # Ok::<(), gpmc_progress::Violation>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::NotStarted => "not started",
            Phase::Running => "running",
            Phase::Finished => "finished",
        })
    }
}

impl fmt::Display for Event {
    /// What happened, as one line starting with the event's name:
    ///
    /// - `progress 2/4 (50%)`: the fraction and its [percentage](ProgressFraction::percent);
    /// - `message: ` and the [`StatusMessage`]'s Display;
    /// - `anomaly: ` and the [`Anomaly`]'s Display;
    /// - `cancel requested`;
    /// - `finished: ` and the outcome's kind: `succeeded`, `failed` or `cancelled`.
    ///
    /// ```
    /// use gpmc_progress::{Anomaly, Breach, Event, HResult, OutcomeKind, StatusMessage};
    ///
    /// assert_eq!(Event::Progress("2/4".parse()?).to_string(), "progress 2/4 (50%)");
    /// assert_eq!(Event::Progress("0/0".parse()?).to_string(), "progress 0/0 (100%)");
    /// let message = StatusMessage::new("access denied while resolving a group")
    ///     .with_extension_name("Security")
    ///     .with_error_code(HResult::E_ACCESSDENIED);
    /// assert_eq!(
    ///     Event::Message(message).to_string(),
    ///     "message: Security: access denied while resolving a group; error code 0x80070005 (E_ACCESSDENIED)"
    /// );
    /// assert_eq!(Event::Message(StatusMessage::default()).to_string(), "message: (empty message)");
    /// let anomaly = Anomaly { call: 3, breach: Breach::NumeratorDecreased { previous: 2, numerator: 1 } };
    /// assert_eq!(
    ///     Event::Anomaly(anomaly).to_string(),
    ///     "anomaly: status call 3 breaks numerator-decreased: numerator 1 is lower than the previous call's 2"
    /// );
    /// assert_eq!(Event::CancelRequested.to_string(), "cancel requested");
    /// assert_eq!(Event::Finished(OutcomeKind::Succeeded).to_string(), "finished: succeeded");
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Progress(progress) => {
                write!(f, "progress {progress} ({}%)", progress.percent())
            }
            Event::Message(message) => write!(f, "message: {message}"),
            Event::Anomaly(anomaly) => write!(f, "anomaly: {anomaly}"),
            Event::CancelRequested => f.write_str("cancel requested"),
            Event::Finished(kind) => write!(f, "finished: {kind}"),
        }
    }
}

/// Something the state machine reports, drained with [`StatusMachine::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An accepted call reported this progress. Progress events that were not polled yet are
    /// merged: only the latest is kept, so an unpolled queue does not grow with progress.
    Progress(ProgressFraction),
    /// An accepted call carried this message (in collection order).
    Message(StatusMessage),
    /// An accepted call broke a rule that is an anomaly under the rules in force.
    Anomaly(Anomaly),
    /// The client's cancel request was recorded (once; later requests report nothing).
    CancelRequested,
    /// The finishing call was accepted; [`StatusMachine::outcome`] has the details.
    Finished(OutcomeKind),
}

/// What an accepted call did, returned by [`StatusMachine::handle_status`].
///
/// ```
/// use gpmc_progress::{Rule, StatusCall, StatusMachine};
///
/// let mut machine = StatusMachine::default();
/// machine.handle_status(StatusCall::progress(2, 4))?;
/// let step = machine.handle_status(StatusCall::progress(1, 4))?;
/// assert_eq!(step.call, 2);
/// assert_eq!(step.anomalies.len(), 1);
/// assert_eq!(step.anomalies[0].rule(), Rule::NumeratorDecreased);
/// assert_eq!(step.finished, None);
/// # Ok::<(), gpmc_progress::Violation>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Accepted {
    /// The call's 1-based index.
    pub call: u64,
    /// The progress it reported.
    pub progress: ProgressFraction,
    /// The anomalies it raised, in the rules' precedence order (also the last ones of
    /// [`StatusMachine::anomalies`]). Empty, and not allocated, for most calls.
    pub anomalies: Vec<Anomaly>,
    /// The outcome's kind, when the call finished the operation.
    pub finished: Option<OutcomeKind>,
}

/// The sans-IO state machine of one GPMC asynchronous operation.
///
/// Feed it the server's `Status` calls with [`handle_status`](Self::handle_status) and the
/// client's cancel request with [`handle_cancel`](Self::handle_cancel), in the order they
/// happened; read what happened from the return values, from
/// [`poll_event`](Self::poll_event), and from the accessors. It has no clock, no threads and
/// does no I/O, so any driver (a COM sink, a trace reader, a test) can run it.
///
/// Each call is judged against the [`Rules`] in precedence order ([`Rule::ALL`](crate::Rule::ALL)). The first
/// rule it breaks that is a violation rejects it: the call is not applied (nor any anomaly it
/// raised), the state stays as it was, and the [`Violation`] says which rule and which call.
/// Feeding more calls after a violation is the caller's choice. Rules that are anomalies are
/// recorded and the call is applied as the [crate docs' rules](crate#the-rules) describe.
///
/// Calls are numbered from 1 in the order received, rejected ones included, so an index
/// always names the server's n-th call.
///
/// ```
/// use gpmc_progress::{
///     Event, HResult, OperationKind, OutcomeKind, ResultDescription, Rule, Rules, StatusCall,
///     StatusMachine,
/// };
///
/// let mut machine = StatusMachine::new(OperationKind::GpoImport, Rules::documented());
/// machine.handle_status(StatusCall::progress(0, 3))?;
/// assert_eq!(machine.poll_event().unwrap(), Event::Progress("0/3".parse()?));
///
/// // A failure before completion ends the operation under `documented`, with an anomaly.
/// let step = machine.handle_status(StatusCall::progress(1, 3).with_hr(HResult::E_FAIL))?;
/// assert_eq!(step.finished, Some(OutcomeKind::Failed));
/// assert_eq!(machine.anomalies()[0].rule(), Rule::FailureBeforeCompletion);
/// assert_eq!(machine.outcome().unwrap().hr(), HResult::E_FAIL);
///
/// // Nothing may follow the finishing call.
/// let late = machine.handle_status(StatusCall::progress(3, 3)).unwrap_err();
/// assert_eq!(late.rule(), Rule::StatusAfterCompletion);
/// assert_eq!(late.call, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StatusMachine<R = ResultDescription> {
    operation: OperationKind,
    rules: Rules,
    calls_received: u64,
    last: Option<ProgressFraction>,
    cancel_requested: bool,
    finishing_call: Option<u64>,
    anomalies: Vec<Anomaly>,
    messages: Vec<StatusMessage>,
    outcome: Option<OperationOutcome<R>>,
    /// The latest unpolled progress, when it is older than everything in `events` (the
    /// common case of a progress-only call with nothing else queued, kept out of the queue).
    pending_progress: Option<ProgressFraction>,
    events: VecDeque<Event>,
}

impl Default for StatusMachine {
    /// An [`OperationKind::Unknown`] operation under the `documented` rules, carrying plain
    /// [`ResultDescription`]s.
    ///
    /// ```
    /// use gpmc_progress::{OperationKind, StatusMachine};
    ///
    /// let machine = StatusMachine::default();
    /// assert_eq!(machine.operation(), OperationKind::Unknown);
    /// ```
    fn default() -> Self {
        StatusMachine::new(OperationKind::Unknown, Rules::default())
    }
}

impl StatusMachine {
    /// A machine for one operation of kind `operation`, judged by `rules`, carrying plain
    /// [`ResultDescription`]s. See [`typed`](Self::typed) for other result types.
    pub fn new(operation: OperationKind, rules: Rules) -> Self {
        StatusMachine::typed(operation, rules)
    }
}

impl<R> StatusMachine<R> {
    /// A machine for one operation of kind `operation`, judged by `rules`, carrying results
    /// of type `R` (anything that can say its [`ResultType`](crate::ResultType)); name `R`
    /// where it cannot be inferred.
    ///
    /// ```
    /// use gpmc_progress::{OperationKind, ResultType, Rules, StatusCall, StatusMachine};
    /// let mut machine =
    ///     StatusMachine::<ResultType>::typed(OperationKind::GpoReport, Rules::strict());
    /// machine.handle_status(StatusCall::typed_progress(1, 1).with_result(ResultType::Text))?;
    /// assert_eq!(machine.outcome().unwrap().result(), Some(&ResultType::Text));
    /// # Ok::<(), gpmc_progress::Violation>(())
    /// ```
    pub fn typed(operation: OperationKind, rules: Rules) -> Self {
        StatusMachine {
            operation,
            rules,
            calls_received: 0,
            last: None,
            cancel_requested: false,
            finishing_call: None,
            anomalies: Vec::new(),
            messages: Vec::new(),
            outcome: None,
            pending_progress: None,
            events: VecDeque::with_capacity(8),
        }
    }

    /// The operation's kind.
    #[inline]
    pub fn operation(&self) -> OperationKind {
        self.operation
    }

    /// The rules in force.
    #[inline]
    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Not started, running or finished.
    #[inline]
    pub fn phase(&self) -> Phase {
        if self.finishing_call.is_some() {
            Phase::Finished
        } else if self.last.is_some() {
            Phase::Running
        } else {
            Phase::NotStarted
        }
    }

    /// Whether the finishing call was accepted.
    #[inline]
    pub fn is_finished(&self) -> bool {
        self.finishing_call.is_some()
    }

    /// The progress of the last accepted call, `None` before the first.
    #[inline]
    pub fn progress(&self) -> Option<ProgressFraction> {
        self.last
    }

    /// How many `Status` calls were received, rejected ones included.
    #[inline]
    pub fn calls_received(&self) -> u64 {
        self.calls_received
    }

    /// The index of the finishing call, once accepted.
    #[inline]
    pub fn finishing_call(&self) -> Option<u64> {
        self.finishing_call
    }

    /// Whether the client requested cancel before the operation finished.
    #[inline]
    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }

    /// Every anomaly recorded, in call order (several for one call in precedence order).
    #[inline]
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// Every message of every accepted call so far, in arrival order.
    #[inline]
    pub fn messages(&self) -> &[StatusMessage] {
        match &self.outcome {
            Some(outcome) => outcome.messages(),
            None => &self.messages,
        }
    }

    /// The outcome, once the finishing call was accepted.
    #[inline]
    pub fn outcome(&self) -> Option<&OperationOutcome<R>> {
        self.outcome.as_ref()
    }

    /// Consumes the machine and returns the outcome, if the operation finished.
    pub fn into_outcome(self) -> Option<OperationOutcome<R>> {
        self.outcome
    }

    /// Forgets the anomalies recorded so far, for a driver that keeps them elsewhere (the
    /// live engine logs each as an event): a server that breaks a rule on every call does
    /// not make the machine grow.
    #[cfg(feature = "live")]
    pub(crate) fn forget_anomalies(&mut self) {
        self.anomalies.clear();
    }

    /// Takes the outcome out of the machine (which stays finished), for a driver that hands
    /// it on without cloning its result (the live engine).
    #[cfg(feature = "live")]
    pub(crate) fn take_outcome(&mut self) -> Option<OperationOutcome<R>> {
        self.outcome.take()
    }

    /// The next event not yet polled, oldest first.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.pending_progress.take() {
            Some(progress) => Some(Event::Progress(progress)),
            None => self.events.pop_front(),
        }
    }

    /// Every event not yet polled, oldest first, as an iterator that takes them out of the
    /// machine: the same as calling [`poll_event`](Self::poll_event) until it returns `None`.
    ///
    /// ```
    /// use gpmc_progress::{Event, OutcomeKind, StatusCall, StatusMachine, StatusMessage};
    ///
    /// let mut machine = StatusMachine::default();
    /// machine.handle_status(StatusCall::progress(1, 2))?;
    /// machine.handle_status(
    ///     StatusCall::progress(2, 2).with_messages(vec![StatusMessage::new("a warning")]),
    /// )?;
    /// let events: Vec<Event> = machine.drain_events().collect();
    /// assert_eq!(
    ///     events,
    ///     [
    ///         Event::Progress("2/2".parse()?), // 1/2 was not polled: merged into 2/2
    ///         Event::Message(StatusMessage::new("a warning")),
    ///         Event::Finished(OutcomeKind::Succeeded),
    ///     ]
    /// );
    /// assert_eq!(machine.drain_events().next(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain_events(&mut self) -> DrainEvents<'_, R> {
        DrainEvents { machine: self }
    }

    /// Records the client's `IGPMAsyncCancel::Cancel` request.
    ///
    /// Returns whether the request was recorded: a request after the finishing call changes
    /// nothing (the operation already ended) and returns `false`. A repeated request before it
    /// returns `true` again but reports [`Event::CancelRequested`] only once.
    pub fn handle_cancel(&mut self) -> bool {
        if self.is_finished() {
            return false;
        }
        if !self.cancel_requested {
            self.cancel_requested = true;
            self.events.push_back(Event::CancelRequested);
        }
        true
    }

    /// Queues a progress event, merged into an unpolled one that nothing follows.
    #[inline(always)]
    fn push_progress(&mut self, progress: ProgressFraction) {
        if self.events.is_empty() {
            self.pending_progress = Some(progress);
        } else {
            self.queue_progress(progress);
        }
    }

    /// [`push_progress`](Self::push_progress) behind other events.
    fn queue_progress(&mut self, progress: ProgressFraction) {
        if let Some(Event::Progress(pending)) = self.events.back_mut() {
            *pending = progress;
        } else {
            self.events.push_back(Event::Progress(progress));
        }
    }
}

impl<R: TypedResult> StatusMachine<R> {
    /// Feeds one input: a `Status` call or the cancel request.
    ///
    /// ```
    /// use gpmc_progress::{Input, StatusCall, StatusMachine};
    /// let mut machine: StatusMachine = StatusMachine::default();
    /// for input in [Input::Status(StatusCall::progress(0, 1)), Input::Cancel] {
    ///     machine.handle(input)?;
    /// }
    /// assert!(machine.cancel_requested());
    /// # Ok::<(), gpmc_progress::Violation>(())
    /// ```
    pub fn handle(&mut self, input: Input<R>) -> Result<(), Violation> {
        match input {
            Input::Status(call) => self.handle_status(call).map(drop),
            Input::Cancel => {
                self.handle_cancel();
                Ok(())
            }
        }
    }

    /// Judges and, unless it is a violation, applies one `Status` call.
    ///
    /// On `Err` nothing changed but the count of calls received.
    pub fn handle_status(&mut self, call: StatusCall<R>) -> Result<Accepted, Violation> {
        self.handle_status_or_return(call)
            .map_err(|(violation, _)| violation)
    }

    /// [`handle_status`](Self::handle_status), handing a rejected call back, so that the
    /// caller chooses where its result and messages are dropped (the live engine: outside
    /// its lock).
    pub(crate) fn handle_status_or_return(
        &mut self,
        call: StatusCall<R>,
    ) -> Result<Accepted, (Violation, StatusCall<R>)> {
        if call.result.is_none() && call.messages.is_none() {
            if let Some(accepted) =
                self.quiet_progress_call(call.numerator, call.denominator, call.hr)
            {
                return Ok(accepted);
            }
        }
        self.judge_and_apply(call)
    }

    /// Judges and applies a `Status` call with no result and a null message collection:
    /// the same as [`handle_status`](Self::handle_status) with
    /// `StatusCall::new(numerator, denominator, hr, None, None)`, without building the call.
    ///
    /// Most calls of an operation are like this, and most of those (the second and later,
    /// neither finishing nor breaking a rule) are decided with a few comparisons.
    ///
    /// ```
    /// use gpmc_progress::{HResult, StatusMachine};
    /// let mut machine: StatusMachine = StatusMachine::default();
    /// for numerator in 0..3 {
    ///     machine.handle_progress(numerator, 4, HResult::S_OK)?;
    /// }
    /// assert_eq!(machine.progress().map(|p| p.percent()), Some(50));
    /// assert!(!machine.handle_progress(1, 4, HResult::S_OK)?.anomalies.is_empty()); // it went back
    /// # Ok::<(), gpmc_progress::Violation>(())
    /// ```
    #[inline]
    pub fn handle_progress(
        &mut self,
        numerator: i32,
        denominator: i32,
        hr: HResult,
    ) -> Result<Accepted, Violation> {
        match self.quiet_progress_call(numerator, denominator, hr) {
            Some(accepted) => Ok(accepted),
            None => self
                .judge_and_apply(StatusCall::new(numerator, denominator, hr, None, None))
                .map_err(|(violation, _)| violation),
        }
    }

    /// Applies a call with no result and no messages when it cannot break a rule, which takes
    /// a previous call and a same-denominator, non-decreasing, not complete fraction, success
    /// and no finishing call yet: then [`judge`](Self::judge) finds nothing (no rule on results
    /// applies to a call that has none and is not the finishing call). Anything else is `None`, for the
    /// full judgement.
    #[inline(always)]
    pub(crate) fn quiet_progress_call(
        &mut self,
        numerator: i32,
        denominator: i32,
        hr: HResult,
    ) -> Option<Accepted> {
        let previous = self.last?;
        let plain = self.finishing_call.is_none()
            && !hr.is_failure()
            && denominator == previous.denominator()
            && numerator >= previous.numerator()
            && numerator < denominator;
        if !plain {
            return None;
        }
        // `0 <= previous.numerator() <= numerator < denominator`: a valid fraction.
        let progress = ProgressFraction::new(numerator, denominator).ok()?;
        let index = self.calls_received.saturating_add(1);
        self.calls_received = index;
        self.last = Some(progress);
        self.push_progress(progress);
        Some(Accepted {
            call: index,
            progress,
            anomalies: Vec::new(),
            finished: None,
        })
    }

    /// The full judgement of [`judge`](Self::judge), then the call applied.
    #[inline(never)]
    fn judge_and_apply(
        &mut self,
        call: StatusCall<R>,
    ) -> Result<Accepted, (Violation, StatusCall<R>)> {
        let index = self.calls_received.saturating_add(1);
        self.calls_received = index;
        // Judging only counts the anomalies: most calls raise none, and the few that do are
        // judged a second time to record them (the verdict is the same both times).
        let mut raised = 0;
        let (progress, finishing) = match self.judge(index, &call, &mut |_| raised += 1) {
            Ok(judged) => judged,
            Err(violation) => return Err((violation, call)),
        };
        let breaches = if raised > 0 {
            self.breaches(index, &call)
        } else {
            Vec::new()
        };

        self.last = Some(progress);
        self.push_progress(progress);
        let StatusCall {
            hr,
            result,
            messages,
            ..
        } = call;
        if let Some(messages) = messages {
            self.record_messages(messages);
        }
        let anomalies: Vec<Anomaly> = breaches
            .into_iter()
            .map(|breach| Anomaly {
                call: index,
                breach,
            })
            .collect();
        self.anomalies.extend_from_slice(&anomalies);
        self.events
            .extend(anomalies.iter().copied().map(Event::Anomaly));
        let finished = if finishing {
            Some(self.finish(index, hr, result))
        } else {
            None
        };
        Ok(Accepted {
            call: index,
            progress,
            anomalies,
            finished,
        })
    }

    #[cold]
    fn record_messages(&mut self, messages: Vec<StatusMessage>) {
        self.events
            .extend(messages.iter().cloned().map(Event::Message));
        self.messages.extend(messages);
    }

    /// Judges an accepted call again, before it is applied, this time keeping its anomalies.
    #[cold]
    fn breaches(&self, index: u64, call: &StatusCall<R>) -> Vec<Breach> {
        let mut breaches = Vec::new();
        let judged = self.judge(index, call, &mut |breach| breaches.push(breach));
        debug_assert!(
            judged.is_ok(),
            "the second judgement differs from the first"
        );
        breaches
    }

    /// Applies the finishing call: the outcome, decided once.
    #[cold]
    fn finish(&mut self, call: u64, hr: HResult, result: Option<R>) -> OutcomeKind {
        let outcome = OperationOutcome::new(
            hr,
            self.cancel_requested,
            result,
            std::mem::take(&mut self.messages),
        );
        let kind = outcome.kind();
        self.outcome = Some(outcome);
        self.finishing_call = Some(call);
        self.events.push_back(Event::Finished(kind));
        kind
    }

    /// Applies the [crate docs' rules](crate#the-rules) to one call without changing anything:
    /// the anomalies it would record, its progress and whether it finishes the operation, or the
    /// violation.
    #[inline]
    fn judge(
        &self,
        index: u64,
        call: &StatusCall<R>,
        anomaly: &mut impl FnMut(Breach),
    ) -> Result<(ProgressFraction, bool), Violation> {
        let rules = self.rules;
        let mut found = |breach: Breach| -> Result<(), Violation> {
            if rules.is_violation(breach.rule()) {
                Err(Violation {
                    call: index,
                    breach,
                })
            } else {
                anomaly(breach);
                Ok(())
            }
        };

        if let Some(finishing_call) = self.finishing_call {
            found(Breach::StatusAfterCompletion { finishing_call })?;
        }
        let (numerator, denominator) = (call.numerator, call.denominator);
        let progress = match ProgressFraction::new(numerator, denominator) {
            Ok(progress) => progress,
            Err(_) if numerator < 0 || denominator < 0 => {
                return Err(Violation {
                    call: index,
                    breach: Breach::NegativeProgress {
                        numerator,
                        denominator,
                    },
                })
            }
            Err(_) => {
                return Err(Violation {
                    call: index,
                    breach: Breach::NumeratorExceedsDenominator {
                        numerator,
                        denominator,
                    },
                })
            }
        };
        if let Some(previous) = self.last {
            if denominator != previous.denominator() {
                found(Breach::DenominatorChanged {
                    previous: previous.denominator(),
                    denominator,
                })?;
            }
            if numerator < previous.numerator() {
                found(Breach::NumeratorDecreased {
                    previous: previous.numerator(),
                    numerator,
                })?;
            }
        }
        let failure = call.hr.is_failure();
        let finishing = progress.is_complete() || failure;
        if failure && !progress.is_complete() {
            found(Breach::FailureBeforeCompletion {
                hr: call.hr,
                numerator,
                denominator,
            })?;
        }
        match call.result.as_ref().map(TypedResult::result_type) {
            Some(result_type) => {
                if !finishing {
                    found(Breach::ResultBeforeCompletion {
                        result_type,
                        numerator,
                        denominator,
                    })?;
                }
                if failure {
                    found(Breach::ResultOnFailure {
                        result_type,
                        hr: call.hr,
                    })?;
                }
                if !self.operation.allows(result_type) {
                    found(Breach::UnexpectedResult {
                        result_type,
                        operation: self.operation,
                    })?;
                }
            }
            None if finishing && !failure && self.operation.defines_result() => {
                found(Breach::MissingResult {
                    operation: self.operation,
                })?;
            }
            None => {}
        }
        Ok((progress, finishing))
    }
}

/// The iterator of [`StatusMachine::drain_events`]: it takes each event out of the machine
/// as it is yielded, so events it did not reach stay for the next poll.
#[derive(Debug)]
#[must_use = "an iterator does nothing unless consumed"]
pub struct DrainEvents<'a, R = ResultDescription> {
    machine: &'a mut StatusMachine<R>,
}

impl<R> Iterator for DrainEvents<'_, R> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.machine.poll_event()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let pending = usize::from(self.machine.pending_progress.is_some());
        let len = self.machine.events.len() + pending;
        (len, Some(len))
    }
}

impl<R> ExactSizeIterator for DrainEvents<'_, R> {}

impl<R> core::iter::FusedIterator for DrainEvents<'_, R> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drain takes only what it yields: events it did not reach stay for the next poll,
    /// and its length is exact, the merged progress included.
    #[test]
    fn draining_part_of_the_events_leaves_the_rest() {
        let mut machine = StatusMachine::default();
        machine.handle_status(StatusCall::progress(0, 2)).unwrap();
        machine.handle_cancel();
        machine
            .handle_status(
                StatusCall::progress(1, 2).with_messages(vec![StatusMessage::new("one")]),
            )
            .unwrap();
        let mut drain = machine.drain_events();
        assert_eq!(drain.len(), 4);
        assert_eq!(drain.next(), Some(Event::Progress("0/2".parse().unwrap())));
        assert_eq!(drain.len(), 3);
        assert_eq!(drain.next(), Some(Event::CancelRequested));
        let rest: Vec<Event> = machine.drain_events().collect();
        assert_eq!(
            rest,
            [
                Event::Progress("1/2".parse().unwrap()),
                Event::Message(StatusMessage::new("one")),
            ]
        );
        assert_eq!(machine.drain_events().len(), 0);
        assert_eq!(machine.poll_event(), None);
    }
}
