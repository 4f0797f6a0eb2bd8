//! The directory's resources as the service keeps them and the Management API shows them.

mod client;
mod email_template;
mod facets;
mod group;
mod message;
mod namespace;
mod outbox;
mod user;
mod verification;

pub use client::{ApiToken, ManagementClient, OidcClient, RefreshGrant, GRANTS};
pub use email_template::{
    check_locale, check_property_key, check_time_zone, EmailTemplate, EmailTemplateChanges, LocaleProperties,
    RecipientDetails, RenderedMail, SendMessageOptions, TEMPLATE_ENGINES,
};
pub use facets::{
    CustomRole, Door, Enterprise, EnterpriseContactInfo, LegalDomicile, LegalInfo, ListChange,
    NamespaceMigrationOptions, PasswordUpdateResult, StudentInfo, StudentState, UserFacets, STUDENT_STATES,
};
pub use group::{Group, GroupChanges};
pub use message::{sms_parts, Email, MailAddress, MailAttachment, SmsMessage, SmsResponse};
pub use namespace::{
    DefaultGroupPolicy, LoginIpRule, Namespace, NamespaceChanges, ResetPasswordOptions, SmsSettings,
};
pub use outbox::{Attachment, Channel, MessageStatus, OutboxMessage};
pub use user::{
    Address, Consents, CustomerGroupInfo, EmailAddress, EmailInput, Mobile, MobileInput, Names, PlaceOfBirth,
    StrongIdentification, User, UserChanges,
};
pub use verification::{Invite, Verification, VerificationKind};

use serde::{Deserialize, Deserializer, Serialize};

/// Server-managed metadata of every resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    /// When the resource was created (ISO-8601 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Its absolute URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Meta {
    /// Meta from epoch milliseconds.
    pub fn from_ms(created: i64, modified: i64) -> Self {
        Meta {
            created: Some(crate::time::format_ms(created)),
            last_modified: Some(crate::time::format_ms(modified)),
            location: None,
        }
    }

    /// Whether nothing is set (used to skip it when stored).
    pub fn is_empty(&self) -> bool {
        self.created.is_none() && self.last_modified.is_none() && self.location.is_none()
    }
}

/// Deserialize `null` as the type's default (the SDK sends `null` for unset booleans).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `true` when the value is the default (for `skip_serializing_if`).
pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
