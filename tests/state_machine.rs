//! The state machine beside the reference model, as a `proptest-state-machine` test: inputs
//! generated from the model's state (mostly conforming continuations, each rule's breach at a
//! small weight, calls after the end and late cancel requests), and after every input the
//! machine's verdict, events and whole visible state compared with the model's.
//!
//! Then the shrinking itself: deliberately broken consumers must fail with a short sequence
//! of small, readable inputs.
#![cfg(feature = "proptest")]

use std::sync::atomic::Ordering;

use gpmc_progress::strategy::proptest_state_machine::{
    prop_state_machine, ReferenceStateMachine, StateMachineTest,
};
use gpmc_progress::strategy::{ModelStep, ReferenceState, StatusMachineReference};
use gpmc_progress::{Event, HResult, Input, Phase, Rule, StatusCall, StatusMachine, StatusMessage};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// `StatusMachine` run beside [`StatusMachineReference`].
struct MachineBesideModel;

/// Feeds `input` to `machine` and compares the verdict and the events it raised with the
/// model's last step (the model has already applied `input`).
fn feed(machine: &mut StatusMachine, state: &ReferenceState, input: Input) {
    let step = state.last_step().expect("the model applied the input");
    let anomalies_before = machine.anomalies().len();
    let was_requested = machine.cancel_requested();
    let events = |machine: &mut StatusMachine| -> Vec<Event> {
        std::iter::from_fn(|| machine.poll_event()).collect()
    };
    match (input, step) {
        (Input::Cancel, ModelStep::Cancel { recorded }) => {
            assert_eq!(machine.handle_cancel(), *recorded, "cancel recorded");
            let expected = if *recorded && !was_requested {
                vec![Event::CancelRequested]
            } else {
                vec![]
            };
            assert_eq!(events(machine), expected, "events of the cancel request");
        }
        (
            Input::Status(call),
            ModelStep::Accepted {
                call: index,
                anomalies,
                finished,
            },
        ) => {
            let result = call.result.clone();
            let sent: Vec<StatusMessage> = call.messages.iter().flatten().cloned().collect();
            let accepted = machine
                .handle_status(call.clone())
                .unwrap_or_else(|violation| {
                    panic!(
                        "the model accepts {call:?} with {anomalies:?}, the machine: {violation}"
                    )
                });
            assert_eq!(accepted.call, *index, "index of the accepted call");
            assert_eq!(
                (
                    accepted.progress.numerator(),
                    accepted.progress.denominator()
                ),
                (call.numerator, call.denominator),
                "progress of the accepted call"
            );
            let raised: Vec<Rule> = accepted.anomalies.iter().map(|a| a.rule()).collect();
            assert_eq!(&raised, anomalies, "anomalies of the call");
            assert_eq!(
                accepted.finished,
                finished.map(|finish| finish.kind),
                "finished by the call"
            );
            let new: Vec<(u64, Rule)> = machine.anomalies()[anomalies_before..]
                .iter()
                .map(|anomaly| (anomaly.call, anomaly.rule()))
                .collect();
            let expected: Vec<(u64, Rule)> = anomalies.iter().map(|rule| (*index, *rule)).collect();
            assert_eq!(new, expected, "anomalies recorded");

            // Its events: the progress, each message, each anomaly and, when finishing, the end.
            let mut expected = vec![Event::Progress(accepted.progress)];
            expected.extend(sent.into_iter().map(Event::Message));
            expected.extend(
                machine.anomalies()[anomalies_before..]
                    .iter()
                    .map(|anomaly| Event::Anomaly(*anomaly)),
            );
            expected.extend(finished.map(|finish| Event::Finished(finish.kind)));
            assert_eq!(events(machine), expected, "events of the call");

            // The outcome keeps the finishing call's result itself.
            if finished.is_some() {
                let outcome = machine.outcome().expect("the call finished the operation");
                assert_eq!(outcome.result(), result.as_ref(), "outcome's result");
            }
        }
        (Input::Status(call), ModelStep::Rejected { call: index, rule }) => {
            let before = (
                machine.phase(),
                machine.progress(),
                machine.anomalies().len(),
                machine.messages().len(),
            );
            let violation = machine.handle_status(call.clone()).map(|_| ()).unwrap_err();
            assert_eq!(
                (violation.call, violation.rule()),
                (*index, *rule),
                "rejected call and rule"
            );
            let after = (
                machine.phase(),
                machine.progress(),
                machine.anomalies().len(),
                machine.messages().len(),
            );
            assert_eq!(after, before, "a rejected call changes nothing");
            assert_eq!(events(machine), vec![], "events of a rejected call");
        }
        (input, step) => panic!("the model's step {step:?} does not match {input:?}"),
    }
}

impl StateMachineTest for MachineBesideModel {
    type SystemUnderTest = StatusMachine;
    type Reference = StatusMachineReference;

    fn init_test(state: &ReferenceState) -> StatusMachine {
        StatusMachine::new(state.model().operation(), state.model().rules())
    }

    fn apply(mut machine: StatusMachine, state: &ReferenceState, input: Input) -> StatusMachine {
        feed(&mut machine, state, input);
        machine
    }

    fn check_invariants(machine: &StatusMachine, state: &ReferenceState) {
        // The machine's whole visible state against the model's, field by field.
        if let Err(mismatch) = state.model().check_machine(machine) {
            panic!("{mismatch}");
        }
        assert_eq!(
            machine.phase() == Phase::Finished,
            state.model().finished().is_some(),
            "finished"
        );
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_machine_agrees_with_the_reference_model(sequential 1..40 => MachineBesideModel);
}

/// A broken consumer: a machine fed each `Status` call with a defect `spoil` introduces.
struct Broken {
    machine: StatusMachine,
    spoil: fn(&mut StatusCall, &StatusMachine),
}

/// Runs `spoil`'s broken consumer beside the model until a case fails, and returns the
/// shrunk failing inputs.
fn shrunk_failure(spoil: fn(&mut StatusCall, &StatusMachine)) -> Vec<Input> {
    let config = Config {
        cases: 1024,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = StatusMachineReference::sequential_strategy(1..30);
    let outcome = runner.run(&strategy, |(mut state, inputs, seen)| {
        let mut broken = Broken {
            machine: StatusMachine::new(state.model().operation(), state.model().rules()),
            spoil,
        };
        for input in inputs {
            // Tell the strategy how far the case got, as `StateMachineTest` does, so that
            // shrinking first drops the inputs after the failure.
            if let Some(seen) = &seen {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            state = StatusMachineReference::apply(state, &input);
            match input {
                Input::Status(mut call) => {
                    (broken.spoil)(&mut call, &broken.machine);
                    let verdict = broken.machine.handle_status(call);
                    state.check_status(&verdict)
                }
                Input::Cancel => state.check_cancel(broken.machine.handle_cancel()),
            }
            .and_then(|()| state.model().check_machine(&broken.machine))
            .map_err(|mismatch| TestCaseError::fail(mismatch.to_string()))?;
        }
        Ok(())
    });
    match outcome {
        Err(TestError::Fail(_, (_, inputs, _))) => inputs,
        other => panic!("the broken consumer was not caught: {other:?}"),
    }
}

fn calls(inputs: &[Input]) -> impl Iterator<Item = &StatusCall> {
    inputs.iter().filter_map(|input| match input {
        Input::Status(call) => Some(call),
        Input::Cancel => None,
    })
}

/// A consumer that loses the messages of every call.
#[test]
fn a_lost_message_shrinks_to_one_short_ascii_message() {
    let inputs = shrunk_failure(|call, _| call.messages = None);
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    let call = calls(&inputs).next().expect("a call");
    let messages = call.messages.as_deref().expect("messages");
    assert_eq!(messages.len(), 1, "{inputs:?}");
    assert!(messages[0].message.is_ascii(), "{inputs:?}");
    assert!(messages[0].message.len() <= 8, "{inputs:?}");
    assert!((0..=10).contains(&call.denominator), "{inputs:?}");
    assert!(call.result.is_none(), "{inputs:?}");
}

/// A consumer that takes a failure after a cancel request for a success.
#[test]
fn a_wrong_outcome_shrinks_to_a_few_small_inputs() {
    let inputs = shrunk_failure(|call, machine| {
        if machine.cancel_requested() && call.hr.value() < 0 {
            call.hr = HResult::S_OK;
        }
    });
    assert!(inputs.len() <= 3, "{inputs:?}");
    assert!(inputs.iter().any(|input| matches!(input, Input::Cancel)));
    for call in calls(&inputs) {
        assert!((0..=10).contains(&call.denominator), "{inputs:?}");
        assert!((0..=10).contains(&call.numerator), "{inputs:?}");
        assert!(call.messages.is_none(), "{inputs:?}");
    }
}

/// A consumer that reads negative numbers as `0`: the negative inputs (drawn near `0` and at
/// the extremes of `i32`) shrink to `-1`.
#[test]
fn a_clamped_negative_number_shrinks_to_minus_one() {
    let inputs = shrunk_failure(|call, _| {
        call.numerator = call.numerator.max(0);
        call.denominator = call.denominator.max(0);
    });
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    let call = calls(&inputs).next().expect("a call");
    assert!(call.numerator == -1 || call.denominator == -1, "{inputs:?}");
    assert!((-1..=1).contains(&call.numerator), "{inputs:?}");
    assert!((-1..=1).contains(&call.denominator), "{inputs:?}");
}
