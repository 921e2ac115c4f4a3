//! Asset management's pure rules: the lifecycle, the asset-tag rule, stock-take
//! reconciliation, field checks, and who may do what. No I/O.

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
    }
}
