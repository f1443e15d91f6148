"""JSON schemas of the API's answers (what src/render/ writes, as the golden cases show it) and
of its request bodies (what src/domain/validate.rs and src/api/ accept).

Answers are exact: every object lists its keys and forbids others, so that a new key in an
answer is a contract change. Request bodies follow one rule: whatever a schema forbids, the
service refuses (400/404/422). The service refuses more than the schemas say where the answer
depends on stored data (an unknown project, a taken name, a custom field's format) or on a
grammar that is described in prose (filters, dates, e-mail lists).
"""

# Rust's `char::is_whitespace` (Unicode White_Space): what `trim()` strips in the service.
WS = "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL = "^[^\\u0000]*$"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


def obj(props, optional=(), description=None):
    """A closed object: every key of `props` is required unless listed in `optional`."""
    schema = {
        "type": "object",
        "properties": props,
        "required": [k for k in props if k not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def array(items, non_empty=False):
    schema = {"type": "array", "items": items}
    if non_empty:
        schema["minItems"] = 1
    return schema


INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NULL_STR = {"type": ["string", "null"]}
NULL_INT = {"type": ["integer", "null"]}
TIMESTAMP = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"}
TIMESTAMP_MS = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"}
TIMESTAMP_OFFSET = {
    "type": "string",
    "description": "Note dates carry a numeric offset, never `Z` (API.md §8.3).",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$",
}
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
DECIMAL = {
    "type": "string",
    "description": "A decimal as a string, as Rails writes a BigDecimal: `12000.0`, `3000.5`.",
    "pattern": "^-?[0-9]+\\.[0-9]{1,2}$",
}

# ---------------------------------------------------------------------------------------------
# Answers

REFERENCE = obj({"id": INT, "name": STR}, description="`{id, name}` of a user, project, status, contact…")

CUSTOM_VALUE = {
    "oneOf": [
        obj({"id": INT, "name": STR, "value": NULL_STR}, description="A single-value field; null when unset."),
        obj(
            {"id": INT, "name": STR, "multiple": {"const": True}, "value": array(STR)},
            description="A multi-value field: its non-blank values.",
        ),
    ]
}

ADDRESS_RECORD = obj(
    {
        "id": INT,
        "street1": NULL_STR,
        "street2": NULL_STR,
        "city": NULL_STR,
        "region": NULL_STR,
        "postcode": NULL_STR,
        "country_code": NULL_STR,
        "full_address": NULL_STR,
        "address_type": {"const": "business"},
        "addressable_type": {"const": "Contact"},
        "addressable_id": INT,
        "created_at": TIMESTAMP_MS,
        "updated_at": TIMESTAMP_MS,
    },
    description="JSON `full_address` is the address record itself, as the plugin renders it.",
)

CONTACT_ADDRESS = obj(
    {
        "full_address": nullable(ref("AddressRecord")),
        "street": NULL_STR,
        "city": NULL_STR,
        "region": NULL_STR,
        "country": NULL_STR,
        "country_code": NULL_STR,
        "postcode": NULL_STR,
    },
    optional=["country_code"],
    description="Always present; `country_code` only when the contact has an address.",
)

EMBEDDED_NOTE = obj(
    {
        "id": INT,
        "content": STR,
        "type_id": {"enum": [0, 1, 2, None], "description": "null plain note, 0 e-mail, 1 call, 2 meeting"},
        "author": ref("Reference"),
        "created_on": TIMESTAMP_OFFSET,
        "updated_on": TIMESTAMP,
    },
    optional=["author"],
    description="A note inside `include=notes`: no subject, no custom fields.",
)

EMBEDDED_DEAL = obj(
    {
        "id": INT,
        "price": nullable(DECIMAL),
        "currency": NULL_STR,
        "price_type": NULL_INT,
        "name": STR,
        "project": ref("Reference"),
        "status": ref("Reference"),
        "background": NULL_STR,
        "created_on": TIMESTAMP,
        "updated_on": TIMESTAMP,
    },
    optional=["status"],
    description="A deal inside a contact's `include=deals`.",
)


def contact_fields():
    """Items 1–11 of API.md §3.1: what a list item and a shown contact share."""
    return {
        "id": INT,
        "is_company": BOOL,
        "first_name": STR,
        "last_name": NULL_STR,
        "middle_name": NULL_STR,
        "company": NULL_STR,
        "website": NULL_STR,
        "skype_name": NULL_STR,
        "birthday": nullable(DATE),
        "job_title": NULL_STR,
        "background": NULL_STR,
        "author": ref("Reference"),
        "assigned_to": ref("Reference"),
        "address": ref("ContactAddress"),
        "phones": array(obj({"number": STR}), non_empty=True),
        "emails": array(obj({"address": STR}), non_empty=True),
        "tag_list": array(STR),
        "custom_fields": array(ref("CustomValue")),
        "created_on": TIMESTAMP,
        "updated_on": TIMESTAMP,
    }


CONTACT_OPTIONAL = ["author", "assigned_to", "phones", "emails", "custom_fields"]

CONTACT_LIST_ITEM = obj(
    {**contact_fields(), "projects": array(ref("Reference"), non_empty=True)},
    optional=CONTACT_OPTIONAL + ["projects"],
    description="A contact in a list; `projects` only with `include=projects`.",
)

CONTACT = obj(
    {
        **contact_fields(),
        "projects": array(ref("Reference"), non_empty=True),
        "notes": array(ref("EmbeddedNote"), non_empty=True),
        "contacts": array(ref("Reference"), non_empty=True),
        "deals": array(ref("EmbeddedDeal"), non_empty=True),
    },
    optional=CONTACT_OPTIONAL + ["projects", "notes", "contacts", "deals"],
    description="A contact as shown (API.md §3.1); `notes`, `contacts`, `deals` with `include=`.",
)

NOTE = obj(
    {
        "id": INT,
        "source": obj({"id": INT, "name": STR, "type": {"enum": ["Contact", "Deal"]}}),
        "subject": NULL_STR,
        "content": STR,
        "type_id": {"enum": [0, 1, 2, None]},
        "author": ref("Reference"),
        "custom_fields": array(ref("CustomValue")),
        "created_on": TIMESTAMP_OFFSET,
        "updated_on": TIMESTAMP,
    },
    optional=["source", "author", "custom_fields"],
    description="API.md §3.4.",
)


def deal_fields():
    return {
        "id": INT,
        "name": STR,
        "price": nullable(DECIMAL),
        "currency": NULL_STR,
        "price_type": NULL_INT,
        "duration": NULL_INT,
        "probability": NULL_INT,
        "due_date": nullable(TIMESTAMP),
        "background": NULL_STR,
        "project": ref("Reference"),
        "status": ref("Reference"),
        "category": ref("Reference"),
        "author": ref("Reference"),
        "contact": ref("Reference"),
        "assigned_to": ref("Reference"),
        "related_contacts": array(ref("Reference"), non_empty=True),
        "custom_fields": array(ref("CustomValue")),
        "created_on": TIMESTAMP,
        "updated_on": TIMESTAMP,
    }


DEAL_OPTIONAL = ["status", "category", "author", "contact", "assigned_to", "related_contacts", "custom_fields"]

DEAL_LIST_ITEM = obj(deal_fields(), optional=DEAL_OPTIONAL, description="A deal in a list (API.md §3.5).")

DEAL = obj(
    {**deal_fields(), "notes": array(ref("EmbeddedNote"), non_empty=True)},
    optional=DEAL_OPTIONAL + ["notes"],
    description="A deal as shown; `notes` with `include=notes`.",
)

DEAL_STATUS = obj(
    {
        "id": INT,
        "name": STR,
        "position": INT,
        "is_default": BOOL,
        "status_type": {"enum": [0, 1, 2], "description": "0 open, 1 won, 2 lost"},
        "color": INT,
    }
)

TAG = obj({"id": INT, "name": STR, "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$"}})

QUERY_SUMMARY = obj({"id": INT, "name": STR, "is_public": BOOL, "project_id": NULL_INT})

QUERY = obj(
    {
        "id": INT,
        "name": STR,
        "is_public": BOOL,
        "project_id": NULL_INT,
        "object_type": {"enum": ["contact", "deal"]},
        "visibility": {"enum": [0, 1, 2], "description": "0 private, 1 roles, 2 public"},
        "user_id": INT,
        "role_ids": array(INT),
        "filters": array(obj({"field": STR, "operator": STR, "values": array(STR)})),
        "column_names": array(STR),
        "sort": NULL_STR,
    },
    description="A whole saved query (extension).",
)

USER = obj(
    {
        "id": INT,
        "login": STR,
        "admin": BOOL,
        "firstname": STR,
        "lastname": STR,
        "mail": NULL_STR,
        "created_on": TIMESTAMP,
        "updated_on": TIMESTAMP,
        "last_login_on": nullable(TIMESTAMP),
        "passwd_changed_on": {"type": "null"},
        "twofa_scheme": {"type": "null"},
        "api_key": NULL_STR,
        "status": {"enum": [1, 2, 3], "description": "1 active, 2 registered, 3 locked"},
    },
    optional=["login", "admin", "mail", "twofa_scheme", "api_key", "status"],
    description="`login`, `admin`, `mail`, `twofa_scheme`, `api_key` for the user themself and "
    "administrators; `status` for administrators.",
)

PROJECT = obj(
    {
        "id": INT,
        "name": STR,
        "identifier": STR,
        "description": STR,
        "homepage": STR,
        "parent": ref("Reference"),
        "status": INT,
        "is_public": BOOL,
        "inherit_members": BOOL,
        "enabled_modules": array(ref("Reference")),
        "created_on": TIMESTAMP,
        "updated_on": TIMESTAMP,
    },
    optional=["parent", "enabled_modules"],
    description="`enabled_modules` with `include=enabled_modules`.",
)

MEMBERSHIP = obj({"id": INT, "project": ref("Reference"), "user": ref("Reference"), "roles": array(ref("Reference"))})

ROLE = obj(
    {
        "id": INT,
        "name": STR,
        "assignable": BOOL,
        "issues_visibility": STR,
        "time_entries_visibility": STR,
        "users_visibility": STR,
        "permissions": array(STR),
    }
)

CUSTOM_FIELD = obj(
    {
        "id": INT,
        "name": STR,
        "customized_type": {"enum": ["contact", "deal", "note"]},
        "field_format": {"enum": ["string", "text", "int", "float", "date", "list", "bool", "link"]},
        "regexp": STR,
        "min_length": NULL_INT,
        "max_length": NULL_INT,
        "is_required": BOOL,
        "is_filter": BOOL,
        "searchable": BOOL,
        "multiple": BOOL,
        "default_value": NULL_STR,
        "visible": BOOL,
        "possible_values": array(obj({"value": STR, "label": STR}), non_empty=True),
    },
    optional=["possible_values"],
)

ERRORS = obj({"errors": array(STR)}, description="Redmine's `errors` document (400, 408, 413, 422).")

IMPORT_REPORT = obj(
    {
        "import": obj(
            {
                "total": INT,
                "created": INT,
                "updated": INT,
                "rejected": INT,
                "photos_dropped": INT,
                "written": BOOL,
                "dry_run": BOOL,
                "errors": array(obj({"line": INT, "card": NULL_INT, "field": NULL_STR, "message": STR})),
            }
        )
    },
    description="An import's report: a broken file's error (no card or field), then each refused "
    "record's problems at its line (and card, in a vCard file).",
)


def listing(root, item, counters="paged"):
    """A list root: the array, then its counters (left out with `nometa`)."""
    props = {root: array(item)}
    optional = []
    if counters in ("paged", "total"):
        props["total_count"] = {"type": "integer", "minimum": 0}
        optional.append("total_count")
    if counters == "paged":
        props["offset"] = {"type": "integer", "minimum": 0}
        props["limit"] = {"type": "integer", "minimum": 1, "maximum": 100}
        optional += ["offset", "limit"]
    return obj(props, optional=optional)


def wrapped(key, item):
    return obj({key: item})


ANSWERS = {
    "Reference": REFERENCE,
    "CustomValue": CUSTOM_VALUE,
    "AddressRecord": ADDRESS_RECORD,
    "ContactAddress": CONTACT_ADDRESS,
    "EmbeddedNote": EMBEDDED_NOTE,
    "EmbeddedDeal": EMBEDDED_DEAL,
    "ContactListItem": CONTACT_LIST_ITEM,
    "Contact": CONTACT,
    "ContactList": listing("contacts", ref("ContactListItem")),
    "ContactDocument": wrapped("contact", ref("Contact")),
    "Note": NOTE,
    "NoteDocument": wrapped("note", ref("Note")),
    "DealListItem": DEAL_LIST_ITEM,
    "Deal": DEAL,
    "DealList": listing("deals", ref("DealListItem")),
    "DealDocument": wrapped("deal", ref("Deal")),
    "DealStatus": DEAL_STATUS,
    "DealStatusList": obj({"deal_statuses": array(ref("DealStatus")), "total_count": INT}),
    "DealStatusDocument": wrapped("deal_status", ref("DealStatus")),
    "DealCategoryList": listing("deal_categories", ref("Reference"), counters="total"),
    "Tag": TAG,
    "TagList": listing("tags", ref("Tag"), counters="total"),
    "QuerySummary": QUERY_SUMMARY,
    "QueryList": listing("queries", ref("QuerySummary")),
    "Query": QUERY,
    "QueryDocument": wrapped("query", ref("Query")),
    "User": USER,
    "UserList": listing("users", ref("User")),
    "UserDocument": wrapped("user", ref("User")),
    "Project": PROJECT,
    "ProjectList": listing("projects", ref("Project")),
    "ProjectDocument": wrapped("project", ref("Project")),
    "Membership": MEMBERSHIP,
    "MembershipList": listing("memberships", ref("Membership")),
    "MembershipDocument": wrapped("membership", ref("Membership")),
    "RoleList": obj({"roles": array(ref("Reference"))}),
    "Role": ROLE,
    "RoleDocument": wrapped("role", ref("Role")),
    "CustomField": CUSTOM_FIELD,
    "CustomFieldList": obj({"custom_fields": array(ref("CustomField"))}),
    "CustomFieldDocument": wrapped("custom_field", ref("CustomField")),
    "Errors": ERRORS,
    "ImportReport": IMPORT_REPORT,
}
