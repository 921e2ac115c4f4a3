//! Which column of a sheet is what, shared by every module's import: fixed columns named by
//! their code or their header in either language, the other columns left to the caller
//! (attributes, in the CMDB), every problem with the header row listed, and the keys seen in
//! a file so two rows for one record are an error, never a silent double update.

use std::collections::HashMap;

use yunwei_kernel::{DomainError, string_enum};

string_enum!(Verdict {
    Insert = "insert",
    Update = "update",
    Unchanged = "unchanged",
    Error = "error",
});

/// A fixed column of a sheet: its code, Chinese and English headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl Fixed {
    pub fn header(&self, locale: &str) -> &'static str {
        if locale.starts_with("zh") { self.zh } else { self.en }
    }

    pub fn matches(&self, header: &str) -> bool {
        names_match(header, self.code, self.zh, self.en)
    }
}

/// Whether a header or cell names something by its code or either language's name (codes and
/// English case-insensitively, spaces around ignored).
pub fn names_match(text: &str, code: &str, zh: &str, en: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && (t.eq_ignore_ascii_case(code) || t == zh || t.eq_ignore_ascii_case(en))
}

/// What each column of a sheet is: the index of each fixed column found, and the rest
/// (attribute columns, resolved per row by its class).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    fixed: HashMap<&'static str, usize>,
    /// Indexes of the other (attribute) columns.
    pub others: Vec<usize>,
}

impl Columns {
    /// The index of fixed column `f`, if the sheet has it.
    pub fn of(&self, f: Fixed) -> Option<usize> {
        self.fixed.get(f.code).copied()
    }
}

/// A problem with the header row: the column (1-based; `None` for a missing column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderProblem {
    pub column: Option<usize>,
    pub error: DomainError,
}

/// Maps a header row to `fixed` columns (`required` ones must be there) and other columns,
/// each of which must name an attribute (`is_attribute`). Every problem is listed.
pub fn map_columns(
    headers: &[String],
    fixed: &[Fixed],
    required: &[Fixed],
    is_attribute: impl Fn(&str) -> bool,
) -> Result<Columns, Vec<HeaderProblem>> {
    let mut columns = Columns::default();
    let mut problems = Vec::new();
    let mut seen_attr: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let column = Some(i + 1);
        if let Some(f) = fixed.iter().find(|f| f.matches(h)) {
            if columns.fixed.insert(f.code, i).is_some() {
                problems.push(HeaderProblem {
                    column,
                    error: DomainError::invalid(f.code, "column_repeated").with("header", h),
                });
            }
        } else if h.trim().is_empty() {
            problems.push(HeaderProblem { column, error: DomainError::invalid("header", "column_unnamed") });
        } else if !is_attribute(h) {
            problems.push(HeaderProblem {
                column,
                error: DomainError::invalid("header", "unknown_column").with("header", h),
            });
        } else if let Some(first) = seen_attr.insert(h.trim().to_lowercase(), i) {
            problems.push(HeaderProblem {
                column,
                error: DomainError::invalid("header", "column_repeated").with("header", h).with("first", first + 1),
            });
        } else {
            columns.others.push(i);
        }
    }
    for f in required {
        if columns.of(*f).is_none() {
            problems.push(HeaderProblem {
                column: None,
                error: DomainError::invalid(f.code, "column_missing").with("header", format!("{} / {}", f.zh, f.en)),
            });
        }
    }
    if problems.is_empty() { Ok(columns) } else { Err(problems) }
}

/// Remembers the keys seen in a file, so two rows for one record are an error, never a silent
/// double update.
#[derive(Debug, Default)]
pub struct SeenKeys {
    seen: HashMap<(i64, String, String), usize>,
}

impl SeenKeys {
    /// Records the row's keys (of kind `class_id`: a CMDB class, or 0); the line of an
    /// earlier row with one of them, and which, if any.
    pub fn check(&mut self, class_id: i64, keys: &[(String, String)], line: usize) -> Option<(usize, String, String)> {
        for (a, v) in keys {
            if let Some(first) = self.seen.get(&(class_id, a.clone(), v.clone())) {
                return Some((*first, a.clone(), v.clone()));
            }
        }
        for (a, v) in keys {
            self.seen.insert((class_id, a.clone(), v.clone()), line);
        }
        None
    }

    /// Records a record's id as seen; the line of an earlier row that named it.
    pub fn check_ci(&mut self, ci: i64, line: usize) -> Option<usize> {
        let key = (0, "#ci".to_string(), ci.to_string());
        match self.seen.get(&key) {
            Some(first) => Some(*first),
            None => {
                self.seen.insert(key, line);
                None
            }
        }
    }
}

/// A cell's name as Excel shows it: column letters and line, `C4`.
pub fn cell_name(column: usize, line: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &line.to_string()
}

/// A location's label in sheets: building, floor and room joined by ` / `.
pub fn location_label(building: &str, floor: &str, room: &str) -> String {
    [building, floor, room].iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" / ")
}

/// The value a cell names among `names`, each `(value, Chinese, English)` with its code given
/// by `code`: its code or either name (the Chinese may list `|`-separated spellings), `None`
/// when blank. Anything else is refused on `field`, listing the choices by their Chinese name
/// (the first spelling) and English one, `在库 In stock, 在用 Deployed`, so the reader finds the
/// words the file uses whichever language it is in.
pub fn choice<T: Copy>(
    field: &str,
    cell: &str,
    names: &[(T, &str, &str)],
    code: impl Fn(T) -> &'static str,
) -> Result<Option<T>, DomainError> {
    let s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let found = names.iter().find(|(v, zh, en)| names_match(s, code(*v), zh, en) || zh.split('|').any(|z| z == s));
    match found {
        Some((v, _, _)) => Ok(Some(*v)),
        None => {
            let expected: Vec<String> =
                names.iter().map(|(_, zh, en)| format!("{} {en}", zh.split('|').next().unwrap_or(zh))).collect();
            Err(DomainError::invalid(field, "not_one_of").with("value", s).with("expected", expected.join(", ")))
        }
    }
}

/// A location label compared loosely: parts split on `/`, trimmed, case-folded.
pub fn location_key(text: &str) -> String {
    text.split('/').map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Fixed = Fixed { code: "class", zh: "类别", en: "Class" };
    const B: Fixed = Fixed { code: "name", zh: "名称", en: "Name" };
    const C: Fixed = Fixed { code: "status", zh: "状态", en: "Status" };

    fn code(e: &DomainError) -> &'static str {
        e.problem().map(|p| p.code).unwrap_or("")
    }

    #[test]
    fn a_choice_is_named_by_its_code_or_either_language_and_a_wrong_one_lists_them_all() {
        let names = [(1, "在库|库存", "In stock"), (2, "在用", "Deployed")];
        let code = |v: i32| if v == 1 { "in_stock" } else { "deployed" };
        assert_eq!(choice("status", " IN_STOCK ", &names, code).unwrap(), Some(1));
        assert_eq!(choice("status", "库存", &names, code).unwrap(), Some(1));
        assert_eq!(choice("status", "deployed", &names, code).unwrap(), Some(2));
        assert_eq!(choice("status", "  ", &names, code).unwrap(), None);
        let DomainError::Invalid(f) = choice("status", "丢失", &names, code).unwrap_err() else { panic!() };
        assert_eq!((f.field.as_str(), f.problem.code), ("status", "not_one_of"));
        assert_eq!(f.problem.arg("expected"), Some("在库 In stock, 在用 Deployed"));
    }

    #[test]
    fn headers_are_recognised_in_either_language_and_problems_all_listed() {
        let headers: Vec<String> = ["类别", "Name", " 序列号 ", "IP"].iter().map(|s| s.to_string()).collect();
        let known = |h: &str| ["序列号", "ip"].contains(&h.trim().to_lowercase().as_str());
        let cols = map_columns(&headers, &[A, B, C], &[A, B], known).unwrap();
        assert_eq!((cols.of(A), cols.of(B), cols.of(C), cols.others.clone()), (Some(0), Some(1), None, vec![2, 3]));

        let bad: Vec<String> = ["name", "colour", "", "名称"].iter().map(|s| s.to_string()).collect();
        let problems = map_columns(&bad, &[A, B, C], &[A, B], known).unwrap_err();
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
    fn a_key_seen_twice_in_a_file_names_the_first_line() {
        let mut seen = SeenKeys::default();
        let k = |v: &str| vec![("serial_number".to_string(), v.to_string())];
        assert_eq!(seen.check(1, &k("A"), 2), None);
        assert_eq!(seen.check(1, &k("B"), 3), None);
        assert_eq!(seen.check(2, &k("A"), 4), None, "another class may repeat it");
        assert_eq!(seen.check(1, &k("A"), 5), Some((2, "serial_number".into(), "A".into())));
        assert_eq!(seen.check_ci(7, 2), None);
        assert_eq!(seen.check_ci(7, 9), Some(2));
    }

    #[test]
    fn cells_are_named_as_excel_names_them_and_locations_compared_loosely() {
        assert_eq!([cell_name(1, 2), cell_name(26, 3), cell_name(27, 4), cell_name(53, 1)], ["A2", "Z3", "AA4", "BA1"]);
        assert_eq!(location_label("数据中心 DC", "1", ""), "数据中心 DC / 1");
        assert_eq!(location_key(" 数据中心 DC/1 / 101 "), location_key(&location_label("数据中心 dc", "1", "101")));
    }
}
