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

use crate::decimal::Decimal;
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
/// [`DateError::NotADateTime`] when the text is neither.
///
/// # Example
/// ```
/// use avc_order_sync::{DateError, parse_instant};
/// assert_eq!(parse_instant("2021-03-12T17:35:26Z")?.timestamp(), 1_615_570_526);
/// assert!(matches!(parse_instant("soon"), Err(DateError::NotADateTime { .. })));
/// # Ok::<(), DateError>(())
/// ```
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, DateError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    Err(DateError::NotADateTime {
        text: crate::text::excerpt(text),
    })
}

/// Why a date-time or a window Amazon sent cannot be read. The text quoted is
/// shortened, so a hostile value cannot flood a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Neither RFC 3339 nor a date-time without a zone.
    #[error("`{text}` is not an ISO 8601 date-time")]
    NotADateTime {
        /// The text, shortened.
        text: String,
    },
    /// A window without the `--` between its two ends.
    #[error("`{text}` is not a `start--end` window")]
    NotAWindow {
        /// The text, shortened.
        text: String,
    },
    /// A window whose end comes before its start.
    #[error(
        "the window ends ({}) before it starts ({})",
        format_instant(end),
        format_instant(start)
    )]
    EndsBeforeStart {
        /// The window's first instant, as sent.
        start: DateTime<Utc>,
        /// The window's last instant, as sent.
        end: DateTime<Utc>,
    },
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
    /// A [`DateError`] when the separator is missing, either side is not a date-time,
    /// or the window ends before it starts.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::DateWindow;
    /// let w = DateWindow::parse("2019-08-21T07:00:00Z--2019-08-27T07:00:00Z").unwrap();
    /// assert!(w.start < w.end);
    /// ```
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let (start, end) = text.split_once("--").ok_or_else(|| DateError::NotAWindow {
            text: crate::text::excerpt(text),
        })?;
        let start = parse_instant(start)?;
        let end = parse_instant(end)?;
        if end < start {
            return Err(DateError::EndsBeforeStart { start, end });
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
    /// No NetSuite item is mapped for the line: neither its vendor SKU nor its ASIN is
    /// in the settings' item map. Add the item to the map, or set the unmapped-item
    /// policy to reject such lines.
    UnmappedItem {
        /// The vendor SKU Amazon sent, if any.
        vendor_sku: Option<String>,
        /// The ASIN Amazon sent, if any.
        asin: Option<String>,
    },
    /// No NetSuite customer is configured for the program and selling party.
    MissingCustomer {
        /// The program.
        program: Program,
        /// The vendor code the order was placed with.
        selling_party: String,
    },
    /// The currency is not in the settings' currency map.
    UnknownCurrency {
        /// The ISO 4217 code.
        currency: String,
    },
    /// The order's lines are priced in more than one currency; a sales order has one.
    MixedCurrencies {
        /// The currency of the first line.
        first: String,
        /// A different currency on a later line.
        other: String,
    },
    /// The price is per unit of weight and the item map gives no weight per each in
    /// that unit, so no per-each rate can be worked out without guessing.
    WeightPriceWithoutConversion {
        /// The unit the price is quoted per.
        unit: WeightUnit,
        /// The item-map key the line matched (vendor SKU or ASIN).
        key: String,
    },
    /// The approved quantity is above the ordered quantity (both in eaches).
    QuantityAboveOrdered {
        /// What the sales order approves.
        approved: u64,
        /// What Amazon ordered.
        ordered: u64,
    },
    /// The approved rate is above Amazon's net cost per each.
    RateAboveNetCost {
        /// The sales order's rate.
        rate: Decimal,
        /// Amazon's net cost per each.
        net_cost: Decimal,
    },
    /// The approved rate is zero or negative; Amazon refuses such a net cost.
    RateNotPositive {
        /// The sales order's rate.
        rate: Decimal,
    },
    /// The PO line is ordered in cases and the approved eaches are not a whole number
    /// of cases.
    NotWholeCases {
        /// The approved quantity in eaches.
        eaches: u64,
        /// Eaches per case.
        unit_size: u64,
    },
    /// Part of the line was acknowledged as Rejected before and would now be accepted
    /// or back-ordered, which Amazon never allows.
    RejectedLineAccepted {
        /// Eaches accepted or back-ordered by the earlier acknowledgement.
        previously_kept: u64,
        /// Eaches the new acknowledgement would accept or back-order.
        now_kept: u64,
    },
    /// A PO line has no line in the sales order. Close a line to reject it rather than
    /// deleting it.
    LineNotInSalesOrder,
    /// A sales-order line names a PO line that is not on the purchase order.
    LineNotOnOrder {
        /// The sequence number the sales-order line carries.
        sequence: String,
    },
    /// The open sales-order lines for one PO line carry different rates; Amazon takes
    /// one net cost per line.
    SeveralRates {
        /// The first rate.
        first: Decimal,
        /// A different rate.
        other: Decimal,
    },
    /// A Direct Fulfillment order was approved with part of its quantity: Direct
    /// Fulfillment orders are accepted or rejected whole.
    PartialDirectFulfillment,
    /// The approval rejects more of the line than its rejection-rate guard allows
    /// ([`crate::compliance::RejectionRateGuard`]): Amazon charges a share of cost on
    /// the units above the threshold. A person confirms it (the Retry action) or
    /// changes the approval.
    RejectionAboveGuard {
        /// Eaches the acknowledgement would reject.
        rejected: u64,
        /// Eaches ordered.
        ordered: u64,
        /// The guard's threshold, in percent of the ordered quantity.
        max_percent: u8,
        /// Eaches rejected above the threshold.
        units_above: u64,
        /// What Amazon would charge on them, when the line is priced per each.
        chargeback: Option<Money>,
    },
    /// The approval changes a line's quantity or cost after Amazon's update window
    /// closed, when Amazon expects only ship or delivery dates. A person confirms it
    /// (the Retry action) or changes the approval back.
    UpdateAfterWindow {
        /// When the window closed.
        closed_at: DateTime<Utc>,
        /// What the acknowledgement Amazon took says (eaches kept, or the cost).
        before: String,
        /// What the new one would say.
        after: String,
    },
    /// The approval lowers the line's confirmed units after the down-confirm cut-off,
    /// which Amazon charges as down confirmed. A person confirms it (the Retry
    /// action), or the setting `compliance.allowLateDownConfirm` lets it through.
    LateDownConfirm {
        /// The cut-off.
        cutoff: DateTime<Utc>,
        /// Eaches confirmed (accepted or back-ordered) by the acknowledgement Amazon
        /// took.
        previously_kept: u64,
        /// Eaches the new one would confirm.
        now_kept: u64,
        /// What Amazon would charge on the units lowered, when the line is priced
        /// per each.
        chargeback: Option<Money>,
    },
    /// A quantity or amount does not fit the arithmetic (overflow, division by zero).
    OutOfRange {
        /// What was being computed.
        what: String,
    },
}

/// One problem found in an order, naming the PO and the field (a JSON path into
/// Amazon's body, such as `orderDetails.items[2].netCost.amount`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    /// The PO number, or `<missing>` when the order has none. Text as Amazon sent it
    /// (shortened), not a [`PurchaseOrderNumber`]: the number may be what is wrong.
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
            ProblemKind::UnmappedItem { vendor_sku, asin } => write!(
                f,
                "has no NetSuite item mapped for vendor SKU `{}` or ASIN `{}`{}",
                vendor_sku.as_deref().unwrap_or("<none>"),
                asin.as_deref().unwrap_or("<none>"),
                OnLine(&self.line)
            ),
            ProblemKind::MissingCustomer {
                program,
                selling_party,
            } => write!(
                f,
                "has no NetSuite customer configured for {program} selling party `{selling_party}`"
            ),
            ProblemKind::UnknownCurrency { currency } => write!(
                f,
                "is in currency `{currency}`, which the currency map does not list{}",
                OnLine(&self.line)
            ),
            ProblemKind::MixedCurrencies { first, other } => write!(
                f,
                "is in `{other}` while an earlier line is in `{first}`{}",
                OnLine(&self.line)
            ),
            ProblemKind::WeightPriceWithoutConversion { unit, key } => write!(
                f,
                "is priced per {unit:?} and item `{key}` has no weight per each in that unit{}",
                OnLine(&self.line)
            ),
            ProblemKind::QuantityAboveOrdered { approved, ordered } => write!(
                f,
                "approves {approved} eaches, more than the {ordered} ordered{}",
                OnLine(&self.line)
            ),
            ProblemKind::RateAboveNetCost { rate, net_cost } => write!(
                f,
                "has rate {rate}, above Amazon's net cost {net_cost} per each{}",
                OnLine(&self.line)
            ),
            ProblemKind::RateNotPositive { rate } => write!(
                f,
                "has rate {rate}; Amazon needs a net cost above zero{}",
                OnLine(&self.line)
            ),
            ProblemKind::NotWholeCases { eaches, unit_size } => write!(
                f,
                "approves {eaches} eaches, not a whole number of cases of {unit_size}{}",
                OnLine(&self.line)
            ),
            ProblemKind::RejectedLineAccepted {
                previously_kept,
                now_kept,
            } => write!(
                f,
                "would accept {now_kept} eaches, but only {previously_kept} were kept when the rest was rejected, and a rejected quantity can never be accepted again{}",
                OnLine(&self.line)
            ),
            ProblemKind::LineNotInSalesOrder => write!(
                f,
                "has no line in the sales order; close a line to reject it instead of deleting it{}",
                OnLine(&self.line)
            ),
            ProblemKind::LineNotOnOrder { sequence } => write!(
                f,
                "names PO line `{sequence}`, which is not on the purchase order"
            ),
            ProblemKind::SeveralRates { first, other } => write!(
                f,
                "has open lines at rates {first} and {other}; Amazon takes one net cost per PO line{}",
                OnLine(&self.line)
            ),
            ProblemKind::PartialDirectFulfillment => f.write_str(
                "approves part of the order: Direct Fulfillment orders are accepted or rejected whole",
            ),
            ProblemKind::RejectionAboveGuard {
                rejected,
                ordered,
                max_percent,
                units_above,
                chargeback,
            } => write!(
                f,
                "would reject {rejected} of {ordered} eaches, more than the {max_percent} % guard; {units_above} eaches above it {}{}; confirm with Retry or change the approval",
                Charged(chargeback.as_ref()),
                OnLine(&self.line)
            ),
            ProblemKind::UpdateAfterWindow {
                closed_at,
                before,
                after,
            } => write!(
                f,
                "would change {before} to {after}, but Amazon's update window closed at {} and only ship or delivery dates may change now{}; confirm with Retry or change the approval back",
                closed_at.format("%Y-%m-%dT%H:%M:%SZ"),
                OnLine(&self.line)
            ),
            ProblemKind::LateDownConfirm {
                cutoff,
                previously_kept,
                now_kept,
                chargeback,
            } => write!(
                f,
                "would lower the confirmed units from {previously_kept} to {now_kept} eaches after the down-confirm cut-off at {}: down confirmed units {}{}; confirm with Retry or change the approval",
                cutoff.format("%Y-%m-%dT%H:%M:%SZ"),
                Charged(chargeback.as_ref()),
                OnLine(&self.line)
            ),
            ProblemKind::OutOfRange { what } => {
                write!(f, "is out of range: {what}{}", OnLine(&self.line))
            }
        }
    }
}

/// An order Amazon sent that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("purchase order {purchase_order_number} has {} problem(s): {}", problems.len(), crate::text::Joined(problems, "; "))]
pub struct ValidationError {
    /// The PO number, or `<missing>`; text, as in [`Problem::purchase_order_number`].
    pub purchase_order_number: String,
    /// Every problem, in the order found. Never empty.
    pub problems: Vec<Problem>,
}

/// Writes what a chargeback would cost, or that it could not be estimated.
struct Charged<'a>(Option<&'a Money>);

impl fmt::Display for Charged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(amount) => write!(
                f,
                "would cost a chargeback of about {amount} ({} % of their cost)",
                crate::compliance::CHARGEBACK_PERCENT
            ),
            None => write!(
                f,
                "would cost a chargeback of {} % of their cost",
                crate::compliance::CHARGEBACK_PERCENT
            ),
        }
    }
}

impl ProblemKind {
    /// `true` for a problem that breaks one of Amazon's compliance rules rather than
    /// making the acknowledgement invalid: a person may confirm it and send anyway.
    #[must_use]
    pub const fn is_compliance(&self) -> bool {
        matches!(
            self,
            ProblemKind::RejectionAboveGuard { .. }
                | ProblemKind::UpdateAfterWindow { .. }
                | ProblemKind::LateDownConfirm { .. }
        )
    }
}

/// Writes ` on line 00001` when a problem names a line.
struct OnLine<'a>(&'a Option<String>);

impl fmt::Display for OnLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " on line {line}"),
            None => Ok(()),
        }
    }
}

/// The field `.1` below the field `.0` (`orderDetails.items[2]` and `netCost`),
/// written out only when a problem names it: converting a valid order formats no
/// paths.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Child<P>(pub(crate) P, pub(crate) &'static str);

impl<P: fmt::Display> fmt::Display for Child<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The element `.1` of the list at `.0` (`orderDetails.items` and 2), written out
/// only when a problem names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item(pub(crate) &'static str, pub(crate) usize);

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// Collects problems while a wire order is converted; shared by both programs'
/// conversions.
#[derive(Debug)]
pub(crate) struct Problems {
    po: String,
    problems: Vec<Problem>,
}

impl Problems {
    /// Starts collecting for a PO (`None` when its number is missing).
    pub(crate) fn new(purchase_order_number: Option<&str>) -> Self {
        Problems {
            po: purchase_order_number
                .map(crate::text::excerpt)
                .unwrap_or_else(|| "<missing>".into()),
            problems: Vec::new(),
        }
    }

    /// Records a missing field.
    pub(crate) fn missing(&mut self, line: Option<&str>, field: impl fmt::Display) {
        self.push(line, field.to_string(), ProblemKind::Missing);
    }

    /// Records an invalid field.
    pub(crate) fn invalid(
        &mut self,
        line: Option<&str>,
        field: impl fmt::Display,
        reason: impl fmt::Display,
    ) {
        self.push(
            line,
            field.to_string(),
            ProblemKind::Invalid {
                reason: reason.to_string(),
            },
        );
    }

    fn push(&mut self, line: Option<&str>, field: String, kind: ProblemKind) {
        self.problems.push(Problem {
            purchase_order_number: self.po.clone(),
            line: line.map(crate::text::excerpt),
            field,
            kind,
        });
    }

    /// Takes a required value, recording it as missing when absent.
    pub(crate) fn require<T>(
        &mut self,
        value: Option<T>,
        line: Option<&str>,
        field: impl fmt::Display,
    ) -> Option<T> {
        if value.is_none() {
            self.missing(line, field);
        }
        value
    }

    /// Converts with `f`, recording the error as an invalid field.
    pub(crate) fn check<T, E: fmt::Display>(
        &mut self,
        result: Result<T, E>,
        line: Option<&str>,
        field: impl fmt::Display,
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
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Finishes: `Ok(value)` when nothing was recorded and the value was built.
    ///
    /// # Errors
    /// The [`ValidationError`] with every problem recorded.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, ValidationError> {
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
        assert_eq!(
            parse_instant("2019-09-2100:00:00").unwrap_err().to_string(),
            "`2019-09-2100:00:00` is not an ISO 8601 date-time"
        );
        assert_eq!(
            format_instant(&parse_instant("2021-03-12T17:35:26.308Z").unwrap()),
            "2021-03-12T17:35:26.308Z"
        );
    }

    #[test]
    fn windows_parse_and_refuse_bad_text() {
        let w = DateWindow::parse("2019-08-21T07:00:00Z--2019-08-27T07:00:00Z").unwrap();
        assert_eq!(w.to_string(), "2019-08-21T07:00:00Z--2019-08-27T07:00:00Z");
        assert!(matches!(
            DateWindow::parse("2019-08-21T07:00:00Z"),
            Err(DateError::NotAWindow { .. })
        ));
        assert!(matches!(
            DateWindow::parse("2019-08-21T07:00:00Z--tomorrow"),
            Err(DateError::NotADateTime { text }) if text == "tomorrow"
        ));
        assert_eq!(
            DateWindow::parse("2019-08-27T07:00:00Z--2019-08-21T07:00:00Z")
                .unwrap_err()
                .to_string(),
            "the window ends (2019-08-21T07:00:00Z) before it starts (2019-08-27T07:00:00Z)"
        );
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
