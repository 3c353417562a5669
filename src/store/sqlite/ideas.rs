//! Ideas in SQLite: tags as a JSON array, conversion in one transaction with its post.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::idea::IdeaFields;
use crate::domain::post::PostFields;
use crate::domain::{PostId, UserId};
use crate::store::{Idea, IdeaPage, IdeaStore, Post, StoreError, StoreResult};

use super::events::{self, Event};
use super::posts::insert_post_row;
use super::rows::{missing_or_changed, write_returning};
use super::SqliteStore;
use crate::domain::webhook::EventType;

const IDEA_COLUMNS: &str = "id, content, notes, tags, post_id, created_at, updated_at, version";

fn idea_from_row(row: &Row) -> rusqlite::Result<Idea> {
    let tags: String = row.get(3)?;
    let tags: Vec<String> = serde_json::from_str(&tags).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Idea {
        id: row.get(0)?,
        fields: IdeaFields {
            content: row.get(1)?,
            notes: row.get(2)?,
            tags,
        },
        post_id: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        version: row.get(7)?,
    })
}

fn tags_to_sql(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("a list of strings serializes")
}

pub(super) fn find_idea(
    conn: &Connection,
    user_id: &UserId,
    id: &str,
) -> rusqlite::Result<Option<Idea>> {
    conn.prepare_cached(&format!(
        "SELECT {IDEA_COLUMNS} FROM ideas WHERE user_id = ?1 AND id = ?2"
    ))?
    .query_row(params![user_id, id], idea_from_row)
    .optional()
}

/// One user's ideas, all or those carrying the tag `?2`.
const LIST_FILTER: &str = "user_id = ?1 AND (?2 IS NULL OR EXISTS (
    SELECT 1 FROM json_each(ideas.tags) WHERE json_each.value = ?2))";

#[async_trait]
impl IdeaStore for SqliteStore {
    async fn insert_idea(
        &self,
        user_id: &UserId,
        id: &str,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let idea = write_returning(
                &tx,
                &format!(
                    "INSERT INTO ideas (id, user_id, content, notes, tags, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                     RETURNING {IDEA_COLUMNS}"
                ),
                params![
                    id,
                    user_id,
                    fields.content,
                    fields.notes,
                    tags_to_sql(&fields.tags),
                    now
                ],
                idea_from_row,
            )?
            .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            let event = Event::new(EventType::IdeaCreated, self.payloads.idea(&idea));
            events::emit(&tx, user_id, &[event], now)?;
            tx.commit()?;
            Ok(idea)
        })
    }

    async fn get_idea(&self, user_id: &UserId, id: &str) -> StoreResult<Idea> {
        self.read(|conn| find_idea(conn, user_id, id))?
            .ok_or(StoreError::NotFound("idea"))
    }

    async fn idea_of_post(&self, user_id: &UserId, post_id: &PostId) -> StoreResult<Option<Idea>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {IDEA_COLUMNS} FROM ideas WHERE user_id = ?1 AND post_id = ?2"
            ))?
            .query_row(params![user_id, post_id], idea_from_row)
            .optional()
        })
    }

    async fn list_ideas(
        &self,
        user_id: &UserId,
        tag: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<IdeaPage> {
        self.read(|conn| {
            let tx = conn.unchecked_transaction()?;
            let ideas = tx
                .prepare_cached(&format!(
                    "SELECT {IDEA_COLUMNS} FROM ideas WHERE {LIST_FILTER}
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![user_id, tag, limit, offset], idea_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = tx
                .prepare_cached(&format!("SELECT COUNT(*) FROM ideas WHERE {LIST_FILTER}"))?
                .query_row(params![user_id, tag], |row| row.get(0))?;
            tx.commit()?;
            Ok(IdeaPage {
                ideas,
                total: total.max(0) as u64,
            })
        })
    }

    async fn update_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: i64,
        fields: &IdeaFields,
        now: i64,
    ) -> StoreResult<Idea> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let updated = write_returning(
            &tx,
            &format!(
                "UPDATE ideas SET content = ?4, notes = ?5, tags = ?6, updated_at = ?7,
                    version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3
                 RETURNING {IDEA_COLUMNS}"
            ),
            params![
                user_id,
                id,
                version,
                fields.content,
                fields.notes,
                tags_to_sql(&fields.tags),
                now
            ],
            idea_from_row,
        )?;
        let Some(idea) = updated else {
            return Err(missing_or_changed(&tx, "ideas", "idea", user_id, id));
        };
        let event = Event::new(EventType::IdeaUpdated, self.payloads.idea(&idea));
        events::emit(&tx, user_id, &[event], now)?;
        tx.commit()?;
        Ok(idea)
    }

    async fn delete_idea(
        &self,
        user_id: &UserId,
        id: &str,
        version: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let deleted = tx
            .prepare_cached(
                "DELETE FROM ideas WHERE user_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)",
            )?
            .execute(params![user_id, id, version])?;
        if deleted == 0 {
            return Err(missing_or_changed(&tx, "ideas", "idea", user_id, id));
        }
        events::emit(
            &tx,
            user_id,
            &[Event::deleted(EventType::IdeaDeleted, id)],
            now,
        )?;
        tx.commit()?;
        Ok(())
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
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        // The post first: the idea's foreign key needs it to exist.
        let created = insert_post_row(&tx, user_id, post_id, post, now)?;
        let idea = tx
            .prepare_cached(&format!(
                "UPDATE ideas SET post_id = ?4, updated_at = ?5, version = version + 1
                 WHERE user_id = ?1 AND id = ?2 AND version = ?3 AND post_id IS NULL
                 RETURNING {IDEA_COLUMNS}"
            ))?
            .query_row(
                params![user_id, idea_id, version, post_id, now],
                idea_from_row,
            )
            .optional()?;
        let Some(idea) = idea else {
            // Dropping `tx` rolls the post back.
            return Err(match find_idea(&tx, user_id, idea_id)? {
                Some(_) => StoreError::Conflict(
                    "the idea was converted or changed since it was read".into(),
                ),
                None => StoreError::NotFound("idea"),
            });
        };
        let mut converted = vec![Event::new(
            EventType::IdeaConverted,
            self.payloads.idea(&idea),
        )];
        converted.extend(events::post_changed(&*self.payloads, None, &created));
        events::emit(&tx, user_id, &converted, now)?;
        tx.commit()?;
        Ok((idea, created))
    }
}
