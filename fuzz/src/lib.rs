//! The checks behind the fuzz targets of `gpmc-progress`, and the input encodings their seed
//! corpora are written in. Each target in `fuzz_targets/` is one call into this library, so
//! that `examples/seeds.rs` can encode seeds in exactly the form the targets decode.

pub mod live;
pub mod machine;
pub mod trace;
pub mod values;

use arbitrary::Unstructured;
use gpmc_progress::{
    HResult, OperationKind, ResultDescription, ResultType, Rule, RuleSetting, Rules, StatusCall,
    StatusMessage,
};

/// Configurable rules, in precedence order: bit i of the rules byte sets the i-th to anomaly.
fn configurable() -> impl Iterator<Item = Rule> {
    Rule::ALL
        .iter()
        .copied()
        .filter(|rule| rule.is_configurable())
}

/// Reads an input's header: the operation (a byte, modulo the operations) and the rules (a
/// byte: `strict`, with bit i making the i-th configurable rule an anomaly).
pub(crate) fn header(u: &mut Unstructured<'_>) -> (OperationKind, Rules) {
    let operation = OperationKind::ALL[usize::from(byte(u)) % OperationKind::ALL.len()];
    let mask = byte(u);
    let mut rules = Rules::strict();
    for (bit, rule) in configurable().enumerate() {
        if mask & (1 << bit) != 0 {
            rules
                .set(rule, RuleSetting::Anomaly)
                .expect("a configurable rule");
        }
    }
    (operation, rules)
}

/// The bytes [`header`] reads back as `operation` and `rules`.
pub(crate) fn encode_header(out: &mut Vec<u8>, operation: OperationKind, rules: Rules) {
    let operation = OperationKind::ALL
        .iter()
        .position(|kind| *kind == operation)
        .unwrap_or(0);
    out.push(operation as u8);
    let mask = configurable()
        .enumerate()
        .filter(|(_, rule)| !rules.is_violation(*rule))
        .fold(0u8, |mask, (bit, _)| mask | (1 << bit));
    out.push(mask);
}

/// Reads a `Status` call: numerator, denominator, hrStatus, result and messages.
pub(crate) fn call(u: &mut Unstructured<'_>) -> StatusCall {
    let numerator = number(u);
    let denominator = number(u);
    let hr = hresult(u);
    let result = result(u);
    let messages = messages(u);
    StatusCall::new(numerator, denominator, hr, result, messages)
}

/// The bytes [`call`] reads back as `call`.
pub(crate) fn encode_call(out: &mut Vec<u8>, call: &StatusCall) {
    encode_number(out, call.numerator);
    encode_number(out, call.denominator);
    encode_hresult(out, call.hr);
    encode_result(out, call.result.as_ref());
    encode_messages(out, call.messages.as_deref());
}

/// Reads one byte, 0 once the input is exhausted.
pub(crate) fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary::<u8>().unwrap_or(0)
}

/// Reads four bytes as a little-endian `i32` (missing bytes are 0).
pub(crate) fn raw_i32(u: &mut Unstructured<'_>) -> i32 {
    i32::from_le_bytes([byte(u), byte(u), byte(u), byte(u)])
}

/// A progress number: mostly small, sometimes an extreme of `i32`, sometimes raw.
pub(crate) fn number(u: &mut Unstructured<'_>) -> i32 {
    match byte(u) {
        b @ 0..=0xF7 => i32::from(b & 0x0F),
        0xF8 => -1,
        0xF9 => i32::MIN,
        0xFA => i32::MAX,
        0xFB => i32::MAX - 1,
        _ => raw_i32(u),
    }
}

/// The byte that [`number`] reads for a small `value` (0..=15).
pub(crate) fn encode_number(out: &mut Vec<u8>, value: i32) {
    match value {
        0..=15 => out.push(value as u8),
        -1 => out.push(0xF8),
        i32::MIN => out.push(0xF9),
        i32::MAX => out.push(0xFA),
        _ if value == i32::MAX - 1 => out.push(0xFB),
        _ => {
            out.push(0xFF);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// The codes [`hresult`] picks from by its first byte; the last entry means "four raw bytes".
const HRESULTS: [HResult; 7] = [
    HResult::S_OK,
    HResult::S_FALSE,
    HResult::E_FAIL,
    HResult::ERROR_CANCELLED,
    HResult::E_ACCESSDENIED,
    HResult::from_bits(0x8000_0000),
    HResult::from_bits(0x7FFF_FFFF),
];

/// An `hrStatus`: a well-known code, or four raw bytes.
pub(crate) fn hresult(u: &mut Unstructured<'_>) -> HResult {
    let pick = usize::from(byte(u) % 8);
    match HRESULTS.get(pick) {
        Some(hr) => *hr,
        None => HResult::new(raw_i32(u)),
    }
}

pub(crate) fn encode_hresult(out: &mut Vec<u8>, hr: HResult) {
    match HRESULTS.iter().position(|known| *known == hr) {
        Some(pick) => out.push(pick as u8),
        None => {
            out.push(7);
            out.extend_from_slice(&hr.value().to_le_bytes());
        }
    }
}

/// A short string (up to 15 bytes, lossy UTF-8).
pub(crate) fn short_text(u: &mut Unstructured<'_>) -> String {
    let len = usize::from(byte(u) % 16).min(u.len());
    let bytes = u.bytes(len).unwrap_or_default();
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn encode_short_text(out: &mut Vec<u8>, text: &str) {
    let mut end = text.len().min(15);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push(end as u8);
    out.extend_from_slice(&text.as_bytes()[..end]);
}

/// A result or none: 0 and 7 are none, 1 to 6 a bare result of each type (with a text's
/// value when the type is text).
pub(crate) fn result(u: &mut Unstructured<'_>) -> Option<ResultDescription> {
    let pick = usize::from(byte(u) % 8);
    let result_type = *ResultType::ALL.get(pick.checked_sub(1)?)?;
    Some(match result_type {
        ResultType::Text => ResultDescription::text(short_text(u)),
        other => ResultDescription::bare(other),
    })
}

pub(crate) fn encode_result(out: &mut Vec<u8>, result: Option<&ResultDescription>) {
    use gpmc_progress::TypedResult;
    match result {
        None => out.push(0),
        Some(result) => {
            let result_type = result.result_type();
            let pick = ResultType::ALL
                .iter()
                .position(|t| *t == result_type)
                .unwrap_or(0);
            out.push(pick as u8 + 1);
            if let ResultDescription::Text { value } = result {
                encode_short_text(out, value.as_deref().unwrap_or_default());
            }
        }
    }
}

/// A message collection: null, empty, or one to three messages.
pub(crate) fn messages(u: &mut Unstructured<'_>) -> Option<Vec<StatusMessage>> {
    let count = byte(u) % 5;
    if count == 0 {
        return None;
    }
    let messages = (1..count)
        .map(|_| {
            StatusMessage::new(short_text(u))
                .with_error_code(hresult(u))
                .with_extension_name(short_text(u))
        })
        .collect();
    Some(messages)
}

pub(crate) fn encode_messages(out: &mut Vec<u8>, messages: Option<&[StatusMessage]>) {
    match messages {
        None => out.push(0),
        Some(messages) => {
            let messages = &messages[..messages.len().min(3)];
            out.push(messages.len() as u8 + 1);
            for message in messages {
                encode_short_text(out, &message.message);
                encode_hresult(out, message.error_code);
                encode_short_text(out, &message.extension_name);
            }
        }
    }
}
