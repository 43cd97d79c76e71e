//! serde_json forms of the public types: round trips, the exact JSON traces use (HRESULT
//! strings, `result` objects, ids; see the crate docs' Traces section), and the inputs each
//! form must reject.
#![cfg(feature = "serde")]

use gpmc_progress::{
    HResult, OperationKind, OperationOutcome, OutcomeKind, ProgressFraction, ResultDescription,
    ResultType, Rule, RuleSetting, Rules, StatusCall, StatusMessage,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Writes `value` as JSON and reads it back.
fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).expect("serializes");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{text} does not read back: {err}"))
}

fn rejects<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
    match serde_json::from_str::<T>(text) {
        Ok(value) => panic!("{text} was accepted as {value:?}"),
        Err(err) => err.to_string(),
    }
}

// ---- HResult ---------------------------------------------------------------------------

#[test]
fn hresult_writes_0x_and_eight_uppercase_hex_digits() {
    for (hr, text) in [
        (HResult::S_OK, "\"0x00000000\""),
        (HResult::S_FALSE, "\"0x00000001\""),
        (HResult::E_ACCESSDENIED, "\"0x80070005\""),
        (HResult::ERROR_CANCELLED, "\"0x800704C7\""),
        (HResult::E_UNEXPECTED, "\"0x8000FFFF\""),
        (HResult::new(i32::MIN), "\"0x80000000\""),
        (HResult::new(-1), "\"0xFFFFFFFF\""),
        (HResult::new(i32::MAX), "\"0x7FFFFFFF\""),
    ] {
        assert_eq!(serde_json::to_string(&hr).unwrap(), text);
        assert_eq!(serde_json::from_str::<HResult>(text).unwrap(), hr);
    }
}

#[test]
fn hresult_reads_every_contract_form_at_the_boundaries() {
    for (text, bits) in [
        ("\"0x0\"", 0),
        ("\"0X0\"", 0),
        ("\"0x4c7\"", 0x4C7),
        ("\"0x800704c7\"", 0x8007_04C7),
        ("\"0XFFFFFFFF\"", u32::MAX),
        ("\"0x00000000\"", 0),
        ("0", 0),
        ("-1", u32::MAX),
        ("-2147483648", 0x8000_0000),
        ("2147483647", 0x7FFF_FFFF),
        ("2147483648", 0x8000_0000),
        ("4294967295", u32::MAX),
    ] {
        assert_eq!(
            serde_json::from_str::<HResult>(text).unwrap(),
            HResult::from_bits(bits),
            "{text}"
        );
    }
}

#[test]
fn hresult_rejects_everything_else() {
    for text in [
        "\"0x\"",
        "\"0X\"",
        "\"0x123456789\"",
        "\"0x000000000\"",
        "\"0xG\"",
        "\"0x-1\"",
        "\"0x 1\"",
        "\" 0x1\"",
        "\"80070005\"",
        "\"1223\"",
        "\"E_FAIL\"",
        "\"\"",
        "-2147483649",
        "4294967296",
        "18446744073709551615",
        "-9223372036854775808",
        "1.0",
        "0.5",
        "1e3",
        "-1.0",
        "null",
        "true",
        "[]",
        "{}",
    ] {
        rejects::<HResult>(text);
    }
    assert!(rejects::<HResult>("4294967296").contains("4294967296"));
    assert!(rejects::<HResult>("-2147483649").contains("-2147483649"));
}

proptest! {
    #[test]
    fn hresult_round_trips_every_bit_pattern(bits in any::<u32>()) {
        let hr = HResult::from_bits(bits);
        let text = serde_json::to_string(&hr).unwrap();
        prop_assert_eq!(&text, &format!("\"0x{bits:08X}\""));
        prop_assert_eq!(serde_json::from_str::<HResult>(&text).unwrap(), hr);
        // Any case and any number of leading zeros up to eight digits.
        let lower = format!("\"0x{bits:x}\"");
        prop_assert_eq!(serde_json::from_str::<HResult>(&lower).unwrap(), hr);
    }

    #[test]
    fn hresult_reads_integers_exactly_in_range(value in prop_oneof![
        any::<i64>(),
        -2_147_483_650i64..=-2_147_483_646,
        4_294_967_293i64..=4_294_967_298,
        i64::from(i32::MIN)..=i64::from(u32::MAX),
    ]) {
        let parsed = serde_json::from_str::<HResult>(&value.to_string());
        if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&value) {
            // Negative values are the signed HRESULT, large ones the unsigned bit pattern.
            prop_assert_eq!(parsed.unwrap().bits(), value as u32);
        } else {
            prop_assert!(parsed.is_err(), "{} accepted", value);
        }
    }

    #[test]
    fn hresult_rejects_nine_or_more_hex_digits(bits in any::<u32>(), extra in 1usize..4) {
        let text = format!("\"0x{}{bits:08X}\"", "0".repeat(extra));
        prop_assert!(serde_json::from_str::<HResult>(&text).is_err());
    }
}

// ---- ProgressFraction -------------------------------------------------------------------

#[test]
fn fraction_reads_and_writes_its_two_numbers() {
    let fraction = ProgressFraction::new(3, 8).unwrap();
    assert_eq!(
        serde_json::to_value(fraction).unwrap(),
        json!({"numerator": 3, "denominator": 8})
    );
    assert_eq!(round_trip(&fraction), fraction);
    let zero = ProgressFraction::new(0, 0).unwrap();
    assert_eq!(round_trip(&zero), zero);
}

#[test]
fn fraction_rejects_invalid_pairs_and_shapes() {
    assert_eq!(
        rejects::<ProgressFraction>(r#"{"numerator":4,"denominator":3}"#),
        "progress numerator 4 exceeds denominator 3"
    );
    assert_eq!(
        rejects::<ProgressFraction>(r#"{"numerator":-1,"denominator":3}"#),
        "progress -1/3 is negative"
    );
    for text in [
        r#"{"numerator":0,"denominator":-1}"#,
        r#"{"numerator":0}"#,
        r#"{"denominator":0}"#,
        r#"{"numerator":0,"denominator":1,"percent":0}"#,
        r#"{"numerator":0,"denominator":2147483648}"#,
        r#"{"numerator":0.0,"denominator":1}"#,
        r#"{"numerator":null,"denominator":1}"#,
        r#""3/8""#,
        "[9,3]",
    ] {
        rejects::<ProgressFraction>(text);
    }
}

proptest! {
    #[test]
    fn fraction_serde_accepts_exactly_the_valid_pairs(
        numerator in prop_oneof![any::<i32>(), -2..=10i32],
        denominator in prop_oneof![any::<i32>(), -2..=10i32],
    ) {
        let text = json!({"numerator": numerator, "denominator": denominator}).to_string();
        let parsed = serde_json::from_str::<ProgressFraction>(&text);
        match ProgressFraction::new(numerator, denominator) {
            Ok(fraction) => {
                prop_assert_eq!(parsed.unwrap(), fraction);
                prop_assert_eq!(round_trip(&fraction), fraction);
            }
            Err(err) => prop_assert_eq!(parsed.unwrap_err().to_string(), err.to_string()),
        }
    }
}

// ---- StatusMessage ----------------------------------------------------------------------

#[test]
fn message_matches_the_contract_example() {
    let text = r#"{"object_path":"cn={31B2F340-016D-11D2-945F-00C04FB984F9}","error_code":"0x80070005","extension_name":"Security","settings_name":"","operation_code":"0x00000000","message":"access denied while resolving a group"}"#;
    let message: StatusMessage = serde_json::from_str(text).unwrap();
    assert_eq!(
        message,
        StatusMessage::new("access denied while resolving a group")
            .with_object_path("cn={31B2F340-016D-11D2-945F-00C04FB984F9}")
            .with_error_code(HResult::E_ACCESSDENIED)
            .with_extension_name("Security")
    );
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn message_fields_are_optional_and_unknown_ones_rejected() {
    assert_eq!(
        serde_json::from_str::<StatusMessage>("{}").unwrap(),
        StatusMessage::default()
    );
    assert_eq!(
        serde_json::from_str::<StatusMessage>(r#"{"error_code":-2147024891}"#).unwrap(),
        StatusMessage::default().with_error_code(HResult::E_ACCESSDENIED)
    );
    assert!(rejects::<StatusMessage>(r#"{"text":"x"}"#).contains("unknown field `text`"));
    rejects::<StatusMessage>(r#"{"error_code":"0x"}"#);
    rejects::<StatusMessage>(r#"{"message":1}"#);
}

// ---- ResultDescription ------------------------------------------------------------------

#[test]
fn result_matches_the_contract_trace_objects() {
    let backup = ResultDescription::Backup {
        id: Some("{2C5A3F7E-0000-4000-8000-000000000001}".into()),
        gpo_id: Some("{31B2F340-016D-11D2-945F-00C04FB984F9}".into()),
        directory: Some(r"C:\Backups".into()),
        comment: Some("nightly".into()),
    };
    let trace = r#"{"type":"backup","id":"{2C5A3F7E-0000-4000-8000-000000000001}","gpo_id":"{31B2F340-016D-11D2-945F-00C04FB984F9}","directory":"C:\\Backups","comment":"nightly"}"#;
    assert_eq!(serde_json::to_string(&backup).unwrap(), trace);
    assert_eq!(
        serde_json::from_str::<ResultDescription>(trace).unwrap(),
        backup
    );

    let cases = [
        (
            ResultDescription::Gpo {
                id: Some("{1}".into()),
                display_name: Some("Default Domain Policy".into()),
                domain: Some("contoso.com".into()),
            },
            json!({"type":"gpo","id":"{1}","display_name":"Default Domain Policy","domain":"contoso.com"}),
        ),
        (
            ResultDescription::StarterGpo {
                id: Some("{2}".into()),
                display_name: None,
            },
            json!({"type":"starter-gpo","id":"{2}"}),
        ),
        (
            ResultDescription::StarterGpoBackup {
                id: None,
                gpo_id: Some("{3}".into()),
                directory: None,
                comment: Some(String::new()),
            },
            json!({"type":"starter-gpo-backup","gpo_id":"{3}","comment":""}),
        ),
        (
            ResultDescription::text("<report/>"),
            json!({"type":"text","value":"<report/>"}),
        ),
        (
            ResultDescription::Text { value: None },
            json!({"type":"text"}),
        ),
        (ResultDescription::Object, json!({"type":"object"})),
    ];
    for (result, expected) in cases {
        assert_eq!(serde_json::to_value(&result).unwrap(), expected);
        assert_eq!(
            serde_json::from_value::<ResultDescription>(expected).unwrap(),
            result
        );
    }
    for result_type in ResultType::ALL {
        assert_eq!(
            serde_json::to_value(ResultDescription::bare(*result_type)).unwrap(),
            json!({"type": result_type.id()})
        );
    }
}

#[test]
fn result_optional_null_is_absent() {
    assert_eq!(
        serde_json::from_str::<ResultDescription>(r#"{"type":"gpo","id":null,"domain":"d"}"#)
            .unwrap(),
        ResultDescription::Gpo {
            id: None,
            display_name: None,
            domain: Some("d".into())
        }
    );
}

#[test]
fn result_rejects_unknown_fields_types_and_a_missing_type() {
    for text in [
        // A property of another type.
        r#"{"type":"gpo","gpo_id":"x"}"#,
        r#"{"type":"starter-gpo","domain":"x"}"#,
        r#"{"type":"text","value":"a","id":"b"}"#,
        r#"{"type":"backup","name":"x"}"#,
        // `object` has no properties at all.
        r#"{"type":"object","id":"x"}"#,
        r#"{"type":"object","value":null}"#,
        // Unknown, missing, null or miscased type.
        r#"{"type":"report","value":"x"}"#,
        r#"{"type":"Text"}"#,
        r#"{"value":"x"}"#,
        r#"{"type":null}"#,
        "{}",
        // Wrong JSON types.
        r#"{"type":"text","value":1}"#,
        r#""text""#,
        "null",
    ] {
        rejects::<ResultDescription>(text);
    }
    assert!(rejects::<ResultDescription>(r#"{"type":"object","id":"x"}"#).contains("id"));
}

// ---- ids ----------------------------------------------------------------------------------

#[test]
fn ids_are_written_and_read_as_kebab_case_strings() {
    fn check<T>(values: &[T], id: fn(&T) -> &'static str)
    where
        T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for value in values {
            let text = serde_json::to_string(value).unwrap();
            assert_eq!(text, format!("\"{}\"", id(value)));
            assert_eq!(&serde_json::from_str::<T>(&text).unwrap(), value);
            rejects::<T>(&text.to_uppercase());
        }
        rejects::<T>("\"no-such-id\"");
        rejects::<T>("0");
        rejects::<T>("null");
    }
    check(OperationKind::ALL, |kind| kind.id());
    check(ResultType::ALL, |kind| kind.id());
    check(Rule::ALL, |rule| rule.id());
    assert_eq!(
        serde_json::to_string(&OperationKind::DomainRestoreStarterGpo).unwrap(),
        "\"domain-restore-starter-gpo\""
    );
    assert!(rejects::<Rule>("\"numerator-decrease\"").contains("numerator-decrease"));
}

#[test]
fn outcome_kinds_and_settings_are_lowercase_words() {
    for (kind, text) in [
        (OutcomeKind::Succeeded, "\"succeeded\""),
        (OutcomeKind::Failed, "\"failed\""),
        (OutcomeKind::Cancelled, "\"cancelled\""),
    ] {
        assert_eq!(serde_json::to_string(&kind).unwrap(), text);
        assert_eq!(serde_json::from_str::<OutcomeKind>(text).unwrap(), kind);
    }
    assert_eq!(
        serde_json::to_string(&RuleSetting::Anomaly).unwrap(),
        "\"anomaly\""
    );
    rejects::<RuleSetting>("\"Violation\"");
}

// ---- Rules --------------------------------------------------------------------------------

#[test]
fn rules_are_a_map_of_the_configurable_rules() {
    assert_eq!(
        serde_json::to_value(Rules::documented()).unwrap(),
        json!({
            "denominator-changed": "anomaly",
            "numerator-decreased": "anomaly",
            "failure-before-completion": "anomaly",
            "result-on-failure": "anomaly",
            "unexpected-result": "anomaly",
            "missing-result": "anomaly",
        })
    );
    assert_eq!(round_trip(&Rules::strict()), Rules::strict());
    // Rules not named keep the documented setting.
    assert_eq!(
        serde_json::from_str::<Rules>(r#"{"missing-result":"violation"}"#).unwrap(),
        Rules::documented()
            .with(Rule::MissingResult, RuleSetting::Violation)
            .unwrap()
    );
    assert_eq!(
        serde_json::from_str::<Rules>("{}").unwrap(),
        Rules::documented()
    );
    // An always-enforced rule can be named as a violation, never as an anomaly.
    assert_eq!(
        serde_json::from_str::<Rules>(r#"{"negative-progress":"violation"}"#).unwrap(),
        Rules::documented()
    );
    assert_eq!(
        rejects::<Rules>(r#"{"negative-progress":"anomaly"}"#),
        "rule negative-progress is always enforced and cannot be an anomaly"
    );
    rejects::<Rules>(r#"{"no-such-rule":"anomaly"}"#);
    rejects::<Rules>(r#"{"missing-result":"ignore"}"#);
    rejects::<Rules>(r#""strict""#);
}

// ---- StatusCall and OperationOutcome ------------------------------------------------------

#[test]
fn status_call_keeps_a_null_and_an_empty_collection_apart() {
    let null: StatusCall = StatusCall::progress(1, 2);
    let empty: StatusCall = StatusCall::progress(1, 2).with_messages(Vec::new());
    assert_eq!(
        serde_json::to_value(&null).unwrap(),
        json!({"numerator":1,"denominator":2,"hr":"0x00000000","result":null,"messages":null})
    );
    assert_eq!(serde_json::to_value(&empty).unwrap()["messages"], json!([]));
    assert_eq!(round_trip(&null), null);
    assert_eq!(round_trip(&empty), empty);
    assert_ne!(round_trip(&null), round_trip(&empty));
    // The numbers are raw: negative and extreme values are data, not errors.
    let raw: StatusCall = StatusCall::progress(i32::MIN, -1).with_hr(HResult::new(i32::MAX));
    assert_eq!(round_trip(&raw), raw);
    rejects::<StatusCall>(
        r#"{"numerator":2147483648,"denominator":0,"hr":0,"result":null,"messages":null}"#,
    );
}

#[test]
fn outcome_round_trips_with_its_kind() {
    let cancelled: OperationOutcome = OperationOutcome::new(
        HResult::E_ABORT,
        true,
        None,
        vec![StatusMessage::new("stopped")],
    );
    let value = serde_json::to_value(&cancelled).unwrap();
    assert_eq!(value["hr"], json!("0x80004004"));
    assert_eq!(value["cancel_requested"], json!(true));
    let back: OperationOutcome = serde_json::from_value(value).unwrap();
    assert_eq!(back, cancelled);
    assert_eq!(back.kind(), OutcomeKind::Cancelled);
}

#[cfg(feature = "proptest")]
mod generated {
    //! Round trips of everything the exported strategies generate: the inputs of arbitrary
    //! scenarios (raw calls with any numbers, codes, results and message texts) and every
    //! value in them, and the rules.
    use super::*;
    use gpmc_progress::strategy::{self, Scenario};
    use gpmc_progress::{Input, StatusMachine, TypedResult};

    fn calls(scenario: &Scenario) -> impl Iterator<Item = &StatusCall> {
        scenario.inputs.iter().filter_map(|input| match input {
            Input::Status(call) => Some(call),
            Input::Cancel => None,
        })
    }

    proptest! {
        #[test]
        fn inputs_and_every_value_in_them_round_trip(
            scenario in strategy::prefixed_arbitrary_scenario(12),
        ) {
            for input in &scenario.inputs {
                prop_assert_eq!(&round_trip(input), input);
            }
            for call in calls(&scenario) {
                prop_assert_eq!(&round_trip(call), call);
                prop_assert_eq!(round_trip(&call.hr), call.hr);
                if let Ok(fraction) = ProgressFraction::new(call.numerator, call.denominator) {
                    prop_assert_eq!(round_trip(&fraction), fraction);
                }
                for message in call.messages.iter().flatten() {
                    prop_assert_eq!(&round_trip(message), message);
                }
                if let Some(result) = &call.result {
                    let value = serde_json::to_value(result).unwrap();
                    prop_assert_eq!(&value["type"], &json!(result.result_type().id()));
                    // Absent properties are omitted, never written as null.
                    let object = value.as_object().unwrap();
                    prop_assert!(object.values().all(|v| !v.is_null()));
                    prop_assert_eq!(&serde_json::from_value::<ResultDescription>(value).unwrap(), result);
                }
            }
        }

        #[test]
        fn outcomes_round_trip(
            scenario in strategy::prefixed_arbitrary_scenario(12),
            cancel in any::<bool>(),
        ) {
            let mut outcomes: Vec<OperationOutcome> = calls(&scenario)
                .map(|call| {
                    let messages = call.messages.clone().unwrap_or_default();
                    OperationOutcome::new(call.hr, cancel, call.result.clone(), messages)
                })
                .collect();
            let mut machine = StatusMachine::new(scenario.operation, Rules::documented());
            for input in scenario.inputs.iter().cloned() {
                let _ = machine.handle(input);
            }
            outcomes.extend(machine.into_outcome());
            for outcome in outcomes {
                let back = round_trip(&outcome);
                prop_assert_eq!(back.kind(), outcome.kind());
                prop_assert_eq!(back, outcome);
            }
        }

        #[test]
        fn rules_round_trip(rules in strategy::rules()) {
            prop_assert_eq!(round_trip(&rules), rules);
        }

        #[test]
        fn ids_round_trip(
            operation in proptest::sample::select(OperationKind::ALL),
            result_type in proptest::sample::select(ResultType::ALL),
            rule in proptest::sample::select(Rule::ALL),
        ) {
            prop_assert_eq!(round_trip(&operation), operation);
            prop_assert_eq!(round_trip(&result_type), result_type);
            prop_assert_eq!(round_trip(&rule), rule);
        }
    }
}
