//! Asset tags (资产标签) and the rule that makes them.
//!
//! A rule is a pattern of literal text and placeholders, each `{name:N}` with a width N of 1–9
//! digits:
//!
//! - `{building:N}`, `{floor:N}`, `{room:N}`: the number in that part of the asset's
//!   location — its digits, so `3号楼` is 3, `F12` is 12 and `0210` is 210 — zero-padded to N
//!   digits. A part without digits, or with more than N, cannot make a tag (the caller gives
//!   the tag by hand or changes the rule).
//! - `{seq:N}`: the next number for the tag's prefix (the tag with the sequence left out),
//!   zero-padded to N digits (more digits once it runs past 10^N − 1, so tags stay unique).
//!   Exactly one per rule.
//!
//! Literal text is letters, digits and `-`, `_`, `.`, `/`. The installation's default is the
//! seeds' building-floor-room form `DZZXXXX-YYY`, [`DEFAULT`] =
//! `D{building:2}{floor:2}{room:2}-{seq:3}`: building 1, floor 2, room 10, the ninth asset
//! there → `D010210-009`.

use yunwei_kernel::DomainError;

/// The rule used until an administrator sets another.
pub const DEFAULT: &str = "D{building:2}{floor:2}{room:2}-{seq:3}";

/// The longest tag, given or generated.
pub const MAX_LEN: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Place(Field, usize),
    Seq(usize),
}

/// Which part of a location a placeholder takes its number from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Building,
    Floor,
    Room,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Building => "building",
            Field::Floor => "floor",
            Field::Room => "room",
        }
    }
}

/// A parsed tag rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
    text: String,
}

/// The location parts a tag is made from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    pub building: &'a str,
    pub floor: &'a str,
    pub room: &'a str,
}

/// A rule filled in for one place: the tag is `before`, the sequence number padded to
/// `width`, then `after`. `key()` names the counter the number comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub before: String,
    pub width: usize,
    pub after: String,
}

impl Filled {
    /// The counter's name: the tag with `{seq}` where the number goes.
    pub fn key(&self) -> String {
        format!("{}{{seq}}{}", self.before, self.after)
    }

    pub fn tag(&self, seq: u64) -> String {
        format!("{}{:0width$}{}", self.before, seq, self.after, width = self.width)
    }
}

fn literal_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./".contains(c)
}

/// The number in a location part: its digits read together (`3号楼` → 3), none → `None`.
pub fn number(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() { None } else { digits.trim_start_matches('0').parse().ok().or(Some(0)) }
}

impl Pattern {
    /// Parses a rule; refusals name `field` (`pattern`).
    pub fn parse(field: &str, text: &str) -> Result<Pattern, DomainError> {
        let bad = |why: &'static str| DomainError::invalid(field, why).with("value", text.trim());
        let t = text.trim();
        let mut parts = Vec::new();
        let mut rest = t;
        let mut seqs = 0;
        while !rest.is_empty() {
            if let Some(after_brace) = rest.strip_prefix('{') {
                let end = after_brace.find('}').ok_or_else(|| bad("tag_rule_format"))?;
                let (name, width) = after_brace[..end].split_once(':').ok_or_else(|| bad("tag_rule_format"))?;
                let width: usize = width.parse().map_err(|_| bad("tag_rule_format"))?;
                if !(1..=9).contains(&width) {
                    return Err(bad("tag_rule_format"));
                }
                parts.push(match name {
                    "building" => Part::Place(Field::Building, width),
                    "floor" => Part::Place(Field::Floor, width),
                    "room" => Part::Place(Field::Room, width),
                    "seq" => {
                        seqs += 1;
                        Part::Seq(width)
                    }
                    _ => return Err(bad("tag_rule_format")),
                });
                rest = &after_brace[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let lit = &rest[..end];
                if !lit.chars().all(literal_ok) {
                    return Err(bad("tag_rule_format"));
                }
                parts.push(Part::Text(lit.to_string()));
                rest = &rest[end..];
            }
        }
        if seqs != 1 {
            return Err(bad("tag_rule_needs_one_seq"));
        }
        Ok(Pattern { parts, text: t.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the rule takes numbers from the asset's location.
    pub fn needs_place(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Place(..)))
    }

    /// The rule filled in for `place`; refusals name `location_id`.
    pub fn fill(&self, place: Option<Place<'_>>) -> Result<Filled, DomainError> {
        let mut out = Filled { before: String::new(), width: 0, after: String::new() };
        let mut seen_seq = false;
        for part in &self.parts {
            let piece = match part {
                Part::Text(t) => t.clone(),
                Part::Seq(w) => {
                    out.width = *w;
                    seen_seq = true;
                    continue;
                }
                Part::Place(field, width) => {
                    let place = place.ok_or_else(|| DomainError::invalid("location_id", "tag_needs_location"))?;
                    let text = match field {
                        Field::Building => place.building,
                        Field::Floor => place.floor,
                        Field::Room => place.room,
                    };
                    let n = number(text).ok_or_else(|| {
                        DomainError::invalid("location_id", "tag_place_not_numbered")
                            .with("part_key", format!("asset.{}", field.as_str()))
                            .with("value", text)
                    })?;
                    let s = format!("{n:0width$}", width = *width);
                    if s.len() > *width {
                        return Err(DomainError::invalid("location_id", "tag_place_too_wide")
                            .with("part_key", format!("asset.{}", field.as_str()))
                            .with("value", text)
                            .with("max", width));
                    }
                    s
                }
            };
            if seen_seq { out.after.push_str(&piece) } else { out.before.push_str(&piece) }
        }
        Ok(out)
    }
}

/// A tag given by hand: 1–40 letters, digits and `-`, `_`, `.`, `/`.
pub fn given(text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::invalid("tag", "required"));
    }
    if t.chars().count() > MAX_LEN {
        return Err(DomainError::invalid("tag", "too_long").with("max", MAX_LEN));
    }
    if !t.chars().all(literal_ok) {
        return Err(DomainError::invalid("tag", "asset_tag_format").with("value", t));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place<'a>(building: &'a str, floor: &'a str, room: &'a str) -> Place<'a> {
        Place { building, floor, room }
    }

    #[test]
    fn the_default_rule_makes_the_seeds_form() {
        let p = Pattern::parse("pattern", DEFAULT).unwrap();
        assert!(p.needs_place());
        let f = p.fill(Some(place("1号楼", "2", "10"))).unwrap();
        assert_eq!(f.tag(9), "D010210-009");
        assert_eq!(f.key(), "D010210-{seq}");
        assert_eq!(f.tag(1234), "D010210-1234", "past the width the number grows");
        assert_eq!(
            p.fill(Some(place("B3", "F12", "0210"))).map(|f| f.tag(1)).unwrap_err().field_code(),
            ("location_id", "tag_place_too_wide")
        );
        let no_digits = p.fill(Some(place("数据中心", "1", "1"))).unwrap_err();
        assert_eq!(no_digits.field_code(), ("location_id", "tag_place_not_numbered"));
        assert_eq!(p.fill(None).unwrap_err().field_code(), ("location_id", "tag_needs_location"));
    }

    #[test]
    fn rules_without_places_and_bad_rules() {
        let p = Pattern::parse("pattern", "IT-{seq:5}").unwrap();
        assert!(!p.needs_place());
        assert_eq!(p.fill(None).unwrap().tag(42), "IT-00042");
        for bad in ["IT-", "{seq:3}{seq:3}", "{seq:0}", "{seq:10}", "{seq}", "{desk:2}{seq:2}", "A B{seq:2}", "{seq:2"]
        {
            let e = Pattern::parse("pattern", bad).unwrap_err();
            assert_eq!(e.field_code().0, "pattern", "{bad}");
        }
        assert_eq!(given(" PC-001 ").unwrap(), "PC-001");
        assert!(given("PC 001").is_err() && given("").is_err() && given(&"A".repeat(41)).is_err());
        assert_eq!(number("3号楼"), Some(3));
        assert_eq!(number("00"), Some(0));
        assert_eq!(number("大厅"), None);
    }

    trait FieldCode {
        fn field_code(&self) -> (&str, &'static str);
    }
    impl FieldCode for DomainError {
        fn field_code(&self) -> (&str, &'static str) {
            match self {
                DomainError::Invalid(f) => (f.field.as_str(), f.problem.code),
                other => panic!("not invalid: {other:?}"),
            }
        }
    }

    proptest! {
        /// Different places or sequence numbers never make the same tag.
        #[test]
        fn tags_are_unique_per_place_and_number(
            a in (0u64..100, 0u64..100, 0u64..100, 1u64..5000),
            b in (0u64..100, 0u64..100, 0u64..100, 1u64..5000),
        ) {
            let p = Pattern::parse("pattern", DEFAULT).unwrap();
            let make = |(bu, fl, ro, seq): (u64, u64, u64, u64)| {
                let (bu, fl, ro) = (bu.to_string(), fl.to_string(), ro.to_string());
                p.fill(Some(place(&bu, &fl, &ro))).unwrap().tag(seq)
            };
            prop_assert_eq!(make(a) == make(b), a == b);
        }
    }
}
