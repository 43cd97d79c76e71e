//! How the sink reads what COM hands it, against the crate's fake GPMC playing hand-written
//! calls (`com::fake::script`): `Status` is called through the COM vtable from the fake's
//! own MTA thread, with real oleaut32 VARIANTs and BSTRs. Each result VARIANT (none, a BSTR,
//! each GPMC interface, something unexpected), each kind of message collection, a getter
//! that fails, invalid UTF-16, and a synchronous call's `IGPMResult` become plain values;
//! what cannot be read faithfully is kept as far as it could be and reported. Every test
//! checks the updates and the outcome, and that the server released the sink and every
//! fake object.
#![cfg(all(windows, feature = "com-fake"))]

mod com_support;

use com_support::*;
use gpmc_progress::com::fake::script::{
    text, CallSpec, CollectionSpec, ElementSpec, MessageSpec, Props, ResultSpec,
};
use gpmc_progress::com::fake::FakeGpmc;
use gpmc_progress::com::{outcome_from_result, ComResult, ProgressSink};
use gpmc_progress::live::{Location, ReadIssue, ReadProblem};
use gpmc_progress::{
    Breach, HResult, OperationKind, OutcomeKind, ResultDescription, StatusMessage,
};
use windows::Win32::Foundation::E_ACCESSDENIED;

fn backup_props() -> Props {
    Props::of(&[
        ("ID", "{2C5A3F7E-0000-4000-8000-000000000001}"),
        ("GPOID", "{31B2F340-016D-11D2-945F-00C04FB984F9}"),
        ("BackupDir", r"C:\Backups"),
        ("Comment", "nightly"),
    ])
}

fn backup_description() -> ResultDescription {
    ResultDescription::Backup {
        id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
        gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
        directory: Some(r"C:\Backups".into()),
        comment: Some("nightly".into()),
    }
}

#[test]
fn empty_null_and_null_pointers_are_no_result() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::Unknown));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 4).into(),
            CallSpec::progress(1, 4).result(ResultSpec::Empty).into(),
            CallSpec::progress(2, 4).result(ResultSpec::Null).into(),
            CallSpec::progress(3, 4)
                .result(ResultSpec::DispatchNull)
                .into(),
            CallSpec::progress(4, 4)
                .result(ResultSpec::NullPointer)
                // A filled collection, so the test's fakes are counted too.
                .messages(CollectionSpec::of(vec![MessageSpec::new("done")]))
                .into(),
        ],
    );
    // Progress is a latest value: what the observer (or a late reader) had no time for
    // is skipped, and the one current before the message is never.
    assert_eq!(
        seen.all(),
        vec![
            progress(4, 4),
            message(StatusMessage::new("done")),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.result(), None);
    assert_released(&gpmc);
}

#[test]
fn a_bstr_result_is_text_with_the_whole_string() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    // A large report with an embedded NUL and characters outside the BMP.
    let mut report = String::from("<report>\u{0}\u{1F600}");
    report.push_str(&"x".repeat(200_000));
    report.push_str("</report>");
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 1).into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Bstr(report.encode_utf16().collect()))
                .into(),
        ],
    );
    assert_eq!(
        seen.all(),
        vec![progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    let outcome = outcome_of(&sink);
    let result = outcome.result().expect("the report");
    assert_eq!(result.vartype(), ComResult::VT_BSTR);
    assert_eq!(result.description(), &ResultDescription::text(report));
    // No fake object was needed: the BSTR is plain oleaut32 memory.
    assert_eq!(gpmc.objects_alive(), 0);
}

#[test]
fn dispatch_results_of_each_gpmc_interface_are_identified() {
    let _mta = Apartment::mta();
    let cases = [
        (
            OperationKind::GpoImport,
            ResultSpec::Gpo(Props::of(&[
                ("ID", "{6AC1786C-016F-11D2-945F-00C04FB984F9}"),
                ("DisplayName", "Default Domain Controllers Policy"),
                ("DomainName", "corp.example"),
            ])),
            ResultDescription::Gpo {
                id: Some("{6AC1786C-016F-11D2-945F-00C04FB984F9}".into()),
                display_name: Some("Default Domain Controllers Policy".into()),
                domain: Some("corp.example".into()),
            },
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::GpoBackup,
            ResultSpec::Backup(backup_props()),
            backup_description(),
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::GpoBackup,
            ResultSpec::BackupAsUnknown(backup_props()),
            backup_description(),
            ComResult::VT_UNKNOWN,
        ),
        (
            OperationKind::DomainLoadStarterGpo,
            ResultSpec::StarterGpo(Props::of(&[
                ("ID", "{11111111-2222-3333-4444-555555555555}"),
                ("DisplayName", "Baseline"),
            ])),
            ResultDescription::StarterGpo {
                id: Some("{11111111-2222-3333-4444-555555555555}".into()),
                display_name: Some("Baseline".into()),
            },
            ComResult::VT_DISPATCH,
        ),
        (
            OperationKind::StarterGpoBackup,
            ResultSpec::StarterGpoBackup(Props::of(&[
                ("ID", "{AAAAAAAA-0000-4000-8000-000000000002}"),
                ("StarterGPOID", "{11111111-2222-3333-4444-555555555555}"),
                ("BackupDir", r"D:\Starter"),
                ("Comment", ""),
            ])),
            ResultDescription::StarterGpoBackup {
                id: Some("{AAAAAAAA-0000-4000-8000-000000000002}".into()),
                gpo_id: Some("{11111111-2222-3333-4444-555555555555}".into()),
                directory: Some(r"D:\Starter".into()),
                comment: Some(String::new()),
            },
            ComResult::VT_DISPATCH,
        ),
    ];
    for (operation, spec, description, vartype) in cases {
        let gpmc = FakeGpmc::new();
        let (sink, seen) = watched(ProgressSink::builder(operation));
        serve_to(
            &gpmc,
            &sink,
            vec![
                CallSpec::progress(0, 2).into(),
                CallSpec::progress(2, 2).result(spec).into(),
            ],
        );
        assert_eq!(
            seen.all(),
            vec![progress(2, 2), finished(&sink, OutcomeKind::Succeeded)],
            "{operation}"
        );
        let outcome = outcome_of(&sink);
        let result = outcome.result().expect("a result");
        assert_eq!(result.description(), &description, "{operation}");
        assert_eq!(result.vartype(), vartype, "{operation}");
        assert_released(&gpmc);
    }
}

#[test]
fn unexpected_vartypes_and_unknown_objects_are_objects() {
    let _mta = Apartment::mta();
    // VT_I4 where a backup belongs: an `object` keeping its VARTYPE, an unexpected result.
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 1)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            CallSpec::progress(1, 1).result(ResultSpec::Int(7)).into(),
        ],
    );
    let unexpected = Breach::UnexpectedResult {
        result_type: gpmc_progress::ResultType::Object,
        operation: OperationKind::GpoBackup,
    };
    assert_eq!(
        seen.all(),
        vec![
            progress(1, 1),
            anomaly(2, unexpected),
            finished(&sink, OutcomeKind::Succeeded)
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.result(),
        Some(&ComResult::new(ResultDescription::Object, 3))
    );
    assert_released(&gpmc);

    // An object that is none of GPMC's interfaces.
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::Unknown));
    serve_to(
        &gpmc,
        &sink,
        vec![CallSpec::progress(1, 1).result(ResultSpec::Plain).into()],
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.result(),
        Some(&ComResult::new(
            ResultDescription::Object,
            ComResult::VT_DISPATCH
        ))
    );
    assert_eq!(
        seen.all(),
        vec![progress(1, 1), finished(&sink, OutcomeKind::Succeeded)]
    );
    assert_released(&gpmc);
}

#[test]
fn null_empty_and_filled_collections() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let denied = MessageSpec {
        object_path: text("cn={31B2F340-016D-11D2-945F-00C04FB984F9}"),
        error_code: HResult::E_ACCESSDENIED,
        extension_name: text("Security"),
        settings_name: text("Restricted Groups"),
        operation_code: HResult::from_bits(0x8007_0539),
        message: text("access denied while resolving a group"),
    };
    // Success-severity codes must survive (the windows-rs wrapper would turn them into Ok).
    let informational = MessageSpec {
        object_path: text(""),
        error_code: HResult::S_FALSE,
        extension_name: text("Registry"),
        settings_name: text(""),
        operation_code: HResult::from_bits(0x4004_0001),
        message: text("one setting skipped"),
    };
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 3).into(),
            CallSpec::progress(1, 3)
                .messages(CollectionSpec::of(vec![]))
                .into(),
            CallSpec::progress(2, 3)
                .messages(CollectionSpec::of(vec![
                    denied.clone(),
                    informational.clone(),
                    MessageSpec::new("third"),
                ]))
                .into(),
            CallSpec::progress(3, 3)
                .result(ResultSpec::Backup(backup_props()))
                .into(),
        ],
    );
    let denied = StatusMessage::new("access denied while resolving a group")
        .with_object_path("cn={31B2F340-016D-11D2-945F-00C04FB984F9}")
        .with_error_code(HResult::E_ACCESSDENIED)
        .with_extension_name("Security")
        .with_settings_name("Restricted Groups")
        .with_operation_code(HResult::from_bits(0x8007_0539));
    let informational = StatusMessage::new("one setting skipped")
        .with_error_code(HResult::S_FALSE)
        .with_extension_name("Registry")
        .with_operation_code(HResult::from_bits(0x4004_0001));
    assert_eq!(
        seen.all(),
        vec![
            progress(2, 3),
            message(denied.clone()),
            message(informational.clone()),
            message(StatusMessage::new("third")),
            progress(3, 3),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(
        outcome.messages(),
        &[denied, informational, StatusMessage::new("third")]
    );
    assert_eq!(
        outcome.result().map(ComResult::description),
        Some(&backup_description())
    );
    assert_released(&gpmc);
}

#[test]
fn failing_getters_keep_what_could_be_read() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let mut half = MessageSpec::new("unused");
    half.object_path = Err(HResult::E_ACCESSDENIED);
    half.message = Err(HResult::E_OUTOFMEMORY);
    half.extension_name = text("Scripts");
    half.error_code = HResult::E_FAIL;
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &gpmc,
        &sink,
        vec![
            // A message whose getters fail, and an element that is not a message.
            CallSpec::progress(0, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![ElementSpec::Message(half), ElementSpec::NotAMessage(5)],
                    new_enum_fails: None,
                    next_fails_at: None,
                })
                .into(),
            // `_NewEnum` fails: read through Count and Item instead.
            CallSpec::progress(1, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![ElementSpec::Message(MessageSpec::new("by index"))],
                    new_enum_fails: Some(HResult::E_FAIL),
                    next_fails_at: None,
                })
                .into(),
            // The enumerator fails on its second element: the first is kept.
            CallSpec::progress(2, 4)
                .messages(CollectionSpec::Elements {
                    elements: vec![
                        ElementSpec::Message(MessageSpec::new("first")),
                        ElementSpec::Message(MessageSpec::new("never read")),
                    ],
                    new_enum_fails: None,
                    next_fails_at: Some(1),
                })
                .into(),
            // The result's ID getter fails.
            CallSpec::progress(4, 4)
                .result(ResultSpec::Backup(
                    backup_props().with("ID", Err(HResult::E_ACCESSDENIED)),
                ))
                .into(),
        ],
    );
    let kept = StatusMessage::new("")
        .with_error_code(HResult::E_FAIL)
        .with_extension_name("Scripts");
    let failed = |hr: HResult| ReadProblem::GetterFailed(hr);
    assert_eq!(
        seen.all(),
        vec![
            issue(
                1,
                Location::Message(0),
                "ObjectPath",
                failed(HResult::E_ACCESSDENIED)
            ),
            issue(
                1,
                Location::Message(0),
                "Message",
                failed(HResult::E_OUTOFMEMORY)
            ),
            issue(
                1,
                Location::Message(1),
                "element",
                ReadProblem::NotAMessage { vartype: 3 }
            ),
            progress(0, 4),
            message(kept),
            message(StatusMessage::default()),
            issue(2, Location::Collection, "_NewEnum", failed(HResult::E_FAIL)),
            progress(1, 4),
            message(StatusMessage::new("by index")),
            issue(
                3,
                Location::Collection,
                "IEnumVARIANT::Next",
                failed(HResult::E_FAIL)
            ),
            progress(2, 4),
            message(StatusMessage::new("first")),
            issue(4, Location::Result, "ID", failed(HResult::E_ACCESSDENIED)),
            progress(4, 4),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    let outcome = outcome_of(&sink);
    assert_eq!(outcome.messages().len(), 4);
    assert_eq!(
        outcome.result().map(ComResult::description),
        Some(&ResultDescription::Backup {
            id: None,
            gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
            directory: Some(r"C:\Backups".into()),
            comment: Some("nightly".into()),
        })
    );
    assert_released(&gpmc);
}

#[test]
fn invalid_utf16_is_kept_with_replacements_and_reported() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let broken = vec![0x0041, 0xDC00, 0x0042];
    let mut spec = MessageSpec::new("");
    spec.message = Ok(broken.clone());
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoReport));
    serve_to(
        &gpmc,
        &sink,
        vec![
            CallSpec::progress(0, 1)
                .messages(CollectionSpec::of(vec![spec]))
                .into(),
            CallSpec::progress(1, 1)
                .result(ResultSpec::Bstr(vec![0xD800, 0x003C]))
                .into(),
        ],
    );
    assert_eq!(
        seen.all(),
        vec![
            issue(
                1,
                Location::Message(0),
                "Message",
                ReadProblem::InvalidUtf16 { units: broken }
            ),
            progress(0, 1),
            message(StatusMessage::new("A\u{FFFD}B")),
            issue(
                2,
                Location::Result,
                "value",
                ReadProblem::InvalidUtf16 {
                    units: vec![0xD800, 0x003C]
                }
            ),
            progress(1, 1),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    assert_eq!(
        outcome_of(&sink).result().map(ComResult::description),
        Some(&ResultDescription::text("\u{FFFD}<"))
    );
    assert_released(&gpmc);
}

#[test]
fn a_null_enumerator_is_reported_as_such_and_the_collection_is_read_by_index() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let (sink, seen) = watched(ProgressSink::builder(OperationKind::GpoBackup));
    serve_to(
        &gpmc,
        &sink,
        vec![CallSpec::progress(1, 1)
            .messages(CollectionSpec::Elements {
                elements: vec![ElementSpec::Message(MessageSpec::new("by index"))],
                // `_NewEnum` answers S_OK without an enumerator.
                new_enum_fails: Some(HResult::S_OK),
                next_fails_at: None,
            })
            .result(ResultSpec::Backup(backup_props()))
            .into()],
    );
    assert_eq!(
        seen.all(),
        vec![
            issue(1, Location::Collection, "_NewEnum", ReadProblem::NullObject),
            progress(1, 1),
            message(StatusMessage::new("by index")),
            finished(&sink, OutcomeKind::Succeeded),
        ]
    );
    assert_eq!(
        ReadIssue::new(Location::Collection, "_NewEnum", ReadProblem::NullObject).to_string(),
        "message collection: _NewEnum: the getter succeeded without an object"
    );
    assert_released(&gpmc);
}

/// A synchronous call's `IGPMResult` is read as a `Status` call's objects are: the same
/// outcome, success codes kept, what could not be read reported.
#[test]
fn a_synchronous_igpmresult_becomes_the_same_outcome() {
    let _mta = Apartment::mta();
    let gpmc = FakeGpmc::new();
    let result = |overall: HResult, messages: CollectionSpec, result: ResultSpec| {
        gpmc.sync_result(
            &CallSpec::progress(1, 1)
                .hr(overall)
                .messages(messages)
                .result(result),
        )
    };

    // Success: messages from Status, the result from Result, S_FALSE kept.
    let converted = outcome_from_result(Ok(result(
        HResult::S_FALSE,
        CollectionSpec::of(vec![MessageSpec::new("note")]),
        ResultSpec::Backup(backup_props()),
    )));
    assert!(converted.issues.is_empty());
    assert_eq!(converted.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(converted.outcome.hr(), HResult::S_FALSE);
    assert_eq!(converted.outcome.messages(), &[StatusMessage::new("note")]);
    assert_eq!(
        converted.outcome.result().map(ComResult::description),
        Some(&backup_description())
    );

    // OverallStatus failure: failed, the result kept, a null collection is no message.
    let converted = outcome_from_result(Ok(result(
        HResult::E_FAIL,
        CollectionSpec::Null,
        ResultSpec::Backup(backup_props()),
    )));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Failed);
    assert_eq!(converted.outcome.hr(), HResult::E_FAIL);
    assert!(converted.outcome.messages().is_empty());
    assert!(converted.outcome.result().is_some());

    // The method's HRESULT decides first.
    let converted = outcome_from_result(Err(E_ACCESSDENIED.into()));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Failed);
    assert_eq!(converted.outcome.hr(), HResult::E_ACCESSDENIED);
    assert!(converted.outcome.result().is_none());

    // S_OK with a null IGPMResult.
    let converted = outcome_from_result(Err(windows_core::Error::empty()));
    assert_eq!(converted.outcome.kind(), OutcomeKind::Succeeded);
    assert_eq!(
        converted.issues,
        vec![ReadIssue::new(
            Location::Result,
            "ppIGPMResult",
            ReadProblem::NullResultObject
        )]
    );

    // A failing Status getter is reported; the rest is read.
    let converted = outcome_from_result(Ok(result(
        HResult::S_OK,
        CollectionSpec::Fails(HResult::E_OUTOFMEMORY),
        ResultSpec::Bstr("<report/>".encode_utf16().collect()),
    )));
    assert_eq!(
        converted.issues,
        vec![ReadIssue::new(
            Location::Collection,
            "IGPMResult::Status",
            ReadProblem::GetterFailed(HResult::E_OUTOFMEMORY)
        )]
    );
    assert_eq!(
        converted.outcome.result().map(ComResult::description),
        Some(&ResultDescription::text("<report/>"))
    );
    drop(converted);
    assert_released(&gpmc);
}
