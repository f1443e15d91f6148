//! The comparison catches what it should and nothing else: each check gives two answers that
//! differ in one way (or only in what is normalised) and the message replay.py would print.

use super::compare::{timestamp_shape, Expect, Rules};
use super::json::{py_float, Json};
use super::replay::Credentials;
use super::xml;
use crate::common::Resp;

fn rules() -> Rules {
    Rules { strict_timestamps: false, user_map: vec![("5".to_string(), Json::Int(2))] }
}

fn strict() -> Rules {
    Rules { strict_timestamps: true, ..rules() }
}

/// The first body difference of two JSON or XML texts (None when they match).
fn body_diff(rules: &Rules, expected: &str, got: &str) -> Option<String> {
    let expect = Expect {
        status: 200,
        content_type: Some("application/json".into()),
        body: expected.into(),
        ..Expect::default()
    };
    let resp = answer(200, &[("Content-Type", "application/json; charset=utf-8")], got);
    let diffs = rules.compare(&expect, &resp);
    assert!(diffs.len() <= 1, "{diffs:?}");
    diffs.into_iter().next()
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Resp {
    Resp {
        status,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn json_key_order_counts() {
    let d = body_diff(&rules(), r#"{"a":{"x":1,"y":2}}"#, r#"{"a":{"y":2,"x":1}}"#);
    assert_eq!(d.unwrap(), "body $.a: key order differs at key 1: expected 'x', got 'y' (expected order x, y)");
    assert_eq!(body_diff(&rules(), r#"{"a": {"x": 1, "y": 2}}"#, r#"{"a":{"x":1,"y":2}}"#), None);
}

#[test]
fn json_missing_or_extra_key_and_values() {
    let d = body_diff(&rules(), r#"{"x":1,"y":2}"#, r#"{"x":1,"z":2}"#);
    assert_eq!(d.unwrap(), "body $: keys differ: missing ['y'], unexpected ['z']");
    let d = body_diff(&rules(), r#"{"l":[1,{"n":"a"}]}"#, r#"{"l":[1,{"n":"b"}]}"#);
    assert_eq!(d.unwrap(), r#"body $.l[1].n: expected "a", got "b""#);
    let d = body_diff(&rules(), r#"{"l":[1,2]}"#, r#"{"l":[1]}"#);
    assert_eq!(d.unwrap(), "body $.l: expected 2 items, got 1");
    let d = body_diff(&rules(), r#"[1,2]"#, r#"[1,3,4]"#);
    assert_eq!(d.unwrap(), "body $[1]: expected 2, got 3 (and 2 items expected, 3 got)");
}

#[test]
fn json_kinds_differ_as_python_types() {
    let d = body_diff(&rules(), r#"{"n":1}"#, r#"{"n":1.0}"#);
    assert_eq!(d.unwrap(), "body $.n: expected int 1, got float 1.0");
    let d = body_diff(&rules(), r#"{"n":null}"#, r#"{"n":{"a":[1,"x"]}}"#);
    assert_eq!(d.unwrap(), r#"body $.n: expected null null, got object {"a": [1, "x"]}"#);
    let d = body_diff(&rules(), r#"{"n":"1"}"#, r#"{"n":true}"#);
    assert_eq!(d.unwrap(), "body $.n: expected str 1, got bool true");
}

#[test]
fn timestamps_become_placeholders() {
    assert_eq!(timestamp_shape("2026-11-27T19:54:31Z"), Some((None, "Z")));
    assert_eq!(timestamp_shape("2026-11-27T19:54:31.609+00:00"), Some((Some(3), "+00:00")));
    assert_eq!(timestamp_shape("2026-11-27T19:54:31-0530\n"), Some((None, "-0530")));
    for not in
        ["2026-11-27", "2026-11-27T19:54:31", "2026-11-27T19:54:31.Z", "2026-11-27 19:54:31Z", "x2026-11-27T19:54:31Z"]
    {
        assert_eq!(timestamp_shape(not), None, "{not}");
    }
    assert_eq!(rules().norm_str("2026-11-27T19:54:31.609Z"), "<timestamp>");
    assert_eq!(strict().norm_str("2026-11-27T19:54:31.609Z"), "<timestamp.fffZ>");
    assert_eq!(strict().norm_str("2026-11-27T19:54:31+00:00"), "<timestamp+00:00>");
    let (e, g) = (r#"{"t":"2026-11-27T19:54:31Z"}"#, r#"{"t":"2001-01-01T00:00:00.123+00:00"}"#);
    assert_eq!(body_diff(&rules(), e, g), None);
    assert_eq!(
        body_diff(&strict(), e, g).unwrap(),
        r#"body $.t: expected "<timestampZ>", got "<timestamp.fff+00:00>""#
    );
    let (e, g) = (
        "<?xml version=\"1.0\"?><a t=\"2026-11-27T19:54:31Z\">2026-11-27T19:54:31Z</a>",
        "<?xml version=\"1.0\"?><a t=\"1999-01-01T00:00:00Z\">2000-01-01T00:00:00Z</a>",
    );
    assert_eq!(body_diff(&strict(), e, g), None);
}

#[test]
fn address_record_and_user_ids_are_normalised() {
    let e = r#"{"address":{"full_address":{"id":2,"created_at":"2026-11-27T19:54:31.609Z","updated_at":"x","city":"C"}},"author":{"id":5}}"#;
    let g = r#"{"address":{"full_address":{"id":9,"created_at":"2000-01-01T00:00:00Z","updated_at":"y","city":"C"}},"author":{"id":2}}"#;
    assert_eq!(body_diff(&strict(), e, g), None);
    let g = g.replace(r#""city":"C""#, r#""city":"D""#);
    assert_eq!(body_diff(&strict(), e, &g).unwrap(), r#"body $.address.full_address.city: expected "C", got "D""#);
    // Only user references are mapped.
    let d = body_diff(&rules(), r#"{"contact":{"id":5}}"#, r#"{"contact":{"id":2}}"#);
    assert_eq!(d.unwrap(), "body $.contact.id: expected 5, got 2");
    let x = |id: &str| format!("<?xml version=\"1.0\"?><c><assigned_to id=\"{id}\" name=\"J\"/></c>");
    assert_eq!(body_diff(&rules(), &x("5"), &x("2")), None);
}

#[test]
fn xml_attributes_text_and_children() {
    let doc = |inner: &str| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><c>{inner}</c>");
    let d = |e: &str, g: &str| body_diff(&rules(), &doc(e), &doc(g));
    assert_eq!(
        d(r#"<p id="1" n="a"/>"#, r#"<p n="a" id="1"/>"#).unwrap(),
        "body /c/p[1]: attributes: expected ['id', 'n'], got ['n', 'id']"
    );
    assert_eq!(
        d(r#"<p id="1"/><p id="2"/>"#, r#"<p id="1"/><p id="3"/>"#).unwrap(),
        "body /c/p[2]@id: expected '2', got '3'"
    );
    assert_eq!(d("<t>Tom</t>", "<t>Tom </t>").unwrap(), "body /c/t[1] text: expected 'Tom', got 'Tom '");
    assert_eq!(d("<t>a &amp; b</t>", "<t><![CDATA[a & b]]></t>"), None);
    assert_eq!(d("<t>\n  <u/>\n</t>", "<t><u/></t>"), None, "whitespace-only text is none");
    assert_eq!(d("<t>x<u/>tail</t>", "<t>x<u/>other</t>"), None, "a tail is not compared");
    assert_eq!(d("<a/><b/>", "<b/><a/>").unwrap(), "body /c/a[1]: expected element <a>, got <b>");
    assert_eq!(d("<a/><b/>", "<a/>").unwrap(), "body /c: expected 2 child elements a,b, got 1 a");
    let d = body_diff(&rules(), "<?xml version=\"1.0\"?><c/>", "<?xml version='1.0'?><c/>");
    assert_eq!(d.unwrap(), "body XML declaration: expected '<?xml version=\"1.0\"?>', got \"<?xml version='1.0'?>\"");
    let d = body_diff(&rules(), "<?xml version=\"1.0\"?><c/>", "<?xml version=\"1.0\"?><c></d>").unwrap();
    assert!(d.starts_with("body is not well-formed XML ("), "{d}");
}

#[test]
fn xml_well_formedness() {
    for bad in
        ["", "<a>", "<a></b>", "<a/><b/>", "<a/>x", "<a>&nope;</a>", "<a x='1' x='2'/>", " <?xml version=\"1.0\"?><a/>"]
    {
        assert!(xml::parse(bad).is_err(), "{bad:?} is not well-formed");
    }
    let e = xml::parse("<?xml version=\"1.0\"?>\r\n<a xmlns=\"u\" k=\"x\r\ny\">1<!-- c -->2\r\n<b/>3</a>\n").unwrap();
    assert_eq!((e.attrs, e.text.as_str(), e.children.len()), (vec![("k".to_string(), "x y".to_string())], "12\n", 1));
    assert_eq!(xml::declaration("  <?xml version=\"1.0\"?><a/>"), Some("<?xml version=\"1.0\"?>"));
    assert_eq!(xml::declaration("<?xml version=\"1.0\"><a/>"), None);
}

#[test]
fn bodies_that_are_neither_json_nor_xml_compare_as_text() {
    let html = "<html><body>You are being <a href=\"x\">redirected</a>.</body></html>";
    assert_eq!(body_diff(&rules(), html, html), None);
    let d = body_diff(&rules(), html, &html.replace("x", "y")).unwrap();
    assert!(d.starts_with("body: expected '<html>"), "{d}");
    assert_eq!(body_diff(&rules(), "null", "null "), Some("body: expected 'null', got 'null '".into()));
}

#[test]
fn status_headers_and_empty_bodies() {
    let r = rules();
    let expect = Expect {
        status: 201,
        content_type: Some("application/xml".into()),
        location: Some("/contacts/31".into()),
        body: "<?xml version=\"1.0\"?><c/>".into(),
        ..Expect::default()
    };
    let ok = answer(
        201,
        &[("Content-Type", "application/xml"), ("Location", "http://h:1/contacts/31")],
        "<?xml version=\"1.0\"?><c/>",
    );
    assert!(r.compare(&expect, &ok).is_empty());
    let moved = answer(
        201,
        &[("Content-Type", "application/json"), ("Location", "/contacts/32?x=1#f")],
        "<?xml version=\"1.0\"?><c/>",
    );
    assert_eq!(
        r.compare(&expect, &moved),
        [
            "content type: expected application/xml, got application/json",
            "Location: expected /contacts/31, got /contacts/32?x=1"
        ]
    );
    let status = answer(500, &[], "oops");
    assert_eq!(
        r.compare(&expect, &status),
        [
            "status: expected 201, got 500 (body oops)",
            "content type: expected application/xml, got none",
            "Location: expected /contacts/31, got none"
        ]
    );

    let unauth = Expect {
        status: 401,
        content_type: Some("application/json".into()),
        www_authenticate: Some("Basic realm=\"Redmine API\"".into()),
        ..Expect::default()
    };
    let got = answer(401, &[("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")], " ");
    assert_eq!(
        r.compare(&unauth, &got),
        ["WWW-Authenticate: expected Basic realm=\"Redmine API\", got Bearer", "body: expected empty, got  "]
    );
    let unexpected_location =
        answer(401, &[("WWW-Authenticate", "Basic realm=\"Redmine API\""), ("Location", "/x")], "");
    assert_eq!(r.compare(&unauth, &unexpected_location), ["Location: expected none, got /x"]);
}

#[test]
fn credentials_and_admin_key_replacement() {
    let fixture = Json::parse(
        r#"{"auth":{"admin":{"key":"K1"},"jsmith":{"key":"J"},"basic":{"login":"admin","password":"pw"}}}"#,
    )
    .unwrap();
    let same = Credentials::new(&fixture, None).unwrap();
    assert_eq!(same.subst("/c.json?key=K1"), "/c.json?key=K1");
    let other = Credentials::new(&fixture, Some("K2")).unwrap();
    assert_eq!(other.subst("/c.json?key=K1&x=K1"), "/c.json?key=K2&x=K2");
    let header = |c: &Credentials, auth| c.headers(auth).unwrap();
    assert_eq!(header(&other, Some("admin")), [("X-Redmine-API-Key".to_string(), "K2".to_string())]);
    assert_eq!(header(&other, Some("jsmith")), [("X-Redmine-API-Key".to_string(), "J".to_string())]);
    assert_eq!(header(&other, Some("basic")), [("Authorization".to_string(), "Basic YWRtaW46cHc=".to_string())]);
    assert!(header(&other, Some("none")).is_empty() && header(&other, None).is_empty());
    assert!(other.headers(Some("nobody")).is_err());
}

#[test]
fn python_text_of_values() {
    assert_eq!(
        Json::parse(r#"{"a": [1, 2.5, "é\n", null, true]}"#).unwrap().dumps(true),
        r#"{"a": [1, 2.5, "\u00e9\n", null, true]}"#
    );
    for (f, text) in [
        (1.0, "1.0"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"),
        (1.5e-5, "1.5e-05"),
        (-2.5, "-2.5"),
    ] {
        assert_eq!(py_float(f), text);
    }
}
