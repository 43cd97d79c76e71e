//! The serde form of a trace line as read: every field optional, so that the reader can tell
//! a missing field from a null one and a field that belongs to another event.

use serde::{Deserialize, Deserializer};

use crate::{HResult, OperationKind, ResultDescription, StatusMessage};

/// The value of the `event` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum EventName {
    Begin,
    Status,
    Cancel,
}

impl EventName {
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            EventName::Begin => "begin",
            EventName::Status => "status",
            EventName::Cancel => "cancel",
        }
    }
}

/// A field as given: `None` when absent, `Some(None)` when `null`, `Some(Some(value))`.
pub(super) type Given<T> = Option<Option<T>>;

fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Given<T>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// One line, as JSON gives it. Unknown fields are rejected here; fields of the wrong event are
/// rejected by the reader.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WireEvent {
    #[serde(default, deserialize_with = "given")]
    pub(super) event: Given<EventName>,
    #[serde(default, deserialize_with = "given")]
    pub(super) operation: Given<OperationKind>,
    #[serde(default, deserialize_with = "given")]
    pub(super) numerator: Given<i32>,
    #[serde(default, deserialize_with = "given")]
    pub(super) denominator: Given<i32>,
    #[serde(default, deserialize_with = "given")]
    pub(super) hr: Given<HResult>,
    #[serde(default, deserialize_with = "given")]
    pub(super) result: Given<WireResult>,
    #[serde(default, deserialize_with = "given")]
    pub(super) messages: Given<Vec<WireMessage>>,
}

/// A status message as given: every field optional, `null` the same as absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WireMessage {
    #[serde(default)]
    object_path: Option<String>,
    #[serde(default)]
    error_code: Option<HResult>,
    #[serde(default)]
    extension_name: Option<String>,
    #[serde(default)]
    settings_name: Option<String>,
    #[serde(default)]
    operation_code: Option<HResult>,
    #[serde(default)]
    message: Option<String>,
}

impl From<WireMessage> for StatusMessage {
    fn from(wire: WireMessage) -> Self {
        StatusMessage::new(wire.message.unwrap_or_default())
            .with_object_path(wire.object_path.unwrap_or_default())
            .with_error_code(wire.error_code.unwrap_or_default())
            .with_extension_name(wire.extension_name.unwrap_or_default())
            .with_settings_name(wire.settings_name.unwrap_or_default())
            .with_operation_code(wire.operation_code.unwrap_or_default())
    }
}

/// A result object as given. [`ResultDescription`]'s own serde form lets an `object` result
/// carry unknown fields (serde ignores them on unit variants); here every variant, `object`
/// included, refuses them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub(super) enum WireResult {
    Gpo {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        display_name: Option<String>,
        #[serde(default)]
        domain: Option<String>,
    },
    Backup {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        gpo_id: Option<String>,
        #[serde(default)]
        directory: Option<String>,
        #[serde(default)]
        comment: Option<String>,
    },
    StarterGpo {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        display_name: Option<String>,
    },
    StarterGpoBackup {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        gpo_id: Option<String>,
        #[serde(default)]
        directory: Option<String>,
        #[serde(default)]
        comment: Option<String>,
    },
    Text {
        #[serde(default)]
        value: Option<String>,
    },
    Object {},
}

impl From<WireResult> for ResultDescription {
    fn from(wire: WireResult) -> Self {
        match wire {
            WireResult::Gpo {
                id,
                display_name,
                domain,
            } => ResultDescription::Gpo {
                id,
                display_name,
                domain,
            },
            WireResult::Backup {
                id,
                gpo_id,
                directory,
                comment,
            } => ResultDescription::Backup {
                id,
                gpo_id,
                directory,
                comment,
            },
            WireResult::StarterGpo { id, display_name } => {
                ResultDescription::StarterGpo { id, display_name }
            }
            WireResult::StarterGpoBackup {
                id,
                gpo_id,
                directory,
                comment,
            } => ResultDescription::StarterGpoBackup {
                id,
                gpo_id,
                directory,
                comment,
            },
            WireResult::Text { value } => ResultDescription::Text { value },
            WireResult::Object {} => ResultDescription::Object,
        }
    }
}
