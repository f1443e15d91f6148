//! The names of contacts by id, for pages that list them without loading the whole contacts,
//! and the people of a company (by the company index).

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
    /// People (not companies) whose company is `company` exactly, at most `limit`, by id:
    /// candidates for a company's employees (the caller keeps the visible ones).
    pub fn company_people(&self, company: &str, limit: i64) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id FROM contacts WHERE company = ?1 AND NOT is_company ORDER BY id LIMIT ?2")?;
            let ids = stmt.query_map(rusqlite::params![company, limit], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

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
    fn names_come_in_the_order_asked_and_a_company_has_its_people() {
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
        let at_acme = |first: &str, is_company: bool| {
            let changes = ContactChanges {
                first_name: Some(first.into()),
                company: Some(Some("Acme".into())),
                is_company: Some(is_company),
                ..Default::default()
            };
            rt.block_on(store.create_contact(changes)).unwrap()
        };
        let (bo, _, cy) = (at_acme("Bo", false), at_acme("Acme Sub", true), at_acme("Cy", false));
        assert_eq!(store.company_people("Acme", 10).unwrap(), [bo, cy]);
        assert_eq!(store.company_people("acme", 10).unwrap(), Vec::<i64>::new());
        assert_eq!(
            store.contact_names(&[acme, 999, ada]).unwrap(),
            [(acme, "Acme".to_string()), (ada, "Ada Lovelace".to_string())]
        );
    }
}
