//! Signing users in with their password, under the namespace's lockout policy.

use crate::tokens::OAuthError;
use crate::Directory;
use portti_core::model::{OidcClient, User};
use portti_core::time;

impl Directory {
    /// The user these credentials belong to. Every failure (no such user, ambiguous
    /// username, wrong password, locked or locked out) answers alike and costs one
    /// password verification, so neither the answer nor its timing tells them apart.
    pub(crate) async fn sign_in(
        &self,
        client: &OidcClient,
        username: &str,
        password: &str,
    ) -> Result<User, OAuthError> {
        let refused = || OAuthError::InvalidGrant("invalid username or password".into());
        let candidates =
            self.read().await?.users_by_username(username.trim(), client.namespace.as_deref()).await?;
        let [user] = candidates.as_slice() else {
            self.hasher.matches_any(password.into(), vec![self.dummy_hash.clone()]).await?;
            return Err(refused());
        };
        let (hash, facets) = {
            let mut tx = self.read().await?;
            (tx.password_hash(&user.id).await?, tx.facets(&user.id).await?)
        };
        let now = time::now_ms();
        let locked_out = facets.locked_out_until.is_some_and(|until| until > now);
        let hashes = vec![hash.clone().unwrap_or_else(|| self.dummy_hash.clone())];
        let matches = self.hasher.matches_any(password.into(), hashes).await? && hash.is_some();
        if locked_out || user.locked {
            return Err(refused());
        }
        self.record_attempt(user, matches, now).await?;
        if !matches {
            return Err(refused());
        }
        if let Some(old) = hash.filter(|h| crate::password::needs_rehash(h)) {
            if let Err(e) = self.rehash(&user.id, &old, password).await {
                tracing::warn!(user = %user.id, error = %e, "could not rehash an imported password");
            }
        }
        Ok(user.clone())
    }

    /// Replace an imported (bcrypt, PBKDF2, argon2i) hash by an argon2id one of the same
    /// password, unless the password changed meanwhile. The history and `passwordChanged`
    /// stay: the password is the same.
    async fn rehash(&self, id: &str, old: &str, password: &str) -> portti_core::Result<()> {
        let new = self.hasher.hash(password.to_string()).await?;
        let mut tx = self.write().await?;
        if tx.password_hash(id).await?.as_deref() == Some(old) {
            tx.set_password_hash(id, Some(&new)).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Note a sign-in: success clears the failures and stamps `lastAuthenticatedDate`;
    /// a failure counts within the policy's window and locks the user out at its threshold.
    async fn record_attempt(&self, user: &User, success: bool, now: i64) -> Result<(), OAuthError> {
        let mut tx = self.write().await?;
        let policy = match tx.namespace(&user.ns_code).await? {
            Some(ns) => ns.default_group_policy,
            None => Default::default(),
        };
        let mut facets = tx.facets(&user.id).await?;
        if success {
            facets.failed_logins.clear();
            facets.locked_out_until = None;
            facets.last_authenticated = Some(time::format_ms(now));
        } else {
            let window = policy.incorrect_login_time_win.unwrap_or(900).max(0) * 1000;
            facets.failed_logins.retain(|t| now - t < window);
            facets.failed_logins.push(now);
            let threshold = policy.incorrect_login_attempts_thresh.unwrap_or(5);
            if threshold > 0 && facets.failed_logins.len() as i64 >= threshold {
                facets.locked_out_until =
                    Some(now + policy.incorrect_login_lockout_time.unwrap_or(900).max(0) * 1000);
                facets.failed_logins.clear();
                tracing::warn!(user = %user.id, "locked out after repeated failed sign-ins");
            }
        }
        tx.put_facets(&user.id, &facets).await?;
        tx.commit().await?;
        Ok(())
    }
}
