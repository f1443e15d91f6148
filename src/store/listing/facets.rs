//! The contacts of each tag, project, assignee, author, visibility and type, as compressed
//! bitmaps of contact ids, and the list filters (ContactQuery) evaluated on them: a count is a
//! bitmap's cardinality, whatever the number of matches.

use std::collections::HashMap;

use roaring::RoaringBitmap;
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::domain::query::{ContactQuery, IdFilter, TagFilter, Visibility};
use crate::error::Result;

use super::order::contact_id;
use super::spec::CARD_SORT_COLUMNS;

/// What the filters need to know of one contact (from its card).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: u32,
    pub is_company: bool,
    pub visibility: u8,
    pub author_id: i64,
    pub assigned_to_id: Option<i64>,
    /// Tag names, folded as the tags table compares them (ASCII case).
    pub tags: Vec<String>,
    pub project_ids: Vec<i64>,
    /// The card's values of `order::CARD_SORT_COLUMNS`, in that order.
    pub sort_values: Vec<Value>,
}

/// The assignee key of unassigned contacts (NULL).
const UNASSIGNED: i64 = i64::MIN;

/// Folds a tag name as `COLLATE NOCASE` does (ASCII letters only).
pub fn tag_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[derive(Default)]
pub struct Facets {
    pub live: RoaringBitmap,
    companies: RoaringBitmap,
    visibility: [RoaringBitmap; 3],
    tagged: RoaringBitmap,
    tags: HashMap<String, RoaringBitmap>,
    projects: HashMap<i64, RoaringBitmap>,
    assignees: HashMap<i64, RoaringBitmap>,
    authors: HashMap<i64, RoaringBitmap>,
}

/// Adds an id, cheaply when ids come in ascending order.
pub fn append(ids: &mut RoaringBitmap, id: u32) {
    if ids.try_push(id).is_err() {
        ids.insert(id);
    }
}

fn take_out(map: &mut HashMap<impl Eq + std::hash::Hash + Clone, RoaringBitmap>, id: u32) {
    map.retain(|_, ids| {
        ids.remove(id);
        !ids.is_empty()
    });
}

impl Facets {
    /// Every contact's record, from one read (in a transaction of the caller's).
    pub fn read_all(conn: &Connection) -> Result<Facets> {
        let mut facets = Facets::default();
        let mut stmt = conn.prepare(
            "SELECT contact_id, is_company, visibility, author_id, assigned_to_id FROM contact_cards ORDER BY contact_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = contact_id(row.get(0)?)?;
            append(&mut facets.live, id);
            if row.get::<_, bool>(1)? {
                append(&mut facets.companies, id);
            }
            let visibility: i64 = row.get(2)?;
            append(&mut facets.visibility[visibility.clamp(0, 2) as usize], id);
            append(facets.authors.entry(row.get(3)?).or_default(), id);
            let assignee: Option<i64> = row.get(4)?;
            append(facets.assignees.entry(assignee.unwrap_or(UNASSIGNED)).or_default(), id);
        }
        let mut tags = conn.prepare(
            "SELECT t.contact_id, g.name FROM taggings t JOIN tags g ON g.id = t.tag_id ORDER BY t.contact_id",
        )?;
        let mut rows = tags.query([])?;
        while let Some(row) = rows.next()? {
            let id = contact_id(row.get(0)?)?;
            facets
                .tags
                .entry(tag_key(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?))
                .or_default()
                .insert(id);
            facets.tagged.insert(id);
        }
        let mut projects = conn.prepare("SELECT contact_id, project_id FROM contacts_projects")?;
        let mut rows = projects.query([])?;
        while let Some(row) = rows.next()? {
            append(facets.projects.entry(row.get(1)?).or_default(), contact_id(row.get(0)?)?);
        }
        Ok(facets)
    }

    /// The records of `ids` as they are now (missing: deleted).
    pub fn read_records(conn: &Connection, ids: &[i64]) -> Result<Vec<Record>> {
        let sql = format!(
            "SELECT contact_id, is_company, visibility, author_id, assigned_to_id, tags, project_ids, {}
               FROM contact_cards WHERE contact_id IN (SELECT value FROM json_each(?))",
            CARD_SORT_COLUMNS.join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let records = stmt
            .query_map([crate::store::id_list(ids)], |row| {
                let json = |i: usize| -> rusqlite::Result<String> { row.get(i) };
                let sort_values =
                    (7..7 + CARD_SORT_COLUMNS.len()).map(|i| row.get(i)).collect::<rusqlite::Result<_>>()?;
                let fields = (row.get::<_, i64>(0)?, row.get(1)?, row.get::<_, i64>(2)?, row.get(3)?, row.get(4)?);
                Ok((fields, json(5)?, json(6)?, sort_values))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        records
            .into_iter()
            .map(|((id, is_company, visibility, author_id, assigned_to_id), tags, projects, sort_values)| {
                let tags: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
                Ok(Record {
                    sort_values,
                    id: contact_id(id)?,
                    is_company,
                    visibility: visibility.clamp(0, 2) as u8,
                    author_id,
                    assigned_to_id,
                    tags: tags.iter().map(|t| tag_key(t)).collect(),
                    project_ids: serde_json::from_str(&projects).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Takes a contact out of every set (before it is put back as it is now, or deleted).
    pub fn remove(&mut self, id: u32) {
        self.live.remove(id);
        self.companies.remove(id);
        self.visibility.iter_mut().for_each(|v| {
            v.remove(id);
        });
        if self.tagged.remove(id) {
            take_out(&mut self.tags, id);
        }
        take_out(&mut self.projects, id);
        take_out(&mut self.assignees, id);
        take_out(&mut self.authors, id);
    }

    pub fn insert(&mut self, r: &Record) {
        self.live.insert(r.id);
        if r.is_company {
            self.companies.insert(r.id);
        }
        self.visibility[r.visibility as usize].insert(r.id);
        for tag in &r.tags {
            self.tags.entry(tag.clone()).or_default().insert(r.id);
            self.tagged.insert(r.id);
        }
        for project in &r.project_ids {
            self.projects.entry(*project).or_default().insert(r.id);
        }
        self.assignees.entry(r.assigned_to_id.unwrap_or(UNASSIGNED)).or_default().insert(r.id);
        self.authors.entry(r.author_id).or_default().insert(r.id);
    }

    /// The contacts of `within` under any of `keys`.
    fn union_within(map: &HashMap<i64, RoaringBitmap>, keys: &[i64], within: &RoaringBitmap) -> RoaringBitmap {
        keys.iter().filter_map(|k| map.get(k)).fold(RoaringBitmap::new(), |acc, ids| acc | (ids & within))
    }

    /// The contacts of `within` a user may see (API.md §5.3; the same rule as the SQL of
    /// `contacts::filter`).
    fn visible(&self, visibility: &Visibility, within: &RoaringBitmap) -> RoaringBitmap {
        match visibility {
            Visibility::Everything => within & &self.live,
            Visibility::Restricted { user_id, public_ok, view, private } => {
                let mut seen = Self::union_within(&self.projects, private, within);
                if *public_ok {
                    seen |= &self.visibility[1] & within;
                }
                if !view.is_empty() {
                    let mut allowed = within - &self.visibility[2];
                    if let Some(own) = self.authors.get(user_id) {
                        allowed |= own & within;
                    }
                    if let Some(own) = self.assignees.get(user_id) {
                        allowed |= own & within;
                    }
                    seen |= Self::union_within(&self.projects, view, within) & allowed;
                }
                seen
            }
        }
    }

    /// Narrows `m` by an id filter on a column whose NULLs (unassigned) are under `UNASSIGNED`.
    fn narrow_by_id(m: &mut RoaringBitmap, map: &HashMap<i64, RoaringBitmap>, f: &IdFilter) {
        match f {
            IdFilter::In(ids) => *m = Self::union_within(map, ids, m),
            IdFilter::NotIn(ids) => *m -= Self::union_within(map, ids, m),
            IdFilter::Any => *m -= Self::union_within(map, &[UNASSIGNED, 0], m),
            IdFilter::None => *m = Self::union_within(map, &[UNASSIGNED, 0], m),
        }
    }

    /// The contacts holding every one of these tags (none when a name is no tag, or two name
    /// the same tag: the SQL counts distinct taggings against the names given).
    fn tagged_with_all(&self, names: &[String]) -> RoaringBitmap {
        let mut keys: Vec<String> = names.iter().map(|n| tag_key(n)).collect();
        let given = keys.len();
        keys.sort();
        keys.dedup();
        if keys.len() != given {
            return RoaringBitmap::new();
        }
        let mut sets = keys.iter().map(|k| self.tags.get(k));
        let Some(Some(first)) = sets.next() else { return RoaringBitmap::new() };
        let mut all = first.clone();
        for set in sets {
            match set {
                Some(set) => all &= set,
                None => return RoaringBitmap::new(),
            }
        }
        all
    }

    /// Whether a tag name names a tag (the SQL's `NotAll` of an unknown tag holds for all).
    fn knows_tags(&self, names: &[String]) -> bool {
        names.iter().all(|n| self.tags.contains_key(&tag_key(n)))
    }

    /// The contacts passing every filter of `q` these sets hold (the caller checked that the
    /// query has no other filter), search aside.
    pub fn matching(&self, q: &ContactQuery) -> RoaringBitmap {
        self.matching_within(q, &self.live)
    }

    /// The same, among the contacts of `within` only (a few changed ones, say: then cheap).
    pub fn matching_within(&self, q: &ContactQuery, within: &RoaringBitmap) -> RoaringBitmap {
        if q.matches_nothing {
            return RoaringBitmap::new();
        }
        let mut m = self.visible(&q.visibility, within);
        if let Some(projects) = &q.projects {
            m = Self::union_within(&self.projects, projects, &m);
        }
        if let Some(ids) = &q.ids {
            let listed = |ids: &[i64]| ids.iter().filter_map(|id| u32::try_from(*id).ok()).collect::<RoaringBitmap>();
            match ids {
                IdFilter::In(ids) => m &= listed(ids),
                IdFilter::NotIn(ids) => m -= listed(ids),
                IdFilter::Any => {}
                IdFilter::None => m.clear(),
            }
        }
        match &q.tags {
            Some(TagFilter::All(names)) => m &= self.tagged_with_all(names),
            Some(TagFilter::NotAll(names)) if self.knows_tags(names) => m -= self.tagged_with_all(names),
            Some(TagFilter::NotAll(_)) | None => {}
            Some(TagFilter::Any) => m &= &self.tagged,
            Some(TagFilter::None) => m -= &self.tagged,
        }
        if let Some(f) = &q.assigned_to {
            Self::narrow_by_id(&mut m, &self.assignees, f);
        }
        if let Some(f) = &q.author {
            Self::narrow_by_id(&mut m, &self.authors, f);
        }
        match q.is_company {
            Some(true) => m &= &self.companies,
            Some(false) => m -= &self.companies,
            None => {}
        }
        m
    }

    /// Bytes the sets hold (serialized size, about what they take in memory).
    pub fn bytes(&self) -> usize {
        let maps = [&self.projects, &self.assignees, &self.authors];
        let sets = std::iter::once(&self.live)
            .chain([&self.companies, &self.tagged])
            .chain(self.visibility.iter())
            .chain(self.tags.values())
            .chain(maps.iter().flat_map(|m| m.values()));
        sets.map(RoaringBitmap::serialized_size).sum()
    }
}
