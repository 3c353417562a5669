//! Accounts: users, their plan and profile, the first-run owner and web passwords.

use async_trait::async_trait;

use crate::domain::{Plan, UserId};

use super::StoreResult;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub plan: Plan,
    pub timezone: String,
    pub created_at: i64,
}

/// Users, plans, profiles and passwords.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` if the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;

    /// The user with this email (case-insensitive).
    async fn user_by_email(&self, email: &str) -> StoreResult<User>;

    /// The user with this id.
    async fn user_by_id(&self, user_id: &UserId) -> StoreResult<User>;

    /// Changes a user's plan.
    async fn set_plan(&self, user_id: &UserId, plan: Plan) -> StoreResult<()>;

    /// Changes a user's display name and timezone (an IANA name, validated by the caller).
    async fn update_profile(&self, user_id: &UserId, name: &str, timezone: &str)
        -> StoreResult<()>;

    /// How many users there are.
    async fn count_users(&self) -> StoreResult<u64>;

    /// Creates `user` with `password_hash` only if there are no users at all (the first-run
    /// owner); `Conflict` otherwise, also when two requests race.
    async fn create_owner(&self, user: &User, password_hash: &str) -> StoreResult<()>;

    /// The user's password hash (a PHC string), if they have one.
    async fn password_hash(&self, user_id: &UserId) -> StoreResult<Option<String>>;

    /// Sets or replaces the user's password hash.
    async fn set_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<()>;
}
