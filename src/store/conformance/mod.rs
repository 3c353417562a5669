//! What every store backend must do, written once: each backend's tests call
//! [`conformance_tests!`] with an expression that opens a fresh, empty database, and get one
//! test per check (the files beside this one, by area). No HTTP: the checks call the store
//! traits directly, so a second backend proves itself by passing the same list.

mod accounts;
mod ideas;
mod keys;
mod posts;
mod publishing;
mod queues;
mod records;
mod webhook_queue;
mod webhooks;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::analytics::Metrics;
use crate::domain::idea::IdeaFields;
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::{KeyId, Plan, PostId, Scope, Scopes, UserId};
use crate::store::{
    IdempotencyBegin, NewKey, SessionRecord, Store, StoreError, StoredResponse, User,
};

/// A fresh, empty database of one backend.
pub trait TestDatabase {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
    /// Another, independent handle on the same database, as a second process would open it.
    fn second_handle(&self) -> Arc<dyn Store>;
}

/// One `#[tokio::test]` per check, each on the fresh database the future `$open` gives; a
/// backend whose server is missing gives `None` and the check is skipped.
macro_rules! conformance_tests {
    ($open:expr) => {
        $crate::store::conformance::conformance_tests!(@each $open;
            the_database_answers,
            users_are_found_by_id_and_by_email_in_any_case,
            the_owner_is_created_only_on_an_empty_database,
            sessions_end_by_expiry_sign_out_and_password_change,
            a_server_secret_is_made_once_and_shared,
            keys_are_listed_oldest_first_and_only_their_owners,
            a_revocation_through_a_second_handle_is_seen_by_the_next_lookup,
            key_use_is_recorded_at_most_once_per_window,
            posts_are_paged_newest_first_without_gap_or_repeat,
            post_lists_filter_by_status_and_count_the_filter,
            posts_of_another_user_are_missing_to_them,
            post_changes_are_optimistic,
            ideas_are_paged_filtered_by_tag_and_kept_per_owner,
            idea_changes_are_optimistic,
            idea_conversion_is_atomic,
            metrics_are_summed_per_day_and_kept_per_owner,
            idempotency_records_replay_refuse_and_expire,
            a_due_post_is_claimed_by_exactly_one_of_two_handles,
            a_claim_left_behind_makes_the_post_due_again_and_in_doubt,
            a_failed_post_keeps_its_reason_until_rescheduled,
            publishing_now_claims_only_the_owners_unpublished_posts,
            linkedin_accounts_and_oauth_states_are_kept_per_user,
            synced_figures_replace_the_earlier_ones,
            every_change_emits_its_events_in_its_own_transaction,
            subscriptions_get_only_the_events_they_asked_for,
            due_messages_are_held_by_one_worker_and_bounded_per_webhook,
            attempts_move_a_message_on_and_are_listed_newest_first,
            webhooks_are_seen_by_scope_and_stop_with_their_key_or_plan,
            linkedin_events_are_sent_once_per_change,
            events_after_a_purge_of_every_old_event_are_still_delivered,
            a_webhook_stored_for_a_key_revoked_meanwhile_is_disabled,
            deleting_a_converted_post_tells_the_idea_s_subscribers,
            a_listed_attempt_can_be_resent_after_a_purge,
            a_handed_back_message_is_due_again_for_any_worker,
            due_posts_are_each_claimed_once_by_three_concurrent_publishers,
            concurrent_claims_keep_every_bound_and_take_each_message_once,
            queue_depths_count_what_waits_and_not_what_is_held,
        );
    };
    (@each $open:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(database) = $open.await else {
                    return;
                };
                $crate::store::conformance::$check(&database).await;
            }
        )*
    };
}
pub(crate) use conformance_tests;

pub use accounts::*;
pub use ideas::*;
pub use keys::*;
pub use posts::*;
pub use publishing::*;
pub use queues::*;
pub use records::*;
pub use webhook_queue::*;
pub use webhooks::*;

/// 2026-01-05T09:00:00Z.
pub(super) const NOW: i64 = 1_767_603_600_000;

pub(super) async fn user(store: &dyn Store, name: &str) -> User {
    let user = User {
        id: UserId::from(format!("usr_{name}")),
        email: format!("{name}\u{40}example.com"),
        name: name.into(),
        plan: Plan::Business,
        timezone: "UTC".into(),
        created_at: NOW,
    };
    store.create_user(&user).await.unwrap();
    user
}

pub(super) fn new_key(user: &User, id: &KeyId, created_at: i64) -> NewKey {
    NewKey {
        id: id.clone(),
        user_id: user.id.clone(),
        name: format!("key {id}"),
        prefix: "lg_12345678".into(),
        hash: format!("hash of {id}"),
        scopes: [Scope::PostsRead, Scope::IdeasWrite].into_iter().collect(),
        created_at,
    }
}

pub(super) fn draft(content: &str) -> PostFields {
    PostFields {
        content: content.into(),
        status: PostStatus::Draft,
        scheduled_at: None,
    }
}

pub(super) fn scheduled(content: &str, at: i64) -> PostFields {
    PostFields {
        content: content.into(),
        status: PostStatus::Scheduled,
        scheduled_at: Some(at),
    }
}

pub(super) fn idea_fields(content: &str, tags: &[&str]) -> IdeaFields {
    IdeaFields {
        content: content.into(),
        notes: None,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

pub(super) fn is_not_found<T: std::fmt::Debug>(result: &Result<T, StoreError>, what: &str) -> bool {
    matches!(result, Err(StoreError::NotFound(found)) if *found == what)
}

pub(super) fn is_conflict<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

pub(super) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
