//! The names of contacts by id, for pages that list them (a company's employees) without
//! loading the whole contacts.

use rusqlite::Connection;

use crate::domain::contact_name;
use crate::error::Result;
use crate::store::id_list;

use super::super::Store;

/// Names of contacts, in the order of `ids` (unknown ids are skipped).
fn names(conn: &Connection, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.is_company, c.first_name, c.last_name
           FROM json_each(?) j JOIN contacts c ON c.id = j.value ORDER BY j.key",
    )?;
    let rows = stmt.query_map([id_list(ids)], |r| {
        let (is_company, first, last): (bool, String, Option<String>) = (r.get(1)?, r.get(2)?, r.get(3)?);
        Ok((r.get(0)?, contact_name(is_company, &first, last.as_deref())))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// The names of contacts (a company's name, a person's first and last), in the order of
    /// `ids`; unknown ids are skipped.
    pub fn contact_names(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        self.read(|c| names(c, ids))
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::changes::ContactChanges;

    #[test]
    fn names_come_in_the_order_asked_and_unknown_ids_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::test_support::open_small(&dir.path().join("n.db"));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let contact = |first: &str, last: Option<&str>, is_company: bool| {
            let changes = ContactChanges {
                first_name: Some(first.into()),
                last_name: Some(last.map(str::to_string)),
                is_company: Some(is_company),
                ..Default::default()
            };
            rt.block_on(store.create_contact(changes)).unwrap()
        };
        let ada = contact("Ada", Some("Lovelace"), false);
        let acme = contact("Acme", Some("ignored"), true);
        assert_eq!(
            store.contact_names(&[acme, 999, ada]).unwrap(),
            [(acme, "Acme".to_string()), (ada, "Ada Lovelace".to_string())]
        );
    }
}
