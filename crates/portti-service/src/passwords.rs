//! Setting passwords: the namespace's policy, the password history, requirements.

use crate::users::reachable;
use crate::{Caller, Directory};
use portti_core::model::{Namespace, PasswordUpdateResult, User};
use portti_core::password::{check, Holder, PasswordRequirements, Violation, HISTORY_VIOLATION};
use portti_core::permission::Permission;
use portti_core::{time, Error, Result};
use portti_store::Tx;

impl Directory {
    /// What the user's namespace requires of passwords.
    pub async fn password_requirements(&self, caller: &Caller, id: &str) -> Result<PasswordRequirements> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let mut tx = self.read().await?;
        let user = reachable(caller, tx.as_mut(), id).await?;
        let ns = crate::namespaces::by_code(caller, tx.as_mut(), &user.ns_code).await?;
        Ok(requirements(&ns))
    }

    /// Set a user's password if it meets the policy; otherwise say which rules it breaks.
    pub async fn change_password(
        &self,
        caller: &Caller,
        id: &str,
        password: &str,
    ) -> Result<PasswordUpdateResult> {
        caller.require(Permission::ACCOUNT_PASSWORD_CHANGE)?;
        let (user, ns, current, facets) = {
            let mut tx = self.read().await?;
            let user = reachable(caller, tx.as_mut(), id).await?;
            let ns = crate::namespaces::by_code(caller, tx.as_mut(), &user.ns_code).await?;
            (user.clone(), ns, tx.password_hash(id).await?, tx.facets(id).await?)
        };
        let req = requirements(&ns);
        let mut errors = violations(password, &req, &user);
        if errors.is_empty() && req.history_length > 0 {
            let mut previous: Vec<String> = current.into_iter().collect();
            previous.extend(facets.password_history.iter().take(req.history_length as usize).cloned());
            if self.hasher.matches_any(password.to_string(), previous).await? {
                errors.push(Violation {
                    code: HISTORY_VIOLATION.into(),
                    message: format!("must differ from the last {} passwords", req.history_length),
                });
            }
        }
        if !errors.is_empty() {
            return Ok(PasswordUpdateResult { success: false, validation_errors: errors });
        }
        let hash = self.hasher.hash(password.to_string()).await?;
        let mut tx = self.write().await?;
        reachable(caller, tx.as_mut(), id).await?;
        set_password(tx.as_mut(), id, &hash, req.history_length).await?;
        tx.commit().await?;
        Ok(PasswordUpdateResult { success: true, validation_errors: Vec::new() })
    }

    /// The hash of a new password for `user`, or a 400 naming the rules it breaks.
    pub(crate) async fn hash_new_password(
        &self,
        ns: &Namespace,
        user: &User,
        password: &str,
    ) -> Result<String> {
        let errors = violations(password, &requirements(ns), user);
        if !errors.is_empty() {
            let rules: Vec<String> = errors.iter().map(|v| format!("{} ({})", v.code, v.message)).collect();
            return Err(Error::bad(format!(
                "the password breaks the namespace's policy: {}",
                rules.join("; ")
            )));
        }
        self.hasher.hash(password.to_string()).await
    }
}

/// The username rule alone, for a username generated after the password was checked.
pub(crate) fn check_username_rule(ns: &Namespace, user: &User, password: &str) -> Result<()> {
    let req = requirements(ns);
    let broken = violations(password, &req, user)
        .into_iter()
        .find(|v| v.code == portti_core::password::USERNAME_FORBIDDEN);
    match broken {
        Some(v) => {
            Err(Error::bad(format!("the password breaks the namespace's policy: {} ({})", v.code, v.message)))
        }
        None => Ok(()),
    }
}

/// The requirements of a namespace's policy.
pub(crate) fn requirements(ns: &Namespace) -> PasswordRequirements {
    PasswordRequirements::from_policy(&ns.default_group_policy)
}

fn violations(password: &str, req: &PasswordRequirements, user: &User) -> Vec<Violation> {
    let emails: Vec<&str> = user.emails.iter().map(|e| e.address.as_str()).collect();
    check(password, req, &Holder { username: &user.username, emails: &emails })
}

/// Store a new hash, remembering the previous ones the policy asks for.
pub(crate) async fn set_password(tx: &mut dyn Tx, id: &str, hash: &str, keep: u32) -> Result<()> {
    let mut facets = tx.facets(id).await?;
    if let Some(old) = tx.password_hash(id).await? {
        facets.password_history.insert(0, old);
    }
    facets.password_history.truncate(keep as usize);
    facets.password_changed = Some(time::format_ms(time::now_ms()));
    tx.set_password_hash(id, Some(hash)).await?;
    tx.put_facets(id, &facets).await
}
