//! A contact's possible duplicates, by the API's rule and code
//! (`api::exchange::visible_duplicates`, as `GET /contacts/:id/duplicates`). The contact's
//! page loads them after itself (htmx, `hx-trigger="load"`): finding them costs a search of
//! the index, which the page's own answer need not wait for. Without JavaScript the page
//! links here, `GET /contacts/:id/duplicates`, a page of its own.

use askama::Template;

use super::respond::Page;
use super::session::Ctx;
use super::views::Chrome;
use crate::domain::permission::Permission;
use crate::error::{Error, Result};

/// The list (what htmx swaps into the contact's page).
#[derive(Template)]
#[template(path = "duplicates_list.html")]
struct List {
    duplicates: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    chrome: Chrome,
    id: i64,
    name: String,
    list: List,
}

/// `GET /contacts/:id/duplicates`: the list alone for htmx, else a page.
pub fn show(ctx: &Ctx<'_>, id: i64) -> Result<Page> {
    let p = &ctx.principal;
    let store = &ctx.app.store;
    let contact = store.contact(id)?;
    if !p.may_contact(Permission::ViewContacts, &contact) {
        return Err(p.deny());
    }
    let found = crate::api::exchange::visible_duplicates(store, p, &contact)?;
    let list = List { duplicates: found.iter().map(|d| (d.id, d.reference_name())).collect() };
    if ctx.wants_fragment("duplicates-list") {
        let body = list.render().map_err(|e| Error::Internal(format!("template: {e}")))?;
        return Ok(Page::Html { status: 200, body });
    }
    let name = contact.reference_name();
    let chrome = ctx.chrome(format!("Possible duplicates of {name}"), "contacts");
    Page::render(&DuplicatesPage { chrome, id, name, list })
}
