//! The permissions of the contacts plugin (API.md §5.4) and the module each belongs to.

/// A set of permissions, one bit each, so that per-project checks are a mask test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PermSet(pub u32);

macro_rules! permissions {
    ($( $variant:ident = $name:literal in $module:literal ),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Permission { $( $variant ),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[ $( Permission::$variant ),* ];

            pub fn name(self) -> &'static str {
                match self { $( Permission::$variant => $name ),* }
            }

            /// The project module that must be enabled for the permission to count.
            pub fn module(self) -> &'static str {
                match self { $( Permission::$variant => $module ),* }
            }

            pub fn from_name(name: &str) -> Option<Permission> {
                match name { $( $name => Some(Permission::$variant), )* _ => None }
            }
        }
    };
}

permissions! {
    ViewContacts = "view_contacts" in "contacts",
    ViewPrivateContacts = "view_private_contacts" in "contacts",
    AddContacts = "add_contacts" in "contacts",
    EditContacts = "edit_contacts" in "contacts",
    DeleteContacts = "delete_contacts" in "contacts",
    AddNotes = "add_notes" in "contacts",
    DeleteNotes = "delete_notes" in "contacts",
    DeleteOwnNotes = "delete_own_notes" in "contacts",
    ManageContactIssueRelations = "manage_contact_issue_relations" in "contacts",
    ManageContacts = "manage_contacts" in "contacts",
    ImportContacts = "import_contacts" in "contacts",
    ExportContacts = "export_contacts" in "contacts",
    SendContactsMail = "send_contacts_mail" in "contacts",
    SaveContactsQueries = "save_contacts_queries" in "contacts",
    ManagePublicContactsQueries = "manage_public_contacts_queries" in "contacts",
    ViewDeals = "view_deals" in "deals",
    AddDeals = "add_deals" in "deals",
    EditDeals = "edit_deals" in "deals",
    DeleteDeals = "delete_deals" in "deals",
    ManageDeals = "manage_deals" in "deals",
    SaveDealsQueries = "save_deals_queries" in "deals",
    ManagePublicDealsQueries = "manage_public_deals_queries" in "deals",
}

impl PermSet {
    pub const EMPTY: PermSet = PermSet(0);

    pub fn all() -> PermSet {
        PermSet(Permission::ALL.iter().fold(0, |acc, p| acc | (1 << *p as u32)))
    }

    pub fn has(self, p: Permission) -> bool {
        self.0 & (1 << p as u32) != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= 1 << p as u32;
    }

    pub fn union(self, other: PermSet) -> PermSet {
        PermSet(self.0 | other.0)
    }

    /// Keeps only the permissions whose module is enabled.
    pub fn for_modules(self, modules: &[String]) -> PermSet {
        let mut kept = PermSet::EMPTY;
        for p in Permission::ALL {
            if self.has(*p) && modules.iter().any(|m| m == p.module()) {
                kept.insert(*p);
            }
        }
        kept
    }

    /// Parses space-separated permission names; unknown names are kept out (and reported).
    pub fn parse(names: &str) -> PermSet {
        let mut set = PermSet::EMPTY;
        for name in names.split_whitespace() {
            if let Some(p) = Permission::from_name(name.trim_start_matches(':')) {
                set.insert(p);
            }
        }
        set
    }

    pub fn names(self) -> Vec<&'static str> {
        Permission::ALL.iter().filter(|p| self.has(**p)).map(|p| p.name()).collect()
    }
}
