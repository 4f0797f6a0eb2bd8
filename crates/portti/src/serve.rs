//! `portti serve`: open the store, make sure a client exists, serve until told to stop.

use crate::cli::open_directory;
use crate::config::Settings;
use std::sync::Arc;
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
    let dir = Arc::new(open_directory(&settings, Some(&public_url)).await?);
    tracing::info!(store = dir.store().backend(), url = %redact(&settings.database_url), "store opened");
    ensure_client(&dir, &settings).await?;
    let app = portti_server::router(Arc::clone(&dir), &public_url);
    tracing::info!(%public_url, "portti listening on http://{addr}");
    eprintln!("portti listening on http://{addr}");
    portti_server::serve(listener, app, shutdown_signal()).await.map_err(|e| e.to_string())?;
    dir.store().close().await;
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
