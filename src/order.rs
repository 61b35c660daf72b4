//! The program-neutral purchase order: what the sync needs from either Amazon program,
//! validated.
//!
//! Amazon's wire types ([`crate::amazon`]) keep whatever Amazon sent; the conversions
//! into [`PurchaseOrder`] are where validation happens. A conversion reports every
//! problem it finds at once, each naming the PO number and the field, so one bad order
//! is set aside with its reasons while the rest of a page goes on.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::money::Money;

/// Which Vendor Central program an order comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Program {
    /// Retail Procurement: Amazon buys stock for its own fulfilment centres
    /// (SP-API Vendor Orders).
    RetailProcurement,
    /// Direct Fulfillment: the vendor ships to Amazon's customer (SP-API Vendor Direct
    /// Fulfillment Orders).
    DirectFulfillment,
}

impl Program {
    /// A short code used in external ids and reports: `RP` or `DF`.
    pub const fn code(&self) -> &'static str {
        match self {
            Program::RetailProcurement => "RP",
            Program::DirectFulfillment => "DF",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Program::RetailProcurement => "Retail Procurement",
            Program::DirectFulfillment => "Direct Fulfillment",
        })
    }
}

/// Parses an Amazon date-time: RFC 3339 with `Z` or an offset, or a time with no zone,
/// which Amazon's Direct Fulfillment documentation says is UTC.
///
/// # Errors
/// The reason, for a [`Problem`].
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    Err(format!(
        "`{}` is not an ISO 8601 date-time",
        crate::decimal::excerpt(text)
    ))
}

/// Writes an instant the way Amazon's examples do: UTC, `Z`, milliseconds only when
/// there are any.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A time window: Amazon's `"start--end"` ship and delivery windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateWindow {
    /// The first instant of the window.
    pub start: DateTime<Utc>,
    /// The last instant of the window; equal to `start` for a single date.
    pub end: DateTime<Utc>,
}

impl DateWindow {
    /// Parses `"2019-08-21T07:00:00Z--2019-08-27T07:00:00Z"`.
    ///
    /// # Errors
    /// The reason, for a [`Problem`], when either side is not a date-time, the
    /// separator is missing, or the window ends before it starts.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::DateWindow;
    /// let w = DateWindow::parse("2019-08-21T07:00:00Z--2019-08-27T07:00:00Z").unwrap();
    /// assert!(w.start < w.end);
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let (start, end) = text.split_once("--").ok_or_else(|| {
            format!(
                "`{}` is not a `start--end` window",
                crate::decimal::excerpt(text)
            )
        })?;
        let start = parse_instant(start)?;
        let end = parse_instant(end)?;
        if end < start {
            return Err(format!(
                "the window ends ({}) before it starts ({})",
                format_instant(&end),
                format_instant(&start)
            ));
        }
        Ok(DateWindow { start, end })
    }
}

impl fmt::Display for DateWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}--{}",
            format_instant(&self.start),
            format_instant(&self.end)
        )
    }
}

/// A postal address. For Direct Fulfillment the ship-to address is a consumer's, so
/// `Debug` shows only the country.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// The addressee.
    pub name: String,
    /// Attention line (Direct Fulfillment only).
    pub attention: Option<String>,
    /// First address line.
    pub address_line1: String,
    /// Second address line.
    pub address_line2: Option<String>,
    /// Third address line.
    pub address_line3: Option<String>,
    /// City.
    pub city: Option<String>,
    /// County.
    pub county: Option<String>,
    /// District.
    pub district: Option<String>,
    /// State or region.
    pub state_or_region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country code as Amazon sent it: two letters for retail, sometimes three (`USA`)
    /// for Direct Fulfillment.
    pub country_code: String,
    /// Phone number.
    pub phone: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// A party to the order: a vendor code, warehouse or fulfilment centre, with its
/// address where Amazon sends one.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Party {
    /// The party id; absent for a Direct Fulfillment ship-to customer.
    pub id: Option<PartyId>,
    /// The address, redacted in `Debug`.
    pub address: Option<Address>,
}

/// How an ordered quantity is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QuantityUnit {
    /// Single units.
    Eaches,
    /// Cases of `unit_size` eaches.
    Cases,
}

/// An ordered quantity, kept as Amazon counted it.
///
/// # Example
/// ```
/// use avc_order_sync::{Quantity, QuantityUnit};
/// let q = Quantity { amount: 3, unit: QuantityUnit::Cases, unit_size: 12 };
/// assert_eq!(q.eaches(), Some(36));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quantity {
    /// How many units; 0 for a line Amazon cancelled.
    pub amount: u64,
    /// Eaches or cases.
    pub unit: QuantityUnit,
    /// Eaches per case; 1 for eaches.
    pub unit_size: u64,
}

impl Quantity {
    /// A quantity in eaches.
    pub const fn eaches_of(amount: u64) -> Self {
        Quantity {
            amount,
            unit: QuantityUnit::Eaches,
            unit_size: 1,
        }
    }

    /// The quantity in eaches (cases × unit size); `None` on overflow.
    pub fn eaches(&self) -> Option<u64> {
        match self.unit {
            QuantityUnit::Eaches => Some(self.amount),
            QuantityUnit::Cases => self.amount.checked_mul(self.unit_size),
        }
    }
}

/// A unit of weight a retail price can be quoted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WeightUnit {
    /// Per pound.
    Pounds,
    /// Per ounce.
    Ounces,
    /// Per gram.
    Grams,
    /// Per kilogram.
    Kilograms,
}

/// What a price is quoted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PriceBasis {
    /// Per each (Amazon's default when the money has no `unitOfMeasure`).
    Each,
    /// Per unit of weight.
    Weight(WeightUnit),
}

/// A unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Price {
    /// The amount and currency.
    pub money: Money,
    /// What it is quoted per.
    pub basis: PriceBasis,
}

/// Amazon's state of an order, across both programs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AmazonOrderState {
    /// Not yet acknowledged (retail `New`, Direct Fulfillment `NEW`).
    New,
    /// Acknowledged (retail).
    Acknowledged,
    /// Accepted (Direct Fulfillment `ACCEPTED`).
    Accepted,
    /// Shipped (Direct Fulfillment `SHIPPED`).
    Shipped,
    /// Closed by Amazon (retail).
    Closed,
    /// Cancelled (Direct Fulfillment `CANCELLED`).
    Cancelled,
    /// A value this version does not know, kept as sent.
    Other(String),
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// `itemSequenceNumber`, verbatim.
    pub sequence: ItemSequenceNumber,
    /// The ASIN, when Amazon sent one.
    pub asin: Option<Asin>,
    /// The vendor's product id, when Amazon sent one.
    pub vendor_sku: Option<VendorSku>,
    /// The product title (Direct Fulfillment).
    pub title: Option<String>,
    /// The ordered quantity; 0 for a line Amazon cancelled.
    pub ordered: Quantity,
    /// Amazon's cost: retail `netCost`, Direct Fulfillment `netPrice`.
    pub net_cost: Price,
    /// The list price, when sent.
    pub list_price: Option<Price>,
    /// Whether the line may be acknowledged as back-ordered (retail only).
    pub back_order_allowed: bool,
}

/// What only a retail PO carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailDetails {
    /// `purchaseOrderType` as sent (`RegularOrder`, `RushOrder`, …).
    pub order_type: Option<String>,
    /// `paymentMethod` as sent.
    pub payment_method: Option<String>,
    /// `dealCode`.
    pub deal_code: Option<String>,
    /// Whether the PO carries `importDetails`.
    pub is_import: bool,
}

/// What only a Direct Fulfillment order carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectFulfillmentDetails {
    /// Amazon's customer order number (`customerOrderNumber`).
    pub customer_order_number: String,
    /// `shipMethod` (`UPS_2ND`, …).
    pub ship_method: String,
    /// The date the order must ship by.
    pub required_ship_date: DateTime<Utc>,
    /// The date promised to the customer.
    pub promised_delivery_date: Option<DateTime<Utc>>,
    /// Priority shipment.
    pub is_priority: bool,
    /// Gift order.
    pub is_gift: bool,
    /// A packing slip must be included.
    pub is_pslip_required: bool,
    /// The message to the customer; personal, so `Debug` hides it.
    pub message_to_customer: Option<String>,
}

impl fmt::Debug for DirectFulfillmentDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectFulfillmentDetails")
            .field("customer_order_number", &self.customer_order_number)
            .field("ship_method", &self.ship_method)
            .field("required_ship_date", &self.required_ship_date)
            .field("promised_delivery_date", &self.promised_delivery_date)
            .field("is_priority", &self.is_priority)
            .field("is_gift", &self.is_gift)
            .field("is_pslip_required", &self.is_pslip_required)
            .finish_non_exhaustive()
    }
}

/// What one program's order carries beyond the common fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProgramDetails {
    /// Retail Procurement.
    Retail(RetailDetails),
    /// Direct Fulfillment.
    DirectFulfillment(DirectFulfillmentDetails),
}

/// A validated purchase order from either program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    /// The program.
    pub program: Program,
    /// `purchaseOrderNumber`.
    pub number: PurchaseOrderNumber,
    /// Amazon's state of the order.
    pub state: AmazonOrderState,
    /// When Amazon created the order (`purchaseOrderDate`, DF `orderDate`); the
    /// 24-hour acknowledgement deadline runs from here.
    pub ordered_at: DateTime<Utc>,
    /// When Amazon last changed the order (`purchaseOrderChangedDate`), if ever.
    pub changed_at: Option<DateTime<Utc>>,
    /// When the state last changed (`purchaseOrderStateChangedDate`), retail only.
    pub state_changed_at: Option<DateTime<Utc>>,
    /// The vendor code the order is placed with (`sellingParty.partyId`).
    pub selling_party: PartyId,
    /// The buying party (retail).
    pub buying_party: Option<Party>,
    /// Where the goods go: a fulfilment centre (retail) or a consumer (Direct
    /// Fulfillment, redacted in `Debug`).
    pub ship_to: Option<Party>,
    /// The vendor warehouse that ships (Direct Fulfillment `shipFromParty`).
    pub ship_from: Option<Party>,
    /// The bill-to party.
    pub bill_to: Option<Party>,
    /// The pick-up window for Amazon-paid freight.
    pub ship_window: Option<DateWindow>,
    /// The delivery window for vendor-paid freight.
    pub delivery_window: Option<DateWindow>,
    /// What only this program carries.
    pub details: ProgramDetails,
    /// The lines, in Amazon's order.
    pub lines: Vec<OrderLine>,
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A field the sync needs is absent.
    Missing,
    /// A field is present but its value is not usable.
    Invalid {
        /// Why, in lower case.
        reason: String,
    },
}

/// One problem found in an order, naming the PO and the field (a JSON path into
/// Amazon's body, such as `orderDetails.items[2].netCost.amount`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    /// The PO number, or `<missing>` when the order has none.
    pub purchase_order_number: String,
    /// The line's `itemSequenceNumber`, when the problem is on a line.
    pub line: Option<String>,
    /// The field's path in Amazon's body.
    pub field: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PO {}: `{}` ", self.purchase_order_number, self.field)?;
        match &self.kind {
            ProblemKind::Missing => f.write_str("is missing"),
            ProblemKind::Invalid { reason } => write!(f, "is invalid: {reason}"),
        }
    }
}

/// An order Amazon sent that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("purchase order {purchase_order_number} has {} problem(s): {}", problems.len(), DisplayList(problems))]
pub struct ValidationError {
    /// The PO number, or `<missing>`.
    pub purchase_order_number: String,
    /// Every problem, in the order found. Never empty.
    pub problems: Vec<Problem>,
}

struct DisplayList<'a>(&'a [Problem]);

impl fmt::Display for DisplayList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems while a wire order is converted; shared by both programs'
/// conversions.
#[derive(Debug)]
pub struct Problems {
    po: String,
    problems: Vec<Problem>,
}

impl Problems {
    /// Starts collecting for a PO (`None` when its number is missing).
    pub fn new(purchase_order_number: Option<&str>) -> Self {
        Problems {
            po: purchase_order_number
                .map(crate::decimal::excerpt)
                .unwrap_or_else(|| "<missing>".into()),
            problems: Vec::new(),
        }
    }

    /// Records a missing field.
    pub fn missing(&mut self, line: Option<&str>, field: impl Into<String>) {
        self.push(line, field.into(), ProblemKind::Missing);
    }

    /// Records an invalid field.
    pub fn invalid(
        &mut self,
        line: Option<&str>,
        field: impl Into<String>,
        reason: impl fmt::Display,
    ) {
        self.push(
            line,
            field.into(),
            ProblemKind::Invalid {
                reason: reason.to_string(),
            },
        );
    }

    fn push(&mut self, line: Option<&str>, field: String, kind: ProblemKind) {
        self.problems.push(Problem {
            purchase_order_number: self.po.clone(),
            line: line.map(crate::decimal::excerpt),
            field,
            kind,
        });
    }

    /// Takes a required value, recording it as missing when absent.
    pub fn require<T>(&mut self, value: Option<T>, line: Option<&str>, field: &str) -> Option<T> {
        if value.is_none() {
            self.missing(line, field);
        }
        value
    }

    /// Converts with `f`, recording the error as an invalid field.
    pub fn check<T, E: fmt::Display>(
        &mut self,
        result: Result<T, E>,
        line: Option<&str>,
        field: &str,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.invalid(line, field, e);
                None
            }
        }
    }

    /// `true` when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Finishes: `Ok(value)` when nothing was recorded and the value was built.
    ///
    /// # Errors
    /// The [`ValidationError`] with every problem recorded.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ValidationError> {
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => {
                let mut problems = self.problems;
                if problems.is_empty() {
                    // Unreachable by construction: every `None` comes with a problem.
                    problems.push(Problem {
                        purchase_order_number: self.po.clone(),
                        line: None,
                        field: String::new(),
                        kind: ProblemKind::Invalid {
                            reason: "the order could not be built".into(),
                        },
                    });
                }
                Err(ValidationError {
                    purchase_order_number: self.po,
                    problems,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_accept_zulu_offsets_and_no_zone_as_utc() {
        let z = parse_instant("2020-08-17T00:24:00.00Z").unwrap();
        assert_eq!(format_instant(&z), "2020-08-17T00:24:00Z");
        let offset = parse_instant("2020-02-20T00:00:00-08:00").unwrap();
        assert_eq!(format_instant(&offset), "2020-02-20T08:00:00Z");
        let bare = parse_instant("2019-09-21T00:00:00").unwrap();
        assert_eq!(format_instant(&bare), "2019-09-21T00:00:00Z");
        assert!(parse_instant("2019-09-2100:00:00").is_err());
        assert_eq!(
            format_instant(&parse_instant("2021-03-12T17:35:26.308Z").unwrap()),
            "2021-03-12T17:35:26.308Z"
        );
    }

    #[test]
    fn windows_parse_and_refuse_bad_text() {
        let w = DateWindow::parse("2019-08-21T07:00:00Z--2019-08-27T07:00:00Z").unwrap();
        assert_eq!(w.to_string(), "2019-08-21T07:00:00Z--2019-08-27T07:00:00Z");
        assert!(DateWindow::parse("2019-08-21T07:00:00Z").is_err());
        assert!(DateWindow::parse("2019-08-27T07:00:00Z--2019-08-21T07:00:00Z").is_err());
    }

    #[test]
    fn address_debug_shows_no_personal_data() {
        let a = Address {
            name: "Jane Consumer".into(),
            address_line1: "17 Private Lane".into(),
            phone: Some("555-0100".into()),
            country_code: "US".into(),
            ..Address::default()
        };
        let party = Party {
            id: None,
            address: Some(a),
        };
        let shown = format!("{party:?}");
        for secret in ["Jane", "Private", "555"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn problems_are_collected_and_named() {
        let mut p = Problems::new(Some("PO1"));
        p.missing(Some("00001"), "orderDetails.items[0].netCost");
        p.invalid(None, "orderDetails.purchaseOrderDate", "bad date");
        let err = p.finish::<()>(None).unwrap_err();
        assert_eq!(err.problems.len(), 2);
        assert_eq!(err.problems[0].line.as_deref(), Some("00001"));
        let text = err.to_string();
        assert!(
            text.contains("PO PO1: `orderDetails.items[0].netCost` is missing"),
            "{text}"
        );
    }
}
