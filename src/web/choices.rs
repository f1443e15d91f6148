//! The choices the contact list's filters offer (projects, tags in use, people to assign),
//! kept per user until the data or the configuration changes, as rendered `<option>`s.
//! Reading every user and tag again, and rendering them, for each view of the list cost more
//! than the list itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;

use super::forms;
use super::session::Ctx;
use crate::domain::permission::Permission;
use crate::error::{Error, Result};

/// Users whose choices are kept at most (all are dropped past it: a rare reset).
const MAX_USERS: usize = 1000;

/// One `<option>`, escaped by the template.
#[derive(Template)]
#[template(
    source = r#"<option value="{{ value }}"{% if selected %} selected{% endif %}>{{ label }}</option>"#,
    ext = "html"
)]
struct OptionHtml<'a> {
    value: &'a str,
    label: &'a str,
    selected: bool,
}

/// The options of a `<select>`: each one's value, and its HTML unselected and selected.
pub struct Options(Vec<(String, String, String)>);

impl Options {
    fn new(items: impl IntoIterator<Item = (String, String)>) -> Result<Options> {
        let render = |value: &str, label: &str, selected: bool| {
            OptionHtml { value, label, selected }.render().map_err(|e| Error::Internal(format!("template: {e}")))
        };
        let mut options = Vec::new();
        for (value, label) in items {
            let (plain, selected) = (render(&value, &label, false)?, render(&value, &label, true)?);
            options.push((value, plain, selected));
        }
        Ok(Options(options))
    }

    /// The options' HTML with the one whose value is `current` selected.
    pub fn html(&self, current: &str) -> String {
        let mut out = String::with_capacity(self.0.iter().map(|o| o.2.len()).sum());
        for (value, plain, selected) in &self.0 {
            out.push_str(if value == current { selected } else { plain });
        }
        out
    }
}

/// A user's choices for the contact list's filters.
pub struct Choices {
    /// Projects where the user may view contacts, by name, after "All projects".
    pub projects: Options,
    /// How many projects there are to choose from.
    pub project_count: usize,
    /// Tags in use, by name, after "Any tag".
    pub tags: Options,
    /// Users to filter by assignee, by name, after "Anyone" and "Me".
    pub assignees: Options,
}

/// The choices by user id, with the data and configuration versions they were read at.
#[derive(Default)]
pub struct ChoicesCache(Mutex<HashMap<i64, ((u64, u64), Arc<Choices>)>>);

/// The signed-in user's choices, from the cache while neither version moved.
pub fn contact_filters(ctx: &Ctx<'_>) -> Result<Arc<Choices>> {
    let store = &ctx.app.store;
    let cache = &ctx.app.choices.0;
    let user = ctx.principal.user_id();
    let versions = (store.data_version(), store.config_version());
    if let Some((at, choices)) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&user) {
        if *at == versions {
            return Ok(choices.clone());
        }
    }
    let blank = |label: &str| (String::new(), label.to_string());
    let ids = |pairs: Vec<(i64, String)>| pairs.into_iter().map(|(id, name)| (id.to_string(), name));
    let projects = forms::project_pairs(&forms::projects_with(ctx, Permission::ViewContacts)?);
    let tags = store.contact_tags()?.into_iter().map(|(_, name)| (name.clone(), name));
    let me = ("me".to_string(), "Me".to_string());
    let assignees = ids(forms::assignable_users(ctx, Permission::ViewContacts)?);
    let choices = Arc::new(Choices {
        project_count: projects.len(),
        projects: Options::new(std::iter::once(blank("All projects")).chain(ids(projects)))?,
        tags: Options::new(std::iter::once(blank("Any tag")).chain(tags))?,
        assignees: Options::new([blank("Anyone"), me].into_iter().chain(assignees))?,
    });
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= MAX_USERS {
        cache.clear();
    }
    cache.insert(user, (versions, choices.clone()));
    Ok(choices)
}
