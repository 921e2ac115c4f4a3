//! Asset management's pure rules: the lifecycle, the asset-tag rule, stock-take
//! reconciliation, field checks, and who may do what. No I/O.

pub mod import;
pub mod lifecycle;
pub mod permissions;
pub mod stocktake;
pub mod tag;

use yunwei_kernel::DomainError;

/// A calendar date as `YYYY-MM-DD` (the form it is stored and compared in).
pub fn date(field: &str, text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let ok = t.len() == 10 && t.parse::<jiff::civil::Date>().is_ok();
    if ok { Ok(t.to_string()) } else { Err(DomainError::invalid(field, "not_a_date").with("value", t)) }
}

/// A currency code: three upper-case letters (ISO 4217, `CNY`, `USD`).
pub fn currency(text: &str) -> Result<String, DomainError> {
    let t = text.trim().to_ascii_uppercase();
    if t.len() == 3 && t.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(t)
    } else {
        Err(DomainError::invalid("currency", "asset_currency_format").with("value", text.trim()))
    }
}

/// A price in minor units (分): never negative.
pub fn cost(cents: i64) -> Result<i64, DomainError> {
    if cents < 0 { Err(DomainError::invalid("cost_cents", "negative")) } else { Ok(cents) }
}

/// A price typed in a form (`1299`, `1,299.50`, `¥1299.5`) in minor units; empty is none.
pub fn money(field: &str, text: &str) -> Result<Option<i64>, DomainError> {
    let t: String = text.trim().chars().filter(|c| !matches!(c, ',' | '¥' | '￥' | ' ')).collect();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::invalid(field, "asset_money_format").with("value", text.trim());
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).map(Some).ok_or_else(bad)
}

/// Minor units as a price (`129950` → `1299.50`).
pub fn show_money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_currencies_and_costs_are_checked() {
        assert_eq!(date("warranty_end", " 2027-06-30 ").unwrap(), "2027-06-30");
        assert!(date("warranty_end", "2027-02-30").is_err());
        assert!(date("warranty_end", "2027-6-30").is_err());
        assert_eq!(currency("cny").unwrap(), "CNY");
        assert!(currency("yuan").is_err());
        assert!(cost(-1).is_err());
        assert_eq!(cost(129_900).unwrap(), 129_900);
        assert_eq!(money("cost", "1,299.5").unwrap(), Some(129_950));
        assert_eq!(money("cost", "¥12").unwrap(), Some(1_200));
        assert_eq!(money("cost", " ").unwrap(), None);
        for bad in ["12.345", "-1", "abc", ".5", "99999999999999999999"] {
            assert!(money("cost", bad).is_err(), "{bad}");
        }
        assert_eq!(show_money(129_950), "1299.50");
    }
}
