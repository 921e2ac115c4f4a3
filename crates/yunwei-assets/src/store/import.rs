//! Importing a tenant's assets from a spreadsheet and exporting them to one, and recording a
//! stock-take's scans from a file.
//!
//! An import reconciles, it does not just insert: each row is matched to an asset of the
//! tenant by its tag, then by its serial number, and becomes an insert, an update of the
//! values that differ, or `unchanged`. A row with neither key, a key repeated in the file, two
//! rows for one asset, or a tag found whose serial number contradicts the asset's, are errors.
//! A status that differs from the asset's is a lifecycle move, refused unless the lifecycle
//! allows it; a new asset may arrive in any state (one a new asset cannot start in is reached
//! from `in_stock` by the lifecycle's own moves, so its history shows how).
//!
//! Every row goes through [`assets::create`], [`assets::update`] and [`assets::transition`]
//! in the caller's one transaction, so history, audit and every check are the API's. [`run`]
//! reports every row's verdict; the caller commits only when [`Report::applied`], so a dry run
//! or a file with one bad row changes nothing. [`export`] writes the columns [`run`] reads, so
//! a file exported and imported again is all `unchanged`.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use serde::Serialize;
use yunwei_db::{Result, StoreError, Tx};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_sheet::Sheet;
use yunwei_sheet::columns::{
    Columns, Fixed, SeenKeys, Verdict, location_key, location_label, map_columns, names_match,
};
use yunwei_sheet::report::{Report, RowError, error_row, verdict_row};

use super::assets::{self, Asset, AssetFilter, AssetInput};
use super::stocktakes::{self, locked};
use super::tenant_scope;
use crate::rules::import::{
    self as rules, ASSET_COLUMNS, CI, CODE, CONTRACT_END, CONTRACT_NUMBER, COST, CURRENCY, LOCATION, MODEL, NAME,
    PURCHASE_DATE, SCAN_COLUMNS, SERIAL, STATUS, TAG, TENANT, USER, VENDOR, WARRANTY_END,
};
use crate::rules::lifecycle::{self, AssetStatus};
use crate::rules::permissions::MANAGE_ASSETS;
use crate::rules::stocktake::{Counts, StockTakeStatus};
use crate::rules::{money, show_money};

/// The report's `kind` for assets.
pub const KIND: &str = "assets";

/// A store error that belongs to a row (a value refused, a link not found) as a domain error;
/// anything else (the database failing) ends the import.
fn row_error(e: StoreError) -> Result<DomainError> {
    match e {
        StoreError::Domain(d) => Ok(d),
        StoreError::NotFound(what) => Ok(DomainError::invalid(what, "not_found_in_tenant")),
        StoreError::Duplicate { field, code } => Ok(DomainError::invalid(field, code)),
        other => Err(other),
    }
}

/// Checks the caller may import into `tenant_id`: [`MANAGE_ASSETS`], and the tenant exists
/// and is in their scope (otherwise `tenant_id: no_such_tenant`, as the CMDB's import says).
async fn check_tenant(tx: &mut Tx, actor: &Actor, tenant_id: i64) -> Result<()> {
    actor.require(MANAGE_ASSETS)?;
    let exists = scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? > 0;
    if !exists || !tenant_scope(actor).contains(tenant_id) {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    Ok(())
}

/// A tenant's locations by their label (`building / floor / room`, compared loosely) and id.
struct Places {
    by_label: HashMap<String, Vec<i64>>,
    ids: HashSet<i64>,
}

impl Places {
    async fn of(tx: &mut Tx, tenant_id: i64) -> Result<Places> {
        let rows = fetch_all!(
            tx,
            (i64, String, String, String),
            "SELECT id, building, floor, room FROM locations WHERE tenant_id = $1 ORDER BY id",
            tenant_id
        )?;
        let mut by_label: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, b, f, r) in &rows {
            by_label.entry(location_key(&location_label(b, f, r))).or_default().push(*id);
        }
        Ok(Places { by_label, ids: rows.iter().map(|r| r.0).collect() })
    }

    /// The location a cell names: its label or its number; blank is `None`.
    fn find(&self, text: &str) -> std::result::Result<Option<i64>, DomainError> {
        if text.is_empty() {
            return Ok(None);
        }
        let ids: Vec<i64> = match text.parse::<i64>() {
            Ok(id) if self.ids.contains(&id) => vec![id],
            _ => self.by_label.get(&location_key(text)).cloned().unwrap_or_default(),
        };
        match ids.as_slice() {
            [one] => Ok(Some(*one)),
            [] => Err(DomainError::invalid("location", "location_not_found").with("value", text)),
            _ => Err(DomainError::invalid("location", "location_ambiguous").with("value", text)),
        }
    }
}

/// Imports `sheet` as assets of `tenant_id` in the caller's transaction; `on_row` is told each
/// row's index as it is done (for a progress bar). Commit only if the report says `applied`.
pub async fn run(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    sheet: &Sheet,
    dry_run: bool,
    mut on_row: impl FnMut(usize),
) -> Result<Report> {
    check_tenant(tx, actor, tenant_id).await?;
    let mut report = Report::new(KIND, tenant_id, dry_run, sheet.rows.len());
    let headers = &sheet.headers;
    let mut columns = map_columns(headers, &ASSET_COLUMNS, &[], |_| false);
    if let Ok(c) = &columns
        && c.of(TAG).is_none()
        && c.of(SERIAL).is_none()
    {
        let header = format!("{} / {} / {}", TAG.zh, TAG.en, SERIAL.en);
        let error = DomainError::invalid("tag", "column_missing").with("header", header);
        columns = Err(vec![yunwei_sheet::columns::HeaderProblem { column: None, error }]);
    }
    let columns = match columns {
        Ok(c) => c,
        Err(problems) => {
            report.header_problems(headers, problems);
            report.finish();
            return Ok(report);
        }
    };
    let places = Places::of(tx, tenant_id).await?;
    let (tenant_code, tenant_name) =
        fetch_one!(tx, (String, String), "SELECT code, name FROM tenants WHERE id = $1", tenant_id)?;
    let tenant = (tenant_code.as_str(), tenant_name.as_str());
    let mut seen = SeenKeys::default();
    for (index, row) in sheet.rows.iter().enumerate() {
        let cell = |f: Fixed| columns.of(f).map(|i| row.cell(i).trim().to_string()).unwrap_or_default();
        let label = [cell(TAG), cell(SERIAL), cell(NAME)].into_iter().find(|s| !s.is_empty()).unwrap_or_default();
        let outcome = asset_row(tx, actor, tenant_id, tenant, &columns, row, &places, &mut seen, dry_run).await?;
        report.push(match outcome {
            Ok(r) => r,
            Err(e) => {
                let field = match &e {
                    DomainError::Invalid(f) => f.field.clone(),
                    _ => String::new(),
                };
                let col = rules::column_of_field(&field).and_then(|f| columns.of(f));
                error_row(row.line, label, col, headers, e)
            }
        });
        on_row(index);
    }
    report.finish();
    Ok(report)
}

/// The user a cell names by login, among the tenant's people.
async fn user_named(tx: &mut Tx, tenant_id: i64, login: &str) -> Result<std::result::Result<i64, DomainError>> {
    let found = fetch_opt!(tx, (i64,), "SELECT id FROM users WHERE tenant_id = $1 AND login = $2", tenant_id, login)?;
    Ok(found.map(|(id,)| id).ok_or_else(|| DomainError::invalid("user", "asset_no_such_login").with("value", login)))
}

/// The CI a cell names, of the tenant: a unique attribute's value (serial number, hostname,
/// …), else its name, else its number.
async fn ci_named(tx: &mut Tx, tenant_id: i64, text: &str) -> Result<std::result::Result<i64, DomainError>> {
    for (table, id, column) in [("ci_keys", "ci_id", "value"), ("cis", "id", "name")] {
        let sql = format!("SELECT DISTINCT {id} FROM {table} WHERE tenant_id = $1 AND {column} = $2 LIMIT 2");
        let ids: Vec<(i64,)> = fetch_all!(tx, (i64,), sql, tenant_id, text)?;
        match ids.as_slice() {
            [] => continue,
            [(one,)] => return Ok(Ok(*one)),
            _ => return Ok(Err(DomainError::invalid("ci", "ci_ambiguous").with("value", text))),
        }
    }
    if let Ok(id) = text.parse::<i64>()
        && scalar!(tx, i64, "SELECT COUNT(*) FROM cis WHERE id = $1 AND tenant_id = $2", id, tenant_id)? > 0
    {
        return Ok(Ok(id));
    }
    Ok(Err(DomainError::invalid("ci", "asset_ci_not_found").with("value", text)))
}

/// The asset of the tenant a row is about: by its tag, then its serial number.
async fn find_asset(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    tag: &str,
    serial: &str,
) -> Result<std::result::Result<Option<Asset>, DomainError>> {
    if !tag.is_empty()
        && let Some((id,)) =
            fetch_opt!(tx, (i64,), "SELECT id FROM assets WHERE tenant_id = $1 AND tag = $2", tenant_id, tag)?
    {
        let asset = assets::get(tx, actor, id).await?;
        if !serial.is_empty() && !asset.serial.is_empty() && asset.serial != serial {
            return Ok(Err(DomainError::invalid("serial", "asset_serial_conflict")
                .with("value", serial)
                .with("current", &asset.serial)
                .with("tag", tag)));
        }
        return Ok(Ok(Some(asset)));
    }
    if serial.is_empty() {
        return Ok(Ok(None));
    }
    let ids = fetch_all!(
        tx,
        (i64,),
        "SELECT id FROM assets WHERE tenant_id = $1 AND serial = $2 ORDER BY id LIMIT 2",
        tenant_id,
        serial
    )?;
    match ids.as_slice() {
        [] => Ok(Ok(None)),
        [(id,)] => {
            let asset = assets::get(tx, actor, *id).await?;
            if !tag.is_empty() {
                // Found by its serial number under another tag: tags do not change.
                return Ok(Err(DomainError::invalid("tag", "asset_tag_conflict")
                    .with("value", tag)
                    .with("current", &asset.tag)
                    .with("serial", serial)));
            }
            Ok(Ok(Some(asset)))
        }
        _ => Ok(Err(DomainError::invalid("serial", "asset_serial_ambiguous").with("value", serial))),
    }
}

/// One asset row: its verdict, or the problem (a store failure ends the import).
#[allow(clippy::too_many_arguments)]
async fn asset_row(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    (tenant_code, tenant_name): (&str, &str),
    columns: &Columns,
    row: &yunwei_sheet::Row,
    places: &Places,
    seen: &mut SeenKeys,
    dry_run: bool,
) -> Result<std::result::Result<yunwei_sheet::report::RowResult, DomainError>> {
    macro_rules! try_row {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            }
        };
    }
    let line = row.line;
    let cell = |f: Fixed| columns.of(f).map(|i| row.cell(i).trim().to_string()).unwrap_or_default();
    let given = |f: Fixed| Some(cell(f)).filter(|s| !s.is_empty());
    let tenant_text = cell(TENANT);
    if !tenant_text.is_empty() && !names_match(&tenant_text, tenant_code, tenant_name, tenant_name) {
        return Ok(Err(DomainError::invalid("tenant", "tenant_mismatch")
            .with("value", &tenant_text)
            .with("expected", tenant_code)));
    }
    let (tag, serial) = (cell(TAG), cell(SERIAL));
    if tag.is_empty() && serial.is_empty() {
        let field = if columns.of(TAG).is_some() { "tag" } else { "serial" };
        return Ok(Err(DomainError::invalid(field, "asset_key_missing")));
    }
    let keys: Vec<(String, String)> = [("tag", &tag), ("serial", &serial)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if let Some((first, field, value)) = seen.check(0, &keys, line) {
        return Ok(Err(DomainError::invalid(field, "key_repeated_in_file").with("value", value).with("line", first)));
    }
    let found = try_row!(find_asset(tx, actor, tenant_id, &tag, &serial).await?);
    if let Some(a) = &found
        && let Some(first) = seen.check_ci(a.id, line)
    {
        let field = if tag.is_empty() { "serial" } else { "tag" };
        return Ok(Err(DomainError::invalid(field, "asset_repeated_in_file").with("line", first)));
    }
    let status = try_row!(rules::status(&cell(STATUS)));
    let location = try_row!(places.find(&cell(LOCATION)));
    let purchase_date = try_row!(rules::date("purchase_date", &cell(PURCHASE_DATE)));
    let warranty_end = try_row!(rules::date("warranty_end", &cell(WARRANTY_END)));
    let contract_end = try_row!(rules::date("contract_end", &cell(CONTRACT_END)));
    let cost = try_row!(money("cost", &cell(COST)));
    let user = match given(USER) {
        Some(login) => Some(try_row!(user_named(tx, tenant_id, &login).await?)),
        None => None,
    };
    let ci = match given(CI) {
        Some(text) => Some(try_row!(ci_named(tx, tenant_id, &text).await?)),
        None => None,
    };
    let input = AssetInput {
        tenant_id: Some(tenant_id),
        tag: None,
        name: given(NAME),
        model: given(MODEL),
        serial: given(SERIAL),
        status: None,
        ci_id: ci.map(Some),
        user_id: user.map(Some),
        location_id: location.map(Some),
        purchase_date: purchase_date.map(Some),
        cost_cents: cost.map(Some),
        currency: given(CURRENCY),
        vendor: given(VENDOR),
        contract_number: given(CONTRACT_NUMBER),
        warranty_end: warranty_end.map(Some),
        contract_end: contract_end.map(Some),
    };
    let outcome = match found {
        Some(before) => {
            let to = status.filter(|s| *s != before.status);
            if let Some(to) = to
                && let Err(_) = lifecycle::transition(before.status, to)
            {
                return Ok(Err(DomainError::invalid("status", "asset_status_not_allowed")
                    .with("from_key", format!("asset_status.{}", before.status))
                    .with("to_key", format!("asset_status.{to}"))));
            }
            let mut after = match assets::update(tx, actor, before.id, before.version, input).await {
                Ok(a) => a,
                Err(e) => return Ok(Err(row_error(e)?)),
            };
            if let Some(to) = to {
                after = match assets::transition(tx, actor, before.id, after.version, to).await {
                    Ok(a) => a,
                    Err(e) => return Ok(Err(row_error(e)?)),
                };
            }
            if after.version == before.version {
                verdict_row(line, Verdict::Unchanged, Some(before.id), label(&before), vec![])
            } else {
                let changes = changes(&before, &after);
                verdict_row(line, Verdict::Update, Some(before.id), label(&after), changes)
            }
        }
        None => {
            let status = status.unwrap_or(AssetStatus::InStock);
            let start = if rules::path_from_stock(status).is_empty() { status } else { AssetStatus::InStock };
            let input = AssetInput { tag: given(TAG), status: Some(start), ..input };
            let mut asset = match assets::create(tx, actor, input).await {
                Ok(a) => a,
                Err(e) => return Ok(Err(row_error(e)?)),
            };
            for next in rules::path_from_stock(status) {
                asset = match assets::transition(tx, actor, asset.id, asset.version, *next).await {
                    Ok(a) => a,
                    Err(e) => return Ok(Err(row_error(e)?)),
                };
            }
            verdict_row(line, Verdict::Insert, (!dry_run).then_some(asset.id), label(&asset), vec![])
        }
    };
    Ok(Ok(outcome))
}

/// What a row is about, in the report: the asset's tag and name.
fn label(a: &Asset) -> String {
    format!("{} {}", a.tag, a.name)
}

/// The columns an update changed, by their codes.
fn changes(before: &Asset, after: &Asset) -> Vec<String> {
    let pairs: [(&str, bool); 14] = [
        ("serial", before.serial != after.serial),
        ("name", before.name != after.name),
        ("model", before.model != after.model),
        ("status", before.status != after.status),
        ("location", before.location_id != after.location_id),
        ("purchase_date", before.purchase_date != after.purchase_date),
        ("cost", before.cost_cents != after.cost_cents),
        ("currency", before.currency != after.currency),
        ("vendor", before.vendor != after.vendor),
        ("contract_number", before.contract_number != after.contract_number),
        ("warranty_end", before.warranty_end != after.warranty_end),
        ("contract_end", before.contract_end != after.contract_end),
        ("user", before.user_id != after.user_id),
        ("ci", before.ci_id != after.ci_id),
    ];
    pairs.iter().filter(|(_, changed)| *changed).map(|(f, _)| f.to_string()).collect()
}

/// The assets `actor` may see that match `filter` (all pages), at most `max` (`too_many`
/// beyond).
async fn matching(tx: &mut Tx, actor: &Actor, filter: &AssetFilter, max: usize) -> Result<Vec<Asset>> {
    let mut out: Vec<Asset> = Vec::new();
    let mut page = AssetFilter { limit: Some(assets::MAX_PAGE), after: None, ..filter.clone() };
    let paged = filter.warranty_within_days.is_none() && filter.contract_within_days.is_none();
    loop {
        let batch = assets::list(tx, actor, &page).await?;
        let done = !paged || (batch.len() as i64) < assets::MAX_PAGE;
        page.after = batch.last().map(|a| a.id);
        out.extend(batch);
        if out.len() > max {
            return Err(StoreError::invalid("limit", "too_many").with("max", max));
        }
        if done {
            return Ok(out);
        }
    }
}

/// The assets matching `filter` as a sheet: the header in `locale` and one row per asset, in
/// the columns [`run`] reads and written as it reads them, so the file imports again
/// unchanged (and serves as a template).
pub async fn export(
    tx: &mut Tx,
    actor: &Actor,
    filter: &AssetFilter,
    locale: &str,
    max: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let list = matching(tx, actor, filter, max).await?;
    let headers = ASSET_COLUMNS.iter().map(|f| f.header(locale).to_string()).collect();
    let mut tenants: HashMap<i64, String> = HashMap::new();
    let mut places: HashMap<i64, String> = HashMap::new();
    let mut logins: HashMap<i64, String> = HashMap::new();
    let mut cis: HashMap<i64, String> = HashMap::new();
    let mut rows = Vec::with_capacity(list.len());
    for a in &list {
        if let Entry::Vacant(e) = tenants.entry(a.tenant_id) {
            e.insert(scalar!(tx, String, "SELECT code FROM tenants WHERE id = $1", a.tenant_id)?);
        }
        if let Some(l) = a.location_id
            && !places.contains_key(&l)
        {
            let (b, f, r) = fetch_one!(
                tx,
                (String, String, String),
                "SELECT building, floor, room FROM locations WHERE id = $1",
                l
            )?;
            places.insert(l, location_label(&b, &f, &r));
        }
        if let Some(u) = a.user_id
            && !logins.contains_key(&u)
        {
            logins.insert(u, scalar!(tx, String, "SELECT login FROM users WHERE id = $1", u)?);
        }
        if let Some(c) = a.ci_id
            && !cis.contains_key(&c)
        {
            cis.insert(c, ci_cell(tx, c).await?);
        }
        let date = |d: &Option<String>| d.clone().unwrap_or_default();
        let of = |m: &HashMap<i64, String>, id: Option<i64>| id.and_then(|i| m.get(&i).cloned()).unwrap_or_default();
        rows.push(vec![
            tenants.get(&a.tenant_id).cloned().unwrap_or_default(),
            a.tag.clone(),
            a.serial.clone(),
            a.name.clone(),
            a.model.clone(),
            rules::status_name(a.status, locale).to_string(),
            of(&places, a.location_id),
            date(&a.purchase_date),
            a.cost_cents.map(show_money).unwrap_or_default(),
            a.currency.clone(),
            a.vendor.clone(),
            a.contract_number.clone(),
            date(&a.warranty_end),
            date(&a.contract_end),
            of(&logins, a.user_id),
            of(&cis, a.ci_id),
        ]);
    }
    Ok((headers, rows))
}

/// How an export names a CI so the import finds it again: a unique attribute's value when it
/// names that CI alone in its tenant, else its name when that does, else its number.
async fn ci_cell(tx: &mut Tx, ci: i64) -> Result<String> {
    let (tenant, name) = fetch_one!(tx, (i64, String), "SELECT tenant_id, name FROM cis WHERE id = $1", ci)?;
    let keys = fetch_all!(tx, (String,), "SELECT value FROM ci_keys WHERE ci_id = $1 ORDER BY attribute", ci)?;
    for (value,) in keys {
        let n = scalar!(
            tx,
            i64,
            "SELECT COUNT(DISTINCT ci_id) FROM ci_keys WHERE tenant_id = $1 AND value = $2",
            tenant,
            &value
        )?;
        if n == 1 {
            return Ok(value);
        }
    }
    let by_key = scalar!(tx, i64, "SELECT COUNT(*) FROM ci_keys WHERE tenant_id = $1 AND value = $2", tenant, &name)?;
    let by_name = scalar!(tx, i64, "SELECT COUNT(*) FROM cis WHERE tenant_id = $1 AND name = $2", tenant, &name)?;
    Ok(if by_key == 0 && by_name == 1 { name } else { ci.to_string() })
}

/// What a file of scans did, line by line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanReport {
    pub stock_take_id: i64,
    /// Whether the scans were recorded: only when no line is an error (then none is).
    pub applied: bool,
    /// Lines under the header.
    pub rows: usize,
    pub found: usize,
    pub moved: usize,
    pub unexpected: usize,
    /// Lines that scanned something scanned before (in this file or earlier): nothing changed.
    pub repeated: usize,
    pub errors: usize,
    /// The outcome in a sentence, in your language.
    pub summary: String,
    /// Every line's outcome, in file order; problems with the header row first (line 1).
    pub results: Vec<ScanLine>,
    /// The stock-take's counts with these scans.
    pub counts: Counts,
}

/// One line of a scan file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanLine {
    /// The line in the file (the header is line 1).
    pub line: usize,
    /// The tag or serial number scanned.
    pub code: String,
    /// `found`, `moved` or `unexpected`; none for an error.
    pub outcome: Option<String>,
    /// Scanned before in this stock-take: nothing changed.
    pub repeat: bool,
    /// `already_scanned` on a repeat.
    pub warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

impl ScanReport {
    /// The summary's catalogue key and arguments.
    pub fn summary_key(&self) -> (&'static str, Vec<(&'static str, String)>) {
        let key = if self.errors > 0 { "stocktake_import.not_applied" } else { "stocktake_import.applied" };
        let args = vec![
            ("rows", self.rows.to_string()),
            ("found", self.found.to_string()),
            ("moved", self.moved.to_string()),
            ("unexpected", self.unexpected.to_string()),
            ("repeated", self.repeated.to_string()),
            ("errors", self.errors.to_string()),
        ];
        (key, args)
    }

    /// Words the summary and every problem in the reader's language.
    pub fn word(
        &mut self,
        problem: impl Fn(&yunwei_kernel::Problem) -> String,
        summary: impl Fn(&str, &[(&str, &str)]) -> String,
    ) {
        let (key, args) = self.summary_key();
        let pairs: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.summary = summary(key, &pairs);
        for r in &mut self.results {
            if let Some(e) = &mut r.error {
                e.word(&problem);
            }
        }
    }
}

/// Records the scans of a file (columns `code`, the tag or serial number, and optionally
/// `location`) in stock-take `id`, each through [`stocktakes::scan`] in the caller's
/// transaction; commit only if the report says `applied`. An applied stock-take refuses as a
/// single scan does.
pub async fn scan_file(tx: &mut Tx, actor: &Actor, id: i64, sheet: &Sheet) -> Result<ScanReport> {
    let st = stocktakes::get(tx, actor, id).await?;
    actor.require(MANAGE_ASSETS)?;
    if st.status != StockTakeStatus::Open {
        return Err(locked("scan"));
    }
    let mut report = ScanReport {
        stock_take_id: id,
        applied: false,
        rows: sheet.rows.len(),
        found: 0,
        moved: 0,
        unexpected: 0,
        repeated: 0,
        errors: 0,
        summary: String::new(),
        results: Vec::new(),
        counts: Counts::default(),
    };
    let headers = &sheet.headers;
    let fail = |line: usize, code: &str, col: Option<usize>, e: DomainError| ScanLine {
        line,
        code: code.to_string(),
        outcome: None,
        repeat: false,
        warning: None,
        error: error_row(line, code.to_string(), col, headers, e).error,
    };
    let columns = match map_columns(headers, &SCAN_COLUMNS, &[CODE], |_| false) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                report.results.push(fail(1, "", p.column.map(|c| c - 1), p.error));
            }
            report.errors = report.results.len();
            return Ok(report);
        }
    };
    let places = Places::of(tx, st.tenant_id).await?;
    for row in &sheet.rows {
        let cell = |f: Fixed| columns.of(f).map(|i| row.cell(i).trim().to_string()).unwrap_or_default();
        let code = cell(CODE);
        let location = match places.find(&cell(LOCATION)) {
            Ok(l) => l,
            Err(e) => {
                report.results.push(fail(row.line, &code, columns.of(LOCATION), e));
                continue;
            }
        };
        match stocktakes::scan(tx, actor, id, &code, location).await {
            Ok(r) => {
                if r.repeat {
                    report.repeated += 1;
                } else {
                    match r.item.outcome.as_str() {
                        "moved" => report.moved += 1,
                        "unexpected" => report.unexpected += 1,
                        _ => report.found += 1,
                    }
                }
                report.counts = r.counts;
                report.results.push(ScanLine {
                    line: row.line,
                    code,
                    outcome: Some(r.item.outcome.as_str().to_string()),
                    repeat: r.repeat,
                    warning: r.warning,
                    error: None,
                });
            }
            Err(e) => {
                let e = row_error(e)?;
                let col = match &e {
                    DomainError::Invalid(f) => rules::column_of_field(&f.field).and_then(|f| columns.of(f)),
                    _ => None,
                };
                report.results.push(fail(row.line, &code, col, e));
            }
        }
    }
    report.errors = report.results.iter().filter(|r| r.error.is_some()).count();
    report.applied = report.errors == 0;
    Ok(report)
}
