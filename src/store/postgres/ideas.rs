//! Ideas in PostgreSQL: tags as a JSON array (text), conversion in one transaction with its
//! post, every change guarded by the idea's version in its own statement.

use async_trait::async_trait;

use crate::domain::idea::IdeaFields;
use crate::domain::post::PostFields;
use crate::domain::webhook::EventType;
use crate::domain::{PostId, UserId};
use crate::store::{Idea, IdeaPage, IdeaStore, Post, StoreError, StoreResult};

use super::events::{self, Event};
use super::posts::insert_post_row;
use super::rows::{
    find_idea, finish, idea_from_row, missing_or_changed, page_and_total, IDEA_COLUMNS,
    IDEA_COLUMN_COUNT,
};
use super::PostgresStore;

fn tags_to_sql(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("a list of strings serializes")
}

/// One user's ideas, all or those carrying the tag `$2` (an element of the JSON array).
const LIST_FILTER: &str =
    "user_id = $1 AND ($2::text IS NULL OR tags::jsonb @> jsonb_build_array($2::text))";

#[async_trait]
impl IdeaStore for PostgresStore {
    async fn insert_idea(
        &self,
        user_id: &UserId,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached(&format!(
                    "INSERT INTO ideas (id, user_id, content, notes, tags, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)
                     RETURNING {IDEA_COLUMNS}"
                ))
                .await?;
            let row = tx
                .query_one(
                    &statement,
                    &[
                        &id,
                        &user_id.as_str(),
                        &fields.content,
                        &fields.notes,
                        &tags_to_sql(&fields.tags),
                        &now,
                    ],
                )
                .await?;
            let idea = idea_from_row(&row)?;
            let event = Event::new(EventType::IdeaCreated, self.payloads.idea(&idea));
            events::emit(&tx, user_id, &[event], now).await?;
            Ok(idea)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn get_idea(&self, user_id: &UserId, id: &str) -> StoreResult<Idea> {
        let client = self.client().await?;
        find_idea(&client, user_id, id)
            .await?
            .ok_or(StoreError::NotFound("idea"))
    }

    async fn idea_of_post(&self, user_id: &UserId, post_id: &PostId) -> StoreResult<Option<Idea>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {IDEA_COLUMNS} FROM ideas WHERE user_id = $1 AND post_id = $2"
            ))
            .await?;
        client
            .query_opt(&statement, &[&user_id.as_str(), &post_id.as_str()])
            .await?
            .as_ref()
            .map(idea_from_row)
            .transpose()
    }

    async fn list_ideas(
        &self,
        user_id: &UserId,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage> {
        let limit = i64::from(limit);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let client = self.client().await?;
        // One statement, so the page and the total come from one snapshot in one round trip;
        // the total's row stands alone when the page is empty.
        let statement = client
            .prepare_cached(&format!(
                "WITH total AS (SELECT COUNT(*) AS n FROM ideas WHERE {LIST_FILTER}),
                 page AS (
                     SELECT {IDEA_COLUMNS}, seq FROM ideas WHERE {LIST_FILTER}
                     ORDER BY seq DESC LIMIT $3 OFFSET $4)
                 SELECT page.*, total.n FROM total LEFT JOIN page ON TRUE
                 ORDER BY page.seq DESC"
            ))
            .await?;
        let rows = client
            .query(&statement, &[&user_id.as_str(), &tag, &limit, &offset])
            .await?;
        let (ideas, total) = page_and_total(&rows, IDEA_COLUMN_COUNT + 1, idea_from_row)?;
        Ok(IdeaPage { ideas, total })
    }

    async fn update_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached(&format!(
                    "UPDATE ideas SET content = $4, notes = $5, tags = $6, updated_at = $7,
                        version = version + 1
                     WHERE user_id = $1 AND id = $2 AND version = $3
                     RETURNING {IDEA_COLUMNS}"
                ))
                .await?;
            let updated = tx
                .query_opt(
                    &statement,
                    &[
                        &user_id.as_str(),
                        &id,
                        &version,
                        &fields.content,
                        &fields.notes,
                        &tags_to_sql(&fields.tags),
                        &now,
                    ],
                )
                .await?;
            let Some(row) = updated else {
                return Err(missing_or_changed(&tx, "ideas", "idea", user_id, id).await);
            };
            let idea = idea_from_row(&row)?;
            let event = Event::new(EventType::IdeaUpdated, self.payloads.idea(&idea));
            events::emit(&tx, user_id, &[event], now).await?;
            Ok(idea)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn delete_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            let statement = tx
                .prepare_cached(
                    "DELETE FROM ideas WHERE user_id = $1 AND id = $2
                        AND ($3::bigint IS NULL OR version = $3)",
                )
                .await?;
            let deleted = tx
                .execute(&statement, &[&user_id.as_str(), &id, &version])
                .await?;
            if deleted == 0 {
                return Err(missing_or_changed(&tx, "ideas", "idea", user_id, id).await);
            }
            let event = Event::deleted(EventType::IdeaDeleted, id);
            events::emit(&tx, user_id, &[event], now).await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn convert_idea(
        &self,
        user_id: &UserId,
        idea_id: &str,
        version: i64,
        post_id: &PostId,
        post: &PostFields,
        now: i64,
    ) -> StoreResult<(Idea, Post)> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            // The post first: the idea's foreign key needs it to exist.
            let created = insert_post_row(&tx, user_id, post_id, post, now).await?;
            // Two instances converting one idea at once: the second waits on the first's row lock,
            // then finds the version moved on and converts nothing.
            let statement = tx
                .prepare_cached(&format!(
                    "UPDATE ideas SET post_id = $4, updated_at = $5, version = version + 1
                     WHERE user_id = $1 AND id = $2 AND version = $3 AND post_id IS NULL
                     RETURNING {IDEA_COLUMNS}"
                ))
                .await?;
            let updated = tx
                .query_opt(
                    &statement,
                    &[
                        &user_id.as_str(),
                        &idea_id,
                        &version,
                        &post_id.as_str(),
                        &now,
                    ],
                )
                .await?;
            let Some(row) = updated else {
                // Dropping `tx` rolls the post back.
                return Err(match find_idea(&tx, user_id, idea_id).await? {
                    Some(_) => StoreError::Conflict(
                        "the idea was converted or changed since it was read".into(),
                    ),
                    None => StoreError::NotFound("idea"),
                });
            };
            let idea = idea_from_row(&row)?;
            let mut converted = vec![Event::new(
                EventType::IdeaConverted,
                self.payloads.idea(&idea),
            )];
            converted.extend(events::post_changed(&*self.payloads, None, &created));
            events::emit(&tx, user_id, &converted, now).await?;
            Ok((idea, created))
        }
        .await;
        finish(tx, outcome).await
    }
}
