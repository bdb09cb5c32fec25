//! The public view of a user: what `/auth/me` and the login response may show. It is built
//! field by field from the stored row, so a new secret column can never leak by accident.

use serde::Serialize;

use crate::store::UserRow;

/// A user's profile, with DummyJSON's field names.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub gender: String,
    pub image: String,
    pub phone: String,
    pub birth_date: String,
    pub role: String,
}

impl From<&UserRow> for Profile {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            gender: u.gender.clone(),
            image: u.image.clone(),
            phone: u.phone.clone(),
            birth_date: u.birth_date.clone(),
            role: u.role.clone(),
        }
    }
}
