//! Hand-written `Status` calls: what a [`Simulation`](crate::simulate::Simulation) never sends
//! (a getter that fails, a string that is not valid UTF-16, an element of the message
//! collection that is not a message, a result VARIANT of an unexpected type, an enumerator
//! that fails halfway), to test how a sink, this crate's or code built on it, copes with a
//! server that is odd but possible.
//!
//! A script is a list of [`Step`]s: a `Status` call ([`CallSpec`]), a wait for the client's
//! cancel request ([`Step::AwaitCancel`]), a meeting with another server thread
//! ([`Step::Meet`]). The fake GPMC plays it for a method
//! ([`FakeGpmc::play`](super::FakeGpmc::play)), to a sink without a method
//! ([`FakeGpmc::serve`](super::FakeGpmc::serve)), or one call at a time on the calling thread
//! ([`FakeGpmc::status`](super::FakeGpmc::status)). Every object a call hands out (result
//! objects, collections, enumerators, messages) is a fake of its own, counted by
//! [`FakeGpmc::objects_alive`](super::FakeGpmc::objects_alive).
//!
//! A simulation's calls are played through the same specs: [`CallSpec`] converts from a
//! [`StatusCall`].
//!
//! ```
//! use gpmc_progress::com::fake::script::{CallSpec, CollectionSpec, MessageSpec, ResultSpec};
//! use gpmc_progress::HResult;
//!
//! // A message whose `ObjectPath` getter fails, then a report that is not valid UTF-16.
//! let mut odd = MessageSpec::new("kept");
//! odd.object_path = Err(HResult::E_ACCESSDENIED);
//! let script = [
//!     CallSpec::progress(0, 1).messages(CollectionSpec::of(vec![odd])),
//!     CallSpec::progress(1, 1).result(ResultSpec::Bstr(vec![0xD800, 0x003C])),
//! ];
//! assert_eq!(script[1].numerator, 1);
//! ```

use std::sync::{Arc, Barrier};

use crate::{HResult, ResultDescription, StatusCall, StatusMessage};

/// A string property as the fake's getter answers it: its UTF-16 units (valid or not), or
/// the code the getter fails with.
pub type Text = Result<Vec<u16>, HResult>;

/// A [`Text`] holding `value`.
///
/// ```
/// use gpmc_progress::com::fake::script::text;
/// assert_eq!(text("ab"), Ok(vec![0x61, 0x62]));
/// ```
pub fn text(value: &str) -> Text {
    Ok(value.encode_utf16().collect())
}

/// Named string properties of a fake GPMC object (`ID`, `DisplayName`, `DomainName`,
/// `GPOID`, `StarterGPOID`, `BackupDir`, `Comment`); a property not listed fails with
/// `E_NOTIMPL`.
///
/// ```
/// use gpmc_progress::com::fake::script::Props;
/// use gpmc_progress::HResult;
///
/// let backup = Props::of(&[("ID", "{B}"), ("BackupDir", r"C:\Backups")])
///     .with("Comment", Err(HResult::E_OUTOFMEMORY));
/// assert_eq!(backup.0.len(), 3);
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct Props(pub Vec<(&'static str, Text)>);

impl Props {
    /// Properties with these values.
    pub fn of(pairs: &[(&'static str, &str)]) -> Self {
        Props(
            pairs
                .iter()
                .map(|(name, value)| (*name, text(value)))
                .collect(),
        )
    }

    /// The same properties, `name` set to `value` (replacing it if it was there).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: Text) -> Self {
        self.0.retain(|(known, _)| *known != name);
        self.0.push((name, value));
        self
    }

    /// The property `name`, if listed.
    pub(super) fn get(&self, name: &str) -> Option<&Text> {
        self.0
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value)
    }

    /// A property given as `Option<String>`: listed when `Some`.
    fn push(&mut self, name: &'static str, value: &Option<String>) {
        if let Some(value) = value {
            self.0.push((name, text(value)));
        }
    }
}

/// One `IGPMStatusMessage`: its four strings (each may fail) and its two codes (read raw,
/// success codes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSpec {
    /// `ObjectPath`.
    pub object_path: Text,
    /// `ErrorCode`, returned as the getter's own HRESULT.
    pub error_code: HResult,
    /// `ExtensionName`.
    pub extension_name: Text,
    /// `SettingsName`.
    pub settings_name: Text,
    /// `OperationCode`, returned as the getter's own HRESULT.
    pub operation_code: HResult,
    /// `Message`.
    pub message: Text,
}

impl MessageSpec {
    /// A message with this text, empty strings and `S_OK` codes.
    pub fn new(message: &str) -> Self {
        MessageSpec {
            object_path: text(""),
            error_code: HResult::S_OK,
            extension_name: text(""),
            settings_name: text(""),
            operation_code: HResult::S_OK,
            message: text(message),
        }
    }
}

impl From<&StatusMessage> for MessageSpec {
    fn from(message: &StatusMessage) -> Self {
        MessageSpec {
            object_path: text(&message.object_path),
            error_code: message.error_code,
            extension_name: text(&message.extension_name),
            settings_name: text(&message.settings_name),
            operation_code: message.operation_code,
            message: text(&message.message),
        }
    }
}

/// One element of a message collection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElementSpec {
    /// An `IGPMStatusMessage` (as `VT_DISPATCH`).
    Message(MessageSpec),
    /// A `VT_I4` where a message belongs.
    NotAMessage(i32),
}

/// The `IGPMStatusMsgCollection` of a call (or of a synchronous `IGPMResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CollectionSpec {
    /// A null collection: no messages.
    Null,
    /// No collection to be had: `IGPMResult::Status` fails with this code. A `Status` call
    /// passes the collection itself, so there it is a null collection.
    Fails(HResult),
    /// A collection of these elements (1-based `Item`, as GPMC's).
    Elements {
        /// The elements, in enumeration order.
        elements: Vec<ElementSpec>,
        /// `_NewEnum` fails with this code (`S_OK`: it succeeds without an enumerator).
        new_enum_fails: Option<HResult>,
        /// The enumerator's `Next` fails on reaching the element at this 0-based position.
        next_fails_at: Option<usize>,
    },
}

impl CollectionSpec {
    /// A collection of these messages, read without trouble.
    pub fn of(messages: Vec<MessageSpec>) -> Self {
        CollectionSpec::Elements {
            elements: messages.into_iter().map(ElementSpec::Message).collect(),
            new_enum_fails: None,
            next_fails_at: None,
        }
    }
}

/// The `pResult` of a call (or the `Result` of a synchronous `IGPMResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultSpec {
    /// `pResult` is a null pointer (in an `IGPMResult`: an empty VARIANT).
    NullPointer,
    /// `VT_EMPTY`.
    Empty,
    /// `VT_NULL`.
    Null,
    /// `VT_DISPATCH` holding a null pointer.
    DispatchNull,
    /// A `VT_BSTR` of these UTF-16 units (valid or not).
    Bstr(Vec<u16>),
    /// A fake `IGPMGPO` (as `VT_DISPATCH`) with these properties; its methods run
    /// operations of the fake GPMC.
    Gpo(Props),
    /// A fake `IGPMBackup` (as `VT_DISPATCH`).
    Backup(Props),
    /// A fake `IGPMStarterGPO` (as `VT_DISPATCH`).
    StarterGpo(Props),
    /// A fake `IGPMStarterGPOBackup` (as `VT_DISPATCH`).
    StarterGpoBackup(Props),
    /// A fake `IGPMBackup` delivered as `VT_UNKNOWN`.
    BackupAsUnknown(Props),
    /// An object that is none of GPMC's result interfaces (as `VT_DISPATCH`).
    Plain,
    /// A `VT_I4`: a VARIANT of an unexpected type.
    Int(i32),
}

impl From<&ResultDescription> for ResultSpec {
    /// The object (or string) a GPMC server hands out for a result so described: a fake of
    /// its interface whose properties are the description's (a property it does not have
    /// fails with `E_NOTIMPL`), a BSTR for a text, a plain object for anything else.
    fn from(description: &ResultDescription) -> Self {
        let mut props = Props::default();
        match description {
            ResultDescription::Gpo {
                id,
                display_name,
                domain,
            } => {
                props.push("ID", id);
                props.push("DisplayName", display_name);
                props.push("DomainName", domain);
                ResultSpec::Gpo(props)
            }
            ResultDescription::Backup {
                id,
                gpo_id,
                directory,
                comment,
            } => {
                props.push("ID", id);
                props.push("GPOID", gpo_id);
                props.push("BackupDir", directory);
                props.push("Comment", comment);
                ResultSpec::Backup(props)
            }
            ResultDescription::StarterGpo { id, display_name } => {
                props.push("ID", id);
                props.push("DisplayName", display_name);
                ResultSpec::StarterGpo(props)
            }
            ResultDescription::StarterGpoBackup {
                id,
                gpo_id,
                directory,
                comment,
            } => {
                props.push("ID", id);
                props.push("StarterGPOID", gpo_id);
                props.push("BackupDir", directory);
                props.push("Comment", comment);
                ResultSpec::StarterGpoBackup(props)
            }
            ResultDescription::Text { value } => ResultSpec::Bstr(
                value
                    .as_deref()
                    .unwrap_or_default()
                    .encode_utf16()
                    .collect(),
            ),
            _ => ResultSpec::Plain,
        }
    }
}

/// One `IGPMAsyncProgress::Status` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSpec {
    /// The numerator.
    pub numerator: i32,
    /// The denominator.
    pub denominator: i32,
    /// `hrStatus`.
    pub hr: HResult,
    /// `pResult`.
    pub result: ResultSpec,
    /// The message collection.
    pub messages: CollectionSpec,
}

impl CallSpec {
    /// A quiet call: this progress, `S_OK`, a null `pResult` and a null collection.
    pub fn progress(numerator: i32, denominator: i32) -> Self {
        CallSpec {
            numerator,
            denominator,
            hr: HResult::S_OK,
            result: ResultSpec::NullPointer,
            messages: CollectionSpec::Null,
        }
    }

    /// The same call with `hrStatus` `hr`.
    #[must_use]
    pub fn hr(mut self, hr: HResult) -> Self {
        self.hr = hr;
        self
    }

    /// The same call carrying `result`.
    #[must_use]
    pub fn result(mut self, result: ResultSpec) -> Self {
        self.result = result;
        self
    }

    /// The same call carrying `messages`.
    #[must_use]
    pub fn messages(mut self, messages: CollectionSpec) -> Self {
        self.messages = messages;
        self
    }
}

impl From<&StatusCall> for CallSpec {
    /// The call as a GPMC server makes it: the result as [`ResultSpec::from`] hands it out
    /// (a null `pResult` when there is none), the messages as a collection read without
    /// trouble (a null collection when there is none).
    fn from(call: &StatusCall) -> Self {
        CallSpec {
            numerator: call.numerator,
            denominator: call.denominator,
            hr: call.hr,
            result: call
                .result
                .as_ref()
                .map_or(ResultSpec::NullPointer, ResultSpec::from),
            messages: call
                .messages
                .as_ref()
                .map_or(CollectionSpec::Null, |messages| {
                    CollectionSpec::of(messages.iter().map(MessageSpec::from).collect())
                }),
        }
    }
}

/// One step of a hand-written server thread.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Step {
    /// A `Status` call.
    Call(CallSpec),
    /// Waits until the client requests cancel through the cancel object the method handed
    /// out (at most a minute: a test that never asks fails on what follows, it does not
    /// hang).
    AwaitCancel,
    /// Waits at this barrier: another server thread, or the test, meets it there.
    Meet(Arc<Barrier>),
}

impl From<CallSpec> for Step {
    fn from(call: CallSpec) -> Self {
        Step::Call(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_call_becomes_the_spec_a_server_plays() {
        let report = StatusCall::progress(1, 1)
            .with_result(ResultDescription::text("<r/>"))
            .with_messages(vec![
                StatusMessage::new("m").with_error_code(HResult::S_FALSE)
            ]);
        let spec = CallSpec::from(&report);
        assert_eq!(
            spec.result,
            ResultSpec::Bstr("<r/>".encode_utf16().collect())
        );
        let mut message = MessageSpec::new("m");
        message.error_code = HResult::S_FALSE;
        assert_eq!(spec.messages, CollectionSpec::of(vec![message]));
        assert_eq!(
            CallSpec::from(&StatusCall::progress(0, 2)),
            CallSpec::progress(0, 2)
        );
        let backup = ResultDescription::Backup {
            id: Some("{B}".into()),
            gpo_id: None,
            directory: Some("D".into()),
            comment: None,
        };
        assert_eq!(
            ResultSpec::from(&backup),
            ResultSpec::Backup(Props::of(&[("ID", "{B}"), ("BackupDir", "D")]))
        );
        assert_eq!(
            ResultSpec::from(&ResultDescription::Object),
            ResultSpec::Plain
        );
    }
}
