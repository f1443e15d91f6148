//! The vocabulary of the demo data: countries (phones, streets, places), locales (names, mail
//! providers, job titles, company styles) and the shared word lists. It lives in the text files
//! under `data/`, compiled into the binary and parsed once, on first use, into [`Vocab`]; every
//! item borrows from the embedded text.

use std::sync::OnceLock;

/// The segments' weights (cumulative, in percent); `vocabulary.txt` lists as many segments.
pub(super) const SEGMENT_WEIGHTS: [u32; 5] = [35, 65, 85, 95, 100];
/// Note types (0 e-mail, 1 call, 2 meeting); `vocabulary.txt` names a subject for each.
pub(super) const NOTE_TYPES: usize = 3;
/// The main projects that get regional subprojects (the first ones listed).
pub(super) const REGIONAL_PARENTS: usize = 4;

pub(super) struct Country {
    pub code: &'static str,
    pub currency: &'static str,
    pub tld: &'static str,
    pub phones: Vec<&'static str>,
    pub street_form: &'static str,
    pub streets: Vec<&'static str>,
    pub street2: Vec<&'static str>,
    pub places: Vec<Place>,
}

#[derive(Clone, Copy)]
pub(super) struct Place {
    pub city: &'static str,
    pub region: &'static str,
    pub postcode: &'static str,
}

/// How company names of a language look (see `locales.txt`).
pub(super) struct CompanyStyle {
    pub templates: Vec<&'static str>,
    pub words: Vec<&'static str>,
    pub brands: Vec<&'static str>,
    pub forms: Vec<&'static str>,
}

pub(super) struct Locale {
    pub weight: u32,
    /// The demo users are drawn from this locale.
    pub users: bool,
    pub first_m: Vec<&'static str>,
    pub first_f: Vec<&'static str>,
    pub last: Vec<&'static str>,
    /// Russian-style surnames: Ivanov → Ivanova for women.
    pub gendered_last: bool,
    /// Middle names: (for men, for women).
    pub middle: Vec<(&'static str, &'static str)>,
    pub middle_percent: u32,
    /// (index into [`Vocab::countries`], weight).
    pub countries: Vec<(usize, u32)>,
    pub mail: Vec<&'static str>,
    pub titles: Vec<&'static str>,
    pub company: CompanyStyle,
}

pub(super) struct Vocab {
    pub countries: Vec<Country>,
    pub locales: Vec<Locale>,
    /// What companies do, for their backgrounds (the English company words).
    pub industries: Vec<&'static str>,
    pub titles: Vec<&'static str>,
    /// In order of popularity.
    pub tags: Vec<&'static str>,
    pub segments: Vec<&'static str>,
    pub products: Vec<&'static str>,
    pub events: Vec<&'static str>,
    pub note_subjects: Vec<&'static str>,
    /// Identifier, name, description.
    pub main_projects: Vec<[&'static str; 3]>,
    /// Identifier suffix, name.
    pub regions: Vec<[&'static str; 2]>,
    pub deal_categories: Vec<&'static str>,
    pub mailboxes: Vec<&'static str>,
    pub license_editions: Vec<&'static str>,
}

/// The vocabulary, parsed on first use.
pub(super) fn vocab() -> &'static Vocab {
    static VOCAB: OnceLock<Vocab> = OnceLock::new();
    VOCAB.get_or_init(|| {
        Vocab::parse(
            include_str!("data/countries.txt"),
            include_str!("data/locales.txt"),
            include_str!("data/vocabulary.txt"),
        )
    })
}

impl Vocab {
    /// Parses the three files. They are part of the program, so a mistake in them is a bug:
    /// it panics, naming the file's section and key (the tests parse them).
    fn parse(countries: &'static str, locales: &'static str, words: &'static str) -> Vocab {
        let country_sections = sections("countries.txt", countries);
        let countries: Vec<Country> = country_sections.iter().map(Section::country).collect();
        let locale_sections = sections("locales.txt", locales);
        let locales: Vec<Locale> = locale_sections
            .iter()
            .map(|s| s.locale(|name| country_sections.iter().position(|c| c.name == name)))
            .collect();
        let english = locale_sections.iter().find(|s| s.name == "English").expect("locales.txt has [English]");
        let w = sections("vocabulary.txt", words).pop().expect("vocabulary.txt has words");
        w.check_keys(&[
            "job titles",
            "tags",
            "segments",
            "products",
            "events",
            "note subjects",
            "main projects",
            "regions",
            "deal categories",
            "company mailboxes",
            "license editions",
        ]);
        let vocab = Vocab {
            countries,
            locales,
            industries: english.list("company words"),
            titles: w.list("job titles"),
            tags: w.list("tags"),
            segments: w.list("segments"),
            products: w.list("products"),
            events: w.list("events"),
            note_subjects: w.list("note subjects"),
            main_projects: w.parts("main projects"),
            regions: w.parts("regions"),
            deal_categories: w.list("deal categories"),
            mailboxes: w.list("company mailboxes"),
            license_editions: w.list("license editions"),
        };
        assert_eq!(vocab.segments.len(), SEGMENT_WEIGHTS.len(), "vocabulary.txt: one weight per segment");
        assert_eq!(vocab.note_subjects.len(), NOTE_TYPES, "vocabulary.txt: one subject per note type");
        assert!(vocab.main_projects.len() >= REGIONAL_PARENTS, "vocabulary.txt: main projects");
        assert!(vocab.locales.iter().any(|l| l.users), "locales.txt: no locale for the users");
        vocab
    }
}

/// A `[name]` section of a data file (the lines before the first one form a section named "")
/// and its `key: items` lines, in order.
struct Section {
    file: &'static str,
    name: &'static str,
    entries: Vec<(&'static str, Vec<&'static str>)>,
}

fn sections(file: &'static str, text: &'static str) -> Vec<Section> {
    let mut out = vec![Section { file, name: "", entries: Vec::new() }];
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push(Section { file, name, entries: Vec::new() });
            continue;
        }
        let (key, items) = line.split_once(':').unwrap_or_else(|| panic!("{file}: not `key: items`: {line}"));
        let section = out.last_mut().expect("there is always a section");
        section.entries.push((key.trim(), items.split('|').map(str::trim).collect()));
    }
    out.retain(|s| !(s.name.is_empty() && s.entries.is_empty()));
    out
}

impl Section {
    fn check_keys(&self, allowed: &[&str]) {
        for (key, _) in &self.entries {
            assert!(allowed.contains(key), "{} [{}]: unknown key `{key}`", self.file, self.name);
        }
    }

    /// Every item of `key`, over all its lines (none when the key is absent).
    fn list(&self, key: &str) -> Vec<&'static str> {
        self.entries.iter().filter(|(k, _)| *k == key).flat_map(|(_, items)| items.iter().copied()).collect()
    }

    fn one(&self, key: &str) -> &'static str {
        match self.list(key)[..] {
            [item] => item,
            _ => panic!("{} [{}]: `{key}` needs exactly one item", self.file, self.name),
        }
    }

    fn number(&self, key: &str) -> u32 {
        match self.list(key)[..] {
            [] => 0,
            [n] => n.parse().unwrap_or_else(|_| panic!("{} [{}]: `{key}` is no number", self.file, self.name)),
            _ => panic!("{} [{}]: `{key}` needs one number", self.file, self.name),
        }
    }

    fn flag(&self, key: &str) -> bool {
        match self.list(key)[..] {
            [] => false,
            ["yes"] => true,
            _ => panic!("{} [{}]: `{key}` is `yes` or absent", self.file, self.name),
        }
    }

    /// The items of `key`, each split into `N` parts at `;`.
    fn parts<const N: usize>(&self, key: &str) -> Vec<[&'static str; N]> {
        self.list(key)
            .into_iter()
            .map(|item| {
                let parts: Vec<&'static str> = item.split(';').map(str::trim).collect();
                parts.try_into().unwrap_or_else(|_| {
                    panic!("{} [{}]: `{key}` item `{item}` needs {N} parts (`;`)", self.file, self.name)
                })
            })
            .collect()
    }

    fn country(&self) -> Country {
        self.check_keys(&["code", "currency", "tld", "phones", "street form", "streets", "street2", "places"]);
        Country {
            code: self.one("code"),
            currency: self.one("currency"),
            tld: self.one("tld"),
            phones: self.list("phones"),
            street_form: self.one("street form"),
            streets: self.list("streets"),
            street2: self.list("street2"),
            places: self
                .parts("places")
                .into_iter()
                .map(|[city, region, postcode]| Place { city, region, postcode })
                .collect(),
        }
    }

    /// A locale; `country` finds a section of countries.txt by name.
    fn locale(&self, country: impl Fn(&str) -> Option<usize>) -> Locale {
        self.check_keys(&[
            "weight",
            "users",
            "first names (male)",
            "first names (female)",
            "last names",
            "gendered last names",
            "middle names",
            "middle name percent",
            "countries",
            "mail domains",
            "job titles",
            "company templates",
            "company words",
            "company brands",
            "company forms",
        ]);
        let countries = self
            .parts("countries")
            .into_iter()
            .map(|[name, weight]| {
                let index = country(name).unwrap_or_else(|| panic!("locales.txt [{}]: no country {name}", self.name));
                let weight = weight.parse().unwrap_or_else(|_| panic!("locales.txt [{}]: weight {weight}", self.name));
                (index, weight)
            })
            .collect();
        Locale {
            weight: self.number("weight"),
            users: self.flag("users"),
            first_m: self.list("first names (male)"),
            first_f: self.list("first names (female)"),
            last: self.list("last names"),
            gendered_last: self.flag("gendered last names"),
            middle: self.parts("middle names").into_iter().map(|[m, f]| (m, f)).collect(),
            middle_percent: self.number("middle name percent"),
            countries,
            mail: self.list("mail domains"),
            titles: self.list("job titles"),
            company: CompanyStyle {
                templates: self.list("company templates"),
                words: self.list("company words"),
                brands: self.list("company brands"),
                forms: self.list("company forms"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_files_parse_into_complete_lists() {
        let v = vocab();
        assert_eq!((v.countries.len(), v.locales.len()), (17, 9));
        for c in &v.countries {
            assert!(!c.phones.is_empty() && !c.streets.is_empty() && !c.street2.is_empty() && !c.places.is_empty());
        }
        for l in &v.locales {
            assert!(l.weight > 0 && !l.first_m.is_empty() && !l.first_f.is_empty() && !l.last.is_empty());
            assert!(!l.countries.is_empty() && !l.mail.is_empty());
            let c = &l.company;
            assert!(!c.templates.is_empty() && !c.words.is_empty() && !c.brands.is_empty() && !c.forms.is_empty());
            assert_eq!(l.middle.is_empty(), l.middle_percent == 0);
        }
        assert_eq!(v.tags.len(), 12);
        assert_eq!(v.tags[..3], ["customer", "lead", "prospect"]);
        assert_eq!(v.main_projects[0], ["sales", "Sales", "Leads, prospects and customers of the sales team"]);
        assert_eq!(v.industries[0], "Systems");
        // An empty part stays (a place without region or postcode).
        let dubai = v.countries.iter().find(|c| c.code == "AE").unwrap().places[0];
        assert_eq!((dubai.city, dubai.region, dubai.postcode), ("Dubai", "Dubai", ""));
        let ru = v.locales.iter().find(|l| l.gendered_last).unwrap();
        assert_eq!(ru.middle[0], ("Aleksandrovich", "Aleksandrovna"));
    }

    #[test]
    fn a_key_on_several_lines_gathers_its_items() {
        let s = sections("test", "# comment\n[A]\nk: a | b\nk: c\n\n[B]\nk: ; x ;\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].list("k"), ["a", "b", "c"]);
        assert_eq!(s[1].parts::<3>("k"), [["", "x", ""]]);
        assert!(s[1].list("missing").is_empty());
    }
}
