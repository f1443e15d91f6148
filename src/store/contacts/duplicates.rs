//! Possible duplicates of a contact: the other contacts with the same first and last name
//! (case-insensitively) or sharing one of its e-mail addresses, among those a principal may
//! see. Built on the list query (`contact_page`), so the search index narrows the candidates
//! and the list's visibility rule applies unchanged.

use crate::domain::query::{words, ContactQuery, IdFilter, TextColumn, TextOp, Visibility};
use crate::domain::Contact;
use crate::error::Result;

use super::super::Store;

/// Candidates read per test; the exact comparison then keeps the duplicates among them.
const CANDIDATES: i64 = 50;
/// E-mail addresses of a contact looked up at most.
const MAX_EMAILS: usize = 3;

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    a.unwrap_or("").trim().to_lowercase() == b.unwrap_or("").trim().to_lowercase()
}

impl Store {
    /// Up to `limit` contacts visible under `visibility` that may be duplicates of `contact`.
    pub fn contact_duplicates(&self, contact: &Contact, visibility: &Visibility, limit: usize) -> Result<Vec<Contact>> {
        let query = |search: String, column: TextColumn, op: TextOp| {
            let mut q = ContactQuery::new(visibility.clone());
            q.search_words = words(&search);
            q.text.push((column, op));
            q.ids = Some(IdFilter::NotIn(vec![contact.id]));
            q
        };
        let mut found: Vec<Contact> = Vec::new();
        let keep = |candidates: Vec<Contact>, test: &dyn Fn(&Contact) -> bool, found: &mut Vec<Contact>| {
            for c in candidates {
                if found.len() < limit && test(&c) && !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
        };
        let first = contact.first_name.trim();
        if !first.is_empty() {
            let search = format!("{first} {}", contact.last_name.as_deref().unwrap_or(""));
            let q = query(search, TextColumn::FirstName, TextOp::StartsWith(first.to_string()));
            let (candidates, _) = self.contact_page(&q, 0, CANDIDATES)?;
            let test = |c: &Contact| {
                same(Some(&c.first_name), Some(first)) && same(c.last_name.as_deref(), contact.last_name.as_deref())
            };
            keep(candidates, &test, &mut found);
        }
        for email in contact.emails().into_iter().take(MAX_EMAILS) {
            let q = query(email.to_string(), TextColumn::Email, TextOp::Contains(email.to_string()));
            let (candidates, _) = self.contact_page(&q, 0, CANDIDATES)?;
            let test = |c: &Contact| c.emails().iter().any(|e| e.eq_ignore_ascii_case(email));
            keep(candidates, &test, &mut found);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::changes::{ContactChanges, ProjectChanges};
    use crate::domain::query::Visibility;

    #[test]
    fn duplicates_share_the_name_in_any_case_or_an_e_mail_and_are_visible() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::test_support::open_small(&dir.path().join("d.db"));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let project = |identifier: &str| {
            let changes = ProjectChanges {
                name: Some(identifier.into()),
                identifier: Some(identifier.into()),
                modules: Some(vec!["contacts".into()]),
                ..Default::default()
            };
            rt.block_on(store.create_project(changes)).unwrap().id
        };
        let (open, closed) = (project("open"), project("closed"));
        let contact = |first: &str, last: &str, email: &str, project: i64| {
            let changes = ContactChanges {
                first_name: Some(first.into()),
                last_name: Some(Some(last.into())),
                email: Some(Some(email.into())),
                project_ids: Some(vec![project]),
                ..Default::default()
            };
            rt.block_on(store.create_contact(changes)).unwrap()
        };
        let ada = contact("Ada", "Lovelace", "ada@example.net", open);
        let same_name = contact("ADA", "lovelace", "", open);
        let same_mail = contact("Augusta", "King", "other@x.net, Ada@Example.net", open);
        contact("Ada", "Lovelace-Byron", "", open);
        contact("Adam", "Lovelace", "", open);
        contact("Ada", "Lovelace", "", closed);
        let visible = Visibility::Restricted { user_id: 9, public_ok: true, view: vec![open], private: vec![open] };
        let ada = store.contact(ada).unwrap();
        let mut found: Vec<i64> = store.contact_duplicates(&ada, &visible, 10).unwrap().iter().map(|c| c.id).collect();
        found.sort_unstable();
        assert_eq!(found, [same_name, same_mail]);
        assert_eq!(store.contact_duplicates(&ada, &visible, 1).unwrap().len(), 1);
    }
}
