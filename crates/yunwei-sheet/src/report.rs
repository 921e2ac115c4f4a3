//! The report every import answers with: each row's verdict (insert, update, unchanged, or an
//! error with its line, column, cell and reason), the counts and a summary in the reader's
//! language. Modules fill it row by row ([`Report::push`] of [`verdict_row`] or [`error_row`])
//! and commit only when [`Report::applied`]; the caller words it ([`Report::word`]) for the
//! reader. The summary's words are the platform's (`import.applied`, `import.dry_run`,
//! `import.not_applied`), so every import says it the same way.

use serde::Serialize;
use serde_json::{Map, Value};
use yunwei_kernel::{DomainError, Problem};

use crate::SheetError;
use crate::columns::{HeaderProblem, Verdict, cell_name};

/// What an import did, or on a dry run would do, row by row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ImportReport)]
pub struct Report {
    /// What was imported: `cis`, `relationships`, `assets`, `scans`.
    pub kind: String,
    pub tenant_id: i64,
    pub dry_run: bool,
    /// Whether the changes were stored: never on a dry run, and never when any row is an
    /// error (then nothing at all is stored).
    pub applied: bool,
    /// Rows under the header.
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows (and header cells) in error.
    pub errors: usize,
    /// The outcome in a sentence, in your language.
    pub summary: String,
    /// Every row's verdict, in file order; problems with the header row first (line 1).
    pub results: Vec<RowResult>,
}

/// One row's verdict.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ImportRow)]
pub struct RowResult {
    /// The line in the file (the header is line 1), as Excel or an editor numbers it.
    pub line: usize,
    /// `insert`, `update`, `unchanged` or `error`.
    pub verdict: String,
    /// The record matched or, once applied, created.
    pub id: Option<i64>,
    /// What the row is about, in words (a CI's name, `source kind target`, an asset's tag).
    pub label: String,
    /// For an update, the fields that change (`name`, `status`, `attributes.<code>`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

/// Why a row (or a header cell) is refused: where, and the problem.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ImportError)]
pub struct RowError {
    /// The column, counting from 1, when the problem is in one cell.
    pub column: Option<usize>,
    /// That column's header.
    pub header: Option<String>,
    /// The cell as Excel names it (`C4`).
    pub cell: Option<String>,
    /// The field the problem is about (`name`, `attributes.serial_number`, …).
    pub field: String,
    /// The problem's code (`not_an_ip`, `key_repeated_in_file`, …).
    pub reason: String,
    pub args: Map<String, Value>,
    /// The problem in words, in your language.
    pub message: String,
    #[serde(skip)]
    #[schema(ignore)]
    problem: Option<Problem>,
}

impl Report {
    pub fn new(kind: &str, tenant_id: i64, dry_run: bool, rows: usize) -> Report {
        Report {
            kind: kind.into(),
            tenant_id,
            dry_run,
            applied: false,
            rows,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            errors: 0,
            summary: String::new(),
            results: Vec::new(),
        }
    }

    /// Adds a row's verdict and counts it.
    pub fn push(&mut self, r: RowResult) {
        match r.verdict.as_str() {
            "insert" => self.inserted += 1,
            "update" => self.updated += 1,
            "unchanged" => self.unchanged += 1,
            _ => self.errors += 1,
        }
        self.results.push(r);
    }

    /// Adds each problem with the header row as an error on line 1.
    pub fn header_problems(&mut self, headers: &[String], problems: Vec<HeaderProblem>) {
        for p in problems {
            self.push(error_row(1, String::new(), p.column.map(|c| c - 1), headers, p.error));
        }
    }

    /// Sets [`Report::applied`]: not a dry run, and no row in error.
    pub fn finish(&mut self) {
        self.applied = !self.dry_run && self.errors == 0;
    }

    /// The rows in error.
    pub fn error_rows(&self) -> impl Iterator<Item = &RowResult> {
        self.results.iter().filter(|r| r.error.is_some())
    }

    /// The summary's catalogue key and arguments: `import.applied`, `.dry_run` or
    /// `.not_applied`.
    pub fn summary_key(&self) -> (&'static str, Vec<(&'static str, String)>) {
        let key = if self.errors > 0 {
            "import.not_applied"
        } else if self.dry_run {
            "import.dry_run"
        } else {
            "import.applied"
        };
        let args = vec![
            ("rows", self.rows.to_string()),
            ("inserted", self.inserted.to_string()),
            ("updated", self.updated.to_string()),
            ("unchanged", self.unchanged.to_string()),
            ("errors", self.errors.to_string()),
        ];
        (key, args)
    }

    /// Words the summary and every problem with `problem` (a problem in the reader's
    /// language) and `summary` (a catalogue key with arguments).
    pub fn word(&mut self, problem: impl Fn(&Problem) -> String, summary: impl Fn(&str, &[(&str, &str)]) -> String) {
        let (key, args) = self.summary_key();
        let pairs: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.summary = summary(key, &pairs);
        for r in &mut self.results {
            if let Some(e) = &mut r.error
                && let Some(p) = &e.problem
            {
                e.message = problem(p);
            }
        }
    }
}

impl RowError {
    /// Words the problem with `problem` (a problem in the reader's language).
    pub fn word(&mut self, problem: impl Fn(&Problem) -> String) {
        if let Some(p) = &self.problem {
            self.message = problem(p);
        }
    }
}

/// A row's verdict other than an error.
pub fn verdict_row(line: usize, verdict: Verdict, id: Option<i64>, label: String, changes: Vec<String>) -> RowResult {
    RowResult { line, verdict: verdict.as_str().into(), id, label, changes, error: None }
}

/// A row in error: `column` (0-based) is the cell the problem is in, when it is in one.
pub fn error_row(
    line: usize,
    label: String,
    column: Option<usize>,
    headers: &[String],
    error: DomainError,
) -> RowResult {
    let (field, problem) = match error {
        DomainError::Invalid(f) => (f.field, Some(f.problem)),
        DomainError::Forbidden(p) => (String::new(), Some(p)),
        other => (String::new(), Some(Problem::new("row_refused").with("reason", other))),
    };
    let p = problem.unwrap_or_else(|| Problem::new("row_refused"));
    let args = p.args.iter().map(|(n, v)| (n.to_string(), Value::from(v.clone()))).collect();
    let error = RowError {
        column: column.map(|c| c + 1),
        header: column.and_then(|c| headers.get(c).cloned()),
        cell: column.map(|c| cell_name(c + 1, line)),
        field,
        reason: p.code.to_string(),
        args,
        message: p.to_string(),
        problem: Some(p),
    };
    RowResult { line, verdict: Verdict::Error.as_str().into(), id: None, label, changes: vec![], error: Some(error) }
}

/// A file that cannot be read, as a problem with the field `file`.
pub fn sheet_problem(e: &SheetError) -> DomainError {
    use SheetError as E;
    let base = match e {
        E::Empty => DomainError::invalid("file", "sheet_empty"),
        E::TooLarge { .. } => DomainError::invalid("file", "sheet_too_large"),
        E::TooManyRows { .. } => DomainError::invalid("file", "sheet_too_many_rows"),
        E::TooManyColumns { .. } => DomainError::invalid("file", "sheet_too_many_columns"),
        E::Encoding => DomainError::invalid("file", "sheet_encoding"),
        E::Csv { .. } => DomainError::invalid("file", "sheet_csv"),
        E::Workbook { .. } => DomainError::invalid("file", "sheet_workbook"),
        E::CellBeyondHeaders { .. } => DomainError::invalid("file", "sheet_cell_beyond_headers"),
        E::Write { .. } => DomainError::invalid("file", "sheet_write"),
    };
    e.args().into_iter().fold(base, |d, (name, value)| d.with(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_counts_verdicts_and_names_the_cell_of_an_error_and_its_summary() {
        let headers = vec!["tag".to_string(), "status".to_string()];
        let mut r = Report::new("assets", 1, false, 3);
        r.push(verdict_row(2, Verdict::Insert, None, "A".into(), vec![]));
        r.push(verdict_row(3, Verdict::Unchanged, Some(4), "B".into(), vec![]));
        assert_eq!(r.summary_key().0, "import.applied");
        r.push(error_row(4, "C".into(), Some(1), &headers, DomainError::invalid("status", "not_one_of")));
        r.finish();
        assert_eq!((r.inserted, r.unchanged, r.errors, r.applied), (1, 1, 1, false));
        let e = r.error_rows().next().and_then(|row| row.error.clone()).expect("an error");
        assert_eq!((e.column, e.cell.as_deref(), e.header.as_deref()), (Some(2), Some("B4"), Some("status")));
        assert_eq!(r.summary_key().0, "import.not_applied");
        r.word(|p| format!("words for {}", p.code), |k, _| k.to_string());
        assert_eq!(r.summary, "import.not_applied");
        assert_eq!(r.results[2].error.as_ref().map(|e| e.message.as_str()), Some("words for not_one_of"));
        let dry = Report::new("cis", 1, true, 0);
        assert_eq!(dry.summary_key().0, "import.dry_run");
    }

    #[test]
    fn an_unreadable_file_is_a_problem_with_the_file_and_its_arguments() {
        let e = sheet_problem(&SheetError::TooManyRows { max: 5 });
        let p = e.problem().expect("a problem");
        assert_eq!((p.code, p.arg("max")), ("sheet_too_many_rows", Some("5")));
    }
}
