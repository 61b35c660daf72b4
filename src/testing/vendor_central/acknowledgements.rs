//! Acknowledgements checked as Amazon checks them: the shape when the POST arrives,
//! the content when the transaction is processed.

use serde_json::Map;

use super::*;

/// What a good retail acknowledgement records: per PO line, the eaches accepted
/// (back orders included) and rejected.
pub(super) struct RetailEffect {
    pub(super) acknowledged_at: DateTime<Utc>,
    pub(super) lines: BTreeMap<String, (u64, u64)>,
}

/// What a good Direct Fulfillment acknowledgement records.
pub(super) struct DfEffect {
    /// Accepted (`00`) or rejected (any other agreed code).
    pub(super) accepted: bool,
}

/// The order-level codes Amazon's Direct Fulfillment guide lists.
const DF_STATUS_CODES: [&str; 23] = [
    "00", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "20", "21", "22",
    "50", "51", "53", "54", "55", "56", "71",
];

// ---------------------------------------------------------------------------------
// Shape: what the POST refuses at once
// ---------------------------------------------------------------------------------

/// Collects schema problems the way Amazon words them (its validator reads like an
/// XML schema check).
struct Shape {
    errors: Vec<ServiceMessage>,
}

fn element(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last)
}

impl Shape {
    fn invalid(&mut self, path: &str, text: String) {
        self.errors
            .push(message("InvalidInput", text, Some(path.to_owned())));
    }

    /// An object with only `allowed` keys and every `required` one.
    fn object<'a>(
        &mut self,
        value: &'a Value,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Some(map) = value.as_object() else {
            self.invalid(
                path,
                format!("The element '{}' must be an object.", element(path)),
            );
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.invalid(
                    &format!("{path}.{key}"),
                    format!(
                        "Invalid content was found starting with element '{}'. One of '{{{}}}' is expected.",
                        crate::text::excerpt(key),
                        allowed.join(", ")
                    ),
                );
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.invalid(
                    path,
                    format!(
                        "The content of element '{}' is not complete. One of '{{{key}}}' is expected.",
                        element(path)
                    ),
                );
            }
        }
        Some(map)
    }

    fn array<'a>(&mut self, value: Option<&'a Value>, path: &str, non_empty: bool) -> &'a [Value] {
        match value {
            None => &[],
            Some(Value::Array(items)) => {
                if non_empty && items.is_empty() {
                    self.invalid(
                        path,
                        format!(
                            "The content of element '{}' is not complete.",
                            element(path)
                        ),
                    );
                }
                items
            }
            Some(_) => {
                self.invalid(
                    path,
                    format!("The element '{}' must be an array.", element(path)),
                );
                &[]
            }
        }
    }

    fn strings(&mut self, map: &Map<String, Value>, path: &str, keys: &[&str]) {
        for key in keys {
            if let Some(v) = map.get(*key) {
                if !v.is_string() {
                    self.invalid(
                        &format!("{path}.{key}"),
                        format!("The element '{key}' must be a string."),
                    );
                }
            }
        }
    }

    fn integers(&mut self, map: &Map<String, Value>, path: &str, keys: &[&str]) {
        for key in keys {
            if let Some(v) = map.get(*key) {
                if v.as_u64().is_none() {
                    self.invalid(
                        &format!("{path}.{key}"),
                        format!("The element '{key}' must be a non-negative integer."),
                    );
                }
            }
        }
    }

    fn party(&mut self, value: Option<&Value>, path: &str) {
        let Some(value) = value else { return };
        let allowed = ["partyId", "address", "taxInfo"];
        if let Some(map) = self.object(value, path, &allowed, &[]) {
            if !allowed.iter().any(|k| map.contains_key(*k)) {
                self.invalid(
                    path,
                    format!(
                        "The content of element '{}' is not complete. One of '{{partyId, address, taxInfo}}' is expected.",
                        element(path)
                    ),
                );
            }
            self.strings(map, path, &["partyId"]);
        }
    }

    fn quantity(&mut self, value: Option<&Value>, path: &str, allowed: &[&str]) {
        let Some(value) = value else { return };
        if let Some(map) = self.object(value, path, allowed, &[]) {
            self.integers(map, path, &["amount", "unitSize"]);
            self.strings(map, path, &["unitOfMeasure"]);
        }
    }

    fn money(&mut self, value: Option<&Value>, path: &str) {
        let Some(value) = value else { return };
        if let Some(map) = self.object(
            value,
            path,
            &["currencyCode", "amount", "unitOfMeasure"],
            &[],
        ) {
            self.strings(map, path, &["currencyCode", "amount", "unitOfMeasure"]);
        }
    }

    fn finish(self, items: Vec<Value>) -> Result<Vec<Value>, Vec<ServiceMessage>> {
        if self.errors.is_empty() {
            Ok(items)
        } else {
            Err(self.errors)
        }
    }
}

/// Checks a retail `submitAcknowledgement` body against the model and returns its
/// acknowledgements.
pub(super) fn retail_shape(body: &Value) -> Result<Vec<Value>, Vec<ServiceMessage>> {
    let mut shape = Shape { errors: Vec::new() };
    let Some(root) = shape.object(body, "body", &["acknowledgements"], &["acknowledgements"])
    else {
        return shape.finish(Vec::new());
    };
    let acks = shape.array(root.get("acknowledgements"), "acknowledgements", true);
    for (i, ack) in acks.iter().enumerate() {
        let path = format!("acknowledgements[{i}]");
        let fields = [
            "purchaseOrderNumber",
            "sellingParty",
            "acknowledgementDate",
            "items",
        ];
        let Some(ack) = shape.object(ack, &path, &fields, &fields) else {
            continue;
        };
        shape.strings(ack, &path, &["purchaseOrderNumber", "acknowledgementDate"]);
        shape.party(ack.get("sellingParty"), &format!("{path}.sellingParty"));
        let items = shape.array(ack.get("items"), &format!("{path}.items"), false);
        for (j, item) in items.iter().enumerate() {
            let path = format!("{path}.items[{j}]");
            let Some(item) = shape.object(
                item,
                &path,
                &[
                    "itemSequenceNumber",
                    "amazonProductIdentifier",
                    "vendorProductIdentifier",
                    "orderedQuantity",
                    "netCost",
                    "listPrice",
                    "discountMultiplier",
                    "itemAcknowledgements",
                ],
                &["orderedQuantity", "itemAcknowledgements"],
            ) else {
                continue;
            };
            shape.strings(
                item,
                &path,
                &[
                    "itemSequenceNumber",
                    "amazonProductIdentifier",
                    "vendorProductIdentifier",
                    "discountMultiplier",
                ],
            );
            let units = ["amount", "unitOfMeasure", "unitSize"];
            shape.quantity(
                item.get("orderedQuantity"),
                &format!("{path}.orderedQuantity"),
                &units,
            );
            shape.money(item.get("netCost"), &format!("{path}.netCost"));
            shape.money(item.get("listPrice"), &format!("{path}.listPrice"));
            let parts_path = format!("{path}.itemAcknowledgements");
            let parts = shape.array(item.get("itemAcknowledgements"), &parts_path, true);
            for (k, part) in parts.iter().enumerate() {
                let path = format!("{parts_path}[{k}]");
                let Some(part) = shape.object(
                    part,
                    &path,
                    &[
                        "acknowledgementCode",
                        "acknowledgedQuantity",
                        "scheduledShipDate",
                        "scheduledDeliveryDate",
                        "rejectionReason",
                    ],
                    &["acknowledgementCode", "acknowledgedQuantity"],
                ) else {
                    continue;
                };
                shape.strings(
                    part,
                    &path,
                    &[
                        "acknowledgementCode",
                        "scheduledShipDate",
                        "scheduledDeliveryDate",
                        "rejectionReason",
                    ],
                );
                shape.quantity(
                    part.get("acknowledgedQuantity"),
                    &format!("{path}.acknowledgedQuantity"),
                    &units,
                );
            }
        }
    }
    let acks = acks.to_vec();
    shape.finish(acks)
}

/// Checks a Direct Fulfillment `submitAcknowledgement` body against the model and
/// returns its acknowledgements.
pub(super) fn df_shape(body: &Value) -> Result<Vec<Value>, Vec<ServiceMessage>> {
    let mut shape = Shape { errors: Vec::new() };
    let Some(root) = shape.object(
        body,
        "body",
        &["orderAcknowledgements"],
        &["orderAcknowledgements"],
    ) else {
        return shape.finish(Vec::new());
    };
    let acks = shape.array(
        root.get("orderAcknowledgements"),
        "orderAcknowledgements",
        true,
    );
    for (i, ack) in acks.iter().enumerate() {
        let path = format!("orderAcknowledgements[{i}]");
        let fields = [
            "purchaseOrderNumber",
            "vendorOrderNumber",
            "acknowledgementDate",
            "acknowledgementStatus",
            "sellingParty",
            "shipFromParty",
            "itemAcknowledgements",
        ];
        let Some(ack) = shape.object(ack, &path, &fields, &fields) else {
            continue;
        };
        shape.strings(
            ack,
            &path,
            &[
                "purchaseOrderNumber",
                "vendorOrderNumber",
                "acknowledgementDate",
            ],
        );
        if let Some(status) = ack.get("acknowledgementStatus") {
            let status_path = format!("{path}.acknowledgementStatus");
            if let Some(status) = shape.object(status, &status_path, &["code", "description"], &[])
            {
                shape.strings(status, &status_path, &["code", "description"]);
            }
        }
        shape.party(ack.get("sellingParty"), &format!("{path}.sellingParty"));
        shape.party(ack.get("shipFromParty"), &format!("{path}.shipFromParty"));
        let items_path = format!("{path}.itemAcknowledgements");
        let items = shape.array(ack.get("itemAcknowledgements"), &items_path, false);
        for (j, item) in items.iter().enumerate() {
            let path = format!("{items_path}[{j}]");
            let Some(item) = shape.object(
                item,
                &path,
                &[
                    "itemSequenceNumber",
                    "buyerProductIdentifier",
                    "vendorProductIdentifier",
                    "acknowledgedQuantity",
                ],
                &["itemSequenceNumber", "acknowledgedQuantity"],
            ) else {
                continue;
            };
            shape.strings(
                item,
                &path,
                &[
                    "itemSequenceNumber",
                    "buyerProductIdentifier",
                    "vendorProductIdentifier",
                ],
            );
            shape.quantity(
                item.get("acknowledgedQuantity"),
                &format!("{path}.acknowledgedQuantity"),
                &["amount", "unitOfMeasure"],
            );
        }
    }
    let acks = acks.to_vec();
    shape.finish(acks)
}

// ---------------------------------------------------------------------------------
// Content: what makes the transaction fail
// ---------------------------------------------------------------------------------

/// A PO line's ordered quantity in eaches; `None` when it cannot be read.
pub(super) fn ordered_eaches(item: &retail::OrderItem) -> Option<u64> {
    let quantity = item.ordered_quantity.as_ref()?;
    let amount = quantity.amount.as_ref()?.as_u64()?;
    amount.checked_mul(case_size(item))
}

/// Eaches per unit of the line's ordered quantity: the case size for cases, else 1.
pub(super) fn case_size(item: &retail::OrderItem) -> u64 {
    let Some(quantity) = &item.ordered_quantity else {
        return 1;
    };
    match quantity.unit_of_measure.as_ref().and_then(|u| u.known()) {
        Some(retail::UnitOfMeasure::Cases) => quantity
            .unit_size
            .as_ref()
            .and_then(serde_json::Number::as_u64)
            .filter(|s| *s > 0)
            .unwrap_or(1),
        _ => 1,
    }
}

/// `eaches` written in the line's unit when it divides evenly, else in eaches.
pub(super) fn quantity_like(item: &retail::OrderItem, eaches: u64) -> retail::ItemQuantity {
    let size = case_size(item);
    if size > 1 && eaches % size == 0 {
        retail::ItemQuantity {
            amount: Some((eaches / size).into()),
            unit_of_measure: Some(retail::UnitOfMeasure::Cases),
            unit_size: Some(size.into()),
        }
    } else {
        retail::ItemQuantity {
            amount: Some(eaches.into()),
            unit_of_measure: Some(retail::UnitOfMeasure::Eaches),
            unit_size: Some(1.into()),
        }
    }
}

/// Transaction errors for one acknowledgement, each naming the PO.
struct Errors {
    found: Vec<ServiceMessage>,
}

impl Errors {
    fn push(&mut self, code: &str, path: String, text: String) {
        self.found.push(message(code, text, Some(path)));
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Checks one retail acknowledgement against its PO as Amazon has it now.
pub(super) fn check_retail(
    index: usize,
    ack: &Value,
    number: &str,
    record: Option<&RetailRecord>,
) -> Result<RetailEffect, Vec<ServiceMessage>> {
    let base = format!("acknowledgements[{index}]");
    let shown = crate::text::excerpt(number);
    let mut e = Errors { found: Vec::new() };
    let Some(record) = record else {
        e.push(
            "INVALID_ORDER_ID",
            format!("{base}.purchaseOrderNumber"),
            format!("Invalid order ID {shown}."),
        );
        return Err(e.found);
    };
    let details = record.order.order_details.as_ref();
    if record
        .order
        .purchase_order_state
        .as_ref()
        .and_then(|s| s.known())
        == Some(retail::PurchaseOrderState::Closed)
    {
        e.push(
            "INVALID_ORDER_STATE",
            format!("{base}.purchaseOrderNumber"),
            format!("PO {shown} is closed and cannot be acknowledged."),
        );
    }
    let vendor = details
        .and_then(|d| d.selling_party.as_ref())
        .and_then(|p| p.party_id.as_deref());
    let sent_vendor = ack["sellingParty"]["partyId"].as_str();
    if vendor.is_some() && sent_vendor != vendor {
        e.push(
            "INVALID_SELLING_PARTY",
            format!("{base}.sellingParty.partyId"),
            format!(
                "sellingParty {} does not match the vendor code {} of PO {shown}.",
                crate::text::excerpt(sent_vendor.unwrap_or_default()),
                vendor.unwrap_or_default()
            ),
        );
    }
    let acknowledged_at = match text(ack, "acknowledgementDate").map(parse_instant) {
        Some(Ok(t)) => t,
        _ => {
            e.push(
                "INVALID_DATE",
                format!("{base}.acknowledgementDate"),
                format!("acknowledgementDate of PO {shown} is not a date-time."),
            );
            DateTime::<Utc>::MIN_UTC
        }
    };

    let po_items: &[retail::OrderItem] =
        details.and_then(|d| d.items.as_deref()).unwrap_or_default();
    let mut lines = BTreeMap::new();
    let empty = Vec::new();
    for (j, item) in ack["items"].as_array().unwrap_or(&empty).iter().enumerate() {
        let path = format!("{base}.items[{j}]");
        let by = |key: &str, po: fn(&retail::OrderItem) -> Option<&String>| {
            text(item, key).and_then(|id| {
                po_items
                    .iter()
                    .find(|l| po(l).map(String::as_str) == Some(id))
            })
        };
        let line = match text(item, "itemSequenceNumber") {
            Some(_) => by("itemSequenceNumber", |l| l.item_sequence_number.as_ref()),
            None => by("vendorProductIdentifier", |l| {
                l.vendor_product_identifier.as_ref()
            })
            .or_else(|| {
                by("amazonProductIdentifier", |l| {
                    l.amazon_product_identifier.as_ref()
                })
            }),
        };
        let Some(line) = line else {
            let named = [
                "itemSequenceNumber",
                "vendorProductIdentifier",
                "amazonProductIdentifier",
            ]
            .iter()
            .find_map(|k| text(item, k))
            .unwrap_or("(none)");
            e.push(
                "INVALID_ITEM",
                path,
                format!("Item {} is not on PO {shown}.", crate::text::excerpt(named)),
            );
            continue;
        };
        let sequence = line.item_sequence_number.clone().unwrap_or_default();
        if lines.contains_key(&sequence) {
            e.push(
                "INVALID_ITEM",
                path.clone(),
                format!("Line {sequence} of PO {shown} is acknowledged more than once."),
            );
        }
        for (key, expected) in [
            (
                "vendorProductIdentifier",
                line.vendor_product_identifier.as_deref(),
            ),
            (
                "amazonProductIdentifier",
                line.amazon_product_identifier.as_deref(),
            ),
        ] {
            if let (Some(sent), Some(expected)) = (text(item, key), expected) {
                if sent != expected {
                    e.push(
                        "INVALID_ITEM",
                        format!("{path}.{key}"),
                        format!(
                            "{key} {} does not match {expected}, sent on line {sequence} of PO {shown}.",
                            crate::text::excerpt(sent)
                        ),
                    );
                }
            }
        }
        check_cost(
            &mut e,
            &path,
            &sequence,
            &shown,
            item.get("netCost"),
            line.net_cost.as_ref(),
        );

        let ordered = ordered_eaches(line).unwrap_or(0);
        let allowed_back_order = line.is_back_order_allowed.unwrap_or(false);
        let (mut accepted, mut rejected, mut total) = (0u64, 0u64, 0u64);
        let parts = item["itemAcknowledgements"].as_array().unwrap_or(&empty);
        for (k, part) in parts.iter().enumerate() {
            let path = format!("{path}.itemAcknowledgements[{k}]");
            let code = text(part, "acknowledgementCode").unwrap_or_default();
            if !matches!(code, "Accepted" | "Backordered" | "Rejected") {
                e.push(
                    "INVALID_VALUE",
                    format!("{path}.acknowledgementCode"),
                    format!(
                        "'{}' is not a valid acknowledgementCode. One of 'Accepted, Backordered, Rejected' is expected.",
                        crate::text::excerpt(code)
                    ),
                );
            }
            if let Some(reason) = text(part, "rejectionReason") {
                if !matches!(
                    reason,
                    "TemporarilyUnavailable" | "InvalidProductIdentifier" | "ObsoleteProduct"
                ) {
                    e.push(
                        "INVALID_VALUE",
                        format!("{path}.rejectionReason"),
                        format!(
                            "'{}' is not a valid rejectionReason. One of 'TemporarilyUnavailable, InvalidProductIdentifier, ObsoleteProduct' is expected.",
                            crate::text::excerpt(reason)
                        ),
                    );
                }
            }
            let quantity = &part["acknowledgedQuantity"];
            let size = match quantity.get("unitOfMeasure").and_then(Value::as_str) {
                None => Some(case_size(line)),
                Some("Eaches") => Some(1),
                Some("Cases") => Some(
                    quantity["unitSize"]
                        .as_u64()
                        .filter(|s| *s > 0)
                        .unwrap_or_else(|| case_size(line)),
                ),
                Some(other) => {
                    e.push(
                        "INVALID_VALUE",
                        format!("{path}.acknowledgedQuantity.unitOfMeasure"),
                        format!(
                            "'{}' is not a valid unitOfMeasure. One of 'Cases, Eaches' is expected.",
                            crate::text::excerpt(other)
                        ),
                    );
                    None
                }
            };
            let amount = quantity["amount"].as_u64().unwrap_or(0);
            let Some(eaches) = size.and_then(|s| amount.checked_mul(s)) else {
                continue;
            };
            // Amazon's models: the acknowledged quantity should not be zero; a line
            // with nothing ordered is left out instead.
            if amount == 0 {
                e.push(
                    "INVALID_QUANTITY",
                    format!("{path}.acknowledgedQuantity.amount"),
                    format!(
                        "acknowledgedQuantity of line {sequence} of PO {shown} should not be zero."
                    ),
                );
            }
            if code == "Backordered" && !allowed_back_order {
                e.push(
                    "BACKORDER_NOT_ALLOWED",
                    format!("{path}.acknowledgementCode"),
                    format!("Line {sequence} of PO {shown} does not allow back orders."),
                );
            }
            match code {
                "Accepted" | "Backordered" => accepted = accepted.saturating_add(eaches),
                "Rejected" => rejected = rejected.saturating_add(eaches),
                _ => {}
            }
            total = total.saturating_add(eaches);
        }
        if total > ordered {
            e.push(
                "INVALID_QUANTITY",
                format!("{path}.itemAcknowledgements"),
                format!(
                    "The acknowledged quantity {total} of line {sequence} of PO {shown} is above the ordered quantity {ordered} (in eaches)."
                ),
            );
        }
        if accepted > 0
            && record
                .lines
                .get(&sequence)
                .is_some_and(|l| l.rejected_first)
        {
            e.push(
                "INVALID_STATUS_CHANGE",
                format!("{path}.itemAcknowledgements"),
                format!("Line {sequence} of PO {shown} was rejected and cannot be accepted or back-ordered."),
            );
        }
        lines.insert(sequence, (accepted, rejected));
    }
    for line in po_items {
        let sequence = line.item_sequence_number.clone().unwrap_or_default();
        if ordered_eaches(line).unwrap_or(0) > 0 && !lines.contains_key(&sequence) {
            e.push(
                "MISSING_ITEM",
                format!("{base}.items"),
                format!("Line {sequence} of PO {shown} is not acknowledged: every line must be."),
            );
        }
    }
    if e.found.is_empty() {
        Ok(RetailEffect {
            acknowledged_at,
            lines,
        })
    } else {
        Err(e.found)
    }
}

fn check_cost(
    e: &mut Errors,
    path: &str,
    sequence: &str,
    shown: &str,
    sent: Option<&Value>,
    po: Option<&retail::Money>,
) {
    let path = format!("{path}.netCost");
    let Some(sent) = sent else {
        e.push(
            "INVALID_COST",
            path,
            format!("netCost is required on line {sequence} of PO {shown}."),
        );
        return;
    };
    if let Some(unit) = text(sent, "unitOfMeasure") {
        if !matches!(unit, "POUNDS" | "OUNCES" | "GRAMS" | "KILOGRAMS") {
            e.push(
                "INVALID_VALUE",
                format!("{path}.unitOfMeasure"),
                format!(
                    "'{}' is not a valid unitOfMeasure. One of 'POUNDS, OUNCES, GRAMS, KILOGRAMS' is expected.",
                    crate::text::excerpt(unit)
                ),
            );
        }
    }
    let amount = match text(sent, "amount").map(str::parse::<Decimal>) {
        Some(Ok(amount)) if amount.is_positive() => amount,
        _ => {
            e.push(
                "INVALID_COST",
                format!("{path}.amount"),
                format!("netCost of line {sequence} of PO {shown} must be a positive decimal."),
            );
            return;
        }
    };
    let Some(po) = po else { return };
    if let (Some(sent_currency), Some(currency)) =
        (text(sent, "currencyCode"), po.currency_code.as_deref())
    {
        if sent_currency != currency {
            e.push(
                "INVALID_COST",
                format!("{path}.currencyCode"),
                format!(
                    "netCost currency {} of line {sequence} of PO {shown} is not the PO's {currency}.",
                    crate::text::excerpt(sent_currency)
                ),
            );
        }
    }
    if let Some(Ok(po_amount)) = po.amount.as_deref().map(str::parse::<Decimal>) {
        if amount > po_amount {
            e.push(
                "INVALID_COST",
                format!("{path}.amount"),
                format!("netCost {amount} of line {sequence} of PO {shown} is above the PO's {po_amount}."),
            );
        }
    }
}

/// The quantity ordered on a Direct Fulfillment item, in eaches.
fn df_ordered(line: &df::OrderItem) -> u64 {
    line.ordered_quantity
        .as_ref()
        .and_then(|q| q.amount.as_ref())
        .and_then(serde_json::Number::as_u64)
        .unwrap_or(0)
}

/// Checks one Direct Fulfillment acknowledgement against its order as Amazon has it
/// now.
pub(super) fn check_df(
    index: usize,
    ack: &Value,
    number: &str,
    record: Option<&DfRecord>,
) -> Result<DfEffect, Vec<ServiceMessage>> {
    let base = format!("orderAcknowledgements[{index}]");
    let shown = crate::text::excerpt(number);
    let mut e = Errors { found: Vec::new() };
    let Some(record) = record else {
        e.push(
            "INVALID_ORDER_ID",
            format!("{base}.purchaseOrderNumber"),
            format!("Invalid order ID {shown}."),
        );
        return Err(e.found);
    };
    let code = ack["acknowledgementStatus"]["code"]
        .as_str()
        .unwrap_or_default();
    if !DF_STATUS_CODES.contains(&code) {
        e.push(
            "INVALID_VALUE",
            format!("{base}.acknowledgementStatus.code"),
            format!(
                "'{}' is not an acknowledgement status code agreed for Direct Fulfillment (order {shown}).",
                crate::text::excerpt(code)
            ),
        );
    }
    let accepted = code == "00";
    match record.status().known() {
        Some(df::OrderStatus::Cancelled) => e.push(
            "INVALID_ORDER_STATE",
            format!("{base}.purchaseOrderNumber"),
            format!("Order {shown} is cancelled and cannot be acknowledged."),
        ),
        Some(df::OrderStatus::Shipped) => e.push(
            "INVALID_ORDER_STATE",
            format!("{base}.purchaseOrderNumber"),
            format!("Order {shown} has shipped and cannot be acknowledged."),
        ),
        Some(df::OrderStatus::Accepted) if !accepted => e.push(
            "INVALID_ORDER_STATE",
            format!("{base}.acknowledgementStatus.code"),
            format!("Order {shown} is already accepted and cannot be rejected."),
        ),
        _ => {}
    }
    if text(ack, "vendorOrderNumber").is_none_or(|v| v.trim().is_empty()) {
        e.push(
            "INVALID_VALUE",
            format!("{base}.vendorOrderNumber"),
            format!("vendorOrderNumber of order {shown} must not be blank."),
        );
    }
    if text(ack, "acknowledgementDate")
        .map(parse_instant)
        .is_none_or(|r| r.is_err())
    {
        e.push(
            "INVALID_DATE",
            format!("{base}.acknowledgementDate"),
            format!("acknowledgementDate of order {shown} is not a date-time."),
        );
    }
    let details = record.order.order_details.as_ref();
    for (key, expected) in [
        (
            "sellingParty",
            details.and_then(|d| d.selling_party.as_ref()),
        ),
        (
            "shipFromParty",
            details.and_then(|d| d.ship_from_party.as_ref()),
        ),
    ] {
        let expected = expected.and_then(|p| p.party_id.as_deref());
        let sent = ack[key]["partyId"].as_str();
        if expected.is_some() && sent != expected {
            e.push(
                "INVALID_PARTY",
                format!("{base}.{key}.partyId"),
                format!(
                    "{key} {} does not match {} on order {shown}.",
                    crate::text::excerpt(sent.unwrap_or_default()),
                    expected.unwrap_or_default()
                ),
            );
        }
    }

    let order_items: &[df::OrderItem] =
        details.and_then(|d| d.items.as_deref()).unwrap_or_default();
    let mut seen = Vec::new();
    let empty = Vec::new();
    let items = ack["itemAcknowledgements"].as_array().unwrap_or(&empty);
    for (j, item) in items.iter().enumerate() {
        let path = format!("{base}.itemAcknowledgements[{j}]");
        let sequence = text(item, "itemSequenceNumber").unwrap_or_default();
        let Some(line) = order_items
            .iter()
            .find(|l| l.item_sequence_number.as_deref() == Some(sequence))
        else {
            e.push(
                "INVALID_ITEM",
                format!("{path}.itemSequenceNumber"),
                format!(
                    "Item {} is not on order {shown}.",
                    crate::text::excerpt(sequence)
                ),
            );
            continue;
        };
        if seen.contains(&sequence) {
            e.push(
                "INVALID_ITEM",
                format!("{path}.itemSequenceNumber"),
                format!("Item {sequence} of order {shown} is acknowledged more than once."),
            );
        }
        seen.push(sequence);
        for (key, expected) in [
            (
                "buyerProductIdentifier",
                line.buyer_product_identifier.as_deref(),
            ),
            (
                "vendorProductIdentifier",
                line.vendor_product_identifier.as_deref(),
            ),
        ] {
            if let (Some(sent), Some(expected)) = (text(item, key), expected) {
                if sent != expected {
                    e.push(
                        "INVALID_ITEM",
                        format!("{path}.{key}"),
                        format!(
                            "{key} {} does not match {expected}, sent on item {sequence} of order {shown}.",
                            crate::text::excerpt(sent)
                        ),
                    );
                }
            }
        }
        let quantity = &item["acknowledgedQuantity"];
        if let Some(unit) = text(quantity, "unitOfMeasure") {
            if unit != "Each" {
                e.push(
                    "INVALID_VALUE",
                    format!("{path}.acknowledgedQuantity.unitOfMeasure"),
                    format!(
                        "'{}' is not a valid unitOfMeasure. One of 'Each' is expected.",
                        crate::text::excerpt(unit)
                    ),
                );
            }
        }
        let amount = quantity["amount"].as_u64().unwrap_or(0);
        let ordered = df_ordered(line);
        if amount == 0 {
            e.push(
                "INVALID_QUANTITY",
                format!("{path}.acknowledgedQuantity.amount"),
                format!(
                    "acknowledgedQuantity of item {sequence} of order {shown} should not be zero."
                ),
            );
        } else if amount > ordered {
            e.push(
                "INVALID_QUANTITY",
                format!("{path}.acknowledgedQuantity.amount"),
                format!(
                    "The acknowledged quantity {amount} of item {sequence} of order {shown} is above the ordered quantity {ordered}."
                ),
            );
        } else if accepted && amount != ordered {
            e.push(
                "INVALID_QUANTITY",
                format!("{path}.acknowledgedQuantity.amount"),
                format!(
                    "Order {shown} is accepted in full or not at all: item {sequence} acknowledges {amount} of {ordered}."
                ),
            );
        }
    }
    for line in order_items {
        let sequence = line.item_sequence_number.as_deref().unwrap_or_default();
        // An item with nothing ordered is left out of an acknowledgement.
        if df_ordered(line) > 0 && !seen.contains(&sequence) {
            e.push(
                "MISSING_ITEM",
                format!("{base}.itemAcknowledgements"),
                format!(
                    "Item {sequence} of order {shown} is not acknowledged: every item must be."
                ),
            );
        }
    }
    if e.found.is_empty() {
        Ok(DfEffect { accepted })
    } else {
        Err(e.found)
    }
}
