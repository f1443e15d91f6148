//! What templates share: the page frame ([`Chrome`]), select options, paging links, field
//! errors, and dates as pages print them.

use crate::domain::time::ymd;

/// The frame of every page: title, who is signed in, navigation, a message left by the
/// previous request, the asset URLs.
#[derive(Clone)]
pub struct Chrome {
    pub title: String,
    /// None on pages for anonymous visitors (the login page, errors before login).
    pub user_name: Option<String>,
    pub is_admin: bool,
    pub can_see_deals: bool,
    pub csrf: String,
    /// The navigation item to mark as current ("contacts", "deals", "admin", "account").
    pub nav: &'static str,
    pub flash: Option<String>,
    pub css: String,
    pub js: String,
}

impl Chrome {
    pub fn anonymous(title: &str) -> Chrome {
        Chrome {
            title: title.to_string(),
            user_name: None,
            is_admin: false,
            can_see_deals: false,
            csrf: String::new(),
            nav: "",
            flash: None,
            css: super::assets::url("app.css"),
            js: super::assets::url("htmx.min.js"),
        }
    }
}

/// One `<option>` of a select.
#[derive(Clone, Debug)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Opt {
        Opt { value: value.to_string(), label: label.into(), selected }
    }
}

/// The validation messages of a form (Redmine's, "Email have incorrect format"), shown next
/// to the field whose label they start with.
#[derive(Clone, Debug, Default)]
pub struct Errors {
    pub messages: Vec<String>,
    /// The labels of the form's fields, to tell which messages no field shows.
    pub labels: Vec<String>,
}

impl Errors {
    pub fn new(messages: Vec<String>, labels: &[&str]) -> Errors {
        Errors { messages, labels: labels.iter().map(|l| l.to_string()).collect() }
    }

    /// The messages about the field labelled `label`.
    pub fn of(&self, label: &str) -> Vec<String> {
        self.messages.iter().filter(|m| starts_with_label(m, label)).cloned().collect()
    }

    pub fn has(&self, label: &str) -> bool {
        self.messages.iter().any(|m| starts_with_label(m, label))
    }

    /// Messages about no field of the form (shown above it).
    pub fn others(&self) -> Vec<String> {
        self.messages.iter().filter(|m| !self.labels.iter().any(|l| starts_with_label(m, l))).cloned().collect()
    }

    pub fn any(&self) -> bool {
        !self.messages.is_empty()
    }
}

fn starts_with_label(message: &str, label: &str) -> bool {
    message.len() > label.len() && message.starts_with(label) && message[label.len()..].starts_with(' ')
}

/// Paging links of a list: "1–25 of 1,000", previous, next and a few page numbers.
#[derive(Clone, Debug, Default)]
pub struct Pager {
    pub total: String,
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

#[derive(Clone, Debug)]
pub struct PageLink {
    pub label: String,
    pub href: String,
    pub current: bool,
    /// "…" between distant page numbers (no link).
    pub gap: bool,
}

impl Pager {
    /// `href(page)` builds the link of a page number (1-based).
    pub fn new(total: i64, offset: i64, limit: i64, href: impl Fn(i64) -> String) -> Pager {
        let pages = ((total + limit - 1) / limit).max(1);
        let current = offset / limit + 1;
        let mut numbers: Vec<i64> = [1, current - 2, current - 1, current, current + 1, current + 2, pages]
            .into_iter()
            .filter(|n| (1..=pages).contains(n))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut links = Vec::new();
        let mut previous = 0;
        for n in numbers {
            if n > previous + 1 {
                links.push(PageLink { label: "…".into(), href: String::new(), current: false, gap: true });
            }
            links.push(PageLink { label: n.to_string(), href: href(n), current: n == current, gap: false });
            previous = n;
        }
        Pager {
            total: thousands(total),
            first: if total == 0 { 0 } else { offset + 1 },
            last: (offset + limit).min(total),
            prev: (current > 1).then(|| href(current - 1)),
            next: (current < pages).then(|| href(current + 1)),
            pages: if pages > 1 { links } else { Vec::new() },
        }
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// `2024-03-01` of a millisecond timestamp.
pub fn date(ms: i64) -> String {
    let (y, m, d) = ymd(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2024-03-01 09:15` (UTC, as the API's times).
pub fn datetime(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{} {:02}:{:02}", date(ms), minutes / 60, minutes % 60)
}

/// A query string from pairs, blanks left out (`?a=1&b=x`, or "" when none).
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
        any = true;
    }
    if any {
        format!("?{}", s.finish())
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagers_show_the_neighbourhood_and_the_ends() {
        let p = Pager::new(1000, 100, 25, |n| format!("?page={n}"));
        assert_eq!((p.first, p.last, p.total.as_str()), (101, 125, "1,000"));
        let labels: Vec<&str> = p.pages.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["1", "…", "3", "4", "5", "6", "7", "…", "40"]);
        assert_eq!(p.prev.as_deref(), Some("?page=4"));
        assert!(Pager::new(3, 0, 25, |n| n.to_string()).pages.is_empty());
        assert_eq!(Pager::new(0, 0, 25, |n| n.to_string()).first, 0);
    }

    #[test]
    fn messages_go_to_the_field_they_name() {
        let e = Errors::new(
            vec![
                "Email have incorrect format".into(),
                "First Name cannot be blank".into(),
                "Project is invalid".into(),
            ],
            &["Email", "First Name"],
        );
        assert_eq!(e.of("Email"), ["Email have incorrect format"]);
        assert!(!e.has("Emai"));
        assert_eq!(e.others(), ["Project is invalid"]);
        assert_eq!(datetime(86_400_000 + 3_600_000 * 9 + 60_000 * 15), "1970-01-02 09:15");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }
}
