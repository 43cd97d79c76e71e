//! The methods a COM object of this crate does not implement, written once:
//! `not_implemented!` turns trait method signatures into bodies answering `E_NOTIMPL`, and
//! `dispatch_not_implemented!` gives the sink and the fake GPMC's objects the `IDispatch`
//! methods none of their callers uses.
//!
//! The signatures are those of windows' `_Impl` traits: the compiler checks them, so a
//! windows version that changes one fails to build here, in one place.

/// Trait methods answering `E_NOTIMPL`, from their signatures; used in impl-item position,
/// next to the methods a fake does implement.
macro_rules! not_implemented {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)*) => {$(
        fn $name(&self $(, $arg: $ty)*) -> $ret {
            $(let _ = $arg;)*
            Err(::windows::Win32::Foundation::E_NOTIMPL.into())
        }
    )*};
}

/// `IDispatch` for objects used only through their vtables: no type information, no names,
/// no late-bound calls (`GetTypeInfoCount` answers 0, the rest `E_NOTIMPL`).
macro_rules! dispatch_not_implemented {
    ($($object:ty),* $(,)?) => {$(
        impl ::windows::Win32::System::Com::IDispatch_Impl for $object {
            fn GetTypeInfoCount(&self) -> ::windows_core::Result<u32> {
                Ok(0)
            }
            not_implemented! {
                fn GetTypeInfo(&self, itinfo: u32, lcid: u32) -> ::windows_core::Result<::windows::Win32::System::Com::ITypeInfo>;
                fn GetIDsOfNames(
                    &self,
                    riid: *const ::windows_core::GUID,
                    names: *const ::windows_core::PCWSTR,
                    count: u32,
                    lcid: u32,
                    dispids: *mut i32,
                ) -> ::windows_core::Result<()>;
                fn Invoke(
                    &self,
                    dispid: i32,
                    riid: *const ::windows_core::GUID,
                    lcid: u32,
                    flags: ::windows::Win32::System::Com::DISPATCH_FLAGS,
                    params: *const ::windows::Win32::System::Com::DISPPARAMS,
                    result: *mut ::windows::Win32::System::Variant::VARIANT,
                    excepinfo: *mut ::windows::Win32::System::Com::EXCEPINFO,
                    argerr: *mut u32,
                ) -> ::windows_core::Result<()>;
            }
        }
    )*};
}
