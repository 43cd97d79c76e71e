//! Strategies for the value types: HRESULTs, numbers, messages, results, raw calls, inputs,
//! operations and rules ([`rules`] is exported; the others build the exported ones).

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::{
    HResult, Input, OperationKind, ResultDescription, ResultType, Rule, RuleSetting, Rules,
    StatusCall, StatusMessage,
};

/// The bit patterns at the edges of the `HRESULT` range.
const EXTREME_HRESULTS: [HResult; 7] = [
    HResult::new(i32::MIN),
    HResult::new(i32::MIN + 1),
    HResult::new(-1),
    HResult::new(0),
    HResult::new(1),
    HResult::new(i32::MAX - 1),
    HResult::new(i32::MAX),
];

/// The numbers at the edges of the `i32` range, and the small ones around zero.
const EXTREME_NUMBERS: [i32; 9] = [
    i32::MIN,
    i32::MIN + 1,
    -2,
    -1,
    0,
    1,
    2,
    i32::MAX - 1,
    i32::MAX,
];

fn known(filter: fn(HResult) -> bool) -> Vec<HResult> {
    HResult::KNOWN
        .iter()
        .copied()
        .filter(|hr| filter(*hr))
        .collect()
}

/// Any `HResult`: the well-known codes of [`HResult::KNOWN`] often, the extremes
/// (`i32::MIN`, `-1`, `0`, `i32::MAX`, …) sometimes, and any other 32-bit pattern.
pub(crate) fn hresult() -> BoxedStrategy<HResult> {
    prop_oneof![
        4 => select(HResult::KNOWN),
        2 => select(EXTREME_HRESULTS.to_vec()),
        3 => any::<i32>().prop_map(HResult::new),
    ]
    .boxed()
}

/// A success `HResult` (non-negative): `S_OK` most often, `S_FALSE`, the extremes `0` and
/// `i32::MAX`, and any other non-negative value.
pub(crate) fn success_hresult() -> BoxedStrategy<HResult> {
    prop_oneof![
        5 => select(known(HResult::is_success)),
        1 => select(vec![HResult::new(1), HResult::new(i32::MAX - 1), HResult::new(i32::MAX)]),
        2 => (0..=i32::MAX).prop_map(HResult::new),
    ]
    .boxed()
}

/// A failure `HResult` (negative): the well-known failure codes often (`E_ABORT` and
/// `HRESULT_FROM_WIN32(ERROR_CANCELLED)` among them), the extremes `i32::MIN` and `-1`, and
/// any other negative value.
pub(crate) fn failure_hresult() -> BoxedStrategy<HResult> {
    prop_oneof![
        5 => select(known(HResult::is_failure)),
        1 => select(vec![HResult::new(i32::MIN), HResult::new(i32::MIN + 1), HResult::new(-1)]),
        2 => (i32::MIN..0).prop_map(HResult::new),
    ]
    .boxed()
}

/// A denominator of at least `min` (`min` is small): often small, sometimes large, near
/// `i32::MAX`, or anywhere up to it.
pub(crate) fn denominator(min: i32) -> BoxedStrategy<i32> {
    prop_oneof![
        1 => Just(min),
        6 => min..=min.saturating_add(10),
        2 => min..=min.max(100_000),
        1 => min.max(i32::MAX - 8)..=i32::MAX,
        1 => min..=i32::MAX,
    ]
    .boxed()
}

/// Any 32-bit numerator or denominator as a server might pass it: the extremes and small
/// values (negative ones included) often, anything else too.
pub(crate) fn progress_number() -> BoxedStrategy<i32> {
    prop_oneof![
        2 => select(EXTREME_NUMBERS.to_vec()),
        3 => -3..=12i32,
        2 => any::<i32>(),
    ]
    .boxed()
}

/// A short string: empty, ASCII, or any characters (control characters and non-ASCII
/// included).
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        1 => Just(String::new()),
        2 => "[A-Za-z0-9 {}\\-\\\\]{1,16}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
    .boxed()
}

/// A [`StatusMessage`] with arbitrary text and codes.
pub(crate) fn status_message() -> BoxedStrategy<StatusMessage> {
    (text(), hresult(), text(), text(), hresult(), text())
        .prop_map(
            |(object_path, error_code, extension_name, settings_name, operation_code, message)| {
                StatusMessage::new(message)
                    .with_object_path(object_path)
                    .with_error_code(error_code)
                    .with_extension_name(extension_name)
                    .with_settings_name(settings_name)
                    .with_operation_code(operation_code)
            },
        )
        .boxed()
}

/// A message collection as `Status` receives it: null (`None`), empty, or one to three
/// messages.
pub(crate) fn message_collection() -> BoxedStrategy<Option<Vec<StatusMessage>>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Vec::new())),
        2 => vec(status_message(), 1..=3).prop_map(Some),
    ]
    .boxed()
}

/// Any [`ResultType`].
pub(crate) fn result_type() -> BoxedStrategy<ResultType> {
    select(ResultType::ALL).boxed()
}

/// A [`ResultDescription`] of the given type, each property absent or any string.
pub(crate) fn result_of_type(result_type: ResultType) -> BoxedStrategy<ResultDescription> {
    let opt = || option::of(text());
    match result_type {
        ResultType::Gpo => (opt(), opt(), opt())
            .prop_map(|(id, display_name, domain)| ResultDescription::Gpo {
                id,
                display_name,
                domain,
            })
            .boxed(),
        ResultType::Backup => (opt(), opt(), opt(), opt())
            .prop_map(
                |(id, gpo_id, directory, comment)| ResultDescription::Backup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                },
            )
            .boxed(),
        ResultType::StarterGpo => (opt(), opt())
            .prop_map(|(id, display_name)| ResultDescription::StarterGpo { id, display_name })
            .boxed(),
        ResultType::StarterGpoBackup => (opt(), opt(), opt(), opt())
            .prop_map(
                |(id, gpo_id, directory, comment)| ResultDescription::StarterGpoBackup {
                    id,
                    gpo_id,
                    directory,
                    comment,
                },
            )
            .boxed(),
        ResultType::Text => opt()
            .prop_map(|value| ResultDescription::Text { value })
            .boxed(),
        ResultType::Object => Just(ResultDescription::Object).boxed(),
    }
}

/// A [`ResultDescription`] of any type.
pub(crate) fn result_description() -> BoxedStrategy<ResultDescription> {
    result_type().prop_flat_map(result_of_type).boxed()
}

/// A result of one of the types in `types` (which must not be empty).
pub(crate) fn result_among(types: Vec<ResultType>) -> BoxedStrategy<ResultDescription> {
    select(types).prop_flat_map(result_of_type).boxed()
}

/// A raw, untrusted `Status` call: any numerator and denominator (the extremes and negative
/// values included, plausible fractions often), any `hrStatus`, a result of any type or
/// none, and a null, empty or filled message collection.
pub(crate) fn status_call() -> BoxedStrategy<StatusCall> {
    let plausible = denominator(0).prop_flat_map(|d| {
        (
            prop_oneof![Just(d), -1..=d.saturating_add(1), Just(d.saturating_add(1))],
            Just(d),
        )
    });
    let numbers = prop_oneof![
        1 => (progress_number(), progress_number()),
        1 => plausible,
    ];
    (
        numbers,
        hresult(),
        option::weighted(0.3, result_description()),
        message_collection(),
    )
        .prop_map(|((n, d), hr, result, messages)| StatusCall::new(n, d, hr, result, messages))
        .boxed()
}

/// One input: mostly a raw [`status_call`], sometimes the client's cancel request.
pub(crate) fn input() -> BoxedStrategy<Input> {
    prop_oneof![
        6 => status_call().prop_map(Input::Status),
        1 => Just(Input::Cancel),
    ]
    .boxed()
}

/// Any [`OperationKind`], `unknown` included.
pub(crate) fn operation_kind() -> BoxedStrategy<OperationKind> {
    select(OperationKind::ALL).boxed()
}

/// An [`OperationKind`] that defines a result (every kind but `unknown`).
pub(crate) fn defined_operation_kind() -> BoxedStrategy<OperationKind> {
    let defined: Vec<OperationKind> = OperationKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.defines_result())
        .collect();
    select(defined).boxed()
}

/// [`Rules`] with each configurable rule set to violation or anomaly at random (both
/// presets included); the always-enforced rules stay violations.
///
/// ```
/// use gpmc_progress::strategy;
/// use gpmc_progress::Rule;
/// use proptest::prelude::*;
///
/// proptest!(|(rules in strategy::rules())| {
///     prop_assert!(rules.is_violation(Rule::NegativeProgress));
/// });
/// ```
pub fn rules() -> BoxedStrategy<Rules> {
    vec(any::<bool>(), Rule::ALL.len())
        .prop_map(|anomaly| {
            let mut rules = Rules::strict();
            for (rule, anomaly) in Rule::ALL.iter().zip(anomaly) {
                if anomaly && rule.is_configurable() {
                    rules = rules.with(*rule, RuleSetting::Anomaly).unwrap_or(rules);
                }
            }
            rules
        })
        .boxed()
}
