//! Full-text search terms for Chinese and English text.
//!
//! Chinese is written without spaces, so a document is indexed as overlapping character
//! bigrams of each run of Chinese (or Japanese, Korean) characters — 打印机卡纸 gives 打印 印机
//! 机卡 卡纸 — and as whole lower-cased words elsewhere (VPN → vpn, PC-0231 → pc 0231). A query
//! goes through the same rules and every term must match: 打印机 needs 打印 and 印机, so it finds
//! 打印机 anywhere, and a two-character word such as 密码 is one term. This needs no dictionary
//! (nothing to load at start-up, nothing missing for product names or new jargon), at the price
//! of an occasional match across a word boundary. Latin words in a query match as prefixes
//! (print finds printer), a single Chinese character matches the bigrams that start with it.

/// One query term: the text of an index term, or the start of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub prefix: bool,
}

/// The longest word kept, in characters; longer runs (hashes, base64) are cut.
const MAX_WORD: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Cjk,
    Word,
    Separator,
}

fn class(c: char) -> Class {
    let cp = c as u32;
    let cjk = matches!(cp,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x2FA1F); // extensions B–F and supplements
    if cjk {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Separator
    }
}

/// Full-width ASCII (ＶＰＮ, １２３) as ASCII, then lower case.
fn normalise(c: char) -> impl Iterator<Item = char> {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_lowercase()
}

/// Runs of one class, in order: (class, characters).
fn runs(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut out: Vec<(Class, Vec<char>)> = Vec::new();
    for c in text.chars().flat_map(normalise) {
        let k = class(c);
        match out.last_mut() {
            Some((last, chars)) if *last == k && k != Class::Separator => chars.push(c),
            _ if k == Class::Separator => out.push((k, Vec::new())),
            _ => out.push((k, vec![c])),
        }
    }
    out.retain(|(k, chars)| *k != Class::Separator && !chars.is_empty());
    out
}

/// The terms of one run: bigrams (or the single character) of Chinese, the word itself
/// otherwise. A document also gets the last character of a Chinese run on its own, so that a
/// one-character query (a prefix) finds every character: each is either the start of a bigram
/// or the last of its run.
fn run_terms(class: Class, chars: &[char], document: bool) -> Vec<String> {
    match class {
        Class::Cjk if chars.len() == 1 => vec![chars[0].to_string()],
        Class::Cjk => {
            let mut terms: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
            if document {
                terms.extend(chars.last().map(|c| c.to_string()));
            }
            terms
        }
        _ => vec![chars.iter().take(MAX_WORD).collect()],
    }
}

/// The distinct index terms of some texts, joined by single spaces, in the order they first
/// appear: what the store indexes for a document.
pub fn document(texts: &[&str]) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    for text in texts {
        for (k, chars) in runs(text) {
            for term in run_terms(k, &chars, true) {
                if seen.insert(term.clone()) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&term);
                }
            }
        }
    }
    out
}

/// The terms a query needs, all of which must match; empty when the query has no letters,
/// digits or Chinese characters at all.
pub fn query(text: &str) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    for (k, chars) in runs(text) {
        let prefix = k == Class::Word || chars.len() == 1;
        for text in run_terms(k, &chars, false) {
            let term = Term { text, prefix };
            if !out.contains(&term) {
                out.push(term);
            }
        }
    }
    out
}

/// A query as an SQLite FTS5 expression: every term quoted, prefixes starred, joined by AND.
/// Terms hold only letters, digits and Chinese characters, so quoting cannot be broken out of.
pub fn fts5_expression(terms: &[Term]) -> String {
    terms.iter().map(|t| format!("\"{}\"{}", t.text, if t.prefix { "*" } else { "" })).collect::<Vec<_>>().join(" AND ")
}

/// A query as PostgreSQL `tsquery` input: every lexeme quoted as given, prefixes with `:*`.
pub fn tsquery_expression(terms: &[Term]) -> String {
    terms.iter().map(|t| format!("'{}'{}", t.text, if t.prefix { ":*" } else { "" })).collect::<Vec<_>>().join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(terms: &[Term]) -> Vec<&str> {
        terms.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn chinese_is_indexed_as_bigrams_and_english_as_words() {
        assert_eq!(document(&["打印机卡纸，无法打印"]), "打印 印机 机卡 卡纸 纸 无法 法打 印");
        assert_eq!(document(&["VPN connects but no intranet"]), "vpn connects but no intranet");
        assert_eq!(
            document(&["申请开通VPN账号", "IP 地址冲突 on PC-0231"]),
            "申请 请开 开通 通 vpn 账号 号 ip 地址 址冲 冲突 突 on pc 0231"
        );
    }

    #[test]
    fn full_width_letters_and_case_are_folded() {
        assert_eq!(document(&["ＶＰＮ Outlook"]), "vpn outlook");
        assert_eq!(texts(&query("OUTLOOK")), ["outlook"]);
    }

    #[test]
    fn a_two_character_word_is_one_term_and_longer_words_need_every_bigram() {
        assert_eq!(query("密码"), [Term { text: "密码".into(), prefix: false }]);
        assert_eq!(texts(&query("打印机")), ["打印", "印机"]);
        assert_eq!(query("网"), [Term { text: "网".into(), prefix: true }]);
        assert_eq!(query("print"), [Term { text: "print".into(), prefix: true }]);
    }

    #[test]
    fn punctuation_only_queries_have_no_terms() {
        assert!(query("  ,.!？（）%_").is_empty());
        assert_eq!(document(&["", "——"]), "");
    }

    #[test]
    fn expressions_quote_every_term() {
        let q = query("VPN 密码");
        assert_eq!(fts5_expression(&q), "\"vpn\"* AND \"密码\"");
        assert_eq!(tsquery_expression(&q), "'vpn':* & '密码'");
    }

    proptest! {
        /// Whatever a user types, every term is made of letters, digits or Chinese characters
        /// only (so the quoted expressions are safe); any piece of Chinese text finds the
        /// document it comes from, and so does the whole text of a mixed one.
        #[test]
        fn a_document_is_found_by_its_own_text(
            text in "[a-zA-Z0-9 打印机密码网络邮箱系统故障，。\"'*:&|()-]{0,40}",
            chinese in "[打印机密码网络邮箱系统故障]{1,20}",
            a in 0usize..20,
            len in 1usize..8,
        ) {
            let chars: Vec<char> = chinese.chars().collect();
            let start = a.min(chars.len() - 1);
            let piece: String = chars[start..(start + len).min(chars.len())].iter().collect();
            for (doc_text, q) in [(text.as_str(), text.as_str()), (chinese.as_str(), piece.as_str())] {
                let doc = document(&[doc_text]);
                let index: Vec<&str> = doc.split(' ').collect();
                for term in query(q) {
                    prop_assert!(term.text.chars().all(char::is_alphanumeric), "{:?}", term);
                    let found = index.iter().any(|i| if term.prefix { i.starts_with(&term.text) } else { *i == term.text });
                    prop_assert!(found, "{:?} of {:?} not in {:?}", term, q, doc);
                }
            }
        }
    }
}
