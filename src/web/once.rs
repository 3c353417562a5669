//! Forms that must take effect once: a reloaded "create key" response page re-sends its form,
//! which must not mint a second key. Each such form carries a random id; the first submission
//! claims it. Kept in memory for a day (a restart forgets them, which at worst allows one
//! duplicate key that the owner can see and revoke).

use std::collections::HashMap;

use parking_lot::Mutex;

/// How long a claimed form id is remembered.
const REMEMBER_MS: i64 = 24 * 60 * 60 * 1000;

/// The ids of forms already submitted.
#[derive(Debug, Default)]
pub struct SubmittedForms {
    claimed: Mutex<HashMap<String, i64>>,
}

impl SubmittedForms {
    /// Claims `form_id` at `now`; false if it was claimed before.
    pub fn claim(&self, form_id: &str, now: i64) -> bool {
        let mut claimed = self.claimed.lock();
        claimed.retain(|_, at| now - *at < REMEMBER_MS);
        claimed.insert(form_id.to_owned(), now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_id_is_claimed_once() {
        let forms = SubmittedForms::default();
        assert!(forms.claim("a", 0));
        assert!(!forms.claim("a", 1));
        assert!(forms.claim("b", 1));
    }
}
