//! [`ComResult`]: the plain value a `Status` call's `pResult` becomes, and how it is read.

use std::sync::Arc;
use windows::Win32::System::GroupPolicy::{
    IGPMBackup, IGPMStarterGPO, IGPMStarterGPOBackup, IGPMGPO,
};
use windows::Win32::System::Variant::{
    VARENUM, VARIANT, VT_BSTR, VT_DISPATCH, VT_EMPTY, VT_NULL, VT_UNKNOWN,
};

use windows::Win32::Foundation::E_POINTER;
use windows_core::{IUnknown, Interface, BSTR};

use super::global_interface_table::GlobalInterface;
use crate::live::{Location, ReadIssue, ReadProblem};
use crate::{HResult, ResultDescription, ResultType, TypedResult};

/// A result object as the sink received it: which [`ResultType`] it is, the properties that
/// identify it, and the `VARTYPE` it arrived as.
///
/// It is plain data (`Send + Sync`), read while the `Status` call was running: for
/// `VT_DISPATCH`/`VT_UNKNOWN` the sink asks the object for `IGPMGPO`, `IGPMBackup`,
/// `IGPMStarterGPO` and `IGPMStarterGPOBackup` in that order and reads its `ID`, names,
/// directory and comment; another object is [`ResultType::Object`]. `VT_BSTR` is
/// [`ResultType::Text`] with the whole string (embedded NULs included). Any other `VARTYPE`
/// is [`ResultType::Object`] with that `VARTYPE` kept. `VT_EMPTY`, `VT_NULL` and null pointers
/// are no result at all (there is no `ComResult` then).
///
/// A property whose getter failed is `None`, and a string with invalid UTF-16 is kept with
/// U+FFFD replacements; both are reported as [`ReadIssue`]s beside the call.
///
/// The live COM object itself is offered to the observer during the call that carried it
/// (see [`ProgressSink::on_result_object`](super::ProgressSink::on_result_object)). A sink that
/// keeps result objects (the entry points' sinks, or
/// [`ProgressSink::keep_result_objects`](super::ProgressSink::keep_result_objects)) also
/// keeps it in the process's Global Interface Table for as long as a clone of the
/// `ComResult` lives: [`interface`](Self::interface) hands it out on any thread.
/// Comparisons, hashing and `Debug` look at the plain data only.
///
/// Code written once for every platform reads the plain description through
/// `AsRef<ResultDescription>`, which `ComResult` and `ResultDescription` both implement: a
/// function generic over `R: AsRef<ResultDescription>` (beside the tracker's
/// `TypedResult + Clone`) follows a Windows operation's `Tracker<ComResult>` and the
/// simulated server's `Tracker` alike.
///
/// ```
/// use gpmc_progress::com::ComResult;
/// use gpmc_progress::ResultDescription;
///
/// fn shown<R: AsRef<ResultDescription>>(result: &R) -> String {
///     result.as_ref().to_string()
/// }
///
/// let plain = ResultDescription::text("<r/>");
/// let com = ComResult::new(plain.clone(), ComResult::VT_BSTR);
/// assert_eq!(shown(&com), shown(&plain));
/// ```
#[derive(Clone)]
pub struct ComResult {
    description: ResultDescription,
    vartype: u16,
    /// The live object, registered in the Global Interface Table while the call was read;
    /// `Err` when it could not be registered. `None` for a string or no object.
    object: Option<Result<Arc<KeptObject>, HResult>>,
}

/// A result object's registration, under the interface it was identified by (the table
/// hands an entry out only under the interface it was registered with).
enum KeptObject {
    Gpo(GlobalInterface<IGPMGPO>),
    Backup(GlobalInterface<IGPMBackup>),
    StarterGpo(GlobalInterface<IGPMStarterGPO>),
    StarterGpoBackup(GlobalInterface<IGPMStarterGPOBackup>),
    Other(GlobalInterface<IUnknown>),
}

impl KeptObject {
    fn get<I: Interface>(&self) -> windows_core::Result<I> {
        match self {
            KeptObject::Gpo(entry) => entry.get()?.cast(),
            KeptObject::Backup(entry) => entry.get()?.cast(),
            KeptObject::StarterGpo(entry) => entry.get()?.cast(),
            KeptObject::StarterGpoBackup(entry) => entry.get()?.cast(),
            KeptObject::Other(entry) => entry.get()?.cast(),
        }
    }
}

impl core::fmt::Debug for ComResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ComResult")
            .field("description", &self.description)
            .field("vartype", &self.vartype)
            .finish()
    }
}

impl PartialEq for ComResult {
    /// The plain data only: the description and the `VARTYPE`.
    fn eq(&self, other: &Self) -> bool {
        self.description == other.description && self.vartype == other.vartype
    }
}

impl Eq for ComResult {}

impl core::hash::Hash for ComResult {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.description.hash(state);
        self.vartype.hash(state);
    }
}

impl ComResult {
    /// A result from its description and the `VARTYPE` it arrived as.
    ///
    /// ```
    /// use gpmc_progress::com::ComResult;
    /// use gpmc_progress::{ResultDescription, ResultType, TypedResult};
    ///
    /// let report = ComResult::new(ResultDescription::text("<report/>"), ComResult::VT_BSTR);
    /// assert_eq!(report.result_type(), ResultType::Text);
    /// assert_eq!(report.vartype(), 8);
    /// ```
    pub fn new(description: ResultDescription, vartype: u16) -> Self {
        ComResult {
            description,
            vartype,
            object: None,
        }
    }

    /// `VT_BSTR` (8): a string.
    pub const VT_BSTR: u16 = 8;
    /// `VT_DISPATCH` (9): an `IDispatch` object, how GPMC delivers its objects.
    pub const VT_DISPATCH: u16 = 9;
    /// `VT_UNKNOWN` (13): an `IUnknown` object.
    pub const VT_UNKNOWN: u16 = 13;

    /// What the result is and what identifies it.
    #[inline]
    pub fn description(&self) -> &ResultDescription {
        &self.description
    }

    /// The plain description, as traces record it.
    pub fn into_description(self) -> ResultDescription {
        self.description
    }

    /// The `VARTYPE` the result arrived as (for an unexpected one, the only thing known).
    #[inline]
    pub fn vartype(&self) -> u16 {
        self.vartype
    }

    /// The live result object as `I`, valid in the calling thread's apartment: the object
    /// itself when it is agile or the thread is in its apartment, a proxy otherwise.
    ///
    /// Call it on a thread where COM is initialised. A thread without COM is served in the
    /// multithreaded apartment, which this `ComResult` keeps alive: what it hands out there
    /// is valid only while some use of that apartment remains, so keep the `ComResult` (or
    /// an [`Operation`](super::Operation)) alive while you use the interface. Do not keep a
    /// `ComResult` in a `thread_local`: its last drop revokes the object and lets the
    /// apartment go, which COM does not allow while a thread shuts down.
    ///
    /// Fails with `E_POINTER` when the object was not kept (a string, a sink that does not
    /// keep result objects, or a `ComResult` made with [`new`](Self::new)), with the error of
    /// the registration when the sink could not keep the object (also reported as a
    /// [`ReadIssue`] beside the call), and with `E_NOINTERFACE` when the object is not an `I`.
    ///
    /// ```no_run
    /// # fn show(result: &gpmc_progress::com::ComResult) -> windows_core::Result<()> {
    /// use windows::Win32::System::GroupPolicy::IGPMBackup;
    ///
    /// let backup: IGPMBackup = result.interface()?;
    /// // SAFETY: a property getter of a live IGPMBackup.
    /// println!("{}", unsafe { backup.ID() }?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn interface<I: Interface>(&self) -> windows_core::Result<I> {
        match &self.object {
            Some(Ok(object)) => object.get(),
            Some(Err(hr)) => Err(windows_core::Error::from_hresult((*hr).into())),
            None => Err(windows_core::Error::from_hresult(E_POINTER)),
        }
    }

    /// Whether the live object was kept (see [`interface`](Self::interface)).
    pub fn has_interface(&self) -> bool {
        matches!(self.object, Some(Ok(_)))
    }
}

impl TypedResult for ComResult {
    #[inline]
    fn result_type(&self) -> ResultType {
        self.description.result_type()
    }
}

impl AsRef<ResultDescription> for ComResult {
    fn as_ref(&self) -> &ResultDescription {
        &self.description
    }
}

impl From<ComResult> for ResultDescription {
    fn from(result: ComResult) -> Self {
        result.description
    }
}

/// Converts UTF-16 to a `String`: exact when valid, else with U+FFFD replacements and an
/// [`ReadProblem::InvalidUtf16`] issue holding the raw units.
pub(crate) fn text_from_wide(
    units: &[u16],
    location: Location,
    property: &'static str,
    issues: &mut Vec<ReadIssue>,
) -> String {
    match String::from_utf16(units) {
        Ok(text) => text,
        Err(_) => {
            issues.push(ReadIssue::new(
                location,
                property,
                ReadProblem::InvalidUtf16 {
                    units: units.to_vec(),
                },
            ));
            String::from_utf16_lossy(units)
        }
    }
}

/// Reads a `BSTR` property: `None` (and an issue) when the getter fails.
pub(crate) fn read_property(
    getter: windows_core::Result<BSTR>,
    location: Location,
    property: &'static str,
    issues: &mut Vec<ReadIssue>,
) -> Option<String> {
    match getter {
        Ok(value) => Some(text_from_wide(&value, location, property, issues)),
        Err(error) => {
            issues.push(ReadIssue::new(
                location,
                property,
                ReadProblem::GetterFailed(HResult::from(error.code())),
            ));
            None
        }
    }
}

/// The object a result VARIANT holds, borrowed from it (no reference taken), if it holds one.
pub(crate) fn borrowed_object(variant: &VARIANT) -> Option<&IUnknown> {
    let vt = variant.vt();
    if vt == VT_DISPATCH {
        // SAFETY: `vt` says the active union member is `pdispVal`; we only borrow it for the
        // VARIANT's lifetime, taking no reference and leaving the caller's value untouched.
        let dispatch = unsafe { &variant.Anonymous.Anonymous.Anonymous.pdispVal };
        dispatch.as_ref().map(<&IUnknown>::from)
    } else if vt == VT_UNKNOWN {
        // SAFETY: as above, with `punkVal` the active member for `VT_UNKNOWN`.
        let unknown = unsafe { &variant.Anonymous.Anonymous.Anonymous.punkVal };
        unknown.as_ref()
    } else {
        None
    }
}

/// Whether `pResult` holds no result, with nothing to read: null, `VT_EMPTY` or `VT_NULL`
/// (what [`read_result`] reads as `None` without looking further).
pub(crate) fn holds_nothing(variant: Option<&VARIANT>) -> bool {
    variant.map_or(true, |variant| is_nothing(variant.vt()))
}

fn is_nothing(vt: VARENUM) -> bool {
    vt == VT_EMPTY || vt == VT_NULL
}

/// Reads a result VARIANT (borrowed: never cleared, never copied) into a [`ComResult`].
///
/// Returns the plain result (`None` for `VT_EMPTY`, `VT_NULL` and a null object) and the
/// live object it holds, borrowed for as long as the VARIANT.
pub(crate) fn read_result<'v>(
    variant: Option<&'v VARIANT>,
    keep: bool,
    issues: &mut Vec<ReadIssue>,
) -> (Option<ComResult>, Option<&'v IUnknown>) {
    let Some(variant) = variant else {
        return (None, None);
    };
    let vt = variant.vt();
    if is_nothing(vt) {
        (None, None)
    } else if vt == VT_DISPATCH || vt == VT_UNKNOWN {
        match borrowed_object(variant) {
            Some(object) => (
                Some(describe_object(object, vt.0, keep, issues)),
                Some(object),
            ),
            None => (None, None),
        }
    } else if vt == VT_BSTR {
        // SAFETY: `vt` says the active union member is `bstrVal`; it is only borrowed (a
        // null BSTR is the empty string, which `BSTR`'s slice view handles).
        let bstr: &BSTR = unsafe { &variant.Anonymous.Anonymous.Anonymous.bstrVal };
        let value = text_from_wide(bstr, Location::Result, "value", issues);
        (
            Some(ComResult::new(
                ResultDescription::Text { value: Some(value) },
                vt.0,
            )),
            None,
        )
    } else {
        (Some(ComResult::new(ResultDescription::Object, vt.0)), None)
    }
}

/// Identifies an object by the GPMC interfaces it answers to and reads what identifies it.
///
/// With `keep`, the object is also registered in the Global Interface Table under the
/// interface it was identified by, for [`ComResult::interface`].
pub(crate) fn describe_object(
    object: &IUnknown,
    vartype: u16,
    keep: bool,
    issues: &mut Vec<ReadIssue>,
) -> ComResult {
    let at = Location::Result;
    let registered;
    let description = if let Ok(gpo) = object.cast::<IGPMGPO>() {
        registered = keep.then(|| GlobalInterface::register(&gpo).map(KeptObject::Gpo));
        // SAFETY: property getters of a live IGPMGPO, each returning an owned BSTR.
        unsafe {
            ResultDescription::Gpo {
                id: read_property(gpo.ID(), at, "ID", issues),
                display_name: read_property(gpo.DisplayName(), at, "DisplayName", issues),
                domain: read_property(gpo.DomainName(), at, "DomainName", issues),
            }
        }
    } else if let Ok(backup) = object.cast::<IGPMBackup>() {
        registered = keep.then(|| GlobalInterface::register(&backup).map(KeptObject::Backup));
        // SAFETY: property getters of a live IGPMBackup, each returning an owned BSTR.
        unsafe {
            ResultDescription::Backup {
                id: read_property(backup.ID(), at, "ID", issues),
                gpo_id: read_property(backup.GPOID(), at, "GPOID", issues),
                directory: read_property(backup.BackupDir(), at, "BackupDir", issues),
                comment: read_property(backup.Comment(), at, "Comment", issues),
            }
        }
    } else if let Ok(starter) = object.cast::<IGPMStarterGPO>() {
        registered = keep.then(|| GlobalInterface::register(&starter).map(KeptObject::StarterGpo));
        // SAFETY: property getters of a live IGPMStarterGPO, each returning an owned BSTR.
        unsafe {
            ResultDescription::StarterGpo {
                id: read_property(starter.ID(), at, "ID", issues),
                display_name: read_property(starter.DisplayName(), at, "DisplayName", issues),
            }
        }
    } else if let Ok(backup) = object.cast::<IGPMStarterGPOBackup>() {
        registered =
            keep.then(|| GlobalInterface::register(&backup).map(KeptObject::StarterGpoBackup));
        // SAFETY: property getters of a live IGPMStarterGPOBackup, each returning an owned
        // BSTR.
        unsafe {
            ResultDescription::StarterGpoBackup {
                id: read_property(backup.ID(), at, "ID", issues),
                gpo_id: read_property(backup.StarterGPOID(), at, "StarterGPOID", issues),
                directory: read_property(backup.BackupDir(), at, "BackupDir", issues),
                comment: read_property(backup.Comment(), at, "Comment", issues),
            }
        }
    } else {
        registered = keep.then(|| GlobalInterface::register(object).map(KeptObject::Other));
        ResultDescription::Object
    };
    let object = registered.map(|registered| match registered {
        Ok(entry) => Ok(Arc::new(entry)),
        Err(error) => {
            let hr = HResult::from(error.code());
            issues.push(ReadIssue::new(at, "object", ReadProblem::NotRegistered(hr)));
            Err(hr)
        }
    });
    ComResult {
        description,
        vartype,
        object,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf16_is_kept_lossily_with_the_raw_units() {
        let mut issues = Vec::new();
        let units = [0x0041, 0xD800, 0x0042];
        let text = text_from_wide(&units, Location::Message(1), "Message", &mut issues);
        assert_eq!(text, "A\u{FFFD}B");
        assert_eq!(
            issues,
            vec![ReadIssue::new(
                Location::Message(1),
                "Message",
                ReadProblem::InvalidUtf16 {
                    units: units.to_vec()
                }
            )]
        );
    }

    #[test]
    fn valid_utf16_raises_nothing() {
        let mut issues = Vec::new();
        let units: Vec<u16> = "Zürich \u{1F600}".encode_utf16().collect();
        assert_eq!(
            text_from_wide(&units, Location::Result, "value", &mut issues),
            "Zürich \u{1F600}"
        );
        assert!(issues.is_empty());
    }

    #[test]
    fn scalar_variants_are_objects_with_their_vartype() {
        let mut issues = Vec::new();
        let variant = VARIANT::from(42i32);
        let (result, object) = read_result(Some(&variant), false, &mut issues);
        assert_eq!(result, Some(ComResult::new(ResultDescription::Object, 3)));
        assert!(object.is_none());
        let empty = VARIANT::default();
        assert_eq!(read_result(Some(&empty), false, &mut issues).0, None);
        assert_eq!(read_result(None, false, &mut issues).0, None);
        assert!(issues.is_empty());
    }
}
