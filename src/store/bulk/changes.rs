//! An import into a database that holds no contacts yet (`contacts import` on a new file):
//! validated contacts ([`ContactChanges`], as the writer's path takes them) loaded through
//! [`load`], with everything its fast path builds at the end (indexes, search index, cards).

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::Receiver;

use super::{load_with_cache, NewContact};
use crate::domain::time::now_ms;
use crate::domain::Address;
use crate::error::Result;
use crate::store::exchange::Incoming;
use crate::store::{ImportCounts, ImportItem};

/// The page cache of each of the bulk import's two connections, in KiB, and the batches of
/// search texts that may wait for the index (2,048 texts each).
const IMPORT_CACHE_KIB: i64 = 16 * 1024;
const IMPORT_FTS_QUEUE: usize = 16;

/// Loads the contacts `items` brings into the empty database at `path`, in one transaction:
/// `Done` commits, `Abort` (or a reader gone without a word) leaves the file as it was.
/// Memory stays bounded (an import streams a file of any size): page caches of
/// [`IMPORT_CACHE_KIB`] for the file and for the search index built beside it.
pub fn import_contacts(path: &Path, items: Receiver<ImportItem>) -> Result<ImportCounts> {
    load_with_cache(path, IMPORT_CACHE_KIB, IMPORT_FTS_QUEUE, |bulk| {
        let mut id: i64 = bulk.conn.query_row(
            "SELECT coalesce((SELECT last FROM id_high_water WHERE name = 'contacts'), 0) + 1",
            [],
            |r| r.get(0),
        )?;
        let mut tags: HashMap<String, i64> = HashMap::new();
        let mut counts = ImportCounts::default();
        let now = now_ms();
        let mut incoming = Incoming::new(items);
        loop {
            let Some(mut c) = incoming.next()? else { return Ok(counts) };
            bulk.contact(&NewContact {
                id,
                is_company: c.is_company.unwrap_or(false),
                first_name: c.first_name.as_deref().unwrap_or(""),
                last_name: text(&c.last_name),
                middle_name: text(&c.middle_name),
                company: text(&c.company),
                phone: text(&c.phone),
                email: text(&c.email),
                website: text(&c.website),
                skype_name: text(&c.skype_name),
                birthday: text(&c.birthday),
                job_title: text(&c.job_title),
                background: text(&c.background),
                author_id: c.author_id.unwrap_or(0),
                assigned_to_id: c.assigned_to_id.flatten(),
                visibility: c.visibility.unwrap_or(0),
                created_on: now,
                updated_on: now,
            })?;
            for project in c.project_ids.iter().flatten() {
                bulk.contact_project(id, *project)?;
            }
            if let Some(a) = c.address.take().filter(|a| !a.destroy) {
                let address = Address {
                    contact_id: id,
                    street1: a.street1.flatten(),
                    street2: a.street2.flatten(),
                    city: a.city.flatten(),
                    region: a.region.flatten(),
                    postcode: a.postcode.flatten(),
                    country_code: a.country_code.flatten(),
                    created_at: now,
                    updated_at: now,
                    ..Default::default()
                };
                if !address.is_blank() {
                    bulk.address(&address)?;
                }
            }
            for (position, name) in c.tags.iter().flatten().enumerate() {
                let tag = match tags.get(name) {
                    Some(tag) => *tag,
                    None => {
                        let tag = bulk.tag(name)?;
                        tags.insert(name.clone(), tag);
                        tag
                    }
                };
                bulk.tagging(id, tag, position as i64)?;
            }
            for (field, values) in &c.custom_values {
                for v in values.iter().filter(|v| !v.is_empty()) {
                    bulk.custom_value(id, *field, v)?;
                }
            }
            id += 1;
            counts.created += 1;
        }
    })
}

/// A text the changes set (None: unset or set to nothing), borrowed for the row.
fn text(value: &Option<Option<String>>) -> Option<&str> {
    value.as_ref().and_then(|v| v.as_deref())
}
