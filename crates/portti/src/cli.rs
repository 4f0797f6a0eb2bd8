//! The command line: `serve`, `client`, `oidc-client`, `outbox`, `import`, `export`, `migrate`.

use crate::config::{Flags, ServeFlags, Settings};
use crate::progress::Progress;
use clap::{Parser, Subcommand};
use portti_core::model::{Channel, OutboxMessage};
use portti_core::permission::Permission;
use portti_service::{Config, Directory, NewClient, OutboxFilter, TokenSettings};
use portti_store::OpenOptions;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// Portti: an identity and user-management server in one binary.
#[derive(Debug, Parser)]
#[command(name = "portti", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (SQLite under ./portti-data, listening on 127.0.0.1:8080, by default).
    Serve(ServeFlags),
    /// Manage management API clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage OIDC clients (applications whose users sign in with Portti).
    #[command(subcommand, name = "oidc-client")]
    OidcClient(OidcClientCommand),
    /// Read the outbox (every mail and SMS the server produced) and queue test messages.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Import users from an NDJSON file (one user a line, as `export` writes them) into a namespace.
    Import {
        /// The file to read.
        file: PathBuf,
        /// The namespace to import into.
        #[arg(long, value_name = "CODE")]
        namespace: String,
        /// Stop at the first bad line (exit status 1) instead of reporting it and going on.
        #[arg(long)]
        strict: bool,
        /// Users written per transaction.
        #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: u32,
    },
    /// Export a namespace's users as NDJSON, with their password hashes: protect the output like the database.
    Export {
        /// The namespace to export.
        #[arg(long, value_name = "CODE")]
        namespace: String,
        /// Write to this file (created readable by its owner only) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy a whole directory from one store to another, empty one (SQLite to PostgreSQL or back).
    MigrateStore {
        /// The source database URL (sqlite://… or postgres://…).
        #[arg(long, value_name = "URL")]
        from: String,
        /// The target database URL; it must hold no data yet.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Create a client and print {"clientId","clientSecret"} (the secret is shown only here).
    Create {
        /// A name for operators.
        #[arg(long)]
        name: String,
        /// A namespace code the client may reach (repeatable; none: every namespace).
        #[arg(long = "namespace", value_name = "CODE")]
        namespaces: Vec<String>,
        /// A permission to grant (repeatable; none: every permission).
        #[arg(long = "permission", value_name = "PERM", value_parser = parse_permission)]
        permissions: Vec<Permission>,
        /// Where requests naming no namespace go.
        #[arg(long, value_name = "CODE")]
        default_namespace: Option<String>,
    },
    /// List clients, one JSON object per line.
    List,
    /// Delete a client.
    Delete {
        /// The client id.
        id: String,
    },
    /// Print a long-lived Bearer API token for the client (shown only here).
    Token {
        /// The client id.
        id: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 365)]
        ttl_days: u32,
    },
    /// List a client's API tokens (ids, expiry, revocation), one JSON object per line.
    Tokens {
        /// The client id.
        id: String,
    },
    /// Revoke an API token, given the token or its id.
    RevokeToken {
        /// The token or its id.
        token: String,
    },
}

#[derive(Debug, Subcommand)]
enum OidcClientCommand {
    /// Register an OIDC client and print {"clientId","clientSecret"} (the secret is shown only here).
    Create {
        /// A name for operators.
        #[arg(long)]
        name: String,
        /// An allowed grant (repeatable; none: password and refresh_token).
        #[arg(long = "grant", value_name = "GRANT", value_parser = ["password", "authorization_code", "refresh_token", "client_credentials"])]
        grants: Vec<String>,
        /// An allowed redirect URI (repeatable).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// The namespace whose users sign in (none: any namespace).
        #[arg(long, value_name = "CODE")]
        namespace: Option<String>,
    },
    /// List OIDC clients, one JSON object per line.
    List,
    /// Delete an OIDC client.
    Delete {
        /// The client id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// List messages, newest last: a table, or one JSON object per line with --json.
    List {
        /// Only messages to this address or number.
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
        /// Only this channel.
        #[arg(long, value_parser = parse_channel)]
        channel: Option<Channel>,
        /// One JSON object per line: {"id","channel","to","subject","text","html","status","created",...}.
        #[arg(long)]
        json: bool,
    },
    /// Queue a test message; a running `portti serve` delivers it through the configured gateway.
    SendTest {
        /// email or sms.
        #[arg(long, value_parser = parse_channel)]
        channel: Channel,
        /// The address or number to send to.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// How many messages to queue.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
    },
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse().map_err(|e: portti_core::Error| e.to_string())
}

fn parse_permission(s: &str) -> Result<Permission, String> {
    s.parse().map_err(|e| {
        let all: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        format!("{e}; known: {}", all.join(", "))
    })
}

/// Run the parsed command.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(serve) => {
            let settings = Settings::resolve(&cli.flags, &serve)?;
            crate::serve::run(settings).await
        }
        Command::Migrate => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let store = portti_store::open(&settings.database_url, &OpenOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            store.close().await;
            eprintln!("portti: migrations applied to {}", settings.database_url);
            Ok(())
        }
        Command::MigrateStore { from, to } => migrate_store(&from, &to).await,
        Command::Client(cmd) => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let dir = open_directory(&settings, None, &OpenOptions::default()).await?;
            let out = client_command(&dir, cmd).await;
            dir.store().close().await;
            out
        }
        Command::OidcClient(cmd) => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let dir = open_directory(&settings, None, &OpenOptions::default()).await?;
            let out = oidc_client_command(&dir, cmd).await;
            dir.store().close().await;
            out
        }
        Command::Outbox(cmd) => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let dir = open_directory(&settings, None, &OpenOptions::default()).await?;
            let out = outbox_command(&dir, cmd).await;
            dir.store().close().await;
            out
        }
        Command::Import { file, namespace, strict, batch } => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let dir = open_directory(&settings, None, &OpenOptions::bulk_load()).await?;
            let dir = std::sync::Arc::new(dir);
            let out = crate::transfer::import(dir.clone(), &file, &namespace, strict, batch as usize).await;
            dir.store().close().await;
            out
        }
        Command::Export { namespace, output } => {
            let settings = Settings::resolve(&cli.flags, &ServeFlags::default())?;
            let dir = open_directory(&settings, None, &OpenOptions::default()).await?;
            let out = crate::transfer::export(&dir, &namespace, output.as_ref()).await;
            dir.store().close().await;
            out
        }
    }
}

/// Copy every row from one store into another, with progress on stderr.
async fn migrate_store(from: &str, to: &str) -> Result<(), String> {
    if from == to {
        return Err("--from and --to name the same database".into());
    }
    let source = portti_store::open(from, &OpenOptions { migrate: false, ..Default::default() })
        .await
        .map_err(|e| format!("source: {e}"))?;
    let target =
        portti_store::open(to, &OpenOptions::bulk_load()).await.map_err(|e| format!("target: {e}"))?;
    let mut progress = Progress::new();
    let copied = portti_store::copy_directory(source.as_ref(), target.as_ref(), |t, done, total| {
        progress.show(t, done, total)
    })
    .await
    .map_err(|e| e.to_string());
    source.close().await;
    target.close().await;
    let report = copied?;
    let summary: Vec<String> = report.iter().map(|(t, n)| format!("{t} {n}")).collect();
    eprintln!("portti: copied and verified: {}", summary.join(", "));
    Ok(())
}

/// Open the store and the directory service on it; tokens name `issuer` (default: the public URL).
pub async fn open_directory(
    settings: &Settings,
    issuer: Option<&str>,
    options: &OpenOptions,
) -> Result<Directory, String> {
    let store = portti_store::open(&settings.database_url, options).await.map_err(|e| e.to_string())?;
    let issuer = issuer
        .map(str::to_string)
        .or_else(|| settings.public_url.clone())
        .unwrap_or_else(|| format!("http://{}", settings.listen));
    let tokens = TokenSettings {
        issuer: issuer.trim_end_matches('/').to_string(),
        access_ttl_secs: settings.access_token_ttl,
    };
    Directory::open(Arc::clone(&store), Config { hash_cost: settings.hash_cost, tokens })
        .await
        .map_err(|e| e.to_string())
}

async fn client_command(dir: &Directory, cmd: ClientCommand) -> Result<(), String> {
    match cmd {
        ClientCommand::Create { name, namespaces, permissions, default_namespace } => {
            let new = NewClient { name, namespaces, permissions, default_namespace };
            let (client, secret) = dir.create_client(new).await.map_err(|e| e.to_string())?;
            println!("{}", json!({"clientId": client.id, "clientSecret": secret}));
        }
        ClientCommand::List => {
            for c in dir.list_clients().await.map_err(|e| e.to_string())? {
                println!("{}", serde_json::to_string(&c).map_err(|e| e.to_string())?);
            }
        }
        ClientCommand::Delete { id } => {
            dir.delete_client(&id).await.map_err(|e| e.to_string())?;
            eprintln!("portti: client {id} deleted");
        }
        ClientCommand::Token { id, ttl_days } => {
            let (token, jwt) = dir.create_api_token(&id, ttl_days).await.map_err(|e| e.to_string())?;
            println!("{jwt}");
            eprintln!(
                "portti: API token {} for client {id}, expires {}; it is shown only now",
                token.id,
                portti_core::time::format_ms(token.expires_ms)
            );
        }
        ClientCommand::Tokens { id } => {
            for t in dir.list_api_tokens(&id).await.map_err(|e| e.to_string())? {
                let expires = portti_core::time::format_ms(t.expires_ms);
                println!(
                    "{}",
                    json!({"id": t.id, "clientId": t.client_id, "expires": expires, "revoked": t.revoked})
                );
            }
        }
        ClientCommand::RevokeToken { token } => {
            dir.revoke_api_token(&token).await.map_err(|e| e.to_string())?;
            eprintln!("portti: token revoked");
        }
    }
    Ok(())
}

async fn oidc_client_command(dir: &Directory, cmd: OidcClientCommand) -> Result<(), String> {
    match cmd {
        OidcClientCommand::Create { name, grants, redirect_uris, namespace } => {
            let (client, secret) = dir
                .create_oidc_client(&name, grants, redirect_uris, namespace)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", json!({"clientId": client.id, "clientSecret": secret}));
        }
        OidcClientCommand::List => {
            for c in dir.list_oidc_clients().await.map_err(|e| e.to_string())? {
                println!("{}", serde_json::to_string(&c).map_err(|e| e.to_string())?);
            }
        }
        OidcClientCommand::Delete { id } => {
            dir.delete_oidc_client(&id).await.map_err(|e| e.to_string())?;
            eprintln!("portti: OIDC client {id} deleted");
        }
    }
    Ok(())
}

async fn outbox_command(dir: &Directory, cmd: OutboxCommand) -> Result<(), String> {
    match cmd {
        OutboxCommand::List { to, channel, json } => {
            let messages =
                dir.outbox(&OutboxFilter { channel, recipient: to }).await.map_err(|e| e.to_string())?;
            if json {
                for m in &messages {
                    println!("{}", outbox_json(m));
                }
            } else {
                print!("{}", outbox_table(&messages));
            }
        }
        OutboxCommand::SendTest { channel, to, count } => {
            let queued = dir.send_test_messages(channel, &to, count).await.map_err(|e| e.to_string())?;
            for m in &queued {
                println!("{}", json!({"id": m.id, "channel": m.channel.as_str(), "to": m.recipient}));
            }
            eprintln!(
                "portti: {} test {} queued; a running `portti serve` with a gateway for {channel} delivers {}",
                queued.len(),
                if queued.len() == 1 { "message" } else { "messages" },
                if queued.len() == 1 { "it" } else { "them" },
            );
        }
    }
    Ok(())
}

/// One outbox message as `portti outbox list --json` prints it.
fn outbox_json(m: &OutboxMessage) -> serde_json::Value {
    let mut v = json!({
        "id": m.id,
        "channel": m.channel.as_str(),
        "to": m.recipient,
        "subject": m.subject,
        "text": m.text,
        "html": m.html,
        "status": m.status.as_str(),
        "created": portti_core::time::format_ms(m.created_ms),
        "attempts": m.attempts,
        "lastError": m.last_error,
        "sent": m.sent_ms.map(portti_core::time::format_ms),
    });
    if let Some(from) = &m.sender {
        v["from"] = json!(from);
    }
    if !m.attachments.is_empty() {
        v["attachments"] = json!(m.attachments);
    }
    v
}

/// The outbox as a table for people.
fn outbox_table(messages: &[OutboxMessage]) -> String {
    let mut out = format!(
        "{:<24}  {:<24}  {:<5}  {:<7}  {:>3}  {:<30}  {}\n",
        "CREATED", "ID", "CHAN", "STATUS", "TRY", "TO", "SUBJECT / TEXT"
    );
    for m in messages {
        let about = m.subject.as_deref().or(m.text.as_deref()).unwrap_or_default();
        let about: String = about.lines().next().unwrap_or_default().chars().take(60).collect();
        out.push_str(&format!(
            "{:<24}  {:<24}  {:<5}  {:<7}  {:>3}  {:<30}  {about}\n",
            portti_core::time::format_ms(m.created_ms),
            m.id,
            m.channel.as_str(),
            m.status.as_str(),
            m.attempts,
            m.recipient,
        ));
    }
    if messages.is_empty() {
        out.push_str("(the outbox is empty)\n");
    }
    out
}
