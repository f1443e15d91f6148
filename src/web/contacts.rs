//! The contact list (one search box, filters, sortable columns, paging; the results update
//! in place through htmx) and a contact's page (details, address, tags, projects, custom
//! fields, notes, deals, possible duplicates). The list is the API's list: the same scope
//! (`api::Ctx::list_scope`), the same query (`ContactQuery::apply_params`), the same store call.

use std::sync::Arc;

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::forms::api_ctx;
use super::notes::{self, NoteDraft, NotesBlock};
use super::respond::Page;
use super::session::Ctx;
use super::views::{self, query_string, Chrome, Opt, Pager};
use crate::api::fragments::FragmentKey;
use crate::domain::permission::Permission;
use crate::domain::query::{ContactQuery, IdFilter, SortKey};
use crate::domain::{Contact, Deal, VISIBILITY_PRIVATE, VISIBILITY_PUBLIC};
use crate::error::{Error, Result};

/// Contacts per page.
const PER_PAGE: i64 = 25;

/// The list's filters as the page's query string carries them (the API's parameter names).
#[derive(Default)]
struct Filters {
    search: String,
    project_id: String,
    tags: String,
    assigned_to_id: String,
    is_company: String,
    sort: String,
    page: i64,
}

impl Filters {
    fn read(ctx: &Ctx<'_>) -> Filters {
        let text = |k: &str| ctx.param(k).unwrap_or_default();
        Filters {
            search: text("search"),
            project_id: text("project_id"),
            tags: text("tags"),
            assigned_to_id: text("assigned_to_id"),
            is_company: text("is_company"),
            sort: text("sort"),
            page: text("page").parse().unwrap_or(1).max(1),
        }
    }

    /// The parameters `ContactQuery::apply_params` reads (short form, as the API takes them).
    fn query_params(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in [
            ("search", &self.search),
            ("tags", &self.tags),
            ("assigned_to_id", &self.assigned_to_id),
            ("is_company", &self.is_company),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        m
    }

    /// The list's filters and `sort` as query pairs.
    fn pairs(&self, sort: &str) -> Vec<(&'static str, String)> {
        vec![
            ("search", self.search.clone()),
            ("project_id", self.project_id.clone()),
            ("tags", self.tags.clone()),
            ("assigned_to_id", self.assigned_to_id.clone()),
            ("is_company", self.is_company.clone()),
            ("sort", sort.to_string()),
        ]
    }

    /// This list's link with `sort` and `page` replaced.
    fn href(&self, base: &str, sort: &str, page: i64) -> String {
        let page = if page > 1 { page.to_string() } else { String::new() };
        let mut pairs = self.pairs(sort);
        pairs.push(("page", page));
        format!("{base}{}", query_string(&pairs))
    }
}

/// A column heading: its label, the link that sorts by it, `aria-sort` when sorted.
pub struct Heading {
    pub label: &'static str,
    pub href: String,
    pub aria_sort: &'static str,
}

/// The column headings of a sortable list: `sort` the current `key[:desc]`, `href` the link
/// of the list sorted another way (a blank key: not sortable).
pub fn headings(sort: &str, href: &dyn Fn(&str) -> String, columns: &[(&'static str, &'static str)]) -> Vec<Heading> {
    let (current, desc) = match sort.split_once(':') {
        Some((k, d)) => (k, d.eq_ignore_ascii_case("desc")),
        None => (sort, false),
    };
    columns
        .iter()
        .map(|(label, key)| {
            let sorted = !key.is_empty() && current == *key;
            let next = if sorted && !desc { format!("{key}:desc") } else { key.to_string() };
            Heading {
                label,
                href: if key.is_empty() { String::new() } else { href(&next) },
                aria_sort: match (sorted, desc) {
                    (true, false) => "ascending",
                    (true, true) => "descending",
                    _ => "",
                },
            }
        })
        .collect()
}

/// One row of the list.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub initials: String,
    pub is_company: bool,
    pub job: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub tags: Vec<String>,
    pub assignee: String,
}

pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn row(c: &Contact) -> Row {
    let name = c.reference_name();
    Row {
        id: c.id,
        initials: initials(&name),
        name,
        is_company: c.is_company,
        job: c.job_title.clone().unwrap_or_default(),
        company: c.company.clone().unwrap_or_default(),
        email: c.emails().first().map(|s| s.to_string()).unwrap_or_default(),
        phone: c.phones().first().map(|s| s.to_string()).unwrap_or_default(),
        city: c.address.as_ref().and_then(|a| a.city.clone()).unwrap_or_default(),
        tags: c.tags.clone(),
        assignee: c.assigned_to.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
    }
}

/// A row already rendered (escaped by its template), written into the list as it is.
pub struct RowHtml(Arc<[u8]>);

impl std::fmt::Display for RowHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.0).unwrap_or(""))
    }
}

#[derive(Template)]
#[template(path = "contact_row.html")]
struct RowTemplate<'a> {
    r: &'a Row,
}

/// The rows of a list page, from the rendered-row cache where they are current (keyed as the
/// API's list items are: id, `updated_on`, configuration version); the others are loaded,
/// rendered and kept.
fn rendered_rows(ctx: &Ctx<'_>, page: &[(i64, i64)]) -> Result<Vec<RowHtml>> {
    let store = &ctx.app.store;
    let cache = &ctx.app.page_rows;
    let config_version = store.config_version();
    let key = |id: i64, updated_on: i64| FragmentKey { id, updated_on, config_version, xml: false };
    let mut rows: Vec<Option<Arc<[u8]>>> = page.iter().map(|(id, updated)| cache.get(&key(*id, *updated))).collect();
    let missing: Vec<i64> = page.iter().zip(&rows).filter(|(_, r)| r.is_none()).map(|((id, _), _)| *id).collect();
    if !missing.is_empty() {
        for contact in store.contacts(&missing)? {
            let html =
                RowTemplate { r: &row(&contact) }.render().map_err(|e| Error::Internal(format!("template: {e}")))?;
            let bytes: Arc<[u8]> = html.into_bytes().into();
            cache.put(key(contact.id, contact.updated_on), bytes.clone());
            if let Some(slot) = page.iter().position(|(id, _)| *id == contact.id) {
                rows[slot] = Some(bytes);
            }
        }
    }
    // A contact deleted between the page and its load is left out, as the API's list does.
    Ok(rows.into_iter().flatten().map(RowHtml).collect())
}

/// The results part of the page (what htmx swaps while searching and paging).
struct Results {
    rows: Vec<RowHtml>,
    headings: Vec<Heading>,
    pager: Pager,
    problems: Vec<String>,
    /// Links to this list as a CSV and a vCard file, for users who may export.
    exports: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "contacts_results.html")]
struct ResultsFragment<'a> {
    results: &'a Results,
}

#[derive(Template)]
#[template(path = "contacts_index.html")]
struct Index {
    chrome: Chrome,
    base: String,
    search: String,
    /// The filters' `<option>`s, rendered (`choices.rs`).
    projects: String,
    project_count: usize,
    tags: String,
    assignees: String,
    kinds: Vec<Opt>,
    sort: String,
    can_add: bool,
    can_import: bool,
    results: Results,
}

const COLUMNS: &[(&str, &str)] = &[
    ("Name", "name"),
    ("Job title", "job_title"),
    ("Email", "emails"),
    ("Phone", "phones"),
    ("City", "city"),
    ("Tags", ""),
    ("Assigned to", "assigned_to"),
];

/// `GET /contacts`, `GET /projects/:id/contacts`.
pub fn index(ctx: &Ctx<'_>, project: Option<&str>) -> Result<Page> {
    let p = &ctx.principal;
    let store = &ctx.app.store;
    let f = Filters::read(ctx);
    let (base, api_path) = match project {
        Some(reference) => (format!("/projects/{reference}/contacts"), format!("/projects/{reference}/contacts")),
        None => ("/contacts".to_string(), "/contacts".to_string()),
    };
    let mut scope_params = Map::new();
    if project.is_none() && !f.project_id.is_empty() {
        scope_params.insert("project_id".into(), Value::String(f.project_id.clone()));
    }
    let scope = api_ctx(ctx, Method::GET, &api_path, scope_params)?.list_scope(Permission::ViewContacts)?;
    let fields = store.custom_fields("contact")?;
    let mut query = ContactQuery::new(p.contact_visibility());
    query.projects = scope.map(|s| s.projects);
    let offset = (f.page - 1).saturating_mul(PER_PAGE);
    let (rows, total, problems) = match query.apply_params(&f.query_params(), p, &fields) {
        Ok(()) => {
            let (page, total) = store.contact_page_versions(&query, offset, PER_PAGE)?;
            (rendered_rows(ctx, &page)?, total, Vec::new())
        }
        Err(Error::Validation(messages)) => (Vec::new(), 0, messages),
        Err(e) => return Err(e),
    };
    let results = Results {
        rows,
        headings: headings(&f.sort, &|sort| f.href(&base, sort, 1), COLUMNS),
        pager: Pager::new(total, offset, PER_PAGE, |n| f.href(&base, &f.sort, n)),
        problems,
        exports: p
            .allowed_anywhere(Permission::ExportContacts)
            .then(|| super::exchange::export_links(&base, &f.pairs(&f.sort))),
    };
    if ctx.wants_fragment("results") {
        let body =
            ResultsFragment { results: &results }.render().map_err(|e| Error::Internal(format!("template: {e}")))?;
        return Ok(Page::Fragment { body, url: f.href(&base, &f.sort, f.page) });
    }
    let choices = super::choices::contact_filters(ctx)?;
    let kinds = vec![
        Opt::new("", "Everyone", f.is_company.is_empty()),
        Opt::new("0", "People", f.is_company == "0"),
        Opt::new("1", "Companies", f.is_company == "1"),
    ];
    let title = match project {
        Some(reference) => format!("Contacts · {}", store.project(reference)?.name),
        None => "Contacts".to_string(),
    };
    let page = Index {
        chrome: ctx.chrome(title, "contacts"),
        search: f.search.clone(),
        projects: choices.projects.html(&f.project_id),
        project_count: choices.project_count,
        tags: choices.tags.html(&f.tags),
        assignees: choices.assignees.html(&f.assigned_to_id),
        kinds,
        sort: f.sort.clone(),
        can_add: p.allowed_anywhere(Permission::AddContacts),
        can_import: p.is_admin() || p.allowed_anywhere(Permission::ImportContacts),
        base,
        results,
    };
    Page::render(&page)
}

// ---------------------------------------------------------------------------------------------
// A contact's page

/// A labelled value of the details list, linked where `href` is given.
pub struct Prop {
    pub label: &'static str,
    pub value: String,
    pub href: String,
}

pub struct DealLine {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub price: String,
}

pub fn deal_line(d: &Deal) -> DealLine {
    DealLine {
        id: d.id,
        name: d.name.clone(),
        status: d.status.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
        price: super::deals::money(d.price.as_deref(), d.currency.as_deref()),
    }
}

#[derive(Template)]
#[template(path = "contact_show.html")]
struct Show {
    chrome: Chrome,
    id: i64,
    name: String,
    initials: String,
    is_company: bool,
    subtitle: String,
    props: Vec<Prop>,
    address: String,
    tags: Vec<String>,
    projects: Vec<(i64, String)>,
    custom: Vec<(String, String)>,
    background: String,
    deals: Option<Vec<DealLine>>,
    employees: Vec<(i64, String)>,
    can_edit: bool,
    can_delete: bool,
    can_add_deal: bool,
    notes: NotesBlock,
}

/// A website as a link only when it is one (never `javascript:`).
pub fn web_link(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        url.to_string()
    } else if !url.is_empty() && !url.contains(':') {
        format!("http://{url}")
    } else {
        String::new()
    }
}

fn props(c: &Contact) -> Vec<Prop> {
    let mut out = Vec::new();
    let mut add = |label: &'static str, value: String, href: String| {
        if !value.is_empty() {
            out.push(Prop { label, value, href });
        }
    };
    for e in c.emails() {
        add("Email", e.to_string(), format!("mailto:{e}"));
    }
    for ph in c.phones() {
        add("Phone", ph.to_string(), format!("tel:{}", ph.replace(' ', "")));
    }
    let website = c.website.clone().unwrap_or_default();
    add("Website", website.clone(), web_link(&website));
    add("Skype", c.skype_name.clone().unwrap_or_default(), String::new());
    add("Birthday", c.birthday.clone().unwrap_or_default(), String::new());
    add("Assigned to", c.assigned_to.as_ref().map(|u| u.name.clone()).unwrap_or_default(), String::new());
    add("Author", c.author.as_ref().map(|u| u.name.clone()).unwrap_or_default(), String::new());
    let visibility = match c.visibility {
        VISIBILITY_PUBLIC => "Public",
        VISIBILITY_PRIVATE => "Private",
        _ => "Project",
    };
    add("Visibility", visibility.to_string(), String::new());
    add("Created", views::datetime(c.created_on), String::new());
    add("Updated", views::datetime(c.updated_on), String::new());
    out
}

/// `GET /contacts/:id`.
pub fn show(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    show_with(ctx, id, NoteDraft::default(), 200)
}

/// The contact's page; `draft` is a note that failed validation (shown with its messages).
pub fn show_with(ctx: &Ctx<'_>, id: i64, draft: NoteDraft, status: u16) -> Result<Page> {
    let p = &ctx.principal;
    let store = &ctx.app.store;
    let c = store.contact(id)?;
    if !p.may_contact(Permission::ViewContacts, &c) {
        return Err(p.deny());
    }
    let fields = store.custom_fields("contact")?;
    let custom = fields
        .iter()
        .filter(|f| f.visible)
        .filter_map(|f| {
            let values: Vec<&str> = c
                .custom_values
                .iter()
                .filter(|(id, v)| *id == f.id && !v.is_empty())
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| (f.name.clone(), values.join(", ")))
        })
        .collect();
    let deals = match p.allowed_anywhere(Permission::ViewDeals) {
        true => {
            Some(store.deals_of_contact(c.id, &p.projects_with(Permission::ViewDeals))?.iter().map(deal_line).collect())
        }
        false => None,
    };
    let people = if c.is_company { store.company_people(&c.first_name, 100)? } else { Vec::new() };
    let employees = if !people.is_empty() {
        // The company's people (by the company index; the first hundred, a company of the
        // demo data has up to 10,000), the visible ones by name through the list query.
        let mut q = ContactQuery::new(p.contact_visibility());
        q.ids = Some(IdFilter::In(people));
        q.sort = vec![(SortKey::Name, false)];
        let (page, _) = store.contact_page_versions(&q, 0, 50)?;
        store.contact_names(&page.iter().map(|(id, _)| *id).collect::<Vec<_>>())?
    } else {
        Vec::new()
    };
    let subtitle = match (c.job_title.as_deref().unwrap_or(""), c.company.as_deref().unwrap_or("")) {
        ("", "") => String::new(),
        ("", company) => company.to_string(),
        (title, "") => title.to_string(),
        (title, company) => format!("{title} at {company}"),
    };
    let name = c.reference_name();
    let notes = notes::block(ctx, "Contact", c.id, p.notes_of_contact(&c), draft)?;
    let page = Show {
        chrome: ctx.chrome(name.clone(), "contacts"),
        id: c.id,
        initials: initials(&name),
        name,
        is_company: c.is_company,
        subtitle,
        props: props(&c),
        address: c.address.as_ref().map(|a| a.joined()).unwrap_or_default(),
        tags: c.tags.clone(),
        projects: c.projects.clone(),
        custom,
        background: c.background.clone().unwrap_or_default(),
        deals,
        employees,
        can_edit: p.may_contact(Permission::EditContacts, &c),
        can_delete: p.may_contact(Permission::DeleteContacts, &c),
        can_add_deal: c.projects.iter().any(|(id, _)| p.allowed(Permission::AddDeals, *id)),
        notes,
    };
    Page::render_with(status, &page)
}
