//! What is kept beside a user's profile: custom fields, enterprise, legal and student data.

use crate::users::reachable;
use crate::{present, Caller, Directory};
use portti_core::model::{Enterprise, LegalInfo, Meta, StudentState, UserFacets, STUDENT_STATES};
use portti_core::permission::Permission;
use portti_core::{time, Error, Result};
use serde_json::{Map, Value};

impl Directory {
    /// Read the facets of a user the caller may see.
    async fn read_facets(&self, caller: &Caller, id: &str) -> Result<UserFacets> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let mut tx = self.read().await?;
        reachable(caller, tx.as_mut(), id).await?;
        tx.facets(id).await
    }

    /// Change the facets of a user in one transaction; `change` returns what to answer.
    async fn change_facets<T>(
        &self,
        caller: &Caller,
        id: &str,
        change: impl FnOnce(&mut UserFacets) -> Result<T>,
    ) -> Result<T> {
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        let mut user = reachable(caller, tx.as_mut(), id).await?;
        let mut facets = tx.facets(id).await?;
        let out = change(&mut facets)?;
        tx.put_facets(id, &facets).await?;
        user.meta.last_modified = Some(time::format_ms(time::now_ms()));
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A user's custom fields (`{}` when none).
    pub async fn custom_fields(&self, caller: &Caller, id: &str) -> Result<Map<String, Value>> {
        Ok(self.read_facets(caller, id).await?.custom_fields)
    }

    /// Upsert custom fields at the top level; returns the resulting set.
    pub async fn update_custom_fields(
        &self,
        caller: &Caller,
        id: &str,
        fields: Value,
    ) -> Result<Map<String, Value>> {
        let Value::Object(fields) = fields else {
            return Err(Error::bad("custom fields must be a JSON object"));
        };
        check_custom_fields(&fields)?;
        self.change_facets(caller, id, |f| {
            f.custom_fields.extend(fields);
            Ok(f.custom_fields.clone())
        })
        .await
    }

    /// Remove every custom field of a user.
    pub async fn delete_custom_fields(&self, caller: &Caller, id: &str) -> Result<()> {
        self.change_facets(caller, id, |f| {
            f.custom_fields.clear();
            Ok(())
        })
        .await
    }

    /// A user's enterprise (empty when none).
    pub async fn enterprise(&self, caller: &Caller, id: &str) -> Result<Enterprise> {
        Ok(self.read_facets(caller, id).await?.enterprise.unwrap_or_default())
    }

    /// Replace a user's enterprise.
    pub async fn update_enterprise(
        &self,
        caller: &Caller,
        id: &str,
        mut enterprise: Enterprise,
    ) -> Result<Enterprise> {
        let now = time::format_ms(time::now_ms());
        self.change_facets(caller, id, |f| {
            let created = f.enterprise.as_ref().and_then(|e| e.meta.created.clone());
            enterprise.meta =
                Meta { created: created.or(Some(now.clone())), last_modified: Some(now), location: None };
            f.enterprise = Some(enterprise.clone());
            Ok(enterprise)
        })
        .await
    }

    /// A user's legal information (empty when none), personal id censored unless permitted.
    pub async fn legal_info(&self, caller: &Caller, id: &str) -> Result<LegalInfo> {
        let info = self.read_facets(caller, id).await?.legal.unwrap_or_default();
        Ok(present::legal(caller, info))
    }

    /// Replace a user's legal information (from a register or an import).
    pub async fn update_legal_info(
        &self,
        caller: &Caller,
        id: &str,
        mut info: LegalInfo,
    ) -> Result<LegalInfo> {
        check_legal_info(&info)?;
        info.last_updated_at.get_or_insert_with(|| time::format_ms(time::now_ms()));
        let stored = self.change_facets(caller, id, |f| {
            f.legal = Some(info.clone());
            Ok(info)
        });
        Ok(present::legal(caller, stored.await?))
    }

    /// A user's student state (`UNKNOWN` when none).
    pub async fn student_state(&self, caller: &Caller, id: &str) -> Result<StudentState> {
        Ok(self.read_facets(caller, id).await?.student.unwrap_or_default())
    }

    /// Set a user's student state, mirrored into its `customerGroupInfo`.
    pub async fn update_student_state(
        &self,
        caller: &Caller,
        id: &str,
        mut state: StudentState,
    ) -> Result<StudentState> {
        check_student_state(&state)?;
        let now = time::format_ms(time::now_ms());
        state.updated = Some(now.clone());
        state.source.get_or_insert_with(|| "API".into());
        state.last_query_success.get_or_insert(true);
        caller.require(Permission::ACCOUNT_MODIFY)?;
        let mut tx = self.write().await?;
        let mut user = reachable(caller, tx.as_mut(), id).await?;
        let mut facets = tx.facets(id).await?;
        facets.student = Some(state.clone());
        let info = &mut user.customer_group_info;
        info.student = Some(matches!(state.state.as_str(), "FULL_TIME" | "PART_TIME"));
        info.student_valid_from = state.student_from.clone();
        info.student_valid_to = state.student_to.clone();
        info.student_updated = Some(now.clone());
        user.meta.last_modified = Some(now);
        tx.put_facets(id, &facets).await?;
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(state)
    }
}

/// Custom field names are 1-200 characters.
pub(crate) fn check_custom_fields(fields: &Map<String, Value>) -> Result<()> {
    match fields.keys().find(|k| k.is_empty() || k.len() > 200) {
        Some(k) => Err(Error::bad(format!("invalid custom field name '{k}': use 1-200 characters"))),
        None => Ok(()),
    }
}

/// Legal information's dates must be dates.
pub(crate) fn check_legal_info(info: &LegalInfo) -> Result<()> {
    for (name, value) in [("dateOfBirth", &info.date_of_birth), ("dateOfDeath", &info.date_of_death)] {
        check_date(name, value.as_deref())?;
    }
    Ok(())
}

/// A student state names a known state and its dates are dates.
pub(crate) fn check_student_state(state: &StudentState) -> Result<()> {
    if !STUDENT_STATES.contains(&state.state.as_str()) {
        return Err(Error::bad(format!("state must be one of {}", STUDENT_STATES.join(", "))));
    }
    check_date("studentFrom", state.student_from.as_deref())?;
    check_date("studentTo", state.student_to.as_deref())
}

/// A date field must be `YYYY-MM-DD` or an instant.
fn check_date(name: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if present::date(v).is_none() => {
            Err(Error::bad(format!("{name} must be a date (YYYY-MM-DD) or an instant, got '{v}'")))
        }
        _ => Ok(()),
    }
}
