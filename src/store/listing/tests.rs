//! The list index against SQL: the same count and page for random lists (filters, search
//! words, visibility, sort orders, offsets), before and after random writes.

use crate::domain::changes::{AddressChanges, ContactChanges};
use crate::domain::query::{ContactQuery, IdFilter, SortKey, TagFilter, Visibility};
use crate::store::contacts::{create, delete, sql_list_ids, update};
use crate::store::test_support::{open_small, wait_for, written};
use crate::store::Store;

/// A small deterministic generator (xorshift), so that a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST: [&str; 6] = ["Anna", "Ann", "Boris", "Zoë", "anna", "Li"];
const LAST: [&str; 5] = ["Smith", "Smithe", "Li", "Åberg", "Na"];
const TAGS: [&str; 4] = ["vip", "Lead", "cold", "new"];
const CITIES: [&str; 3] = ["London", "Paris", "Oslo"];

fn random_contact(rng: &mut Rng) -> ContactChanges {
    let tags: Vec<String> = TAGS.iter().filter(|_| rng.chance(30)).map(|t| t.to_string()).collect();
    let projects: Vec<i64> = [1, 2, 3].into_iter().filter(|_| rng.chance(50)).collect();
    ContactChanges {
        first_name: Some(rng.pick(&FIRST).to_string()),
        // Many equal names and NULLs: runs of equal keys longer than a bucket.
        last_name: Some(rng.chance(80).then(|| rng.pick(&LAST).to_string())),
        company: Some(rng.chance(40).then(|| format!("Co{}", rng.below(3)))),
        job_title: Some(rng.chance(50).then(|| format!("Title {}", rng.below(20)))),
        email: Some(rng.chance(50).then(|| format!("x{}@ex.com", rng.below(1000)))),
        is_company: Some(rng.chance(20)),
        visibility: Some(rng.below(3) as i64),
        assigned_to_id: Some(rng.chance(70).then(|| 1 + rng.below(3) as i64)),
        author_id: Some(1 + rng.below(3) as i64),
        tags: Some(tags),
        project_ids: Some(if projects.is_empty() { vec![1] } else { projects }),
        address: Some(AddressChanges {
            city: Some(rng.chance(70).then(|| rng.pick(&CITIES).to_string())),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn random_query(rng: &mut Rng) -> ContactQuery {
    let visibility = if rng.chance(50) {
        Visibility::Everything
    } else {
        Visibility::Restricted {
            user_id: 1 + rng.below(3) as i64,
            public_ok: rng.chance(50),
            view: [1, 2, 3].into_iter().filter(|_| rng.chance(50)).collect(),
            private: [1, 2, 3].into_iter().filter(|_| rng.chance(30)).collect(),
        }
    };
    let mut q = ContactQuery::new(visibility);
    if rng.chance(25) {
        q.projects = Some(vec![1 + rng.below(3) as i64]);
    }
    if rng.chance(30) {
        let tag = |rng: &mut Rng| rng.pick(&["VIP", "lead", "cold", "nosuch"]).to_string();
        q.tags = Some(match rng.below(4) {
            0 => TagFilter::All(vec![tag(rng)]),
            1 => TagFilter::NotAll(vec![tag(rng), tag(rng)]),
            2 => TagFilter::Any,
            _ => TagFilter::None,
        });
    }
    if rng.chance(30) {
        let id_filter = [IdFilter::In(vec![1, 3]), IdFilter::NotIn(vec![2]), IdFilter::Any, IdFilter::None];
        q.assigned_to = Some(rng.pick(&id_filter).clone());
    }
    if rng.chance(15) {
        q.author = Some(IdFilter::In(vec![1 + rng.below(3) as i64]));
    }
    if rng.chance(20) {
        q.is_company = Some(rng.chance(50));
    }
    if rng.chance(10) {
        q.ids = Some(IdFilter::NotIn(vec![1, 2, 3, 5, 8]));
    }
    if rng.chance(40) {
        let words = ["a", "an", "smi", "li", "co1", "london", "zoë", "title 1", "x"];
        q.search_words = rng.pick(&words).split(' ').map(String::from).collect();
    }
    let sorts = [
        SortKey::Name,
        SortKey::LastName,
        SortKey::FirstName,
        SortKey::Company,
        SortKey::City,
        SortKey::Emails,
        SortKey::UpdatedOn,
        SortKey::AssignedTo,
        SortKey::Id,
    ];
    if rng.chance(60) {
        q.sort = vec![(*rng.pick(&sorts), rng.chance(50))];
    }
    q
}

/// The index's answer and SQL's for the same list (None: the index did not answer).
fn both(store: &Store, q: &ContactQuery, offset: i64, limit: i64) -> (Option<(Vec<i64>, i64)>, (Vec<i64>, i64)) {
    let caches = store.list_caches();
    store
        .read(|c| {
            let indexed = caches.listing.answer(c, caches.trigrams, q, (offset, limit))?;
            Ok((indexed, sql_list_ids(c, &caches, q, offset, limit)?))
        })
        .unwrap()
}

fn compare_random_lists(store: &Store, rng: &mut Rng, lists: usize) -> usize {
    store.read(|c| Ok(store.listing.verify(c))).unwrap();
    let mut answered = 0;
    for _ in 0..lists {
        let q = random_query(rng);
        let (offset, limit) = (rng.below(120) as i64, 1 + rng.below(30) as i64);
        let (indexed, sql) = both(store, &q, offset, limit);
        if let Some(indexed) = indexed {
            assert_eq!(indexed, sql, "{q:?} offset {offset} limit {limit}");
            answered += 1;
        }
    }
    answered
}

/// Every order the random lists sort by, built before the comparisons count on them.
fn wait_for_orders(store: &Store, rng: &mut Rng) {
    for _ in 0..40 {
        let q = random_query(rng);
        let _ = both(store, &q, 0, 1);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
}

#[test]
fn lists_from_the_index_are_the_lists_sql_finds_before_and_after_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_small(&dir.path().join("t.db"));
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut ids = written(&store, |c| {
        for p in 1..=3 {
            c.execute(
                "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (?1, 'P', 'p' || ?1, 0, 0)",
                [p],
            )?;
        }
        for (id, first, last) in [(1, "Zed", "Last"), (2, "Amy", "Ant"), (3, "Amy", "Ant")] {
            c.execute(
                "INSERT INTO users (id, login, firstname, lastname, created_on, updated_on) VALUES (?, ?, ?, ?, 0, 0)",
                rusqlite::params![id, format!("u{id}"), first, last],
            )?;
        }
        Ok(Vec::<i64>::new())
    });
    let batch: Vec<ContactChanges> = (0..240).map(|_| random_contact(&mut rng)).collect();
    ids.extend(written(&store, move |c| {
        batch.iter().map(|ch| create(c, ch)).collect::<crate::error::Result<Vec<_>>>()
    }));
    wait_for("the list index", || store.listing.is_built());
    wait_for_orders(&store, &mut rng);
    assert!(compare_random_lists(&store, &mut rng, 300) > 200, "the index answers most lists");

    // Writes of every kind, each in its own transaction, then lists again.
    for round in 0..6 {
        for _ in 0..25 {
            let target = ids[rng.below(ids.len() as u64) as usize];
            let action = rng.below(10);
            let changes = random_contact(&mut rng);
            let created = written(&store, move |c| match action {
                0 => {
                    delete(c, target).or_else(|e| {
                        if matches!(e, crate::error::Error::NotFound) {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })?;
                    Ok(None)
                }
                1..=3 => Ok(Some(create(c, &changes)?)),
                _ => {
                    if c.query_row("SELECT count(*) FROM contacts WHERE id = ?", [target], |r| r.get::<_, i64>(0))? == 1
                    {
                        update(c, target, &changes)?;
                    }
                    Ok(None)
                }
            });
            ids.extend(created);
        }
        wait_for_orders(&store, &mut rng);
        let answered = compare_random_lists(&store, &mut rng, 150);
        assert!(answered > 80, "round {round}: {answered} lists answered by the index");
    }
}

#[test]
fn a_tag_renamed_or_merged_moves_its_contacts_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_small(&dir.path().join("t.db"));
    let mut rng = Rng(7);
    written(&store, move |c| {
        c.execute(
            "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'P', 'p', 0, 0)",
            [],
        )?;
        for _ in 0..60 {
            let mut ch = random_contact(&mut rng);
            ch.project_ids = Some(vec![1]);
            create(c, &ch)?;
        }
        Ok(())
    });
    wait_for("the list index", || store.listing.is_built());
    let tagged = |name: &str| {
        let mut q = ContactQuery::new(Visibility::Everything);
        q.tags = Some(TagFilter::All(vec![name.to_string()]));
        let (indexed, sql) = both(&store, &q, 0, 100);
        assert_eq!(indexed.as_ref(), Some(&sql), "tag {name}");
        sql.1
    };
    let (vip, lead) = (tagged("vip"), tagged("lead"));
    assert!(vip > 0 && lead > 0);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let vip_id: i64 =
        store.read(|c| Ok(c.query_row("SELECT id FROM tags WHERE name = 'vip'", [], |r| r.get(0))?)).unwrap();
    runtime.block_on(store.rename_tag(vip_id, "Gold".into())).unwrap();
    assert_eq!((tagged("vip"), tagged("gold")), (0, vip));
    let lead_id: i64 =
        store.read(|c| Ok(c.query_row("SELECT id FROM tags WHERE name = 'Lead'", [], |r| r.get(0))?)).unwrap();
    runtime.block_on(store.delete_tag(lead_id)).unwrap();
    assert_eq!(tagged("lead"), 0);
}

/// A store of `n` random contacts in three projects, its list index built, and the generator
/// that made them (seeded with `seed`) to go on with.
fn random_contacts(seed: u64, n: usize) -> (tempfile::TempDir, Store, Rng) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_small(&dir.path().join("t.db"));
    let mut rng = Rng(seed);
    let batch: Vec<ContactChanges> = (0..n).map(|_| random_contact(&mut rng)).collect();
    written(&store, move |c| {
        for p in 1..=3 {
            c.execute(
                "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (?1, 'P', 'p' || ?1, 0, 0)",
                [p],
            )?;
        }
        batch.iter().try_for_each(|ch| create(c, ch).map(drop))
    });
    wait_for("the list index", || store.listing.is_built());
    (dir, store, rng)
}

/// Readers asking random lists on several threads while the writer applies changes: nothing
/// waits forever (a reader taking the lock twice behind a waiting writer would), and the
/// answers agree with SQL once the writes stop.
#[test]
fn readers_and_the_writer_never_wait_for_each_other_forever() {
    let (_dir, store, mut rng) = random_contacts(99, 150);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4u64)
        .map(|t| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(1000 + t);
                let mut lists = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let q = random_query(&mut rng);
                    store.contact_page_versions(&q, rng.below(50) as i64, 10).unwrap();
                    lists += 1;
                }
                lists
            })
        })
        .collect();
    for _ in 0..60 {
        let changes = random_contact(&mut rng);
        written(&store, move |c| create(c, &changes).map(drop));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let lists: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(lists > 0);
    assert!(compare_random_lists(&store, &mut rng, 100) > 50);
}

/// An answer kept across a change that does not touch it is still the SQL's answer; one whose
/// matches a change touches is answered anew.
#[test]
fn answers_outlive_changes_that_cannot_touch_them_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_small(&dir.path().join("t.db"));
    let mut rng = Rng(5);
    let batch: Vec<ContactChanges> = (0..80).map(|_| random_contact(&mut rng)).collect();
    written(&store, move |c| {
        c.execute(
            "INSERT INTO projects (id, name, identifier, created_on, updated_on) VALUES (1, 'P', 'p', 0, 0)",
            [],
        )?;
        batch
            .iter()
            .try_for_each(|ch| create(c, &ContactChanges { project_ids: Some(vec![1]), ..ch.clone() }).map(drop))
    });
    wait_for("the list index", || store.listing.is_built());
    let mut q = ContactQuery::new(Visibility::Everything);
    q.search_words = vec!["zoë".into()];
    let check = |expected_change: Option<i64>| {
        let (indexed, sql) = both(&store, &q, 0, 50);
        assert_eq!(indexed.as_ref(), Some(&sql));
        if let Some(total) = expected_change {
            assert_eq!(sql.1, total);
        }
        sql.1
    };
    let before = check(None);
    let unrelated =
        ContactChanges { first_name: Some("Quentin".into()), project_ids: Some(vec![1]), ..Default::default() };
    written(&store, move |c| create(c, &unrelated).map(drop));
    check(Some(before));
    let matching = ContactChanges { first_name: Some("Zoë".into()), project_ids: Some(vec![1]), ..Default::default() };
    written(&store, move |c| create(c, &matching).map(drop));
    check(Some(before + 1));
}

/// A list paged through from the first page to the last, as client libraries fetch everything:
/// every page equals SQL's, also right after a write (the next page's buckets were sorted before
/// it), in several orders, filtered and not.
#[test]
fn lists_paged_through_page_by_page_are_the_lists_sql_pages() {
    let (_dir, store, mut rng) = random_contacts(4242, 160);
    let sorts = [(SortKey::LastName, false), (SortKey::City, true), (SortKey::Name, true), (SortKey::Company, false)];
    for (round, (key, desc)) in sorts.into_iter().enumerate() {
        let mut q = ContactQuery::new(Visibility::Everything);
        q.sort = vec![(key, desc)];
        if round % 2 == 1 {
            q.projects = Some(vec![1]);
        }
        let _ = both(&store, &q, 0, 1);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let (mut offset, mut answered) = (0, 0);
        loop {
            let (indexed, sql) = both(&store, &q, offset, 3);
            if let Some(indexed) = indexed {
                assert_eq!(indexed, sql, "{q:?} offset {offset}");
                answered += 1;
            }
            if offset == 30 {
                // Writes between two pages, moving contacts: the next one is sorted anew.
                let changes: Vec<(i64, ContactChanges)> =
                    (0..20).map(|_| (1 + rng.below(160) as i64, random_contact(&mut rng))).collect();
                written(&store, move |c| changes.iter().try_for_each(|(id, ch)| update(c, *id, ch).map(drop)));
            }
            offset += 3;
            if offset >= sql.1 {
                break;
            }
        }
        assert!(answered > 30, "{q:?}: {answered} pages answered by the index");
    }
}
