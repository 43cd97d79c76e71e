//! [`GlobalInterface`]: a COM interface handed between threads and apartments through the
//! process's Global Interface Table (GIT).
//!
//! windows-rs interfaces are neither `Send` nor `Sync`, and rightly so: a pointer is only
//! valid in the apartment that obtained it. The GIT is COM's own way across: the object is
//! registered in its apartment, and any thread with COM initialised gets back a pointer valid
//! in *its* apartment (the object itself when it is agile, a proxy otherwise). The entry is a
//! `u32` cookie, so it is plain data, `Send + Sync` without any `unsafe impl`.
//!
//! `RoGetAgileReference` would do the same, but it is not implemented by every COM runtime
//! the crate is tested on (Wine aborts the process when it is called), and it cannot be
//! probed for; the GIT is implemented everywhere COM is.

use std::marker::PhantomData;

use windows::Win32::Foundation::E_POINTER;
use windows::Win32::System::Com::{
    CoCreateInstance, CoDecrementMTAUsage, CoIncrementMTAUsage, CoInitializeEx, CoUninitialize,
    IGlobalInterfaceTable, CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED, CO_MTA_USAGE_COOKIE,
};
use windows_core::{IUnknown, Interface, GUID};

/// `CLSID_StdGlobalInterfaceTable`, which windows-rs does not define.
const CLSID_STD_GLOBAL_INTERFACE_TABLE: GUID =
    GUID::from_u128(0x0000_0323_0000_0000_c000_0000_0000_0046);

/// An interface registered in the Global Interface Table, revoked when dropped.
///
/// Registered in the object's apartment ([`register`](Self::register), with COM initialised
/// on that thread); read back on any thread where COM is initialised
/// ([`get`](Self::get)). The entry keeps the multithreaded apartment alive
/// (`CoIncrementMTAUsage`), since an entry registered from an MTA thread is only valid while
/// the MTA exists, and a GPMC worker thread may be the MTA's last thread.
pub(crate) struct GlobalInterface<I> {
    cookie: u32,
    /// The `CO_MTA_USAGE_COOKIE` as an address: an opaque handle, kept as plain data.
    mta_usage: usize,
    _interface: PhantomData<fn() -> I>,
}

impl<I: Interface> GlobalInterface<I> {
    /// Registers `object`; the calling thread must have COM initialised and be in the
    /// apartment `object` belongs to.
    pub(crate) fn register(object: &I) -> windows_core::Result<Self> {
        // SAFETY: no arguments; balanced by CoDecrementMTAUsage in `Drop` (or below).
        let usage = unsafe { CoIncrementMTAUsage() }?;
        let raw = object.as_raw();
        // SAFETY: every COM interface pointer is also an `IUnknown` pointer (its vtable
        // starts with IUnknown's methods); the borrow lives no longer than `object`.
        let unknown = unsafe { IUnknown::from_raw_borrowed(&raw) };
        let registered = table().and_then(|table| {
            // SAFETY: `unknown` is `object`'s own pointer, live in this apartment, and
            // `I::IID` is the interface it points to, as the GIT requires of the pair.
            unsafe { table.RegisterInterfaceInGlobal(unknown, &I::IID) }
        });
        match registered {
            Ok(cookie) => Ok(GlobalInterface {
                cookie,
                mta_usage: usage.0 as usize,
                _interface: PhantomData,
            }),
            Err(error) => {
                // SAFETY: the cookie CoIncrementMTAUsage returned above, released once.
                // A failure to release leaves the MTA alive: nothing else to do.
                let _ = unsafe { CoDecrementMTAUsage(usage) };
                Err(error)
            }
        }
    }

    /// The interface, valid in the calling thread's apartment. COM must be initialised on
    /// this thread, or the thread be in the implicit MTA (which the entry keeps alive);
    /// otherwise the error is `CO_E_NOTINITIALIZED`.
    pub(crate) fn get(&self) -> windows_core::Result<I> {
        let table = table()?;
        let mut raw = core::ptr::null_mut();
        // SAFETY: `I::IID` is the identifier the entry was registered with, and `raw` is a
        // valid out slot; on success it holds an owned reference to an `I`.
        unsafe { table.GetInterfaceFromGlobal(self.cookie, &I::IID, &mut raw) }?;
        if raw.is_null() {
            // A table that answers success without an object breaks its contract; there is
            // nothing to own (and `from_raw` must not be handed a null pointer).
            return Err(windows_core::Error::from_hresult(E_POINTER));
        }
        // SAFETY: GetInterfaceFromGlobal succeeded with a non-null pointer: an AddRef'ed
        // pointer to an `I`, whose reference the returned value now owns.
        Ok(unsafe { I::from_raw(raw) })
    }
}

impl<I> Drop for GlobalInterface<I> {
    fn drop(&mut self) {
        with_com(|| {
            if let Ok(table) = table() {
                // SAFETY: the cookie this entry registered, revoked once. A failure (the
                // entry already gone with its apartment) leaves nothing to release.
                let _ = unsafe { table.RevokeInterfaceFromGlobal(self.cookie) };
            }
        });
        let usage = CO_MTA_USAGE_COOKIE(self.mta_usage as *mut core::ffi::c_void);
        // SAFETY: the cookie CoIncrementMTAUsage returned in `register`, released once.
        let _ = unsafe { CoDecrementMTAUsage(usage) };
    }
}

impl<I> core::fmt::Debug for GlobalInterface<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GlobalInterface")
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

/// The process's Global Interface Table (a singleton: creating it again is cheap).
fn table() -> windows_core::Result<IGlobalInterfaceTable> {
    // SAFETY: a documented CLSID and interface; COM must be initialised on this thread, which
    // the callers' contracts say, and CoCreateInstance reports otherwise as an error.
    unsafe {
        CoCreateInstance(
            &CLSID_STD_GLOBAL_INTERFACE_TABLE,
            None,
            CLSCTX_INPROC_SERVER,
        )
    }
}

/// Runs `f` with COM initialised on this thread: as it is, or in the multithreaded
/// apartment for the duration of `f` when it was not initialised.
pub(crate) fn with_com<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: no pointers; every success (S_OK, or S_FALSE when COM was already initialised
    // as MTA) is balanced by the CoUninitialize below, on this thread.
    // A failure (RPC_E_CHANGED_MODE on a single-threaded apartment's thread) leaves COM as
    // it was, usable or not: `f` then meets the error of whatever it calls.
    let initialised = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
    let balance = initialised.is_ok();
    let value = f();
    if balance {
        // SAFETY: balances the successful CoInitializeEx above, on the same thread.
        unsafe { CoUninitialize() };
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use windows::Win32::System::Com::{IDispatch, COINIT_APARTMENTTHREADED};
    use windows::Win32::System::GroupPolicy::IGPMAsyncProgress;

    use crate::com::ProgressSink;
    use crate::OperationKind;

    /// COM initialised on this thread with `mode`, until dropped.
    struct Apartment;

    impl Apartment {
        fn enter(mode: windows::Win32::System::Com::COINIT) -> Self {
            // SAFETY: balanced by CoUninitialize in drop, on the same thread.
            unsafe { CoInitializeEx(None, mode) }
                .ok()
                .expect("CoInitializeEx");
            Apartment
        }
    }

    impl Drop for Apartment {
        fn drop(&mut self) {
            // SAFETY: balances `enter`'s CoInitializeEx on this thread.
            unsafe { CoUninitialize() };
        }
    }

    /// Registered on an MTA thread that then ends, read back on another MTA thread and on
    /// an STA thread (the same object: the sink is agile), revoked on a thread without COM.
    #[test]
    fn an_entry_crosses_threads_and_apartments_and_is_revoked_anywhere() {
        let sink = ProgressSink::new(OperationKind::GpoBackup);
        let registering = sink.clone();
        let (entry, raw) = std::thread::spawn(move || {
            let _mta = Apartment::enter(COINIT_MULTITHREADED);
            let object = registering.interface();
            let entry = GlobalInterface::register(&object).expect("registered");
            (entry, object.as_raw() as usize)
        })
        .join()
        .unwrap();
        let entry = std::sync::Arc::new(entry);
        for mode in [COINIT_MULTITHREADED, COINIT_APARTMENTTHREADED] {
            let entry = std::sync::Arc::clone(&entry);
            let got = std::thread::spawn(move || {
                let _apartment = Apartment::enter(mode);
                let progress: IGPMAsyncProgress = entry.get().expect("read back");
                let _dispatch: IDispatch = progress.cast().expect("the same object");
                progress.as_raw() as usize
            })
            .join()
            .unwrap();
            assert_eq!(got, raw, "an agile object comes back as itself");
        }
        assert!(sink.tracker().is_attached(), "the entry holds the object");
        std::thread::spawn(move || drop(entry)).join().unwrap();
        assert!(
            !sink.tracker().is_attached(),
            "revoked: the object was released"
        );
    }
}
