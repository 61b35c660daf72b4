//! Text for messages: untrusted input shortened to an excerpt, and lists written with
//! a separator.

use std::fmt;

/// Shortens untrusted text for an error message, so a megabyte string never ends up
/// copied into an error.
pub(crate) fn excerpt(input: &str) -> String {
    const KEEP: usize = 40;
    if input.len() <= KEEP {
        return input.to_owned();
    }
    let mut end = KEEP;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &input[..end], input.len())
}

/// Writes each item's `Display`, with `separator` between them (nothing for an empty
/// list).
pub(crate) struct Joined<'a, T>(pub(crate) &'a [T], pub(crate) &'static str);

impl<T: fmt::Display> fmt::Display for Joined<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_and_long_text_cut_at_a_character_boundary() {
        assert_eq!(excerpt("4Z32PABC"), "4Z32PABC");
        let long = "é".repeat(30);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"é".repeat(20)));
        assert!(cut.ends_with("… (60 bytes)"), "{cut}");
        assert_eq!(excerpt(&"a".repeat(40)), "a".repeat(40));
    }

    #[test]
    fn lists_are_joined_with_their_separator() {
        assert_eq!(Joined(&["a", "b", "c"], "; ").to_string(), "a; b; c");
        assert_eq!(Joined(&[1], ", ").to_string(), "1");
        assert_eq!(Joined::<u8>(&[], ", ").to_string(), "");
    }
}
