//! Identifiers, one newtype each, so a PO number and a SKU are never interchangeable.
//!
//! Every identifier is checked on construction: not empty, at most
//! [`MAX_ID_LEN`] bytes, no control characters. [`ExternalId`] is stricter, as NetSuite
//! is: letters, digits, `_` and `-` only.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::order::Program;
use crate::text::excerpt;

/// The longest identifier accepted, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Why text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is empty.
    #[error("{kind} is empty")]
    Empty {
        /// Which identifier (`purchase order number`, …).
        kind: &'static str,
    },
    /// The text is longer than [`MAX_ID_LEN`] bytes.
    #[error("{kind} `{input}` is longer than {max} bytes")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// The offending text, shortened.
        input: String,
        /// The limit.
        max: usize,
    },
    /// The text holds a character this identifier does not allow.
    #[error("{kind} `{input}` contains {found:?}, which is not allowed")]
    InvalidCharacter {
        /// Which identifier.
        kind: &'static str,
        /// The offending text, shortened.
        input: String,
        /// The first character refused.
        found: char,
    },
}

fn check(kind: &'static str, s: &str, allowed: fn(char) -> bool) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            input: excerpt(s),
            max: MAX_ID_LEN,
        });
    }
    if let Some(found) = s.chars().find(|c| !allowed(*c)) {
        return Err(IdError::InvalidCharacter {
            kind,
            input: excerpt(s),
            found,
        });
    }
    Ok(())
}

fn printable(c: char) -> bool {
    !c.is_control()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks and wraps a ", $kind, ".")]
            ///
            /// # Errors
            /// [`IdError`] when the text is empty, too long or holds a character not allowed.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check($kind, &value, $allowed)?;
                Ok(Self(value))
            }

            /// The identifier as text, verbatim.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier's text, taken out.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// An Amazon purchase order number (`purchaseOrderNumber`), kept verbatim.
    ///
    /// Amazon documents an 8-character code, but the sandbox sends `TestPO2` and
    /// `mock-purchaseOrderNumber1`, so the length is not enforced.
    PurchaseOrderNumber, "purchase order number", printable
);
id_type!(
    /// A party id (`partyId`): a vendor code for the selling party, a warehouse code
    /// for a Direct Fulfillment ship-from party, a fulfilment centre for a ship-to party.
    PartyId, "party id", printable
);
id_type!(
    /// An Amazon Standard Identification Number (`amazonProductIdentifier`,
    /// `buyerProductIdentifier`).
    Asin, "ASIN", printable
);
id_type!(
    /// The vendor's product identifier as Amazon holds it (`vendorProductIdentifier`):
    /// a SKU, EAN or UPC. An acknowledgement must echo it exactly.
    VendorSku, "vendor SKU", printable
);
id_type!(
    /// A PO line's `itemSequenceNumber`, kept verbatim: `"00001"` and `"1"` differ.
    ItemSequenceNumber, "item sequence number", printable
);
id_type!(
    /// The opaque id Amazon returns for a submitted acknowledgement batch.
    TransactionId, "transaction id", printable
);
id_type!(
    /// A NetSuite record's internal id, as taken from a `Location` header or a read.
    InternalId, "NetSuite internal id", printable
);
id_type!(
    /// A NetSuite external id: letters, digits, `_` and `-` only, so it is safe in an
    /// `eid:` URL.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::ExternalId;
    /// assert!(ExternalId::new("AVC-RP-4Z32PABC").is_ok());
    /// assert!(ExternalId::new("AVC|RP|4Z32PABC").is_err());
    /// ```
    ExternalId, "NetSuite external id", |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-'
);

/// The NetSuite external id of the sales order for a PO: `AVC-<program>-<PO number>`,
/// such as `AVC-RP-4Z32PABC`.
///
/// Stable (the same PO always gives the same id, so creation is idempotent) and
/// distinct per program and PO number. Characters NetSuite does not allow in an
/// external id are written as `_` and two hex digits per byte (`_` itself as `_5F`),
/// so two PO numbers never share an id; a PO number too long for the limit is cut and
/// followed by a hash of the whole number.
///
/// # Example
/// ```
/// use avc_order_sync::{external_id, Program, PurchaseOrderNumber};
/// let po = PurchaseOrderNumber::new("4Z32PABC")?;
/// assert_eq!(external_id(Program::RetailProcurement, &po).as_str(), "AVC-RP-4Z32PABC");
/// let odd = PurchaseOrderNumber::new("PO 7_1")?;
/// assert_eq!(external_id(Program::DirectFulfillment, &odd).as_str(), "AVC-DF-PO_207_5F1");
/// # Ok::<(), avc_order_sync::IdError>(())
/// ```
pub fn external_id(program: Program, number: &PurchaseOrderNumber) -> ExternalId {
    let mut escaped = String::new();
    for byte in number.as_str().bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("_{byte:02X}"));
        }
    }
    let prefix = format!("AVC-{}-", program.code());
    let mut id = format!("{prefix}{escaped}");
    if id.len() > MAX_ID_LEN {
        let keep = MAX_ID_LEN.saturating_sub(prefix.len() + 17);
        let head = escaped.get(..keep).unwrap_or("");
        id = format!(
            "{prefix}{head}-{:016X}",
            fnv1a64(number.as_str().as_bytes())
        );
    }
    // Only ASCII letters, digits, `-` and `_` are written, within the length limit, so
    // the fallbacks are never taken; they keep this function total without a panic.
    ExternalId::new(id)
        .or_else(|_| {
            ExternalId::new(format!(
                "AVC-{}-{:016X}",
                program.code(),
                fnv1a64(number.as_str().as_bytes())
            ))
        })
        .unwrap_or_else(|_| always_valid_external_id())
}

#[cold]
fn always_valid_external_id() -> ExternalId {
    match ExternalId::new("AVC") {
        Ok(id) => id,
        // `AVC` is three ASCII letters: valid by construction.
        Err(_) => always_valid_external_id(),
    }
}

/// FNV-1a, 64 bits: a stable hash (unlike `std`'s, which may change between releases),
/// for external ids and retry jitter.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_kept_verbatim() {
        let seq = ItemSequenceNumber::new("00001").unwrap();
        assert_eq!(seq.as_str(), "00001");
        assert_ne!(seq, ItemSequenceNumber::new("1").unwrap());
        assert_eq!(
            serde_json::to_string(&PurchaseOrderNumber::new("2JK3S9VC").unwrap()).unwrap(),
            "\"2JK3S9VC\""
        );
    }

    #[test]
    fn external_ids_allow_only_letters_digits_underscore_and_hyphen() {
        for ok in ["AVC-RP-4Z32PABC", "a_b-9", "X"] {
            assert!(ExternalId::new(ok).is_ok(), "{ok}");
        }
        for (bad, found) in [
            ("a|b", '|'),
            ("a b", ' '),
            ("a/b", '/'),
            ("é", 'é'),
            ("a:b", ':'),
        ] {
            assert_eq!(
                ExternalId::new(bad),
                Err(IdError::InvalidCharacter {
                    kind: "NetSuite external id",
                    input: bad.into(),
                    found
                })
            );
        }
        assert_eq!(
            ExternalId::new(""),
            Err(IdError::Empty {
                kind: "NetSuite external id"
            })
        );
    }

    #[test]
    fn empty_long_and_control_text_is_refused() {
        assert!(PurchaseOrderNumber::new("").is_err());
        assert!(PurchaseOrderNumber::new("a\nb").is_err());
        assert!(matches!(
            VendorSku::new("x".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong { .. })
        ));
        assert!(serde_json::from_str::<Asin>("\"\"").is_err());
    }

    #[test]
    fn external_ids_are_stable_distinct_and_valid() {
        let po = |s: &str| PurchaseOrderNumber::new(s).unwrap();
        assert_eq!(
            external_id(Program::RetailProcurement, &po("4Z32PABC")).as_str(),
            "AVC-RP-4Z32PABC"
        );
        assert_ne!(
            external_id(Program::RetailProcurement, &po("A B")),
            external_id(Program::RetailProcurement, &po("A_B"))
        );
        assert_ne!(
            external_id(Program::RetailProcurement, &po("X")),
            external_id(Program::DirectFulfillment, &po("X"))
        );
        let long = po(&"é".repeat(60));
        let id = external_id(Program::DirectFulfillment, &long);
        assert!(id.as_str().len() <= MAX_ID_LEN);
        assert_eq!(id, external_id(Program::DirectFulfillment, &long));
    }
}
