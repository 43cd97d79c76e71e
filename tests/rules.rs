//! One named test per rule of the crate docs' "The rules" section (the rule id, in
//! snake_case, is in the test name), under both presets, plus the precedence order and what
//! "not applied" means.

use gpmc_progress::{
    Anomaly, Breach, HResult, Input, OperationKind, OutcomeKind, Phase, ResultDescription,
    ResultType, Rule, RuleSetting, Rules, StatusCall, StatusMachine, Violation,
};

type Call = StatusCall<ResultDescription>;

fn call(numerator: i32, denominator: i32) -> Call {
    StatusCall::progress(numerator, denominator)
}

/// Feeds every call but the last, which must all be accepted, then returns the last one's
/// verdict and the machine.
fn run(
    operation: OperationKind,
    rules: Rules,
    calls: Vec<Call>,
) -> (Result<gpmc_progress::Accepted, Violation>, StatusMachine) {
    let mut machine = StatusMachine::new(operation, rules);
    let count = calls.len();
    let mut last = None;
    for (index, call) in calls.into_iter().enumerate() {
        let verdict = machine.handle_status(call);
        if index + 1 < count {
            verdict.unwrap_or_else(|v| panic!("call {} rejected: {v}", index + 1));
        } else {
            last = Some(verdict);
        }
    }
    (last.expect("at least one call"), machine)
}

fn anomaly_rules(machine: &StatusMachine) -> Vec<Rule> {
    machine.anomalies().iter().map(Anomaly::rule).collect()
}

fn backup() -> ResultDescription {
    ResultDescription::bare(ResultType::Backup)
}

// ---- always enforced ------------------------------------------------------------------

#[test]
fn status_after_completion_is_a_violation_under_both_presets() {
    for rules in [Rules::documented(), Rules::strict()] {
        let (verdict, machine) = run(
            OperationKind::Unknown,
            rules,
            vec![call(0, 3), call(3, 3), call(3, 3)],
        );
        let violation = verdict.unwrap_err();
        assert_eq!(violation.rule(), Rule::StatusAfterCompletion);
        assert_eq!(violation.call, 3);
        assert_eq!(
            violation.breach,
            Breach::StatusAfterCompletion { finishing_call: 2 }
        );
        assert_eq!(machine.phase(), Phase::Finished);
        assert_eq!(machine.outcome().unwrap().kind(), OutcomeKind::Succeeded);
    }
}

#[test]
fn status_after_completion_after_a_failure_before_completion() {
    let (verdict, _) = run(
        OperationKind::Unknown,
        Rules::documented(),
        vec![call(1, 4).with_hr(HResult::E_FAIL), call(2, 4)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::StatusAfterCompletion);
}

#[test]
fn negative_progress_is_a_violation_under_both_presets() {
    for rules in [Rules::documented(), Rules::strict()] {
        for (numerator, denominator) in [(-1, 3), (0, -1), (i32::MIN, i32::MIN), (-5, -1)] {
            let (verdict, machine) = run(
                OperationKind::Unknown,
                rules,
                vec![call(numerator, denominator)],
            );
            let violation = verdict.unwrap_err();
            assert_eq!(violation.rule(), Rule::NegativeProgress);
            assert_eq!(
                violation.breach,
                Breach::NegativeProgress {
                    numerator,
                    denominator
                }
            );
            assert_eq!(machine.phase(), Phase::NotStarted);
        }
    }
}

#[test]
fn numerator_exceeds_denominator_is_a_violation_under_both_presets() {
    for rules in [Rules::documented(), Rules::strict()] {
        for (numerator, denominator) in [(4, 3), (1, 0), (i32::MAX, i32::MAX - 1)] {
            let (verdict, _) = run(
                OperationKind::Unknown,
                rules,
                vec![call(numerator, denominator)],
            );
            assert_eq!(
                verdict.unwrap_err().rule(),
                Rule::NumeratorExceedsDenominator
            );
        }
    }
}

#[test]
fn result_before_completion_is_a_violation_under_both_presets() {
    for rules in [Rules::documented(), Rules::strict()] {
        let (verdict, machine) = run(
            OperationKind::GpoBackup,
            rules,
            vec![call(0, 3), call(1, 3).with_result(backup())],
        );
        let violation = verdict.unwrap_err();
        assert_eq!(violation.rule(), Rule::ResultBeforeCompletion);
        assert_eq!(violation.call, 2);
        assert_eq!(machine.progress(), Some("0/3".parse().unwrap()));
    }
}

// ---- configurable ---------------------------------------------------------------------

#[test]
fn denominator_changed_is_an_anomaly_under_documented_and_takes_the_new_denominator() {
    let (verdict, machine) = run(
        OperationKind::Unknown,
        Rules::documented(),
        vec![call(1, 4), call(2, 5)],
    );
    let step = verdict.unwrap();
    assert_eq!(step.anomalies, 1);
    assert_eq!(
        machine.anomalies(),
        &[Anomaly {
            call: 2,
            breach: Breach::DenominatorChanged {
                previous: 4,
                denominator: 5
            }
        }]
    );
    assert_eq!(machine.progress(), Some("2/5".parse().unwrap()));
}

#[test]
fn denominator_changed_is_a_violation_under_strict() {
    let (verdict, machine) = run(
        OperationKind::Unknown,
        Rules::strict(),
        vec![call(1, 4), call(2, 5)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::DenominatorChanged);
    assert_eq!(machine.progress(), Some("1/4".parse().unwrap()));
}

#[test]
fn numerator_decreased_is_an_anomaly_under_documented_and_takes_the_lower_value() {
    let (verdict, machine) = run(
        OperationKind::Unknown,
        Rules::documented(),
        vec![call(0, 6), call(4, 6), call(3, 6)],
    );
    verdict.unwrap();
    assert_eq!(anomaly_rules(&machine), [Rule::NumeratorDecreased]);
    assert_eq!(machine.anomalies()[0].call, 3);
    assert_eq!(machine.progress(), Some("3/6".parse().unwrap()));
}

#[test]
fn numerator_decreased_is_a_violation_under_strict() {
    let (verdict, _) = run(
        OperationKind::Unknown,
        Rules::strict(),
        vec![call(0, 6), call(4, 6), call(3, 6)],
    );
    let violation = verdict.unwrap_err();
    assert_eq!(violation.rule(), Rule::NumeratorDecreased);
    assert_eq!(violation.call, 3);
}

#[test]
fn failure_before_completion_is_an_anomaly_under_documented_and_ends_the_operation() {
    let (verdict, machine) = run(
        OperationKind::GpoImport,
        Rules::documented(),
        vec![call(0, 3), call(1, 3).with_hr(HResult::E_FAIL)],
    );
    assert_eq!(verdict.unwrap().finished, Some(OutcomeKind::Failed));
    assert_eq!(anomaly_rules(&machine), [Rule::FailureBeforeCompletion]);
    let outcome = machine.outcome().unwrap();
    assert_eq!(outcome.hr(), HResult::E_FAIL);
    assert!(outcome.result().is_none());
    assert_eq!(machine.phase(), Phase::Finished);
    assert_eq!(machine.finishing_call(), Some(2));
}

#[test]
fn failure_before_completion_is_a_violation_under_strict() {
    let (verdict, machine) = run(
        OperationKind::GpoImport,
        Rules::strict(),
        vec![call(0, 3), call(1, 3).with_hr(HResult::E_FAIL)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::FailureBeforeCompletion);
    assert_eq!(machine.phase(), Phase::Running);
}

#[test]
fn failure_before_completion_lets_a_result_through_as_result_on_failure() {
    // Terminal because failure-before-completion is an anomaly, so the result is not early.
    let (verdict, machine) = run(
        OperationKind::GpoBackup,
        Rules::documented(),
        vec![call(1, 3).with_hr(HResult::E_FAIL).with_result(backup())],
    );
    verdict.unwrap();
    assert_eq!(
        anomaly_rules(&machine),
        [Rule::FailureBeforeCompletion, Rule::ResultOnFailure]
    );
    assert_eq!(machine.outcome().unwrap().result(), Some(&backup()));
}

#[test]
fn result_on_failure_is_an_anomaly_under_documented_and_keeps_the_result() {
    let (verdict, machine) = run(
        OperationKind::GpoBackup,
        Rules::documented(),
        vec![
            call(0, 2),
            call(2, 2)
                .with_hr(HResult::E_ACCESSDENIED)
                .with_result(backup()),
        ],
    );
    assert_eq!(verdict.unwrap().finished, Some(OutcomeKind::Failed));
    assert_eq!(anomaly_rules(&machine), [Rule::ResultOnFailure]);
    assert_eq!(
        machine.anomalies()[0].breach,
        Breach::ResultOnFailure {
            result_type: ResultType::Backup,
            hr: HResult::E_ACCESSDENIED
        }
    );
    assert_eq!(machine.outcome().unwrap().result(), Some(&backup()));
}

#[test]
fn result_on_failure_is_a_violation_under_strict() {
    let (verdict, machine) = run(
        OperationKind::GpoBackup,
        Rules::strict(),
        vec![
            call(0, 2),
            call(2, 2)
                .with_hr(HResult::E_ACCESSDENIED)
                .with_result(backup()),
        ],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::ResultOnFailure);
    assert!(machine.outcome().is_none());
}

#[test]
fn unexpected_result_is_an_anomaly_under_documented_and_keeps_the_result() {
    let gpo = ResultDescription::bare(ResultType::Gpo);
    let (verdict, machine) = run(
        OperationKind::GpoBackup,
        Rules::documented(),
        vec![call(1, 1).with_result(gpo.clone())],
    );
    assert_eq!(verdict.unwrap().finished, Some(OutcomeKind::Succeeded));
    assert_eq!(
        machine.anomalies()[0].breach,
        Breach::UnexpectedResult {
            result_type: ResultType::Gpo,
            operation: OperationKind::GpoBackup
        }
    );
    assert_eq!(machine.outcome().unwrap().result(), Some(&gpo));
}

#[test]
fn unexpected_result_is_a_violation_under_strict() {
    let (verdict, _) = run(
        OperationKind::GpoReport,
        Rules::strict(),
        vec![call(1, 1).with_result(ResultDescription::Object)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::UnexpectedResult);
}

#[test]
fn unexpected_result_applies_on_a_failed_outcome_too() {
    let (verdict, machine) = run(
        OperationKind::GpoReport,
        Rules::documented(),
        vec![call(1, 1)
            .with_hr(HResult::E_FAIL)
            .with_result(ResultDescription::Object)],
    );
    verdict.unwrap();
    assert_eq!(
        anomaly_rules(&machine),
        [Rule::ResultOnFailure, Rule::UnexpectedResult]
    );
}

#[test]
fn unexpected_result_is_not_checked_for_unknown_operations() {
    for rules in [Rules::documented(), Rules::strict()] {
        for result_type in ResultType::ALL {
            let (verdict, machine) = run(
                OperationKind::Unknown,
                rules,
                vec![call(1, 1).with_result(ResultDescription::bare(*result_type))],
            );
            verdict.unwrap();
            assert!(machine.anomalies().is_empty());
        }
    }
}

#[test]
fn unexpected_result_accepts_every_allowed_type() {
    for kind in OperationKind::ALL {
        for result_type in kind.result_types() {
            let (verdict, _) = run(
                *kind,
                Rules::strict(),
                vec![call(2, 2).with_result(ResultDescription::bare(*result_type))],
            );
            assert!(verdict.is_ok(), "{kind} with {result_type}");
        }
    }
}

#[test]
fn missing_result_is_an_anomaly_under_documented_and_succeeds_without_result() {
    let (verdict, machine) = run(
        OperationKind::DomainRestoreGpo,
        Rules::documented(),
        vec![call(0, 1), call(1, 1)],
    );
    assert_eq!(verdict.unwrap().finished, Some(OutcomeKind::Succeeded));
    assert_eq!(
        machine.anomalies(),
        &[Anomaly {
            call: 2,
            breach: Breach::MissingResult {
                operation: OperationKind::DomainRestoreGpo
            }
        }]
    );
    assert!(machine.outcome().unwrap().result().is_none());
}

#[test]
fn missing_result_is_a_violation_under_strict() {
    let (verdict, _) = run(
        OperationKind::DomainRestoreGpo,
        Rules::strict(),
        vec![call(0, 1), call(1, 1)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::MissingResult);
}

#[test]
fn missing_result_is_not_checked_for_unknown_operations_nor_on_failure() {
    let (verdict, _) = run(OperationKind::Unknown, Rules::strict(), vec![call(1, 1)]);
    assert!(verdict.is_ok());
    let (verdict, machine) = run(
        OperationKind::GpoBackup,
        Rules::strict(),
        vec![call(1, 1).with_hr(HResult::E_FAIL)],
    );
    assert!(verdict.is_ok());
    assert!(machine.anomalies().is_empty());
}

// ---- finishing calls and conforming sequences ------------------------------------------

#[test]
fn zero_over_zero_is_complete_and_terminal() {
    let (verdict, machine) = run(
        OperationKind::GpoReport,
        Rules::strict(),
        vec![call(0, 0).with_result(ResultDescription::text("<report/>"))],
    );
    assert_eq!(verdict.unwrap().finished, Some(OutcomeKind::Succeeded));
    assert_eq!(machine.progress().unwrap().percent(), 100);
}

#[test]
fn duplicates_and_a_first_call_at_any_fraction_conform_under_strict() {
    let (verdict, machine) = run(
        OperationKind::Unknown,
        Rules::strict(),
        vec![call(2, 5), call(2, 5), call(2, 5), call(4, 5), call(5, 5)],
    );
    verdict.unwrap();
    assert!(machine.anomalies().is_empty());
    assert_eq!(machine.finishing_call(), Some(5));
}

#[test]
fn null_and_empty_collections_both_mean_no_messages() {
    let (verdict, machine) = run(
        OperationKind::Unknown,
        Rules::strict(),
        vec![call(0, 2).with_messages(vec![]), call(2, 2)],
    );
    verdict.unwrap();
    assert!(machine.outcome().unwrap().messages().is_empty());
}

// ---- precedence -----------------------------------------------------------------------

#[test]
fn precedence_status_after_completion_comes_before_everything() {
    let (verdict, _) = run(
        OperationKind::Unknown,
        Rules::documented(),
        vec![call(1, 1), call(-1, 5).with_hr(HResult::E_FAIL)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::StatusAfterCompletion);
}

#[test]
fn precedence_negative_progress_before_numerator_exceeds_denominator() {
    let (verdict, _) = run(OperationKind::Unknown, Rules::strict(), vec![call(5, -1)]);
    assert_eq!(verdict.unwrap_err().rule(), Rule::NegativeProgress);
}

#[test]
fn precedence_records_every_anomaly_before_the_first_violation_in_order() {
    // Breaks denominator-changed, numerator-decreased, failure-before-completion,
    // result-on-failure and unexpected-result; only the last is a violation.
    let rules = Rules::documented()
        .with(Rule::UnexpectedResult, RuleSetting::Violation)
        .unwrap();
    let (verdict, machine) = run(
        OperationKind::GpoReport,
        rules,
        vec![
            call(3, 4),
            call(1, 6)
                .with_hr(HResult::E_FAIL)
                .with_result(ResultDescription::bare(ResultType::Gpo)),
        ],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::UnexpectedResult);
    // The rejected call's anomalies are not applied.
    assert!(machine.anomalies().is_empty());

    let (verdict, machine) = run(
        OperationKind::GpoReport,
        Rules::documented(),
        vec![
            call(3, 4),
            call(1, 6)
                .with_hr(HResult::E_FAIL)
                .with_result(ResultDescription::bare(ResultType::Gpo)),
        ],
    );
    assert_eq!(verdict.unwrap().anomalies, 5);
    assert_eq!(
        anomaly_rules(&machine),
        [
            Rule::DenominatorChanged,
            Rule::NumeratorDecreased,
            Rule::FailureBeforeCompletion,
            Rule::ResultOnFailure,
            Rule::UnexpectedResult,
        ]
    );
}

#[test]
fn precedence_denominator_changed_before_numerator_decreased_under_strict() {
    let (verdict, _) = run(
        OperationKind::Unknown,
        Rules::strict(),
        vec![call(3, 4), call(1, 6)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::DenominatorChanged);
}

#[test]
fn precedence_result_before_completion_before_unexpected_result() {
    let (verdict, _) = run(
        OperationKind::GpoBackup,
        Rules::strict(),
        vec![call(0, 2).with_result(ResultDescription::Object)],
    );
    assert_eq!(verdict.unwrap_err().rule(), Rule::ResultBeforeCompletion);
}

#[test]
fn precedence_unexpected_result_before_missing_result_never_both() {
    // A call with a result cannot miss one; a disallowed one is unexpected, not missing.
    let (verdict, machine) = run(
        OperationKind::GpoImport,
        Rules::documented(),
        vec![call(1, 1).with_result(ResultDescription::text("x"))],
    );
    verdict.unwrap();
    assert_eq!(anomaly_rules(&machine), [Rule::UnexpectedResult]);
}

#[test]
fn a_single_configurable_rule_can_be_made_a_violation() {
    let rules = Rules::documented()
        .with(Rule::NumeratorDecreased, RuleSetting::Violation)
        .unwrap();
    let (verdict, _) = run(OperationKind::Unknown, rules, vec![call(2, 4), call(1, 5)]);
    // denominator-changed is still an anomaly; numerator-decreased now rejects.
    assert_eq!(verdict.unwrap_err().rule(), Rule::NumeratorDecreased);
}

// ---- a rejected call is not applied -----------------------------------------------------

#[test]
fn a_rejected_call_changes_nothing_but_the_call_count() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::strict());
    machine.handle_status(call(1, 4)).unwrap();
    while machine.poll_event().is_some() {}
    let before = (
        machine.phase(),
        machine.progress(),
        machine.anomalies().to_vec(),
        machine.messages().to_vec(),
    );
    let rejected = call(0, 5)
        .with_messages(vec![gpmc_progress::StatusMessage::new("lost?")])
        .with_hr(HResult::E_FAIL);
    let violation = machine.handle_status(rejected).unwrap_err();
    assert_eq!(violation.rule(), Rule::DenominatorChanged);
    assert_eq!(
        before,
        (
            machine.phase(),
            machine.progress(),
            machine.anomalies().to_vec(),
            machine.messages().to_vec(),
        )
    );
    assert_eq!(machine.poll_event(), None);
    assert_eq!(machine.calls_received(), 2);

    // The caller may go on feeding it: the next call is numbered 3.
    let accepted = machine.handle_status(call(2, 4)).unwrap();
    assert_eq!(accepted.call, 3);
}

#[test]
fn handle_feeds_status_and_cancel_inputs_in_order() {
    let mut machine = StatusMachine::new(OperationKind::GpoReport, Rules::strict());
    let inputs: Vec<Input> = vec![
        call(0, 2).into(),
        Input::Cancel,
        call(2, 2).with_hr(HResult::E_ABORT).into(),
    ];
    for input in inputs {
        machine.handle(input).unwrap();
    }
    assert_eq!(machine.outcome().unwrap().kind(), OutcomeKind::Cancelled);
}
