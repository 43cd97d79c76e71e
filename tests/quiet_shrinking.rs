//! A `StateMachineTest` reports a failure by panicking, and proptest tries many failing
//! cases while it shrinks. With the `proptest` feature (which turns on proptest's
//! `handle-panics`), those panics reach no panic hook: a failing test prints its shrunk case
//! once, not a message and a backtrace per step.
//!
//! Alone in its file: the counting hook must be installed before proptest first runs a case.
#![cfg(feature = "proptest")]

use std::sync::atomic::{AtomicUsize, Ordering};

use gpmc_progress::strategy::proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use gpmc_progress::strategy::{ReferenceState, StatusMachineReference};
use gpmc_progress::{Input, StatusMachine};
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

/// Panics the hook saw.
static HOOKED: AtomicUsize = AtomicUsize::new(0);
/// Panics the test raised.
static RAISED: AtomicUsize = AtomicUsize::new(0);

/// A consumer that panics as soon as it is told of a cancel request, as a failing
/// `StateMachineTest` does.
struct PanicsOnCancel;

impl StateMachineTest for PanicsOnCancel {
    type SystemUnderTest = StatusMachine;
    type Reference = StatusMachineReference;

    fn init_test(state: &ReferenceState) -> StatusMachine {
        StatusMachine::new(state.model().operation(), state.model().rules())
    }

    fn apply(mut machine: StatusMachine, _: &ReferenceState, input: Input) -> StatusMachine {
        if matches!(input, Input::Cancel) {
            RAISED.fetch_add(1, Ordering::SeqCst);
            panic!("the consumer cannot cancel");
        }
        let _ = machine.handle(input);
        machine
    }
}

#[test]
fn the_cases_tried_while_shrinking_print_nothing() {
    std::panic::set_hook(Box::new(|_| {
        HOOKED.fetch_add(1, Ordering::SeqCst);
    }));
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = StatusMachineReference::sequential_strategy(1..20);
    let outcome = runner.run(&strategy, |(state, inputs, seen)| {
        PanicsOnCancel::test_sequential(config.clone(), state, inputs, seen);
        Ok(())
    });
    let _ = std::panic::take_hook();
    match outcome {
        Err(TestError::Fail(reason, (_, inputs, _))) => {
            assert!(reason.message().contains("cannot cancel"), "{reason}");
            assert_eq!(inputs, [Input::Cancel], "shrunk to the one cancel request");
        }
        other => panic!("the failure was not found: {other:?}"),
    }
    assert!(
        RAISED.load(Ordering::SeqCst) > 1,
        "shrinking tried failing cases"
    );
    assert_eq!(HOOKED.load(Ordering::SeqCst), 0, "a panic reached the hook");
}
