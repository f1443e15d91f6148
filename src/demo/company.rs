//! Companies: their names and web domains in the style of a locale, where they are, which
//! project holds them, and who works for which (a few big employers, most employ a handful).
//! Their names are all drawn before the first contact, so that people can work for any of
//! them, including companies whose own contact row comes later.

use super::rng::{cumulative, zipf, Rng};
use super::setup::Setup;
use super::text::{fold_ascii, surname};
use super::vocab::vocab;

pub(super) struct Company {
    pub name: String,
    pub domain: String,
    pub locale: u8,
    pub country: u8,
    pub project: u16,
}

/// Cumulative weights of the locales and, per locale, of its countries: where a contact is
/// from.
pub(super) struct Origins {
    pub locale_weights: Vec<u32>,
    pub country_weights: Vec<Vec<u32>>,
}

impl Origins {
    fn new() -> Origins {
        let v = vocab();
        Origins {
            locale_weights: cumulative(v.locales.iter().map(|l| l.weight)),
            country_weights: v.locales.iter().map(|l| cumulative(l.countries.iter().map(|c| c.1))).collect(),
        }
    }
}

/// The companies of a load: 15 % of the contacts, whose rows come in the order drawn.
pub(super) struct Companies {
    pub list: Vec<Company>,
    /// How many of them still have their own row to come.
    left: usize,
    /// Zipf weights of the first thousand, for employers.
    skewed: Vec<u32>,
    pub origins: Origins,
}

impl Companies {
    pub fn new(setup: &Setup, contacts: usize, rng: &mut Rng) -> Companies {
        let origins = Origins::new();
        let n = contacts * 15 / 100;
        let list: Vec<Company> = (0..n).map(|_| company(rng, setup, &origins)).collect();
        Companies { list, left: n, skewed: zipf(n.clamp(1, 1000), 0.7), origins }
    }

    /// Whether the next of `remaining` contacts is a company. Selection sampling: exactly
    /// `list.len()` of the rows are companies.
    pub fn next_is_company(&self, rng: &mut Rng, remaining: usize) -> bool {
        self.left > 0 && rng.below(remaining) < self.left
    }

    /// The company whose own row comes now (the next in order).
    pub fn take_next(&mut self) -> usize {
        let k = self.list.len() - self.left;
        self.left -= 1;
        k
    }

    /// The company a person works for: a Zipf-skewed choice among the first thousand (a few
    /// big employers), or a uniform one among all.
    pub fn employer(&self, rng: &mut Rng) -> usize {
        if rng.percent(40) {
            rng.weighted(&self.skewed).min(self.list.len() - 1)
        } else {
            rng.below(self.list.len())
        }
    }
}

/// A company in the style of a locale drawn by `origins`: its name from the locale's templates,
/// its domain from the first two names in it.
pub(super) fn company(rng: &mut Rng, setup: &Setup, origins: &Origins) -> Company {
    let locale_index = rng.weighted(&origins.locale_weights);
    let v = vocab();
    let locale = &v.locales[locale_index];
    let style = &locale.company;
    let template = rng.pick(&style.templates);
    let mut name = String::with_capacity(32);
    let mut domain = String::with_capacity(24);
    let mut parts = 0;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            name.push(c);
            continue;
        }
        let start = name.len();
        let token = chars.next().unwrap_or('F');
        match token {
            'L' => surname(locale, rng.below(locale.last.len()), false, &mut name),
            'W' => name.push_str(rng.pick(&style.words)),
            'B' => name.push_str(rng.pick(&style.brands)),
            _ => name.push_str(rng.pick(&style.forms)),
        }
        if token != 'F' && parts < 2 {
            if parts == 1 {
                domain.push('-');
            }
            fold_ascii(&name[start..], &mut domain);
            parts += 1;
        }
    }
    let domain_len = domain.trim_end_matches('-').len();
    domain.truncate(domain_len);
    let country = rng.weighted(&origins.country_weights[locale_index]);
    domain.push('.');
    domain.push_str(v.countries[locale.countries[country].0].tld);
    Company {
        name,
        domain,
        locale: locale_index as u8,
        country: country as u8,
        project: rng.weighted(&setup.project_weights) as u16,
    }
}
