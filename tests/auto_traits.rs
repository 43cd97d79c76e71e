//! Which public types are `Send + Sync + Unpin`: every value type, the machine and outcomes
//! holding plain data can cross threads (a COM sink keeps the machine behind a lock).

use gpmc_progress::*;

fn assert_send_sync_unpin<T: Send + Sync + Unpin + 'static>() {}

#[test]
fn value_types_machine_and_errors_are_send_sync_unpin() {
    assert_send_sync_unpin::<HResult>();
    assert_send_sync_unpin::<ProgressFraction>();
    assert_send_sync_unpin::<StatusMessage>();
    assert_send_sync_unpin::<OperationKind>();
    assert_send_sync_unpin::<ResultType>();
    assert_send_sync_unpin::<ResultDescription>();
    assert_send_sync_unpin::<StatusCall>();
    assert_send_sync_unpin::<Input>();
    assert_send_sync_unpin::<OperationOutcome>();
    assert_send_sync_unpin::<OutcomeKind>();
    assert_send_sync_unpin::<Rule>();
    assert_send_sync_unpin::<Rules>();
    assert_send_sync_unpin::<Preset>();
    assert_send_sync_unpin::<RuleSetting>();
    assert_send_sync_unpin::<Breach>();
    assert_send_sync_unpin::<Anomaly>();
    assert_send_sync_unpin::<Violation>();
    assert_send_sync_unpin::<Event>();
    assert_send_sync_unpin::<Accepted>();
    assert_send_sync_unpin::<Phase>();
    assert_send_sync_unpin::<StatusMachine>();
    assert_send_sync_unpin::<OperationFailed>();
    assert_send_sync_unpin::<ParseHResultError>();
    assert_send_sync_unpin::<FractionError>();
    assert_send_sync_unpin::<ParseIdError>();
    assert_send_sync_unpin::<RuleNotConfigurable>();
}

#[test]
fn errors_are_std_errors() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Violation>();
    assert_error::<OperationFailed>();
    assert_error::<ParseHResultError>();
    assert_error::<FractionError>();
    assert_error::<ParseIdError>();
    assert_error::<RuleNotConfigurable>();
}
