//! Exact decimal numbers for money.
//!
//! Amazon sends prices as JSON strings matching
//! `^-?(0|([1-9]\d*))(\.\d+)?([eE][+-]?\d+)?$`. [`Decimal`] parses every such string
//! into an integer mantissa and a scale, keeps the scale (`"110.00"` is written back as
//! `"110.00"`), and never passes through `f64`. NetSuite takes and returns `rate` and
//! `amount` as JSON numbers; [`json_number`] converts at that edge and refuses a value
//! that a JSON number would not carry exactly.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::excerpt;

/// The largest number of digits after the decimal point a [`Decimal`] keeps.
pub const MAX_SCALE: u32 = 28;

/// The largest exponent magnitude accepted in exponent notation (`1.5E+2`).
///
/// A mantissa of at most 38 digits cannot be shifted further than this and still fit,
/// so a larger exponent is refused before any work is done for it.
const MAX_EXPONENT: u32 = 76;

/// The longest input text [`Decimal::from_str`] will look at. A value with more
/// characters than this cannot fit the mantissa, so it is refused at once.
const MAX_INPUT_LEN: usize = 128;

/// An exact decimal number: `mantissa × 10^-scale`.
///
/// Equality and ordering are numeric (`110.00 == 110`); [`Decimal::scale`] tells the
/// written precision, which [`fmt::Display`] keeps.
///
/// # Example
/// ```
/// use avc_order_sync::Decimal;
///
/// let cost: Decimal = "110.00".parse()?;
/// assert_eq!(cost.to_string(), "110.00");
/// assert_eq!(cost, "110".parse::<Decimal>()?);
/// assert_eq!("1.5E+2".parse::<Decimal>()?.to_string(), "150");
/// assert_eq!(cost.checked_mul_quantity(3)?.to_string(), "330.00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// The powers of ten a double holds exactly (10^22 is the last).
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Why a string is not a decimal, or an operation has no exact result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text does not match Amazon's `Decimal` pattern.
    #[error("`{input}` is not a decimal number: {reason}")]
    Syntax {
        /// The offending text, shortened when it is long.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text is a well-formed decimal that has more digits than this type keeps.
    #[error("`{input}` is out of range for an exact decimal")]
    OutOfRange {
        /// The offending text, shortened when it is long.
        input: String,
    },
    /// Checked arithmetic overflowed.
    #[error("decimal arithmetic overflowed: {operation}")]
    Overflow {
        /// The operation, written out (`"12.5 × 3"`).
        operation: String,
    },
    /// A division has no exact decimal result: the divisor is zero, or the quotient
    /// repeats or needs more digits than this type keeps.
    #[error("`{operation}` has no exact decimal result")]
    NotExact {
        /// The operation, written out (`"1 ÷ 3"`).
        operation: String,
    },
    /// The value cannot travel as a JSON number without changing.
    #[error("`{value}` cannot be written as a JSON number without rounding")]
    NotExactInJson {
        /// The decimal that would have been rounded.
        value: String,
    },
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

impl Decimal {
    /// Zero, written `0`.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// Builds `mantissa × 10^-scale`.
    ///
    /// # Errors
    /// [`DecimalError::OutOfRange`] when `scale` exceeds [`MAX_SCALE`].
    pub fn new(mantissa: i128, scale: u32) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::OutOfRange {
                input: format!("{mantissa}e-{scale}"),
            });
        }
        Ok(Decimal { mantissa, scale })
    }

    /// A whole number.
    pub const fn from_integer(value: i64) -> Self {
        Decimal {
            mantissa: value as i128,
            scale: 0,
        }
    }

    /// The integer mantissa: the value is `mantissa × 10^-scale`.
    pub const fn mantissa(&self) -> i128 {
        self.mantissa
    }

    /// The number of digits written after the decimal point.
    pub const fn scale(&self) -> u32 {
        self.scale
    }

    /// `true` when the value is zero.
    pub const fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// `true` when the value is below zero.
    pub const fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// `true` when the value is above zero.
    pub const fn is_positive(&self) -> bool {
        self.mantissa > 0
    }

    /// The same value written with `scale` digits after the point.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] when the rescaled mantissa does not fit, or when
    /// lowering the scale would drop non-zero digits.
    pub fn with_scale(&self, scale: u32) -> Result<Self, DecimalError> {
        let overflow = || DecimalError::Overflow {
            operation: format!("{self} to {scale} decimal places"),
        };
        if scale > MAX_SCALE {
            return Err(overflow());
        }
        if scale >= self.scale {
            let factor = pow10(scale - self.scale).ok_or_else(overflow)?;
            let mantissa = self.mantissa.checked_mul(factor).ok_or_else(overflow)?;
            Ok(Decimal { mantissa, scale })
        } else {
            let factor = pow10(self.scale - scale).ok_or_else(overflow)?;
            if self.mantissa % factor != 0 {
                return Err(overflow());
            }
            Ok(Decimal {
                mantissa: self.mantissa / factor,
                scale,
            })
        }
    }

    /// The same value with trailing zeros after the point removed (`"110.00"` → `"110"`).
    pub fn normalized(&self) -> Self {
        let mut d = *self;
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    /// `self + other`, keeping the larger scale.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] when the sum does not fit.
    pub fn checked_add(&self, other: &Decimal) -> Result<Self, DecimalError> {
        let scale = self.scale.max(other.scale);
        let overflow = || DecimalError::Overflow {
            operation: format!("{self} + {other}"),
        };
        let a = self.with_scale(scale).map_err(|_| overflow())?;
        let b = other.with_scale(scale).map_err(|_| overflow())?;
        let mantissa = a.mantissa.checked_add(b.mantissa).ok_or_else(overflow)?;
        Ok(Decimal { mantissa, scale })
    }

    /// `self - other`, keeping the larger scale.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] when the difference does not fit.
    pub fn checked_sub(&self, other: &Decimal) -> Result<Self, DecimalError> {
        let negated = Decimal {
            mantissa: other
                .mantissa
                .checked_neg()
                .ok_or_else(|| DecimalError::Overflow {
                    operation: format!("{self} - {other}"),
                })?,
            scale: other.scale,
        };
        self.checked_add(&negated)
            .map_err(|_| DecimalError::Overflow {
                operation: format!("{self} - {other}"),
            })
    }

    /// `self × quantity`, for a line amount (`rate × quantity`). The scale is kept.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] when the product does not fit.
    pub fn checked_mul_quantity(&self, quantity: i64) -> Result<Self, DecimalError> {
        let mantissa = self
            .mantissa
            .checked_mul(i128::from(quantity))
            .ok_or_else(|| DecimalError::Overflow {
                operation: format!("{self} × {quantity}"),
            })?;
        Ok(Decimal {
            mantissa,
            scale: self.scale,
        })
    }

    /// `self × other`, exactly, with trailing zeros after the point removed.
    ///
    /// # Errors
    /// [`DecimalError::Overflow`] when the product does not fit.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::Decimal;
    /// let per_pound: Decimal = "3.10".parse()?;
    /// let pounds: Decimal = "2.5".parse()?;
    /// assert_eq!(per_pound.checked_mul(&pounds)?.to_string(), "7.75");
    /// # Ok::<(), avc_order_sync::DecimalError>(())
    /// ```
    pub fn checked_mul(&self, other: &Decimal) -> Result<Self, DecimalError> {
        self.exact_product(other)
            .ok_or_else(|| DecimalError::Overflow {
                operation: format!("{self} × {other}"),
            })
    }

    fn exact_product(&self, other: &Decimal) -> Option<Decimal> {
        let (a, b) = (self.normalized(), other.normalized());
        let mantissa = a.mantissa.checked_mul(b.mantissa)?;
        let scale = a.scale.checked_add(b.scale)?;
        Decimal::new(mantissa, scale).ok().map(|d| d.normalized())
    }

    /// `self ÷ divisor` when the quotient has a finite decimal expansion that fits. A
    /// repeating quotient would have to be rounded, which is a guess, so it is refused.
    ///
    /// # Errors
    /// [`DecimalError::NotExact`] when the divisor is zero, or the quotient repeats or
    /// does not fit.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::Decimal;
    /// let ten: Decimal = "10".parse()?;
    /// assert_eq!(ten.checked_div_exact(&"0.4".parse()?)?.to_string(), "25");
    /// assert!(ten.checked_div_exact(&"3".parse()?).is_err());
    /// # Ok::<(), avc_order_sync::DecimalError>(())
    /// ```
    pub fn checked_div_exact(&self, divisor: &Decimal) -> Result<Self, DecimalError> {
        self.exact_quotient(divisor)
            .ok_or_else(|| DecimalError::NotExact {
                operation: format!("{self} ÷ {divisor}"),
            })
    }

    fn exact_quotient(&self, divisor: &Decimal) -> Option<Decimal> {
        let (a, b) = (self.normalized(), divisor.normalized());
        if b.is_zero() {
            return None;
        }
        let mut numerator = a.mantissa;
        for extra in 0..=MAX_SCALE {
            if numerator.checked_rem(b.mantissa)? == 0 {
                let quotient = numerator.checked_div(b.mantissa)?;
                let scale = i64::from(a.scale) + i64::from(extra) - i64::from(b.scale);
                return if scale >= 0 {
                    Decimal::new(quotient, u32::try_from(scale).ok()?).ok()
                } else {
                    let factor = pow10(u32::try_from(-scale).ok()?)?;
                    Decimal::new(quotient.checked_mul(factor)?, 0).ok()
                };
            }
            numerator = numerator.checked_mul(10)?;
        }
        None
    }

    /// Parses a JSON number's text as NetSuite sends it. Integers are exact; a
    /// fractional number arrives as `f64` from the JSON reader and is taken at its
    /// shortest round-trip spelling, which is the text NetSuite wrote for any value
    /// with up to 15 significant digits.
    ///
    /// # Errors
    /// [`DecimalError::OutOfRange`] for a value beyond the decimal's range.
    pub fn from_json_number(number: &serde_json::Number) -> Result<Self, DecimalError> {
        if let Some(i) = number.as_i64() {
            return Ok(Decimal::from_integer(i));
        }
        if let Some(u) = number.as_u64() {
            return Ok(Decimal {
                mantissa: i128::from(u),
                scale: 0,
            });
        }
        match number.as_f64() {
            Some(f) => Self::from_f64_shortest(f),
            None => Err(DecimalError::OutOfRange {
                input: excerpt(&number.to_string()),
            }),
        }
    }

    fn from_f64_shortest(f: f64) -> Result<Self, DecimalError> {
        if !f.is_finite() {
            return Err(DecimalError::OutOfRange {
                input: f.to_string(),
            });
        }
        // `Display` for f64 prints the shortest digits that read back as the same f64,
        // never in exponent form.
        let text = f.to_string();
        text.parse::<Decimal>()
            .map_err(|_| DecimalError::OutOfRange {
                input: excerpt(&text),
            })
    }

    /// The JSON number NetSuite is sent for this value.
    ///
    /// # Errors
    /// [`DecimalError::NotExactInJson`] when the number NetSuite would read is not this
    /// value (more significant digits than a JSON number carries exactly).
    pub fn to_json_number(&self) -> Result<serde_json::Number, DecimalError> {
        let not_exact = || DecimalError::NotExactInJson {
            value: self.to_string(),
        };
        if self.scale == 0 {
            if let Ok(i) = i64::try_from(self.mantissa) {
                return Ok(serde_json::Number::from(i));
            }
        }
        // Up to 15 significant digits and a power of ten a double holds exactly: the
        // mantissa and the power are exact doubles, IEEE division rounds their quotient
        // correctly (to the double the text would parse to), and any decimal of 15
        // significant digits reads back from its nearest double unchanged. So the
        // check below could not fail: skip its formatting and parsing.
        if self.mantissa.unsigned_abs() < 1_000_000_000_000_000 {
            if let Some(power) = EXACT_POWERS_OF_TEN.get(self.scale as usize) {
                let f = self.mantissa as f64 / power;
                return serde_json::Number::from_f64(f).ok_or_else(not_exact);
            }
        }
        self.json_number_through_text()
    }

    /// [`Decimal::to_json_number`] the long way: through the float's shortest text.
    fn json_number_through_text(&self) -> Result<serde_json::Number, DecimalError> {
        let not_exact = || DecimalError::NotExactInJson {
            value: self.to_string(),
        };
        // Rust's float parser rounds correctly; the value is exact when reading the
        // float back at its shortest spelling gives this number again.
        let f: f64 = self.to_string().parse().map_err(|_| not_exact())?;
        let back = Self::from_f64_shortest(f).map_err(|_| not_exact())?;
        if back != *self {
            return Err(not_exact());
        }
        serde_json::Number::from_f64(f).ok_or_else(not_exact)
    }

    fn parse_text(s: &str) -> Result<Self, DecimalError> {
        let syntax = |reason| DecimalError::Syntax {
            input: excerpt(s),
            reason,
        };
        if s.is_empty() {
            return Err(syntax("empty"));
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let negative = bytes[0] == b'-';
        if negative {
            i += 1;
        }
        let int_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_digits = &bytes[int_start..i];
        if int_digits.is_empty() {
            return Err(syntax("expected a digit"));
        }
        if int_digits.len() > 1 && int_digits[0] == b'0' {
            return Err(syntax("leading zero"));
        }
        let mut frac_digits: &[u8] = &[];
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_digits = &bytes[start..i];
            if frac_digits.is_empty() {
                return Err(syntax("expected a digit after `.`"));
            }
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let exp_digits = &bytes[start..i];
            if exp_digits.is_empty() {
                return Err(syntax("expected a digit in the exponent"));
            }
            if i != bytes.len() {
                return Err(syntax("unexpected character"));
            }
            let mut magnitude: u32 = 0;
            for &d in exp_digits {
                magnitude = magnitude * 10 + u32::from(d - b'0');
                if magnitude > MAX_EXPONENT {
                    return Err(DecimalError::OutOfRange { input: excerpt(s) });
                }
            }
            exponent = if exp_negative {
                -i64::from(magnitude)
            } else {
                i64::from(magnitude)
            };
        }
        if i != bytes.len() {
            return Err(syntax("unexpected character"));
        }
        if s.len() > MAX_INPUT_LEN {
            return Err(DecimalError::OutOfRange { input: excerpt(s) });
        }
        let out_of_range = || DecimalError::OutOfRange { input: excerpt(s) };
        let mut mantissa: i128 = 0;
        for &d in int_digits.iter().chain(frac_digits) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(d - b'0')))
                .ok_or_else(out_of_range)?;
        }
        if negative {
            mantissa = -mantissa;
        }
        let scale = frac_digits.len() as i64 - exponent;
        if scale < 0 {
            let factor = pow10(u32::try_from(-scale).map_err(|_| out_of_range())?)
                .ok_or_else(out_of_range)?;
            mantissa = mantissa.checked_mul(factor).ok_or_else(out_of_range)?;
            Ok(Decimal { mantissa, scale: 0 })
        } else {
            let mut scale = u32::try_from(scale).map_err(|_| out_of_range())?;
            // Trailing zeros carry no value: drop them before giving up on the scale.
            while scale > MAX_SCALE && mantissa % 10 == 0 {
                mantissa /= 10;
                scale -= 1;
            }
            if scale > MAX_SCALE {
                return Err(out_of_range());
            }
            Ok(Decimal { mantissa, scale })
        }
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// Parses Amazon's `Decimal` pattern, exponent form included.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_text(s)
    }
}

/// A decimal's text, written without allocating: at most a sign, the 39 digits of
/// an `i128` (or the `MAX_SCALE + 1` of a small value with leading zeros) and a point.
struct DecimalText {
    bytes: [u8; 48],
    start: usize,
}

impl DecimalText {
    fn of(d: &Decimal) -> DecimalText {
        let mut text = DecimalText {
            bytes: [0; 48],
            start: 48,
        };
        let scale = d.scale;
        let mut written = 0u32;
        // Digits by 128-bit division only while the value needs it.
        let mut big = d.mantissa.unsigned_abs();
        while big > u128::from(u64::MAX) {
            text.digit((big % 10) as u8, &mut written, scale);
            big /= 10;
        }
        let mut small = u64::try_from(big).unwrap_or(u64::MAX);
        loop {
            text.digit((small % 10) as u8, &mut written, scale);
            small /= 10;
            if small == 0 && written > scale {
                break;
            }
        }
        if d.mantissa < 0 {
            text.push(b'-');
        }
        text
    }

    /// Writes the next digit to the left, after the point once `scale` are written.
    fn digit(&mut self, value: u8, written: &mut u32, scale: u32) {
        if *written == scale && scale > 0 {
            self.push(b'.');
        }
        self.push(b'0' + value);
        *written += 1;
    }

    /// Writes `byte` before the text; a text longer than the buffer (a scale above
    /// [`MAX_SCALE`], which no constructor makes) is cut, and `as_str` says so.
    fn push(&mut self, byte: u8) {
        if let Some(at) = self.start.checked_sub(1) {
            if let Some(slot) = self.bytes.get_mut(at) {
                *slot = byte;
                self.start = at;
            }
        }
    }

    fn as_str(&self) -> Result<&str, fmt::Error> {
        let text = self.bytes.get(self.start..).ok_or(fmt::Error)?;
        std::str::from_utf8(text).map_err(|_| fmt::Error)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DecimalText::of(self).as_str()?)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Decimal| d.mantissa.signum();
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        let scale = self.scale.max(other.scale);
        match (self.with_scale(scale), other.with_scale(scale)) {
            (Ok(a), Ok(b)) => a.mantissa.cmp(&b.mantissa),
            // Rescaling overflows only for the value with the larger magnitude at the
            // common scale; with equal signs that decides the order.
            (Err(_), Ok(_)) => {
                if self.is_negative() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Ok(_), Err(_)) => {
                if other.is_negative() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            // Both cannot overflow at the larger of their own scales: one of them is
            // already at it.
            (Err(_), Err(_)) => Ordering::Equal,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

impl Serialize for Decimal {
    /// Amazon's wire form: a JSON string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = DecimalText::of(self);
        let text = text
            .as_str()
            .map_err(|_| serde::ser::Error::custom("a decimal's text is too long"))?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// Amazon's wire form: a JSON string matching the `Decimal` pattern.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Serde adapter for NetSuite's money fields, which travel as JSON numbers.
///
/// Use as `#[serde(with = "avc_order_sync::json_number")]`. Writing refuses a
/// value a JSON number would round ([`DecimalError::NotExactInJson`]); reading takes
/// integers exactly and fractions at their shortest spelling.
pub mod json_number {
    use super::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the decimal as a JSON number.
    ///
    /// # Errors
    /// Fails when the number would not carry the value exactly.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        value
            .to_json_number()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }

    /// Reads a JSON number as a decimal.
    ///
    /// # Errors
    /// Fails for anything but a JSON number in the decimal's range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        Decimal::from_json_number(&number).map_err(serde::de::Error::custom)
    }

    /// The same adapter for an optional field (`None` is omitted or `null`).
    pub mod option {
        use super::Decimal;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `Some` as a JSON number and `None` as `null`; pair with
        /// `skip_serializing_if = "Option::is_none"` to omit it.
        ///
        /// # Errors
        /// Fails when the number would not carry the value exactly.
        pub fn serialize<S: Serializer>(
            value: &Option<Decimal>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads an optional JSON number.
        ///
        /// # Errors
        /// Fails for anything but `null` or a JSON number in the decimal's range.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            let number = Option::<serde_json::Number>::deserialize(deserializer)?;
            number
                .map(|n| Decimal::from_json_number(&n).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn products_are_exact_and_quotients_exact_or_refused() {
        assert_eq!(d("3.10").checked_mul(&d("2.5")), Ok(d("7.75")));
        assert_eq!(d("3.10").checked_mul(&d("2.5")).unwrap().scale(), 2);
        assert!(matches!(
            d("1E+30").checked_mul(&d("1E+30")),
            Err(DecimalError::Overflow { .. })
        ));
        assert_eq!(d("10").checked_div_exact(&d("0.4")), Ok(d("25")));
        assert_eq!(d("7.50").checked_div_exact(&d("2.5")), Ok(d("3")));
        assert_eq!(d("2.8").checked_div_exact(&d("0.001")), Ok(d("2800")));
        for (a, b) in [("1", "3"), ("1", "0"), ("0", "0")] {
            assert_eq!(
                d(a).checked_div_exact(&d(b)),
                Err(DecimalError::NotExact {
                    operation: format!("{a} ÷ {b}")
                })
            );
        }
    }

    #[test]
    fn parses_the_sandbox_values_and_keeps_their_scale() {
        for s in [
            "346.27", "70", "110.00", "10.2", "0", "-0.50", "0.1", "15.62",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
    }

    #[test]
    fn exponent_form_is_read_exactly() {
        assert_eq!(d("1.5E+2"), d("150"));
        assert_eq!(d("1.5E+2").to_string(), "150");
        assert_eq!(d("1.5e-2").to_string(), "0.015");
        assert_eq!(d("25E0").to_string(), "25");
        assert_eq!(d("-3e1").to_string(), "-30");
    }

    #[test]
    fn strings_outside_the_pattern_are_typed_errors_naming_the_input() {
        for s in [
            "", "-", "01", ".5", "5.", "+5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "0x10",
            "NaN", "inf", "--1", "1E2.5", "١٢",
        ] {
            match s.parse::<Decimal>() {
                Err(DecimalError::Syntax { input, .. }) => assert_eq!(input, s),
                other => panic!("{s:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn huge_exponents_and_digit_strings_are_refused_at_once() {
        assert!(matches!(
            "1E+999999999".parse::<Decimal>(),
            Err(DecimalError::OutOfRange { .. })
        ));
        let long = "9".repeat(1_000_000);
        let err = long.parse::<Decimal>().unwrap_err();
        assert!(matches!(err, DecimalError::OutOfRange { .. }));
        assert!(
            err.to_string().len() < 200,
            "the error copies the megabyte input"
        );
        assert!("1e-29".parse::<Decimal>().is_err());
    }

    #[test]
    fn arithmetic_overflow_is_an_error() {
        let big = Decimal::new(i128::MAX, 0).unwrap();
        assert!(big.checked_add(&Decimal::from_integer(1)).is_err());
        assert!(big.checked_mul_quantity(2).is_err());
        assert!(d("0.5").with_scale(1).is_ok());
        assert!(d("0.55").with_scale(1).is_err());
    }

    #[test]
    fn comparison_is_numeric() {
        assert_eq!(d("110.00"), d("110"));
        assert!(d("9.99") < d("10"));
        assert!(d("-1") < d("0.0001"));
        let huge = Decimal::new(i128::MAX, 0).unwrap();
        assert!(d("0.0000000000000000000000000001") < huge);
        assert!(Decimal::new(i128::MIN, 0).unwrap() < d("-0.0000000000000000000000000001"));
    }

    #[test]
    fn json_numbers_round_trip_and_inexact_values_are_refused() {
        let n = d("9.50").to_json_number().unwrap();
        assert_eq!(n.to_string(), "9.5");
        assert_eq!(Decimal::from_json_number(&n).unwrap(), d("9.5"));
        assert!(matches!(
            d("0.12345678901234567890").to_json_number(),
            Err(DecimalError::NotExactInJson { .. })
        ));
        assert_eq!(
            d("123456789012345678")
                .to_json_number()
                .unwrap()
                .to_string(),
            "123456789012345678"
        );
    }

    fn canonical_decimal() -> impl Strategy<Value = String> {
        (any::<bool>(), 0u64..10_000_000_000_000, 0u32..8).prop_map(|(neg, m, scale)| {
            let d = Decimal::new(if neg { -(m as i128) } else { m as i128 }, scale).unwrap();
            d.to_string()
        })
    }

    proptest! {
        #[test]
        fn the_short_way_to_a_json_number_gives_what_the_checked_way_gives(
            mantissa in -999_999_999_999_999i128..=999_999_999_999_999,
            scale in 1u32..=22,
        ) {
            let d = Decimal { mantissa, scale };
            let short = d.to_json_number().map(|n| n.to_string());
            let checked = d.json_number_through_text().map(|n| n.to_string());
            prop_assert_eq!(short, checked);
        }
    }

    /// The text through the standard library's integer formatting: what the text
    /// written without allocating must equal.
    fn text_through_std(d: &Decimal) -> String {
        let digits = d.mantissa.unsigned_abs().to_string();
        let sign = if d.mantissa < 0 { "-" } else { "" };
        let scale = d.scale as usize;
        if scale == 0 {
            format!("{sign}{digits}")
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }

    proptest! {
        #[test]
        fn the_text_written_in_place_is_the_standard_one(
            mantissa in any::<i128>(),
            small in -1_000_000_000i128..1_000_000_000,
            scale in 0u32..=MAX_SCALE,
        ) {
            for mantissa in [mantissa, small] {
                let d = Decimal { mantissa, scale };
                prop_assert_eq!(d.to_string(), text_through_std(&d));
                prop_assert_eq!(
                    serde_json::to_string(&d).unwrap(),
                    format!("\"{}\"", text_through_std(&d))
                );
            }
        }
    }

    #[test]
    fn the_extreme_decimals_are_written_whole() {
        for mantissa in [i128::MIN, i128::MAX, 0, -1, 1] {
            for scale in [0, 1, MAX_SCALE] {
                let d = Decimal { mantissa, scale };
                assert_eq!(d.to_string(), text_through_std(&d));
            }
        }
    }

    proptest! {
        #[test]
        fn parse_format_round_trip(s in canonical_decimal()) {
            // Negative zero has no sign of its own: "-0.00" reads as "0.00".
            let parsed = d(&s);
            prop_assert_eq!(parsed.to_string(), if parsed.is_zero() { s.trim_start_matches('-').to_string() } else { s.clone() });
            prop_assert_eq!(d(&parsed.to_string()).scale(), parsed.scale());
        }

        #[test]
        fn exponent_spelling_means_the_same_value(m in -1_000_000i64..1_000_000, e in -6i32..6) {
            let text = format!("{m}E{e:+}");
            let value = d(&text);
            let reference = if e >= 0 {
                Decimal::new(i128::from(m) * 10i128.pow(e as u32), 0).unwrap()
            } else {
                Decimal::new(i128::from(m), (-e) as u32).unwrap()
            };
            prop_assert_eq!(value, reference);
        }

        #[test]
        fn arithmetic_matches_an_i128_reference(
            a in -1_000_000_000_000i64..1_000_000_000_000,
            sa in 0u32..6,
            b in -1_000_000_000_000i64..1_000_000_000_000,
            sb in 0u32..6,
            q in -100_000i64..100_000,
        ) {
            let x = Decimal::new(a.into(), sa).unwrap();
            let y = Decimal::new(b.into(), sb).unwrap();
            let s = sa.max(sb);
            let reference = i128::from(a) * 10i128.pow(s - sa) + i128::from(b) * 10i128.pow(s - sb);
            let sum = x.checked_add(&y).unwrap();
            prop_assert_eq!(sum.mantissa(), reference);
            prop_assert_eq!(sum.scale(), s);
            let product = x.checked_mul_quantity(q).unwrap();
            prop_assert_eq!(product.mantissa(), i128::from(a) * i128::from(q));
            prop_assert_eq!(product.scale(), sa);
            let diff = x.checked_sub(&y).unwrap();
            prop_assert_eq!(diff.checked_add(&y).unwrap(), x);
        }

        #[test]
        fn ordering_matches_an_i128_reference(
            a in -1_000_000_000i64..1_000_000_000, sa in 0u32..6,
            b in -1_000_000_000i64..1_000_000_000, sb in 0u32..6,
        ) {
            let x = Decimal::new(a.into(), sa).unwrap();
            let y = Decimal::new(b.into(), sb).unwrap();
            let s = sa.max(sb);
            let ra = i128::from(a) * 10i128.pow(s - sa);
            let rb = i128::from(b) * 10i128.pow(s - sb);
            prop_assert_eq!(x.cmp(&y), ra.cmp(&rb));
            prop_assert_eq!(x == y, ra == rb);
        }

        #[test]
        fn json_number_edge_keeps_values_with_up_to_six_decimals(
            m in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            scale in 0u32..=6,
        ) {
            // Up to 15 significant digits: what NetSuite's currency fields hold.
            let m = m % 1_000_000_000_000_000;
            let value = Decimal::new(m.into(), scale).unwrap();
            let number = value.to_json_number().unwrap();
            let text = serde_json::to_string(&number).unwrap();
            let reread: serde_json::Number = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(Decimal::from_json_number(&reread).unwrap(), value);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Decimal>();
        }

        #[test]
        fn pattern_strings_parse(
            neg in any::<bool>(), int in "0|[1-9][0-9]{0,12}", frac in proptest::option::of("[0-9]{1,10}"),
            exp in proptest::option::of(("[eE]", "[+-]?", 0u32..40)),
        ) {
            // Every spelling of the pattern parses, or is refused for range only.
            let mut s = String::new();
            if neg { s.push('-'); }
            s.push_str(&int);
            if let Some(f) = &frac { s.push('.'); s.push_str(f); }
            if let Some((e, sign, n)) = &exp { s.push_str(e); s.push_str(sign); s.push_str(&n.to_string()); }
            match s.parse::<Decimal>() {
                Ok(_) => {}
                Err(DecimalError::OutOfRange { .. }) => {
                    let frac_len = frac.as_ref().map_or(0, |f| f.len()) as i64;
                    let e = exp.as_ref().map_or(0, |(_, sign, n)| if *sign == "-" { -i64::from(*n) } else { i64::from(*n) });
                    // Only a value needing more than MAX_SCALE places or 38 digits is out of range.
                    prop_assert!(frac_len - e > i64::from(MAX_SCALE) || int.len() as i64 + e > 25, "{} refused", s);
                }
                Err(e) => prop_assert!(false, "{} refused: {}", s, e),
            }
        }
    }
}
