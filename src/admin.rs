//! Account and key administration, shared by the CLI, the demo start and the tests.

use anyhow::bail;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::time::rfc3339;
use crate::domain::{KeyId, Plan, Scopes, UserId};
use crate::keys::generate_key;
use crate::store::{KeyRecord, NewKey, Store, StoreError, User};

/// A key name: 1–100 characters, not blank.
pub fn parse_key_name(name: &str) -> Result<String, String> {
    short_text("the key name", name)
}

/// An email address: something with an at-sign, no spaces, at most 254 characters.
pub fn parse_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    if email.len() > 254 || !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(format!("{email:?} is not an email address"));
    }
    Ok(email.to_owned())
}

/// A user's display name: 1–100 characters, not blank.
pub fn parse_user_name(name: &str) -> Result<String, String> {
    short_text("the name", name)
}

/// Trims `value` and checks it holds 1–100 characters; `what` names it in the error.
fn short_text(what: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    match value.chars().count() {
        0 => Err(format!("{what} cannot be empty")),
        n if n > 100 => Err(format!("{what} is {n} characters long; the maximum is 100")),
        _ => Ok(value.to_owned()),
    }
}

/// An IANA timezone name such as `Europe/Berlin`.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim()
        .parse()
        .map_err(|_| format!("unknown timezone {name:?}; use an IANA name such as Europe/Berlin"))
}

/// Sets the timezone of the user with `email`.
pub async fn set_timezone(store: &dyn Store, email: &str, timezone: &str) -> anyhow::Result<User> {
    let tz = parse_timezone(timezone).map_err(anyhow::Error::msg)?;
    let user = find_user(store, email).await?;
    store
        .update_profile(&user.id, &user.name, tz.name())
        .await?;
    Ok(User {
        timezone: tz.name().to_owned(),
        ..user
    })
}

/// Creates a user.
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    plan: Plan,
    now: i64,
) -> anyhow::Result<User> {
    let email = parse_email(email).map_err(anyhow::Error::msg)?;
    let name = parse_user_name(name).map_err(anyhow::Error::msg)?;
    let user = User {
        id: UserId::generate(),
        email,
        name,
        plan,
        timezone: "UTC".into(),
        created_at: now,
    };
    store.create_user(&user).await?;
    Ok(user)
}

/// Changes the plan of the user with `email`.
pub async fn set_plan(store: &dyn Store, email: &str, plan: Plan) -> anyhow::Result<User> {
    let user = find_user(store, email).await?;
    store.set_plan(&user.id, plan).await?;
    Ok(User { plan, ..user })
}

/// The user with `email`, or an error that says so (once: not also the store's "not found").
pub async fn find_user(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    match store.user_by_email(email.trim()).await {
        Ok(user) => Ok(user),
        Err(StoreError::NotFound(_)) => bail!("no user with the email {email}"),
        Err(err) => Err(err.into()),
    }
}

/// Creates a key for `user`; returns its record and the secret, which exists only here.
pub async fn create_key(
    store: &dyn Store,
    user: &User,
    name: &str,
    scopes: Scopes,
    now: i64,
) -> anyhow::Result<(KeyRecord, String)> {
    if user.plan != Plan::Business {
        bail!(
            "API keys need the Business plan; {} is on the {} plan",
            user.email,
            user.plan.as_str()
        );
    }
    let name = parse_key_name(name).map_err(anyhow::Error::msg)?;
    if scopes.is_empty() {
        bail!("a key needs at least one scope");
    }
    let generated = generate_key();
    let key = NewKey {
        id: KeyId::generate(),
        user_id: user.id.clone(),
        name,
        prefix: generated.prefix,
        hash: generated.hash,
        scopes,
        created_at: now,
    };
    store.insert_key(&key).await?;
    let record = KeyRecord {
        id: key.id,
        user_id: key.user_id,
        name: key.name,
        prefix: key.prefix,
        scopes: key.scopes,
        created_at: key.created_at,
        last_used_at: None,
        revoked_at: None,
    };
    Ok((record, generated.secret))
}

/// A key as listings show it: never the secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(examples(json!({
    "id": "key_Zr8Wq1Lx5Tb0Nc3V", "name": "Zapier integration", "prefix": "lg_2bq0XH8t",
    "scopes": ["posts:read", "posts:write"],
    "createdAt": "2026-01-05T09:00:00Z", "lastUsedAt": "2026-01-05T09:30:00Z"
})))]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key (`lg_` and 8 more), to recognise it; never the secret.
    pub prefix: String,
    /// What the key may do, in documentation order.
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<&'static str>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the key was last used (to the minute); `null` if never.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
}

impl From<&KeyRecord> for KeyView {
    fn from(key: &KeyRecord) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            scopes: key.scopes.names(),
            created_at: rfc3339(key.created_at),
            last_used_at: key.last_used_at.map(rfc3339),
        }
    }
}

/// Sets the password of the user with `email`, so they can sign in to the web app, and ends
/// their web sessions: a reset after a stolen laptop must sign the thief out. Returns the user
/// and how many sessions ended.
pub async fn set_password(
    store: &dyn Store,
    email: &str,
    password: &str,
    now: i64,
) -> anyhow::Result<(User, u64)> {
    let password = crate::password::parse_new_password(password)
        .map_err(|err| anyhow::anyhow!("the password is too weak or too long: {err}"))?;
    let user = find_user(store, email).await?;
    let hash = crate::password::hash_password(password).await?;
    store.set_password(&user.id, &hash, now).await?;
    // After the new hash is in place, so no one can sign in again with the old password.
    let ended = store.delete_sessions(&user.id).await?;
    Ok((user, ended))
}
