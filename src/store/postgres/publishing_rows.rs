//! What the publisher's methods share: reading accounts and claimed posts from rows, and ending
//! an attempt with its change and that change's events.

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;

use super::events;
use super::rows::{finish, post_from_row, POST_COLUMNS, POST_COLUMN_COUNT};
use super::PostgresStore;
use crate::domain::{PostId, UserId};
use crate::store::publishing::{ClaimedPost, LinkedInAccount};
use crate::store::{Post, StoreResult};

pub(super) const ACCOUNT_COLUMNS: &str = "user_id, member_sub, member_name, picture_url, token, \
     token_expires_at, scopes, needs_reconnect, connected_at, updated_at";

pub(super) fn account_from_row(row: &Row) -> StoreResult<LinkedInAccount> {
    Ok(LinkedInAccount {
        user_id: row.try_get(0)?,
        member_sub: row.try_get(1)?,
        member_name: row.try_get(2)?,
        picture_url: row.try_get(3)?,
        token_sealed: row.try_get(4)?,
        token_expires_at: row.try_get(5)?,
        scopes: row.try_get(6)?,
        needs_reconnect: row.try_get(7)?,
        connected_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
    })
}

/// The post's columns, then the claim's: `user_id, in_doubt, retry_since`.
pub(super) fn claimed_from_row(row: &Row) -> StoreResult<ClaimedPost> {
    let post = post_from_row(row)?;
    let base = POST_COLUMN_COUNT;
    Ok(ClaimedPost {
        post,
        user_id: row.try_get(base)?,
        in_doubt: row.try_get(base + 1)?,
        retry_since: row.try_get(base + 2)?,
    })
}

/// A post held by `claim` and its owner, locked until the transaction ends so that the change
/// made next starts from what is read here.
async fn held_post(
    tx: &Transaction<'_>,
    post_id: &PostId,
    claim: &str,
) -> StoreResult<Option<(UserId, Post)>> {
    let statement = tx
        .prepare_cached(&format!(
            "SELECT {POST_COLUMNS}, user_id FROM posts WHERE id = $1 AND claim = $2
             FOR NO KEY UPDATE"
        ))
        .await?;
    let Some(row) = tx
        .query_opt(&statement, &[&post_id.as_str(), &claim])
        .await?
    else {
        return Ok(None);
    };
    let owner = row.try_get::<_, UserId>(POST_COLUMN_COUNT)?;
    Ok(Some((owner, post_from_row(&row)?)))
}

/// Runs a write with `RETURNING` and reads its row, if any.
pub(super) async fn write_returning<T>(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    read: impl FnOnce(&Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let statement = client.prepare_cached(sql).await?;
    client
        .query_opt(&statement, params)
        .await?
        .as_ref()
        .map(read)
        .transpose()
}

impl PostgresStore {
    /// Ends the attempt `claim` on a post with the change `sql` (`$1` the post, `$2` the claim,
    /// then `params`), and emits the events of that change; the post as changed, `None` when
    /// the claim no longer holds it.
    pub(super) async fn end_attempt(
        &self,
        post_id: &PostId,
        claim: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        now: i64,
    ) -> StoreResult<Option<Post>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let Some((user_id, before)) = held_post(&tx, post_id, claim).await? else {
                return Ok(None);
            };
            let post_id = post_id.as_str();
            let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&post_id, &claim];
            all.extend_from_slice(params);
            let after = write_returning(&tx, sql, &all, post_from_row).await?;
            if let Some(after) = &after {
                let events = events::post_changed(&*self.payloads, Some(&before), after);
                events::emit(&tx, &user_id, &events, now).await?;
            }
            Ok(after)
        }
        .await;
        finish(tx, outcome).await
    }
}
