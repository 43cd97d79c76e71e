//! Proptest strategies for the `Status` protocol and an independent reference model of its
//! semantics, for property-testing code that produces or consumes `Status` calls (feature
//! `proptest`).
//!
//! What a test needs, and nothing else:
//!
//! - Whole operations, as a [`Scenario`] (an operation's kind and its inputs):
//!   [`valid_scenario`] (what a conforming server and client could send, accepted with no
//!   anomaly under `strict`), [`breaking_scenario`] (a conforming prefix, then a call whose
//!   first breach is the rule given) and [`prefixed_arbitrary_scenario`] (a conforming
//!   prefix, then anything: raw calls with extreme numbers, codes and texts, and cancel
//!   requests). Every strategy returns a [`BoxedStrategy`](proptest::strategy::BoxedStrategy),
//!   so no concrete strategy type is part of the API.
//! - [`rules`]: each configurable rule set at random, both presets included.
//! - The oracle: [`ReferenceModel`], the crate docs' [rules](crate#the-rules) and
//!   [outcomes](crate#outcomes) written out independently of
//!   [`StatusMachine`](crate::StatusMachine). For each input it says ([`ModelStep`]) whether
//!   it is accepted (with which anomalies, and how the operation finished, a
//!   [`ModelFinish`]) or rejected (by which rule); its accessors give the state so far (the
//!   anomalies as [`ModelAnomaly`]s), and [`ReferenceModel::check_machine`] compares a whole
//!   [`StatusMachine`](crate::StatusMachine) with it, a [`ModelMismatch`] naming the first
//!   difference.
//! - The oracle as a state machine for the `proptest-state-machine` crate (re-exported as
//!   [`proptest_state_machine`]): [`StatusMachineReference`] implements its
//!   `ReferenceStateMachine` under any rules, with [`ReferenceState`] (the model and its
//!   verdict on the last input, with [`check_status`](ReferenceState::check_status) and
//!   [`check_cancel`](ReferenceState::check_cancel) for the verdicts) as the state and
//!   [`Input`](crate::Input) as the transition; each input is generated from the state the
//!   operation is in (mostly what a conforming server or client could do next, each rule's
//!   breach at a small weight, and calls after the end).
//!
//! A failing case shrinks to a few inputs with small numbers and short ASCII text. A
//! `StateMachineTest` reports a failure by panicking; this feature turns on proptest's
//! `handle-panics`, so the panics of the cases tried while shrinking are not printed (no
//! message and backtrace per step): only the final failure is.
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
//!
//! # Example: your consumer beside the reference state machine
//!
//! A state machine test generates each input from the state the operation is in, runs it
//! through your code and through the model, and checks your code against the model after
//! every input; a failure shrinks to a few inputs with small numbers and short ASCII text.
//! Implement `StateMachineTest` with `type Reference = StatusMachineReference`:
//!
//! - `init_test` builds your consumer for the operation and rules of the initial state
//!   ([`ReferenceModel::operation`], [`ReferenceModel::rules`]);
//! - `apply` feeds it the input; the state it receives is the model *after* that input, so
//!   [`ReferenceState::last_step`] is the verdict your code must agree with (accepted with
//!   these anomalies, rejected by this rule, cancel recorded or not);
//! - `check_invariants` compares what your code shows with [`ReferenceState::model`] (its
//!   phase, progress, cancel request, anomalies, messages and how it finished); if your
//!   code is built on a [`StatusMachine`](crate::StatusMachine),
//!   [`ReferenceModel::check_machine`] compares all of that in one call.
//!
//! `prop_state_machine!` turns it into a test (it needs `proptest` as a direct dependency);
//! in a test file, mark the function `#[test]`. Here a progress view that must not show
//! 100% before the end, and must show how the operation ended:
//!
//! ```
//! use gpmc_progress::strategy::proptest_state_machine::{prop_state_machine, StateMachineTest};
//! use gpmc_progress::strategy::{ModelStep, ReferenceState, StatusMachineReference};
//! use gpmc_progress::{Input, Phase, StatusMachine};
//! use proptest::prelude::*;
//!
//! /// The code under test: a progress view fed the server's calls and the client's cancel.
//! struct ProgressView {
//!     machine: StatusMachine,
//!     percent: u8,
//!     ended: Option<String>,
//! }
//!
//! impl ProgressView {
//!     /// Shows one input; returns whether it was accepted.
//!     fn show(&mut self, input: Input) -> bool {
//!         let accepted = self.machine.handle(input).is_ok();
//!         self.percent = self.machine.progress().map_or(0, |progress| progress.percent());
//!         self.ended = self.machine.outcome().map(|outcome| outcome.kind().to_string());
//!         accepted
//!     }
//! }
//!
//! struct ViewTest;
//!
//! impl StateMachineTest for ViewTest {
//!     type SystemUnderTest = ProgressView;
//!     type Reference = StatusMachineReference;
//!
//!     fn init_test(state: &ReferenceState) -> ProgressView {
//!         let model = state.model();
//!         ProgressView {
//!             machine: StatusMachine::new(model.operation(), model.rules()),
//!             percent: 0,
//!             ended: None,
//!         }
//!     }
//!
//!     fn apply(mut view: ProgressView, state: &ReferenceState, input: Input) -> ProgressView {
//!         let accepted = view.show(input);
//!         let rejected = matches!(state.last_step(), Some(ModelStep::Rejected { .. }));
//!         assert_eq!(accepted, !rejected);
//!         view
//!     }
//!
//!     fn check_invariants(view: &ProgressView, state: &ReferenceState) {
//!         let model = state.model();
//!         if model.phase() != Phase::Finished {
//!             assert!(view.percent < 100);
//!         }
//!         assert_eq!(view.ended, model.finished().map(|finish| finish.kind.to_string()));
//!         if let Err(mismatch) = model.check_machine(&view.machine) {
//!             panic!("{mismatch}");
//!         }
//!     }
//! }
//!
//! prop_state_machine! {
//!     #![proptest_config(ProptestConfig::with_cases(32))]
//!     fn the_view_follows_the_model(sequential 1..16 => ViewTest);
//! }
//!
//! fn main() {
//!     the_view_follows_the_model();
//! }
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
pub use sequence::{breaking_scenario, prefixed_arbitrary_scenario, valid_scenario, Scenario};
pub use state_machine::{ModelMismatch, ReferenceState, StatusMachineReference};
pub use values::rules;
