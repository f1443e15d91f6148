"""The operations: one per route of src/api/routes.rs and method dispatched in src/api/mod.rs.

Examples name the records that tests/openapi/seed.rs creates (the rich ones for reads and
updates, spare ones for deletes), so that a run against the seeded service reaches them.
"""

from inputs import EXAMPLES
from ops import (
    CONTACT_FILTERS,
    DEAL_FILTERS,
    PAGING,
    json_body,
    list_params,
    operation,
    path_param,
    query,
)
from shapes import ref

TAGS = [
    "Contacts", "Notes", "Deals", "Deal statuses", "Deal categories", "Tags", "Saved queries",
    "Users", "Projects", "Memberships", "Roles", "Custom fields", "API description",
]  # fmt: skip

CONTACT_SORTS = (
    "`id name first_name last_name middle_name job_title company phones emails address street1 "
    "street2 city region postcode country created_on updated_on assigned_to author cf_<id>`"
)
DEAL_SORTS = (
    "`id name price currency probability due_date status created_on updated_on assigned_to author "
    "contact category project`"
)
CONTACT_INCLUDE = query(
    "include",
    "Comma list of `notes`, `contacts` (a company's employees), `deals`; `issues` and `tickets` are "
    "accepted and ignored; other words are ignored.",
    example="notes,contacts,deals",
)
PROJECT = path_param("project", "alpha")
ID = path_param("id", 1)

SHOW = [401, 403, 404]


def import_operation():
    """The import upload: a multipart form (the whole file as the body, with `text/vcard` or
    `text/csv` and the rest in the query, is served too but not described); a refused import
    answers 422 with its report, a request without a file with Redmine's errors."""
    form = {
        "schema": ref("ImportForm"),
        "example": EXAMPLES["ImportForm"],
        "encoding": {"file": {"contentType": "text/vcard, text/csv, application/octet-stream"}},
    }
    op = operation(
        "importContacts",
        "Contacts",
        "Import a vCard or CSV file into a project (extension; admin or import_contacts)",
        (200, "ImportReport"),
        [401, 403, 404, 422],
        body={"required": True, "content": {"multipart/form-data": form}},
        description="All or nothing unless `skip_invalid`. A form whose part headers cannot be read "
        "(a part name with a control character other than tab, CR or LF, say) → 400.",
    )
    report = {"application/json": {"schema": {"oneOf": [ref("ImportReport"), ref("Errors")]}}}
    op["responses"]["422"] = {"description": "The report of a refused import, or the request's problems.", "content": report}
    return op
LIST = [401, 403, 404, 422]
WRITE = [401, 403, 404, 422]


def contacts(scoped):
    prefix = "Project" if scoped else ""
    where = "in the project" if scoped else "visible to the caller"
    scope = [PROJECT] if scoped else []
    listing = operation(
        f"list{prefix}Contacts",
        "Contacts",
        f"Contacts {where}",
        (200, "ContactList"),
        LIST,
        params=scope + list_params("contacts", CONTACT_FILTERS, CONTACT_SORTS, scoped),
        description="view_contacts in the project, or in any project when none is named. Default "
        "order: last name, first name. " + ("" if scoped else "API.md §3.2, §4."),
    )
    create = operation(
        f"create{prefix}Contact",
        "Contacts",
        "Create a contact",
        (201, "ContactDocument"),
        WRITE,
        params=scope + [CONTACT_INCLUDE],
        body=json_body("ContactCreate"),
        description="add_contacts in the project (`contact.project_id`, else `project_id`, else the "
        "path's); an unknown or missing project → 404. Answers the contact as shown.",
    )
    return {"get": listing, "post": create}


def contact(scoped):
    prefix = "Project" if scoped else ""
    scope = [PROJECT] if scoped else []
    return {
        "get": operation(
            f"show{prefix}Contact",
            "Contacts",
            "A contact",
            (200, "ContactDocument"),
            SHOW,
            params=scope
            + [ID, CONTACT_INCLUDE, query("project_id", "The project the contact is seen from.", example="alpha")],
            description="404 for an unknown id first, then 401/403 when the contact is not visible.",
        ),
        "put": operation(
            f"update{prefix}Contact",
            "Contacts",
            "Update a contact",
            (204, None),
            WRITE,
            params=scope + [ID],
            body=json_body("ContactUpdate"),
            description="edit_contacts; only the attributes given change.",
        ),
        "delete": operation(
            f"delete{prefix}Contact",
            "Contacts",
            "Delete a contact",
            (204, None),
            SHOW,
            params=scope + [path_param("id", 4)],
            description="delete_contacts; its notes, address and tags go with it.",
        ),
    }


def deal_list(scoped):
    prefix = "Project" if scoped else ""
    scope = [PROJECT] if scoped else []
    return {
        "get": operation(
            f"list{prefix}Deals",
            "Deals",
            "Deals",
            (200, "DealList"),
            LIST,
            params=scope + list_params("deals", DEAL_FILTERS, DEAL_SORTS, scoped),
            description="view_deals. Open deals only unless `status_id` says otherwise (`*` all, "
            "`c` closed, `o` open, ids). Default order: newest first. API.md §4.6.",
        ),
        "post": operation(
            f"create{prefix}Deal",
            "Deals",
            "Create a deal",
            (201, "DealDocument"),
            WRITE,
            params=scope + [query("include", "`notes`.", example="notes")],
            body=json_body("DealCreate"),
            description="add_deals in the project (`deal.project_id`, else `project_id`, else the "
            "path's; unknown → 404).",
        ),
    }


def category(scoped):
    scope = [PROJECT] if scoped else []
    prefix = "Project" if scoped else ""
    return {
        "put": operation(
            f"rename{prefix}DealCategory",
            "Deal categories",
            "Rename a deal category",
            (204, None),
            WRITE,
            params=scope + [ID],
            body=json_body("CategoryWrite"),
            description="manage_deals in the category's project; a name taken there → 422.",
        ),
        "delete": operation(
            f"delete{prefix}DealCategory",
            "Deal categories",
            "Delete a deal category",
            (204, None),
            WRITE,
            params=scope
            + [
                path_param("id", 3),
                query(
                    "reassign_to_id",
                    "A category of the same project that takes its deals (else they lose their category).",
                    {"type": "integer"},
                ),
            ],
            description="manage_deals in the category's project.",
        ),
    }


def paths():
    """Every operation; a read may answer 422 (a list parameter over `--max-list-values`)."""
    operations = every_operation()
    for path, item in operations.items():
        get = item.get("get")
        if get and path != "/openapi.json" and "422" not in get["responses"]:
            get["responses"]["422"] = {"$ref": "#/components/responses/Unprocessable"}
            get["responses"] = dict(sorted(get["responses"].items()))
    return operations


def every_operation():
    return {
        "/contacts.json": contacts(False),
        "/contacts/{id}.json": contact(False),
        "/projects/{project}/contacts.json": contacts(True),
        "/projects/{project}/contacts/{id}.json": contact(True),
        "/contacts/{id}/projects.json": {
            "post": operation(
                "addContactProject",
                "Contacts",
                "Add a contact to a project",
                (204, None),
                WRITE,
                params=[ID],
                body=json_body("ContactProjectAdd"),
                description="edit_contacts on the contact and in the project; already a member: 204.",
            )
        },
        "/contacts/{id}/projects/{project}.json": {
            "delete": operation(
                "removeContactProject",
                "Contacts",
                "Remove a contact from a project",
                (204, None),
                SHOW,
                params=[ID, path_param("project", "beta")],
                description="edit_contacts; a contact keeps at least one project (403).",
            )
        },
        "/notes.json": {
            "post": operation(
                "createNote",
                "Notes",
                "Create a note on a contact or a deal",
                (201, "NoteDocument"),
                WRITE,
                body=json_body("NoteCreate"),
                description="The right to change the source (add_notes or edit_contacts on a contact, "
                "edit_deals on a deal); no source → 422, unknown → 404.",
            )
        },
        "/notes/{id}.json": {
            "get": operation(
                "showNote",
                "Notes",
                "A note",
                (200, "NoteDocument"),
                SHOW,
                params=[ID, query("project_id", "A project where the caller may see notes.", example="alpha")],
            ),
            "put": operation(
                "updateNote",
                "Notes",
                "Update a note",
                (204, None),
                WRITE,
                params=[ID],
                body=json_body("NoteUpdate"),
            ),
            "delete": operation(
                "deleteNote",
                "Notes",
                "Delete a note",
                (204, None),
                SHOW,
                params=[path_param("id", 3)],
                description="delete_notes, or delete_own_notes for its author.",
            ),
        },
        "/deals.json": deal_list(False),
        "/projects/{project}/deals.json": deal_list(True),
        "/deals/{id}.json": {
            "get": operation(
                "showDeal",
                "Deals",
                "A deal",
                (200, "DealDocument"),
                SHOW,
                params=[ID, query("include", "`notes`.", example="notes")],
            ),
            "put": operation(
                "updateDeal",
                "Deals",
                "Update a deal",
                (204, None),
                WRITE,
                params=[ID],
                body=json_body("DealUpdate"),
                description="edit_deals in its project (and in the project it moves to).",
            ),
            "delete": operation(
                "deleteDeal", "Deals", "Delete a deal", (204, None), SHOW, params=[path_param("id", 2)]
            ),
        },
        "/deal_statuses.json": {
            "get": operation(
                "listDealStatuses", "Deal statuses", "Deal statuses (administrators)", (200, "DealStatusList"), [401, 403]
            ),
            "post": operation(
                "createDealStatus",
                "Deal statuses",
                "Create a deal status (administrators; extension)",
                (201, "DealStatusDocument"),
                [401, 403, 422],
                body=json_body("DealStatusCreate"),
            ),
        },
        "/deal_statuses/{id}.json": {
            "put": operation(
                "updateDealStatus",
                "Deal statuses",
                "Change a deal status (administrators; extension)",
                (204, None),
                WRITE,
                params=[ID],
                body=json_body("DealStatusUpdate"),
            ),
            "delete": operation(
                "deleteDealStatus",
                "Deal statuses",
                "Delete a deal status (administrators; extension)",
                (204, None),
                WRITE,
                params=[path_param("id", 3)],
                description="422 while a deal has the status.",
            ),
        },
        "/contacts_tags.json": {
            "get": operation(
                "listTags",
                "Tags",
                "Every tag in use, by name",
                (200, "TagList"),
                [401],
                params=[PAGING[3]],
                description="Any logged-in user; regardless of the contacts' visibility.",
            )
        },
        "/contacts_tags/{id}.json": {
            "put": operation(
                "renameTag",
                "Tags",
                "Rename a tag (administrators; extension)",
                (204, None),
                WRITE,
                params=[ID],
                body=json_body("TagRename"),
                description="A name another tag has → 422.",
            ),
            "delete": operation(
                "deleteTag",
                "Tags",
                "Delete a tag (administrators; extension)",
                (204, None),
                SHOW,
                params=[path_param("id", 5)],
            ),
        },
        "/contacts_tags/{id}/merge.json": {
            "post": operation(
                "mergeTag",
                "Tags",
                "Merge a tag into another (administrators; extension)",
                (204, None),
                WRITE,
                params=[path_param("id", 4)],
                body=json_body("TagMerge"),
                description="The contacts tagged :id are tagged `into_id` instead, and :id is deleted.",
            )
        },
        "/users.json": {
            "get": operation(
                "listUsers",
                "Users",
                "Users (administrators)",
                (200, "UserList"),
                [401, 403],
                params=[query("status", "1 active, 2 registered, 3 locked; not a number: all.", example="1")]
                + PAGING,
            ),
            "post": operation(
                "createUser",
                "Users",
                "Create a user (administrators)",
                (201, "UserDocument"),
                [401, 403, 422],
                body=json_body("UserCreate"),
            ),
        },
        "/users/current.json": {
            "get": operation("showCurrentUser", "Users", "The caller", (200, "UserDocument"), [401])
        },
        "/users/{id}.json": {
            "get": operation("showUser", "Users", "A user", (200, "UserDocument"), SHOW, params=[ID]),
            "put": operation(
                "updateUser",
                "Users",
                "Update a user (administrators)",
                (204, None),
                WRITE,
                params=[path_param("id", 3)],
                body=json_body("UserUpdate"),
            ),
            "delete": operation(
                "deleteUser",
                "Users",
                "Delete a user (administrators)",
                (204, None),
                WRITE,
                params=[path_param("id", 3)],
                description="Not one's own account (422).",
            ),
        },
        "/projects.json": {
            "get": operation(
                "listProjects",
                "Projects",
                "Projects visible to the caller",
                (200, "ProjectList"),
                [401],
                params=[query("include", "`enabled_modules`.", example="enabled_modules")] + PAGING,
            ),
            "post": operation(
                "createProject",
                "Projects",
                "Create a project (administrators)",
                (201, "ProjectDocument"),
                [401, 403, 422],
                body=json_body("ProjectCreate"),
            ),
        },
        "/projects/{project}.json": {
            "get": operation(
                "showProject",
                "Projects",
                "A project",
                (200, "ProjectDocument"),
                SHOW,
                params=[PROJECT, query("include", "`enabled_modules`.", example="enabled_modules")],
            ),
            "put": operation(
                "updateProject",
                "Projects",
                "Update a project (administrators)",
                (204, None),
                WRITE,
                params=[path_param("project", "beta")],
                body=json_body("ProjectUpdate"),
            ),
            "delete": operation(
                "deleteProject",
                "Projects",
                "Delete a project and everything in it (administrators)",
                (204, None),
                SHOW,
                params=[path_param("project", "doomed")],
            ),
        },
        "/projects/{project}/memberships.json": {
            "get": operation(
                "listMemberships",
                "Memberships",
                "A project's members",
                (200, "MembershipList"),
                SHOW,
                params=[PROJECT] + PAGING,
            ),
            "post": operation(
                "createMembership",
                "Memberships",
                "Add a member (administrators)",
                (201, "MembershipDocument"),
                WRITE,
                params=[PROJECT],
                body=json_body("MembershipCreate"),
            ),
        },
        "/memberships/{id}.json": {
            "get": operation("showMembership", "Memberships", "A membership", (200, "MembershipDocument"), SHOW, params=[ID]),
            "delete": operation(
                "deleteMembership",
                "Memberships",
                "Remove a member (administrators)",
                (204, None),
                SHOW,
                params=[path_param("id", 2)],
            ),
        },
        "/roles.json": {
            "get": operation("listRoles", "Roles", "Roles", (200, "RoleList"), [401]),
            "post": operation(
                "createRole",
                "Roles",
                "Create a role (administrators; extension)",
                (201, "RoleDocument"),
                [401, 403, 422],
                body=json_body("RoleCreate"),
            ),
        },
        "/roles/{id}.json": {
            "get": operation("showRole", "Roles", "A role and its permissions", (200, "RoleDocument"), SHOW, params=[ID])
        },
        "/custom_fields.json": {
            "get": operation(
                "listCustomFields", "Custom fields", "Custom fields (administrators)", (200, "CustomFieldList"), [401, 403]
            ),
            "post": operation(
                "createCustomField",
                "Custom fields",
                "Create a custom field of contacts, deals or notes (administrators; extension)",
                (201, "CustomFieldDocument"),
                [401, 403, 422],
                body=json_body("CustomFieldCreate"),
            ),
        },
        "/crm_queries.json": {
            "get": operation(
                "listQueries",
                "Saved queries",
                "Saved queries the caller may see, by name",
                (200, "QueryList"),
                [401, 404],
                params=[
                    query(
                        "object_type",
                        "The list the queries are for; missing or other → 404.",
                        {"enum": ["contact", "deal"]},
                        required=True,
                        example="contact",
                    )
                ]
                + PAGING,
            ),
            "post": operation(
                "createQuery",
                "Saved queries",
                "Save a query (extension)",
                (201, "QueryDocument"),
                WRITE,
                body=json_body("QueryCreate"),
                description="save_contacts_queries / save_deals_queries in the project (or anywhere for "
                "a global query); sharing it needs manage_public_*_queries.",
            ),
        },
        "/crm_queries/{id}.json": {
            "get": operation("showQuery", "Saved queries", "A saved query (extension)", (200, "QueryDocument"), SHOW, params=[ID]),
            "delete": operation(
                "deleteQuery",
                "Saved queries",
                "Delete a saved query (its owner or an administrator; extension)",
                (204, None),
                SHOW,
                params=[path_param("id", 3)],
            ),
        },
        "/projects/{project}/deal_categories.json": {
            "get": operation(
                "listDealCategories",
                "Deal categories",
                "A project's deal categories",
                (200, "DealCategoryList"),
                SHOW,
                params=[PROJECT, PAGING[3]],
                description="view_deals in the project. Item element `category`.",
            ),
            "post": operation(
                "createDealCategory",
                "Deal categories",
                "Create a deal category",
                (204, None),
                WRITE,
                params=[PROJECT],
                body=json_body("CategoryWrite"),
                description="manage_deals; answers 204 with no body, as the plugin does.",
            ),
        },
        "/projects/{project}/deal_categories/{id}.json": category(True),
        "/deal_categories/{id}.json": category(False),
        "/contacts/{id}/duplicates.json": {
            "get": operation(
                "listDuplicates",
                "Contacts",
                "Likely duplicates of a contact: same names or the same primary e-mail, visible ones, at most 10",
                (200, "ContactList"),
                SHOW,
                params=[ID],
            )
        },
        "/contacts/{id}/merge.json": {
            "post": operation(
                "mergeContact",
                "Contacts",
                "Merge a duplicate into this contact (extension): notes, deals, projects, e-mails, phones and tags move; the duplicate is deleted",
                (200, "ContactDocument"),
                WRITE,
                params=[ID],
                body={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"duplicate_id": {"type": ["integer", "string"]}}},
                            "example": {"duplicate_id": 2},
                        }
                    },
                },
            )
        },
        "/contacts/import.json": {"post": import_operation()},
        "/admin/backup.json": {
            "get": {
                "operationId": "downloadBackup",
                "tags": ["Administration"],
                "summary": "A consistent, integrity-checked copy of the database file (administrators; extension)",
                "description": "Streamed as an SQLite file (`Content-Disposition: attachment`); also at "
                "`/admin/backup` without an extension.",
                "responses": {
                    "200": {
                        "description": "The database file.",
                        "content": {"application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openApiDocument",
                "tags": ["API description"],
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 description of the API.",
                        "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}},
                    }
                },
            }
        },
    }
