//! Realistic demo and benchmark data: `contacts demo --contacts N` and `serve --demo`.
//!
//! [`generate`] makes N believable contacts (people in several languages and scripts,
//! companies their people work for, e-mails, phones, addresses in sixteen countries, tags with a
//! skewed distribution, custom values, notes and deals) with the projects, users, role and
//! memberships they need, and hands them as plain records to the store's bulk load
//! (`store::bulk`), which owns the SQL, the indexes, triggers and full-text index, and the
//! transaction (all or nothing). A million contacts take well under a minute.
//!
//! The same seed always gives the same contacts, notes and deals: timestamps are spread over
//! the four years before [`ANCHOR_MS`], not "now". Only the demo users' API keys are truly
//! random, so that a demo instance never has guessable keys (the users have no password).
//!
//! Files by job: `vocab` (the words, from `data/*.txt`), `rng` (the seeded draws), `text`
//! (folding, templates, surnames), `setup` (projects, users, fields, tags, statuses),
//! `company` (companies and employers), `contact` (one contact), `related` (its address, tags,
//! custom values, notes and deal).

mod company;
mod contact;
mod related;
mod rng;
mod setup;
mod text;
mod vocab;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::store::bulk;
use contact::{Counts, Generator};
use rng::Rng;

/// What [`generate`] created.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub contacts: usize,
    pub projects: usize,
    pub users: usize,
    pub notes: usize,
    pub deals: usize,
    pub elapsed: Duration,
}

/// 2026-01-01T00:00:00Z: the demo data was created in the four years before this instant.
pub const ANCHOR_MS: i64 = 1_767_225_600_000;
const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 4 * 365 * DAY_MS;

/// Fills the database at `path` (created when missing) with `contacts` demo contacts.
/// Refuses a database that already holds contacts. A running service may have the file open,
/// but this must happen before it answers requests: its caches do not see writes made here.
pub fn generate(path: &Path, contacts: usize, seed: u64) -> Result<DemoSummary> {
    let started = Instant::now();
    bulk::load(path, contacts, |bulk| {
        let setup = setup::setup(bulk, contacts, &mut Rng::new(seed ^ 0x5EED_F00D))?;
        let mut rng = Rng::new(seed);
        let mut gen = Generator::new(&setup, contacts, &mut rng);
        let mut counts = Counts::default();
        for i in 0..contacts {
            gen.contact(&mut rng, i, &setup, bulk, &mut counts)?;
        }
        Ok(DemoSummary {
            contacts,
            projects: setup.projects.len(),
            users: setup.users.len(),
            notes: counts.notes,
            deals: counts.deals,
            elapsed: Duration::ZERO,
        })
    })
    .map(|summary| DemoSummary { elapsed: started.elapsed(), ..summary })
}
