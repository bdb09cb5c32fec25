//! Demo users, added by `serve --demo`, so that tutorials written for DummyJSON's auth API work
//! word for word. Emily matches DummyJSON's first user; the others are invented.

use super::accounts::{AccountError, NewAccount};
use super::Core;
use crate::crypto::secret::Secret;

/// (username, password, first name, last name, email, gender, role)
const DEMO_USERS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "emilys",
        "emilyspass",
        "Emily",
        "Johnson",
        "emily.johnson@x.dummyjson.com",
        "female",
        "admin",
    ),
    (
        "michaelw",
        "michaelwpass",
        "Michael",
        "Williams",
        "michael.williams@x.dummyjson.com",
        "male",
        "user",
    ),
    (
        "noraq",
        "noraqpass",
        "Nora",
        "Quill",
        "nora.quill@demo.frontdesk.test",
        "female",
        "user",
    ),
    (
        "tobiasr",
        "tobiasrpass",
        "Tobias",
        "Reed",
        "tobias.reed@demo.frontdesk.test",
        "male",
        "user",
    ),
];

impl Core {
    /// Adds the demo users that do not exist yet; returns how many were added.
    pub async fn add_demo_users(&self) -> Result<usize, AccountError> {
        let mut added = 0;
        for &(username, password, first, last, email, gender, role) in DEMO_USERS {
            if self.find_account(username).await.is_ok() {
                continue;
            }

            let account = NewAccount {
                username: username.into(),
                email: email.into(),
                password: Some(Secret::new(password)),
                first_name: first.into(),
                last_name: last.into(),
                gender: gender.into(),
                image: format!("https://dummyjson.com/icon/{username}/128"),
                role: role.into(),
                ..NewAccount::default()
            };

            self.create_account(account).await?;
            added += 1;
        }
        Ok(added)
    }
}
