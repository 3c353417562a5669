//! Users, the first-run owner and passwords in PostgreSQL; emails match in any case.

use async_trait::async_trait;
use tokio_postgres::Row;

use crate::domain::{Plan, UserId};
use crate::store::{StoreError, StoreResult, User, UserStore};

use super::rows::{finish, plan_from_sql};
use super::{is_unique_violation, PostgresStore};

const USER_COLUMNS: &str = "id, email, name, plan, timezone, created_at";

/// A user from a row that starts with [`USER_COLUMNS`] at `at`.
pub(super) fn user_from_row(row: &Row, at: usize) -> StoreResult<User> {
    Ok(User {
        id: row.try_get(at)?,
        email: row.try_get(at + 1)?,
        name: row.try_get(at + 2)?,
        plan: plan_from_sql(row.try_get(at + 3)?)?,
        timezone: row.try_get(at + 4)?,
        created_at: row.try_get(at + 5)?,
    })
}

/// Serialises the first-run owner against every other new user of this schema: the owner takes
/// it exclusively, other sign-ups shared. Without it two instances (or an instance and the CLI)
/// could each find no users and both insert, as SQLite's single writer never lets happen.
const USERS_LOCK_EXCLUSIVE: &str =
    "SELECT pg_advisory_xact_lock(hashtext('linkedgrow users ' || current_schema()))";
const USERS_LOCK_SHARED: &str =
    "SELECT pg_advisory_xact_lock_shared(hashtext('linkedgrow users ' || current_schema()))";

const INSERT_USER: &str = "INSERT INTO users (id, email, name, plan, timezone, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome = async {
            tx.execute(&tx.prepare_cached(USERS_LOCK_SHARED).await?, &[])
                .await?;
            let inserted = tx
                .execute(
                    &tx.prepare_cached(INSERT_USER).await?,
                    &[
                        &user.id.as_str(),
                        &user.email,
                        &user.name,
                        &user.plan.as_str(),
                        &user.timezone,
                        &user.created_at,
                    ],
                )
                .await;
            match inserted {
                Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
                    "a user with the email {} already exists",
                    user.email
                ))),
                Err(err) => Err(err.into()),
                Ok(_) => Ok(()),
            }
        }
        .await;
        finish(tx, outcome).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"
            ))
            .await?;
        match client.query_opt(&statement, &[&email]).await? {
            Some(row) => user_from_row(&row, 0),
            None => Err(StoreError::NotFound("user")),
        }
    }

    async fn user_by_id(&self, user_id: &UserId) -> StoreResult<User> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .await?;
        match client.query_opt(&statement, &[&user_id.as_str()]).await? {
            Some(row) => user_from_row(&row, 0),
            None => Err(StoreError::NotFound("user")),
        }
    }

    async fn set_plan(&self, user_id: &UserId, plan: Plan) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("UPDATE users SET plan = $1 WHERE id = $2")
            .await?;
        let changed = client
            .execute(&statement, &[&plan.as_str(), &user_id.as_str()])
            .await?;
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
        let client = self.client().await?;
        let statement = client
            .prepare_cached("UPDATE users SET name = $2, timezone = $3 WHERE id = $1")
            .await?;
        let changed = client
            .execute(&statement, &[&user_id.as_str(), &name, &timezone])
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let client = self.client().await?;
        let statement = client.prepare_cached("SELECT COUNT(*) FROM users").await?;
        let count: i64 = client.query_one(&statement, &[]).await?.try_get(0)?;
        Ok(count.max(0) as u64)
    }

    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome: StoreResult<_> = async {
            tx.execute(&tx.prepare_cached(USERS_LOCK_EXCLUSIVE).await?, &[])
                .await?;
            // Under the lock, this statement's snapshot sees every user committed before it.
            let inserted = tx
                .execute(
                    &tx.prepare_cached(
                        "INSERT INTO users (id, email, name, plan, timezone, created_at)
                         SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users)",
                    )
                    .await?,
                    &[
                        &user.id.as_str(),
                        &user.email,
                        &user.name,
                        &user.plan.as_str(),
                        &user.timezone,
                        &user.created_at,
                    ],
                )
                .await?;
            if inserted != 1 {
                return Err(StoreError::Conflict(
                    "the owner account already exists".into(),
                ));
            }
            tx.execute(
                &tx.prepare_cached(
                    "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)",
                )
                .await?,
                &[&user.id.as_str(), &password_hash, &user.created_at],
            )
            .await?;
            Ok(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn password_hash(&self, user_id: &UserId) -> StoreResult<Option<String>> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT hash FROM user_passwords WHERE user_id = $1")
            .await?;
        let row = client.query_opt(&statement, &[&user_id.as_str()]).await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    async fn set_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash,
                    updated_at = excluded.updated_at",
            )
            .await?;
        client
            .execute(&statement, &[&user_id.as_str(), &password_hash, &now])
            .await?;
        Ok(())
    }
}
