//! [`OperationOutcome`]: how an operation ended, with its result and every message.

use core::fmt;

use crate::{HResult, ResultDescription, StatusMessage};

/// Which of the three ends an operation reached (see the [crate docs' Outcomes
/// section](crate#outcomes)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum OutcomeKind {
    /// The finishing call's `hrStatus` was a success code.
    Succeeded,
    /// The finishing call's `hrStatus` was a failure code and no cancel was requested.
    Failed,
    /// The finishing call's `hrStatus` was a failure code after the client requested cancel.
    Cancelled,
}

impl OutcomeKind {
    /// The lowercase word used in checker output: `succeeded`, `failed` or `cancelled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Succeeded => "succeeded",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for OutcomeKind {
    /// The [`as_str`](OutcomeKind::as_str) word.
    ///
    /// ```
    /// use gpmc_progress::OutcomeKind;
    /// assert_eq!(OutcomeKind::Cancelled.to_string(), "cancelled");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an operation ended: the finishing call's `hrStatus`, whether the client had requested
/// cancel, the result (if one was kept) and every message collected over the whole operation,
/// in arrival order.
///
/// The [`kind`](OperationOutcome::kind) is derived, never stored: a success code is
/// [`Succeeded`](OutcomeKind::Succeeded) (even after a cancel request: it came too late), a
/// failure code is [`Cancelled`](OutcomeKind::Cancelled) after a cancel request and
/// [`Failed`](OutcomeKind::Failed) otherwise.
///
/// ```
/// use gpmc_progress::{HResult, OperationOutcome, OutcomeKind, ResultDescription};
///
/// let outcome: OperationOutcome =
///     OperationOutcome::new(HResult::ERROR_CANCELLED, true, None, Vec::new());
/// assert_eq!(outcome.kind(), OutcomeKind::Cancelled);
/// assert_eq!(
///     outcome.to_string(),
///     "cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))"
/// );
///
/// let late = OperationOutcome::new(HResult::S_OK, true, Some(ResultDescription::text("x")), vec![]);
/// assert_eq!(late.kind(), OutcomeKind::Succeeded);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OperationOutcome<R = ResultDescription> {
    hr: HResult,
    cancel_requested: bool,
    result: Option<R>,
    messages: Vec<StatusMessage>,
}

impl<R> OperationOutcome<R> {
    /// An outcome from its parts; the kind follows from `hr` and `cancel_requested`.
    pub fn new(
        hr: HResult,
        cancel_requested: bool,
        result: Option<R>,
        messages: Vec<StatusMessage>,
    ) -> Self {
        OperationOutcome {
            hr,
            cancel_requested,
            result,
            messages,
        }
    }

    /// Succeeded, failed or cancelled.
    #[inline]
    pub fn kind(&self) -> OutcomeKind {
        if self.hr.is_success() {
            OutcomeKind::Succeeded
        } else if self.cancel_requested {
            OutcomeKind::Cancelled
        } else {
            OutcomeKind::Failed
        }
    }

    /// The finishing call's `hrStatus` (`S_OK`, `S_FALSE`, … for a success).
    #[inline]
    pub fn hr(&self) -> HResult {
        self.hr
    }

    /// Whether the client had requested cancel before the finishing call.
    #[inline]
    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }

    /// The result kept: the delivered object on success, or one that came with a failure
    /// (under the `result-on-failure` anomaly), kept for inspection.
    #[inline]
    pub fn result(&self) -> Option<&R> {
        self.result.as_ref()
    }

    /// Every message of every call, in arrival order.
    #[inline]
    pub fn messages(&self) -> &[StatusMessage] {
        &self.messages
    }

    /// Takes the result out, leaving `None`.
    pub fn take_result(&mut self) -> Option<R> {
        self.result.take()
    }

    /// The parts: `(hr, cancel_requested, result, messages)`.
    pub fn into_parts(self) -> (HResult, bool, Option<R>, Vec<StatusMessage>) {
        (self.hr, self.cancel_requested, self.result, self.messages)
    }

    /// Replaces the result with `f(result)`, keeping everything else.
    pub fn map_result<S>(self, f: impl FnOnce(R) -> S) -> OperationOutcome<S> {
        OperationOutcome {
            hr: self.hr,
            cancel_requested: self.cancel_requested,
            result: self.result.map(f),
            messages: self.messages,
        }
    }

    /// `Ok(result)` when the operation succeeded, else the failure as an [`OperationFailed`]
    /// error (with the messages, for a report).
    ///
    /// ```
    /// use gpmc_progress::{HResult, OperationOutcome, OutcomeKind};
    /// let failed: OperationOutcome = OperationOutcome::new(HResult::E_ACCESSDENIED, false, None, vec![]);
    /// let err = failed.into_result().unwrap_err();
    /// assert_eq!(err.to_string(), "operation failed with 0x80070005 (E_ACCESSDENIED)");
    /// assert_eq!(err.kind, OutcomeKind::Failed);
    /// ```
    pub fn into_result(self) -> Result<Option<R>, OperationFailed> {
        match self.kind() {
            OutcomeKind::Succeeded => Ok(self.result),
            kind => Err(OperationFailed {
                kind,
                hr: self.hr,
                messages: self.messages,
            }),
        }
    }
}

impl<R> fmt::Display for OperationOutcome<R> {
    /// The kind and the finishing call's `hrStatus` in [`HResult`]'s alternate form (the
    /// hexadecimal and, for a well-known code, its name): `failed with 0x80070005
    /// (E_ACCESSDENIED)`, `cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))`.
    /// A success is `succeeded`, with its code only when it is not `S_OK`. The result and the
    /// messages are not shown.
    ///
    /// ```
    /// use gpmc_progress::{HResult, OperationOutcome};
    ///
    /// let outcome = |hr, cancel| OperationOutcome::<()>::new(hr, cancel, None, vec![]);
    /// assert_eq!(outcome(HResult::S_OK, false).to_string(), "succeeded");
    /// assert_eq!(outcome(HResult::S_OK, true).to_string(), "succeeded");
    /// assert_eq!(outcome(HResult::S_FALSE, false).to_string(), "succeeded with 0x00000001 (S_FALSE)");
    /// assert_eq!(
    ///     outcome(HResult::E_ACCESSDENIED, false).to_string(),
    ///     "failed with 0x80070005 (E_ACCESSDENIED)"
    /// );
    /// assert_eq!(outcome(HResult::E_ABORT, true).to_string(), "cancelled with 0x80004004 (E_ABORT)");
    /// assert_eq!(outcome(HResult::from_bits(0x8004_0000), false).to_string(), "failed with 0x80040000");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            OutcomeKind::Succeeded if self.hr == HResult::S_OK => f.write_str("succeeded"),
            kind => write!(f, "{kind} with {:#}", self.hr),
        }
    }
}

/// A failed or cancelled outcome, as an error.
///
/// Its message is `operation`, then the outcome's kind and code as [`OperationOutcome`]'s
/// Display shows them.
///
/// ```
/// use gpmc_progress::{HResult, OperationOutcome};
///
/// let cancelled: OperationOutcome = OperationOutcome::new(HResult::ERROR_CANCELLED, true, None, vec![]);
/// assert_eq!(
///     cancelled.into_result().unwrap_err().to_string(),
///     "operation cancelled with 0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))"
/// );
/// let unknown: OperationOutcome = OperationOutcome::new(HResult::from_bits(0x8004_0000), false, None, vec![]);
/// assert_eq!(unknown.into_result().unwrap_err().to_string(), "operation failed with 0x80040000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation {kind} with {hr:#}")]
#[non_exhaustive]
pub struct OperationFailed {
    /// [`OutcomeKind::Failed`] or [`OutcomeKind::Cancelled`].
    pub kind: OutcomeKind,
    /// The finishing `hrStatus`.
    pub hr: HResult,
    /// Every message of the operation.
    pub messages: Vec<StatusMessage>,
}
