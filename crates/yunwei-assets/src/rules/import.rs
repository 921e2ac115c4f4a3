//! The pure part of importing assets and stock-take scans from a spreadsheet: the columns
//! (each named by its code or its header in Chinese or English), the statuses a cell names,
//! dates as people type them, and each column's field. No I/O; `store::import` looks assets up
//! and writes through the ordinary store operations.
//!
//! An asset sheet has the columns `tag` and/or `serial` (a row is matched by its tag, then by
//! its serial number), and optionally `tenant` (a safeguard: when filled it must name the
//! organisation imported into), `name`, `model`, `status`, `location` (building / floor / room
//! as the CMDB's import reads it, or its number), `purchase_date`, `cost`, `currency`,
//! `vendor`, `contract_number`, `warranty_end`, `contract_end`, `user` (a login) and `ci` (a
//! unique attribute's value, or the name, of a CI of the organisation). A blank cell keeps the
//! asset's current value.

use yunwei_kernel::DomainError;
use yunwei_sheet::columns::Fixed;

use super::lifecycle::AssetStatus;

pub const TENANT: Fixed = Fixed { code: "tenant", zh: "单位", en: "Organisation" };
pub const TAG: Fixed = Fixed { code: "tag", zh: "资产标签", en: "Asset tag" };
pub const SERIAL: Fixed = Fixed { code: "serial", zh: "序列号", en: "Serial number" };
pub const NAME: Fixed = Fixed { code: "name", zh: "名称", en: "Name" };
pub const MODEL: Fixed = Fixed { code: "model", zh: "型号", en: "Model" };
pub const STATUS: Fixed = Fixed { code: "status", zh: "状态", en: "Status" };
pub const LOCATION: Fixed = Fixed { code: "location", zh: "位置", en: "Location" };
pub const PURCHASE_DATE: Fixed = Fixed { code: "purchase_date", zh: "购买日期", en: "Purchase date" };
pub const COST: Fixed = Fixed { code: "cost", zh: "价格", en: "Cost" };
pub const CURRENCY: Fixed = Fixed { code: "currency", zh: "币种", en: "Currency" };
pub const VENDOR: Fixed = Fixed { code: "vendor", zh: "供应商", en: "Vendor" };
pub const CONTRACT_NUMBER: Fixed = Fixed { code: "contract_number", zh: "合同编号", en: "Contract number" };
pub const WARRANTY_END: Fixed = Fixed { code: "warranty_end", zh: "保修截止", en: "Warranty ends" };
pub const CONTRACT_END: Fixed = Fixed { code: "contract_end", zh: "合同截止", en: "Contract ends" };
pub const USER: Fixed = Fixed { code: "user", zh: "使用人", en: "Assigned to" };
pub const CI: Fixed = Fixed { code: "ci", zh: "配置项", en: "CI" };

/// Every column an asset sheet may have, in the order an export writes them.
pub const ASSET_COLUMNS: [Fixed; 16] = [
    TENANT,
    TAG,
    SERIAL,
    NAME,
    MODEL,
    STATUS,
    LOCATION,
    PURCHASE_DATE,
    COST,
    CURRENCY,
    VENDOR,
    CONTRACT_NUMBER,
    WARRANTY_END,
    CONTRACT_END,
    USER,
    CI,
];

/// A stock-take scan sheet: the tag or serial number scanned, and where (optional).
pub const CODE: Fixed = Fixed { code: "code", zh: "标签或序列号", en: "Tag or serial number" };
pub const SCAN_COLUMNS: [Fixed; 2] = [CODE, LOCATION];

/// The column a field of an asset (as the store names it in a refusal) is read from.
pub fn column_of_field(field: &str) -> Option<Fixed> {
    let f = match field {
        "tenant" | "tenant_id" => TENANT,
        "tag" => TAG,
        "serial" => SERIAL,
        "name" => NAME,
        "model" => MODEL,
        "status" => STATUS,
        "location" | "location_id" => LOCATION,
        "purchase_date" => PURCHASE_DATE,
        "cost" | "cost_cents" => COST,
        "currency" => CURRENCY,
        "vendor" => VENDOR,
        "contract_number" => CONTRACT_NUMBER,
        "warranty_end" => WARRANTY_END,
        "contract_end" => CONTRACT_END,
        "user" | "user_id" => USER,
        "ci" | "ci_id" => CI,
        "code" | "tag_or_serial" => CODE,
        _ => return None,
    };
    Some(f)
}

/// Status names; the Chinese may list synonyms (`|`), the first is written.
const STATUS_NAMES: [(AssetStatus, &str, &str); 6] = [
    (AssetStatus::Ordered, "已订购|订购", "Ordered"),
    (AssetStatus::InStock, "在库|库存", "In stock"),
    (AssetStatus::Deployed, "在用|已部署|使用中", "Deployed"),
    (AssetStatus::InRepair, "维修中|送修", "In repair"),
    (AssetStatus::Retired, "已退役|退役", "Retired"),
    (AssetStatus::Disposed, "已处置|报废", "Disposed of"),
];

/// The status a cell names: its code, or its name in Chinese or English; blank is `None`.
pub fn status(cell: &str) -> Result<Option<AssetStatus>, DomainError> {
    yunwei_sheet::columns::choice("status", cell, &STATUS_NAMES, AssetStatus::as_str)
}

/// The status's name in `locale`, as exports write it.
pub fn status_name(status: AssetStatus, locale: &str) -> &'static str {
    let (_, zh, en) = STATUS_NAMES.iter().find(|(s, _, _)| *s == status).copied().unwrap_or((status, "", ""));
    if locale.starts_with("zh") { zh.split('|').next().unwrap_or(zh) } else { en }
}

/// A date as people type it in a sheet (`2027-06-30`, `2027/6/30`, `2027.6.30`) as stored
/// (`2027-06-30`); blank is `None`.
pub fn date(field: &str, cell: &str) -> Result<Option<String>, DomainError> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    let normal = match parts.as_slice() {
        [y, m, d] if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) => {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => t.to_string(),
    };
    super::date(field, &normal).map(Some).map_err(|_| DomainError::invalid(field, "not_a_date").with("value", t))
}

/// The path from `in_stock` to `to` for an asset imported in a state a new asset cannot start
/// in (`in_repair`, `retired`, `disposed`): the lifecycle moves that get it there.
pub fn path_from_stock(to: AssetStatus) -> &'static [AssetStatus] {
    use AssetStatus::*;
    match to {
        InRepair => &[InRepair],
        Retired => &[Retired],
        Disposed => &[Retired, Disposed],
        Ordered | InStock | Deployed => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: &DomainError) -> &'static str {
        e.problem().map(|p| p.code).unwrap_or("")
    }

    #[test]
    fn statuses_are_named_by_code_or_either_language_and_exported_names_read_back() {
        assert_eq!(status("deployed").unwrap(), Some(AssetStatus::Deployed));
        assert_eq!(status("在用").unwrap(), Some(AssetStatus::Deployed));
        assert_eq!(status("IN STOCK").unwrap(), Some(AssetStatus::InStock));
        assert_eq!(status(" ").unwrap(), None);
        assert_eq!(code(&status("lost").unwrap_err()), "not_one_of");
        for s in AssetStatus::ALL {
            assert_eq!(status(status_name(*s, "zh-CN")).unwrap(), Some(*s));
            assert_eq!(status(status_name(*s, "en")).unwrap(), Some(*s));
        }
    }

    #[test]
    fn dates_are_read_as_typed_and_bad_ones_named() {
        assert_eq!(date("warranty_end", "2027/6/30").unwrap().as_deref(), Some("2027-06-30"));
        assert_eq!(date("warranty_end", " 2027-06-30 ").unwrap().as_deref(), Some("2027-06-30"));
        assert_eq!(date("warranty_end", "").unwrap(), None);
        let e = date("warranty_end", "2027/2/30").unwrap_err();
        assert_eq!((code(&e), e.to_string().contains("warranty_end")), ("not_a_date", true));
    }

    #[test]
    fn every_column_is_found_by_its_field_and_every_state_is_reachable_from_stock() {
        for f in ASSET_COLUMNS {
            assert_eq!(column_of_field(f.code), Some(f), "{}", f.code);
        }
        for s in AssetStatus::ALL {
            let mut at = AssetStatus::InStock;
            for next in path_from_stock(*s) {
                assert!(at.may_become(*next), "{at} → {next}");
                at = *next;
            }
            if !matches!(s, AssetStatus::Ordered | AssetStatus::Deployed) {
                assert_eq!(at, *s);
            }
        }
    }
}
