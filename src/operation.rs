//! [`OperationKind`] and [`ResultType`]: which GPMC method runs, and what it may deliver.

use crate::id::id_enum;

id_enum! {
    /// The GPMC asynchronous operations, by their stable ids (see the [crate docs'
    /// table](crate#operations-and-their-results)).
    ///
    /// Each kind says which [`ResultType`]s its successful completion may deliver;
    /// [`OperationKind::Unknown`] accepts any and expects none, so the `missing-result` and
    /// `unexpected-result` rules are not checked for it.
    ///
    /// ```
    /// use gpmc_progress::{OperationKind, ResultType};
    ///
    /// let kind: OperationKind = "gpo-backup".parse()?;
    /// assert_eq!(kind, OperationKind::GpoBackup);
    /// assert_eq!(kind.gpmc_method(), "IGPMGPO::Backup");
    /// assert_eq!(kind.result_types(), &[ResultType::Backup]);
    /// assert!(!kind.allows(ResultType::Gpo));
    /// assert!(OperationKind::Unknown.allows(ResultType::Object));
    /// # Ok::<(), gpmc_progress::ParseIdError>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    #[non_exhaustive]
    pub enum OperationKind ("operation") {
        /// `IGPMGPO::Backup`, delivers a `backup`.
        GpoBackup = "gpo-backup",
        /// `IGPMGPO::Import`, delivers a `gpo`.
        GpoImport = "gpo-import",
        /// `IGPMGPO::CopyTo`, delivers a `gpo`.
        GpoCopy = "gpo-copy",
        /// `IGPMGPO::GenerateReport`, delivers `text`.
        GpoReport = "gpo-report",
        /// `IGPMDomain::RestoreGPO`, delivers a `gpo`.
        DomainRestoreGpo = "domain-restore-gpo",
        /// `IGPMBackup::GenerateReport`, delivers `text`.
        BackupReport = "backup-report",
        /// `IGPMRSOP::GenerateReport`, delivers `text`.
        RsopReport = "rsop-report",
        /// `IGPMDomain2::LoadStarterGPO`, delivers a `starter-gpo`.
        DomainLoadStarterGpo = "domain-load-starter-gpo",
        /// `IGPMDomain2::RestoreStarterGPO`, delivers a `starter-gpo`.
        DomainRestoreStarterGpo = "domain-restore-starter-gpo",
        /// `IGPMStarterGPO::Save`, delivers `text` (the saved Starter GPO's GUID).
        StarterGpoSave = "starter-gpo-save",
        /// `IGPMStarterGPO::Backup`, delivers a `starter-gpo-backup` or a `backup`.
        StarterGpoBackup = "starter-gpo-backup",
        /// `IGPMStarterGPO::CopyTo`, delivers a `starter-gpo` or a `gpo`.
        StarterGpoCopy = "starter-gpo-copy",
        /// `IGPMStarterGPO::GenerateReport`, delivers `text`.
        StarterGpoReport = "starter-gpo-report",
        /// `IGPMStarterGPOBackup::GenerateReport`, delivers `text`.
        StarterGpoBackupReport = "starter-gpo-backup-report",
        /// Any operation (or a trace with no `begin` line): any result type is accepted and
        /// none is required.
        #[default]
        Unknown = "unknown",
    }
}

id_enum! {
    /// The kinds of result object a `Status` call can carry (see the [crate docs'
    /// table](crate#operations-and-their-results)).
    ///
    /// ```
    /// use gpmc_progress::ResultType;
    /// assert_eq!(ResultType::StarterGpoBackup.to_string(), "starter-gpo-backup");
    /// assert_eq!("text".parse::<ResultType>()?, ResultType::Text);
    /// # Ok::<(), gpmc_progress::ParseIdError>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    #[non_exhaustive]
    pub enum ResultType ("result type") {
        /// An `IGPMGPO`.
        Gpo = "gpo",
        /// An `IGPMBackup`.
        Backup = "backup",
        /// An `IGPMStarterGPO`.
        StarterGpo = "starter-gpo",
        /// An `IGPMStarterGPOBackup`.
        StarterGpoBackup = "starter-gpo-backup",
        /// A string (`BSTR`): report XML or HTML, or a GUID.
        Text = "text",
        /// An object whose interface is not identified (allowed only for
        /// [`OperationKind::Unknown`]).
        Object = "object",
    }
}

impl OperationKind {
    /// The GPMC method this kind stands for (`"any"` for [`OperationKind::Unknown`]).
    pub const fn gpmc_method(self) -> &'static str {
        match self {
            OperationKind::GpoBackup => "IGPMGPO::Backup",
            OperationKind::GpoImport => "IGPMGPO::Import",
            OperationKind::GpoCopy => "IGPMGPO::CopyTo",
            OperationKind::GpoReport => "IGPMGPO::GenerateReport",
            OperationKind::DomainRestoreGpo => "IGPMDomain::RestoreGPO",
            OperationKind::BackupReport => "IGPMBackup::GenerateReport",
            OperationKind::RsopReport => "IGPMRSOP::GenerateReport",
            OperationKind::DomainLoadStarterGpo => "IGPMDomain2::LoadStarterGPO",
            OperationKind::DomainRestoreStarterGpo => "IGPMDomain2::RestoreStarterGPO",
            OperationKind::StarterGpoSave => "IGPMStarterGPO::Save",
            OperationKind::StarterGpoBackup => "IGPMStarterGPO::Backup",
            OperationKind::StarterGpoCopy => "IGPMStarterGPO::CopyTo",
            OperationKind::StarterGpoReport => "IGPMStarterGPO::GenerateReport",
            OperationKind::StarterGpoBackupReport => "IGPMStarterGPOBackup::GenerateReport",
            OperationKind::Unknown => "any",
        }
    }

    /// The result types a successful operation of this kind delivers; empty for
    /// [`OperationKind::Unknown`], which defines none (and allows any).
    pub const fn result_types(self) -> &'static [ResultType] {
        use ResultType::*;
        match self {
            OperationKind::GpoBackup => &[Backup],
            OperationKind::GpoImport | OperationKind::GpoCopy | OperationKind::DomainRestoreGpo => {
                &[Gpo]
            }
            OperationKind::GpoReport
            | OperationKind::BackupReport
            | OperationKind::RsopReport
            | OperationKind::StarterGpoSave
            | OperationKind::StarterGpoReport
            | OperationKind::StarterGpoBackupReport => &[Text],
            OperationKind::DomainLoadStarterGpo | OperationKind::DomainRestoreStarterGpo => {
                &[StarterGpo]
            }
            OperationKind::StarterGpoBackup => &[StarterGpoBackup, Backup],
            OperationKind::StarterGpoCopy => &[StarterGpo, Gpo],
            OperationKind::Unknown => &[],
        }
    }

    /// Whether this kind defines a result, so that a successful completion without one
    /// breaks `missing-result`. False only for [`OperationKind::Unknown`].
    pub const fn defines_result(self) -> bool {
        !self.result_types().is_empty()
    }

    /// Whether a result of type `result_type` is allowed for this kind (any is, for
    /// [`OperationKind::Unknown`]).
    pub fn allows(self, result_type: ResultType) -> bool {
        !self.defines_result() || self.result_types().contains(&result_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for kind in OperationKind::ALL {
            assert_eq!(kind.id().parse::<OperationKind>(), Ok(*kind));
        }
        for result_type in ResultType::ALL {
            assert_eq!(
                result_type.to_string().parse::<ResultType>(),
                Ok(*result_type)
            );
        }
        assert_eq!(OperationKind::ALL.len(), 15);
        assert_eq!(ResultType::ALL.len(), 6);
    }

    #[test]
    fn object_is_allowed_only_for_unknown() {
        for kind in OperationKind::ALL {
            assert_eq!(
                kind.allows(ResultType::Object),
                *kind == OperationKind::Unknown,
                "{kind}"
            );
        }
    }

    #[test]
    fn unknown_ids_are_rejected_with_the_input_named() {
        let err = "gpo-backupp".parse::<OperationKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown operation `gpo-backupp`");
        assert!("Text".parse::<ResultType>().is_err());
    }
}
