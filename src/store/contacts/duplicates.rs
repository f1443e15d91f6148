//! Possible duplicates of a contact: the other contacts with the same first and last name
//! (case-insensitively) or sharing one of its e-mail addresses, among those a principal may
//! see. Same names are looked up in the name index (`contacts_name_order`) under the usual
//! spellings of each name (as written, lower case, upper case, capitalised), so a contact's
//! page costs no search; shared e-mails are found by the list query's search (an e-mail's
//! trigrams are rare). Either way the list's visibility rule decides what is shown, and only
//! the candidates' names and e-mails are read to keep the exact matches. Also the names of
//! contacts by id, for pages that list them.

use rusqlite::Connection;

use crate::domain::query::{words, ContactQuery, IdFilter, TextColumn, TextOp, Visibility};
use crate::domain::{contact_name, split_list, Contact};
use crate::error::Result;
use crate::store::id_list;

use super::super::Store;

/// Candidates read per test; the exact comparison then keeps the duplicates among them.
const CANDIDATES: i64 = 50;
/// E-mail addresses of a contact looked up at most.
const MAX_EMAILS: usize = 3;

/// What the exact comparison needs of a candidate.
struct Named {
    id: i64,
    is_company: bool,
    first_name: String,
    last_name: Option<String>,
    email: Option<String>,
}

impl Named {
    fn name(&self) -> String {
        contact_name(self.is_company, &self.first_name, self.last_name.as_deref())
    }
}

/// Names and e-mails of contacts, in the order of `ids` (unknown ids are skipped).
fn named(conn: &Connection, ids: &[i64]) -> Result<Vec<Named>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.is_company, c.first_name, c.last_name, c.email
           FROM json_each(?) j JOIN contacts c ON c.id = j.value ORDER BY j.key",
    )?;
    let rows = stmt.query_map([id_list(ids)], |r| {
        Ok(Named {
            id: r.get(0)?,
            is_company: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            email: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The spellings of a name looked up: as written, lower case, upper case, capitalised.
fn spellings(name: &str) -> Vec<String> {
    let name = name.trim();
    let capitalised: String = name
        .split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ");
    let mut all = vec![name.to_string(), name.to_lowercase(), name.to_uppercase(), capitalised];
    all.sort();
    all.dedup();
    all
}

/// The lookup of same names: by the name index, under each spelling of the last name (or
/// none) and of the first name.
const SAME_NAMES: &str = "SELECT id FROM contacts
      WHERE last_name IN (SELECT value FROM json_each(?1)) AND first_name IN (SELECT value FROM json_each(?2))
        AND id <> ?3
     UNION ALL
     SELECT id FROM contacts
      WHERE ?4 AND last_name IS NULL AND first_name IN (SELECT value FROM json_each(?2)) AND id <> ?3
     LIMIT ?5";

/// Contacts other than `contact` whose first and last names are spelt as one of the usual
/// spellings of its own (index lookups only), at most `CANDIDATES`.
fn same_names(conn: &Connection, contact: &Contact) -> Result<Vec<i64>> {
    let json = |v: Vec<String>| serde_json::to_string(&v).unwrap_or_default();
    let last = contact.last_name.as_deref().map(str::trim).unwrap_or("");
    // A blank last name is stored as NULL or as '' (the '' spelling is among `spellings`).
    let mut stmt = conn.prepare_cached(SAME_NAMES)?;
    let rows = stmt.query_map(
        rusqlite::params![
            json(spellings(last)),
            json(spellings(&contact.first_name)),
            contact.id,
            last.is_empty(),
            CANDIDATES
        ],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    a.unwrap_or("").trim().to_lowercase() == b.unwrap_or("").trim().to_lowercase()
}

impl Store {
    /// Up to `limit` contacts visible under `visibility` that may be duplicates of `contact`,
    /// as (id, name).
    pub fn contact_duplicates(
        &self,
        contact: &Contact,
        visibility: &Visibility,
        limit: usize,
    ) -> Result<Vec<(i64, String)>> {
        let query = |search: String, column: TextColumn, op: TextOp| {
            let mut q = ContactQuery::new(visibility.clone());
            q.search_words = words(&search);
            q.text.push((column, op));
            q.ids = Some(IdFilter::NotIn(vec![contact.id]));
            q
        };
        let candidates = |q: &ContactQuery| -> Result<Vec<Named>> {
            let (page, _) = self.contact_page_versions(q, 0, CANDIDATES)?;
            let ids: Vec<i64> = page.iter().map(|(id, _)| *id).collect();
            self.read(|c| named(c, &ids))
        };
        let mut found: Vec<(i64, String)> = Vec::new();
        let mut keep = |candidates: Vec<Named>, test: &dyn Fn(&Named) -> bool| {
            for c in candidates {
                if found.len() < limit && test(&c) && !found.iter().any(|(id, _)| *id == c.id) {
                    found.push((c.id, c.name()));
                }
            }
        };
        let first = contact.first_name.trim();
        if !first.is_empty() {
            let ids = self.read(|c| same_names(c, contact))?;
            if !ids.is_empty() {
                let mut q = ContactQuery::new(visibility.clone());
                q.ids = Some(IdFilter::In(ids));
                let (visible, _) = self.contact_page_versions(&q, 0, CANDIDATES)?;
                let visible: Vec<i64> = visible.iter().map(|(id, _)| *id).collect();
                let test = |c: &Named| {
                    same(Some(&c.first_name), Some(first)) && same(c.last_name.as_deref(), contact.last_name.as_deref())
                };
                keep(self.read(|c| named(c, &visible))?, &test);
            }
        }
        for email in contact.emails().into_iter().take(MAX_EMAILS) {
            let q = query(email.to_string(), TextColumn::Email, TextOp::Contains(email.to_string()));
            let test = |c: &Named| split_list(c.email.as_deref()).iter().any(|e| e.eq_ignore_ascii_case(email));
            keep(candidates(&q)?, &test);
        }
        Ok(found)
    }

    /// The names of contacts (a company's name, a person's first and last), in the order of
    /// `ids`; unknown ids are skipped. Lighter than loading them.
    pub fn contact_names(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        Ok(self.read(|c| named(c, ids))?.iter().map(|n| (n.id, n.name())).collect())
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
        let mut found: Vec<i64> = store.contact_duplicates(&ada, &visible, 10).unwrap().iter().map(|c| c.0).collect();
        found.sort_unstable();
        assert_eq!(found, [same_name, same_mail]);
        assert_eq!(store.contact_duplicates(&ada, &visible, 1).unwrap().len(), 1);
        assert_eq!(
            store.contact_names(&[same_mail, 999, same_name]).unwrap(),
            [(same_mail, "Augusta King".to_string()), (same_name, "ADA lovelace".to_string())]
        );
    }

    #[test]
    fn same_names_are_index_lookups() {
        let conn = crate::store::test_support::memory("");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", super::SAME_NAMES)).unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params!["[]", "[]", 1, true, 50], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(!plan.contains("SCAN contacts"), "{plan}");
        assert_eq!(plan.matches("USING COVERING INDEX contacts_name_order").count(), 2, "{plan}");
    }
}
