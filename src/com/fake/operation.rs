//! What an asynchronous method hands back besides its `Status` calls: the cancel object
//! (`pvarGPMCancel`), and the `IGPMResult` of a synchronous call.
#![allow(non_snake_case)]

use std::sync::Arc;

use windows::Win32::System::GroupPolicy::{
    IGPMAsyncCancel, IGPMAsyncCancel_Impl, IGPMResult_Impl, IGPMStatusMsgCollection,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::implement;

use super::script::{CollectionSpec, ResultSpec};
use super::status::{code, collection, result_variant};
use super::{Counted, FakeGpmc};
use crate::HResult;

/// What a cancel request does to the running operation.
pub(super) type OnCancel = Arc<dyn Fn() + Send + Sync>;

/// `IGPMAsyncCancel`: tells the running operation, unless the fake refuses cancels
/// ([`FakeGpmc::refuse_cancel`]).
#[implement(IGPMAsyncCancel)]
pub(super) struct FakeCancel {
    on_cancel: OnCancel,
    counted: Counted,
}

impl FakeCancel {
    pub(super) fn new(gpmc: &FakeGpmc, on_cancel: OnCancel) -> Self {
        FakeCancel {
            on_cancel,
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMAsyncCancel_Impl for FakeCancel_Impl {
    fn Cancel(&self) -> windows_core::Result<()> {
        match self.counted.gpmc().cancel_refusal() {
            Some(hr) => code(hr),
            None => {
                (self.on_cancel)();
                Ok(())
            }
        }
    }
}

/// A synchronous call's `IGPMResult`: `OverallStatus`, the collection of `Status`, and the
/// `Result` VARIANT, each made fresh when asked for.
#[implement(windows::Win32::System::GroupPolicy::IGPMResult)]
pub(super) struct FakeResult {
    overall: HResult,
    messages: CollectionSpec,
    result: ResultSpec,
    counted: Counted,
}

impl FakeResult {
    pub(super) fn new(
        gpmc: &FakeGpmc,
        overall: HResult,
        messages: CollectionSpec,
        result: ResultSpec,
    ) -> Self {
        FakeResult {
            overall,
            messages,
            result,
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMResult_Impl for FakeResult_Impl {
    fn Status(&self) -> windows_core::Result<IGPMStatusMsgCollection> {
        match &self.messages {
            CollectionSpec::Fails(hr) => Err(windows_core::Error::from_hresult((*hr).into())),
            // windows-rs spells "S_OK with a null collection" as an error of code S_OK.
            spec => collection(spec, self.counted.gpmc()).ok_or_else(windows_core::Error::empty),
        }
    }
    fn Result(&self) -> windows_core::Result<VARIANT> {
        Ok(result_variant(&self.result, self.counted.gpmc()).unwrap_or_default())
    }
    fn OverallStatus(&self) -> windows_core::Result<()> {
        code(self.overall)
    }
}

dispatch_not_implemented!(FakeCancel_Impl, FakeResult_Impl);

/// Compile-time proof that these objects may be called on any thread (they are agile).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeCancel>();
    send_sync::<FakeResult>();
};
