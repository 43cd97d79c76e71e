//! [`TrackError`]: how a tracked operation can end without an outcome.

use crate::{HResult, Violation};

/// How an operation can end for a tracker's consumers without an outcome.
///
/// ```
/// use gpmc_progress::live::TrackError;
/// use gpmc_progress::HResult;
///
/// assert_eq!(
///     TrackError::StartFailed(HResult::E_ACCESSDENIED).to_string(),
///     "the asynchronous method failed with 0x80070005 (E_ACCESSDENIED)"
/// );
/// assert_eq!(
///     TrackError::Abandoned { calls_received: 2 }.to_string(),
///     "the server let go of the operation after 2 status calls without finishing"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// A `Status` call broke a rule that is a violation under the rules in force; the first
    /// one ends the operation (what comes after it is late).
    #[error("the server broke the protocol: {0}")]
    Violation(Violation),
    /// The asynchronous GPMC method failed, so the operation never started.
    #[error("the asynchronous method failed with {0:#}")]
    StartFailed(HResult),
    /// The server let go (the last reporter, or the COM sink's last reference, was released)
    /// before a finishing `Status` call: no more calls can come.
    #[error(
        "the server let go of the operation after {} without finishing",
        status_calls(*.calls_received)
    )]
    Abandoned {
        /// How many `Status` calls had been received.
        calls_received: u64,
    },
}

/// `1 status call`, `2 status calls`.
fn status_calls(count: u64) -> String {
    match count {
        1 => "1 status call".to_owned(),
        _ => format!("{count} status calls"),
    }
}
