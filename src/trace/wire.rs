//! The serde form of a trace line as read: every field optional, so that the reader can tell
//! a missing field from a null one and a field that belongs to another event.

use core::fmt;
use core::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::{HResult, OperationKind, ResultDescription, ResultType, StatusMessage};

/// The value of the `event` field: a string, nothing else (serde's derived enums would also
/// take `{"cancel": null}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl<'de> Deserialize<'de> for EventName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl Visitor<'_> for NameVisitor {
            type Value = EventName;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event name: begin, status or cancel")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EventName, E> {
                match text {
                    "begin" => Ok(EventName::Begin),
                    "status" => Ok(EventName::Status),
                    "cancel" => Ok(EventName::Cancel),
                    _ => Err(E::custom(format_args!(
                        "unknown event `{}`, expected begin, status or cancel",
                        text.chars().take(64).collect::<String>()
                    ))),
                }
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

/// A JSON object of type `T`, and nothing else.
///
/// serde's derived structs (and internally tagged enums) also accept a JSON array of their
/// fields in order; the trace format only has objects, so the wire types are read through
/// this wrapper, which asks the deserializer for a map.
#[derive(Debug)]
pub(super) struct Object<T>(pub(super) T);

/// What an [`Object`] is called in error messages.
pub(super) trait Named {
    const EXPECTING: &'static str;
}

impl<'de, T: Deserialize<'de> + Named> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Named> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// A number (or HRESULT) read from its exact JSON text.
///
/// serde_json reads the JSON integer `-0` as the float `-0.0`, which an `i32` (or an
/// HRESULT) then refuses as a fraction; the trace format's integers include it. So the value's
/// text is taken as serde_json delimits (and validates) it: a JSON integer is converted with
/// the standard integer parser (JSON integers are a subset of its syntax). Any other number
/// is refused naming it as written: "a number with an exponent" and `1e0`, where serde_json
/// would say "floating point" and `1.0`. A string goes to [`FromInteger::from_string`];
/// `true`, `false`, an array or an object are of the wrong type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exact<T>(T);

impl<T> Exact<T> {
    pub(super) fn get(self) -> T {
        self.0
    }
}

/// A type with a value for some JSON integers.
pub(super) trait FromInteger: Sized {
    /// What a value looks like, for error messages (`expected …`).
    const EXPECTING: &'static str;

    fn from_integer(value: i64) -> Option<Self>;

    /// The value of a JSON string (already unescaped), or the error's message.
    fn from_string(text: &str) -> Result<Self, String>;
}

impl FromInteger for i32 {
    const EXPECTING: &'static str = "an integer in -2147483648..=2147483647";

    fn from_integer(value: i64) -> Option<Self> {
        i32::try_from(value).ok()
    }

    fn from_string(text: &str) -> Result<Self, String> {
        Err(format!(
            "invalid type: string \"{}\", expected {}",
            text.chars().take(64).collect::<String>(),
            Self::EXPECTING
        ))
    }
}

impl FromInteger for HResult {
    const EXPECTING: &'static str =
        "an hresult: a string 0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295";

    fn from_integer(value: i64) -> Option<Self> {
        HResult::from_integer(value)
    }

    fn from_string(text: &str) -> Result<Self, String> {
        HResult::parse_hex(text).map_err(|error| error.to_string())
    }
}

impl<'de, T: FromInteger> Deserialize<'de> for Exact<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if let Some(value) = text.parse::<i64>().ok().and_then(T::from_integer) {
            return Ok(Exact(value));
        }
        // The outer deserializer adds the position in the line.
        // At most 64 characters of the value, as in the other errors naming a value.
        let fail = |found: &str| {
            let shown: String = text.chars().take(64).collect();
            serde::de::Error::custom(format_args!("{found} `{shown}`, expected {}", T::EXPECTING))
        };
        match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => {
                if text.contains(['e', 'E']) {
                    Err(fail("invalid type: a number with an exponent"))
                } else if text.contains('.') {
                    Err(fail("invalid type: a number with a fraction"))
                } else {
                    Err(fail("invalid value: integer"))
                }
            }
            Some(b'"') => {
                let string: String =
                    serde_json::from_str(text).map_err(serde::de::Error::custom)?;
                T::from_string(&string)
                    .map(Exact)
                    .map_err(serde::de::Error::custom)
            }
            Some(b't' | b'f') => Err(fail("invalid type: boolean")),
            Some(b'[') => Err(serde::de::Error::custom(format_args!(
                "invalid type: sequence, expected {}",
                T::EXPECTING
            ))),
            _ => Err(serde::de::Error::custom(format_args!(
                "invalid type: map, expected {}",
                T::EXPECTING
            ))),
        }
    }
}

/// The `ms` field's value as written: a valid number of milliseconds, or why it is not one.
///
/// A number is always read (the reader names the problem with its own error kinds and the
/// line); any other JSON type is an error of the wrong type, as for every field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ms {
    /// A JSON integer in `0..=2^63-1` (`-0` included, as 0).
    Valid(u64),
    /// A negative integer, as written.
    Negative(String),
    /// A number with a fraction or an exponent, as written.
    Fractional(String),
    /// An integer above `2^63-1`, as written.
    OutOfRange(String),
}

impl Ms {
    /// What a value looks like, for error messages (`expected …`).
    const EXPECTING: &'static str = "milliseconds: an integer in 0..=9223372036854775807";
}

impl<'de> Deserialize<'de> for Ms {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        // At most 64 characters of the value, as in the other errors naming a value.
        let shown = || text.chars().take(64).collect::<String>();
        let wrong_type = |found: &str| {
            serde::de::Error::custom(format_args!(
                "invalid type: {found}, expected {}",
                Ms::EXPECTING
            ))
        };
        match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => Ok(if text.contains(['.', 'e', 'E']) {
                Ms::Fractional(shown())
            } else {
                match text.parse::<i64>() {
                    Ok(value) => {
                        u64::try_from(value).map_or_else(|_| Ms::Negative(shown()), Ms::Valid)
                    }
                    // A JSON integer beyond i64 (serde_json checked the syntax).
                    Err(_) if text.starts_with('-') => Ms::Negative(shown()),
                    Err(_) => Ms::OutOfRange(shown()),
                }
            }),
            Some(b'"') => {
                let string: String =
                    serde_json::from_str(text).map_err(serde::de::Error::custom)?;
                Err(wrong_type(&format!(
                    "string \"{}\"",
                    string.chars().take(64).collect::<String>()
                )))
            }
            Some(b't' | b'f') => Err(wrong_type(&format!("boolean `{text}`"))),
            Some(b'[') => Err(wrong_type("sequence")),
            _ => Err(wrong_type("map")),
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
#[serde(deny_unknown_fields, expecting = "a trace event object")]
pub(super) struct WireEvent<const KEEP_MESSAGES: bool> {
    #[serde(default, deserialize_with = "given")]
    pub(super) event: Given<EventName>,
    #[serde(default, deserialize_with = "given")]
    pub(super) operation: Given<OperationKind>,
    #[serde(default, deserialize_with = "given")]
    pub(super) numerator: Given<Exact<i32>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) denominator: Given<Exact<i32>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) hr: Given<Exact<HResult>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) result: Given<Object<WireResult>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) messages: Given<Messages<KEEP_MESSAGES>>,
    /// Optional on every event: null is the same as absent.
    #[serde(default)]
    pub(super) ms: Option<Ms>,
}

impl<const KEEP_MESSAGES: bool> Named for WireEvent<KEEP_MESSAGES> {
    const EXPECTING: &'static str = "a trace event object";
}

impl Named for WireMessage {
    const EXPECTING: &'static str = "a status message object";
}

impl Named for WireResult {
    const EXPECTING: &'static str = "a result object";
}

/// A result as given: every field optional, so that the reader can tell a missing or null
/// `type` (errors like any required field's) and name a field of another type.
///
/// Read field by field, straight from the line: no intermediate buffer (serde's internally
/// tagged enums, such as [`ResultDescription`]'s own serde form, first copy the whole object,
/// strings included).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a result object")]
pub(super) struct WireResult {
    #[serde(default, deserialize_with = "given", rename = "type")]
    result_type: Given<ResultType>,
    #[serde(default, deserialize_with = "given")]
    id: Given<String>,
    #[serde(default, deserialize_with = "given")]
    display_name: Given<String>,
    #[serde(default, deserialize_with = "given")]
    domain: Given<String>,
    #[serde(default, deserialize_with = "given")]
    gpo_id: Given<String>,
    #[serde(default, deserialize_with = "given")]
    directory: Given<String>,
    #[serde(default, deserialize_with = "given")]
    comment: Given<String>,
    #[serde(default, deserialize_with = "given")]
    value: Given<String>,
}

/// Why a [`WireResult`] is not a result.
#[derive(Debug)]
pub(super) enum ResultProblem {
    /// `type` is absent (`false`) or null (`true`).
    Type { null: bool },
    /// A field the type does not have.
    Field {
        field: &'static str,
        result_type: ResultType,
    },
}

impl WireResult {
    /// The result, or what is wrong with it.
    pub(super) fn into_result(self) -> Result<ResultDescription, ResultProblem> {
        let result_type = match self.result_type {
            Some(Some(result_type)) => result_type,
            given => {
                return Err(ResultProblem::Type {
                    null: given.is_some(),
                })
            }
        };
        let allowed: &[&str] = match result_type {
            ResultType::Gpo => &["id", "display_name", "domain"],
            ResultType::Backup | ResultType::StarterGpoBackup => {
                &["id", "gpo_id", "directory", "comment"]
            }
            ResultType::StarterGpo => &["id", "display_name"],
            ResultType::Text => &["value"],
            ResultType::Object => &[],
        };
        for (field, given) in [
            ("id", self.id.is_some()),
            ("display_name", self.display_name.is_some()),
            ("domain", self.domain.is_some()),
            ("gpo_id", self.gpo_id.is_some()),
            ("directory", self.directory.is_some()),
            ("comment", self.comment.is_some()),
            ("value", self.value.is_some()),
        ] {
            if given && !allowed.contains(&field) {
                return Err(ResultProblem::Field { field, result_type });
            }
        }
        Ok(match result_type {
            ResultType::Gpo => ResultDescription::Gpo {
                id: self.id.flatten(),
                display_name: self.display_name.flatten(),
                domain: self.domain.flatten(),
            },
            ResultType::Backup => ResultDescription::Backup {
                id: self.id.flatten(),
                gpo_id: self.gpo_id.flatten(),
                directory: self.directory.flatten(),
                comment: self.comment.flatten(),
            },
            ResultType::StarterGpoBackup => ResultDescription::StarterGpoBackup {
                id: self.id.flatten(),
                gpo_id: self.gpo_id.flatten(),
                directory: self.directory.flatten(),
                comment: self.comment.flatten(),
            },
            ResultType::StarterGpo => ResultDescription::StarterGpo {
                id: self.id.flatten(),
                display_name: self.display_name.flatten(),
            },
            ResultType::Text => ResultDescription::Text {
                value: self.value.flatten(),
            },
            ResultType::Object => ResultDescription::Object,
        })
    }
}

/// A `messages` list, each message read straight into a [`StatusMessage`]: the list holds
/// nothing else at any time. Without `KEEP`, each message is read and checked the same way,
/// then dropped: the list stays empty, and memory holds one message at a time.
#[derive(Debug)]
pub(super) struct Messages<const KEEP: bool>(pub(super) Vec<StatusMessage>);

impl<'de, const KEEP: bool> Deserialize<'de> for Messages<KEEP> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessagesVisitor<const KEEP: bool>;

        impl<'de, const KEEP: bool> Visitor<'de> for MessagesVisitor<KEEP> {
            type Value = Messages<KEEP>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of status message objects")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Messages<KEEP>, A::Error> {
                let mut messages = Vec::new();
                while let Some(Object(message)) = seq.next_element::<Object<WireMessage>>()? {
                    if KEEP {
                        messages.push(StatusMessage::from(message));
                    }
                }
                Ok(Messages(messages))
            }
        }

        deserializer.deserialize_seq(MessagesVisitor::<KEEP>)
    }
}

/// A status message as given: every field optional, `null` the same as absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a status message object")]
pub(super) struct WireMessage {
    #[serde(default)]
    object_path: Option<String>,
    #[serde(default)]
    error_code: Option<Exact<HResult>>,
    #[serde(default)]
    extension_name: Option<String>,
    #[serde(default)]
    settings_name: Option<String>,
    #[serde(default)]
    operation_code: Option<Exact<HResult>>,
    #[serde(default)]
    message: Option<String>,
}

impl From<WireMessage> for StatusMessage {
    fn from(wire: WireMessage) -> Self {
        StatusMessage::new(wire.message.unwrap_or_default())
            .with_object_path(wire.object_path.unwrap_or_default())
            .with_error_code(wire.error_code.map(Exact::get).unwrap_or_default())
            .with_extension_name(wire.extension_name.unwrap_or_default())
            .with_settings_name(wire.settings_name.unwrap_or_default())
            .with_operation_code(wire.operation_code.map(Exact::get).unwrap_or_default())
    }
}
