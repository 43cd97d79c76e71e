//! Strategies for whole operations: conforming sequences, and sequences that break a chosen
//! rule with their last call.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::TestRunner;

use super::values::{
    defined_operation_kind, denominator, failure_hresult, hresult, message_collection,
    operation_kind, progress_number, result_among, result_description, status_call,
    success_hresult,
};
use crate::{HResult, Input, OperationKind, ResultDescription, ResultType, Rule, StatusCall};

/// The inputs of one operation of a known kind.
///
/// [`valid_scenario`] gives conforming ones; [`breaking_scenario`] ones whose last input is
/// a `Status` call that breaks a chosen rule (first in precedence order).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scenario {
    /// The operation's kind.
    pub operation: OperationKind,
    /// The inputs, in order.
    pub inputs: Vec<Input>,
}

impl Scenario {
    /// A scenario from its parts.
    pub fn new(operation: OperationKind, inputs: Vec<Input>) -> Self {
        Scenario { operation, inputs }
    }

    /// How many of the inputs are `Status` calls: the 1-based index of the last one.
    pub fn status_calls(&self) -> u64 {
        self.inputs
            .iter()
            .filter(|input| matches!(input, Input::Status(_)))
            .count() as u64
    }

    /// The last `Status` call, if any.
    pub fn last_call(&self) -> Option<&StatusCall> {
        self.inputs.iter().rev().find_map(|input| match input {
            Input::Status(call) => Some(call),
            Input::Cancel => None,
        })
    }

    /// Whether a cancel request comes before the last `Status` call.
    pub fn cancel_before_last_call(&self) -> bool {
        let last = self
            .inputs
            .iter()
            .rposition(|input| matches!(input, Input::Status(_)));
        match last {
            Some(last) => self.inputs[..last]
                .iter()
                .any(|input| matches!(input, Input::Cancel)),
            None => false,
        }
    }
}

/// Interleaves cancel requests with `calls`: a position `p` puts one before `calls[p]`, and
/// `calls.len()` puts one at the end.
fn with_cancels(calls: Vec<StatusCall>, mut cancels: Vec<usize>) -> Vec<Input> {
    cancels.sort_unstable();
    let mut inputs = Vec::with_capacity(calls.len() + cancels.len());
    let mut pending = cancels.into_iter().peekable();
    for (index, call) in calls.into_iter().enumerate() {
        while pending.next_if(|p| *p <= index).is_some() {
            inputs.push(Input::Cancel);
        }
        inputs.push(Input::Status(call));
    }
    inputs.extend(pending.map(|_| Input::Cancel));
    inputs
}

/// A conforming call before completion: numerator in `numerators`, success, no result.
fn progress_call(
    numerators: impl Strategy<Value = i32>,
    denominator: i32,
) -> impl Strategy<Value = StatusCall> {
    (numerators, success_hresult(), message_collection())
        .prop_map(move |(n, hr, messages)| StatusCall::new(n, denominator, hr, None, messages))
}

/// The calls of a running operation, sorted, with optional cancels, before the next call.
#[derive(Debug, Clone)]
struct Running {
    denominator: i32,
    last_numerator: Option<i32>,
    inputs: Vec<Input>,
}

/// A conforming operation that has not finished: a fixed denominator of at least
/// `min_denominator`, `min_calls` to `min_calls + 5` calls with non-decreasing numerators in
/// `min_numerator..denominator`, and at most one cancel request anywhere (the end included).
fn running(min_calls: usize, min_denominator: i32, min_numerator: i32) -> BoxedStrategy<Running> {
    denominator(min_denominator)
        .prop_flat_map(move |d| {
            let calls = if d > min_numerator {
                vec(
                    progress_call(min_numerator..d, d),
                    min_calls..=min_calls + 5,
                )
                .boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            (Just(d), calls)
        })
        .prop_flat_map(|(d, mut calls)| {
            calls.sort_by_key(|call| call.numerator);
            let len = calls.len();
            (Just(d), Just(calls), vec(0..=len, 0..=1))
        })
        .prop_map(|(denominator, calls, cancels)| Running {
            denominator,
            last_numerator: calls.last().map(|call| call.numerator),
            inputs: with_cancels(calls, cancels),
        })
        .boxed()
}

/// A result a successful completion of `operation` may deliver: one of its types, or for
/// `unknown` none or any.
fn allowed_result(operation: OperationKind) -> BoxedStrategy<Option<ResultDescription>> {
    if operation.defines_result() {
        result_among(operation.result_types().to_vec())
            .prop_map(Some)
            .boxed()
    } else {
        option::of(result_description()).boxed()
    }
}

/// The finishing call of a conforming operation at `denominator/denominator`: a success with
/// an allowed result, or a failure without one.
fn finishing_call(operation: OperationKind, denominator: i32) -> BoxedStrategy<StatusCall> {
    let success = (
        success_hresult(),
        allowed_result(operation),
        message_collection(),
    )
        .prop_map(move |(hr, result, messages)| {
            StatusCall::new(denominator, denominator, hr, result, messages)
        });
    let failure = (failure_hresult(), message_collection()).prop_map(move |(hr, messages)| {
        StatusCall::new(denominator, denominator, hr, None, messages)
    });
    prop_oneof![3 => success, 2 => failure].boxed()
}

/// The inputs of a [`valid_scenario`] of `operation`.
fn valid_sequence(operation: OperationKind) -> BoxedStrategy<Vec<Input>> {
    denominator(0)
        .prop_flat_map(move |d| {
            let body = if d > 0 {
                vec(progress_call(0..d, d), 0..=6).boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            (body, finishing_call(operation, d))
        })
        .prop_flat_map(|(mut calls, last)| {
            calls.sort_by_key(|call| call.numerator);
            calls.push(last);
            let len = calls.len();
            (Just(calls), vec(0..=len, 0..=2))
        })
        .prop_map(|(calls, cancels)| with_cancels(calls, cancels))
        .boxed()
}

/// A complete sequence a conforming server could produce for any operation (`unknown`
/// included), accepted with no anomaly under [`Rules::strict`](crate::Rules::strict).
///
/// The denominator is fixed (often small, sometimes large or near `i32::MAX`, `0`
/// included); zero to six calls before completion with non-decreasing numerators below it
/// and success codes; then the finishing call at `numerator == denominator`, which succeeds
/// with a result the operation allows (none or any for `unknown`) or fails without one.
/// Up to two cancel requests come anywhere, after the finishing call included: the outcome
/// is cancelled when one preceded a failing finishing call.
///
/// ```
/// use gpmc_progress::strategy;
/// use gpmc_progress::{Phase, Rules, StatusMachine};
/// use proptest::prelude::*;
///
/// proptest!(|(scenario in strategy::valid_scenario())| {
///     let mut machine = StatusMachine::new(scenario.operation, Rules::strict());
///     for input in scenario.inputs {
///         machine.handle(input)?;
///     }
///     prop_assert_eq!(machine.phase(), Phase::Finished);
///     prop_assert!(machine.anomalies().is_empty());
/// });
/// ```
pub fn valid_scenario() -> BoxedStrategy<Scenario> {
    operation_kind()
        .prop_flat_map(|operation| {
            valid_sequence(operation).prop_map(move |inputs| Scenario::new(operation, inputs))
        })
        .boxed()
}

/// How the breaking call is built from the operation, the running denominator and the last
/// numerator (0 when no call came yet).
type BreakingCall = fn(OperationKind, i32, i32) -> BoxedStrategy<StatusCall>;

/// A running prefix (see [`running`]) followed by the call `breaking` builds.
fn after_running(
    operations: BoxedStrategy<OperationKind>,
    min_calls: usize,
    min_denominator: i32,
    min_numerator: i32,
    breaking: BreakingCall,
) -> BoxedStrategy<Scenario> {
    (
        operations,
        running(min_calls, min_denominator, min_numerator),
    )
        .prop_flat_map(move |(operation, run)| {
            let call = breaking(operation, run.denominator, run.last_numerator.unwrap_or(0));
            (Just(operation), Just(run.inputs), call)
        })
        .prop_map(|(operation, mut inputs, call)| {
            inputs.push(Input::Status(call));
            Scenario::new(operation, inputs)
        })
        .boxed()
}

/// A call from its parts, with any message collection.
fn call_of(
    numbers: impl Strategy<Value = (i32, i32)> + 'static,
    hr: impl Strategy<Value = HResult> + 'static,
    result: impl Strategy<Value = Option<ResultDescription>> + 'static,
) -> BoxedStrategy<StatusCall> {
    (numbers, hr, result, message_collection())
        .prop_map(|((n, d), hr, result, messages)| StatusCall::new(n, d, hr, result, messages))
        .boxed()
}

fn any_result() -> BoxedStrategy<Option<ResultDescription>> {
    option::weighted(0.3, result_description()).boxed()
}

fn negative() -> BoxedStrategy<i32> {
    prop_oneof![
        1 => Just(i32::MIN),
        1 => Just(-1),
        2 => i32::MIN..0,
    ]
    .boxed()
}

/// The strategy of the breaking call for each rule except `status-after-completion`.
fn breaking_call(rule: Rule) -> (usize, i32, i32, BreakingCall) {
    match rule {
        // Never reached: status-after-completion follows a finished operation.
        Rule::StatusAfterCompletion | Rule::NegativeProgress => (0, 0, 0, |_, _, _| {
            let numbers = prop_oneof![
                (negative(), progress_number()),
                (progress_number(), negative()),
            ];
            call_of(numbers, hresult(), any_result())
        }),
        Rule::NumeratorExceedsDenominator => (0, 0, 0, |_, _, _| {
            let numbers = prop_oneof![0..=12i32, 0..i32::MAX].prop_flat_map(|d| {
                let above = d + 1;
                (
                    prop_oneof![Just(above), above..=i32::MAX, Just(i32::MAX)],
                    Just(d),
                )
            });
            call_of(numbers, hresult(), any_result())
        }),
        // Any other fixed denominator; a result only at completion (so no always-enforced
        // rule follows); later configurable rules may also break.
        Rule::DenominatorChanged => (1, 1, 0, |_, d, _| {
            let numbers = denominator(0)
                .prop_map(move |x| match x {
                    x if x != d => x,
                    _ if d < i32::MAX => d + 1,
                    _ => d - 1,
                })
                .prop_flat_map(|d2| (prop_oneof![Just(d2), 0..=d2], Just(d2)));
            (numbers, hresult())
                .prop_flat_map(|((n, d2), hr)| {
                    let result = if n == d2 {
                        option::weighted(0.5, result_description()).boxed()
                    } else {
                        Just(None).boxed()
                    };
                    call_of(Just((n, d2)), Just(hr), result)
                })
                .boxed()
        }),
        Rule::NumeratorDecreased => (1, 2, 1, |_, d, last| {
            call_of((0..last, Just(d)), hresult(), Just(None))
        }),
        Rule::FailureBeforeCompletion => (0, 1, 0, |_, d, last| {
            call_of((last..d, Just(d)), failure_hresult(), any_result())
        }),
        Rule::ResultBeforeCompletion => (0, 1, 0, |_, d, last| {
            call_of(
                (last..d, Just(d)),
                success_hresult(),
                result_description().prop_map(Some),
            )
        }),
        Rule::ResultOnFailure => (0, 0, 0, |_, d, _| {
            call_of(
                Just((d, d)),
                failure_hresult(),
                result_description().prop_map(Some),
            )
        }),
        Rule::UnexpectedResult => (0, 0, 0, |operation, d, _| {
            let disallowed: Vec<ResultType> = ResultType::ALL
                .iter()
                .copied()
                .filter(|t| !operation.allows(*t))
                .collect();
            call_of(
                Just((d, d)),
                success_hresult(),
                result_among(disallowed).prop_map(Some),
            )
        }),
        Rule::MissingResult => (0, 0, 0, |_, d, _| {
            call_of(Just((d, d)), success_hresult(), Just(None))
        }),
    }
}

/// Sequences that break `rule`: a conforming prefix, then one `Status` call (the last
/// input) whose first breach in precedence order is exactly `rule`.
///
/// Under [`Rules::strict`](crate::Rules::strict) that call is the violation. It breaks no
/// always-enforced rule after `rule`, so under [`Rules::documented`](crate::Rules::documented)
/// a configurable `rule` is recorded as an anomaly (later configurable rules may be recorded
/// after it) and the call applied, while an always-enforced one is the violation.
///
/// - `status-after-completion`: a whole [`valid_scenario`], maybe a cancel, then any raw call.
/// - `negative-progress`, `numerator-exceeds-denominator`: any prefix, then such a call
///   with any code, result and messages.
/// - `denominator-changed`, `numerator-decreased`: at least one call, then one with another
///   denominator or a lower numerator (any code; a result only at completion).
/// - `failure-before-completion`, `result-before-completion`: a failure, or a success with a
///   result, below the denominator.
/// - `result-on-failure`, `unexpected-result`, `missing-result`: a finishing call at
///   completion with a failure and a result, a success with a result the operation does
///   not allow, or a success without the operation's result (these two only for operations
///   that define a result).
///
/// ```
/// use gpmc_progress::strategy;
/// use gpmc_progress::{Input, Rule, Rules, StatusMachine};
/// use proptest::prelude::*;
///
/// proptest!(|(scenario in strategy::breaking_scenario(Rule::NumeratorDecreased))| {
///     let mut machine = StatusMachine::new(scenario.operation, Rules::strict());
///     let mut violation = None;
///     for input in scenario.inputs.clone() {
///         if let Err(v) = machine.handle(input) {
///             violation = Some(v);
///         }
///     }
///     let violation = violation.expect("the last call breaks the rule");
///     prop_assert_eq!(violation.rule(), Rule::NumeratorDecreased);
///     prop_assert_eq!(violation.call, scenario.status_calls());
/// });
/// ```
pub fn breaking_scenario(rule: Rule) -> BoxedStrategy<Scenario> {
    if rule == Rule::StatusAfterCompletion {
        return (valid_scenario(), any::<bool>(), status_call())
            .prop_map(|(mut scenario, cancel, call)| {
                if cancel {
                    scenario.inputs.push(Input::Cancel);
                }
                scenario.inputs.push(Input::Status(call));
                scenario
            })
            .boxed();
    }
    let operations = match rule {
        Rule::UnexpectedResult | Rule::MissingResult => defined_operation_kind(),
        _ => operation_kind(),
    };
    let (min_calls, min_denominator, min_numerator, breaking) = breaking_call(rule);
    after_running(
        operations,
        min_calls,
        min_denominator,
        min_numerator,
        breaking,
    )
}

/// A conforming prefix of any operation (none, a whole [`valid_scenario`], or a running
/// operation and one more conforming call), followed by up to `max_len` arbitrary inputs:
/// raw calls (any numbers, the extremes of `i32` included, any code, any result or none, a
/// null, empty or filled message collection) and cancel requests. It reaches every state,
/// and feeds each one anything.
///
/// A failing case shrinks toward few inputs: the prefix by dropping its inputs (what is
/// left is still conforming, only shorter), the arbitrary inputs by dropping them and
/// making each simpler.
///
/// ```
/// use gpmc_progress::strategy;
/// use gpmc_progress::{Rules, StatusMachine};
/// use proptest::prelude::*;
///
/// proptest!(|(scenario in strategy::prefixed_arbitrary_scenario(8))| {
///     let mut machine = StatusMachine::new(scenario.operation, Rules::documented());
///     for input in scenario.inputs {
///         let _ = machine.handle(input); // any input: accepted, or rejected with a reason
///         if let Some(progress) = machine.progress() {
///             prop_assert!(progress.percent() <= 100);
///         }
///     }
/// });
/// ```
pub fn prefixed_arbitrary_scenario(max_len: usize) -> BoxedStrategy<Scenario> {
    let prefix = prop_oneof![
        1 => operation_kind().prop_map(|operation| Scenario::new(operation, Vec::new())),
        3 => valid_scenario(),
        3 => after_running(operation_kind(), 0, 1, 0, |_, d, last| {
            call_of((last..d, Just(d)), success_hresult(), Just(None))
        }),
    ];
    (
        DroppingInputs(prefix.boxed()),
        vec(super::values::input(), 0..=max_len),
    )
        .prop_map(|(mut scenario, more)| {
            scenario.inputs.extend(more);
            scenario
        })
        .boxed()
}

/// The scenarios of a strategy, shrinking only by dropping inputs, one at a time from the
/// first: a conforming prefix stays conforming (a shorter run, or one not finished yet),
/// where shrinking inside it would have to go through the strategies it was built from.
#[derive(Debug)]
struct DroppingInputs(BoxedStrategy<Scenario>);

impl Strategy for DroppingInputs {
    type Tree = DroppingTree;
    type Value = Scenario;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let scenario = self.0.new_tree(runner)?.current();
        Ok(DroppingTree {
            kept: vec![true; scenario.inputs.len()],
            scenario,
            next: 0,
            dropped: None,
        })
    }
}

/// The value tree of [`DroppingInputs`].
#[derive(Debug)]
struct DroppingTree {
    scenario: Scenario,
    /// Which inputs are still in.
    kept: Vec<bool>,
    /// The first input not yet tried for dropping.
    next: usize,
    /// The input the last `simplify` dropped.
    dropped: Option<usize>,
}

impl ValueTree for DroppingTree {
    type Value = Scenario;

    fn current(&self) -> Scenario {
        let inputs = self
            .scenario
            .inputs
            .iter()
            .zip(&self.kept)
            .filter(|(_, kept)| **kept)
            .map(|(input, _)| input.clone())
            .collect();
        Scenario::new(self.scenario.operation, inputs)
    }

    fn simplify(&mut self) -> bool {
        while let Some(kept) = self.kept.get_mut(self.next) {
            let index = self.next;
            self.next += 1;
            if *kept {
                *kept = false;
                self.dropped = Some(index);
                return true;
            }
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.dropped.take() {
            Some(index) => {
                self.kept[index] = true;
                true
            }
            None => false,
        }
    }
}
