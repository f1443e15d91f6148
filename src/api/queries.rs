//! `/crm_queries`: saved queries of contact and deal lists (API.md §3.9), the extensions to
//! create, show and delete them, and `query_id=` on the lists ([`params_with_saved_query`]).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::input::{self, paging};
use super::{created, Ctx, Reply};
use crate::domain::attributes::{as_text, Problems};
use crate::domain::deal_query::{DealQuery, DealVisibility};
use crate::domain::filters::{self, parse_short, Filter, FilterType};
use crate::domain::query::{ContactQuery, Visibility};
use crate::domain::saved_query::{self, QueryKind, SavedQuery, QUERY_ROLES};
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::render;

/// The principal's (project, role) pairs, which role-restricted queries are shown by (none
/// needed for anonymous and admins).
fn member_roles(ctx: &Ctx<'_>) -> Result<Vec<(i64, i64)>> {
    let p = &ctx.principal;
    if p.is_anonymous() || p.is_admin() {
        return Ok(Vec::new());
    }
    ctx.store.member_roles(p.user_id())
}

/// 403 (401 for anonymous) unless the principal may see the query.
fn ensure_visible(ctx: &Ctx<'_>, query: &SavedQuery) -> Result<()> {
    match ctx.principal.may_see_query(query, &member_roles(ctx)?) {
        true => Ok(()),
        false => Err(ctx.principal.deny()),
    }
}

/// `GET /crm_queries?object_type=contact|deal` (API.md §3.9): the queries of that list the
/// principal may see, by name, paged; 404 without a known `object_type`.
pub fn index(ctx: &Ctx<'_>) -> Result<Reply> {
    let kind = ctx.param("object_type").and_then(|t| QueryKind::from_name(&t)).ok_or(Error::NotFound)?;
    let roles = member_roles(ctx)?;
    let all = ctx.store.saved_queries(kind)?;
    let visible: Vec<&SavedQuery> = all.iter().filter(|q| ctx.principal.may_see_query(q, &roles)).collect();
    let (offset, limit) = paging(&ctx.params);
    let page: Vec<&SavedQuery> = visible.iter().skip(offset as usize).take(limit as usize).copied().collect();
    let mut d = ctx.doc();
    render::queries::query_list(&mut d, &page, ctx.list_meta(visible.len() as i64, offset, limit));
    Ok(Reply::Ok(d.finish()))
}

/// `GET /crm_queries/:id` (extension): the whole query.
pub fn show(ctx: &Ctx<'_>) -> Result<Reply> {
    let query = ctx.store.saved_query(ctx.id()?)?;
    ensure_visible(ctx, &query)?;
    let mut d = ctx.doc();
    render::queries::query(&mut d, &query);
    Ok(Reply::Ok(d.finish()))
}

/// `POST /crm_queries` (extension): `{"query": {name, object_type, project_id, visibility,
/// role_ids, filters | f/op/v, column_names, sort_criteria | sort}}`. Saving needs
/// save_*_queries (or manage_public_*_queries) in the project, or anywhere for a global
/// query (403 otherwise); sharing with roles or everyone needs manage_public_*_queries
/// (`Visibility is invalid`). The filters must be valid for the list (the list's 422
/// messages). 201 with the query and its `Location`.
pub async fn create(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    p.require_login()?;
    let attrs = input::record(&ctx.params, "query", "Query")?;
    let mut pr = Problems::default();
    let mut query = saved_query::read(&attrs, p.user_id(), now_ms(), &mut pr);
    if let Some(reference) = ctx.named_project(&attrs) {
        query.project_id = Some(ctx.store.project(&reference)?.id);
    }
    let known_kind = attrs.get("object_type").and_then(as_text).and_then(|t| QueryKind::from_name(&t)).is_some();
    if known_kind {
        if !p.may_save_query(query.kind, query.project_id, false) {
            return Err(p.deny());
        }
        if query.is_public() && !p.may_save_query(query.kind, query.project_id, true) {
            pr.add("Visibility", "is invalid");
        }
        if let Err(Error::Validation(messages)) = check_filters(ctx, query.kind, &query.filters) {
            pr.0.extend(messages);
        }
    }
    if query.visibility == QUERY_ROLES {
        let roles = ctx.store.roles()?;
        if query.role_ids.is_empty() {
            pr.add("Roles", "cannot be blank");
        } else if !query.role_ids.iter().all(|id| roles.iter().any(|r| r.id == *id)) {
            pr.add("Roles", "is invalid");
        }
    }
    pr.into_result()?;
    let saved = ctx.store.create_saved_query(query).await?;
    let mut d = ctx.doc();
    render::queries::query(&mut d, &saved);
    created(d.finish(), format!("/crm_queries/{}", saved.id))
}

/// Whether saved filters suit their list: contact filters are read as the contact list reads
/// them (unknown filters, operators and malformed values → the list's 422 messages). Deal
/// filters are kept as given until the deal list's query module can check them here.
fn check_filters(ctx: &Ctx<'_>, kind: QueryKind, filters: &[Filter]) -> Result<()> {
    match kind {
        QueryKind::Contact => {
            let fields = ctx.store.custom_fields("contact")?;
            let mut query = ContactQuery::new(Visibility::Everything);
            query.apply_params(&filters::to_long_form(filters), &ctx.principal, &fields)
        }
        QueryKind::Deal => {
            let fields = ctx.store.custom_fields("deal")?;
            let everything = DealVisibility::Everything;
            DealQuery::from_params(&filters::to_long_form(filters), everything, None, &ctx.principal, &fields)
                .map(|_| ())
        }
    }
}

/// `DELETE /crm_queries/:id` (extension): by its owner or an admin; 204.
pub async fn destroy(ctx: &Ctx<'_>) -> Result<Reply> {
    let p = &ctx.principal;
    p.require_login()?;
    let query = ctx.store.saved_query(ctx.id()?)?;
    if !(p.is_admin() || query.user_id == p.user_id()) {
        return Err(p.deny());
    }
    ctx.store.delete_saved_query(query.id).await?;
    Ok(Reply::NoContent)
}

/// The parameters a list of `kind` reads, with the saved query named by `query_id` applied
/// (API.md §1.7): borrowed as they are without `query_id`. `project` is the list's project
/// scope (None: all projects); `kind_of` names the list's filters and their types, as given
/// to `domain::filters::read` (for contacts `domain::query::filter_type`).
///
/// - An unknown query, one of the other list, or a project query used outside its project
///   (not in a subproject either, as Redmine finds it) → 404; one the principal may not see
///   → 403 (401 for anonymous).
/// - The saved filters apply unless the request gives its own long-form filters (`f[]`);
///   a short-form parameter of the request overrides the saved filter of the same field,
///   and the request's other short-form filters apply too. The result is in the long form.
///   Saved filters the list no longer knows (a custom field since deleted) are left out.
/// - The saved sort applies unless the request gives `sort`.
///
/// Lists call it before reading their filters, after their own permission check:
/// `let params = queries::params_with_saved_query(ctx, QueryKind::Deal, scope, deal_query::filter_type)?;`
pub fn params_with_saved_query<'c>(
    ctx: &'c Ctx<'_>,
    kind: QueryKind,
    project: Option<i64>,
    kind_of: impl Fn(&str) -> Option<FilterType>,
) -> Result<Cow<'c, Map<String, Value>>> {
    let Some(reference) = ctx.param("query_id") else {
        return Ok(Cow::Borrowed(&ctx.params));
    };
    let id: i64 = reference.trim().parse().map_err(|_| Error::NotFound)?;
    let saved = ctx.store.saved_query(id)?;
    if saved.kind != kind || saved.project_id.is_some_and(|own| Some(own) != project) {
        return Err(Error::NotFound);
    }
    ensure_visible(ctx, &saved)?;
    let mut params = ctx.params.clone();
    if filters::long_form(&params).is_none() {
        let given = |name: &str| params.get(name).and_then(as_text).filter(|v| !v.is_empty());
        let mut merged: Vec<Filter> = saved
            .filters
            .iter()
            .filter(|f| kind_of(&f.field).is_some() && given(&f.field).is_none())
            .cloned()
            .collect();
        for (name, value) in &params {
            if let (Some(filter_kind), Some(expression)) = (kind_of(name), as_text(value).filter(|v| !v.is_empty())) {
                merged.push(parse_short(filter_kind, name, &expression));
            }
        }
        params.extend(filters::to_long_form(&merged));
    }
    if ctx.param("sort").is_none() {
        if let Some(sort) = saved.sort_param() {
            params.insert("sort".into(), Value::String(sort));
        }
    }
    Ok(Cow::Owned(params))
}
