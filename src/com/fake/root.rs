//! The fake GPMC's root object (`IGPM`) and what its look-ups hand out: the domain, a GPO
//! search and its result, a backup directory and its backups, an RSoP object.
#![allow(non_snake_case)]

use std::sync::{Arc, Mutex};

use windows::Win32::Foundation::{E_INVALIDARG, E_NOTIMPL, VARIANT_BOOL};
use windows::Win32::System::Com::IDispatch;
use windows::Win32::System::GroupPolicy::*;
use windows::Win32::System::Ole::IEnumVARIANT;
use windows::Win32::System::Variant::VARIANT;
use windows_core::{implement, Interface, Ref, BSTR};

use super::objects::{FakeBackup, FakeDomain, FakeGpo, FakeRsop};
use super::status::{item_at, FakeEnum, Items};
use super::{lock, variant, Counted, FakeArgument, FakeGpmc, DOMAIN};
use crate::HResult;

/// `IGPM`: `GetDomain` (the fake's one domain), `CreateSearchCriteria`, `GetBackupDir` and
/// `GetRSOP`.
#[implement(IGPM)]
pub(super) struct FakeGpm {
    counted: Counted,
}

impl FakeGpm {
    pub(super) fn new(gpmc: &FakeGpmc) -> Self {
        FakeGpm {
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPM_Impl for FakeGpm_Impl {
    fn GetDomain(
        &self,
        bstrdomain: &BSTR,
        _bstrdomaincontroller: &BSTR,
        _ldcflags: i32,
    ) -> windows_core::Result<IGPMDomain> {
        if String::from_utf16_lossy(bstrdomain).eq_ignore_ascii_case(DOMAIN) {
            IGPMDomain2::from(FakeDomain::new(self.counted.gpmc())).cast()
        } else {
            Err(windows_core::HRESULT::from(HResult::ERROR_NO_SUCH_DOMAIN).into())
        }
    }
    fn GetBackupDir(&self, bstrbackupdir: &BSTR) -> windows_core::Result<IGPMBackupDir> {
        Ok(FakeBackupDir {
            directory: String::from_utf16_lossy(bstrbackupdir),
            counted: Counted::new(self.counted.gpmc()),
        }
        .into())
    }
    fn GetRSOP(
        &self,
        _gpmrsopmode: GPMRSOPMode,
        _bstrnamespace: &BSTR,
        _lflags: i32,
    ) -> windows_core::Result<IGPMRSOP> {
        Ok(FakeRsop::new(self.counted.gpmc()).into())
    }
    fn CreateSearchCriteria(&self) -> windows_core::Result<IGPMSearchCriteria> {
        Ok(FakeSearchCriteria {
            criteria: Mutex::new(Vec::new()),
            _counted: Counted::new(self.counted.gpmc()),
        }
        .into())
    }
    not_implemented! {
        fn GetSitesContainer(&self, bstrforest: &BSTR, bstrdomain: &BSTR, bstrdomaincontroller: &BSTR, ldcflags: i32) -> windows_core::Result<IGPMSitesContainer>;
        fn CreatePermission(&self, bstrtrustee: &BSTR, perm: GPMPermissionType, binheritable: VARIANT_BOOL) -> windows_core::Result<IGPMPermission>;
        fn CreateTrustee(&self, bstrtrustee: &BSTR) -> windows_core::Result<IGPMTrustee>;
        fn GetClientSideExtensions(&self) -> windows_core::Result<IGPMCSECollection>;
        fn GetConstants(&self) -> windows_core::Result<IGPMConstants>;
        fn GetMigrationTable(&self, bstrmigrationtablepath: &BSTR) -> windows_core::Result<IGPMMigrationTable>;
        fn CreateMigrationTable(&self) -> windows_core::Result<IGPMMigrationTable>;
        fn InitializeReporting(&self, bstradmpath: &BSTR) -> windows_core::Result<()>;
    }
}

/// `IGPMSearchCriteria`: records what it is given, for the domain's `SearchGPOs`.
#[implement(IGPMSearchCriteria)]
pub(super) struct FakeSearchCriteria {
    criteria: Mutex<Vec<(GPMSearchProperty, GPMSearchOperation, FakeArgument)>>,
    _counted: Counted,
}

impl IGPMSearchCriteria_Impl for FakeSearchCriteria_Impl {
    fn Add(
        &self,
        searchproperty: GPMSearchProperty,
        searchoperation: GPMSearchOperation,
        varvalue: &VARIANT,
    ) -> windows_core::Result<()> {
        let value = variant(varvalue);
        lock(&self.criteria).push((searchproperty, searchoperation, value));
        Ok(())
    }
}

/// The GPOs of the fake's domain that `criteria` selects (all of them without criteria):
/// only "display name equals" is understood (`E_NOTIMPL` for any other criterion), and only
/// from the fake's own search criteria (`E_INVALIDARG` for another object).
pub(super) fn search_gpos(
    gpmc: &FakeGpmc,
    criteria: Option<&IGPMSearchCriteria>,
) -> windows_core::Result<Vec<(String, String)>> {
    let mut gpos = gpmc.gpo_entries();
    let Some(criteria) = criteria else {
        return Ok(gpos);
    };
    let criteria = crate::com::ours::<FakeSearchCriteria>(criteria)
        .ok_or_else(|| windows_core::Error::from(E_INVALIDARG))?;
    for (property, operation, value) in lock(&criteria.criteria).iter() {
        match (*property, *operation, value) {
            (property, operation, FakeArgument::Text(name))
                if property == gpoDisplayName && operation == opEquals =>
            {
                gpos.retain(|(_, display_name)| display_name == name);
            }
            _ => return Err(E_NOTIMPL.into()),
        }
    }
    Ok(gpos)
}

/// GPOs of the domain, as a collection hands them out.
struct Gpos(Vec<(String, String)>);

impl Items for Gpos {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn item(&self, index: usize, gpmc: &FakeGpmc) -> VARIANT {
        let (id, display_name) = &self.0[index];
        let gpo: IGPMGPO = FakeGpo::in_domain(gpmc, id, display_name).into();
        VARIANT::from(IDispatch::from(gpo))
    }
}

/// `IGPMGPOCollection`: what `SearchGPOs` found (1-based, as GPMC's collections).
#[implement(IGPMGPOCollection)]
pub(super) struct FakeGpoCollection {
    gpos: Arc<Gpos>,
    counted: Counted,
}

impl FakeGpoCollection {
    pub(super) fn new(gpmc: &FakeGpmc, gpos: Vec<(String, String)>) -> Self {
        FakeGpoCollection {
            gpos: Arc::new(Gpos(gpos)),
            counted: Counted::new(gpmc),
        }
    }
}

impl IGPMGPOCollection_Impl for FakeGpoCollection_Impl {
    fn Count(&self) -> windows_core::Result<i32> {
        Ok(i32::try_from(self.gpos.len()).unwrap_or(i32::MAX))
    }
    fn get_Item(&self, lindex: i32) -> windows_core::Result<VARIANT> {
        item_at(&*self.gpos, lindex, self.counted.gpmc())
    }
    fn _NewEnum(&self) -> windows_core::Result<IEnumVARIANT> {
        Ok(FakeEnum::new(
            Arc::clone(&self.gpos) as Arc<dyn Items>,
            self.counted.gpmc(),
        )
        .into())
    }
}

/// `IGPMBackupDir`: the backups the fake made into that directory (and its own backup).
#[implement(IGPMBackupDir)]
struct FakeBackupDir {
    directory: String,
    counted: Counted,
}

impl IGPMBackupDir_Impl for FakeBackupDir_Impl {
    fn BackupDirectory(&self) -> windows_core::Result<BSTR> {
        Ok(BSTR::from(self.directory.as_str()))
    }
    fn GetBackup(&self, bstrid: &BSTR) -> windows_core::Result<IGPMBackup> {
        let gpmc = self.counted.gpmc();
        match gpmc.backup_entry(&self.directory, &String::from_utf16_lossy(bstrid)) {
            Some(props) => Ok(FakeBackup::new(gpmc, props).into()),
            None => Err(windows_core::HRESULT::from(HResult::ERROR_FILE_NOT_FOUND).into()),
        }
    }
    fn SearchBackups(
        &self,
        _pigpmsearchcriteria: Ref<IGPMSearchCriteria>,
    ) -> windows_core::Result<IGPMBackupCollection> {
        Err(E_NOTIMPL.into())
    }
}

dispatch_not_implemented!(
    FakeGpm_Impl,
    FakeSearchCriteria_Impl,
    FakeGpoCollection_Impl,
    FakeBackupDir_Impl,
);

/// Compile-time proof that these objects may be called on any thread (they are agile).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeGpm>();
    send_sync::<FakeSearchCriteria>();
    send_sync::<FakeGpoCollection>();
    send_sync::<FakeBackupDir>();
};
