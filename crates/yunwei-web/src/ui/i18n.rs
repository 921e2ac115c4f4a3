//! The UI's two languages. Every string a page shows comes from a catalogue: the platform's
//! (`i18n/zh-CN.toml` and `i18n/en.toml` of this crate) and each module's, embedded in the
//! binary and merged when the router is built ([`install`]); `t(key)` looks a key up. Tests
//! fail when a key is missing from either language, when two catalogues define the same key,
//! when a template or handler uses an unknown key ([`unknown_keys`]), or when the source raises
//! a problem code that has no `problem.<code>` wording ([`unknown_problems`]).

use std::collections::HashMap;
use std::sync::OnceLock;

/// One module's catalogues, as text (`texts!()` embeds the calling crate's).
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub module: &'static str,
    pub zh_cn: &'static str,
    pub en: &'static str,
}

/// The catalogues of the crate that calls it: `i18n/zh-CN.toml` and `i18n/en.toml` beside its
/// `Cargo.toml`.
#[macro_export]
macro_rules! texts {
    () => {
        $crate::ui::i18n::Texts {
            module: env!("CARGO_PKG_NAME"),
            zh_cn: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/i18n/zh-CN.toml")),
            en: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/i18n/en.toml")),
        }
    };
}

/// The platform's own catalogues.
pub const PLATFORM: Texts = texts!();

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

pub type Catalogue = HashMap<String, String>;

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

static MODULES: OnceLock<Vec<Texts>> = OnceLock::new();

/// Adds the modules' catalogues to the platform's. The first call wins: one process serves
/// one set of modules (tests that start several servers start them with the same set).
pub fn install(modules: Vec<Texts>) {
    let _ = MODULES.set(modules);
}

/// Every catalogue: the platform's and the installed modules'.
fn all_texts() -> Vec<Texts> {
    let mut all = vec![PLATFORM];
    all.extend(MODULES.get().into_iter().flatten().copied());
    all
}

/// The merged catalogues of `texts`, one per language.
pub fn merge(texts: &[Texts]) -> Result<[Catalogue; 2], String> {
    let mut out = [Catalogue::new(), Catalogue::new()];
    for t in texts {
        for (i, (lang, text)) in [("zh-CN", t.zh_cn), ("en", t.en)].into_iter().enumerate() {
            let parsed = parse_catalogue(text).map_err(|e| format!("{} {lang}: {e}", t.module))?;
            for (k, v) in parsed {
                if out[i].insert(k.clone(), v).is_some() {
                    return Err(format!("{} {lang}: {k} is defined twice", t.module));
                }
            }
        }
    }
    Ok(out)
}

fn catalogues() -> &'static [Catalogue; 2] {
    static CATALOGUES: OnceLock<[Catalogue; 2]> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        // The catalogues are part of the binary and checked by tests; a broken one is a bug
        // that shows as raw keys rather than a crash.
        merge(&all_texts()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "translation catalogues unreadable");
            [Catalogue::new(), Catalogue::new()]
        })
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

/// The text of `key` with `{name}` placeholders filled from stored arguments (a notification's,
/// a timeline entry's). An argument named `name_key` holds a catalogue key: its text in
/// `locale` fills `{name}`. So a stored message has no words of its own, only codes.
pub fn render(locale: Locale, key: &str, args: &std::collections::BTreeMap<String, String>) -> String {
    let owned: Vec<(String, String)> = args
        .iter()
        .map(|(name, value)| match name.strip_suffix("_key") {
            Some(base) => (base.to_string(), t(locale, value).to_string()),
            None => (name.clone(), value.clone()),
        })
        .collect();
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    tf(locale, key, &pairs)
}

/// A refusal's problem in words: `problem.<code>` in `locale` with its arguments filled in
/// (an argument named `…_key` translated too, as in [`render`]).
pub fn problem(locale: Locale, p: &yunwei_kernel::Problem) -> String {
    let args = p.args.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
    render(locale, &p.key(), &args)
}

/// The problem codes raised in `text`: the last string literal among the arguments of each
/// `invalid(…)`, `forbidden(…)`, `unique(…)` and `Problem::new(…)` call, e.g. `too_long` in
/// `DomainError::invalid("title", "too_long").with("max", 200)`. A call whose code is not a
/// literal is not seen, so codes are written as literals at the call.
pub fn problem_codes(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for opener in ["invalid(", "forbidden(", "unique(", "Problem::new("] {
        for (i, _) in text.match_indices(opener) {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            // The call's arguments up to its closing parenthesis; string literals at the top
            // level are the candidates, those nested (in `format!(…)`) are not.
            let rest = &text[i + opener.len()..];
            let (mut depth, mut last, mut chars) = (0usize, None, rest.char_indices());
            while let Some((j, c)) = chars.next() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth == 0 => break,
                    ')' | ']' | '}' => depth -= 1,
                    '"' => {
                        let start = j + 1;
                        let mut end = None;
                        let mut escaped = false;
                        for (k, d) in chars.by_ref() {
                            if escaped {
                                escaped = false;
                            } else if d == '\\' {
                                escaped = true;
                            } else if d == '"' {
                                end = Some(k);
                                break;
                            }
                        }
                        let Some(end) = end else { break };
                        if depth == 0 {
                            last = Some(&rest[start..end]);
                        }
                    }
                    _ => {}
                }
            }
            // Codes are lower-case snake names; anything else is prose that mentions a call.
            if let Some(code) = last.filter(|c| {
                !c.is_empty() && c.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            }) {
                out.push(code);
            }
        }
    }
    out
}

/// Every problem code raised in the files under `dirs` of the crate at `root` (see
/// [`problem_codes`]) that has no `problem.<code>` in both languages of `texts`, and how many
/// codes were found.
pub fn unknown_problems(root: &std::path::Path, dirs: &[&str], texts: &[Texts]) -> (usize, Vec<String>) {
    let [zh, en] = match merge(texts) {
        Ok(c) => c,
        Err(e) => return (0, vec![e]),
    };
    let mut used = 0;
    let mut unknown = Vec::new();
    for f in files_under(root, dirs) {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for code in problem_codes(&text) {
            used += 1;
            let key = format!("problem.{code}");
            for (lang, c) in [("zh-CN", &zh), ("en", &en)] {
                if !c.contains_key(&key) {
                    unknown.push(format!("{}: {key} is missing in {lang}", f.display()));
                }
            }
        }
    }
    (used, unknown)
}

fn files_under(root: &std::path::Path, dirs: &[&str]) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in dirs {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
    }
    files
}

/// What is wrong with a set of catalogues: a key in one language and not the other, an empty
/// text, a key defined twice, a file that does not parse.
pub fn problems(texts: &[Texts]) -> Vec<String> {
    let [zh, en] = match merge(texts) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let mut out = Vec::new();
    out.extend(zh.keys().filter(|k| !en.contains_key(*k)).map(|k| format!("{k} is missing in en")));
    out.extend(en.keys().filter(|k| !zh.contains_key(*k)).map(|k| format!("{k} is missing in zh-CN")));
    for (lang, c) in [("zh-CN", &zh), ("en", &en)] {
        out.extend(c.iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| format!("{lang}: {k} is empty")));
    }
    out.sort();
    out
}

/// Every `t("…")`, `tf("…"` and `flash("…"` literal key in the files under `dirs` of the crate
/// at `root` that `texts` lack, and how many keys were found in use.
pub fn unknown_keys(root: &std::path::Path, dirs: &[&str], texts: &[Texts]) -> (usize, Vec<String>) {
    let known = match merge(texts) {
        Ok([zh, _]) => zh,
        Err(e) => return (0, vec![e]),
    };
    let mut used = 0;
    let mut unknown = Vec::new();
    for f in files_under(root, dirs) {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
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
                if !known.contains_key(key) {
                    unknown.push(format!("{}: {key}", f.display()));
                }
            }
        }
    }
    (used, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_catalogues_have_the_same_keys_in_both_languages_and_no_empty_text() {
        assert_eq!(problems(&[PLATFORM]), Vec::<String>::new());
        assert!(parse_catalogue(PLATFORM.zh_cn).expect("parses").len() > 100);
    }

    #[test]
    fn stored_arguments_are_filled_in_and_key_arguments_translated_in_the_readers_language() {
        let mut args = std::collections::BTreeMap::new();
        args.insert("max".to_string(), "64".to_string());
        assert_eq!(render(Locale::En, "problem.too_long", &args), tf(Locale::En, "problem.too_long", &[("max", "64")]));
        assert!(render(Locale::En, "problem.too_long", &args).contains("64"));
        let mut keyed = std::collections::BTreeMap::new();
        keyed.insert("max_key".to_string(), "common.system".to_string());
        for l in [Locale::ZhCn, Locale::En] {
            let text = render(l, "problem.too_long", &keyed);
            assert!(text.contains(t(l, "common.system")), "{text}");
            assert!(!text.contains('{') && !text.contains("common.system"), "{text}");
        }
    }

    #[test]
    fn a_key_defined_by_two_catalogues_is_refused() {
        let other = Texts { module: "other", zh_cn: "[app]\nname = \"x\"\n", en: "[app]\nname = \"x\"\n" };
        let found = problems(&[PLATFORM, other]);
        assert_eq!(found, vec!["other zh-CN: app.name is defined twice".to_string()]);
    }

    #[test]
    fn every_key_used_in_the_platform_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (used, unknown) = unknown_keys(root, &["templates", "src/ui"], &[PLATFORM]);
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used > 20, "only {used} keys found in use; is the scan broken?");
    }

    #[test]
    fn problems_are_worded_in_the_readers_language_with_their_arguments() {
        let p = yunwei_kernel::Problem::new("too_long").with("max", 200);
        assert_eq!(problem(Locale::En, &p), "must be at most 200 characters");
        assert_eq!(problem(Locale::ZhCn, &p), "不能超过 200 个字符");
        let p = yunwei_kernel::Problem::new("role_may_not").with("role_key", "role.agent");
        assert!(problem(Locale::ZhCn, &p).contains(t(Locale::ZhCn, "role.agent")), "{}", problem(Locale::ZhCn, &p));
    }

    #[test]
    fn the_problem_scan_finds_literal_codes_and_reports_those_without_wording() {
        let code = r#"
            DomainError::invalid("title", "too_long").with("max", 200);
            StoreError::invalid(format!("targets.{k}[{i}]"), "not_a_number");
            StoreError::from(e).unique("login", "MISSING");
            DomainError::forbidden("role_may_not");
            fn invalid(field: impl Into<String>, code: &'static str) {}
            // prose: is_invalid("Something else")
        "#
        .replace("MISSING", "no_such_problem_anywhere");
        let code = code.as_str();
        assert_eq!(problem_codes(code), vec!["too_long", "not_a_number", "role_may_not", "no_such_problem_anywhere"]);
        let dir = std::env::temp_dir().join(format!("yunwei-problems-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).expect("temp dir");
        std::fs::write(dir.join("src/lib.rs"), code).expect("write");
        let (used, unknown) = unknown_problems(&dir, &["src"], &[PLATFORM]);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(used, 4);
        assert_eq!(unknown.len(), 2, "{unknown:#?}");
        assert!(unknown.iter().all(|u| u.contains("problem.no_such_problem_anywhere")), "{unknown:#?}");
    }

    #[test]
    fn every_problem_the_platform_raises_is_worded_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = 0;
        for (crate_root, dirs) in [
            (root.to_path_buf(), ["src"]),
            (root.join("../yunwei-kernel"), ["src"]),
            (root.join("../yunwei-db"), ["src"]),
            (root.join("../yunwei-sheet"), ["src"]),
        ] {
            let (n, unknown) = unknown_problems(&crate_root, &dirs, &[PLATFORM]);
            assert!(unknown.is_empty(), "problems without wording: {unknown:#?}");
            used += n;
        }
        assert!(used > 30, "only {used} problem codes found; is the scan broken?");
    }

    #[test]
    fn role_names_have_labels() {
        use yunwei_kernel::permission::Role;
        for l in Locale::ALL {
            for r in Role::ALL {
                assert!(has(l, &format!("role.{r}")), "{} lacks role.{r}", l.as_str());
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
