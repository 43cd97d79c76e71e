//! [`StatusMessage`]: one entry of the `IGPMStatusMsgCollection` passed to `Status`.

use crate::HResult;

/// The six properties of an `IGPMStatusMessage`, as plain data.
///
/// GPMC attaches a collection of these to a `Status` call (or to the `IGPMResult` of a
/// synchronous call) when it has something to report: errors, and warnings that let the
/// operation continue. The two codes are kept as raw 32-bit values: `OperationCode` values are
/// not documented, and success-severity values must not be lost.
///
/// It is plain data: the fields are the interface's six properties, which do not change, so
/// they are public and a struct literal builds one as well as [`new`](Self::new) and the
/// `with_` methods do.
///
/// ```
/// use gpmc_progress::{HResult, StatusMessage};
///
/// let message = StatusMessage::new("access denied while resolving a group")
///     .with_error_code(HResult::E_ACCESSDENIED)
///     .with_extension_name("Security");
/// assert_eq!(message.error_code, HResult::E_ACCESSDENIED);
/// assert_eq!(message.object_path, "");
///
/// let same = StatusMessage {
///     error_code: HResult::E_ACCESSDENIED,
///     extension_name: "Security".into(),
///     message: "access denied while resolving a group".into(),
///     ..StatusMessage::default()
/// };
/// assert_eq!(same, message);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct StatusMessage {
    /// `ObjectPath`: the path of the object the message is about (may be empty).
    pub object_path: String,
    /// `ErrorCode`: the HRESULT of the problem.
    pub error_code: HResult,
    /// `ExtensionName`: the client-side extension that reported it (may be empty).
    pub extension_name: String,
    /// `SettingsName`: the setting concerned (may be empty).
    pub settings_name: String,
    /// `OperationCode`: GPMC's code for the kind of message, raw (none are documented).
    pub operation_code: HResult,
    /// `Message`: the text of the message.
    pub message: String,
}

impl StatusMessage {
    /// A message with the given text and every other property empty or zero.
    pub fn new(message: impl Into<String>) -> Self {
        StatusMessage {
            message: message.into(),
            ..StatusMessage::default()
        }
    }

    /// Sets `ObjectPath`.
    #[must_use]
    pub fn with_object_path(mut self, object_path: impl Into<String>) -> Self {
        self.object_path = object_path.into();
        self
    }

    /// Sets `ErrorCode`.
    #[must_use]
    pub fn with_error_code(mut self, error_code: HResult) -> Self {
        self.error_code = error_code;
        self
    }

    /// Sets `ExtensionName`.
    #[must_use]
    pub fn with_extension_name(mut self, extension_name: impl Into<String>) -> Self {
        self.extension_name = extension_name.into();
        self
    }

    /// Sets `SettingsName`.
    #[must_use]
    pub fn with_settings_name(mut self, settings_name: impl Into<String>) -> Self {
        self.settings_name = settings_name.into();
        self
    }

    /// Sets `OperationCode`.
    #[must_use]
    pub fn with_operation_code(mut self, operation_code: HResult) -> Self {
        self.operation_code = operation_code;
        self
    }
}
