//! [`Rule`]: the named rules of the protocol, and [`Rules`]: which of them are violations.

use crate::id::id_enum;

id_enum! {
    /// A named rule of the `Status` protocol, by its stable id (see the [crate docs'
    /// rules](crate#the-rules)).
    ///
    /// [`Rule::ALL`] lists them in precedence order: when one call breaks several, they are
    /// judged in this order. Four are always enforced: the first three
    /// (`status-after-completion`, `negative-progress`, `numerator-exceeds-denominator`) and
    /// the seventh (`result-before-completion`); the other six are configurable (see
    /// [`Rules`]).
    ///
    /// ```
    /// use gpmc_progress::Rule;
    ///
    /// let rule: Rule = "numerator-decreased".parse()?;
    /// assert_eq!(rule, Rule::NumeratorDecreased);
    /// assert!(rule.is_configurable());
    /// assert!(!Rule::ResultBeforeCompletion.is_configurable());
    /// assert_eq!(Rule::ALL[0], Rule::StatusAfterCompletion);
    /// # Ok::<(), gpmc_progress::ParseIdError>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    #[non_exhaustive]
    pub enum Rule ("rule") {
        /// A `Status` call arrived after the finishing one. Always enforced.
        StatusAfterCompletion = "status-after-completion",
        /// The numerator or the denominator is negative. Always enforced.
        NegativeProgress = "negative-progress",
        /// The numerator is greater than the denominator. Always enforced.
        NumeratorExceedsDenominator = "numerator-exceeds-denominator",
        /// The denominator differs from the previous call's. Configurable; `documented`
        /// accepts the new denominator.
        DenominatorChanged = "denominator-changed",
        /// The numerator is lower than the previous call's. Configurable; `documented`
        /// accepts the lower value.
        NumeratorDecreased = "numerator-decreased",
        /// A failure `hrStatus` before `numerator == denominator`. Configurable;
        /// `documented` makes it the finishing call (failed, or cancelled).
        FailureBeforeCompletion = "failure-before-completion",
        /// A result on a call that is not the finishing call. Always enforced.
        ResultBeforeCompletion = "result-before-completion",
        /// A finishing call with a failure `hrStatus` and a result. Configurable;
        /// `documented` keeps the result in the failed outcome for inspection.
        ResultOnFailure = "result-on-failure",
        /// A result whose type the operation's kind does not allow. Configurable;
        /// `documented` keeps the result as given.
        UnexpectedResult = "unexpected-result",
        /// A successful finishing call without the result the operation's kind defines.
        /// Configurable; `documented` succeeds without a result.
        MissingResult = "missing-result",
    }
}

impl Rule {
    /// Whether the rule can be set to [`RuleSetting::Anomaly`]; the other four are always
    /// violations.
    pub const fn is_configurable(self) -> bool {
        !matches!(
            self,
            Rule::StatusAfterCompletion
                | Rule::NegativeProgress
                | Rule::NumeratorExceedsDenominator
                | Rule::ResultBeforeCompletion
        )
    }

    /// The rule's position in the precedence order (0 is judged first).
    pub const fn precedence(self) -> usize {
        self as usize
    }

    /// The rule's bit in a set of rules: bit `i` for the `i`-th in precedence order, so the
    /// lowest bit of a set is its first rule in that order.
    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// What breaking a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum RuleSetting {
    /// The call is rejected: it is not applied and the state machine reports a violation.
    Violation,
    /// The call is accepted as the crate docs' rules describe, and the break is recorded as an anomaly.
    Anomaly,
}

id_enum! {
    /// The two named rule sets.
    ///
    /// ```
    /// use gpmc_progress::{Preset, Rules};
    /// let preset: Preset = "strict".parse()?;
    /// assert_eq!(Rules::from(preset), Rules::strict());
    /// assert_eq!(preset.to_string(), "strict"); // Display is the id
    /// assert_eq!(Preset::default(), Preset::Documented);
    /// # Ok::<(), gpmc_progress::ParseIdError>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    #[non_exhaustive]
    pub enum Preset ("preset") {
        /// Every configurable rule is an anomaly: what a client needs to survive real servers.
        /// The default.
        #[default]
        Documented = "documented",
        /// Every rule is a violation: conformance testing of servers and simulators.
        Strict = "strict",
    }
}

/// The error returned when an always-enforced rule is set to [`RuleSetting::Anomaly`].
///
/// ```
/// use gpmc_progress::{Rule, RuleSetting, Rules};
/// let err = Rules::documented()
///     .with(Rule::NegativeProgress, RuleSetting::Anomaly)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "rule negative-progress is always enforced and cannot be an anomaly");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule} is always enforced and cannot be an anomaly")]
#[non_exhaustive]
pub struct RuleNotConfigurable {
    /// The rule that was to be relaxed.
    pub rule: Rule,
}

/// The rules in force: for each configurable rule, whether breaking it is a violation or an
/// anomaly. The four always-enforced rules are violations in every `Rules`.
///
/// ```
/// use gpmc_progress::{Rule, RuleSetting, Rules};
///
/// // Strict, except that a changing denominator is only recorded.
/// let rules = Rules::strict().with(Rule::DenominatorChanged, RuleSetting::Anomaly)?;
/// assert_eq!(rules.setting(Rule::DenominatorChanged), RuleSetting::Anomaly);
/// assert_eq!(rules.setting(Rule::NumeratorDecreased), RuleSetting::Violation);
/// assert_eq!(Rules::default(), Rules::documented());
/// # Ok::<(), gpmc_progress::RuleNotConfigurable>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rules {
    /// One bit per rule (by precedence); set = violation.
    violations: u16,
}

impl Rules {
    const ALWAYS: u16 = Rule::StatusAfterCompletion.bit()
        | Rule::NegativeProgress.bit()
        | Rule::NumeratorExceedsDenominator.bit()
        | Rule::ResultBeforeCompletion.bit();

    /// The `documented` preset (the default): every configurable rule is an anomaly.
    pub const fn documented() -> Self {
        Rules {
            violations: Self::ALWAYS,
        }
    }

    /// The violations, one [`Rule::bit`] each.
    #[inline]
    pub(crate) const fn violation_bits(self) -> u16 {
        self.violations
    }

    /// The `strict` preset: every rule is a violation.
    pub const fn strict() -> Self {
        Rules {
            violations: (1 << Rule::ALL.len()) - 1,
        }
    }

    /// The rules of a preset.
    pub const fn preset(preset: Preset) -> Self {
        match preset {
            Preset::Documented => Self::documented(),
            Preset::Strict => Self::strict(),
        }
    }

    /// What breaking `rule` does under these rules.
    #[inline]
    pub const fn setting(self, rule: Rule) -> RuleSetting {
        if self.violations & rule.bit() != 0 {
            RuleSetting::Violation
        } else {
            RuleSetting::Anomaly
        }
    }

    /// Whether breaking `rule` is a violation under these rules.
    #[inline]
    pub const fn is_violation(self, rule: Rule) -> bool {
        self.violations & rule.bit() != 0
    }

    /// Sets what breaking `rule` does; fails for an always-enforced rule set to
    /// [`RuleSetting::Anomaly`] (setting one to a violation is accepted and changes nothing).
    pub fn set(&mut self, rule: Rule, setting: RuleSetting) -> Result<(), RuleNotConfigurable> {
        match setting {
            RuleSetting::Violation => self.violations |= rule.bit(),
            RuleSetting::Anomaly if !rule.is_configurable() => {
                return Err(RuleNotConfigurable { rule })
            }
            RuleSetting::Anomaly => self.violations &= !rule.bit(),
        }
        Ok(())
    }

    /// [`Rules::set`] as a builder.
    pub fn with(mut self, rule: Rule, setting: RuleSetting) -> Result<Self, RuleNotConfigurable> {
        self.set(rule, setting)?;
        Ok(self)
    }

    /// The preset these rules equal, if they equal one.
    pub fn as_preset(self) -> Option<Preset> {
        Preset::ALL
            .iter()
            .copied()
            .find(|preset| Rules::preset(*preset) == self)
    }
}

impl Default for Rules {
    /// The `documented` preset.
    fn default() -> Self {
        Rules::documented()
    }
}

impl From<Preset> for Rules {
    fn from(preset: Preset) -> Self {
        Rules::preset(preset)
    }
}

impl core::fmt::Display for Rules {
    /// The preset's id when the rules equal a preset (`documented`, `strict`). Otherwise the
    /// preset they differ from on fewer rules (`documented` on a tie), then the rules that
    /// differ, in precedence order: `documented with violations: ` and the configurable rules
    /// that are violations, or `strict with anomalies: ` and those that are anomalies.
    ///
    /// ```
    /// use gpmc_progress::{Rule, RuleSetting, Rules};
    ///
    /// assert_eq!(Rules::documented().to_string(), "documented");
    /// assert_eq!(Rules::strict().to_string(), "strict");
    /// let rules = Rules::strict().with(Rule::DenominatorChanged, RuleSetting::Anomaly)?;
    /// assert_eq!(rules.to_string(), "strict with anomalies: denominator-changed");
    /// let rules = Rules::documented()
    ///     .with(Rule::MissingResult, RuleSetting::Violation)?
    ///     .with(Rule::NumeratorDecreased, RuleSetting::Violation)?;
    /// assert_eq!(
    ///     rules.to_string(),
    ///     "documented with violations: numerator-decreased, missing-result"
    /// );
    /// # Ok::<(), gpmc_progress::RuleNotConfigurable>(())
    /// ```
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(preset) = self.as_preset() {
            return write!(f, "{preset}");
        }
        let configurable = || Rule::ALL.iter().filter(|rule| rule.is_configurable());
        let violations = configurable()
            .filter(|rule| self.is_violation(**rule))
            .count();
        let anomalies = configurable().count() - violations;
        let (preset, setting, plural) = if violations <= anomalies {
            (Preset::Documented, RuleSetting::Violation, "violations")
        } else {
            (Preset::Strict, RuleSetting::Anomaly, "anomalies")
        };
        write!(f, "{preset} with {plural}: ")?;
        let mut separator = "";
        for rule in configurable().filter(|rule| self.setting(**rule) == setting) {
            write!(f, "{separator}{rule}")?;
            separator = ", ";
        }
        Ok(())
    }
}

impl core::fmt::Debug for Rules {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(preset) = self.as_preset() {
            return write!(f, "Rules({preset})");
        }
        let mut map = f.debug_map();
        for rule in Rule::ALL.iter().filter(|rule| rule.is_configurable()) {
            map.entry(&rule.id(), &self.setting(*rule));
        }
        map.finish()
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::{Rule, RuleSetting, Rules};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    impl Serialize for Rules {
        /// A map from each configurable rule's id to `"violation"` or `"anomaly"`.
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(
                Rule::ALL
                    .iter()
                    .filter(|rule| rule.is_configurable())
                    .map(|rule| (rule.id(), self.setting(*rule))),
            )
        }
    }

    impl<'de> Deserialize<'de> for Rules {
        /// A map from rule ids to settings; rules not named keep the `documented` setting.
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let map = BTreeMap::<Rule, RuleSetting>::deserialize(deserializer)?;
            let mut rules = Rules::documented();
            for (rule, setting) in map {
                rules.set(rule, setting).map_err(D::Error::custom)?;
            }
            Ok(rules)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_order_is_the_contracts() {
        let ids: Vec<_> = Rule::ALL.iter().map(|rule| rule.id()).collect();
        assert_eq!(
            ids,
            [
                "status-after-completion",
                "negative-progress",
                "numerator-exceeds-denominator",
                "denominator-changed",
                "numerator-decreased",
                "failure-before-completion",
                "result-before-completion",
                "result-on-failure",
                "unexpected-result",
                "missing-result",
            ]
        );
        for (index, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.precedence(), index);
        }
    }

    #[test]
    fn presets_differ_exactly_on_the_configurable_rules() {
        for rule in Rule::ALL {
            assert!(Rules::strict().is_violation(*rule));
            assert_eq!(
                Rules::documented().is_violation(*rule),
                !rule.is_configurable(),
                "{rule}"
            );
        }
        assert_eq!(
            Rule::ALL
                .iter()
                .filter(|rule| rule.is_configurable())
                .count(),
            6
        );
    }

    #[test]
    fn a_preset_rebuilt_rule_by_rule_is_recognised() {
        let mut rules = Rules::documented();
        for rule in Rule::ALL {
            rules.set(*rule, RuleSetting::Violation).unwrap();
        }
        assert_eq!(rules.as_preset(), Some(Preset::Strict));
        rules
            .set(Rule::MissingResult, RuleSetting::Anomaly)
            .unwrap();
        assert_eq!(rules.as_preset(), None);
        assert_eq!(
            format!("{rules:?}"),
            "{\"denominator-changed\": Violation, \"numerator-decreased\": Violation, \
             \"failure-before-completion\": Violation, \"result-on-failure\": Violation, \
             \"unexpected-result\": Violation, \"missing-result\": Anomaly}"
        );
    }

    #[test]
    fn display_starts_from_the_nearer_preset() {
        let configurable: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|rule| rule.is_configurable())
            .collect();
        // Three of six violations: a tie, told from `documented`.
        let mut rules = Rules::documented();
        for rule in &configurable[..3] {
            rules.set(*rule, RuleSetting::Violation).unwrap();
        }
        assert_eq!(
            rules.to_string(),
            "documented with violations: denominator-changed, numerator-decreased, \
             failure-before-completion"
        );
        // Four of six: two anomalies from `strict`.
        rules
            .set(Rule::MissingResult, RuleSetting::Violation)
            .unwrap();
        assert_eq!(
            rules.to_string(),
            "strict with anomalies: result-on-failure, unexpected-result"
        );
        // Every form names its preset and parses back through it.
        for preset in Preset::ALL {
            assert_eq!(Rules::preset(*preset).to_string().parse(), Ok(*preset));
        }
    }

    #[test]
    fn always_enforced_rules_cannot_be_relaxed() {
        for rule in Rule::ALL.iter().filter(|rule| !rule.is_configurable()) {
            let mut rules = Rules::strict();
            assert_eq!(
                rules.set(*rule, RuleSetting::Anomaly),
                Err(RuleNotConfigurable { rule: *rule })
            );
            assert_eq!(rules, Rules::strict());
        }
    }
}
