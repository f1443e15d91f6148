//! What the targets share: the body parser driven to completion, the check that every error is
//! the clean 400 a client would get, and the consumers of decoded parameters (the record
//! readers and validators a create or update runs next, paging, `include`).

#![allow(dead_code)] // each target uses its part

use bytes::Bytes;
use contacts::domain::permission::{PermSet, Permission};
use contacts::domain::principal::Principal;
use contacts::domain::{CustomField, User};
use contacts::error::Error;
use serde_json::{Map, Value};

/// `parse_body` as the server calls it; a failure must be a 400 (a malformed body), never
/// anything else.
pub fn parse_body(content_type: Option<&str>, data: &[u8]) -> Option<Map<String, Value>> {
    let parsed =
        futures_executor::block_on(contacts::http::params::parse_body(content_type, Bytes::copy_from_slice(data)));
    match parsed {
        Ok(params) => Some(params),
        Err(Error::BadRequest(_)) => None,
        Err(other) => panic!("a body is refused with {other:?}, not a 400"),
    }
}

/// A custom field of `format`, as the validators and the deal query see them.
pub fn field(id: i64, format: &str) -> CustomField {
    CustomField {
        id,
        name: format!("Field {id}"),
        customized_type: "contact".into(),
        field_format: format.into(),
        possible_values: vec!["a".into(), "b".into(), "ü".into()],
        regexp: None,
        min_length: if id % 2 == 0 { Some(2) } else { None },
        max_length: if id % 3 == 0 { Some(5) } else { None },
        is_required: id % 4 == 0,
        is_for_all: true,
        is_filter: true,
        searchable: true,
        multiple: id % 5 == 0,
        default_value: (id == 1).then(|| "x".into()),
        visible: true,
    }
}

/// One custom field of every format (ids 1…).
pub fn fields() -> Vec<CustomField> {
    ["string", "text", "int", "float", "date", "list", "bool", "link", "list", "string"]
        .iter()
        .enumerate()
        .map(|(i, format)| field(i as i64 + 1, format))
        .collect()
}

/// What runs on decoded parameters after the body parser: the record hashes of a create or
/// update and their validation, paging and `include`. Validation problems are answers (422),
/// so only panics matter here.
pub fn consume(params: &Map<String, Value>) {
    use contacts::api::input;
    use contacts::domain::validate;
    let fields = fields();
    let _ = input::paging(params);
    let _ = input::word_list(params, "include");
    for creating in [true, false] {
        if let Ok(attrs) = input::record(params, "contact", "Contact") {
            let _ = validate::contact(&attrs, &fields, creating);
        }
        if let Ok(attrs) = input::record(params, "deal", "Deal") {
            let _ = validate::deal(&attrs, &fields, creating);
        }
        if let Ok(attrs) = input::record(params, "note", "Note") {
            let _ = validate::note(&attrs, &fields, (!creating).then_some(1_700_000_000_000));
        }
    }
    if let Ok(attrs) = input::record(params, "deal_status", "Deal status") {
        let _ = validate::deal_status(&attrs);
    }
    if let Ok(attrs) = input::record(params, "custom_field", "Custom field") {
        let _ = validate::custom_field(&attrs);
    }
    if let Ok(attrs) = input::record(params, "deal_category", "Deal category") {
        let _ = validate::catalog_name(&attrs, 255);
    }
}

/// The principals a list request may come from: anonymous, an administrator, and a user with
/// some permissions in projects 1 and 2 of 3.
pub fn principals() -> Vec<Principal> {
    let user = |id: i64, admin: bool| User {
        id,
        login: format!("u{id}"),
        firstname: "F".into(),
        lastname: "L".into(),
        mail: None,
        admin,
        status: 1,
        api_key: None,
        created_on: 0,
        updated_on: 0,
        last_login_on: None,
    };
    let mut admin = Principal::anonymous();
    admin.user = Some(user(1, true));
    admin.project_count = 3;
    for project in 1..=3 {
        admin.permissions.insert(project, PermSet::all());
    }
    let mut member = Principal::anonymous();
    member.user = Some(user(2, false));
    member.project_count = 3;
    let mut viewer = PermSet::EMPTY;
    viewer.insert(Permission::ViewContacts);
    viewer.insert(Permission::ViewDeals);
    member.permissions.insert(1, viewer);
    let mut private = viewer;
    private.insert(Permission::ViewPrivateContacts);
    member.permissions.insert(2, private);
    let mut anonymous = Principal::anonymous();
    anonymous.project_count = 3;
    vec![anonymous, admin, member]
}

/// The import's dry run (`exchange::import::check`: encoding scan, kind, cards or rows, records,
/// validation) over `data` as `kind` (None: guessed from the first bytes, as an upload without
/// `format` is), with the column map `map`; then its report rendered as the API answers it.
/// A broken file must be refused at one of its lines, and every refused record must name its
/// line (and, in a vCard file, its card).
pub fn import(
    data: &[u8],
    kind: Option<contacts::formats::Kind>,
    map: std::collections::HashMap<String, Option<contacts::formats::csv::Target>>,
) -> contacts::exchange::import::Report {
    use contacts::exchange::import::{check, Context, Opener, Options};
    use contacts::formats::Kind;
    use std::io::{BufRead, Cursor};
    use std::sync::Arc;
    let bytes = Bytes::copy_from_slice(data);
    let open: Opener = Arc::new(move || Ok(Box::new(Cursor::new(bytes.clone())) as Box<dyn BufRead + Send>));
    let users = [("admin".to_string(), 1), ("jsmith".to_string(), 2)].into_iter().collect();
    let context = Context { fields: Arc::new(fields()), users, project_id: 1, author_id: 1 };
    let report = check(open, context, Options { kind, map, ..Default::default() });
    // Lines as the importer counts them: a last line without its LF is one.
    let lines = data.split(|b| *b == b'\n').count() as u64;
    if let Some(e) = &report.failure {
        assert!((1..=lines).contains(&e.line), "failure at line {} of {lines}: {e}", e.line);
        assert!(!e.message.is_empty());
    }
    let vcard = kind == Some(Kind::Vcard);
    for r in &report.rejected {
        assert!((1..=lines).contains(&r.origin.line), "rejection at line {} of {lines}", r.origin.line);
        assert!(!vcard || r.origin.card.is_some_and(|c| c >= 1), "a refused card without its number");
        assert!(!r.problems.is_empty(), "a refused record without a problem");
    }
    assert!(report.rejected_count <= report.total);
    let answer = contacts::api::exchange::report_document(contacts::render::Format::Json, &report);
    serde_json::from_slice::<Value>(&answer).expect("the import's report is JSON");
    report
}
