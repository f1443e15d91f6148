//! One contact at a time: a company (its own row, in the order the names were drawn) or a
//! person (name in the style of a locale, maybe an employer, job title, birthday), then its
//! e-mails, phones, web presence, visibility, author and assignee, and its projects. The
//! related rows follow (see `related.rs`). Every draw comes from the one seeded [`Rng`], in a
//! fixed order: the same seed gives the same contacts.

use std::fmt::Write as _;

use super::company::{company, Companies};
use super::related::{Owner, Related};
use super::rng::Rng;
use super::setup::Setup;
use super::text::{fill, fold_ascii, opt, surname};
use super::vocab::vocab;
use super::{ANCHOR_MS, SPAN_MS};
use crate::error::Result;
use crate::store::bulk::{BulkLoad, NewContact};

/// Buffers reused from one contact to the next.
#[derive(Default)]
struct Fields {
    first: String,
    last: String,
    middle: String,
    company: String,
    phone: String,
    email: String,
    website: String,
    skype: String,
    birthday: String,
    job_title: String,
    background: String,
    /// ASCII forms of the first and last name, for e-mails and the like.
    first_ascii: String,
    last_ascii: String,
}

/// What was written besides the contacts.
#[derive(Default)]
pub(super) struct Counts {
    pub notes: usize,
    pub deals: usize,
}

/// Where a contact is from and where it belongs.
struct Origin {
    locale: usize,
    country: usize,
    /// The company it is, or works for.
    company: Option<usize>,
    project: usize,
}

pub(super) struct Generator {
    total: usize,
    companies: Companies,
    f: Fields,
    related: Related,
}

impl Generator {
    pub fn new(setup: &Setup, contacts: usize, rng: &mut Rng) -> Generator {
        Generator {
            total: contacts,
            companies: Companies::new(setup, contacts, rng),
            f: Fields::default(),
            related: Related::default(),
        }
    }

    /// Contact number `i` (from 0; its id is `i + 1`) and its related rows.
    pub fn contact(
        &mut self,
        rng: &mut Rng,
        i: usize,
        setup: &Setup,
        bulk: &mut BulkLoad<'_>,
        counts: &mut Counts,
    ) -> Result<()> {
        let id = i as i64 + 1;
        let is_company = self.companies.next_is_company(rng, self.total - i);
        let created = created_at(i, self.total, rng.below(3_600_000) as i64);
        let updated = if rng.percent(50) { created } else { rng.between(created, ANCHOR_MS) };
        let f = &mut self.f;
        for s in [
            &mut f.first,
            &mut f.last,
            &mut f.middle,
            &mut f.company,
            &mut f.phone,
            &mut f.email,
            &mut f.website,
            &mut f.skype,
            &mut f.birthday,
            &mut f.job_title,
            &mut f.background,
            &mut f.first_ascii,
            &mut f.last_ascii,
        ] {
            s.clear();
        }
        let origin = if is_company { self.company_row() } else { self.person(rng, setup) };
        let v = vocab();
        let locale = &v.locales[origin.locale];
        let country = &v.countries[locale.countries[origin.country].0];
        let domain = origin.company.map(|k| self.companies.list[k].domain.as_str());
        let f = &mut self.f;

        // E-mails: comma separated, no spaces.
        let n_emails = 1 + rng.weighted(&[60, 90, 100]);
        for e in 0..n_emails {
            if e > 0 {
                f.email.push(',');
            }
            if is_company {
                f.email.push_str(v.mailboxes[(e + rng.below(2)) % v.mailboxes.len()]);
                f.email.push('@');
                f.email.push_str(domain.unwrap_or("example.com"));
                continue;
            }
            let first = if f.first_ascii.is_empty() { "contact" } else { f.first_ascii.as_str() };
            let last = f.last_ascii.as_str();
            match (e, rng.below(4)) {
                (0, _) if domain.is_some() => {
                    let _ = write!(f.email, "{first}.{last}@{}", domain.unwrap_or_default());
                }
                (_, 0) => {
                    let _ = write!(f.email, "{first}{last}{}@{}", rng.between(1, 99), rng.pick(&locale.mail));
                }
                (_, 1) => {
                    let _ = write!(f.email, "{}{last}@{}", &first[..1], rng.pick(&locale.mail));
                }
                (_, 2) => {
                    let _ = write!(f.email, "{last}.{first}@{}", rng.pick(&locale.mail));
                }
                _ => {
                    let _ = write!(f.email, "{first}.{last}");
                    if e > 0 {
                        let _ = write!(f.email, "{e}");
                    }
                    let _ = write!(f.email, "@{}", rng.pick(&locale.mail));
                }
            }
        }

        // Phones: comma and space separated.
        let n_phones = 1 + rng.weighted(&[55, 88, 100]);
        for p in 0..n_phones {
            if p > 0 {
                f.phone.push_str(", ");
            }
            let template = rng.pick(&country.phones);
            fill(rng, template, &mut f.phone);
        }

        if is_company {
            if rng.percent(75) {
                let _ = write!(f.website, "https://www.{}", domain.unwrap_or("example.com"));
            }
            if rng.percent(15) {
                let _ = write!(
                    f.background,
                    "{} company, founded in {}.",
                    rng.pick(&v.industries),
                    rng.between(1950, 2020)
                );
            }
        } else {
            if rng.percent(8) {
                let _ = write!(f.website, "https://www.linkedin.com/in/{}-{}-", f.first_ascii, f.last_ascii);
                rng.hex(8, &mut f.website);
            }
            if rng.percent(15) {
                if rng.percent(50) {
                    f.skype.push_str("live:.cid.");
                    rng.hex(16, &mut f.skype);
                } else {
                    let _ = write!(f.skype, "{}.{}{}", f.first_ascii, f.last_ascii, rng.between(1, 999));
                }
            }
            if rng.percent(10) {
                let _ = write!(f.background, "Met at {} in {}.", rng.pick(&v.events), 2021 + rng.below(5));
            }
        }

        let visibility = match rng.below(100) {
            0..=84 => 0,
            85..=94 => 1,
            _ => 2,
        };
        let assigned = if rng.percent(40) { Some(setup.users[rng.below(setup.users.len())]) } else { None };
        let author = match setup.admin {
            Some(admin) if rng.percent(50) => admin,
            _ => setup.users[rng.below(setup.users.len())],
        };
        bulk.contact(&NewContact {
            id,
            is_company,
            first_name: &f.first,
            last_name: opt(&f.last),
            middle_name: opt(&f.middle),
            company: opt(&f.company),
            phone: opt(&f.phone),
            email: opt(&f.email),
            website: opt(&f.website),
            skype_name: opt(&f.skype),
            birthday: opt(&f.birthday),
            job_title: opt(&f.job_title),
            background: opt(&f.background),
            author_id: author,
            assigned_to_id: assigned,
            visibility,
            created_on: created,
            updated_on: updated,
        })?;

        // Projects: one, sometimes two.
        bulk.contact_project(id, setup.projects[origin.project])?;
        if setup.projects.len() > 1 && rng.percent(30) {
            let mut other = rng.weighted(&setup.project_weights);
            if other == origin.project {
                other = (other + 1) % setup.projects.len();
            }
            bulk.contact_project(id, setup.projects[other])?;
        }

        let owner = Owner {
            id,
            is_company,
            created,
            country,
            project: origin.project,
            assigned,
            display: &f.first,
            customer: if f.company.is_empty() { &f.first } else { &f.company },
        };
        self.related.write(rng, &owner, setup, bulk, counts)
    }

    /// The next company's own row: its name, where it is from, its project.
    fn company_row(&mut self) -> Origin {
        let k = self.companies.take_next();
        let c = &self.companies.list[k];
        self.f.first.push_str(&c.name);
        Origin { locale: c.locale as usize, country: c.country as usize, company: Some(k), project: c.project as usize }
    }

    /// A person: employer (70 %), where from (mostly where the employer is), project (mostly
    /// the employer's), name, company name, job title and birthday.
    fn person(&mut self, rng: &mut Rng, setup: &Setup) -> Origin {
        let v = vocab();
        let companies = &self.companies;
        let f = &mut self.f;
        let employer = if companies.list.is_empty() || rng.percent(30) { None } else { Some(companies.employer(rng)) };
        let (locale_index, country_index) = match employer {
            Some(k) if rng.percent(75) => (companies.list[k].locale as usize, companies.list[k].country as usize),
            _ => {
                let locale = rng.weighted(&companies.origins.locale_weights);
                (locale, rng.weighted(&companies.origins.country_weights[locale]))
            }
        };
        let project = match employer {
            Some(k) if rng.percent(75) => companies.list[k].project as usize,
            _ => rng.weighted(&setup.project_weights),
        };
        let locale = &v.locales[locale_index];
        let female = rng.percent(50);
        f.first.push_str(rng.pick(if female { &locale.first_f } else { &locale.first_m }));
        surname(locale, rng.below(locale.last.len()), female, &mut f.last);
        if !locale.middle.is_empty() && rng.percent(locale.middle_percent) {
            let (m, w) = rng.pick(&locale.middle);
            f.middle.push_str(if female { w } else { m });
        }
        fold_ascii(&f.first, &mut f.first_ascii);
        fold_ascii(&f.last, &mut f.last_ascii);
        match employer {
            Some(k) => f.company.push_str(&companies.list[k].name),
            None if rng.percent(40) => {
                // Works somewhere that is not (yet) a contact.
                let c = company(rng, setup, &companies.origins);
                f.company.push_str(&c.name);
            }
            None => {}
        }
        if rng.percent(88) {
            let title = if !locale.titles.is_empty() && rng.percent(50) {
                rng.pick(&locale.titles)
            } else {
                rng.pick(&v.titles)
            };
            f.job_title.push_str(title);
        }
        if rng.percent(30) {
            let _ =
                write!(f.birthday, "{}-{:02}-{:02}", rng.between(1955, 2003), rng.between(1, 12), rng.between(1, 28));
        }
        Origin { locale: locale_index, country: country_index, company: employer, project }
    }
}

/// When contact number `i` of `total` was created: ids follow creation order over the span, as
/// in a real database, each up to an hour (`jitter_ms`) after its place, but never after the
/// anchor (past it, an update time drawn between creation and the anchor had no range: a
/// million contacts put some updates billions of years off).
fn created_at(i: usize, total: usize, jitter_ms: i64) -> i64 {
    let place = ANCHOR_MS - SPAN_MS + (SPAN_MS as i128 * i as i128 / total as i128) as i64;
    (place + jitter_ms).min(ANCHOR_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_times_stay_within_the_span_at_any_size() {
        for total in [10, 2_000, 1_000_000, 10_000_000] {
            assert_eq!(created_at(0, total, 0), ANCHOR_MS - SPAN_MS);
            assert_eq!(
                created_at(total - 1, total, 3_599_999),
                ANCHOR_MS.min(created_at(total - 1, total, 0) + 3_599_999)
            );
            assert!(created_at(total - 1, total, 3_599_999) <= ANCHOR_MS);
        }
    }
}
