//! The fake GPMC objects whose methods start operations: `IGPMGPO`, `IGPMDomain2` (also an
//! `IGPMDomain`, with its look-ups), `IGPMBackup`, `IGPMRSOP`, `IGPMStarterGPO` and
//! `IGPMStarterGPOBackup`. Their properties are [`Props`]; each asynchronous method records
//! its arguments and hands the call to [`FakeGpmc::call`].
#![allow(non_snake_case)]

use windows::Win32::Foundation::{E_NOTIMPL, VARIANT_BOOL};
use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::*;
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, Ref, BSTR};

use super::root::{search_gpos, FakeGpoCollection};
use super::script::Props;
use super::status::bstr;
use super::{boolean, number, object, variant, Counted, FakeGpmc, Reflect, DOMAIN};
use crate::OperationKind;

/// A property of `props`: its value, the failure it was given, or `E_NOTIMPL` when absent.
fn property(props: &Props, name: &str) -> windows_core::Result<BSTR> {
    match props.get(name) {
        Some(value) => bstr(value),
        None => Err(E_NOTIMPL.into()),
    }
}

/// A property as a plain string, when it is one.
fn plain(props: &Props, name: &str) -> Option<String> {
    match props.get(name) {
        Some(Ok(units)) => String::from_utf16(units).ok(),
        _ => None,
    }
}

/// An argument recorded as text.
fn recorded(value: &BSTR) -> super::FakeArgument {
    super::text(value)
}

/// A `BSTR` argument as the text a result reflects.
fn argument(value: &BSTR) -> Option<String> {
    Some(String::from_utf16_lossy(value))
}

/// `Backup` of a GPO or a Starter GPO whose properties are `props`: the directory and the
/// comment recorded, and reflected in the result with the ID of what was backed up.
fn backup(
    counted: &Counted,
    props: &Props,
    operation: OperationKind,
    directory: &BSTR,
    comment: &BSTR,
    progress: *const VARIANT,
    cancel: *mut VARIANT,
) -> windows_core::Result<IGPMResult> {
    let arguments = vec![
        ("bstrBackupDir", recorded(directory)),
        ("bstrComment", recorded(comment)),
    ];
    let reflect = Reflect {
        target_id: plain(props, "ID"),
        directory: argument(directory),
        comment: argument(comment),
        ..Reflect::default()
    };
    counted
        .gpmc()
        .call(operation, arguments, reflect, progress, cancel)
}

/// The text a `VARIANT` argument holds, if it holds one.
fn variant_text(value: *const VARIANT) -> Option<String> {
    match variant(value) {
        super::FakeArgument::Text(text) => Some(text),
        _ => None,
    }
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
            self.counted.gpmc().call(
                $kind,
                arguments,
                Reflect::default(),
                pvargpmprogress,
                pvargpmcancel.$to_mut(),
            )
        }
    };
}

/// `IGPMGPO`: `ID`, `DisplayName`, `DomainName`, and its four asynchronous methods.
#[implement(IGPMGPO)]
pub(super) struct FakeGpo {
    props: Props,
    counted: Counted,
}

impl FakeGpo {
    pub(super) fn new(gpmc: &FakeGpmc, props: Props) -> Self {
        FakeGpo {
            props,
            counted: Counted::new(gpmc),
        }
    }

    /// A GPO of the fake's domain.
    pub(super) fn in_domain(gpmc: &FakeGpmc, id: &str, display_name: &str) -> Self {
        FakeGpo::new(
            gpmc,
            Props::of(&[
                ("ID", id),
                ("DisplayName", display_name),
                ("DomainName", DOMAIN),
            ]),
        )
    }
}

impl IGPMGPO_Impl for FakeGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "DisplayName")
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "ID")
    }
    fn DomainName(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "DomainName")
    }
    fn Backup(
        &self,
        bstrbackupdir: &BSTR,
        bstrcomment: &BSTR,
        pvargpmprogress: *const VARIANT,
        pvargpmcancel: *mut VARIANT,
    ) -> windows_core::Result<IGPMResult> {
        backup(
            &self.counted,
            &self.props,
            OperationKind::GpoBackup,
            bstrbackupdir,
            bstrcomment,
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
        self.counted.gpmc().call(
            OperationKind::GpoImport,
            arguments,
            Reflect::default(),
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
        let reflect = Reflect {
            new_name: variant_text(pvarnewdisplayname),
            ..Reflect::default()
        };
        self.counted.gpmc().call(
            OperationKind::GpoCopy,
            arguments,
            reflect,
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

/// `IGPMDomain2`, which is also `IGPMDomain`: the domain's look-ups (`GetGPO`,
/// `SearchGPOs`) and its three asynchronous methods.
#[implement(IGPMDomain2)]
pub(super) struct FakeDomain {
    counted: Counted,
}

impl FakeDomain {
    pub(super) fn new(gpmc: &FakeGpmc) -> Self {
        FakeDomain {
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMDomain_Impl for FakeDomain_Impl {
    fn Domain(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(DOMAIN))
    }
    fn GetGPO(&self, bstrguid: &BSTR) -> windows_core::Result<IGPMGPO> {
        let gpmc = self.counted.gpmc();
        let wanted = String::from_utf16_lossy(bstrguid);
        match gpmc.gpo_entry(&wanted) {
            Some((id, display_name)) => Ok(FakeGpo::in_domain(gpmc, &id, &display_name).into()),
            None => Err(windows_core::HRESULT::from(super::NO_SUCH_OBJECT).into()),
        }
    }
    fn SearchGPOs(
        &self,
        pigpmsearchcriteria: Ref<IGPMSearchCriteria>,
    ) -> windows_core::Result<IGPMGPOCollection> {
        let gpmc = self.counted.gpmc();
        let found = search_gpos(gpmc, pigpmsearchcriteria.as_ref())?;
        Ok(FakeGpoCollection::new(gpmc, found).into())
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
        self.counted.gpmc().call(
            OperationKind::DomainRestoreGpo,
            arguments,
            Reflect::default(),
            pvargpmprogress,
            pvargpmcancel,
        )
    }
    not_implemented! {
        fn DomainController(&self) -> windows_core::Result<BSTR>;
        fn CreateGPO(&self) -> windows_core::Result<IGPMGPO>;
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
            ("bstrLoadFile", recorded(bstrloadfile)),
            ("bOverwrite", boolean(boverwrite)),
        ];
        self.counted.gpmc().call(
            OperationKind::DomainLoadStarterGpo,
            arguments,
            Reflect::default(),
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
        self.counted.gpmc().call(
            OperationKind::DomainRestoreStarterGpo,
            arguments,
            Reflect::default(),
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

/// `IGPMBackup`: `ID`, `GPOID`, `BackupDir`, `Comment`, and `GenerateReport`.
#[implement(IGPMBackup)]
pub(super) struct FakeBackup {
    props: Props,
    counted: Counted,
}

impl FakeBackup {
    pub(super) fn new(gpmc: &FakeGpmc, props: Props) -> Self {
        FakeBackup {
            props,
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMBackup_Impl for FakeBackup_Impl {
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "ID")
    }
    fn GPOID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "GPOID")
    }
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "BackupDir")
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "Comment")
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

/// `IGPMRSOP`: the logging-mode setters a report needs, and `GenerateReport`.
#[implement(IGPMRSOP)]
pub(super) struct FakeRsop {
    counted: Counted,
}

impl FakeRsop {
    pub(super) fn new(gpmc: &FakeGpmc) -> Self {
        FakeRsop {
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMRSOP_Impl for FakeRsop_Impl {
    fn SetLoggingComputer(&self, _bstrval: &BSTR) -> windows_core::Result<()> {
        Ok(())
    }
    fn SetLoggingUser(&self, _bstrval: &BSTR) -> windows_core::Result<()> {
        Ok(())
    }
    fn CreateQueryResults(&self) -> windows_core::Result<()> {
        Ok(())
    }
    fn ReleaseQueryResults(&self) -> windows_core::Result<()> {
        Ok(())
    }
    generate_report!(OperationKind::RsopReport);
    not_implemented! {
        fn Mode(&self) -> windows_core::Result<GPMRSOPMode>;
        fn Namespace(&self) -> windows_core::Result<BSTR>;
        fn LoggingComputer(&self) -> windows_core::Result<BSTR>;
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
        fn GenerateReportToFile(&self, gpmreporttype: GPMReportType, bstrtargetfilepath: &BSTR) -> windows_core::Result<IGPMResult>;
    }
}

/// `IGPMStarterGPO`: `ID`, `DisplayName`, and its four asynchronous methods.
#[implement(IGPMStarterGPO)]
pub(super) struct FakeStarterGpo {
    props: Props,
    counted: Counted,
}

impl FakeStarterGpo {
    pub(super) fn new(gpmc: &FakeGpmc, props: Props) -> Self {
        FakeStarterGpo {
            props,
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMStarterGPO_Impl for FakeStarterGpo_Impl {
    fn DisplayName(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "DisplayName")
    }
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "ID")
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
            ("bstrSaveFile", recorded(bstrsavefile)),
            ("bOverwrite", boolean(boverwrite)),
            ("bSaveAsSystem", boolean(bsaveassystem)),
            ("bstrLanguage", variant(bstrlanguage)),
            ("bstrAuthor", variant(bstrauthor)),
            ("bstrProduct", variant(bstrproduct)),
            ("bstrUniqueID", variant(bstruniqueid)),
            ("bstrVersion", variant(bstrversion)),
        ];
        self.counted.gpmc().call(
            OperationKind::StarterGpoSave,
            arguments,
            Reflect::default(),
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
        backup(
            &self.counted,
            &self.props,
            OperationKind::StarterGpoBackup,
            bstrbackupdir,
            bstrcomment,
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
        let reflect = Reflect {
            new_name: variant_text(pvarnewdisplayname),
            ..Reflect::default()
        };
        self.counted.gpmc().call(
            OperationKind::StarterGpoCopy,
            arguments,
            reflect,
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

/// `IGPMStarterGPOBackup`: `ID`, `StarterGPOID`, `BackupDir`, `Comment`, and
/// `GenerateReport`.
#[implement(IGPMStarterGPOBackup)]
pub(super) struct FakeStarterGpoBackup {
    props: Props,
    counted: Counted,
}

impl FakeStarterGpoBackup {
    pub(super) fn new(gpmc: &FakeGpmc, props: Props) -> Self {
        FakeStarterGpoBackup {
            props,
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMStarterGPOBackup_Impl for FakeStarterGpoBackup_Impl {
    fn ID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "ID")
    }
    fn StarterGPOID(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "StarterGPOID")
    }
    fn BackupDir(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "BackupDir")
    }
    fn Comment(&self) -> windows_core::Result<BSTR> {
        property(&self.props, "Comment")
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

dispatch_not_implemented!(
    FakeGpo_Impl,
    FakeDomain_Impl,
    FakeBackup_Impl,
    FakeRsop_Impl,
    FakeStarterGpo_Impl,
    FakeStarterGpoBackup_Impl,
);

/// Compile-time proof that these objects may be called on any thread (they are agile).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeGpo>();
    send_sync::<FakeDomain>();
    send_sync::<FakeBackup>();
    send_sync::<FakeRsop>();
    send_sync::<FakeStarterGpo>();
    send_sync::<FakeStarterGpoBackup>();
};
