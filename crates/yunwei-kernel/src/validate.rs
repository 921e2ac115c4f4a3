//! Field rules shared by every entry point (API, UI, CLI, importers).

use crate::DomainError;

/// Trims `value` and checks it is non-empty and at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "required"));
    }
    optional(field, v, max)
}

/// Trims `value` and checks it is at most `max` characters; control characters other than
/// line breaks and tabs are refused.
pub fn optional(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::invalid(field, "too_long").with("max", max));
    }
    if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(DomainError::invalid(field, "control_chars"));
    }
    Ok(v.to_string())
}

/// One-line text (names, titles): like [`required`] but without line breaks.
pub fn line(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = required(field, value, max)?;
    if v.contains(['\n', '\r', '\t']) {
        return Err(DomainError::invalid(field, "single_line"));
    }
    Ok(v)
}

/// Logins: 2–64 characters of lower-case letters, digits, `.`, `_`, `-` and `@`.
pub fn login(value: &str) -> Result<String, DomainError> {
    let v = value.trim().to_lowercase();
    let ok_len = (2..=64).contains(&v.chars().count());
    let ok_chars = v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_@".contains(c));
    if !ok_len || !ok_chars {
        return Err(DomainError::invalid("login", "login_format"));
    }
    Ok(v)
}

/// Codes (tenants, categories): 1–32 characters of A-Z, 0-9, `-` and `_`, stored upper-case.
pub fn code(field: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim().to_uppercase();
    if v.is_empty() || v.len() > 32 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(DomainError::invalid(field, "code_format"));
    }
    Ok(v)
}

/// A plausible e-mail address (one `@`, something on both sides, a dot in the domain).
pub fn email(field: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && v.matches('@').count() == 1;
    if !ok {
        return Err(DomainError::invalid(field, "email_format"));
    }
    Ok(v.to_string())
}

/// Passwords: at least 8 characters, at most 256.
pub fn password(value: &str) -> Result<(), DomainError> {
    let n = value.chars().count();
    if n < 8 {
        return Err(DomainError::invalid("password", "too_short").with("min", 8));
    }
    if n > 256 {
        return Err(DomainError::invalid("password", "too_long").with("max", 256));
    }
    Ok(())
}

/// IANA time zone names are checked by the caller with jiff; here only the shape.
pub fn locale(value: &str) -> Result<String, DomainError> {
    match value {
        "zh-CN" | "en" => Ok(value.to_string()),
        _ => Err(DomainError::invalid("locale", "not_a_locale")),
    }
}

/// A valid IANA time zone name such as `Asia/Shanghai`.
pub fn time_zone(value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    jiff::tz::TimeZone::get(v)
        .map(|_| v.to_string())
        .map_err(|_| DomainError::invalid("time_zone", "not_a_time_zone").with("value", v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_empty_ones_refused() {
        assert_eq!(line("title", "  打印机卡纸  ", 200).unwrap(), "打印机卡纸");
        let e = line("title", "   ", 200).unwrap_err();
        assert_eq!(e.to_string(), "title: required");
        assert!(line("title", "a\nb", 200).is_err());
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        let chinese = "网".repeat(200);
        assert!(line("title", &chinese, 200).is_ok());
        assert!(line("title", &format!("{chinese}网"), 200).is_err());
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert!(optional("description", "a\u{0}b", 100).is_err());
        assert_eq!(optional("description", "line 1\nline 2", 100).unwrap(), "line 1\nline 2");
    }

    #[test]
    fn logins_codes_and_emails() {
        assert_eq!(login(" Zhang.Wei ").unwrap(), "zhang.wei");
        assert!(login("a b").is_err());
        assert_eq!(code("code", "acme-1").unwrap(), "ACME-1");
        assert!(code("code", "ac me").is_err());
        assert!(email("email", "li@example.cn").is_ok());
        for bad in ["li", "li@", "@x.cn", "li@x", "a@b@c.cn", "li @x.cn"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_time_zones() {
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
        assert_eq!(time_zone("Asia/Shanghai").unwrap(), "Asia/Shanghai");
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
