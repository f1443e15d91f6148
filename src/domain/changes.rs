//! The write commands: what a create or update changes. `None` leaves a value unchanged;
//! `Some(None)` clears it. Validation (`validate.rs`) builds them; the store applies them.

/// Changes to a business address; None leaves a part unchanged.
#[derive(Clone, Debug, Default)]
pub struct AddressChanges {
    pub street1: Option<Option<String>>,
    pub street2: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub postcode: Option<Option<String>>,
    pub country_code: Option<Option<String>>,
    /// `_destroy`: remove the address.
    pub destroy: bool,
}

/// Validated changes to a contact; None leaves a value unchanged.
#[derive(Clone, Debug, Default)]
pub struct ContactChanges {
    pub first_name: Option<String>,
    pub last_name: Option<Option<String>>,
    pub middle_name: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub skype_name: Option<Option<String>>,
    pub birthday: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub background: Option<Option<String>>,
    pub is_company: Option<bool>,
    pub author_id: Option<i64>,
    pub assigned_to_id: Option<Option<i64>>,
    pub visibility: Option<i64>,
    pub tags: Option<Vec<String>>,
    pub address: Option<AddressChanges>,
    pub custom_values: Vec<(i64, Vec<String>)>,
    /// Replaces the whole project list (must not be empty).
    pub project_ids: Option<Vec<i64>>,
}

/// The attributes of a user create or update; None leaves a value unchanged.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub login: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub mail: Option<String>,
    pub admin: Option<bool>,
    pub status: Option<i64>,
    /// An argon2 PHC string, already hashed.
    pub password_hash: Option<String>,
    pub api_key: Option<String>,
}

#[derive(Debug, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub is_public: Option<bool>,
    pub parent_id: Option<Option<i64>>,
    pub status: Option<i64>,
    pub modules: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct DealChanges {
    pub name: Option<String>,
    pub background: Option<Option<String>>,
    pub currency: Option<Option<String>>,
    pub duration: Option<Option<i64>>,
    pub price: Option<Option<String>>,
    pub price_type: Option<Option<i64>>,
    pub project_id: Option<i64>,
    pub author_id: Option<i64>,
    pub assigned_to_id: Option<Option<i64>>,
    pub status_id: Option<i64>,
    pub contact_id: Option<Option<i64>>,
    pub category_id: Option<Option<i64>>,
    pub due_date: Option<Option<i64>>,
    pub probability: Option<Option<i64>>,
    pub related_contact_ids: Option<Vec<i64>>,
    pub custom_values: Vec<(i64, Vec<String>)>,
}

#[derive(Clone, Debug, Default)]
pub struct NoteChanges {
    pub subject: Option<Option<String>>,
    pub content: Option<String>,
    pub type_id: Option<Option<i64>>,
    pub created_on: Option<i64>,
    pub custom_values: Vec<(i64, Vec<String>)>,
}
