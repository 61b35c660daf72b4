//! The sales order to create for a purchase order.

use chrono::NaiveDate;

use super::{cost_field, finish, item_path, net_cost_per_each, problem};
use crate::ids::{ItemSequenceNumber, external_id};
use crate::order::{ProblemKind, Program, ProgramDetails, PurchaseOrder, ValidationError};
use crate::sales_order::{CustomFields, SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus};
use crate::settings::{Settings, UnmappedItemPolicy};

/// A purchase order mapped to a sales order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedOrder {
    /// The sales order to create.
    pub draft: SalesOrderDraft,
    /// PO lines left out because their item is not mapped and the policy rejects such
    /// lines; they are acknowledged as Rejected with `InvalidProductIdentifier`.
    pub rejected_lines: Vec<ItemSequenceNumber>,
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
                        // A Direct Fulfillment ship-to is a consumer's address: the
                        // value stays out of the reason, which reaches reports.
                        reason: if po.program == Program::DirectFulfillment {
                            "is not an ISO 3166 country code the sync can write to \
                             NetSuite (the consumer's address is not shown)"
                                .to_owned()
                        } else {
                            format!(
                                "`{}` is not an ISO 3166 country code the sync can write to NetSuite",
                                crate::text::excerpt(&address.country_code)
                            )
                        },
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
pub(super) fn two_letter_country(code: &str) -> Option<String> {
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
