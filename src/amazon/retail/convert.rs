//! The conversion of a received order into the domain [`PurchaseOrder`].

use std::collections::HashMap;
use std::fmt;

use crate::order::{Child, Item};

use chrono::{DateTime, Utc};

use super::{
    Address, ItemQuantity, Money, Order, OrderItem, PartyIdentification, PriceUnitOfMeasure,
    PurchaseOrderState, UnitOfMeasure,
};
use crate::amazon::convert::{non_blank, optional, required};
use crate::decimal::Decimal;
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::money::CurrencyCode;
use crate::order::{
    AmazonOrderState, DateWindow, OrderLine, Party, Price, PriceBasis, Problems, Program,
    ProgramDetails, PurchaseOrder, Quantity, QuantityUnit, RetailDetails, ValidationError,
    WeightUnit, parse_instant,
};
use crate::text::excerpt;

impl Order {
    /// The validated purchase order, or every problem found in this one.
    ///
    /// Required: `purchaseOrderNumber`, a known `purchaseOrderState`, `orderDetails`
    /// with `purchaseOrderDate`, `purchaseOrderStateChangedDate`,
    /// `sellingParty.partyId` and at least one item; on each item
    /// `itemSequenceNumber`, `orderedQuantity.amount` (a `unitSize` of at least 1 for
    /// cases), `isBackOrderAllowed`, `netCost` with `amount` and `currencyCode`, and
    /// an ASIN or a vendor product id. Optional values that are present (windows,
    /// `purchaseOrderChangedDate`, `listPrice`, other parties) must be valid too.
    ///
    /// # Errors
    /// A [`ValidationError`] listing every problem, each naming the PO and the field's
    /// path in Amazon's body (`orderDetails.items[2].netCost.amount`) and, on a line,
    /// its `itemSequenceNumber`.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::retail::GetPurchaseOrderResponse;
    /// use avc_order_sync::AmazonOrderState;
    /// let body = r#"{"payload":{"purchaseOrderNumber":"4Z32PABC","purchaseOrderState":"Closed",
    ///   "orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z",
    ///     "purchaseOrderStateChangedDate":"2019-08-25T19:29:23Z",
    ///     "sellingParty":{"partyId":"999US"},
    ///     "items":[{"itemSequenceNumber":"3","amazonProductIdentifier":"B076SDSABC",
    ///       "orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},
    ///       "isBackOrderAllowed":false,
    ///       "netCost":{"amount":"110.00","currencyCode":"USD"}}]}}}"#;
    /// let response: GetPurchaseOrderResponse = serde_json::from_str(body)?;
    /// let po = response.payload.ok_or("no order")?.to_purchase_order()?;
    /// assert_eq!(po.state, AmazonOrderState::Closed);
    /// assert_eq!(po.lines[0].net_cost.money.to_string(), "110.00 USD");
    ///
    /// let summary: GetPurchaseOrderResponse = serde_json::from_str(
    ///     r#"{"payload":{"purchaseOrderNumber":"2JK3S9XY","purchaseOrderState":"New"}}"#,
    /// )?;
    /// let err = summary.payload.ok_or("no order")?.to_purchase_order().unwrap_err();
    /// assert_eq!(err.problems[0].field, "orderDetails");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_purchase_order(&self) -> Result<PurchaseOrder, ValidationError> {
        let raw_number = self
            .purchase_order_number
            .as_deref()
            .filter(|n| !n.is_empty());
        let mut p = Problems::new(raw_number);

        let number = required(
            &mut p,
            self.purchase_order_number.as_deref(),
            None,
            "purchaseOrderNumber",
            str::parse::<PurchaseOrderNumber>,
        );
        let state = order_state(&mut p, self.purchase_order_state.as_ref());
        let Some(details) = p.require(self.order_details.as_ref(), None, "orderDetails") else {
            return p.finish(None);
        };

        let ordered_at = required_instant(
            &mut p,
            details.purchase_order_date.as_deref(),
            "orderDetails.purchaseOrderDate",
        );
        let changed_at = optional(
            &mut p,
            details.purchase_order_changed_date.as_deref(),
            None,
            "orderDetails.purchaseOrderChangedDate",
            parse_instant,
        );
        let state_changed_at = required_instant(
            &mut p,
            details.purchase_order_state_changed_date.as_deref(),
            "orderDetails.purchaseOrderStateChangedDate",
        );
        let selling_party = p
            .require(
                details.selling_party.as_ref(),
                None,
                "orderDetails.sellingParty",
            )
            .and_then(|party| to_party(&mut p, party, "orderDetails.sellingParty"))
            .and_then(|party| party.id);
        let buying_party = optional_party(
            &mut p,
            details.buying_party.as_ref(),
            "orderDetails.buyingParty",
        );
        let ship_to = optional_party(
            &mut p,
            details.ship_to_party.as_ref(),
            "orderDetails.shipToParty",
        );
        let bill_to = optional_party(
            &mut p,
            details.bill_to_party.as_ref(),
            "orderDetails.billToParty",
        );
        let ship_window = optional(
            &mut p,
            details.ship_window.as_deref(),
            None,
            "orderDetails.shipWindow",
            DateWindow::parse,
        );
        let delivery_window = optional(
            &mut p,
            details.delivery_window.as_deref(),
            None,
            "orderDetails.deliveryWindow",
            DateWindow::parse,
        );
        let lines = to_lines(&mut p, details.items.as_deref());

        let retail = RetailDetails {
            order_type: details
                .purchase_order_type
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            payment_method: details
                .payment_method
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            deal_code: details.deal_code.clone(),
            is_import: details.import_details.is_some(),
        };

        let order = (|| {
            Some(PurchaseOrder {
                program: Program::RetailProcurement,
                number: number?,
                state: state?,
                ordered_at: ordered_at?,
                changed_at,
                state_changed_at: Some(state_changed_at?),
                selling_party: selling_party?,
                buying_party,
                ship_to,
                ship_from: None,
                bill_to,
                ship_window,
                delivery_window,
                details: ProgramDetails::Retail(retail),
                lines: lines?,
            })
        })();
        p.finish(order)
    }
}

fn order_state(p: &mut Problems, state: Option<&PurchaseOrderState>) -> Option<AmazonOrderState> {
    let state = p.require(state, None, "purchaseOrderState")?;
    match state.known() {
        Some(PurchaseOrderState::New) => Some(AmazonOrderState::New),
        Some(PurchaseOrderState::Acknowledged) => Some(AmazonOrderState::Acknowledged),
        Some(PurchaseOrderState::Closed) => Some(AmazonOrderState::Closed),
        _ => {
            p.invalid(
                None,
                "purchaseOrderState",
                format_args!(
                    "`{}` is not a known purchase order state",
                    excerpt(state.as_str())
                ),
            );
            None
        }
    }
}

fn required_instant(
    p: &mut Problems,
    value: Option<&str>,
    field: impl fmt::Display + Copy,
) -> Option<DateTime<Utc>> {
    required(p, value, None, field, parse_instant)
}

/// A country code that is not two letters; the text is shortened.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a two-letter country code")]
struct NotACountryCode(String);

fn country_code(text: &str) -> Result<String, NotACountryCode> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(text.to_owned())
    } else {
        Err(NotACountryCode(excerpt(text)))
    }
}

fn optional_party(
    p: &mut Problems,
    party: Option<&PartyIdentification>,
    path: impl fmt::Display + Copy,
) -> Option<Party> {
    party.and_then(|party| to_party(p, party, path))
}

/// A present party must carry its `partyId` (the model requires it) and, when it has
/// an address, a valid one.
fn to_party(
    p: &mut Problems,
    party: &PartyIdentification,
    path: impl fmt::Display + Copy,
) -> Option<Party> {
    let id = required(
        p,
        party.party_id.as_deref(),
        None,
        Child(path, "partyId"),
        str::parse::<PartyId>,
    );
    let address = match &party.address {
        None => Some(None),
        Some(address) => to_address(p, address, Child(path, "address")).map(Some),
    };
    Some(Party {
        id: Some(id?),
        address: address?,
    })
}

fn to_address(
    p: &mut Problems,
    a: &Address,
    path: impl fmt::Display + Copy,
) -> Option<crate::order::Address> {
    let name = required(p, a.name.as_deref(), None, Child(path, "name"), non_blank);
    let address_line1 = required(
        p,
        a.address_line1.as_deref(),
        None,
        Child(path, "addressLine1"),
        non_blank,
    );
    let country_code = required(
        p,
        a.country_code.as_deref(),
        None,
        Child(path, "countryCode"),
        country_code,
    );
    Some(crate::order::Address {
        name: name?,
        attention: None,
        address_line1: address_line1?,
        address_line2: a.address_line2.clone(),
        address_line3: a.address_line3.clone(),
        city: a.city.clone(),
        county: a.county.clone(),
        district: a.district.clone(),
        state_or_region: a.state_or_region.clone(),
        postal_code: a.postal_code.clone(),
        country_code: country_code?,
        phone: a.phone.clone(),
    })
}

fn to_lines(p: &mut Problems, items: Option<&[OrderItem]>) -> Option<Vec<OrderLine>> {
    let items = p.require(items, None, "orderDetails.items")?;
    if items.is_empty() {
        p.invalid(None, "orderDetails.items", "the order has no items");
        return None;
    }
    // An acknowledgement names its lines by sequence number, so two lines with one
    // number could not be acknowledged apart.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut lines = Some(Vec::with_capacity(items.len()));
    for (index, item) in items.iter().enumerate() {
        if let Some(sequence) = item.item_sequence_number.as_deref() {
            if let Some(first) = seen.insert(sequence, index) {
                p.invalid(
                    Some(sequence),
                    format!("orderDetails.items[{index}].itemSequenceNumber"),
                    format_args!(
                        "`{}` is also the sequence number of `orderDetails.items[{first}]`",
                        excerpt(sequence)
                    ),
                );
            }
        }
        let line = to_line(p, item, index);
        lines = lines.zip(line).map(|(mut lines, line)| {
            lines.push(line);
            lines
        });
    }
    lines
}

fn to_line(p: &mut Problems, item: &OrderItem, index: usize) -> Option<OrderLine> {
    let path = Item("orderDetails.items", index);
    let line = item.item_sequence_number.as_deref();
    let field = |name: &'static str| Child(path, name);

    let sequence = required(
        p,
        item.item_sequence_number.as_deref(),
        line,
        field("itemSequenceNumber"),
        str::parse::<ItemSequenceNumber>,
    );
    let asin = optional(
        p,
        item.amazon_product_identifier.as_deref(),
        line,
        field("amazonProductIdentifier"),
        str::parse::<Asin>,
    );
    let vendor_sku = optional(
        p,
        item.vendor_product_identifier.as_deref(),
        line,
        field("vendorProductIdentifier"),
        str::parse::<VendorSku>,
    );
    if item.amazon_product_identifier.is_none() && item.vendor_product_identifier.is_none() {
        p.invalid(
            line,
            path,
            "neither `amazonProductIdentifier` nor `vendorProductIdentifier` is present",
        );
    }
    let ordered = to_quantity(
        p,
        item.ordered_quantity.as_ref(),
        line,
        field("orderedQuantity"),
    );
    let back_order_allowed = p.require(
        item.is_back_order_allowed,
        line,
        field("isBackOrderAllowed"),
    );
    let net_cost = p
        .require(item.net_cost.as_ref(), line, field("netCost"))
        .and_then(|money| to_price(p, money, line, field("netCost")));
    let list_price = match &item.list_price {
        None => Some(None),
        Some(money) => to_price(p, money, line, field("listPrice")).map(Some),
    };

    Some(OrderLine {
        sequence: sequence?,
        asin,
        vendor_sku,
        title: None,
        ordered: ordered?,
        net_cost: net_cost?,
        list_price: list_price?,
        back_order_allowed: back_order_allowed?,
    })
}

/// A JSON number that must be a whole number at least `min`.
fn count(
    p: &mut Problems,
    number: &serde_json::Number,
    min: u64,
    line: Option<&str>,
    field: impl fmt::Display + Copy,
) -> Option<u64> {
    match number.as_u64() {
        Some(n) if n >= min => Some(n),
        _ => {
            p.invalid(
                line,
                field,
                format_args!("`{number}` is not a whole number of at least {min}"),
            );
            None
        }
    }
}

fn to_quantity(
    p: &mut Problems,
    quantity: Option<&ItemQuantity>,
    line: Option<&str>,
    path: impl fmt::Display + Copy,
) -> Option<Quantity> {
    let quantity = p.require(quantity, line, path)?;
    let amount_field = Child(path, "amount");
    let size_field = Child(path, "unitSize");

    // 0 is a line Amazon cancelled, not an error.
    let amount = p
        .require(quantity.amount.as_ref(), line, amount_field)
        .and_then(|n| count(p, n, 0, line, amount_field));
    let unit = match &quantity.unit_of_measure {
        None => Some(QuantityUnit::Eaches),
        Some(unit) => match unit.known() {
            Some(UnitOfMeasure::Cases) => Some(QuantityUnit::Cases),
            Some(UnitOfMeasure::Eaches) => Some(QuantityUnit::Eaches),
            _ => {
                p.invalid(
                    line,
                    Child(path, "unitOfMeasure"),
                    format_args!(
                        "`{}` is neither `Cases` nor `Eaches`",
                        excerpt(unit.as_str())
                    ),
                );
                None
            }
        },
    };
    // `None`: absent; `Some(None)`: present but invalid, already recorded.
    let unit_size = quantity
        .unit_size
        .as_ref()
        .map(|n| count(p, n, 1, line, size_field));
    let unit_size = match (unit?, unit_size) {
        (QuantityUnit::Eaches, Some(None)) => None,
        (QuantityUnit::Eaches, _) => Some(1),
        (QuantityUnit::Cases, Some(size)) => size,
        (QuantityUnit::Cases, None) => {
            p.missing(line, size_field);
            None
        }
    };
    let quantity = Quantity {
        amount: amount?,
        unit: unit?,
        unit_size: unit_size?,
    };
    if quantity.eaches().is_none() {
        p.invalid(
            line,
            amount_field,
            format_args!(
                "{} cases of {} overflow a count of eaches",
                quantity.amount, quantity.unit_size
            ),
        );
        return None;
    }
    Some(quantity)
}

fn to_price(
    p: &mut Problems,
    money: &Money,
    line: Option<&str>,
    path: impl fmt::Display + Copy,
) -> Option<Price> {
    let amount_field = Child(path, "amount");
    let amount = required(
        p,
        money.amount.as_deref(),
        line,
        amount_field,
        str::parse::<Decimal>,
    );
    if let Some(amount) = amount.filter(Decimal::is_negative) {
        p.invalid(line, amount_field, format_args!("`{amount}` is negative"));
    }
    // Never guessed: a price without its currency cannot be booked.
    let currency = required(
        p,
        money.currency_code.as_deref(),
        line,
        Child(path, "currencyCode"),
        str::parse::<CurrencyCode>,
    );
    let basis = match &money.unit_of_measure {
        None => Some(PriceBasis::Each),
        Some(unit) => {
            let weight = match unit.known() {
                Some(PriceUnitOfMeasure::Pounds) => Some(WeightUnit::Pounds),
                Some(PriceUnitOfMeasure::Ounces) => Some(WeightUnit::Ounces),
                Some(PriceUnitOfMeasure::Grams) => Some(WeightUnit::Grams),
                Some(PriceUnitOfMeasure::Kilograms) => Some(WeightUnit::Kilograms),
                _ => None,
            };
            if weight.is_none() {
                p.invalid(
                    line,
                    Child(path, "unitOfMeasure"),
                    format_args!("`{}` is not a known unit of weight", excerpt(unit.as_str())),
                );
            }
            weight.map(PriceBasis::Weight)
        }
    };
    let amount = amount.filter(|a| !a.is_negative())?;
    Some(Price {
        money: crate::money::Money::new(amount, currency?),
        basis: basis?,
    })
}
