//! Users, the first-run owner and passwords in SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use crate::domain::{Plan, UserId};
use crate::store::{StoreError, StoreResult, User, UserStore};

use super::rows::plan_from_sql;
use super::SqliteStore;

const USER_COLUMNS: &str = "id, email, name, plan, timezone, created_at";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        plan: plan_from_sql(&row.get::<_, String>(3)?)?,
        timezone: row.get(4)?,
        created_at: row.get(5)?,
    })
}

fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let result = self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO users (id, email, name, plan, timezone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                user.id,
                user.email,
                user.name,
                user.plan.as_str(),
                user.timezone,
                user.created_at
            ])
        });
        match result {
            Err(StoreError::Other(err))
                if err
                    .downcast_ref::<rusqlite::Error>()
                    .is_some_and(is_unique_violation) =>
            {
                Err(StoreError::Conflict(format!(
                    "a user with the email {} already exists",
                    user.email
                )))
            }
            other => other.map(drop),
        }
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = ?1"
            ))?
            .query_row([email], user_from_row)
            .optional()
        })?
        .ok_or(StoreError::NotFound("user"))
    }

    async fn user_by_id(&self, user_id: &UserId) -> StoreResult<User> {
        self.read(|conn| {
            conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([user_id], user_from_row)
                .optional()
        })?
        .ok_or(StoreError::NotFound("user"))
    }

    async fn set_plan(&self, user_id: &UserId, plan: Plan) -> StoreResult<()> {
        let changed = self.write(|conn| {
            conn.prepare_cached("UPDATE users SET plan = ?1 WHERE id = ?2")?
                .execute(params![plan.as_str(), user_id])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn update_profile(
        &self,
        user_id: &UserId,
        name: &str,
        timezone: &str,
    ) -> StoreResult<()> {
        let changed = self.write(|conn| {
            conn.prepare_cached("UPDATE users SET name = ?2, timezone = ?3 WHERE id = ?1")?
                .execute(params![user_id, name, timezone])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.read(|conn| conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0)))
    }

    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            // One conditional INSERT on the single writer: two racing first-run forms cannot
            // both find the table empty.
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO users (id, email, name, plan, timezone, created_at)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM users)",
                )?
                .execute(params![
                    user.id,
                    user.email,
                    user.name,
                    user.plan.as_str(),
                    user.timezone,
                    user.created_at
                ])?;
            if inserted == 1 {
                tx.prepare_cached(
                    "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![user.id, password_hash, user.created_at])?;
            }
            tx.commit()?;
            Ok(inserted)
        })
        .and_then(|inserted| match inserted {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(
                "the owner account already exists".into(),
            )),
        })
    }

    async fn password_hash(&self, user_id: &UserId) -> StoreResult<Option<String>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT hash FROM user_passwords WHERE user_id = ?1")?
                .query_row([user_id], |row| row.get(0))
                .optional()
        })
    }

    async fn set_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash,
                    updated_at = excluded.updated_at",
            )?
            .execute(params![user_id, password_hash, now])
        })?;
        Ok(())
    }
}
