//! Maps a path to a route. The format comes from the path's `.json`/`.xml` extension, which is
//! removed before matching, so `/contacts/1.json` and `/contacts/1` match the same route. The
//! export extensions `.vcf` and `.csv` are removed the same way and kept in `Matched::file`.

use std::sync::OnceLock;

use crate::render::Format;

/// Every resource path the API serves; the method is dispatched by the handler module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Contacts,
    Contact,
    ProjectContacts,
    ProjectContact,
    ContactProjects,
    ContactProject,
    Notes,
    Note,
    Deals,
    ProjectDeals,
    Deal,
    DealStatuses,
    ContactTags,
    Users,
    CurrentUser,
    User,
    Projects,
    Project,
    Memberships,
    Membership,
    Roles,
    Role,
    CustomFields,
    CrmQueries,
    CrmQuery,
    DealCategories,
    DealCategory,
    DealStatus,
    ContactTag,
    ContactTagMerge,
    /// Not Redmine's: a consistent copy of the database file (`api/admin.rs`).
    AdminBackup,
    /// `GET /openapi.json`: the API's description.
    OpenApi,
    ContactsImport,
    ContactDuplicates,
    ContactMerge,
}

/// An export format named by the path's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileExt {
    Vcf,
    Csv,
}

/// Every path pattern and its route. `openapi.json` documents each (`{pattern}.json`), which
/// `tests/api/openapi.rs` checks.
pub const ROUTES: &[(&str, Route)] = &[
    ("/contacts", Route::Contacts),
    ("/contacts/{id}", Route::Contact),
    ("/projects/{project}/contacts", Route::ProjectContacts),
    ("/projects/{project}/contacts/{id}", Route::ProjectContact),
    ("/contacts/{id}/projects", Route::ContactProjects),
    ("/contacts/{id}/projects/{project}", Route::ContactProject),
    ("/notes", Route::Notes),
    ("/notes/{id}", Route::Note),
    ("/deals", Route::Deals),
    ("/projects/{project}/deals", Route::ProjectDeals),
    ("/deals/{id}", Route::Deal),
    ("/deal_statuses", Route::DealStatuses),
    ("/contacts_tags", Route::ContactTags),
    ("/users", Route::Users),
    ("/users/current", Route::CurrentUser),
    ("/users/{id}", Route::User),
    ("/projects", Route::Projects),
    ("/projects/{project}", Route::Project),
    ("/projects/{project}/memberships", Route::Memberships),
    ("/memberships/{id}", Route::Membership),
    ("/roles", Route::Roles),
    ("/roles/{id}", Route::Role),
    ("/custom_fields", Route::CustomFields),
    ("/crm_queries", Route::CrmQueries),
    ("/crm_queries/{id}", Route::CrmQuery),
    ("/projects/{project}/deal_categories", Route::DealCategories),
    ("/projects/{project}/deal_categories/{id}", Route::DealCategory),
    ("/deal_categories/{id}", Route::DealCategory),
    ("/deal_statuses/{id}", Route::DealStatus),
    ("/contacts_tags/{id}", Route::ContactTag),
    ("/contacts_tags/{id}/merge", Route::ContactTagMerge),
    ("/openapi", Route::OpenApi),
    ("/admin/backup", Route::AdminBackup),
    ("/contacts/import", Route::ContactsImport),
    ("/contacts/{id}/duplicates", Route::ContactDuplicates),
    ("/contacts/{id}/merge", Route::ContactMerge),
];

fn router() -> &'static matchit::Router<Route> {
    static ROUTER: OnceLock<matchit::Router<Route>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut r = matchit::Router::new();
        for (path, route) in ROUTES {
            r.insert(*path, *route).expect("route table is consistent");
        }
        r
    })
}

/// A matched route with its path parameters.
#[derive(Clone, Debug)]
pub struct Matched {
    pub route: Route,
    /// `{id}`: the record id (may be an identifier for projects).
    pub id: Option<String>,
    /// `{project}`: a project id or identifier.
    pub project: Option<String>,
    /// The format named by the path's extension.
    pub format: Option<Format>,
    /// The export format named by the path's extension (`.vcf`, `.csv`).
    pub file: Option<FileExt>,
}

/// Splits a `.json`/`.xml` extension off the path and matches it. An unknown extension
/// (`.csv`, `.html`) matches nothing: those formats are not served.
pub fn route(path: &str) -> Option<Matched> {
    let mut file = None;
    let (bare, format) = match path.rsplit_once('.') {
        Some((bare, "json")) if !bare.ends_with('/') => (bare, Some(Format::Json)),
        Some((bare, "xml")) if !bare.ends_with('/') => (bare, Some(Format::Xml)),
        Some((bare, ext @ ("vcf" | "csv"))) if !bare.ends_with('/') => {
            file = Some(if ext == "vcf" { FileExt::Vcf } else { FileExt::Csv });
            (bare, None)
        }
        Some((_, ext)) if !ext.contains('/') => return None,
        _ => (path, None),
    };
    let bare = if bare.len() > 1 { bare.trim_end_matches('/') } else { bare };
    let m = router().at(bare).ok()?;
    Some(Matched {
        route: *m.value,
        id: m.params.get("id").map(str::to_string),
        project: m.params.get("project").map(str::to_string),
        format,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_pick_the_format() {
        let m = route("/contacts/2.xml").unwrap();
        assert_eq!((m.route, m.id.as_deref(), m.format), (Route::Contact, Some("2"), Some(Format::Xml)));
        let m = route("/contacts/30/projects/2.json").unwrap();
        assert_eq!((m.route, m.project.as_deref()), (Route::ContactProject, Some("2")));
        assert_eq!(route("/users/current.json").unwrap().route, Route::CurrentUser);
        assert_eq!(route("/contacts/1").unwrap().format, None);
        assert_eq!(route("/contacts.csv").unwrap().file, Some(FileExt::Csv));
        assert_eq!(route("/contacts/7.vcf").unwrap().id.as_deref(), Some("7"));
        assert!(route("/contacts.html").is_none());
        assert_eq!(route("/contacts/import.json").unwrap().route, Route::ContactsImport);
        assert!(route("/nothing.json").is_none());
    }
}
