//! Namespaces: create, read, list, update, delete.

use crate::{in_write, query, Caller, Directory, ListRequest, DEFAULT_NAMESPACE};
use portti_core::field::Field;
use portti_core::model::{Meta, Namespace, NamespaceChanges};
use portti_core::page::Page;
use portti_core::permission::Permission;
use portti_core::username::UsernamePolicy;
use portti_core::{id, time, Error, Result};
use portti_store::Tx;

/// Names the SCIM dialect uses as path segments, so no namespace may take them.
const RESERVED_CODES: &[&str] =
    &["Users", "Groups", "Me", "ServiceProviderConfig", "Schemas", "ResourceTypes", "Bulk", ".search"];

impl Directory {
    pub(crate) async fn ensure_default_namespace(&self) -> Result<()> {
        if self.read().await?.namespace(DEFAULT_NAMESPACE).await?.is_some() {
            return Ok(());
        }
        let now = time::format_ms(time::now_ms());
        let ns = Namespace {
            id: id::new_id(),
            code: DEFAULT_NAMESPACE.into(),
            name: Some("Default".into()),
            username_policy: UsernamePolicy::Manual,
            valid_from: Some(now.clone()),
            meta: Meta { created: Some(now.clone()), last_modified: Some(now), location: None },
            ..Default::default()
        };
        let mut tx = self.write().await?;
        match tx.insert_namespace(&ns).await {
            Ok(()) => tx.commit().await,
            Err(Error::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Create a namespace (only callers that reach every namespace may).
    pub async fn create_namespace(&self, caller: &Caller, changes: NamespaceChanges) -> Result<Namespace> {
        caller.require(Permission::NAMESPACE_CREATE)?;
        if !caller.unrestricted() {
            return Err(Error::Forbidden(
                "a client limited to some namespaces cannot create namespaces".into(),
            ));
        }
        let code = match &changes.code {
            Field::Value(c) => c.trim().to_string(),
            _ => return Err(Error::bad("a namespace needs a code")),
        };
        check_code(&code)?;
        let now = time::format_ms(time::now_ms());
        let mut ns = Namespace { id: id::new_id(), code, ..Default::default() };
        changes.apply(&mut ns)?;
        ns.valid_from.get_or_insert_with(|| now.clone());
        ns.meta = Meta { created: Some(now.clone()), last_modified: Some(now), location: None };
        check_namespace(&ns)?;
        in_write!(self, |tx| tx.insert_namespace(&ns).await?);
        Ok(ns)
    }

    /// A namespace by id or code.
    pub async fn namespace(&self, caller: &Caller, id_or_code: &str) -> Result<Namespace> {
        caller.require(Permission::NAMESPACE_VIEW)?;
        reachable(caller, self.read().await?.as_mut(), id_or_code).await
    }

    /// A page of the namespaces the caller may see.
    pub async fn list_namespaces(&self, caller: &Caller, req: ListRequest) -> Result<Page<Namespace>> {
        caller.require(Permission::NAMESPACE_VIEW)?;
        let q = query(caller, req)?;
        self.read().await?.find_namespaces(&q).await
    }

    /// Apply a full-object update to a namespace.
    pub async fn update_namespace(
        &self,
        caller: &Caller,
        id_or_code: &str,
        changes: NamespaceChanges,
    ) -> Result<Namespace> {
        caller.require(Permission::NAMESPACE_MODIFY)?;
        let mut tx = self.write().await?;
        let mut ns = reachable(caller, tx.as_mut(), id_or_code).await?;
        if let Field::Value(code) = &changes.code {
            if code.trim() != ns.code {
                return Err(Error::bad(format!("the code of namespace {} cannot be changed", ns.code)));
            }
        }
        changes.apply(&mut ns)?;
        check_namespace(&ns)?;
        ns.meta.last_modified = Some(time::format_ms(time::now_ms()));
        tx.update_namespace(&ns).await?;
        tx.commit().await?;
        Ok(ns)
    }

    /// Delete a namespace with no users left; its groups go with it.
    pub async fn delete_namespace(&self, caller: &Caller, id_or_code: &str) -> Result<()> {
        caller.require(Permission::NAMESPACE_DELETE)?;
        let mut tx = self.write().await?;
        let ns = reachable(caller, tx.as_mut(), id_or_code).await?;
        if ns.code == DEFAULT_NAMESPACE {
            return Err(Error::Conflict("the default namespace cannot be deleted".into()));
        }
        let (users, _) = tx.namespace_usage(&ns.code).await?;
        if users > 0 {
            return Err(Error::Conflict(format!(
                "namespace {} still has {users} users: delete or migrate them first",
                ns.code
            )));
        }
        tx.delete_groups_of(&ns.code).await?;
        tx.delete_namespace(&ns.id).await?;
        tx.commit().await
    }
}

/// The namespace, or 404 when it does not exist or the caller may not reach it.
pub(crate) async fn reachable(caller: &Caller, tx: &mut dyn Tx, id_or_code: &str) -> Result<Namespace> {
    match tx.namespace(id_or_code).await? {
        Some(ns) if caller.reaches(&ns.code) => Ok(ns),
        _ => Err(Error::not_found("namespace", id_or_code)),
    }
}

/// The namespace a request names by code, or 404 (also when unreachable, so codes don't leak).
pub(crate) async fn by_code(caller: &Caller, tx: &mut dyn Tx, code: &str) -> Result<Namespace> {
    reached(caller, tx.namespace(code).await?, code)
}

/// `found` (looked up by `code`) if it has that code and `caller` reaches it, else 404.
pub(crate) fn reached(caller: &Caller, found: Option<Namespace>, code: &str) -> Result<Namespace> {
    match found {
        Some(ns) if ns.code == code && caller.reaches(code) => Ok(ns),
        _ => Err(Error::not_found("namespace", code)),
    }
}

fn check_code(code: &str) -> Result<()> {
    let ok = (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !RESERVED_CODES.contains(&code);
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!(
            "invalid namespace code '{code}': use 1-64 of A-Z a-z 0-9 . _ - (and not a SCIM endpoint name)"
        )))
    }
}

fn check_namespace(ns: &Namespace) -> Result<()> {
    for (name, value) in [("validFrom", &ns.valid_from), ("validTo", &ns.valid_to)] {
        if let Some(v) = value {
            if time::parse_instant(v).is_none() {
                return Err(Error::bad(format!("{name} must be an ISO-8601 instant, got '{v}'")));
            }
        }
    }
    if ns.comm_method_max_qty == 0 || ns.comm_method_max_qty > 100 {
        return Err(Error::bad("commMethodMaxQty must be between 1 and 100"));
    }
    let sms = &ns.sms_settings;
    if sms.default_originator.as_ref().is_some_and(|o| o.chars().count() > 11) {
        return Err(Error::bad("smsSettings.defaultOriginator is at most 11 characters"));
    }
    if sms
        .default_region
        .as_ref()
        .is_some_and(|r| r.len() != 2 || !r.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(Error::bad("smsSettings.defaultRegion must be a two-letter country code"));
    }
    Ok(())
}
