//! [`StatusMessage`]: one entry of the `IGPMStatusMsgCollection` passed to `Status`.

use core::fmt;

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

impl fmt::Display for StatusMessage {
    /// One line naming what the message has, its empty parts and zero codes left out:
    ///
    /// - the extension (with the settings name in parentheses, or the settings name alone)
    ///   and a colon, then the text (`(no text)` when there is an extension or settings
    ///   name but no text);
    /// - then, each after `; `, `object` and the object path, `error code` and the
    ///   `ErrorCode` in [`HResult`]'s alternate form (with its name when it is well known),
    ///   and `operation code` and the raw `OperationCode`;
    /// - `(empty message)` when every property is empty or zero.
    ///
    /// ```
    /// use gpmc_progress::{HResult, StatusMessage};
    ///
    /// let message = StatusMessage::new("access denied while resolving a group")
    ///     .with_error_code(HResult::E_ACCESSDENIED)
    ///     .with_extension_name("Security");
    /// assert_eq!(
    ///     message.to_string(),
    ///     "Security: access denied while resolving a group; error code 0x80070005 (E_ACCESSDENIED)"
    /// );
    ///
    /// // A warning: no error code, so none is shown.
    /// let warning = StatusMessage::new("the script path points outside SYSVOL")
    ///     .with_extension_name("Scripts")
    ///     .with_settings_name("Logon")
    ///     .with_object_path(r"\\example.com\SysVol\logon.cmd");
    /// assert_eq!(
    ///     warning.to_string(),
    ///     r"Scripts (Logon): the script path points outside SYSVOL; object \\example.com\SysVol\logon.cmd"
    /// );
    ///
    /// let code_only = StatusMessage::default().with_error_code(HResult::from_bits(0x8004_0000));
    /// assert_eq!(code_only.to_string(), "error code 0x80040000");
    /// assert_eq!(StatusMessage::new("done").to_string(), "done");
    /// assert_eq!(StatusMessage::default().to_string(), "(empty message)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        match (
            self.extension_name.is_empty(),
            self.settings_name.is_empty(),
        ) {
            (false, false) => write!(f, "{} ({}): ", self.extension_name, self.settings_name)?,
            (false, true) => write!(f, "{}: ", self.extension_name)?,
            (true, false) => write!(f, "{}: ", self.settings_name)?,
            (true, true) => {}
        }
        if !self.message.is_empty() {
            f.write_str(&self.message)?;
            separator = "; ";
        } else if !(self.extension_name.is_empty() && self.settings_name.is_empty()) {
            f.write_str("(no text)")?;
            separator = "; ";
        }
        if !self.object_path.is_empty() {
            write!(f, "{separator}object {}", self.object_path)?;
            separator = "; ";
        }
        if self.error_code != HResult::S_OK {
            write!(f, "{separator}error code {:#}", self.error_code)?;
            separator = "; ";
        }
        if self.operation_code != HResult::S_OK {
            write!(f, "{separator}operation code {}", self.operation_code)?;
            separator = "; ";
        }
        if separator.is_empty() {
            f.write_str("(empty message)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_part_it_shows() {
        let full = StatusMessage {
            object_path: "cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies".into(),
            error_code: HResult::ERROR_FILE_NOT_FOUND,
            extension_name: "Registry".into(),
            settings_name: "Run".into(),
            operation_code: HResult::from_bits(3),
            message: "a value could not be read".into(),
        };
        assert_eq!(
            full.to_string(),
            "Registry (Run): a value could not be read; \
             object cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies; \
             error code 0x80070002 (HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)); \
             operation code 0x00000003"
        );
    }

    #[test]
    fn display_leaves_out_empty_parts_and_zero_codes() {
        let only = |message: StatusMessage| message.to_string();
        assert_eq!(only(StatusMessage::default()), "(empty message)");
        assert_eq!(
            only(StatusMessage::default().with_extension_name("Security")),
            "Security: (no text)"
        );
        assert_eq!(
            only(StatusMessage::default().with_settings_name("Logon")),
            "Logon: (no text)"
        );
        assert_eq!(
            only(StatusMessage::default().with_error_code(HResult::E_ACCESSDENIED)),
            "error code 0x80070005 (E_ACCESSDENIED)"
        );
        assert_eq!(
            only(StatusMessage::default().with_object_path("c:\\x")),
            "object c:\\x"
        );
        assert_eq!(
            only(StatusMessage::default().with_operation_code(HResult::from_bits(7))),
            "operation code 0x00000007"
        );
        assert_eq!(
            only(
                StatusMessage::new("skipped")
                    .with_extension_name("Scripts")
                    .with_error_code(HResult::S_FALSE)
            ),
            "Scripts: skipped; error code 0x00000001 (S_FALSE)"
        );
        assert!(!only(StatusMessage::new("warning")).contains("0x00000000"));
    }
}
