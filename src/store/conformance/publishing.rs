//! Publishing: claims that hold a post for one attempt, the in-doubt mark a dead attempt leaves,
//! outcomes that count only for the attempt holding the post, OAuth states, figures replaced.

use super::*;
use crate::store::publishing::{ClaimNow, Failure, LinkedInAccount};

const LEASE: i64 = 30_000;

async fn due_post(store: &dyn Store, user: &User, id: &PostId) {
    store
        .insert_post(&user.id, id, &scheduled(id.as_str(), NOW + 1_000), NOW)
        .await
        .unwrap();
}

pub async fn a_due_post_is_claimed_by_exactly_one_of_two_handles(db: &dyn TestDatabase) {
    let (one, two) = (db.store(), db.second_handle());
    let ada = user(one.as_ref(), "ada").await;
    due_post(one.as_ref(), &ada, &PostId::from("post_a")).await;
    let due = NOW + 1_000;
    assert_eq!(one.next_due_at().await.unwrap(), Some(due));
    assert!(
        one.due_post_ids(NOW, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    assert!(one
        .claim_due_post(&PostId::from("post_a"), "c1", NOW, NOW + LEASE)
        .await
        .unwrap()
        .is_none());
    assert_eq!(one.due_post_ids(due, 10).await.unwrap(), ["post_a"]);
    let post_a = PostId::from("post_a");
    let (a, b) = tokio::join!(
        one.claim_due_post(&post_a, "c1", due, due + LEASE),
        two.claim_due_post(&post_a, "c2", due, due + LEASE),
    );
    let won: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "one claim wins");
    assert!(!won[0].in_doubt);
    assert_eq!(won[0].user_id, ada.id);
    // While the lease runs the post is not due; its end is the next time to look.
    assert!(one.due_post_ids(due + 1, 10).await.unwrap().is_empty());
    assert_eq!(one.next_due_at().await.unwrap(), Some(due + LEASE));
}

pub async fn a_claim_left_behind_makes_the_post_due_again_and_in_doubt(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    due_post(store.as_ref(), &ada, &PostId::from("post_a")).await;
    let due = NOW + 1_000;
    store
        .claim_due_post(&PostId::from("post_a"), "dead", due, due + LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .renew_claim(&PostId::from("post_a"), "dead", due + 2 * LEASE)
        .await
        .unwrap());
    let expired = due + 2 * LEASE;
    let again = store
        .claim_due_post(&PostId::from("post_a"), "next", expired, expired + LEASE)
        .await
        .unwrap()
        .expect("due again once the lease ran out");
    assert!(
        again.in_doubt,
        "its first request may have reached LinkedIn"
    );
    // The dead attempt's outcome no longer counts.
    let late = store
        .finish_published(&PostId::from("post_a"), "dead", "urn:li:share:1", expired)
        .await
        .unwrap();
    assert!(late.is_none());
    assert!(!store
        .renew_claim(&PostId::from("post_a"), "dead", expired + LEASE)
        .await
        .unwrap());
    let published = store
        .finish_published(
            &PostId::from("post_a"),
            "next",
            "urn:li:share:2",
            expired + 5,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(published.fields.status, PostStatus::Published);
    assert_eq!(published.linkedin_urn.as_deref(), Some("urn:li:share:2"));
    assert_eq!(published.published_at, Some(expired + 5));
    assert_eq!(store.next_due_at().await.unwrap(), None);
}

pub async fn a_failed_post_keeps_its_reason_until_rescheduled(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    due_post(store.as_ref(), &ada, &PostId::from("post_a")).await;
    let due = NOW + 1_000;
    store
        .claim_due_post(&PostId::from("post_a"), "c1", due, due + LEASE)
        .await
        .unwrap()
        .unwrap();
    // Edits wait while an attempt holds the post.
    let held = store
        .get_post(&ada.id, &PostId::from("post_a"))
        .await
        .unwrap();
    let edit = store
        .update_post(
            &ada.id,
            &PostId::from("post_a"),
            held.version,
            &draft("edited"),
            due,
        )
        .await;
    assert!(is_conflict(&edit), "{edit:?}");
    store
        .release_for_retry(&PostId::from("post_a"), "c1", due + 5_000, due)
        .await
        .unwrap();
    assert!(store
        .due_post_ids(due + 4_999, 10)
        .await
        .unwrap()
        .is_empty());
    let retried = store
        .claim_due_post(
            &PostId::from("post_a"),
            "c2",
            due + 5_000,
            due + 5_000 + LEASE,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.retry_since, Some(due));
    let failure = Failure {
        code: "LINKEDIN_FORBIDDEN".into(),
        message: "no".into(),
        at: due + 6_000,
    };
    let failed = store
        .finish_failed(&PostId::from("post_a"), "c2", &failure)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.fields.status, PostStatus::Failed);
    assert_eq!(failed.failure, Some(failure));
    let listed = store
        .list_posts(&ada.id, Some(PostStatus::Failed), 10, 0)
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let later = NOW + 86_400_000;
    let rescheduled = store
        .update_post(
            &ada.id,
            &PostId::from("post_a"),
            failed.version,
            &scheduled("again", later),
            due + 7_000,
        )
        .await
        .unwrap();
    assert_eq!(rescheduled.failure, None, "rescheduling clears the reason");
    assert_eq!(store.next_due_at().await.unwrap(), Some(later));
}

pub async fn publishing_now_claims_only_the_owners_unpublished_posts(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    let bob = user(store.as_ref(), "bob").await;
    store
        .insert_post(&ada.id, &PostId::from("post_a"), &draft("a"), NOW)
        .await
        .unwrap();
    let theirs = store
        .claim_post_now(&bob.id, &PostId::from("post_a"), "c0", NOW, NOW + LEASE)
        .await;
    assert!(is_not_found(&theirs, "post"), "{theirs:?}");
    let ClaimNow::Claimed(claimed) = store
        .claim_post_now(&ada.id, &PostId::from("post_a"), "c1", NOW, NOW + LEASE)
        .await
        .unwrap()
    else {
        panic!("a draft can be published now");
    };
    assert_eq!(claimed.post.fields.status, PostStatus::Scheduled);
    let busy = store
        .claim_post_now(&ada.id, &PostId::from("post_a"), "c2", NOW + 1, NOW + LEASE)
        .await
        .unwrap();
    assert!(matches!(busy, ClaimNow::Busy), "{busy:?}");
    store
        .finish_published(&PostId::from("post_a"), "c1", "urn:li:share:9", NOW + 2)
        .await
        .unwrap()
        .unwrap();
    let done = store
        .claim_post_now(&ada.id, &PostId::from("post_a"), "c3", NOW + 3, NOW + LEASE)
        .await
        .unwrap();
    assert!(matches!(done, ClaimNow::AlreadyPublished), "{done:?}");
}

pub async fn linkedin_accounts_and_oauth_states_are_kept_per_user(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    assert!(store.linkedin_account(&ada.id).await.unwrap().is_none());
    let account = LinkedInAccount {
        user_id: ada.id.clone(),
        member_sub: "m1".into(),
        member_name: "Ada".into(),
        picture_url: None,
        token_sealed: "sealed".into(),
        token_expires_at: Some(NOW + 1),
        scopes: "openid,w_member_social".into(),
        needs_reconnect: false,
        connected_at: NOW,
        updated_at: NOW,
    };
    store.save_linkedin_account(&account).await.unwrap();
    store.mark_needs_reconnect(&ada.id, NOW + 1).await.unwrap();
    let stored = store.linkedin_account(&ada.id).await.unwrap().unwrap();
    assert!(stored.needs_reconnect);
    assert_eq!(
        store.linkedin_account_users().await.unwrap(),
        [ada.id.as_str()]
    );
    // Reconnecting replaces the connection.
    store.save_linkedin_account(&account).await.unwrap();
    assert!(
        !store
            .linkedin_account(&ada.id)
            .await
            .unwrap()
            .unwrap()
            .needs_reconnect
    );
    assert!(store.delete_linkedin_account(&ada.id, NOW).await.unwrap());
    assert!(!store.delete_linkedin_account(&ada.id, NOW).await.unwrap());

    store
        .save_oauth_state("h1", "session", &ada.id, NOW + 600_000)
        .await
        .unwrap();
    store
        .save_oauth_state("h2", "session", &ada.id, NOW + 600_000)
        .await
        .unwrap();
    let taken = store.take_oauth_state("h1", NOW).await.unwrap();
    assert_eq!(taken, Some(("session".into(), ada.id.clone())));
    assert_eq!(
        store.take_oauth_state("h1", NOW).await.unwrap(),
        None,
        "once only"
    );
    assert_eq!(
        store.take_oauth_state("h2", NOW + 600_001).await.unwrap(),
        None,
        "not after it expired"
    );
}

pub async fn synced_figures_replace_the_earlier_ones(db: &dyn TestDatabase) {
    let store = db.store();
    let ada = user(store.as_ref(), "ada").await;
    store
        .insert_post(&ada.id, &PostId::from("post_a"), &draft("a"), NOW)
        .await
        .unwrap();
    let figures = |impressions| Metrics {
        impressions,
        ..Metrics::default()
    };
    store
        .replace_post_metrics(
            &ada.id,
            &PostId::from("post_a"),
            &[
                (day("2026-01-05"), figures(10)),
                (day("2026-01-06"), figures(20)),
            ],
        )
        .await
        .unwrap();
    store
        .replace_post_metrics(
            &ada.id,
            &PostId::from("post_a"),
            &[(day("2026-01-06"), figures(25))],
        )
        .await
        .unwrap();
    let rows = store
        .daily_metrics(&ada.id, None, day("2026-01-01"), day("2026-01-31"))
        .await
        .unwrap();
    assert_eq!(rows, [(day("2026-01-06"), figures(25))]);
}

/// Several publishers (instances) working through the same due posts at once: each post goes
/// to exactly one of them, none is left behind.
pub async fn due_posts_are_each_claimed_once_by_three_concurrent_publishers(db: &dyn TestDatabase) {
    let publishers = [db.store(), db.second_handle(), db.second_handle()];
    let ada = user(publishers[0].as_ref(), "ada").await;
    for n in 0..20 {
        due_post(
            publishers[0].as_ref(),
            &ada,
            &PostId::from(format!("post_{n:02}")),
        )
        .await;
    }
    let due = NOW + 1_000;
    let work = |store: Arc<dyn Store>, name: &'static str| async move {
        let mut claimed = Vec::new();
        loop {
            let ids = store.due_post_ids(due, 5).await.unwrap();
            if ids.is_empty() {
                return claimed;
            }
            for id in ids {
                let claim = format!("{name}-{id}");
                if let Some(post) = store
                    .claim_due_post(&id, &claim, due, due + LEASE)
                    .await
                    .unwrap()
                {
                    claimed.push(post.post.id);
                }
                tokio::task::yield_now().await;
            }
        }
    };
    let (a, b, c) = tokio::join!(
        work(publishers[0].clone(), "a"),
        work(publishers[1].clone(), "b"),
        work(publishers[2].clone(), "c"),
    );
    let mut all: Vec<String> = a
        .iter()
        .chain(&b)
        .chain(&c)
        .map(|id| id.to_string())
        .collect();
    all.sort();
    let expected: Vec<String> = (0..20).map(|n| format!("post_{n:02}")).collect();
    assert_eq!(all, expected, "every post claimed, none twice");
    assert_eq!(
        publishers[0].next_due_at().await.unwrap(),
        Some(due + LEASE)
    );
}
