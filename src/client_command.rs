//! `frontdesk client …`: register, list, show, change and delete OAuth clients (docs/clients.md).

use clap::{Args, Subcommand};
use frontdesk::core::clients::{ClientUpdate, NewClient};
use frontdesk::core::Core;
use frontdesk::crypto::secret::Secret;

/// The `client` subcommands.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Register a client. A confidential client's secret is printed once and never again.
    Add(ClientAddArgs),
    /// List the clients.
    List,
    /// Show one client as JSON (never its secret).
    Show { client_id: String },
    /// Change a client; options not given stay as they are, and a list option given replaces
    /// the whole list.
    Update(ClientUpdateArgs),
    /// Delete a client.
    Delete { client_id: String },
}

/// `frontdesk client add`.
#[derive(Args)]
pub struct ClientAddArgs {
    /// 2 to 64 characters: letters, digits, '.', '_', '-'.
    client_id: String,
    /// The name users see on the consent page.
    #[arg(long)]
    name: String,
    /// A public client (native or browser app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// A first-party client: no consent screen.
    #[arg(long)]
    first_party: bool,
    /// A redirect URI, compared by exact string; repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A URI that logout may redirect to; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Space-separated scopes the client may ask for [default: openid profile email].
    #[arg(long)]
    scopes: Option<String>,
    /// authorization_code, refresh_token or client_credentials; repeat for several
    /// [default: authorization_code and refresh_token].
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Access token lifetime in seconds [default: the server's].
    #[arg(long)]
    access_token_ttl: Option<i64>,
    /// Refresh token lifetime in seconds [default: the server's].
    #[arg(long)]
    refresh_token_ttl: Option<i64>,
    /// RS256, ES256 or EdDSA [default: RS256].
    #[arg(long)]
    id_token_alg: Option<String>,
}

/// `frontdesk client update`.
#[derive(Args)]
pub struct ClientUpdateArgs {
    client_id: String,
    #[arg(long)]
    name: Option<String>,
    /// true or false.
    #[arg(long)]
    first_party: Option<bool>,
    /// Replaces every redirect URI; repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Option<Vec<String>>,
    /// Replaces every post-logout redirect URI; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Space-separated scopes.
    #[arg(long)]
    scopes: Option<String>,
    /// Replaces the grant types; repeat for several.
    #[arg(long = "grant-type")]
    grant_types: Option<Vec<String>>,
    /// Seconds, or `default` for the server's.
    #[arg(long)]
    access_token_ttl: Option<String>,
    /// Seconds, or `default` for the server's.
    #[arg(long)]
    refresh_token_ttl: Option<String>,
    /// RS256, ES256 or EdDSA.
    #[arg(long)]
    id_token_alg: Option<String>,
    /// Generate a new secret (printed once); the old one stops working at once.
    #[arg(long)]
    rotate_secret: bool,
}

/// Carries out a `frontdesk client` subcommand.
pub async fn run(core: &Core, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Add(args) => {
            let new = NewClient {
                client_id: args.client_id,
                name: args.name,
                is_public: args.public,
                is_first_party: args.first_party,
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                allowed_scopes: args.scopes,
                grant_types: (!args.grant_types.is_empty()).then_some(args.grant_types),
                access_token_ttl_secs: args.access_token_ttl,
                refresh_token_ttl_secs: args.refresh_token_ttl,
                id_token_alg: args.id_token_alg,
            };
            let (client, secret) = core.create_client(new).await?;
            let kind = if client.is_public {
                "public"
            } else {
                "confidential"
            };
            println!("client_id: {}", client.client_id);
            eprintln!("created {kind} client {}", client.client_id);
            print_secret(secret);
        }

        ClientCommand::List => {
            println!(
                "{:<24} {:<13} {:<12} name",
                "client_id", "type", "first_party"
            );
            for client in core.list_clients().await? {
                let kind = if client.is_public {
                    "public"
                } else {
                    "confidential"
                };
                println!(
                    "{:<24} {:<13} {:<12} {}",
                    client.client_id, kind, client.is_first_party, client.name
                );
            }
        }

        ClientCommand::Show { client_id } => {
            let client = core.get_client(&client_id).await?;
            println!("{}", serde_json::to_string_pretty(&client)?);
        }

        ClientCommand::Update(args) => {
            let client_id = args.client_id.clone();
            let update = ClientUpdate {
                name: args.name,
                is_first_party: args.first_party,
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                allowed_scopes: args.scopes,
                grant_types: args.grant_types,
                access_token_ttl_secs: lifetime(args.access_token_ttl.as_deref())?,
                refresh_token_ttl_secs: lifetime(args.refresh_token_ttl.as_deref())?,
                id_token_alg: args.id_token_alg,
                rotate_secret: args.rotate_secret,
            };
            core.update_client(&client_id, update)
                .await
                .map(|(_, secret)| {
                    eprintln!("updated client {client_id}");
                    print_secret(secret);
                })?;
        }

        ClientCommand::Delete { client_id } => {
            core.delete_client(&client_id).await?;
            println!("deleted client {client_id}");
        }
    }
    Ok(())
}

/// Prints a newly generated secret on standard output, with the warning on standard error.
fn print_secret(secret: Option<Secret>) {
    if let Some(secret) = secret {
        println!("client_secret: {}", secret.expose());
        eprintln!("store the client secret now: it is not stored and cannot be shown again");
    }
}

/// `None`: unchanged; `default`: the server's default; otherwise seconds.
fn lifetime(arg: Option<&str>) -> anyhow::Result<Option<Option<i64>>> {
    match arg {
        None => Ok(None),
        Some("default") => Ok(Some(None)),
        Some(secs) => {
            let secs = secs
                .parse()
                .map_err(|_| anyhow::anyhow!("a lifetime is a number of seconds or `default`"))?;
            Ok(Some(Some(secs)))
        }
    }
}
