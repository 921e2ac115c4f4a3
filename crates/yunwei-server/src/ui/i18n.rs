//! The UI's two languages. Every string a page shows comes from one of two catalogues,
//! `i18n/zh-CN.toml` and `i18n/en.toml`, embedded in the binary; `t(key)` looks a key up.
//! Tests fail when a key is missing from either catalogue or a template uses an unknown key.

use std::collections::HashMap;
use std::sync::OnceLock;

const ZH_CN: &str = include_str!("../../i18n/zh-CN.toml");
const EN: &str = include_str!("../../i18n/en.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    ZhCn,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The stored and `<html lang>` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Locale> {
        let t = text.trim().to_ascii_lowercase();
        if t == "zh" || t.starts_with("zh-") || t.starts_with("zh_") {
            Some(Locale::ZhCn)
        } else if t == "en" || t.starts_with("en-") || t.starts_with("en_") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The best of our languages for an `Accept-Language` header, by its q-values; `None`
    /// when it names neither.
    pub fn negotiate(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(l) = Locale::parse(tag) {
                // Higher q wins; on a tie the earlier entry does.
                if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                    best = Some((q, i, l));
                }
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn index(self) -> usize {
        match self {
            Locale::ZhCn => 0,
            Locale::En => 1,
        }
    }
}

type Catalogue = HashMap<String, String>;

/// Flattens `[section] key = "text"` into `section.key`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            other => return Err(format!("{key}: expected text, found {}", other.type_str())),
        }
    }
    Ok(())
}

pub fn parse_catalogue(text: &str) -> Result<Catalogue, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let mut out = Catalogue::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn catalogues() -> &'static [Catalogue; 2] {
    static CATALOGUES: OnceLock<[Catalogue; 2]> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        // The catalogues are part of the binary and checked by tests; a broken one is a bug
        // that shows as raw keys rather than a crash.
        let load = |name: &str, text: &str| {
            parse_catalogue(text).unwrap_or_else(|e| {
                tracing::error!(catalogue = name, error = %e, "translation catalogue unreadable");
                Catalogue::new()
            })
        };
        [load("zh-CN", ZH_CN), load("en", EN)]
    })
}

/// The text of `key` in `locale`; the key itself when it is missing (tests prevent that).
pub fn t(locale: Locale, key: &str) -> &'static str {
    match catalogues()[locale.index()].get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, locale = locale.as_str(), "missing translation");
            // Leaking is bounded: only a missing key (a bug the tests catch) gets here.
            Box::leak(key.to_string().into_boxed_str())
        }
    }
}

/// Whether `key` exists (for optional texts such as field names).
pub fn has(locale: Locale, key: &str) -> bool {
    catalogues()[locale.index()].contains_key(key)
}

/// `t(key)` with `{name}` placeholders filled in.
pub fn tf(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(locale, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(text: &str) -> BTreeSet<String> {
        parse_catalogue(text).expect("catalogue parses").into_keys().collect()
    }

    #[test]
    fn both_catalogues_have_exactly_the_same_keys_and_no_empty_text() {
        let zh = keys(ZH_CN);
        let en = keys(EN);
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "missing in en.toml: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in zh-CN.toml: {only_en:?}");
        for (name, text) in [("zh-CN", ZH_CN), ("en", EN)] {
            for (k, v) in parse_catalogue(text).unwrap() {
                assert!(!v.trim().is_empty(), "{name}: {k} is empty");
            }
        }
        assert!(zh.len() > 150, "only {} keys", zh.len());
    }

    /// Every `t("…")`, `tf("…"` and `key = "…"` style literal key in the templates and the UI
    /// code exists in both catalogues.
    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let zh = keys(ZH_CN);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates", "src/ui"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).expect("readable folder") {
                    let p = entry.expect("entry").path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        files.push(p);
                    }
                }
            }
        }
        let mut used = 0;
        let mut unknown = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable file");
            for opener in ["t(\"", "tf(\"", "flash(\""] {
                for (i, _) in text.match_indices(opener) {
                    // Skip longer names that merely end in `t(` (e.g. `get(`, `input(`).
                    let before = text[..i].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let rest = &text[i + opener.len()..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    // Keys are dotted lower-case names; anything else is prose that mentions `t(`.
                    let is_key = key.contains('.')
                        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.".contains(c));
                    if !is_key {
                        continue;
                    }
                    used += 1;
                    if !zh.contains(key) {
                        unknown.push(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used > 100, "only {used} keys found in use; is the scan broken?");
    }

    #[test]
    fn keys_built_from_domain_values_exist() {
        use yunwei_domain::permission::Role;
        use yunwei_domain::ticket::{ActionKind, Channel, PendingReason, ResolutionCode, Status, TicketType};
        let mut needed: Vec<String> = Vec::new();
        needed.extend(Status::ALL.iter().map(|s| format!("status.{s}")));
        needed.extend(ActionKind::ALL.iter().map(|a| format!("action.{a}")));
        needed.extend(ActionKind::ALL.iter().map(|a| format!("event.{a}")));
        needed.extend(Channel::ALL.iter().map(|c| format!("channel.{c}")));
        needed.extend(PendingReason::ALL.iter().map(|p| format!("pending.{p}")));
        needed.extend(ResolutionCode::ALL.iter().map(|r| format!("resolution.{r}")));
        needed.extend(TicketType::ALL.iter().map(|t| format!("type.{t}")));
        needed.extend(Role::ALL.iter().map(|r| format!("role.{r}")));
        needed.extend((1..=4).map(|p| format!("priority.{p}")));
        needed.extend((1..=4).map(|p| format!("impact.{p}")));
        needed.extend((1..=4).map(|p| format!("urgency.{p}")));
        needed.extend((1..=5).map(|p| format!("rating.score_{p}")));
        needed.extend(yunwei_store::queues::Queue::ALL.iter().map(|q| format!("queue.{}", q.as_str())));
        for kind in ["created", "reply", "note", "link", "unlink", "attachment", "update", "merged", "rating"] {
            needed.push(format!("event.{kind}"));
        }
        for kind in ["parent", "child", "related", "duplicate_of"] {
            needed.push(format!("link.{kind}"));
        }
        for l in Locale::ALL {
            for k in &needed {
                assert!(has(l, k), "{} lacks {k}", l.as_str());
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_of_our_two_languages() {
        assert_eq!(Locale::negotiate("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("fr-FR, zh-TW;q=0.5, en;q=0.7"), Some(Locale::En));
        assert_eq!(Locale::negotiate("de, fr"), None);
        assert_eq!(Locale::negotiate("en;q=0, zh"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate(""), None);
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(tf(Locale::En, "login.locked", &[("time", "14:32"), ("minutes", "2")]).contains("14:32"));
        assert!(tf(Locale::ZhCn, "login.locked", &[("time", "14:32"), ("minutes", "2")]).contains("14:32"));
    }
}
