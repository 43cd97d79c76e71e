//! [`ReferenceModel`]: the crate docs' [rules](crate#the-rules) and [outcomes](crate#outcomes),
//! transcribed as plainly as possible.
//!
//! This is deliberately not [`StatusMachine`](crate::StatusMachine): it shares no code with
//! it beyond the plain value types, and it follows the crate docs' wording rather than an
//! efficient shape. It lists *every* rule a call breaks (in precedence order) and only then
//! picks the first violation, where the machine stops at the first one; it keeps its own
//! table of the results each operation allows (the crate docs'
//! [table](crate#operations-and-their-results)). Property tests run the two side by side and
//! compare them after every input.

use crate::{
    HResult, Input, OperationKind, OutcomeKind, Phase, ProgressFraction, ResultType, Rule, Rules,
    StatusCall, StatusMessage, TypedResult,
};

/// How an operation ended according to the [`ReferenceModel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ModelFinish {
    /// The 1-based index of the finishing `Status` call.
    pub call: u64,
    /// Succeeded, failed or cancelled.
    pub kind: OutcomeKind,
    /// The finishing call's `hrStatus`.
    pub hr: HResult,
    /// The type of the result the outcome keeps (the finishing call's), if any.
    pub result_type: Option<ResultType>,
}

/// A rule broken by an accepted call, as the [`ReferenceModel`] records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ModelAnomaly {
    /// The 1-based index of the `Status` call.
    pub call: u64,
    /// The rule it broke.
    pub rule: Rule,
}

/// What the [`ReferenceModel`] says about one input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelStep {
    /// The `Status` call was accepted and applied.
    Accepted {
        /// Its 1-based index.
        call: u64,
        /// The anomalies it recorded, in precedence order.
        anomalies: Vec<Rule>,
        /// How the operation ended, when the call finished the operation.
        finished: Option<ModelFinish>,
    },
    /// The `Status` call was rejected and nothing changed (but the count of calls).
    Rejected {
        /// Its 1-based index.
        call: u64,
        /// The first rule in precedence order that it broke and that is a violation.
        rule: Rule,
    },
    /// The client's cancel request: `recorded` is false when it came after the finishing call
    /// (and so changed nothing).
    Cancel {
        /// Whether the request was recorded.
        recorded: bool,
    },
}

/// An independent model of the crate docs' [rules](crate#the-rules) and
/// [outcomes](crate#outcomes), for testing implementations of the `Status` protocol (this
/// crate's [`StatusMachine`](crate::StatusMachine) among them).
///
/// Feed it the same inputs as the implementation under test and compare: each input gives a
/// [`ModelStep`], and the accessors expose the phase, the progress, the cancel state, the
/// anomalies, the messages and how the operation finished.
///
/// ```
/// use gpmc_progress::strategy::{ModelStep, ReferenceModel};
/// use gpmc_progress::{HResult, OperationKind, OutcomeKind, Phase, Rule, Rules, StatusCall};
///
/// let mut model = ReferenceModel::new(OperationKind::GpoBackup, Rules::documented());
/// let call: StatusCall = StatusCall::progress(2, 4);
/// assert!(matches!(model.status(&call), ModelStep::Accepted { finished: None, .. }));
/// assert!(model.cancel());
///
/// let abort: StatusCall = StatusCall::progress(1, 5).with_hr(HResult::E_ABORT);
/// match model.status(&abort) {
///     ModelStep::Accepted { anomalies, finished: Some(finish), .. } => {
///         assert_eq!(
///             anomalies,
///             [Rule::DenominatorChanged, Rule::NumeratorDecreased, Rule::FailureBeforeCompletion]
///         );
///         assert_eq!(finish.kind, OutcomeKind::Cancelled);
///     }
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(model.phase(), Phase::Finished);
/// assert_eq!(model.progress(), Some("1/5".parse()?));
/// # Ok::<(), gpmc_progress::FractionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceModel {
    operation: OperationKind,
    rules: Rules,
    calls: u64,
    previous: Option<(i32, i32)>,
    cancel_requested: bool,
    anomalies: Vec<ModelAnomaly>,
    messages: Vec<StatusMessage>,
    finished: Option<ModelFinish>,
}

/// The crate docs' table of operations and their results, written out again: the result
/// types an operation's successful completion may deliver, or `None` for `unknown`, which
/// defines none and allows any.
fn defined_results(operation: OperationKind) -> Option<&'static [ResultType]> {
    use OperationKind as K;
    use ResultType as T;
    Some(match operation {
        K::GpoBackup => &[T::Backup],
        K::GpoImport | K::GpoCopy | K::DomainRestoreGpo => &[T::Gpo],
        K::GpoReport
        | K::BackupReport
        | K::RsopReport
        | K::StarterGpoSave
        | K::StarterGpoReport
        | K::StarterGpoBackupReport => &[T::Text],
        K::DomainLoadStarterGpo | K::DomainRestoreStarterGpo => &[T::StarterGpo],
        K::StarterGpoBackup => &[T::StarterGpoBackup, T::Backup],
        K::StarterGpoCopy => &[T::StarterGpo, T::Gpo],
        K::Unknown => return None,
    })
}

/// Whether a result of `result_type` is one `operation` allows (any is, for `unknown`), by
/// the model's own table.
pub(super) fn allows(operation: OperationKind, result_type: ResultType) -> bool {
    defined_results(operation).map_or(true, |types| types.contains(&result_type))
}

/// Whether `operation` defines a result (every kind but `unknown`), by the model's own table.
pub(super) fn defines_result(operation: OperationKind) -> bool {
    defined_results(operation).is_some()
}

impl ReferenceModel {
    /// A model of one operation of kind `operation` under `rules`, before any input.
    pub fn new(operation: OperationKind, rules: Rules) -> Self {
        ReferenceModel {
            operation,
            rules,
            calls: 0,
            previous: None,
            cancel_requested: false,
            anomalies: Vec::new(),
            messages: Vec::new(),
            finished: None,
        }
    }

    /// The operation's kind.
    pub fn operation(&self) -> OperationKind {
        self.operation
    }

    /// The rules in force.
    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Feeds one input and says what it did.
    pub fn step<R: TypedResult>(&mut self, input: &Input<R>) -> ModelStep {
        match input {
            Input::Status(call) => self.status(call),
            Input::Cancel => ModelStep::Cancel {
                recorded: self.cancel(),
            },
        }
    }

    /// Every rule `call` breaks given the state so far, in precedence order, and whether
    /// it finishes the operation under the rules in force.
    pub fn breaches<R: TypedResult>(&self, call: &StatusCall<R>) -> (Vec<Rule>, bool) {
        let (n, d) = (call.numerator, call.denominator);
        let failure = call.hr.value() < 0;
        let result_type = call.result.as_ref().map(TypedResult::result_type);
        // Finishing: numerator == denominator, or a failure before completion while
        // `failure-before-completion` is an anomaly.
        let finishing =
            n == d || (failure && n < d && !self.rules.is_violation(Rule::FailureBeforeCompletion));
        let defines = defines_result(self.operation);

        let mut broken = Vec::new();
        let mut check = |rule: Rule, breaks: bool| {
            if breaks {
                broken.push(rule);
            }
        };
        check(Rule::StatusAfterCompletion, self.finished.is_some());
        check(Rule::NegativeProgress, n < 0 || d < 0);
        check(Rule::NumeratorExceedsDenominator, n > d);
        check(
            Rule::DenominatorChanged,
            matches!(self.previous, Some((_, pd)) if pd != d),
        );
        check(
            Rule::NumeratorDecreased,
            matches!(self.previous, Some((pn, _)) if n < pn),
        );
        check(Rule::FailureBeforeCompletion, failure && n < d);
        check(
            Rule::ResultBeforeCompletion,
            result_type.is_some() && !finishing,
        );
        check(
            Rule::ResultOnFailure,
            finishing && failure && result_type.is_some(),
        );
        check(
            Rule::UnexpectedResult,
            result_type.is_some_and(|t| !allows(self.operation, t)),
        );
        check(
            Rule::MissingResult,
            finishing && !failure && defines && result_type.is_none(),
        );
        (broken, finishing)
    }

    /// Judges one `Status` call and, unless it breaks a rule that is a violation, applies it.
    pub fn status<R: TypedResult>(&mut self, call: &StatusCall<R>) -> ModelStep {
        self.calls += 1;
        let index = self.calls;
        let (broken, finishing) = self.breaches(call);
        if let Some(rule) = broken.iter().find(|rule| self.rules.is_violation(**rule)) {
            return ModelStep::Rejected {
                call: index,
                rule: *rule,
            };
        }
        self.previous = Some((call.numerator, call.denominator));
        self.messages
            .extend(call.messages.iter().flatten().cloned());
        self.anomalies
            .extend(broken.iter().map(|rule| ModelAnomaly {
                call: index,
                rule: *rule,
            }));
        if finishing {
            let kind = if call.hr.value() >= 0 {
                OutcomeKind::Succeeded
            } else if self.cancel_requested {
                OutcomeKind::Cancelled
            } else {
                OutcomeKind::Failed
            };
            self.finished = Some(ModelFinish {
                call: index,
                kind,
                hr: call.hr,
                result_type: call.result.as_ref().map(TypedResult::result_type),
            });
        }
        ModelStep::Accepted {
            call: index,
            anomalies: broken,
            finished: self.finished.filter(|_| finishing),
        }
    }

    /// The client's cancel request: recorded (returns true) unless the operation already
    /// finished, when it changes nothing (returns false).
    pub fn cancel(&mut self) -> bool {
        if self.finished.is_some() {
            return false;
        }
        self.cancel_requested = true;
        true
    }

    /// Not started (no call accepted), running, or finished (the finishing call accepted).
    pub fn phase(&self) -> Phase {
        match (self.finished, self.previous) {
            (Some(_), _) => Phase::Finished,
            (None, Some(_)) => Phase::Running,
            (None, None) => Phase::NotStarted,
        }
    }

    /// The last accepted call's fraction, `None` before the first (an accepted call's
    /// fraction is always a valid one: negative and exceeding progress are always
    /// violations).
    pub fn progress(&self) -> Option<ProgressFraction> {
        self.previous
            .and_then(|(numerator, denominator)| ProgressFraction::new(numerator, denominator).ok())
    }

    /// Whether a cancel request was recorded (before the finishing call).
    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }

    /// How many `Status` calls were fed, rejected ones included.
    pub fn calls_received(&self) -> u64 {
        self.calls
    }

    /// Every anomaly recorded, in call order, several for one call in precedence order.
    pub fn anomalies(&self) -> &[ModelAnomaly] {
        &self.anomalies
    }

    /// Every message of every accepted call, in arrival order.
    pub fn messages(&self) -> &[StatusMessage] {
        &self.messages
    }

    /// How the operation ended, once the finishing call was accepted.
    pub fn finished(&self) -> Option<ModelFinish> {
        self.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResultDescription;

    fn call(n: i32, d: i32) -> StatusCall {
        StatusCall::progress(n, d)
    }

    #[test]
    fn its_own_table_matches_the_operation_kinds() {
        for operation in OperationKind::ALL {
            for result_type in ResultType::ALL {
                assert_eq!(
                    allows(*operation, *result_type),
                    operation.allows(*result_type),
                    "{operation} {result_type}"
                );
            }
            assert_eq!(defines_result(*operation), operation.defines_result());
        }
    }

    #[test]
    fn lists_every_breach_and_rejects_at_the_first_violation() {
        let mut model = ReferenceModel::new(OperationKind::GpoReport, Rules::strict());
        assert!(matches!(
            model.status(&call(3, 8)),
            ModelStep::Accepted { .. }
        ));
        let late = call(2, 9).with_hr(HResult::E_FAIL);
        let (broken, finishing) = model.breaches(&late);
        assert_eq!(
            broken,
            [
                Rule::DenominatorChanged,
                Rule::NumeratorDecreased,
                Rule::FailureBeforeCompletion
            ]
        );
        assert!(!finishing);
        assert_eq!(
            model.status(&late),
            ModelStep::Rejected {
                call: 2,
                rule: Rule::DenominatorChanged
            }
        );
        assert_eq!(model.progress(), Some("3/8".parse().unwrap()));
        assert_eq!(model.calls_received(), 2);
    }

    #[test]
    fn documented_finishes_as_the_outcome_rules_say() {
        let mut model = ReferenceModel::new(OperationKind::GpoCopy, Rules::documented());
        assert!(model.cancel());
        let last = call(2, 2)
            .with_hr(HResult::ERROR_CANCELLED)
            .with_result(ResultDescription::text("x"));
        let step = model.status(&last);
        assert_eq!(
            step,
            ModelStep::Accepted {
                call: 1,
                anomalies: vec![Rule::ResultOnFailure, Rule::UnexpectedResult],
                finished: Some(ModelFinish {
                    call: 1,
                    kind: OutcomeKind::Cancelled,
                    hr: HResult::ERROR_CANCELLED,
                    result_type: Some(ResultType::Text),
                }),
            }
        );
        assert!(!model.cancel());
        assert_eq!(
            model.status(&call(2, 2)),
            ModelStep::Rejected {
                call: 2,
                rule: Rule::StatusAfterCompletion
            }
        );
    }

    #[test]
    fn success_without_the_defined_result_is_missing_result() {
        let mut model = ReferenceModel::new(OperationKind::GpoBackup, Rules::documented());
        let step = model.status(&call(0, 0).with_hr(HResult::S_FALSE));
        assert!(matches!(
            step,
            ModelStep::Accepted { ref anomalies, finished: Some(ModelFinish { kind: OutcomeKind::Succeeded, .. }), .. }
                if anomalies == &[Rule::MissingResult]
        ));
        let mut unknown = ReferenceModel::new(OperationKind::Unknown, Rules::strict());
        assert!(matches!(
            unknown.status(&call(0, 0).with_result(ResultDescription::Object)),
            ModelStep::Accepted { ref anomalies, .. } if anomalies.is_empty()
        ));
    }

    /// The worked example traces (`tests/fixtures/examples`), as inputs, with the
    /// verdicts listed in their `expected.json` under both presets (call indices instead of line numbers).
    #[test]
    fn agrees_with_the_worked_example_traces() {
        use OperationKind as K;
        #[derive(Debug, PartialEq)]
        enum Verdict {
            Finished(OutcomeKind, Option<ResultType>, Vec<(u64, Rule)>),
            Violation(u64, Rule),
            Unfinished(ProgressFraction),
        }
        fn run(operation: OperationKind, rules: Rules, inputs: &[Input]) -> Verdict {
            let mut model = ReferenceModel::new(operation, rules);
            for input in inputs {
                if let ModelStep::Rejected { call, rule } = model.step(input) {
                    return Verdict::Violation(call, rule);
                }
            }
            let anomalies = model.anomalies().iter().map(|a| (a.call, a.rule)).collect();
            match model.finished() {
                Some(finish) => Verdict::Finished(finish.kind, finish.result_type, anomalies),
                None => Verdict::Unfinished(model.progress().expect("a call")),
            }
        }
        let status = |n, d| Input::Status(call(n, d));
        let failing = |n, d, hr| Input::Status(call(n, d).with_hr(hr));
        let with_result =
            |n, d, t| Input::Status(call(n, d).with_result(ResultDescription::bare(t)));
        use OutcomeKind::{Cancelled, Failed, Succeeded};
        let cases: Vec<(&str, OperationKind, Vec<Input>, Verdict, Verdict)> = vec![
            (
                "backup-succeeds",
                K::GpoBackup,
                vec![
                    status(0, 5),
                    status(2, 5),
                    status(2, 5),
                    with_result(5, 5, ResultType::Backup),
                ],
                Verdict::Finished(Succeeded, Some(ResultType::Backup), vec![]),
                Verdict::Finished(Succeeded, Some(ResultType::Backup), vec![]),
            ),
            (
                "call-after-the-end",
                K::Unknown,
                vec![status(3, 3), status(3, 3)],
                Verdict::Violation(2, Rule::StatusAfterCompletion),
                Verdict::Violation(2, Rule::StatusAfterCompletion),
            ),
            (
                "copy-fails-at-the-end",
                K::GpoCopy,
                vec![
                    status(0, 2),
                    status(1, 2),
                    failing(2, 2, HResult::E_ACCESSDENIED),
                ],
                Verdict::Finished(Failed, None, vec![]),
                Verdict::Finished(Failed, None, vec![]),
            ),
            (
                "import-early-failure",
                K::GpoImport,
                vec![status(0, 3), failing(1, 3, HResult::E_FAIL)],
                Verdict::Finished(Failed, None, vec![(2, Rule::FailureBeforeCompletion)]),
                Verdict::Violation(2, Rule::FailureBeforeCompletion),
            ),
            (
                "numerator-goes-back",
                K::Unknown,
                vec![status(0, 6), status(4, 6), status(3, 6), status(6, 6)],
                Verdict::Finished(Succeeded, None, vec![(3, Rule::NumeratorDecreased)]),
                Verdict::Violation(3, Rule::NumeratorDecreased),
            ),
            (
                "report-cancelled",
                K::GpoReport,
                vec![
                    status(0, 6),
                    Input::Cancel,
                    failing(6, 6, HResult::ERROR_CANCELLED),
                ],
                Verdict::Finished(Cancelled, None, vec![]),
                Verdict::Finished(Cancelled, None, vec![]),
            ),
            (
                "restore-missing-result",
                K::DomainRestoreGpo,
                vec![status(0, 1), status(1, 1)],
                Verdict::Finished(Succeeded, None, vec![(2, Rule::MissingResult)]),
                Verdict::Violation(2, Rule::MissingResult),
            ),
            (
                "result-too-early",
                K::Unknown,
                vec![status(0, 3), with_result(1, 3, ResultType::Gpo)],
                Verdict::Violation(2, Rule::ResultBeforeCompletion),
                Verdict::Violation(2, Rule::ResultBeforeCompletion),
            ),
            (
                "still-running",
                K::RsopReport,
                vec![status(0, 9), status(4, 9)],
                Verdict::Unfinished("4/9".parse().unwrap()),
                Verdict::Unfinished("4/9".parse().unwrap()),
            ),
        ];
        for (name, operation, inputs, documented, strict) in cases {
            assert_eq!(
                run(operation, Rules::documented(), &inputs),
                documented,
                "{name}"
            );
            assert_eq!(run(operation, Rules::strict(), &inputs), strict, "{name}");
        }
    }
}
