"""The pieces every operation is made of: parameters, error answers, the operation itself."""

from inputs import EXAMPLES
from shapes import ref

SECURITY_SCHEMES = {
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Redmine-API-Key"},
    "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
    "basic": {"type": "http", "scheme": "basic", "description": "Login and password, or the API key as user name."},
}

ERRORS_BODY = {"application/json": {"schema": ref("Errors")}}
RESPONSES = {
    "BadRequest": {"description": "The body could not be parsed.", "content": ERRORS_BODY},
    "Unauthorized": {
        "description": "Needs a login (empty body).",
        "headers": {"WWW-Authenticate": {"schema": {"const": 'Basic realm="Redmine API"'}}},
    },
    "Forbidden": {"description": "Not permitted (empty body)."},
    "NotFound": {"description": "No such record, project or route (empty body)."},
    "RequestTimeout": {"description": "The request was not sent in time.", "content": ERRORS_BODY},
    "PreconditionFailed": {"description": "`X-Redmine-Switch-User` names no active user (empty body)."},
    "PayloadTooLarge": {"description": "The body is over the size limit.", "content": ERRORS_BODY},
    "Unprocessable": {"description": "Validation failed; Redmine's messages.", "content": ERRORS_BODY},
}
ERROR_STATUS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    408: "RequestTimeout",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    422: "Unprocessable",
}
LOCATION = {"Location": {"description": "The new record's absolute URL.", "schema": {"type": "string"}}}


def query(name, description, schema=None, required=False, example=None):
    p = {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}
    if required:
        p["required"] = True
    if example is not None:
        p["example"] = example
    return p


PARAMETERS = {}


def shared(key, param):
    """A parameter defined once under components/parameters and referenced by operations."""
    assert PARAMETERS.get(key, param) == param, key
    PARAMETERS[key] = param
    return {"$ref": f"#/components/parameters/{key}"}


def path_param(name, example, description=None):
    schema = {"type": "integer"} if name == "id" else {"type": "string", "minLength": 1}
    text = description or ("The record id." if name == "id" else "A project id or identifier.")
    return {"name": name, "in": "path", "required": True, "description": text, "schema": schema, "example": example}


PAGING = [
    shared("limit", query("limit", "Items per page: 1–100 (default 25; anything else reads as the default).", example="25")),
    shared("offset", query("offset", "Items to skip (negative or not a number: 0).", example="0")),
    shared("page", query("page", "Page number, used when `offset` is not given.", example="1")),
    shared("nometa", query("nometa", "`1` or `true`: no `total_count`/`offset`/`limit`.", example="1")),
]
FILTER_FORM = (
    "Short form: `<operator><values>`, values split on `|` (`first_name=~iva`, "
    "`created_on=>=2024-01-01`, `tags=vip|hot`, `assigned_to_id=!*`); an invalid value → 422."
)


def filters(names):
    return [shared(f"filter_{n}", query(n, f"Filter `{n}`. {FILTER_FORM}")) for n in names]


def long_form(kind, names):
    return [
        shared("set_filter", query("set_filter", "`1` with the long form of the filters.", example="1")),
        shared(f"{kind}_long_form", {
            "name": "f[]",
            "in": "query",
            "description": "Long form: the filters to apply, each with `op[<name>]=<operator>` and "
            "`v[<name>][]=<value>`; when given, the short-form filters are ignored. An unknown "
            "name or operator → 422. `cf_<id>` names a custom field used as a filter.",
            "schema": {"type": "array", "items": {"anyOf": [{"enum": names}, {"type": "string", "pattern": "^cf_[0-9]+$"}]}},
            "style": "form",
            "explode": True,
        }),
    ]


CONTACT_FILTERS = [
    "ids", "is_company", "first_name", "last_name", "middle_name", "job_title", "company", "phone",
    "email", "website", "skype_name", "full_address", "street1", "street2", "city", "region",
    "postcode", "country", "assigned_to_id", "author_id", "tags", "has_deals", "has_open_issues",
    "last_note", "created_on", "updated_on",
]  # fmt: skip
DEAL_FILTERS = [
    "ids", "status_id", "author_id", "currency", "contact_country", "assigned_to_id", "contact_id",
    "category_id", "name", "contact_city", "background", "price", "probability", "due_date",
    "created_on", "updated_on",
]  # fmt: skip


def list_params(kind, filter_names, sorts, scoped):
    params = []
    if not scoped:
        params.append(
            query("project_id", "Only this project (id or identifier) and its subprojects; unknown → 404.", example="alpha")
        )
    params += [
        query("search", "Words that must all occur (plain text, case-insensitive).", example="ivan"),
        query("sort", f"`column[:desc],…` of {sorts}; unknown columns are ignored.", example="created_on:desc"),
        query("query_id", "A saved query to apply (its filters and sort); unknown → 404.", {"type": "integer"}),
    ]
    if kind == "contacts":
        params.append(query("include", "`projects`: each contact's projects.", example="projects"))
    params += filters(filter_names) + long_form(kind, filter_names) + PAGING
    return params


def json_body(name):
    """A JSON request body with its example; an update's may be left out (nothing changes)."""
    media = {"schema": ref(name)}
    if name in EXAMPLES:
        media["example"] = EXAMPLES[name]
    return {"required": not name.endswith("Update"), "content": {"application/json": media}}


def operation(op_id, tag, summary, ok, errors, params=(), body=None, description=None, security=None):
    """One operation: `ok` is (status, schema name or None); `errors` the error statuses."""
    status, schema = ok
    success = {"description": summary}
    if schema:
        success["content"] = {"application/json": {"schema": ref(schema)}}
    if status == 201:
        success["headers"] = LOCATION
    responses = {str(status): success}
    if status == 201 and op_id == "createContact":
        responses["302"] = {
            "description": "`redirect_on_success` was an http(s) URL: redirected there.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    for code in sorted(set(errors) | {401, 408, 412} | ({400, 413} if body else set())):
        responses[str(code)] = {"$ref": f"#/components/responses/{ERROR_STATUS[code]}"}
    op = {"operationId": op_id, "tags": [tag], "summary": summary}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = list(params)
    if body:
        op["requestBody"] = body
    op["responses"] = responses
    if security is not None:
        op["security"] = security
    return op
