//! The conversion helpers both programs share: a field the sync needs, a field it can
//! do without, and text that must not be blank.

use std::fmt;

use crate::order::Problems;

/// Parses a value the sync needs, recording it as missing or invalid.
pub(crate) fn required<T, E: fmt::Display>(
    p: &mut Problems,
    value: Option<&str>,
    line: Option<&str>,
    field: impl fmt::Display + Copy,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let text = p.require(value, line, field)?;
    p.check(parse(text), line, field)
}

/// An optional field: `Some(None)` when absent, `None` when present and refused (the
/// refusal recorded), so a caller that builds with `?` stops at a refused value.
pub(crate) fn optional_or_refused<T, E: fmt::Display>(
    p: &mut Problems,
    value: Option<&str>,
    line: Option<&str>,
    field: impl fmt::Display + Copy,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(text) => p.check(parse(text), line, field).map(Some),
    }
}

/// An optional field, `None` both when absent and when refused. For a caller that
/// builds the order either way: the refusal is recorded, and a recorded problem fails
/// the whole conversion, so the `None` of a refused value never reaches an order.
pub(crate) fn optional<T, E: fmt::Display>(
    p: &mut Problems,
    value: Option<&str>,
    line: Option<&str>,
    field: impl fmt::Display + Copy,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    optional_or_refused(p, value, line, field, parse).flatten()
}

/// Text that must not be blank (an address's name and first line, a Direct
/// Fulfillment `customerOrderNumber` or `shipMethod`).
pub(crate) fn non_blank(text: &str) -> Result<String, &'static str> {
    if text.trim().is_empty() {
        Err("the value is blank")
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::ProblemKind;

    fn parse_even(text: &str) -> Result<u32, String> {
        match text.parse::<u32>() {
            Ok(n) if n % 2 == 0 => Ok(n),
            _ => Err(format!("`{text}` is not even")),
        }
    }

    fn kinds(p: Problems) -> Vec<ProblemKind> {
        match p.finish::<()>(Some(())) {
            Ok(()) => Vec::new(),
            Err(e) => e.problems.into_iter().map(|p| p.kind).collect(),
        }
    }

    #[test]
    fn a_required_field_is_missing_invalid_or_taken() {
        let mut p = Problems::new(Some("PO1"));
        assert_eq!(required(&mut p, Some("4"), None, "f", parse_even), Some(4));
        assert!(p.is_empty());
        assert_eq!(required(&mut p, None, Some("1"), "f", parse_even), None);
        assert_eq!(required(&mut p, Some("3"), None, "f", parse_even), None);
        assert_eq!(
            kinds(p),
            [
                ProblemKind::Missing,
                ProblemKind::Invalid {
                    reason: "`3` is not even".into()
                }
            ]
        );
    }

    #[test]
    fn an_optional_field_tells_absent_from_refused_only_where_asked() {
        let mut p = Problems::new(Some("PO1"));
        assert_eq!(
            optional_or_refused(&mut p, None, None, "f", parse_even),
            Some(None)
        );
        assert_eq!(optional(&mut p, None, None, "f", parse_even), None);
        assert!(p.is_empty());
        assert_eq!(
            optional_or_refused(&mut p, Some("2"), None, "f", parse_even),
            Some(Some(2))
        );
        assert_eq!(optional(&mut p, Some("2"), None, "f", parse_even), Some(2));
        assert!(p.is_empty());
        assert_eq!(
            optional_or_refused(&mut p, Some("3"), None, "f", parse_even),
            None
        );
        assert_eq!(optional(&mut p, Some("5"), None, "f", parse_even), None);
        assert_eq!(kinds(p).len(), 2);
    }

    #[test]
    fn blank_text_is_refused() {
        assert_eq!(non_blank(" x "), Ok(" x ".to_owned()));
        assert_eq!(non_blank(""), Err("the value is blank"));
        assert_eq!(non_blank(" \t"), Err("the value is blank"));
    }
}
