//! [`StatusMachine`]: the sans-IO state machine that judges a sequence of `Status` calls.

use core::fmt;
use std::collections::VecDeque;

use crate::{
    Anomaly, Breach, HResult, Input, OperationKind, OperationOutcome, OutcomeKind,
    ProgressFraction, ResultDescription, ResultType, Rule, Rules, StatusCall, StatusMessage,
    TypedResult, Violation,
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

    /// The next event not yet polled, oldest first; `None` when every event was polled.
    ///
    /// ```
    /// use gpmc_progress::{Event, OutcomeKind, StatusCall, StatusMachine, StatusMessage};
    ///
    /// let mut machine = StatusMachine::default();
    /// machine.handle_status(StatusCall::progress(1, 2))?;
    /// machine.handle_status(
    ///     StatusCall::progress(2, 2).with_messages(vec![StatusMessage::new("a warning")]),
    /// )?;
    /// let events: Vec<Event> = std::iter::from_fn(|| machine.poll_event()).collect();
    /// assert_eq!(
    ///     events,
    ///     [
    ///         Event::Progress("2/2".parse()?), // 1/2 was not polled: merged into 2/2
    ///         Event::Message(StatusMessage::new("a warning")),
    ///         Event::Finished(OutcomeKind::Succeeded),
    ///     ]
    /// );
    /// assert_eq!(machine.poll_event(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.pending_progress.take() {
            Some(progress) => Some(Event::Progress(progress)),
            None => self.events.pop_front(),
        }
    }

    /// Records the client's `IGPMAsyncCancel::Cancel` request.
    ///
    /// Returns whether the request was recorded: a request after the finishing call changes
    /// nothing (the operation already ended) and returns `false`. A repeated request before it
    /// returns `true` again but reports [`Event::CancelRequested`] only once.
    pub fn handle_cancel(&mut self) -> bool {
        if self.finishing_call.is_some() {
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
    #[inline]
    pub fn handle_status(&mut self, call: StatusCall<R>) -> Result<Accepted, Violation> {
        self.handle_status_or_return(call)
            .map_err(|(violation, _)| violation)
    }

    /// [`handle_status`](Self::handle_status), handing a rejected call back, so that the
    /// caller chooses where its result and messages are dropped (the live engine: outside
    /// its lock).
    #[inline(always)]
    pub(crate) fn handle_status_or_return(
        &mut self,
        call: StatusCall<R>,
    ) -> Result<Accepted, (Violation, StatusCall<R>)> {
        let index = self.count_call();
        if call.result.is_none() && call.messages.is_none() {
            let judged = self.judge(call.numerator, call.denominator, call.hr, None);
            if judged.is_quiet() {
                let progress = ProgressFraction::judged_valid(call.numerator, call.denominator);
                return Ok(self.apply_progress(index, progress));
            }
            return self.conclude(index, judged, call);
        }
        let result_type = call.result.as_ref().map(TypedResult::result_type);
        let judged = self.judge(call.numerator, call.denominator, call.hr, result_type);
        self.conclude(index, judged, call)
    }

    /// Judges and applies a `Status` call with no result and a null message collection:
    /// the same as [`handle_status`](Self::handle_status) with
    /// `StatusCall::new(numerator, denominator, hr, None, None)`, without building the call.
    ///
    /// Most calls of an operation are like this, and most of those (neither finishing nor
    /// breaking a rule) are decided with a few comparisons.
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
    #[inline(always)]
    pub fn handle_progress(
        &mut self,
        numerator: i32,
        denominator: i32,
        hr: HResult,
    ) -> Result<Accepted, Violation> {
        let index = self.count_call();
        let judged = self.judge(numerator, denominator, hr, None);
        if judged.is_quiet() {
            let progress = ProgressFraction::judged_valid(numerator, denominator);
            return Ok(self.apply_progress(index, progress));
        }
        self.conclude_progress(index, judged, numerator, denominator, hr)
    }

    /// [`conclude`](Self::conclude) for a progress-only call, out of the fast path's way.
    #[inline(never)]
    fn conclude_progress(
        &mut self,
        index: u64,
        judged: Judged,
        numerator: i32,
        denominator: i32,
        hr: HResult,
    ) -> Result<Accepted, Violation> {
        let call = StatusCall::new(numerator, denominator, hr, None, None);
        self.conclude(index, judged, call)
            .map_err(|(violation, _)| violation)
    }

    /// Counts one more call received, and returns its 1-based index.
    #[inline(always)]
    fn count_call(&mut self) -> u64 {
        let index = self.calls_received.saturating_add(1);
        self.calls_received = index;
        index
    }

    /// Applies a quiet call (see [`Judged::is_quiet`]): only its progress.
    #[inline(always)]
    fn apply_progress(&mut self, index: u64, progress: ProgressFraction) -> Accepted {
        self.last = Some(progress);
        self.push_progress(progress);
        Accepted {
            call: index,
            progress,
            anomalies: Vec::new(),
            finished: None,
        }
    }

    /// The verdict on call `index` from its judgement: the first rule it breaks that is a
    /// violation rejects it (handed back with the call); otherwise the rules it breaks are
    /// its anomalies, and the call is applied: its progress, its messages, its anomalies
    /// and, when it finishes the operation, the outcome, queueing their events in that
    /// order.
    #[inline(never)]
    fn conclude(
        &mut self,
        index: u64,
        judged: Judged,
        call: StatusCall<R>,
    ) -> Result<Accepted, (Violation, StatusCall<R>)> {
        let (numerator, denominator) = (call.numerator, call.denominator);
        let result_type = call.result.as_ref().map(TypedResult::result_type);
        let breach = |rule| self.breach(rule, numerator, denominator, call.hr, result_type);
        let violations = judged.breaks & self.rules.violation_bits();
        if let Some(rule) = first_rule(violations) {
            let violation = Violation {
                call: index,
                breach: breach(rule),
            };
            return Err((violation, call));
        }
        // Negative or exceeding progress is always a violation: the fraction is valid.
        let progress = ProgressFraction::judged_valid(numerator, denominator);
        let mut anomalies = Vec::new();
        let mut rest = judged.breaks;
        while let Some(rule) = first_rule(rest) {
            rest &= !rule.bit();
            anomalies.push(Anomaly {
                call: index,
                breach: breach(rule),
            });
        }

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
        self.anomalies.extend_from_slice(&anomalies);
        self.events
            .extend(anomalies.iter().copied().map(Event::Anomaly));
        let finished = if judged.finishing {
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

    fn record_messages(&mut self, messages: Vec<StatusMessage>) {
        self.events
            .extend(messages.iter().cloned().map(Event::Message));
        self.messages.extend(messages);
    }

    /// Applies the finishing call: the outcome, decided once.
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

    /// Applies the [crate docs' rules](crate#the-rules) to a call (its fraction, its
    /// `hrStatus` and the type of its result, if any) given the state so far, without
    /// changing anything: every rule it breaks and whether it finishes the operation. The
    /// one judgement of every call; what follows from it (the first violation in
    /// precedence order, or the anomalies) is [`conclude`](Self::conclude)'s.
    #[inline(always)]
    fn judge(
        &self,
        numerator: i32,
        denominator: i32,
        hr: HResult,
        result_type: Option<ResultType>,
    ) -> Judged {
        // Every check is a branch expected not to be taken: most calls break nothing.
        let mut breaks = 0;
        let mut check = |rule: Rule, broken: bool| {
            if unlikely(broken) {
                breaks |= rule.bit();
            }
        };
        check(Rule::StatusAfterCompletion, self.finishing_call.is_some());
        let negative = numerator < 0 || denominator < 0;
        check(Rule::NegativeProgress, negative);
        check(
            Rule::NumeratorExceedsDenominator,
            !negative && numerator > denominator,
        );
        if let Some(previous) = self.last {
            check(
                Rule::DenominatorChanged,
                denominator != previous.denominator(),
            );
            check(Rule::NumeratorDecreased, numerator < previous.numerator());
        }
        let failure = hr.is_failure();
        let complete = numerator == denominator;
        let finishing = unlikely(complete || failure);
        check(Rule::FailureBeforeCompletion, failure && !complete);
        match result_type {
            Some(result_type) => {
                check(Rule::ResultBeforeCompletion, !finishing);
                check(Rule::ResultOnFailure, failure);
                check(Rule::UnexpectedResult, !self.operation.allows(result_type));
            }
            None => check(
                Rule::MissingResult,
                finishing && !failure && self.operation.defines_result(),
            ),
        }
        Judged { breaks, finishing }
    }

    /// How a call breaks `rule`, given the state before it: the details of a rule that
    /// [`judge`](Self::judge) found broken (the previous call of `denominator-changed`, the
    /// result type of `unexpected-result`, …), which it found because they exist.
    #[cold]
    fn breach(
        &self,
        rule: Rule,
        numerator: i32,
        denominator: i32,
        hr: HResult,
        result_type: Option<ResultType>,
    ) -> Breach {
        let previous = self.last.map_or((numerator, denominator), |previous| {
            (previous.numerator(), previous.denominator())
        });
        let result_type = result_type.unwrap_or(ResultType::Object);
        match rule {
            Rule::StatusAfterCompletion => Breach::StatusAfterCompletion {
                finishing_call: self.finishing_call.unwrap_or_default(),
            },
            Rule::NegativeProgress => Breach::NegativeProgress {
                numerator,
                denominator,
            },
            Rule::NumeratorExceedsDenominator => Breach::NumeratorExceedsDenominator {
                numerator,
                denominator,
            },
            Rule::DenominatorChanged => Breach::DenominatorChanged {
                previous: previous.1,
                denominator,
            },
            Rule::NumeratorDecreased => Breach::NumeratorDecreased {
                previous: previous.0,
                numerator,
            },
            Rule::FailureBeforeCompletion => Breach::FailureBeforeCompletion {
                hr,
                numerator,
                denominator,
            },
            Rule::ResultBeforeCompletion => Breach::ResultBeforeCompletion {
                result_type,
                numerator,
                denominator,
            },
            Rule::ResultOnFailure => Breach::ResultOnFailure { result_type, hr },
            Rule::UnexpectedResult => Breach::UnexpectedResult {
                result_type,
                operation: self.operation,
            },
            Rule::MissingResult => Breach::MissingResult {
                operation: self.operation,
            },
        }
    }
}

/// A call's judgement: the rules it breaks (one [`Rule::bit`] each) and whether it
/// finishes the operation (when accepted).
#[derive(Debug, Clone, Copy)]
struct Judged {
    breaks: u16,
    finishing: bool,
}

impl Judged {
    /// Accepted with no anomaly, not finishing: applying it changes only the progress (and
    /// its fraction is valid).
    #[inline(always)]
    fn is_quiet(self) -> bool {
        self.breaks == 0 && !self.finishing
    }
}

/// `condition`, telling the compiler that it is rarely true (stable Rust has no hint for
/// this but a call to a cold function).
#[inline(always)]
fn unlikely(condition: bool) -> bool {
    #[cold]
    #[inline(always)]
    fn rarely() {}

    if condition {
        rarely();
    }
    condition
}

/// The first rule of a set of [`Rule::bit`]s in precedence order, if any.
#[inline]
fn first_rule(bits: u16) -> Option<Rule> {
    if bits == 0 {
        None
    } else {
        Rule::ALL.get(bits.trailing_zeros() as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_s_bit_is_its_place_in_precedence_order() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.bit(), 1 << i, "{rule}");
            assert_eq!(first_rule(rule.bit()), Some(*rule));
        }
        assert_eq!(first_rule(0), None);
        let both = Rule::MissingResult.bit() | Rule::DenominatorChanged.bit();
        assert_eq!(first_rule(both), Some(Rule::DenominatorChanged));
    }
}
