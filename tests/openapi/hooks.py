"""schemathesis hooks for tests/openapi: keep the run's own login and the seed's rich records
usable while every operation is still exercised.

An update of the administrator (user 1) could change the very API key the run sends, and a
delete or update of project `alpha`, contact 1 or deal 1 would leave later operations nothing
to read. Those few targets are swapped for the seed's spare records (see tests/openapi/seed.rs)
just before the request is sent; every other generated value goes out as generated.
"""

import schemathesis

# (method, path template) -> (path parameter, values that name the protected record, spare)
PROTECTED = {
    ("PUT", "/users/{id}.json"): ("id", {"1"}, 3),
    ("PATCH", "/users/{id}.json"): ("id", {"1"}, 3),
    ("PUT", "/projects/{project}.json"): ("project", {"1", "alpha"}, "doomed"),
    ("DELETE", "/projects/{project}.json"): ("project", {"1", "alpha"}, "doomed"),
    ("DELETE", "/contacts/{id}.json"): ("id", {"1"}, 4),
    ("DELETE", "/projects/{project}/contacts/{id}.json"): ("id", {"1"}, 4),
    ("DELETE", "/deals/{id}.json"): ("id", {"1"}, 2),
}


def names(value):
    """The record reference a path value resolves to (`01`, ` 1` and `+1` all name 1)."""
    text = str(value).strip()
    try:
        return str(int(text))
    except ValueError:
        return text


@schemathesis.hook
def before_call(context, case, kwargs):
    rule = PROTECTED.get((case.method.upper(), case.path))
    if rule is None or not case.path_parameters:
        return
    name, protected, spare = rule
    if name in case.path_parameters and names(case.path_parameters[name]) in protected:
        case.path_parameters[name] = spare
