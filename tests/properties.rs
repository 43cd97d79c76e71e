//! Property tests: the state machine against the independent reference model of the rules
//! and outcomes the crate docs state, after every input, under the `documented` and `strict` presets and
//! random per-rule settings; and what conforming and rule-breaking sequences must give.
#![cfg(feature = "proptest")]

use gpmc_progress::strategy::{self, ModelStep, ReferenceModel, Scenario};
use gpmc_progress::{
    Event, HResult, Input, OperationKind, OutcomeKind, Phase, ProgressFraction, Rule, Rules,
    StatusCall, StatusMachine, StatusMessage, TypedResult,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A rule, and a breaking scenario for it.
fn any_breaking_scenario() -> impl Strategy<Value = (Rule, Scenario)> {
    proptest::sample::select(Rule::ALL)
        .prop_flat_map(|rule| (Just(rule), strategy::breaking_scenario(rule)))
}

/// The presets, or each configurable rule set at random.
fn any_rules() -> impl Strategy<Value = Rules> {
    prop_oneof![
        1 => Just(Rules::documented()),
        1 => Just(Rules::strict()),
        2 => strategy::rules(),
    ]
}

/// Feeds `scenario` to the machine and the model side by side and compares them after every
/// input: the verdict of the input, the events it raised, and the whole visible state.
fn agree(scenario: &Scenario, rules: Rules) -> Result<(), TestCaseError> {
    let mut machine = StatusMachine::new(scenario.operation, rules);
    let mut model = ReferenceModel::new(scenario.operation, rules);
    for (position, input) in scenario.inputs.iter().enumerate() {
        let expected = model.step(input);
        let anomalies_before = machine.anomalies().len();
        match (input, &expected) {
            (Input::Cancel, ModelStep::Cancel { recorded }) => {
                let was_requested = machine.cancel_requested();
                prop_assert_eq!(machine.handle_cancel(), *recorded, "input {}", position);
                let events: Vec<Event> = std::iter::from_fn(|| machine.poll_event()).collect();
                let expected_events = if *recorded && !was_requested {
                    vec![Event::CancelRequested]
                } else {
                    vec![]
                };
                prop_assert_eq!(events, expected_events);
            }
            (
                Input::Status(call),
                ModelStep::Accepted {
                    call: index,
                    anomalies,
                    finished,
                },
            ) => {
                let accepted = machine.handle_status(call.clone());
                let accepted = match accepted {
                    Ok(accepted) => accepted,
                    Err(violation) => {
                        return Err(TestCaseError::fail(format!(
                            "input {position}: the model accepts {call:?} with {anomalies:?}, \
                             the machine rejects it: {violation}"
                        )))
                    }
                };
                prop_assert_eq!(accepted.call, *index);
                prop_assert_eq!(
                    (
                        accepted.progress.numerator(),
                        accepted.progress.denominator()
                    ),
                    (call.numerator, call.denominator)
                );
                prop_assert_eq!(accepted.finished, finished.map(|finish| finish.kind));
                let new: Vec<Rule> = machine.anomalies()[anomalies_before..]
                    .iter()
                    .map(|anomaly| anomaly.rule())
                    .collect();
                prop_assert_eq!(&new, anomalies);
                prop_assert_eq!(
                    &accepted.anomalies[..],
                    &machine.anomalies()[anomalies_before..]
                );

                // The events of an accepted call: its progress, its messages, its anomalies
                // and, when finishing, the end.
                let events: Vec<Event> = std::iter::from_fn(|| machine.poll_event()).collect();
                let progress: Vec<_> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Progress(p) => Some(*p),
                        _ => None,
                    })
                    .collect();
                prop_assert_eq!(progress, vec![accepted.progress]);
                let messages: Vec<&StatusMessage> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Message(m) => Some(m),
                        _ => None,
                    })
                    .collect();
                let sent: Vec<&StatusMessage> = call.messages.iter().flatten().collect();
                prop_assert_eq!(messages, sent);
                let anomaly_events: Vec<_> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Anomaly(a) => Some(*a),
                        _ => None,
                    })
                    .collect();
                prop_assert_eq!(
                    &anomaly_events[..],
                    &machine.anomalies()[anomalies_before..]
                );
                prop_assert!(anomaly_events.iter().all(|a| a.call == *index));
                let ends: Vec<_> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Finished(kind) => Some(*kind),
                        _ => None,
                    })
                    .collect();
                prop_assert_eq!(ends, finished.iter().map(|f| f.kind).collect::<Vec<_>>());
            }
            (Input::Status(call), ModelStep::Rejected { call: index, rule }) => {
                let before = (
                    machine.phase(),
                    machine.progress(),
                    machine.messages().to_vec(),
                    machine.outcome().cloned(),
                );
                match machine.handle_status(call.clone()) {
                    Ok(accepted) => {
                        return Err(TestCaseError::fail(format!(
                            "input {position}: the model rejects {call:?} by {rule}, \
                             the machine accepts it: {accepted:?}"
                        )))
                    }
                    Err(violation) => {
                        prop_assert_eq!(violation.rule(), *rule, "input {}", position);
                        prop_assert_eq!(violation.call, *index);
                    }
                }
                let after = (
                    machine.phase(),
                    machine.progress(),
                    machine.messages().to_vec(),
                    machine.outcome().cloned(),
                );
                prop_assert_eq!(before, after, "a rejected call changed the state");
                prop_assert_eq!(machine.poll_event(), None);
            }
            (input, step) => {
                return Err(TestCaseError::fail(format!(
                    "the model answered {step:?} to {input:?}"
                )))
            }
        }
        same_state(&machine, &model)?;
    }
    Ok(())
}

/// The machine's visible state equals the model's.
fn same_state(machine: &StatusMachine, model: &ReferenceModel) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        machine.phase() == Phase::Finished,
        model.finished().is_some()
    );
    model
        .check_machine(machine)
        .map_err(|mismatch| TestCaseError::fail(mismatch.to_string()))
}

/// Feeds every input to a machine; returns it and the first violation (later inputs are
/// still fed).
fn run(scenario: &Scenario, rules: Rules) -> (StatusMachine, Vec<gpmc_progress::Violation>) {
    let mut machine = StatusMachine::new(scenario.operation, rules);
    let mut violations = Vec::new();
    for input in scenario.inputs.iter().cloned() {
        if let Err(violation) = machine.handle(input) {
            violations.push(violation);
        }
    }
    (machine, violations)
}

/// How the crate docs' Outcomes section ends an operation at `call`, cancel requested or not.
fn expected_kind(hr: HResult, cancel_requested: bool) -> OutcomeKind {
    if hr.value() >= 0 {
        OutcomeKind::Succeeded
    } else if cancel_requested {
        OutcomeKind::Cancelled
    } else {
        OutcomeKind::Failed
    }
}

fn all_messages(scenario: &Scenario) -> Vec<StatusMessage> {
    scenario
        .inputs
        .iter()
        .filter_map(|input| match input {
            Input::Status(call) => call.messages.clone(),
            Input::Cancel => None,
        })
        .flatten()
        .collect()
}

proptest! {
    // 256 cases each keep the whole file at a few seconds in a debug build; shrinking is
    // bounded so that a failure is reported in reasonable time too.
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    })]

    #[test]
    fn machine_agrees_with_the_model_on_valid_sequences(
        scenario in strategy::valid_scenario(),
        rules in any_rules(),
    ) {
        agree(&scenario, rules)?;
    }

    #[test]
    fn machine_agrees_with_the_model_on_breaking_sequences(
        (_rule, scenario) in any_breaking_scenario(),
        rules in any_rules(),
    ) {
        agree(&scenario, rules)?;
    }

    #[test]
    fn machine_agrees_with_the_model_after_a_conforming_prefix(
        scenario in strategy::prefixed_arbitrary_scenario(6),
        rules in any_rules(),
    ) {
        agree(&scenario, rules)?;
    }

    #[test]
    fn valid_sequences_finish_with_no_anomaly_under_strict(scenario in strategy::valid_scenario()) {
        let (machine, violations) = run(&scenario, Rules::strict());
        prop_assert_eq!(violations, vec![]);
        prop_assert!(machine.anomalies().is_empty());
        let last = scenario.last_call().expect("a valid sequence has a finishing call");
        let outcome = machine.outcome().expect("a valid sequence finishes");
        prop_assert_eq!(
            outcome.kind(),
            expected_kind(last.hr, scenario.cancel_before_last_call())
        );
        prop_assert_eq!(outcome.hr(), last.hr);
        prop_assert_eq!(outcome.result(), last.result.as_ref());
        prop_assert_eq!(outcome.messages(), &all_messages(&scenario)[..]);
        prop_assert_eq!(machine.finishing_call(), Some(scenario.status_calls()));
        prop_assert_eq!(machine.progress().map(|p| p.percent()), Some(100));
    }

    #[test]
    fn valid_sequences_are_also_clean_under_documented(scenario in strategy::valid_scenario()) {
        let (machine, violations) = run(&scenario, Rules::documented());
        prop_assert_eq!(violations, vec![]);
        prop_assert!(machine.anomalies().is_empty());
        prop_assert_eq!(machine.phase(), Phase::Finished);
    }

    #[test]
    fn breaking_sequences_violate_exactly_the_rule_under_strict(
        (rule, scenario) in any_breaking_scenario(),
    ) {
        let mut machine = StatusMachine::new(scenario.operation, Rules::strict());
        let (last, prefix) = scenario.inputs.split_last().expect("not empty");
        for input in prefix.iter().cloned() {
            machine.handle(input)?;
        }
        prop_assert!(machine.anomalies().is_empty());
        let state = (machine.phase(), machine.progress(), machine.outcome().cloned());
        let violation = machine.handle(last.clone()).expect_err("the last call breaks a rule");
        prop_assert_eq!(violation.rule(), rule);
        prop_assert_eq!(violation.call, scenario.status_calls());
        prop_assert_eq!(state, (machine.phase(), machine.progress(), machine.outcome().cloned()));
    }

    #[test]
    fn breaking_sequences_under_documented(
        (rule, scenario) in any_breaking_scenario(),
    ) {
        let (machine, violations) = run(&scenario, Rules::documented());
        let last: &StatusCall = scenario.last_call().expect("a breaking call");
        if !rule.is_configurable() {
            prop_assert_eq!(violations.len(), 1);
            prop_assert_eq!(violations[0].rule(), rule);
            prop_assert_eq!(violations[0].call, scenario.status_calls());
            prop_assert!(machine.anomalies().is_empty());
            return Ok(());
        }
        prop_assert_eq!(violations, vec![]);
        // The rule is the breaking call's first anomaly, and only that call has any.
        let anomalies = machine.anomalies();
        prop_assert!(!anomalies.is_empty());
        prop_assert_eq!(anomalies[0].rule(), rule);
        prop_assert!(anomalies.iter().all(|a| a.call == scenario.status_calls()));
        // The call is applied as the crate docs say: finishing at completion or on failure.
        prop_assert_eq!(
            machine.progress().map(<(i32, i32)>::from),
            Some((last.numerator, last.denominator))
        );
        let finishing = last.numerator == last.denominator || last.hr.is_failure();
        prop_assert_eq!(machine.phase() == Phase::Finished, finishing);
        if let Some(outcome) = machine.outcome() {
            prop_assert_eq!(
                outcome.kind(),
                expected_kind(last.hr, scenario.cancel_before_last_call())
            );
            prop_assert_eq!(outcome.hr(), last.hr);
            // The result is kept as given: on success, and on failure for inspection.
            prop_assert_eq!(outcome.result(), last.result.as_ref());
            prop_assert_eq!(outcome.messages(), &all_messages(&scenario)[..]);
        }
        match rule {
            Rule::FailureBeforeCompletion => {
                prop_assert!(matches!(
                    machine.outcome().map(|o| o.kind()),
                    Some(OutcomeKind::Failed | OutcomeKind::Cancelled)
                ));
            }
            Rule::MissingResult => {
                let outcome = machine.outcome().expect("finished");
                prop_assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
                prop_assert!(outcome.result().is_none());
            }
            Rule::UnexpectedResult => {
                let outcome = machine.outcome().expect("finished");
                prop_assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
                let kept = outcome.result().expect("kept").result_type();
                prop_assert!(!scenario.operation.allows(kept));
            }
            Rule::ResultOnFailure => {
                let outcome = machine.outcome().expect("finished");
                prop_assert_ne!(outcome.kind(), OutcomeKind::Succeeded);
                prop_assert!(outcome.result().is_some());
            }
            _ => {}
        }
    }

    /// `handle_progress` must be exactly `handle_status` of the same call with no result and
    /// a null collection: same verdict, same events, same state (compared through `Debug`,
    /// which shows every field), events polled or left to merge. (Both apply a quiet call
    /// through the same fast path; the properties above hold `handle_status`, fast path
    /// included, to the independent model.)
    #[test]
    fn handle_progress_is_handle_status_of_a_plain_call(
        scenario in prop_oneof![
            strategy::prefixed_arbitrary_scenario(12),
            strategy::valid_scenario(),
        ],
        rules in any_rules(),
    ) {
        let mut shortcut = StatusMachine::new(scenario.operation, rules);
        let mut reference = StatusMachine::new(scenario.operation, rules);
        let mut plain_calls = 0;
        for input in &scenario.inputs {
            match input {
                Input::Status(call) if call.result.is_none() && call.messages.is_none() => {
                    plain_calls += 1;
                    let fast = shortcut.handle_progress(call.numerator, call.denominator, call.hr);
                    let full = reference.handle(input.clone());
                    prop_assert_eq!(fast.map(drop), full);
                }
                other => {
                    prop_assert_eq!(shortcut.handle(other.clone()), reference.handle(other.clone()));
                }
            }
            prop_assert_eq!(format!("{shortcut:?}"), format!("{reference:?}"));
            // Poll one side fully and the other not at all every other time: the shortcut
            // must merge progress into an unpolled event exactly as the full path does.
            if plain_calls % 2 == 0 {
                while let Some(event) = shortcut.poll_event() {
                    prop_assert_eq!(Some(event), reference.poll_event());
                }
                prop_assert_eq!(reference.poll_event(), None);
            }
        }
    }

    #[test]
    fn arbitrary_i32s_never_panic(
        operation in proptest::sample::select(OperationKind::ALL),
        rules in any_rules(),
        calls in proptest::collection::vec(
            (any::<i32>(), any::<i32>(), any::<i32>(), any::<bool>()),
            1..16,
        ),
    ) {
        let mut machine = StatusMachine::new(operation, rules);
        let mut model = ReferenceModel::new(operation, rules);
        for (numerator, denominator, hr, cancel) in calls {
            if cancel {
                prop_assert_eq!(machine.handle_cancel(), model.cancel());
            }
            let call: StatusCall = StatusCall::progress(numerator, denominator)
                .with_hr(HResult::new(hr));
            let expected = model.status(&call);
            let verdict = machine.handle_status(call);
            prop_assert_eq!(verdict.is_ok(), matches!(expected, ModelStep::Accepted { .. }));
            while machine.poll_event().is_some() {}
            if let Some(progress) = machine.progress() {
                prop_assert!(progress.percent() <= 100);
            }
        }
    }

    #[test]
    fn percent_is_the_exact_floor_over_the_whole_range(
        (numerator, denominator) in prop_oneof![
            (0..=i32::MAX).prop_flat_map(|d| (0..=d, Just(d))),
            (0..=16).prop_flat_map(|d| (0..=d, Just(d))),
            (i32::MAX - 16..=i32::MAX).prop_flat_map(|d| (0..=d, Just(d))),
            (0..=i32::MAX).prop_map(|d| (d, d)),
            (1..=i32::MAX).prop_map(|d| (d - 1, d)),
        ],
    ) {
        let fraction = ProgressFraction::new(numerator, denominator).expect("valid");
        let percent = i128::from(fraction.percent());
        if denominator == 0 {
            prop_assert_eq!(percent, 100);
        } else {
            let exact = 100 * i128::from(numerator) / i128::from(denominator);
            prop_assert_eq!(percent, exact);
        }
        prop_assert_eq!(percent == 100, numerator == denominator);
    }

    #[test]
    fn invalid_pairs_are_never_fractions(numerator in any::<i32>(), denominator in any::<i32>()) {
        let valid = 0 <= numerator && numerator <= denominator;
        prop_assert_eq!(ProgressFraction::new(numerator, denominator).is_ok(), valid);
    }

    #[test]
    fn only_a_complete_machine_shows_one_hundred_percent(
        scenario in strategy::prefixed_arbitrary_scenario(6),
        rules in any_rules(),
    ) {
        let mut machine = StatusMachine::new(scenario.operation, rules);
        for input in scenario.inputs.iter().cloned() {
            let _ = machine.handle(input);
            if let Some(progress) = machine.progress() {
                prop_assert_eq!(progress.percent() == 100, progress.is_complete());
                if progress.percent() == 100 {
                    // Complete progress is only ever reported by a finishing call.
                    prop_assert_eq!(machine.phase(), Phase::Finished);
                }
            }
        }
    }
}

#[test]
fn the_strategies_reach_every_rule_and_outcome() {
    // A fixed-seed sweep: every breaking scenario breaks its rule, and valid sequences reach
    // all three outcomes, both empty-denominator and large-denominator cases.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let mut kinds = std::collections::BTreeSet::new();
    let mut zero = false;
    let mut large = false;
    for _ in 0..400 {
        let scenario = strategy::valid_scenario()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        let (machine, _) = run(&scenario, Rules::strict());
        kinds.insert(format!("{}", machine.outcome().expect("finished").kind()));
        let last = scenario.last_call().expect("finishing");
        zero |= last.denominator == 0;
        large |= last.denominator > i32::MAX - 16;
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(zero && large);

    for rule in Rule::ALL {
        let scenario = strategy::breaking_scenario(*rule)
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        let (_, violations) = run(&scenario, Rules::strict());
        assert_eq!(violations.len(), 1, "{rule}: {scenario:?}");
        assert_eq!(violations[0].rule(), *rule);
        if matches!(rule, Rule::UnexpectedResult | Rule::MissingResult) {
            assert_ne!(scenario.operation, OperationKind::Unknown);
        }
    }
}

/// A consumer with a planted bug, tested against `prefixed_arbitrary_scenario`: it takes
/// only `numerator == denominator` for the end, so an operation ended by a failure before
/// completion (under `documented`) is still running for it. Whatever the seed, the failure
/// shrinks to at most three calls, and nothing after the finishing one.
#[test]
fn a_planted_consumer_bug_shrinks_to_a_few_calls_ending_with_the_finishing_one() {
    use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

    /// Whether the buggy consumer thinks the operation ended, fed the accepted calls.
    fn consumer_ended(accepted: &[StatusCall]) -> bool {
        accepted
            .iter()
            .any(|call| call.numerator == call.denominator)
    }

    for seed in 0..8u8 {
        let config = Config {
            cases: 512,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        );
        let outcome = runner.run(&strategy::prefixed_arbitrary_scenario(6), |scenario| {
            let mut machine = StatusMachine::new(scenario.operation, Rules::documented());
            let mut accepted = Vec::new();
            for input in scenario.inputs {
                if let (Input::Status(call), Ok(())) = (&input, machine.handle(input.clone())) {
                    accepted.push(call.clone());
                }
            }
            prop_assert_eq!(
                consumer_ended(&accepted),
                machine.phase() == Phase::Finished
            );
            Ok(())
        });
        let scenario = match outcome {
            Err(TestError::Fail(_, scenario)) => scenario,
            other => panic!("seed {seed}: the planted bug was not caught: {other:?}"),
        };
        let (machine, _) = run(&scenario, Rules::documented());
        let calls = scenario.status_calls();
        assert!(calls <= 3, "seed {seed}: {calls} calls: {scenario:?}");
        assert_eq!(
            machine.finishing_call(),
            Some(calls),
            "seed {seed}: {scenario:?}"
        );
        assert!(
            matches!(scenario.inputs.last(), Some(Input::Status(_))),
            "seed {seed}: an input after the finishing call: {scenario:?}"
        );
    }
}
