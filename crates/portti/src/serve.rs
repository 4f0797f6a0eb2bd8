//! `portti serve`: open the store, make sure a client exists, serve until told to stop.

use crate::cli::open_directory;
use crate::config::{OutboxSettings, Settings};
use portti_delivery::{Gateways, MailGateway, Running, SmsGateway};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Run the server until SIGTERM or SIGINT, then finish in-flight requests and close the store.
pub async fn run(settings: Settings) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let dir = Arc::new(open_directory(&settings, Some(&public_url), &Default::default()).await?);
    tracing::info!(store = dir.store().backend(), url = %redact(&settings.database_url), "store opened");
    ensure_client(&dir, &settings).await?;
    let delivery = start_delivery(&dir, &settings.outbox).await?;
    let app = portti_server::router(Arc::clone(&dir), &public_url);
    tracing::info!(%public_url, "portti listening on http://{addr}");
    eprintln!("portti listening on http://{addr}");
    let served = portti_server::serve(listener, app, shutdown_signal()).await.map_err(|e| e.to_string());
    delivery.stop().await;
    dir.store().close().await;
    served?;
    tracing::info!("portti stopped");
    Ok(())
}

/// The bootstrap client when configured; otherwise, on an empty directory, a first client
/// whose credentials are printed once.
async fn ensure_client(dir: &portti_service::Directory, settings: &Settings) -> Result<(), String> {
    if let Some((id, secret)) = &settings.bootstrap {
        dir.bootstrap_client(id, secret).await.map_err(|e| e.to_string())?;
        tracing::info!(client = %id, "bootstrap client ensured");
        return Ok(());
    }
    if let Some((client, secret)) = dir.first_client().await.map_err(|e| e.to_string())? {
        eprintln!(
            "portti: created the first management client (every permission, every namespace).\n\
             portti: its secret is shown only now; keep it safe.\n\
             portti:   client id:     {}\n\
             portti:   client secret: {secret}",
            client.id
        );
    }
    Ok(())
}

/// The outbox delivery worker, with a gateway for each configured channel; says at start
/// which channels are not delivered (their messages stay in the outbox).
async fn start_delivery(dir: &portti_service::Directory, o: &OutboxSettings) -> Result<Running, String> {
    let mut gateways = Gateways::default();
    match &o.smtp_url {
        Some(url) => {
            let from = o.mail_from.clone().unwrap_or_else(|| {
                tracing::warn!("PORTTI_MAIL_FROM is unset: mail is sent from portti@localhost");
                "portti@localhost".into()
            });
            let gateway = MailGateway::new(url, &from)?;
            tracing::info!(relay = gateway.relay(), %from, "mail is delivered by SMTP");
            gateways.mail = Some(gateway);
        }
        None => tracing::warn!(
            "mail is not delivered: PORTTI_SMTP_URL is unset; messages stay in the outbox — `portti outbox list`"
        ),
    }
    match &o.sms_webhook_url {
        Some(url) => {
            let from = o.sms_from.clone().unwrap_or_else(|| "Portti".into());
            let gateway = SmsGateway::new(url, &from)?;
            tracing::info!(webhook = %gateway.endpoint(), %from, "SMS are delivered by the webhook");
            gateways.sms = Some(gateway);
        }
        None => tracing::warn!(
            "SMS are not delivered: PORTTI_SMS_WEBHOOK_URL is unset; messages stay in the outbox — `portti outbox list`"
        ),
    }
    let mut pace = portti_delivery::Settings::default();
    if let Some(ms) = o.retry_base_ms {
        pace.retry_base = Duration::from_millis(ms.max(1));
    }
    if let Some(n) = o.max_attempts {
        pace.max_attempts = n.max(1);
    }
    if let Some(ms) = o.claim_ms {
        pace.claim = Duration::from_millis(ms.max(1000));
    }
    match dir.outbox_backlog().await {
        Ok(0) => {}
        Ok(backlog) => tracing::info!(backlog, "messages wait in the outbox"),
        Err(e) => tracing::warn!(error = %e, "cannot count the outbox backlog"),
    }
    Ok(Running::start(Arc::clone(dir.store()), gateways, pace))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// The URL without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
