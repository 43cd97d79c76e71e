//! The 14 asynchronous GPMC methods as typed entry points: one extension trait per
//! interface, Rust arguments, and the one `unsafe` call of each method.

use std::path::Path;

use windows::Win32::Foundation::VARIANT_BOOL;
use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::{
    repHTML, repXML, GPMReportType, IGPMBackup, IGPMDomain, IGPMDomain2, IGPMMigrationTable,
    IGPMResult, IGPMStarterGPO, IGPMStarterGPOBackup, GPM_DONOT_VALIDATEDC,
    GPM_MIGRATIONTABLE_ONLY, GPM_PROCESS_SECURITY, IGPMGPO, IGPMRSOP,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::BSTR;

use super::typed::{FromComResult, ResultObject, StarterGpoBackupResult, StarterGpoCopyResult};
use super::Call;
use crate::OperationKind;

mod sealed {
    use windows::Win32::System::GroupPolicy::IGPMResult;
    use windows::Win32::System::Variant::VARIANT;

    pub trait Invoke {
        /// The interface the method is called on.
        type Target: windows_core::Interface;

        /// Calls the method with its arguments and the two protocol VARIANTs.
        ///
        /// # Safety
        ///
        /// `progress` is null (synchronous call, then `cancel` is null too) or points to a
        /// valid VARIANT, and `cancel` is null or points to a valid VARIANT the server may
        /// overwrite; both outlive the call.
        unsafe fn invoke(
            &self,
            on: &Self::Target,
            progress: *const VARIANT,
            cancel: *mut VARIANT,
        ) -> windows_core::Result<IGPMResult>;
    }
}

/// One asynchronous GPMC method with its arguments (sealed: the 14 structs of this module).
pub trait AsyncMethod: sealed::Invoke {
    /// The operation, for the rules and the trace.
    const KIND: OperationKind;
    /// The method's typed result.
    type Output: FromComResult;
}

/// The format of a report (`GPMReportType`): XML or HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReportFormat {
    /// `repXML`.
    #[default]
    Xml,
    /// `repHTML`.
    Html,
}

impl From<ReportFormat> for GPMReportType {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Xml => repXML,
            ReportFormat::Html => repHTML,
        }
    }
}

/// `IGPMGPO::Import`'s `lFlags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ImportFlags {
    /// `GPM_MIGRATIONTABLE_ONLY`: map security principals and UNC paths only through the
    /// migration table, and fail on a setting it cannot map (default: map through the table
    /// when given, keep what it does not map).
    pub migration_table_only: bool,
}

impl ImportFlags {
    /// The `lFlags` value.
    pub fn bits(self) -> i32 {
        if self.migration_table_only {
            GPM_MIGRATIONTABLE_ONLY as i32
        } else {
            0
        }
    }
}

/// `IGPMGPO::CopyTo`'s `lFlags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CopyFlags {
    /// `GPM_MIGRATIONTABLE_ONLY`, as in [`ImportFlags`].
    pub migration_table_only: bool,
    /// `GPM_PROCESS_SECURITY`: copy the GPO's DACL too.
    pub process_security: bool,
}

impl CopyFlags {
    /// The `lFlags` value.
    pub fn bits(self) -> i32 {
        let mut bits = 0;
        if self.migration_table_only {
            bits |= GPM_MIGRATIONTABLE_ONLY;
        }
        if self.process_security {
            bits |= GPM_PROCESS_SECURITY;
        }
        bits as i32
    }
}

/// `IGPMDomain::RestoreGPO`'s `lDCFlags`: whether the domain controller is validated
/// first (it matters for GPOs with software installation settings only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DcValidation {
    /// `0`: validate (Microsoft's recommendation).
    #[default]
    Validate,
    /// `GPM_DONOT_VALIDATEDC`.
    DoNotValidate,
}

impl DcValidation {
    /// The `lDCFlags` value.
    pub fn bits(self) -> i32 {
        match self {
            DcValidation::Validate => 0,
            DcValidation::DoNotValidate => GPM_DONOT_VALIDATEDC as i32,
        }
    }
}

/// How `IGPMStarterGPO::Save` saves: as it is, or converted into a *system* Starter GPO
/// (`bSaveAsSystem`) with the properties given (`None`: a null VARIANT, GPMC's default).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum SaveAs {
    /// `bSaveAsSystem` false; the five system properties are null.
    #[default]
    Custom,
    /// `bSaveAsSystem` true (invalid for a Starter GPO that is already a system one).
    System(SystemStarterGpo),
}

/// The properties of a system Starter GPO ([`SaveAs::System`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SystemStarterGpo {
    /// `bstrLanguage`, the MUI language (`None`: the user's).
    pub language: Option<String>,
    /// `bstrAuthor`.
    pub author: Option<String>,
    /// `bstrProduct`.
    pub product: Option<String>,
    /// `bstrUniqueID` (`None`: a new ID).
    pub unique_id: Option<String>,
    /// `bstrVersion`, "4 digits-dot-5 digits" (`None`: 1.0).
    pub version: Option<String>,
}

/// A path as a `BSTR`, exactly (non-UTF-8 paths included).
pub(crate) fn path_bstr(path: &Path) -> BSTR {
    use std::os::windows::ffi::OsStrExt;
    let units: Vec<u16> = path.as_os_str().encode_wide().collect();
    BSTR::from_wide(&units)
}

/// An optional `[in] VARIANT*`: `None` is a null pointer.
fn optional(variant: &Option<VARIANT>) -> *const VARIANT {
    variant
        .as_ref()
        .map_or(core::ptr::null(), |variant| variant as *const VARIANT)
}

fn optional_text(text: Option<&str>) -> Option<VARIANT> {
    text.map(VARIANT::from)
}

fn table_variant(table: Option<&IGPMMigrationTable>) -> Option<VARIANT> {
    table.map(|table| VARIANT::from(IDispatch::from(table.clone())))
}

macro_rules! method {
    (
        $(#[$doc:meta])*
        $name:ident on $target:ty, $kind:ident -> $output:ty {
            $($field:ident: $ty:ty),* $(,)?
        }
        |$this:ident, $on:ident, $progress:ident, $cancel:ident| $body:expr
    ) => {
        $(#[$doc])*
        pub struct $name {
            $($field: $ty,)*
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl AsyncMethod for $name {
            const KIND: OperationKind = OperationKind::$kind;
            type Output = $output;
        }

        impl sealed::Invoke for $name {
            type Target = $target;

            unsafe fn invoke(
                &self,
                $on: &$target,
                $progress: *const VARIANT,
                $cancel: *mut VARIANT,
            ) -> windows_core::Result<IGPMResult> {
                let $this = self;
                // SAFETY: the arguments are owned by `self` and outlive the call; the
                // optional VARIANTs are null or ours; `progress` and `cancel` are as the
                // caller of `invoke` guarantees.
                unsafe { $body }
            }
        }
    };
}

method! {
    /// `IGPMGPO::Backup` ([`GpoExt::backup`]).
    GpoBackup on IGPMGPO, GpoBackup -> ResultObject<IGPMBackup> { dir: BSTR, comment: BSTR }
    |m, on, progress, cancel| on.Backup(&m.dir, &m.comment, progress, cancel)
}

method! {
    /// `IGPMGPO::Import` ([`GpoExt::import`]).
    GpoImport on IGPMGPO, GpoImport -> ResultObject<IGPMGPO> {
        flags: ImportFlags, backup: IGPMBackup, table: Option<VARIANT>,
    }
    |m, on, progress, cancel| on.Import(m.flags.bits(), &m.backup, optional(&m.table), progress, cancel)
}

method! {
    /// `IGPMGPO::CopyTo` ([`GpoExt::copy_to`]).
    GpoCopy on IGPMGPO, GpoCopy -> ResultObject<IGPMGPO> {
        flags: CopyFlags, domain: IGPMDomain, name: Option<VARIANT>, table: Option<VARIANT>,
    }
    |m, on, progress, cancel| on.CopyTo(
        m.flags.bits(), &m.domain, optional(&m.name), optional(&m.table), progress, cancel,
    )
}

method! {
    /// `IGPMGPO::GenerateReport` ([`GpoExt::generate_report`]).
    GpoReport on IGPMGPO, GpoReport -> String { format: ReportFormat }
    |m, on, progress, cancel| on.GenerateReport(m.format.into(), progress, cancel)
}

method! {
    /// `IGPMDomain::RestoreGPO` ([`DomainExt::restore_gpo`]).
    DomainRestoreGpo on IGPMDomain, DomainRestoreGpo -> ResultObject<IGPMGPO> {
        backup: IGPMBackup, validation: DcValidation,
    }
    |m, on, progress, cancel| on.RestoreGPO(&m.backup, m.validation.bits(), progress, cancel)
}

method! {
    /// `IGPMBackup::GenerateReport` ([`BackupExt::generate_report`]).
    BackupReport on IGPMBackup, BackupReport -> String { format: ReportFormat }
    |m, on, progress, cancel| on.GenerateReport(m.format.into(), progress, cancel)
}

method! {
    /// `IGPMRSOP::GenerateReport` ([`RsopExt::generate_report`]).
    RsopReport on IGPMRSOP, RsopReport -> String { format: ReportFormat }
    |m, on, progress, cancel| on.GenerateReport(m.format.into(), progress, cancel)
}

method! {
    /// `IGPMDomain2::LoadStarterGPO` ([`Domain2Ext::load_starter_gpo`]).
    DomainLoadStarterGpo on IGPMDomain2, DomainLoadStarterGpo -> ResultObject<IGPMStarterGPO> {
        file: BSTR, overwrite: bool,
    }
    |m, on, progress, cancel| on.LoadStarterGPO(
        &m.file, VARIANT_BOOL::from(m.overwrite), progress, cancel,
    )
}

method! {
    /// `IGPMDomain2::RestoreStarterGPO` ([`Domain2Ext::restore_starter_gpo`]).
    DomainRestoreStarterGpo on IGPMDomain2, DomainRestoreStarterGpo -> ResultObject<IGPMStarterGPO> {
        backup: IGPMStarterGPOBackup,
    }
    |m, on, progress, cancel| on.RestoreStarterGPO(&m.backup, progress, cancel)
}

method! {
    /// `IGPMStarterGPO::Save` ([`StarterGpoExt::save`]): the result is the saved Starter
    /// GPO's GUID.
    StarterGpoSave on IGPMStarterGPO, StarterGpoSave -> String {
        file: BSTR, overwrite: bool, system: bool, language: Option<VARIANT>,
        author: Option<VARIANT>, product: Option<VARIANT>, unique_id: Option<VARIANT>,
        version: Option<VARIANT>,
    }
    |m, on, progress, cancel| on.Save(
        &m.file,
        VARIANT_BOOL::from(m.overwrite),
        VARIANT_BOOL::from(m.system),
        optional(&m.language),
        optional(&m.author),
        optional(&m.product),
        optional(&m.unique_id),
        optional(&m.version),
        progress,
        cancel,
    )
}

method! {
    /// `IGPMStarterGPO::Backup` ([`StarterGpoExt::backup`]).
    StarterGpoBackup on IGPMStarterGPO, StarterGpoBackup -> StarterGpoBackupResult {
        dir: BSTR, comment: BSTR,
    }
    |m, on, progress, cancel| on.Backup(&m.dir, &m.comment, progress, cancel)
}

method! {
    /// `IGPMStarterGPO::CopyTo` ([`StarterGpoExt::copy_to`]). windows-rs declares its
    /// `pvarGPMCancel` `*const`; the server writes through it, so the pointer passed is the
    /// writable one.
    StarterGpoCopy on IGPMStarterGPO, StarterGpoCopy -> StarterGpoCopyResult { name: Option<VARIANT> }
    |m, on, progress, cancel| on.CopyTo(optional(&m.name), progress, cancel.cast_const())
}

method! {
    /// `IGPMStarterGPO::GenerateReport` ([`StarterGpoExt::generate_report`]); its
    /// `pvarGPMCancel` is declared `*const` as in [`StarterGpoCopy`].
    StarterGpoReport on IGPMStarterGPO, StarterGpoReport -> String { format: ReportFormat }
    |m, on, progress, cancel| on.GenerateReport(m.format.into(), progress, cancel.cast_const())
}

method! {
    /// `IGPMStarterGPOBackup::GenerateReport` ([`StarterGpoBackupExt::generate_report`]).
    StarterGpoBackupReport on IGPMStarterGPOBackup, StarterGpoBackupReport -> String {
        format: ReportFormat,
    }
    |m, on, progress, cancel| on.GenerateReport(m.format.into(), progress, cancel)
}

/// The asynchronous methods of `IGPMGPO`.
///
/// ```no_run
/// use gpmc_progress::com::GpoExt;
/// # fn run(gpo: &windows::Win32::System::GroupPolicy::IGPMGPO) -> Result<(), Box<dyn std::error::Error>> {
/// let outcome = gpo.backup(r"C:\Backups", "nightly").start()?.wait()?;
/// if let Some(backup) = outcome.result() {
///     println!("{}", backup.description());
/// }
/// # Ok(())
/// # }
/// ```
pub trait GpoExt {
    /// `Backup`: backs the GPO up into `dir` (which must exist) with `comment`; the result
    /// is the `IGPMBackup`.
    fn backup(&self, dir: impl AsRef<Path>, comment: &str) -> Call<'_, GpoBackup>;
    /// `Import`: replaces the GPO's settings with those of `backup`, mapping through the
    /// migration `table` if given; the result is the `IGPMGPO`.
    fn import(
        &self,
        flags: ImportFlags,
        backup: &IGPMBackup,
        table: Option<&IGPMMigrationTable>,
    ) -> Call<'_, GpoImport>;
    /// `CopyTo`: copies the GPO into `domain` as a new, unlinked GPO named `new_name`
    /// (`None`: GPMC names it); the result is the new `IGPMGPO`.
    fn copy_to(
        &self,
        flags: CopyFlags,
        domain: &IGPMDomain,
        new_name: Option<&str>,
        table: Option<&IGPMMigrationTable>,
    ) -> Call<'_, GpoCopy>;
    /// `GenerateReport`: the GPO's settings as an XML or HTML report.
    fn generate_report(&self, format: ReportFormat) -> Call<'_, GpoReport>;
}

impl GpoExt for IGPMGPO {
    fn backup(&self, dir: impl AsRef<Path>, comment: &str) -> Call<'_, GpoBackup> {
        Call::new(
            self,
            GpoBackup {
                dir: path_bstr(dir.as_ref()),
                comment: comment.into(),
            },
        )
    }

    fn import(
        &self,
        flags: ImportFlags,
        backup: &IGPMBackup,
        table: Option<&IGPMMigrationTable>,
    ) -> Call<'_, GpoImport> {
        Call::new(
            self,
            GpoImport {
                flags,
                backup: backup.clone(),
                table: table_variant(table),
            },
        )
    }

    fn copy_to(
        &self,
        flags: CopyFlags,
        domain: &IGPMDomain,
        new_name: Option<&str>,
        table: Option<&IGPMMigrationTable>,
    ) -> Call<'_, GpoCopy> {
        Call::new(
            self,
            GpoCopy {
                flags,
                domain: domain.clone(),
                name: optional_text(new_name),
                table: table_variant(table),
            },
        )
    }

    fn generate_report(&self, format: ReportFormat) -> Call<'_, GpoReport> {
        Call::new(self, GpoReport { format })
    }
}

/// The asynchronous method of `IGPMDomain` (also callable on an `IGPMDomain2`).
pub trait DomainExt {
    /// `RestoreGPO`: restores `backup` into its original domain; the result is the
    /// `IGPMGPO`.
    fn restore_gpo(
        &self,
        backup: &IGPMBackup,
        validation: DcValidation,
    ) -> Call<'_, DomainRestoreGpo>;
}

impl DomainExt for IGPMDomain {
    fn restore_gpo(
        &self,
        backup: &IGPMBackup,
        validation: DcValidation,
    ) -> Call<'_, DomainRestoreGpo> {
        Call::new(
            self,
            DomainRestoreGpo {
                backup: backup.clone(),
                validation,
            },
        )
    }
}

/// The asynchronous methods of `IGPMDomain2`.
pub trait Domain2Ext {
    /// `LoadStarterGPO`: loads a Starter GPO from a CAB `file`, replacing one with the same
    /// ID if `overwrite`; the result is the `IGPMStarterGPO`.
    fn load_starter_gpo(
        &self,
        file: impl AsRef<Path>,
        overwrite: bool,
    ) -> Call<'_, DomainLoadStarterGpo>;
    /// `RestoreStarterGPO`: restores `backup` into its original domain; the result is the
    /// `IGPMStarterGPO`.
    fn restore_starter_gpo(
        &self,
        backup: &IGPMStarterGPOBackup,
    ) -> Call<'_, DomainRestoreStarterGpo>;
}

impl Domain2Ext for IGPMDomain2 {
    fn load_starter_gpo(
        &self,
        file: impl AsRef<Path>,
        overwrite: bool,
    ) -> Call<'_, DomainLoadStarterGpo> {
        Call::new(
            self,
            DomainLoadStarterGpo {
                file: path_bstr(file.as_ref()),
                overwrite,
            },
        )
    }

    fn restore_starter_gpo(
        &self,
        backup: &IGPMStarterGPOBackup,
    ) -> Call<'_, DomainRestoreStarterGpo> {
        Call::new(
            self,
            DomainRestoreStarterGpo {
                backup: backup.clone(),
            },
        )
    }
}

/// The asynchronous method of `IGPMBackup`.
pub trait BackupExt {
    /// `GenerateReport`: the backed-up GPO's settings as an XML or HTML report.
    fn generate_report(&self, format: ReportFormat) -> Call<'_, BackupReport>;
}

impl BackupExt for IGPMBackup {
    fn generate_report(&self, format: ReportFormat) -> Call<'_, BackupReport> {
        Call::new(self, BackupReport { format })
    }
}

/// The asynchronous method of `IGPMRSOP`.
pub trait RsopExt {
    /// `GenerateReport`: the RSoP data as an XML or HTML report (the query results must
    /// have been created first).
    fn generate_report(&self, format: ReportFormat) -> Call<'_, RsopReport>;
}

impl RsopExt for IGPMRSOP {
    fn generate_report(&self, format: ReportFormat) -> Call<'_, RsopReport> {
        Call::new(self, RsopReport { format })
    }
}

/// The asynchronous methods of `IGPMStarterGPO`.
pub trait StarterGpoExt {
    /// `Save`: saves the Starter GPO into a CAB `file` (replacing it if `overwrite`), as it
    /// is or as a system Starter GPO; the result is the saved Starter GPO's GUID.
    fn save(
        &self,
        file: impl AsRef<Path>,
        overwrite: bool,
        save_as: SaveAs,
    ) -> Call<'_, StarterGpoSave>;
    /// `Backup`: backs the Starter GPO up into `dir` (which must exist) with `comment`.
    fn backup(&self, dir: impl AsRef<Path>, comment: &str) -> Call<'_, StarterGpoBackup>;
    /// `CopyTo`: copies the Starter GPO as a new custom one named `new_name` (`None`: GPMC
    /// names it).
    fn copy_to(&self, new_name: Option<&str>) -> Call<'_, StarterGpoCopy>;
    /// `GenerateReport`: the Starter GPO's settings as an XML or HTML report.
    fn generate_report(&self, format: ReportFormat) -> Call<'_, StarterGpoReport>;
}

impl StarterGpoExt for IGPMStarterGPO {
    fn save(
        &self,
        file: impl AsRef<Path>,
        overwrite: bool,
        save_as: SaveAs,
    ) -> Call<'_, StarterGpoSave> {
        Call::new(self, StarterGpoSave::new(file.as_ref(), overwrite, save_as))
    }

    fn backup(&self, dir: impl AsRef<Path>, comment: &str) -> Call<'_, StarterGpoBackup> {
        Call::new(
            self,
            StarterGpoBackup {
                dir: path_bstr(dir.as_ref()),
                comment: comment.into(),
            },
        )
    }

    fn copy_to(&self, new_name: Option<&str>) -> Call<'_, StarterGpoCopy> {
        Call::new(
            self,
            StarterGpoCopy {
                name: optional_text(new_name),
            },
        )
    }

    fn generate_report(&self, format: ReportFormat) -> Call<'_, StarterGpoReport> {
        Call::new(self, StarterGpoReport { format })
    }
}

impl StarterGpoSave {
    /// The arguments: [`SaveAs::Custom`] passes null for the five system properties, as
    /// they are ignored unless `bSaveAsSystem`.
    fn new(file: &Path, overwrite: bool, save_as: SaveAs) -> Self {
        let (system, properties) = match save_as {
            SaveAs::Custom => (false, SystemStarterGpo::default()),
            SaveAs::System(properties) => (true, properties),
        };
        StarterGpoSave {
            file: path_bstr(file),
            overwrite,
            system,
            language: optional_text(properties.language.as_deref()),
            author: optional_text(properties.author.as_deref()),
            product: optional_text(properties.product.as_deref()),
            unique_id: optional_text(properties.unique_id.as_deref()),
            version: optional_text(properties.version.as_deref()),
        }
    }
}

/// The asynchronous method of `IGPMStarterGPOBackup`.
pub trait StarterGpoBackupExt {
    /// `GenerateReport`: the backed-up Starter GPO's settings as an XML or HTML report.
    fn generate_report(&self, format: ReportFormat) -> Call<'_, StarterGpoBackupReport>;
}

impl StarterGpoBackupExt for IGPMStarterGPOBackup {
    fn generate_report(&self, format: ReportFormat) -> Call<'_, StarterGpoBackupReport> {
        Call::new(self, StarterGpoBackupReport { format })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_gpmc_values() {
        assert_eq!(ImportFlags::default().bits(), 0);
        assert_eq!(
            ImportFlags {
                migration_table_only: true
            }
            .bits(),
            1
        );
        assert_eq!(CopyFlags::default().bits(), 0);
        let both = CopyFlags {
            migration_table_only: true,
            process_security: true,
        };
        assert_eq!(both.bits(), 3);
        assert_eq!(DcValidation::Validate.bits(), 0);
        assert_eq!(DcValidation::DoNotValidate.bits(), 1);
        assert_eq!(GPMReportType::from(ReportFormat::Xml), GPMReportType(0));
        assert_eq!(GPMReportType::from(ReportFormat::Html), GPMReportType(1));
    }

    #[test]
    fn paths_keep_every_unit() {
        use std::os::windows::ffi::OsStringExt;
        let units = [0x0043, 0x003A, 0x005C, 0xD800, 0x0078];
        let path = std::path::PathBuf::from(std::ffi::OsString::from_wide(&units));
        assert_eq!(&*path_bstr(&path), &units[..]);
    }

    /// The text of an optional `VT_BSTR` argument (`None` for a null pointer).
    fn text_of(variant: &Option<VARIANT>) -> Option<String> {
        variant.as_ref().map(|variant| {
            assert_eq!(variant.vt(), windows::Win32::System::Variant::VT_BSTR);
            // SAFETY: the tag says the active member is `bstrVal`; only borrowed.
            unsafe { &variant.Anonymous.Anonymous.Anonymous.bstrVal }.to_string()
        })
    }

    #[test]
    fn save_passes_the_system_properties_only_as_system() {
        let custom = StarterGpoSave::new(Path::new(r"C:\s.cab"), true, SaveAs::Custom);
        assert_eq!(&*custom.file, &*BSTR::from(r"C:\s.cab"));
        assert!(custom.overwrite && !custom.system);
        for property in [
            &custom.language,
            &custom.author,
            &custom.product,
            &custom.unique_id,
            &custom.version,
        ] {
            assert!(optional(property).is_null());
        }
        let system = StarterGpoSave::new(
            Path::new("s.cab"),
            false,
            SaveAs::System(SystemStarterGpo {
                language: Some("en-US".into()),
                author: None,
                product: Some("product".into()),
                unique_id: None,
                version: Some("0001.00002".into()),
            }),
        );
        assert!(!system.overwrite && system.system);
        assert_eq!(text_of(&system.language).as_deref(), Some("en-US"));
        assert_eq!(text_of(&system.author), None);
        assert!(optional(&system.author).is_null());
        assert_eq!(text_of(&system.product).as_deref(), Some("product"));
        assert_eq!(text_of(&system.unique_id), None);
        assert_eq!(text_of(&system.version).as_deref(), Some("0001.00002"));
    }

    #[test]
    fn optional_arguments_are_null_or_a_bstr() {
        assert!(optional(&optional_text(None)).is_null());
        let name = optional_text(Some("Copy"));
        assert!(!optional(&name).is_null());
        assert_eq!(text_of(&name).as_deref(), Some("Copy"));
    }
}
