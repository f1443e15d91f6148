//! One answer against one expected answer, as `replay.py`'s `compare` does it (the golden
//! README's "What is compared"), with the same difference messages.
//!
//! Status exactly; Content-Type without parameters (only when a body is expected); `Location`
//! by path and query when the expected one is a path, else as a whole; `WWW-Authenticate` when
//! one is expected. The expected body decides how bodies compare: JSON (any value but `null`)
//! as parsed values with key order; XML that starts with a declaration as a tree (declaration,
//! element names, attribute names, order and values, text, child order; whitespace-only text is
//! no text); anything else as exact text; an empty expected body wants an empty body.
//!
//! Normalised on both sides first: every ISO 8601 timestamp (`Z` or an offset, with or without
//! a fraction) becomes `<timestamp>` (with strict timestamps `<timestamp.fffZ>` and the like,
//! keeping the fraction digits and the zone form); in JSON the address record
//! (`address.full_address`, or any object with `addressable_type`) has its `id`, `created_at`
//! and `updated_at` replaced; a user reference (`author`, `assigned_to`, `user`: a JSON object's
//! `id`, an XML element's `id` attribute) whose id `id_map.users` lists counts as the mapped id.
//! Only ASCII digits count as digits in a timestamp (Python's `\d` takes any Unicode digit).

use super::json::{py_list, py_repr, short, short_value, Json};
use super::xml::{self, Element};
use crate::common::Resp;

const USER_REF_KEYS: [&str; 3] = ["author", "assigned_to", "user"];

/// How values are normalised before they are compared.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub strict_timestamps: bool,
    /// `id_map.users` of the fixture: (expected id as text, the id a fresh server gives).
    pub user_map: Vec<(String, Json)>,
}

/// The `expect` (or `captured`) part of a case.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub www_authenticate: Option<String>,
    pub body: String,
}

impl Expect {
    pub fn from_json(v: &Json) -> Result<Expect, String> {
        let text = |key: &str| -> Result<Option<String>, String> {
            match v.get_some(key) {
                None => Ok(None),
                Some(Json::Str(s)) => Ok(Some(s.clone())),
                Some(other) => Err(format!("\"{key}\" is not a string: {}", other.dumps(false))),
            }
        };
        let status = match v.get("status") {
            Some(Json::Int(s)) => u16::try_from(*s).map_err(|_| format!("status {s} out of range"))?,
            other => return Err(format!("\"status\" is not a number: {other:?}")),
        };
        Ok(Expect {
            status,
            content_type: text("content_type")?,
            location: text("location")?,
            www_authenticate: text("www_authenticate")?,
            body: text("body")?.unwrap_or_default(),
        })
    }
}

impl Rules {
    /// replay.py's `norm_scalar` for a string: a timestamp becomes its placeholder.
    pub fn norm_str(&self, s: &str) -> String {
        let Some((fraction, zone)) = timestamp_shape(s) else { return s.to_string() };
        if !self.strict_timestamps {
            return "<timestamp>".to_string();
        }
        let fraction = fraction.map(|n| format!(".{}", "f".repeat(n))).unwrap_or_default();
        format!("<timestamp{fraction}{zone}>")
    }

    /// A user id that `id_map.users` lists, as the mapped id (a string stays a string).
    fn map_user_id(&self, v: &Json) -> Json {
        if matches!(v, Json::Bool(_) | Json::Null) {
            return v.clone();
        }
        let Some(key) = v.py_str() else { return v.clone() };
        match self.user_map.iter().find(|(k, _)| *k == key) {
            Some((_, mapped)) if matches!(v, Json::Str(_)) => Json::Str(mapped.py_str().unwrap_or_default()),
            Some((_, mapped)) => mapped.clone(),
            None => v.clone(),
        }
    }

    /// replay.py's `norm_json`; `key` is the key the value stands under.
    pub fn norm_json(&self, v: &Json, key: Option<&str>) -> Json {
        match v {
            Json::Object(pairs) => {
                let mut pairs: Vec<(String, Json)> =
                    pairs.iter().map(|(k, x)| (k.clone(), self.norm_json(x, Some(k)))).collect();
                if key == Some("full_address") || pairs.iter().any(|(k, _)| k == "addressable_type") {
                    for (k, x) in &mut pairs {
                        match k.as_str() {
                            "id" => *x = Json::Str("<address id>".into()),
                            "created_at" | "updated_at" => *x = Json::Str("<timestamp>".into()),
                            _ => {}
                        }
                    }
                }
                if key.is_some_and(|k| USER_REF_KEYS.contains(&k)) && !self.user_map.is_empty() {
                    for (k, x) in &mut pairs {
                        if k == "id" {
                            *x = self.map_user_id(x);
                        }
                    }
                }
                Json::Object(pairs)
            }
            Json::Array(items) => Json::Array(items.iter().map(|x| self.norm_json(x, None)).collect()),
            Json::Str(s) => Json::Str(self.norm_str(s)),
            other => other.clone(),
        }
    }

    /// Every difference between an answer and the expected one (empty when it matches).
    pub fn compare(&self, expect: &Expect, got: &Resp) -> Vec<String> {
        let mut diffs = Vec::new();
        let got_body = got.text();
        if got.status != expect.status {
            let body = short(&got_body, 200);
            let body = if body.is_empty() { "empty".to_string() } else { body };
            diffs.push(format!("status: expected {}, got {} (body {body})", expect.status, got.status));
        }
        let (ect, gct) = (media_type(expect.content_type.as_deref()), media_type(got.header("content-type")));
        if !expect.body.is_empty() && ect != gct {
            diffs.push(format!("content type: expected {}, got {}", or_none(ect.as_deref()), or_none(gct.as_deref())));
        }
        let eloc = expect.location.as_deref();
        let mut gloc = got.header("location").map(str::to_string);
        if let (Some(e), Some(g)) = (eloc, &gloc) {
            if !e.is_empty() && !g.is_empty() && e.starts_with('/') {
                gloc = Some(path_and_query(g));
            }
        }
        if eloc != gloc.as_deref() {
            diffs.push(format!("Location: expected {}, got {}", or_none(eloc), or_none(gloc.as_deref())));
        }
        let ewa = expect.www_authenticate.as_deref().filter(|s| !s.is_empty());
        let gwa = got.header("www-authenticate");
        if ewa.is_some() && ewa != gwa {
            diffs.push(format!("WWW-Authenticate: expected {}, got {}", or_none(ewa), or_none(gwa)));
        }
        if !diffs.is_empty() && got.status != expect.status {
            return diffs;
        }
        if expect.body.is_empty() {
            if !got_body.is_empty() {
                diffs.push(format!("body: expected empty, got {}", short(&got_body, 160)));
            }
            return diffs;
        }
        if let Some(d) = self.compare_body(&expect.body, &got_body) {
            diffs.push(if d.starts_with("body") { d } else { format!("body {d}") });
        }
        diffs
    }

    /// The first difference of two bodies, compared as the expected one's kind says.
    fn compare_body(&self, expected: &str, got: &str) -> Option<String> {
        match Json::parse(expected) {
            Ok(Json::Null) => {}
            Ok(e) => {
                let g = match Json::parse(got) {
                    Ok(g) => g,
                    Err(err) => return Some(format!("body is not JSON ({err}): {}", short(got, 160))),
                };
                return self.cmp_json(&self.norm_json(&e, None), &self.norm_json(&g, None), "$");
            }
            Err(_) => {
                if let Ok(e) = xml::parse(expected) {
                    if expected.trim_start().starts_with("<?xml") {
                        return self.cmp_xml(expected, &e, got);
                    }
                }
            }
        }
        (expected != got)
            .then(|| format!("body: expected {}, got {}", py_repr(&short(expected, 160)), py_repr(&short(got, 160))))
    }

    /// replay.py's `cmp_json`: the first difference of two normalised values, or None.
    pub fn cmp_json(&self, e: &Json, g: &Json, path: &str) -> Option<String> {
        if e.kind() != g.kind() {
            return Some(format!(
                "{path}: expected {} {}, got {} {}",
                e.kind(),
                short_value(e, 80),
                g.kind(),
                short_value(g, 80)
            ));
        }
        match (e, g) {
            (Json::Object(ep), Json::Object(gp)) => {
                let ek: Vec<&str> = ep.iter().map(|(k, _)| k.as_str()).collect();
                let gk: Vec<&str> = gp.iter().map(|(k, _)| k.as_str()).collect();
                if ek != gk {
                    let missing: Vec<&str> = ek.iter().copied().filter(|k| !gk.contains(k)).collect();
                    let extra: Vec<&str> = gk.iter().copied().filter(|k| !ek.contains(k)).collect();
                    if !missing.is_empty() || !extra.is_empty() {
                        return Some(format!(
                            "{path}: keys differ: missing {}, unexpected {}",
                            py_list(&missing),
                            py_list(&extra)
                        ));
                    }
                    // Same keys, other order (or a key repeated a different number of times).
                    let i = ek.iter().zip(&gk).position(|(x, y)| x != y).unwrap_or(ek.len().min(gk.len()));
                    let at = |keys: &[&str]| keys.get(i).map_or("None".to_string(), |k| py_repr(k));
                    return Some(format!(
                        "{path}: key order differs at key {}: expected {}, got {} (expected order {})",
                        i + 1,
                        at(&ek),
                        at(&gk),
                        short(&ek.join(", "), 120)
                    ));
                }
                ep.iter().zip(gp).find_map(|((k, ev), (_, gv))| self.cmp_json(ev, gv, &format!("{path}.{k}")))
            }
            (Json::Array(ea), Json::Array(ga)) => {
                for (i, (ev, gv)) in ea.iter().zip(ga).enumerate() {
                    if let Some(mut d) = self.cmp_json(ev, gv, &format!("{path}[{i}]")) {
                        if ea.len() != ga.len() {
                            d.push_str(&format!(" (and {} items expected, {} got)", ea.len(), ga.len()));
                        }
                        return Some(d);
                    }
                }
                (ea.len() != ga.len()).then(|| format!("{path}: expected {} items, got {}", ea.len(), ga.len()))
            }
            _ => (e != g).then(|| format!("{path}: expected {}, got {}", e.dumps(false), g.dumps(false))),
        }
    }

    /// replay.py's `cmp_xml`: declarations as written, then the trees.
    fn cmp_xml(&self, expected: &str, e: &Element, got: &str) -> Option<String> {
        let (ed, gd) = (xml::declaration(expected), xml::declaration(got));
        if ed != gd {
            let repr = |d: Option<&str>| d.map_or("None".to_string(), py_repr);
            return Some(format!("XML declaration: expected {}, got {}", repr(ed), repr(gd)));
        }
        match xml::parse(got) {
            Ok(g) => self.cmp_xml_elem(e, &g, &format!("/{}", e.name)),
            Err(err) => Some(format!("body is not well-formed XML ({err}): {}", short(got, 160))),
        }
    }

    /// replay.py's `cmp_xml_elem`: name, attribute names, attribute values, text, children.
    pub fn cmp_xml_elem(&self, e: &Element, g: &Element, path: &str) -> Option<String> {
        if e.name != g.name {
            return Some(format!("{path}: expected element <{}>, got <{}>", e.name, g.name));
        }
        let names = |el: &Element| el.attrs.iter().map(|(k, _)| k.clone()).collect::<Vec<String>>();
        let (en, gn) = (names(e), names(g));
        if en != gn {
            let list = |v: &[String]| py_list(&v.iter().map(String::as_str).collect::<Vec<_>>());
            return Some(format!("{path}: attributes: expected {}, got {}", list(&en), list(&gn)));
        }
        let user_ref = USER_REF_KEYS.contains(&e.name.as_str()) && !self.user_map.is_empty();
        for ((k, ev), (_, gv)) in e.attrs.iter().zip(&g.attrs) {
            let (mut ev, mut gv) = (ev.clone(), gv.clone());
            if k == "id" && user_ref {
                ev = self.map_user_id_text(&ev);
                gv = self.map_user_id_text(&gv);
            }
            let (ev, gv) = (self.norm_str(&ev), self.norm_str(&gv));
            if ev != gv {
                return Some(format!("{path}@{k}: expected {}, got {}", py_repr(&ev), py_repr(&gv)));
            }
        }
        let (et, gt) = (self.norm_str(xml_text(&e.text)), self.norm_str(xml_text(&g.text)));
        if et != gt {
            return Some(format!(
                "{path} text: expected {}, got {}",
                py_repr(&short(&et, 100)),
                py_repr(&short(&gt, 100))
            ));
        }
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (ce, cg) in e.children.iter().zip(&g.children) {
            let n = match seen.iter_mut().find(|(name, _)| *name == ce.name) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((&ce.name, 1));
                    1
                }
            };
            if let Some(d) = self.cmp_xml_elem(ce, cg, &format!("{path}/{}[{n}]", ce.name)) {
                return Some(d);
            }
        }
        (e.children.len() != g.children.len()).then(|| {
            let tags = |el: &Element| el.children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(",");
            format!(
                "{path}: expected {} child elements {}, got {} {}",
                e.children.len(),
                short(&tags(e), 80),
                g.children.len(),
                short(&tags(g), 80)
            )
        })
    }

    fn map_user_id_text(&self, id: &str) -> String {
        match self.map_user_id(&Json::Str(id.to_string())) {
            Json::Str(s) => s,
            _ => id.to_string(),
        }
    }
}

/// Whitespace-only text counts as none.
fn xml_text(t: &str) -> &str {
    if t.trim().is_empty() {
        ""
    } else {
        t
    }
}

/// The shape of an ISO 8601 timestamp as replay.py's pattern takes it
/// (`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$`, where `$` also
/// matches before a final line break): the number of fraction digits, if any, and the zone.
pub fn timestamp_shape(s: &str) -> Option<(Option<usize>, &str)> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit);
    let date_time = digits(0, 4)
        && b.get(4) == Some(&b'-')
        && digits(5, 2)
        && b.get(7) == Some(&b'-')
        && digits(8, 2)
        && b.get(10) == Some(&b'T')
        && digits(11, 2)
        && b.get(13) == Some(&b':')
        && digits(14, 2)
        && b.get(16) == Some(&b':')
        && digits(17, 2);
    if !date_time {
        return None;
    }
    let mut i = 19;
    let mut fraction = None;
    if b.get(i) == Some(&b'.') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        fraction = Some(n);
        i += 1 + n;
    }
    let zone = &s[i..];
    let zb = zone.as_bytes();
    let offset = |colon: bool| {
        let len = if colon { 6 } else { 5 };
        zb.len() == len
            && matches!(zb[0], b'+' | b'-')
            && digits(i + 1, 2)
            && (!colon || zb[3] == b':')
            && digits(i + len - 2, 2)
    };
    (zone == "Z" || offset(true) || offset(false)).then_some((fraction, zone))
}

/// A Content-Type without its parameters, lower case; None when absent or empty.
fn media_type(ct: Option<&str>) -> Option<String> {
    ct.filter(|c| !c.is_empty()).map(|c| c.split(';').next().unwrap_or_default().trim().to_lowercase())
}

fn or_none(v: Option<&str>) -> &str {
    v.filter(|s| !s.is_empty()).unwrap_or("none")
}

/// A URL's path and query, as Python's `urlsplit` splits it (`path?query`; no fragment).
fn path_and_query(url: &str) -> String {
    let mut rest = url;
    if let Some(colon) = url.find(':') {
        let scheme = &url[..colon];
        let first_alpha = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if first_alpha && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            rest = &url[colon + 1..];
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        rest = after.find(['/', '?', '#']).map_or("", |i| &after[i..]);
    }
    let rest = rest.split('#').next().unwrap_or_default();
    match rest.split_once('?') {
        Some((path, query)) if !query.is_empty() => format!("{path}?{query}"),
        Some((path, _)) => path.to_string(),
        None => rest.to_string(),
    }
}
