//! The query language of the listings: the input is a query string, decoded as the server
//! decodes one (`parse_urlencoded`), then read as a contact list request
//! (`ContactQuery::apply_params`, as `GET /contacts` does for each kind of principal), as a deal
//! list request (`DealQuery::from_params`, with and without a project scope, with custom fields
//! of every format), and by `filters::read` itself with every filter type, each filter's values
//! and date range resolved. Malformed filters are 422 answers; only panics are findings.
#![no_main]

use contacts::domain::attributes::Problems;
use contacts::domain::deal_query::DealQuery;
use contacts::domain::filters::{self, FilterType};
use contacts::domain::query::ContactQuery;
use contacts::error::Error;
use libfuzzer_sys::fuzz_target;

mod common;

/// Every filter type under a name of its own, and the names the listings use.
fn kind_of(name: &str) -> Option<FilterType> {
    use FilterType::*;
    Some(match name {
        "list" | "ids" | "author_id" => List,
        "list_optional" | "assigned_to_id" => ListOptional,
        "status" | "status_id" => ListStatus,
        "string" | "name" | "first_name" => String,
        "text" | "background" => Text,
        "integer" | "probability" => Integer,
        "float" | "price" => Float,
        "date" | "due_date" => Date,
        "date_past" | "created_on" | "updated_on" => DatePast,
        _ => return None,
    })
}

fn accepted_or_422(what: &str, result: Result<(), Error>) {
    match result {
        Ok(()) | Err(Error::Validation(_)) => {}
        Err(other) => panic!("{what}: refused with {other:?}, not a 422"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(params) = contacts::http::params::parse_urlencoded(data) else { return };
    let fields = common::fields();
    for p in common::principals() {
        let mut query = ContactQuery::new(p.contact_visibility());
        accepted_or_422("contacts", query.apply_params(&params, &p, &fields));
        for scope in [None, Some(vec![1, 2])] {
            let deals = DealQuery::from_params(&params, p.deal_visibility(), scope, &p, &fields);
            accepted_or_422("deals", deals.map(|_| ()));
        }
    }
    let mut problems = Problems::default();
    for filter in filters::read(&params, kind_of, &mut problems) {
        let _ = filter.required_values("Label", &mut problems);
        let _ = filter.date_range("Label", &mut problems);
    }
    let _ = contacts::api::input::paging(&params);
});
