//! A fake GPMC server for the COM adapter's tests: status messages, message collections and
//! their enumerators, result objects of every GPMC result interface, a cancel object, an
//! `IGPMResult`, and a GPO whose `Backup` runs a scripted operation, calling `Status` through
//! the COM vtable from its own MTA worker thread, as GPMC does.
//!
//! Every fake holds a [`Token`] of a per-test [`Tracker`], so a test can assert that every
//! fake was released (the count of live fakes is back to zero).
#![allow(dead_code, non_snake_case, clippy::too_many_arguments)]

use std::future::Future;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use windows::Win32::Foundation::{E_FAIL, E_NOTIMPL, S_FALSE, S_OK, VARIANT_BOOL};
use windows::Win32::System::Com::{
    CoInitializeEx, CoUninitialize, IDispatch, IDispatch_Impl, ITypeInfo, COINIT,
    COINIT_MULTITHREADED, DISPATCH_FLAGS, DISPPARAMS, EXCEPINFO,
};
use windows::Win32::System::GroupPolicy::*;
use windows::Win32::System::Ole::{IEnumVARIANT, IEnumVARIANT_Impl};
use windows::Win32::System::Variant::{VARIANT, VT_DISPATCH, VT_UNKNOWN};
use windows_core::{implement, IUnknown, Interface, BSTR, GUID, HRESULT, PCWSTR};

/// Counts the fakes of one test that are still alive.
#[derive(Clone, Default)]
pub struct Tracker {
    live: Arc<AtomicIsize>,
    created: Arc<AtomicUsize>,
}

impl Tracker {
    pub fn new() -> Self {
        Tracker::default()
    }

    pub fn token(&self) -> Token {
        self.live.fetch_add(1, Ordering::SeqCst);
        self.created.fetch_add(1, Ordering::SeqCst);
        Token(Arc::clone(&self.live))
    }

    /// Fakes created and not yet destroyed.
    pub fn live(&self) -> isize {
        self.live.load(Ordering::SeqCst)
    }

    /// Fakes created so far.
    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }
}

/// Held by each fake; its drop is the fake's destruction.
pub struct Token(Arc<AtomicIsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The reference count of a COM object (AddRef then Release, reading the counts they return).
pub fn refcount<T: Interface>(object: &T) -> u32 {
    let raw = object.as_raw();
    // SAFETY: `raw` is the live interface pointer `object` holds (borrowed, so it stays alive
    // for the call); every COM vtable starts with IUnknown's three methods, so its first
    // pointer can be read as an IUnknown vtable; AddRef then Release leave the count as it was.
    unsafe {
        let vtable = *(raw as *const *const windows_core::IUnknown_Vtbl);
        ((*vtable).AddRef)(raw);
        ((*vtable).Release)(raw)
    }
}

/// A string property: its UTF-16 units, or the HRESULT its getter fails with.
pub type Text = Result<Vec<u16>, HRESULT>;

pub fn text(value: &str) -> Text {
    Ok(value.encode_utf16().collect())
}

/// Named string properties of a fake object; a missing one fails with E_NOTIMPL.
#[derive(Clone, Default, Debug)]
pub struct Props(pub Vec<(&'static str, Text)>);

impl Props {
    pub fn of(pairs: &[(&'static str, &str)]) -> Self {
        Props(
            pairs
                .iter()
                .map(|(name, value)| (*name, text(value)))
                .collect(),
        )
    }

    pub fn with(mut self, name: &'static str, value: Text) -> Self {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value));
        self
    }

    fn get(&self, name: &str) -> windows_core::Result<BSTR> {
        match self.0.iter().find(|(n, _)| *n == name) {
            Some((_, Ok(units))) => Ok(BSTR::from_wide(units)),
            Some((_, Err(hr))) => Err((*hr).into()),
            None => Err(E_NOTIMPL.into()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MessageSpec {
    pub object_path: Text,
    pub error_code: HRESULT,
    pub extension_name: Text,
    pub settings_name: Text,
    pub operation_code: HRESULT,
    pub message: Text,
}

impl MessageSpec {
    pub fn new(message: &str) -> Self {
        MessageSpec {
            object_path: text(""),
            error_code: S_OK,
            extension_name: text(""),
            settings_name: text(""),
            operation_code: S_OK,
            message: text(message),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ElementSpec {
    Message(MessageSpec),
    /// A VT_I4 element where a message belongs.
    NotAMessage(i32),
}

#[derive(Clone, Debug)]
pub enum CollectionSpec {
    Null,
    Elements {
        elements: Vec<ElementSpec>,
        new_enum_fails: Option<HRESULT>,
        next_fails_at: Option<usize>,
    },
}

impl CollectionSpec {
    pub fn of(messages: Vec<MessageSpec>) -> Self {
        CollectionSpec::Elements {
            elements: messages.into_iter().map(ElementSpec::Message).collect(),
            new_enum_fails: None,
            next_fails_at: None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum ResultSpec {
    /// `pResult` is a null pointer.
    NullPointer,
    Empty,
    Null,
    /// VT_DISPATCH holding a null pointer.
    DispatchNull,
    Bstr(Vec<u16>),
    Gpo(Props),
    Backup(Props),
    StarterGpo(Props),
    StarterGpoBackup(Props),
    /// A backup delivered as VT_UNKNOWN.
    BackupAsUnknown(Props),
    /// An object that is none of GPMC's result interfaces.
    PlainObject,
    /// VT_I4: an unexpected VARTYPE.
    Int(i32),
}

#[derive(Clone, Debug)]
pub struct CallSpec {
    pub numerator: i32,
    pub denominator: i32,
    pub hr: HRESULT,
    pub result: ResultSpec,
    pub messages: CollectionSpec,
}

impl CallSpec {
    pub fn progress(numerator: i32, denominator: i32) -> Self {
        CallSpec {
            numerator,
            denominator,
            hr: S_OK,
            result: ResultSpec::NullPointer,
            messages: CollectionSpec::Null,
        }
    }

    pub fn hr(mut self, hr: HRESULT) -> Self {
        self.hr = hr;
        self
    }

    pub fn result(mut self, result: ResultSpec) -> Self {
        self.result = result;
        self
    }

    pub fn messages(mut self, messages: CollectionSpec) -> Self {
        self.messages = messages;
        self
    }
}

#[derive(Clone)]
pub enum Step {
    Call(CallSpec),
    /// Block until the client calls `IGPMAsyncCancel::Cancel`.
    AwaitCancel,
    /// Meet another server thread.
    Meet(Arc<Barrier>),
}

impl From<CallSpec> for Step {
    fn from(call: CallSpec) -> Self {
        Step::Call(call)
    }
}

/// Shared between a cancel object and the server thread.
#[derive(Default)]
pub struct CancelState {
    requests: Mutex<u32>,
    requested: Condvar,
}

impl CancelState {
    pub fn requests(&self) -> u32 {
        *self.requests.lock().unwrap()
    }

    fn request(&self) {
        *self.requests.lock().unwrap() += 1;
        self.requested.notify_all();
    }

    fn wait(&self) {
        let guard = self.requests.lock().unwrap();
        let (guard, timeout) = self
            .requested
            .wait_timeout_while(guard, Duration::from_secs(20), |n| *n == 0)
            .unwrap();
        assert!(
            !timeout.timed_out() && *guard > 0,
            "the client never requested cancel"
        );
    }
}

/// Moves a COM pointer to the server's thread. The sink under test is agile (free-threaded
/// marshaler), which is what makes calling it from another thread correct.
pub struct Agile<T>(pub T);
// SAFETY: only used for the agile sink (and plain data); see above.
unsafe impl<T> Send for Agile<T> {}

/// COM initialised on the current thread, until dropped.
pub struct Apartment;

impl Apartment {
    /// COM initialised on this thread with `mode` (multithreaded or single-threaded).
    pub fn enter(mode: COINIT) -> Self {
        // SAFETY: balanced by CoUninitialize in drop, on the same thread.
        unsafe { CoInitializeEx(None, mode) }
            .ok()
            .expect("CoInitializeEx");
        Apartment
    }

    /// The multithreaded apartment.
    pub fn mta() -> Self {
        Apartment::enter(COINIT_MULTITHREADED)
    }
}

impl Drop for Apartment {
    fn drop(&mut self) {
        // SAFETY: balances the successful CoInitializeEx of `enter` on this thread.
        unsafe { CoUninitialize() };
    }
}

/// A fake GPO whose `Backup` runs `steps` on its own thread (or fails to start with
/// `fail_with`), with the cancel state its cancel object shares and a way to wait for the
/// server's thread.
pub struct ScriptedGpo {
    pub gpo: IGPMGPO,
    pub cancel: Arc<CancelState>,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl ScriptedGpo {
    pub fn new(steps: Vec<Step>, fail_with: Option<HRESULT>, tracker: &Tracker) -> Self {
        let cancel = Arc::new(CancelState::default());
        let server = Arc::new(Mutex::new(None));
        let gpo = FakeGpo::new(Props::default(), tracker).with_operation(Operation {
            steps,
            cancel: Arc::clone(&cancel),
            fail_with,
            tracker: tracker.clone(),
            server: Arc::clone(&server),
        });
        ScriptedGpo {
            gpo: gpo.into(),
            cancel,
            server,
        }
    }

    /// Calls `Backup` with the sink, the way a user drives real GPMC without the typed entry
    /// points; returns the progress VARIANT (the client's reference to the sink, to keep
    /// until `started` was told), the cancel VARIANT and the method's return.
    pub fn start_backup(
        &self,
        sink: &gpmc_progress::com::ProgressSink,
    ) -> (VARIANT, VARIANT, windows_core::Result<IGPMResult>) {
        let progress = sink.to_variant();
        let mut cancel = VARIANT::default();
        // SAFETY: both VARIANTs outlive the call.
        let returned = unsafe {
            self.gpo.Backup(
                &r"C:\Backups".into(),
                &"nightly".into(),
                &progress,
                &mut cancel,
            )
        };
        (progress, cancel, returned)
    }

    /// Waits for the server's thread, if it was started.
    pub fn join(&self) {
        if let Some(server) = self.server.lock().unwrap().take() {
            server.join().expect("the server thread");
        }
    }
}

/// A minimal executor: polls on this thread, parks until woken.
pub struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park_timeout(Duration::from_secs(1));
    }
}

/// Runs `steps` on a new MTA thread, calling `Status` on `sink` through its vtable. The
/// server releases the sink when done, as GPMC does.
pub fn serve(
    sink: IGPMAsyncProgress,
    steps: Vec<Step>,
    tracker: &Tracker,
    cancel: Option<Arc<CancelState>>,
) -> JoinHandle<()> {
    let sink = Agile(sink);
    let tracker = tracker.clone();
    std::thread::spawn(move || {
        let sink = sink;
        let _mta = Apartment::mta();
        for step in steps {
            match step {
                Step::Call(call) => call_status(&sink.0, &call, &tracker),
                Step::AwaitCancel => cancel.as_ref().expect("a cancel object").wait(),
                Step::Meet(barrier) => {
                    barrier.wait();
                }
            }
        }
        drop(sink);
    })
}

/// One `Status` call through the vtable, with a fresh VARIANT and collection that the
/// server owns and releases afterwards.
pub fn call_status(sink: &IGPMAsyncProgress, call: &CallSpec, tracker: &Tracker) {
    let variant = make_variant(&call.result, tracker);
    let collection = make_collection(&call.messages, tracker);
    let before = variant.as_ref().map(|v| v.vt());
    let pointer = variant
        .as_ref()
        .map_or(core::ptr::null(), |v| v as *const VARIANT);
    // SAFETY: the VARIANT and collection outlive the call.
    let answer = unsafe {
        sink.Status(
            call.numerator,
            call.denominator,
            call.hr,
            pointer,
            collection.as_ref(),
        )
    };
    assert_eq!(answer, Ok(()), "the sink must answer S_OK");
    // The sink borrowed the result VARIANT: it is unchanged.
    assert_eq!(variant.as_ref().map(|v| v.vt()), before);
}

pub fn make_variant(spec: &ResultSpec, tracker: &Tracker) -> Option<VARIANT> {
    let dispatch = |object: IDispatch| Some(VARIANT::from(object));
    match spec {
        ResultSpec::NullPointer => None,
        ResultSpec::Empty => Some(VARIANT::default()),
        ResultSpec::Null => {
            let mut variant = VARIANT::default();
            // SAFETY: writing the tag of an empty VARIANT: VT_NULL has no payload.
            unsafe { (*variant.Anonymous.Anonymous).vt = windows::Win32::System::Variant::VT_NULL };
            Some(variant)
        }
        ResultSpec::DispatchNull => {
            let mut variant = VARIANT::default();
            // SAFETY: VT_DISPATCH with a null pdispVal (already null in a zeroed VARIANT).
            unsafe { (*variant.Anonymous.Anonymous).vt = VT_DISPATCH };
            Some(variant)
        }
        ResultSpec::Bstr(units) => Some(VARIANT::from(BSTR::from_wide(units))),
        ResultSpec::Gpo(props) => {
            let gpo: IGPMGPO = FakeGpo::new(props.clone(), tracker).into();
            dispatch(gpo.into())
        }
        ResultSpec::Backup(props) => {
            let backup: IGPMBackup = FakeBackup::new(props.clone(), tracker).into();
            dispatch(backup.into())
        }
        ResultSpec::StarterGpo(props) => {
            let starter: IGPMStarterGPO = FakeStarterGpo {
                props: props.clone(),
                _token: tracker.token(),
            }
            .into();
            dispatch(starter.into())
        }
        ResultSpec::StarterGpoBackup(props) => {
            let backup: IGPMStarterGPOBackup = FakeStarterGpoBackup {
                props: props.clone(),
                _token: tracker.token(),
            }
            .into();
            dispatch(backup.into())
        }
        ResultSpec::BackupAsUnknown(props) => {
            let backup: IGPMBackup = FakeBackup::new(props.clone(), tracker).into();
            let unknown: IUnknown = backup.into();
            let variant = VARIANT::from(unknown);
            assert_eq!(variant.vt(), VT_UNKNOWN);
            Some(variant)
        }
        ResultSpec::PlainObject => dispatch(
            FakePlain {
                _token: tracker.token(),
            }
            .into(),
        ),
        ResultSpec::Int(value) => Some(VARIANT::from(*value)),
    }
}

pub fn make_collection(
    spec: &CollectionSpec,
    tracker: &Tracker,
) -> Option<IGPMStatusMsgCollection> {
    match spec {
        CollectionSpec::Null => None,
        CollectionSpec::Elements {
            elements,
            new_enum_fails,
            next_fails_at,
        } => Some(
            FakeCollection {
                elements: elements.clone(),
                new_enum_fails: *new_enum_fails,
                next_fails_at: *next_fails_at,
                tracker: tracker.clone(),
                _token: tracker.token(),
            }
            .into(),
        ),
    }
}

fn make_element(spec: &ElementSpec, tracker: &Tracker) -> VARIANT {
    match spec {
        ElementSpec::Message(message) => {
            let message: IGPMStatusMessage = FakeMessage {
                spec: message.clone(),
                _token: tracker.token(),
            }
            .into();
            let dispatch: IDispatch = message.into();
            VARIANT::from(dispatch)
        }
        ElementSpec::NotAMessage(value) => VARIANT::from(*value),
    }
}

macro_rules! no_dispatch {
    ($($object:ident),*) => {$(
        impl IDispatch_Impl for $object {
            fn GetTypeInfoCount(&self) -> windows_core::Result<u32> {
                Ok(0)
            }
            fn GetTypeInfo(&self, _: u32, _: u32) -> windows_core::Result<ITypeInfo> {
                Err(E_NOTIMPL.into())
            }
            fn GetIDsOfNames(&self, _: *const GUID, _: *const PCWSTR, _: u32, _: u32, _: *mut i32) -> windows_core::Result<()> {
                Err(E_NOTIMPL.into())
            }
            fn Invoke(&self, _: i32, _: *const GUID, _: u32, _: DISPATCH_FLAGS, _: *const DISPPARAMS, _: *mut VARIANT, _: *mut EXCEPINFO, _: *mut u32) -> windows_core::Result<()> {
                Err(E_NOTIMPL.into())
            }
        }
    )*};
}

no_dispatch!(
    FakeMessage_Impl,
    FakeCollection_Impl,
    FakeGpo_Impl,
    FakeBackup_Impl,
    FakeStarterGpo_Impl,
    FakeStarterGpoBackup_Impl,
    FakePlain_Impl,
    FakeCancel_Impl,
    FakeResult_Impl
);

/// A code as a method's own HRESULT (what ErrorCode/OperationCode/OverallStatus return).
fn code(hr: HRESULT) -> windows_core::Result<()> {
    if hr == S_OK {
        Ok(())
    } else {
        Err(windows_core::Error::from_hresult(hr))
    }
}

fn bstr(text: &Text) -> windows_core::Result<BSTR> {
    match text {
        Ok(units) => Ok(BSTR::from_wide(units)),
        Err(hr) => Err((*hr).into()),
    }
}

#[implement(IGPMStatusMessage)]
pub struct FakeMessage {
    spec: MessageSpec,
    _token: Token,
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

#[implement(IGPMStatusMsgCollection)]
pub struct FakeCollection {
    elements: Vec<ElementSpec>,
    new_enum_fails: Option<HRESULT>,
    next_fails_at: Option<usize>,
    tracker: Tracker,
    _token: Token,
}

impl IGPMStatusMsgCollection_Impl for FakeCollection_Impl {
    fn Count(&self) -> windows_core::Result<i32> {
        Ok(self.elements.len() as i32)
    }
    fn get_Item(&self, index: i32) -> windows_core::Result<VARIANT> {
        // 1-based, as GPMC's collections.
        let spec = usize::try_from(index - 1)
            .ok()
            .and_then(|i| self.elements.get(i))
            .ok_or_else(|| windows_core::Error::from_hresult(E_FAIL))?;
        Ok(make_element(spec, &self.tracker))
    }
    fn _NewEnum(&self) -> windows_core::Result<IEnumVARIANT> {
        if let Some(hr) = self.new_enum_fails {
            return Err(hr.into());
        }
        Ok(FakeEnum {
            elements: self.elements.clone(),
            next_fails_at: self.next_fails_at,
            position: Mutex::new(0),
            tracker: self.tracker.clone(),
            _token: self.tracker.token(),
        }
        .into())
    }
}

#[implement(IEnumVARIANT)]
pub struct FakeEnum {
    elements: Vec<ElementSpec>,
    next_fails_at: Option<usize>,
    position: Mutex<usize>,
    tracker: Tracker,
    _token: Token,
}

impl IEnumVARIANT_Impl for FakeEnum_Impl {
    fn Next(&self, count: u32, slots: *mut VARIANT, fetched: *mut u32) -> HRESULT {
        let mut position = self.position.lock().unwrap();
        let mut written = 0u32;
        while written < count && *position < self.elements.len() {
            if self.next_fails_at == Some(*position) {
                return E_FAIL;
            }
            let element = make_element(&self.elements[*position], &self.tracker);
            // SAFETY: the caller passed `count` writable slots; [out] slots are written, not
            // assigned (nothing to drop in them).
            unsafe { slots.add(written as usize).write(element) };
            written += 1;
            *position += 1;
        }
        if !fetched.is_null() {
            // SAFETY: checked non-null; the caller's counter.
            unsafe { fetched.write(written) };
        }
        if written == count {
            S_OK
        } else {
            S_FALSE
        }
    }
    fn Skip(&self, count: u32) -> HRESULT {
        let mut position = self.position.lock().unwrap();
        *position = (*position + count as usize).min(self.elements.len());
        S_OK
    }
    fn Reset(&self) -> windows_core::Result<()> {
        *self.position.lock().unwrap() = 0;
        Ok(())
    }
    fn Clone(&self) -> windows_core::Result<IEnumVARIANT> {
        Err(E_NOTIMPL.into())
    }
}

/// An object that answers none of GPMC's result interfaces.
#[implement(IDispatch)]
pub struct FakePlain {
    _token: Token,
}

/// A GPO. Its `Backup` starts the scripted operation given to [`FakeGpo::with_operation`].
#[implement(IGPMGPO)]
pub struct FakeGpo {
    props: Props,
    operation: Mutex<Option<Operation>>,
    _token: Token,
}

/// What the fake `IGPMGPO::Backup` does.
pub struct Operation {
    pub steps: Vec<Step>,
    pub cancel: Arc<CancelState>,
    /// What `Backup` returns: `None` for S_OK with a null IGPMResult, or a failure.
    pub fail_with: Option<HRESULT>,
    pub tracker: Tracker,
    pub server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl FakeGpo {
    pub fn new(props: Props, tracker: &Tracker) -> Self {
        FakeGpo {
            props,
            operation: Mutex::new(None),
            _token: tracker.token(),
        }
    }

    pub fn with_operation(self, operation: Operation) -> Self {
        *self.operation.lock().unwrap() = Some(operation);
        self
    }

    fn start(
        &self,
        progress: *const VARIANT,
        cancel_out: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let operation = self
            .operation
            .lock()
            .unwrap()
            .take()
            .expect("one scripted operation");
        if let Some(hr) = operation.fail_with {
            return Err(hr.into());
        }
        if progress.is_null() {
            // Synchronous: the script's last call as the IGPMResult.
            let last = operation
                .steps
                .iter()
                .rev()
                .find_map(|step| match step {
                    Step::Call(call) => Some(call.clone()),
                    _ => None,
                })
                .expect("a finishing call");
            let status = match last.messages {
                CollectionSpec::Null => None,
                messages => Some(messages),
            };
            return Ok(FakeResult {
                overall: last.hr,
                status,
                status_fails: None,
                result: last.result,
                tracker: operation.tracker.clone(),
                _token: operation.tracker.token(),
            }
            .into());
        }
        // SAFETY: GPMC's [in] VARIANT: borrowed for the call.
        let progress = unsafe { progress.as_ref() }.expect("pvarGPMProgress");
        assert_eq!(progress.vt(), VT_DISPATCH, "the sink comes as VT_DISPATCH");
        let dispatch = IDispatch::try_from(progress)?;
        let sink: IGPMAsyncProgress = dispatch.cast()?;
        let cancel: IGPMAsyncCancel = FakeCancel {
            state: Arc::clone(&operation.cancel),
            answer: S_OK,
            _token: operation.tracker.token(),
        }
        .into();
        let cancel: IDispatch = cancel.into();
        // SAFETY: GPMC's [out] VARIANT: written, not assigned.
        unsafe { cancel_out.write(VARIANT::from(cancel)) };
        let server = serve(
            sink,
            operation.steps,
            &operation.tracker,
            Some(operation.cancel),
        );
        *operation.server.lock().unwrap() = Some(server);
        // Asynchronous: S_OK with a null IGPMResult.
        Err(windows_core::Error::empty())
    }
}

impl IGPMGPO_Impl for FakeGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        self.props.get("DisplayName")
    }
    fn SetDisplayName(&self, _newval: &BSTR) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Path(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        self.props.get("ID")
    }
    fn DomainName(&self) -> windows_core::Result<BSTR> {
        self.props.get("DomainName")
    }
    fn CreationTime(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn ModificationTime(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn UserDSVersionNumber(&self) -> windows_core::Result<i32> {
        Err(E_NOTIMPL.into())
    }
    fn ComputerDSVersionNumber(&self) -> windows_core::Result<i32> {
        Err(E_NOTIMPL.into())
    }
    fn UserSysvolVersionNumber(&self) -> windows_core::Result<i32> {
        Err(E_NOTIMPL.into())
    }
    fn ComputerSysvolVersionNumber(&self) -> windows_core::Result<i32> {
        Err(E_NOTIMPL.into())
    }
    fn GetWMIFilter(&self) -> windows_core::Result<IGPMWMIFilter> {
        Err(E_NOTIMPL.into())
    }
    fn SetWMIFilter(
        &self,
        _pigpmwmifilter: windows_core::Ref<IGPMWMIFilter>,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetUserEnabled(&self, _vbenabled: VARIANT_BOOL) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetComputerEnabled(&self, _vbenabled: VARIANT_BOOL) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn IsUserEnabled(&self) -> windows_core::Result<VARIANT_BOOL> {
        Err(E_NOTIMPL.into())
    }
    fn IsComputerEnabled(&self) -> windows_core::Result<VARIANT_BOOL> {
        Err(E_NOTIMPL.into())
    }
    fn GetSecurityInfo(&self) -> windows_core::Result<IGPMSecurityInfo> {
        Err(E_NOTIMPL.into())
    }
    fn SetSecurityInfo(
        &self,
        _psecurityinfo: windows_core::Ref<IGPMSecurityInfo>,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Delete(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Backup(
        &self,
        _bstrbackupdir: &BSTR,
        _bstrcomment: &BSTR,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        self.start(pvargpmprogress, pvargpmcancel)
    }
    fn Import(
        &self,
        _lflags: i32,
        _pigpmbackup: windows_core::Ref<IGPMBackup>,
        _pvarmigrationtable: *const VARIANT,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReport(
        &self,
        _gpmreporttype: GPMReportType,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReportToFile(
        &self,
        _gpmreporttype: GPMReportType,
        _bstrtargetfilepath: &BSTR,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn CopyTo(
        &self,
        _lflags: i32,
        _pigpmdomain: windows_core::Ref<IGPMDomain>,
        _pvarnewdisplayname: *const VARIANT,
        _pvarmigrationtable: *const VARIANT,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn SetSecurityDescriptor(
        &self,
        _lflags: i32,
        _psd: windows_core::Ref<IDispatch>,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetSecurityDescriptor(&self, _lflags: i32) -> windows_core::Result<IDispatch> {
        Err(E_NOTIMPL.into())
    }
    fn IsACLConsistent(&self) -> windows_core::Result<VARIANT_BOOL> {
        Err(E_NOTIMPL.into())
    }
    fn MakeACLConsistent(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
}

#[implement(IGPMBackup)]
pub struct FakeBackup {
    props: Props,
    _token: Token,
}

impl FakeBackup {
    pub fn new(props: Props, tracker: &Tracker) -> Self {
        FakeBackup {
            props,
            _token: tracker.token(),
        }
    }
}

impl IGPMBackup_Impl for FakeBackup_Impl {
    fn ID(&self) -> windows_core::Result<BSTR> {
        self.props.get("ID")
    }
    fn GPOID(&self) -> windows_core::Result<BSTR> {
        self.props.get("GPOID")
    }
    fn GPODomain(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn GPODisplayName(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn Timestamp(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        self.props.get("Comment")
    }
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        self.props.get("BackupDir")
    }
    fn Delete(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReport(
        &self,
        _gpmreporttype: GPMReportType,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReportToFile(
        &self,
        _gpmreporttype: GPMReportType,
        _bstrtargetfilepath: &BSTR,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
}

#[implement(IGPMStarterGPO)]
pub struct FakeStarterGpo {
    props: Props,
    _token: Token,
}

impl IGPMStarterGPO_Impl for FakeStarterGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        self.props.get("DisplayName")
    }
    fn SetDisplayName(&self, _newval: &BSTR) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Description(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn SetDescription(&self, _newval: &BSTR) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Author(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn Product(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn CreationTime(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        self.props.get("ID")
    }
    fn ModifiedTime(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn Type(&self) -> windows_core::Result<GPMStarterGPOType> {
        Err(E_NOTIMPL.into())
    }
    fn ComputerVersion(&self) -> windows_core::Result<u16> {
        Err(E_NOTIMPL.into())
    }
    fn UserVersion(&self) -> windows_core::Result<u16> {
        Err(E_NOTIMPL.into())
    }
    fn StarterGPOVersion(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn Delete(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Save(
        &self,
        _bstrsavefile: &BSTR,
        _boverwrite: VARIANT_BOOL,
        _bsaveassystem: VARIANT_BOOL,
        _bstrlanguage: *const VARIANT,
        _bstrauthor: *const VARIANT,
        _bstrproduct: *const VARIANT,
        _bstruniqueid: *const VARIANT,
        _bstrversion: *const VARIANT,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn Backup(
        &self,
        _bstrbackupdir: &BSTR,
        _bstrcomment: &BSTR,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn CopyTo(
        &self,
        _pvarnewdisplayname: *const VARIANT,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *const VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReport(
        &self,
        _gpmreporttype: GPMReportType,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *const VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReportToFile(
        &self,
        _gpmreporttype: GPMReportType,
        _bstrtargetfilepath: &BSTR,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GetSecurityInfo(&self) -> windows_core::Result<IGPMSecurityInfo> {
        Err(E_NOTIMPL.into())
    }
    fn SetSecurityInfo(
        &self,
        _psecurityinfo: windows_core::Ref<IGPMSecurityInfo>,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
}

#[implement(IGPMStarterGPOBackup)]
pub struct FakeStarterGpoBackup {
    props: Props,
    _token: Token,
}

impl IGPMStarterGPOBackup_Impl for FakeStarterGpoBackup_Impl {
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        self.props.get("BackupDir")
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        self.props.get("Comment")
    }
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn Domain(&self) -> windows_core::Result<BSTR> {
        Err(E_NOTIMPL.into())
    }
    fn StarterGPOID(&self) -> windows_core::Result<BSTR> {
        self.props.get("StarterGPOID")
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        self.props.get("ID")
    }
    fn Timestamp(&self) -> windows_core::Result<f64> {
        Err(E_NOTIMPL.into())
    }
    fn Type(&self) -> windows_core::Result<GPMStarterGPOType> {
        Err(E_NOTIMPL.into())
    }
    fn Delete(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReport(
        &self,
        _gpmreporttype: GPMReportType,
        _pvargpmprogress: *const VARIANT,
        _pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
    fn GenerateReportToFile(
        &self,
        _gpmreporttype: GPMReportType,
        _bstrtargetfilepath: &BSTR,
    ) -> windows_core::Result<IGPMResult> {
        Err(E_NOTIMPL.into())
    }
}

#[implement(IGPMAsyncCancel)]
pub struct FakeCancel {
    pub state: Arc<CancelState>,
    pub answer: HRESULT,
    pub _token: Token,
}

impl IGPMAsyncCancel_Impl for FakeCancel_Impl {
    fn Cancel(&self) -> windows_core::Result<()> {
        self.state.request();
        code(self.answer)
    }
}

/// A synchronous call's IGPMResult.
#[implement(IGPMResult)]
pub struct FakeResult {
    pub overall: HRESULT,
    /// `None`: `Status` returns S_OK with a null collection.
    pub status: Option<CollectionSpec>,
    pub status_fails: Option<HRESULT>,
    pub result: ResultSpec,
    pub tracker: Tracker,
    pub _token: Token,
}

impl IGPMResult_Impl for FakeResult_Impl {
    fn Status(&self) -> windows_core::Result<IGPMStatusMsgCollection> {
        if let Some(hr) = self.status_fails {
            return Err(hr.into());
        }
        match &self.status {
            Some(spec) => {
                make_collection(spec, &self.tracker).ok_or_else(windows_core::Error::empty)
            }
            None => Err(windows_core::Error::empty()),
        }
    }
    fn Result(&self) -> windows_core::Result<VARIANT> {
        Ok(make_variant(&self.result, &self.tracker).unwrap_or_default())
    }
    fn OverallStatus(&self) -> windows_core::Result<()> {
        code(self.overall)
    }
}

pub fn unused_imports_guard(_: VARIANT_BOOL) {}
