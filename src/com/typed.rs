//! Typed results of the asynchronous GPMC methods: [`ResultObject`], the report and GUID
//! strings, and the two results whose interface the documentation and servers disagree on.

use std::marker::PhantomData;

use windows::Win32::System::GroupPolicy::{
    IGPMBackup, IGPMStarterGPO, IGPMStarterGPOBackup, IGPMGPO,
};
use windows_core::Interface;

use super::ComResult;
use crate::ResultDescription;

/// A GPMC object an operation returned: its plain description (`Send + Sync`, read when the
/// finishing call arrived) beside the live object, resolved as `I` on the thread that asks.
///
/// ```no_run
/// # fn show(backup: gpmc_progress::com::ResultObject<windows::Win32::System::GroupPolicy::IGPMBackup>)
/// # -> windows_core::Result<()> {
/// println!("{}", backup.description()); // backup {id} of gpo {id}, directory ..., comment "..."
/// let interface = backup.interface()?; // IGPMBackup, valid on this thread
/// # drop(interface);
/// # Ok(())
/// # }
/// ```
pub struct ResultObject<I> {
    result: ComResult,
    _interface: PhantomData<fn() -> I>,
}

impl<I: Interface> ResultObject<I> {
    /// The plain description: the object's type and identifying properties.
    pub fn description(&self) -> &ResultDescription {
        self.result.description()
    }

    /// The live object as `I`, valid in the calling thread's apartment (see
    /// [`ComResult::interface`]; COM must be initialised on this thread, or it is served in
    /// the multithreaded apartment).
    pub fn interface(&self) -> windows_core::Result<I> {
        self.result.interface()
    }

    /// The result as the sink received it.
    pub fn com_result(&self) -> &ComResult {
        &self.result
    }

    /// The result as the sink received it, by value.
    pub fn into_com_result(self) -> ComResult {
        self.result
    }
}

impl<I> Clone for ResultObject<I> {
    fn clone(&self) -> Self {
        ResultObject {
            result: self.result.clone(),
            _interface: PhantomData,
        }
    }
}

impl<I> PartialEq for ResultObject<I> {
    fn eq(&self, other: &Self) -> bool {
        self.result == other.result
    }
}

impl<I> Eq for ResultObject<I> {}

impl<I> core::fmt::Debug for ResultObject<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("ResultObject").field(&self.result).finish()
    }
}

impl<I> core::fmt::Display for ResultObject<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self.result.description(), f)
    }
}

/// What `IGPMStarterGPO::Backup` returned: Microsoft's documentation says an `IGPMBackup`,
/// a Starter GPO backup is what the method makes; both are accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StarterGpoBackupResult {
    /// An `IGPMStarterGPOBackup`.
    StarterGpoBackup(ResultObject<IGPMStarterGPOBackup>),
    /// An `IGPMBackup`, as documented.
    Backup(ResultObject<IGPMBackup>),
}

/// What `IGPMStarterGPO::CopyTo` returned: Microsoft's documentation says an `IGPMGPO`, a
/// Starter GPO is what the method makes; both are accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StarterGpoCopyResult {
    /// An `IGPMStarterGPO`.
    StarterGpo(ResultObject<IGPMStarterGPO>),
    /// An `IGPMGPO`, as documented.
    Gpo(ResultObject<IGPMGPO>),
}

mod sealed {
    pub trait Sealed {}
}

/// A typed result of an asynchronous GPMC method, made from the [`ComResult`] the sink
/// received (sealed: implemented for the results of the entry points only).
pub trait FromComResult: Sized + sealed::Sealed {
    /// The typed result, or the `ComResult` back when it is of another type (possible only
    /// when the rules in force let an unexpected result through).
    fn from_com_result(result: ComResult) -> Result<Self, Box<ComResult>>;
}

macro_rules! object_result {
    ($interface:ty, $variant:ident) => {
        impl sealed::Sealed for ResultObject<$interface> {}

        impl FromComResult for ResultObject<$interface> {
            fn from_com_result(result: ComResult) -> Result<Self, Box<ComResult>> {
                if matches!(result.description(), ResultDescription::$variant { .. }) {
                    Ok(ResultObject {
                        result,
                        _interface: PhantomData,
                    })
                } else {
                    Err(Box::new(result))
                }
            }
        }
    };
}

object_result!(IGPMGPO, Gpo);
object_result!(IGPMBackup, Backup);
object_result!(IGPMStarterGPO, StarterGpo);
object_result!(IGPMStarterGPOBackup, StarterGpoBackup);

impl sealed::Sealed for String {}

/// A report (XML or HTML) or the GUID `IGPMStarterGPO::Save` returns: a `VT_BSTR`.
impl FromComResult for String {
    fn from_com_result(result: ComResult) -> Result<Self, Box<ComResult>> {
        match result.description() {
            ResultDescription::Text { value: Some(_) } => match result.into_description() {
                ResultDescription::Text { value: Some(value) } => Ok(value),
                _ => unreachable!("matched above"),
            },
            _ => Err(Box::new(result)),
        }
    }
}

impl sealed::Sealed for StarterGpoBackupResult {}

impl FromComResult for StarterGpoBackupResult {
    fn from_com_result(result: ComResult) -> Result<Self, Box<ComResult>> {
        ResultObject::from_com_result(result)
            .map(StarterGpoBackupResult::StarterGpoBackup)
            .or_else(|result| ResultObject::from_com_result(*result).map(Self::Backup))
    }
}

impl sealed::Sealed for StarterGpoCopyResult {}

impl FromComResult for StarterGpoCopyResult {
    fn from_com_result(result: ComResult) -> Result<Self, Box<ComResult>> {
        ResultObject::from_com_result(result)
            .map(StarterGpoCopyResult::StarterGpo)
            .or_else(|result| ResultObject::from_com_result(*result).map(Self::Gpo))
    }
}

/// Compile-time proof that typed results cross threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<ResultObject<IGPMBackup>>();
    send_sync::<StarterGpoBackupResult>();
    send_sync::<StarterGpoCopyResult>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_convert_by_their_description() {
        let backup = ComResult::new(
            ResultDescription::Backup {
                id: Some("{B}".into()),
                gpo_id: None,
                directory: None,
                comment: None,
            },
            ComResult::VT_DISPATCH,
        );
        let typed = ResultObject::<IGPMBackup>::from_com_result(backup.clone()).unwrap();
        assert_eq!(typed.com_result(), &backup);
        assert_eq!(
            ResultObject::<IGPMGPO>::from_com_result(backup.clone()),
            Err(Box::new(backup.clone()))
        );
        assert!(matches!(
            StarterGpoBackupResult::from_com_result(backup.clone()),
            Ok(StarterGpoBackupResult::Backup(_))
        ));
        assert_eq!(
            String::from_com_result(backup.clone()),
            Err(Box::new(backup.clone()))
        );
        // Made with `new`: no live object.
        assert!(typed.interface().is_err());
        let report = ComResult::new(ResultDescription::text("<r/>"), ComResult::VT_BSTR);
        assert_eq!(String::from_com_result(report).unwrap(), "<r/>");
        let starter = ComResult::new(
            ResultDescription::StarterGpo {
                id: None,
                display_name: None,
            },
            ComResult::VT_DISPATCH,
        );
        assert!(matches!(
            StarterGpoCopyResult::from_com_result(starter),
            Ok(StarterGpoCopyResult::StarterGpo(_))
        ));
    }
}
