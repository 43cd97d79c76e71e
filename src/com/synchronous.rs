//! Synchronous calls: an `IGPMResult` as the same [`OperationOutcome`] the sink produces.

use windows::Win32::System::GroupPolicy::IGPMResult;
use windows_core::Interface;

use super::messages::read_messages;
use super::result::read_result;
use super::ComResult;
use crate::live::{Location, ReadIssue, ReadProblem};
use crate::{HResult, OperationOutcome};

/// A synchronous GPMC call's outcome, with what could not be read faithfully.
///
/// [`outcome_from_result`] gives it with a [`ComResult`]; the entry points'
/// [`Call::run_sync`](super::Call::run_sync) with the method's typed result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncOutcome<R = ComResult> {
    /// The outcome, as an asynchronous call of the same method would end.
    pub outcome: OperationOutcome<R>,
    /// Getters that failed and strings that were not valid UTF-16; what could be read is in
    /// the outcome.
    pub issues: Vec<ReadIssue>,
}

impl<R> SyncOutcome<R> {
    /// The same outcome and issues, the outcome converted by `f` (which may fail).
    pub fn try_map<S, E>(
        self,
        f: impl FnOnce(OperationOutcome<R>) -> Result<OperationOutcome<S>, E>,
    ) -> Result<SyncOutcome<S>, E> {
        Ok(SyncOutcome {
            outcome: f(self.outcome)?,
            issues: self.issues,
        })
    }
}

/// Converts a synchronous GPMC method's return value (the method called with a null
/// `pvarGPMProgress`) into an [`OperationOutcome`], so synchronous and asynchronous calls
/// are handled alike.
///
/// - A failing method HRESULT decides first: *failed* with that code, no result, no messages
///   (there is no `IGPMResult` to read).
/// - Otherwise `IGPMResult::OverallStatus` (read raw, success codes kept) decides: a success
///   code is *succeeded*, a failure *failed*.
/// - The messages are those of `IGPMResult::Status` (a null collection is none), the result is
///   `IGPMResult::Result` read as a `Status` call's `pResult` would be (kept on failure too,
///   for inspection).
/// - `S_OK` with a null `IGPMResult` (an error with code `S_OK` in windows-rs) is *succeeded*
///   without result or messages, with a [`ReadProblem::NullResultObject`] issue.
///
/// A synchronous call cannot be cancelled, so the outcome is never *cancelled*. To judge it
/// by the rules (`missing-result`, `unexpected-result`, ...), feed a finishing
/// `StatusCall::new(1, 1, outcome.hr(), ...)` to a `StatusMachine`.
pub fn outcome_from_result(call: windows_core::Result<IGPMResult>) -> SyncOutcome {
    read_sync(call, false)
}

/// [`outcome_from_result`], keeping the result object (see [`ComResult::interface`]) when
/// `keep`.
pub(crate) fn read_sync(call: windows_core::Result<IGPMResult>, keep: bool) -> SyncOutcome {
    let mut issues = Vec::new();
    let result = match call {
        Ok(result) => result,
        Err(error) => {
            // windows-rs reports S_OK with a null IGPMResult as an error whose code is S_OK.
            if error.code().is_ok() {
                issues.push(ReadIssue::new(
                    Location::Result,
                    "ppIGPMResult",
                    ReadProblem::NullResultObject,
                ));
            }
            return SyncOutcome {
                outcome: OperationOutcome::new(
                    HResult::from(error.code()),
                    false,
                    None,
                    Vec::new(),
                ),
                issues,
            };
        }
    };
    // SAFETY: `OverallStatus` takes only the interface pointer of a live IGPMResult and
    // returns the status as its HRESULT.
    let overall = unsafe { (result.vtable().OverallStatus)(result.as_raw()) };
    // SAFETY: a property getter of a live IGPMResult; a null collection comes back as an
    // error with code S_OK.
    let messages = match unsafe { result.Status() } {
        Ok(collection) => read_messages(&collection, &mut issues),
        Err(error) if error.code().is_ok() => Vec::new(),
        Err(error) => {
            issues.push(ReadIssue::new(
                Location::Collection,
                "IGPMResult::Status",
                ReadProblem::GetterFailed(HResult::from(error.code())),
            ));
            Vec::new()
        }
    };
    // SAFETY: a property getter of a live IGPMResult; the VARIANT is ours and is cleared
    // when it drops, after it was read.
    let value = match unsafe { result.Result() } {
        Ok(variant) => read_result(Some(&variant), keep, &mut issues).0,
        Err(error) => {
            issues.push(ReadIssue::new(
                Location::Result,
                "IGPMResult::Result",
                ReadProblem::GetterFailed(HResult::from(error.code())),
            ));
            None
        }
    };
    SyncOutcome {
        outcome: OperationOutcome::new(HResult::from(overall), false, value, messages),
        issues,
    }
}
