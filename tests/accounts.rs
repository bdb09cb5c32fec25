//! Account administration through the core, as the CLI uses it.

mod common;

use common::TestApp;
use frontdesk::core::accounts::{AccountError, NewAccount};
use frontdesk::crypto::secret::Secret;

fn account(username: &str, email: &str, role: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        email: email.into(),
        password: Some(Secret::new("long-enough-1")),
        role: role.into(),
        ..NewAccount::default()
    }
}

#[tokio::test]
async fn all_digit_usernames_are_refused_so_they_never_shadow_an_id() {
    let app = TestApp::start().await;
    let refused = app
        .core
        .create_account(account("2", "two@example.com", ""))
        .await;
    assert!(
        matches!(refused, Err(AccountError::Invalid(_))),
        "{refused:?}"
    );
    let alice = app.core.find_account("1").await.unwrap();
    assert_eq!(alice.username, "alice");
}

#[tokio::test]
async fn only_known_roles_are_accepted() {
    let app = TestApp::start().await;
    let refused = app
        .core
        .create_account(account("carol", "carol@example.com", "superuser"))
        .await;
    assert!(
        matches!(refused, Err(AccountError::Invalid(_))),
        "{refused:?}"
    );
    let admin = app
        .core
        .create_account(account("dave", "dave@example.com", "admin"))
        .await
        .unwrap();
    assert_eq!(admin.role, "admin");
}

#[tokio::test]
async fn usernames_are_stored_precomposed_and_compared_case_insensitively() {
    let app = TestApp::start().await;
    let user = app
        .core
        .create_account(account("jose\u{301}", "jose@example.com", ""))
        .await
        .unwrap();
    assert_eq!(user.username, "jos\u{e9}");
    let twin = app
        .core
        .create_account(account("JOS\u{c9}", "other@example.com", ""))
        .await;
    assert!(matches!(twin, Err(AccountError::Taken)), "{twin:?}");
}
