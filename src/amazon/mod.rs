//! Amazon SP-API wire types, exactly as Amazon's models spell them.
//!
//! Received types are lenient: every field the sync can live without is `Option`,
//! dates and decimals are kept as the text Amazon sent (parsed once, in the conversion
//! to [`crate::PurchaseOrder`], so one bad value sets aside one order and not a page),
//! and enums keep values this version does not know. Sent types are strict: exact field
//! names and enum spellings, `None` omitted, no extra fields.

mod convert;
pub mod direct_fulfillment;
pub mod error;
pub mod retail;
pub mod transaction;

/// Declares a received enum that keeps any value it does not know.
///
/// Canonical spellings deserialize to their variant; anything else is kept verbatim in
/// `Other`, so a round trip writes back exactly what was read. [`known`] maps a
/// spelling that differs only in case (Amazon's own `CASES`, `EACH`) to its variant.
macro_rules! lenient_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The spelling on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(s) => s,
                }
            }

            /// The known variant this value means, matching Amazon's case variants
            /// (`CASES` for `Cases`); `None` for an unknown value.
            pub fn known(&self) -> Option<$name> {
                match self {
                    $name::Other(s) => {
                        $( if s.eq_ignore_ascii_case($text) { return Some($name::$variant); } )+
                        None
                    }
                    known => Some(known.clone()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Ok($name::from(&*s))
            }
        }
    };
}
pub(crate) use lenient_enum;

#[cfg(test)]
#[allow(unreachable_pub)] // the macro writes `pub`; the test enum is private to this module
mod tests {
    lenient_enum! {
        /// Test enum.
        pub enum Unit {
            /// Cases.
            Cases = "Cases",
            /// Eaches.
            Eaches = "Eaches",
        }
    }

    #[test]
    fn lenient_enums_keep_what_they_read() {
        let read: Vec<Unit> = serde_json::from_str(r#"["Cases","CASES","Pallets"]"#).unwrap();
        assert_eq!(read[0], Unit::Cases);
        assert_eq!(read[1], Unit::Other("CASES".into()));
        assert_eq!(read[1].known(), Some(Unit::Cases));
        assert_eq!(read[2].known(), None);
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"["Cases","CASES","Pallets"]"#
        );
    }
}
