//! A contact's related rows, after the contact itself: its address (about 80 %), tags (0 to
//! 3, popular ones far more often), custom values, notes (about 10 %) and deal (about 5 %).
//! Drawn in that order from the same [`Rng`] as the contact.

use std::fmt::Write as _;

use super::contact::Counts;
use super::rng::Rng;
use super::setup::Setup;
use super::text::{fill, set};
use super::vocab::{vocab, Country, NOTE_TYPES, SEGMENT_WEIGHTS};
use super::{ANCHOR_MS, DAY_MS};
use crate::domain::{normalize_decimal, Address};
use crate::error::Result;
use crate::store::bulk::{BulkLoad, NewDeal, NewNote};

/// What the related rows need to know of their contact.
pub(super) struct Owner<'a> {
    pub id: i64,
    pub is_company: bool,
    pub created: i64,
    pub country: &'static Country,
    /// Index into the setup's projects.
    pub project: usize,
    pub assigned: Option<i64>,
    /// What notes call the contact.
    pub display: &'a str,
    /// Whom a deal is for: the person's company, or the contact itself.
    pub customer: &'a str,
}

/// Buffers reused from one contact to the next.
#[derive(Default)]
pub(super) struct Related {
    address: Address,
    text: String,
    scratch: String,
}

impl Related {
    pub fn write(
        &mut self,
        rng: &mut Rng,
        owner: &Owner<'_>,
        setup: &Setup,
        bulk: &mut BulkLoad<'_>,
        counts: &mut Counts,
    ) -> Result<()> {
        if rng.percent(if owner.is_company { 92 } else { 78 }) {
            self.address(rng, owner, bulk)?;
        }
        tags(rng, owner, setup, bulk)?;
        self.custom_values(rng, owner, setup, bulk)?;
        if rng.percent(10) {
            counts.notes += self.notes(rng, owner, setup, bulk)?;
        }
        if rng.percent(5) {
            self.deal(rng, owner, setup, bulk)?;
            counts.deals += 1;
        }
        Ok(())
    }

    /// An address in the contact's country, in its street form.
    fn address(&mut self, rng: &mut Rng, owner: &Owner<'_>, bulk: &mut BulkLoad<'_>) -> Result<()> {
        let country = owner.country;
        let place = rng.pick(&country.places);
        let a = &mut self.address;
        let street = a.street1.get_or_insert_with(String::new);
        street.clear();
        for c in country.street_form.chars() {
            match c {
                'N' => {
                    let _ = write!(street, "{}", 1 + rng.below(250));
                }
                'n' => {
                    let _ = write!(street, "{}", 1 + rng.below(30));
                }
                'S' => street.push_str(rng.pick(&country.streets)),
                c => street.push(c),
            }
        }
        if rng.percent(12) {
            let s2 = a.street2.get_or_insert_with(String::new);
            s2.clear();
            let template = rng.pick(&country.street2);
            fill(rng, template, s2);
        } else {
            a.street2 = None;
        }
        set(&mut a.city, place.city);
        set(&mut a.region, place.region);
        let pc = a.postcode.get_or_insert_with(String::new);
        pc.clear();
        fill(rng, place.postcode, pc);
        if pc.is_empty() {
            a.postcode = None;
        }
        set(&mut a.country_code, country.code);
        a.contact_id = owner.id;
        a.created_at = owner.created;
        a.updated_at = owner.created;
        bulk.address(a)
    }

    fn custom_values(
        &mut self,
        rng: &mut Rng,
        owner: &Owner<'_>,
        setup: &Setup,
        bulk: &mut BulkLoad<'_>,
    ) -> Result<()> {
        let v = vocab();
        if rng.percent(15) {
            self.scratch.clear();
            let _ = write!(
                self.scratch,
                "{}-{}-{:05}",
                rng.pick(&v.license_editions),
                2019 + rng.below(7),
                rng.below(100_000)
            );
            bulk.custom_value(owner.id, setup.license_field, &self.scratch)?;
        }
        if rng.percent(if owner.is_company { 45 } else { 10 }) {
            let segment = v.segments[rng.weighted(&SEGMENT_WEIGHTS)];
            bulk.custom_value(owner.id, setup.segment_field, segment)?;
        }
        Ok(())
    }

    /// One to three notes; answers how many.
    fn notes(&mut self, rng: &mut Rng, owner: &Owner<'_>, setup: &Setup, bulk: &mut BulkLoad<'_>) -> Result<usize> {
        let v = vocab();
        let display = owner.display;
        let n = 1 + rng.weighted(&[60, 90, 100]);
        for _ in 0..n {
            let kind = rng.below(NOTE_TYPES);
            self.text.clear();
            let product = rng.pick(&v.products).to_lowercase();
            let _ = match rng.below(6) {
                0 => write!(self.text, "Called {display}: interested in the {product}. Follow up next week."),
                1 => write!(self.text, "Sent the quote for the {product}."),
                2 => write!(self.text, "Met at {}; wants a demo of the {product}.", rng.pick(&v.events)),
                3 => write!(self.text, "Asked for a discount on the {product}."),
                4 => write!(self.text, "Left a voicemail for {display}."),
                _ => write!(self.text, "Contract for the {product} signed, handing over to support."),
            };
            let at = rng.between(owner.created, ANCHOR_MS);
            let subject = if rng.percent(50) { Some(v.note_subjects[kind]) } else { None };
            bulk.note(&NewNote {
                contact_id: owner.id,
                subject,
                content: &self.text,
                author_id: user(rng, setup),
                type_id: kind as i64,
                created_on: at,
                updated_on: at,
            })?;
        }
        Ok(n)
    }

    fn deal(&mut self, rng: &mut Rng, owner: &Owner<'_>, setup: &Setup, bulk: &mut BulkLoad<'_>) -> Result<()> {
        let v = vocab();
        self.text.clear();
        let _ = write!(self.text, "{} for {}", rng.pick(&v.products), owner.customer);
        // Mostly round sums; some with cents ("12000" is stored as "12000.0").
        let whole = rng.between(10, 10_000) * 50;
        self.scratch.clear();
        if rng.percent(20) {
            let _ = write!(self.scratch, "{whole}.{:02}", rng.below(100));
        } else {
            let _ = write!(self.scratch, "{whole}");
        }
        let price = normalize_decimal(&self.scratch);
        let status = rng.weighted(&[60, 85, 100]);
        let probability = match status {
            0 => 10 * rng.between(1, 9),
            1 => 100,
            _ => 0,
        };
        let at = rng.between(owner.created, ANCHOR_MS);
        let changed = rng.between(at, ANCHOR_MS);
        let due = at + rng.between(30, 180) * DAY_MS;
        let author = user(rng, setup);
        let assignee = match owner.assigned {
            Some(a) => Some(a),
            None if rng.percent(50) => Some(user(rng, setup)),
            None => None,
        };
        let categories = &setup.categories[owner.project];
        let category = if rng.percent(70) { Some(categories[rng.below(categories.len())]) } else { None };
        bulk.deal(&NewDeal {
            contact_id: owner.id,
            name: &self.text,
            currency: owner.country.currency,
            price: price.as_deref(),
            project_id: setup.projects[owner.project],
            author_id: author,
            assigned_to_id: assignee,
            status_id: setup.statuses[status],
            category_id: category,
            due_date: due,
            probability,
            created_on: at,
            updated_on: changed,
        })?;
        Ok(())
    }
}

/// Tags: 0–3, popular ones far more often, never twice.
fn tags(rng: &mut Rng, owner: &Owner<'_>, setup: &Setup, bulk: &mut BulkLoad<'_>) -> Result<()> {
    let n_tags = rng.weighted(&[35, 70, 90, 100]);
    let mut chosen = [usize::MAX; 3];
    for position in 0..n_tags {
        let mut t = rng.weighted(&setup.tag_weights);
        while chosen.contains(&t) {
            t = (t + 1) % setup.tag_ids.len();
        }
        chosen[position] = t;
        bulk.tagging(owner.id, setup.tag_ids[t], position as i64)?;
    }
    Ok(())
}

/// The author of a note or deal: the administrator for a quarter, else a demo user.
fn user(rng: &mut Rng, setup: &Setup) -> i64 {
    match setup.admin {
        Some(admin) if rng.percent(25) => admin,
        _ => setup.users[rng.below(setup.users.len())],
    }
}
