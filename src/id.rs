//! Stable kebab-case ids (operations, result types, rules, presets) and their parse error.

/// The error returned when text is not one of the known ids of its kind.
///
/// ```
/// use gpmc_progress::Rule;
/// let err = "no-such-rule".parse::<Rule>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown rule `no-such-rule`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{input}`")]
#[non_exhaustive]
pub struct ParseIdError {
    /// What was being parsed: `operation`, `result type`, `rule` or `preset`.
    pub kind: &'static str,
    /// The rejected text (at most 64 characters of it).
    pub input: String,
}

impl ParseIdError {
    pub(crate) fn new(kind: &'static str, input: &str) -> Self {
        ParseIdError {
            kind,
            input: input.chars().take(64).collect(),
        }
    }
}

/// Declares a kebab-case id enum once: the variants, `ALL`, `id()`, Display and FromStr.
macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$doc:meta])* $variant:ident = $id:literal, )+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$doc])* $variant, )+
        }

        impl $name {
            /// Every value, in the order of the crate docs' tables.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable kebab-case id used in traces and checker output.
            pub const fn id(self) -> &'static str {
                match self {
                    $( $name::$variant => $id, )+
                }
            }
        }

        impl core::fmt::Display for $name {
            /// The id.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.id())
            }
        }

        impl core::str::FromStr for $name {
            type Err = crate::ParseIdError;

            /// Parses the id (exact, case-sensitive).
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $( $id => Ok($name::$variant), )+
                    _ => Err(crate::ParseIdError::new($what, text)),
                }
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.id())
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct IdVisitor;
                impl serde::de::Visitor<'_> for IdVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        write!(f, "a {} id", $what)
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        text.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(IdVisitor)
            }
        }
    };
}
pub(crate) use id_enum;
