//! Running user code (an observer, a waker, a trace writer, their drops) so that its panic
//! never unwinds into the engine or the server's thread.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `work`; a panic is caught and returned as its message.
///
/// The payload is dropped inside `catch_unwind` too ([`drop_payload`]), so nothing escapes.
pub(crate) fn catch<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        let message = panic_message(&*payload);
        drop_payload(payload);
        message
    })
}

/// Drops a panic payload inside `catch_unwind`. When its `Drop` panics, the payload of that
/// panic is dropped the same way, a few times at most; one that still panics is forgotten.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    let mut payload = payload;
    for _ in 0..4 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A payload whose drop panics.
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panicked");
        }
    }

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch(|| 1), Ok(1));
        assert_eq!(
            catch(|| panic!("at {}", 3)),
            Err::<(), _>("at 3".to_owned())
        );
        assert_eq!(
            catch(|| std::panic::panic_any(7_u8)),
            Err::<(), _>("a panic without a message".to_owned())
        );
    }

    #[test]
    fn a_payload_whose_drop_panics_does_not_escape() {
        let caught = catch(|| std::panic::panic_any(Bomb));
        assert_eq!(caught, Err::<(), _>("a panic without a message".to_owned()));
    }
}
