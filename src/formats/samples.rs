//! The sample files of tests/data read into records, field by field, and cards written and
//! read back.

use std::collections::HashMap;

use super::csv::Rows;
use super::vcard::{self, Cards, Version};
use super::{scan, FormatError};
use crate::domain::exchange::{Origin, Record};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn cards(bytes: &[u8]) -> Vec<Result<(Origin, Record), FormatError>> {
    Cards::new(bytes).collect()
}

fn rows(bytes: &[u8]) -> Vec<Record> {
    let s = scan(bytes).unwrap();
    let head = bytes.split(|b| *b == b'\n').next().unwrap();
    Rows::new(bytes, &s, head, &[], &HashMap::new()).unwrap().map(|r| r.unwrap().1).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn an_apple_card_with_item_groups_and_a_photo() {
    let all = cards(&data("apple-3.0.vcf"));
    let (origin, r) = all[0].clone().unwrap();
    assert_eq!(origin, Origin { line: 1, card: Some(1) });
    assert_eq!(
        (r.first_name.clone(), r.middle_name.clone(), r.last_name.clone()),
        (s("Johnny"), s("Quincy"), s("Appleseed"))
    );
    assert_eq!(r.company, s("Orchard Supplies"));
    assert_eq!(r.job_title, s("Senior Engineer"));
    assert_eq!(r.emails, ["johnny@orchard.example", "j.appleseed@orchard.example"]);
    assert_eq!(r.phones, ["+1 408 555 0101", "+1 408 555 0102"]);
    assert_eq!(
        (r.street1.clone(), r.street2.clone(), r.city.clone()),
        (s("1 Infinite Loop"), s("Building 4"), s("Cupertino"))
    );
    assert_eq!((r.region.clone(), r.postcode.clone(), r.country.clone()), (s("CA"), s("95014"), s("United States")));
    assert_eq!(r.website, s("https://orchard.example/johnny"));
    assert_eq!(r.birthday, s("1976-04-01"));
    assert_eq!(r.background, s("Met at the developer conference.\nLikes apples, pears and plums."));
    assert_eq!(r.tags, ["vip", "partner"]);
    assert_eq!(r.skype_name, s("johnny.appleseed"));
    assert!(r.had_photo);
    assert!(r.custom.is_empty(), "X-ABLabel, X-ABADR and X-ABUID are no custom fields: {:?}", r.custom);
    let (_, company) = all[1].clone().unwrap();
    assert!(company.is_company);
    assert_eq!((company.first_name, company.last_name), (s("Orchard Supplies"), None));
    assert_eq!(company.phones, ["+1 408 555 0199"]);
    assert_eq!(all.len(), 2);
}

#[test]
fn an_android_2_1_file_with_quoted_printable_and_latin_1() {
    let all: Vec<Record> = cards(&data("android-2.1.vcf")).into_iter().map(|c| c.unwrap().1).collect();
    assert_eq!(all.len(), 3);
    let r = &all[0];
    assert_eq!(
        (r.first_name.clone(), r.middle_name.clone(), r.last_name.clone()),
        (s("Иван"), s("Петрович"), s("Иванов"))
    );
    assert_eq!(r.company, s("ООО «Ромашка»"));
    assert_eq!(r.job_title, s("Директор"));
    assert_eq!(r.phones, ["+7 912 345-67-89", "+7 495 123-45-67"]);
    assert_eq!(r.emails, ["ivan.ivanov@example.ru"]);
    assert_eq!(r.background, s("Первая строка\nВторая"));
    assert_eq!((all[1].first_name.clone(), all[1].last_name.clone()), (s("Jürgen"), s("Müller")));
    assert!(all[1].custom.is_empty());
    assert_eq!((all[2].first_name.clone(), all[2].last_name.clone()), (s("Käthe"), s("Größe")));
}

#[test]
fn a_4_0_card_and_an_organisation() {
    let all: Vec<Record> = cards(&data("rfc6350-4.0.vcf")).into_iter().map(|c| c.unwrap().1).collect();
    let r = &all[0];
    assert_eq!(
        (r.first_name.clone(), r.middle_name.clone(), r.last_name.clone()),
        (s("Anna"), s("Maria"), s("Schmidt"))
    );
    assert_eq!(r.phones, ["+49-30-555-0100"]);
    assert_eq!(r.birthday, s("1980-05-15"));
    assert_eq!(r.tags, ["lead", "conference 2024"]);
    assert_eq!(r.custom, [("LICENSE".to_string(), vec!["Gold".to_string()])]);
    assert_eq!(r.skype_name, s("anna.schmidt"));
    assert_eq!(
        (r.street1.clone(), r.postcode.clone(), r.country.clone()),
        (s("Hauptstr. 1"), s("10115"), s("Germany"))
    );
    assert!(all[1].is_company);
    assert_eq!(all[1].first_name, s("Beispiel GmbH"));
}

#[test]
fn cards_written_read_back_the_same_in_both_versions() {
    let r = Record {
        first_name: s("Ann, \"the\" first"),
        last_name: s("O'Neil; Jr"),
        middle_name: s("Mary"),
        company: s("Acme, Inc."),
        job_title: s("CEO"),
        website: s("https://acme.example"),
        skype_name: s("ann.oneil"),
        birthday: s("1980-10-21"),
        background: s("Line one\r\nLine two; with: punctuation\\"),
        phones: vec!["+1 555 0100".into(), "+1 555 0101".into()],
        emails: vec!["ann@acme.example".into(), "a@b.example".into()],
        street1: s("12, Main St"),
        street2: s("Suite 4"),
        city: s("Springfield"),
        region: s("IL"),
        postcode: s("62701"),
        country: s("US"),
        tags: vec!["vip".into(), "cold, call".into()],
        custom: vec![("License".into(), vec!["Gold".into()]), ("Languages".into(), vec!["en".into(), "ru".into()])],
        assignee: s("jsmith"),
        ..Default::default()
    };
    for version in [Version::V3, Version::V4] {
        let mut out = String::new();
        vcard::write(&r, version, &mut out);
        assert!(out.lines().all(|l| l.len() <= 76), "folded: {out}");
        let back = cards(out.as_bytes()).remove(0).unwrap().1;
        let mut expected = r.clone();
        expected.background = s("Line one\nLine two; with: punctuation\\");
        expected.country = s("United States");
        expected.custom =
            vec![("LICENSE".into(), vec!["Gold".into()]), ("LANGUAGES".into(), vec!["en".into(), "ru".into()])];
        assert_eq!(back, expected, "{version:?}: {out}");
    }
}

#[test]
fn broken_files_are_refused_at_their_line() {
    let truncated = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n";
    let all = cards(truncated);
    assert!(all[0].is_ok());
    assert_eq!(all[1].clone().unwrap_err().line, 5);
    assert_eq!(cards(b"hello\r\n")[0].clone().unwrap_err().line, 1);
    let binary = b"BEGIN:VCARD\r\nFN:\x00\x01\x02\r\n";
    assert_eq!(cards(binary)[0].clone().unwrap_err().line, 2);
}

#[test]
fn google_contacts_csv() {
    let all = rows(&data("google-contacts.csv"));
    let r = &all[0];
    assert_eq!((r.first_name.clone(), r.middle_name.clone(), r.last_name.clone()), (s("Jane"), s("Ann"), s("Doe")));
    assert_eq!((r.company.clone(), r.job_title.clone()), (s("Acme Corp"), s("Sales Manager")));
    assert_eq!(r.birthday, s("1985-07-14"));
    assert_eq!(r.background, s("Met at the expo.\nWants a quote."));
    assert_eq!(r.tags, ["Customers", "VIP"]);
    assert_eq!(r.emails, ["jane.doe@acme.example", "jane@home.example"]);
    assert_eq!(r.phones, ["+1 555 0100", "+1 555 0101", "+1 555 0102"]);
    assert_eq!(
        (r.street1.clone(), r.street2.clone(), r.city.clone()),
        (s("1 Main St"), s("Suite 4"), s("Springfield"))
    );
    assert_eq!((r.region.clone(), r.postcode.clone(), r.country.clone()), (s("IL"), s("62701"), s("United States")));
    assert_eq!(r.website, s("https://acme.example/jane"));
    assert_eq!((all[1].first_name.clone(), all[1].emails.clone()), (s("Bob"), vec!["bob@builder.example".to_string()]));
    assert!(all[1].tags.is_empty());
}

#[test]
fn outlook_csv_in_windows_1252() {
    let all = rows(&data("outlook.csv"));
    let r = &all[0];
    assert_eq!((r.first_name.clone(), r.last_name.clone()), (s("François"), s("Lefèvre")));
    assert_eq!(r.job_title, s("Directeur commercial"), "Outlook's Title is an honorific");
    assert_eq!(r.company, s("Société Générale d'Exemple"));
    assert_eq!(r.emails, ["f.lefevre@exemple.fr"]);
    assert_eq!(r.phones, ["+33 1 23 45 67 89", "+33 6 12 34 56 78"]);
    assert_eq!(
        (r.street1.clone(), r.city.clone(), r.postcode.clone()),
        (s("12 rue de la Paix"), s("Paris"), s("75002"))
    );
    assert_eq!(r.country, s("France"));
    assert_eq!(r.website, s("www.exemple.fr"));
    assert_eq!(r.birthday, s("1970-03-21"));
    assert_eq!(r.background, s("Préfère le café."));
    assert_eq!(r.tags, ["Clients", "Paris"]);
    assert_eq!((all[1].first_name.clone(), all[1].last_name.clone()), (s("Zoë"), s("Ægir")));
    assert_eq!((all[1].street1.clone(), all[1].city.clone()), (s("Storgata 1"), s("Oslo")));
}

#[test]
fn csv_files_that_are_not_what_they_claim() {
    let ragged = b"First Name,Last Name\r\nAnn,Lee\r\nBob\r\n";
    let s = scan(&ragged[..]).unwrap();
    let errors: Vec<_> = Rows::new(&ragged[..], &s, b"First Name,Last Name", &[], &HashMap::new()).unwrap().collect();
    assert_eq!(errors[1].clone().unwrap_err().line, 3);
    let unknown = b"Foo;Bar\r\n1;2\r\n";
    let s = scan(&unknown[..]).unwrap();
    assert_eq!(Rows::new(&unknown[..], &s, b"Foo;Bar", &[], &HashMap::new()).err().unwrap().line, 1);
    let semicolons = "\u{feff}First Name;Email\r\nAnn;ann@x.example, ann2@x.example\r\n".as_bytes();
    assert_eq!(rows(semicolons)[0].emails, ["ann@x.example", "ann2@x.example"]);
}

/// Random bytes, and sample files cut and mangled at random: errors or records, never a panic.
#[test]
fn garbage_never_panics() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let samples: Vec<Vec<u8>> =
        ["apple-3.0.vcf", "android-2.1.vcf", "rfc6350-4.0.vcf", "google-contacts.csv", "outlook.csv"]
            .iter()
            .map(|n| data(n))
            .collect();
    for round in 0..400 {
        let mut bytes = samples[round % samples.len()].clone();
        match round % 3 {
            0 => bytes.truncate((next() as usize) % (bytes.len() + 1)),
            1 => {
                for _ in 0..8 {
                    let i = (next() as usize) % bytes.len();
                    bytes[i] = next() as u8;
                }
            }
            _ => bytes = (0..(next() % 300)).map(|_| next() as u8).collect(),
        }
        let _: Vec<_> = Cards::new(&bytes[..]).collect();
        if let Ok(s) = scan(&bytes[..]) {
            let head = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            if let Ok(rows) = Rows::new(&bytes[..], &s, head, &[], &HashMap::new()) {
                let _: Vec<_> = rows.collect();
            }
        }
    }
}

/// Headers as Apple/iCloud export tools write them ("Email : work", "Address : home : city").
#[test]
fn apple_style_csv_headers() {
    let file = "First name,Last name,Organization,Job Title,Email : work,Phone : mobile,Address : work : street,\
Address : work : city,Address : work : zip,Address : work : country,Note\r\n\
Tim,Apple,Orchard,CEO,tim@orchard.example,+1 408 555 0100,1 Loop,Cupertino,95014,United States,Hello\r\n";
    let r = rows(file.as_bytes()).remove(0);
    assert_eq!((r.first_name, r.last_name, r.company, r.job_title), (s("Tim"), s("Apple"), s("Orchard"), s("CEO")));
    assert_eq!((r.emails, r.phones), (vec!["tim@orchard.example".to_string()], vec!["+1 408 555 0100".to_string()]));
    assert_eq!(
        (r.street1, r.city, r.postcode, r.country),
        (s("1 Loop"), s("Cupertino"), s("95014"), s("United States"))
    );
    assert_eq!(r.background, s("Hello"));
}
