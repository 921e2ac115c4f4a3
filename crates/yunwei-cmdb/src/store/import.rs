//! Importing CIs and relationships of one tenant from a spreadsheet, and exporting CIs to one.
//!
//! An import reconciles, it does not just insert: each row is matched to an existing CI by its
//! class's identifying attributes (`identify_by`, in order; by name for a class without them)
//! and becomes an insert, an update of the values that differ, or `unchanged`. Two rows of one
//! file for the same CI, a row without the key its class identifies CIs by, or a row found by
//! a weaker key (hostname) whose stronger one (serial number) contradicts the CI's, are errors.
//!
//! Every row goes through the ordinary store operations ([`cis::create`], [`cis::update`],
//! [`relations::add`]) in the caller's one transaction, so history, audit, search and keys stay
//! right and a row is checked exactly as the API checks it. [`run`] reports every row's verdict;
//! the caller commits only when [`Report::applied`] (not a dry run, and no row in error) and
//! otherwise drops the transaction, so a dry run or a file with one bad row changes nothing.

use std::collections::HashMap;

use yunwei_db::db::{Arg, Sql};
use yunwei_db::{Result, StoreError, Tx};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_sheet::Sheet;
// The report is every import's, shared through `yunwei_sheet`.
pub use yunwei_sheet::report::{Report, RowError, RowResult, sheet_problem};
use yunwei_sheet::report::{error_row, verdict_row};

use super::cis::{self, Ci, CiFilter, CiInput};
use super::classes::{self, Class};
use super::relations;
use super::tenant_scope;
use crate::rules::attributes;
use crate::rules::import::{
    self as rules, CI_COLUMNS, CLASS, Columns, Fixed, ImportKind, KIND, LOCATION, NAME, RELATION_COLUMNS, SOURCE,
    SOURCE_CLASS, STATUS, SeenKeys, TARGET, TARGET_CLASS, TENANT, Verdict,
};
use crate::rules::permissions::MANAGE_CIS;
use crate::rules::relations::RelationKind;

/// A store error that belongs to a row (a value refused, a CI not found) as a domain error;
/// anything else (the database failing) ends the import.
fn row_error(e: StoreError) -> Result<DomainError> {
    match e {
        StoreError::Domain(d) => Ok(d),
        StoreError::NotFound(what) => Ok(DomainError::invalid(what, "not_found_in_tenant")),
        other => Err(other),
    }
}

/// Checks the caller may import into `tenant_id`: [`MANAGE_CIS`], and the tenant exists and is
/// in their scope.
async fn check_tenant(tx: &mut Tx, actor: &Actor, tenant_id: i64) -> Result<()> {
    actor.require(MANAGE_CIS)?;
    let exists = scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? > 0;
    if !exists || !tenant_scope(actor).contains(tenant_id) {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    Ok(())
}

/// Imports `sheet` as `kind` into `tenant_id` in the caller's transaction; `on_row` is told
/// each row's index as it is done (for a progress bar). Commit only if the report says
/// `applied`.
pub async fn run(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    kind: ImportKind,
    sheet: &Sheet,
    dry_run: bool,
    mut on_row: impl FnMut(usize),
) -> Result<Report> {
    check_tenant(tx, actor, tenant_id).await?;
    let mut report = Report::new(kind.as_str(), tenant_id, dry_run, sheet.rows.len());
    let classes: Vec<Class> = classes::list(tx).await?.into_iter().filter(|c| c.active).collect();
    match kind {
        ImportKind::Cis => import_cis(tx, actor, tenant_id, sheet, &classes, dry_run, &mut report, &mut on_row).await?,
        ImportKind::Relationships => {
            import_relations(tx, actor, tenant_id, sheet, &classes, &mut report, &mut on_row).await?
        }
    }
    report.finish();
    Ok(report)
}

fn header_problems(report: &mut Report, headers: &[String], problems: Vec<rules::HeaderProblem>) {
    report.header_problems(headers, problems);
}

/// The class a cell names (code or either name), among the active ones.
fn class_named<'a>(classes: &'a [Class], text: &str) -> Option<&'a Class> {
    classes.iter().find(|c| rules::names_match(text, &c.code, &c.name_zh, &c.name_en))
}

/// Where a row's problem is: the column of the field it names.
fn column_of(field: &str, columns: &Columns, attr_columns: &[(usize, &str)], class: Option<&Class>) -> Option<usize> {
    let fixed = |f: Fixed| columns.of(f);
    match field {
        "class" => fixed(CLASS),
        "tenant" => fixed(TENANT),
        "name" => fixed(NAME),
        "status" => fixed(STATUS),
        "location" | "location_id" => fixed(LOCATION),
        "source" | "source_id" => fixed(SOURCE),
        "source_class" => fixed(SOURCE_CLASS),
        "kind" => fixed(KIND),
        "target" | "target_id" => fixed(TARGET),
        "target_class" => fixed(TARGET_CLASS),
        _ => {
            let code = field.strip_prefix("attributes.")?;
            let spec = class?.spec(code)?;
            attr_columns.iter().find(|(_, h)| rules::names_attribute(h, spec)).map(|(i, _)| *i)
        }
    }
}

/// Rows reconciled together: looked up in a few statements, and their new CIs written by
/// [`cis::create_many`] in one per table.
const IMPORT_CHUNK: usize = 1000;

#[allow(clippy::too_many_arguments)]
async fn import_cis(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    sheet: &Sheet,
    classes: &[Class],
    dry_run: bool,
    report: &mut Report,
    on_row: &mut impl FnMut(usize),
) -> Result<()> {
    let headers = &sheet.headers;
    let is_attribute = |h: &str| classes.iter().any(|c| c.attributes.iter().any(|a| rules::names_attribute(h, a)));
    let columns = match rules::map_columns(headers, &CI_COLUMNS, &[CLASS, NAME], is_attribute) {
        Ok(c) => c,
        Err(problems) => {
            header_problems(report, headers, problems);
            return Ok(());
        }
    };
    let attr_columns: Vec<(usize, &str)> = columns.others.iter().map(|i| (*i, headers[*i].as_str())).collect();
    let locations = yunwei_org::locations::list(tx, actor, Some(tenant_id)).await?;
    let mut by_label: HashMap<String, Vec<i64>> = HashMap::new();
    for l in &locations {
        by_label
            .entry(rules::location_key(&rules::location_label(&l.building, &l.floor, &l.room)))
            .or_default()
            .push(l.id);
    }
    let (tenant_code, tenant_name) =
        fetch_one!(tx, (String, String), "SELECT code, name FROM tenants WHERE id = $1", tenant_id)?;
    let sheet_rows = Rows { columns: &columns, attr_columns: &attr_columns, headers };
    let mut seen = SeenKeys::default();
    let mut done = 0;
    for chunk in sheet.rows.chunks(IMPORT_CHUNK) {
        // Each row on its own first, then what the file's earlier rows and the store say.
        let mut plans: Vec<Plan> =
            chunk.iter().map(|row| sheet_rows.parse(row, classes, &by_label, (&tenant_code, &tenant_name))).collect();
        identify(tx, tenant_id, &mut plans, &mut seen).await?;
        // Key conflicts need the CIs found.
        let ids: Vec<i64> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::Ci(c) => c.found,
                Plan::Refused(..) => None,
            })
            .collect();
        let current: HashMap<i64, Ci> =
            cis::visible_among(tx, actor, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        let mut results: Vec<Option<RowResult>> = vec![None; chunk.len()];
        let mut new = Vec::new();
        for (i, (plan, row)) in plans.into_iter().zip(chunk).enumerate() {
            let line = row.line;
            match plan {
                Plan::Refused(class, e) => results[i] = Some(sheet_rows.refuse(row, class, e)),
                Plan::Ci(p) => {
                    let existing = p.found.and_then(|id| current.get(&id));
                    if let Some(e) = existing.and_then(|ci| key_conflict(&p, ci)) {
                        results[i] = Some(sheet_rows.refuse(row, Some(p.class), e));
                        continue;
                    }
                    match p.found {
                        // Nothing to change: no statement at all (a file imported again).
                        Some(id) if existing.is_some_and(|ci| !cis::changes_anything(p.class, ci, &p.input)) => {
                            let name = existing.map(|ci| ci.name.clone()).unwrap_or_default();
                            results[i] = Some(verdict_row(line, Verdict::Unchanged, Some(id), name, vec![]));
                        }
                        Some(id) => {
                            let outcome = update_row(tx, actor, id, line, p.input).await?;
                            results[i] = Some(outcome.unwrap_or_else(|e| sheet_rows.refuse(row, Some(p.class), e)));
                        }
                        None => new.push((i, p)),
                    }
                }
            }
        }
        let inputs = new.iter().map(|(_, p)| p.input.clone()).collect();
        let created = cis::create_many(tx, actor, tenant_id, inputs).await?;
        for ((i, p), outcome) in new.into_iter().zip(created) {
            let row = &chunk[i];
            results[i] = Some(match outcome {
                Ok(ci) => verdict_row(row.line, Verdict::Insert, (!dry_run).then_some(ci.id), ci.name, vec![]),
                Err(e) => sheet_rows.refuse(row, Some(p.class), e),
            });
        }
        for r in results.into_iter().flatten() {
            report.push(r);
            on_row(done);
            done += 1;
        }
    }
    Ok(())
}

/// The sheet's columns, for reading its rows and placing their problems.
struct Rows<'a> {
    columns: &'a Columns,
    attr_columns: &'a [(usize, &'a str)],
    headers: &'a [String],
}

/// A row read on its own: refused, or the CI it gives (and, once looked up, the one it is).
enum Plan<'c> {
    /// With the row's class, once known (its attribute columns place the problem).
    Refused(Option<&'c Class>, DomainError),
    Ci(CiPlan<'c>),
}

struct CiPlan<'c> {
    class: &'c Class,
    line: usize,
    name: String,
    /// Its identifying values, strongest first (empty for a class identified by name).
    keys: Vec<(String, String)>,
    input: CiInput,
    found: Option<i64>,
    /// Which of `keys` found it.
    found_by: usize,
}

impl<'a> Rows<'a> {
    fn cell(&self, row: &yunwei_sheet::Row, f: Fixed) -> String {
        self.columns.of(f).map(|i| row.cell(i).trim().to_string()).unwrap_or_default()
    }

    /// The row's verdict as an error, in the column of the field it names.
    fn refuse(&self, row: &yunwei_sheet::Row, class: Option<&Class>, e: DomainError) -> RowResult {
        let field = match &e {
            DomainError::Invalid(f) => f.field.clone(),
            _ => String::new(),
        };
        let col = match &e {
            DomainError::Invalid(f) if f.field == "header" => {
                f.problem.arg("column").and_then(|c| c.parse::<usize>().ok())
            }
            _ => column_of(&field, self.columns, self.attr_columns, class),
        };
        error_row(row.line, self.cell(row, NAME), col, self.headers, strip_column_arg(e))
    }

    /// Everything a row says without looking anything up.
    fn parse<'c>(
        &self,
        row: &yunwei_sheet::Row,
        classes: &'c [Class],
        locations: &HashMap<String, Vec<i64>>,
        (tenant_code, tenant_name): (&str, &str),
    ) -> Plan<'c> {
        let tenant_text = self.cell(row, TENANT);
        if !tenant_text.is_empty() && !rules::names_match(&tenant_text, tenant_code, tenant_name, tenant_name) {
            let e = DomainError::invalid("tenant", "tenant_mismatch").with("value", &tenant_text);
            return Plan::Refused(None, e.with("expected", tenant_code));
        }
        let class_text = self.cell(row, CLASS);
        let Some(class) = class_named(classes, &class_text) else {
            return Plan::Refused(
                None,
                if class_text.is_empty() {
                    DomainError::invalid("class", "required")
                } else {
                    DomainError::invalid("class", "no_such_class").with("value", &class_text)
                },
            );
        };
        let name = self.cell(row, NAME);
        let refused = |e| Plan::Refused(Some(class), e);
        let status = match rules::status(&self.cell(row, STATUS)) {
            Ok(s) => s,
            Err(e) => return refused(e),
        };
        let location = self.cell(row, LOCATION);
        let location_id = if location.is_empty() {
            None
        } else {
            let ids: Vec<i64> = match location.parse::<i64>() {
                Ok(id) => locations.values().flatten().copied().filter(|l| *l == id).collect(),
                Err(_) => locations.get(&rules::location_key(&location)).cloned().unwrap_or_default(),
            };
            match ids.as_slice() {
                [one] => Some(*one),
                [] => return refused(DomainError::invalid("location", "location_not_found").with("value", &location)),
                _ => return refused(DomainError::invalid("location", "location_ambiguous").with("value", &location)),
            }
        };
        let values = match rules::row_values(&class.attributes, self.attr_columns, |i| row.cell(i).to_string()) {
            Ok(v) => v,
            Err((i, e)) => {
                return refused(match e {
                    DomainError::Invalid(f) if f.field == "header" => DomainError::Invalid(f).with("column", i),
                    other => other,
                });
            }
        };
        let keys = rules::row_keys(&class.identify_by, &values);
        if class.identify_by.is_empty() && name.is_empty() {
            return refused(DomainError::invalid("name", "required"));
        }
        if !class.identify_by.is_empty() && keys.is_empty() {
            let field = class.identify_by.first().map(|c| format!("attributes.{c}")).unwrap_or_default();
            let names: Vec<String> =
                class.identify_by.iter().filter_map(|c| class.spec(c)).map(|s| s.code.clone()).collect();
            return refused(DomainError::invalid(field, "key_missing").with("attributes", names.join(", ")));
        }
        let input = CiInput {
            tenant_id: None,
            class: Some(class.code.clone()),
            name: (!name.is_empty()).then(|| name.clone()),
            status,
            location_id: location_id.map(Some),
            owner_group_id: None,
            user_id: None,
            attributes: values,
        };
        Plan::Ci(CiPlan { class, line: row.line, name, keys, input, found: None, found_by: 0 })
    }
}

/// Finds the CIs the rows of a chunk are (by their identifying values, strongest first, or by
/// name for a class identified by none), in two statements, and refuses a row that repeats an
/// earlier row's key or CI.
async fn identify(tx: &mut Tx, tenant_id: i64, plans: &mut [Plan<'_>], seen: &mut SeenKeys) -> Result<()> {
    for plan in plans.iter_mut() {
        let Plan::Ci(p) = plan else { continue };
        let repeated = if p.keys.is_empty() {
            seen.check(p.class.id, &[("name".into(), p.name.clone())], p.line).map(|(first, _, _)| {
                DomainError::invalid("name", "key_repeated_in_file").with("value", &p.name).with("line", first)
            })
        } else {
            seen.check(p.class.id, &p.keys, p.line).map(|(first, attribute, value)| {
                DomainError::invalid(format!("attributes.{attribute}"), "key_repeated_in_file")
                    .with("value", value)
                    .with("line", first)
            })
        };
        if let Some(e) = repeated {
            *plan = Plan::Refused(Some(p.class), e);
        }
    }
    let ci_plans = || plans.iter().filter_map(|p| if let Plan::Ci(c) = p { Some(c) } else { None });
    let wanted: Vec<(i64, String, String)> =
        ci_plans().flat_map(|p| p.keys.iter().map(|(a, v)| (p.class.id, a.clone(), v.clone()))).collect();
    let by_key = cis::ids_by_keys(tx, tenant_id, &wanted).await?;
    let names: Vec<(i64, String)> =
        ci_plans().filter(|p| p.keys.is_empty()).map(|p| (p.class.id, p.name.clone())).collect();
    let by_name = cis::ids_by_names(tx, tenant_id, &names).await?;
    for plan in plans.iter_mut() {
        let Plan::Ci(p) = plan else { continue };
        if p.keys.is_empty() {
            match by_name.get(&(p.class.id, p.name.clone())).map(Vec::as_slice) {
                None | Some([]) => {}
                Some([one]) => p.found = Some(*one),
                Some(_) => {
                    let e = DomainError::invalid("name", "name_ambiguous").with("value", &p.name);
                    *plan = Plan::Refused(Some(p.class), e);
                    continue;
                }
            }
        } else if let Some((k, id)) = p
            .keys
            .iter()
            .enumerate()
            .find_map(|(k, (a, v))| by_key.get(&(p.class.id, a.clone(), v.clone())).map(|id| (k, *id)))
        {
            (p.found, p.found_by) = (Some(id), k);
        }
        if let Some(id) = p.found
            && let Some(first) = seen.check_ci(id, p.line)
        {
            let e = DomainError::invalid("name", "ci_repeated_in_file").with("line", first);
            *plan = Plan::Refused(Some(p.class), e);
        }
    }
    Ok(())
}

/// A row found by a weaker key whose stronger one contradicts the CI's: a replaced machine
/// that took over a hostname is not the old machine.
fn key_conflict(p: &CiPlan<'_>, ci: &Ci) -> Option<DomainError> {
    let found_by = &p.keys.get(p.found_by)?.1;
    p.keys[..p.found_by].iter().find_map(|(stronger, given)| {
        let current = ci.attributes.get(stronger).map(attributes::display).unwrap_or_default();
        (!current.is_empty() && &current != given).then(|| {
            DomainError::invalid(format!("attributes.{stronger}"), "key_conflict")
                .with("value", given)
                .with("current", current)
                .with("found_by", found_by)
        })
    })
}

/// A row that is a CI already: its update, `unchanged`, or the problem (a store failure ends
/// the import).
async fn update_row(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    line: usize,
    input: CiInput,
) -> Result<std::result::Result<RowResult, DomainError>> {
    let before = cis::get(tx, actor, id).await?;
    Ok(Ok(match cis::update(tx, actor, id, before.version, input).await {
        Ok(after) if after.version == before.version => {
            verdict_row(line, Verdict::Unchanged, Some(id), after.name, vec![])
        }
        Ok(after) => verdict_row(line, Verdict::Update, Some(id), after.name.clone(), changes(&before, &after)),
        Err(e) => return Ok(Err(row_error(e)?)),
    }))
}

/// Row problems about a column carry its index as an argument `column` on the way out of
/// [`Rows::parse`]; it is taken off before the problem is shown.
fn strip_column_arg(mut e: DomainError) -> DomainError {
    if let DomainError::Invalid(f) = &mut e {
        f.problem.args.retain(|(n, _)| *n != "column");
    }
    e
}

/// The fields an update changed.
fn changes(before: &Ci, after: &Ci) -> Vec<String> {
    let mut out = Vec::new();
    if before.name != after.name {
        out.push("name".into());
    }
    if before.status != after.status {
        out.push("status".into());
    }
    if before.location_id != after.location_id {
        out.push("location".into());
    }
    let codes: std::collections::BTreeSet<&String> = before.attributes.keys().chain(after.attributes.keys()).collect();
    for code in codes {
        if before.attributes.get(code) != after.attributes.get(code) {
            out.push(format!("attributes.{code}"));
        }
    }
    out
}

/// The relationship kind a cell names: its code, or its name in Chinese or English.
fn relation_kind(text: &str) -> std::result::Result<RelationKind, DomainError> {
    const NAMES: [(RelationKind, &str, &str); 6] = [
        (RelationKind::RunsOn, "运行于", "Runs on"),
        (RelationKind::DependsOn, "依赖", "Depends on"),
        (RelationKind::ConnectsTo, "连接到", "Connects to"),
        (RelationKind::Contains, "包含", "Contains"),
        (RelationKind::Uses, "使用", "Uses"),
        (RelationKind::InstalledOn, "安装于", "Installed on"),
    ];
    yunwei_sheet::columns::choice("kind", text, &NAMES, RelationKind::as_str)?
        .ok_or_else(|| DomainError::invalid("kind", "required"))
}

/// The CI a relationship cell names, in the tenant or the provider's shared CIs: a unique
/// attribute's value (serial number, hostname, …) or else the name, of `class` when given.
async fn find_ci(
    tx: &mut Tx,
    tenants: &[i64],
    class: Option<&Class>,
    field: &'static str,
    text: &str,
) -> Result<std::result::Result<i64, DomainError>> {
    if text.is_empty() {
        return Ok(Err(DomainError::invalid(field, "required")));
    }
    for (table, column) in [("ci_keys", "value"), ("cis", "name")] {
        let id = if table == "ci_keys" { "ci_id" } else { "id" };
        let mut sql = Sql::new(&format!("SELECT DISTINCT {id} FROM {table} WHERE "));
        sql.in_list("tenant_id", tenants);
        sql.push(&format!(" AND {column} = ")).arg(Arg::Text(text.to_string()));
        if let Some(c) = class {
            sql.push(" AND class_id = ").arg(Arg::Int(c.id));
        }
        sql.push(" LIMIT 2");
        let ids: Vec<(i64,)> = fetch_sql!(tx, (i64,), sql, fetch_all)?;
        match ids.as_slice() {
            [] => continue,
            [(one,)] => return Ok(Ok(*one)),
            _ => return Ok(Err(DomainError::invalid(field, "ci_ambiguous").with("value", text))),
        }
    }
    Ok(Err(DomainError::invalid(field, "ci_not_found").with("value", text)))
}

async fn import_relations(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    sheet: &Sheet,
    classes: &[Class],
    report: &mut Report,
    on_row: &mut impl FnMut(usize),
) -> Result<()> {
    let headers = &sheet.headers;
    let columns = match rules::map_columns(headers, &RELATION_COLUMNS, &[SOURCE, KIND, TARGET], |_| false) {
        Ok(c) => c,
        Err(problems) => {
            header_problems(report, headers, problems);
            return Ok(());
        }
    };
    let mut tenants = vec![tenant_id];
    if let Some(p) = cis::provider_tenant(tx).await?
        && p != tenant_id
    {
        tenants.push(p);
    }
    let mut seen = SeenKeys::default();
    for (index, row) in sheet.rows.iter().enumerate() {
        let line = row.line;
        let cell = |f: Fixed| columns.of(f).map(|i| row.cell(i).trim().to_string()).unwrap_or_default();
        let (source, kind_text, target) = (cell(SOURCE), cell(KIND), cell(TARGET));
        let label = format!("{source} {kind_text} {target}");
        let outcome = relation_row(tx, actor, &tenants, classes, &cell, &mut seen, line).await?;
        report.push(match outcome {
            Ok((verdict, id)) => verdict_row(line, verdict, id, label, vec![]),
            Err(e) => {
                let field = match &e {
                    DomainError::Invalid(f) => f.field.clone(),
                    _ => String::new(),
                };
                let col = column_of(&field, &columns, &[], None);
                error_row(line, label, col, headers, e)
            }
        });
        on_row(index);
    }
    Ok(())
}

async fn relation_row(
    tx: &mut Tx,
    actor: &Actor,
    tenants: &[i64],
    classes: &[Class],
    cell: &impl Fn(Fixed) -> String,
    seen: &mut SeenKeys,
    line: usize,
) -> Result<std::result::Result<(Verdict, Option<i64>), DomainError>> {
    let mut ends = Vec::with_capacity(2);
    for (class_col, ci_col, field) in [(SOURCE_CLASS, SOURCE, "source"), (TARGET_CLASS, TARGET, "target")] {
        let class_text = cell(class_col);
        let class = if class_text.is_empty() {
            None
        } else {
            match class_named(classes, &class_text) {
                Some(c) => Some(c),
                None => {
                    let e = DomainError::invalid(class_col.code, "no_such_class").with("value", &class_text);
                    return Ok(Err(e));
                }
            }
        };
        match find_ci(tx, tenants, class, field, &cell(ci_col)).await? {
            Ok(id) => ends.push(id),
            Err(e) => return Ok(Err(e)),
        }
    }
    let (source, target) = (ends[0], ends[1]);
    let kind = match relation_kind(&cell(KIND)) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    let key = vec![("relation".to_string(), format!("{source} {} {target}", kind.as_str()))];
    if let Some((first, _, _)) = seen.check(0, &key, line) {
        return Ok(Err(DomainError::invalid("target", "relation_repeated_in_file").with("line", first)));
    }
    let existing = fetch_opt!(
        tx,
        (i64,),
        "SELECT id FROM ci_relations WHERE source_id = $1 AND kind = $2 AND target_id = $3",
        source,
        kind.as_str(),
        target
    )?;
    if let Some((id,)) = existing {
        return Ok(Ok((Verdict::Unchanged, Some(id))));
    }
    match relations::add(tx, actor, source, kind, target).await {
        Ok(r) => Ok(Ok((Verdict::Insert, Some(r.id)))),
        Err(e) => Ok(Err(row_error(e)?)),
    }
}

/// A page of CIs for an export: the header and one row per CI, in the filter's order, at
/// most `max` CIs (`too_many` beyond). Columns: organisation (its code), class, name, status,
/// location (names in
/// `locale`), then the attributes of the classes exported, each headed by its name in
/// `locale` (its code where two would read alike). Values are written as imports read them,
/// so a file exported and imported again changes nothing.
pub async fn export(
    tx: &mut Tx,
    actor: &Actor,
    filter: &CiFilter,
    locale: &str,
    max: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let classes = classes::list(tx).await?;
    let cis = matching(tx, actor, filter, max).await?;
    let used: std::collections::BTreeSet<i64> = cis.iter().map(|c| c.class_id).collect();
    let exported: Vec<&Class> =
        classes.iter().filter(|c| used.contains(&c.id) || filter.class.as_deref() == Some(c.code.as_str())).collect();
    let mut headers: Vec<String> = CI_COLUMNS.iter().map(|f| f.header(locale).to_string()).collect();
    let mut codes: Vec<String> = Vec::new();
    for class in &exported {
        for spec in class.attributes.iter() {
            if codes.contains(&spec.code) {
                continue;
            }
            let name = spec.name(locale);
            let clash = headers.iter().any(|h| h == name)
                || CI_COLUMNS.iter().any(|f| f.matches(name))
                || classes
                    .iter()
                    .flat_map(|c| c.attributes.iter())
                    .any(|o| o.code != spec.code && rules::names_attribute(name, o));
            headers.push(if clash { spec.code.clone() } else { name.to_string() });
            codes.push(spec.code.clone());
        }
    }
    let locations = yunwei_org::locations::list(tx, actor, filter.tenant_id).await?;
    let location_label: HashMap<i64, String> =
        locations.iter().map(|l| (l.id, rules::location_label(&l.building, &l.floor, &l.room))).collect();
    let by_id: HashMap<i64, &Class> = classes.iter().map(|c| (c.id, c)).collect();
    let tenant_codes: HashMap<i64, String> =
        yunwei_org::tenants::list(tx, actor).await?.into_iter().map(|t| (t.id, t.code)).collect();
    let rows = cis
        .iter()
        .map(|ci| {
            let class = by_id.get(&ci.class_id);
            let mut row = vec![
                tenant_codes.get(&ci.tenant_id).cloned().unwrap_or_else(|| ci.tenant_id.to_string()),
                class.map(|c| c.name(locale).to_string()).unwrap_or_else(|| ci.class_code.clone()),
                ci.name.clone(),
                rules::status_name(ci.status, locale).to_string(),
                ci.location_id
                    .map(|l| location_label.get(&l).cloned().unwrap_or_else(|| l.to_string()))
                    .unwrap_or_default(),
            ];
            row.extend(codes.iter().map(|c| ci.attributes.get(c).map(attributes::display).unwrap_or_default()));
            row
        })
        .collect();
    Ok((headers, rows))
}

/// Every CI `actor` may see that matches `filter`, at most `max` (`too_many` beyond).
async fn matching(tx: &mut Tx, actor: &Actor, filter: &CiFilter, max: usize) -> Result<Vec<Ci>> {
    let mut cis: Vec<Ci> = Vec::new();
    let mut page = CiFilter { limit: Some(cis::MAX_PAGE), ..filter.clone() };
    loop {
        let batch = cis::list(tx, actor, &page).await?;
        let done = (batch.len() as i64) < cis::MAX_PAGE;
        page.after = batch.last().map(|c| c.id);
        cis.extend(batch);
        if cis.len() > max {
            return Err(StoreError::invalid("limit", "too_many").with("max", max));
        }
        if done {
            return Ok(cis);
        }
    }
}

/// The relationships whose source is a CI matching `filter` and whose target `actor` may see,
/// in the columns the relationship import reads: each CI by its class (named in `locale`) and
/// its first identifying value (its name for a class without one), so importing the file
/// again changes nothing.
pub async fn export_relations(
    tx: &mut Tx,
    actor: &Actor,
    filter: &CiFilter,
    locale: &str,
    max: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let classes = classes::list(tx).await?;
    let by_id: HashMap<i64, &Class> = classes.iter().map(|c| (c.id, c)).collect();
    let sources = matching(tx, actor, filter, max).await?;
    let mut known: HashMap<i64, Ci> = sources.iter().map(|c| (c.id, c.clone())).collect();
    let mut relations: Vec<(i64, RelationKind, i64)> = Vec::new();
    for chunk in sources.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.id).collect();
        let mut sql = Sql::new("SELECT source_id, kind, target_id FROM ci_relations WHERE ");
        sql.in_list("source_id", &ids);
        sql.push(" ORDER BY source_id, kind, target_id");
        relations.extend(fetch_sql!(tx, (i64, RelationKind, i64), sql, fetch_all)?);
        if relations.len() > max {
            return Err(StoreError::invalid("limit", "too_many").with("max", max));
        }
    }
    let missing: Vec<i64> = relations.iter().map(|r| r.2).filter(|t| !known.contains_key(t)).collect();
    for chunk in missing.chunks(500) {
        for ci in cis::visible_among(tx, actor, chunk).await? {
            known.insert(ci.id, ci);
        }
    }
    let named = |ci: &Ci| -> (String, String) {
        let class = by_id.get(&ci.class_id);
        let key = class
            .and_then(|c| rules::row_keys(&c.identify_by, &ci.attributes).into_iter().next())
            .map(|(_, v)| v)
            .unwrap_or_else(|| ci.name.clone());
        (class.map(|c| c.name(locale).to_string()).unwrap_or_else(|| ci.class_code.clone()), key)
    };
    let headers = RELATION_COLUMNS.iter().map(|f| f.header(locale).to_string()).collect();
    let rows = relations
        .iter()
        .filter_map(|(source, kind, target)| {
            let (source, target) = (known.get(source)?, known.get(target)?);
            let ((sc, s), (tc, t)) = (named(source), named(target));
            Some(vec![sc, s, kind.as_str().to_string(), tc, t])
        })
        .collect();
    Ok((headers, rows))
}

/// The first active administrator, whom the command line's import acts as unless told
/// otherwise: for the command line only.
pub async fn administrator_unscoped(tx: &mut Tx) -> Result<Option<yunwei_db::identity::User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE role = 'admin' AND active = TRUE ORDER BY id LIMIT 1",
        yunwei_db::identity::USER_COLUMNS
    );
    Ok(fetch_opt!(tx, yunwei_db::identity::User, &sql)?)
}
