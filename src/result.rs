//! Results of operations: the [`TypedResult`] trait and the plain [`ResultDescription`].

use core::fmt;

use crate::ResultType;

/// A result object that can say which [`ResultType`] it is.
///
/// The state machine is generic over the result it carries, so that each edge can use its own:
/// traces and tests use the plain [`ResultDescription`], a COM adapter can carry a value built
/// from a live COM object. The machine only ever asks for the type (to judge
/// `unexpected-result`) and moves the value into the outcome.
///
/// ```
/// use gpmc_progress::{ResultType, TypedResult};
///
/// /// A report kept as bytes on disk by the caller.
/// struct ReportFile(std::path::PathBuf);
///
/// impl TypedResult for ReportFile {
///     fn result_type(&self) -> ResultType {
///         ResultType::Text
///     }
/// }
/// assert_eq!(ReportFile("report.xml".into()).result_type(), ResultType::Text);
/// ```
pub trait TypedResult {
    /// The type of this result.
    fn result_type(&self) -> ResultType;
}

impl AsRef<ResultDescription> for ResultDescription {
    fn as_ref(&self) -> &ResultDescription {
        self
    }
}

impl<T: TypedResult + ?Sized> TypedResult for &T {
    fn result_type(&self) -> ResultType {
        (**self).result_type()
    }
}

impl<T: TypedResult + ?Sized> TypedResult for Box<T> {
    fn result_type(&self) -> ResultType {
        (**self).result_type()
    }
}

impl<T: TypedResult + ?Sized> TypedResult for std::sync::Arc<T> {
    fn result_type(&self) -> ResultType {
        (**self).result_type()
    }
}

impl TypedResult for ResultType {
    /// A bare type stands for a result of that type with nothing else known.
    fn result_type(&self) -> ResultType {
        *self
    }
}

/// A plain description of a result object: its type and the properties that identify it.
///
/// This is what traces record (see the [crate docs' Traces section](crate#traces)) and what
/// the state machine carries by default. Every property is optional: `None` means not known,
/// which is not the same as an empty string.
///
/// ```
/// use gpmc_progress::{ResultDescription, ResultType, TypedResult};
///
/// let backup = ResultDescription::Backup {
///     id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
///     gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
///     directory: Some(r"C:\Backups".into()),
///     comment: None,
/// };
/// assert_eq!(backup.result_type(), ResultType::Backup);
/// assert_eq!(ResultDescription::text("<report/>").result_type(), ResultType::Text);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        tag = "type",
        rename_all = "kebab-case",
        deny_unknown_fields,
        from = "wire::ResultRecord"
    )
)]
#[non_exhaustive]
pub enum ResultDescription {
    /// An `IGPMGPO`: the imported, copied or restored GPO.
    Gpo {
        /// `ID`: the GPO's GUID in braces.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        id: Option<String>,
        /// `DisplayName`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        display_name: Option<String>,
        /// `DomainName`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        domain: Option<String>,
    },
    /// An `IGPMBackup`: the backup a GPO backup produced.
    Backup {
        /// `ID`: the backup's GUID in braces.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        id: Option<String>,
        /// `GPOID`: the GUID of the GPO that was backed up.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        gpo_id: Option<String>,
        /// `BackupDir`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        directory: Option<String>,
        /// `Comment`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        comment: Option<String>,
    },
    /// An `IGPMStarterGPO`.
    StarterGpo {
        /// `ID`: the Starter GPO's GUID in braces.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        id: Option<String>,
        /// `DisplayName`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        display_name: Option<String>,
    },
    /// An `IGPMStarterGPOBackup`.
    StarterGpoBackup {
        /// `ID`: the backup's GUID in braces.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        id: Option<String>,
        /// `StarterGPOID`: the GUID of the Starter GPO that was backed up.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        gpo_id: Option<String>,
        /// `BackupDir`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        directory: Option<String>,
        /// `Comment`.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        comment: Option<String>,
    },
    /// A string (`BSTR`): report XML or HTML, or a GUID.
    Text {
        /// The whole string.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        value: Option<String>,
    },
    /// An object whose interface is not identified.
    Object,
}

impl ResultDescription {
    /// A `text` result holding `value`.
    pub fn text(value: impl Into<String>) -> Self {
        ResultDescription::Text {
            value: Some(value.into()),
        }
    }

    /// A result of `result_type` with no property known.
    ///
    /// ```
    /// use gpmc_progress::{ResultDescription, ResultType, TypedResult};
    /// for t in ResultType::ALL {
    ///     assert_eq!(ResultDescription::bare(*t).result_type(), *t);
    /// }
    /// ```
    pub fn bare(result_type: ResultType) -> Self {
        match result_type {
            ResultType::Gpo => ResultDescription::Gpo {
                id: None,
                display_name: None,
                domain: None,
            },
            ResultType::Backup => ResultDescription::Backup {
                id: None,
                gpo_id: None,
                directory: None,
                comment: None,
            },
            ResultType::StarterGpo => ResultDescription::StarterGpo {
                id: None,
                display_name: None,
            },
            ResultType::StarterGpoBackup => ResultDescription::StarterGpoBackup {
                id: None,
                gpo_id: None,
                directory: None,
                comment: None,
            },
            ResultType::Text => ResultDescription::Text { value: None },
            ResultType::Object => ResultDescription::Object,
        }
    }
}

impl fmt::Display for ResultDescription {
    /// The result type's id, then the properties that are known, after `, ` and each named:
    /// the object's own `ID` first without a name, then `gpo` or `starter-gpo` (the GUID of
    /// what was backed up), `name` (`DisplayName`, in quotes), `domain`, `directory`
    /// (`BackupDir`) and `comment` (in quotes). An empty string is shown as `""`.
    ///
    /// A `text` result shows its string in quotes when it is at most 64 characters long and
    /// has no control characters (a GUID, a short report); otherwise how many characters it
    /// has.
    ///
    /// ```
    /// use gpmc_progress::ResultDescription;
    ///
    /// let backup = ResultDescription::Backup {
    ///     id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
    ///     gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
    ///     directory: Some(r"C:\Backups".into()),
    ///     comment: Some("nightly".into()),
    /// };
    /// assert_eq!(
    ///     backup.to_string(),
    ///     r#"backup {2C5A3F7E-0000-4000-8000-000000000001}, gpo {31B2F340-016D-11D2-945F-00C04FB984F9}, directory C:\Backups, comment "nightly""#
    /// );
    /// let gpo = ResultDescription::Gpo {
    ///     id: None,
    ///     display_name: Some("Default Domain Policy".into()),
    ///     domain: Some("example.com".into()),
    /// };
    /// assert_eq!(gpo.to_string(), r#"gpo, name "Default Domain Policy", domain example.com"#);
    /// assert_eq!(ResultDescription::text("{6AC1786C-016F-11D2-945F-00C04FB984F9}").to_string(),
    ///     r#"text "{6AC1786C-016F-11D2-945F-00C04FB984F9}""#);
    /// assert_eq!(ResultDescription::text("<report>\n</report>").to_string(), "text of 18 characters");
    /// assert_eq!(ResultDescription::Object.to_string(), "object");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.result_type())?;
        let id = |f: &mut fmt::Formatter<'_>, id: &Option<String>| match id.as_deref() {
            Some("") => f.write_str(" \"\""),
            Some(id) => write!(f, " {id}"),
            None => Ok(()),
        };
        let plain = |f: &mut fmt::Formatter<'_>, name: &str, value: &Option<String>| match value
            .as_deref()
        {
            Some("") => write!(f, ", {name} \"\""),
            Some(value) => write!(f, ", {name} {value}"),
            None => Ok(()),
        };
        let quoted = |f: &mut fmt::Formatter<'_>, name: &str, value: &Option<String>| match value {
            Some(value) => write!(f, ", {name} \"{value}\""),
            None => Ok(()),
        };
        match self {
            ResultDescription::Gpo {
                id: gpo,
                display_name,
                domain,
            } => {
                id(f, gpo)?;
                quoted(f, "name", display_name)?;
                plain(f, "domain", domain)
            }
            ResultDescription::Backup {
                id: backup,
                gpo_id,
                directory,
                comment,
            } => {
                id(f, backup)?;
                plain(f, "gpo", gpo_id)?;
                plain(f, "directory", directory)?;
                quoted(f, "comment", comment)
            }
            ResultDescription::StarterGpo {
                id: starter,
                display_name,
            } => {
                id(f, starter)?;
                quoted(f, "name", display_name)
            }
            ResultDescription::StarterGpoBackup {
                id: backup,
                gpo_id,
                directory,
                comment,
            } => {
                id(f, backup)?;
                plain(f, "starter-gpo", gpo_id)?;
                plain(f, "directory", directory)?;
                quoted(f, "comment", comment)
            }
            ResultDescription::Text { value: Some(value) } => {
                let characters = value.chars().count();
                if characters <= 64 && !value.chars().any(char::is_control) {
                    write!(f, " \"{value}\"")
                } else {
                    write!(f, " of {characters} characters")
                }
            }
            ResultDescription::Text { value: None } | ResultDescription::Object => Ok(()),
        }
    }
}

/// How a result is read. The same shape as [`ResultDescription`], except that `object` is a
/// struct variant: serde ignores extra fields on a unit variant of an internally tagged enum,
/// and the trace format makes unknown fields an error on every result type, `object` included.
#[cfg(feature = "serde")]
mod wire {
    use super::ResultDescription;

    #[derive(serde::Deserialize)]
    #[serde(
        tag = "type",
        rename_all = "kebab-case",
        deny_unknown_fields,
        expecting = "a result object"
    )]
    pub(super) enum ResultRecord {
        Gpo {
            id: Option<String>,
            display_name: Option<String>,
            domain: Option<String>,
        },
        Backup {
            id: Option<String>,
            gpo_id: Option<String>,
            directory: Option<String>,
            comment: Option<String>,
        },
        StarterGpo {
            id: Option<String>,
            display_name: Option<String>,
        },
        StarterGpoBackup {
            id: Option<String>,
            gpo_id: Option<String>,
            directory: Option<String>,
            comment: Option<String>,
        },
        Text {
            value: Option<String>,
        },
        Object {},
    }

    impl From<ResultRecord> for ResultDescription {
        fn from(record: ResultRecord) -> Self {
            match record {
                ResultRecord::Gpo {
                    id,
                    display_name,
                    domain,
                } => ResultDescription::Gpo {
                    id,
                    display_name,
                    domain,
                },
                ResultRecord::Backup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                } => ResultDescription::Backup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                },
                ResultRecord::StarterGpo { id, display_name } => {
                    ResultDescription::StarterGpo { id, display_name }
                }
                ResultRecord::StarterGpoBackup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                } => ResultDescription::StarterGpoBackup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                },
                ResultRecord::Text { value } => ResultDescription::Text { value },
                ResultRecord::Object {} => ResultDescription::Object,
            }
        }
    }
}

impl TypedResult for ResultDescription {
    fn result_type(&self) -> ResultType {
        match self {
            ResultDescription::Gpo { .. } => ResultType::Gpo,
            ResultDescription::Backup { .. } => ResultType::Backup,
            ResultDescription::StarterGpo { .. } => ResultType::StarterGpo,
            ResultDescription::StarterGpoBackup { .. } => ResultType::StarterGpoBackup,
            ResultDescription::Text { .. } => ResultType::Text,
            ResultDescription::Object => ResultType::Object,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_known_properties() {
        let starter_backup = ResultDescription::StarterGpoBackup {
            id: Some("{B}".into()),
            gpo_id: Some("{S}".into()),
            directory: Some(String::new()),
            comment: Some(String::new()),
        };
        assert_eq!(
            starter_backup.to_string(),
            r#"starter-gpo-backup {B}, starter-gpo {S}, directory "", comment """#
        );
        let starter = ResultDescription::StarterGpo {
            id: Some(String::new()),
            display_name: Some("Baseline".into()),
        };
        assert_eq!(starter.to_string(), r#"starter-gpo "", name "Baseline""#);
        let gpo = ResultDescription::Gpo {
            id: Some("{G}".into()),
            display_name: None,
            domain: None,
        };
        assert_eq!(gpo.to_string(), "gpo {G}");
        assert_eq!(ResultDescription::text("").to_string(), r#"text """#);
        assert_eq!(
            ResultDescription::text("x".repeat(64)).to_string(),
            format!("text \"{}\"", "x".repeat(64))
        );
        assert_eq!(
            ResultDescription::text("x".repeat(65)).to_string(),
            "text of 65 characters"
        );
        for result_type in ResultType::ALL {
            assert_eq!(
                ResultDescription::bare(*result_type).to_string(),
                result_type.id()
            );
        }
    }
}
