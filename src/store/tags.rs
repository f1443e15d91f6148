//! Contact tags as a whole: the list of tags in use, and the administrator's rename, merge and
//! delete (a contact's own tag list is written with the contact, `contacts/write.rs`).
//!
//! Tags show in every rendered contact without changing its `updated_on`, so these writes go
//! through `write_config`: the rendered-contact cache keys on the configuration version. The
//! contact cards hold tag names too: a merge or delete changes `taggings` rows, whose triggers
//! mark the cards stale; a rename changes no row a trigger watches, so it marks them itself.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

use super::{cards, Store};

/// Tags used by any contact, by name: (id, name).
fn in_use(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.name FROM tags g WHERE EXISTS (SELECT 1 FROM taggings t WHERE t.tag_id = g.id) ORDER BY g.name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// NotFound unless tag `id` exists.
fn require(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("SELECT 1 FROM tags WHERE id = ?")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or(Error::NotFound)
}

fn rename(conn: &Connection, id: i64, name: &str) -> Result<()> {
    require(conn, id)?;
    // Names are unique without regard to case (the column's collation), as the plugin looks
    // them up; a tag may change the case of its own name.
    let taken: Option<i64> = conn
        .prepare_cached("SELECT id FROM tags WHERE name = ? AND id <> ?")?
        .query_row(params![name, id], |r| r.get(0))
        .optional()?;
    if taken.is_some() {
        return Err(Error::invalid("Name has already been taken"));
    }
    conn.prepare_cached("UPDATE tags SET name = ? WHERE id = ?")?.execute(params![name, id])?;
    cards::mark_tagged_stale(conn, id)
}

/// Every contact tagged `from` is tagged `into` instead (in the same place of its list, unless
/// it already has `into`); `from` is deleted.
fn merge(conn: &Connection, from: i64, into: i64) -> Result<()> {
    require(conn, from)?;
    if from == into || require(conn, into).is_err() {
        return Err(Error::invalid("Merge into is invalid"));
    }
    conn.prepare_cached(
        "DELETE FROM taggings WHERE tag_id = ?1
            AND contact_id IN (SELECT contact_id FROM taggings WHERE tag_id = ?2)",
    )?
    .execute(params![from, into])?;
    conn.prepare_cached("UPDATE taggings SET tag_id = ?2 WHERE tag_id = ?1")?.execute(params![from, into])?;
    conn.prepare_cached("DELETE FROM tags WHERE id = ?")?.execute([from])?;
    Ok(())
}

/// Untags every contact tagged `id` and deletes the tag.
fn delete(conn: &Connection, id: i64) -> Result<()> {
    require(conn, id)?;
    conn.prepare_cached("DELETE FROM taggings WHERE tag_id = ?")?.execute([id])?;
    conn.prepare_cached("DELETE FROM tags WHERE id = ?")?.execute([id])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for tags

impl Store {
    /// Every tag in use: (id, name), by name.
    pub fn contact_tags(&self) -> Result<Vec<(i64, String)>> {
        self.read(in_use)
    }

    /// Renames a tag (`name` already validated); 422 when another tag has the name.
    pub async fn rename_tag(&self, id: i64, name: String) -> Result<()> {
        self.write_config(move |c| rename(c, id, &name)).await
    }

    /// Moves the contacts of tag `from` to tag `into` and deletes `from`; 422 when `into` is
    /// unknown or `from` itself.
    pub async fn merge_tags(&self, from: i64, into: i64) -> Result<()> {
        self.write_config(move |c| merge(c, from, into)).await
    }

    pub async fn delete_tag(&self, id: i64) -> Result<()> {
        self.write_config(move |c| delete(c, id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Connection {
        let conn = crate::store::test_support::memory(
            "INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (1, 'A', 0, 0), (2, 'B', 0, 0);
             INSERT INTO tags (id, name) VALUES (1, 'vip'), (2, 'lead'), (3, 'cold');
             INSERT INTO taggings (contact_id, tag_id, position) VALUES (1, 1, 0), (1, 2, 1), (2, 2, 0), (2, 3, 1);",
        );
        cards::refresh_stale(&conn).unwrap();
        conn
    }

    fn card_tags(conn: &Connection) -> Vec<String> {
        cards::refresh_stale(conn).unwrap();
        conn.prepare("SELECT tags FROM contact_cards ORDER BY contact_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn rename_merge_and_delete_reach_the_cards() {
        let conn = open();
        assert!(matches!(rename(&conn, 1, "LEAD"), Err(Error::Validation(_))), "taken without regard to case");
        rename(&conn, 2, "Lead").unwrap();
        assert_eq!(card_tags(&conn), [r#"["vip","Lead"]"#, r#"["Lead","cold"]"#]);
        merge(&conn, 2, 1).unwrap();
        assert_eq!(card_tags(&conn), [r#"["vip"]"#, r#"["vip","cold"]"#], "no contact is tagged twice");
        assert!(matches!(merge(&conn, 1, 1), Err(Error::Validation(_))));
        assert!(matches!(merge(&conn, 1, 99), Err(Error::Validation(_))));
        assert!(matches!(merge(&conn, 99, 1), Err(Error::NotFound)));
        delete(&conn, 1).unwrap();
        assert_eq!(card_tags(&conn), ["[]", r#"["cold"]"#]);
        assert_eq!(in_use(&conn).unwrap(), [(3, "cold".to_string())]);
        assert!(matches!(delete(&conn, 1), Err(Error::NotFound)));
    }
}
