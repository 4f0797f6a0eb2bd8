//! How users look to a given caller: computed fields filled in, personal ids censored.

use crate::Caller;
use chrono::NaiveDate;
use portti_core::model::{CustomerGroupInfo, LegalInfo, StrongIdentification, User};
use portti_core::permission::Permission;

/// What callers without `ACCOUNT_VIEW_PERSONAL_ID` see instead of a personal id.
pub const CENSORED: &str = "********";

/// The user as `caller` may see it.
pub fn user(caller: &Caller, mut user: User) -> User {
    user.customer_group_info.student_valid_now = student_valid_now(&user.customer_group_info);
    strong_id(caller, &mut user.strong_identification);
    user
}

/// A strong identification as `caller` may see it.
pub fn strong_id(caller: &Caller, entry: &mut StrongIdentification) {
    if !caller.has(Permission::ACCOUNT_VIEW_PERSONAL_ID) && entry.personal_id.is_some() {
        entry.personal_id = Some(CENSORED.into());
    }
}

/// Legal information as `caller` may see it.
pub fn legal(caller: &Caller, mut info: LegalInfo) -> LegalInfo {
    if !caller.has(Permission::ACCOUNT_VIEW_PERSONAL_ID) && info.personal_identity_code.is_some() {
        info.personal_identity_code = Some(CENSORED.into());
    }
    info
}

/// A student whose validity window holds today.
fn student_valid_now(info: &CustomerGroupInfo) -> Option<bool> {
    let student = info.student?;
    let today = chrono::Utc::now().date_naive();
    let from = info.student_valid_from.as_deref().and_then(date);
    let to = info.student_valid_to.as_deref().and_then(date);
    Some(student && from.is_none_or(|f| f <= today) && to.is_none_or(|t| today <= t))
}

/// A date written as `YYYY-MM-DD` or as an instant.
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| portti_core::time::parse_instant(s).map(|t| t.date_naive()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_window() {
        let mut info = CustomerGroupInfo { student: Some(true), ..Default::default() };
        assert_eq!(student_valid_now(&info), Some(true));
        info.student_valid_to = Some("2000-01-01".into());
        assert_eq!(student_valid_now(&info), Some(false));
        info.student_valid_to = Some("2999-01-01T00:00:00Z".into());
        info.student_valid_from = Some("2000-01-01".into());
        assert_eq!(student_valid_now(&info), Some(true));
        assert_eq!(student_valid_now(&CustomerGroupInfo::default()), None);
    }
}
