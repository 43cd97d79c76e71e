//! `machine_vs_model`: the [`StatusMachine`] beside the crate's [`ReferenceModel`].

use arbitrary::{Arbitrary, Unstructured};
use gpmc_progress::strategy::{ModelStep, ReferenceModel};
use gpmc_progress::{
    Event, Input, OperationKind, Rule, Rules, StatusCall, StatusMachine, StatusMessage, TypedResult,
};

/// One input to both.
#[derive(Debug, Clone)]
pub enum Step {
    /// A `Status` call; `fast` feeds it through `handle_progress` when it has no result and
    /// a null collection; `poll` drains the machine's events afterwards.
    Status {
        call: StatusCall,
        fast: bool,
        poll: bool,
    },
    /// The client's cancel request.
    Cancel { poll: bool },
}

/// A whole run: the operation, the rules (any mix of settings) and the inputs.
#[derive(Debug, Clone)]
pub struct MachineInput {
    pub operation: OperationKind,
    pub rules: Rules,
    pub steps: Vec<Step>,
}

/// The most inputs decoded.
const MAX_STEPS: usize = 256;

impl<'a> Arbitrary<'a> for MachineInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let (operation, rules) = crate::header(u);
        let mut steps = Vec::new();
        while !u.is_empty() && steps.len() < MAX_STEPS {
            let tag = crate::byte(u);
            let poll = tag & 0x20 != 0;
            if tag & 0x07 == 0x07 {
                steps.push(Step::Cancel { poll });
                continue;
            }
            steps.push(Step::Status {
                call: crate::call(u),
                fast: tag & 0x10 != 0,
                poll,
            });
        }
        Ok(MachineInput {
            operation,
            rules,
            steps,
        })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

impl MachineInput {
    /// The bytes that decode to this input (the seed corpus's encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        crate::encode_header(&mut out, self.operation, self.rules);
        for step in &self.steps {
            match step {
                Step::Cancel { poll } => out.push(0x07 | if *poll { 0x20 } else { 0 }),
                Step::Status { call, fast, poll } => {
                    out.push(if *fast { 0x10 } else { 0 } | if *poll { 0x20 } else { 0 });
                    crate::encode_call(&mut out, call);
                }
            }
        }
        out
    }

    /// The input for a trace's events (a `begin` sets the operation).
    pub fn from_inputs(operation: OperationKind, rules: Rules, inputs: Vec<Input>) -> Self {
        let steps = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| match input {
                Input::Status(call) => Step::Status {
                    call,
                    fast: i % 2 == 0,
                    poll: i % 3 != 1,
                },
                _ => Step::Cancel { poll: i % 2 == 0 },
            })
            .collect();
        MachineInput {
            operation,
            rules,
            steps,
        }
    }
}

/// A non-progress event, as the model predicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Told {
    Message(StatusMessage),
    Anomaly(u64, Rule),
    CancelRequested,
    Finished(gpmc_progress::OutcomeKind),
}

fn told(event: &Event) -> Option<Told> {
    match event {
        Event::Progress(_) => None,
        Event::Message(message) => Some(Told::Message(message.clone())),
        Event::Anomaly(anomaly) => Some(Told::Anomaly(anomaly.call, anomaly.rule())),
        Event::CancelRequested => Some(Told::CancelRequested),
        Event::Finished(kind) => Some(Told::Finished(*kind)),
        other => panic!("an event the model does not know: {other:?}"),
    }
}

/// The machine and the model agree on every input: accepted (with which anomalies, and how
/// it finished) or rejected (by which rule), the phase, progress, cancel state, anomalies,
/// messages and outcome after each input, and the events the machine reports.
pub fn check(input: MachineInput) {
    let mut machine = StatusMachine::new(input.operation, input.rules);
    let mut model = ReferenceModel::new(input.operation, input.rules);
    let mut expected_events = Vec::new();
    let mut polled = Vec::new();
    let mut last_progress = None;
    let mut compared = Compared::default();
    for step in input.steps {
        let poll = match step {
            Step::Status { call, fast, poll } => {
                let expected = model.status(&call);
                let plain = call.result.is_none() && call.messages.is_none();
                let messages = call.messages.clone().unwrap_or_default();
                let anomalies_before = machine.anomalies().len();
                let got = if fast && plain {
                    machine.handle_progress(call.numerator, call.denominator, call.hr)
                } else {
                    machine.handle_status(call)
                };
                match (&expected, got) {
                    (
                        ModelStep::Accepted {
                            call,
                            anomalies,
                            finished,
                        },
                        Ok(accepted),
                    ) => {
                        assert_eq!(accepted.call, *call);
                        assert_eq!(accepted.anomalies, machine.anomalies()[anomalies_before..]);
                        let recorded: Vec<Rule> = machine.anomalies()[anomalies_before..]
                            .iter()
                            .map(|a| {
                                assert_eq!(a.call, *call);
                                a.rule()
                            })
                            .collect();
                        assert_eq!(&recorded, anomalies);
                        assert_eq!(accepted.finished, finished.map(|f| f.kind));
                        assert_eq!(Some(accepted.progress), machine.progress());
                        last_progress = Some(accepted.progress);
                        expected_events.extend(messages.into_iter().map(Told::Message));
                        expected_events.extend(anomalies.iter().map(|r| Told::Anomaly(*call, *r)));
                        expected_events.extend(finished.map(|f| Told::Finished(f.kind)));
                    }
                    (ModelStep::Rejected { call, rule }, Err(violation)) => {
                        assert_eq!(violation.call, *call);
                        assert_eq!(violation.rule(), *rule);
                        assert_eq!(machine.anomalies().len(), anomalies_before);
                    }
                    (expected, got) => panic!("model {expected:?}, machine {got:?}"),
                }
                poll
            }
            Step::Cancel { poll } => {
                let first = !model.cancel_requested();
                let recorded = model.cancel();
                assert_eq!(machine.handle_cancel(), recorded);
                if recorded && first {
                    expected_events.push(Told::CancelRequested);
                }
                poll
            }
        };
        if poll {
            drain(&mut machine, &mut polled, &mut last_progress);
        }
        compare_state(&machine, &model, &mut compared);
    }
    drain(&mut machine, &mut polled, &mut last_progress);
    assert_eq!(polled, expected_events);
    assert!(last_progress.is_none(), "the latest progress was reported");
}

/// Polls every event; a progress event must be the latest accepted progress.
fn drain(
    machine: &mut StatusMachine,
    polled: &mut Vec<Told>,
    last_progress: &mut Option<gpmc_progress::ProgressFraction>,
) {
    while let Some(event) = machine.poll_event() {
        if let Event::Progress(progress) = event {
            if Some(progress) == *last_progress {
                *last_progress = None;
            }
        }
        polled.extend(told(&event));
    }
    assert!(machine.poll_event().is_none());
}

/// How far the append-only lists were already compared.
#[derive(Default)]
struct Compared {
    anomalies: usize,
    messages: usize,
}

fn compare_state(machine: &StatusMachine, model: &ReferenceModel, compared: &mut Compared) {
    assert_eq!(machine.phase(), model.phase());
    assert_eq!(machine.progress(), model.progress());
    assert_eq!(machine.cancel_requested(), model.cancel_requested());
    assert_eq!(machine.calls_received(), model.calls_received());
    // Anomalies and messages only grow: compare the new ones.
    let (anomalies, expected) = (machine.anomalies(), model.anomalies());
    assert_eq!(anomalies.len(), expected.len());
    for (got, expected) in anomalies.iter().zip(expected).skip(compared.anomalies) {
        assert_eq!((got.call, got.rule()), (expected.call, expected.rule));
    }
    compared.anomalies = anomalies.len();
    let (messages, expected) = (machine.messages(), model.messages());
    assert_eq!(messages.len(), expected.len());
    assert_eq!(messages[compared.messages..], expected[compared.messages..]);
    compared.messages = messages.len();
    match (machine.outcome(), model.finished()) {
        (None, None) => assert_eq!(machine.finishing_call(), None),
        (Some(outcome), Some(finish)) => {
            assert_eq!(machine.finishing_call(), Some(finish.call));
            assert_eq!(outcome.kind(), finish.kind);
            assert_eq!(outcome.hr(), finish.hr);
            assert_eq!(
                outcome.result().map(TypedResult::result_type),
                finish.result_type
            );
            assert_eq!(outcome.messages().len(), model.messages().len());
        }
        (outcome, finish) => panic!("machine {outcome:?}, model {finish:?}"),
    }
}
