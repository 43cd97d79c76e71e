//! One named test per outcome case of the crate docs' Outcomes section, and the events the
//! machine reports.

use gpmc_progress::{
    Event, HResult, OperationKind, OutcomeKind, Phase, ResultDescription, ResultType, Rules,
    StatusCall, StatusMachine, StatusMessage,
};

fn call(numerator: i32, denominator: i32) -> StatusCall {
    StatusCall::progress(numerator, denominator)
}

fn events(machine: &mut StatusMachine) -> Vec<Event> {
    std::iter::from_fn(|| machine.poll_event()).collect()
}

#[test]
fn succeeded_with_s_ok_keeps_the_result_and_every_message() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::strict());
    machine
        .handle_status(call(0, 3).with_messages(vec![StatusMessage::new("first")]))
        .unwrap();
    machine
        .handle_status(call(1, 3).with_hr(HResult::S_OK))
        .unwrap();
    let result = ResultDescription::bare(ResultType::Backup);
    machine
        .handle_status(call(3, 3).with_result(result.clone()).with_messages(vec![
            StatusMessage::new("second"),
            StatusMessage::new("third"),
        ]))
        .unwrap();
    let outcome = machine.outcome().unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(outcome.result(), Some(&result));
    let texts: Vec<_> = outcome
        .messages()
        .iter()
        .map(|m| m.message.as_str())
        .collect();
    assert_eq!(texts, ["first", "second", "third"]);
    assert_eq!(machine.messages().len(), 3);
}

#[test]
fn succeeded_with_s_false_or_any_non_negative_hresult() {
    for hr in [
        HResult::S_FALSE,
        HResult::new(i32::MAX),
        HResult::from_bits(0x0004_230A),
    ] {
        let mut machine = StatusMachine::new(OperationKind::Unknown, Rules::strict());
        machine.handle_status(call(1, 1).with_hr(hr)).unwrap();
        let outcome = machine.outcome().unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Succeeded, "{hr}");
        assert_eq!(outcome.hr(), hr);
    }
}

#[test]
fn failed_with_the_terminal_hresult_and_the_messages() {
    let mut machine = StatusMachine::new(OperationKind::GpoCopy, Rules::strict());
    machine.handle_status(call(0, 2)).unwrap();
    machine.handle_status(call(1, 2)).unwrap();
    machine
        .handle_status(
            call(2, 2)
                .with_hr(HResult::E_ACCESSDENIED)
                .with_messages(vec![
                    StatusMessage::new("access denied").with_error_code(HResult::E_ACCESSDENIED)
                ]),
        )
        .unwrap();
    let outcome = machine.outcome().unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Failed);
    assert_eq!(outcome.hr(), HResult::E_ACCESSDENIED);
    assert!(outcome.result().is_none());
    assert_eq!(outcome.messages()[0].error_code, HResult::E_ACCESSDENIED);
    assert!(!outcome.cancel_requested());
}

#[test]
fn cancelled_when_a_failure_follows_the_cancel_request() {
    for hr in [HResult::ERROR_CANCELLED, HResult::E_ABORT, HResult::E_FAIL] {
        let mut machine = StatusMachine::new(OperationKind::GpoReport, Rules::strict());
        machine.handle_status(call(0, 6)).unwrap();
        assert!(machine.handle_cancel());
        machine.handle_status(call(6, 6).with_hr(hr)).unwrap();
        let outcome = machine.outcome().unwrap();
        assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
        assert_eq!(outcome.hr(), hr);
        assert!(outcome.cancel_requested());
    }
}

#[test]
fn cancelled_by_a_failure_before_completion_under_documented() {
    let mut machine = StatusMachine::new(OperationKind::GpoReport, Rules::documented());
    machine.handle_cancel();
    machine
        .handle_status(call(2, 6).with_hr(HResult::ERROR_CANCELLED))
        .unwrap();
    assert_eq!(machine.outcome().unwrap().kind(), OutcomeKind::Cancelled);
}

#[test]
fn succeeded_when_success_follows_the_cancel_request_too_late() {
    let mut machine = StatusMachine::new(OperationKind::GpoReport, Rules::strict());
    machine.handle_status(call(0, 2)).unwrap();
    machine.handle_cancel();
    machine
        .handle_status(call(2, 2).with_result(ResultDescription::text("<report/>")))
        .unwrap();
    let outcome = machine.outcome().unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Succeeded);
    assert!(outcome.cancel_requested());
}

#[test]
fn a_cancel_request_after_the_terminal_call_changes_nothing() {
    let mut machine = StatusMachine::new(OperationKind::GpoImport, Rules::strict());
    machine
        .handle_status(call(1, 1).with_hr(HResult::E_FAIL))
        .unwrap();
    let before = machine.outcome().cloned();
    assert!(!machine.handle_cancel());
    assert!(!machine.cancel_requested());
    assert_eq!(machine.outcome().cloned(), before);
    assert_eq!(machine.outcome().unwrap().kind(), OutcomeKind::Failed);
}

#[test]
fn a_cancel_request_before_the_first_call_counts() {
    let mut machine = StatusMachine::new(OperationKind::Unknown, Rules::strict());
    assert!(machine.handle_cancel());
    assert_eq!(machine.phase(), Phase::NotStarted);
    machine
        .handle_status(call(0, 0).with_hr(HResult::E_ABORT))
        .unwrap();
    assert_eq!(machine.outcome().unwrap().kind(), OutcomeKind::Cancelled);
}

#[test]
fn failed_outcome_keeps_a_result_under_result_on_failure() {
    let mut machine = StatusMachine::new(OperationKind::GpoReport, Rules::documented());
    machine
        .handle_status(
            call(1, 1)
                .with_hr(HResult::E_FAIL)
                .with_result(ResultDescription::text("partial")),
        )
        .unwrap();
    let outcome = machine.into_outcome().unwrap();
    assert_eq!(outcome.kind(), OutcomeKind::Failed);
    assert_eq!(outcome.result(), Some(&ResultDescription::text("partial")));
    let err = outcome.into_result().unwrap_err();
    assert_eq!(err.hr, HResult::E_FAIL);
}

#[test]
fn no_outcome_before_the_terminal_call() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::strict());
    assert_eq!(machine.phase(), Phase::NotStarted);
    assert!(machine.outcome().is_none());
    machine.handle_status(call(3, 8)).unwrap();
    assert_eq!(machine.phase(), Phase::Running);
    assert!(machine.outcome().is_none());
}

#[test]
fn events_come_in_order_progress_messages_anomalies_finished() {
    let mut machine = StatusMachine::new(OperationKind::GpoBackup, Rules::documented());
    machine.handle_status(call(0, 2)).unwrap();
    machine.handle_cancel();
    machine.handle_cancel();
    let message = StatusMessage::new("skipped");
    machine
        .handle_status(call(2, 2).with_messages(vec![message.clone()]))
        .unwrap();
    let seen = events(&mut machine);
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(seen[0], Event::Progress("0/2".parse().unwrap()));
    assert_eq!(seen[1], Event::CancelRequested);
    assert_eq!(seen[2], Event::Progress("2/2".parse().unwrap()));
    assert_eq!(seen[3], Event::Message(message));
    assert!(matches!(&seen[4], Event::Anomaly(a) if a.call == 2));
    // Success after the cancel request: the request came too late.
    assert_eq!(seen[5], Event::Finished(OutcomeKind::Succeeded));
    assert_eq!(machine.poll_event(), None);
}

#[test]
fn unpolled_progress_events_are_merged_into_the_latest() {
    let mut machine = StatusMachine::new(OperationKind::Unknown, Rules::strict());
    for numerator in 0..1000 {
        machine.handle_status(call(numerator, 1000)).unwrap();
    }
    assert_eq!(
        events(&mut machine),
        [Event::Progress("999/1000".parse().unwrap())]
    );
}
