//! [`HResult`]: the 32-bit COM status code carried by `hrStatus` and by status messages.

use core::fmt;
use core::str::FromStr;

/// A COM `HRESULT`: a 32-bit status code whose sign bit says success or failure.
///
/// GPMC passes one as `hrStatus` on every `IGPMAsyncProgress::Status` call, and each status
/// message carries two (`ErrorCode`, `OperationCode`). Every 32-bit pattern is a valid
/// `HResult`: values from a server are kept as they are, never rejected.
///
/// Display is the hexadecimal form that windows-rs prints and users paste (`0x80070005`);
/// the alternate form (`{:#}`) and Debug also name the code when it is one of the well-known
/// ones listed on the constants.
///
/// ```
/// use gpmc_progress::HResult;
///
/// let hr = HResult::from_win32(5); // ERROR_ACCESS_DENIED
/// assert_eq!(hr, HResult::E_ACCESSDENIED);
/// assert!(hr.is_failure());
/// assert_eq!(hr.to_string(), "0x80070005");
/// assert_eq!(format!("{hr:#}"), "0x80070005 (E_ACCESSDENIED)");
/// assert_eq!(format!("{hr:?}"), "HResult(0x80070005 E_ACCESSDENIED)");
/// assert_eq!(hr.facility(), 7);
/// assert_eq!(hr.code(), 5);
/// assert_eq!("0x80070005".parse::<HResult>(), Ok(hr));
/// assert_eq!("-2147024891".parse::<HResult>(), Ok(hr));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct HResult(i32);

/// Declares the table of well-known codes once: the associated constants, [`HResult::name`]
/// and [`HResult::description`] all come from these rows.
macro_rules! known_hresults {
    ($( $(#[$doc:meta])* ($konst:ident, $value:expr, $name:literal, $description:literal); )+) => {
        impl HResult {
            $(
                $(#[$doc])*
                pub const $konst: HResult = HResult::from_bits($value);
            )+

            /// Every well-known code of the table, in table order.
            ///
            /// ```
            /// use gpmc_progress::HResult;
            /// assert!(HResult::KNOWN.contains(&HResult::E_ABORT));
            /// ```
            pub const KNOWN: &'static [HResult] = &[$(HResult::$konst),+];

            /// The symbolic name of a well-known code (`E_ACCESSDENIED`,
            /// `HRESULT_FROM_WIN32(ERROR_CANCELLED)`), or `None`.
            ///
            /// ```
            /// use gpmc_progress::HResult;
            /// assert_eq!(HResult::E_ABORT.name(), Some("E_ABORT"));
            /// assert_eq!(HResult::from_bits(0x8004_0000).name(), None);
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                match self.0 as u32 {
                    $( v if v == $value => Some($name), )+
                    _ => None,
                }
            }

            /// A short description of a well-known code, or `None`.
            ///
            /// ```
            /// use gpmc_progress::HResult;
            /// assert_eq!(HResult::E_ACCESSDENIED.description(), Some("access denied"));
            /// ```
            pub const fn description(self) -> Option<&'static str> {
                match self.0 as u32 {
                    $( v if v == $value => Some($description), )+
                    _ => None,
                }
            }
        }
    };
}

known_hresults! {
    /// `S_OK`: success.
    (S_OK, 0x0000_0000, "S_OK", "success");
    /// `S_FALSE`: success, with a negative or partial answer.
    (S_FALSE, 0x0000_0001, "S_FALSE", "success (false)");
    /// `E_NOTIMPL`: not implemented.
    (E_NOTIMPL, 0x8000_4001, "E_NOTIMPL", "not implemented");
    /// `E_NOINTERFACE`: the interface is not supported.
    (E_NOINTERFACE, 0x8000_4002, "E_NOINTERFACE", "no such interface supported");
    /// `E_POINTER`: an invalid (usually null) pointer.
    (E_POINTER, 0x8000_4003, "E_POINTER", "invalid pointer");
    /// `E_ABORT`: the operation was aborted; a likely code of a cancelled operation.
    (E_ABORT, 0x8000_4004, "E_ABORT", "operation aborted");
    /// `E_FAIL`: unspecified failure.
    (E_FAIL, 0x8000_4005, "E_FAIL", "unspecified failure");
    /// `E_UNEXPECTED`: catastrophic failure.
    (E_UNEXPECTED, 0x8000_FFFF, "E_UNEXPECTED", "unexpected failure");
    /// `E_PENDING`: the data is not yet available.
    (E_PENDING, 0x8000_000A, "E_PENDING", "data not yet available");
    /// `E_ILLEGAL_METHOD_CALL`: a method was called at an unexpected time.
    (E_ILLEGAL_METHOD_CALL, 0x8000_000E, "E_ILLEGAL_METHOD_CALL", "method called at an unexpected time");
    /// `E_ACCESSDENIED`, `HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)`: access denied.
    (E_ACCESSDENIED, 0x8007_0005, "E_ACCESSDENIED", "access denied");
    /// `E_HANDLE`, `HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)`: an invalid handle.
    (E_HANDLE, 0x8007_0006, "E_HANDLE", "invalid handle");
    /// `E_OUTOFMEMORY`, `HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)`: out of memory.
    (E_OUTOFMEMORY, 0x8007_000E, "E_OUTOFMEMORY", "out of memory");
    /// `E_INVALIDARG`, `HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`: an invalid argument.
    (E_INVALIDARG, 0x8007_0057, "E_INVALIDARG", "invalid argument");
    /// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`: the file was not found.
    (ERROR_FILE_NOT_FOUND, 0x8007_0002, "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)", "file not found");
    /// `HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)`: the path was not found.
    (ERROR_PATH_NOT_FOUND, 0x8007_0003, "HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)", "path not found");
    /// `HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED)`: the I/O operation was aborted.
    (ERROR_OPERATION_ABORTED, 0x8007_03E3, "HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED)", "operation aborted");
    /// `HRESULT_FROM_WIN32(ERROR_CANCELLED)`: the operation was cancelled by the user; a
    /// likely code of a cancelled operation.
    (ERROR_CANCELLED, 0x8007_04C7, "HRESULT_FROM_WIN32(ERROR_CANCELLED)", "operation cancelled by the user");
    /// `HRESULT_FROM_WIN32(ERROR_NO_SUCH_DOMAIN)`: the domain does not exist or cannot be reached.
    (ERROR_NO_SUCH_DOMAIN, 0x8007_054B, "HRESULT_FROM_WIN32(ERROR_NO_SUCH_DOMAIN)", "no such domain");
    /// `HRESULT_FROM_WIN32(ERROR_TIMEOUT)`: the operation timed out.
    (ERROR_TIMEOUT, 0x8007_05B4, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)", "timed out");
    /// `DISP_E_PARAMNOTFOUND`: an optional argument was omitted (how Automation callers pass
    /// a missing VARIANT).
    (DISP_E_PARAMNOTFOUND, 0x8002_0004, "DISP_E_PARAMNOTFOUND", "parameter not found");
    /// `DISP_E_EXCEPTION`: an exception occurred in an Automation call.
    (DISP_E_EXCEPTION, 0x8002_0009, "DISP_E_EXCEPTION", "exception occurred");
    /// `RPC_E_CALL_REJECTED`: the callee rejected the call.
    (RPC_E_CALL_REJECTED, 0x8001_0001, "RPC_E_CALL_REJECTED", "call rejected by callee");
    /// `RPC_E_SERVERFAULT`: the server threw an exception.
    (RPC_E_SERVERFAULT, 0x8001_0105, "RPC_E_SERVERFAULT", "server threw an exception");
    /// `RPC_E_DISCONNECTED`: the object has disconnected from its clients.
    (RPC_E_DISCONNECTED, 0x8001_0108, "RPC_E_DISCONNECTED", "object disconnected from its clients");
    /// `RPC_E_WRONG_THREAD`: an interface marshalled for another thread was called.
    (RPC_E_WRONG_THREAD, 0x8001_010E, "RPC_E_WRONG_THREAD", "called on the wrong thread");
    /// `CO_E_NOTINITIALIZED`: COM was not initialised on this thread (`CoInitializeEx` was
    /// not called, or was balanced already).
    (CO_E_NOTINITIALIZED, 0x8004_01F0, "CO_E_NOTINITIALIZED", "COM not initialised");
    /// `RPC_E_CHANGED_MODE`: COM was initialised on this thread in another concurrency
    /// model (a single-threaded apartment, such as a UI thread, asked for the
    /// multithreaded one, or the reverse).
    (RPC_E_CHANGED_MODE, 0x8001_0106, "RPC_E_CHANGED_MODE", "COM initialised in another apartment model");
    /// `REGDB_E_CLASSNOTREG`: the class is not registered. For `GPMgmt.GPM`: the Group
    /// Policy Management Console is not installed.
    (REGDB_E_CLASSNOTREG, 0x8004_0154, "REGDB_E_CLASSNOTREG", "class not registered");
    /// `REGDB_E_IIDNOTREG`: the interface is not registered (no proxy to marshal it with).
    (REGDB_E_IIDNOTREG, 0x8004_0155, "REGDB_E_IIDNOTREG", "interface not registered");
    /// `CLASS_E_NOAGGREGATION`: the class cannot be created as part of an aggregate.
    (CLASS_E_NOAGGREGATION, 0x8004_0110, "CLASS_E_NOAGGREGATION", "class does not support aggregation");
    /// `CO_E_CLASSSTRING`: an invalid class string (a ProgID or CLSID that does not parse
    /// or is not known).
    (CO_E_CLASSSTRING, 0x8004_01F3, "CO_E_CLASSSTRING", "invalid class string");
    /// `CO_E_SERVER_EXEC_FAILURE`: the server process of an out-of-process class could
    /// not be started.
    (CO_E_SERVER_EXEC_FAILURE, 0x8008_0005, "CO_E_SERVER_EXEC_FAILURE", "server execution failed");
    /// `HRESULT_FROM_WIN32(ERROR_BAD_NETPATH)`: the network path was not found.
    (ERROR_BAD_NETPATH, 0x8007_0035, "HRESULT_FROM_WIN32(ERROR_BAD_NETPATH)", "network path not found");
    /// `HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)`: the file or object already exists.
    (ERROR_ALREADY_EXISTS, 0x8007_00B7, "HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)", "already exists");
    /// `HRESULT_FROM_WIN32(ERROR_NOT_FOUND)`: the element was not found.
    (ERROR_NOT_FOUND, 0x8007_0490, "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)", "element not found");
    /// `HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)`: the RPC server (a domain controller,
    /// say) cannot be reached.
    (RPC_S_SERVER_UNAVAILABLE, 0x8007_06BA, "HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)", "RPC server unavailable");
    /// `HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT)`: the directory has no such object (a
    /// GPO ID that is not in the domain).
    (ERROR_DS_NO_SUCH_OBJECT, 0x8007_2030, "HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT)", "no such directory object");
}

impl HResult {
    /// Wraps a signed 32-bit value (the Windows `HRESULT` type).
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::new(-2147467259), HResult::E_FAIL);
    /// ```
    #[inline]
    pub const fn new(value: i32) -> Self {
        HResult(value)
    }

    /// Wraps an unsigned 32-bit pattern (how HRESULTs are usually written, `0x80004005`).
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::from_bits(0x8000_4005), HResult::E_FAIL);
    /// ```
    #[inline]
    pub const fn from_bits(bits: u32) -> Self {
        HResult(bits as i32)
    }

    /// The value as the signed 32-bit Windows `HRESULT`.
    #[inline]
    pub const fn value(self) -> i32 {
        self.0
    }

    /// The value as an unsigned 32-bit pattern.
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::E_ABORT.bits(), 0x8000_4004);
    /// ```
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// `HRESULT_FROM_WIN32`: maps a Win32 error code to an `HResult` exactly as the Windows
    /// macro does (zero and values that are already negative as `i32` pass through unchanged;
    /// others keep their low 16 bits under facility 7 with the failure bit set).
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::from_win32(1223), HResult::ERROR_CANCELLED);
    /// assert_eq!(HResult::from_win32(0), HResult::S_OK);
    /// ```
    #[inline]
    pub const fn from_win32(error: u32) -> Self {
        if error as i32 <= 0 {
            HResult(error as i32)
        } else {
            HResult(((error & 0x0000_FFFF) | (7 << 16) | 0x8000_0000) as i32)
        }
    }

    /// Whether the code means success: the sign bit is clear (`S_OK`, `S_FALSE`, any
    /// non-negative value), as `SUCCEEDED()` decides.
    #[inline]
    pub const fn is_success(self) -> bool {
        self.0 >= 0
    }

    /// Whether the code means failure: the sign bit is set, as `FAILED()` decides.
    #[inline]
    pub const fn is_failure(self) -> bool {
        self.0 < 0
    }

    /// The facility: bits 16 to 26 (7 is `FACILITY_WIN32`, 4 `FACILITY_ITF`).
    #[inline]
    pub const fn facility(self) -> u16 {
        ((self.bits() >> 16) & 0x7FF) as u16
    }

    /// The code: the low 16 bits (for facility 7, the Win32 error code).
    #[inline]
    pub const fn code(self) -> u16 {
        (self.bits() & 0xFFFF) as u16
    }
}

impl fmt::Display for HResult {
    /// `0x` and eight uppercase hexadecimal digits: `0x800704C7`, the form traces use and
    /// [`FromStr`] reads back.
    ///
    /// The alternate form (`{:#}`) adds the [`name`](HResult::name) of a well-known code in
    /// parentheses; an unknown code is the hexadecimal alone.
    ///
    /// ```
    /// use gpmc_progress::HResult;
    ///
    /// assert_eq!(HResult::ERROR_CANCELLED.to_string(), "0x800704C7");
    /// assert_eq!(
    ///     format!("{:#}", HResult::ERROR_CANCELLED),
    ///     "0x800704C7 (HRESULT_FROM_WIN32(ERROR_CANCELLED))"
    /// );
    /// assert_eq!(format!("{:#}", HResult::S_OK), "0x00000000 (S_OK)");
    /// assert_eq!(format!("{:#}", HResult::from_bits(0x8004_0000)), "0x80040000");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010X}", self.bits())?;
        match self.name() {
            Some(name) if f.alternate() => write!(f, " ({name})"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for HResult {
    /// `HResult(0x80004005 E_FAIL)` for a known code, `HResult(0x80040000)` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "HResult({self} {name})"),
            None => write!(f, "HResult({self})"),
        }
    }
}

/// The error returned when text is not an HRESULT in one of the accepted forms: the forms of
/// [`FromStr`] (hexadecimal or decimal), or the hexadecimal one alone for
/// [`HResult::parse_hex`].
///
/// ```
/// use gpmc_progress::HResult;
/// let err = "0xZZ".parse::<HResult>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid hresult `0xZZ`: expected 0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295"
/// );
/// let err = HResult::parse_hex("1223").unwrap_err();
/// assert_eq!(err.to_string(), "invalid hresult `1223`: expected 0x and 1 to 8 hex digits");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid hresult `{input}`: expected {expected}")]
#[non_exhaustive]
pub struct ParseHResultError {
    /// The rejected text (at most 64 characters of it).
    pub input: String,
    /// The forms that were accepted.
    expected: Expected,
}

/// The forms a parse accepted, as its error names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// [`HResult::parse_hex`].
    Hex,
    /// [`FromStr`].
    HexOrInteger,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Hex => "0x and 1 to 8 hex digits",
            Expected::HexOrInteger => {
                "0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295"
            }
        })
    }
}

impl ParseHResultError {
    fn new(input: &str, expected: Expected) -> Self {
        ParseHResultError {
            input: input.chars().take(64).collect(),
            expected,
        }
    }
}

impl HResult {
    /// Parses the hexadecimal form only: `0x` or `0X` and 1 to 8 hex digits of any case.
    ///
    /// This is the only string form the trace format accepts.
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::parse_hex("0x4c7"), Ok(HResult::from_bits(0x4C7)));
    /// assert!(HResult::parse_hex("1223").is_err());
    /// ```
    pub fn parse_hex(text: &str) -> Result<Self, ParseHResultError> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .ok_or_else(|| ParseHResultError::new(text, Expected::Hex))?;
        if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseHResultError::new(text, Expected::Hex));
        }
        u32::from_str_radix(digits, 16)
            .map(HResult::from_bits)
            .map_err(|_| ParseHResultError::new(text, Expected::Hex))
    }

    /// Converts an integer in `-2147483648..=4294967295`: negative values as the signed
    /// `HRESULT`, large positive ones as the unsigned bit pattern. `None` outside that range.
    ///
    /// ```
    /// use gpmc_progress::HResult;
    /// assert_eq!(HResult::from_integer(4_294_967_295), Some(HResult::from_bits(u32::MAX)));
    /// assert_eq!(HResult::from_integer(-1), Some(HResult::from_bits(u32::MAX)));
    /// assert_eq!(HResult::from_integer(4_294_967_296), None);
    /// ```
    pub const fn from_integer(value: i64) -> Option<Self> {
        if value >= i32::MIN as i64 && value <= u32::MAX as i64 {
            Some(HResult(value as u32 as i32))
        } else {
            None
        }
    }
}

impl FromStr for HResult {
    type Err = ParseHResultError;

    /// Accepts the trace format's forms: `0x`/`0X` and 1 to 8 hex digits, or a decimal integer in
    /// `-2147483648..=4294967295`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseHResultError::new(text, Expected::HexOrInteger);
        if text.starts_with("0x") || text.starts_with("0X") {
            return HResult::parse_hex(text).map_err(|_| error());
        }
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        text.parse::<i64>()
            .ok()
            .and_then(HResult::from_integer)
            .ok_or_else(error)
    }
}

impl From<HResult> for i32 {
    #[inline]
    fn from(hr: HResult) -> Self {
        hr.0
    }
}

/// The bit pattern, as HRESULTs are written: `HResult::from(0x80070005)` is
/// [`HResult::E_ACCESSDENIED`]. A signed value goes through [`HResult::new`]; there is no
/// `From<i32>`, so that an unsuffixed hex literal has one meaning:
///
/// ```
/// use gpmc_progress::HResult;
///
/// assert_eq!(HResult::from(0x80070005), HResult::E_ACCESSDENIED);
/// assert_eq!(HResult::new(-2147024891), HResult::E_ACCESSDENIED);
/// let bits: u32 = HResult::E_ACCESSDENIED.into();
/// let value: i32 = HResult::E_ACCESSDENIED.into();
/// assert_eq!((bits, value), (0x80070005, -2147024891));
/// ```
///
/// A negative literal is a compile error rather than a second meaning:
///
/// ```compile_fail
/// let hr = gpmc_progress::HResult::from(-2147024891);
/// ```
impl From<u32> for HResult {
    #[inline]
    fn from(bits: u32) -> Self {
        HResult::from_bits(bits)
    }
}

impl From<HResult> for u32 {
    #[inline]
    fn from(hr: HResult) -> Self {
        hr.bits()
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::HResult;
    use core::fmt;
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    impl Serialize for HResult {
        /// Human-readable formats get `"0x"` and eight uppercase hex digits; compact ones the
        /// signed 32-bit integer.
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            if serializer.is_human_readable() {
                serializer.collect_str(self)
            } else {
                serializer.serialize_i32(self.value())
            }
        }
    }

    struct HResultVisitor;

    impl Visitor<'_> for HResultVisitor {
        type Value = HResult;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "an hresult: a string 0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295",
            )
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<HResult, E> {
            HResult::from_integer(value).ok_or_else(|| {
                E::custom(format_args!(
                    "hresult {value} is out of range -2147483648..=4294967295"
                ))
            })
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<HResult, E> {
            i64::try_from(value)
                .ok()
                .and_then(HResult::from_integer)
                .ok_or_else(|| {
                    E::custom(format_args!(
                        "hresult {value} is out of range -2147483648..=4294967295"
                    ))
                })
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<HResult, E> {
            HResult::parse_hex(text).map_err(E::custom)
        }
    }

    impl<'de> Deserialize<'de> for HResult {
        /// Accepts `"0x…"` strings (1 to 8 hex digits) and integers in
        /// `-2147483648..=4294967295`; compact formats read an `i32`.
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            if deserializer.is_human_readable() {
                deserializer.deserialize_any(HResultVisitor)
            } else {
                deserializer.deserialize_i32(HResultVisitor)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values_match_their_names() {
        assert_eq!(HResult::S_OK.bits(), 0);
        assert_eq!(HResult::E_ACCESSDENIED, HResult::from_win32(5));
        assert_eq!(HResult::E_HANDLE, HResult::from_win32(6));
        assert_eq!(HResult::E_OUTOFMEMORY, HResult::from_win32(14));
        assert_eq!(HResult::E_INVALIDARG, HResult::from_win32(87));
        assert_eq!(HResult::ERROR_FILE_NOT_FOUND, HResult::from_win32(2));
        assert_eq!(HResult::ERROR_PATH_NOT_FOUND, HResult::from_win32(3));
        assert_eq!(HResult::ERROR_OPERATION_ABORTED, HResult::from_win32(995));
        assert_eq!(HResult::ERROR_CANCELLED, HResult::from_win32(1223));
        assert_eq!(HResult::ERROR_NO_SUCH_DOMAIN, HResult::from_win32(1355));
        assert_eq!(HResult::ERROR_TIMEOUT, HResult::from_win32(1460));
        assert_eq!(HResult::ERROR_BAD_NETPATH, HResult::from_win32(53));
        assert_eq!(HResult::ERROR_ALREADY_EXISTS, HResult::from_win32(183));
        assert_eq!(HResult::ERROR_NOT_FOUND, HResult::from_win32(1168));
        assert_eq!(HResult::RPC_S_SERVER_UNAVAILABLE, HResult::from_win32(1722));
        assert_eq!(HResult::ERROR_DS_NO_SUCH_OBJECT, HResult::from_win32(8240));
    }

    /// What a COM program meets first, before GPMC says anything, is named.
    #[test]
    fn the_first_codes_a_com_user_meets_are_named() {
        for (bits, named) in [
            (0x8004_0154, "0x80040154 (REGDB_E_CLASSNOTREG)"),
            (0x8001_0106, "0x80010106 (RPC_E_CHANGED_MODE)"),
            (0x8004_01F0, "0x800401F0 (CO_E_NOTINITIALIZED)"),
            (0x8004_0155, "0x80040155 (REGDB_E_IIDNOTREG)"),
            (0x8004_0110, "0x80040110 (CLASS_E_NOAGGREGATION)"),
            (0x8004_01F3, "0x800401F3 (CO_E_CLASSSTRING)"),
            (0x8008_0005, "0x80080005 (CO_E_SERVER_EXEC_FAILURE)"),
            (
                0x8007_06BA,
                "0x800706BA (HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE))",
            ),
        ] {
            let hr = HResult::from_bits(bits);
            assert_eq!(format!("{hr:#}"), named);
            assert!(hr.is_failure(), "{named}");
        }
        assert_eq!(
            HResult::REGDB_E_CLASSNOTREG.description(),
            Some("class not registered")
        );
    }

    #[test]
    fn every_known_code_has_its_own_value() {
        let mut values: Vec<u32> = HResult::KNOWN.iter().map(|hr| hr.bits()).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), HResult::KNOWN.len());
    }

    #[test]
    fn every_known_code_has_a_unique_name_and_a_description() {
        let mut names: Vec<_> = HResult::KNOWN.iter().map(|hr| hr.name().unwrap()).collect();
        for hr in HResult::KNOWN {
            assert!(hr.description().is_some(), "{hr} has no description");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HResult::KNOWN.len());
    }

    #[test]
    fn from_win32_passes_zero_and_negative_values_through() {
        assert_eq!(HResult::from_win32(0x8000_4005), HResult::E_FAIL);
        assert_eq!(
            HResult::from_win32(0x1_0005),
            HResult::from_bits(0x8007_0005)
        );
    }

    #[test]
    fn classifiers_follow_the_sign_bit() {
        assert!(HResult::new(i32::MAX).is_success());
        assert!(HResult::new(i32::MIN).is_failure());
        assert_eq!(HResult::from_bits(0xFFFF_FFFF).facility(), 0x7FF);
        assert_eq!(HResult::from_bits(0xFFFF_FFFF).code(), 0xFFFF);
    }

    #[test]
    fn display_and_debug() {
        assert_eq!(HResult::S_OK.to_string(), "0x00000000");
        assert_eq!(format!("{:#}", HResult::E_FAIL), "0x80004005 (E_FAIL)");
        assert_eq!(format!("{:#}", HResult::from_bits(0x4C7)), "0x000004C7");
        for hr in HResult::KNOWN {
            assert_eq!(format!("{hr:#}"), format!("{hr} ({})", hr.name().unwrap()));
        }
        assert_eq!(HResult::ERROR_CANCELLED.to_string(), "0x800704C7");
        assert_eq!(
            format!("{:?}", HResult::from_bits(0x4C7)),
            "HResult(0x000004C7)"
        );
        assert_eq!(
            format!("{:?}", HResult::ERROR_CANCELLED),
            "HResult(0x800704C7 HRESULT_FROM_WIN32(ERROR_CANCELLED))"
        );
    }

    #[test]
    fn parses_the_contract_forms_at_their_boundaries() {
        for (text, bits) in [
            ("0x0", 0),
            ("0X0", 0),
            ("0xffffffff", u32::MAX),
            ("0x800704c7", 0x8007_04C7),
            ("0x800704C7", 0x8007_04C7),
            ("0", 0),
            ("-2147483648", 0x8000_0000),
            ("4294967295", u32::MAX),
            ("2147483648", 0x8000_0000),
            ("-1", u32::MAX),
        ] {
            assert_eq!(
                text.parse::<HResult>(),
                Ok(HResult::from_bits(bits)),
                "{text}"
            );
        }
        for text in [
            "",
            "0x",
            "0x123456789",
            "0xZZ",
            "-2147483649",
            "4294967296",
            "+1",
            "1.0",
            " 0x1",
            "0x1 ",
            "-",
            "0x-1",
            "E_FAIL",
        ] {
            assert!(text.parse::<HResult>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn display_parses_back_for_every_bit_pattern_sampled() {
        for bits in [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1234_5678] {
            let hr = HResult::from_bits(bits);
            assert_eq!(hr.to_string().parse::<HResult>(), Ok(hr));
            assert_eq!(u32::from(hr), bits);
            assert_eq!(HResult::new(i32::from(hr)), hr);
        }
    }

    #[test]
    fn parse_error_names_the_input() {
        for text in ["0xZZ", "1223x", "4294967296", ""] {
            assert_eq!(
                text.parse::<HResult>().unwrap_err().to_string(),
                format!("invalid hresult `{text}`: expected 0x and 1 to 8 hex digits, or an integer in -2147483648..=4294967295")
            );
        }
    }

    #[test]
    fn parse_hex_error_does_not_suggest_integers() {
        for text in ["1223", "-1", "0x", "0x123456789", "0xZZ", "E_FAIL", ""] {
            assert_eq!(
                HResult::parse_hex(text).unwrap_err().to_string(),
                format!("invalid hresult `{text}`: expected 0x and 1 to 8 hex digits")
            );
        }
        let long = "9".repeat(100);
        assert_eq!(
            HResult::parse_hex(&long).unwrap_err().to_string(),
            format!(
                "invalid hresult `{}`: expected 0x and 1 to 8 hex digits",
                &long[..64]
            )
        );
    }
}
