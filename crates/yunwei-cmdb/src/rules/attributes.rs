//! A CI class's typed attributes and the values a CI gives them.
//!
//! A class lists [`AttrSpec`]s; a CI's values are a JSON object by attribute code. Values come
//! in two forms: JSON from the API and the forms ([`check_values`]), and text from a spreadsheet
//! cell ([`parse_cell`]). Both end in the same canonical JSON (an IP address as the standard
//! library prints it, a date as `YYYY-MM-DD`), so equal values compare equal and unique keys
//! ([`unique_keys`]) are the same whichever way a value arrived. A value that does not fit is
//! refused naming `attributes.<code>` and the reason.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use yunwei_kernel::{DomainError, string_enum, validate};

string_enum!(AttrKind {
    Text = "text",
    Number = "number",
    Date = "date",
    Boolean = "boolean",
    Ip = "ip",
    IpList = "ip_list",
    Enum = "enum",
    Reference = "reference",
});

/// One value of an enumeration, named in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// An attribute of a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttrSpec {
    /// `[a-z][a-z0-9_]*`, at most 40 characters, unique within the class.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `text`, `number`, `date`, `boolean`, `ip`, `ip_list`, `enum` or `reference`.
    #[schema(value_type = String)]
    pub kind: AttrKind,
    #[serde(default)]
    pub required: bool,
    /// No two CIs of the class in one tenant share the value.
    #[serde(default)]
    pub unique: bool,
    /// The values of an enumeration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// The class a reference points to (its code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

impl AttrSpec {
    pub fn name(&self, locale: &str) -> &str {
        if locale.starts_with("zh") { &self.name_zh } else { &self.name_en }
    }
}

/// The longest text value.
pub const MAX_TEXT: usize = 1000;
/// The most attributes a class may have.
pub const MAX_ATTRIBUTES: usize = 100;
/// The most addresses an `ip_list` value may hold.
pub const MAX_IPS: usize = 64;

fn code_ok(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && code.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a class's attribute list: codes well-formed and unique, names present, an
/// enumeration with options (unique codes), a reference naming a class, no unique flag on a
/// kind that cannot be a key (boolean, list).
pub fn check_specs(specs: &[AttrSpec]) -> Result<(), DomainError> {
    if specs.len() > MAX_ATTRIBUTES {
        return Err(DomainError::invalid("attributes", "too_many").with("max", MAX_ATTRIBUTES));
    }
    let mut seen = BTreeSet::new();
    for (i, a) in specs.iter().enumerate() {
        let field = format!("attributes[{i}]");
        if !code_ok(&a.code) {
            return Err(DomainError::invalid(format!("{field}.code"), "attribute_code_format"));
        }
        if !seen.insert(a.code.as_str()) {
            return Err(DomainError::invalid(format!("{field}.code"), "attribute_code_repeated").with("code", &a.code));
        }
        validate::line(&format!("{field}.name_zh"), &a.name_zh, 100)?;
        validate::line(&format!("{field}.name_en"), &a.name_en, 100)?;
        match a.kind {
            AttrKind::Enum => {
                if a.options.is_empty() {
                    return Err(DomainError::invalid(format!("{field}.options"), "enum_needs_options"));
                }
                let mut codes = BTreeSet::new();
                for (j, o) in a.options.iter().enumerate() {
                    let of = format!("{field}.options[{j}]");
                    if !code_ok(&o.code) {
                        return Err(DomainError::invalid(format!("{of}.code"), "attribute_code_format"));
                    }
                    if !codes.insert(o.code.as_str()) {
                        return Err(DomainError::invalid(format!("{of}.code"), "option_repeated").with("code", &o.code));
                    }
                    validate::line(&format!("{of}.name_zh"), &o.name_zh, 100)?;
                    validate::line(&format!("{of}.name_en"), &o.name_en, 100)?;
                }
            }
            AttrKind::Reference if a.class.as_deref().is_none_or(|c| !code_ok(c)) => {
                return Err(DomainError::invalid(format!("{field}.class"), "reference_needs_class"));
            }
            _ => {}
        }
        if a.kind != AttrKind::Enum && !a.options.is_empty() {
            return Err(DomainError::invalid(format!("{field}.options"), "options_only_for_enum"));
        }
        if a.unique && matches!(a.kind, AttrKind::Boolean | AttrKind::IpList) {
            return Err(DomainError::invalid(format!("{field}.unique"), "kind_cannot_be_unique"));
        }
    }
    Ok(())
}

fn field(code: &str) -> String {
    format!("attributes.{code}")
}

/// The canonical form of one JSON value for `spec`; `Null` means "no value".
pub fn check_value(spec: &AttrSpec, value: &Value) -> Result<Value, DomainError> {
    let f = field(&spec.code);
    let wrong =
        |expected: &'static str| DomainError::invalid(field(&spec.code), "wrong_type").with("expected", expected);
    Ok(match (spec.kind, value) {
        (_, Value::Null) => Value::Null,
        (AttrKind::Text, Value::String(s)) => text(&f, s)?,
        (AttrKind::Text, _) => return Err(wrong("text")),
        (AttrKind::Number, Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Value::Number(n.clone()),
            _ => return Err(wrong("number")),
        },
        (AttrKind::Number, _) => return Err(wrong("number")),
        (AttrKind::Boolean, Value::Bool(b)) => Value::Bool(*b),
        (AttrKind::Boolean, _) => return Err(wrong("boolean")),
        (AttrKind::Reference, Value::Number(n)) => match n.as_i64() {
            Some(id) if id > 0 => Value::from(id),
            _ => return Err(wrong("ci_id")),
        },
        (AttrKind::Reference, _) => return Err(wrong("ci_id")),
        (AttrKind::IpList, Value::Array(items)) => {
            let mut ips = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(s) = item else { return Err(wrong("ip_list")) };
                ips.push(s.as_str());
            }
            ip_list(&f, &ips)?
        }
        (_, Value::String(s)) => parse_cell(spec, s)?,
        (AttrKind::Date, _) => return Err(wrong("date")),
        (AttrKind::Ip, _) => return Err(wrong("ip")),
        (AttrKind::IpList, _) => return Err(wrong("ip_list")),
        (AttrKind::Enum, _) => return Err(wrong("option")),
    })
}

/// The canonical value of a spreadsheet cell for `spec`; a blank cell is "no value".
pub fn parse_cell(spec: &AttrSpec, cell: &str) -> Result<Value, DomainError> {
    let f = field(&spec.code);
    let s = cell.trim();
    if s.is_empty() {
        return Ok(Value::Null);
    }
    Ok(match spec.kind {
        AttrKind::Text => text(&f, s)?,
        AttrKind::Number => {
            let n: f64 = s.parse().map_err(|_| DomainError::invalid(&f, "not_a_number").with("value", short(s)))?;
            if !n.is_finite() {
                return Err(DomainError::invalid(&f, "not_a_number").with("value", short(s)));
            }
            if n.fract() == 0.0 && n.abs() < 9.0e15 { Value::from(n as i64) } else { Value::from(n) }
        }
        AttrKind::Date => {
            let d = civil_date(s).ok_or_else(|| DomainError::invalid(&f, "not_a_date").with("value", short(s)))?;
            Value::String(d.to_string())
        }
        AttrKind::Boolean => match s.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" | "有" => Value::Bool(true),
            "false" | "no" | "n" | "0" | "否" | "无" => Value::Bool(false),
            _ => return Err(DomainError::invalid(&f, "not_a_boolean").with("value", short(s))),
        },
        AttrKind::Ip => Value::String(ip(&f, s)?),
        AttrKind::IpList => {
            let parts: Vec<&str> = s.split([',', ';', ' ', '\n', '，', '；']).filter(|p| !p.is_empty()).collect();
            ip_list(&f, &parts)?
        }
        AttrKind::Enum => {
            let found = spec.options.iter().find(|o| {
                o.code == s || o.name_zh == s || o.name_en.eq_ignore_ascii_case(s) || o.code.eq_ignore_ascii_case(s)
            });
            match found {
                Some(o) => Value::String(o.code.clone()),
                None => {
                    let expected: Vec<&str> = spec.options.iter().map(|o| o.code.as_str()).collect();
                    return Err(DomainError::invalid(&f, "not_one_of")
                        .with("value", short(s))
                        .with("expected", expected.join(", ")));
                }
            }
        }
        AttrKind::Reference => match s.parse::<i64>() {
            Ok(id) if id > 0 => Value::from(id),
            _ => return Err(DomainError::invalid(&f, "wrong_type").with("expected", "ci_id")),
        },
    })
}

/// A date as people and spreadsheets write it: `2027-06-30`, and as Excel on Chinese Windows
/// saves it in CSV, `2027/6/30`, or `2027年6月30日`, `2027.6.30`; a time after it (`2027/6/30
/// 0:00`) is ignored.
fn civil_date(s: &str) -> Option<jiff::civil::Date> {
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Some(d);
    }
    let day = s.split_whitespace().next()?.trim_end_matches('日');
    let parts: Vec<&str> = day.split(['/', '-', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else { return None };
    if y.len() != 4 {
        return None;
    }
    jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// At most 40 characters of a bad value, for the message.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn text(field: &str, s: &str) -> Result<Value, DomainError> {
    let v = validate::optional(field, s, MAX_TEXT)?;
    Ok(if v.is_empty() { Value::Null } else { Value::String(v) })
}

fn ip(field: &str, s: &str) -> Result<String, DomainError> {
    s.trim()
        .parse::<IpAddr>()
        .map(|a| a.to_string())
        .map_err(|_| DomainError::invalid(field, "not_an_ip").with("value", short(s)))
}

fn ip_list(field: &str, items: &[&str]) -> Result<Value, DomainError> {
    if items.len() > MAX_IPS {
        return Err(DomainError::invalid(field, "too_many").with("max", MAX_IPS));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for s in items {
        let a = ip(field, s)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(if out.is_empty() { Value::Null } else { Value::from(out) })
}

/// Applies `changes` (attribute code → JSON value, `null` to clear) to `current` under the
/// class's `specs`: unknown codes are refused, each value is made canonical, and afterwards
/// every required attribute has a value. Values of attributes the class no longer has are
/// dropped. Returns the new values.
pub fn check_values(
    specs: &[AttrSpec],
    current: &Map<String, Value>,
    changes: &Map<String, Value>,
) -> Result<Map<String, Value>, DomainError> {
    let mut out = Map::new();
    for spec in specs {
        if let Some(v) = current.get(&spec.code) {
            out.insert(spec.code.clone(), v.clone());
        }
    }
    for (code, value) in changes {
        let Some(spec) = specs.iter().find(|s| &s.code == code) else {
            return Err(DomainError::invalid(field(code), "unknown_attribute"));
        };
        match check_value(spec, value)? {
            Value::Null => out.remove(code),
            v => out.insert(code.clone(), v),
        };
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !out.contains_key(&spec.code) {
            return Err(DomainError::invalid(field(&spec.code), "required"));
        }
    }
    Ok(out)
}

/// The text form of a canonical value, as a key and in lists and exports.
pub fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The (attribute, value) pairs of `values` that must be unique in the class and tenant.
pub fn unique_keys(specs: &[AttrSpec], values: &Map<String, Value>) -> Vec<(String, String)> {
    specs
        .iter()
        .filter(|s| s.unique)
        .filter_map(|s| values.get(&s.code).map(|v| (s.code.clone(), display(v))))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The words of a CI's text values, for its search document.
pub fn texts(specs: &[AttrSpec], values: &Map<String, Value>) -> Vec<String> {
    specs
        .iter()
        .filter(|s| matches!(s.kind, AttrKind::Text | AttrKind::Ip | AttrKind::IpList))
        .filter_map(|s| values.get(&s.code).map(display))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn spec(code: &str, kind: AttrKind) -> AttrSpec {
        AttrSpec {
            code: code.into(),
            name_zh: "名".into(),
            name_en: "Name".into(),
            kind,
            required: false,
            unique: false,
            options: vec![],
            class: None,
        }
    }

    fn os() -> AttrSpec {
        let mut s = spec("os", AttrKind::Enum);
        s.options = vec![
            Choice { code: "linux".into(), name_zh: "Linux".into(), name_en: "Linux".into() },
            Choice { code: "windows".into(), name_zh: "视窗".into(), name_en: "Windows".into() },
        ];
        s
    }

    fn code_of(e: DomainError) -> (String, &'static str) {
        match e {
            DomainError::Invalid(f) => (f.field, f.problem.code),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_are_made_canonical_whichever_way_they_arrive() {
        let ip = spec("ip", AttrKind::Ip);
        assert_eq!(check_value(&ip, &json!("2001:DB8:0:0::1")).unwrap(), json!("2001:db8::1"));
        assert_eq!(parse_cell(&ip, " 10.0.0.1 ").unwrap(), json!("10.0.0.1"));
        let list = spec("ips", AttrKind::IpList);
        assert_eq!(parse_cell(&list, "10.0.0.1，10.0.0.2; 10.0.0.1").unwrap(), json!(["10.0.0.1", "10.0.0.2"]));
        assert_eq!(check_value(&list, &json!(["10.0.0.2"])).unwrap(), json!(["10.0.0.2"]));
        let date = spec("d", AttrKind::Date);
        assert_eq!(parse_cell(&date, "2027-03-01").unwrap(), json!("2027-03-01"));
        for excel in ["2027/3/1", "2027年3月1日", "2027.03.01", "2027/3/1 0:00"] {
            assert_eq!(parse_cell(&date, excel).unwrap(), json!("2027-03-01"), "{excel}");
        }
        for bad in ["3/1/2027", "2027/2/30", "27/3/1", "2027/3"] {
            assert!(parse_cell(&date, bad).is_err(), "{bad}");
        }
        assert_eq!(parse_cell(&spec("n", AttrKind::Number), "16").unwrap(), json!(16));
        assert_eq!(parse_cell(&spec("n", AttrKind::Number), "1.5").unwrap(), json!(1.5));
        assert_eq!(parse_cell(&spec("b", AttrKind::Boolean), "是").unwrap(), json!(true));
        assert_eq!(parse_cell(&os(), "视窗").unwrap(), json!("windows"));
        assert_eq!(parse_cell(&os(), "LINUX").unwrap(), json!("linux"));
        assert_eq!(parse_cell(&spec("t", AttrKind::Text), "   ").unwrap(), Value::Null);
    }

    #[test]
    fn a_value_that_does_not_fit_names_the_attribute_and_the_reason() {
        let cases: Vec<(AttrSpec, Value, &str)> = vec![
            (spec("ip", AttrKind::Ip), json!("10.0.0.300"), "not_an_ip"),
            (spec("ip", AttrKind::Ip), json!(7), "wrong_type"),
            (spec("d", AttrKind::Date), json!("2027-02-30"), "not_a_date"),
            (spec("n", AttrKind::Number), json!("16"), "wrong_type"),
            (spec("n", AttrKind::Number), json!(true), "wrong_type"),
            (spec("b", AttrKind::Boolean), json!("yes"), "wrong_type"),
            (os(), json!("solaris"), "not_one_of"),
            (spec("r", AttrKind::Reference), json!(-1), "wrong_type"),
            (spec("t", AttrKind::Text), json!("a\u{0}b"), "control_chars"),
            (spec("t", AttrKind::Text), json!("x".repeat(MAX_TEXT + 1)), "too_long"),
        ];
        let (field, got) = code_of(parse_cell(&spec("n", AttrKind::Number), "ten").unwrap_err());
        assert_eq!((field.as_str(), got), ("attributes.n", "not_a_number"));
        let (_, got) = code_of(parse_cell(&spec("b", AttrKind::Boolean), "perhaps").unwrap_err());
        assert_eq!(got, "not_a_boolean");
        for (s, v, code) in cases {
            let (field, got) = code_of(check_value(&s, &v).unwrap_err());
            assert_eq!((field.as_str(), got), (format!("attributes.{}", s.code).as_str(), code), "{v}");
        }
    }

    #[test]
    fn unknown_and_missing_required_attributes_are_refused_and_removed_ones_dropped() {
        let mut host = spec("hostname", AttrKind::Text);
        host.required = true;
        let specs = vec![host, spec("ip", AttrKind::Ip)];
        let none = Map::new();
        let err = check_values(&specs, &none, json!({"colour": "red"}).as_object().unwrap()).unwrap_err();
        assert_eq!(code_of(err), ("attributes.colour".into(), "unknown_attribute"));
        let err = check_values(&specs, &none, json!({"ip": "10.0.0.1"}).as_object().unwrap()).unwrap_err();
        assert_eq!(code_of(err), ("attributes.hostname".into(), "required"));
        let current = json!({"hostname": "a", "gone": 1}).as_object().unwrap().clone();
        let out = check_values(&specs, &current, json!({"ip": "10.0.0.1"}).as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(out), json!({"hostname": "a", "ip": "10.0.0.1"}));
        let err = check_values(&specs, &current, json!({"hostname": null}).as_object().unwrap()).unwrap_err();
        assert_eq!(code_of(err), ("attributes.hostname".into(), "required"));
    }

    #[test]
    fn class_definitions_are_checked() {
        let mut e = spec("os", AttrKind::Enum);
        assert_eq!(code_of(check_specs(&[e.clone()]).unwrap_err()).1, "enum_needs_options");
        e = os();
        assert!(check_specs(&[e.clone(), spec("ip", AttrKind::Ip)]).is_ok());
        assert_eq!(code_of(check_specs(&[e.clone(), e.clone()]).unwrap_err()).1, "attribute_code_repeated");
        assert_eq!(code_of(check_specs(&[spec("Bad Code", AttrKind::Text)]).unwrap_err()).1, "attribute_code_format");
        assert_eq!(code_of(check_specs(&[spec("host", AttrKind::Reference)]).unwrap_err()).1, "reference_needs_class");
        let mut b = spec("flag", AttrKind::Boolean);
        b.unique = true;
        assert_eq!(code_of(check_specs(&[b]).unwrap_err()).1, "kind_cannot_be_unique");
    }

    proptest! {
        /// Canonical values are stable: checking a canonical value again gives it back, so a
        /// re-import of an export finds nothing changed.
        #[test]
        fn canonical_values_are_fixed_points(a in 0u8..=255, b in 0u8..=255, n in -1_000_000i64..1_000_000, t in "[a-z 中文]{0,30}") {
            let ip_spec = spec("ip", AttrKind::Ip);
            let v = parse_cell(&ip_spec, &format!("10.{a}.{b}.1")).unwrap();
            prop_assert_eq!(check_value(&ip_spec, &v).unwrap(), v.clone());
            prop_assert_eq!(parse_cell(&ip_spec, &display(&v)).unwrap(), v);
            let num = spec("n", AttrKind::Number);
            let v = parse_cell(&num, &n.to_string()).unwrap();
            prop_assert_eq!(parse_cell(&num, &display(&v)).unwrap(), v.clone());
            prop_assert_eq!(check_value(&num, &v).unwrap(), v);
            let txt = spec("t", AttrKind::Text);
            let v = parse_cell(&txt, &t).unwrap();
            prop_assert_eq!(parse_cell(&txt, &display(&v)).unwrap(), v);
        }
    }
}
