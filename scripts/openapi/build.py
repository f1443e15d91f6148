#!/usr/bin/env python3
"""Writes openapi.json, the OpenAPI 3.1 description of the whole API, from the compact source in
this folder: shapes.py (answers), inputs.py (request bodies) and the operations below, one per
route and method of src/api/routes.rs and src/api/mod.rs.

    python3 scripts/openapi/build.py           # writes openapi.json at the repository root
    python3 scripts/openapi/build.py --check   # exits 1 when openapi.json is not up to date

The committed openapi.json is the contract; the service serves it at GET /openapi.json.
"""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from inputs import INPUTS  # noqa: E402
from ops import PARAMETERS, RESPONSES, SECURITY_SCHEMES  # noqa: E402
from paths import TAGS, paths  # noqa: E402
from shapes import ANSWERS  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]

DESCRIPTION = """\
A contacts store that speaks the REST API of the Redmine CRM contacts plugin (redmine_contacts
4.2.6 on Redmine 5), in JSON and XML. This document describes the JSON form of every path
(`/contacts.json`). Every path is also served with `.xml` (the same documents in Redmine's XML
shapes, XML bodies accepted) and without an extension (the format then comes from `format=`,
the body's `Content-Type` or `Accept`; JSON by default). `PATCH` is accepted wherever `PUT` is.

Request bodies may also be sent as `application/xml`, `application/x-www-form-urlencoded` or
`multipart/form-data` (Rack's nested keys: `contact[first_name]=…`); query-string and body
parameters are merged, the body winning. A form post may carry `_method=put|delete`.

Authentication: an API key in the `key` parameter (query string or form field) or the
`X-Redmine-API-Key` header, or HTTP Basic (login and password, or the key as user name). A key
that matches nobody makes the request anonymous. An administrator may act as another user with
`X-Redmine-Switch-User: <login>` (412 when no active user has that login). After five failed
logins an address waits before each further attempt is checked.

Errors: 401 (with `WWW-Authenticate`), 403, 404 and 412 have empty bodies; 400 (a body that
cannot be parsed), 408 (a request not sent in time), 413 (a body over the size limit) and 422
(validation) carry `{"errors": [..]}`. Lists are paged with `limit` (1–100, default 25),
`offset` and `page`; `nometa=1` or the `X-Redmine-Nometa` header leaves the counters out.

Limits (options of `contacts serve`): a body over `--max-body-bytes` (1 MiB) gets 413; a read
whose parameter carries more than `--max-list-values` values (1000: `ids=1|2|…`, `include=a,b`,
`v[field][]=…`) gets 422; a contact with more than `--max-tags` tags (100) gets 422.

The contract with the plugin and this product's decisions are in API.md.
"""

def document():
    operations = paths()
    return {
        "openapi": "3.1.0",
        "info": {"title": "contacts — Redmine CRM compatible API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:3000", "description": "`contacts serve` by default"}],
        "security": [{"apiKeyHeader": []}, {"apiKeyQuery": []}, {"basic": []}],
        "tags": [{"name": t} for t in TAGS],
        "paths": operations,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "parameters": dict(sorted(PARAMETERS.items())),
            "responses": RESPONSES,
            "schemas": {**ANSWERS, **INPUTS},
        },
    }


def render():
    return json.dumps(document(), indent=1, ensure_ascii=False) + "\n"


def main():
    target = ROOT / "openapi.json"
    text = render()
    if "--check" in sys.argv[1:]:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is not up to date: run python3 scripts/openapi/build.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
