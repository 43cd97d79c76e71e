//! What a call did against a rule: [`Breach`], recorded as an [`Anomaly`] or rejected as a
//! [`Violation`].

use core::fmt;

use crate::{HResult, OperationKind, ResultType, Rule};

/// One rule broken by one `Status` call, with the values that broke it.
///
/// ```
/// use gpmc_progress::{Breach, Rule};
/// let breach = Breach::NumeratorDecreased { previous: 4, numerator: 3 };
/// assert_eq!(breach.rule(), Rule::NumeratorDecreased);
/// assert_eq!(breach.to_string(), "numerator 3 is lower than the previous call's 4");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Breach {
    /// `status-after-completion`: the operation already ended at call `finishing_call`.
    StatusAfterCompletion {
        /// The 1-based index of the finishing call.
        finishing_call: u64,
    },
    /// `negative-progress`.
    NegativeProgress {
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// `numerator-exceeds-denominator`.
    NumeratorExceedsDenominator {
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// `denominator-changed`.
    DenominatorChanged {
        /// The previous call's denominator.
        previous: i32,
        /// This call's denominator.
        denominator: i32,
    },
    /// `numerator-decreased`.
    NumeratorDecreased {
        /// The previous call's numerator.
        previous: i32,
        /// This call's numerator.
        numerator: i32,
    },
    /// `failure-before-completion`.
    FailureBeforeCompletion {
        /// The failure `hrStatus`.
        hr: HResult,
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// `result-before-completion`.
    ResultBeforeCompletion {
        /// The type of the early result.
        result_type: ResultType,
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// `result-on-failure`.
    ResultOnFailure {
        /// The type of the result.
        result_type: ResultType,
        /// The failure `hrStatus`.
        hr: HResult,
    },
    /// `unexpected-result`.
    UnexpectedResult {
        /// The type given.
        result_type: ResultType,
        /// The operation, which does not allow it.
        operation: OperationKind,
    },
    /// `missing-result`.
    MissingResult {
        /// The operation, which defines a result.
        operation: OperationKind,
    },
}

impl Breach {
    /// The rule broken.
    pub const fn rule(&self) -> Rule {
        match self {
            Breach::StatusAfterCompletion { .. } => Rule::StatusAfterCompletion,
            Breach::NegativeProgress { .. } => Rule::NegativeProgress,
            Breach::NumeratorExceedsDenominator { .. } => Rule::NumeratorExceedsDenominator,
            Breach::DenominatorChanged { .. } => Rule::DenominatorChanged,
            Breach::NumeratorDecreased { .. } => Rule::NumeratorDecreased,
            Breach::FailureBeforeCompletion { .. } => Rule::FailureBeforeCompletion,
            Breach::ResultBeforeCompletion { .. } => Rule::ResultBeforeCompletion,
            Breach::ResultOnFailure { .. } => Rule::ResultOnFailure,
            Breach::UnexpectedResult { .. } => Rule::UnexpectedResult,
            Breach::MissingResult { .. } => Rule::MissingResult,
        }
    }
}

impl fmt::Display for Breach {
    /// A lowercase sentence naming the values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Breach::StatusAfterCompletion { finishing_call } => {
                write!(
                    f,
                    "the operation already ended at status call {finishing_call}"
                )
            }
            Breach::NegativeProgress {
                numerator,
                denominator,
            } => write!(f, "progress {numerator}/{denominator} is negative"),
            Breach::NumeratorExceedsDenominator {
                numerator,
                denominator,
            } => write!(f, "numerator {numerator} exceeds denominator {denominator}"),
            Breach::DenominatorChanged {
                previous,
                denominator,
            } => write!(
                f,
                "denominator {denominator} differs from the previous call's {previous}"
            ),
            Breach::NumeratorDecreased {
                previous,
                numerator,
            } => write!(
                f,
                "numerator {numerator} is lower than the previous call's {previous}"
            ),
            Breach::FailureBeforeCompletion {
                hr,
                numerator,
                denominator,
            } => write!(
                f,
                "failure {hr} at {numerator}/{denominator}, before completion"
            ),
            Breach::ResultBeforeCompletion {
                result_type,
                numerator,
                denominator,
            } => write!(
                f,
                "{result_type} result at {numerator}/{denominator}, before completion"
            ),
            Breach::ResultOnFailure { result_type, hr } => {
                write!(f, "{result_type} result with failure {hr}")
            }
            Breach::UnexpectedResult {
                result_type,
                operation,
            } => write!(f, "{result_type} result is not allowed for {operation}"),
            Breach::MissingResult { operation } => {
                write!(f, "{operation} succeeded without its result")
            }
        }
    }
}

/// A rule broken by an accepted call: recorded, and the call applied as the crate docs' rules say.
///
/// ```
/// use gpmc_progress::{Anomaly, Breach, Rule};
/// let anomaly = Anomaly { call: 3, breach: Breach::DenominatorChanged { previous: 4, denominator: 5 } };
/// assert_eq!(anomaly.rule(), Rule::DenominatorChanged);
/// assert_eq!(
///     anomaly.to_string(),
///     "status call 3 breaks denominator-changed: denominator 5 differs from the previous call's 4"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Anomaly {
    /// The 1-based index of the `Status` call.
    pub call: u64,
    /// The rule broken and how.
    pub breach: Breach,
}

impl Anomaly {
    /// The rule broken.
    pub const fn rule(&self) -> Rule {
        self.breach.rule()
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "status call {} breaks {}: {}",
            self.call,
            self.breach.rule(),
            self.breach
        )
    }
}

/// A call rejected because it breaks a rule that is a violation under the rules in force.
/// The call was not applied.
///
/// ```
/// use gpmc_progress::{Breach, Rule, StatusCall, StatusMachine};
///
/// let mut machine: StatusMachine = StatusMachine::default();
/// let violation = machine.handle_status(StatusCall::progress(5, 3)).unwrap_err();
/// assert_eq!(violation.rule(), Rule::NumeratorExceedsDenominator);
/// assert_eq!(violation.call, 1);
/// assert_eq!(
///     violation.to_string(),
///     "status call 1 violates numerator-exceeds-denominator: numerator 5 exceeds denominator 3"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("status call {call} violates {}: {breach}", breach.rule())]
#[non_exhaustive]
pub struct Violation {
    /// The 1-based index of the rejected `Status` call.
    pub call: u64,
    /// The rule broken and how.
    pub breach: Breach,
}

impl Violation {
    /// The rule violated.
    pub const fn rule(&self) -> Rule {
        self.breach.rule()
    }
}
