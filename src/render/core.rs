//! The Redmine core resources the CRM API leans on: users, projects, memberships, roles and
//! custom fields, in Redmine 5.0's shapes.

use super::{reference, Doc, Meta, Val};
use crate::domain::time::iso;
use crate::domain::Membership;
use crate::domain::{CustomField, Project, Role, User};

/// Which private attributes of a user the viewer may see (themselves or an admin).
#[derive(Clone, Copy)]
pub struct UserView {
    pub is_self: bool,
    pub viewer_is_admin: bool,
}

pub fn user(d: &mut Doc, u: &User, view: UserView, in_list: bool) {
    let private = view.is_self || view.viewer_is_admin;
    d.begin_record("user", in_list);
    d.field("id", u.id);
    if private {
        d.field("login", u.login.as_str());
        d.field("admin", u.admin);
    }
    d.field("firstname", u.firstname.as_str());
    d.field("lastname", u.lastname.as_str());
    if private {
        d.field("mail", &u.mail);
    }
    d.field("created_on", iso(u.created_on).as_str());
    d.field("updated_on", iso(u.updated_on).as_str());
    d.field("last_login_on", u.last_login_on.map(iso).as_deref());
    d.field("passwd_changed_on", Val::Null);
    if private {
        d.field("twofa_scheme", Val::Null);
        d.field("api_key", &u.api_key);
    }
    if view.viewer_is_admin {
        d.field("status", u.status);
    }
    d.end("user");
}

pub fn user_list(d: &mut Doc, users: &[User], view_admin: bool, meta: Option<Meta>) {
    d.begin_array("users", meta);
    for u in users {
        user(d, u, UserView { is_self: false, viewer_is_admin: view_admin }, true);
    }
    d.end_array("users");
}

pub fn project(d: &mut Doc, p: &Project, in_list: bool, with_modules: bool) {
    d.begin_record("project", in_list);
    d.field("id", p.id);
    d.field("name", p.name.as_str());
    d.field("identifier", p.identifier.as_str());
    d.field("description", p.description.as_deref().unwrap_or(""));
    d.field("homepage", p.homepage.as_deref().unwrap_or(""));
    reference(d, "parent", p.parent.as_ref().map(|(id, n)| (*id, n.as_str())));
    d.field("status", p.status);
    d.field("is_public", p.is_public);
    d.field("inherit_members", false);
    if with_modules {
        d.begin_array("enabled_modules", None);
        for (i, m) in p.modules.iter().enumerate() {
            d.reference_item("enabled_module", &[("id", Val::Int(i as i64 + 1)), ("name", Val::Str(m))]);
        }
        d.end_array("enabled_modules");
    }
    d.field("created_on", iso(p.created_on).as_str());
    d.field("updated_on", iso(p.updated_on).as_str());
    d.end("project");
}

pub fn project_list(d: &mut Doc, projects: &[Project], meta: Option<Meta>, with_modules: bool) {
    d.begin_array("projects", meta);
    for p in projects {
        project(d, p, true, with_modules);
    }
    d.end_array("projects");
}

pub fn membership(d: &mut Doc, m: &Membership, in_list: bool) {
    d.begin_record("membership", in_list);
    d.field("id", m.id);
    reference(d, "project", Some((m.project.0, m.project.1.as_str())));
    reference(d, "user", Some((m.user.0, m.user.1.as_str())));
    d.begin_array("roles", None);
    for (id, name) in &m.roles {
        d.reference_item("role", &[("id", Val::Int(*id)), ("name", Val::Str(name))]);
    }
    d.end_array("roles");
    d.end("membership");
}

pub fn membership_list(d: &mut Doc, memberships: &[Membership], meta: Option<Meta>) {
    d.begin_array("memberships", meta);
    for m in memberships {
        membership(d, m, true);
    }
    d.end_array("memberships");
}

pub fn role_list(d: &mut Doc, roles: &[Role]) {
    d.begin_array("roles", None);
    for r in roles {
        d.reference_item("role", &[("id", Val::Int(r.id)), ("name", Val::Str(&r.name))]);
    }
    d.end_array("roles");
}

pub fn role(d: &mut Doc, r: &Role) {
    d.begin("role");
    d.field("id", r.id);
    d.field("name", r.name.as_str());
    d.field("assignable", r.assignable);
    d.field("issues_visibility", "default");
    d.field("time_entries_visibility", "all");
    d.field("users_visibility", "all");
    d.begin_array("permissions", None);
    for p in r.permissions.names() {
        d.item_value("permission", p);
    }
    d.end_array("permissions");
    d.end("role");
}

pub fn custom_field(d: &mut Doc, f: &CustomField, in_list: bool) {
    d.begin_record("custom_field", in_list);
    d.field("id", f.id);
    d.field("name", f.name.as_str());
    d.field("customized_type", f.customized_type.as_str());
    d.field("field_format", f.field_format.as_str());
    d.field("regexp", f.regexp.as_deref().unwrap_or(""));
    d.field("min_length", f.min_length);
    d.field("max_length", f.max_length);
    d.field("is_required", f.is_required);
    d.field("is_filter", f.is_filter);
    d.field("searchable", f.searchable);
    d.field("multiple", f.multiple);
    d.field("default_value", &f.default_value);
    d.field("visible", f.visible);
    if !f.possible_values.is_empty() {
        d.begin_array("possible_values", None);
        for v in &f.possible_values {
            d.begin_item("possible_value");
            d.field("value", v.as_str());
            d.field("label", v.as_str());
            d.end_item("possible_value");
        }
        d.end_array("possible_values");
    }
    d.end("custom_field");
}

pub fn custom_field_list(d: &mut Doc, fields: &[CustomField]) {
    d.begin_array("custom_fields", None);
    for f in fields {
        custom_field(d, f, true);
    }
    d.end_array("custom_fields");
}
