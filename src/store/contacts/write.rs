//! Writes of contacts (run inside the writer's transaction): creating, changing, deleting,
//! their address, tags and projects, and the search text kept in step.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::changes::{AddressChanges, ContactChanges};
use crate::domain::time::now_ms;
use crate::domain::Address;
use crate::error::{Error, Result};
use crate::store::{custom_fields, next_id};

use super::load::{address_from, get};

pub(in crate::store) fn create(conn: &Connection, c: &ContactChanges) -> Result<i64> {
    let now = now_ms();
    let id = next_id(conn, "contacts")?;
    conn.prepare_cached(
        "INSERT OR FAIL INTO contacts (id, first_name, last_name, middle_name, company, phone, email, website, skype_name,
                birthday, job_title, background, is_company, author_id, assigned_to_id, visibility, created_on, updated_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        id,
        c.first_name.as_deref().unwrap_or(""),
        c.last_name.clone().flatten(),
        c.middle_name.clone().flatten(),
        c.company.clone().flatten(),
        c.phone.clone().flatten(),
        c.email.clone().flatten(),
        c.website.clone().flatten(),
        c.skype_name.clone().flatten(),
        c.birthday.clone().flatten(),
        c.job_title.clone().flatten(),
        c.background.clone().flatten(),
        c.is_company.unwrap_or(false),
        c.author_id.unwrap_or(0),
        c.assigned_to_id.flatten(),
        c.visibility.unwrap_or(0),
        now,
        now
    ])?;
    apply_related(conn, id, c, now, Related::None)?;
    reindex(conn, id, true)?;
    Ok(id)
}

pub(in crate::store) fn update(conn: &Connection, id: i64, c: &ContactChanges) -> Result<()> {
    // The card is current here: every write job ends by rebuilding the cards it touched.
    let before = get(conn, id)?;
    let now = now_ms();
    conn.prepare_cached(
        "UPDATE contacts SET
            first_name = COALESCE(?2, first_name),
            last_name = CASE WHEN ?3 THEN ?4 ELSE last_name END,
            middle_name = CASE WHEN ?5 THEN ?6 ELSE middle_name END,
            company = CASE WHEN ?7 THEN ?8 ELSE company END,
            phone = CASE WHEN ?9 THEN ?10 ELSE phone END,
            email = CASE WHEN ?11 THEN ?12 ELSE email END,
            website = CASE WHEN ?13 THEN ?14 ELSE website END,
            skype_name = CASE WHEN ?15 THEN ?16 ELSE skype_name END,
            birthday = CASE WHEN ?17 THEN ?18 ELSE birthday END,
            job_title = CASE WHEN ?19 THEN ?20 ELSE job_title END,
            background = CASE WHEN ?21 THEN ?22 ELSE background END,
            is_company = COALESCE(?23, is_company),
            author_id = COALESCE(?24, author_id),
            assigned_to_id = CASE WHEN ?25 THEN ?26 ELSE assigned_to_id END,
            visibility = COALESCE(?27, visibility),
            updated_on = max(?28, updated_on + 1)
          WHERE id = ?1",
    )?
    .execute(params![
        id,
        c.first_name,
        c.last_name.is_some(),
        c.last_name.clone().flatten(),
        c.middle_name.is_some(),
        c.middle_name.clone().flatten(),
        c.company.is_some(),
        c.company.clone().flatten(),
        c.phone.is_some(),
        c.phone.clone().flatten(),
        c.email.is_some(),
        c.email.clone().flatten(),
        c.website.is_some(),
        c.website.clone().flatten(),
        c.skype_name.is_some(),
        c.skype_name.clone().flatten(),
        c.birthday.is_some(),
        c.birthday.clone().flatten(),
        c.job_title.is_some(),
        c.job_title.clone().flatten(),
        c.background.is_some(),
        c.background.clone().flatten(),
        c.is_company,
        c.author_id,
        c.assigned_to_id.is_some(),
        c.assigned_to_id.flatten(),
        c.visibility,
        now
    ])?;
    apply_related(conn, id, c, now, Related::Stored)?;
    // Renaming a company renames it in its people's `company` field (the plugin's link is by name).
    if let Some(new_name) = &c.first_name {
        if before.is_company && *new_name != before.first_name {
            let people: Vec<i64> = conn
                .prepare_cached("SELECT id FROM contacts WHERE is_company = 0 AND company = ?")?
                .query_map([&before.first_name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            conn.prepare_cached(
                "UPDATE contacts SET company = ?, updated_on = max(?, updated_on + 1) WHERE is_company = 0 AND company = ?",
            )?
            .execute(params![new_name, now, before.first_name])?;
            for person in people {
                reindex(conn, person, false)?;
            }
        }
    }
    reindex(conn, id, false)?;
    Ok(())
}

/// Address, tags, custom values and projects of a create or update.
/// What a contact has of related rows before a write: none (it was just created: nothing to
/// read or delete first, which an import's creates would otherwise pay for each) or stored.
#[derive(Clone, Copy, PartialEq)]
enum Related {
    None,
    Stored,
}

fn apply_related(conn: &Connection, id: i64, c: &ContactChanges, now: i64, related: Related) -> Result<()> {
    if let Some(a) = &c.address {
        write_address(conn, id, a, now, related)?;
    }
    if let Some(tags) = &c.tags {
        set_tags(conn, id, tags, related)?;
    }
    if !c.custom_values.is_empty() {
        custom_fields::set_values(conn, "contact", id, &c.custom_values)?;
    }
    if let Some(projects) = &c.project_ids {
        if related == Related::Stored {
            conn.prepare_cached("DELETE FROM contacts_projects WHERE contact_id = ?")?.execute([id])?;
        }
        for p in projects {
            add_project(conn, id, *p)?;
        }
    }
    Ok(())
}

/// The stored address of a contact, read from its table (a card is stale in mid-write).
fn stored_address(conn: &Connection, contact_id: i64) -> Result<Option<Address>> {
    let address = conn
        .prepare_cached(
            "SELECT id, street1, street2, city, region, postcode, country_code, full_address, created_at, updated_at
               FROM addresses WHERE contact_id = ?",
        )?
        .query_row([contact_id], |r| address_from(r, 0, contact_id))
        .optional()?;
    Ok(address)
}

fn write_address(
    conn: &Connection,
    contact_id: i64,
    changes: &AddressChanges,
    now: i64,
    related: Related,
) -> Result<()> {
    let existing = if related == Related::Stored { stored_address(conn, contact_id)? } else { None };
    if changes.destroy {
        conn.prepare_cached("DELETE FROM addresses WHERE contact_id = ?")?.execute([contact_id])?;
        return Ok(());
    }
    let mut a = existing.clone().unwrap_or_default();
    let apply = |slot: &mut Option<String>, change: &Option<Option<String>>| {
        if let Some(v) = change {
            *slot = v.clone();
        }
    };
    apply(&mut a.street1, &changes.street1);
    apply(&mut a.street2, &changes.street2);
    apply(&mut a.city, &changes.city);
    apply(&mut a.region, &changes.region);
    apply(&mut a.postcode, &changes.postcode);
    apply(&mut a.country_code, &changes.country_code);
    if existing.is_none() && a.is_blank() {
        return Ok(()); // the plugin ignores an all-blank new address
    }
    let full = a.joined();
    // An insert or an update rather than an upsert: an upsert's update always aborts on a
    // constraint, which makes SQLite copy every page the statement touches to a statement
    // journal (a tenth of an import's time); a failed job's savepoint undoes its changes anyway.
    let sql = if existing.is_some() {
        "UPDATE OR FAIL addresses SET street1 = ?2, street2 = ?3, city = ?4, region = ?5, postcode = ?6,
                country_code = ?7, full_address = ?8, updated_at = ?9
          WHERE contact_id = ?1"
    } else {
        "INSERT OR FAIL INTO addresses (contact_id, street1, street2, city, region, postcode, country_code,
                full_address, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
    };
    conn.prepare_cached(sql)?.execute(params![
        contact_id,
        a.street1,
        a.street2,
        a.city,
        a.region,
        a.postcode,
        a.country_code,
        full,
        now
    ])?;
    Ok(())
}

fn set_tags(conn: &Connection, contact_id: i64, tags: &[String], related: Related) -> Result<()> {
    if related == Related::Stored {
        conn.prepare_cached("DELETE FROM taggings WHERE contact_id = ?")?.execute([contact_id])?;
    }
    let mut find = conn.prepare_cached("SELECT id FROM tags WHERE name = ?")?;
    let mut create = conn.prepare_cached("INSERT INTO tags (name) VALUES (?)")?;
    let mut tag =
        conn.prepare_cached("INSERT OR IGNORE INTO taggings (contact_id, tag_id, position) VALUES (?, ?, ?)")?;
    for (position, name) in tags.iter().enumerate() {
        let tag_id: i64 = match find.query_row([name], |r| r.get(0)).optional()? {
            Some(id) => id,
            None => {
                create.execute([name])?;
                conn.last_insert_rowid()
            }
        };
        tag.execute(params![contact_id, tag_id, position as i64])?;
    }
    Ok(())
}

/// Writes the search text of one contact from its stored fields (triggers update the index):
/// `created`, it has none yet (an insert: see `write_address` on upserts).
fn reindex(conn: &Connection, id: i64, created: bool) -> Result<()> {
    let sql = if created {
        "INSERT OR FAIL INTO search_texts (contact_id, body)
         SELECT id, search_fold(first_name, last_name, middle_name, company, email, phone, job_title)
           FROM contacts WHERE id = ?"
    } else {
        "INSERT INTO search_texts (contact_id, body)
         SELECT id, search_fold(first_name, last_name, middle_name, company, email, phone, job_title)
           FROM contacts WHERE id = ?
         ON CONFLICT (contact_id) DO UPDATE SET body = excluded.body"
    };
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Deletes a contact's row (its address, tags, links and search text go by foreign key);
/// NotFound when there is none. What goes with it from other aggregates: `store::cascade`.
pub(in crate::store) fn delete(conn: &Connection, id: i64) -> Result<()> {
    if conn.prepare_cached("DELETE FROM contacts WHERE id = ?")?.execute([id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub(super) fn add_project(conn: &Connection, contact_id: i64, project_id: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO contacts_projects (contact_id, project_id) VALUES (?, ?)")?
        .execute(params![contact_id, project_id])?;
    Ok(())
}

/// Removes a contact from a project; refused (403) when it is the contact's last project.
pub(super) fn remove_project(conn: &Connection, contact_id: i64, project_id: i64) -> Result<()> {
    let remaining: i64 = conn
        .prepare_cached("SELECT count(*) FROM contacts_projects WHERE contact_id = ? AND project_id <> ?")?
        .query_row(params![contact_id, project_id], |r| r.get(0))?;
    if remaining == 0 {
        return Err(Error::Forbidden);
    }
    conn.prepare_cached("DELETE FROM contacts_projects WHERE contact_id = ? AND project_id = ?")?
        .execute(params![contact_id, project_id])?;
    Ok(())
}

/// Marks a contact changed (a note was added to it). Like every change of a contact, it makes
/// `updated_on` strictly greater, which the rendered-contact cache relies on.
pub(in crate::store) fn touch(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE contacts SET updated_on = max(?, updated_on + 1) WHERE id = ?")?
        .execute(params![now_ms(), id])?;
    Ok(())
}
