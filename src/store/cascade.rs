//! Deletes across aggregates: what goes with a deleted contact, note or project, decided in one
//! place, so that no aggregate's module reaches into another's to delete. Each module deletes
//! its own rows (`contacts::delete`, `notes::delete`, `projects::delete_tree`); the schema's
//! foreign keys and triggers (schema.sql) take what hangs on those rows; this module does the
//! rest, in the same write transaction:
//!
//! - a contact: its address, tags, project and deal links, search text and card go by foreign
//!   key and trigger; its custom values and its notes (each as a note is deleted) go here;
//! - a note: its custom values go with it;
//! - a deal: its related-contact links and status history go by foreign key; its custom values
//!   and its notes (each as a note is deleted) go here;
//! - a project: its subprojects go with it; a contact keeps at least one project, so contacts
//!   in none but these are deleted as above (the others only lose their links, by foreign key);
//!   the projects' deals are deleted as above; their deal categories, modules and memberships go
//!   by foreign key;
//! - a user (`users::delete`, nothing here): memberships go by foreign key; contacts, deals and
//!   notes keep the ids of their author and assignee, who are then named by no one.

use rusqlite::Connection;

use crate::error::Result;

use super::{contacts, custom_fields, deals, id_list, notes, projects, Store};

/// Deletes a contact, its custom values and its notes; NotFound when there is none.
pub(super) fn delete_contact(conn: &Connection, id: i64) -> Result<()> {
    contacts::delete(conn, id)?;
    custom_fields::delete_values(conn, "contact", id)?;
    delete_notes_of(conn, "Contact", id)
}

/// Deletes a deal, its custom values and its notes; NotFound when there is none.
fn delete_deal(conn: &Connection, id: i64) -> Result<()> {
    deals::write::delete(conn, id)?;
    custom_fields::delete_values(conn, "deal", id)?;
    delete_notes_of(conn, "Deal", id)
}

/// Deletes the notes of a contact or deal, each with its custom values.
fn delete_notes_of(conn: &Connection, source_type: &str, source_id: i64) -> Result<()> {
    let notes: Vec<i64> = conn
        .prepare_cached("SELECT id FROM notes WHERE source_type = ? AND source_id = ?")?
        .query_map(rusqlite::params![source_type, source_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for note in notes {
        delete_note(conn, note)?;
    }
    Ok(())
}

/// Deletes a note and its custom values; NotFound when there is none.
fn delete_note(conn: &Connection, id: i64) -> Result<()> {
    notes::delete(conn, id)?;
    custom_fields::delete_values(conn, "note", id)
}

/// Deletes a project and its subprojects. Contacts left with no project are deleted too (a
/// contact must belong to at least one project).
fn delete_project(conn: &Connection, id: i64) -> Result<()> {
    let tree = projects::with_descendants(conn, id)?;
    projects::get(conn, id)?;
    let orphans: Vec<i64> = conn
        .prepare(
            "SELECT cp.contact_id FROM contacts_projects cp
              WHERE cp.project_id IN (SELECT value FROM json_each(?1))
                AND NOT EXISTS (SELECT 1 FROM contacts_projects o WHERE o.contact_id = cp.contact_id
                                  AND o.project_id NOT IN (SELECT value FROM json_each(?1)))",
        )?
        .query_map([id_list(&tree)], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for contact in orphans {
        delete_contact(conn, contact)?;
    }
    for deal in deals::write::of_projects(conn, &id_list(&tree))? {
        delete_deal(conn, deal)?;
    }
    projects::delete_tree(conn, &tree)
}

// ---------------------------------------------------------------------------------------------
// The store's surface for the deletes that reach across aggregates

impl Store {
    pub async fn delete_contact(&self, id: i64) -> Result<()> {
        self.write(move |c| delete_contact(c, id)).await
    }

    pub async fn delete_deal(&self, id: i64) -> Result<()> {
        self.write(move |c| delete_deal(c, id)).await
    }

    pub async fn delete_note(&self, id: i64) -> Result<()> {
        self.write(move |c| delete_note(c, id)).await
    }

    pub async fn delete_project(&self, id: i64) -> Result<()> {
        self.write_config(move |c| delete_project(c, id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// A database in memory with the schema, foreign keys on, and `rows` inserted.
    fn database(rows: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(super::super::schema::SCHEMA).unwrap();
        conn.execute_batch(&format!("PRAGMA foreign_keys = ON; {rows}")).unwrap();
        conn
    }

    fn column(conn: &Connection, sql: &str) -> Vec<String> {
        conn.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn a_deleted_project_takes_the_contacts_it_alone_held_with_their_notes_and_custom_values() {
        let conn = database(
            "INSERT INTO projects (id, name, identifier, parent_id, created_on, updated_on)
                  VALUES (1, 'A', 'a', NULL, 0, 0), (2, 'Sub', 'sub', 1, 0, 0), (3, 'B', 'b', NULL, 0, 0);
             INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (7, 'Only', 0, 0), (8, 'Both', 0, 0);
             INSERT INTO contacts_projects (contact_id, project_id) VALUES (7, 2), (8, 1), (8, 3);
             INSERT INTO custom_fields (id, name, customized_type)
                  VALUES (1, 'f', 'contact'), (2, 'g', 'note'), (3, 'h', 'deal');
             INSERT INTO deals (id, name, project_id, created_on, updated_on)
                  VALUES (20, 'In sub', 2, 0, 0), (21, 'In B', 3, 0, 0);
             INSERT INTO notes (id, content, source_type, source_id, created_on, updated_on)
                  VALUES (10, 'x', 'Contact', 7, 0, 0), (11, 'y', 'Contact', 8, 0, 0),
                         (12, 'deal x', 'Deal', 20, 0, 0), (13, 'deal y', 'Deal', 21, 0, 0);
             INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value)
                  VALUES ('contact', 7, 1, 'a'), ('contact', 8, 1, 'b'), ('note', 10, 2, 'c'), ('note', 11, 2, 'd'),
                         ('deal', 20, 3, 'e'), ('deal', 21, 3, 'f'), ('note', 12, 2, 'g'), ('note', 13, 2, 'h');",
        );
        delete_project(&conn, 1).unwrap();
        let column = |sql: &str| column(&conn, sql);
        assert_eq!(column("SELECT name FROM projects"), ["B"], "the subproject goes too");
        assert_eq!(column("SELECT first_name FROM contacts"), ["Both"], "a contact keeps a project");
        assert_eq!(column("SELECT name FROM deals"), ["In B"], "the subproject's deal goes");
        assert_eq!(column("SELECT content FROM notes ORDER BY id"), ["y", "deal y"], "with its notes");
        assert_eq!(column("SELECT value FROM custom_values ORDER BY id"), ["b", "d", "f", "h"]);
        assert!(matches!(delete_project(&conn, 1), Err(Error::NotFound)));
    }

    #[test]
    fn a_deleted_deal_takes_its_notes_custom_values_links_and_history() {
        let conn = database(
            "INSERT INTO projects (id, name, identifier, parent_id, created_on, updated_on) VALUES (1, 'A', 'a', NULL, 0, 0);
             INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (7, 'Kim', 0, 0);
             INSERT INTO custom_fields (id, name, customized_type) VALUES (2, 'g', 'note'), (3, 'h', 'deal');
             INSERT INTO deals (id, name, project_id, contact_id, created_on, updated_on)
                  VALUES (20, 'Gone', 1, 7, 0, 0), (21, 'Kept', 1, 7, 0, 0);
             INSERT INTO contacts_deals (deal_id, contact_id) VALUES (20, 7), (21, 7);
             INSERT INTO deal_processes (deal_id, old_value, value, created_at) VALUES (20, 1, 2, 0), (21, 1, 2, 0);
             INSERT INTO notes (id, content, source_type, source_id, created_on, updated_on)
                  VALUES (12, 'gone', 'Deal', 20, 0, 0), (13, 'kept', 'Deal', 21, 0, 0), (14, 'contact', 'Contact', 20, 0, 0);
             INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value)
                  VALUES ('deal', 20, 3, 'a'), ('deal', 21, 3, 'b'), ('note', 12, 2, 'c'), ('note', 13, 2, 'd');",
        );
        delete_deal(&conn, 20).unwrap();
        let column = |sql: &str| column(&conn, sql);
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table} WHERE deal_id = 20"), [], |r| r.get(0)).unwrap()
        };
        assert_eq!(column("SELECT name FROM deals"), ["Kept"]);
        assert_eq!(column("SELECT content FROM notes ORDER BY id"), ["kept", "contact"], "a contact's note stays");
        assert_eq!(column("SELECT value FROM custom_values ORDER BY id"), ["b", "d"]);
        assert_eq!((count("contacts_deals"), count("deal_processes")), (0, 0));
        assert_eq!(column("SELECT first_name FROM contacts"), ["Kim"]);
        assert!(matches!(delete_deal(&conn, 20), Err(Error::NotFound)));
    }
}
