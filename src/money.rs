//! Money: an exact [`Decimal`] amount in an ISO 4217 currency.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal::{Decimal, DecimalError};
use crate::text::excerpt;

/// An ISO 4217 alphabetic currency code: three upper-case ASCII letters (`USD`, `INR`).
///
/// Only the shape is checked here; whether NetSuite knows the currency is a question
/// for the settings' currency map.
///
/// # Example
/// ```
/// use avc_order_sync::CurrencyCode;
/// let usd: CurrencyCode = "USD".parse()?;
/// assert_eq!(usd.as_str(), "USD");
/// assert!("usd".parse::<CurrencyCode>().is_err());
/// # Ok::<(), avc_order_sync::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes are checked ASCII letters on construction.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for CurrencyCode {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(CurrencyCode([*a, *b, *c]))
            }
            _ => Err(MoneyError::InvalidCurrency { input: excerpt(s) }),
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Errors from building or adding [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The text is not three upper-case ASCII letters.
    #[error("`{input}` is not an ISO 4217 currency code")]
    InvalidCurrency {
        /// The offending text, shortened when it is long.
        input: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: CurrencyCode,
        /// The currency of the right operand.
        right: CurrencyCode,
    },
    /// The decimal arithmetic overflowed.
    #[error(transparent)]
    Decimal(#[from] DecimalError),
}

/// An exact amount of money in one currency.
///
/// # Example
/// ```
/// use avc_order_sync::{Money, Decimal};
/// let rate = Money::new("9.50".parse()?, "USD".parse()?);
/// let line = rate.checked_mul_quantity(12)?;
/// assert_eq!(line.to_string(), "114.00 USD");
/// let eur = Money::new("1".parse()?, "EUR".parse()?);
/// assert!(line.checked_add(&eur).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Money {
    amount: Decimal,
    currency: CurrencyCode,
}

impl Money {
    /// An amount in a currency.
    pub const fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        Money { amount, currency }
    }

    /// The amount.
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub const fn currency(&self) -> CurrencyCode {
        self.currency
    }

    /// The sum of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] across currencies; [`MoneyError::Decimal`] on
    /// overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        Ok(Money::new(
            self.amount.checked_add(&other.amount)?,
            self.currency,
        ))
    }

    /// This amount times a whole quantity.
    ///
    /// # Errors
    /// [`MoneyError::Decimal`] on overflow.
    pub fn checked_mul_quantity(&self, quantity: i64) -> Result<Money, MoneyError> {
        Ok(Money::new(
            self.amount.checked_mul_quantity(quantity)?,
            self.currency,
        ))
    }

    /// Compares two amounts in the same currency; `None` across currencies.
    pub fn partial_cmp_amount(&self, other: &Money) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.amount.cmp(&other.amount))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        for ok in ["USD", "INR", "EUR"] {
            assert_eq!(ok.parse::<CurrencyCode>().unwrap().as_str(), ok);
        }
        for bad in ["", "US", "USDD", "usd", "U$D", "ÜSD"] {
            assert!(matches!(
                bad.parse::<CurrencyCode>(),
                Err(MoneyError::InvalidCurrency { .. })
            ));
        }
    }

    #[test]
    fn adding_across_currencies_is_refused() {
        let usd = Money::new("1.10".parse().unwrap(), "USD".parse().unwrap());
        let inr = Money::new("1".parse().unwrap(), "INR".parse().unwrap());
        assert_eq!(
            usd.checked_add(&inr),
            Err(MoneyError::CurrencyMismatch {
                left: usd.currency(),
                right: inr.currency()
            })
        );
        assert_eq!(usd.checked_add(&usd).unwrap().to_string(), "2.20 USD");
        assert_eq!(usd.partial_cmp_amount(&inr), None);
    }
}
