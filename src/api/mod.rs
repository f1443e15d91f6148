//! The API surface, one file per resource. Each handler reads typed input from [`Ctx`], checks
//! permissions, calls the store and renders a [`Reply`]; errors are `crate::error::Error`.

pub mod admin;
pub mod contacts;
pub mod custom_fields;
pub mod deal_categories;
pub mod deal_statuses;
pub mod deals;
pub mod exchange;
pub mod fragments;
pub mod input;
pub mod notes;
pub mod openapi;
pub mod projects;
pub mod queries;
pub mod roles;
pub mod routes;
pub mod tags;
pub mod throttle;
pub mod users;

use hyper::Method;
use serde_json::{Map, Value};

use crate::api::routes::{Matched, Route};
use crate::domain::permission::Permission;
use crate::domain::principal::{Credentials, Principal};
use crate::error::{Error, Result};
use crate::render::{Doc, Format, Meta};
use crate::store::Store;
use crate::App;

/// Everything a handler needs about one request.
pub struct Ctx<'a> {
    /// Borrowed from the running service: a clone would touch a dozen shared reference counts
    /// per request.
    pub store: &'a Store,
    /// List items already rendered (see `fragments`).
    pub fragments: &'a fragments::FragmentCache,
    /// What one request may ask for.
    pub limits: &'a crate::config::Limits,
    pub principal: std::sync::Arc<Principal>,
    pub format: Format,
    pub method: Method,
    /// Query string and body parameters, body over query (as Rails merges them).
    pub params: Map<String, Value>,
    pub matched: Matched,
    /// Lists leave out their counters.
    pub nometa: bool,
    /// The raw body of an upload route (`POST /contacts/import`).
    pub upload: Option<Upload>,
}

/// A request body kept as it came (a multipart file upload), with its content type.
#[derive(Clone, Debug)]
pub struct Upload {
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
}

impl Ctx<'_> {
    /// The `{id}` path segment as a record id; anything else names no record (404).
    pub fn id(&self) -> Result<i64> {
        self.matched.id.as_deref().and_then(|s| s.parse().ok()).ok_or(Error::NotFound)
    }

    pub fn doc(&self) -> Doc {
        Doc::new(self.format)
    }

    /// The counters of a list page, unless the client asked for none (`nometa=1` or the
    /// `X-Redmine-Nometa` header).
    pub fn list_meta(&self, total_count: i64, offset: i64, limit: i64) -> Option<Meta> {
        (!self.nometa).then_some(Meta { total_count, offset_limit: Some((offset, limit)) })
    }

    /// The project a create names: the record's `project_id`, else the top-level one, else the
    /// route's `/projects/:id/…`.
    pub fn named_project(&self, record: &Map<String, Value>) -> Option<String> {
        record
            .get("project_id")
            .and_then(crate::domain::attributes::as_text)
            .filter(|s| !s.is_empty())
            .or_else(|| self.param("project_id"))
            .or_else(|| self.matched.project.clone())
    }

    /// The project named by a route or parameter (id or identifier): unknown → 404, or 401 for
    /// anonymous, as Redmine 5 answers.
    pub fn find_project(&self, reference: &str) -> Result<std::sync::Arc<crate::domain::Project>> {
        self.store.project(reference).map_err(|e| match e {
            Error::NotFound if self.principal.is_anonymous() => Error::Unauthorized,
            other => other,
        })
    }

    /// The projects a list is scoped to: the one of the route's `/projects/:id/…`, else of
    /// `project_id`, with its subprojects; None when no project is named. The principal must
    /// have `perm` there, or anywhere when no project is named (else 401/403).
    pub fn list_scope(&self, perm: Permission) -> Result<Option<ListScope>> {
        let p = &self.principal;
        let project = match self.matched.project.clone().or_else(|| self.param("project_id")) {
            Some(r) => Some(self.find_project(&r)?),
            None => None,
        };
        let allowed = match &project {
            Some(project) => p.allowed(perm, project.id),
            None => p.allowed_anywhere(perm),
        };
        if !allowed {
            return Err(p.deny());
        }
        match project {
            Some(project) => Ok(Some(ListScope {
                project_id: project.id,
                projects: self.store.project_subtree(project.id)?.to_vec(),
            })),
            None => Ok(None),
        }
    }

    /// A text parameter at the top level.
    pub fn param(&self, key: &str) -> Option<String> {
        self.params.get(key).and_then(crate::domain::attributes::as_text).filter(|s| !s.is_empty())
    }
}

/// The project a list is asked for (`/projects/:id/…` or `project_id`).
pub struct ListScope {
    pub project_id: i64,
    /// The project and its subprojects, whose records the list shows.
    pub projects: Vec<i64>,
}

/// What a handler answers.
pub enum Reply {
    /// 200 with a document.
    Ok(Vec<u8>),
    /// 201 with the new record and its `Location` path (made absolute by the HTTP layer).
    Created { body: Vec<u8>, location: String },
    /// 204, Redmine's `render_api_ok`.
    NoContent,
    /// 302 to an absolute URL (`redirect_on_success`).
    Redirect(String),
    /// 200 with the first `length` bytes of an open file as an attachment named `filename`,
    /// streamed as the client reads them (the admin backup).
    Download { file: std::fs::File, length: u64, content_type: &'static str, filename: String },
    /// 200 with a file to save (a vCard or CSV export), whole or streamed.
    File { content_type: &'static str, file_name: String, body: FileBody },
    /// 422 with a document that is not Redmine's `errors` (an import's report).
    Rejected(Vec<u8>),
}

/// The bytes of an exported file.
pub enum FileBody {
    Whole(Vec<u8>),
    /// Chunks from a producer; an `Err` ends the answer early.
    Stream(tokio::sync::mpsc::Receiver<Result<bytes::Bytes>>),
}

/// 201 with a new record and its `Location` path.
fn created(body: Vec<u8>, location: String) -> Result<Reply> {
    Ok(Reply::Created { body, location })
}

/// One request as the HTTP layer hands it over: routed, decoded, credentials not yet checked.
pub struct Request {
    pub credentials: Credentials,
    /// The client's address (failed logins are slowed down per address).
    pub peer: std::net::IpAddr,
    pub format: Format,
    pub method: Method,
    /// Query string and body parameters, body over query (as Rails merges them).
    pub params: Map<String, Value>,
    pub matched: Matched,
    /// Lists leave out their counters.
    pub nometa: bool,
    /// The raw body of an upload route.
    pub upload: Option<Upload>,
}

/// Authenticates a request and runs the handler of its route and method.
pub async fn handle(app: &App, request: Request) -> Result<Reply> {
    let Request { credentials, peer, format, method, params, matched, nometa, upload } = request;
    if matched.route == Route::OpenApi {
        return openapi::document(&method, format);
    }
    let principal = if credentials.api_key.is_some() || credentials.basic.is_some() {
        let wait = app.logins.wait_for(peer);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let principal = app.store.principal(&credentials)?;
        app.logins.record(peer, !principal.is_anonymous());
        principal
    } else {
        app.store.principal(&credentials)?
    };
    if method == Method::GET || method == Method::HEAD {
        check_list_sizes(&params, app.limits.max_list_values)?;
    }
    let limits = &app.limits;
    let ctx = Ctx {
        store: &app.store,
        fragments: &app.fragments,
        limits,
        principal,
        format,
        method,
        params,
        matched,
        nometa,
        upload,
    };
    dispatch(ctx).await
}

/// Refuses a read whose parameters name more values than `max` in one list (`ids=1|2|…`,
/// `include=a,b,…`, `v[ids][]=…`): the work a request may ask for stays bounded.
fn check_list_sizes(params: &Map<String, Value>, max: usize) -> Result<()> {
    fn values(v: &Value) -> usize {
        match v {
            Value::String(s) => s.split(['|', ',']).count(),
            Value::Array(items) => items.iter().map(values).sum(),
            Value::Object(o) => o.values().map(values).max().unwrap_or(0),
            _ => 1,
        }
    }
    match params.iter().find(|(_, v)| values(v) > max) {
        Some((name, _)) => Err(Error::invalid(format!("{name} has too many values (maximum is {max})"))),
        None => Ok(()),
    }
}

/// Runs the handler of a route and method (also for the web interface's forms, with the
/// session's principal: a form does what the API allows).
pub async fn dispatch(ctx: Ctx<'_>) -> Result<Reply> {
    use Route::*;
    let m = ctx.method.clone();
    let get = m == Method::GET || m == Method::HEAD;
    let post = m == Method::POST;
    let put = m == Method::PUT || m == Method::PATCH;
    let delete = m == Method::DELETE;
    if ctx.matched.file.is_some() {
        return exchange::export(&ctx, get);
    }
    match ctx.matched.route {
        ContactsImport if post => exchange::import(&ctx).await,
        ContactDuplicates if get => exchange::duplicates(&ctx),
        ContactMerge if post => exchange::merge(&ctx).await,
        Contacts | ProjectContacts if get => contacts::index(&ctx),
        Contacts | ProjectContacts if post => contacts::create(&ctx).await,
        Contact | ProjectContact if get => contacts::show(&ctx),
        Contact | ProjectContact if put => contacts::update(&ctx).await,
        Contact | ProjectContact if delete => contacts::destroy(&ctx).await,
        ContactProjects if post => contacts::add_project(&ctx).await,
        ContactProject if delete => contacts::remove_project(&ctx).await,
        ContactTags if get => tags::index(&ctx),
        ContactTag if put => tags::update(&ctx).await,
        ContactTag if delete => tags::destroy(&ctx).await,
        ContactTagMerge if post => tags::merge(&ctx).await,
        Notes if post => notes::create(&ctx).await,
        Note if get => notes::show(&ctx),
        Note if put => notes::update(&ctx).await,
        Note if delete => notes::destroy(&ctx).await,
        Deals | ProjectDeals if get => deals::index(&ctx),
        Deals | ProjectDeals if post => deals::create(&ctx).await,
        Deal if get => deals::show(&ctx),
        Deal if put => deals::update(&ctx).await,
        Deal if delete => deals::destroy(&ctx).await,
        DealStatuses if get => deal_statuses::index(&ctx),
        DealStatuses if post => deal_statuses::create(&ctx).await,
        DealStatus if put => deal_statuses::update(&ctx).await,
        DealStatus if delete => deal_statuses::destroy(&ctx).await,
        Users if get => users::users(&ctx),
        Users if post => users::create_user(&ctx).await,
        CurrentUser if get => users::current_user(&ctx),
        User if get => users::user(&ctx),
        User if put => users::update_user(&ctx).await,
        User if delete => users::delete_user(&ctx).await,
        Projects if get => projects::projects(&ctx),
        Projects if post => projects::create_project(&ctx).await,
        Project if get => projects::project(&ctx),
        Project if put => projects::update_project(&ctx).await,
        Project if delete => projects::delete_project(&ctx).await,
        Memberships if get => projects::memberships(&ctx),
        Memberships if post => projects::create_membership(&ctx).await,
        Membership if get => projects::membership(&ctx),
        Membership if delete => projects::delete_membership(&ctx).await,
        Roles if get => roles::roles(&ctx),
        Roles if post => roles::create_role(&ctx).await,
        Role if get => roles::role(&ctx),
        CustomFields if get => custom_fields::custom_fields(&ctx),
        CustomFields if post => custom_fields::create_custom_field(&ctx).await,
        CrmQueries if get => queries::index(&ctx),
        CrmQueries if post => queries::create(&ctx).await,
        CrmQuery if get => queries::show(&ctx),
        CrmQuery if delete => queries::destroy(&ctx).await,
        DealCategories if get => deal_categories::index(&ctx),
        DealCategories if post => deal_categories::create(&ctx).await,
        DealCategory if put => deal_categories::update(&ctx).await,
        DealCategory if delete => deal_categories::destroy(&ctx).await,
        AdminBackup if m == Method::GET => admin::backup(&ctx),
        _ => Err(Error::NotFound),
    }
}
