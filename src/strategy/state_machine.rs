//! [`StatusMachineReference`]: the [`ReferenceModel`] as a
//! [`ReferenceStateMachine`] of the `proptest-state-machine` crate, with the next input
//! generated from the state the operation is in, and the checks that compare a system
//! under test with it after every input.

use proptest::collection::vec;
use proptest::num::i32::BinarySearch;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{NewTree, Union, ValueTree};
use proptest::test_runner::TestRunner;
use proptest::tuple::TupleValueTree;
use proptest_state_machine::ReferenceStateMachine;

use super::model::{allows, defines_result, ModelStep, ReferenceModel};
use super::values::{
    failure_hresult, hresult, message_collection, operation_kind, progress_number, result_among,
    result_description, rules, status_call, success_hresult,
};
use crate::{
    Accepted, HResult, Input, OperationKind, Phase, ResultDescription, ResultType, Rules,
    StatusCall, StatusMachine, StatusMessage, TypedResult, Violation,
};

/// The state of the reference state machine: the [`ReferenceModel`] of one operation, and
/// what it said about the last input.
///
/// [`StateMachineTest::apply`](proptest_state_machine::StateMachineTest::apply) receives it
/// *after* the input was applied, so [`last_step`](Self::last_step) is the verdict the
/// system under test must agree with, and [`model`](Self::model) the state it must be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceState {
    model: ReferenceModel,
    last_step: Option<ModelStep>,
}

impl ReferenceState {
    /// The state before any input: a fresh model of `operation` under `rules`.
    pub fn new(operation: OperationKind, rules: Rules) -> Self {
        ReferenceState {
            model: ReferenceModel::new(operation, rules),
            last_step: None,
        }
    }

    /// The model, with every input so far applied.
    pub fn model(&self) -> &ReferenceModel {
        &self.model
    }

    /// What the model said about the last input (`None` before the first).
    pub fn last_step(&self) -> Option<&ModelStep> {
        self.last_step.as_ref()
    }

    /// Applies one input to the model and keeps its verdict as the last step.
    pub fn apply<R: TypedResult>(&mut self, input: &Input<R>) -> &ModelStep {
        self.last_step.insert(self.model.step(input))
    }

    /// Compares the verdict of a [`StatusMachine::handle_status`] call (the last input) with
    /// the model's: accepted or rejected, the call's index, the anomalies it raised and
    /// how it finished, or which rule rejected it.
    pub fn check_status(&self, verdict: &Result<Accepted, Violation>) -> Result<(), ModelMismatch> {
        match (&self.last_step, verdict) {
            (
                Some(ModelStep::Accepted {
                    call,
                    anomalies,
                    finished,
                }),
                Ok(accepted),
            ) => {
                compare("accepted call", call, &accepted.call)?;
                let expected: Vec<(u64, crate::Rule)> =
                    anomalies.iter().map(|rule| (*call, *rule)).collect();
                let raised: Vec<(u64, crate::Rule)> = accepted
                    .anomalies
                    .iter()
                    .map(|anomaly| (anomaly.call, anomaly.rule()))
                    .collect();
                compare("anomalies of the call", &expected, &raised)?;
                compare(
                    "finished by the call",
                    &finished.map(|finish| finish.kind),
                    &accepted.finished,
                )
            }
            (Some(ModelStep::Rejected { call, rule }), Err(violation)) => compare(
                "rejected call and rule",
                &(*call, *rule),
                &(violation.call, violation.rule()),
            ),
            (expected, actual) => Err(ModelMismatch::new("verdict", expected, actual)),
        }
    }

    /// Compares the return value of a [`StatusMachine::handle_cancel`] call (the last input)
    /// with the model's: whether the cancel request was recorded.
    pub fn check_cancel(&self, recorded: bool) -> Result<(), ModelMismatch> {
        match &self.last_step {
            Some(ModelStep::Cancel { recorded: expected }) => {
                compare("cancel recorded", expected, &recorded)
            }
            other => Err(ModelMismatch::new(
                "verdict",
                other,
                &format_args!("Cancel {{ recorded: {recorded} }}"),
            )),
        }
    }
}

/// The state check, beside [`ReferenceState`] and [`ModelMismatch`], which it uses.
impl ReferenceModel {
    /// Compares the whole visible state of `machine` with this model's: the operation, the
    /// rules, the phase, the progress, the cancel request, the count of calls, the finishing
    /// call, the anomalies (rule and call index), the messages and the outcome (kind,
    /// `hrStatus`, cancel request, result type and messages).
    ///
    /// The first difference found is the error.
    pub fn check_machine<R: TypedResult>(
        &self,
        machine: &StatusMachine<R>,
    ) -> Result<(), ModelMismatch> {
        let model = self;
        compare("operation", &model.operation(), &machine.operation())?;
        compare("rules", &model.rules(), &machine.rules())?;
        compare("phase", &model.phase(), &machine.phase())?;
        compare("progress", &model.progress(), &machine.progress())?;
        compare(
            "cancel requested",
            &model.cancel_requested(),
            &machine.cancel_requested(),
        )?;
        compare(
            "calls received",
            &model.calls_received(),
            &machine.calls_received(),
        )?;
        compare(
            "finishing call",
            &model.finished().map(|finish| finish.call),
            &machine.finishing_call(),
        )?;
        let expected: Vec<_> = model
            .anomalies()
            .iter()
            .map(|anomaly| (anomaly.call, anomaly.rule))
            .collect();
        let actual: Vec<_> = machine
            .anomalies()
            .iter()
            .map(|anomaly| (anomaly.call, anomaly.rule()))
            .collect();
        compare("anomalies", &expected, &actual)?;
        compare("messages", model.messages(), machine.messages())?;
        let expected = model
            .finished()
            .map(|finish| (finish.kind, finish.hr, finish.result_type));
        let actual = machine.outcome().map(|outcome| {
            (
                outcome.kind(),
                outcome.hr(),
                outcome.result().map(TypedResult::result_type),
            )
        });
        compare("outcome (kind, hr, result type)", &expected, &actual)?;
        if let Some(outcome) = machine.outcome() {
            compare(
                "outcome's cancel request",
                &model.cancel_requested(),
                &outcome.cancel_requested(),
            )?;
            compare("outcome's messages", model.messages(), outcome.messages())?;
        }
        Ok(())
    }
}

/// A difference between the [`ReferenceModel`] and the system under test, found by the
/// checks of [`ReferenceState`] and [`ReferenceModel::check_machine`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: the model has {expected}, the system under test {actual}")]
#[non_exhaustive]
pub struct ModelMismatch {
    /// What differs (`"phase"`, `"anomalies"`, …).
    pub what: &'static str,
    /// The model's value, as `Debug` text.
    pub expected: String,
    /// The value of the system under test, as `Debug` text.
    pub actual: String,
}

impl ModelMismatch {
    /// A mismatch of `what`, with both values written with `Debug`.
    pub fn new(
        what: &'static str,
        expected: &impl std::fmt::Debug,
        actual: &impl std::fmt::Debug,
    ) -> Self {
        ModelMismatch {
            what,
            expected: format!("{expected:?}"),
            actual: format!("{actual:?}"),
        }
    }
}

fn compare<T: PartialEq + std::fmt::Debug + ?Sized>(
    what: &'static str,
    expected: &T,
    actual: &T,
) -> Result<(), ModelMismatch> {
    if expected == actual {
        Ok(())
    } else {
        Err(ModelMismatch::new(what, &expected, &actual))
    }
}

/// The [`ReferenceModel`] as a [`ReferenceStateMachine`]: run it beside a system under test
/// with a [`StateMachineTest`](proptest_state_machine::StateMachineTest) whose
/// `Reference` is this type (see the [module docs](crate::strategy) for an example).
///
/// - [`init_state`](ReferenceStateMachine::init_state): any operation kind (`unknown`
///   included), under the `documented` or `strict` preset or each configurable rule set at
///   random, before any input.
/// - [`transitions`](ReferenceStateMachine::transitions): the next [`Input`], generated from
///   the state the operation is in: mostly what a conforming server (and client) could do
///   next, each rule's breach at a small weight, and calls and cancel requests after the
///   end.
/// - [`apply`](ReferenceStateMachine::apply): [`ReferenceState::apply`].
/// - [`preconditions`](ReferenceStateMachine::preconditions): always true. The model gives
///   a verdict for every input in every state (a call that breaks a rule is judged, a call
///   after the end breaks `status-after-completion`, a late cancel changes nothing), so
///   deleting or shrinking earlier inputs never makes a later one meaningless: it only
///   changes what the model expects of it, and the system under test must agree still.
///
/// Shrinking removes inputs and moves each toward a plain progress call with small numbers,
/// no result and no message; message text shrinks toward short ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusMachineReference;

impl ReferenceStateMachine for StatusMachineReference {
    type State = ReferenceState;
    type Transition = Input;

    fn init_state() -> BoxedStrategy<ReferenceState> {
        let rules = prop_oneof![
            1 => Just(Rules::documented()),
            1 => Just(Rules::strict()),
            2 => rules(),
        ];
        (operation_kind(), rules)
            .prop_map(|(operation, rules)| ReferenceState::new(operation, rules))
            .boxed()
    }

    fn transitions(state: &ReferenceState) -> BoxedStrategy<Input> {
        next_input(state.model())
    }

    fn apply(mut state: ReferenceState, transition: &Input) -> ReferenceState {
        state.apply(transition);
        state
    }
}

/// The next input for an operation in the state of `model`, generated from that state.
///
/// Mostly what a conforming server (and client) could do next: a progress call with the
/// same denominator and a numerator that does not go back (a fresh, mostly small
/// denominator for the first call), the finishing call at completion (a success with a
/// result the operation allows, or a failure without one), a failure before completion,
/// or the client's cancel request. At a small weight, a call that breaks one rule: negative
/// numbers, a numerator above the denominator, another denominator, a lower numerator, a
/// result before completion, a result on failure, a result the operation does not allow,
/// no result where one is due, or any raw call as [`status_call`] draws them (the extremes
/// of `i32` and of the codes included). Once the operation has finished, every call breaks
/// `status-after-completion` and a cancel request changes nothing; both still come.
///
/// Every alternative puts its small values first, and the numerator and denominator of
/// every call shrink toward `0` even where the state fixed them (the running denominator,
/// the last numerator: once shrinking deletes the inputs before, they need not stay), so a
/// failure shrinks toward small numbers, no result, no message and short ASCII text.
fn next_input(model: &ReferenceModel) -> BoxedStrategy<Input> {
    let operation = model.operation();
    let progress = model
        .progress()
        .map(|progress| (progress.numerator(), progress.denominator()));
    match (model.phase(), progress) {
        (Phase::Finished, progress) => {
            let (numerator, denominator) = progress.unwrap_or((0, 0));
            Union::new_weighted(vec![
                (3, calls(operation, numerator, denominator, true)),
                (2, Just(Input::Cancel).boxed()),
                (1, raw_call()),
            ])
            .boxed()
        }
        (_, Some((numerator, denominator))) => calls(operation, numerator, denominator, true),
        (_, None) => Union::new_weighted(vec![
            (
                12,
                small_first_denominator()
                    .prop_flat_map(move |denominator| calls(operation, 0, denominator, false))
                    .boxed(),
            ),
            (1, Just(Input::Cancel).boxed()),
        ])
        .boxed(),
    }
}

/// The weighted choice of the next input of an operation whose last accepted call (or
/// starting point, when `started` is false) is `numerator/denominator`.
fn calls(
    operation: OperationKind,
    numerator: i32,
    denominator: i32,
    started: bool,
) -> BoxedStrategy<Input> {
    let (n, d) = (numerator.max(0), denominator.max(0));
    let below = n < d;
    let mut choices: Vec<(u32, BoxedStrategy<StatusCall>)> = Vec::new();
    let mut conforming = |weight, strategy| choices.push((weight, strategy));
    // The conforming continuations, the most common first.
    if below {
        conforming(24, call((n..d, Just(d)), success(), no_result()));
    }
    conforming(5, call(Just((d, d)), success(), allowed_result(operation)));
    conforming(3, call(Just((d, d)), failure(), no_result()));
    if below {
        conforming(3, call((n..d, Just(d)), failure(), no_result()));
    }
    let mut inputs: Vec<(u32, BoxedStrategy<Input>)> = choices
        .into_iter()
        .map(|(weight, strategy)| (weight, strategy.prop_map(Input::Status).boxed()))
        .collect();
    inputs.push((2, Just(Input::Cancel).boxed()));

    // Each rule's breach, at a small weight.
    let mut odd = |strategy: BoxedStrategy<StatusCall>| {
        inputs.push((1, strategy.prop_map(Input::Status).boxed()));
    };
    odd(call(
        prop_oneof![
            (negative(), Just(d)),
            (Just(n), negative()),
            (negative(), negative()),
        ],
        success(),
        no_result(),
    ));
    odd(call(
        above(d).prop_map(move |above| match above {
            Some(above) => (above, d),
            None => (i32::MAX, i32::MAX - 1),
        }),
        success(),
        no_result(),
    ));
    if started {
        odd(call(
            small_first_denominator()
                .prop_map(move |other| if other == d { other ^ 1 } else { other })
                .prop_flat_map(|other| (0..=other, Just(other))),
            success(),
            no_result(),
        ));
        if n > 0 {
            odd(call((0..n, Just(d)), success(), no_result()));
        }
    }
    if below {
        odd(call(
            (n..d, Just(d)),
            success(),
            result_description().prop_map(Some).boxed(),
        ));
    }
    odd(call(
        Just((d, d)),
        failure(),
        result_description().prop_map(Some).boxed(),
    ));
    let disallowed: Vec<ResultType> = ResultType::ALL
        .iter()
        .copied()
        .filter(|t| !allows(operation, *t))
        .collect();
    if !disallowed.is_empty() {
        odd(call(
            Just((d, d)),
            success(),
            result_among(disallowed).prop_map(Some).boxed(),
        ));
    }
    if defines_result(operation) {
        odd(call(Just((d, d)), success(), no_result()));
    }
    inputs.push((1, raw_call()));
    Union::new_weighted(inputs).boxed()
}

/// Any raw call, as [`status_call`] draws them (any numbers, the extremes of `i32` among
/// them, any code, any result or none), but with numbers that shrink toward `0`.
fn raw_call() -> BoxedStrategy<Input> {
    call(
        prop_oneof![
            (progress_number(), progress_number()),
            status_call().prop_map(|call| (call.numerator, call.denominator)),
        ],
        hresult(),
        option::weighted(0.3, result_description()).boxed(),
    )
    .prop_map(Input::Status)
    .boxed()
}

/// A call from its numbers, code and result, with mostly no message (see [`messages`]).
///
/// The numbers shrink toward `0` whatever strategy drew them (see [`TowardZero`]).
fn call(
    numbers: impl Strategy<Value = (i32, i32)> + 'static,
    hr: BoxedStrategy<HResult>,
    result: BoxedStrategy<Option<ResultDescription>>,
) -> BoxedStrategy<StatusCall> {
    (TowardZero(numbers), hr, result, messages())
        .prop_map(|((n, d), hr, result, messages)| StatusCall::new(n, d, hr, result, messages))
        .boxed()
}

/// The numbers `S` draws, each shrinking toward `0` by binary search.
///
/// A transition keeps the numbers drawn from the state it was generated in. Once shrinking
/// deletes the inputs before it, a numerator or denominator fixed by that state (the running
/// denominator, the last numerator) would otherwise stay as large as it was drawn; this lets
/// them shrink on their own.
#[derive(Debug, Clone)]
struct TowardZero<S>(S);

impl<S: Strategy<Value = (i32, i32)>> Strategy for TowardZero<S> {
    type Tree = TupleValueTree<(BinarySearch, BinarySearch)>;
    type Value = (i32, i32);

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let (n, d) = self.0.new_tree(runner)?.current();
        Ok(TupleValueTree::new((
            BinarySearch::new(n),
            BinarySearch::new(d),
        )))
    }
}

/// A denominator: mostly `0..=10` (shrinking toward `0`), sometimes up to `10 000`, the
/// extremes `i32::MAX - 1` and `i32::MAX`, or any non-negative `i32`.
fn small_first_denominator() -> BoxedStrategy<i32> {
    prop_oneof![
        8 => 0..=10i32,
        2 => 11..=10_000i32,
        1 => select(vec![i32::MAX, i32::MAX - 1]),
        1 => 0..=i32::MAX,
    ]
    .boxed()
}

/// A negative number: mostly small (shrinking toward `-1`), `i32::MIN`, or any.
fn negative() -> BoxedStrategy<i32> {
    prop_oneof![
        4 => -3..=-1i32,
        1 => Just(i32::MIN),
        1 => i32::MIN..0,
    ]
    .boxed()
}

/// A numerator above `d`, mostly just above, or `None` when `d` is `i32::MAX`.
fn above(d: i32) -> BoxedStrategy<Option<i32>> {
    match d.checked_add(1) {
        Some(next) => prop_oneof![
            4 => next..=next.saturating_add(3),
            1 => Just(i32::MAX),
            1 => next..=i32::MAX,
        ]
        .prop_map(Some)
        .boxed(),
        None => Just(None).boxed(),
    }
}

/// A success code, `S_OK` first.
fn success() -> BoxedStrategy<HResult> {
    prop_oneof![4 => Just(HResult::S_OK), 1 => success_hresult()].boxed()
}

/// A failure code: the well-known ones first, the extremes sometimes.
fn failure() -> BoxedStrategy<HResult> {
    failure_hresult()
}

fn no_result() -> BoxedStrategy<Option<ResultDescription>> {
    Just(None).boxed()
}

/// A result a success at completion of `operation` may deliver: one of its types, or for
/// `unknown` none (first) or any.
fn allowed_result(operation: OperationKind) -> BoxedStrategy<Option<ResultDescription>> {
    let allowed: Vec<ResultType> = ResultType::ALL
        .iter()
        .copied()
        .filter(|t| allows(operation, *t))
        .collect();
    if defines_result(operation) {
        result_among(allowed).prop_map(Some).boxed()
    } else {
        option::of(result_among(allowed)).boxed()
    }
}

/// A message collection: mostly null, sometimes empty or one or two short ASCII messages,
/// and now and then any collection (any text and codes; see [`message_collection`]).
fn messages() -> BoxedStrategy<Option<Vec<StatusMessage>>> {
    let ascii = (
        "[a-z]{1,8}( [a-z]{1,8}){0,2}",
        prop_oneof![
            3 => Just(HResult::S_OK),
            1 => hresult(),
        ],
    )
        .prop_map(|(text, code)| StatusMessage::new(text).with_error_code(code));
    prop_oneof![
        8 => Just(None),
        1 => Just(Some(Vec::new())),
        2 => vec(ascii, 1..=2).prop_map(Some),
        1 => message_collection(),
    ]
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Walks `steps` inputs from a fresh model of each operation under `rules` and returns
    /// every rule the model saw broken (as anomaly or violation) and whether a cancel, a
    /// finish, a denominator near `i32::MAX` and an `i32::MIN` came.
    fn explore(rules: Rules, runs: usize, steps: usize) -> (HashSet<crate::Rule>, [bool; 4]) {
        let mut runner = TestRunner::deterministic();
        let mut broken = HashSet::new();
        let mut seen = [false; 4];
        for run in 0..runs {
            let operation = OperationKind::ALL[run % OperationKind::ALL.len()];
            let mut state = ReferenceState::new(operation, rules);
            for _ in 0..steps {
                let input = next_input(state.model())
                    .new_tree(&mut runner)
                    .unwrap()
                    .current();
                if let Input::Status(call) = &input {
                    seen[2] |= call.denominator >= i32::MAX - 1;
                    seen[3] |= call.numerator == i32::MIN || call.denominator == i32::MIN;
                }
                match state.apply(&input) {
                    ModelStep::Accepted {
                        anomalies,
                        finished,
                        ..
                    } => {
                        broken.extend(anomalies.iter().copied());
                        seen[1] |= finished.is_some();
                    }
                    ModelStep::Rejected { rule, .. } => {
                        broken.insert(*rule);
                    }
                    ModelStep::Cancel { recorded } => seen[0] |= *recorded,
                }
            }
        }
        (broken, seen)
    }

    #[test]
    fn the_transitions_reach_every_rule_and_the_extremes() {
        let (mut broken, seen) = explore(Rules::strict(), 300, 8);
        let (documented, _) = explore(Rules::documented(), 300, 8);
        broken.extend(documented);
        for rule in crate::Rule::ALL {
            assert!(broken.contains(rule), "{rule} never broken");
        }
        assert_eq!(seen, [true; 4]);
    }

    #[test]
    fn conforming_continuations_come_most_often() {
        let mut runner = TestRunner::deterministic();
        let mut state = ReferenceState::new(OperationKind::GpoBackup, Rules::strict());
        state.apply::<ResultDescription>(&Input::Status(StatusCall::progress(1, 10)));
        let mut clean = 0;
        for _ in 0..1000 {
            let input = next_input(state.model())
                .new_tree(&mut runner)
                .unwrap()
                .current();
            if breaks_nothing(&input, &state) {
                clean += 1;
            }
        }
        assert!(clean > 600, "{clean} of 1000");
    }

    fn breaks_nothing(input: &Input, state: &ReferenceState) -> bool {
        match input {
            Input::Status(call) => state.model().breaches(call).0.is_empty(),
            Input::Cancel => true,
        }
    }

    #[test]
    fn the_checks_find_a_difference() {
        let mut state = ReferenceState::new(OperationKind::Unknown, Rules::documented());
        let mut machine = StatusMachine::new(OperationKind::Unknown, Rules::documented());
        let input: StatusCall = StatusCall::progress(1, 4);
        state.apply(&Input::Status(input.clone()));
        let verdict = machine.handle_status(input);
        assert_eq!(state.check_status(&verdict), Ok(()));
        assert_eq!(state.model().check_machine(&machine), Ok(()));

        state.apply::<ResultDescription>(&Input::Status(StatusCall::progress(2, 4)));
        let verdict = machine.handle_status(StatusCall::progress(3, 4));
        assert_eq!(state.check_status(&verdict), Ok(()));
        let mismatch = state.model().check_machine(&machine).unwrap_err();
        assert_eq!(mismatch.what, "progress");
        assert_eq!(
            mismatch.to_string(),
            "progress: the model has Some(ProgressFraction { numerator: 2, denominator: 4 }), \
             the system under test Some(ProgressFraction { numerator: 3, denominator: 4 })"
        );

        state.apply(&Input::<ResultDescription>::Cancel);
        assert_eq!(state.check_cancel(true), Ok(()));
        assert_eq!(
            state.check_cancel(false).unwrap_err().what,
            "cancel recorded"
        );
        assert_eq!(state.check_status(&verdict).unwrap_err().what, "verdict");
    }
}
