//! Proofs of address ownership and invitations: single-use secrets the server sends by mail
//! or SMS. Only their keyed hashes are stored; the secrets themselves travel only in the message.

use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// What a verification secret proves when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationKind {
    /// A link mailed to an email address (`verifiedBy` `EMAIL_LINK`).
    EmailLink,
    /// A link sent by SMS to a mobile number (`verifiedBy` `SMS_LINK`).
    SmsLink,
    /// A short numeric code sent by SMS (`verifiedBy` `SMS_CODE`).
    SmsCode,
}

impl VerificationKind {
    /// `email_link`, `sms_link` or `sms_code`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationKind::EmailLink => "email_link",
            VerificationKind::SmsLink => "sms_link",
            VerificationKind::SmsCode => "sms_code",
        }
    }

    /// The `verifiedBy` value an address verified this way gets.
    pub fn verified_by(self) -> &'static str {
        match self {
            VerificationKind::EmailLink => "EMAIL_LINK",
            VerificationKind::SmsLink => "SMS_LINK",
            VerificationKind::SmsCode => "SMS_CODE",
        }
    }

    /// Whether it verifies an email address (else a mobile number).
    pub fn is_email(self) -> bool {
        self == VerificationKind::EmailLink
    }
}

impl fmt::Display for VerificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VerificationKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "email_link" => Ok(VerificationKind::EmailLink),
            "sms_link" => Ok(VerificationKind::SmsLink),
            "sms_code" => Ok(VerificationKind::SmsCode),
            other => Err(Error::Internal(format!("unknown verification kind '{other}' in the store"))),
        }
    }
}

/// One verification secret sent to a user, as stored (the secret only as its keyed hash).
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// Server-generated id.
    pub id: String,
    /// What it proves.
    pub kind: VerificationKind,
    /// The keyed hash of the secret (of the link token, or of the user id and code).
    pub hash: String,
    /// Whose address it verifies.
    pub user_id: String,
    /// The address or number, as the user's record spells it.
    pub target: String,
    /// Where the link's page redirects after verifying.
    pub return_url: Option<String>,
    /// When it was sent (epoch ms).
    pub created_ms: i64,
    /// When it stops working (epoch ms).
    pub expires_ms: i64,
    /// When it was used (epoch ms); `None` while unused.
    pub used_ms: Option<i64>,
}

/// An invitation to register in a namespace, as stored (the link token only as its keyed hash).
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    /// Server-generated id.
    pub id: String,
    /// The keyed hash of the link token.
    pub hash: String,
    /// The namespace the new user joins.
    pub ns_code: String,
    /// The invited address (the new user's first, verified, email).
    pub email: String,
    /// Ids of the groups the new user joins.
    pub groups: Vec<String>,
    /// `fi`, `sv` or `en`: the language of the mail and of the registration page.
    pub locale: String,
    /// The management client that invited.
    pub invited_by: String,
    /// When it was sent (epoch ms).
    pub created_ms: i64,
    /// When it stops working (epoch ms).
    pub expires_ms: i64,
    /// When it was used (epoch ms); `None` while unused.
    pub used_ms: Option<i64>,
    /// The user it created.
    pub user_id: Option<String>,
}
