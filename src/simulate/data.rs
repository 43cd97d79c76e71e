//! The generated data of a simulation: a small seedable generator, and the texts, GUIDs and
//! results a real run might report.

use crate::{HResult, ResultDescription, ResultType, StatusMessage};

/// A small, fast, seedable generator (SplitMix64): enough for picking texts and GUIDs.
#[derive(Debug, Clone)]
pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    /// A random (version 4) GUID in braces, uppercase, as GPMC writes them.
    pub(super) fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{{{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0x0FFF,
            0x8000 | (b >> 48) & 0x3FFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Warnings a real run might report: (extension, error code, text).
const WARNINGS: &[(&str, HResult, &str)] = &[
    (
        "Registry",
        HResult::S_OK,
        "one registry setting could not be read and was skipped",
    ),
    (
        "Security",
        HResult::E_ACCESSDENIED,
        "a group could not be resolved to a security identifier; the entry was kept as text",
    ),
    (
        "Scripts",
        HResult::ERROR_FILE_NOT_FOUND,
        "a logon script referenced by the GPO is missing from SYSVOL",
    ),
    (
        "Folder Redirection",
        HResult::ERROR_PATH_NOT_FOUND,
        "the redirection target path is not reachable",
    ),
    (
        "Software Installation",
        HResult::ERROR_FILE_NOT_FOUND,
        "a package source path is not reachable",
    ),
    (
        "Internet Explorer Maintenance",
        HResult::S_FALSE,
        "settings of an obsolete extension were carried over as they are",
    ),
    (
        "Group Policy Preferences",
        HResult::E_ACCESSDENIED,
        "a preference item refers to a file that cannot be read",
    ),
];

pub(super) fn warning(rng: &mut SplitMix64) -> StatusMessage {
    let (extension, code, text) = *rng.pick(WARNINGS);
    StatusMessage::new(text)
        .with_extension_name(extension)
        .with_error_code(code)
        .with_operation_code(HResult::from_bits(1 + (rng.next() % 3) as u32))
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

pub(super) fn failure_message(hr: HResult, rng: &mut SplitMix64) -> StatusMessage {
    let text = match hr.description() {
        Some(description) => format!("the operation stopped: {description}"),
        None => format!("the operation stopped with {hr}"),
    };
    StatusMessage::new(text)
        .with_error_code(hr)
        .with_object_path(format!(
            "cn={},cn=policies,cn=system,DC=example,DC=test",
            rng.guid()
        ))
}

pub(super) fn result_of(result_type: ResultType, rng: &mut SplitMix64) -> ResultDescription {
    match result_type {
        ResultType::Gpo => ResultDescription::Gpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Workstation Policy".into()),
            domain: Some("example.test".into()),
        },
        ResultType::Backup => ResultDescription::Backup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::StarterGpo => ResultDescription::StarterGpo {
            id: Some(rng.guid()),
            display_name: Some("Simulated Starter GPO".into()),
        },
        ResultType::StarterGpoBackup => ResultDescription::StarterGpoBackup {
            id: Some(rng.guid()),
            gpo_id: Some(rng.guid()),
            directory: Some(r"C:\Starter GPO Backups".into()),
            comment: Some("simulated backup".into()),
        },
        ResultType::Text => ResultDescription::text(format!(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><GPO><Identifier>{}</Identifier></GPO>",
            rng.guid()
        )),
        ResultType::Object => ResultDescription::Object,
    }
}

/// The generator's state, to go on from it later (the answer to a cancel request).
impl SplitMix64 {
    pub(super) fn state(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_guids_look_like_guids() {
        let (mut one, mut two) = (SplitMix64::new(42), SplitMix64::new(42));
        assert_eq!(one.next(), two.next());
        let guid = SplitMix64::new(1).guid();
        assert_eq!(guid.len(), 38);
        assert_eq!(&guid[15..16], "4");
        assert_eq!(SplitMix64::new(one.state()).next(), one.next());
    }
}
