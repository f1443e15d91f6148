//! Who is acting, and what they may do where: the user (or anonymous) and, per active project,
//! the permissions their roles grant there with the project's modules applied.

use std::collections::HashMap;

use super::deal_query::DealVisibility;
use super::permission::{PermSet, Permission};
use super::query::Visibility;
use super::saved_query::{QueryKind, SavedQuery, QUERY_PUBLIC, QUERY_ROLES};
use super::{Contact, Deal, Project, User, PROJECT_ACTIVE, VISIBILITY_PRIVATE, VISIBILITY_PUBLIC};
use crate::error::Error;

/// What a request presents to say who it is, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// `X-Redmine-API-Key`, `?key=` or a `key` form field.
    pub api_key: Option<String>,
    /// HTTP Basic: login (or an API key as the user name) and password.
    pub basic: Option<(String, String)>,
    /// `X-Redmine-Switch-User`: an administrator acting as another user.
    pub switch_user: Option<String>,
    /// A keyed hash of all of the above, under which the resolved principal may be cached
    /// (never the secret itself).
    pub fingerprint: u64,
}

/// What a principal may do with the notes of one contact or deal. Unlike the plugin (API.md
/// §8.1), writing a note needs the right to change its source.
#[derive(Clone, Copy, Debug)]
pub struct NoteAccess {
    pub view: bool,
    pub write: bool,
    pub delete_any: bool,
    pub delete_own: bool,
}

#[derive(Clone, Debug)]
pub struct Principal {
    /// None for anonymous requests.
    pub user: Option<User>,
    /// Active projects → what this principal may do there (module-filtered).
    pub permissions: HashMap<i64, PermSet>,
    /// Number of projects in the database, to tell when a permission covers all of them.
    pub project_count: usize,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal { user: None, permissions: HashMap::new(), project_count: 0 }
    }

    pub fn user_id(&self) -> i64 {
        self.user.as_ref().map_or(0, |u| u.id)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.admin)
    }

    pub fn is_anonymous(&self) -> bool {
        self.user.is_none()
    }

    /// The refusal Redmine gives: 401 (with a login challenge) to anonymous, 403 to users.
    pub fn deny(&self) -> Error {
        if self.is_anonymous() {
            Error::Unauthorized
        } else {
            Error::Forbidden
        }
    }

    pub fn require_login(&self) -> Result<(), Error> {
        if self.is_anonymous() {
            Err(Error::Unauthorized)
        } else {
            Ok(())
        }
    }

    pub fn require_admin(&self) -> Result<(), Error> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(self.deny())
        }
    }

    pub fn allowed(&self, p: Permission, project_id: i64) -> bool {
        self.permissions.get(&project_id).is_some_and(|set| set.has(p))
    }

    pub fn allowed_anywhere(&self, p: Permission) -> bool {
        self.permissions.values().any(|set| set.has(p))
    }

    /// The projects where `p` is granted, sorted.
    pub fn projects_with(&self, p: Permission) -> Vec<i64> {
        let mut ids: Vec<i64> = self.permissions.iter().filter(|(_, s)| s.has(p)).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether `p` is granted in every project of the database.
    pub fn allowed_everywhere(&self, p: Permission) -> bool {
        self.projects_with(p).len() == self.project_count
    }

    /// The single-record rule of API.md §5.3 for a contact with `visibility`, author and
    /// assignee, member of `projects`; `base` is view/edit/delete_contacts.
    pub fn may_act_on_contact(
        &self,
        base: Permission,
        visibility: i64,
        author_id: i64,
        assigned_to_id: Option<i64>,
        projects: impl Iterator<Item = i64> + Clone,
    ) -> bool {
        let in_own_project = projects.clone().any(|p| self.allowed(base, p));
        if self.is_admin() {
            return in_own_project || (visibility == VISIBILITY_PUBLIC && base == Permission::ViewContacts);
        }
        match visibility {
            VISIBILITY_PUBLIC if base == Permission::ViewContacts => self.allowed_anywhere(base),
            VISIBILITY_PRIVATE => {
                let own =
                    !self.is_anonymous() && (author_id == self.user_id() || assigned_to_id == Some(self.user_id()));
                let private_ok = projects
                    .into_iter()
                    .any(|p| self.allowed(Permission::ViewPrivateContacts, p) && self.allowed(base, p));
                (in_own_project && own) || private_ok
            }
            _ => in_own_project,
        }
    }

    /// The list scope of API.md §5.3 for this principal.
    pub fn contact_visibility(&self) -> Visibility {
        let view = self.projects_with(Permission::ViewContacts);
        let private: Vec<i64> = if self.is_admin() {
            view.clone()
        } else {
            view.iter().copied().filter(|id| self.allowed(Permission::ViewPrivateContacts, *id)).collect()
        };
        // Every contact belongs to at least one project, so "all of them" needs no condition.
        if self.project_count > 0 && view.len() == self.project_count && private.len() == self.project_count {
            return Visibility::Everything;
        }
        Visibility::Restricted {
            user_id: if self.is_anonymous() { -1 } else { self.user_id() },
            public_ok: !view.is_empty(),
            view,
            private,
        }
    }

    /// Whether `perm` (view/edit/delete_contacts) is granted on one contact (API.md §5.3).
    pub fn may_contact(&self, perm: Permission, c: &Contact) -> bool {
        let projects = c.projects.iter().map(|(id, _)| *id);
        self.may_act_on_contact(perm, c.visibility, c.author_id, c.assigned_to_id, projects)
    }

    /// The notes rule for a contact: seen with the contact; written with add_notes or
    /// edit_contacts on it; deleted with (own_)delete_notes in one of its projects.
    pub fn notes_of_contact(&self, c: &Contact) -> NoteAccess {
        let in_projects = |perm| c.projects.iter().any(|(id, _)| self.allowed(perm, *id));
        let view = self.may_contact(Permission::ViewContacts, c);
        NoteAccess {
            view,
            write: view && (self.may_contact(Permission::AddNotes, c) || self.may_contact(Permission::EditContacts, c)),
            delete_any: view && in_projects(Permission::DeleteNotes),
            delete_own: view && in_projects(Permission::DeleteOwnNotes),
        }
    }

    /// The notes rule for a deal: seen with view_deals, written with edit_deals in its project,
    /// deleted with (own_)delete_notes there (API.md §2.3).
    pub fn notes_of_deal(&self, d: &Deal) -> NoteAccess {
        let view = self.may_view_deal(d);
        let project = d.project.0;
        NoteAccess {
            view,
            write: view && self.allowed(Permission::EditDeals, project),
            delete_any: view && self.allowed(Permission::DeleteNotes, project),
            delete_own: view && self.allowed(Permission::DeleteOwnNotes, project),
        }
    }

    /// `GET /notes/:id?project_id=`: the plugin authorizes `notes#show` in the named project,
    /// granted by view_contacts, view_private_contacts or view_deals there.
    pub fn may_show_notes_in(&self, project_id: i64) -> bool {
        [Permission::ViewContacts, Permission::ViewPrivateContacts, Permission::ViewDeals]
            .into_iter()
            .any(|p| self.allowed(p, project_id))
    }

    pub fn may_view_deal(&self, d: &Deal) -> bool {
        self.allowed(Permission::ViewDeals, d.project.0)
    }

    /// Whether `perm` (edit/delete_deals) is granted on a deal: it must be visible too.
    pub fn may_deal(&self, perm: Permission, d: &Deal) -> bool {
        self.may_view_deal(d) && self.allowed(perm, d.project.0)
    }

    /// The list scope of deals (API.md §5.3): the deals of projects with view_deals.
    pub fn deal_visibility(&self) -> DealVisibility {
        if self.project_count > 0 && self.allowed_everywhere(Permission::ViewDeals) {
            DealVisibility::Everything
        } else {
            DealVisibility::Projects(self.projects_with(Permission::ViewDeals))
        }
    }

    /// Whether a saved query shows to this principal (API.md §3.9, Redmine's `Query#visible?`):
    /// admins see all; others need its list's view permission in its project (none for a
    /// global one), and then it is public, shared with a role they hold there (anywhere, for a
    /// global one; `member_roles` are their (project, role) pairs), or their own.
    pub fn may_see_query(&self, q: &SavedQuery, member_roles: &[(i64, i64)]) -> bool {
        if self.is_admin() {
            return true;
        }
        if q.project_id.is_some_and(|project| !self.allowed(q.kind.view_permission(), project)) {
            return false;
        }
        let own = !self.is_anonymous() && q.user_id == self.user_id();
        let shared_with_me = || {
            member_roles.iter().any(|(project, role)| {
                q.role_ids.contains(role) && q.project_id.is_none_or(|own_project| own_project == *project)
            })
        };
        match q.visibility {
            QUERY_PUBLIC => true,
            QUERY_ROLES => own || shared_with_me(),
            _ => own,
        }
    }

    /// Whether this principal may save queries of `kind` in `project` (None: global ones,
    /// allowed where the permission is held anywhere): private ones with save_*_queries,
    /// and (`shared`) ones for roles or everyone with manage_public_*_queries, which also
    /// allows private ones.
    pub fn may_save_query(&self, kind: QueryKind, project: Option<i64>, shared: bool) -> bool {
        let held = |perm| match project {
            Some(project) => self.allowed(perm, project),
            None => self.allowed_anywhere(perm),
        };
        let may_share = held(kind.share_permission());
        !self.is_anonymous() && (self.is_admin() || may_share || (!shared && held(kind.save_permission())))
    }

    /// Whether a project shows to this principal: admins see all; others active projects that
    /// are public or that they are a member of.
    pub fn may_see_project(&self, project: &Project) -> bool {
        self.is_admin()
            || (project.status == PROJECT_ACTIVE && (project.is_public || self.permissions.contains_key(&project.id)))
    }
}
