//! Import and export: the pages the contact list links to. The importers and exporters
//! (`.vcf`/`.csv`) are built in parallel on their own branch; until they are merged these
//! pages say so (and the import form posts nowhere that would change anything).

use askama::Template;

use super::respond::Page;
use super::session::Ctx;
use super::views::Chrome;
use crate::domain::permission::Permission;
use crate::error::Result;

#[derive(Template)]
#[template(path = "exchange.html")]
struct Exchange {
    chrome: Chrome,
    import: bool,
    posted: bool,
}

/// `GET /contacts/import`, and the form's `POST` (which answers that importing is not here
/// yet).
pub fn import(ctx: &Ctx<'_>) -> Result<Page> {
    if !ctx.principal.allowed_anywhere(Permission::ImportContacts)
        && !ctx.principal.allowed_anywhere(Permission::AddContacts)
    {
        return Err(ctx.principal.deny());
    }
    let posted = ctx.req.method == hyper::Method::POST;
    Page::render_with(
        if posted { 501 } else { 200 },
        &Exchange { chrome: ctx.chrome("Import contacts", "contacts"), import: true, posted },
    )
}

/// `GET /contacts/export`.
pub fn export(ctx: &Ctx<'_>) -> Result<Page> {
    if !ctx.principal.allowed_anywhere(Permission::ViewContacts) {
        return Err(ctx.principal.deny());
    }
    Page::render(&Exchange { chrome: ctx.chrome("Export contacts", "contacts"), import: false, posted: false })
}
