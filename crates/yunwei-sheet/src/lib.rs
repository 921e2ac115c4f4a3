//! Spreadsheets in and out, for every module's imports and exports: the one place the CSV,
//! text-encoding and Excel libraries live.
//!
//! [`read`] takes a file as uploaded and gives its first row as headers and the rest as rows
//! of text cells, each with the line it came from:
//!
//! - CSV in UTF-8 (with or without a byte-order mark), or in GBK/GB18030 as Excel on Chinese
//!   Windows saves it (decided by trying UTF-8 first: GBK text is almost never valid UTF-8),
//!   or UTF-16 with a byte-order mark (Excel's "Unicode text"); commas or tabs; quoted cells
//!   may hold commas, quotes and line breaks; blank lines are skipped;
//! - Excel workbooks (`.xlsx`, and `.xls`/`.xlsb`/`.ods`), told by the file's first bytes or
//!   its name: the first sheet, numbers as text (whole numbers without `.0`), dates as
//!   `YYYY-MM-DD` (with the time when there is one).
//!
//! Files are held to [`Limits`] (an `.xlsx` sheet while it is read, so a small file that
//! unpacks to a huge sheet is refused early); anything unreadable is a [`SheetError`] (never a
//! panic), with
//! a code and arguments the caller words in the reader's language.
//!
//! [`columns`] maps a header row to the columns an import knows (by code or either
//! language's header) and [`report`] is the per-row import report every module's import
//! answers with.
//!
//! [`write_csv`] writes UTF-8 with a byte-order mark, so Excel opens Chinese text right, and
//! [`write_xlsx`] a one-sheet workbook with a bold, frozen header row.

pub mod columns;
pub mod report;

use std::io::Cursor;

use calamine::{Data, Reader};

/// A file read: the header row and the rows under it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// The first row's cells, trimmed; trailing blank ones dropped.
    pub headers: Vec<String>,
    /// The rows with at least one non-blank cell, in file order.
    pub rows: Vec<Row>,
}

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where the row starts in the file, counting from 1 (the header row is line 1 when it is
    /// the first), as a person sees it in Excel or an editor.
    pub line: usize,
    /// The cells, one per header (missing ones blank), untrimmed.
    pub cells: Vec<String>,
}

impl Row {
    /// The cell under header `i`, blank when the row is short.
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map(String::as_str).unwrap_or("")
    }
}

/// How much a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_rows: usize,
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: MAX_BYTES, max_rows: MAX_ROWS, max_columns: MAX_COLUMNS }
    }
}

/// The largest file [`read`] takes: 50 MB.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// The most rows under the header: 200,000.
pub const MAX_ROWS: usize = 200_000;
/// The most columns: 1,000.
pub const MAX_COLUMNS: usize = 1_000;

/// Why a file could not be read or written. Each has a stable [`code`](SheetError::code) and
/// [`args`](SheetError::args) for the caller's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty or has no header row")]
    Empty,
    #[error("the file is larger than {max_mb} MB")]
    TooLarge { max_mb: usize },
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    #[error("the file has more than {max} columns")]
    TooManyColumns { max: usize },
    #[error("the text is neither UTF-8 nor GBK/GB18030")]
    Encoding,
    #[error("line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("not a readable workbook: {reason}")]
    Workbook { reason: String },
    #[error("line {line}, column {column}: a value beyond the last header")]
    CellBeyondHeaders { line: usize, column: usize },
    #[error("cannot write the file: {reason}")]
    Write { reason: String },
}

impl SheetError {
    /// The problem code: `sheet_empty`, `sheet_too_large`, `sheet_too_many_rows`,
    /// `sheet_too_many_columns`, `sheet_encoding`, `sheet_csv`, `sheet_workbook`,
    /// `sheet_cell_beyond_headers`, `sheet_write`.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Empty => "sheet_empty",
            SheetError::TooLarge { .. } => "sheet_too_large",
            SheetError::TooManyRows { .. } => "sheet_too_many_rows",
            SheetError::TooManyColumns { .. } => "sheet_too_many_columns",
            SheetError::Encoding => "sheet_encoding",
            SheetError::Csv { .. } => "sheet_csv",
            SheetError::Workbook { .. } => "sheet_workbook",
            SheetError::CellBeyondHeaders { .. } => "sheet_cell_beyond_headers",
            SheetError::Write { .. } => "sheet_write",
        }
    }

    /// The arguments of the problem, by name.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            SheetError::Empty | SheetError::Encoding => vec![],
            SheetError::TooLarge { max_mb } => vec![("max_mb", max_mb.to_string())],
            SheetError::TooManyRows { max } | SheetError::TooManyColumns { max } => vec![("max", max.to_string())],
            SheetError::Csv { line, reason } => vec![("line", line.to_string()), ("reason", reason.clone())],
            SheetError::Workbook { reason } | SheetError::Write { reason } => vec![("reason", reason.clone())],
            SheetError::CellBeyondHeaders { line, column } => {
                vec![("line", line.to_string()), ("column", column.to_string())]
            }
        }
    }
}

/// Reads a CSV file or a workbook under the default [`Limits`].
pub fn read(bytes: &[u8], file_name: &str) -> Result<Sheet, SheetError> {
    read_with(bytes, file_name, Limits::default())
}

/// Reads a CSV file or a workbook under `limits`.
pub fn read_with(bytes: &[u8], file_name: &str, limits: Limits) -> Result<Sheet, SheetError> {
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::TooLarge { max_mb: limits.max_bytes.div_ceil(1024 * 1024) });
    }
    let lines = if bytes.starts_with(b"PK\x03\x04") && !file_name.to_ascii_lowercase().ends_with(".ods") {
        xlsx_rows(bytes, limits)?
    } else if is_workbook(bytes, file_name) {
        workbook_rows(bytes)?
    } else {
        csv_rows(&decode(bytes)?)?
    };
    assemble(lines, limits)
}

/// Whether the bytes are a workbook: a zip (`.xlsx`, `.xlsb`, `.ods`) or an OLE file (`.xls`)
/// by its first bytes, or a workbook by the file's name.
fn is_workbook(bytes: &[u8], file_name: &str) -> bool {
    let name = file_name.to_ascii_lowercase();
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        || [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"].iter().any(|ext| name.ends_with(ext))
}

/// The text of a CSV file: UTF-8 (a byte-order mark dropped), UTF-16 with a byte-order mark,
/// else GB18030 (a superset of GBK).
fn decode(bytes: &[u8]) -> Result<String, SheetError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(str::to_string).map_err(|_| SheetError::Encoding);
    }
    for (bom, encoding) in [(b"\xFF\xFE", encoding_rs::UTF_16LE), (b"\xFE\xFF", encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|t| t.into_owned())
                .ok_or(SheetError::Encoding);
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
        .ok_or(SheetError::Encoding)
}

/// A comma, unless the first line has tabs and no commas (Excel's "Unicode text").
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    if first.contains('\t') && !first.contains(',') { b'\t' } else { b',' }
}

fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut lines = LineCounter { bytes: text.as_bytes(), counted: 0, line: 1 };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.at(e.position().map(|p| p.byte() as usize).unwrap_or(usize::MAX));
                return Err(SheetError::Csv { line, reason: e.to_string() });
            }
        };
        let line = lines.at(record.position().map(|p| p.byte() as usize).unwrap_or(usize::MAX));
        out.push((line, record.iter().map(undefused).collect()));
    }
    Ok(out)
}

/// The CSV reader's positions count from where the previous record ended, so the line a
/// record starts on is counted here: the line breaks before its first byte, past blank lines
/// and the previous record's terminator. Offsets only grow, so the text is walked once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let mut start = offset.clamp(self.counted, self.bytes.len());
        while self.bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        self.line += self.bytes[self.counted..start].iter().filter(|b| **b == b'\n').count();
        self.counted = start;
        self.line
    }
}

/// The first sheet of an `.xlsx` workbook, read cell by cell and given up on as soon as it
/// passes `limits`, so a small file that unpacks to a huge sheet is refused before it is held
/// in memory.
fn xlsx_rows(bytes: &[u8], limits: Limits) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let bad = |e: calamine::XlsxError| SheetError::Workbook { reason: e.to_string() };
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let Some(first) = book.sheet_names().first().cloned() else { return Err(SheetError::Empty) };
    let mut cells = book.worksheet_cells_reader(&first).map_err(bad)?;
    let mut out: Vec<(usize, Vec<String>)> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.trim().is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let (line, col) = (row as usize + 1, col as usize);
        if col >= limits.max_columns {
            return Err(SheetError::TooManyColumns { max: limits.max_columns });
        }
        if out.last().is_none_or(|(l, _)| *l != line) {
            // The header and `max_rows` rows under it.
            if out.len() > limits.max_rows {
                return Err(SheetError::TooManyRows { max: limits.max_rows });
            }
            out.push((line, Vec::new()));
        }
        if let Some((_, row_cells)) = out.last_mut() {
            if row_cells.len() <= col {
                row_cells.resize(col + 1, String::new());
            }
            row_cells[col] = text;
        }
    }
    Ok(out)
}

fn workbook_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let bad = |e: calamine::Error| SheetError::Workbook { reason: e.to_string() };
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(bad)?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(bad)?,
        None => return Err(SheetError::Empty),
    };
    let first = range.start().map(|(row, _)| row as usize).unwrap_or(0);
    let first_col = range.start().map(|(_, col)| col as usize).unwrap_or(0);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut texts = vec![String::new(); first_col];
            texts.extend(cells.iter().map(cell_text));
            (first + i + 1, texts)
        })
        .collect())
}

/// A workbook cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`, date-times as
/// `YYYY-MM-DD HH:MM:SS`, yes/no as `true`/`false`, an error as Excel shows it (`#N/A`).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(d) => number(d.as_f64()),
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).replacen('T', " ", 1),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { f.to_string() }
}

/// Headers from the first non-blank row, then the non-blank rows, checked against `limits`.
fn assemble(lines: Vec<(usize, Vec<String>)>, limits: Limits) -> Result<Sheet, SheetError> {
    let blank = |cells: &[String]| cells.iter().all(|c| c.trim().is_empty());
    let mut lines = lines.into_iter().filter(|(_, cells)| !blank(cells));
    let Some((_, header_cells)) = lines.next() else { return Err(SheetError::Empty) };
    let mut headers: Vec<String> = header_cells.iter().map(|h| h.trim().to_string()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    if headers.len() > limits.max_columns {
        return Err(SheetError::TooManyColumns { max: limits.max_columns });
    }
    let mut rows = Vec::new();
    for (line, mut cells) in lines {
        if rows.len() == limits.max_rows {
            return Err(SheetError::TooManyRows { max: limits.max_rows });
        }
        if let Some(extra) = cells.iter().skip(headers.len()).position(|c| !c.trim().is_empty()) {
            return Err(SheetError::CellBeyondHeaders { line, column: headers.len() + extra + 1 });
        }
        cells.resize(headers.len(), String::new());
        rows.push(Row { line, cells });
    }
    Ok(Sheet { headers, rows })
}

/// A CSV file of `headers` and `rows`, in UTF-8 with a byte-order mark (so Excel reads the
/// Chinese right), quoting cells only where needed. A cell Excel would take for a formula
/// (`=…`, `+…`, `@…`, `-` not before a number) is written with a leading `'`, as Excel shows a
/// text cell, so a value typed by someone else never runs as a formula on the reader's machine;
/// [`read`] takes the `'` off again, so the file reads back as it was written.
pub fn write_csv<R, C>(headers: &[&str], rows: R) -> Result<Vec<u8>, SheetError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let bad = |e: csv::Error| SheetError::Write { reason: e.to_string() };
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(headers.iter().map(|h| defused(h))).map_err(bad)?;
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|c| defused(c.as_ref())).collect();
        writer.write_record(&cells).map_err(bad)?;
    }
    writer.into_inner().map_err(|e| SheetError::Write { reason: e.to_string() })
}

/// Whether Excel would read a CSV cell as a formula (or a command, through DDE).
fn formula_like(cell: &str) -> bool {
    let mut chars = cell.chars();
    match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => cell[1..].parse::<f64>().is_err(),
        _ => false,
    }
}

fn defused(cell: &str) -> String {
    if formula_like(cell) || (cell.starts_with('\'') && formula_like(&cell[1..])) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The cell as written before [`defused`].
fn undefused(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) || (rest.starts_with('\'') && formula_like(&rest[1..])) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// The kind of file an export writes, from a `format` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `csv` (the default when absent) or `xlsx`; anything else is refused on `format`.
    pub fn parse(text: Option<&str>) -> Result<Format, yunwei_kernel::DomainError> {
        match text.unwrap_or("csv") {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(yunwei_kernel::DomainError::invalid("format", "not_one_of")
                .with("value", other)
                .with("expected", "csv, xlsx")),
        }
    }

    /// The file's name: `stem` with this format's extension.
    pub fn file_name(self, stem: &str) -> String {
        match self {
            Format::Csv => format!("{stem}.csv"),
            Format::Xlsx => format!("{stem}.xlsx"),
        }
    }

    /// Writes the rows in this format (a workbook's one sheet named `sheet_name`).
    pub fn write<R, C>(self, sheet_name: &str, headers: &[&str], rows: R) -> Result<Vec<u8>, SheetError>
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: AsRef<str>,
    {
        match self {
            Format::Csv => write_csv(headers, rows),
            Format::Xlsx => write_xlsx(sheet_name, headers, rows),
        }
    }
}

/// A workbook of one sheet named `sheet_name`: a bold, frozen header row and the rows as text.
pub fn write_xlsx<R, C>(sheet_name: &str, headers: &[&str], rows: R) -> Result<Vec<u8>, SheetError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let bad = |e: rust_xlsxwriter::XlsxError| SheetError::Write { reason: e.to_string() };
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(bad)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column(c)?, *h, &bold).map_err(bad)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| SheetError::TooManyRows { max: 1_048_575 })?;
        for (c, value) in row.into_iter().enumerate() {
            let value = value.as_ref();
            if !value.is_empty() {
                sheet.write_string(r, column(c)?, value).map_err(bad)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(bad)?;
    sheet.autofit();
    book.save_to_buffer().map_err(bad)
}

/// `text` in GBK, for systems that read nothing else (and for tests of files as Excel on
/// Chinese Windows saves them); text GBK cannot hold is refused.
pub fn encode_gbk(text: &str) -> Result<Vec<u8>, SheetError> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    if unmappable { Err(SheetError::Encoding) } else { Ok(bytes.into_owned()) }
}

fn column(c: usize) -> Result<u16, SheetError> {
    u16::try_from(c).map_err(|_| SheetError::TooManyColumns { max: usize::from(u16::MAX) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(sheet: &Sheet) -> Vec<(usize, Vec<&str>)> {
        sheet.rows.iter().map(|r| (r.line, r.cells.iter().map(String::as_str).collect())).collect()
    }

    #[test]
    fn gbk_csv_as_excel_on_chinese_windows_saves_it_is_read() {
        let text = "类别,名称,序列号\r\n服务器,财务数据库服务器,SN-001\r\n服务器,邮件服务器,SN-002\r\n";
        let bytes = encode_gbk(text).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err(), "the test file is really not UTF-8");
        let sheet = read(&bytes, "cis.csv").unwrap();
        assert_eq!(sheet.headers, ["类别", "名称", "序列号"]);
        assert_eq!(
            cells(&sheet),
            [(2, vec!["服务器", "财务数据库服务器", "SN-001"]), (3, vec!["服务器", "邮件服务器", "SN-002"])]
        );
        // GB18030-only characters (here a rare CJK extension one) come through too.
        let (bytes, _, _) = encoding_rs::GB18030.encode("名称\n䶵服务器\n");
        assert_eq!(read(&bytes, "x.csv").unwrap().rows[0].cells, ["䶵服务器"]);
    }

    #[test]
    fn utf8_with_or_without_a_bom_and_utf16_are_read() {
        let plain = "name,ip\n数据库,10.0.0.1\n";
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat();
        for bytes in [plain.as_bytes().to_vec(), with_bom] {
            let sheet = read(&bytes, "a.csv").unwrap();
            assert_eq!(sheet.headers, ["name", "ip"], "no BOM left in the first header");
            assert_eq!(cells(&sheet), [(2, vec!["数据库", "10.0.0.1"])]);
        }
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("名称\tIP\n数据库\t10.0.0.1\n".encode_utf16().flat_map(u16::to_le_bytes));
        let sheet = read(&utf16, "a.txt").unwrap();
        assert_eq!(
            (sheet.headers.clone(), cells(&sheet)),
            (vec!["名称".into(), "IP".into()], vec![(2, vec!["数据库", "10.0.0.1"])])
        );
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks_and_blank_lines_are_skipped() {
        let text = "name,note,extra\n\n\"a, b\",\"line one\nline two\",\"say \"\"hi\"\"\"\n,,\nlast,x\n";
        let sheet = read(text.as_bytes(), "q.csv").unwrap();
        assert_eq!(
            cells(&sheet),
            [(3, vec!["a, b", "line one\nline two", "say \"hi\""]), (6, vec!["last", "x", ""])],
            "the row after a two-line cell is on line 6; blank rows are skipped; short rows padded"
        );
    }

    #[test]
    fn a_workbook_written_is_read_back_with_numbers_and_dates_as_text() {
        let rows = vec![vec!["服务器", "erp-01", "16", "2027-06-30"], vec!["交换机", "核心, \"主\"", "", "x"]];
        let bytes = write_xlsx("配置项", &["类别", "名称", "CPU", "保修"], rows.clone()).unwrap();
        let sheet = read(&bytes, "export.bin").unwrap();
        assert_eq!(sheet.headers, ["类别", "名称", "CPU", "保修"]);
        assert_eq!(cells(&sheet), [(2, rows[0].clone()), (3, rows[1].clone())]);

        // Typed cells as Excel keeps them: numbers, dates, yes/no.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_string(2, 1, "cores").unwrap();
        sheet.write_string(2, 2, "ratio").unwrap();
        sheet.write_string(2, 3, "bought").unwrap();
        sheet.write_string(2, 4, "ok").unwrap();
        sheet.write_number(3, 1, 16.0).unwrap();
        sheet.write_number(3, 2, 0.25).unwrap();
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 12, 5).unwrap();
        sheet.write_datetime_with_format(3, 3, &day, &date).unwrap();
        sheet.write_boolean(3, 4, true).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let sheet = read(&bytes, "typed.xlsx").unwrap();
        assert_eq!(sheet.headers, ["", "cores", "ratio", "bought", "ok"]);
        assert_eq!(cells(&sheet), [(4, vec!["", "16", "0.25", "2026-12-05", "true"])], "lines as Excel numbers them");
    }

    #[test]
    fn a_csv_written_opens_in_excel_and_reads_back() {
        let rows = vec![vec!["核心交换机", "a,b", "line\nbreak"]];
        let bytes = write_csv(&["名称", "x", "y"], rows.clone()).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let sheet = read(&bytes, "e.csv").unwrap();
        assert_eq!(sheet.rows[0].cells, rows[0]);
    }

    #[test]
    fn a_cell_excel_would_run_as_a_formula_is_written_as_text_and_reads_back_as_it_was() {
        let nasty = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "@SUM(A1)", "-cmd|' /C calc'!A0", "'=already"];
        let plain = ["-5", "10.0.0.1", "a=b", "'quoted", ""];
        let rows = vec![nasty.to_vec(), plain.to_vec()];
        let bytes = write_csv(&["a", "b", "c", "d", "e"], rows.clone()).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"'=HYPERLINK(") && text.contains(",'+1+2,'@SUM(A1),'-cmd|"), "{text}");
        assert!(text.contains(",''=already\r\n") || text.contains(",''=already\n"), "{text}");
        assert!(text.contains("\n-5,10.0.0.1,a=b,'quoted,"), "harmless cells as they are: {text}");
        let sheet = read(&bytes, "x.csv").unwrap();
        assert_eq!(cells(&sheet), [(2, nasty.to_vec()), (3, plain.to_vec())]);
    }

    #[test]
    fn garbage_truncated_and_oversized_files_are_errors_not_panics() {
        let book = write_xlsx("s", &["a"], vec![vec!["1"]]).unwrap();
        let truncated = &book[..book.len() / 2];
        assert!(matches!(read(truncated, "t.xlsx"), Err(SheetError::Workbook { .. })));
        assert!(matches!(read(b"PK\x03\x04garbage", "t.csv"), Err(SheetError::Workbook { .. })));
        assert!(matches!(read(b"not a workbook at all", "t.xlsx"), Err(SheetError::Workbook { .. })));
        assert_eq!(read(&[0x80, 0xFF, 0xFF, 0x30], "bad.csv"), Err(SheetError::Encoding));
        assert_eq!(read(b"", "e.csv"), Err(SheetError::Empty));
        assert_eq!(read(b"\n\n ,  \n", "e.csv"), Err(SheetError::Empty));
        let small = Limits { max_bytes: 10, max_rows: 2, max_columns: 2 };
        assert_eq!(read_with(b"a,b\n1,2\n3,4\n", "x.csv", small), Err(SheetError::TooLarge { max_mb: 1 }));
        let rows = Limits { max_bytes: 100, ..small };
        assert_eq!(read_with(b"a,b\n1,2\n3,4\n5,6\n", "x.csv", rows), Err(SheetError::TooManyRows { max: 2 }));
        assert_eq!(read_with(b"a,b,c\n", "x.csv", rows), Err(SheetError::TooManyColumns { max: 2 }));
        // A workbook is given up on as soon as it passes the limits, while it is being read.
        let many: Vec<Vec<String>> = (0..50).map(|i| vec![i.to_string(), "x".into()]).collect();
        let book50 = write_xlsx("s", &["n", "x"], &many).unwrap();
        let few = Limits { max_bytes: MAX_BYTES, max_rows: 10, max_columns: 2 };
        assert_eq!(read_with(&book50, "b.xlsx", few), Err(SheetError::TooManyRows { max: 10 }));
        let narrow = Limits { max_columns: 1, ..few };
        assert_eq!(read_with(&book50, "b.xlsx", narrow), Err(SheetError::TooManyColumns { max: 1 }));
        assert_eq!(read_with(&book50, "b.xlsx", Limits::default()).unwrap().rows.len(), 50);
        assert_eq!(read(b"a,b\n1,2,3\n", "x.csv"), Err(SheetError::CellBeyondHeaders { line: 2, column: 3 }));
        // Every byte prefix of a workbook and of a CSV reads or fails, never panics.
        for end in (0..book.len()).step_by(97) {
            let _ = read(&book[..end], "p.xlsx");
        }
        let text = "名称,说明\n\"a\n".as_bytes();
        for end in 0..text.len() {
            let _ = read(&text[..end], "p.csv");
        }
    }

    #[test]
    fn every_error_has_a_code_and_its_arguments() {
        let e = SheetError::CellBeyondHeaders { line: 4, column: 7 };
        assert_eq!(
            (e.code(), e.args()),
            ("sheet_cell_beyond_headers", vec![("line", "4".into()), ("column", "7".into())])
        );
        assert_eq!(SheetError::TooLarge { max_mb: 50 }.to_string(), "the file is larger than 50 MB");
    }
}
