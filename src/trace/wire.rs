//! The serde form of a trace line as read: every field optional, so that the reader can tell
//! a missing field from a null one and a field that belongs to another event.

use core::fmt;
use core::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::{HResult, OperationKind, ResultDescription, StatusMessage};

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
/// the standard integer parser (JSON integers are a subset of its syntax), and anything else
/// goes back to serde_json, so `-0.0`, `1.0`, `1e2`, strings and out-of-range values get
/// serde_json's own errors.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exact<T>(T);

impl<T> Exact<T> {
    pub(super) fn get(self) -> T {
        self.0
    }
}

/// A type with a value for some JSON integers.
pub(super) trait FromInteger: Sized {
    fn from_integer(value: i64) -> Option<Self>;
}

impl FromInteger for i32 {
    fn from_integer(value: i64) -> Option<Self> {
        i32::try_from(value).ok()
    }
}

impl FromInteger for HResult {
    fn from_integer(value: i64) -> Option<Self> {
        HResult::from_integer(value)
    }
}

impl<'de, T: serde::de::DeserializeOwned + FromInteger> Deserialize<'de> for Exact<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if let Some(value) = text.parse::<i64>().ok().and_then(T::from_integer) {
            return Ok(Exact(value));
        }
        serde_json::from_str(text).map(Exact).map_err(|error| {
            // The outer deserializer adds the position in the line.
            let message = error.to_string();
            let suffix = format!(" at line {} column {}", error.line(), error.column());
            serde::de::Error::custom(message.strip_suffix(&suffix).unwrap_or(&message))
        })
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
pub(super) struct WireEvent {
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
    pub(super) result: Given<Object<ResultDescription>>,
    #[serde(default, deserialize_with = "given")]
    pub(super) messages: Given<Vec<Object<WireMessage>>>,
}

impl Named for WireEvent {
    const EXPECTING: &'static str = "a trace event object";
}

impl Named for WireMessage {
    const EXPECTING: &'static str = "a status message object";
}

/// A result is read with [`ResultDescription`]'s own serde form (which refuses unknown fields
/// on every result type, `object` included), through [`Object`] so that it is an object.
impl Named for ResultDescription {
    const EXPECTING: &'static str = "a result object";
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
