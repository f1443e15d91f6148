//! The web interface: server-rendered pages on the API's own paths (API.md product decision 9).
//!
//! A request with no `.json`/`.xml` extension, no `format=`, no API key (header, parameter,
//! form field or Basic) and an `Accept` that prefers `text/html` is a *page request*
//! ([`is_page_request`], asked first by `http::server`); everything else stays an API request,
//! and a session cookie never authenticates one.
//!
//! How a page request is answered:
//! - `session.rs` finds the signed-in user from the session cookie (sessions live in the
//!   database, `store/sessions.rs`) and checks the CSRF token of every state-changing request;
//! - the page table below picks the handler; reads go to the domain and the store directly —
//!   the same calls the API makes: `Principal` for every visibility and permission rule,
//!   `ContactQuery::apply_params` and `DealQuery::from_params` for lists;
//! - every write goes through the API's own dispatcher (`forms::through_api`) with the
//!   session's principal, so a form can do exactly what the API allows that user, validated
//!   with Redmine's messages (`domain/validate.rs`), which the forms show next to their fields;
//! - templates (askama, `templates/`) escape everything; assets (`assets.rs`) are embedded
//!   and served under content-hashed names; `respond.rs` adds the security headers.
//!
//! Files: `account.rs` (log in and out, my account), `contacts.rs` and `contact_form.rs`,
//! `choices.rs` (the list's filter choices), `duplicates.rs`, `notes.rs`, `deals.rs` (list,
//! board, page, forms), `admin/` (projects, users, roles, custom fields, deal statuses and
//! categories, tags), `exchange.rs` (import and export).

mod account;
mod admin;
pub mod assets;
mod choices;
mod contact_form;
mod contacts;
mod deal_form;
mod deals;
mod duplicates;
mod exchange;
mod forms;
mod notes;
mod respond;
mod session;
mod views;

use std::net::IpAddr;
use std::sync::OnceLock;

use hyper::header::{HeaderMap, ACCEPT, AUTHORIZATION};
use hyper::{Method, Uri};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::App;

pub use choices::ChoicesCache;
use respond::Page;
pub use respond::{Answer, HtmlResponse};
use session::Ctx;

/// A page request as the HTTP layer decoded it (query string and form body as the API
/// decodes them; `_method` already applied).
pub struct PageRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub query: Map<String, Value>,
    pub form: Map<String, Value>,
    pub peer: IpAddr,
    /// The raw body of the import page's upload (`POST /contacts/import`), for the API's
    /// importer; `None` elsewhere.
    pub upload: Option<crate::api::Upload>,
}

/// Whether a page request posts a file to import (its body may be as large as an API
/// import's: `--max-import-bytes`).
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && route(path).is_some_and(|m| m.page == P::ContactsImport)
}

/// Whether a request is for the web interface (product decision 9), judged from what arrives
/// before its body: assets always are; otherwise no `.json`/`.xml` extension, no `format=`,
/// no key in the query string, no `X-Redmine-API-Key` or `Authorization` header, and an
/// `Accept` that prefers `text/html`. A form body that carries `key` makes it an API request
/// again (the HTTP layer checks that once the body is read).
pub fn is_page_request(uri: &Uri, headers: &HeaderMap) -> bool {
    let path = uri.path();
    if path.starts_with("/assets/") {
        return true;
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.ends_with(".json") || last.ends_with(".xml") {
        return false;
    }
    if headers.contains_key("x-redmine-api-key") || headers.contains_key(AUTHORIZATION) {
        return false;
    }
    let query = uri.query().unwrap_or("");
    if form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "format" || k == "key") {
        return false;
    }
    headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(prefers_html)
}

/// Whether an `Accept` header ranks `text/html` above every JSON or XML type and `*/*`.
fn prefers_html(accept: &str) -> bool {
    let mut html = 0.0f32;
    let mut other = 0.0f32;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            m if m == "*/*" || m.contains("json") || m.contains("xml") => other = other.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > other
}

/// The pages, by path (Redmine's own paths where Redmine has the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum P {
    Root,
    Login,
    Logout,
    MyAccount,
    MyPassword,
    MyApiKey,
    Contacts,
    ProjectContacts,
    ContactNew,
    Contact,
    ContactEdit,
    ContactDelete,
    ContactDuplicates,
    ContactsImport,
    ContactsExport,
    ProjectContactsExport,
    Notes,
    Note,
    Deals,
    ProjectDeals,
    DealsBoard,
    DealNew,
    Deal,
    DealEdit,
    DealDelete,
    Admin,
    Projects,
    ProjectNew,
    Project,
    ProjectSettings,
    ProjectMemberships,
    Membership,
    ProjectCategories,
    Category,
    Users,
    UserNew,
    User,
    UserEdit,
    Roles,
    CustomFields,
    DealStatuses,
    DealStatus,
    Tags,
    Tag,
    TagMerge,
}

fn pages() -> &'static matchit::Router<P> {
    static PAGES: OnceLock<matchit::Router<P>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let mut r = matchit::Router::new();
        let table = [
            ("/", P::Root),
            ("/login", P::Login),
            ("/logout", P::Logout),
            ("/my/account", P::MyAccount),
            ("/my/password", P::MyPassword),
            ("/my/api_key", P::MyApiKey),
            ("/contacts", P::Contacts),
            ("/projects/{project}/contacts", P::ProjectContacts),
            ("/projects/{project}/contacts/export", P::ProjectContactsExport),
            ("/contacts/new", P::ContactNew),
            ("/contacts/import", P::ContactsImport),
            ("/contacts/export", P::ContactsExport),
            ("/contacts/{id}", P::Contact),
            ("/contacts/{id}/edit", P::ContactEdit),
            ("/contacts/{id}/delete", P::ContactDelete),
            ("/contacts/{id}/duplicates", P::ContactDuplicates),
            ("/notes", P::Notes),
            ("/notes/{id}", P::Note),
            ("/deals", P::Deals),
            ("/projects/{project}/deals", P::ProjectDeals),
            ("/deals/board", P::DealsBoard),
            ("/deals/new", P::DealNew),
            ("/deals/{id}", P::Deal),
            ("/deals/{id}/edit", P::DealEdit),
            ("/deals/{id}/delete", P::DealDelete),
            ("/admin", P::Admin),
            ("/projects", P::Projects),
            ("/projects/new", P::ProjectNew),
            ("/projects/{project}", P::Project),
            ("/projects/{project}/settings", P::ProjectSettings),
            ("/projects/{project}/memberships", P::ProjectMemberships),
            ("/memberships/{id}", P::Membership),
            ("/projects/{project}/deal_categories", P::ProjectCategories),
            ("/deal_categories/{id}", P::Category),
            ("/users", P::Users),
            ("/users/new", P::UserNew),
            ("/users/{id}", P::User),
            ("/users/{id}/edit", P::UserEdit),
            ("/roles", P::Roles),
            ("/custom_fields", P::CustomFields),
            ("/deal_statuses", P::DealStatuses),
            ("/deal_statuses/{id}", P::DealStatus),
            ("/contacts_tags", P::Tags),
            ("/contacts_tags/{id}", P::Tag),
            ("/contacts_tags/{id}/merge", P::TagMerge),
        ];
        for (path, page) in table {
            r.insert(path, page).expect("the page table is consistent");
        }
        r
    })
}

/// A matched page with its path parameters.
pub(crate) struct Matched {
    page: P,
    id: Option<String>,
    project: Option<String>,
}

impl Matched {
    fn id(&self) -> Result<i64> {
        self.id.as_deref().and_then(|s| s.parse().ok()).ok_or(Error::NotFound)
    }

    fn project(&self) -> Result<&str> {
        self.project.as_deref().ok_or(Error::NotFound)
    }
}

fn route(path: &str) -> Option<Matched> {
    let bare = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let m = pages().at(bare).ok()?;
    Some(Matched {
        page: *m.value,
        id: m.params.get("id").map(str::to_string),
        project: m.params.get("project").map(str::to_string),
    })
}

/// An error page for a page request that could not be read (too large, too slow, malformed).
pub fn error_response(e: Error) -> HtmlResponse {
    respond::error_page(e, None)
}

/// Answers a page request.
pub async fn handle(app: &App, req: PageRequest) -> Answer {
    if req.uri.path().starts_with("/assets/") {
        return Answer::Html(assets::serve(req.uri.path(), &req.method));
    }
    let ctx = match session::Ctx::open(app, req).await {
        Ok(ctx) => ctx,
        Err(e) => return Answer::Html(respond::error_page(e, None)),
    };
    let Some(matched) = route(ctx.req.uri.path()) else {
        return ctx.finish(Err(Error::NotFound));
    };
    let outcome = match ctx.check_form(matched.page == P::Login) {
        Ok(()) => dispatch(&ctx, &matched).await,
        Err(e) => Err(e),
    };
    ctx.finish(outcome)
}

async fn dispatch(ctx: &Ctx<'_>, m: &Matched) -> Result<Page> {
    let method = &ctx.req.method;
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let put = method == Method::PUT || method == Method::PATCH;
    let delete = method == Method::DELETE;
    if !matches!(m.page, P::Login | P::Root) && ctx.principal.is_anonymous() {
        return Err(Error::Unauthorized);
    }
    match m.page {
        P::Root => Ok(Page::Redirect(if ctx.principal.is_anonymous() { "/login" } else { "/contacts" }.into())),
        P::Login if get => account::login_form(ctx),
        P::Login if post => account::login(ctx).await,
        P::Logout if get => account::logout_form(ctx),
        P::Logout if post => account::logout(ctx).await,
        P::MyAccount if get => account::my_account(ctx),
        P::MyPassword if post || put => account::change_password(ctx).await,
        P::MyApiKey if post => account::reset_api_key(ctx).await,
        P::Contacts if get => contacts::index(ctx, None),
        P::ProjectContacts if get => contacts::index(ctx, Some(m.project()?)),
        P::Contacts if post => contact_form::create(ctx).await,
        P::ContactNew if get => contact_form::new(ctx),
        P::Contact if get => contacts::show(ctx, m.id()?),
        P::Contact if put => contact_form::update(ctx, m.id()?).await,
        P::Contact if delete => contact_form::destroy(ctx, m.id()?).await,
        P::ContactEdit if get => contact_form::edit(ctx, m.id()?),
        P::ContactDelete if get => contact_form::confirm_delete(ctx, m.id()?),
        P::ContactDuplicates if get => duplicates::show(ctx, m.id()?),
        P::ContactsImport if get => exchange::import_form(ctx),
        P::ContactsImport if post => exchange::import(ctx).await,
        P::ContactsExport if get => exchange::export(ctx, None).await,
        P::ProjectContactsExport if get => exchange::export(ctx, Some(m.project()?)).await,
        P::Notes if post => notes::create(ctx).await,
        P::Note if delete => notes::destroy(ctx, m.id()?).await,
        P::Deals if get => deals::index(ctx, None),
        P::ProjectDeals if get => deals::index(ctx, Some(m.project()?)),
        P::Deals if post => deal_form::create(ctx).await,
        P::DealsBoard if get => deals::board(ctx),
        P::DealNew if get => deal_form::new(ctx),
        P::Deal if get => deal_form::show(ctx, m.id()?),
        P::Deal if put => deal_form::update(ctx, m.id()?).await,
        P::Deal if delete => deal_form::destroy(ctx, m.id()?).await,
        P::DealEdit if get => deal_form::edit(ctx, m.id()?),
        P::DealDelete if get => deal_form::confirm_delete(ctx, m.id()?),
        P::Admin
        | P::Projects
        | P::ProjectNew
        | P::Project
        | P::ProjectSettings
        | P::ProjectMemberships
        | P::Membership
        | P::ProjectCategories
        | P::Category
        | P::Users
        | P::UserNew
        | P::User
        | P::UserEdit
        | P::Roles
        | P::CustomFields
        | P::DealStatuses
        | P::DealStatus
        | P::Tags
        | P::Tag
        | P::TagMerge => admin::dispatch(ctx, m, get, post, put, delete).await,
        _ => Err(Error::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    #[test]
    fn browsers_get_pages_and_everything_else_stays_an_api_request() {
        let page = |uri: &str, h: &[(&'static str, &str)]| is_page_request(&uri.parse().unwrap(), &headers(h));
        assert!(page("/contacts", &[("accept", BROWSER)]));
        assert!(page("/contacts?search=ann", &[("accept", "text/html")]));
        assert!(page("/assets/app.0123456789.css", &[("accept", "text/css,*/*;q=0.1")]));
        assert!(!page("/contacts.json", &[("accept", BROWSER)]));
        assert!(!page("/contacts.xml", &[("accept", BROWSER)]));
        assert!(!page("/contacts?format=json", &[("accept", BROWSER)]));
        assert!(!page("/contacts?key=abc", &[("accept", BROWSER)]));
        assert!(!page("/contacts", &[("accept", BROWSER), ("x-redmine-api-key", "abc")]));
        assert!(!page("/contacts", &[("accept", BROWSER), ("authorization", "Basic YTpi")]));
        assert!(!page("/contacts", &[]));
        assert!(!page("/contacts", &[("accept", "*/*")]));
        assert!(!page("/contacts", &[("accept", "application/json")]));
        assert!(!page("/contacts", &[("accept", "application/json, text/html")]));
        assert!(!page("/contacts", &[("accept", "application/xml;q=1, text/html;q=0.5")]));
    }

    #[test]
    fn pages_are_found_by_redmine_paths() {
        assert_eq!(route("/contacts/new").map(|m| m.page), Some(P::ContactNew));
        let m = route("/contacts/12/edit").unwrap();
        assert_eq!((m.page, m.id().unwrap()), (P::ContactEdit, 12));
        assert_eq!(route("/projects/sales/contacts").unwrap().project.as_deref(), Some("sales"));
        assert_eq!(route("/deals/board/").map(|m| m.page), Some(P::DealsBoard));
        assert!(route("/nothing").is_none());
    }
}
