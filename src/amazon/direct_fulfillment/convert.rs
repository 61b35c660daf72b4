//! From a received Direct Fulfillment [`Order`] to the validated [`PurchaseOrder`].

use std::collections::HashMap;
use std::fmt;

use crate::order::{Child, Item};

use crate::amazon::convert::{non_blank, optional_or_refused, required};
use crate::decimal::Decimal;
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::money::{CurrencyCode, Money};
use crate::order::{
    self, AmazonOrderState, DirectFulfillmentDetails, OrderLine, Party, Price, PriceBasis,
    Problems, Program, ProgramDetails, PurchaseOrder, Quantity, ValidationError,
};
use crate::text::excerpt;

use super::{
    Address, Order, OrderDetails, OrderItem, OrderStatus, PartyIdentification, UnitOfMeasure,
};

impl Order {
    /// Validates the order and converts it into the crate's [`PurchaseOrder`].
    ///
    /// Required: `purchaseOrderNumber`, `orderDetails` (absent when listed with
    /// `includeDetails=false`), `customerOrderNumber`, `orderDate`,
    /// `sellingParty.partyId`, `shipFromParty.partyId`, `shipToParty` (name, first line
    /// and country), `shipmentDetails.shipMethod`,
    /// `shipmentDetails.shipmentDates.requiredShipDate` and at least one item, each with
    /// `itemSequenceNumber`, `orderedQuantity.amount` and a `netPrice` with an exact
    /// `amount` and a `currencyCode`. Item sequence numbers must be unique, prices not
    /// negative and all in one currency, quantities whole and counted in `Each` (any
    /// case, or no unit). Optional fields that are present must be valid too, except
    /// the selling party's address, which is not kept. Absent booleans
    /// (`isPriorityShipment`, `isGift`, `isPslipRequired`) read as `false`.
    /// `orderStatus` maps case-insensitively; an order without one is
    /// [`AmazonOrderState::New`], and a value outside the four is a problem.
    ///
    /// # Errors
    /// A [`ValidationError`] listing every problem found, each naming the PO, the
    /// item's `itemSequenceNumber` where there is one, and the field as a path into
    /// Amazon's body (`orderDetails.items[0].netPrice.amount`). Problems never quote
    /// the customer's name, address or messages.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::direct_fulfillment::Order;
    /// use avc_order_sync::ProblemKind;
    ///
    /// // Listed with `includeDetails=false`: only the number.
    /// let order: Order = serde_json::from_str(r#"{"purchaseOrderNumber":"2JK3S9VC"}"#)?;
    /// let err = order.to_purchase_order().unwrap_err();
    /// assert_eq!(err.problems[0].field, "orderDetails");
    /// assert_eq!(err.problems[0].kind, ProblemKind::Missing);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_purchase_order(&self) -> Result<PurchaseOrder, ValidationError> {
        let po_text = self.purchase_order_number.as_deref();
        let mut p = Problems::new(po_text.filter(|s| !s.is_empty()));
        let number = required(&mut p, po_text, None, "purchaseOrderNumber", |s| {
            PurchaseOrderNumber::new(s)
        });
        let Some(details) = p.require(self.order_details.as_ref(), None, "orderDetails") else {
            return p.finish(None);
        };
        let built = convert_details(&mut p, details);
        let order = match (number, built) {
            (Some(number), Some(parts)) => Some(parts.into_purchase_order(number)),
            _ => None,
        };
        p.finish(order)
    }
}

/// Everything but the PO number, once each part has been checked.
struct Parts {
    state: AmazonOrderState,
    ordered_at: chrono::DateTime<chrono::Utc>,
    selling_party: PartyId,
    ship_from: Party,
    ship_to: Party,
    bill_to: Option<Party>,
    details: DirectFulfillmentDetails,
    lines: Vec<OrderLine>,
}

impl Parts {
    fn into_purchase_order(self, number: PurchaseOrderNumber) -> PurchaseOrder {
        PurchaseOrder {
            program: Program::DirectFulfillment,
            number,
            state: self.state,
            ordered_at: self.ordered_at,
            changed_at: None,
            state_changed_at: None,
            selling_party: self.selling_party,
            buying_party: None,
            ship_to: Some(self.ship_to),
            ship_from: Some(self.ship_from),
            bill_to: self.bill_to,
            ship_window: None,
            delivery_window: None,
            details: ProgramDetails::DirectFulfillment(self.details),
            lines: self.lines,
        }
    }
}

/// Checks every part, recording each problem; `None` when any part failed.
fn convert_details(p: &mut Problems, d: &OrderDetails) -> Option<Parts> {
    let customer_order_number = required(
        p,
        d.customer_order_number.as_deref(),
        None,
        "orderDetails.customerOrderNumber",
        non_blank,
    );
    let ordered_at = required(
        p,
        d.order_date.as_deref(),
        None,
        "orderDetails.orderDate",
        order::parse_instant,
    );
    let state = state(p, d.order_status.as_ref());

    // Only the vendor code is kept for the selling party, so only it is checked.
    let selling_party = p
        .require(d.selling_party.as_ref(), None, "orderDetails.sellingParty")
        .and_then(|party| {
            required(
                p,
                party.party_id.as_deref(),
                None,
                "orderDetails.sellingParty.partyId",
                |s| PartyId::new(s),
            )
        });
    let ship_from = identified_party(p, d.ship_from_party.as_ref(), "orderDetails.shipFromParty");
    let ship_to = p
        .require(d.ship_to_party.as_ref(), None, "orderDetails.shipToParty")
        .and_then(|a| address(p, a, "orderDetails.shipToParty"))
        .map(|address| Party {
            id: None,
            address: Some(address),
        });
    let bill_to = match &d.bill_to_party {
        None => Some(None),
        Some(party) => party_of(p, party, "orderDetails.billToParty", false).map(Some),
    };

    let details = shipment(p, d, customer_order_number);
    let lines = lines(p, d.items.as_deref());

    Some(Parts {
        state: state?,
        ordered_at: ordered_at?,
        selling_party: selling_party?,
        ship_from: ship_from?,
        ship_to: ship_to?,
        bill_to: bill_to?,
        details: details?,
        lines: lines?,
    })
}

/// Maps `orderStatus`, case-insensitively.
fn state(p: &mut Problems, status: Option<&OrderStatus>) -> Option<AmazonOrderState> {
    let Some(status) = status else {
        // Amazon sets `orderStatus` as the order moves on: ACCEPTED once the vendor
        // acknowledges, SHIPPED once shipment is confirmed, CANCELLED when Amazon
        // cancels. The model leaves the field optional, and an order without it has
        // had none of those happen, so it still waits for its acknowledgement.
        return Some(AmazonOrderState::New);
    };
    match status.known() {
        Some(OrderStatus::New) => Some(AmazonOrderState::New),
        Some(OrderStatus::Accepted) => Some(AmazonOrderState::Accepted),
        Some(OrderStatus::Shipped) => Some(AmazonOrderState::Shipped),
        Some(OrderStatus::Cancelled) => Some(AmazonOrderState::Cancelled),
        Some(OrderStatus::Other(_)) | None => {
            p.invalid(
                None,
                "orderDetails.orderStatus",
                format_args!(
                    "`{}` is not `NEW`, `ACCEPTED`, `SHIPPED` or `CANCELLED`",
                    excerpt(status.as_str())
                ),
            );
            None
        }
    }
}

/// A party that must carry a `partyId` (the ship-from warehouse).
fn identified_party(
    p: &mut Problems,
    party: Option<&PartyIdentification>,
    field: impl fmt::Display + Copy,
) -> Option<Party> {
    let party = p.require(party, None, field)?;
    party_of(p, party, field, true)
}

/// Converts a party: its id, required or not, and its address when sent.
fn party_of(
    p: &mut Problems,
    party: &PartyIdentification,
    field: impl fmt::Display + Copy,
    id_required: bool,
) -> Option<Party> {
    let id_field = Child(field, "partyId");
    let id = match party.party_id.as_deref() {
        None if id_required => {
            p.missing(None, id_field);
            None
        }
        None => Some(None),
        Some(text) => p.check(PartyId::new(text), None, id_field).map(Some),
    };
    let address = match &party.address {
        None => Some(None),
        Some(a) => address(p, a, Child(field, "address")).map(Some),
    };
    Some(Party {
        id: id?,
        address: address?,
    })
}

/// Converts an address; the name, first line and country are required. Problems name
/// the field only, never its text: a ship-to address is the customer's.
fn address(
    p: &mut Problems,
    a: &Address,
    field: impl fmt::Display + Copy,
) -> Option<crate::Address> {
    let name = p.require(a.name.clone(), None, Child(field, "name"));
    let address_line1 = p.require(a.address_line1.clone(), None, Child(field, "addressLine1"));
    // Kept as sent: the sandbox sends the three-letter `USA`.
    let country_code = p.require(a.country_code.clone(), None, Child(field, "countryCode"));
    Some(crate::Address {
        name: name?,
        attention: a.attention.clone(),
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

/// The shipment part of the Direct Fulfillment details.
fn shipment(
    p: &mut Problems,
    d: &OrderDetails,
    customer_order_number: Option<String>,
) -> Option<DirectFulfillmentDetails> {
    const SHIPMENT: &str = "orderDetails.shipmentDetails";
    let s = p.require(d.shipment_details.as_ref(), None, SHIPMENT)?;
    let ship_method = required(
        p,
        s.ship_method.as_deref(),
        None,
        "orderDetails.shipmentDetails.shipMethod",
        non_blank,
    );
    let dates = p.require(
        s.shipment_dates.as_ref(),
        None,
        "orderDetails.shipmentDetails.shipmentDates",
    );
    let (required_ship_date, promised_delivery_date) = match dates {
        None => (None, Some(None)),
        Some(dates) => (
            required(
                p,
                dates.required_ship_date.as_deref(),
                None,
                "orderDetails.shipmentDetails.shipmentDates.requiredShipDate",
                order::parse_instant,
            ),
            optional_or_refused(
                p,
                dates.promised_delivery_date.as_deref(),
                None,
                "orderDetails.shipmentDetails.shipmentDates.promisedDeliveryDate",
                order::parse_instant,
            ),
        ),
    };
    Some(DirectFulfillmentDetails {
        customer_order_number: customer_order_number?,
        ship_method: ship_method?,
        required_ship_date: required_ship_date?,
        promised_delivery_date: promised_delivery_date?,
        is_priority: s.is_priority_shipment.unwrap_or(false),
        is_gift: s.is_gift.unwrap_or(false),
        is_pslip_required: s.is_pslip_required.unwrap_or(false),
        message_to_customer: s.message_to_customer.clone(),
    })
}

/// Every item; sequence numbers must be unique and prices in one currency, since the
/// acknowledgement names lines by sequence and a sales order has one currency.
fn lines(p: &mut Problems, items: Option<&[OrderItem]>) -> Option<Vec<OrderLine>> {
    let items = p.require(items, None, "orderDetails.items")?;
    if items.is_empty() {
        p.invalid(None, "orderDetails.items", "the order has no items");
        return None;
    }
    let mut lines = Vec::with_capacity(items.len());
    let mut all_good = true;
    let mut first_of_sequence: HashMap<&str, usize> = HashMap::new();
    let mut order_currency: Option<(CurrencyCode, usize)> = None;
    for (i, item) in items.iter().enumerate() {
        let seq = item.item_sequence_number.as_deref();
        if let Some(seq) = seq {
            if let Some(first) = first_of_sequence.get(seq) {
                p.invalid(
                    Some(seq),
                    format!("orderDetails.items[{i}].itemSequenceNumber"),
                    format_args!("repeats `orderDetails.items[{first}].itemSequenceNumber`"),
                );
                all_good = false;
            } else {
                first_of_sequence.insert(seq, i);
            }
        }
        match line(p, i, item) {
            Some(line) => lines.push(line),
            None => all_good = false,
        }
        // Compared on every readable currency, so a line that failed for another
        // reason still sets or checks the order's currency.
        let currency = item
            .net_price
            .as_ref()
            .and_then(|m| m.currency_code.as_deref())
            .and_then(|c| c.parse::<CurrencyCode>().ok());
        match (currency, order_currency) {
            (Some(currency), None) => order_currency = Some((currency, i)),
            (Some(currency), Some((first, at))) if first != currency => {
                p.invalid(
                    seq,
                    format!("orderDetails.items[{i}].netPrice.currencyCode"),
                    format_args!(
                        "`{currency}` differs from `{first}` in `orderDetails.items[{at}]`"
                    ),
                );
                all_good = false;
            }
            _ => {}
        }
    }
    all_good.then_some(lines)
}

/// One item.
fn line(p: &mut Problems, i: usize, item: &OrderItem) -> Option<OrderLine> {
    let at = |rest: &'static str| Child(Item("orderDetails.items", i), rest);
    let seq = item.item_sequence_number.as_deref();
    let sequence = required(p, seq, None, at("itemSequenceNumber"), |s| {
        ItemSequenceNumber::new(s)
    });
    let asin = optional_or_refused(
        p,
        item.buyer_product_identifier.as_deref(),
        seq,
        at("buyerProductIdentifier"),
        |s| Asin::new(s),
    );
    let vendor_sku = optional_or_refused(
        p,
        item.vendor_product_identifier.as_deref(),
        seq,
        at("vendorProductIdentifier"),
        |s| VendorSku::new(s),
    );
    let ordered = quantity(p, item, seq, at("orderedQuantity"));
    let net_cost = price(p, item, seq, at("netPrice"));
    Some(OrderLine {
        sequence: sequence?,
        asin: asin?,
        vendor_sku: vendor_sku?,
        title: item.title.clone(),
        ordered: ordered?,
        net_cost: net_cost?,
        list_price: None,
        back_order_allowed: false,
    })
}

/// `orderedQuantity`: a whole number of eaches, 0 allowed (a cancelled line).
fn quantity(
    p: &mut Problems,
    item: &OrderItem,
    seq: Option<&str>,
    field: impl fmt::Display + Copy,
) -> Option<Quantity> {
    let q = p.require(item.ordered_quantity.as_ref(), seq, field)?;
    let unit_ok = match &q.unit_of_measure {
        None => true,
        Some(unit) => match unit.known() {
            Some(UnitOfMeasure::Each) => true,
            Some(UnitOfMeasure::Other(_)) | None => {
                p.invalid(
                    seq,
                    Child(field, "unitOfMeasure"),
                    format_args!("`{}` is not `Each`", excerpt(unit.as_str())),
                );
                false
            }
        },
    };
    let amount_field = Child(field, "amount");
    let amount = match &q.amount {
        None => {
            p.missing(seq, amount_field);
            None
        }
        Some(n) => {
            let whole = n.as_u64();
            if whole.is_none() {
                p.invalid(
                    seq,
                    amount_field,
                    format_args!("`{n}` is not a whole number of units, 0 or more"),
                );
            }
            whole
        }
    };
    unit_ok.then_some(Quantity::eaches_of(amount?))
}

/// `netPrice`: an exact amount, not negative, in a currency.
fn price(
    p: &mut Problems,
    item: &OrderItem,
    seq: Option<&str>,
    field: impl fmt::Display + Copy,
) -> Option<Price> {
    let m = p.require(item.net_price.as_ref(), seq, field)?;
    let amount_field = Child(field, "amount");
    let amount = required(p, m.amount.as_deref(), seq, amount_field, |s| {
        s.parse::<Decimal>()
    })
    .filter(|amount| {
        let negative = amount.is_negative();
        if negative {
            p.invalid(seq, amount_field, format_args!("`{amount}` is negative"));
        }
        !negative
    });
    let currency = required(
        p,
        m.currency_code.as_deref(),
        seq,
        Child(field, "currencyCode"),
        str::parse::<CurrencyCode>,
    );
    Some(Price {
        money: Money::new(amount?, currency?),
        basis: PriceBasis::Each,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;
    use crate::order::{Problem, ProblemKind, QuantityUnit};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn order(value: Value) -> Order {
        serde_json::from_value(value).unwrap()
    }

    fn sandbox() -> Value {
        serde_json::from_str(fixtures::V1_ORDER_2JK3S9VC).unwrap()
    }

    fn problems(order: &Order) -> Vec<(Option<String>, String, ProblemKind)> {
        order
            .to_purchase_order()
            .unwrap_err()
            .problems
            .into_iter()
            .map(
                |Problem {
                     line, field, kind, ..
                 }| (line, field, kind),
            )
            .collect()
    }

    fn invalid(reason: &str) -> ProblemKind {
        ProblemKind::Invalid {
            reason: reason.into(),
        }
    }

    #[test]
    fn the_sandbox_order_converts_exactly() {
        let po = order(sandbox()).to_purchase_order().unwrap();
        assert_eq!(po.program, Program::DirectFulfillment);
        assert_eq!(po.number.as_str(), "2JK3S9VC");
        assert_eq!(po.state, AmazonOrderState::New);
        assert_eq!(
            order::format_instant(&po.ordered_at),
            "2020-02-20T13:51:00Z"
        );
        assert_eq!(po.selling_party.as_str(), "999US");
        assert_eq!(
            po.ship_from
                .as_ref()
                .and_then(|p| p.id.as_ref())
                .map(PartyId::as_str),
            Some("ABCD")
        );
        assert_eq!(
            po.bill_to
                .as_ref()
                .and_then(|p| p.id.as_ref())
                .map(PartyId::as_str),
            Some("ABCD")
        );
        let ship_to = po.ship_to.as_ref().unwrap();
        assert_eq!(ship_to.id, None);
        let address = ship_to.address.as_ref().unwrap();
        assert_eq!(address.country_code, "USA");
        assert_eq!(address.name, "ABCD");
        assert_eq!(address.address_line2.as_deref(), Some("Apt 5"));
        assert_eq!(address.postal_code.as_deref(), Some("94086"));

        let ProgramDetails::DirectFulfillment(df) = &po.details else {
            panic!("not a DF order: {:?}", po.details);
        };
        assert_eq!(df.customer_order_number, "123-ABC");
        assert_eq!(df.ship_method, "UPS_2ND");
        assert_eq!(
            order::format_instant(&df.required_ship_date),
            "2020-02-21T00:00:00Z"
        );
        assert_eq!(
            df.promised_delivery_date
                .map(|t| order::format_instant(&t))
                .as_deref(),
            Some("2020-02-24T00:00:00Z")
        );
        assert!(df.is_pslip_required && !df.is_priority && !df.is_gift);
        assert!(
            df.message_to_customer
                .as_deref()
                .unwrap()
                .starts_with("This shipment")
        );

        assert_eq!(po.lines.len(), 2);
        let first = &po.lines[0];
        assert_eq!(first.sequence.as_str(), "00001");
        assert_eq!(first.asin.as_ref().map(Asin::as_str), Some("B07DFVDRAB"));
        assert_eq!(
            first.vendor_sku.as_ref().map(VendorSku::as_str),
            Some("8806098286500")
        );
        assert_eq!(first.ordered, Quantity::eaches_of(1));
        assert_eq!(first.ordered.unit, QuantityUnit::Eaches);
        assert_eq!(first.net_cost.money.to_string(), "500 USD");
        assert_eq!(first.net_cost.basis, PriceBasis::Each);
        assert_eq!(po.lines[1].ordered, Quantity::eaches_of(2));
        assert_eq!(po.lines[1].net_cost.money.amount().to_string(), "700");
        assert!(!first.back_order_allowed && first.list_price.is_none());
    }

    #[test]
    fn the_2021_12_28_order_converts_like_v1() {
        let v2021: Order = serde_json::from_str(fixtures::V2021_ORDER_2JK3S9VC).unwrap();
        assert_eq!(
            v2021.to_purchase_order().unwrap(),
            order(sandbox()).to_purchase_order().unwrap()
        );
    }

    #[test]
    fn statuses_map_case_insensitively_and_absent_means_new() {
        for (sent, state) in [
            (json!("NEW"), AmazonOrderState::New),
            (json!("accepted"), AmazonOrderState::Accepted),
            (json!("SHIPPED"), AmazonOrderState::Shipped),
            (json!("Cancelled"), AmazonOrderState::Cancelled),
            (Value::Null, AmazonOrderState::New),
        ] {
            let mut v = sandbox();
            v["orderDetails"]["orderStatus"] = sent;
            assert_eq!(order(v).to_purchase_order().unwrap().state, state);
        }
        let mut v = sandbox();
        v["orderDetails"]["orderStatus"] = json!("ON_HOLD");
        assert_eq!(
            problems(&order(v)),
            vec![(
                None,
                "orderDetails.orderStatus".into(),
                invalid("`ON_HOLD` is not `NEW`, `ACCEPTED`, `SHIPPED` or `CANCELLED`")
            )]
        );
    }

    #[test]
    fn units_each_upper_case_each_and_none_are_eaches() {
        let mut v = sandbox();
        v["orderDetails"]["items"][0]["orderedQuantity"]["unitOfMeasure"] = json!("Each");
        v["orderDetails"]["items"][1]["orderedQuantity"] = json!({"amount": 0});
        let po = order(v).to_purchase_order().unwrap();
        assert_eq!(po.lines[0].ordered, Quantity::eaches_of(1));
        assert_eq!(po.lines[1].ordered, Quantity::eaches_of(0));
    }

    #[test]
    fn offsets_and_no_zone_dates_are_read_as_utc() {
        let mut v = sandbox();
        v["orderDetails"]["orderDate"] = json!("2020-02-20T05:51:00-08:00");
        v["orderDetails"]["shipmentDetails"]["shipmentDates"] =
            json!({"requiredShipDate": "2020-02-21T00:00:00"});
        let po = order(v).to_purchase_order().unwrap();
        assert_eq!(
            order::format_instant(&po.ordered_at),
            "2020-02-20T13:51:00Z"
        );
        let ProgramDetails::DirectFulfillment(df) = po.details else {
            panic!("not a DF order");
        };
        assert_eq!(
            order::format_instant(&df.required_ship_date),
            "2020-02-21T00:00:00Z"
        );
        assert_eq!(df.promised_delivery_date, None);
    }

    #[test]
    fn an_order_listed_without_details_reports_only_the_details_missing() {
        let err = order(json!({"purchaseOrderNumber": "2JK3S9VC"}))
            .to_purchase_order()
            .unwrap_err();
        assert_eq!(err.purchase_order_number, "2JK3S9VC");
        assert_eq!(err.problems.len(), 1);
        assert_eq!(err.problems[0].field, "orderDetails");
        assert_eq!(err.problems[0].kind, ProblemKind::Missing);
        assert_eq!(
            err.to_string(),
            "purchase order 2JK3S9VC has 1 problem(s): PO 2JK3S9VC: `orderDetails` is missing"
        );
    }

    #[test]
    fn a_broken_order_reports_every_problem_at_once() {
        let mut v = sandbox();
        let d = &mut v["orderDetails"];
        d.as_object_mut().unwrap().remove("customerOrderNumber");
        d["orderDate"] = json!("2021-01-2100:00:00");
        d["sellingParty"] = json!({});
        d["shipToParty"] = json!({"name": "Jane Secret", "city": "Secretville"});
        d["shipmentDetails"]
            .as_object_mut()
            .unwrap()
            .remove("shipMethod");
        d["shipmentDetails"]["shipmentDates"] = json!({"promisedDeliveryDate": "soon"});
        d["items"][0]["netPrice"]["amount"] = json!("5OO");
        d["items"][0]["orderedQuantity"] = json!({"amount": -1, "unitOfMeasure": "CASES"});
        d["items"][1]["itemSequenceNumber"] = json!("00001");
        d["items"][1]["netPrice"] = json!({"amount": "-7"});
        d["items"]
            .as_array_mut()
            .unwrap()
            .push(json!({"buyerProductIdentifier": ""}));

        let err = order(v).to_purchase_order().unwrap_err();
        assert_eq!(err.purchase_order_number, "2JK3S9VC");
        let found: Vec<(Option<String>, String, ProblemKind)> = err
            .problems
            .iter()
            .map(|p| (p.line.clone(), p.field.clone(), p.kind.clone()))
            .collect();
        let line = |s: &str| Some(s.to_owned());
        let expected = vec![
            (
                None,
                "orderDetails.customerOrderNumber".to_owned(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.orderDate".into(),
                invalid("`2021-01-2100:00:00` is not an ISO 8601 date-time"),
            ),
            (
                None,
                "orderDetails.sellingParty.partyId".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.shipToParty.addressLine1".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.shipToParty.countryCode".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.shipmentDetails.shipMethod".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.shipmentDetails.shipmentDates.requiredShipDate".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.shipmentDetails.shipmentDates.promisedDeliveryDate".into(),
                invalid("`soon` is not an ISO 8601 date-time"),
            ),
            (
                line("00001"),
                "orderDetails.items[0].orderedQuantity.unitOfMeasure".into(),
                invalid("`CASES` is not `Each`"),
            ),
            (
                line("00001"),
                "orderDetails.items[0].orderedQuantity.amount".into(),
                invalid("`-1` is not a whole number of units, 0 or more"),
            ),
            (
                line("00001"),
                "orderDetails.items[0].netPrice.amount".into(),
                invalid(&"5OO".parse::<Decimal>().unwrap_err().to_string()),
            ),
            (
                line("00001"),
                "orderDetails.items[1].itemSequenceNumber".into(),
                invalid("repeats `orderDetails.items[0].itemSequenceNumber`"),
            ),
            (
                line("00001"),
                "orderDetails.items[1].netPrice.amount".into(),
                invalid("`-7` is negative"),
            ),
            (
                line("00001"),
                "orderDetails.items[1].netPrice.currencyCode".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.items[2].itemSequenceNumber".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.items[2].buyerProductIdentifier".into(),
                invalid("ASIN is empty"),
            ),
            (
                None,
                "orderDetails.items[2].orderedQuantity".into(),
                ProblemKind::Missing,
            ),
            (
                None,
                "orderDetails.items[2].netPrice".into(),
                ProblemKind::Missing,
            ),
        ];
        assert_eq!(found, expected);
        let text = err.to_string();
        for secret in ["Jane", "Secretville"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(
            text.contains("PO 2JK3S9VC: `orderDetails.items[0].netPrice.amount` is invalid"),
            "{text}"
        );
    }

    #[test]
    fn missing_top_level_parts_are_named_once() {
        let found = problems(&order(json!({
            "orderDetails": {"items": []}
        })));
        let missing = |f: &str| (None, f.to_owned(), ProblemKind::Missing);
        assert_eq!(
            found,
            vec![
                missing("purchaseOrderNumber"),
                missing("orderDetails.customerOrderNumber"),
                missing("orderDetails.orderDate"),
                missing("orderDetails.sellingParty"),
                missing("orderDetails.shipFromParty"),
                missing("orderDetails.shipToParty"),
                missing("orderDetails.shipmentDetails"),
                (
                    None,
                    "orderDetails.items".into(),
                    invalid("the order has no items")
                ),
            ]
        );
        let err = order(json!({"purchaseOrderNumber": ""}))
            .to_purchase_order()
            .unwrap_err();
        assert_eq!(err.purchase_order_number, "<missing>");
        assert_eq!(err.problems[0].field, "purchaseOrderNumber");
        assert_eq!(
            err.problems[0].kind,
            invalid("purchase order number is empty")
        );
    }

    #[test]
    fn mixed_currencies_and_bad_optional_parties_are_refused() {
        let mut v = sandbox();
        v["orderDetails"]["items"][1]["netPrice"]["currencyCode"] = json!("EUR");
        v["orderDetails"]["billToParty"] = json!({"address": {"name": "x"}});
        v["orderDetails"]["items"][0]["vendorProductIdentifier"] = json!("a\nb");
        assert_eq!(
            problems(&order(v)),
            vec![
                (
                    None,
                    "orderDetails.billToParty.address.addressLine1".into(),
                    ProblemKind::Missing
                ),
                (
                    None,
                    "orderDetails.billToParty.address.countryCode".into(),
                    ProblemKind::Missing
                ),
                (
                    Some("00001".into()),
                    "orderDetails.items[0].vendorProductIdentifier".into(),
                    invalid("vendor SKU `a\nb` contains '\\n', which is not allowed"),
                ),
                (
                    Some("00002".into()),
                    "orderDetails.items[1].netPrice.currencyCode".into(),
                    invalid("`EUR` differs from `USD` in `orderDetails.items[0]`"),
                ),
            ]
        );
    }

    #[test]
    fn blank_text_is_refused_and_the_unused_selling_address_is_not_checked() {
        let mut v = sandbox();
        v["orderDetails"]["customerOrderNumber"] = json!("  ");
        v["orderDetails"]["sellingParty"]["address"] = json!({"city": "Seattle"});
        v["orderDetails"]["shipFromParty"]["address"] = json!({"city": "Seattle"});
        assert_eq!(
            problems(&order(v)),
            vec![
                (
                    None,
                    "orderDetails.customerOrderNumber".into(),
                    invalid("the value is blank")
                ),
                (
                    None,
                    "orderDetails.shipFromParty.address.name".into(),
                    ProblemKind::Missing
                ),
                (
                    None,
                    "orderDetails.shipFromParty.address.addressLine1".into(),
                    ProblemKind::Missing
                ),
                (
                    None,
                    "orderDetails.shipFromParty.address.countryCode".into(),
                    ProblemKind::Missing
                ),
            ]
        );
    }

    #[test]
    fn a_bill_to_party_is_optional_and_may_lack_an_id() {
        let mut v = sandbox();
        v["orderDetails"]
            .as_object_mut()
            .unwrap()
            .remove("billToParty");
        assert_eq!(order(v).to_purchase_order().unwrap().bill_to, None);
        let mut v = sandbox();
        v["orderDetails"]["billToParty"] = json!({});
        assert_eq!(
            order(v).to_purchase_order().unwrap().bill_to,
            Some(Party {
                id: None,
                address: None
            })
        );
    }

    #[test]
    fn the_converted_order_hides_the_customer_in_debug() {
        let mut v = sandbox();
        let d = &mut v["orderDetails"];
        d["shipToParty"] = json!({
            "name": "Jane Planted", "attention": "Attn Planted", "addressLine1": "17 Planted Lane",
            "city": "Planted City", "stateOrRegion": "PL", "postalCode": "PL-99999",
            "countryCode": "USA", "phone": "555-0199"
        });
        d["shipmentDetails"]["messageToCustomer"] = json!("Thanks, planted customer");
        d["items"][0]["giftDetails"] = json!({"giftMessage": "Happy birthday, planted"});
        let wire = order(v);
        let po = wire.to_purchase_order().unwrap();
        for shown in [format!("{po:?}"), format!("{po:#?}"), format!("{wire:?}")] {
            for secret in [
                "Jane Planted",
                "Attn Planted",
                "17 Planted Lane",
                "Planted City",
                "PL-99999",
                "555-0199",
                "planted customer",
                "Happy birthday",
            ] {
                assert!(!shown.contains(secret), "{secret} shown in {shown}");
            }
            assert!(shown.contains("USA"));
        }
    }

    /// Every path to a leaf or a container in a JSON value.
    fn paths(v: &Value, here: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        out.push(here.clone());
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    let mut next = here.clone();
                    next.push(PathStep::Key(k.clone()));
                    paths(child, next, out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    let mut next = here.clone();
                    next.push(PathStep::Index(i));
                    paths(child, next, out);
                }
            }
            _ => {}
        }
    }

    #[derive(Clone, Debug)]
    enum PathStep {
        Key(String),
        Index(usize),
    }

    fn at_path<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
        path.iter().try_fold(v, |v, step| match step {
            PathStep::Key(k) => v.get_mut(k.as_str()),
            PathStep::Index(i) => v.get_mut(*i),
        })
    }

    fn arb_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(json!({})),
            Just(json!([])),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,10}".prop_map(Value::from),
            prop::sample::select(vec![
                "",
                "0",
                "-0",
                "1e400",
                "123456789012345678901234567890123456789012345",
                "1.5E+2",
                "USD",
                "usd",
                "EACH",
                "each",
                "Cases",
                "NEW",
                "2020-02-20T13:51:00",
                "2020-02-30T00:00:00Z",
                "00001",
            ])
            .prop_map(Value::from),
        ]
    }

    proptest! {
        /// Replace or remove any part of the sandbox order: conversion never panics,
        /// and a failure always says why.
        #[test]
        fn any_damage_to_a_valid_order_never_panics(
            edits in prop::collection::vec((any::<prop::sample::Index>(), arb_leaf(), any::<bool>()), 1..6),
        ) {
            let mut v = sandbox();
            for (index, leaf, remove) in edits {
                let mut all = Vec::new();
                paths(&v, Vec::new(), &mut all);
                let path = index.get(&all).clone();
                match (remove, path.split_last()) {
                    (true, Some((PathStep::Key(k), parent))) => {
                        if let Some(Value::Object(o)) = at_path(&mut v, parent) {
                            o.remove(k);
                        }
                    }
                    _ => {
                        if let Some(slot) = at_path(&mut v, &path) {
                            *slot = leaf;
                        }
                    }
                }
            }
            if let Ok(order) = serde_json::from_value::<Order>(v) {
                match order.to_purchase_order() {
                    Ok(po) => prop_assert!(!po.lines.is_empty()),
                    Err(err) => prop_assert!(!err.problems.is_empty()),
                }
            }
        }
    }
}
