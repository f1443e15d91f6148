//! `GET /openapi.json`: the committed description of the API, served without a login, lists
//! every route of the router (so that a route added without documentation fails here) and
//! nothing the router does not serve.

use serde_json::Value;

use super::common::Server;
use contacts::api::routes::{self, ROUTES};

fn served(s: &Server) -> Value {
    let r = s.raw("GET", "/openapi.json", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/json")), "{:?}", r.headers);
    r.json()
}

#[test]
fn the_description_is_served_and_documents_every_route() {
    let s = Server::start();
    let doc = served(&s);
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi: {version}");
    let paths = doc["paths"].as_object().expect("paths");
    let methods = ["get", "put", "post", "delete", "patch"];
    for (pattern, route) in ROUTES {
        let documented = format!("{pattern}.json");
        let item = paths.get(&documented).unwrap_or_else(|| panic!("{route:?}: {documented} is not in openapi.json"));
        assert!(methods.iter().any(|m| item.get(*m).is_some()), "{documented} documents no operation");
    }
    for path in paths.keys() {
        let concrete = path.replace("{id}", "1").replace("{project}", "alpha");
        assert!(routes::route(&concrete).is_some(), "openapi.json documents {path}, which no route serves");
    }
}

#[test]
fn the_description_needs_no_login_and_has_no_xml_form() {
    let s = Server::start();
    let with_bad_key = s.raw("GET", "/openapi.json", &[("X-Redmine-API-Key", "no-such-key")], b"");
    assert_eq!(with_bad_key.status, 200);
    assert_eq!(with_bad_key.body, contacts::api::openapi::DOCUMENT.as_bytes());
    assert_eq!(s.raw("GET", "/openapi", &[], b"").status, 200);
    assert_eq!(s.raw("GET", "/openapi.xml", &[], b"").status, 404);
    assert_eq!(s.raw("POST", "/openapi.json", &[], b"").status, 404);
}
