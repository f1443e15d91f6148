//! Deals: the list (the API's list: `list_scope`, `DealQuery::from_params`, `deal_page`), the
//! board by status type (open, won, lost) with totals per currency, a deal's page with its
//! notes, and the new and edit forms (through the API's handlers).

use askama::Template;
use hyper::Method;
use serde_json::{Map, Value};

use super::forms::{self, api_ctx};
use super::respond::Page;
use super::session::Ctx;
use super::views::{self, query_string, Chrome, Opt, Pager};
use crate::domain::deal_query::{DealQuery, StatusFilter};
use crate::domain::permission::Permission;
use crate::domain::Deal;
use crate::error::{Error, Result};

const PER_PAGE: i64 = 25;
/// Cards shown per board column.
const BOARD_CARDS: i64 = 30;

/// `12000.0` + `USD` → `12,000.00 USD`; blank when there is no price.
pub fn money(price: Option<&str>, currency: Option<&str>) -> String {
    let Some(value) = price.and_then(|p| p.parse::<f64>().ok()) else { return String::new() };
    amount(value, currency.unwrap_or(""))
}

fn amount(value: f64, currency: &str) -> String {
    let cents = (value * 100.0).round() as i64;
    let text = format!("{}.{:02}", views::thousands(cents / 100), (cents % 100).abs());
    if currency.is_empty() {
        text
    } else {
        format!("{text} {currency}")
    }
}

fn status_class(status_type: i64) -> &'static str {
    match status_type {
        1 => "won",
        2 => "lost",
        _ => "open",
    }
}

/// The list's filters (the API's parameter names).
#[derive(Default)]
struct Filters {
    search: String,
    project_id: String,
    status_id: String,
    assigned_to_id: String,
    sort: String,
    page: i64,
}

impl Filters {
    fn read(ctx: &Ctx<'_>) -> Filters {
        let text = |k: &str| ctx.param(k).unwrap_or_default();
        Filters {
            search: text("search"),
            project_id: text("project_id"),
            status_id: text("status_id"),
            assigned_to_id: text("assigned_to_id"),
            sort: text("sort"),
            page: text("page").parse().unwrap_or(1).max(1),
        }
    }

    fn params(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in [
            ("search", &self.search),
            ("status_id", &self.status_id),
            ("assigned_to_id", &self.assigned_to_id),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        m
    }

    fn href(&self, base: &str, sort: &str, page: i64) -> String {
        let page = if page > 1 { page.to_string() } else { String::new() };
        let q = query_string(&[
            ("search", self.search.clone()),
            ("project_id", self.project_id.clone()),
            ("status_id", self.status_id.clone()),
            ("assigned_to_id", self.assigned_to_id.clone()),
            ("sort", sort.to_string()),
            ("page", page),
        ]);
        format!("{base}{q}")
    }
}

/// The query of the list or board: the API's scope and filters.
fn query(ctx: &Ctx<'_>, f: &Filters, project: Option<&str>) -> Result<DealQuery> {
    let p = &ctx.principal;
    let (path, mut scope_params) = match project {
        Some(reference) => (format!("/projects/{reference}/deals"), Map::new()),
        None => ("/deals".to_string(), Map::new()),
    };
    if project.is_none() && !f.project_id.is_empty() {
        scope_params.insert("project_id".into(), Value::String(f.project_id.clone()));
    }
    let scope = api_ctx(ctx, Method::GET, &path, scope_params)?.list_scope(Permission::ViewDeals)?;
    let fields = ctx.app.store.custom_fields("deal")?;
    DealQuery::from_params(&f.params(), p.deal_visibility(), scope.map(|s| s.projects), p, &fields)
}

pub struct DealRow {
    pub id: i64,
    pub name: String,
    pub contact: Option<(i64, String)>,
    pub price: String,
    pub status: String,
    pub status_class: &'static str,
    pub probability: String,
    pub due: String,
    pub assignee: String,
    pub project: String,
}

fn deal_row(d: &Deal, types: &[(i64, i64)]) -> DealRow {
    let status_type = d.status.as_ref().and_then(|(id, _)| types.iter().find(|(s, _)| s == id)).map_or(0, |(_, t)| *t);
    DealRow {
        id: d.id,
        name: d.name.clone(),
        contact: d.contact.clone(),
        price: money(d.price.as_deref(), d.currency.as_deref()),
        status: d.status.as_ref().map(|s| s.1.clone()).unwrap_or_default(),
        status_class: status_class(status_type),
        probability: d.probability.map(|p| format!("{p}%")).unwrap_or_default(),
        due: d.due_date.map(views::date).unwrap_or_default(),
        assignee: d.assigned_to.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        project: d.project.1.clone(),
    }
}

/// (status id, status type) of every status.
fn status_types(ctx: &Ctx<'_>) -> Result<Vec<(i64, i64)>> {
    Ok(ctx.app.store.deal_statuses()?.iter().map(|s| (s.id, s.status_type)).collect())
}

#[derive(Template)]
#[template(path = "deals_index.html")]
struct Index {
    chrome: Chrome,
    base: String,
    search: String,
    projects: Vec<Opt>,
    statuses: Vec<Opt>,
    assignees: Vec<Opt>,
    sort: String,
    can_add: bool,
    rows: Vec<DealRow>,
    headings: Vec<super::contacts::Heading>,
    pager: Pager,
    problems: Vec<String>,
}

/// The filter choices the list and the board share.
fn choices(ctx: &Ctx<'_>, f: &Filters) -> Result<(Vec<Opt>, Vec<Opt>, Vec<Opt>)> {
    let projects = forms::with_blank(
        "All projects",
        &forms::project_pairs(&forms::projects_with(ctx, Permission::ViewDeals)?),
        &f.project_id,
    );
    let mut statuses = vec![
        Opt::new("", "Open", f.status_id.is_empty() || f.status_id == "o"),
        Opt::new("c", "Closed", f.status_id == "c"),
        Opt::new("*", "Any status", f.status_id == "*"),
    ];
    statuses.extend(
        ctx.app.store.deal_statuses()?.iter().map(|s| Opt::new(s.id, s.name.clone(), f.status_id == s.id.to_string())),
    );
    let mut assignees =
        forms::with_blank("Anyone", &forms::assignable_users(ctx, Permission::ViewDeals)?, &f.assigned_to_id);
    assignees.insert(1, Opt::new("me", "Me", f.assigned_to_id == "me"));
    Ok((projects, statuses, assignees))
}

const COLUMNS: &[(&str, &str)] = &[
    ("Name", "name"),
    ("Contact", "contact"),
    ("Sum", "price"),
    ("Status", "status"),
    ("Probability", "probability"),
    ("Due date", "due_date"),
    ("Assigned to", "assigned_to"),
    ("Project", "project"),
];

/// `GET /deals`, `GET /projects/:id/deals`.
pub fn index(ctx: &Ctx<'_>, project: Option<&str>) -> Result<Page> {
    let f = Filters::read(ctx);
    let base = project.map_or_else(|| "/deals".to_string(), |r| format!("/projects/{r}/deals"));
    let offset = (f.page - 1).saturating_mul(PER_PAGE);
    let types = status_types(ctx)?;
    let (rows, total, problems) = match query(ctx, &f, project) {
        Ok(q) => {
            let (deals, total) = ctx.app.store.deal_page(&q, offset, PER_PAGE)?;
            (deals.iter().map(|d| deal_row(d, &types)).collect(), total, Vec::new())
        }
        Err(Error::Validation(m)) => (Vec::new(), 0, m),
        Err(e) => return Err(e),
    };
    let (projects, statuses, assignees) = choices(ctx, &f)?;
    let page = Index {
        chrome: ctx.chrome("Deals", "deals"),
        search: f.search.clone(),
        projects,
        statuses,
        assignees,
        sort: f.sort.clone(),
        can_add: ctx.principal.allowed_anywhere(Permission::AddDeals),
        rows,
        headings: super::contacts::headings(&f.sort, &|sort| f.href(&base, sort, 1), COLUMNS),
        pager: Pager::new(total, offset, PER_PAGE, |n| f.href(&base, &f.sort, n)),
        problems,
        base: base.clone(),
    };
    Page::render(&page)
}

pub struct BoardColumn {
    pub title: &'static str,
    pub class: &'static str,
    pub count: String,
    pub totals: Vec<String>,
    pub cards: Vec<DealRow>,
    pub more: i64,
}

#[derive(Template)]
#[template(path = "deals_board.html")]
struct Board {
    chrome: Chrome,
    projects: Vec<Opt>,
    assignees: Vec<Opt>,
    search: String,
    columns: Vec<BoardColumn>,
}

/// `GET /deals/board`: open, won and lost deals side by side, each column with its totals by
/// currency (over all its deals) and its newest cards.
pub fn board(ctx: &Ctx<'_>) -> Result<Page> {
    let mut f = Filters::read(ctx);
    f.status_id = "*".into();
    let q = query(ctx, &f, None)?;
    let store = &ctx.app.store;
    let types = status_types(ctx)?;
    let totals = store.deal_totals(&q)?;
    let mut columns = Vec::new();
    for (status_type, title) in [(0, "Open"), (1, "Won"), (2, "Lost")] {
        let ids: Vec<i64> = types.iter().filter(|(_, t)| *t == status_type).map(|(id, _)| *id).collect();
        let mut column_query = q.clone();
        column_query.status = StatusFilter::In(ids.clone());
        let (deals, count) =
            if ids.is_empty() { (Vec::new(), 0) } else { store.deal_page(&column_query, 0, BOARD_CARDS)? };
        let mut sums: Vec<(String, f64)> = Vec::new();
        for (_, currency, sum, _) in totals.iter().filter(|(status, ..)| ids.contains(status)) {
            match sums.iter_mut().find(|(c, _)| c == currency) {
                Some(entry) => entry.1 += sum,
                None => sums.push((currency.clone(), *sum)),
            }
        }
        columns.push(BoardColumn {
            title,
            class: status_class(status_type),
            count: views::thousands(count),
            totals: sums.iter().map(|(c, s)| amount(*s, c)).collect(),
            more: count - deals.len() as i64,
            cards: deals.iter().map(|d| deal_row(d, &types)).collect(),
        });
    }
    let (projects, _, assignees) = choices(ctx, &f)?;
    Page::render(&Board {
        chrome: ctx.chrome("Deal board", "board"),
        projects,
        assignees,
        search: f.search.clone(),
        columns,
    })
}
