//! The `frontdesk` command: run the server, manage users, OAuth clients and signing keys, apply
//! migrations, export and import a whole database.

mod client_command;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use frontdesk::app;
use frontdesk::config::{MasterKeySource, RawConfig};
use frontdesk::core::accounts::NewAccount;
use frontdesk::core::clock::SystemClock;
use frontdesk::core::{Clock, Core};
use frontdesk::crypto::keys::KeyAlg;
use frontdesk::crypto::random::OsRandom;
use frontdesk::crypto::secret::Secret;
use frontdesk::transfer;
use tracing_subscriber::EnvFilter;

/// Frontdesk: a self-hosted identity server.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML). `FRONTDESK_*` environment variables override it.
    #[arg(long, global = true, env = "FRONTDESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit. `serve` also applies them at start unless
    /// `migrate_on_start = false` (FRONTDESK_MIGRATE_ON_START=false).
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients (apps).
    #[command(subcommand)]
    Client(client_command::ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write every table of the database to FILE (JSON lines, docs/export-format.md).
    Export {
        /// The file to create; it must not exist.
        file: PathBuf,
    },
    /// Load FILE, written by `export` from either backend, into an empty database.
    Import {
        /// The export file to read.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a signing key that is published at once and signs from `--signs-in` seconds on.
    /// Older keys stay published, so tokens they signed keep verifying.
    Rotate {
        /// Seconds before the new key starts signing. Make it longer than the JWKS cache of
        /// any resource server that verifies Frontdesk's tokens offline.
        #[arg(long, default_value_t = 0)]
        signs_in: u32,
    },
    /// List the signing keys.
    List,
}

#[derive(Args)]
struct ServeArgs {
    /// Add the demo users (emilys / emilyspass and others) if they are missing.
    #[arg(long)]
    demo: bool,
    /// Address to listen on, overriding the configuration.
    #[arg(long)]
    bind: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from the first line of standard input.
    Add(UserAddArgs),
    /// List users.
    List,
    /// Disable a user and end all of their sessions.
    Disable { user: String },
    /// Enable a disabled user.
    Enable { user: String },
    /// Set a user's password (read from standard input) and end all of their sessions.
    SetPassword { user: String },
}

#[derive(Args)]
struct UserAddArgs {
    username: String,
    #[arg(long)]
    email: String,
    #[arg(long, default_value = "")]
    first_name: String,
    #[arg(long, default_value = "")]
    last_name: String,
    #[arg(long, default_value = "")]
    gender: String,
    /// `user` or `admin`.
    #[arg(long, default_value = "user")]
    role: String,
    /// Create the account without a password (nobody can log in until one is set).
    #[arg(long)]
    no_password: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("FRONTDESK_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand with the configuration from file and environment.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut raw = RawConfig::load(cli.config.as_deref())?;

    match cli.command {
        Command::Serve(args) => {
            raw.demo |= args.demo;
            if let Some(bind) = args.bind {
                raw.bind = bind;
            }
            serve(raw).await
        }

        Command::Migrate => {
            let settings = raw.validate()?;
            std::fs::create_dir_all(&settings.data_dir)?;
            frontdesk::store::open(&settings.database_url, true).await?;
            println!("migrations applied");
            Ok(())
        }

        Command::User(command) => {
            raw.demo = false;
            let core = core_for_cli(raw).await?;
            user_command(&core, command).await
        }

        Command::Client(command) => {
            raw.demo = false;
            let core = core_for_cli(raw).await?;
            client_command::run(&core, command).await
        }

        Command::Keys(command) => {
            raw.demo = false;
            let settings = raw.clone().validate()?;
            let core = core_for_cli(raw).await?;
            keys_command(&core, settings.signing_alg, command).await
        }

        Command::Export { file } => {
            let settings = raw.validate()?;
            std::fs::create_dir_all(&settings.data_dir)?;
            let store =
                frontdesk::store::open(&settings.database_url, settings.migrate_on_start).await?;
            let counts = transfer::export(store.as_ref(), &file, SystemClock.now_ms()).await?;
            println!("exported {} to {}", summary(&counts), file.display());
            Ok(())
        }

        Command::Import { file } => {
            let settings = raw.validate()?;
            // The file's signing keys are sealed under the exporting deployment's master key;
            // a fresh key here would import a database nothing can open.
            if let MasterKeySource::File(path) = &settings.master_key {
                anyhow::ensure!(
                    path.exists(),
                    "the master key file {} does not exist: copy the master key of the \
                     deployment that wrote {} there first (or set master_key)",
                    path.display(),
                    file.display()
                );
            }
            std::fs::create_dir_all(&settings.data_dir)?;
            let store = frontdesk::store::open(&settings.database_url, true).await?;
            let counts = transfer::import(store.as_ref(), &file).await?;
            println!("imported {} from {}", summary(&counts), file.display());
            Ok(())
        }
    }
}

/// `users: 3, sessions: 5, …`
fn summary(counts: &transfer::RowCounts) -> String {
    let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{t}: {n}")).collect();
    parts.join(", ")
}

/// Carries out a `frontdesk keys` subcommand; `alg` is the configured algorithm of new keys.
async fn keys_command(core: &Core, alg: KeyAlg, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { signs_in } => {
            let now = core.now_ms();
            let signs_from = now + i64::from(signs_in) * 1000;
            let kid = core
                .keys
                .add_key(alg, core.random.as_ref(), now, signs_from)
                .await?;

            // The kid alone on stdout, for scripts; the explanation on stderr.
            println!("{kid}");
            eprintln!(
                "added signing key {kid} ({}); it signs in {signs_in} s; every node picks it \
                 up within its key_reload_seconds",
                alg.name()
            );
        }

        KeysCommand::List => {
            println!(
                "{:<24} {:<6} {:>15} {:>15}",
                "kid", "alg", "created_ms", "signs_from_ms"
            );
            for key in core.store.list_signing_keys().await? {
                println!(
                    "{:<24} {:<6} {:>15} {:>15}",
                    key.kid, key.alg, key.created_ms, key.signs_from_ms
                );
            }
        }
    }
    Ok(())
}

/// Validates the configuration, binds the listener and serves until a shutdown signal.
async fn serve(raw: RawConfig) -> anyhow::Result<()> {
    let settings = raw.validate()?;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("binding {}", settings.bind))?;

    let server = app::start(
        &settings,
        listener,
        Arc::new(SystemClock),
        Arc::new(OsRandom::default()),
    )
    .await?;

    tracing::info!(addr = %server.addr, issuer = %settings.policy.issuer, "frontdesk is listening");
    server.task.await??;
    Ok(())
}

/// Builds the core for a one-shot command, with the real clock and randomness.
async fn core_for_cli(raw: RawConfig) -> anyhow::Result<Arc<Core>> {
    let settings = raw.validate()?;
    app::build_core(
        &settings,
        Arc::new(SystemClock),
        Arc::new(OsRandom::default()),
    )
    .await
}

/// Carries out a `frontdesk user` subcommand.
async fn user_command(core: &Core, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add(args) => {
            let password = if args.no_password {
                None
            } else {
                Some(read_password()?)
            };

            let user = core
                .create_account(NewAccount {
                    username: args.username,
                    email: args.email,
                    password,
                    first_name: args.first_name,
                    last_name: args.last_name,
                    gender: args.gender,
                    role: args.role,
                    ..NewAccount::default()
                })
                .await?;
            println!("created user {} (id {})", user.username, user.id);
        }

        UserCommand::List => {
            println!(
                "{:>6}  {:<24} {:<8} {:<8}",
                "id", "username", "role", "status"
            );
            for user in core.store.list_users().await? {
                let status = if user.is_disabled {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:>6}  {:<24} {:<8} {:<8}",
                    user.id, user.username, user.role, status
                );
            }
        }

        UserCommand::Disable { user } => {
            let user = core.find_account(&user).await?;
            core.set_disabled(user.id, true).await?;
            println!("disabled {} and ended their sessions", user.username);
        }

        UserCommand::Enable { user } => {
            let user = core.find_account(&user).await?;
            core.set_disabled(user.id, false).await?;
            println!("enabled {}", user.username);
        }

        UserCommand::SetPassword { user } => {
            let user = core.find_account(&user).await?;
            core.set_password(user.id, &read_password()?).await?;
            println!(
                "password set for {}; their sessions were ended",
                user.username
            );
        }
    }
    Ok(())
}

/// Reads a password from the first line of standard input (without its line ending).
fn read_password() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(Secret::new(password))
}
