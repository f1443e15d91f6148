//! The contact read model (`contact_cards`, schema.sql section "contact cards"): one row per
//! contact with what its answer shows. Triggers mark the contacts a write touches; the writer
//! calls [`refresh_stale`] at the end of every job, so cards are rebuilt from their rows in the
//! same savepoint as the change itself.

use rusqlite::Connection;

use crate::error::Result;

/// The schema section that creates the cards, their source view, the stale marks and the
/// triggers (every statement `IF NOT EXISTS`, so it can run on any older file).
pub(crate) fn schema_section(schema: &str) -> &str {
    super::schema::schema_section(schema, "contact cards")
}

/// Rebuilds the cards of the contacts marked stale (deleted contacts lose theirs) and clears
/// the marks. Costs three statements on an empty mark table.
pub(crate) fn refresh_stale(conn: &Connection) -> Result<()> {
    let stale: bool =
        conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM contact_cards_stale)")?.query_row([], |r| r.get(0))?;
    if !stale {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM contact_cards WHERE contact_id IN (SELECT contact_id FROM contact_cards_stale)")?
        .execute([])?;
    conn.prepare_cached(
        "INSERT INTO contact_cards SELECT * FROM contact_card_source WHERE id IN (SELECT contact_id FROM contact_cards_stale)",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM contact_cards_stale")?.execute([])?;
    Ok(())
}

/// Marks the cards of the contacts tagged `tag_id` stale: a tag's rename changes no row that a
/// trigger watches (its taggings stay as they are), yet it shows on those cards.
pub(crate) fn mark_tagged_stale(conn: &Connection, tag_id: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO contact_cards_stale SELECT contact_id FROM taggings t WHERE t.tag_id = ?
            AND NOT EXISTS (SELECT 1 FROM contact_cards_stale s WHERE s.contact_id = t.contact_id)",
    )?
    .execute([tag_id])?;
    Ok(())
}

/// Rebuilds every card (a migration, or a bulk load that ran without the triggers).
pub(crate) fn rebuild_all(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM contact_cards;
         INSERT INTO contact_cards SELECT * FROM contact_card_source ORDER BY id;
         DELETE FROM contact_cards_stale;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Connection {
        crate::store::test_support::memory(
            "INSERT INTO users (id, login, firstname, lastname, admin, created_on, updated_on)
                 VALUES (1, 'ann', 'Ann', 'Lee', 1, 0, 0);
             INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'One', 'one', 0, 0), (2, 'Two', 'two', 0, 0);
             INSERT INTO custom_fields (id, name, customized_type, field_format) VALUES (5, 'Size', 'contact', 'string');
             INSERT INTO tags (id, name) VALUES (1, 'vip'), (2, 'lead');",
        )
    }

    /// Rows of `contact_card_source` and `contact_cards` that the other lacks.
    fn disagreements(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT (SELECT count(*) FROM (SELECT * FROM contact_card_source EXCEPT SELECT * FROM contact_cards))
                  + (SELECT count(*) FROM (SELECT * FROM contact_cards EXCEPT SELECT * FROM contact_card_source))",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn write(conn: &Connection, sql: &str) {
        conn.execute_batch(sql).unwrap();
        refresh_stale(conn).unwrap();
        assert_eq!(disagreements(conn), 0, "after {sql}");
        let marks: i64 = conn.query_row("SELECT count(*) FROM contact_cards_stale", [], |r| r.get(0)).unwrap();
        assert_eq!(marks, 0);
    }

    #[test]
    fn every_kind_of_change_rebuilds_the_card_of_its_contact() {
        let conn = open();
        write(
            &conn,
            "INSERT INTO contacts (id, first_name, author_id, created_on, updated_on) VALUES (1, 'Kim', 1, 0, 0), (2, 'Bo', 1, 0, 0);
             INSERT INTO addresses (contact_id, city, created_at, updated_at) VALUES (1, 'Oslo', 0, 0);
             INSERT INTO taggings (contact_id, tag_id, position) VALUES (1, 2, 0), (1, 1, 1), (2, 1, 0);
             INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value) VALUES ('contact', 1, 5, 'L');
             INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value) VALUES ('deal', 2, 5, 'XL');
             INSERT INTO contacts_projects VALUES (1, 2), (1, 1), (2, 1);",
        );
        let card: (String, String, String, Option<String>) = conn
            .query_row(
                "SELECT tags, custom_values, project_ids, city FROM contact_cards WHERE contact_id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(card, (r#"["lead","vip"]"#.into(), r#"[[5,"L"]]"#.into(), "[1,2]".into(), Some("Oslo".into())));
        write(&conn, "UPDATE contacts SET last_name = 'Park' WHERE id = 1");
        write(&conn, "UPDATE addresses SET city = 'Bergen' WHERE contact_id = 1");
        // An upsert's conflict clause would override a trigger's own (OR IGNORE) one.
        write(
            &conn,
            "INSERT INTO addresses (contact_id, city, created_at, updated_at) VALUES (1, 'Kazan', 0, 0)
               ON CONFLICT (contact_id) DO UPDATE SET city = 'Kazan'",
        );
        write(&conn, "UPDATE custom_values SET value = 'S' WHERE customized_id = 1");
        write(&conn, "DELETE FROM taggings WHERE contact_id = 1 AND position = 0");
        write(&conn, "DELETE FROM addresses WHERE contact_id = 1");
        // Cascades: a deleted project, custom field or tag leaves every card it was on.
        write(&conn, "DELETE FROM projects WHERE id = 2");
        write(&conn, "DELETE FROM custom_fields WHERE id = 5");
        write(&conn, "DELETE FROM tags WHERE id = 1");
        write(&conn, "DELETE FROM contacts WHERE id = 2");
        let cards: i64 = conn.query_row("SELECT count(*) FROM contact_cards", [], |r| r.get(0)).unwrap();
        assert_eq!(cards, 1);
    }

    #[test]
    fn a_full_rebuild_matches_the_rows() {
        let conn = open();
        conn.execute_batch(
            "INSERT INTO contacts (id, first_name, created_on, updated_on) VALUES (3, 'Lu', 0, 0);
             INSERT INTO contacts_projects VALUES (3, 1);
             DELETE FROM contact_cards_stale;",
        )
        .unwrap();
        assert_eq!(disagreements(&conn), 1);
        rebuild_all(&conn).unwrap();
        assert_eq!(disagreements(&conn), 0);
    }
}
