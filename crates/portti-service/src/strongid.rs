//! Strong identification: reports, the user's summary, and the history of reports.

use crate::users::reachable;
use crate::{present, query, Caller, Directory, ListRequest};
use portti_core::model::StrongIdentification;
use portti_core::page::Page;
use portti_core::permission::Permission;
use portti_core::{id, time, Error, Result};

/// How identifications reported through the API are recorded.
const METHOD: &str = "USER_API";

impl Directory {
    /// Record a strong identification of a user; returns the user's updated summary.
    pub async fn report_strong_identification(
        &self,
        caller: &Caller,
        id: &str,
        personal_id: Option<String>,
        remarks: Option<String>,
    ) -> Result<StrongIdentification> {
        caller.require(Permission::ACCOUNT_STRONG_IDENTIFY)?;
        let personal_id = personal_id
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| Error::bad("personalId is required"))?;
        let now = time::format_ms(time::now_ms());
        let mut tx = self.write().await?;
        let mut user = reachable(caller, tx.as_mut(), id).await?;
        let entry = StrongIdentification {
            id: Some(id::new_id()),
            method: Some(METHOD.into()),
            personal_id: Some(personal_id.clone()),
            remarks: remarks.clone(),
            identifier: Some(caller.id().to_string()),
            time: Some(now.clone()),
            identified: true,
            ..Default::default()
        };
        tx.insert_strong_id(&user.id, &entry).await?;
        let summary = &mut user.strong_identification;
        summary.identified = true;
        summary.method = entry.method;
        summary.personal_id = Some(personal_id);
        summary.remarks = remarks;
        summary.identifier = entry.identifier;
        summary.first_time.get_or_insert_with(|| now.clone());
        summary.time = Some(now.clone());
        summary.count = Some(summary.count.unwrap_or(0) + 1);
        user.meta.last_modified = Some(now);
        tx.update_user(&user).await?;
        tx.commit().await?;
        let mut summary = user.strong_identification;
        present::strong_id(caller, &mut summary);
        Ok(summary)
    }

    /// The user's strong-identification summary.
    pub async fn strong_identification(&self, caller: &Caller, id: &str) -> Result<StrongIdentification> {
        Ok(self.user(caller, id).await?.strong_identification)
    }

    /// A page of the user's strong-identification history, oldest first by default.
    pub async fn strong_identification_history(
        &self,
        caller: &Caller,
        id: &str,
        req: ListRequest,
    ) -> Result<Page<StrongIdentification>> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let q = query(caller, req)?;
        let mut tx = self.read().await?;
        reachable(caller, tx.as_mut(), id).await?;
        let page = tx.find_strong_ids(id, &q).await?;
        Ok(page.map(|mut e| {
            present::strong_id(caller, &mut e);
            e
        }))
    }

    /// One entry of the user's strong-identification history.
    pub async fn strong_identification_entry(
        &self,
        caller: &Caller,
        id: &str,
        entry: &str,
    ) -> Result<StrongIdentification> {
        caller.require(Permission::ACCOUNT_VIEW)?;
        let mut tx = self.read().await?;
        reachable(caller, tx.as_mut(), id).await?;
        let mut found =
            tx.strong_id(id, entry).await?.ok_or_else(|| Error::not_found("history entry", entry))?;
        present::strong_id(caller, &mut found);
        Ok(found)
    }
}
