//! Custom field definitions and the values records hold for them.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::CustomField;
use crate::error::{Error, Result};

use super::Store;

const SELECT: &str = "SELECT id, name, customized_type, field_format, possible_values, regexp, min_length,
        max_length, is_required, is_for_all, is_filter, searchable, multiple, default_value, visible
   FROM custom_fields";

fn from_row(r: &Row) -> rusqlite::Result<CustomField> {
    Ok(CustomField {
        id: r.get(0)?,
        name: r.get(1)?,
        customized_type: r.get(2)?,
        field_format: r.get(3)?,
        possible_values: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
        regexp: r.get(5)?,
        min_length: r.get(6)?,
        max_length: r.get(7)?,
        is_required: r.get(8)?,
        is_for_all: r.get(9)?,
        is_filter: r.get(10)?,
        searchable: r.get(11)?,
        multiple: r.get(12)?,
        default_value: r.get(13)?,
        visible: r.get(14)?,
    })
}

/// All fields, or those of one customized type ('contact', 'deal', 'note'), in display order.
pub fn list(conn: &Connection, customized_type: Option<&str>) -> Result<Vec<CustomField>> {
    let sql = format!("{SELECT} WHERE ?1 IS NULL OR customized_type = ?1 ORDER BY position, id");
    Ok(conn.prepare_cached(&sql)?.query_map([customized_type], from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn create(conn: &Connection, f: &CustomField) -> Result<CustomField> {
    let taken: Option<i64> = conn
        .query_row(
            "SELECT id FROM custom_fields WHERE customized_type = ? AND name = ?",
            params![f.customized_type, f.name],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(Error::invalid("Name has already been taken"));
    }
    conn.execute(
        "INSERT INTO custom_fields (name, customized_type, field_format, possible_values, regexp, min_length,
                max_length, is_required, is_for_all, is_filter, searchable, multiple, default_value, visible, position)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                 (SELECT COALESCE(max(position), 0) + 1 FROM custom_fields))",
        params![
            f.name,
            f.customized_type,
            f.field_format,
            serde_json::to_string(&f.possible_values).unwrap_or_else(|_| "[]".into()),
            f.regexp,
            f.min_length,
            f.max_length,
            f.is_required,
            f.is_for_all,
            f.is_filter,
            f.searchable,
            f.multiple,
            f.default_value,
            f.visible
        ],
    )?;
    let id = conn.last_insert_rowid();
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE id = ?"))?.query_row([id], from_row)?)
}

/// Values of `customized_type` records `ids` → (field id, value) rows in storage order.
pub fn values_for(
    conn: &Connection,
    customized_type: &str,
    ids_json: &str,
) -> Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT customized_id, custom_field_id, value FROM custom_values
          WHERE customized_type = ? AND customized_id IN (SELECT value FROM json_each(?))
          ORDER BY customized_id, id",
    )?;
    let mut map: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    let rows = stmt.query_map(params![customized_type, ids_json], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    for row in rows {
        let (id, field, value) = row?;
        map.entry(id).or_default().push((field, value.unwrap_or_default()));
    }
    Ok(map)
}

/// Replaces the values of the given fields on one record (fields not named keep theirs).
pub fn set_values(conn: &Connection, customized_type: &str, id: i64, values: &[(i64, Vec<String>)]) -> Result<()> {
    let mut delete = conn.prepare_cached(
        "DELETE FROM custom_values WHERE customized_type = ? AND customized_id = ? AND custom_field_id = ?",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO custom_values (customized_type, customized_id, custom_field_id, value) VALUES (?, ?, ?, ?)",
    )?;
    for (field, vals) in values {
        delete.execute(params![customized_type, id, field])?;
        for v in vals {
            insert.execute(params![customized_type, id, field, v])?;
        }
    }
    Ok(())
}

pub fn delete_values(conn: &Connection, customized_type: &str, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM custom_values WHERE customized_type = ? AND customized_id = ?")?
        .execute(params![customized_type, id])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The store's surface for custom field definitions

impl Store {
    /// Custom field definitions of one type, from the cache when the configuration is unchanged.
    pub fn custom_fields(&self, customized_type: &'static str) -> Result<Arc<Vec<CustomField>>> {
        let version = self.config_version();
        if let Some(fields) = self.config_cache.fields(version, customized_type) {
            return Ok(fields);
        }
        let fields = Arc::new(self.read(|c| list(c, Some(customized_type)))?);
        self.config_cache.put_fields(version, customized_type, fields.clone());
        Ok(fields)
    }

    /// Every custom field definition (the cached per-type lists are `Store::custom_fields`).
    pub fn all_custom_fields(&self) -> Result<Vec<CustomField>> {
        self.read(|c| list(c, None))
    }

    pub async fn create_custom_field(&self, field: CustomField) -> Result<CustomField> {
        self.write_config(move |c| create(c, &field)).await
    }
}
