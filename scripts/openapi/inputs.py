"""JSON schemas of request bodies, as the service reads them (src/domain/attributes.rs,
validate.rs, custom_fields.rs, saved_query.rs and the handlers in src/api/).

Values are cast as Rails casts them: a text attribute takes a string, a number or a boolean
(spelled out); an integer attribute takes a JSON integer or a string of digits (blank or null
clears it); a boolean takes `true/false/1/0` and any other text (`"0" "f" "off" "no" ""` are
false). Unknown keys are ignored. Every schema here forbids only what the service refuses.
"""

from shapes import NO_NUL, WS, array, ref

SCALAR = ["string", "number", "boolean"]


def text(max_length=None, nullable=True, description=None):
    """A text attribute: NUL is refused; longer than `max_length` characters is refused (422)."""
    schema = {"type": SCALAR + (["null"] if nullable else []), "pattern": NO_NUL}
    if max_length:
        schema["maxLength"] = max_length
    if description:
        schema["description"] = description
    return schema


def required_text(max_length=255, description=None):
    """A text attribute that must not be blank (white space only is blank)."""
    schema = {
        "type": SCALAR,
        "pattern": f"^[^\\u0000]*[^{WS}\\u0000][^\\u0000]*$",
        "maxLength": max_length,
    }
    if description:
        schema["description"] = description
    return schema


def trimmed_name(max_length):
    """A name that is trimmed before its length is checked (deal categories, tags, statuses)."""
    return {
        "type": SCALAR,
        "pattern": f"^[{WS}]*[^{WS}\\u0000](?:[^\\u0000]{{0,{max_length - 2}}}[^{WS}\\u0000])?[{WS}]*$",
        "description": f"Required; at most {max_length} characters once trimmed.",
    }


def digits(pattern):
    return {"type": "string", "pattern": f"^[{WS}]*(?:{pattern})[{WS}]*$"}


INTEGER = {
    "anyOf": [{"type": "integer"}, digits("[+-]?[0-9]{1,18}")],
    "description": "An integer, or a string of digits.",
}
NULLABLE_INTEGER = {
    "anyOf": [{"type": ["integer", "null"]}, digits("(?:[+-]?[0-9]{1,18})?")],
    "description": "An integer or a string of digits; null or a blank string clears it.",
}
BOOLEAN = {
    "type": ["boolean", "string", "number", "null"],
    "description": "Rails' cast: false for `false 0 f off no n` and blank, true otherwise.",
}


def integer_in(values, nullable, blank=None):
    """One of `values` as an integer or a string of digits; `nullable`: null too, and a blank
    string unless `blank` says otherwise."""
    blank = nullable if blank is None else blank
    ints = {"enum": list(values) + ([None] if nullable else [])}
    alternatives = "|".join(f"\\+?0*{v}" if v else "[+-]?0+" for v in values)
    text_form = digits(f"(?:{alternatives})" + ("?" if blank else ""))
    return {"anyOf": [ints, text_form]}


INTEGER_LIST = {
    "anyOf": [array({"anyOf": [INTEGER, digits("")]}), INTEGER, digits(""), {"type": "null"}],
    "description": "An array of ids, or one id; blank strings and null are no ids.",
}
PROJECT_REFERENCE = {
    "description": "A project id or identifier (a value that is not text is ignored).",
    "examples": ["alpha", 1],
}
CUSTOM_FIELDS = {
    "type": ["array", "null"],
    "items": {
        "description": "`{id, value}`; a multi-value field takes an array of values. Entries "
        "without both keys and ids of no field are skipped.",
        "properties": {"id": {}, "value": {}},
    },
    "description": "Values checked against their fields' definitions (422 with Redmine's "
    "messages: `is not a number`, `is not included in the list`, …).",
}
CUSTOM_FIELD_VALUES = {
    "description": "The alternative form `{\"<field id>\": value}`; ignored unless an object."
}


def caseless(words):
    """A pattern for any of `words` in any case of their ASCII letters, or blank."""
    spelled = ["".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in w) for w in words]
    return f"^(?:{'|'.join(spelled)})?$"


# A part name is a quoted-string in the part's Content-Disposition header: HTML's form encoding
# escapes CR, LF and `"` (as %0D, %0A, %22) and nothing else, so any other control character
# would go out raw, which no header may carry (400). Names nest the Rack way, so a `[` outside
# `map[COLUMN]` spells a nesting this form does not have (an unclosed one → 400).
CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
PART_NAME = {"pattern": f"^(?:map\\[[^\\[\\]{CONTROL}]+\\]|[^\\[{CONTROL}]*)$"}


def flag(what):
    return {"description": f"{what} Off for `false 0 f off no n` and blank (any case), on for other text; not text: off."}


IMPORT_FORM = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "The vCard or CSV file."},
        "project_id": {**PROJECT_REFERENCE, "description": "The project (id or identifier); unknown → 404."},
        "format": {
            "type": "string",
            "pattern": caseless(["vcf", "vcard", "text/vcard", "text/x-vcard", "csv", "text/csv"]),
            "description": "The file's kind; blank or left out: from the file's name, else its first bytes.",
        },
        "skip_invalid": flag("Write the valid records, skip the refused."),
        "dry_run": flag("Read and validate, write nothing."),
        "update_existing": flag("Update duplicates instead of creating."),
    },
    "patternProperties": {
        "^map\\[": {
            "description": "`map[COLUMN]=FIELD`: the field of a CSV column, an attribute name, a custom "
            "field's name or `ignore`; a field that does not exist → 422; not text: ignored.",
        }
    },
    "propertyNames": PART_NAME,
    "required": ["file", "project_id"],
}


def record(props, required=(), description=None):
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def contact_input(creating):
    project_ids = {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [INTEGER, digits("")]}, "contains": INTEGER},
            INTEGER,
        ],
        "description": "Replaces the contact's projects; each must exist (422). Empty → 422.",
    }
    props = {
        "project_id": {
            **PROJECT_REFERENCE,
            "description": "Create: the project (id or identifier; else the top-level `project_id` "
            "or the path's). Unknown → 404.",
        },
        "project_ids": project_ids,
        "first_name": required_text(description="Required."),
        "last_name": text(255),
        "middle_name": text(255),
        "company": text(255),
        "phone": text(255, description="Comma-separated phone numbers."),
        "email": text(
            description="Comma-separated e-mail addresses; white space is removed; each needs one "
            "`@` with text on both sides, else 422 `Email have incorrect format`; at most 255 "
            "characters."
        ),
        "website": text(255),
        "skype_name": text(255),
        "job_title": text(255),
        "background": text(65535),
        "birthday": text(description="`YYYY-MM-DD`; anything else is stored as no birthday."),
        "is_company": BOOLEAN,
        "visibility": {**integer_in([0, 1, 2], nullable=False), "description": "0 project, 1 public, 2 private."},
        "assigned_to_id": NULLABLE_INTEGER,
        "author_id": NULLABLE_INTEGER,
        "tag_list": {
            "type": SCALAR + ["array", "null"],
            "description": "`\"vip, cold call\"` or `[\"vip\", \"cold call\"]`: replaces the tags; "
            "a tag is at most 255 characters.",
        },
        "address_attributes": {
            "type": ["object", "null"],
            "properties": {
                **{k: text(255) for k in ("street1", "street2", "city", "region", "postcode", "country_code")},
                "_destroy": {"description": "true deletes the address."},
            },
        },
        "custom_fields": CUSTOM_FIELDS,
        "custom_field_values": CUSTOM_FIELD_VALUES,
    }
    return record(props, required=["first_name"] if creating else ())


def deal_input(creating):
    props = {
        "project_id": {
            **PROJECT_REFERENCE,
            "description": "Create: the project (else the top-level `project_id` or the path's); "
            "update: moves the deal (edit_deals needed there).",
        },
        "name": required_text(description="Required."),
        "price": {
            "type": ["string", "number", "null"],
            "minimum": -999999999999999999,
            "maximum": 999999999999999999,
            "description": "A decimal: `12000`, `\"3 000,50\"` (white space removed, a lone comma is "
            "the decimal separator), or a JSON number; else 422 `Sum is not a number`.",
        },
        "currency": text(255),
        "price_type": NULLABLE_INTEGER,
        "duration": NULLABLE_INTEGER,
        "probability": NULLABLE_INTEGER,
        "due_date": {"type": ["string", "null"], "description": "`YYYY-MM-DD` or an ISO 8601 date-time."},
        "background": text(65535),
        "status_id": {**NULLABLE_INTEGER, "description": "A deal status; default: the default status."},
        "category_id": {**NULLABLE_INTEGER, "description": "A category of the deal's project."},
        "contact_id": {**NULLABLE_INTEGER, "description": "The primary contact (must exist)."},
        "related_contact_ids": INTEGER_LIST,
        "assigned_to_id": NULLABLE_INTEGER,
        "author_id": NULLABLE_INTEGER,
        "custom_fields": CUSTOM_FIELDS,
        "custom_field_values": CUSTOM_FIELD_VALUES,
    }
    return record(props, required=["name"] if creating else ())


def note_input(creating):
    props = {
        "content": required_text(65535, description="Required."),
        "subject": text(255),
        "type_id": {**integer_in([0, 1, 2], nullable=True), "description": "0 e-mail, 1 call, 2 meeting; null plain."},
        "created_on": {"type": ["string", "null"], "description": "Back-dates the note: any date or date-time."},
        "note_time": {"type": ["string", "null"], "description": "`HH:MM`: the time of day of `created_on`."},
        "custom_fields": CUSTOM_FIELDS,
        "custom_field_values": CUSTOM_FIELD_VALUES,
    }
    if creating:
        where = "Read here when given as text, else at the top level."
        props["source_type"] = {"description": f"`Contact` or `Deal`. {where}"}
        props["source_id"] = {"description": f"The contact's or deal's id. {where}"}
        props["project_id"] = {"description": f"A project that must exist. {where}"}
    return record(props, required=["content"] if creating else ())


PERMISSIONS = [
    "view_contacts", "view_private_contacts", "add_contacts", "edit_contacts", "delete_contacts",
    "add_notes", "delete_notes", "delete_own_notes", "manage_contact_issue_relations",
    "manage_contacts", "import_contacts", "export_contacts", "send_contacts_mail",
    "save_contacts_queries", "manage_public_contacts_queries", "view_deals", "add_deals",
    "edit_deals", "delete_deals", "manage_deals", "save_deals_queries",
    "manage_public_deals_queries",
]  # fmt: skip

COLUMN = {"type": SCALAR, "minLength": 1}

QUERY_INPUT = record(
    {
        "name": required_text(description="Required."),
        "object_type": {"enum": ["contact", "deal"]},
        "project_id": {**PROJECT_REFERENCE, "description": "A project query (else global); must exist (404)."},
        "visibility": {**integer_in([0, 1, 2], nullable=True, blank=False), "description": "0 private, 1 roles, 2 public."},
        "role_ids": {**INTEGER_LIST, "description": "The roles of a visibility-1 query (must exist)."},
        "filters": {
            "type": ["object", "null"],
            "propertyNames": {"minLength": 1},
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "operator": {"type": SCALAR + ["null"]},
                    "values": {"anyOf": [array({"type": SCALAR}), {"type": SCALAR + ["null"]}]},
                },
            },
            "description": "`{\"<filter>\": {\"operator\": \"=\", \"values\": [..]}}`, checked as the "
            "list checks its filters (422). The long form `f`, `op`, `v` is read too.",
        },
        "column_names": {"type": ["array", "null"]},
        "sort_criteria": {
            "type": ["array", "null"],
            "items": {
                "anyOf": [
                    COLUMN,
                    {"type": "array", "prefixItems": [COLUMN], "minItems": 1, "maxItems": 1},
                    {"type": "array", "prefixItems": [COLUMN, {"enum": ["asc", "desc"]}], "minItems": 2, "maxItems": 2},
                ]
            },
            "description": "`[[\"last_name\", \"desc\"], [\"first_name\"]]`.",
        },
        "sort": {"description": "The sort as the `sort` parameter spells it (when no `sort_criteria`)."},
    },
    required=["name", "object_type"],
)

CUSTOM_FIELD_INPUT = record(
    {
        "name": required_text(description="Required."),
        "customized_type": {
            "type": "string",
            "pattern": "^(?:[Cc][Oo][Nn][Tt][Aa][Cc][Tt]|[Dd][Ee][Aa][Ll]|[Nn][Oo][Tt][Ee])$",
            "description": "`contact`, `deal` or `note` (any case).",
        },
        "field_format": {"enum": ["string", "text", "int", "float", "date", "list", "bool", "link", None]},
        "possible_values": {"description": "Required for `list`: an array of values or of `{value}`, or lines."},
        "regexp": {**text(), "description": "A regular expression that must compile (422)."},
        "min_length": {"anyOf": [{"type": ["null"]}, {"type": "integer", "minimum": 0}, digits("(?:\\+?[0-9]{1,18}|-0+)?")]},
        "max_length": {"anyOf": [{"type": ["null"]}, {"type": "integer", "minimum": 0}, digits("(?:\\+?[0-9]{1,18}|-0+)?")]},
        "multiple": BOOLEAN,
        "is_required": BOOLEAN,
        "is_for_all": BOOLEAN,
        "is_filter": BOOLEAN,
        "searchable": BOOLEAN,
        "visible": BOOLEAN,
        "default_value": {**text(), "description": "Checked as a value of the field itself (422)."},
    },
    required=["name", "customized_type"],
)

def user_input(creating):
    props = {
        "login": required_text(description="Required on create; unique (422)."),
        "firstname": required_text(description="Required on create."),
        "lastname": required_text(description="Required on create."),
        "mail": {
            "type": "string",
            "maxLength": 255,
            "pattern": "^[^,@\\u0000]+@[^,@\\u0000]+$",
            "description": "One e-mail address. Required on create; unique (422).",
        },
        "password": {**text(), "minLength": 8, "description": "At least 8 characters."},
        "api_key": {
            "type": SCALAR + ["null"],
            "pattern": "^[A-Za-z0-9]{20,64}$",
            "description": "Extension: sets a known API key (20–64 letters and digits).",
        },
        "admin": BOOLEAN,
        "status": {**integer_in([1, 2, 3], nullable=True), "description": "1 active, 2 registered, 3 locked."},
    }
    return record(props, required=["login", "firstname", "lastname", "mail"] if creating else ())


def project_input(creating):
    props = {
        "name": required_text(description="Required on create."),
        "identifier": {
            "type": ["string", "boolean"],
            "maxLength": 100,
            "pattern": "^[a-z0-9_-]*[a-z_-][a-z0-9_-]*$",
            "description": "Lower-case letters, digits, `-` and `_`, not only digits; unique (422).",
        },
        "description": text(),
        "homepage": text(),
        "is_public": BOOLEAN,
        "parent_id": {**NULLABLE_INTEGER, "description": "The parent project (must exist)."},
        "enabled_module_names": {
            "type": "array",
            "description": "`contacts`, `deals`; other names are left out.",
            "examples": [["contacts", "deals"]],
        },
    }
    return record(props, required=["name", "identifier"] if creating else ())


def deal_status_input(creating):
    position = (
        NULLABLE_INTEGER
        if creating
        else {
            "anyOf": [{"type": "integer", "minimum": 1}, digits("\\+?0*[1-9][0-9]{0,17}")],
            "description": "At least 1.",
        }
    )
    props = {
        "name": required_text(30, description="Required; at most 30 characters; unique (422)."),
        "status_type": {**integer_in([0, 1, 2], nullable=True), "description": "0 open, 1 won, 2 lost."},
        "position": position,
        "is_default": {**BOOLEAN, "description": "true makes it the only default status."},
        "color": {**NULLABLE_INTEGER, "description": "RGB as an integer (11184810 = #AAAAAA)."},
    }
    return record(props, required=["name"] if creating else ())


def body(key, schema, required=True, extra=None, key_required=True):
    """A request body `{key: schema, …extra}`; the record may be null where the service reads
    a missing record as empty (updates)."""
    inner = schema if required else {**schema, "type": ["object", "null"]}
    props = {key: inner, **(extra or {})}
    out = {"type": "object", "properties": props}
    if key_required:
        out["required"] = [key]
    return out


INPUTS = {
    "ContactCreate": body(
        "contact",
        contact_input(True),
        extra={
            "project_id": PROJECT_REFERENCE,
            "redirect_on_success": {
                "description": "An `http(s)://` URL: 302 there instead of 201 (the public web form); "
                "anything else is ignored.",
            },
        },
    ),
    "ContactUpdate": body("contact", contact_input(False), required=False, key_required=False),
    "ContactProjectAdd": {
        "type": "object",
        "properties": {
            "project": {
                "type": SCALAR + ["object"],
                "properties": {"id": {"description": "A project id or identifier."}},
                "description": "`{\"id\": <project>}`, or the id itself.",
            },
            "project_id": PROJECT_REFERENCE,
        },
        "description": "The project to add (`project.id`, else `project_id`); unknown → 404.",
    },
    "NoteCreate": body(
        "note",
        note_input(True),
        extra={
            "source_type": {"description": "`Contact` or `Deal` (422 otherwise)."},
            "source_id": {"description": "The contact's or deal's id (unknown → 404)."},
            "project_id": {"description": "A project that must exist (404)."},
        },
    ),
    "NoteUpdate": body("note", note_input(False), required=False, key_required=False),
    "DealCreate": body("deal", deal_input(True), extra={"project_id": PROJECT_REFERENCE}),
    "DealUpdate": body("deal", deal_input(False), required=False, key_required=False),
    "DealStatusCreate": body("deal_status", deal_status_input(True)),
    "DealStatusUpdate": body("deal_status", deal_status_input(False), required=False, key_required=False),
    "CategoryWrite": body("category", record({"name": trimmed_name(30)}, required=["name"])),
    "TagRename": body("tag", record({"name": trimmed_name(255)}, required=["name"])),
    "TagMerge": {
        "type": "object",
        "properties": {"into_id": {**INTEGER, "description": "The tag that takes this one's contacts (422 if unknown)."}},
        "required": ["into_id"],
    },
    "QueryCreate": body("query", QUERY_INPUT, extra={"project_id": PROJECT_REFERENCE}),
    "UserCreate": body("user", user_input(True)),
    "UserUpdate": body("user", user_input(False), required=False, key_required=False),
    "ProjectCreate": body("project", project_input(True)),
    "ProjectUpdate": body("project", project_input(False), required=False, key_required=False),
    "MembershipCreate": body(
        "membership",
        record({"user_id": {**INTEGER, "description": "Required."}, "role_ids": INTEGER_LIST}, required=["user_id"]),
    ),
    "RoleCreate": body(
        "role",
        record(
            {
                "name": required_text(description="Required; unique (422)."),
                "permissions": {
                    "type": ["array", "null"],
                    "items": {
                        "anyOf": [
                            {"type": "string", "pattern": "^:*(?:" + "|".join(PERMISSIONS) + ")$"},
                            {"type": ["object", "array", "null"], "description": "skipped"},
                        ]
                    },
                    "description": "Permission names (API.md §5.4); an unknown name → 422.",
                },
                "assignable": BOOLEAN,
            },
            required=["name"],
        ),
    ),
    "CustomFieldCreate": body("custom_field", CUSTOM_FIELD_INPUT),
    "ImportForm": IMPORT_FORM,
}

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\nEMAIL:ann@example.com\r\nEND:VCARD\r\n"

# One request body per operation, as the examples of the document (the seed's records:
# tests/openapi/seed.rs).
EXAMPLES = {
    "ContactCreate": {
        "contact": {
            "project_id": "alpha",
            "first_name": "John",
            "last_name": "Smith",
            "email": "john@example.com",
            "phone": "+1 555 0199",
            "tag_list": "vip, cold call",
            "address_attributes": {"street1": "12, Street", "city": "Moscow", "country_code": "RU"},
            "custom_fields": [{"id": 1, "value": "Silver"}, {"id": 2, "value": ["en"]}],
        }
    },
    "ContactUpdate": {"contact": {"job_title": "CTO", "tag_list": ["vip", "customer"]}},
    "ContactProjectAdd": {"project": {"id": "beta"}},
    "NoteCreate": {
        "source_type": "Contact",
        "source_id": 1,
        "note": {"content": "Met at expo", "type_id": 2, "created_on": "2024-03-02", "note_time": "15:30"},
    },
    "NoteUpdate": {"note": {"note_time": "09:00"}},
    "DealCreate": {
        "deal": {
            "project_id": "alpha",
            "name": "Support contract",
            "price": "3 000,50",
            "currency": "EUR",
            "probability": 40,
            "due_date": "2024-06-30",
            "contact_id": 1,
            "category_id": 2,
        }
    },
    "DealUpdate": {"deal": {"status_id": 2, "price": 15000}},
    "DealStatusCreate": {"deal_status": {"name": "Negotiation", "status_type": 0, "color": 65280}},
    "DealStatusUpdate": {"deal_status": {"position": 3, "color": 16711680}},
    "CategoryWrite": {"category": {"name": "Hardware"}},
    "TagRename": {"tag": {"name": "key account"}},
    "TagMerge": {"into_id": 1},
    "QueryCreate": {
        "query": {
            "name": "Hot leads",
            "object_type": "contact",
            "project_id": "alpha",
            "visibility": 2,
            "filters": {"tags": {"operator": "=", "values": ["vip"]}},
            "sort_criteria": [["last_name", "desc"]],
        }
    },
    "UserCreate": {
        "user": {"login": "mary", "firstname": "Mary", "lastname": "Major", "mail": "mary@example.net", "password": "secret-123"}
    },
    "UserUpdate": {"user": {"firstname": "Victor"}},
    "ProjectCreate": {"project": {"name": "Sales", "identifier": "sales", "enabled_module_names": ["contacts", "deals"]}},
    "ProjectUpdate": {"project": {"description": "The beta project"}},
    "MembershipCreate": {"membership": {"user_id": 3, "role_ids": [3]}},
    "RoleCreate": {"role": {"name": "CRM viewer", "permissions": ["view_contacts", "view_deals"]}},
    "CustomFieldCreate": {
        "custom_field": {
            "name": "Code",
            "field_format": "string",
            "customized_type": "contact",
            "regexp": "^[A-Z]{2}-\\d+$",
            "max_length": 8,
        }
    },
    "ImportForm": {"file": VCARD, "project_id": "alpha", "format": "vcf", "dry_run": "1"},
}
