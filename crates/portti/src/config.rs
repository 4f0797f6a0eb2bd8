//! Settings from flags, `PORTTI_*` variables and an optional TOML file, in that order of precedence.

use portti_service::HashCost;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Settings every command shares (flags and environment; `None` when not given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Flags {
    /// Optional TOML file with the same keys (listen, data_dir, database_url, public_url, ...).
    #[arg(long, env = "PORTTI_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where the SQLite file lives [default: ./portti-data].
    #[arg(long, env = "PORTTI_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST:PORT/DATABASE, the same binary serves both
    /// [default: sqlite://<data-dir>/portti.db].
    #[arg(long, env = "PORTTI_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// argon2id memory in KiB [default: 19456].
    #[arg(long, env = "PORTTI_ARGON2_MEMORY_KIB", global = true, hide_short_help = true)]
    pub argon2_memory_kib: Option<u32>,
    /// argon2id passes [default: 2].
    #[arg(long, env = "PORTTI_ARGON2_ITERATIONS", global = true, hide_short_help = true)]
    pub argon2_iterations: Option<u32>,
    /// Access-token lifetime in seconds [default: 3600].
    #[arg(long, env = "PORTTI_ACCESS_TOKEN_TTL", global = true, hide_short_help = true)]
    pub access_token_ttl: Option<i64>,
    /// argon2id lanes [default: 1].
    #[arg(long, env = "PORTTI_ARGON2_PARALLELISM", global = true, hide_short_help = true)]
    pub argon2_parallelism: Option<u32>,
}

/// Settings of `portti serve` only.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeFlags {
    /// Address to bind [default: 127.0.0.1:8080].
    #[arg(long, env = "PORTTI_LISTEN")]
    pub listen: Option<String>,
    /// Base of links in mails, meta.location and OIDC discovery [default: http://<listen>].
    #[arg(long, env = "PORTTI_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// The optional TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    access_token_ttl: Option<i64>,
    bootstrap_client_id: Option<String>,
    bootstrap_client_secret: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    sms_webhook_url: Option<String>,
    sms_from: Option<String>,
    outbox_retry_base_ms: Option<u64>,
    outbox_max_attempts: Option<u32>,
    outbox_claim_ms: Option<u64>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub public_url: Option<String>,
    pub hash_cost: HashCost,
    pub access_token_ttl: i64,
    pub bootstrap: Option<(String, String)>,
    pub outbox: OutboxSettings,
}

/// Where outgoing mail and SMS go, and how delivery retries (`PORTTI_SMTP_URL`, ...).
#[derive(Debug, Clone, Default)]
pub struct OutboxSettings {
    /// `smtp://host:port`, `smtps://user:pass@host`, `smtp://host?tls=starttls`; unset: mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// The default mail sender.
    pub mail_from: Option<String>,
    /// Where SMS are POSTed as JSON; unset: SMS stay in the outbox.
    pub sms_webhook_url: Option<String>,
    /// The default SMS originator.
    pub sms_from: Option<String>,
    /// The first retry's delay (ms), doubling per attempt.
    pub retry_base_ms: Option<u64>,
    /// Attempts before a message is marked failed.
    pub max_attempts: Option<u32>,
    /// How long a node's claim on a message holds (ms) before another node may take it.
    pub claim_ms: Option<u64>,
}

impl Settings {
    /// Merge flags and environment over the file over the defaults.
    pub fn resolve(flags: &Flags, serve: &ServeFlags) -> Result<Self, String> {
        let file = match &flags.config {
            Some(path) => read_file(path)?,
            None => File::default(),
        };
        let data_dir =
            flags.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("./portti-data"));
        let database_url = flags
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("portti.db").display()));
        let defaults = HashCost::default();
        let hash_cost = HashCost {
            memory_kib: flags.argon2_memory_kib.or(file.argon2_memory_kib).unwrap_or(defaults.memory_kib),
            iterations: flags.argon2_iterations.or(file.argon2_iterations).unwrap_or(defaults.iterations),
            parallelism: flags.argon2_parallelism.or(file.argon2_parallelism).unwrap_or(defaults.parallelism),
        };
        let id = env("PORTTI_BOOTSTRAP_CLIENT_ID").or(file.bootstrap_client_id);
        let secret = env("PORTTI_BOOTSTRAP_CLIENT_SECRET").or(file.bootstrap_client_secret);
        let bootstrap = match (id, secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => {
                return Err(
                    "set both PORTTI_BOOTSTRAP_CLIENT_ID and PORTTI_BOOTSTRAP_CLIENT_SECRET, or neither"
                        .into(),
                )
            }
        };
        let outbox = OutboxSettings {
            smtp_url: env("PORTTI_SMTP_URL").or(file.smtp_url),
            mail_from: env("PORTTI_MAIL_FROM").or(file.mail_from),
            sms_webhook_url: env("PORTTI_SMS_WEBHOOK_URL").or(file.sms_webhook_url),
            sms_from: env("PORTTI_SMS_FROM").or(file.sms_from),
            retry_base_ms: env_number("PORTTI_OUTBOX_RETRY_BASE_MS")?.or(file.outbox_retry_base_ms),
            max_attempts: env_number("PORTTI_OUTBOX_MAX_ATTEMPTS")?.or(file.outbox_max_attempts),
            claim_ms: env_number("PORTTI_OUTBOX_CLAIM_MS")?.or(file.outbox_claim_ms),
        };
        Ok(Settings {
            listen: serve.listen.clone().or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            public_url: serve.public_url.clone().or(file.public_url),
            hash_cost,
            access_token_ttl: flags.access_token_ttl.or(file.access_token_ttl).unwrap_or(3600).max(1),
            bootstrap,
            outbox,
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_number<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
    env(name)
        .map(|v| v.trim().parse().map_err(|_| format!("{name} must be a whole number, not '{v}'")))
        .transpose()
}

fn read_file(path: &Path) -> Result<File, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_file_and_flags() {
        let s = Settings::resolve(&Flags::default(), &ServeFlags::default()).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://./portti-data/portti.db");
        let dir = std::env::temp_dir().join(format!("portti-config-{}", std::process::id()));
        std::fs::write(&dir, "listen = \"0.0.0.0:9\"\ndata_dir = \"/var/lib/portti\"\n").unwrap();
        let flags = Flags { config: Some(dir.clone()), ..Default::default() };
        let s = Settings::resolve(&flags, &ServeFlags::default()).unwrap();
        assert_eq!(
            (s.listen.as_str(), s.database_url.as_str()),
            ("0.0.0.0:9", "sqlite:///var/lib/portti/portti.db")
        );
        let serve = ServeFlags { listen: Some("127.0.0.1:1".into()), ..Default::default() };
        assert_eq!(Settings::resolve(&flags, &serve).unwrap().listen, "127.0.0.1:1");
        std::fs::write(&dir, "lisen = 1\n").unwrap();
        assert!(Settings::resolve(&flags, &serve).is_err());
        std::fs::remove_file(dir).unwrap();
    }
}
