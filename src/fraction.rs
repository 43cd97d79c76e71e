//! [`ProgressFraction`]: how far an operation has got, as GPMC reports it.

use core::fmt;
use core::str::FromStr;

/// A validated progress fraction: `0 <= numerator <= denominator`, both 32-bit.
///
/// GPMC reports progress as `lProgressNumerator / lProgressDenominator`; the denominator is
/// "proportional to the number of extensions" and the operation is complete when the two are
/// equal. `0/0` is therefore complete (and 100%).
///
/// ```
/// use gpmc_progress::ProgressFraction;
///
/// let half = ProgressFraction::new(3, 6)?;
/// assert_eq!(half.percent(), 50);
/// assert!(!half.is_complete());
/// assert_eq!(half.to_string(), "3/6");
///
/// assert!(ProgressFraction::new(0, 0)?.is_complete());
/// assert_eq!(ProgressFraction::new(i32::MAX - 1, i32::MAX)?.percent(), 99);
/// assert!(ProgressFraction::new(4, 3).is_err());
/// # Ok::<(), gpmc_progress::FractionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "RawFraction", into = "RawFraction")
)]
pub struct ProgressFraction {
    numerator: i32,
    denominator: i32,
}

/// Why a pair of numbers is not a [`ProgressFraction`], or text does not parse as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FractionError {
    /// The numerator or the denominator is below zero.
    #[error("progress {numerator}/{denominator} is negative")]
    Negative {
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// The numerator is greater than the denominator.
    #[error("progress numerator {numerator} exceeds denominator {denominator}")]
    NumeratorExceedsDenominator {
        /// The numerator given.
        numerator: i32,
        /// The denominator given.
        denominator: i32,
    },
    /// The text is not two decimal 32-bit integers separated by `/`.
    #[error("invalid progress `{input}`: expected numerator/denominator, such as 3/8")]
    Syntax {
        /// The rejected text (at most 64 characters of it).
        input: String,
    },
}

impl ProgressFraction {
    /// Validates a fraction: fails when either part is negative or the numerator exceeds the
    /// denominator, with an error naming both values.
    ///
    /// ```
    /// use gpmc_progress::{FractionError, ProgressFraction};
    /// assert_eq!(
    ///     ProgressFraction::new(-1, 3).unwrap_err().to_string(),
    ///     "progress -1/3 is negative"
    /// );
    /// assert!(matches!(
    ///     ProgressFraction::new(4, 3),
    ///     Err(FractionError::NumeratorExceedsDenominator { numerator: 4, denominator: 3 })
    /// ));
    /// ```
    #[inline]
    pub const fn new(numerator: i32, denominator: i32) -> Result<Self, FractionError> {
        if numerator < 0 || denominator < 0 {
            Err(FractionError::Negative {
                numerator,
                denominator,
            })
        } else if numerator > denominator {
            Err(FractionError::NumeratorExceedsDenominator {
                numerator,
                denominator,
            })
        } else {
            Ok(ProgressFraction {
                numerator,
                denominator,
            })
        }
    }

    /// A fraction the state machine's judgement found valid (it breaks neither
    /// `negative-progress` nor `numerator-exceeds-denominator`), without checking again.
    #[inline(always)]
    pub(crate) const fn judged_valid(numerator: i32, denominator: i32) -> Self {
        debug_assert!(0 <= numerator && numerator <= denominator);
        ProgressFraction {
            numerator,
            denominator,
        }
    }

    /// The numerator (`lProgressNumerator`).
    #[inline]
    pub const fn numerator(self) -> i32 {
        self.numerator
    }

    /// The denominator (`lProgressDenominator`).
    #[inline]
    pub const fn denominator(self) -> i32 {
        self.denominator
    }

    /// Whether the fraction is complete: `numerator == denominator`, `0/0` included. The
    /// operation it belongs to may still have failed or been cancelled: GPMC finishes those at
    /// n/n too.
    #[inline]
    pub const fn is_complete(self) -> bool {
        self.numerator == self.denominator
    }

    /// `floor(100 * numerator / denominator)`, computed without overflow; 100 only when
    /// complete (`0/0` is 100), so nothing short of complete shows 100%. 100% is not
    /// success: show how the operation finished from its outcome.
    ///
    /// ```
    /// use gpmc_progress::ProgressFraction;
    /// assert_eq!(ProgressFraction::new(199, 200)?.percent(), 99);
    /// assert_eq!(ProgressFraction::new(1, 3)?.percent(), 33);
    /// assert_eq!(ProgressFraction::new(0, 0)?.percent(), 100);
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    #[inline]
    pub const fn percent(self) -> u8 {
        if self.denominator == 0 {
            return 100;
        }
        // 100 * i32::MAX fits an i64 with room to spare; the quotient is at most 100.
        ((self.numerator as i64 * 100) / self.denominator as i64) as u8
    }

    /// `numerator / denominator` as a float in `0.0..=1.0`; `0/0` is `1.0`.
    ///
    /// ```
    /// use gpmc_progress::ProgressFraction;
    /// assert_eq!(ProgressFraction::new(1, 4)?.ratio(), 0.25);
    /// assert_eq!(ProgressFraction::new(0, 0)?.ratio(), 1.0);
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    #[inline]
    pub fn ratio(self) -> f64 {
        if self.denominator == 0 {
            1.0
        } else {
            f64::from(self.numerator) / f64::from(self.denominator)
        }
    }
}

impl fmt::Display for ProgressFraction {
    /// `numerator/denominator`, such as `3/8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl FromStr for ProgressFraction {
    type Err = FractionError;

    /// Parses `numerator/denominator` (decimal, no spaces), the form Display writes.
    ///
    /// ```
    /// use gpmc_progress::ProgressFraction;
    /// assert_eq!("3/8".parse::<ProgressFraction>()?, ProgressFraction::new(3, 8)?);
    /// # Ok::<(), gpmc_progress::FractionError>(())
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || FractionError::Syntax {
            input: text.chars().take(64).collect(),
        };
        let (numerator, denominator) = text.split_once('/').ok_or_else(syntax)?;
        let parse = |part: &str| -> Result<i32, FractionError> {
            if part.is_empty() || part.starts_with('+') {
                return Err(syntax());
            }
            part.parse::<i32>().map_err(|_| syntax())
        };
        ProgressFraction::new(parse(numerator)?, parse(denominator)?)
    }
}

impl TryFrom<(i32, i32)> for ProgressFraction {
    type Error = FractionError;

    fn try_from((numerator, denominator): (i32, i32)) -> Result<Self, Self::Error> {
        ProgressFraction::new(numerator, denominator)
    }
}

impl From<ProgressFraction> for (i32, i32) {
    fn from(fraction: ProgressFraction) -> Self {
        (fraction.numerator, fraction.denominator)
    }
}

/// The unvalidated serde form of a fraction: `{"numerator": 3, "denominator": 8}`.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFraction {
    numerator: i32,
    denominator: i32,
}

#[cfg(feature = "serde")]
impl TryFrom<RawFraction> for ProgressFraction {
    type Error = FractionError;

    fn try_from(raw: RawFraction) -> Result<Self, Self::Error> {
        ProgressFraction::new(raw.numerator, raw.denominator)
    }
}

#[cfg(feature = "serde")]
impl From<ProgressFraction> for RawFraction {
    fn from(fraction: ProgressFraction) -> Self {
        RawFraction {
            numerator: fraction.numerator,
            denominator: fraction.denominator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_at_the_extremes_of_i32() {
        let max = i32::MAX;
        assert_eq!(ProgressFraction::new(max, max).unwrap().percent(), 100);
        assert_eq!(ProgressFraction::new(max - 1, max).unwrap().percent(), 99);
        assert_eq!(ProgressFraction::new(0, max).unwrap().percent(), 0);
        assert_eq!(ProgressFraction::new(max / 2, max).unwrap().percent(), 49);
        assert_eq!(ProgressFraction::new(1, max).unwrap().percent(), 0);
        assert_eq!(ProgressFraction::new(0, 1).unwrap().percent(), 0);
        assert_eq!(ProgressFraction::new(1, 1).unwrap().percent(), 100);
    }

    #[test]
    fn only_complete_shows_one_hundred() {
        for denominator in 1..=300 {
            for numerator in 0..denominator {
                let f = ProgressFraction::new(numerator, denominator).unwrap();
                assert!(f.percent() < 100, "{f}");
                assert_eq!(
                    i64::from(f.percent()),
                    i64::from(numerator) * 100 / i64::from(denominator)
                );
            }
        }
    }

    #[test]
    fn rejects_every_invalid_pair_with_the_values_named() {
        assert_eq!(
            ProgressFraction::new(i32::MIN, 0),
            Err(FractionError::Negative {
                numerator: i32::MIN,
                denominator: 0
            })
        );
        assert_eq!(
            ProgressFraction::new(0, -1).unwrap_err().to_string(),
            "progress 0/-1 is negative"
        );
        assert_eq!(
            ProgressFraction::new(i32::MAX, 0).unwrap_err().to_string(),
            "progress numerator 2147483647 exceeds denominator 0"
        );
    }

    #[test]
    fn ratio_is_exact_at_the_ends() {
        assert_eq!(ProgressFraction::new(0, 7).unwrap().ratio(), 0.0);
        assert_eq!(ProgressFraction::new(7, 7).unwrap().ratio(), 1.0);
        assert_eq!(
            ProgressFraction::new(i32::MAX, i32::MAX).unwrap().ratio(),
            1.0
        );
    }

    #[test]
    fn parses_what_it_displays_and_nothing_else() {
        let f = ProgressFraction::new(3, 8).unwrap();
        assert_eq!(f.to_string().parse::<ProgressFraction>(), Ok(f));
        for bad in [
            "",
            "3",
            "3/",
            "/8",
            "3/8/9",
            "+3/8",
            "3 /8",
            "a/b",
            "3/2147483648",
        ] {
            assert!(
                matches!(
                    bad.parse::<ProgressFraction>(),
                    Err(FractionError::Syntax { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            "9/8".parse::<ProgressFraction>(),
            Err(FractionError::NumeratorExceedsDenominator { .. })
        ));
    }
}
