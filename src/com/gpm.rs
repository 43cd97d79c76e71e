//! [`Gpm`]: the few synchronous GPMC look-ups a program needs before it calls an
//! asynchronous method (the domain, a GPO by ID or display name, a backup, an RSoP query),
//! as safe functions, for code that must not use `unsafe` (such as `gpmc-trace record`).

use std::path::Path;

use windows::Win32::System::Com::{
    CoCreateInstance, CoInitializeEx, IDispatch, CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED,
};
use windows::Win32::System::GroupPolicy::{
    gpoDisplayName, opEquals, rsopLogging, IGPMBackup, IGPMDomain, IGPMGPOCollection, GPM,
    GPM_USE_PDC, IGPM, IGPMGPO, IGPMRSOP,
};
use windows::Win32::System::Variant::VARIANT;
use windows_core::{Interface, BSTR};

use super::methods::path_bstr;

/// The GPMC root object (`GPMgmt.GPM`, `IGPM`) and the look-ups a program makes through it.
///
/// Like every windows-rs interface it belongs to the apartment that created it, so a `Gpm`
/// is neither `Send` nor `Sync`: make it on the thread that uses it (an MTA thread; see
/// [`new`](Self::new) and the module's "Threads, apartments and errors"). What the look-ups
/// find are GPMC objects too, for the same thread; the [`Operation`](super::Operation)s
/// their methods start cross threads.
///
/// In tests, the fake GPMC's root object stands in for it: `Gpm::from(fake.gpm())` (feature
/// `com-fake`), and the code under test takes a `&Gpm`.
///
/// ```no_run
/// use gpmc_progress::com::{Gpm, GpoExt};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let gpm = Gpm::new()?;
/// let domain = gpm.domain("corp.example", None)?;
/// let gpo = match gpm.gpos_named(&domain, "Default Domain Policy")?.as_slice() {
///     [gpo] => gpo.clone(),
///     found => return Err(format!("{} GPOs have that name", found.len()).into()),
/// };
/// let outcome = gpo.backup(r"C:\Backups", "nightly").start()?.wait()?;
/// # drop(outcome);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Gpm(IGPM);

impl From<IGPM> for Gpm {
    /// An `IGPM` already created (or the fake GPMC's, in tests).
    fn from(gpm: IGPM) -> Self {
        Gpm(gpm)
    }
}

impl Gpm {
    /// Initialises COM on this thread (multithreaded; it stays initialised for the thread's
    /// life) and creates `GPMgmt.GPM`.
    ///
    /// Fails with `RPC_E_CHANGED_MODE` (0x80010106) when this thread is in a single-threaded
    /// apartment (a UI thread: make the `Gpm` on a worker thread instead), and with
    /// `REGDB_E_CLASSNOTREG` (0x80040154) when the Group Policy Management Console is not
    /// installed (on a server, the Group Policy Management feature; on a workstation, RSAT).
    /// [`HResult`](crate::HResult)'s alternate form names both.
    ///
    /// ```no_run
    /// use gpmc_progress::com::Gpm;
    /// use gpmc_progress::HResult;
    ///
    /// match Gpm::new() {
    ///     Ok(gpm) => println!("GPMC is there: {gpm:?}"),
    ///     Err(error) if HResult::from(error.code()) == HResult::REGDB_E_CLASSNOTREG => {
    ///         eprintln!("the Group Policy Management Console is not installed");
    ///     }
    ///     Err(error) => eprintln!("GPMC: {:#}", HResult::from(error.code())),
    /// }
    /// ```
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
    /// emulator, GPMC's recommended default, `GPM_USE_PDC`).
    pub fn domain(&self, name: &str, dc: Option<&str>) -> windows_core::Result<IGPMDomain> {
        // SAFETY: a method taking BSTRs we own, on a live interface.
        unsafe {
            self.0.GetDomain(
                &BSTR::from(name),
                &BSTR::from(dc.unwrap_or_default()),
                GPM_USE_PDC as i32,
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
        // SAFETY: methods on live interfaces taking a VARIANT and a criteria object we own.
        let found = unsafe {
            let criteria = self.0.CreateSearchCriteria()?;
            criteria.Add(gpoDisplayName, opEquals, &VARIANT::from(name))?;
            domain.SearchGPOs(&criteria)?
        };
        gpos_in(&found)
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

/// Every GPO of a collection, through its enumerator. Its `Count` is not asked: a vector is
/// never sized from what a server says (an absurd count would abort the process).
fn gpos_in(found: &IGPMGPOCollection) -> windows_core::Result<Vec<IGPMGPO>> {
    let mut gpos = Vec::new();
    // SAFETY: a getter of a live collection; each item is read into a VARIANT we own and
    // released with it.
    unsafe {
        let enumerator = found._NewEnum()?;
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
    }
    Ok(gpos)
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

#[cfg(test)]
mod tests {
    #![allow(non_snake_case)]

    use windows::Win32::Foundation::E_NOTIMPL;
    use windows::Win32::System::GroupPolicy::{IGPMGPOCollection, IGPMGPOCollection_Impl};
    use windows::Win32::System::Ole::IEnumVARIANT;
    use windows::Win32::System::Variant::VARIANT;
    use windows_core::implement;

    use super::gpos_in;

    /// A collection that claims every GPO there could be, and has no enumerator.
    #[implement(IGPMGPOCollection)]
    struct Boastful;

    impl IGPMGPOCollection_Impl for Boastful_Impl {
        fn Count(&self) -> windows_core::Result<i32> {
            Ok(i32::MAX)
        }
        not_implemented! {
            fn get_Item(&self, lindex: i32) -> windows_core::Result<VARIANT>;
            fn _NewEnum(&self) -> windows_core::Result<IEnumVARIANT>;
        }
    }

    dispatch_not_implemented!(Boastful_Impl);

    /// A server's count sizes nothing: the look-up fails as the enumerator does, and the
    /// process lives (a vector of `i32::MAX` interfaces would abort it).
    #[test]
    fn a_collection_that_claims_too_much_sizes_nothing() {
        let found: IGPMGPOCollection = Boastful.into();
        assert_eq!(gpos_in(&found).map(|_| ()).unwrap_err().code(), E_NOTIMPL);
    }
}
