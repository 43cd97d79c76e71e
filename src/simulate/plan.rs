//! [`Plan`]: what a simulation does, as inputs, with no threads and no clock: usable by a
//! plain [`StatusMachine`](crate::StatusMachine), in traces, and run by the live server and
//! the fake GPMC alike.

use super::data::{failure_message, result_of, warning, SplitMix64};
use super::{Simulation, SimulationError, MAX_EXTENSIONS};
use crate::{HResult, Input, ResultDescription, ResultType, Rule, StatusCall, StatusMessage};

/// The checked plan of a simulation.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(super) steps: Vec<Planned>,
    extensions: u32,
    /// The step of each warning, as drawn.
    warning_steps: Vec<u32>,
    /// The generator's state after each step's warnings (for the answer to a cancel).
    after_step: Vec<u64>,
    cancel_answer: HResult,
    /// The step the operation fails at, if it does.
    failure_step: Option<u32>,
}

impl Plan {
    /// The plan of `simulation`, checked.
    pub(crate) fn new(simulation: &Simulation) -> Result<Self, SimulationError> {
        let s = simulation;
        let n = s.extension_count();
        if n > MAX_EXTENSIONS {
            return Err(SimulationError::TooManyExtensions { extensions: n });
        }
        let d = n as i32;
        let mut rng = SplitMix64::new(s.seed);
        // The generator's state after each step's warnings: where the answer to a cancel
        // request after that step draws from, as if it had been planned there.
        let mut after_step = Vec::new();
        let check_step = |what, step: u32| {
            if step > n {
                Err(SimulationError::StepOutOfRange {
                    what,
                    step,
                    extensions: n,
                })
            } else {
                Ok(())
            }
        };
        for step in &s.warnings {
            check_step("warning", *step)?;
        }
        if let Some((step, hr)) = s.failure {
            check_step("failure", step)?;
            if hr.is_success() {
                return Err(SimulationError::FailureIsSuccess { hr });
            }
        }
        if let Some(step) = s.cancel_at {
            check_step("cancel", step)?;
        }
        if let Some(step) = s.let_go_at {
            check_step("let-go", step)?;
        }
        if let Some(hr) = s.start_failure.filter(|hr| hr.is_success()) {
            return Err(SimulationError::FailureIsSuccess { hr });
        }
        let result_type = match s.result_type {
            Some(t) if s.operation.allows(t) => t,
            Some(result_type) => {
                return Err(SimulationError::ResultTypeNotAllowed {
                    result_type,
                    operation: s.operation,
                })
            }
            None => s
                .operation
                .result_types()
                .first()
                .copied()
                .unwrap_or(ResultType::Object),
        };

        let mut warning_steps = s.warnings.clone();
        for _ in 0..s.random_warnings {
            warning_steps.push((rng.next() % (u64::from(n) + 1)) as u32);
        }
        let warnings_at = |step: u32, rng: &mut SplitMix64| -> Option<Vec<StatusMessage>> {
            let count = warning_steps.iter().filter(|s| **s == step).count();
            (count > 0).then(|| (0..count).map(|_| warning(rng)).collect())
        };

        let mut plan = Vec::new();
        let mut finishing_index = None;
        let mut cancel_sent = false;
        for step in 0..=n {
            let mut messages = warnings_at(step, &mut rng);
            after_step.push(rng.state());
            if let Some((_, hr)) = s.failure.filter(|(at, _)| *at == step) {
                messages
                    .get_or_insert_with(Vec::new)
                    .push(failure_message(hr, &mut rng));
                plan.push(Planned::once(StatusCall::new(d, d, hr, None, messages)));
                finishing_index = Some(plan.len() - 1);
            } else if step == n {
                let result = Some(result_of(result_type, &mut rng));
                let call = StatusCall::new(d, d, HResult::S_OK, result, messages);
                plan.push(Planned::once(call));
                finishing_index = Some(plan.len() - 1);
            } else {
                let call = StatusCall::new(step as i32, d, HResult::S_OK, None, messages);
                plan.push(Planned {
                    input: call.into(),
                    repeatable: true,
                });
                if s.cancel_at == Some(step) {
                    plan.push(Planned::cancel());
                    cancel_sent = true;
                    let answer = s.cancel_answer;
                    if answer.is_failure() {
                        let messages = vec![failure_message(answer, &mut rng)];
                        let call = StatusCall::new(d, d, answer, None, Some(messages));
                        plan.push(Planned::once(call));
                        finishing_index = Some(plan.len() - 1);
                    }
                }
            }
            if finishing_index.is_some() {
                // Warnings planned for later steps come with the finishing call.
                let late: Vec<StatusMessage> = (step + 1..=n)
                    .filter_map(|later| warnings_at(later, &mut rng))
                    .flatten()
                    .collect();
                if !late.is_empty() {
                    if let Some(Input::Status(call)) = plan.last_mut().map(|p| &mut p.input) {
                        call.messages.get_or_insert_with(Vec::new).extend(late);
                    }
                }
                break;
            }
        }
        if s.cancel_at.is_some() && !cancel_sent {
            plan.push(Planned::cancel());
        }
        // The last step is always finishing; the fallback only keeps this panic-free.
        let finishing_index = finishing_index.unwrap_or(plan.len().saturating_sub(1));
        if let Some(rule) = s.break_rule {
            apply_break(
                s,
                rule,
                &mut plan,
                finishing_index,
                d,
                result_type,
                &mut rng,
            )?;
        }
        if s.start_failure.is_some() {
            plan.clear();
        }
        if let Some(step) = s.let_go_at {
            let calls = plan.iter().enumerate().filter(|(_, p)| p.is_status());
            if let Some((index, _)) = calls.clone().nth(step as usize) {
                plan.truncate(index);
            }
        }
        Ok(Plan {
            steps: plan,
            extensions: n,
            warning_steps,
            after_step,
            cancel_answer: s.cancel_answer,
            failure_step: s.failure.map(|(step, _)| step),
        })
    }

    /// The plan's inputs, in order.
    pub(crate) fn inputs(self) -> impl Iterator<Item = Input> {
        self.steps.into_iter().map(|step| step.input)
    }

    /// The call answering a cancel request that reached the server after its call reporting
    /// `after` (or before its first call): the call a plan with the cancel planned right after
    /// that step would make (the same warnings still due, the same texts), without
    /// planning again. `None` when the server's answer is a success (it goes on), or when
    /// such a plan has no answer (the cancel comes at or after the end).
    pub(crate) fn answer_to_cancel(&self, after: Option<i32>) -> Option<StatusCall> {
        let n = self.extensions;
        let step = after.map_or(0, |numerator| numerator.clamp(0, n as i32) as u32);
        let failed = self.failure_step.is_some_and(|failure| step >= failure);
        if step >= n || failed || !self.cancel_answer.is_failure() {
            return None;
        }
        let mut rng = SplitMix64::new(*self.after_step.get(step as usize)?);
        let d = n as i32;
        let mut messages = vec![failure_message(self.cancel_answer, &mut rng)];
        for later in step + 1..=n {
            let count = self.warning_steps.iter().filter(|s| **s == later).count();
            messages.extend((0..count).map(|_| warning(&mut rng)));
        }
        Some(StatusCall::new(
            d,
            d,
            self.cancel_answer,
            None,
            Some(messages),
        ))
    }
}

/// Changes a conforming plan so that `rule` is the first rule it breaks. The calls it
/// changes or adds are made once by a live server with two threads.
fn apply_break(
    simulation: &Simulation,
    rule: Rule,
    plan: &mut Vec<Planned>,
    t: usize,
    d: i32,
    result_type: ResultType,
    rng: &mut SplitMix64,
) -> Result<(), SimulationError> {
    let cannot = |reason| Err(SimulationError::CannotBreak { rule, reason });
    // The numerator of the status call before the finishing one, if any.
    let previous = plan[..t]
        .iter()
        .rev()
        .find_map(|planned| match &planned.input {
            Input::Status(call) => Some(call.numerator),
            Input::Cancel => None,
        });
    let Some(Input::Status(finishing)) = plan.get_mut(t).map(|p| &mut p.input) else {
        return cannot("the plan has no finishing call");
    };
    match rule {
        Rule::StatusAfterCompletion => {
            plan.insert(t + 1, Planned::once(StatusCall::progress(d, d)));
        }
        Rule::NegativeProgress => {
            let first = plan.iter_mut().find(|planned| planned.is_status());
            if let Some(Planned {
                input: Input::Status(call),
                repeatable,
            }) = first
            {
                call.numerator = -1;
                *repeatable = false;
            }
        }
        Rule::NumeratorExceedsDenominator => {
            plan.insert(t, Planned::once(StatusCall::progress(d + 1, d)));
        }
        Rule::DenominatorChanged => {
            let call = StatusCall::progress(previous.unwrap_or(0), d + 1);
            plan.insert(t, Planned::once(call));
        }
        Rule::NumeratorDecreased => match previous {
            Some(p) if p >= 1 => plan.insert(t, Planned::once(StatusCall::progress(p - 1, d))),
            _ if d >= 2 => {
                plan.insert(t, Planned::once(StatusCall::progress(0, d)));
                plan.insert(t, Planned::once(StatusCall::progress(1, d)));
            }
            _ => return cannot("the numerator can only go back with 2 or more extensions"),
        },
        Rule::FailureBeforeCompletion => {
            if d == 0 {
                return cannot("with 0 extensions the first call is already complete");
            }
            finishing.numerator = previous.unwrap_or(0);
            finishing.result = None;
            fail(finishing, rng);
        }
        Rule::ResultBeforeCompletion => {
            if d == 0 {
                return cannot("with 0 extensions the first call is already complete");
            }
            let early = StatusCall::progress(previous.unwrap_or(0), d)
                .with_result(result_of(result_type, rng));
            plan.insert(t, Planned::once(early));
        }
        Rule::ResultOnFailure => {
            fail(finishing, rng);
            finishing.result = Some(result_of(result_type, rng));
        }
        Rule::UnexpectedResult => {
            if !simulation.operation.defines_result() {
                return cannot("the unknown operation allows every result type");
            }
            if finishing.hr.is_failure() {
                return cannot("a failed or cancelled run would break result-on-failure first");
            }
            finishing.result = Some(ResultDescription::Object);
        }
        Rule::MissingResult => {
            if !simulation.operation.defines_result() {
                return cannot("the unknown operation defines no result");
            }
            if finishing.hr.is_failure() {
                return cannot("a failed or cancelled run needs no result");
            }
            finishing.result = None;
        }
    }
    Ok(())
}

/// Makes `call` fail with `E_FAIL` and the message a failing server sends with it, unless it
/// fails already.
fn fail(call: &mut StatusCall, rng: &mut SplitMix64) {
    if call.hr.is_success() {
        call.hr = HResult::E_FAIL;
        call.messages
            .get_or_insert_with(Vec::new)
            .push(failure_message(HResult::E_FAIL, rng));
    }
}

/// One input of the plan, and whether a second server thread may repeat it.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(super) input: Input,
    /// A step's call that neither ends the operation nor breaks a rule: repeating its
    /// fraction at the same moment changes nothing but the count of calls.
    pub(super) repeatable: bool,
}

impl Planned {
    fn once(call: StatusCall) -> Self {
        Planned {
            input: call.into(),
            repeatable: false,
        }
    }

    fn cancel() -> Self {
        Planned {
            input: Input::Cancel,
            repeatable: false,
        }
    }

    pub(super) fn is_status(&self) -> bool {
        matches!(self.input, Input::Status(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OperationKind;

    /// The answer of a plan with the cancel planned right after `step`.
    fn planned_answer(simulation: &Simulation, step: u32) -> Option<StatusCall> {
        let inputs: Vec<Input> = simulation
            .clone()
            .cancel_at(step, simulation.cancel_answer)
            .inputs()
            .unwrap();
        let cancel = inputs.iter().position(|input| *input == Input::Cancel)?;
        inputs[cancel + 1..].iter().find_map(|input| match input {
            Input::Status(call) => Some(call.clone()),
            Input::Cancel => None,
        })
    }

    #[test]
    fn the_answer_to_a_live_cancel_is_the_planned_cancel_s() {
        let sim = Simulation::new(OperationKind::GpoImport)
            .extensions(5)
            .warning_at(4)
            .seed(3)
            .cancel_answer(HResult::E_ABORT);
        let plan = Plan::new(&sim).unwrap();
        let answer = plan.answer_to_cancel(Some(2)).unwrap();
        assert_eq!(planned_answer(&sim, 2), Some(answer.clone()));
        assert_eq!((answer.numerator, answer.hr), (5, HResult::E_ABORT));
        // The warning of step 4 comes with it.
        assert_eq!(answer.messages.as_ref().map(Vec::len), Some(2));
        // After the last step there is nothing to answer.
        assert_eq!(plan.answer_to_cancel(Some(5)), None);
    }

    /// Without planning again, the answer after every step (and before the first call) is
    /// the one a plan with the cancel planned there makes, for many seeds and options: a
    /// failure before or at that step, random warnings, a broken rule, a let-go, an answer
    /// that is a success.
    #[test]
    fn every_answer_is_the_one_planning_again_would_give() {
        for seed in 0..40 {
            let base = Simulation::new(OperationKind::GpoBackup)
                .random_warnings(3)
                .warning_at(1)
                .seed(seed);
            let n = base.extension_count();
            let variants = [
                base.clone(),
                base.clone().fail_at(2, HResult::E_FAIL),
                base.clone().break_rule(Rule::StatusAfterCompletion),
                base.clone().let_go_at(1),
                base.clone().cancel_answer(HResult::S_OK),
                base.clone().cancel_answer(HResult::E_ABORT),
            ];
            for sim in variants {
                let plan = Plan::new(&sim).unwrap();
                let mut plain = sim.clone();
                plain.break_rule = None;
                plain.let_go_at = None;
                for step in 0..=n {
                    let expected = if sim.cancel_answer.is_failure() {
                        planned_answer(&plain, step)
                    } else {
                        None
                    };
                    assert_eq!(
                        plan.answer_to_cancel(Some(step as i32)),
                        expected,
                        "seed {seed}, step {step}, {sim:?}"
                    );
                }
                assert_eq!(plan.answer_to_cancel(None), plan.answer_to_cancel(Some(0)));
            }
        }
    }
}
