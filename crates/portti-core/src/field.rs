//! A request field that tells "absent" from "null" from a value, for full-object PUTs.

use serde::{Deserialize, Deserializer};

/// One writable field of a change request.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    /// The key was not sent: keep what is stored.
    #[default]
    Absent,
    /// The key was sent as `null`: clear it (or keep it, for mandatory fields).
    Null,
    /// The key was sent with a value.
    Value(T),
}

impl<T> Field<T> {
    /// The value, if one was sent.
    pub fn value(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value by reference, if one was sent.
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the key was sent at all.
    pub fn is_sent(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// Apply to an optional stored value: absent keeps, null clears, a value replaces.
    pub fn apply_to(self, slot: &mut Option<T>) {
        match self {
            Field::Absent => {}
            Field::Null => *slot = None,
            Field::Value(v) => *slot = Some(v),
        }
    }

    /// Apply to a stored optional that a `null` must not clear: only a value replaces it.
    pub fn apply_required_opt(self, slot: &mut Option<T>) {
        if let Field::Value(v) = self {
            *slot = Some(v);
        }
    }

    /// Apply to a mandatory stored value: only a value replaces it.
    pub fn apply_required(self, slot: &mut T) {
        if let Field::Value(v) = self {
            *slot = v;
        }
    }
}

impl<T: Default> Field<T> {
    /// Apply to a collection or object: absent keeps, null empties, a value replaces.
    pub fn apply_or_default(self, slot: &mut T) {
        match self {
            Field::Absent => {}
            Field::Null => *slot = T::default(),
            Field::Value(v) => *slot = v,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Field::Value(v),
            None => Field::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        a: Field<String>,
    }

    #[test]
    fn tells_absent_null_and_value_apart() {
        let absent: Probe = serde_json::from_str("{}").unwrap();
        let null: Probe = serde_json::from_str(r#"{"a":null}"#).unwrap();
        let value: Probe = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert_eq!(absent.a, Field::Absent);
        assert_eq!(null.a, Field::Null);
        assert_eq!(value.a, Field::Value("x".into()));
        let mut slot = Some("old".to_string());
        absent.a.apply_to(&mut slot);
        assert_eq!(slot.as_deref(), Some("old"));
        null.a.clone().apply_to(&mut slot);
        assert_eq!(slot, None);
        let mut required = "keep".to_string();
        null.a.apply_required(&mut required);
        assert_eq!(required, "keep");
    }
}
