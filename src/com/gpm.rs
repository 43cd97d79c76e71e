//! [`Gpm`]: the few synchronous GPMC look-ups a program needs before it calls an
//! asynchronous method (the domain, a GPO by ID or display name, a backup, an RSoP query),
//! as safe functions, for code that must not use `unsafe` (such as `gpmc-trace record`).

use std::path::Path;

use windows::Win32::System::Com::{
    CoCreateInstance, CoInitializeEx, IDispatch, CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{
    gpoDisplayName, opEquals, rsopLogging, IGPMBackup, IGPMDomain, GPM, IGPM, IGPMGPO, IGPMRSOP,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{Interface, BSTR};

use super::methods::path_bstr;

/// The GPMC root object (`GPMgmt.GPM`), created in the multithreaded apartment.
#[derive(Debug, Clone)]
pub struct Gpm(IGPM);

impl Gpm {
    /// Initialises COM on this thread (multithreaded; it stays initialised for the thread's
    /// life) and creates `GPMgmt.GPM`. Fails when COM cannot be initialised as
    /// multithreaded, or when GPMC is not installed (`REGDB_E_CLASSNOTREG`).
    pub fn new() -> windows_core::Result<Self> {
        // SAFETY: no pointers; the initialisation is deliberately never balanced, so every
        // interface this thread gets stays usable until it ends.
        unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) }.ok()?;
        // SAFETY: a class ID constant and no outer object.
        let gpm = unsafe { CoCreateInstance(&GPM, None, CLSCTX_INPROC_SERVER) }?;
        Ok(Gpm(gpm))
    }

    /// The interface itself.
    pub fn interface(&self) -> &IGPM {
        &self.0
    }

    /// `GetDomain`: the domain `name` through the domain controller `dc` (`None`: the PDC
    /// emulator, GPMC's recommended default).
    pub fn domain(&self, name: &str, dc: Option<&str>) -> windows_core::Result<IGPMDomain> {
        // SAFETY: property getters and a method taking BSTRs we own, on live interfaces.
        unsafe {
            let flags = self.0.GetConstants()?.UsePDC()?;
            self.0.GetDomain(
                &BSTR::from(name),
                &BSTR::from(dc.unwrap_or_default()),
                flags,
            )
        }
    }

    /// `IGPMDomain::GetGPO`: the GPO with the ID `guid` (`{...}`).
    pub fn gpo(domain: &IGPMDomain, guid: &str) -> windows_core::Result<IGPMGPO> {
        // SAFETY: a method taking a BSTR we own, on a live interface.
        unsafe { domain.GetGPO(&BSTR::from(guid)) }
    }

    /// `SearchGPOs` with the criterion "display name equals `name`": every GPO of the
    /// domain so named (none, one or several).
    pub fn gpos_named(
        &self,
        domain: &IGPMDomain,
        name: &str,
    ) -> windows_core::Result<Vec<IGPMGPO>> {
        // SAFETY: methods on live interfaces taking a VARIANT and a criteria object we own;
        // each collection item is read into a VARIANT we own and released with it.
        unsafe {
            let criteria = self.0.CreateSearchCriteria()?;
            criteria.Add(gpoDisplayName, opEquals, &VARIANT::from(name))?;
            let found = domain.SearchGPOs(&criteria)?;
            let count = found.Count()?;
            let enumerator = found._NewEnum()?;
            let mut gpos = Vec::with_capacity(count.max(0) as usize);
            loop {
                let mut item = [VARIANT::default()];
                let mut fetched = 0u32;
                enumerator.Next(&mut item, &mut fetched).ok()?;
                if fetched == 0 {
                    break;
                }
                let dispatch = IDispatch::try_from(&item[0])?;
                gpos.push(dispatch.cast::<IGPMGPO>()?);
            }
            Ok(gpos)
        }
    }

    /// `GetBackupDir(dir).GetBackup(id)`: the GPO backup `id` (`{...}`) in `dir`.
    pub fn backup(&self, dir: impl AsRef<Path>, id: &str) -> windows_core::Result<IGPMBackup> {
        // SAFETY: methods taking BSTRs we own, on live interfaces.
        unsafe {
            self.0
                .GetBackupDir(&path_bstr(dir.as_ref()))?
                .GetBackup(&BSTR::from(id))
        }
    }

    /// `GetRSOP` in logging mode for `computer` and `user` (`None`: GPMC's default, the
    /// local computer and no user data), with its query results created (`CreateQueryResults`);
    /// they are released (`ReleaseQueryResults`) when the returned query is dropped.
    pub fn rsop_logging(
        &self,
        computer: Option<&str>,
        user: Option<&str>,
    ) -> windows_core::Result<RsopQuery> {
        // SAFETY: methods taking BSTRs we own, on live interfaces.
        unsafe {
            let rsop = self.0.GetRSOP(rsopLogging, &BSTR::new(), 0)?;
            if let Some(computer) = computer {
                rsop.SetLoggingComputer(&BSTR::from(computer))?;
            }
            if let Some(user) = user {
                rsop.SetLoggingUser(&BSTR::from(user))?;
            }
            rsop.CreateQueryResults()?;
            Ok(RsopQuery(rsop))
        }
    }
}

/// Display name and ID of a GPO, for messages.
pub fn gpo_name_and_id(gpo: &IGPMGPO) -> windows_core::Result<(String, String)> {
    // SAFETY: property getters of a live interface.
    unsafe { Ok((gpo.DisplayName()?.to_string(), gpo.ID()?.to_string())) }
}

/// An `IGPMRSOP` with query results, released when dropped.
#[derive(Debug)]
pub struct RsopQuery(IGPMRSOP);

impl RsopQuery {
    /// The RSoP object, ready for `GenerateReport`.
    pub fn rsop(&self) -> &IGPMRSOP {
        &self.0
    }
}

impl Drop for RsopQuery {
    fn drop(&mut self) {
        // SAFETY: balances the CreateQueryResults of `Gpm::rsop_logging` on a live interface.
        let _ = unsafe { self.0.ReleaseQueryResults() };
    }
}
