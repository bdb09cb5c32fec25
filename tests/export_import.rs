//! `frontdesk export` and `frontdesk import` move every table between the backends: a populated
//! SQLite database goes to a file, into PostgreSQL, to a second file, into a fresh SQLite
//! database and to a third file, and the three files hold the same rows.
//!
//! The source holds a row in every table, OAuth clients included.
//!
//! Runs only when `FRONTDESK_TEST_DATABASE_URL` names a PostgreSQL database; otherwise it says
//! why and passes.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{TestApp, TestDatabase, ALICE_PASSWORD, BOB_PASSWORD, TEST_DATABASE_ENV};
use frontdesk::core::clients::NewClient;
use frontdesk::store::Table;
use serde_json::{json, Value};

/// Runs `frontdesk <args>` against `database_url`, with `stdin` on standard input; returns
/// standard output and panics on failure.
fn frontdesk(database_url: &str, master_key_file: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(args)
        .env_remove("FRONTDESK_CONFIG")
        .env("FRONTDESK_DATABASE_URL", database_url)
        .env("FRONTDESK_MASTER_KEY_FILE", master_key_file)
        .env("FRONTDESK_DATA_DIR", master_key_file.parent().expect("dir"))
        .env("FRONTDESK_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn frontdesk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("frontdesk output");
    assert!(
        out.status.success(),
        "frontdesk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of an export after its header (whose only varying field is the export time).
fn body_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read export");
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("json");
    assert_eq!(header["format"], "frontdesk-export");
    assert_eq!(header["version"], 1);
    lines.map(str::to_owned).collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: FRONTDESK_TEST_DATABASE_URL and --include-ignored (scripts/test.sh)"]
async fn sqlite_to_postgres_to_sqlite_keeps_every_row() {
    let Some(postgres) = TestDatabase::postgres().await else {
        println!("skipped: set {TEST_DATABASE_ENV} to a PostgreSQL URL to run the round trip");
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let source_url = format!("sqlite:{}", work.path().join("source.db").display());

    // A populated SQLite database: users (one disabled), sessions, refresh tokens (consumed and
    // live), a revoked family, its security event, throttling rows and the signing key.
    let app = TestApp::start_with(|raw| raw.database_url = source_url.clone()).await;
    let alice = app.login("alice", ALICE_PASSWORD).await;
    let res = app.refresh(&alice.refresh).await;
    assert_eq!(res.status(), 200);
    app.clock.advance_secs(60);
    assert_eq!(app.refresh(&alice.refresh).await.status(), 403, "reuse");
    let bob = app.login("bob", BOB_PASSWORD).await;
    assert_eq!(app.refresh(&bob.refresh).await.status(), 200);
    let res = app
        .post_json(
            "/auth/login",
            json!({"username": "bob", "password": "not-his-password"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let carol = app
        .add_user("carol", "carol@example.com", "Carol-2026!")
        .await;
    app.core
        .set_disabled(carol.id, true)
        .await
        .expect("disable carol");
    let client = NewClient {
        client_id: "app1".into(),
        name: "App One".into(),
        redirect_uris: vec!["https://app1.example/cb".into()],
        ..NewClient::default()
    };
    app.core.create_client(client).await.expect("create app1");
    let master_key = app.dir.path().join("master.key");
    for table in Table::ALL {
        let rows = app.core.store.count_rows(table).await.expect("count");
        assert!(rows > 0, "the source has rows in {}", table.name());
    }

    // SQLite -> file -> PostgreSQL -> file -> SQLite -> file.
    let first = work.path().join("1-from-sqlite.jsonl");
    let second = work.path().join("2-from-postgres.jsonl");
    let third = work.path().join("3-from-sqlite-again.jsonl");
    let target_url = format!("sqlite:{}", work.path().join("target.db").display());
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let said = frontdesk(&source_url, &master_key, &["export", &path(&first)], "");
    assert!(said.contains("users: 3"), "{said}");
    frontdesk(&postgres.url, &master_key, &["import", &path(&first)], "");
    frontdesk(&postgres.url, &master_key, &["export", &path(&second)], "");
    frontdesk(&target_url, &master_key, &["import", &path(&second)], "");
    frontdesk(&target_url, &master_key, &["export", &path(&third)], "");

    let rows = body_of(&first);
    assert_eq!(rows, body_of(&second), "PostgreSQL holds what SQLite held");
    assert_eq!(rows, body_of(&third), "and gives it back unchanged");
    for table in Table::ALL {
        let marker = json!({"table": table.name()}).to_string();
        assert!(rows.contains(&marker), "{} is in the file", table.name());
    }

    // The imported databases are usable: the keys open under the master key, and new rows get
    // ids past the imported ones.
    for url in [&postgres.url, &target_url] {
        let said = frontdesk(
            url,
            &master_key,
            &["user", "add", "dave", "--email", "dave@example.com"],
            "Dave-2026-password\n",
        );
        assert!(said.contains("(id 4)"), "{said}");
    }

    // Importing into a database that holds rows is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(["import", &path(&first)])
        .env_remove("FRONTDESK_CONFIG")
        .env("FRONTDESK_DATABASE_URL", &target_url)
        .env("FRONTDESK_DATA_DIR", work.path())
        .env("FRONTDESK_MASTER_KEY_FILE", &master_key)
        .output()
        .expect("run import");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
