//! Publishing and deleting a member's text post through the Posts API (`/rest/posts`).

use reqwest::Method;
use serde_json::{json, Value};

use super::client::LinkedInClient;
use super::error::LinkedInError;
use super::little_text;
use super::secret::AccessToken;
use super::urn::PostUrn;

/// The body of `POST /rest/posts` for a public text post by `urn:li:person:{author_sub}`; the
/// commentary is escaped into "little" text here.
pub fn post_body(author_sub: &str, text: &str) -> Value {
    json!({
        "author": format!("urn:li:person:{author_sub}"),
        "commentary": little_text::escape(text),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": []
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false
    })
}

impl LinkedInClient {
    /// Publishes `text` as a public post by the member `author_sub` (from [`Self::userinfo`])
    /// and answers its URN. Sending this twice publishes twice unless LinkedIn spots the
    /// duplicate: see the module documentation before retrying.
    pub async fn create_post(
        &self,
        token: &AccessToken,
        author_sub: &str,
        text: &str,
    ) -> Result<PostUrn, LinkedInError> {
        let request = self
            .rest_request(Method::POST, "/rest/posts", token)
            .json(&post_body(author_sub, text));
        let response = self.send("create_post", request).await?;
        // The post exists now. Without a URN we cannot name it, but a resend will: LinkedIn
        // then answers DUPLICATE_POST with the URN, hence "in doubt" rather than an error.
        let header = response.headers().get("x-restli-id").cloned();
        let urn = header
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(PostUrn::parse);
        urn.ok_or_else(|| LinkedInError::InDoubt {
            reason: format!(
                "LinkedIn answered {} with x-restli-id {:?}, not a post URN",
                response.status().as_u16(),
                header
            ),
        })
    }

    /// Deletes the post `urn`. A post that is already gone answers
    /// [`LinkedInError::NotFound`], which a caller that wants it gone can take as success.
    pub async fn delete_post(
        &self,
        token: &AccessToken,
        urn: &PostUrn,
    ) -> Result<(), LinkedInError> {
        let path = format!("/rest/posts/{}", urn.path_segment());
        let request = self.rest_request(Method::DELETE, &path, token);
        self.send("delete_post", request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_public_main_feed_post_with_escaped_commentary() {
        let body = post_body("abc123", "Hi (all) #rust");
        assert_eq!(
            body,
            json!({
                "author": "urn:li:person:abc123",
                "commentary": "Hi \\(all\\) {hashtag|\\#|rust}",
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": []
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false
            })
        );
    }
}
