//! Proptest strategies for the `Status` protocol and an independent reference model of its
//! semantics, for property-testing code that produces or consumes `Status` calls (feature
//! `proptest`).
//!
//! Every strategy returns a [`BoxedStrategy`](proptest::strategy::BoxedStrategy), so no concrete strategy type is part of the
//! API.
//!
//! - Values: [`hresult`], [`success_hresult`], [`failure_hresult`] (the well-known codes
//!   of [`HResult::KNOWN`](crate::HResult::KNOWN) weighted up, the extremes included),
//!   [`fraction`] (valid fractions, `0/0` and values near `i32::MAX` included),
//!   [`progress_number`], [`status_message`], [`message_collection`], [`result_type`],
//!   [`result_of_type`], [`result_description`], [`operation_kind`],
//!   [`defined_operation_kind`], [`rule`], [`configurable_rule`] and [`rules`] (each
//!   configurable rule set at random).
//! - Raw input: [`status_call`] (any `i32`s, any code, any result or none, null, empty or
//!   filled message collections) and [`input`] (those, or a cancel request).
//! - Whole operations: [`valid_sequence`] and [`valid_scenario`] (what a conforming server
//!   could send, accepted with no anomaly under `strict`), [`breaking_scenario`] (a
//!   conforming prefix, then a call whose first breach is a chosen rule),
//!   [`arbitrary_scenario`] and [`prefixed_arbitrary_scenario`].
//! - The oracle: [`ReferenceModel`], the crate docs' [rules](crate#the-rules) and
//!   [outcomes](crate#outcomes) written out independently of
//!   [`StatusMachine`](crate::StatusMachine); it says for each input whether it is accepted
//!   (with which anomalies, and how the operation finished) or rejected (by which rule).
//!
//! # Example: a downstream property test
//!
//! A client that shows progress and must not claim 100% before the server said it was
//! done, tested against every conforming `Status` sequence, with the model as the oracle:
//!
//! ```
//! use gpmc_progress::strategy::{self, ModelStep, ReferenceModel};
//! use gpmc_progress::{Input, Phase, Rules, StatusMachine};
//! use proptest::prelude::*;
//!
//! /// The code under test: the percentage a progress bar shows.
//! fn shown_percent(machine: &StatusMachine) -> u8 {
//!     machine.progress().map_or(0, |progress| progress.percent())
//! }
//!
//! proptest!(ProptestConfig::with_cases(64), |(
//!     scenario in strategy::valid_scenario(),
//!     rules in strategy::rules(),
//! )| {
//!     let mut machine = StatusMachine::new(scenario.operation, rules);
//!     let mut model = ReferenceModel::new(scenario.operation, rules);
//!     for input in scenario.inputs {
//!         let expected = model.step(&input);
//!         let accepted = machine.handle(input).is_ok();
//!         prop_assert_eq!(accepted, !matches!(expected, ModelStep::Rejected { .. }));
//!         if model.phase() != Phase::Finished {
//!             prop_assert!(shown_percent(&machine) < 100);
//!         }
//!     }
//!     prop_assert_eq!(shown_percent(&machine), 100);
//!     prop_assert_eq!(
//!         machine.outcome().map(|outcome| outcome.kind()),
//!         model.finished().map(|finish| finish.kind)
//!     );
//! });
//! ```

mod model;
mod sequence;
mod state_machine;
mod values;

/// The `proptest-state-machine` crate this module's [`StatusMachineReference`] implements
/// [`ReferenceStateMachine`](proptest_state_machine::ReferenceStateMachine) of, re-exported
/// so a downstream test uses the same version (its `StateMachineTest` trait and
/// `prop_state_machine!` macro; the macro also needs `proptest` as a direct dependency).
pub use proptest_state_machine;

pub use model::{ModelAnomaly, ModelFinish, ModelStep, ReferenceModel};
pub use sequence::{
    any_breaking_scenario, arbitrary_scenario, breaking_scenario, prefixed_arbitrary_scenario,
    valid_scenario, valid_sequence, Scenario,
};
pub use state_machine::{next_input, ModelMismatch, ReferenceState, StatusMachineReference};
pub use values::{
    configurable_rule, defined_operation_kind, failure_hresult, fraction, hresult, input,
    message_collection, operation_kind, progress_number, result_description, result_of_type,
    result_type, rule, rules, status_call, status_message, success_hresult,
};
