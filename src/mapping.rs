//! Pure mapping between Amazon's purchase orders, NetSuite sales orders and Amazon
//! acknowledgements.
//!
//! - [`sales_order_draft`]: a purchase order to the sales order to create.
//! - [`auto_acknowledgement`]: the acknowledgement sent at once when auto
//!   acknowledgement is on: every line accepted as ordered.
//! - [`acknowledgement_from_sales_order`]: the acknowledgement built from the sales
//!   order a reviewer approved.
//! - [`check_acknowledgement`]: Amazon's acknowledgement rules, applied to every
//!   acknowledgement before it is sent.
//!
//! Nothing here guesses: an unmapped item, a missing customer, an unknown currency, a
//! weight price with no conversion, or an approved order that breaks one of Amazon's
//! rules is a [`Problem`] naming the PO, the line and the key, collected into one
//! [`ValidationError`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine, df_status,
};
use crate::decimal::{Decimal, MAX_SCALE};
use crate::ids::{ExternalId, ItemSequenceNumber, MAX_ID_LEN, PurchaseOrderNumber};
use crate::money::Money;
use crate::order::{
    OrderLine, Price, PriceBasis, Problem, ProblemKind, Program, ProgramDetails, PurchaseOrder,
    Quantity, QuantityUnit, ValidationError,
};
use crate::sales_order::{
    CustomFields, NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderLineSnapshot,
    SalesOrderSnapshot, SalesOrderStatus,
};
use crate::settings::{Settings, UnmappedItemPolicy, df_rejection_code};

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
/// use avc_order_sync::{mapping::external_id, Program, PurchaseOrderNumber};
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

/// ISO 3166 alpha-3 codes of the countries Amazon runs Vendor Central in (and their
/// neighbours it ships to), with their alpha-2 codes.
const ALPHA3: &[(&str, &str)] = &[
    ("ARE", "AE"),
    ("AUS", "AU"),
    ("AUT", "AT"),
    ("BEL", "BE"),
    ("BRA", "BR"),
    ("CAN", "CA"),
    ("CHE", "CH"),
    ("CHN", "CN"),
    ("CZE", "CZ"),
    ("DEU", "DE"),
    ("DNK", "DK"),
    ("EGY", "EG"),
    ("ESP", "ES"),
    ("FIN", "FI"),
    ("FRA", "FR"),
    ("GBR", "GB"),
    ("IND", "IN"),
    ("IRL", "IE"),
    ("ITA", "IT"),
    ("JPN", "JP"),
    ("LUX", "LU"),
    ("MEX", "MX"),
    ("NLD", "NL"),
    ("NOR", "NO"),
    ("NZL", "NZ"),
    ("POL", "PL"),
    ("PRT", "PT"),
    ("SAU", "SA"),
    ("SGP", "SG"),
    ("SWE", "SE"),
    ("TUR", "TR"),
    ("USA", "US"),
    ("ZAF", "ZA"),
];

/// The two-letter code for an address's country: as given when it is two letters,
/// looked up when it is three, `None` otherwise (never a guess).
fn two_letter_country(code: &str) -> Option<String> {
    let upper = code.to_ascii_uppercase();
    match upper.len() {
        2 if upper.bytes().all(|b| b.is_ascii_uppercase()) => Some(upper),
        3 => ALPHA3
            .iter()
            .find(|(three, _)| *three == upper)
            .map(|(_, two)| (*two).to_owned()),
        _ => None,
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

/// A purchase order mapped to a sales order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedOrder {
    /// The sales order to create.
    pub draft: SalesOrderDraft,
    /// PO lines left out because their item is not mapped and the policy rejects such
    /// lines; they are acknowledged as Rejected with `InvalidProductIdentifier`.
    pub rejected_lines: Vec<ItemSequenceNumber>,
}

fn problem(
    po: &PurchaseOrder,
    line: Option<&ItemSequenceNumber>,
    field: String,
    kind: ProblemKind,
) -> Problem {
    Problem {
        purchase_order_number: po.number.to_string(),
        line: line.map(|l| l.to_string()),
        field,
        kind,
    }
}

fn item_path(index: usize) -> String {
    format!("orderDetails.items[{index}]")
}

fn cost_field(po: &PurchaseOrder) -> &'static str {
    match po.program {
        Program::RetailProcurement => "netCost",
        Program::DirectFulfillment => "netPrice",
    }
}

fn finish<T>(
    po: &PurchaseOrder,
    problems: Vec<Problem>,
    value: Option<T>,
) -> Result<T, ValidationError> {
    match value {
        Some(v) if problems.is_empty() => Ok(v),
        _ => {
            let mut problems = problems;
            if problems.is_empty() {
                problems.push(problem(
                    po,
                    None,
                    String::new(),
                    ProblemKind::Invalid {
                        reason: "the order could not be mapped".into(),
                    },
                ));
            }
            Err(ValidationError {
                purchase_order_number: po.number.to_string(),
                problems,
            })
        }
    }
}

/// `a × b`, exactly; `None` when the result does not fit.
fn checked_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (a, b) = (a.normalized(), b.normalized());
    let mantissa = a.mantissa().checked_mul(b.mantissa())?;
    let scale = a.scale().checked_add(b.scale())?;
    Decimal::new(mantissa, scale).ok().map(|d| d.normalized())
}

/// `a ÷ b` when the quotient has a finite decimal expansion that fits; `None` otherwise
/// (a repeating quotient would have to be rounded, which is a guess).
fn checked_div_exact(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (a, b) = (a.normalized(), b.normalized());
    if b.is_zero() {
        return None;
    }
    let mut numerator = a.mantissa();
    for extra in 0..=MAX_SCALE {
        if numerator.checked_rem(b.mantissa())? == 0 {
            let quotient = numerator.checked_div(b.mantissa())?;
            let scale = i64::from(a.scale()) + i64::from(extra) - i64::from(b.scale());
            return if scale >= 0 {
                Decimal::new(quotient, u32::try_from(scale).ok()?).ok()
            } else {
                let factor = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
                Some(Decimal::new(quotient.checked_mul(factor)?, 0).ok()?)
            };
        }
        numerator = numerator.checked_mul(10)?;
    }
    None
}

/// Amazon's net cost per each for a line: the price itself, or for a price per weight
/// unit, the price times the configured weight of one each.
///
/// Fails with the [`Problem`] when the line is priced per weight and its item has no
/// weight per each in that unit, or the product does not fit.
fn net_cost_per_each(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    settings: &Settings,
) -> Result<Decimal, Box<Problem>> {
    match line.net_cost.basis {
        PriceBasis::Each => Ok(line.net_cost.money.amount()),
        PriceBasis::Weight(unit) => {
            let field = format!("{}.{}.unitOfMeasure", item_path(index), cost_field(po));
            let Some(found) = settings.items.lookup(line) else {
                return Err(Box::new(problem(
                    po,
                    Some(&line.sequence),
                    field,
                    ProblemKind::UnmappedItem {
                        vendor_sku: line.vendor_sku.as_ref().map(|s| s.to_string()),
                        asin: line.asin.as_ref().map(|s| s.to_string()),
                    },
                )));
            };
            let Some(weight) = found.target.weight_per_each.get(unit) else {
                return Err(Box::new(problem(
                    po,
                    Some(&line.sequence),
                    field,
                    ProblemKind::WeightPriceWithoutConversion {
                        unit,
                        key: found.key.to_owned(),
                    },
                )));
            };
            checked_mul(line.net_cost.money.amount(), weight).ok_or_else(|| {
                Box::new(problem(
                    po,
                    Some(&line.sequence),
                    field,
                    ProblemKind::OutOfRange {
                        what: format!("{} × {weight}", line.net_cost.money.amount()),
                    },
                ))
            })
        }
    }
}

/// Maps a purchase order to the NetSuite sales order to create.
///
/// The customer, subsidiary, location and form come from the settings for the
/// program and selling party; the PO number goes to `otherRefNum`; the external id is
/// [`external_id`]; the ship date is the start of the ship window (Direct Fulfillment:
/// the required ship date); the shipping address is the ship-to party's (for Direct
/// Fulfillment the consumer's). Each PO line with a quantity becomes one line with the
/// mapped item, the quantity in eaches (cases × unit size), Amazon's net cost per each
/// as the rate, and the PO line's sequence number. Lines Amazon cancelled (quantity 0)
/// are left out.
///
/// # Errors
/// A [`ValidationError`] listing every problem: no customer for the program and
/// selling party, a currency not in the currency map or more than one currency, an
/// unmapped item (when the policy holds such orders), a weight price with no
/// conversion, a quantity that overflows.
pub fn sales_order_draft(
    po: &PurchaseOrder,
    settings: &Settings,
    status: SalesOrderStatus,
) -> Result<MappedOrder, ValidationError> {
    let mut problems = Vec::new();
    let customer = settings.customer_for(po.program, &po.selling_party);
    if customer.is_none() {
        problems.push(problem(
            po,
            None,
            "orderDetails.sellingParty.partyId".into(),
            ProblemKind::MissingCustomer {
                program: po.program,
                selling_party: po.selling_party.to_string(),
            },
        ));
    }
    if po.lines.is_empty() {
        problems.push(problem(
            po,
            None,
            "orderDetails.items".into(),
            ProblemKind::Missing,
        ));
    }

    let mut currency = None;
    let mut lines = Vec::new();
    let mut rejected_lines = Vec::new();
    for (index, line) in po.lines.iter().enumerate() {
        let code = line.net_cost.money.currency();
        match currency {
            None => {
                currency = Some(code);
                if !settings.currencies.contains_key(&code) {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        format!("{}.{}.currencyCode", item_path(index), cost_field(po)),
                        ProblemKind::UnknownCurrency {
                            currency: code.to_string(),
                        },
                    ));
                }
            }
            Some(first) if first != code => problems.push(problem(
                po,
                Some(&line.sequence),
                format!("{}.{}.currencyCode", item_path(index), cost_field(po)),
                ProblemKind::MixedCurrencies {
                    first: first.to_string(),
                    other: code.to_string(),
                },
            )),
            Some(_) => {}
        }
        if line.ordered.amount == 0 {
            continue;
        }
        let Some(found) = settings.items.lookup(line) else {
            match settings.policies.unmapped_item {
                UnmappedItemPolicy::RejectLine => rejected_lines.push(line.sequence.clone()),
                UnmappedItemPolicy::HoldForReview => problems.push(problem(
                    po,
                    Some(&line.sequence),
                    format!("{}.vendorProductIdentifier", item_path(index)),
                    ProblemKind::UnmappedItem {
                        vendor_sku: line.vendor_sku.as_ref().map(|s| s.to_string()),
                        asin: line.asin.as_ref().map(|s| s.to_string()),
                    },
                )),
            }
            continue;
        };
        let quantity = match line.ordered.eaches() {
            Some(q) => q,
            None => {
                problems.push(problem(
                    po,
                    Some(&line.sequence),
                    format!("{}.orderedQuantity", item_path(index)),
                    ProblemKind::OutOfRange {
                        what: format!(
                            "{} cases of {}",
                            line.ordered.amount, line.ordered.unit_size
                        ),
                    },
                ));
                continue;
            }
        };
        let rate = match net_cost_per_each(po, index, line, settings) {
            Ok(rate) => rate,
            Err(p) => {
                problems.push(*p);
                continue;
            }
        };
        lines.push(SalesOrderLineDraft {
            item: found.target.item.clone(),
            quantity,
            rate,
            sequence: line.sequence.clone(),
            description: line.title.clone(),
            is_closed: false,
            custom_fields: CustomFields::new(),
        });
    }

    // NetSuite's address takes ISO 3166 two-letter codes; Direct Fulfillment sends
    // three letters (`USA`) at times.
    let shipping_address = po
        .ship_to
        .as_ref()
        .and_then(|p| p.address.clone())
        .and_then(
            |mut address| match two_letter_country(&address.country_code) {
                Some(code) => {
                    address.country_code = code.to_owned();
                    Some(address)
                }
                None => {
                    problems.push(problem(
                    po,
                    None,
                    "orderDetails.shipToParty.countryCode".into(),
                    ProblemKind::Invalid {
                        reason: format!(
                            "`{}` is not an ISO 3166 country code the sync can write to NetSuite",
                            crate::decimal::excerpt(&address.country_code)
                        ),
                    },
                ));
                    None
                }
            },
        );

    let draft = match (customer, currency.and_then(|c| settings.currencies.get(&c))) {
        (Some(customer), Some(currency)) => Some(SalesOrderDraft {
            external_id: external_id(po.program, &po.number),
            customer: customer.customer,
            subsidiary: customer.subsidiary,
            location: customer.location,
            custom_form: customer.form,
            currency: Some(currency.clone()),
            tran_date: po.ordered_at.date_naive(),
            ship_date: ship_date(po),
            other_ref_num: po.number.clone(),
            memo: Some(format!(
                "Amazon Vendor Central {} PO {}",
                po.program.code(),
                po.number
            )),
            status,
            shipping_address,
            lines,
            custom_fields: CustomFields::new(),
        }),
        _ => None,
    };
    finish(
        po,
        problems,
        draft.map(|draft| MappedOrder {
            draft,
            rejected_lines,
        }),
    )
}

fn ship_date(po: &PurchaseOrder) -> Option<NaiveDate> {
    match &po.details {
        ProgramDetails::DirectFulfillment(df) => Some(df.required_ship_date.date_naive()),
        ProgramDetails::Retail(_) => po.ship_window.map(|w| w.start.date_naive()),
    }
}

/// The acknowledgement sent at once when auto acknowledgement is on: every line
/// accepted as ordered at Amazon's net cost, except lines the unmapped-item policy
/// rejects (Retail: Rejected with `InvalidProductIdentifier`; Direct Fulfillment: the
/// whole order rejected with code `02`). Direct Fulfillment accepts with code `00`.
/// A line with nothing ordered (cancelled by Amazon) is left out in both programs.
/// For a vendor code that sells books at list price
/// ([`Settings::sells_at_list_price`]), each retail line carries its list price and
/// `discountMultiplier`, the net cost over the list price.
///
/// # Errors
/// A [`ValidationError`] when a Direct Fulfillment order has no ship-from party, a
/// list-price vendor's line has no list price or no exact multiplier, or the result
/// breaks an acknowledgement rule ([`check_acknowledgement`]).
pub fn auto_acknowledgement(
    po: &PurchaseOrder,
    mapped: &MappedOrder,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Acknowledgement, ValidationError> {
    let mut problems = Vec::new();
    let ack = match po.program {
        Program::RetailProcurement => {
            let mut lines = Vec::new();
            // A line with nothing ordered (Amazon cancelled it) is left out: Amazon's
            // models say an acknowledged quantity should not be zero, and Amazon takes
            // a line left out as rejected.
            for line in po.lines.iter().filter(|l| l.ordered.amount != 0) {
                let decision = if mapped.rejected_lines.contains(&line.sequence) {
                    rejected(line.ordered, RejectionReason::InvalidProductIdentifier)
                } else {
                    LineDecision {
                        code: AcknowledgementCode::Accepted,
                        quantity: line.ordered,
                        scheduled_ship_date: None,
                        scheduled_delivery_date: None,
                        rejection_reason: None,
                    }
                };
                lines.push(retail_line(line, line.net_cost, vec![decision]));
            }
            let mut ack = RetailAcknowledgement {
                purchase_order_number: po.number.clone(),
                selling_party: po.selling_party.clone(),
                acknowledged_at: now,
                lines,
            };
            add_discount_multipliers(po, &mut ack, settings, &mut problems);
            Some(Acknowledgement::Retail(ack))
        }
        Program::DirectFulfillment => {
            let code = if mapped.rejected_lines.is_empty() {
                df_status::ACCEPTED
            } else {
                df_status::INVALID_SKU
            };
            direct_fulfillment(
                po,
                code,
                external_id(po.program, &po.number).as_str(),
                now,
                &mut problems,
            )
        }
    };
    let ack = finish(po, problems, ack)?;
    check_acknowledgement(po, &ack, None)?;
    Ok(ack)
}

fn rejected(ordered: Quantity, reason: RejectionReason) -> LineDecision {
    LineDecision {
        code: AcknowledgementCode::Rejected,
        quantity: ordered,
        scheduled_ship_date: None,
        scheduled_delivery_date: None,
        rejection_reason: Some(reason),
    }
}

fn retail_line(
    line: &OrderLine,
    net_cost: Price,
    decisions: Vec<LineDecision>,
) -> RetailAcknowledgementLine {
    RetailAcknowledgementLine {
        sequence: line.sequence.clone(),
        asin: line.asin.clone(),
        vendor_sku: line.vendor_sku.clone(),
        ordered: line.ordered,
        net_cost,
        list_price: line.list_price,
        discount_multiplier: None,
        decisions,
    }
}

/// For a vendor code that sells books at list price
/// ([`Settings::sells_at_list_price`]), sets each line's list price and
/// `discountMultiplier`: the confirmed net cost over Amazon's list price, exact.
/// A line without a list price, one in another currency or basis, or a quotient
/// with no exact decimal is a problem: a multiplier is never rounded.
fn add_discount_multipliers(
    po: &PurchaseOrder,
    ack: &mut RetailAcknowledgement,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) {
    if !settings.sells_at_list_price(&po.selling_party) {
        return;
    }
    for line in &mut ack.lines {
        let Some(index) = po.lines.iter().position(|l| l.sequence == line.sequence) else {
            continue;
        };
        let field = format!("{}.listPrice", item_path(index));
        let Some(list) = po.lines[index].list_price else {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::Missing,
            ));
            continue;
        };
        if list.basis != line.net_cost.basis
            || list.money.currency() != line.net_cost.money.currency()
        {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::Invalid {
                    reason: format!(
                        "the list price {} is not in the net cost's currency and basis",
                        list.money
                    ),
                },
            ));
            continue;
        }
        let net = line.net_cost.money.amount();
        match checked_div_exact(net, list.money.amount()) {
            Some(multiplier) => {
                line.list_price = Some(list);
                line.discount_multiplier = Some(multiplier);
            }
            None => problems.push(problem(
                po,
                Some(&line.sequence),
                format!("acknowledgement.items[{index}].discountMultiplier"),
                ProblemKind::Invalid {
                    reason: format!(
                        "the net cost {net} over the list price {} has no exact decimal; Amazon takes the multiplier as sent, so set a net cost that divides exactly",
                        list.money.amount()
                    ),
                },
            )),
        }
    }
}

fn direct_fulfillment(
    po: &PurchaseOrder,
    code: &str,
    vendor_order_number: &str,
    now: DateTime<Utc>,
    problems: &mut Vec<Problem>,
) -> Option<Acknowledgement> {
    let ship_from = po.ship_from.as_ref().and_then(|p| p.id.clone());
    if ship_from.is_none() {
        problems.push(problem(
            po,
            None,
            "orderDetails.shipFromParty.partyId".into(),
            ProblemKind::Missing,
        ));
    }
    let mut lines = Vec::new();
    for (index, line) in po.lines.iter().enumerate() {
        match line.ordered.eaches() {
            // Nothing ordered: the line is left out, never acknowledged as zero.
            Some(0) => {}
            Some(quantity) => lines.push(DirectFulfillmentAcknowledgementLine {
                sequence: line.sequence.clone(),
                asin: line.asin.clone(),
                vendor_sku: line.vendor_sku.clone(),
                quantity,
            }),
            None => problems.push(problem(
                po,
                Some(&line.sequence),
                format!("{}.orderedQuantity", item_path(index)),
                ProblemKind::OutOfRange {
                    what: "the ordered quantity in eaches".into(),
                },
            )),
        }
    }
    Some(Acknowledgement::DirectFulfillment(
        DirectFulfillmentAcknowledgement {
            purchase_order_number: po.number.clone(),
            vendor_order_number: vendor_order_number.to_owned(),
            acknowledged_at: now,
            status_code: code.to_owned(),
            status_description: df_status::description(code).unwrap_or_default().to_owned(),
            selling_party: po.selling_party.clone(),
            ship_from: ship_from?,
            lines,
        },
    ))
}

/// What the approved sales order says about one PO line.
struct Approved {
    /// Approved eaches.
    eaches: u64,
    /// The rate of the open lines, if any are open.
    rate: Option<Decimal>,
    /// The latest expected ship date set on the line.
    ship_date: Option<NaiveDate>,
}

fn so_field(line: &SalesOrderLineSnapshot, field: &str) -> String {
    format!("salesOrder.item[line={}].{field}", line.line)
}

/// Builds the acknowledgement for a sales order a reviewer approved in NetSuite.
///
/// Retail, per PO line: the approved quantity (the open sales-order lines for it, in
/// eaches, back in the PO's unit) is Accepted; the rest is Backordered when the PO
/// allows back orders and a sales-order line for it carries an expected ship date,
/// and Rejected with the configured reason otherwise; a line the unmapped-item policy
/// left out is Rejected as `InvalidProductIdentifier`. The net cost is the approved
/// rate. Direct Fulfillment: full quantity on every line accepts the order (`00`);
/// every line closed rejects it with the code for the configured reason (`03` out of
/// stock, `02` invalid SKU, `71` discontinued), or `02` when an item was not mapped.
/// A sales order Cancelled or Closed in NetSuite rejects every line. A line with
/// nothing ordered (cancelled by Amazon) is left out in both programs. A list-price
/// vendor's lines carry the list price and `discountMultiplier`, as in
/// [`auto_acknowledgement`].
///
/// `previous` is the last acknowledgement Amazon confirmed, for the rule that a
/// rejected line can never be accepted again.
///
/// # Errors
/// A [`ValidationError`] listing every problem, so the order stays with the reviewer
/// and nothing is sent: the order is not approved; a PO line has no sales-order line;
/// a sales-order line names no PO line; an approved quantity above the ordered
/// quantity or not a whole number of cases; a rate above Amazon's net cost, zero, or
/// several rates for one PO line; a line rejected before and accepted now; part of a
/// Direct Fulfillment order.
pub fn acknowledgement_from_sales_order(
    po: &PurchaseOrder,
    snapshot: &SalesOrderSnapshot,
    previous: Option<&Acknowledgement>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Acknowledgement, ValidationError> {
    let mut problems = Vec::new();
    let everything_closed = match &snapshot.status {
        NetSuiteStatus::PendingApproval => {
            problems.push(problem(
                po,
                None,
                "salesOrder.status".into(),
                ProblemKind::Invalid {
                    reason: "the sales order is still pending approval".into(),
                },
            ));
            false
        }
        NetSuiteStatus::Cancelled | NetSuiteStatus::Closed => true,
        NetSuiteStatus::Other(letter) => {
            problems.push(problem(
                po,
                None,
                "salesOrder.status".into(),
                ProblemKind::Invalid {
                    reason: format!("status `{letter}` is not one this version knows"),
                },
            ));
            false
        }
        _ => false,
    };

    let mut by_sequence: BTreeMap<&ItemSequenceNumber, Vec<&SalesOrderLineSnapshot>> =
        BTreeMap::new();
    for line in &snapshot.lines {
        let Some(sequence) = &line.sequence else {
            // A line a person added in NetSuite: not Amazon's, nothing to acknowledge.
            continue;
        };
        if po.lines.iter().any(|l| &l.sequence == sequence) {
            by_sequence.entry(sequence).or_default().push(line);
        } else {
            problems.push(problem(
                po,
                None,
                so_field(line, "custcol_avc_item_seq"),
                ProblemKind::LineNotOnOrder {
                    sequence: sequence.to_string(),
                },
            ));
        }
    }

    let unmapped_rejected = |line: &OrderLine| {
        settings.policies.unmapped_item == UnmappedItemPolicy::RejectLine
            && settings.items.lookup(line).is_none()
    };

    // Per PO line: `None` when the line is rejected outright (not in the sales order by
    // policy, or cancelled by Amazon).
    let mut approved: Vec<Option<Approved>> = Vec::new();
    let mut any_invalid_sku = false;
    for (index, line) in po.lines.iter().enumerate() {
        let Some(so_lines) = by_sequence.get(&line.sequence) else {
            if unmapped_rejected(line) {
                any_invalid_sku = true;
            } else if line.ordered.amount != 0 {
                problems.push(problem(
                    po,
                    Some(&line.sequence),
                    format!("{}.itemSequenceNumber", item_path(index)),
                    ProblemKind::LineNotInSalesOrder,
                ));
            }
            approved.push(None);
            continue;
        };
        let mut eaches: u64 = 0;
        let mut rate: Option<Decimal> = None;
        let mut ship_date: Option<NaiveDate> = None;
        for so in so_lines {
            if so.is_closed || everything_closed {
                continue;
            }
            eaches = match eaches.checked_add(so.quantity) {
                Some(e) => e,
                None => {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        so_field(so, "quantity"),
                        ProblemKind::OutOfRange {
                            what: "the approved quantity".into(),
                        },
                    ));
                    0
                }
            };
            match rate {
                None => rate = Some(so.rate),
                Some(first) if first != so.rate => problems.push(problem(
                    po,
                    Some(&line.sequence),
                    so_field(so, "rate"),
                    ProblemKind::SeveralRates {
                        first,
                        other: so.rate,
                    },
                )),
                Some(_) => {}
            }
            ship_date = ship_date.max(so.expected_ship_date);
        }
        approved.push(Some(Approved {
            eaches,
            rate,
            ship_date,
        }));
    }

    let ack = match po.program {
        Program::RetailProcurement => {
            let mut lines = Vec::new();
            for ((index, line), approved) in po.lines.iter().enumerate().zip(&approved) {
                match approved {
                    // Nothing ordered: left out (see `auto_acknowledgement`).
                    None if line.ordered.amount == 0 => {}
                    None => {
                        let reason = if unmapped_rejected(line) {
                            RejectionReason::InvalidProductIdentifier
                        } else {
                            settings.policies.default_rejection_reason
                        };
                        lines.push(retail_line(
                            line,
                            line.net_cost,
                            vec![rejected(line.ordered, reason)],
                        ));
                    }
                    Some(a) => {
                        if let Some(l) =
                            retail_from_approved(po, index, line, a, settings, &mut problems)
                        {
                            lines.push(l);
                        }
                    }
                }
            }
            let mut ack = RetailAcknowledgement {
                purchase_order_number: po.number.clone(),
                selling_party: po.selling_party.clone(),
                acknowledged_at: now,
                lines,
            };
            add_discount_multipliers(po, &mut ack, settings, &mut problems);
            Some(Acknowledgement::Retail(ack))
        }
        Program::DirectFulfillment => {
            let mut full = true;
            let mut none = true;
            for ((index, line), approved) in po.lines.iter().enumerate().zip(&approved) {
                let ordered = line.ordered.eaches().unwrap_or(u64::MAX);
                let eaches = approved.as_ref().map_or(0, |a| a.eaches);
                if let Some(a) = approved {
                    check_approved_rate(po, index, line, a, settings, &mut problems);
                    if a.eaches > ordered {
                        problems.push(problem(
                            po,
                            Some(&line.sequence),
                            format!("{}.orderedQuantity", item_path(index)),
                            ProblemKind::QuantityAboveOrdered {
                                approved: a.eaches,
                                ordered,
                            },
                        ));
                    }
                }
                full &= eaches == ordered;
                none &= eaches == 0;
            }
            let code = if any_invalid_sku {
                Some(df_status::INVALID_SKU)
            } else if none {
                Some(df_rejection_code(
                    settings.policies.default_rejection_reason,
                ))
            } else if full {
                Some(df_status::ACCEPTED)
            } else {
                problems.push(problem(
                    po,
                    None,
                    "salesOrder.item".into(),
                    ProblemKind::PartialDirectFulfillment,
                ));
                None
            };
            let vendor_order_number = snapshot
                .tran_id
                .clone()
                .unwrap_or_else(|| snapshot.external_id.to_string());
            code.and_then(|code| {
                direct_fulfillment(po, code, &vendor_order_number, now, &mut problems)
            })
        }
    };
    let ack = finish(po, problems, ack)?;
    check_acknowledgement(po, &ack, previous)?;
    Ok(ack)
}

/// Checks the approved rate against Amazon's net cost per each; returns the net cost
/// per each when it could be worked out.
fn check_approved_rate(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    approved: &Approved,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Option<Decimal> {
    let net = match net_cost_per_each(po, index, line, settings) {
        Ok(n) => n,
        Err(p) => {
            problems.push(*p);
            return None;
        }
    };
    if let Some(rate) = approved.rate {
        let field = format!("{}.{}", item_path(index), cost_field(po));
        if rate > net {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::RateAboveNetCost {
                    rate,
                    net_cost: net,
                },
            ));
        } else if !rate.is_positive() && approved.eaches > 0 {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::RateNotPositive { rate },
            ));
        }
    }
    Some(net)
}

fn retail_from_approved(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    approved: &Approved,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Option<RetailAcknowledgementLine> {
    let before = problems.len();
    let net = check_approved_rate(po, index, line, approved, settings, problems);
    let qty_field = format!("{}.orderedQuantity", item_path(index));
    let Some(ordered) = line.ordered.eaches() else {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field,
            ProblemKind::OutOfRange {
                what: "the ordered quantity in eaches".into(),
            },
        ));
        return None;
    };
    if approved.eaches > ordered {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field.clone(),
            ProblemKind::QuantityAboveOrdered {
                approved: approved.eaches,
                ordered,
            },
        ));
    }
    let unit_size = match line.ordered.unit {
        QuantityUnit::Eaches => 1,
        QuantityUnit::Cases => line.ordered.unit_size,
    };
    let to_unit = |eaches: u64| -> Option<u64> {
        if eaches.checked_rem(unit_size)? == 0 {
            eaches.checked_div(unit_size)
        } else {
            None
        }
    };
    let accepted = to_unit(approved.eaches);
    if accepted.is_none() {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field,
            ProblemKind::NotWholeCases {
                eaches: approved.eaches,
                unit_size,
            },
        ));
    }
    if problems.len() > before {
        return None;
    }
    let accepted = accepted?;
    let rest = line.ordered.amount.checked_sub(accepted)?;
    let quantity = |amount: u64| Quantity {
        amount,
        ..line.ordered
    };
    let date = approved
        .ship_date
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let mut decisions = Vec::new();
    if accepted > 0 {
        decisions.push(LineDecision {
            code: AcknowledgementCode::Accepted,
            quantity: quantity(accepted),
            scheduled_ship_date: date,
            scheduled_delivery_date: None,
            rejection_reason: None,
        });
    }
    if rest > 0 {
        if line.back_order_allowed && date.is_some() && rest > 0 {
            decisions.push(LineDecision {
                code: AcknowledgementCode::Backordered,
                quantity: quantity(rest),
                scheduled_ship_date: date,
                scheduled_delivery_date: None,
                rejection_reason: None,
            });
        } else {
            decisions.push(rejected(
                quantity(rest),
                settings.policies.default_rejection_reason,
            ));
        }
    }
    if decisions.is_empty() {
        // Nothing ordered and nothing approved: the line is left out, as Amazon takes
        // a missing line as rejected and a zero quantity should not be sent.
        return None;
    }
    let net_cost = match (approved.rate, net) {
        (Some(rate), Some(net)) if rate != net => match line.net_cost.basis {
            PriceBasis::Each => Price {
                money: Money::new(rate, line.net_cost.money.currency()),
                basis: PriceBasis::Each,
            },
            PriceBasis::Weight(unit) => {
                let weight = settings
                    .items
                    .lookup(line)
                    .and_then(|m| m.target.weight_per_each.get(unit));
                match weight.and_then(|w| checked_div_exact(rate, w)) {
                    Some(per_weight) => Price {
                        money: Money::new(per_weight, line.net_cost.money.currency()),
                        basis: line.net_cost.basis,
                    },
                    None => {
                        problems.push(problem(
                            po,
                            Some(&line.sequence),
                            format!("{}.{}", item_path(index), cost_field(po)),
                            ProblemKind::Invalid {
                                reason: format!("rate {rate} per each is no exact price per {unit:?}; Amazon prices this line per weight, so set a rate that divides exactly or keep Amazon's"),
                            },
                        ));
                        return None;
                    }
                }
            }
        },
        _ => line.net_cost,
    };
    Some(retail_line(line, net_cost, decisions))
}

/// Amazon's acknowledgement rules, checked on every acknowledgement before it is sent:
/// it is for this PO; every PO line with something ordered appears exactly once, a
/// line with nothing ordered at most once, and no other line; no acknowledged
/// quantity is zero (Amazon's models: it should not be); no line acknowledges more
/// than was ordered; a Rejected part carries a reason and only a
/// Rejected part does; Backordered only where the PO allows back orders; the net cost
/// is in the PO's currency and basis, above zero and not above Amazon's; a line that
/// `previous` (the last acknowledgement Amazon confirmed) rejected in part is never
/// accepted beyond what it kept; a Direct Fulfillment acceptance (`00`) covers every
/// line in full.
///
/// # Errors
/// A [`ValidationError`] listing every rule broken.
pub fn check_acknowledgement(
    po: &PurchaseOrder,
    ack: &Acknowledgement,
    previous: Option<&Acknowledgement>,
) -> Result<(), ValidationError> {
    let mut problems = Vec::new();
    if ack.purchase_order_number() != &po.number {
        problems.push(problem(
            po,
            None,
            "purchaseOrderNumber".into(),
            ProblemKind::Invalid {
                reason: format!(
                    "the acknowledgement is for PO {}",
                    ack.purchase_order_number()
                ),
            },
        ));
    }
    let sequences: Vec<&ItemSequenceNumber> = match ack {
        Acknowledgement::Retail(a) => a.lines.iter().map(|l| &l.sequence).collect(),
        Acknowledgement::DirectFulfillment(a) => a.lines.iter().map(|l| &l.sequence).collect(),
    };
    if sequences.is_empty() {
        problems.push(problem(
            po,
            None,
            "acknowledgement.items".into(),
            ProblemKind::Missing,
        ));
    }
    for (index, line) in po.lines.iter().enumerate() {
        let count = sequences.iter().filter(|s| **s == &line.sequence).count();
        // A line with nothing ordered may be left out: Amazon takes it as rejected.
        let left_out_as_cancelled = count == 0 && line.ordered.amount == 0;
        if count != 1 && !left_out_as_cancelled {
            problems.push(problem(
                po,
                Some(&line.sequence),
                format!("acknowledgement.items[{index}]"),
                if count == 0 {
                    ProblemKind::Missing
                } else {
                    ProblemKind::Invalid {
                        reason: format!("the line is acknowledged {count} times"),
                    }
                },
            ));
        }
    }
    for s in &sequences {
        if !po.lines.iter().any(|l| &l.sequence == *s) {
            problems.push(problem(
                po,
                None,
                "acknowledgement.items".into(),
                ProblemKind::LineNotOnOrder {
                    sequence: s.to_string(),
                },
            ));
        }
    }
    match ack {
        Acknowledgement::Retail(a) => {
            let previous = match previous {
                Some(Acknowledgement::Retail(p)) => Some(p),
                _ => None,
            };
            for (index, line) in po.lines.iter().enumerate() {
                let Some(al) = a.lines.iter().find(|l| l.sequence == line.sequence) else {
                    continue;
                };
                check_retail_line(
                    po,
                    index,
                    line,
                    al,
                    previous.and_then(|p| p.lines.iter().find(|l| l.sequence == line.sequence)),
                    &mut problems,
                );
            }
        }
        Acknowledgement::DirectFulfillment(a) => {
            let mut full = true;
            for (index, line) in po.lines.iter().enumerate() {
                let Some(al) = a.lines.iter().find(|l| l.sequence == line.sequence) else {
                    continue;
                };
                let ordered = line.ordered.eaches().unwrap_or(0);
                if al.quantity == 0 {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        format!("acknowledgement.items[{index}].acknowledgedQuantity"),
                        ProblemKind::Invalid {
                            reason: ZERO_QUANTITY.into(),
                        },
                    ));
                }
                if al.quantity > ordered {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        format!("acknowledgement.items[{index}].acknowledgedQuantity"),
                        ProblemKind::QuantityAboveOrdered {
                            approved: al.quantity,
                            ordered,
                        },
                    ));
                }
                full &= al.quantity == ordered;
            }
            if a.status_code == df_status::ACCEPTED {
                if !full {
                    problems.push(problem(
                        po,
                        None,
                        "acknowledgement.acknowledgementStatus.code".into(),
                        ProblemKind::PartialDirectFulfillment,
                    ));
                }
                if let Some(Acknowledgement::DirectFulfillment(p)) = previous {
                    if p.status_code != df_status::ACCEPTED {
                        problems.push(problem(
                            po,
                            None,
                            "acknowledgement.acknowledgementStatus.code".into(),
                            ProblemKind::RejectedLineAccepted {
                                previously_kept: 0,
                                now_kept: a
                                    .lines
                                    .iter()
                                    .map(|l| l.quantity)
                                    .fold(0, u64::saturating_add),
                            },
                        ));
                    }
                }
            }
        }
    }
    finish(po, problems, Some(()))
}

/// Why an acknowledged quantity of zero is refused.
const ZERO_QUANTITY: &str =
    "an acknowledged quantity of zero; a line with nothing ordered is left out instead";

fn eaches_of(q: &Quantity) -> u64 {
    q.eaches().unwrap_or(u64::MAX)
}

fn check_retail_line(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    al: &RetailAcknowledgementLine,
    previous: Option<&RetailAcknowledgementLine>,
    problems: &mut Vec<Problem>,
) {
    let at = |field: &str| format!("acknowledgement.items[{index}].{field}");
    let seq = Some(&line.sequence);
    if al.decisions.is_empty() {
        problems.push(problem(
            po,
            seq,
            at("itemAcknowledgements"),
            ProblemKind::Missing,
        ));
    }
    let ordered = eaches_of(&line.ordered);
    let mut total: u64 = 0;
    let mut kept: u64 = 0;
    let mut all_rejected = true;
    for d in &al.decisions {
        if d.quantity.unit != line.ordered.unit || d.quantity.unit_size != line.ordered.unit_size {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements.acknowledgedQuantity"),
                ProblemKind::Invalid {
                    reason: "the quantity is not in the PO line's unit".into(),
                },
            ));
        }
        if d.quantity.amount == 0 {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements.acknowledgedQuantity"),
                ProblemKind::Invalid {
                    reason: ZERO_QUANTITY.into(),
                },
            ));
        }
        let e = eaches_of(&d.quantity);
        total = total.saturating_add(e);
        match d.code {
            AcknowledgementCode::Rejected => {
                if d.rejection_reason.is_none() {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.rejectionReason"),
                        ProblemKind::Missing,
                    ));
                }
            }
            AcknowledgementCode::Accepted | AcknowledgementCode::Backordered => {
                all_rejected = false;
                kept = kept.saturating_add(e);
                if d.rejection_reason.is_some() {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.rejectionReason"),
                        ProblemKind::Invalid {
                            reason: "only a Rejected part carries a rejection reason".into(),
                        },
                    ));
                }
                if d.code == AcknowledgementCode::Backordered && !line.back_order_allowed {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.acknowledgementCode"),
                        ProblemKind::Invalid {
                            reason:
                                "Backordered, but the PO does not allow back orders on this line"
                                    .into(),
                        },
                    ));
                }
            }
        }
    }
    if total > ordered {
        problems.push(problem(
            po,
            seq,
            at("itemAcknowledgements.acknowledgedQuantity"),
            ProblemKind::QuantityAboveOrdered {
                approved: total,
                ordered,
            },
        ));
    }
    if al.net_cost.basis != line.net_cost.basis
        || al.net_cost.money.currency() != line.net_cost.money.currency()
    {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::Invalid {
                reason: format!(
                    "the net cost {} is not in the PO's currency and basis",
                    al.net_cost.money
                ),
            },
        ));
    } else if al.net_cost.money.amount() > line.net_cost.money.amount() {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::RateAboveNetCost {
                rate: al.net_cost.money.amount(),
                net_cost: line.net_cost.money.amount(),
            },
        ));
    } else if !all_rejected && !al.net_cost.money.amount().is_positive() {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::RateNotPositive {
                rate: al.net_cost.money.amount(),
            },
        ));
    }
    if let Some(p) = previous {
        let mut previously_kept: u64 = 0;
        let mut previously_rejected = false;
        for d in &p.decisions {
            match d.code {
                AcknowledgementCode::Rejected => previously_rejected = true,
                _ => previously_kept = previously_kept.saturating_add(eaches_of(&d.quantity)),
            }
        }
        if previously_rejected && kept > previously_kept {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements"),
                ProblemKind::RejectedLineAccepted {
                    previously_kept,
                    now_kept: kept,
                },
            ));
        }
    }
}

/// Whether an acknowledgement rejects everything: every retail part Rejected, or a
/// Direct Fulfillment code other than `00`.
pub fn rejects_everything(ack: &Acknowledgement) -> bool {
    match ack {
        Acknowledgement::Retail(a) => a
            .lines
            .iter()
            .flat_map(|l| &l.decisions)
            .all(|d| d.code == AcknowledgementCode::Rejected),
        Acknowledgement::DirectFulfillment(a) => a.status_code != df_status::ACCEPTED,
    }
}

/// Orders, settings and snapshots for the unit and property tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::TimeZone;

    use super::*;
    use crate::ids::{Asin, InternalId, PartyId, VendorSku};
    use crate::order::{
        Address, AmazonOrderState, DateWindow, DirectFulfillmentDetails, Party, RetailDetails,
    };
    use crate::sales_order::SalesOrderLineSnapshot;

    pub(crate) fn t(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    pub(crate) fn settings() -> Settings {
        Settings::from_json(
            r#"{
              "customers": {
                "retailProcurement": { "customer": "1234", "location": "3" },
                "directFulfillment": { "customer": "1250" }
              },
              "currencies": { "USD": "1" },
              "items": {
                "byVendorSku": {
                  "SKU-1": { "item": "98" },
                  "SKU-2": { "item": "99" },
                  "BEANS": { "item": "120", "weightPerEach": { "pounds": "2.5" } }
                },
                "byAsin": { "B000000003": { "item": "100" } }
              }
            }"#,
        )
        .unwrap()
    }

    pub(crate) fn usd(amount: &str) -> Price {
        Price {
            money: Money::new(amount.parse().unwrap(), "USD".parse().unwrap()),
            basis: PriceBasis::Each,
        }
    }

    pub(crate) fn line(seq: &str, sku: &str, ordered: Quantity, cost: &str) -> OrderLine {
        OrderLine {
            sequence: ItemSequenceNumber::new(seq).unwrap(),
            asin: None,
            vendor_sku: Some(VendorSku::new(sku).unwrap()),
            title: None,
            ordered,
            net_cost: usd(cost),
            list_price: None,
            back_order_allowed: false,
        }
    }

    pub(crate) fn cases(amount: u64, unit_size: u64) -> Quantity {
        Quantity {
            amount,
            unit: QuantityUnit::Cases,
            unit_size,
        }
    }

    /// Retail PO 4Z32PABC: line 1, 3 cases of 12 SKU-1 at 9.50; line 2, 10 eaches of
    /// SKU-2 at 4.00 (back orders allowed).
    pub(crate) fn retail_po() -> PurchaseOrder {
        let mut second = line("2", "SKU-2", Quantity::eaches_of(10), "4.00");
        second.back_order_allowed = true;
        second.asin = Some(Asin::new("B000000002").unwrap());
        PurchaseOrder {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
            state: AmazonOrderState::New,
            ordered_at: t(0),
            changed_at: None,
            state_changed_at: None,
            selling_party: PartyId::new("ABCDE").unwrap(),
            buying_party: None,
            ship_to: Some(Party {
                id: Some(PartyId::new("ABE8").unwrap()),
                address: None,
            }),
            ship_from: None,
            bill_to: None,
            ship_window: Some(DateWindow {
                start: t(0) + chrono::TimeDelta::days(9),
                end: t(0) + chrono::TimeDelta::days(15),
            }),
            delivery_window: None,
            details: ProgramDetails::Retail(RetailDetails {
                order_type: Some("RegularOrder".into()),
                payment_method: None,
                deal_code: None,
                is_import: false,
            }),
            lines: vec![line("1", "SKU-1", cases(3, 12), "9.50"), second],
        }
    }

    /// Direct Fulfillment order DF0001 shipped to a consumer: two lines of SKU-1 and
    /// SKU-2, 1 and 2 eaches.
    pub(crate) fn df_po() -> PurchaseOrder {
        PurchaseOrder {
            program: Program::DirectFulfillment,
            number: PurchaseOrderNumber::new("DF0001").unwrap(),
            state: AmazonOrderState::New,
            ordered_at: t(0),
            changed_at: None,
            state_changed_at: None,
            selling_party: PartyId::new("ABCDE").unwrap(),
            buying_party: None,
            ship_to: Some(Party {
                id: None,
                address: Some(Address {
                    name: "Jane Consumer".into(),
                    address_line1: "17 Private Lane".into(),
                    city: Some("Springfield".into()),
                    phone: Some("555-0100".into()),
                    country_code: "US".into(),
                    ..Address::default()
                }),
            }),
            ship_from: Some(Party {
                id: Some(PartyId::new("WH01").unwrap()),
                address: None,
            }),
            bill_to: None,
            ship_window: None,
            delivery_window: None,
            details: ProgramDetails::DirectFulfillment(DirectFulfillmentDetails {
                customer_order_number: "111-222".into(),
                ship_method: "UPS_2ND".into(),
                required_ship_date: t(0) + chrono::TimeDelta::days(2),
                promised_delivery_date: None,
                is_priority: false,
                is_gift: false,
                is_pslip_required: false,
                message_to_customer: None,
            }),
            lines: vec![
                line("1", "SKU-1", Quantity::eaches_of(1), "20.00"),
                line("2", "SKU-2", Quantity::eaches_of(2), "5.00"),
            ],
        }
    }

    /// The sales order as created from `po`, read back with `status`.
    pub(crate) fn snapshot(po: &PurchaseOrder, status: NetSuiteStatus) -> SalesOrderSnapshot {
        let mapped = sales_order_draft(po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
        SalesOrderSnapshot {
            internal_id: InternalId::new("5001").unwrap(),
            external_id: mapped.draft.external_id.clone(),
            tran_id: Some("SO1001".into()),
            status,
            last_modified: None,
            ship_date: mapped.draft.ship_date,
            lines: mapped
                .draft
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| SalesOrderLineSnapshot {
                    line: u64::try_from(i + 1).unwrap(),
                    sequence: Some(l.sequence.clone()),
                    item: l.item.clone(),
                    quantity: l.quantity,
                    rate: l.rate,
                    is_closed: false,
                    expected_ship_date: None,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::ids::PartyId;

    fn kinds(err: &ValidationError) -> Vec<&ProblemKind> {
        err.problems.iter().map(|p| &p.kind).collect()
    }

    fn retail(ack: &Acknowledgement) -> &RetailAcknowledgement {
        match ack {
            Acknowledgement::Retail(a) => a,
            Acknowledgement::DirectFulfillment(_) => panic!("expected a retail acknowledgement"),
        }
    }

    fn df(ack: &Acknowledgement) -> &DirectFulfillmentAcknowledgement {
        match ack {
            Acknowledgement::DirectFulfillment(a) => a,
            Acknowledgement::Retail(_) => panic!("expected a Direct Fulfillment acknowledgement"),
        }
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

    #[test]
    fn a_retail_po_maps_to_a_sales_order_in_eaches_at_amazon_cost() {
        let po = retail_po();
        let mapped =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
        let d = &mapped.draft;
        assert_eq!(d.external_id.as_str(), "AVC-RP-4Z32PABC");
        assert_eq!(d.other_ref_num, po.number);
        assert_eq!(d.customer.as_str(), "1234");
        assert_eq!(d.location.as_ref().map(|l| l.as_str()), Some("3"));
        assert_eq!(d.currency.as_ref().map(|l| l.as_str()), Some("1"));
        assert_eq!(d.status, SalesOrderStatus::PendingApproval);
        assert_eq!(
            d.ship_date,
            Some(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap())
        );
        assert_eq!(d.lines.len(), 2);
        assert_eq!(
            (d.lines[0].quantity, d.lines[0].rate.to_string()),
            (36, "9.50".into())
        );
        assert_eq!(d.lines[0].sequence.as_str(), "1");
        assert_eq!((d.lines[1].quantity, d.lines[1].item.as_str()), (10, "99"));
        assert!(mapped.rejected_lines.is_empty());
    }

    #[test]
    fn a_direct_fulfillment_order_ships_to_the_consumer_without_showing_them() {
        let po = df_po();
        let mapped =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingFulfillment).unwrap();
        let address = mapped.draft.shipping_address.as_ref().unwrap();
        assert_eq!(address.name, "Jane Consumer");
        assert_eq!(mapped.draft.customer.as_str(), "1250");
        assert_eq!(
            mapped.draft.ship_date,
            Some(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap())
        );
        let shown = format!("{mapped:?}");
        for secret in ["Jane", "Private", "555"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn unmapped_items_missing_customers_and_unknown_currencies_are_problems() {
        let mut po = retail_po();
        po.selling_party = PartyId::new("OTHER").unwrap();
        po.lines[0].vendor_sku = Some(VendorSkuT::new("NOPE").unwrap());
        po.lines[1].net_cost.money = Money::new("4".parse().unwrap(), "EUR".parse().unwrap());
        let mut s = settings();
        s.customers.retail_procurement.customer = None;
        s.currencies.clear();
        let err = sales_order_draft(&po, &s, SalesOrderStatus::PendingApproval).unwrap_err();
        assert_eq!(
            kinds(&err),
            vec![
                &ProblemKind::MissingCustomer {
                    program: Program::RetailProcurement,
                    selling_party: "OTHER".into()
                },
                &ProblemKind::UnknownCurrency {
                    currency: "USD".into()
                },
                &ProblemKind::UnmappedItem {
                    vendor_sku: Some("NOPE".into()),
                    asin: None
                },
                &ProblemKind::MixedCurrencies {
                    first: "USD".into(),
                    other: "EUR".into()
                },
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("PO 4Z32PABC: `orderDetails.items[0].vendorProductIdentifier` has no NetSuite item mapped for vendor SKU `NOPE` or ASIN `<none>` on line 1"),
            "{text}"
        );
    }

    #[test]
    fn the_asin_is_the_fallback_key_and_the_policy_can_reject_unmapped_lines() {
        let mut po = retail_po();
        po.lines[1].vendor_sku = Some(VendorSkuT::new("UNKNOWN").unwrap());
        po.lines[1].asin = Some(crate::ids::Asin::new("B000000003").unwrap());
        let mapped =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
        assert_eq!(mapped.draft.lines[1].item.as_str(), "100");

        po.lines[1].asin = None;
        let mut s = settings();
        s.policies.unmapped_item = UnmappedItemPolicy::RejectLine;
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        assert_eq!(mapped.draft.lines.len(), 1);
        assert_eq!(mapped.rejected_lines, vec![po.lines[1].sequence.clone()]);
        let ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        let line = &retail(&ack).lines[1];
        assert_eq!(line.decisions[0].code, AcknowledgementCode::Rejected);
        assert_eq!(
            line.decisions[0].rejection_reason,
            Some(RejectionReason::InvalidProductIdentifier)
        );
    }

    #[test]
    fn weight_prices_need_a_configured_conversion() {
        let mut po = retail_po();
        po.lines[0] = line("1", "BEANS", Quantity::eaches_of(4), "3.10");
        po.lines[0].net_cost.basis = PriceBasis::Weight(crate::order::WeightUnit::Pounds);
        let mapped =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
        assert_eq!(mapped.draft.lines[0].rate.to_string(), "7.75");

        po.lines[0].net_cost.basis = PriceBasis::Weight(crate::order::WeightUnit::Kilograms);
        let err =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingApproval).unwrap_err();
        assert_eq!(
            kinds(&err),
            vec![&ProblemKind::WeightPriceWithoutConversion {
                unit: crate::order::WeightUnit::Kilograms,
                key: "BEANS".into()
            }]
        );
    }

    #[test]
    fn a_lowered_weight_rate_is_sent_back_per_weight_when_exact() {
        let mut po = retail_po();
        po.lines[0] = line("1", "BEANS", Quantity::eaches_of(4), "3.10");
        po.lines[0].net_cost.basis = PriceBasis::Weight(crate::order::WeightUnit::Pounds);
        let mut snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        snap.lines[0].rate = "7.50".parse().unwrap();
        let ack = acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(2)).unwrap();
        assert_eq!(
            retail(&ack).lines[0].net_cost.money.amount().to_string(),
            "3"
        );
        snap.lines[0].rate = "7.00".parse().unwrap();
        let ack = acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(2)).unwrap();
        assert_eq!(
            retail(&ack).lines[0].net_cost.money.amount().to_string(),
            "2.8"
        );
        snap.lines[0].rate = "7.01".parse().unwrap();
        assert!(acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(2)).is_ok());
        snap.lines[0].rate = "1".parse().unwrap();
        // 1 / 2.5 = 0.4: exact.
        assert!(acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(2)).is_ok());
        assert_eq!(
            checked_div_exact("1".parse().unwrap(), "3".parse().unwrap()),
            None
        );
        assert_eq!(
            checked_div_exact("10".parse().unwrap(), "0.4".parse().unwrap()),
            Some("25".parse().unwrap())
        );
    }

    #[test]
    fn an_approved_order_is_acknowledged_line_by_line() {
        let po = retail_po();
        let mut snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        snap.lines[0].quantity = 24; // 2 of 3 cases
        snap.lines[0].rate = "9.25".parse().unwrap();
        snap.lines[1].quantity = 6;
        snap.lines[1].expected_ship_date = NaiveDate::from_ymd_opt(2025, 3, 20);
        let ack = acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(3)).unwrap();
        let a = retail(&ack);
        assert_eq!(a.acknowledged_at, t(3));
        let first = &a.lines[0];
        assert_eq!(first.net_cost.money.amount().to_string(), "9.25");
        assert_eq!(
            first
                .decisions
                .iter()
                .map(|d| (d.code, d.quantity.amount))
                .collect::<Vec<_>>(),
            vec![
                (AcknowledgementCode::Accepted, 2),
                (AcknowledgementCode::Rejected, 1)
            ]
        );
        assert_eq!(
            first.decisions[1].rejection_reason,
            Some(RejectionReason::TemporarilyUnavailable)
        );
        let second = &a.lines[1];
        assert_eq!(
            second
                .decisions
                .iter()
                .map(|d| (d.code, d.quantity.amount))
                .collect::<Vec<_>>(),
            vec![
                (AcknowledgementCode::Accepted, 6),
                (AcknowledgementCode::Backordered, 4)
            ]
        );
        assert!(second.decisions[1].scheduled_ship_date.is_some());
    }

    #[test]
    fn every_acknowledgement_rule_is_a_problem_for_the_reviewer() {
        let po = retail_po();
        let s = settings();
        let check = |edit: &dyn Fn(&mut SalesOrderSnapshot)| {
            let mut snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
            edit(&mut snap);
            acknowledgement_from_sales_order(&po, &snap, None, &s, t(3)).unwrap_err()
        };
        let above = check(&|s| s.lines[1].quantity = 11);
        assert_eq!(
            kinds(&above),
            vec![&ProblemKind::QuantityAboveOrdered {
                approved: 11,
                ordered: 10
            }]
        );
        let rate = check(&|s| s.lines[1].rate = "4.01".parse().unwrap());
        assert_eq!(
            kinds(&rate),
            vec![&ProblemKind::RateAboveNetCost {
                rate: "4.01".parse().unwrap(),
                net_cost: "4.00".parse().unwrap()
            }]
        );
        let cases = check(&|s| s.lines[0].quantity = 30);
        assert_eq!(
            kinds(&cases),
            vec![&ProblemKind::NotWholeCases {
                eaches: 30,
                unit_size: 12
            }]
        );
        let missing = check(&|s| {
            s.lines.remove(1);
        });
        assert_eq!(kinds(&missing), vec![&ProblemKind::LineNotInSalesOrder]);
        assert_eq!(missing.problems[0].line.as_deref(), Some("2"));
        let zero = check(&|s| s.lines[1].rate = Decimal::ZERO);
        assert_eq!(
            kinds(&zero),
            vec![&ProblemKind::RateNotPositive {
                rate: Decimal::ZERO
            }]
        );
        let pending = check(&|s| s.status = NetSuiteStatus::PendingApproval);
        assert_eq!(pending.problems[0].field, "salesOrder.status");

        // A line rejected in part before can only keep what it kept.
        let mut first = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        first.lines[1].quantity = 6;
        let previous = acknowledgement_from_sales_order(&po, &first, None, &s, t(3)).unwrap();
        let again = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        let err =
            acknowledgement_from_sales_order(&po, &again, Some(&previous), &s, t(4)).unwrap_err();
        assert_eq!(
            kinds(&err),
            vec![&ProblemKind::RejectedLineAccepted {
                previously_kept: 6,
                now_kept: 10
            }]
        );
        first.lines[1].quantity = 5;
        assert!(acknowledgement_from_sales_order(&po, &first, Some(&previous), &s, t(4)).is_ok());
    }

    #[test]
    fn closed_lines_and_closed_orders_are_rejected() {
        let po = retail_po();
        let mut snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        snap.lines[0].is_closed = true;
        let ack = acknowledgement_from_sales_order(&po, &snap, None, &settings(), t(3)).unwrap();
        let line = &retail(&ack).lines[0];
        assert_eq!(line.decisions.len(), 1);
        assert_eq!(
            (line.decisions[0].code, line.decisions[0].quantity),
            (AcknowledgementCode::Rejected, cases(3, 12))
        );
        assert!(!rejects_everything(&ack));
        let ack = acknowledgement_from_sales_order(
            &po,
            &snapshot(&po, NetSuiteStatus::Closed),
            None,
            &settings(),
            t(3),
        )
        .unwrap();
        assert!(rejects_everything(&ack));
    }

    #[test]
    fn a_line_amazon_cancelled_to_zero_is_left_out_of_every_acknowledgement() {
        let s = settings();
        let sequences = |ack: &Acknowledgement| -> Vec<String> {
            match ack {
                Acknowledgement::Retail(a) => {
                    a.lines.iter().map(|l| l.sequence.to_string()).collect()
                }
                Acknowledgement::DirectFulfillment(a) => {
                    a.lines.iter().map(|l| l.sequence.to_string()).collect()
                }
            }
        };
        for created in [retail_po(), df_po()] {
            // The sales order was made while both lines were ordered; Amazon then set
            // line 1 to zero and NetSuite closed its sales-order line.
            let mut snap = snapshot(&created, NetSuiteStatus::PendingFulfillment);
            snap.lines[0].is_closed = true;
            let mut po = created.clone();
            po.lines[0].ordered.amount = 0;
            let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
            let auto = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
            assert_eq!(sequences(&auto), ["2"], "{auto:?}");
            let manual = acknowledgement_from_sales_order(&po, &snap, None, &s, t(3)).unwrap();
            assert_eq!(sequences(&manual), ["2"], "{manual:?}");
            // No sales-order line for it at all (created after the cancellation).
            let fresh = snapshot(&po, NetSuiteStatus::PendingFulfillment);
            assert_eq!(fresh.lines.len(), 1);
            let manual = acknowledgement_from_sales_order(&po, &fresh, None, &s, t(3)).unwrap();
            assert_eq!(sequences(&manual), ["2"], "{manual:?}");
            // The rest of the order is answered as before.
            match &manual {
                Acknowledgement::Retail(a) => {
                    assert_eq!(a.lines[0].decisions[0].code, AcknowledgementCode::Accepted)
                }
                Acknowledgement::DirectFulfillment(a) => assert_eq!(a.status_code, "00"),
            }
        }
    }

    #[test]
    fn an_acknowledged_quantity_of_zero_breaks_the_rules() {
        let s = settings();
        let mut po = retail_po();
        po.lines[0].ordered.amount = 0;
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let mut ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        if let Acknowledgement::Retail(a) = &mut ack {
            let mut zero = retail_line(&po.lines[0], po.lines[0].net_cost, vec![]);
            zero.decisions = vec![rejected(
                po.lines[0].ordered,
                RejectionReason::TemporarilyUnavailable,
            )];
            a.lines.insert(0, zero);
        }
        let err = check_acknowledgement(&po, &ack, None).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(
            err.problems[0].field,
            "acknowledgement.items[0].itemAcknowledgements.acknowledgedQuantity"
        );

        let mut po = df_po();
        po.lines[0].ordered.amount = 0;
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let mut ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        if let Acknowledgement::DirectFulfillment(a) = &mut ack {
            let mut zero = a.lines[0].clone();
            zero.sequence = po.lines[0].sequence.clone();
            zero.quantity = 0;
            a.lines.insert(0, zero);
        }
        let err = check_acknowledgement(&po, &ack, None).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(
            err.problems[0].field,
            "acknowledgement.items[0].acknowledgedQuantity"
        );
        // A line with something ordered is still never left out.
        let mut short = auto_acknowledgement(
            &df_po(),
            &sales_order_draft(&df_po(), &s, SalesOrderStatus::PendingFulfillment).unwrap(),
            &s,
            t(1),
        )
        .unwrap();
        if let Acknowledgement::DirectFulfillment(a) = &mut short {
            a.lines.pop();
        }
        assert!(check_acknowledgement(&df_po(), &short, None).is_err());
    }

    #[test]
    fn a_list_price_vendor_sends_the_exact_discount_multiplier() {
        let mut s = settings();
        let mut po = retail_po();
        po.lines[0].list_price = Some(usd("10.00"));
        po.lines[1].list_price = Some(usd("5.00"));
        let wire = |ack: &Acknowledgement| {
            let body = crate::amazon::retail::SubmitAcknowledgementRequest::from_domain(
                std::slice::from_ref(retail(ack)),
            );
            serde_json::to_value(body).unwrap()["acknowledgements"][0]["items"].clone()
        };
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        // Not a list-price vendor: no multiplier.
        let ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        assert!(
            retail(&ack)
                .lines
                .iter()
                .all(|l| l.discount_multiplier.is_none())
        );
        assert!(wire(&ack)[0].get("discountMultiplier").is_none());

        s.list_price_vendor_codes.insert(po.selling_party.clone());
        let ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        let items = wire(&ack);
        assert_eq!(items[0]["discountMultiplier"], "0.95");
        assert_eq!(items[0]["listPrice"]["amount"], "10.00");
        assert_eq!(items[1]["discountMultiplier"], "0.8");
        // A reviewer's lower rate is the net cost the multiplier is taken from.
        let mut snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        snap.lines[0].rate = "9.00".parse().unwrap();
        let ack = acknowledgement_from_sales_order(&po, &snap, None, &s, t(3)).unwrap();
        assert_eq!(
            retail(&ack).lines[0]
                .discount_multiplier
                .map(|m| m.to_string()),
            Some("0.9".to_owned()),
            "{ack:?}"
        );
    }

    #[test]
    fn a_list_price_vendor_order_without_an_exact_multiplier_is_held() {
        let mut s = settings();
        let mut po = retail_po();
        s.list_price_vendor_codes.insert(po.selling_party.clone());
        po.lines[1].list_price = Some(usd("3.00"));
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let err = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap_err();
        let found: Vec<(Option<&str>, &str)> = err
            .problems
            .iter()
            .map(|p| (p.line.as_deref(), p.field.as_str()))
            .collect();
        // Line 1 has no list price at all; 4.00 over 3.00 repeats.
        assert_eq!(
            found,
            [
                (Some("1"), "orderDetails.items[0].listPrice"),
                (Some("2"), "acknowledgement.items[1].discountMultiplier")
            ],
            "{err}"
        );
        assert!(
            err.problems
                .iter()
                .all(|p| p.purchase_order_number == "4Z32PABC")
        );
        assert!(matches!(err.problems[0].kind, ProblemKind::Missing));
        let snap = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        assert!(acknowledgement_from_sales_order(&po, &snap, None, &s, t(3)).is_err());
    }

    #[test]
    fn direct_fulfillment_is_accepted_or_rejected_whole() {
        let po = df_po();
        let full = acknowledgement_from_sales_order(
            &po,
            &snapshot(&po, NetSuiteStatus::PendingFulfillment),
            None,
            &settings(),
            t(1),
        )
        .unwrap();
        let a = df(&full);
        assert_eq!(
            (
                a.status_code.as_str(),
                a.vendor_order_number.as_str(),
                a.ship_from.as_str()
            ),
            ("00", "SO1001", "WH01")
        );
        assert_eq!(
            a.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(),
            vec![1, 2]
        );

        let mut closed = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        for l in &mut closed.lines {
            l.is_closed = true;
        }
        let ack = acknowledgement_from_sales_order(&po, &closed, None, &settings(), t(1)).unwrap();
        assert_eq!(df(&ack).status_code, "03");
        let mut s = settings();
        s.policies.default_rejection_reason = RejectionReason::InvalidProductIdentifier;
        let ack = acknowledgement_from_sales_order(&po, &closed, None, &s, t(1)).unwrap();
        assert_eq!(df(&ack).status_code, "02");

        let mut partial = snapshot(&po, NetSuiteStatus::PendingFulfillment);
        partial.lines[1].quantity = 1;
        let err =
            acknowledgement_from_sales_order(&po, &partial, None, &settings(), t(1)).unwrap_err();
        assert_eq!(kinds(&err), vec![&ProblemKind::PartialDirectFulfillment]);
        assert!(
            err.to_string()
                .contains("Direct Fulfillment orders are accepted or rejected whole")
        );

        // Rejected once, never accepted afterwards.
        let err = acknowledgement_from_sales_order(
            &po,
            &snapshot(&po, NetSuiteStatus::PendingFulfillment),
            Some(&ack),
            &settings(),
            t(2),
        )
        .unwrap_err();
        assert!(matches!(
            err.problems[0].kind,
            ProblemKind::RejectedLineAccepted { .. }
        ));
    }

    #[test]
    fn auto_acknowledgement_accepts_every_line_as_ordered() {
        let po = retail_po();
        let s = settings();
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        for (l, ordered) in retail(&ack).lines.iter().zip(&po.lines) {
            assert_eq!(l.decisions.len(), 1);
            assert_eq!(
                (l.decisions[0].code, l.decisions[0].quantity),
                (AcknowledgementCode::Accepted, ordered.ordered)
            );
            assert_eq!(l.net_cost, ordered.net_cost);
        }
        let po = df_po();
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        assert_eq!(df(&ack).status_code, "00");
        assert_eq!(df(&ack).vendor_order_number, "AVC-DF-DF0001");
    }

    #[test]
    fn check_acknowledgement_refuses_a_hand_built_acknowledgement_that_breaks_the_rules() {
        let po = retail_po();
        let s = settings();
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment).unwrap();
        let mut ack = auto_acknowledgement(&po, &mapped, &s, t(1)).unwrap();
        if let Acknowledgement::Retail(a) = &mut ack {
            a.lines[0].decisions[0].quantity.amount = 4;
            a.lines[1].decisions[0].code = AcknowledgementCode::Rejected;
            a.lines.push(a.lines[1].clone());
        }
        let err = check_acknowledgement(&po, &ack, None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("acknowledged 2 times"), "{text}");
        assert!(
            text.contains("approves 48 eaches, more than the 36 ordered"),
            "{text}"
        );
        assert!(
            text.contains(
                "`acknowledgement.items[1].itemAcknowledgements.rejectionReason` is missing"
            ),
            "{text}"
        );
    }

    use crate::ids::VendorSku as VendorSkuT;

    #[test]
    fn three_letter_countries_are_written_as_two_and_unknown_ones_are_problems() {
        assert_eq!(two_letter_country("USA").as_deref(), Some("US"));
        assert_eq!(two_letter_country("us").as_deref(), Some("US"));
        assert_eq!(two_letter_country("XYZ"), None);
        assert_eq!(two_letter_country("U1"), None);
        let mut po = df_po();
        if let Some(address) = po.ship_to.as_mut().and_then(|p| p.address.as_mut()) {
            address.country_code = "USA".into();
        }
        let mapped =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingFulfillment).unwrap();
        assert_eq!(
            mapped
                .draft
                .shipping_address
                .as_ref()
                .map(|a| a.country_code.as_str()),
            Some("US")
        );
        if let Some(address) = po.ship_to.as_mut().and_then(|p| p.address.as_mut()) {
            address.country_code = "XYZ".into();
        }
        let err =
            sales_order_draft(&po, &settings(), SalesOrderStatus::PendingFulfillment).unwrap_err();
        assert_eq!(
            err.problems[0].field,
            "orderDetails.shipToParty.countryCode"
        );
    }
}
