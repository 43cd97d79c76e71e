//! What one `Status` call hands the sink, made from its [`CallSpec`]: the result VARIANT
//! (a fake object, a BSTR, or something odd) and the message collection with its
//! enumerator and messages; and [`play`], which makes the call through the sink's vtable.
#![allow(non_snake_case)]

use std::sync::{Arc, Mutex};

use windows::Win32::Foundation::{E_INVALIDARG, S_FALSE, S_OK};
use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::{
    IGPMAsyncProgress, IGPMBackup, IGPMStarterGPO, IGPMStarterGPOBackup, IGPMStatusMessage,
    IGPMStatusMessage_Impl, IGPMStatusMsgCollection, IGPMStatusMsgCollection_Impl, IGPMGPO,
};
use windows::Win32::System::Ole::{IEnumVARIANT, IEnumVARIANT_Impl};
use windows::Win32::System::Variant::{VARIANT, VT_DISPATCH, VT_NULL};
use windows_core::{implement, IUnknown, BSTR, HRESULT};

use super::objects::{FakeBackup, FakeGpo, FakeStarterGpo, FakeStarterGpoBackup};
use super::script::{CallSpec, CollectionSpec, ElementSpec, MessageSpec, ResultSpec, Text};
use super::{lock, Counted, FakeGpmc};
use crate::HResult;

/// A code as a method's own HRESULT (what `ErrorCode`, `OperationCode` and `OverallStatus`
/// return): success codes other than `S_OK` included.
pub(super) fn code(hr: HResult) -> windows_core::Result<()> {
    if hr == HResult::S_OK {
        Ok(())
    } else {
        Err(windows_core::Error::from_hresult(HRESULT::from(hr)))
    }
}

/// A string property as its getter answers it.
pub(super) fn bstr(text: &Text) -> windows_core::Result<BSTR> {
    match text {
        Ok(units) => Ok(BSTR::from_wide(units)),
        Err(hr) => Err(windows_core::Error::from_hresult((*hr).into())),
    }
}

/// The result VARIANT of `spec`; `None` for a null pointer.
pub(super) fn result_variant(spec: &ResultSpec, gpmc: &FakeGpmc) -> Option<VARIANT> {
    let dispatch = |object: IDispatch| Some(VARIANT::from(object));
    match spec {
        ResultSpec::NullPointer => None,
        ResultSpec::Empty => Some(VARIANT::default()),
        ResultSpec::Null => {
            let mut variant = VARIANT::default();
            // SAFETY: the tag of an empty VARIANT is written: VT_NULL has no payload.
            unsafe { (*variant.Anonymous.Anonymous).vt = VT_NULL };
            Some(variant)
        }
        ResultSpec::DispatchNull => {
            let mut variant = VARIANT::default();
            // SAFETY: VT_DISPATCH with a null `pdispVal` (already null in an empty VARIANT).
            unsafe { (*variant.Anonymous.Anonymous).vt = VT_DISPATCH };
            Some(variant)
        }
        ResultSpec::Bstr(units) => Some(VARIANT::from(BSTR::from_wide(units))),
        ResultSpec::Gpo(props) => dispatch(IGPMGPO::from(FakeGpo::new(gpmc, props.clone())).into()),
        ResultSpec::Backup(props) => {
            dispatch(IGPMBackup::from(FakeBackup::new(gpmc, props.clone())).into())
        }
        ResultSpec::StarterGpo(props) => {
            dispatch(IGPMStarterGPO::from(FakeStarterGpo::new(gpmc, props.clone())).into())
        }
        ResultSpec::StarterGpoBackup(props) => dispatch(
            IGPMStarterGPOBackup::from(FakeStarterGpoBackup::new(gpmc, props.clone())).into(),
        ),
        ResultSpec::BackupAsUnknown(props) => {
            let backup = IGPMBackup::from(FakeBackup::new(gpmc, props.clone()));
            Some(VARIANT::from(IUnknown::from(backup)))
        }
        ResultSpec::Plain => dispatch(
            FakePlain {
                _counted: Counted::new(gpmc),
            }
            .into(),
        ),
        ResultSpec::Int(value) => Some(VARIANT::from(*value)),
    }
}

/// The collection of `spec`; `None` for a null collection (and for one that cannot be had).
pub(super) fn collection(
    spec: &CollectionSpec,
    gpmc: &FakeGpmc,
) -> Option<IGPMStatusMsgCollection> {
    match spec {
        CollectionSpec::Null | CollectionSpec::Fails(_) => None,
        CollectionSpec::Elements {
            elements,
            new_enum_fails,
            next_fails_at,
        } => Some(
            FakeCollection {
                elements: Arc::new(Elements {
                    elements: elements.clone(),
                    next_fails_at: *next_fails_at,
                }),
                new_enum_fails: *new_enum_fails,
                counted: Counted::new(gpmc),
            }
            .into(),
        ),
    }
}

/// Makes the `Status` call of `spec` through `sink`'s vtable, with a fresh VARIANT and
/// collection that the server owns and releases afterwards. A sink that answers other than
/// `S_OK`, or that changes the server's VARIANT, is reported to `gpmc`'s
/// [`sink_errors`](FakeGpmc::sink_errors).
pub(super) fn play(sink: &IGPMAsyncProgress, spec: &CallSpec, gpmc: &FakeGpmc) {
    #[cfg(test)]
    gpmc.inner.hooks.before_call();
    let variant = result_variant(&spec.result, gpmc);
    let messages = collection(&spec.messages, gpmc);
    let before = variant.as_ref().map(VARIANT::vt);
    let pointer = variant
        .as_ref()
        .map_or(core::ptr::null(), |variant| variant as *const VARIANT);
    // SAFETY: the VARIANT and the collection are ours and outlive the call.
    let answer = unsafe {
        sink.Status(
            spec.numerator,
            spec.denominator,
            spec.hr.into(),
            pointer,
            messages.as_ref(),
        )
    };
    let call = format!("status call {}/{}", spec.numerator, spec.denominator);
    if let Err(error) = answer {
        gpmc.sink_error(format!(
            "{call}: the sink answered {:#}",
            HResult::from(error.code())
        ));
    }
    let after = variant.as_ref().map(VARIANT::vt);
    if after != before {
        gpmc.sink_error(format!(
            "{call}: the sink changed the server's VARIANT from VARTYPE {:?} to {:?}",
            before.map(|vt| vt.0),
            after.map(|vt| vt.0)
        ));
    }
}

/// An object that answers none of GPMC's result interfaces.
#[implement(IDispatch)]
pub(super) struct FakePlain {
    _counted: Counted,
}

/// `IGPMStatusMessage`.
#[implement(IGPMStatusMessage)]
pub(super) struct FakeMessage {
    spec: MessageSpec,
    _counted: Counted,
}

impl IGPMStatusMessage_Impl for FakeMessage_Impl {
    fn ObjectPath(&self) -> windows_core::Result<BSTR> {
        bstr(&self.spec.object_path)
    }
    fn ErrorCode(&self) -> windows_core::Result<()> {
        code(self.spec.error_code)
    }
    fn ExtensionName(&self) -> windows_core::Result<BSTR> {
        bstr(&self.spec.extension_name)
    }
    fn SettingsName(&self) -> windows_core::Result<BSTR> {
        bstr(&self.spec.settings_name)
    }
    fn OperationCode(&self) -> windows_core::Result<()> {
        code(self.spec.operation_code)
    }
    fn Message(&self) -> windows_core::Result<BSTR> {
        bstr(&self.spec.message)
    }
}

/// What an enumerator walks over: each item made fresh as it is handed out.
pub(super) trait Items: Send + Sync {
    /// How many there are.
    fn len(&self) -> usize;
    /// The item at `index` (< `len`), as the VARIANT handed out.
    fn item(&self, index: usize, gpmc: &FakeGpmc) -> VARIANT;
    /// `Next` fails on reaching this 0-based position.
    fn fails_at(&self) -> Option<usize> {
        None
    }
}

/// The elements of a message collection.
struct Elements {
    elements: Vec<ElementSpec>,
    next_fails_at: Option<usize>,
}

impl Items for Elements {
    fn len(&self) -> usize {
        self.elements.len()
    }

    fn item(&self, index: usize, gpmc: &FakeGpmc) -> VARIANT {
        match &self.elements[index] {
            ElementSpec::Message(spec) => {
                let message: IGPMStatusMessage = FakeMessage {
                    spec: spec.clone(),
                    _counted: Counted::new(gpmc),
                }
                .into();
                VARIANT::from(IDispatch::from(message))
            }
            ElementSpec::NotAMessage(value) => VARIANT::from(*value),
        }
    }

    fn fails_at(&self) -> Option<usize> {
        self.next_fails_at
    }
}

/// The 1-based `Item(index)` of `items`: `E_INVALIDARG` out of range (`i32::MIN` included).
pub(super) fn item_at(
    items: &dyn Items,
    index: i32,
    gpmc: &FakeGpmc,
) -> windows_core::Result<VARIANT> {
    index
        .checked_sub(1)
        .and_then(|index| usize::try_from(index).ok())
        .filter(|index| *index < items.len())
        .map(|index| items.item(index, gpmc))
        .ok_or_else(|| E_INVALIDARG.into())
}

/// `IGPMStatusMsgCollection` (1-based, as GPMC's collections).
#[implement(IGPMStatusMsgCollection)]
struct FakeCollection {
    elements: Arc<Elements>,
    new_enum_fails: Option<HResult>,
    counted: Counted,
}

impl IGPMStatusMsgCollection_Impl for FakeCollection_Impl {
    fn Count(&self) -> windows_core::Result<i32> {
        Ok(i32::try_from(self.elements.len()).unwrap_or(i32::MAX))
    }
    fn get_Item(&self, lindex: i32) -> windows_core::Result<VARIANT> {
        item_at(&*self.elements, lindex, self.counted.gpmc())
    }
    fn _NewEnum(&self) -> windows_core::Result<IEnumVARIANT> {
        match self.new_enum_fails {
            // windows-rs spells "success without an object" as an error of that code.
            Some(hr) => Err(windows_core::Error::from_hresult(hr.into())),
            None => Ok(FakeEnum::new(
                Arc::clone(&self.elements) as Arc<dyn Items>,
                self.counted.gpmc(),
            )
            .into()),
        }
    }
}

/// An enumerator over [`Items`] (a message collection's, a GPO collection's).
#[implement(IEnumVARIANT)]
pub(super) struct FakeEnum {
    items: Arc<dyn Items>,
    position: Mutex<usize>,
    counted: Counted,
}

impl FakeEnum {
    pub(super) fn new(items: Arc<dyn Items>, gpmc: &FakeGpmc) -> Self {
        FakeEnum {
            items,
            position: Mutex::new(0),
            counted: Counted::new(gpmc),
        }
    }
}

impl IEnumVARIANT_Impl for FakeEnum_Impl {
    fn Next(&self, celt: u32, rgvar: *mut VARIANT, pceltfetched: *mut u32) -> HRESULT {
        let mut position = lock(&self.position);
        let mut written = 0u32;
        while written < celt && *position < self.items.len() {
            if self.items.fails_at() == Some(*position) {
                return windows::Win32::Foundation::E_FAIL;
            }
            let element = self.items.item(*position, self.counted.gpmc());
            // SAFETY: the caller passed `celt` writable slots; `[out]` slots are written,
            // not assigned (nothing to drop in them).
            unsafe { rgvar.add(written as usize).write(element) };
            written += 1;
            *position += 1;
        }
        if !pceltfetched.is_null() {
            // SAFETY: checked non-null: the caller's counter.
            unsafe { pceltfetched.write(written) };
        }
        if written == celt {
            S_OK
        } else {
            S_FALSE
        }
    }
    fn Skip(&self, celt: u32) -> HRESULT {
        let mut position = lock(&self.position);
        *position = (*position)
            .saturating_add(celt as usize)
            .min(self.items.len());
        S_OK
    }
    fn Reset(&self) -> windows_core::Result<()> {
        *lock(&self.position) = 0;
        Ok(())
    }
    fn Clone(&self) -> windows_core::Result<IEnumVARIANT> {
        let copy = FakeEnum::new(Arc::clone(&self.items), self.counted.gpmc());
        *lock(&copy.position) = *lock(&self.position);
        Ok(copy.into())
    }
}

dispatch_not_implemented!(FakePlain_Impl, FakeMessage_Impl, FakeCollection_Impl);

/// Compile-time proof that these objects may be called on any thread (they are agile).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakePlain>();
    send_sync::<FakeMessage>();
    send_sync::<FakeCollection>();
    send_sync::<FakeEnum>();
};
