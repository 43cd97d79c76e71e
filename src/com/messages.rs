//! Reading an `IGPMStatusMsgCollection` into plain [`StatusMessage`]s.

use windows::Win32::Foundation::S_FALSE;
use windows::Win32::System::GroupPolicy::{IGPMStatusMessage, IGPMStatusMsgCollection};
use windows::Win32::System::Variant::VARIANT;
use windows_core::Interface;

use super::result::{borrowed_object, read_property};
use crate::live::{Location, ReadIssue, ReadProblem};
use crate::{HResult, StatusMessage};

/// The most messages read from one collection: a server whose enumerator never ends must not
/// keep `Status` from returning.
pub(crate) const MAX_MESSAGES: usize = 100_000;

/// Reads every message of a collection, in enumeration order.
///
/// `_NewEnum` is used first (independent of the collection's index base); if it fails or
/// returns no enumerator, the collection is read through `Count` and `Item(1..=Count)`. A message whose getter fails is
/// kept with what could be read; an element that is not a message is kept as an empty
/// message. Each such problem is added to `issues`.
pub(crate) fn read_messages(
    collection: &IGPMStatusMsgCollection,
    issues: &mut Vec<ReadIssue>,
) -> Vec<StatusMessage> {
    let mut messages = Vec::new();
    // SAFETY: `collection` is a live interface the server passed for the duration of the call.
    match unsafe { collection._NewEnum() } {
        Ok(enumerator) => loop {
            if messages.len() == MAX_MESSAGES {
                issues.push(too_many(messages.len()));
                break;
            }
            let mut slot = [VARIANT::default()];
            let mut fetched = 0u32;
            // SAFETY: one writable, initialised (VT_EMPTY) slot and a valid count pointer;
            // the element written to the slot is ours and is cleared when `slot` drops.
            let hr = unsafe { enumerator.Next(&mut slot, &mut fetched) };
            if hr.is_err() {
                issues.push(ReadIssue::new(
                    Location::Collection,
                    "IEnumVARIANT::Next",
                    ReadProblem::GetterFailed(HResult::from(hr)),
                ));
                break;
            }
            if fetched == 0 {
                break;
            }
            messages.push(read_element(&slot[0], messages.len(), issues));
            if hr == S_FALSE {
                break;
            }
        },
        Err(error) => {
            // windows-rs reports a success with a null enumerator as an error whose code is
            // the success code: a null object, not a failing getter.
            let problem = if error.code().is_ok() {
                ReadProblem::NullObject
            } else {
                ReadProblem::GetterFailed(HResult::from(error.code()))
            };
            issues.push(ReadIssue::new(Location::Collection, "_NewEnum", problem));
            read_by_index(collection, &mut messages, issues);
        }
    }
    messages
}

fn too_many(kept: usize) -> ReadIssue {
    ReadIssue::new(
        Location::Collection,
        "_NewEnum",
        ReadProblem::TooManyMessages { kept },
    )
}

/// The fallback: `Count`, then `Item(1)` to `Item(Count)` (GPMC collections are 1-based).
fn read_by_index(
    collection: &IGPMStatusMsgCollection,
    messages: &mut Vec<StatusMessage>,
    issues: &mut Vec<ReadIssue>,
) {
    // SAFETY: a property getter of a live collection.
    let count = match unsafe { collection.Count() } {
        Ok(count) => count,
        Err(error) => {
            issues.push(ReadIssue::new(
                Location::Collection,
                "Count",
                ReadProblem::GetterFailed(HResult::from(error.code())),
            ));
            return;
        }
    };
    for item in 1..=count.max(0) {
        if messages.len() == MAX_MESSAGES {
            issues.push(too_many(messages.len()));
            return;
        }
        // SAFETY: a getter of a live collection; the returned VARIANT is ours and is cleared
        // when it drops.
        match unsafe { collection.get_Item(item) } {
            Ok(element) => messages.push(read_element(&element, messages.len(), issues)),
            Err(error) => {
                issues.push(ReadIssue::new(
                    Location::Message(messages.len()),
                    "Item",
                    ReadProblem::GetterFailed(HResult::from(error.code())),
                ));
                messages.push(StatusMessage::default());
            }
        }
    }
}

/// One element of the collection: an `IGPMStatusMessage`, or an empty stand-in.
fn read_element(element: &VARIANT, index: usize, issues: &mut Vec<ReadIssue>) -> StatusMessage {
    let message =
        borrowed_object(element).and_then(|object| object.cast::<IGPMStatusMessage>().ok());
    match message {
        Some(message) => read_message(&message, index, issues),
        None => {
            issues.push(ReadIssue::new(
                Location::Message(index),
                "element",
                ReadProblem::NotAMessage {
                    vartype: element.vt().0,
                },
            ));
            StatusMessage::default()
        }
    }
}

/// The six properties of one message. `ErrorCode` and `OperationCode` are read raw through
/// the vtable: their value is the call's own HRESULT, success codes included.
pub(crate) fn read_message(
    message: &IGPMStatusMessage,
    index: usize,
    issues: &mut Vec<ReadIssue>,
) -> StatusMessage {
    let at = Location::Message(index);
    let vtable = message.vtable();
    let this = message.as_raw();
    // SAFETY: `ErrorCode` and `OperationCode` take only the interface pointer of a live
    // message and return the code as their HRESULT (they have no out parameter).
    let (error_code, operation_code) =
        unsafe { ((vtable.ErrorCode)(this), (vtable.OperationCode)(this)) };
    // SAFETY: property getters of a live message, each returning an owned BSTR.
    unsafe {
        StatusMessage {
            object_path: read_property(message.ObjectPath(), at, "ObjectPath", issues)
                .unwrap_or_default(),
            error_code: HResult::from(error_code),
            extension_name: read_property(message.ExtensionName(), at, "ExtensionName", issues)
                .unwrap_or_default(),
            settings_name: read_property(message.SettingsName(), at, "SettingsName", issues)
                .unwrap_or_default(),
            operation_code: HResult::from(operation_code),
            message: read_property(message.Message(), at, "Message", issues).unwrap_or_default(),
        }
    }
}
