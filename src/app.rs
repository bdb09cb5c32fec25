//! Wiring: validated settings in, a running server out. This is the one place that chooses the
//! store backend, opens the master key and assembles the core.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{MasterKeySource, Settings};
use crate::core::keys::KeyService;
use crate::core::{Clock, Core};
use crate::crypto::keys::MasterKey;
use crate::crypto::password::PasswordHasher;
use crate::crypto::random::Random;
use crate::http::server::ConnectionLimits;
use crate::http::{self, AppState};
use crate::store;

/// Opens the store and the master key and builds the core.
pub async fn build_core(
    settings: &Settings,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> anyhow::Result<Arc<Core>> {
    create_private_dir(&settings.data_dir)?;

    // The store, the master key that seals the signing keys, and the password hasher.
    let store = store::open(&settings.database_url, settings.migrate_on_start).await?;
    let master = match &settings.master_key {
        MasterKeySource::Inline(text) => MasterKey::from_base64(text)?,
        MasterKeySource::File(path) => MasterKey::load_or_create(path, random.as_ref())?,
    };
    let hasher = PasswordHasher::new(
        settings.hash_cost,
        settings.max_concurrent_hashes,
        random.clone(),
    )?;

    // The signing keys, with a first one generated on a fresh database.
    let master_source = match &settings.master_key {
        MasterKeySource::Inline(_) => "the configured master_key".to_owned(),
        MasterKeySource::File(path) => format!("the master key file {}", path.display()),
    };
    let keys = KeyService::start(
        store.clone(),
        master.clone(),
        random.as_ref(),
        settings.signing_alg,
        clock.now_ms(),
    )
    .await
    .with_context(|| format!("opening the signing keys with {master_source}"))?;

    // The core, with the demo users if asked for.
    let core = Core::new(
        store,
        clock,
        random,
        hasher,
        keys,
        settings.policy.clone(),
        &master.digest_root(),
    );
    if settings.demo {
        let added = core.add_demo_users().await?;
        tracing::info!(users.added = added, "demo users ready");
    }
    Ok(Arc::new(core))
}

/// Creates the data directory readable by its owner only: it holds password hashes, profiles
/// and the master key file.
fn create_private_dir(path: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .with_context(|| format!("creating the data directory {}", path.display()))
}

/// A server accepting connections in the background.
pub struct RunningServer {
    /// Where the server listens; useful when it was bound to port 0.
    pub addr: SocketAddr,
    /// The core the server runs on, for tests and tools that act beside it.
    pub core: Arc<Core>,
    /// The accept loop and the key reload; ends after a shutdown signal.
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Builds everything and starts serving on `listener`, with the periodic signing-key reload
/// running alongside.
pub async fn start(
    settings: &Settings,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> anyhow::Result<RunningServer> {
    let core = build_core(settings, clock, random.clone()).await?;

    let state = AppState {
        core: core.clone(),
        cookie_secure: settings.cookie_secure,
        max_body_bytes: settings.max_body_bytes,
        max_header_bytes: settings.max_header_bytes,
        trusted_proxies: settings.trusted_proxies.clone().into(),
        admin_token: http::admin::admin_token(settings.admin_token.as_ref(), random.as_ref()),
    };
    let router = http::router(state, Duration::from_secs(settings.request_timeout_secs));

    let addr = listener.local_addr()?;
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs),
        max_connections: settings.max_connections,
    };
    let reload_period = Duration::from_secs(settings.key_reload_secs);
    let keys_core = core.clone();
    let task = tokio::spawn(async move {
        let serve = http::server::serve(listener, router, limits, shutdown_signal());
        // Keys added by other nodes (or `frontdesk keys rotate`) reach this node's ring.
        tokio::select! {
            served = serve => served,
            never = keys_core.keys.reload_every(reload_period) => match never {},
        }
    });
    Ok(RunningServer { addr, core, task })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };

    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
