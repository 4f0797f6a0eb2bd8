//! Email templates: a subject, an HTML and a text body in Mustache, with per-locale
//! properties, visible in some namespaces; and the rules that pick a locale and render one.

use super::{null_as_default, Meta};
use crate::field::Field;
use crate::template::{self, Mode};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The template engines a template may name; both are read as the same Mustache subset.
pub const TEMPLATE_ENGINES: &[&str] = &["MUSTACHE", "HANDLEBARS"];

/// Longest subject, HTML or text template accepted.
const MAX_TEMPLATE: usize = 256 * 1024;

/// Per-locale properties: locale → property → text.
pub type LocaleProperties = BTreeMap<String, BTreeMap<String, String>>;

/// An email template as stored and shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailTemplate {
    /// Server-generated id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name shown to administrators.
    pub name: String,
    /// What the template is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `MUSTACHE` or `HANDLEBARS` (the same Mustache subset).
    pub template_engine: String,
    /// The locale whose properties apply when no other locale matches, e.g. `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<String>,
    /// The time zone used when the recipient names none, e.g. `Europe/Helsinki`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_time_zone: Option<String>,
    /// Subject (rendered as text, on one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_template: Option<String>,
    /// HTML body; `{{key}}` is HTML-escaped, `{{{key}}}` is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html_template: Option<String>,
    /// Plain-text body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_template: Option<String>,
    /// locale → {property → text}: the default locale's and the recipient's locale's
    /// properties are available to the templates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub locale_properties: LocaleProperties,
    /// Ids of the namespaces whose clients may see and use the template.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespace_ids: Vec<String>,
    /// Server-managed metadata (Portti's addition).
    #[serde(skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
}

/// A create or full-object update request for a template (absent keys keep their value).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailTemplateChanges {
    /// See [`EmailTemplate::name`].
    pub name: Field<String>,
    /// See [`EmailTemplate::description`].
    pub description: Field<String>,
    /// See [`EmailTemplate::template_engine`]; `MUSTACHE` when never given.
    pub template_engine: Field<String>,
    /// See [`EmailTemplate::default_locale`].
    pub default_locale: Field<String>,
    /// See [`EmailTemplate::default_time_zone`].
    pub default_time_zone: Field<String>,
    /// See [`EmailTemplate::subject_template`].
    pub subject_template: Field<String>,
    /// See [`EmailTemplate::html_template`].
    pub html_template: Field<String>,
    /// See [`EmailTemplate::text_template`].
    pub text_template: Field<String>,
    /// See [`EmailTemplate::locale_properties`].
    pub locale_properties: Field<LocaleProperties>,
    /// Namespace ids or codes (resolved to ids by the service).
    pub namespace_ids: Field<Vec<String>>,
}

impl EmailTemplateChanges {
    /// Apply every writable field but `namespaceIds` (resolved by the service), then
    /// check the result.
    pub fn apply(self, t: &mut EmailTemplate) -> Result<Field<Vec<String>>> {
        self.name.apply_required(&mut t.name);
        self.description.apply_to(&mut t.description);
        self.template_engine.apply_required(&mut t.template_engine);
        self.default_locale.apply_to(&mut t.default_locale);
        self.default_time_zone.apply_to(&mut t.default_time_zone);
        self.subject_template.apply_to(&mut t.subject_template);
        self.html_template.apply_to(&mut t.html_template);
        self.text_template.apply_to(&mut t.text_template);
        self.locale_properties.apply_or_default(&mut t.locale_properties);
        t.name = t.name.trim().to_string();
        t.template_engine = match t.template_engine.trim() {
            "" => "MUSTACHE".into(),
            e => e.to_ascii_uppercase(),
        };
        t.validate()?;
        Ok(self.namespace_ids)
    }
}

impl EmailTemplate {
    /// Check names, locales and that every template parses.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() || self.name.chars().count() > 255 || self.name.chars().any(char::is_control)
        {
            return Err(Error::bad("an email template needs a name of 1-255 printable characters"));
        }
        if !TEMPLATE_ENGINES.contains(&self.template_engine.as_str()) {
            return Err(Error::bad(format!(
                "templateEngine {} is not supported: use {}",
                self.template_engine,
                TEMPLATE_ENGINES.join(" or ")
            )));
        }
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.html_template) && blank(&self.text_template) {
            return Err(Error::bad("an email template needs an htmlTemplate or a textTemplate"));
        }
        for (field, src) in [
            ("subjectTemplate", &self.subject_template),
            ("htmlTemplate", &self.html_template),
            ("textTemplate", &self.text_template),
        ] {
            if let Some(src) = src {
                if src.len() > MAX_TEMPLATE {
                    return Err(Error::bad(format!("{field} is longer than {MAX_TEMPLATE} bytes")));
                }
                template::parse(src).map_err(|e| Error::bad(format!("{field}: {e}")))?;
            }
        }
        if let Some(l) = &self.default_locale {
            check_locale(l)?;
        }
        if let Some(tz) = &self.default_time_zone {
            check_time_zone(tz)?;
        }
        for (locale, props) in &self.locale_properties {
            check_locale(locale)?;
            for key in props.keys() {
                check_property_key(key)?;
            }
        }
        Ok(())
    }

    /// The key of [`EmailTemplate::locale_properties`] that serves `wanted`: the same
    /// locale (`fi-FI`, `fi_fi`), else its language (`fi`), else another locale of that
    /// language; `None` when nothing matches.
    pub fn locale_key(&self, wanted: &str) -> Option<&str> {
        let want = normalise_locale(wanted);
        let lang = want.split('-').next().unwrap_or_default().to_string();
        let keys: Vec<(&String, String)> =
            self.locale_properties.keys().map(|k| (k, normalise_locale(k))).collect();
        keys.iter()
            .find(|(_, n)| *n == want)
            .or_else(|| keys.iter().find(|(_, n)| *n == lang))
            .or_else(|| keys.iter().find(|(_, n)| n.split('-').next() == Some(lang.as_str())))
            .map(|(k, _)| k.as_str())
    }

    /// Render subject, text and HTML for a recipient in `locale` (`None`: the template's
    /// default). The values available are the default locale's properties, overlaid with
    /// the locale's, overlaid with `properties`.
    pub fn render(&self, locale: Option<&str>, properties: &Map<String, Value>) -> Result<RenderedMail> {
        let mut context = Map::new();
        let default_key = self.default_locale.as_deref().and_then(|l| self.locale_key(l));
        let chosen = locale.and_then(|l| self.locale_key(l));
        for key in [default_key, chosen].into_iter().flatten() {
            for (k, v) in &self.locale_properties[key] {
                context.insert(k.clone(), Value::String(v.clone()));
            }
        }
        for (k, v) in properties {
            context.insert(k.clone(), v.clone());
        }
        let context = Value::Object(context);
        let render = |src: &Option<String>, mode: Mode| -> Result<Option<String>> {
            src.as_deref().map(|s| template::render(s, &context, mode)).transpose()
        };
        let subject = render(&self.subject_template, Mode::Text)?.unwrap_or_default();
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(RenderedMail {
            subject,
            text: render(&self.text_template, Mode::Text)?.filter(|s| !s.trim().is_empty()),
            html: render(&self.html_template, Mode::Html)?.filter(|s| !s.trim().is_empty()),
        })
    }
}

/// A template rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// One line.
    pub subject: String,
    /// The text body, when the template has one and it is not blank.
    pub text: Option<String>,
    /// The HTML body, likewise.
    pub html: Option<String>,
}

fn normalise_locale(l: &str) -> String {
    l.trim().replace('_', "-").to_ascii_lowercase()
}

/// A locale tag: letters, digits, `-` and `_`, at most 35 characters.
pub fn check_locale(l: &str) -> Result<()> {
    let ok = !l.is_empty()
        && l.len() <= 35
        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && l.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!("'{l}' is not a locale (like en, fi or fi-FI)")))
    }
}

/// A time-zone name: `Europe/Helsinki`, `UTC`, `Etc/GMT+2`.
pub fn check_time_zone(tz: &str) -> Result<()> {
    let ok = !tz.is_empty()
        && tz.len() <= 64
        && tz.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!("'{tz}' is not a time zone (like Europe/Helsinki or UTC)")))
    }
}

/// A property name: not empty, no `.` (dots reach into objects), no braces.
pub fn check_property_key(key: &str) -> Result<()> {
    if key.is_empty() || key.contains('.') {
        return Err(Error::bad(format!("property name '{key}' is empty or contains '.'")));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control() || "{}#^/!&>=".contains(c)) {
        return Err(Error::bad(format!("property name '{key}' contains characters templates cannot name")));
    }
    Ok(())
}

/// Options of `POST emailtemplate/{id}/send`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SendMessageOptions {
    /// One message per recipient.
    #[serde(deserialize_with = "null_as_default")]
    pub recipients: Vec<RecipientDetails>,
    /// Locale when neither the recipient nor its user names one.
    pub preferred_locale: Option<String>,
    /// Time zone likewise (note the lower-case `z`).
    pub preferred_timezone: Option<String>,
    /// Properties for every recipient; keys must not contain `.`.
    #[serde(deserialize_with = "null_as_default")]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
}

/// One recipient of a template message.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RecipientDetails {
    /// The address; else the primary email of `userId`.
    pub email_address: Option<String>,
    /// A user whose details (and preferences) the template may use.
    pub user_id: Option<String>,
    /// This recipient's locale.
    pub preferred_locale: Option<String>,
    /// This recipient's time zone.
    pub preferred_timezone: Option<String>,
    /// Properties laid over the top-level ones; keys must not contain `.`.
    #[serde(deserialize_with = "null_as_default")]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> EmailTemplate {
        let mut t = EmailTemplate::default();
        let changes: EmailTemplateChanges = serde_json::from_value(json!({
            "name": "welcome",
            "templateEngine": "mustache",
            "defaultLocale": "en",
            "subjectTemplate": "{{greeting}}, {{name}}",
            "htmlTemplate": "<p>{{greeting}}, <b>{{name}}</b>! {{{link}}}</p>",
            "textTemplate": "{{greeting}}, {{name}}! {{footer}}",
            "localeProperties": {
                "en": {"greeting": "Hello", "footer": "Bye"},
                "fi": {"greeting": "Hei"}
            },
            "namespaceIds": null
        }))
        .unwrap();
        changes.apply(&mut t).unwrap();
        t
    }

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn renders_with_the_locales_properties_over_the_default_ones() {
        let t = template();
        assert_eq!(t.template_engine, "MUSTACHE");
        let m = t.render(Some("fi-FI"), &props(json!({"name": "<Ann>", "link": "<a>x</a>"}))).unwrap();
        assert_eq!(m.subject, "Hei, <Ann>");
        assert_eq!(m.html.as_deref(), Some("<p>Hei, <b>&lt;Ann&gt;</b>! <a>x</a></p>"));
        // `footer` exists only in the default locale, so it still applies.
        assert_eq!(m.text.as_deref(), Some("Hei, <Ann>! Bye"));
        let en = t.render(None, &props(json!({"name": "Bob"}))).unwrap();
        assert_eq!(en.subject, "Hello, Bob");
        let unknown = t.render(Some("sv"), &props(json!({}))).unwrap();
        assert_eq!(unknown.subject, "Hello,");
    }

    #[test]
    fn request_properties_win_over_locale_properties() {
        let m = template().render(Some("en"), &props(json!({"greeting": "Yo", "name": "C"}))).unwrap();
        assert_eq!(m.subject, "Yo, C");
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let m = template().render(None, &props(json!({"name": "A\r\nBcc: x@y"}))).unwrap();
        assert_eq!(m.subject, "Hello, A Bcc: x@y");
    }

    #[test]
    fn locale_keys_match_by_language() {
        let mut t = template();
        t.locale_properties.insert("sv_SE".into(), BTreeMap::new());
        assert_eq!(t.locale_key("fi"), Some("fi"));
        assert_eq!(t.locale_key("FI_fi"), Some("fi"));
        assert_eq!(t.locale_key("sv"), Some("sv_SE"));
        assert_eq!(t.locale_key("sv-se"), Some("sv_SE"));
        assert_eq!(t.locale_key("de"), None);
    }

    #[test]
    fn bad_templates_are_refused() {
        let bad = |v: Value| {
            let changes: EmailTemplateChanges = serde_json::from_value(v).unwrap();
            changes.apply(&mut EmailTemplate::default()).unwrap_err().to_string()
        };
        assert!(bad(json!({"name": "x", "templateEngine": "FREEMARKER", "textTemplate": "a"}))
            .contains("FREEMARKER"));
        assert!(bad(json!({"name": "x", "textTemplate": "{{#a}}"})).contains("textTemplate"));
        assert!(bad(json!({"name": "x"})).contains("htmlTemplate or a textTemplate"));
        assert!(bad(json!({"name": " ", "textTemplate": "a"})).contains("name"));
        assert!(bad(json!({"name": "x", "textTemplate": "a", "localeProperties": {"en": {"a.b": "c"}}}))
            .contains("a.b"));
        assert!(bad(json!({"name": "x", "textTemplate": "a", "defaultLocale": "e n"})).contains("locale"));
        assert!(bad(json!({"name": "x", "textTemplate": "a", "defaultTimeZone": "Mars Time"}))
            .contains("time zone"));
    }

    #[test]
    fn sdk_bodies_with_nulls_parse() {
        let o: SendMessageOptions = serde_json::from_value(json!({
            "recipients": [{"emailAddress": null, "userId": "u", "preferredLocale": null,
                            "preferredTimezone": null, "properties": null}],
            "preferredLocale": null, "preferredTimezone": null, "properties": {}
        }))
        .unwrap();
        assert_eq!(o.recipients.len(), 1);
        assert_eq!(o.recipients[0].user_id.as_deref(), Some("u"));
    }
}
