//! Redmine's query language (API.md §1.7), the part every listing shares: reading the filters of
//! a request in the short form (`first_name=~iva`, `tags=vip|hot`) or the long form
//! (`set_filter=1&f[]=first_name&op[first_name]=~&v[first_name][]=iva`), with the operators each
//! filter type accepts, and resolving Redmine's relative date operators (`t`, `lw`, `>t-3`, …)
//! to millisecond ranges. What a filter means for contacts or deals is decided by their own
//! query modules (`query.rs`, `deal_query.rs`), which name their filters and types.

use serde_json::{Map, Value};

use super::attributes::{as_text, Problems};
use super::time::{day_start_ms, now_ms};

const DAY_MS: i64 = 86_400_000;

/// The kinds of filter Redmine distinguishes; each accepts its own operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterType {
    /// One of a list of values (`=`, `!`).
    List,
    /// A list value that may be absent (`=`, `!`, `*`, `!*`): assignee, category…
    ListOptional,
    /// A deal status: `o` (open), `c` (closed), `=`, `!`, `*`.
    ListStatus,
    /// Free text: contains, starts/ends with, is, is not, any, none.
    String,
    /// Long text: like `String` without `=`/`!`.
    Text,
    Integer,
    Float,
    /// A date in the past or future (`t+`, `nw`… included).
    Date,
    /// A date that can only be in the past (created/updated).
    DatePast,
}

impl FilterType {
    /// The operators of this type, as Redmine lists them (`operators_by_filter_type`).
    pub fn operators(self) -> &'static [&'static str] {
        use FilterType::*;
        match self {
            List => &["=", "!"],
            ListOptional => &["=", "!", "!*", "*"],
            ListStatus => &["o", "=", "!", "c", "*"],
            String => &["~", "=", "!~", "!", "^", "$", "!*", "*"],
            Text => &["~", "!~", "^", "$", "!*", "*"],
            Integer | Float => &["=", ">=", "<=", "><", "!*", "*"],
            Date => &[
                "=", ">=", "<=", "><", "<t+", ">t+", "><t+", "t+", "nd", "t", "ld", "nw", "w", "lw", "l2w", "nm", "m",
                "lm", "y", ">t-", "<t-", "><t-", "t-", "!*", "*",
            ],
            DatePast => &[
                "=", ">=", "<=", "><", ">t-", "<t-", "><t-", "t-", "t", "ld", "w", "lw", "l2w", "m", "lm", "y", "!*",
                "*",
            ],
        }
    }

    /// Operators that take no value.
    fn needs_values(op: &str) -> bool {
        !matches!(op, "*" | "!*" | "o" | "c" | "t" | "ld" | "w" | "lw" | "l2w" | "m" | "lm" | "y" | "nd" | "nw" | "nm")
    }
}

/// One filter of a request: its name, operator and values as given.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub field: String,
    pub op: String,
    pub values: Vec<String>,
}

/// The short form of one filter (`<op><values>`, values split on `|`): the longest operator of
/// the type that prefixes the expression, as Redmine's `add_short_filter` picks it (operators
/// in reverse order, so `!*` wins over `!` and `>=` over `=`); otherwise `=` with the whole.
pub fn parse_short(kind: FilterType, field: &str, expression: &str) -> Filter {
    let mut operators: Vec<&str> = kind.operators().to_vec();
    operators.sort_unstable_by(|a, b| b.cmp(a));
    let split = |rest: &str| -> Vec<String> {
        if rest.is_empty() {
            vec![String::new()]
        } else {
            rest.split('|').map(str::to_string).collect()
        }
    };
    for op in operators {
        if let Some(rest) = expression.strip_prefix(op) {
            return Filter { field: field.to_string(), op: op.to_string(), values: split(rest) };
        }
    }
    Filter { field: field.to_string(), op: "=".into(), values: split(expression) }
}

/// The filters of a request. The long form (`f[]`/`fields[]` with `op[…]`, `v[…][]`) wins when
/// present, and then names every filter: an unknown one is an error ("Filter name is invalid").
/// The short form reads each known filter name given as a parameter; other parameters are not
/// filters (paging, `include`, …). `kind_of` names a listing's filters and their types.
pub fn read(
    params: &Map<String, Value>,
    kind_of: impl Fn(&str) -> Option<FilterType>,
    problems: &mut Problems,
) -> Vec<Filter> {
    let Some(given) = long_form(params) else {
        return params
            .iter()
            .filter_map(|(name, value)| {
                let kind = kind_of(name)?;
                let expression = as_text(value)?;
                (!expression.is_empty()).then(|| parse_short(kind, name, &expression))
            })
            .collect();
    };
    let mut filters = Vec::new();
    for filter in given {
        let Some(kind) = kind_of(&filter.field) else {
            problems.add("Filter", "name is invalid");
            continue;
        };
        if !kind.operators().contains(&filter.op.as_str()) {
            problems.add("Operator", "is invalid");
            continue;
        }
        filters.push(filter);
    }
    filters
}

/// The long form's filters as given (`f[]`/`fields[]`, `op[…]` defaulting to `=`, `v[…][]`),
/// names and operators not checked; None when the parameters have no `f`/`fields`.
pub fn long_form(params: &Map<String, Value>) -> Option<Vec<Filter>> {
    let listed = params.get("f").or_else(|| params.get("fields"))?;
    let names: Vec<String> = match listed {
        Value::Array(items) => items.iter().filter_map(as_text).collect(),
        other => as_text(other).into_iter().collect(),
    };
    let operator_of = |name: &str| params.get("op").and_then(|o| o.get(name)).and_then(as_text);
    let values_of = |name: &str| -> Vec<String> {
        match params.get("v").and_then(|v| v.get(name)) {
            Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
            Some(other) => as_text(other).into_iter().collect(),
            None => Vec::new(),
        }
    };
    let named = names.into_iter().filter(|n| !n.is_empty());
    Some(
        named
            .map(|name| Filter {
                op: operator_of(&name).unwrap_or_else(|| "=".into()),
                values: values_of(&name),
                field: name,
            })
            .collect(),
    )
}

/// Filters written as long-form parameters (`f`, `op`, `v`): what [`long_form`] reads back.
pub fn to_long_form(filters: &[Filter]) -> Map<String, Value> {
    let (mut ops, mut values) = (Map::new(), Map::new());
    for f in filters {
        ops.insert(f.field.clone(), Value::String(f.op.clone()));
        values.insert(f.field.clone(), f.values.iter().cloned().map(Value::String).collect());
    }
    let names = filters.iter().map(|f| Value::String(f.field.clone())).collect();
    Map::from_iter([("f".to_string(), Value::Array(names)), ("op".into(), ops.into()), ("v".into(), values.into())])
}

impl Filter {
    /// The values without blanks; an operator that needs values and has none is reported as
    /// Redmine does (`<label> cannot be blank`).
    pub fn required_values(&self, label: &str, problems: &mut Problems) -> Option<Vec<String>> {
        let values: Vec<String> = self.values.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
        if values.is_empty() && FilterType::needs_values(&self.op) {
            problems.add(label, "cannot be blank");
            return None;
        }
        Some(values)
    }

    /// A date filter as a millisecond range (start inclusive, end exclusive; `None` = open),
    /// or `Err(())` for "none" (`!*`) handled by the caller as absence. Bad dates and numbers
    /// are reported as `<label> is invalid`.
    pub fn date_range(&self, label: &str, problems: &mut Problems) -> Option<DateRange> {
        let today = now_ms().div_euclid(DAY_MS) * DAY_MS;
        let values = self.required_values(label, problems)?;
        let first = values.first().map(String::as_str).unwrap_or("");
        let days = |s: &str| s.trim().parse::<i64>().ok().filter(|n| (0..=36_500).contains(n));
        let day = |s: &str| day_start_ms(s);
        let week_start = today - (today / DAY_MS + 3).rem_euclid(7) * DAY_MS; // Monday
        let (y, m, _) = super::time::ymd(today);
        let month_start = |y: i32, m: u8| super::time::ms_of_date(y, m, 1);
        let next_month = |y: i32, m: u8| if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let previous_month = |y: i32, m: u8| if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        let range = |from: Option<i64>, to: Option<i64>| Some(DateRange::Between(from, to));
        let found = match self.op.as_str() {
            "*" => Some(DateRange::Any),
            "!*" => Some(DateRange::None),
            "=" => day(first).and_then(|d| range(Some(d), Some(d + DAY_MS))),
            ">=" => day(first).and_then(|d| range(Some(d), None)),
            "<=" => day(first).and_then(|d| range(None, Some(d + DAY_MS))),
            "><" => match (day(first), values.get(1).and_then(|v| day(v))) {
                (Some(a), Some(b)) => range(Some(a), Some(b + DAY_MS)),
                _ => None,
            },
            "t" => range(Some(today), Some(today + DAY_MS)),
            "ld" => range(Some(today - DAY_MS), Some(today)),
            "nd" => range(Some(today + DAY_MS), Some(today + 2 * DAY_MS)),
            "w" => range(Some(week_start), Some(week_start + 7 * DAY_MS)),
            "lw" => range(Some(week_start - 7 * DAY_MS), Some(week_start)),
            "l2w" => range(Some(week_start - 14 * DAY_MS), Some(week_start)),
            "nw" => range(Some(week_start + 7 * DAY_MS), Some(week_start + 14 * DAY_MS)),
            "m" => {
                let (ny, nm) = next_month(y, m);
                range(Some(month_start(y, m)), Some(month_start(ny, nm)))
            }
            "lm" => {
                let (py, pm) = previous_month(y, m);
                range(Some(month_start(py, pm)), Some(month_start(y, m)))
            }
            "nm" => {
                let (ny, nm) = next_month(y, m);
                let (ay, am) = next_month(ny, nm);
                range(Some(month_start(ny, nm)), Some(month_start(ay, am)))
            }
            "y" => range(Some(super::time::ms_of_date(y, 1, 1)), Some(super::time::ms_of_date(y + 1, 1, 1))),
            // n days ago / from now: that day; more than / less than n days ago or ahead.
            "t-" => days(first).and_then(|n| range(Some(today - n * DAY_MS), Some(today - (n - 1) * DAY_MS))),
            "t+" => days(first).and_then(|n| range(Some(today + n * DAY_MS), Some(today + (n + 1) * DAY_MS))),
            ">t-" => days(first).and_then(|n| range(Some(today - n * DAY_MS), Some(today + DAY_MS))),
            "<t-" => days(first).and_then(|n| range(None, Some(today - n * DAY_MS + DAY_MS))),
            ">t+" => days(first).and_then(|n| range(Some(today + n * DAY_MS), None)),
            "<t+" => days(first).and_then(|n| range(Some(today), Some(today + (n + 1) * DAY_MS))),
            // Between n and m days ago / from now (Redmine's `relative_date_clause(-n, -m)`):
            // two values, from the first day to the end of the second.
            "><t-" | "><t+" => {
                let sign = if self.op == "><t-" { -1 } else { 1 };
                match (days(first), values.get(1).and_then(|v| days(v))) {
                    (Some(n), Some(m)) => range(Some(today + sign * n * DAY_MS), Some(today + (sign * m + 1) * DAY_MS)),
                    _ => None,
                }
            }
            _ => None,
        };
        if found.is_none() {
            problems.add(label, "is invalid");
        }
        found
    }
}

impl Filter {
    /// An integer or float filter (`kind`) as values or bounds: `=` (for integers several,
    /// given as values or as `1,2`), `>=`, `<=`, `><` (two values), `*`, `!*`. A value that is
    /// not a number of the type is reported as Redmine's check does (`<label> is invalid`);
    /// a float `=` matches within 1e-5, as Redmine's `BETWEEN v-1e-5 AND v+1e-5`.
    pub fn number_range(&self, kind: FilterType, label: &str, problems: &mut Problems) -> Option<NumberRange> {
        let values = self.required_values(label, problems)?;
        let integer = kind == FilterType::Integer;
        let number = |s: &str| -> Option<f64> {
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            let (whole, fraction) = match digits.split_once('.') {
                Some((w, f)) if !integer => (w, f),
                _ => (digits, ""),
            };
            let all_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
            (!whole.is_empty() && all_digits(whole) && all_digits(fraction)).then(|| s.parse::<f64>().ok()).flatten()
        };
        let numbers: Option<Vec<f64>> = if self.op == "=" && integer {
            values.iter().flat_map(|v| v.split(',')).map(|v| number(v.trim())).collect()
        } else {
            values.iter().map(|v| number(v)).collect()
        };
        let found = match (self.op.as_str(), numbers.as_deref()) {
            ("*", _) => Some(NumberRange::Any),
            ("!*", _) => Some(NumberRange::None),
            ("=", Some(n)) if integer && !n.is_empty() => Some(NumberRange::In(n.to_vec())),
            ("=", Some([v, ..])) => Some(NumberRange::Between(Some(v - 1e-5), Some(v + 1e-5))),
            (">=", Some([v, ..])) => Some(NumberRange::Between(Some(*v), None)),
            ("<=", Some([v, ..])) => Some(NumberRange::Between(None, Some(*v))),
            ("><", Some([a, b, ..])) => Some(NumberRange::Between(Some(*a), Some(*b))),
            _ => None,
        };
        if found.is_none() {
            problems.add(label, "is invalid");
        }
        found
    }
}

/// A number filter resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum NumberRange {
    /// Equal to one of these.
    In(Vec<f64>),
    /// Inclusive bounds (None = open).
    Between(Option<f64>, Option<f64>),
    Any,
    None,
}

/// A date filter resolved against today.
#[derive(Clone, Debug, PartialEq)]
pub enum DateRange {
    /// Millisecond bounds: start inclusive, end exclusive.
    Between(Option<i64>, Option<i64>),
    Any,
    None,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(name: &str) -> Option<FilterType> {
        match name {
            "first_name" => Some(FilterType::String),
            "created_on" => Some(FilterType::DatePast),
            "status_id" => Some(FilterType::ListStatus),
            _ => None,
        }
    }

    #[test]
    fn the_short_form_takes_the_longest_operator_of_the_type() {
        let f = parse_short(FilterType::String, "first_name", "!~iva");
        assert_eq!((f.op.as_str(), f.values), ("!~", vec!["iva".to_string()]));
        assert_eq!(parse_short(FilterType::String, "x", "!*").op, "!*");
        assert_eq!(parse_short(FilterType::String, "x", "a|b").values, ["a", "b"]);
        assert_eq!(parse_short(FilterType::DatePast, "x", ">=2024-01-01").op, ">=");
        assert_eq!(parse_short(FilterType::DatePast, "x", ">t-3").op, ">t-");
        assert_eq!(parse_short(FilterType::ListStatus, "x", "o").op, "o");
        assert_eq!(parse_short(FilterType::ListStatus, "x", "3").values, ["3"]);
    }

    #[test]
    fn the_long_form_names_every_filter_and_unknown_ones_are_refused() {
        let params = json!({"f": ["first_name", "created_on"], "op": {"first_name": "^", "created_on": "t"},
                            "v": {"first_name": ["Iv"]}, "status_id": "c"});
        let mut problems = Problems::default();
        let filters = read(params.as_object().unwrap(), kinds, &mut problems);
        assert!(problems.0.is_empty(), "{problems:?}");
        assert_eq!(filters.len(), 2, "the short form is ignored when f[] is given");
        assert_eq!(filters[0], Filter { field: "first_name".into(), op: "^".into(), values: vec!["Iv".into()] });

        let round_trip = to_long_form(&filters);
        assert_eq!(long_form(&round_trip), Some(filters));

        let bad = json!({"f": ["nope", "first_name"], "op": {"first_name": ">="}});
        read(bad.as_object().unwrap(), kinds, &mut problems);
        assert_eq!(problems.0, ["Filter name is invalid", "Operator is invalid"]);
    }

    #[test]
    fn relative_dates_resolve_to_whole_days() {
        let mut problems = Problems::default();
        let filter = |op: &str, v: &str| Filter { field: "d".into(), op: op.into(), values: vec![v.into()] };
        let today = now_ms().div_euclid(DAY_MS) * DAY_MS;
        assert_eq!(
            filter("t", "").date_range("Created", &mut problems),
            Some(DateRange::Between(Some(today), Some(today + DAY_MS)))
        );
        assert_eq!(filter("><", "2024-01-01").date_range("Created", &mut problems), None, "between needs two dates");
        assert_eq!(problems.0, ["Created is invalid"]);
        let Some(DateRange::Between(Some(a), Some(b))) = filter("w", "").date_range("C", &mut problems) else {
            panic!("a week")
        };
        assert_eq!(b - a, 7 * DAY_MS);
        assert!(a <= today && today < b);
        let Some(DateRange::Between(Some(a), Some(b))) = filter("lm", "").date_range("C", &mut problems) else {
            panic!("last month")
        };
        assert!((28..=31).contains(&((b - a) / DAY_MS)) && b <= today);
        let between = Filter { field: "d".into(), op: "><t-".into(), values: vec!["5".into(), "2".into()] };
        assert_eq!(
            between.date_range("C", &mut problems),
            Some(DateRange::Between(Some(today - 5 * DAY_MS), Some(today - DAY_MS)))
        );
    }

    #[test]
    fn numbers_are_checked_by_type() {
        let mut problems = Problems::default();
        let filter = |op: &str, v: &[&str]| Filter {
            field: "n".into(),
            op: op.into(),
            values: v.iter().map(|s| s.to_string()).collect(),
        };
        let int = FilterType::Integer;
        assert_eq!(
            filter("=", &["1,2", "3"]).number_range(int, "N", &mut problems),
            Some(NumberRange::In(vec![1.0, 2.0, 3.0]))
        );
        assert_eq!(
            filter("><", &["-1", "+4"]).number_range(int, "N", &mut problems),
            Some(NumberRange::Between(Some(-1.0), Some(4.0)))
        );
        assert_eq!(
            filter(">=", &["2.5"]).number_range(FilterType::Float, "N", &mut problems),
            Some(NumberRange::Between(Some(2.5), None))
        );
        assert_eq!(filter("!*", &[]).number_range(int, "N", &mut problems), Some(NumberRange::None));
        assert!(problems.0.is_empty(), "{problems:?}");
        for bad in [filter(">=", &["2.5"]), filter("=", &["x"]), filter("><", &["1"]), filter("<=", &["1e3"])] {
            assert_eq!(bad.number_range(int, "N", &mut problems), None, "{bad:?}");
        }
        assert_eq!(filter(">=", &["nan"]).number_range(FilterType::Float, "F", &mut problems), None);
        assert_eq!(problems.0, ["N is invalid", "F is invalid"]);
    }
}
