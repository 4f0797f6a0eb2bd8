//! Phone numbers in E.164 (`+358401234567`), parsed with libphonenumber's metadata (the
//! `phonenumber` crate) and a namespace's `smsSettings.defaultRegion` for national numbers.

use phonenumber::country::Id;
use phonenumber::Mode;

/// `number` in E.164, reading national numbers (`040 123 4567`) as numbers of `region`
/// (a two-letter country code such as `FI`). `None` when it cannot be read as a phone number.
pub fn e164(number: &str, region: Option<&str>) -> Option<String> {
    let number = number.trim();
    if number.is_empty() || number.len() > 64 {
        return None;
    }
    let region = region
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .and_then(|r| r.to_ascii_uppercase().parse::<Id>().ok());
    let parsed = phonenumber::parse(region, number).ok()?;
    let formatted = parsed.format().mode(Mode::E164).to_string();
    (formatted.len() > 2).then_some(formatted)
}

/// Whether two spellings name the same number: equal in E.164 when both parse, else equal
/// digit for digit (with a leading `+` kept).
pub fn same_number(a: &str, b: &str, region: Option<&str>) -> bool {
    match (e164(a, region), e164(b, region)) {
        (Some(x), Some(y)) => x == y,
        _ => bare(a) == bare(b),
    }
}

fn bare(n: &str) -> String {
    n.trim().chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_take_the_region() {
        assert_eq!(e164("040 123 4567", Some("FI")).as_deref(), Some("+358401234567"));
        assert_eq!(e164("040-1234567", Some("fi")).as_deref(), Some("+358401234567"));
        assert_eq!(e164("+358 40 1234567", None).as_deref(), Some("+358401234567"));
        assert_eq!(e164("+358401234567", Some("SE")).as_deref(), Some("+358401234567"));
        assert_eq!(e164("070-123 45 67", Some("SE")).as_deref(), Some("+46701234567"));
        assert_eq!(e164("0401234567", None), None);
        assert_eq!(e164("not a number", Some("FI")), None);
        assert_eq!(e164("", Some("FI")), None);
    }

    #[test]
    fn spellings_of_one_number_are_the_same() {
        assert!(same_number("+358401234567", "040 1234567", Some("FI")));
        assert!(same_number("+358 (40) 123-4567", "+358401234567", None));
        assert!(!same_number("+358401234567", "+358401234568", Some("FI")));
        assert!(same_number("0401234567", "040-123 4567", None));
    }
}
