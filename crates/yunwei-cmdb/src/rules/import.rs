//! The pure part of importing CIs and relationships from a spreadsheet: which column is what,
//! the status and class a cell names, a row's attribute values and identifying key, and the
//! verdicts. No I/O; `store::import` looks CIs up and writes.
//!
//! A CI sheet has the columns `class`, `name`, and optionally `status`, `location` and
//! `tenant` (which, when filled, must name the organisation imported into: a safeguard for a
//! file exported from several), each
//! named by its code or its name in either language (`类别`/`Class`, …), and one column per
//! attribute named by its code or either name (`serial_number`, `序列号`, `Serial number`). A
//! row's class decides which attribute a column is, so one sheet may hold servers and switches.
//! A blank cell keeps the CI's current value.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yunwei_kernel::{DomainError, string_enum};
// The generic part of a sheet's columns is shared with every module's import.
pub use yunwei_sheet::columns::{
    Columns, Fixed, HeaderProblem, SeenKeys, Verdict, cell_name, location_key, location_label, map_columns, names_match,
};

use super::CiStatus;
use super::attributes::{self, AttrSpec};

string_enum!(ImportKind {
    Cis = "cis",
    Relationships = "relationships",
});

pub const TENANT: Fixed = Fixed { code: "tenant", zh: "单位", en: "Organisation" };
pub const CLASS: Fixed = Fixed { code: "class", zh: "类别", en: "Class" };
pub const NAME: Fixed = Fixed { code: "name", zh: "名称", en: "Name" };
pub const STATUS: Fixed = Fixed { code: "status", zh: "状态", en: "Status" };
pub const LOCATION: Fixed = Fixed { code: "location", zh: "位置", en: "Location" };
pub const CI_COLUMNS: [Fixed; 5] = [TENANT, CLASS, NAME, STATUS, LOCATION];

pub const SOURCE_CLASS: Fixed = Fixed { code: "source_class", zh: "源类别", en: "Source class" };
pub const SOURCE: Fixed = Fixed { code: "source", zh: "源配置项", en: "Source" };
pub const KIND: Fixed = Fixed { code: "kind", zh: "关系", en: "Kind" };
pub const TARGET_CLASS: Fixed = Fixed { code: "target_class", zh: "目标类别", en: "Target class" };
pub const TARGET: Fixed = Fixed { code: "target", zh: "目标配置项", en: "Target" };
pub const RELATION_COLUMNS: [Fixed; 5] = [SOURCE_CLASS, SOURCE, KIND, TARGET_CLASS, TARGET];

/// Whether `header` names attribute `spec`.
pub fn names_attribute(header: &str, spec: &AttrSpec) -> bool {
    names_match(header, &spec.code, &spec.name_zh, &spec.name_en)
}

/// The status a cell names: its code, or its name in Chinese or English; blank is `None`.
pub fn status(cell: &str) -> Result<Option<CiStatus>, DomainError> {
    yunwei_sheet::columns::choice("status", cell, &STATUS_NAMES, CiStatus::as_str)
}

/// The status's name in `locale`, as exports write it.
pub fn status_name(status: CiStatus, locale: &str) -> &'static str {
    let (_, zh, en) = STATUS_NAMES.iter().find(|(s, _, _)| *s == status).copied().unwrap_or((status, "", ""));
    if locale.starts_with("zh") { zh.split('|').next().unwrap_or(zh) } else { en }
}

/// Status names; the Chinese may list synonyms (`|`), the first is written.
const STATUS_NAMES: [(CiStatus, &str, &str); 4] = [
    (CiStatus::Planned, "计划中|规划中|待上线", "Planned"),
    (CiStatus::InService, "在用|运行中|使用中", "In service"),
    (CiStatus::Maintenance, "维护中|维修中", "Maintenance"),
    (CiStatus::Retired, "已退役|退役|报废", "Retired"),
];

/// The values a row gives for `specs`: for each attribute column (index, header) that names
/// an attribute of the class, the canonical value of a non-blank cell. A non-blank cell under
/// a column the class does not have is refused; so is one attribute given by two columns.
/// Errors name the column (0-based index) with the attribute's field.
pub fn row_values(
    specs: &[AttrSpec],
    columns: &[(usize, &str)],
    cell: impl Fn(usize) -> String,
) -> Result<Map<String, Value>, (usize, DomainError)> {
    let mut out = Map::new();
    let mut from: HashMap<&str, usize> = HashMap::new();
    for (i, header) in columns {
        let text = cell(*i);
        if text.trim().is_empty() {
            continue;
        }
        let Some(spec) = specs.iter().find(|s| names_attribute(header, s)) else {
            return Err((*i, DomainError::invalid("header", "not_an_attribute_of_class").with("header", *header)));
        };
        if from.insert(&spec.code, *i).is_some() {
            return Err((*i, DomainError::invalid(format!("attributes.{}", spec.code), "attribute_given_twice")));
        }
        let value = attributes::parse_cell(spec, &text).map_err(|e| (*i, e))?;
        out.insert(spec.code.clone(), value);
    }
    Ok(out)
}

/// The identifying values of a row, in the class's `identify_by` order: each (attribute,
/// value as stored in keys) that the row gives.
pub fn row_keys(identify_by: &[String], values: &Map<String, Value>) -> Vec<(String, String)> {
    identify_by
        .iter()
        .filter_map(|code| values.get(code).map(|v| (code.clone(), attributes::display(v))))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::attributes::AttrKind;
    use serde_json::json;

    fn spec(code: &str, zh: &str, en: &str, kind: AttrKind) -> AttrSpec {
        AttrSpec {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            kind,
            required: false,
            unique: true,
            options: vec![],
            class: None,
        }
    }

    fn code(e: &DomainError) -> &'static str {
        e.problem().map(|p| p.code).unwrap_or("")
    }

    #[test]
    fn headers_are_recognised_in_either_language_and_problems_all_listed() {
        let headers: Vec<String> = ["类别", "Name", " 序列号 ", "IP"].iter().map(|s| s.to_string()).collect();
        let known = |h: &str| ["序列号", "ip"].contains(&h.trim().to_lowercase().as_str());
        let cols = map_columns(&headers, &CI_COLUMNS, &[CLASS, NAME], known).unwrap();
        assert_eq!(
            (cols.of(CLASS), cols.of(NAME), cols.of(STATUS), cols.others.clone()),
            (Some(0), Some(1), None, vec![2, 3])
        );

        let bad: Vec<String> = ["name", "colour", "", "名称"].iter().map(|s| s.to_string()).collect();
        let problems = map_columns(&bad, &CI_COLUMNS, &[CLASS, NAME], known).unwrap_err();
        let got: Vec<(Option<usize>, &str)> = problems.iter().map(|p| (p.column, code(&p.error))).collect();
        assert_eq!(
            got,
            [
                (Some(2), "unknown_column"),
                (Some(3), "column_unnamed"),
                (Some(4), "column_repeated"),
                (None, "column_missing")
            ]
        );
    }

    #[test]
    fn statuses_are_named_by_code_or_either_language() {
        assert_eq!(status("in_service").unwrap(), Some(CiStatus::InService));
        assert_eq!(status("运行中").unwrap(), Some(CiStatus::InService));
        assert_eq!(status("RETIRED").unwrap(), Some(CiStatus::Retired));
        assert_eq!(status(" ").unwrap(), None);
        assert_eq!(code(&status("broken").unwrap_err()), "not_one_of");
        for s in CiStatus::ALL {
            assert_eq!(status(status_name(*s, "zh-CN")).unwrap(), Some(*s));
            assert_eq!(status(status_name(*s, "en")).unwrap(), Some(*s));
        }
    }

    #[test]
    fn a_rows_values_follow_its_class_and_its_keys_the_identification_order() {
        let specs = vec![
            spec("hostname", "主机名", "Hostname", AttrKind::Text),
            spec("serial_number", "序列号", "Serial number", AttrKind::Text),
            spec("ip", "IP地址", "IP address", AttrKind::Ip),
        ];
        let cells = ["db-01", "SN-9", "10.0.0.1", "x"];
        let columns = [(0, "主机名"), (1, "serial number"), (2, "IP地址"), (3, "rack")];
        let cell = |i: usize| cells[i].to_string();
        let (i, e) = row_values(&specs, &columns, cell).unwrap_err();
        assert_eq!((i, code(&e)), (3, "not_an_attribute_of_class"));
        let values = row_values(&specs, &columns[..3], cell).unwrap();
        assert_eq!(
            Value::Object(values.clone()),
            json!({"hostname": "db-01", "serial_number": "SN-9", "ip": "10.0.0.1"})
        );
        let order = vec!["serial_number".to_string(), "asset_tag".into(), "hostname".into()];
        assert_eq!(
            row_keys(&order, &values),
            [("serial_number".into(), "SN-9".into()), ("hostname".into(), "db-01".into())]
        );
        let bad = ["db-01", "SN-9", "10.0.0.300", ""];
        let (i, e) = row_values(&specs, &columns, |i| bad[i].to_string()).unwrap_err();
        assert_eq!((i, code(&e)), (2, "not_an_ip"));
        let twice = [(0, "hostname"), (1, "主机名")];
        assert_eq!(code(&row_values(&specs, &twice, cell).unwrap_err().1), "attribute_given_twice");
    }
}
