//! [`StatusCall`]: one raw `Status` invocation, and [`Input`]: what the state machine is fed.

use core::fmt;

use crate::{HResult, ResultDescription, StatusMessage};

/// One raw, untrusted `IGPMAsyncProgress::Status` invocation, as plain data.
///
/// Nothing is validated here: the numbers are whatever the server passed, negative or not.
/// The state machine judges them. `result` is `None` for a null pointer, `VT_EMPTY` or
/// `VT_NULL`; `messages` is `None` for a null collection and `Some(vec![])` for an empty one
/// (the protocol treats both as "no messages", but traces keep them apart).
///
/// It is plain data: the fields are the five parameters of `Status`, which do not change, so
/// they are public and a struct literal builds a call as well as [`new`](Self::new),
/// [`progress`](Self::progress) and the `with_` methods do.
///
/// ```
/// use gpmc_progress::{HResult, ResultDescription, StatusCall, StatusMessage};
///
/// let tick = StatusCall::progress(1, 3);
/// assert_eq!(tick.hr, HResult::S_OK);
///
/// let last = StatusCall::progress(3, 3)
///     .with_result(ResultDescription::text("<report/>"))
///     .with_messages(vec![StatusMessage::new("one setting skipped")]);
/// assert!(last.result.is_some());
///
/// let failed: StatusCall = StatusCall {
///     numerator: 1,
///     denominator: 3,
///     hr: HResult::E_ACCESSDENIED,
///     result: None,
///     messages: None,
/// };
/// assert_eq!(failed, StatusCall::progress(1, 3).with_hr(HResult::E_ACCESSDENIED));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StatusCall<R = ResultDescription> {
    /// `lProgressNumerator`.
    pub numerator: i32,
    /// `lProgressDenominator`.
    pub denominator: i32,
    /// `hrStatus`.
    pub hr: HResult,
    /// `pResult`, if it held an object or a string.
    pub result: Option<R>,
    /// The message collection: `None` when null.
    pub messages: Option<Vec<StatusMessage>>,
}

impl StatusCall {
    /// A call reporting `numerator/denominator` with `S_OK`, no result and a null collection,
    /// carrying plain [`ResultDescription`]s. [`typed_progress`](Self::typed_progress) is the
    /// same for other result types.
    ///
    /// ```
    /// use gpmc_progress::StatusCall;
    ///
    /// let call = StatusCall::progress(1, 3);
    /// assert_eq!((call.numerator, call.denominator), (1, 3));
    /// ```
    #[inline]
    pub const fn progress(numerator: i32, denominator: i32) -> Self {
        StatusCall::typed_progress(numerator, denominator)
    }
}

impl<R> StatusCall<R> {
    /// A call reporting `numerator/denominator` with `S_OK`, no result and a null collection,
    /// for calls carrying results of type `R` (name `R` where it cannot be inferred).
    ///
    /// ```
    /// use gpmc_progress::{ResultType, StatusCall};
    ///
    /// let call = StatusCall::<ResultType>::typed_progress(1, 1).with_result(ResultType::Text);
    /// assert_eq!(call.result, Some(ResultType::Text));
    /// ```
    #[inline]
    pub const fn typed_progress(numerator: i32, denominator: i32) -> Self {
        StatusCall {
            numerator,
            denominator,
            hr: HResult::S_OK,
            result: None,
            messages: None,
        }
    }

    /// A call with every field given.
    #[inline]
    pub const fn new(
        numerator: i32,
        denominator: i32,
        hr: HResult,
        result: Option<R>,
        messages: Option<Vec<StatusMessage>>,
    ) -> Self {
        StatusCall {
            numerator,
            denominator,
            hr,
            result,
            messages,
        }
    }

    /// Sets `hrStatus`.
    #[must_use]
    pub fn with_hr(mut self, hr: HResult) -> Self {
        self.hr = hr;
        self
    }

    /// Sets the result.
    #[must_use]
    pub fn with_result(mut self, result: R) -> Self {
        self.result = Some(result);
        self
    }

    /// Sets the message collection (an empty `Vec` is an empty, non-null collection).
    #[must_use]
    pub fn with_messages(mut self, messages: Vec<StatusMessage>) -> Self {
        self.messages = Some(messages);
        self
    }

    /// Replaces the result with `f(result)`, keeping everything else.
    pub fn map_result<S>(self, f: impl FnOnce(R) -> S) -> StatusCall<S> {
        StatusCall {
            numerator: self.numerator,
            denominator: self.denominator,
            hr: self.hr,
            result: self.result.map(f),
            messages: self.messages,
        }
    }
}

/// The call on one line, as it came: the fraction (raw, even when invalid), then what is not
/// the default: a code other than `S_OK` (named with `{:#}`), the result, and the size of a
/// message collection (nothing for a null one).
///
/// ```
/// use gpmc_progress::{HResult, ResultDescription, StatusCall, StatusMessage};
///
/// assert_eq!(StatusCall::progress(2, 4).to_string(), "2/4");
/// assert_eq!(
///     StatusCall::progress(1, 3).with_hr(HResult::E_ACCESSDENIED).to_string(),
///     "1/3, 0x80070005 (E_ACCESSDENIED)"
/// );
/// let last = StatusCall::progress(3, 3)
///     .with_result(ResultDescription::text("<report/>"))
///     .with_messages(vec![StatusMessage::new("one"), StatusMessage::new("two")]);
/// assert_eq!(last.to_string(), r#"3/3, result text "<report/>", 2 messages"#);
/// assert_eq!(StatusCall::progress(-1, 4).with_messages(vec![]).to_string(), "-1/4, 0 messages");
/// ```
impl<R: fmt::Display> fmt::Display for StatusCall<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)?;
        if self.hr != HResult::S_OK {
            write!(f, ", {:#}", self.hr)?;
        }
        if let Some(result) = &self.result {
            write!(f, ", result {result}")?;
        }
        match self.messages.as_deref() {
            None => Ok(()),
            Some([_]) => f.write_str(", 1 message"),
            Some(messages) => write!(f, ", {} messages", messages.len()),
        }
    }
}

/// One thing that happens to an operation, in order: a `Status` call from the server or the
/// client's `IGPMAsyncCancel::Cancel` request.
///
/// ```
/// use gpmc_progress::{Input, StatusCall};
///
/// let inputs: Vec<Input> = vec![
///     StatusCall::progress(0, 2).into(),
///     Input::Cancel,
/// ];
/// assert!(matches!(inputs[1], Input::Cancel));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Input<R = ResultDescription> {
    /// The server called `Status`.
    Status(StatusCall<R>),
    /// The client called `IGPMAsyncCancel::Cancel`.
    Cancel,
}

impl<R> From<StatusCall<R>> for Input<R> {
    fn from(call: StatusCall<R>) -> Self {
        Input::Status(call)
    }
}
