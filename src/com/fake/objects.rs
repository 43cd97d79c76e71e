//! The fake COM objects: the six GPMC interfaces with asynchronous methods, the cancel
//! object, a synchronous call's `IGPMResult`, and the messages with their collection.
#![allow(non_snake_case)]

use std::sync::{Arc, Mutex};

use windows::Win32::Foundation::{E_FAIL, E_NOTIMPL, S_FALSE, S_OK, VARIANT_BOOL};
use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::*;
use windows::Win32::System::Ole::{IEnumVARIANT, IEnumVARIANT_Impl};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, Ref, BSTR, HRESULT};

use super::{boolean, number, object, text, variant, FakeGpmc, Live};
use crate::simulate::Signal;
use crate::{HResult, OperationKind, ResultDescription, StatusMessage};

/// A property from a description: the value, or `E_NOTIMPL` when it has none.
fn property(value: &Option<String>) -> windows_core::Result<BSTR> {
    match value {
        Some(value) => Ok(BSTR::from(value.as_str())),
        None => Err(E_NOTIMPL.into()),
    }
}

/// A code as a method's own HRESULT (what `ErrorCode`, `OperationCode` and `OverallStatus`
/// return): success codes other than `S_OK` included.
fn code(hr: HResult) -> windows_core::Result<()> {
    if hr == HResult::S_OK {
        Ok(())
    } else {
        Err(windows_core::Error::from_hresult(HRESULT::from(hr)))
    }
}

/// A result as the VARIANT GPMC passes: a fake object of the right interface, or a BSTR.
pub(super) fn result_variant(description: &ResultDescription, gpmc: &FakeGpmc) -> VARIANT {
    let dispatch: IDispatch = match description {
        ResultDescription::Gpo { .. } => {
            IGPMGPO::from(FakeGpo::new(gpmc, description.clone())).into()
        }
        ResultDescription::Backup { .. } => {
            IGPMBackup::from(FakeBackup::new(gpmc, description.clone())).into()
        }
        ResultDescription::StarterGpo { .. } => {
            IGPMStarterGPO::from(FakeStarterGpo::new(gpmc, description.clone())).into()
        }
        ResultDescription::StarterGpoBackup { .. } => {
            IGPMStarterGPOBackup::from(FakeStarterGpoBackup::new(gpmc, description.clone())).into()
        }
        ResultDescription::Text { value } => {
            return VARIANT::from(BSTR::from(value.as_deref().unwrap_or_default()));
        }
        _ => FakePlain {
            _live: Live::new(gpmc),
        }
        .into(),
    };
    VARIANT::from(dispatch)
}

/// A message collection holding `messages`.
pub(super) fn collection(messages: Vec<StatusMessage>, gpmc: &FakeGpmc) -> IGPMStatusMsgCollection {
    FakeCollection {
        messages: Arc::new(messages),
        _live: Live::new(gpmc),
    }
    .into()
}

/// The fake `GenerateReport` of an interface: records the report type and runs the
/// operation `$kind` (the cancel VARIANT is `*mut`, or `*const` where windows-rs declares it
/// so although the server writes it).
macro_rules! generate_report {
    ($kind:expr) => {
        generate_report!(@with $kind, *mut VARIANT, cast);
    };
    ($kind:expr, cancel: *const VARIANT) => {
        generate_report!(@with $kind, *const VARIANT, cast_mut);
    };
    (@with $kind:expr, $cancel:ty, $to_mut:ident) => {
        fn GenerateReport(
            &self,
            gpmreporttype: GPMReportType,
            pvargpmprogress: *const VARIANT,
            pvargpmcancel: $cancel,
        ) -> windows_core::Result<IGPMResult> {
            let arguments = vec![("gpmReportType", number(gpmreporttype.0))];
            self.live.gpmc().call(
                $kind,
                arguments,
                pvargpmprogress,
                pvargpmcancel.$to_mut(),
            )
        }
    };
}

#[implement(IDispatch)]
struct FakePlain {
    _live: Live,
}

/// `IGPMGPO`.
#[implement(IGPMGPO)]
pub(super) struct FakeGpo {
    description: ResultDescription,
    live: Live,
}

impl FakeGpo {
    pub(super) fn new(gpmc: &FakeGpmc, description: ResultDescription) -> Self {
        FakeGpo {
            description,
            live: Live::new(gpmc),
        }
    }
}

impl IGPMGPO_Impl for FakeGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        match &self.description {
            ResultDescription::Gpo { display_name, .. } => property(display_name),
            _ => Err(E_NOTIMPL.into()),
        }
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        match &self.description {
            ResultDescription::Gpo { id, .. } => property(id),
            _ => Err(E_NOTIMPL.into()),
        }
    }
    fn DomainName(&self) -> windows_core::Result<BSTR> {
        match &self.description {
            ResultDescription::Gpo { domain, .. } => property(domain),
            _ => Err(E_NOTIMPL.into()),
        }
    }
    fn Backup(
        &self,
        bstrbackupdir: &BSTR,
        bstrcomment: &BSTR,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("bstrBackupDir", text(bstrbackupdir)),
            ("bstrComment", text(bstrcomment)),
        ];
        self.live.gpmc().call(
            OperationKind::GpoBackup,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    fn Import(
        &self,
        lflags: i32,
        pigpmbackup: Ref<IGPMBackup>,
        pvarmigrationtable: *const VARIANT,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("lFlags", number(lflags)),
            ("pIGPMBackup", object(pigpmbackup.as_ref())),
            ("pvarMigrationTable", variant(pvarmigrationtable)),
        ];
        self.live.gpmc().call(
            OperationKind::GpoImport,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    generate_report!(OperationKind::GpoReport);
    fn CopyTo(
        &self,
        lflags: i32,
        pigpmdomain: Ref<IGPMDomain>,
        pvarnewdisplayname: *const VARIANT,
        pvarmigrationtable: *const VARIANT,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("lFlags", number(lflags)),
            ("pIGPMDomain", object(pigpmdomain.as_ref())),
            ("pvarNewDisplayName", variant(pvarnewdisplayname)),
            ("pvarMigrationTable", variant(pvarmigrationtable)),
        ];
        self.live.gpmc().call(
            OperationKind::GpoCopy,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    not_implemented! {
        fn SetDisplayName(&self, newval: &BSTR) -> windows_core::Result<()>;
        fn Path(&self) -> windows_core::Result<BSTR>;
        fn CreationTime(&self) -> windows_core::Result<f64>;
        fn ModificationTime(&self) -> windows_core::Result<f64>;
        fn UserDSVersionNumber(&self) -> windows_core::Result<i32>;
        fn ComputerDSVersionNumber(&self) -> windows_core::Result<i32>;
        fn UserSysvolVersionNumber(&self) -> windows_core::Result<i32>;
        fn ComputerSysvolVersionNumber(&self) -> windows_core::Result<i32>;
        fn GetWMIFilter(&self) -> windows_core::Result<IGPMWMIFilter>;
        fn SetWMIFilter(&self, pigpmwmifilter: Ref<IGPMWMIFilter>) -> windows_core::Result<()>;
        fn SetUserEnabled(&self, vbenabled: VARIANT_BOOL) -> windows_core::Result<()>;
        fn SetComputerEnabled(&self, vbenabled: VARIANT_BOOL) -> windows_core::Result<()>;
        fn IsUserEnabled(&self) -> windows_core::Result<VARIANT_BOOL>;
        fn IsComputerEnabled(&self) -> windows_core::Result<VARIANT_BOOL>;
        fn GetSecurityInfo(&self) -> windows_core::Result<IGPMSecurityInfo>;
        fn SetSecurityInfo(&self, psecurityinfo: Ref<IGPMSecurityInfo>) -> windows_core::Result<()>;
        fn Delete(&self) -> windows_core::Result<()>;
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
        fn SetSecurityDescriptor(&self, lflags: i32, psd: Ref<IDispatch>) -> windows_core::Result<()>;
        fn GetSecurityDescriptor(&self, lflags: i32) -> windows_core::Result<IDispatch>;
        fn IsACLConsistent(&self) -> windows_core::Result<VARIANT_BOOL>;
        fn MakeACLConsistent(&self) -> windows_core::Result<()>;
    }
}

/// `IGPMDomain2`, which is also `IGPMDomain`.
#[implement(IGPMDomain2)]
pub(super) struct FakeDomain {
    live: Live,
}

impl FakeDomain {
    pub(super) fn new(gpmc: &FakeGpmc) -> Self {
        FakeDomain {
            live: Live::new(gpmc),
        }
    }
}

impl IGPMDomain_Impl for FakeDomain_Impl {
    fn Domain(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(super::DOMAIN))
    }
    fn RestoreGPO(
        &self,
        pigpmbackup: Ref<IGPMBackup>,
        ldcflags: i32,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("pIGPMBackup", object(pigpmbackup.as_ref())),
            ("lDCFlags", number(ldcflags)),
        ];
        self.live.gpmc().call(
            OperationKind::DomainRestoreGpo,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    not_implemented! {
        fn DomainController(&self) -> windows_core::Result<BSTR>;
        fn CreateGPO(&self) -> windows_core::Result<IGPMGPO>;
        fn GetGPO(&self, bstrguid: &BSTR) -> windows_core::Result<IGPMGPO>;
        fn SearchGPOs(&self, pigpmsearchcriteria: Ref<IGPMSearchCriteria>) -> windows_core::Result<IGPMGPOCollection>;
        fn GetSOM(&self, bstrpath: &BSTR) -> windows_core::Result<IGPMSOM>;
        fn SearchSOMs(&self, pigpmsearchcriteria: Ref<IGPMSearchCriteria>) -> windows_core::Result<IGPMSOMCollection>;
        fn GetWMIFilter(&self, bstrpath: &BSTR) -> windows_core::Result<IGPMWMIFilter>;
        fn SearchWMIFilters(&self, pigpmsearchcriteria: Ref<IGPMSearchCriteria>) -> windows_core::Result<IGPMWMIFilterCollection>;
    }
}

impl IGPMDomain2_Impl for FakeDomain_Impl {
    fn LoadStarterGPO(
        &self,
        bstrloadfile: &BSTR,
        boverwrite: VARIANT_BOOL,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("bstrLoadFile", text(bstrloadfile)),
            ("bOverwrite", boolean(boverwrite)),
        ];
        self.live.gpmc().call(
            OperationKind::DomainLoadStarterGpo,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    fn RestoreStarterGPO(
        &self,
        pigpmtmplbackup: Ref<IGPMStarterGPOBackup>,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![("pIGPMTmplBackup", object(pigpmtmplbackup.as_ref()))];
        self.live.gpmc().call(
            OperationKind::DomainRestoreStarterGpo,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    not_implemented! {
        fn CreateStarterGPO(&self) -> windows_core::Result<IGPMStarterGPO>;
        fn CreateGPOFromStarterGPO(&self, pgpotemplate: Ref<IGPMStarterGPO>) -> windows_core::Result<IGPMGPO>;
        fn GetStarterGPO(&self, bstrguid: &BSTR) -> windows_core::Result<IGPMStarterGPO>;
        fn SearchStarterGPOs(&self, pigpmsearchcriteria: Ref<IGPMSearchCriteria>) -> windows_core::Result<IGPMStarterGPOCollection>;
    }
}

/// The four properties of a backup or a Starter GPO backup: its ID, the (Starter) GPO's ID,
/// the directory and the comment.
fn backup_properties(description: &ResultDescription) -> [&Option<String>; 4] {
    match description {
        ResultDescription::Backup {
            id,
            gpo_id,
            directory,
            comment,
        }
        | ResultDescription::StarterGpoBackup {
            id,
            gpo_id,
            directory,
            comment,
        } => [id, gpo_id, directory, comment],
        _ => [&None; 4],
    }
}

/// `IGPMBackup`.
#[implement(IGPMBackup)]
pub(super) struct FakeBackup {
    description: ResultDescription,
    live: Live,
}

impl FakeBackup {
    pub(super) fn new(gpmc: &FakeGpmc, description: ResultDescription) -> Self {
        FakeBackup {
            description,
            live: Live::new(gpmc),
        }
    }
}

impl IGPMBackup_Impl for FakeBackup_Impl {
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[0])
    }
    fn GPOID(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[1])
    }
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[2])
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[3])
    }
    generate_report!(OperationKind::BackupReport);
    not_implemented! {
        fn GPODomain(&self) -> windows_core::Result<BSTR>;
        fn GPODisplayName(&self) -> windows_core::Result<BSTR>;
        fn Timestamp(&self) -> windows_core::Result<f64>;
        fn Delete(&self) -> windows_core::Result<()>;
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
    }
}

/// `IGPMRSOP`.
#[implement(IGPMRSOP)]
pub(super) struct FakeRsop {
    live: Live,
}

impl FakeRsop {
    pub(super) fn new(gpmc: &FakeGpmc) -> Self {
        FakeRsop {
            live: Live::new(gpmc),
        }
    }
}

impl IGPMRSOP_Impl for FakeRsop_Impl {
    generate_report!(OperationKind::RsopReport);
    not_implemented! {
        fn Mode(&self) -> windows_core::Result<GPMRSOPMode>;
        fn Namespace(&self) -> windows_core::Result<BSTR>;
        fn SetLoggingComputer(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn LoggingComputer(&self) -> windows_core::Result<BSTR>;
        fn SetLoggingUser(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn LoggingUser(&self) -> windows_core::Result<BSTR>;
        fn SetLoggingFlags(&self, lval: i32) -> windows_core::Result<()>;
        fn LoggingFlags(&self) -> windows_core::Result<i32>;
        fn SetPlanningFlags(&self, lval: i32) -> windows_core::Result<()>;
        fn PlanningFlags(&self) -> windows_core::Result<i32>;
        fn SetPlanningDomainController(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningDomainController(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningSiteName(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningSiteName(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningUser(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningUser(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningUserSOM(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningUserSOM(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningUserWMIFilters(&self, varval: &VARIANT) -> windows_core::Result<()>;
        fn PlanningUserWMIFilters(&self) -> windows_core::Result<VARIANT>;
        fn SetPlanningUserSecurityGroups(&self, varval: &VARIANT) -> windows_core::Result<()>;
        fn PlanningUserSecurityGroups(&self) -> windows_core::Result<VARIANT>;
        fn SetPlanningComputer(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningComputer(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningComputerSOM(&self, bstrval: &BSTR) -> windows_core::Result<()>;
        fn PlanningComputerSOM(&self) -> windows_core::Result<BSTR>;
        fn SetPlanningComputerWMIFilters(&self, varval: &VARIANT) -> windows_core::Result<()>;
        fn PlanningComputerWMIFilters(&self) -> windows_core::Result<VARIANT>;
        fn SetPlanningComputerSecurityGroups(&self, varval: &VARIANT) -> windows_core::Result<()>;
        fn PlanningComputerSecurityGroups(&self) -> windows_core::Result<VARIANT>;
        fn LoggingEnumerateUsers(&self) -> windows_core::Result<VARIANT>;
        fn CreateQueryResults(&self) -> windows_core::Result<()>;
        fn ReleaseQueryResults(&self) -> windows_core::Result<()>;
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
    }
}

/// `IGPMStarterGPO`.
#[implement(IGPMStarterGPO)]
pub(super) struct FakeStarterGpo {
    description: ResultDescription,
    live: Live,
}

impl FakeStarterGpo {
    pub(super) fn new(gpmc: &FakeGpmc, description: ResultDescription) -> Self {
        FakeStarterGpo {
            description,
            live: Live::new(gpmc),
        }
    }
}

impl IGPMStarterGPO_Impl for FakeStarterGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        match &self.description {
            ResultDescription::StarterGpo { display_name, .. } => property(display_name),
            _ => Err(E_NOTIMPL.into()),
        }
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        match &self.description {
            ResultDescription::StarterGpo { id, .. } => property(id),
            _ => Err(E_NOTIMPL.into()),
        }
    }
    fn Save(
        &self,
        bstrsavefile: &BSTR,
        boverwrite: VARIANT_BOOL,
        bsaveassystem: VARIANT_BOOL,
        bstrlanguage: *const VARIANT,
        bstrauthor: *const VARIANT,
        bstrproduct: *const VARIANT,
        bstruniqueid: *const VARIANT,
        bstrversion: *const VARIANT,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("bstrSaveFile", text(bstrsavefile)),
            ("bOverwrite", boolean(boverwrite)),
            ("bSaveAsSystem", boolean(bsaveassystem)),
            ("bstrLanguage", variant(bstrlanguage)),
            ("bstrAuthor", variant(bstrauthor)),
            ("bstrProduct", variant(bstrproduct)),
            ("bstrUniqueID", variant(bstruniqueid)),
            ("bstrVersion", variant(bstrversion)),
        ];
        self.live.gpmc().call(
            OperationKind::StarterGpoSave,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    fn Backup(
        &self,
        bstrbackupdir: &BSTR,
        bstrcomment: &BSTR,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![
            ("bstrBackupDir", text(bstrbackupdir)),
            ("bstrComment", text(bstrcomment)),
        ];
        self.live.gpmc().call(
            OperationKind::StarterGpoBackup,
            arguments,
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    /// windows-rs declares `pvarGPMCancel` `*const`; GPMC writes through it (the method's
    /// documentation), and so does the fake: a caller must pass writable memory.
    fn CopyTo(
        &self,
        pvarnewdisplayname: *const VARIANT,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *const VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        let arguments = vec![("pvarNewDisplayName", variant(pvarnewdisplayname))];
        self.live.gpmc().call(
            OperationKind::StarterGpoCopy,
            arguments,
            pvargpmprogress,
            pvargpmcancel.cast_mut(),
        )
    }
    // As `CopyTo`: `pvarGPMCancel` is written although windows-rs declares it `*const`.
    generate_report!(OperationKind::StarterGpoReport, cancel: *const VARIANT);
    not_implemented! {
        fn SetDisplayName(&self, newval: &BSTR) -> windows_core::Result<()>;
        fn Description(&self) -> windows_core::Result<BSTR>;
        fn SetDescription(&self, newval: &BSTR) -> windows_core::Result<()>;
        fn Author(&self) -> windows_core::Result<BSTR>;
        fn Product(&self) -> windows_core::Result<BSTR>;
        fn CreationTime(&self) -> windows_core::Result<f64>;
        fn ModifiedTime(&self) -> windows_core::Result<f64>;
        fn Type(&self) -> windows_core::Result<GPMStarterGPOType>;
        fn ComputerVersion(&self) -> windows_core::Result<u16>;
        fn UserVersion(&self) -> windows_core::Result<u16>;
        fn StarterGPOVersion(&self) -> windows_core::Result<BSTR>;
        fn Delete(&self) -> windows_core::Result<()>;
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
        fn GetSecurityInfo(&self) -> windows_core::Result<IGPMSecurityInfo>;
        fn SetSecurityInfo(&self, psecurityinfo: Ref<IGPMSecurityInfo>) -> windows_core::Result<()>;
    }
}

/// `IGPMStarterGPOBackup`.
#[implement(IGPMStarterGPOBackup)]
pub(super) struct FakeStarterGpoBackup {
    description: ResultDescription,
    live: Live,
}

impl FakeStarterGpoBackup {
    pub(super) fn new(gpmc: &FakeGpmc, description: ResultDescription) -> Self {
        FakeStarterGpoBackup {
            description,
            live: Live::new(gpmc),
        }
    }
}

impl IGPMStarterGPOBackup_Impl for FakeStarterGpoBackup_Impl {
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[0])
    }
    fn StarterGPOID(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[1])
    }
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[2])
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        property(backup_properties(&self.description)[3])
    }
    generate_report!(OperationKind::StarterGpoBackupReport);
    not_implemented! {
        fn DisplayName(&self) -> windows_core::Result<BSTR>;
        fn Domain(&self) -> windows_core::Result<BSTR>;
        fn Timestamp(&self) -> windows_core::Result<f64>;
        fn Type(&self) -> windows_core::Result<GPMStarterGPOType>;
        fn Delete(&self) -> windows_core::Result<()>;
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
    }
}

/// `IGPMAsyncCancel`: tells the running script.
#[implement(IGPMAsyncCancel)]
pub(super) struct FakeCancel {
    signal: Arc<Signal>,
    _live: Live,
}

impl FakeCancel {
    pub(super) fn new(gpmc: &FakeGpmc, signal: Arc<Signal>) -> Self {
        FakeCancel {
            signal,
            _live: Live::new(gpmc),
        }
    }
}

impl IGPMAsyncCancel_Impl for FakeCancel_Impl {
    fn Cancel(&self) -> windows_core::Result<()> {
        self.signal.raise();
        Ok(())
    }
}

/// A synchronous call's `IGPMResult`.
#[implement(IGPMResult)]
pub(super) struct FakeResult {
    overall: HResult,
    messages: Vec<StatusMessage>,
    result: Option<ResultDescription>,
    live: Live,
}

impl FakeResult {
    pub(super) fn new(
        gpmc: &FakeGpmc,
        overall: HResult,
        messages: Vec<StatusMessage>,
        result: Option<ResultDescription>,
    ) -> Self {
        FakeResult {
            overall,
            messages,
            result,
            live: Live::new(gpmc),
        }
    }
}

impl IGPMResult_Impl for FakeResult_Impl {
    fn Status(&self) -> windows_core::Result<IGPMStatusMsgCollection> {
        Ok(collection(self.messages.clone(), self.live.gpmc()))
    }
    fn Result(&self) -> windows_core::Result<VARIANT> {
        Ok(self
            .result
            .as_ref()
            .map(|result| result_variant(result, self.live.gpmc()))
            .unwrap_or_default())
    }
    fn OverallStatus(&self) -> windows_core::Result<()> {
        code(self.overall)
    }
}

/// `IGPMStatusMessage`.
#[implement(IGPMStatusMessage)]
struct FakeMessage {
    message: StatusMessage,
    _live: Live,
}

impl IGPMStatusMessage_Impl for FakeMessage_Impl {
    fn ObjectPath(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(self.message.object_path.as_str()))
    }
    fn ErrorCode(&self) -> windows_core::Result<()> {
        code(self.message.error_code)
    }
    fn ExtensionName(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(self.message.extension_name.as_str()))
    }
    fn SettingsName(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(self.message.settings_name.as_str()))
    }
    fn OperationCode(&self) -> windows_core::Result<()> {
        code(self.message.operation_code)
    }
    fn Message(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(self.message.message.as_str()))
    }
}

fn message_variant(message: &StatusMessage, live: &Live) -> VARIANT {
    let message: IGPMStatusMessage = FakeMessage {
        message: message.clone(),
        _live: Live::new(live.gpmc()),
    }
    .into();
    VARIANT::from(IDispatch::from(message))
}

/// `IGPMStatusMsgCollection` (1-based, as GPMC's collections).
#[implement(IGPMStatusMsgCollection)]
struct FakeCollection {
    messages: Arc<Vec<StatusMessage>>,
    _live: Live,
}

impl IGPMStatusMsgCollection_Impl for FakeCollection_Impl {
    fn Count(&self) -> windows_core::Result<i32> {
        Ok(i32::try_from(self.messages.len()).unwrap_or(i32::MAX))
    }
    fn get_Item(&self, lindex: i32) -> windows_core::Result<VARIANT> {
        let message = usize::try_from(lindex - 1)
            .ok()
            .and_then(|index| self.messages.get(index))
            .ok_or_else(|| windows_core::Error::from_hresult(E_FAIL))?;
        Ok(message_variant(message, &self._live))
    }
    fn _NewEnum(&self) -> windows_core::Result<IEnumVARIANT> {
        Ok(FakeEnum {
            messages: Arc::clone(&self.messages),
            position: Mutex::new(0),
            _live: Live::new(self._live.gpmc()),
        }
        .into())
    }
}

/// The collection's enumerator.
#[implement(IEnumVARIANT)]
struct FakeEnum {
    messages: Arc<Vec<StatusMessage>>,
    position: Mutex<usize>,
    _live: Live,
}

impl IEnumVARIANT_Impl for FakeEnum_Impl {
    fn Next(&self, celt: u32, rgvar: *mut VARIANT, pceltfetched: *mut u32) -> HRESULT {
        let mut position = super::lock(&self.position);
        let mut written = 0u32;
        while written < celt && *position < self.messages.len() {
            let element = message_variant(&self.messages[*position], &self._live);
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
        let mut position = super::lock(&self.position);
        *position = (*position)
            .saturating_add(celt as usize)
            .min(self.messages.len());
        S_OK
    }
    fn Reset(&self) -> windows_core::Result<()> {
        *super::lock(&self.position) = 0;
        Ok(())
    }
    fn Clone(&self) -> windows_core::Result<IEnumVARIANT> {
        Ok(FakeEnum {
            messages: Arc::clone(&self.messages),
            position: Mutex::new(*super::lock(&self.position)),
            _live: Live::new(self._live.gpmc()),
        }
        .into())
    }
}

dispatch_not_implemented!(
    FakePlain_Impl,
    FakeGpo_Impl,
    FakeDomain_Impl,
    FakeBackup_Impl,
    FakeRsop_Impl,
    FakeStarterGpo_Impl,
    FakeStarterGpoBackup_Impl,
    FakeCancel_Impl,
    FakeResult_Impl,
    FakeMessage_Impl,
    FakeCollection_Impl,
);
