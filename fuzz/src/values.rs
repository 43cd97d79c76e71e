//! `values`: the value types' parsers and serde forms, parse -> print -> parse.

use arbitrary::Unstructured;
use gpmc_progress::{
    HResult, OperationKind, OperationOutcome, Preset, ProgressFraction, ResultDescription,
    ResultType, Rule, Rules, StatusCall, StatusMessage,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What the first byte of an input selects; the rest is the text (or the bytes) to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    HResultText = 0,
    HResultJson = 1,
    FractionText = 2,
    FractionJson = 3,
    MessageJson = 4,
    ResultJson = 5,
    RulesJsonAndIds = 6,
    Built = 7,
}

pub const MODES: [Mode; 8] = [
    Mode::HResultText,
    Mode::HResultJson,
    Mode::FractionText,
    Mode::FractionJson,
    Mode::MessageJson,
    Mode::ResultJson,
    Mode::RulesJsonAndIds,
    Mode::Built,
];

/// A seed: the mode's byte, then the payload.
pub fn encode(mode: Mode, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![mode as u8];
    out.extend_from_slice(payload);
    out
}

pub fn check(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    match MODES[usize::from(*first) % MODES.len()] {
        Mode::HResultText => hresult_text(rest),
        Mode::HResultJson => {
            if let Ok(hr) = serde_json::from_slice::<HResult>(rest) {
                hresult_printed(hr);
                if let Ok(text) = std::str::from_utf8(rest) {
                    // A JSON integer is also the text form's decimal integer.
                    let text = text.trim_matches([' ', '\t', '\n', '\r']);
                    if !text.starts_with('"') {
                        assert_eq!(text.parse::<HResult>(), Ok(hr), "{text}");
                    }
                }
            }
        }
        Mode::FractionText => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(fraction) = text.parse::<ProgressFraction>() {
                    fraction_printed(fraction);
                }
            }
        }
        Mode::FractionJson => {
            if let Ok(fraction) = serde_json::from_slice::<ProgressFraction>(rest) {
                fraction_printed(fraction);
            }
        }
        Mode::MessageJson => json_round_trip::<StatusMessage>(rest),
        Mode::ResultJson => json_round_trip::<ResultDescription>(rest),
        Mode::RulesJsonAndIds => {
            json_round_trip::<Rules>(rest);
            if let Ok(text) = std::str::from_utf8(rest) {
                ids(text);
            }
        }
        Mode::Built => built(&mut Unstructured::new(rest)),
    }
}

fn hresult_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let parsed = text.parse::<HResult>();
    if text.starts_with("0x") || text.starts_with("0X") {
        // The same value; the errors differ on purpose (`FromStr` also names the integer form).
        assert_eq!(parsed.clone().ok(), HResult::parse_hex(text).ok());
        // The hex form is the JSON string form.
        let json = serde_json::to_string(text).expect("a string");
        assert_eq!(
            serde_json::from_str::<HResult>(&json).ok(),
            parsed.clone().ok()
        );
    } else {
        assert!(HResult::parse_hex(text).is_err());
    }
    if let Ok(hr) = parsed {
        hresult_printed(hr);
        // A decimal form names the same code as the integer it is.
        if let Ok(value) = text.parse::<i64>() {
            assert_eq!(HResult::from_integer(value), Some(hr));
        }
    } else if let Ok(value) = text.parse::<i64>() {
        if !text.starts_with('+') {
            assert_eq!(HResult::from_integer(value), None, "{text}");
        }
    }
}

/// Every printed form of `hr` parses back to it.
fn hresult_printed(hr: HResult) {
    let text = hr.to_string();
    assert_eq!(text.len(), 10);
    assert_eq!(text.parse::<HResult>(), Ok(hr));
    assert_eq!(HResult::parse_hex(&text), Ok(hr));
    assert_eq!(hr.value().to_string().parse::<HResult>(), Ok(hr));
    assert_eq!(hr.bits().to_string().parse::<HResult>(), Ok(hr));
    assert_eq!(HResult::from_integer(i64::from(hr.value())), Some(hr));
    assert_eq!(HResult::from_bits(hr.bits()), hr);
    let json = serde_json::to_string(&hr).expect("an hresult serialises");
    assert_eq!(json, format!("\"{text}\""));
    assert_eq!(serde_json::from_str::<HResult>(&json).ok(), Some(hr));
    assert_eq!(
        serde_json::from_str::<HResult>(&hr.value().to_string()).ok(),
        Some(hr)
    );
    let _ = format!("{hr:?} {:?} {:?}", hr.name(), hr.description());
}

fn fraction_printed(fraction: ProgressFraction) {
    let text = fraction.to_string();
    assert_eq!(text.parse::<ProgressFraction>(), Ok(fraction));
    assert_eq!(
        ProgressFraction::new(fraction.numerator(), fraction.denominator()),
        Ok(fraction)
    );
    let percent = fraction.percent();
    assert!(percent <= 100);
    assert_eq!(percent == 100, fraction.is_complete());
    let ratio = fraction.ratio();
    assert!((0.0..=1.0).contains(&ratio));
    let json = serde_json::to_string(&fraction).expect("a fraction serialises");
    assert_eq!(
        serde_json::from_str::<ProgressFraction>(&json).ok(),
        Some(fraction)
    );
}

/// Parsed from JSON, printed, parsed again: the same value, and the same text printed.
fn json_round_trip<T>(bytes: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        printed(&value);
    }
}

fn printed<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("a value serialises");
    let again: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(&again, value, "{json}");
    assert_eq!(serde_json::to_string(&again).expect("serialises"), json);
    let pretty = serde_json::to_string_pretty(value).expect("a value serialises");
    assert_eq!(
        &serde_json::from_str::<T>(&pretty).expect("pretty reads"),
        value
    );
}

/// The ids of rules, operations, result types and presets: parse -> print -> parse.
fn ids(text: &str) {
    if let Ok(rule) = text.parse::<Rule>() {
        assert_eq!(rule.id(), text);
        printed(&rule);
    }
    if let Ok(kind) = text.parse::<OperationKind>() {
        assert_eq!(kind.to_string(), text);
        printed(&kind);
    }
    if let Ok(result_type) = text.parse::<ResultType>() {
        assert_eq!(result_type.to_string(), text);
        printed(&result_type);
    }
    if let Ok(preset) = text.parse::<Preset>() {
        assert_eq!(preset.to_string(), text);
        printed(&Rules::from(preset));
    }
}

/// Values built from the bytes (any code, any numbers, any strings), printed and parsed.
fn built(u: &mut Unstructured<'_>) {
    let hr = HResult::new(crate::raw_i32(u));
    hresult_printed(hr);
    let (numerator, denominator) = (crate::number(u), crate::number(u));
    match ProgressFraction::new(numerator, denominator) {
        Ok(fraction) => fraction_printed(fraction),
        Err(error) => {
            assert!(numerator < 0 || denominator < 0 || numerator > denominator);
            let _ = error.to_string();
            let text = format!("{numerator}/{denominator}");
            assert!(text.parse::<ProgressFraction>().is_err());
        }
    }
    let text = |u: &mut Unstructured<'_>| {
        let len = usize::from(crate::byte(u) % 32).min(u.len());
        String::from_utf8_lossy(u.bytes(len).unwrap_or_default()).into_owned()
    };
    let message = StatusMessage::new(text(u))
        .with_object_path(text(u))
        .with_error_code(HResult::new(crate::raw_i32(u)))
        .with_extension_name(text(u))
        .with_settings_name(text(u))
        .with_operation_code(HResult::new(crate::raw_i32(u)));
    printed(&message);
    let optional = |u: &mut Unstructured<'_>| (crate::byte(u) % 2 == 1).then(|| text(u));
    let result = match crate::byte(u) % 6 {
        0 => ResultDescription::Gpo {
            id: optional(u),
            display_name: optional(u),
            domain: optional(u),
        },
        1 => ResultDescription::Backup {
            id: optional(u),
            gpo_id: optional(u),
            directory: optional(u),
            comment: optional(u),
        },
        2 => ResultDescription::StarterGpo {
            id: optional(u),
            display_name: optional(u),
        },
        3 => ResultDescription::StarterGpoBackup {
            id: optional(u),
            gpo_id: optional(u),
            directory: optional(u),
            comment: optional(u),
        },
        4 => ResultDescription::Text { value: optional(u) },
        _ => ResultDescription::Object,
    };
    printed(&result);
    let call = StatusCall::new(
        numerator,
        denominator,
        hr,
        Some(result.clone()),
        Some(vec![message.clone()]),
    );
    printed(&call);
    let outcome = OperationOutcome::new(hr, crate::byte(u) % 2 == 1, Some(result), vec![message]);
    printed(&outcome);
    let mut rules = Rules::strict();
    let mask = crate::byte(u);
    for (bit, rule) in Rule::ALL.iter().enumerate() {
        if mask & (1 << (bit % 8)) != 0 && rule.is_configurable() {
            rules
                .set(*rule, gpmc_progress::RuleSetting::Anomaly)
                .expect("configurable");
        }
    }
    printed(&rules);
}
