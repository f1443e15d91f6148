//! The reference data the contacts need, sized by how many there will be: projects (the main
//! ones, then regional subprojects) with their deal categories, the demo users and their
//! memberships under one role, the custom fields, the tags and the deal statuses. [`setup`]
//! hands them to the bulk load and keeps their ids for the generator.

use std::fmt::Write as _;

use super::rng::{zipf, Rng};
use super::text::{fold_ascii, surname};
use super::vocab::{vocab, REGIONAL_PARENTS};
use super::{ANCHOR_MS, DAY_MS, SPAN_MS};
use crate::error::Result;
use crate::store::bulk::{BulkLoad, NewCustomField, NewProject, NewUser};

/// The role of the demo users, and what it may do in every project they are members of.
const ROLE: &str = "CRM manager";
const ROLE_PERMISSIONS: &str =
    "view_contacts view_private_contacts add_contacts edit_contacts delete_contacts add_notes view_deals add_deals edit_deals";

/// The ids of the reference data, and the weights the generator draws them by.
pub(super) struct Setup {
    /// Project ids, in popularity order.
    pub projects: Vec<i64>,
    pub project_weights: Vec<u32>,
    /// Deal category ids per project (same order as `projects`).
    pub categories: Vec<Vec<i64>>,
    /// Demo users (authors and assignees).
    pub users: Vec<i64>,
    pub admin: Option<i64>,
    /// In the order of the vocabulary's tags (by popularity).
    pub tag_ids: Vec<i64>,
    pub tag_weights: Vec<u32>,
    pub license_field: i64,
    pub segment_field: i64,
    /// Pending, Won, Lost.
    pub statuses: [i64; 3],
}

fn project_count(contacts: usize) -> usize {
    contacts.div_ceil(3_000).clamp(3, 40)
}

fn user_count(contacts: usize) -> usize {
    (4 + contacts / 40_000).min(30)
}

/// Projects: the main ones (as many as the scale asks for), then regional subprojects of the
/// first few: (identifier, name, description, index of the parent).
fn project_plan(contacts: usize) -> Vec<(String, String, String, Option<usize>)> {
    let v = vocab();
    let n_projects = project_count(contacts);
    let mut plan = Vec::new();
    for [ident, name, desc] in v.main_projects.iter().take(n_projects) {
        plan.push((ident.to_string(), name.to_string(), desc.to_string(), None));
    }
    'outer: for [region, region_name] in &v.regions {
        for (parent, [ident, name, _]) in v.main_projects.iter().enumerate().take(REGIONAL_PARENTS) {
            if plan.len() >= n_projects {
                break 'outer;
            }
            plan.push((
                format!("{ident}-{region}"),
                format!("{name} {region_name}"),
                format!("{name} in {region_name}"),
                Some(parent),
            ));
        }
    }
    plan
}

pub(super) fn setup(bulk: &mut BulkLoad<'_>, contacts: usize, rng: &mut Rng) -> Result<Setup> {
    let v = vocab();
    let now = ANCHOR_MS - SPAN_MS - 30 * DAY_MS;
    let admin = bulk.admin_id()?;

    let mut projects = Vec::new();
    for (identifier, name, description, parent) in &project_plan(contacts) {
        let id = bulk.project(&NewProject {
            identifier,
            name,
            description,
            parent_id: parent.map(|p| projects[p]),
            modules: &["contacts", "deals"],
            created_on: now,
        })?;
        projects.push(id);
    }
    let mut categories = Vec::with_capacity(projects.len());
    for &p in &projects {
        categories.push(v.deal_categories.iter().map(|name| bulk.deal_category(p, name)).collect::<Result<_>>()?);
    }

    // The role and the users, members of the main projects and of some regional ones.
    let role = bulk.role(ROLE, ROLE_PERMISSIONS)?;
    let mut users = Vec::new();
    let locales: Vec<usize> = (0..v.locales.len()).filter(|&i| v.locales[i].users).collect();
    let mut login = String::new();
    while users.len() < user_count(contacts) {
        let locale = &v.locales[rng.pick(&locales)];
        let female = rng.percent(50);
        let first = rng.pick(if female { &locale.first_f } else { &locale.first_m });
        let last_index = rng.below(locale.last.len());
        let mut last = String::new();
        surname(locale, last_index, female, &mut last);
        // The initial and the last name; a number after it when that login is taken.
        login.clear();
        fold_ascii(&first[..first.char_indices().nth(1).map_or(first.len(), |(i, _)| i)], &mut login);
        fold_ascii(&last, &mut login);
        let base_len = login.len();
        let mut suffix = 1;
        let id = loop {
            let mail = format!("{login}@example.com");
            let api_key = crate::secrets::generate_api_key();
            let user = NewUser {
                login: &login,
                firstname: first,
                lastname: &last,
                mail: &mail,
                api_key: &api_key,
                created_on: now,
            };
            if let Some(id) = bulk.user(&user)? {
                break id;
            }
            suffix += 1;
            login.truncate(base_len);
            let _ = write!(login, "{suffix}");
        };
        users.push(id);
        let mut member_of: Vec<i64> = projects.iter().take(v.main_projects.len()).copied().collect();
        for &p in projects.iter().skip(v.main_projects.len()) {
            if rng.percent(30) {
                member_of.push(p);
            }
        }
        for p in member_of {
            bulk.membership(id, p, role, now)?;
        }
    }

    let license_field = bulk.contact_custom_field(&NewCustomField {
        name: "License",
        format: "string",
        possible_values: &[],
        is_filter: false,
    })?;
    let segment_field = bulk.contact_custom_field(&NewCustomField {
        name: "Segment",
        format: "list",
        possible_values: &v.segments,
        is_filter: true,
    })?;
    let tag_ids = v.tags.iter().map(|name| bulk.tag(name)).collect::<Result<_>>()?;
    let statuses = bulk.deal_statuses()?;

    Ok(Setup {
        project_weights: zipf(projects.len(), 0.8),
        projects,
        categories,
        users,
        admin,
        tag_ids,
        tag_weights: zipf(v.tags.len(), 1.1),
        license_field,
        segment_field,
        statuses,
    })
}
