//! Notes of contacts and deals (one table, `source_type` tells which).

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::time::now_ms;
use crate::domain::{display_name, Note, UserRef};
use crate::error::{Error, Result};

use super::{custom_fields, next_id};

use super::Store;
use crate::domain::changes::NoteChanges;

const SELECT: &str = "SELECT n.id, n.subject, n.content, n.source_type, n.source_id, n.author_id, u.firstname,
        u.lastname, n.type_id, n.created_on, n.updated_on,
        CASE n.source_type
          WHEN 'Contact' THEN (SELECT CASE WHEN is_company THEN first_name
                                           ELSE trim(first_name || ' ' || COALESCE(last_name, '')) END
                                 FROM contacts WHERE id = n.source_id)
          WHEN 'Deal' THEN (SELECT name FROM deals WHERE id = n.source_id) END
   FROM notes n LEFT JOIN users u ON u.id = n.author_id";

fn from_row(r: &Row) -> rusqlite::Result<Note> {
    let author_id: i64 = r.get(5)?;
    let author = r.get::<_, Option<String>>(6)?.map(|first| UserRef {
        id: author_id,
        name: display_name(&first, &r.get::<_, Option<String>>(7).ok().flatten().unwrap_or_default()),
    });
    let source_id: i64 = r.get(4)?;
    Ok(Note {
        id: r.get(0)?,
        subject: r.get(1)?,
        content: r.get(2)?,
        source_type: r.get(3)?,
        source_id,
        source: r.get::<_, Option<String>>(11)?.map(|name| (source_id, name)),
        author,
        type_id: r.get(8)?,
        created_on: r.get(9)?,
        updated_on: r.get(10)?,
        custom_values: Vec::new(),
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Note> {
    let mut note = conn
        .prepare_cached(&format!("{SELECT} WHERE n.id = ?"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound)?;
    note.custom_values = custom_fields::values_for(conn, "note", &format!("[{id}]"))?.remove(&id).unwrap_or_default();
    Ok(note)
}

/// Notes of one record, oldest first.
pub fn for_source(conn: &Connection, source_type: &str, source_id: i64) -> Result<Vec<Note>> {
    let sql = format!("{SELECT} WHERE n.source_type = ? AND n.source_id = ? ORDER BY n.id");
    Ok(conn
        .prepare_cached(&sql)?
        .query_map(params![source_type, source_id], from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

pub fn create(conn: &Connection, source_type: &str, source_id: i64, author_id: i64, c: &NoteChanges) -> Result<i64> {
    let now = now_ms();
    let id = next_id(conn, "notes")?;
    conn.prepare_cached(
        "INSERT INTO notes (id, subject, content, source_type, source_id, author_id, type_id, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        id,
        c.subject.clone().flatten(),
        c.content.as_deref().unwrap_or(""),
        source_type,
        source_id,
        author_id,
        c.type_id.flatten(),
        c.created_on.unwrap_or(now),
        now
    ])?;
    custom_fields::set_values(conn, "note", id, &c.custom_values)?;
    touch_source(conn, source_type, source_id)?;
    Ok(id)
}

pub fn update(conn: &Connection, id: i64, c: &NoteChanges) -> Result<()> {
    let note = get(conn, id)?;
    conn.prepare_cached(
        "UPDATE notes SET subject = CASE WHEN ?2 THEN ?3 ELSE subject END, content = COALESCE(?4, content),
                type_id = CASE WHEN ?5 THEN ?6 ELSE type_id END, created_on = COALESCE(?7, created_on),
                updated_on = ?8
          WHERE id = ?1",
    )?
    .execute(params![
        id,
        c.subject.is_some(),
        c.subject.clone().flatten(),
        c.content,
        c.type_id.is_some(),
        c.type_id.flatten(),
        c.created_on,
        now_ms()
    ])?;
    custom_fields::set_values(conn, "note", id, &c.custom_values)?;
    touch_source(conn, &note.source_type, note.source_id)
}

fn touch_source(conn: &Connection, source_type: &str, source_id: i64) -> Result<()> {
    match source_type {
        "Contact" => super::contacts::touch(conn, source_id),
        _ => super::deals::touch(conn, source_id),
    }
}

/// Deletes a note's row; NotFound when there is none. Its custom values: `store::cascade`.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.prepare_cached("DELETE FROM notes WHERE id = ?")?.execute([id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for notes

impl Store {
    pub fn note(&self, id: i64) -> Result<Note> {
        self.read(|c| get(c, id))
    }

    /// The notes of a contact or deal (`source_type` "Contact" or "Deal").
    pub fn notes_of(&self, source_type: &str, source_id: i64) -> Result<Vec<Note>> {
        self.read(|c| for_source(c, source_type, source_id))
    }

    pub async fn create_note(
        &self,
        source_type: &'static str,
        source_id: i64,
        author_id: i64,
        changes: NoteChanges,
    ) -> Result<i64> {
        self.write(move |c| create(c, source_type, source_id, author_id, &changes)).await
    }

    pub async fn update_note(&self, id: i64, changes: NoteChanges) -> Result<()> {
        self.write(move |c| update(c, id, &changes)).await
    }
}
