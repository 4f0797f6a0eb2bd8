//! Password policy: a namespace's published requirements and the checker that enforces exactly them.

use crate::model::DefaultGroupPolicy;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The longest password accepted.
pub const MAX_LENGTH: u32 = 128;

/// The password has fewer characters than `min_length`.
pub const TOO_SHORT: &str = "TOO_SHORT";
/// The password has more characters than `max_length`.
pub const TOO_LONG: &str = "TOO_LONG";
/// The password mixes fewer kinds of characters than `number_of_characteristics`.
pub const INSUFFICIENT_CHARACTERISTICS: &str = "INSUFFICIENT_CHARACTERISTICS";
/// The password has too long a run of consecutive letters (`abcdef`, `fedcba`).
pub const ILLEGAL_ALPHABETICAL_SEQUENCE: &str = "ILLEGAL_ALPHABETICAL_SEQUENCE";
/// The password has too long a run of consecutive digits (`123456`, `7890`).
pub const ILLEGAL_NUMERICAL_SEQUENCE: &str = "ILLEGAL_NUMERICAL_SEQUENCE";
/// The password has too long a run along a keyboard row (`qwerty`, `lkjhg`).
pub const ILLEGAL_QWERTY_SEQUENCE: &str = "ILLEGAL_QWERTY_SEQUENCE";
/// The password repeats one character too many times in a row.
pub const REPEATED_CHARS: &str = "REPEATED_CHARS";
/// The password contains the username or an email's local part.
pub const USERNAME_FORBIDDEN: &str = "USERNAME_FORBIDDEN";
/// The password is a commonly used one.
pub const DICTIONARY_WORD: &str = "DICTIONARY_WORD";
/// The password is one of the user's recent ones (checked by the service, which keeps the history).
pub const HISTORY_VIOLATION: &str = "HISTORY_VIOLATION";

/// Runs of consecutive letters.
const ALPHABETICAL: &[&str] = &["abcdefghijklmnopqrstuvwxyz"];
/// Runs of consecutive digits, in counting order and along the keyboard's digit row.
const NUMERICAL: &[&str] = &["0123456789", "1234567890"];
/// Runs along the keyboard's letter rows.
const QWERTY: &[&str] = &["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// What a namespace requires of passwords (the wire model of `GET user/{id}/password/requirements`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordRequirements {
    /// Fewest characters (0: no minimum).
    pub min_length: u32,
    /// Most characters (0: no maximum).
    pub max_length: u32,
    /// Kinds of characters needed, of lowercase, uppercase, digit and other.
    pub number_of_characteristics: u32,
    /// Longest run of consecutive letters allowed (0: not enforced).
    pub alphabetical_sequence_max_length: u32,
    /// Longest run of consecutive digits allowed (0: not enforced).
    pub numerical_sequence_max_length: u32,
    /// Longest run along a keyboard row allowed (0: not enforced).
    pub qwerty_sequence_max_length: u32,
    /// Previous passwords that may not be reused (0: none).
    pub history_length: u32,
    /// Longest run of one repeated character allowed (0: not enforced).
    pub repeat_character_length: u32,
    /// The password may not contain the username or an email's local part.
    pub username_forbidden: bool,
    /// The password may not be a commonly used one.
    pub dictionary_check: bool,
}

impl PasswordRequirements {
    /// The requirements a namespace's policy sets; missing values take the default policy's, negatives 0.
    pub fn from_policy(p: &DefaultGroupPolicy) -> Self {
        let d = DefaultGroupPolicy::default();
        let num = |v: Option<i64>, dv: Option<i64>| non_negative(v.or(dv).unwrap_or(0));
        let flag = |v: Option<bool>, dv: Option<bool>| v.or(dv).unwrap_or(false);
        let sequence = num(p.max_pw_sequence_length, d.max_pw_sequence_length);
        PasswordRequirements {
            min_length: num(p.min_pw_length, d.min_pw_length),
            max_length: MAX_LENGTH,
            // More than the four kinds that exist could never be met.
            number_of_characteristics: num(p.min_char_classes, d.min_char_classes).min(4),
            alphabetical_sequence_max_length: sequence,
            numerical_sequence_max_length: sequence,
            qwerty_sequence_max_length: sequence,
            history_length: num(p.pw_history_saved, d.pw_history_saved),
            repeat_character_length: num(
                p.max_consecutive_identical_chars,
                d.max_consecutive_identical_chars,
            ),
            username_forbidden: flag(p.password_user_name_rule_enforced, d.password_user_name_rule_enforced),
            dictionary_check: flag(p.password_dictionary_rule_enforced, d.password_dictionary_rule_enforced),
        }
    }
}

/// A policy number as a `u32`: negatives become 0, huge values `u32::MAX`.
fn non_negative(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// One broken rule, as in `PasswordUpdateResult.validationErrors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Violation {
    /// One of this module's codes, e.g. `TOO_SHORT`.
    pub code: String,
    /// Plain English, naming the limit; never the password.
    pub message: String,
}

/// A violation with `code` and `message`.
fn violation(code: &str, message: String) -> Violation {
    Violation { code: code.to_string(), message }
}

/// Who the password is for (for the username rule).
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    /// The user's username.
    pub username: &'a str,
    /// The user's email addresses.
    pub emails: &'a [&'a str],
}

/// Every rule the password breaks (empty: acceptable). Never includes the password itself in a message.
pub fn check(password: &str, req: &PasswordRequirements, holder: &Holder) -> Vec<Violation> {
    let chars: Vec<char> = password.chars().collect();
    [
        too_short(&chars, req),
        too_long(&chars, req),
        insufficient_characteristics(&chars, req),
        sequence(&chars, req.alphabetical_sequence_max_length, ALPHABETICAL, ILLEGAL_ALPHABETICAL_SEQUENCE),
        sequence(&chars, req.numerical_sequence_max_length, NUMERICAL, ILLEGAL_NUMERICAL_SEQUENCE),
        sequence(&chars, req.qwerty_sequence_max_length, QWERTY, ILLEGAL_QWERTY_SEQUENCE),
        repeated(&chars, req),
        username(password, req, holder),
        dictionary(password, req),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `TOO_SHORT` when the password has fewer than `min_length` characters.
fn too_short(chars: &[char], req: &PasswordRequirements) -> Option<Violation> {
    let n = req.min_length;
    (chars.len() < n as usize).then(|| violation(TOO_SHORT, format!("must be at least {n} characters long")))
}

/// `TOO_LONG` when the password has more than `max_length` characters.
fn too_long(chars: &[char], req: &PasswordRequirements) -> Option<Violation> {
    let n = req.max_length;
    (n > 0 && chars.len() > n as usize)
        .then(|| violation(TOO_LONG, format!("must be at most {n} characters long")))
}

/// `INSUFFICIENT_CHARACTERISTICS` when fewer kinds of characters than required appear.
fn insufficient_characteristics(chars: &[char], req: &PasswordRequirements) -> Option<Violation> {
    let n = req.number_of_characteristics;
    let kinds = chars.iter().fold(0u8, |seen, &c| seen | 1 << kind(c)).count_ones();
    (kinds < n).then(|| {
        let message = format!(
            "must contain at least {n} of these kinds of characters: \
             lowercase letters, uppercase letters, digits, symbols"
        );
        violation(INSUFFICIENT_CHARACTERISTICS, message)
    })
}

/// A character's kind: 0 lowercase, 1 uppercase, 2 digit, 3 other (symbols, caseless letters).
fn kind(c: char) -> u8 {
    if c.is_lowercase() {
        0
    } else if c.is_uppercase() {
        1
    } else if c.is_numeric() {
        2
    } else {
        3
    }
}

/// `code` when a run along one of `lines` is longer than `max` (0: not enforced).
fn sequence(chars: &[char], max: u32, lines: &[&str], code: &str) -> Option<Violation> {
    let longest = lines.iter().map(|line| longest_run(chars, line)).max().unwrap_or(0);
    let what = match code {
        ILLEGAL_ALPHABETICAL_SEQUENCE => "an alphabetical",
        ILLEGAL_NUMERICAL_SEQUENCE => "a numerical",
        _ => "a keyboard",
    };
    (max > 0 && longest > max as usize)
        .then(|| violation(code, format!("must not contain {what} sequence longer than {max} characters")))
}

/// The longest run of characters each one step forward (or each one back) along `line`, case-insensitive.
fn longest_run(chars: &[char], line: &str) -> usize {
    let positions: Vec<Option<usize>> = chars.iter().map(|&c| position(line, c)).collect();
    let (mut forward, mut backward, mut best) = (1, 1, usize::from(!chars.is_empty()));
    for pair in positions.windows(2) {
        let (step_forward, step_back) = match (pair[0], pair[1]) {
            (Some(a), Some(b)) => (b == a + 1, a == b + 1),
            _ => (false, false),
        };
        forward = if step_forward { forward + 1 } else { 1 };
        backward = if step_back { backward + 1 } else { 1 };
        best = best.max(forward).max(backward);
    }
    best
}

/// Where `c`, lowercased, stands in the ASCII `line`.
fn position(line: &str, c: char) -> Option<usize> {
    let c = c.to_ascii_lowercase();
    c.is_ascii().then(|| line.bytes().position(|b| b == c as u8)).flatten()
}

/// `REPEATED_CHARS` when one character appears more than `repeat_character_length` times in a row.
fn repeated(chars: &[char], req: &PasswordRequirements) -> Option<Violation> {
    let max = req.repeat_character_length;
    let longest = chars.chunk_by(|a, b| a == b).map(<[char]>::len).max().unwrap_or(0);
    (max > 0 && longest > max as usize).then(|| {
        violation(REPEATED_CHARS, format!("must not repeat a character more than {max} times in a row"))
    })
}

/// `USERNAME_FORBIDDEN` when the password contains the username (3+ characters) or an
/// email's local part (5+ characters; shorter ones are too common as plain syllables).
fn username(password: &str, req: &PasswordRequirements, holder: &Holder) -> Option<Violation> {
    if !req.username_forbidden {
        return None;
    }
    let lower = password.to_lowercase();
    let locals = holder.emails.iter().map(|e| e.split('@').next().unwrap_or_default());
    let found = std::iter::once(holder.username)
        .filter(|name| name.chars().count() >= 3)
        .chain(locals.filter(|local| local.chars().count() >= 5))
        .any(|name| lower.contains(&name.to_lowercase()));
    found.then(|| {
        violation(USERNAME_FORBIDDEN, "must not contain the username or an email address".to_string())
    })
}

/// `DICTIONARY_WORD` when the password, plainly or barely disguised, is a common one.
fn dictionary(password: &str, req: &PasswordRequirements) -> Option<Violation> {
    (req.dictionary_check && is_common(password))
        .then(|| violation(DICTIONARY_WORD, "must not be a commonly used one".to_string()))
}

/// Whether the password, lowercased, with its ends stripped or leetspeak undone, is in the common list.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let mut candidates = Vec::new();
    for base in std::iter::once(lower.clone()).chain(strip_ends(&lower)) {
        for plain in unleet(&base) {
            candidates.extend(strip_ends(&plain));
            candidates.push(plain);
        }
        candidates.push(base);
    }
    let list = common_passwords();
    candidates.iter().any(|c| list.contains(c.as_str()))
}

/// The password without its leading and trailing digits and symbols, if 4 or more characters remain.
fn strip_ends(password: &str) -> Option<String> {
    let core = password.trim_matches(|c: char| !c.is_alphabetic());
    (core != password && core.chars().count() >= 4).then(|| core.to_string())
}

/// The password with common leetspeak undone, reading `1` as `l` and as `i`.
fn unleet(password: &str) -> [String; 2] {
    let undo = |one: char| {
        password
            .chars()
            .map(|c| match c {
                '@' => 'a',
                '0' => 'o',
                '1' => one,
                '3' => 'e',
                '$' | '5' => 's',
                '7' => 't',
                _ => c,
            })
            .collect()
    };
    [undo('l'), undo('i')]
}

/// The common-password list, loaded once.
fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};

    const NOBODY: Holder = Holder { username: "12345678", emails: &[] };

    fn defaults() -> PasswordRequirements {
        PasswordRequirements::from_policy(&DefaultGroupPolicy::default())
    }

    fn codes(password: &str) -> Vec<String> {
        check(password, &defaults(), &NOBODY).into_iter().map(|v| v.code).collect()
    }

    fn has(password: &str, code: &str) -> bool {
        codes(password).iter().any(|c| c == code)
    }

    /// The Python SDK's generator: 7 pairs of distinct characters from `[A-Za-z0-9]`, then one more.
    fn sdk_password(rng: &mut StdRng) -> String {
        let pattern: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
        let mut out: String = (0..7).flat_map(|_| pattern.choose_multiple(rng, 2).copied()).collect();
        out.push(*pattern.choose(rng).unwrap());
        out
    }

    #[test]
    fn default_policy_gives_the_documented_requirements() {
        let req = defaults();
        assert_eq!((req.min_length, req.max_length, req.number_of_characteristics), (8, MAX_LENGTH, 1));
        assert_eq!(req.alphabetical_sequence_max_length, 8);
        assert_eq!(req.numerical_sequence_max_length, 8);
        assert_eq!(req.qwerty_sequence_max_length, 8);
        assert_eq!((req.repeat_character_length, req.history_length), (2, 0));
        assert!(req.username_forbidden && req.dictionary_check);
    }

    #[test]
    fn missing_values_fall_back_and_negatives_become_zero() {
        let mut p = DefaultGroupPolicy {
            min_pw_length: None,
            password_dictionary_rule_enforced: None,
            ..Default::default()
        };
        p.max_pw_sequence_length = Some(-3);
        p.pw_history_saved = Some(4);
        p.min_char_classes = Some(9);
        let req = PasswordRequirements::from_policy(&p);
        assert_eq!((req.min_length, req.alphabetical_sequence_max_length, req.history_length), (8, 0, 4));
        assert_eq!(req.number_of_characteristics, 4);
        assert!(req.dictionary_check);
    }

    #[test]
    fn wire_names_are_camel_case() {
        let json = serde_json::to_value(defaults()).unwrap();
        for key in ["minLength", "numberOfCharacteristics", "qwertySequenceMaxLength", "usernameForbidden"] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
    }

    #[test]
    fn default_policy_accepts_the_python_sdks_generated_passwords() {
        let mut rng = StdRng::seed_from_u64(20_240_601);
        let req = defaults();
        let (mut runs, mut doubles, mut no_digit, mut one_case) = (0, 0, 0, 0);
        for _ in 0..200_000 {
            let password = sdk_password(&mut rng);
            let username = rng.gen_range(10_000_000..100_000_000).to_string();
            let holder = Holder { username: &username, emails: &[] };
            let broken = check(&password, &req, &holder);
            assert!(broken.is_empty(), "{password} (user {username}) refused: {broken:?}");
            let chars: Vec<char> = password.chars().collect();
            runs += usize::from(longest_run(&chars, ALPHABETICAL[0]) >= 3);
            doubles += usize::from(chars.windows(2).any(|w| w[0] == w[1]));
            no_digit += usize::from(!chars.iter().any(char::is_ascii_digit));
            one_case += usize::from(chars.iter().all(|c| !c.is_ascii_lowercase()));
        }
        assert!(runs > 100 && doubles > 10_000 && no_digit > 5_000, "{runs} {doubles} {no_digit}");
        // The all-one-case ones (about 5 in a million) are why the default asks for one class only.
        let weak = PasswordRequirements { number_of_characteristics: 1, ..req };
        assert!(check("QNYPPVQHXWOWYGV", &weak, &NOBODY).is_empty());
        let _ = one_case;
    }

    #[test]
    fn weak_passwords_fail_with_the_right_codes() {
        assert_eq!(codes("a"), [TOO_SHORT]);
        assert!(has("password", DICTIONARY_WORD));
        assert!(has("P@ssw0rd1", DICTIONARY_WORD));
        assert!(has("abcdefghij12", ILLEGAL_ALPHABETICAL_SEQUENCE));
        assert!(has("Xy123456789", ILLEGAL_NUMERICAL_SEQUENCE));
        assert!(has("qwertyuiop9A", ILLEGAL_QWERTY_SEQUENCE));
        assert!(has("aaaB12345x", REPEATED_CHARS));
        assert_eq!(codes(&"aB3".repeat(67)), [TOO_LONG]);
    }

    #[test]
    fn the_sdk_acceptance_examples_hold() {
        let breaking = [
            (TOO_SHORT, "Qx7#vZ"),
            (INSUFFICIENT_CHARACTERISTICS, "kqmzpwtrvbnx"),
            (ILLEGAL_ALPHABETICAL_SEQUENCE, "Zk9-abcdefg-M"),
            (ILLEGAL_NUMERICAL_SEQUENCE, "Kq-1234567-zW"),
            (ILLEGAL_QWERTY_SEQUENCE, "Z9-asdfghj-Mk"),
            (REPEATED_CHARS, "Kq7-mmmm-Zp2w"),
        ];
        // A namespace that asks for two kinds of character and sequences of at most 5.
        let strict = PasswordRequirements {
            number_of_characteristics: 2,
            alphabetical_sequence_max_length: 5,
            numerical_sequence_max_length: 5,
            qwerty_sequence_max_length: 5,
            ..defaults()
        };
        let strict_codes =
            |pw: &str| -> Vec<String> { check(pw, &strict, &NOBODY).into_iter().map(|v| v.code).collect() };
        for (code, pw) in breaking {
            assert_eq!(strict_codes(pw), [code], "{pw}");
        }
        assert_eq!(strict_codes("aaa"), [TOO_SHORT, INSUFFICIENT_CHARACTERISTICS, REPEATED_CHARS]);
        assert!(codes("Zk9-abcd-Mq2-wwXp").is_empty());
        assert!(codes("Init-Pw-7kQz-2mX").is_empty());
    }

    #[test]
    fn sequences_run_both_ways_and_ignore_case() {
        assert!(has("Zq-IhGFeDcBa-9", ILLEGAL_ALPHABETICAL_SEQUENCE));
        assert!(has("Zq-987654321-x", ILLEGAL_NUMERICAL_SEQUENCE));
        assert!(has("Zq-234567890-x", ILLEGAL_NUMERICAL_SEQUENCE));
        assert!(has("Zq-LKJHGFDSA-9", ILLEGAL_QWERTY_SEQUENCE));
        assert!(codes("Zq-abcdefgh-9").is_empty());
        assert!(codes("Zq-23456789-x").is_empty());
        assert!(!has("Zq-1234567890-x", ILLEGAL_QWERTY_SEQUENCE));
    }

    #[test]
    fn username_and_email_local_parts_are_forbidden() {
        let req = defaults();
        let holder = Holder { username: "maija", emails: &["m.virtanen@example.com", "ab@example.com"] };
        let broken = |pw: &str| check(pw, &req, &holder).into_iter().any(|v| v.code == USERNAME_FORBIDDEN);
        assert!(broken("xMAIJA-77"));
        assert!(broken("9-M.Virtanen"));
        assert!(!broken("ab-Xy7-pLm2"));
        let short = Holder { username: "jo", emails: &[] };
        assert!(check("jo-Xy7-pLm2", &req, &short).is_empty());
    }

    #[test]
    fn strong_passwords_pass() {
        for pw in ["N3w-Passw0rd-2024", "Xy7-pLm2-qR9z", "Ünïcödé-Sälä-9", "kissa€koira"] {
            assert!(codes(pw).is_empty(), "{pw}: {:?}", codes(pw));
        }
    }

    #[test]
    fn rules_switched_off_are_not_reported() {
        let off = PasswordRequirements {
            min_length: 0,
            max_length: 0,
            number_of_characteristics: 0,
            alphabetical_sequence_max_length: 0,
            numerical_sequence_max_length: 0,
            qwerty_sequence_max_length: 0,
            history_length: 0,
            repeat_character_length: 0,
            username_forbidden: false,
            dictionary_check: false,
        };
        for pw in [
            "",
            "a",
            "password",
            "abcdefgh",
            "1234567890",
            "qwertyuiop",
            "aaaaaa",
            "12345678",
            &"x".repeat(300),
        ] {
            assert!(check(pw, &off, &NOBODY).is_empty(), "{pw}");
        }
    }

    #[test]
    fn character_kinds_follow_unicode_case() {
        assert_eq!(kind('ä'), 0);
        assert_eq!(kind('Ä'), 1);
        assert_eq!(kind('7'), 2);
        assert_eq!(kind('€'), 3);
    }

    #[test]
    fn messages_say_the_limit_and_never_the_password() {
        let holder = Holder { username: "abcdefgh", emails: &[] };
        for pw in ["abcdefgh", "password", "aaaa", "qwertyuiop", &"Ab1".repeat(70)] {
            for v in check(pw, &defaults(), &holder) {
                assert!(!v.message.contains(pw), "{v:?}");
            }
        }
        let short = check("a", &defaults(), &NOBODY);
        assert_eq!(short[0].message, "must be at least 8 characters long");
    }

    #[test]
    fn the_common_list_is_loaded() {
        let list = common_passwords();
        assert!(list.len() > 9_000, "{}", list.len());
        assert!(list.contains("password") && list.contains("qwerty"));
        assert!(list.iter().all(|w| !w.starts_with('#') && w.chars().count() >= 4));
    }
}
