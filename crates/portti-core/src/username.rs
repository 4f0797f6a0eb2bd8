//! Username policies: how a namespace makes usernames when a create request names none.

use crate::model::Names;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The ten username policies of a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UsernamePolicy {
    /// The user's first email address.
    Email,
    /// Initials of first, middle and last name plus two digits.
    #[serde(rename = "FMLNN")]
    Fmlnn,
    /// Consonant-vowel-consonant-vowel.
    #[serde(rename = "CVCV")]
    Cvcv,
    /// Consonant-vowel, three times.
    #[serde(rename = "CVCVCV")]
    Cvcvcv,
    /// Eight random digits.
    EightNumbers,
    /// Nine random digits.
    NineNumbers,
    /// Ten random digits.
    TenNumbers,
    /// Eight random lowercase letters.
    EightLowerCaseChars,
    /// Ten random lowercase letters.
    TenLowerCaseChars,
    /// The client must give the username.
    Manual,
}

/// What a policy may draw a username from.
pub struct UsernameSource<'a> {
    /// The user's first email, if any.
    pub email: Option<&'a str>,
    /// The user's names.
    pub name: &'a Names,
}

const CONSONANTS: &[u8] = b"bcdfghjklmnprstvz";
const VOWELS: &[u8] = b"aeiouy";

impl UsernamePolicy {
    /// A candidate username. `attempt` counts earlier candidates that were taken: policies
    /// with little entropy append digits once the plain form has collided.
    pub fn generate(
        self,
        source: &UsernameSource,
        attempt: u32,
        rng: &mut impl Rng,
    ) -> crate::Result<String> {
        let name = match self {
            UsernamePolicy::Email => source.email.map(str::to_string).ok_or_else(|| {
                crate::Error::bad("usernamePolicy EMAIL needs an email address: give emails or a username")
            })?,
            UsernamePolicy::Fmlnn => format!("{}{}", initials(source.name)?, digits(2, rng)),
            UsernamePolicy::Cvcv => syllables(2, rng),
            UsernamePolicy::Cvcvcv => syllables(3, rng),
            UsernamePolicy::EightNumbers => digits(8, rng),
            UsernamePolicy::NineNumbers => digits(9, rng),
            UsernamePolicy::TenNumbers => digits(10, rng),
            UsernamePolicy::EightLowerCaseChars => letters(8, rng),
            UsernamePolicy::TenLowerCaseChars => letters(10, rng),
            UsernamePolicy::Manual => {
                return Err(crate::Error::bad("usernamePolicy MANUAL needs a username in the request"))
            }
        };
        Ok(match (self, attempt) {
            (UsernamePolicy::Email, 0) => name,
            (UsernamePolicy::Email, _) => {
                return Err(crate::Error::Conflict(format!(
                    "username {name} is already taken in this namespace"
                )))
            }
            (UsernamePolicy::Cvcv | UsernamePolicy::Cvcvcv | UsernamePolicy::Fmlnn, n) if n > 0 => {
                format!("{name}{}", digits(n.min(6) as usize, rng))
            }
            _ => name,
        })
    }
}

fn initials(name: &Names) -> crate::Result<String> {
    let initials: String = [&name.given_name, &name.middle_name, &name.family_name]
        .into_iter()
        .flatten()
        .filter_map(|n| n.trim().chars().next())
        .flat_map(char::to_lowercase)
        .collect();
    if initials.is_empty() {
        return Err(crate::Error::bad(
            "usernamePolicy FMLNN needs at least one of name.givenName, name.middleName, name.familyName",
        ));
    }
    Ok(initials)
}

fn digits(n: usize, rng: &mut impl Rng) -> String {
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10))).collect()
}

fn letters(n: usize, rng: &mut impl Rng) -> String {
    (0..n).map(|_| char::from(b'a' + rng.gen_range(0..26))).collect()
}

fn syllables(n: usize, rng: &mut impl Rng) -> String {
    let pick = |set: &[u8], rng: &mut dyn rand::RngCore| char::from(set[rng.gen_range(0..set.len())]);
    (0..n).flat_map(|_| [pick(CONSONANTS, rng), pick(VOWELS, rng)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(policy: UsernamePolicy, email: Option<&str>, name: &Names, attempt: u32) -> crate::Result<String> {
        policy.generate(&UsernameSource { email, name }, attempt, &mut rand::thread_rng())
    }

    fn ann() -> Names {
        Names {
            given_name: Some("Ann".into()),
            middle_name: Some("Maria".into()),
            family_name: Some("Example".into()),
        }
    }

    #[test]
    fn digit_and_letter_policies() {
        let none = Names::default();
        for (policy, len, digit) in [
            (UsernamePolicy::EightNumbers, 8, true),
            (UsernamePolicy::NineNumbers, 9, true),
            (UsernamePolicy::TenNumbers, 10, true),
            (UsernamePolicy::EightLowerCaseChars, 8, false),
            (UsernamePolicy::TenLowerCaseChars, 10, false),
        ] {
            let u = gen(policy, None, &none, 0).unwrap();
            assert_eq!(u.len(), len, "{policy:?}");
            assert!(u.chars().all(|c| if digit { c.is_ascii_digit() } else { c.is_ascii_lowercase() }));
        }
    }

    #[test]
    fn syllable_policies_alternate_and_grow_on_collision() {
        let none = Names::default();
        let u = gen(UsernamePolicy::Cvcv, None, &none, 0).unwrap();
        assert_eq!(u.len(), 4);
        assert!(CONSONANTS.contains(&u.as_bytes()[0]) && VOWELS.contains(&u.as_bytes()[1]));
        assert_eq!(gen(UsernamePolicy::Cvcvcv, None, &none, 0).unwrap().len(), 6);
        assert_eq!(gen(UsernamePolicy::Cvcv, None, &none, 2).unwrap().len(), 6);
    }

    #[test]
    fn email_and_fmlnn_need_their_attributes() {
        let none = Names::default();
        assert_eq!(gen(UsernamePolicy::Email, Some("a@x.fi"), &none, 0).unwrap(), "a@x.fi");
        assert!(matches!(gen(UsernamePolicy::Email, None, &none, 0), Err(crate::Error::BadRequest(_))));
        assert!(matches!(
            gen(UsernamePolicy::Email, Some("a@x.fi"), &none, 1),
            Err(crate::Error::Conflict(_))
        ));
        let u = gen(UsernamePolicy::Fmlnn, None, &ann(), 0).unwrap();
        assert!(u.starts_with("ame") && u.len() == 5 && u[3..].chars().all(|c| c.is_ascii_digit()));
        assert!(matches!(gen(UsernamePolicy::Fmlnn, None, &none, 0), Err(crate::Error::BadRequest(_))));
        assert!(matches!(gen(UsernamePolicy::Manual, None, &ann(), 0), Err(crate::Error::BadRequest(_))));
    }

    #[test]
    fn wire_names() {
        assert_eq!(
            serde_json::to_string(&UsernamePolicy::EightLowerCaseChars).unwrap(),
            "\"EIGHT_LOWER_CASE_CHARS\""
        );
        assert_eq!(serde_json::to_string(&UsernamePolicy::Fmlnn).unwrap(), "\"FMLNN\"");
        assert!(serde_json::from_str::<UsernamePolicy>("\"NOPE\"").is_err());
    }
}
