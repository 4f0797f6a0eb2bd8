//! Moving a user to another namespace, in one transaction.

use crate::groups::resolve_or_create;
use crate::namespaces::by_code;
use crate::users::{check_limits, claim_username, generate_username, reachable};
use crate::{present, Caller, Directory};
use portti_core::model::{Consents, Meta, NamespaceMigrationOptions, User, UserFacets};
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};

impl Directory {
    /// Move a user to `targetNsCode` as the options say; on any failure nothing changes.
    /// Access rights granted in the old namespace do not follow the user.
    pub async fn migrate_namespace(
        &self,
        caller: &Caller,
        id: &str,
        opts: NamespaceMigrationOptions,
    ) -> Result<User> {
        caller.require(Permission::ACCOUNT_MIGRATE_NAMESPACE)?;
        let target_code = opts
            .target_ns_code
            .clone()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::bad("targetNsCode is required"))?;
        let (old, target, facets, hash) = {
            let mut tx = self.read().await?;
            let old = reachable(caller, tx.as_mut(), id).await?;
            let target = by_code(caller, tx.as_mut(), &target_code)
                .await
                .map_err(|_| Error::bad(format!("target namespace {target_code} does not exist")))?;
            (old, target, tx.facets(id).await?, tx.password_hash(id).await?)
        };
        if target.code == old.ns_code {
            return Err(Error::bad(format!("user {id} is already in namespace {target_code}")));
        }
        let now = time::format_ms(time::now_ms());
        let mut user = moved_user(&old, &opts, &target.code, &now);
        check_limits(&target, &user)?;
        let hash = match opts.user_password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => {
                user.username = opts.username.clone().unwrap_or_default();
                Some(self.hash_new_password(&target, &user, p).await?)
            }
            None if opts.keep_password => hash,
            None => None,
        };
        let facets = UserFacets {
            custom_fields: if opts.keep_custom_fields { facets.custom_fields } else { Default::default() },
            enterprise: facets.enterprise.filter(|_| opts.keep_profile),
            legal: facets.legal.filter(|_| opts.keep_profile),
            student: facets.student.filter(|_| opts.keep_profile),
            password_history: if hash.is_some() && opts.user_password.is_none() {
                facets.password_history
            } else {
                Vec::new()
            },
            password_changed: if opts.user_password.is_some() {
                Some(now.clone())
            } else {
                facets.password_changed
            },
            ..Default::default()
        };

        let mut tx = self.write().await?;
        reachable(caller, tx.as_mut(), id).await?;
        let target = by_code(caller, tx.as_mut(), &target.code).await?;
        user.username = match opts.username.clone().map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
            Some(given) => claim_username(tx.as_mut(), &target, given).await?,
            None => generate_username(tx.as_mut(), &target, &user).await?,
        };
        if opts.keep_groups {
            let mut names = Vec::new();
            for gid in &old.member_of {
                names.extend(tx.group(gid).await?.map(|g| g.name));
            }
            user.member_of = resolve_or_create(tx.as_mut(), &target.code, names, &now).await?;
        }
        if user.id == old.id {
            tx.update_user(&user).await?;
        } else {
            tx.insert_user(&user, None).await?;
            tx.move_history(&old.id, &user.id).await?;
            tx.delete_user(&old.id).await?;
        }
        tx.set_password_hash(&user.id, hash.as_deref()).await?;
        tx.put_facets(&user.id, &facets).await?;
        tx.commit().await?;
        Ok(present::user(caller, user))
    }
}

/// The user as it will exist in the target namespace (username and groups still to settle).
fn moved_user(old: &User, opts: &NamespaceMigrationOptions, target: &str, now: &str) -> User {
    let mut user = if opts.keep_profile {
        old.clone()
    } else {
        User {
            user_account_type: old.user_account_type.clone(),
            emails: old.emails.clone(),
            mobiles: old.mobiles.clone(),
            consents: old.consents.clone(),
            locked: old.locked,
            ..Default::default()
        }
    };
    user.id = if opts.keep_user_id { old.id.clone() } else { id::new_id() };
    user.ns_code = target.to_string();
    user.username = String::new();
    user.member_of = Vec::new();
    if !opts.keep_emails {
        user.emails.clear();
    }
    if !opts.keep_mobiles {
        user.mobiles.clear();
    }
    if !opts.keep_consents {
        user.consents = Consents::default();
    }
    user.meta = Meta { created: Some(now.into()), last_modified: Some(now.into()), location: None };
    user
}
