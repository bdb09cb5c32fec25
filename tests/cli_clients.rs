//! `frontdesk client add|list|show|update|delete`, run as the real binary against the test
//! database (SQLite, or a PostgreSQL schema when `FRONTDESK_TEST_DATABASE_URL` is set).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TestDatabase;
use serde_json::Value;

/// Runs `frontdesk <args>` against `database_url` with its data in `dir`.
fn frontdesk(database_url: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(args)
        .env_remove("FRONTDESK_CONFIG")
        .env("FRONTDESK_DATABASE_URL", database_url)
        .env("FRONTDESK_MASTER_KEY_FILE", dir.join("master.key"))
        .env("FRONTDESK_DATA_DIR", dir)
        .env("FRONTDESK_LOG", "warn")
        .output()
        .expect("run frontdesk")
}

/// Standard output of a run that must succeed.
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "frontdesk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn client_commands_manage_clients_and_print_the_secret_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDatabase::create(&dir).await;
    let run = |args: &[&str]| frontdesk(&db.url, dir.path(), args);

    // add: the secret on standard output, once.
    let said = ok(run(&[
        "client",
        "add",
        "app1",
        "--name",
        "App One",
        "--redirect-uri",
        "https://app1.example/cb",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--scopes",
        "openid email",
    ]));
    assert!(said.contains("client_id: app1"), "{said}");
    let secret = said
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("secret printed");
    assert!(secret.starts_with("fds_"), "{said}");

    let said = ok(run(&[
        "client",
        "add",
        "native",
        "--name",
        "Native",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1/callback",
    ]));
    assert!(!said.contains("client_secret"), "{said}");

    // list and show never print the secret.
    let list = ok(run(&["client", "list"]));
    assert!(
        list.contains("app1") && list.contains("confidential"),
        "{list}"
    );
    assert!(list.contains("native") && list.contains("public"), "{list}");
    assert!(!list.contains(secret));
    let shown: Value = serde_json::from_str(&ok(run(&["client", "show", "app1"]))).expect("JSON");
    assert_eq!(shown["allowed_scopes"], "email openid");
    assert_eq!(shown["redirect_uris"][1], "http://127.0.0.1/cb");
    assert!(!shown.to_string().contains(secret));

    // update: a list option replaces the list; a rotated secret is printed once.
    let said = ok(run(&[
        "client",
        "update",
        "app1",
        "--name",
        "App 1",
        "--redirect-uri",
        "https://app1.example/callback",
        "--access-token-ttl",
        "600",
        "--rotate-secret",
    ]));
    let rotated = said
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("new secret printed");
    assert_ne!(rotated, secret);
    let shown: Value = serde_json::from_str(&ok(run(&["client", "show", "app1"]))).expect("JSON");
    assert_eq!(shown["name"], "App 1");
    assert_eq!(
        shown["redirect_uris"],
        serde_json::json!(["https://app1.example/callback"])
    );
    assert_eq!(shown["access_token_ttl_secs"], 600);

    // Refusals say why and fail.
    let out = run(&[
        "client",
        "add",
        "app1",
        "--name",
        "Again",
        "--redirect-uri",
        "https://a.example/",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("client_id exists"));
    let out = run(&[
        "client",
        "add",
        "app2",
        "--name",
        "Bad",
        "--redirect-uri",
        "http://app2.example/cb",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));

    // delete, then it is gone.
    assert!(ok(run(&["client", "delete", "app1"])).contains("deleted client app1"));
    let out = run(&["client", "show", "app1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such client"));
}

#[test]
fn client_help_lists_the_subcommands() {
    let out = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(["client", "--help"])
        .env_remove("FRONTDESK_CONFIG")
        .output()
        .expect("run frontdesk");
    let help = ok(out);
    for command in ["add", "list", "show", "update", "delete"] {
        assert!(help.contains(command), "{help}");
    }
}
