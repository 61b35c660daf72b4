//! Realistic Amazon wire orders for seeding [`VendorCentral`](super::VendorCentral).
//!
//! Builders take every value a test cares about and fill the rest the way Amazon's
//! sandbox and production orders look: vendor codes, fulfilment-centre codes, ASINs,
//! vendor SKUs, net costs as exact decimal strings, cases with their unit sizes, ship
//! windows, and (for Direct Fulfillment) a consumer ship-to address. Everything is
//! deterministic: the same inputs give the same order.
//!
//! [`retail_order`] and [`df_order`] generate a whole order from a PO number, a
//! creation time and a line count, picking products from [`PRODUCTS`], whose
//! [`Product::netsuite_item`] ids can seed the NetSuite simulator's item catalogue.
//!
//! # Example
//! ```
//! use avc_order_sync::testing::orders::{RetailLine, RetailOrderBuilder, PRODUCTS};
//!
//! let order = RetailOrderBuilder::new("4Z32PABC", "2025-03-01T08:00:00Z".parse()?)
//!     .vendor_code("ABCDE")
//!     .line(RetailLine::cases("B07DFVDRAB", "8806098286500", 3, 12, "9.50"))
//!     .line(RetailLine::product(&PRODUCTS[0], 2).back_order_allowed(true))
//!     .build();
//! let po = order.to_purchase_order()?;
//! assert_eq!(po.lines.len(), 2);
//! assert_eq!(po.lines[0].ordered.eaches(), Some(36));
//! assert_eq!(po.lines[0].net_cost.money.to_string(), "9.50 USD");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::rng::{SplitMix64, stable_hash};
use crate::amazon::direct_fulfillment as df;
use crate::amazon::retail;
use crate::ids::InternalId;
use crate::order::format_instant;

/// A product a vendor sells to Amazon, with the ids each side knows it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Product {
    /// Amazon's ASIN.
    pub asin: &'static str,
    /// The vendor's product id as Amazon holds it (a SKU or an EAN).
    pub vendor_sku: &'static str,
    /// A title.
    pub title: &'static str,
    /// Amazon's net cost per each, a decimal string.
    pub net_cost: &'static str,
    /// The list price per each, a decimal string.
    pub list_price: &'static str,
    /// Eaches per case; 1 for products ordered by the each.
    pub case_size: u64,
    /// The NetSuite item's internal id.
    pub netsuite_item: &'static str,
}

/// A small catalogue the generators pick from.
pub const PRODUCTS: [Product; 12] = [
    Product {
        asin: "B07DFVDRAB",
        vendor_sku: "ACM-KTL-1001",
        title: "Stainless Kettle 1.7 L",
        net_cost: "18.40",
        list_price: "34.99",
        case_size: 6,
        netsuite_item: "1101",
    },
    Product {
        asin: "B076SDSABC",
        vendor_sku: "ACM-TST-2002",
        title: "Two-Slice Toaster",
        net_cost: "21.15",
        list_price: "39.99",
        case_size: 4,
        netsuite_item: "1102",
    },
    Product {
        asin: "B0829NQ3WX",
        vendor_sku: "0885909950805",
        title: "Pour-Over Coffee Set",
        net_cost: "12.49",
        list_price: "24.95",
        case_size: 12,
        netsuite_item: "1103",
    },
    Product {
        asin: "B08KTZ8249",
        vendor_sku: "ACM-MUG-0412",
        title: "Ceramic Mug 12 oz, Set of 4",
        net_cost: "9.80",
        list_price: "19.99",
        case_size: 8,
        netsuite_item: "1104",
    },
    Product {
        asin: "B09B8V1LZ3",
        vendor_sku: "ACM-SKL-1230",
        title: "Cast Iron Skillet 12 in",
        net_cost: "16.075",
        list_price: "29.99",
        case_size: 4,
        netsuite_item: "1105",
    },
    Product {
        asin: "B0BSHF7WHW",
        vendor_sku: "ACM-BLN-7700",
        title: "High-Speed Blender",
        net_cost: "346.27",
        list_price: "499.00",
        case_size: 1,
        netsuite_item: "1106",
    },
    Product {
        asin: "B0C1J3Y9QK",
        vendor_sku: "0745883761234",
        title: "Bamboo Cutting Board",
        net_cost: "7.25",
        list_price: "15.99",
        case_size: 24,
        netsuite_item: "1107",
    },
    Product {
        asin: "B07PGL2ZSL",
        vendor_sku: "ACM-KNF-0808",
        title: "Chef's Knife 8 in",
        net_cost: "23.60",
        list_price: "49.99",
        case_size: 6,
        netsuite_item: "1108",
    },
    Product {
        asin: "B01N5IB20Q",
        vendor_sku: "ACM-SCL-0055",
        title: "Digital Kitchen Scale",
        net_cost: "8.10",
        list_price: "17.49",
        case_size: 10,
        netsuite_item: "1109",
    },
    Product {
        asin: "B08J4D7T6S",
        vendor_sku: "ACM-FRY-5500",
        title: "Air Fryer 5.5 qt",
        net_cost: "110.00",
        list_price: "149.99",
        case_size: 2,
        netsuite_item: "1110",
    },
    Product {
        asin: "B0756CYWWD",
        vendor_sku: "ACM-TWL-3300",
        title: "Tea Towels, Pack of 3",
        net_cost: "4.05",
        list_price: "9.99",
        case_size: 36,
        netsuite_item: "1111",
    },
    Product {
        asin: "B0D7CQ6HKT",
        vendor_sku: "ACM-GRN-0101",
        title: "Burr Coffee Grinder",
        net_cost: "42.00",
        list_price: "79.00",
        case_size: 3,
        netsuite_item: "1112",
    },
];

/// The product with this vendor SKU, in [`PRODUCTS`].
pub fn product_by_sku(vendor_sku: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.vendor_sku == vendor_sku)
}

/// The NetSuite item ids of [`PRODUCTS`], for
/// [`NetSuite::set_item_catalogue`](super::NetSuite::set_item_catalogue).
pub fn netsuite_items() -> Vec<InternalId> {
    PRODUCTS
        .iter()
        .filter_map(|p| InternalId::new(p.netsuite_item).ok())
        .collect()
}

/// The vendor code the builders use unless told otherwise.
pub const DEFAULT_VENDOR_CODE: &str = "ACMEV";

/// The fulfilment centre retail orders ship to unless told otherwise.
pub const DEFAULT_FULFILMENT_CENTRE: &str = "ABE8";

/// The vendor warehouse Direct Fulfillment orders ship from unless told otherwise.
pub const DEFAULT_WAREHOUSE: &str = "RNO1";

/// An 8-character alphanumeric PO number for `seed`, like Amazon's (`4Z32PABC`).
///
/// Distinct seeds below 36⁸ give distinct numbers, so `(0..n).map(purchase_order_number)`
/// never repeats.
///
/// # Example
/// ```
/// use avc_order_sync::testing::orders::purchase_order_number;
/// let a = purchase_order_number(1);
/// assert_eq!(a.len(), 8);
/// assert!(a.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
/// assert_ne!(a, purchase_order_number(2));
/// assert_eq!(a, purchase_order_number(1));
/// ```
pub fn purchase_order_number(seed: u64) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const SPACE: u128 = 2_821_109_907_456; // 36^8
    // An affine map with a multiplier coprime to 36^8 is a permutation of the space.
    let mut n = (u128::from(seed) % SPACE * 2_654_435_761 + 1_234_567_891) % SPACE;
    let mut out = [b'0'; 8];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One retail PO line to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetailLine {
    /// The ASIN (`amazonProductIdentifier`).
    pub asin: Option<String>,
    /// The vendor product id (`vendorProductIdentifier`).
    pub vendor_sku: Option<String>,
    /// How many units: eaches, or cases when `unit_size` is set.
    pub quantity: u64,
    /// Eaches per case, for a line ordered in cases; `None` for eaches.
    pub unit_size: Option<u64>,
    /// The net cost per each, a decimal string.
    pub net_cost: String,
    /// The list price per each, a decimal string.
    pub list_price: Option<String>,
    /// Whether Amazon accepts a back order for the line.
    pub back_order_allowed: bool,
}

impl RetailLine {
    /// A line ordered by the each.
    pub fn eaches(asin: &str, vendor_sku: &str, quantity: u64, net_cost: &str) -> Self {
        RetailLine {
            asin: Some(asin.to_owned()),
            vendor_sku: Some(vendor_sku.to_owned()),
            quantity,
            unit_size: None,
            net_cost: net_cost.to_owned(),
            list_price: None,
            back_order_allowed: false,
        }
    }

    /// A line ordered in cases of `unit_size`.
    pub fn cases(asin: &str, vendor_sku: &str, cases: u64, unit_size: u64, net_cost: &str) -> Self {
        RetailLine {
            unit_size: Some(unit_size),
            ..RetailLine::eaches(asin, vendor_sku, cases, net_cost)
        }
    }

    /// `cases` cases of a product (eaches when its case size is 1), at its net cost
    /// and list price.
    pub fn product(product: &Product, cases: u64) -> Self {
        let line = if product.case_size > 1 {
            RetailLine::cases(
                product.asin,
                product.vendor_sku,
                cases,
                product.case_size,
                product.net_cost,
            )
        } else {
            RetailLine::eaches(product.asin, product.vendor_sku, cases, product.net_cost)
        };
        RetailLine {
            list_price: Some(product.list_price.to_owned()),
            ..line
        }
    }

    /// This line, with back orders allowed or not.
    pub fn back_order_allowed(mut self, allowed: bool) -> Self {
        self.back_order_allowed = allowed;
        self
    }
}

/// Builds a retail (Vendor Orders v1) purchase order.
///
/// Defaults: vendor code [`DEFAULT_VENDOR_CODE`], ship-to [`DEFAULT_FULFILMENT_CENTRE`],
/// state `New`, a regular order paid by invoice, USD, a ship window from two to eight
/// days after creation, line numbers `1`, `2`, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetailOrderBuilder {
    number: String,
    created_at: DateTime<Utc>,
    vendor_code: String,
    ship_to: String,
    currency: String,
    state: retail::PurchaseOrderState,
    ship_window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    delivery_window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    zero_padded: bool,
    lines: Vec<RetailLine>,
}

impl RetailOrderBuilder {
    /// An order with this number, created at `created_at`, with no lines yet.
    pub fn new(number: &str, created_at: DateTime<Utc>) -> Self {
        RetailOrderBuilder {
            number: number.to_owned(),
            created_at,
            vendor_code: DEFAULT_VENDOR_CODE.to_owned(),
            ship_to: DEFAULT_FULFILMENT_CENTRE.to_owned(),
            currency: "USD".to_owned(),
            state: retail::PurchaseOrderState::New,
            ship_window: Some((
                created_at + TimeDelta::days(2),
                created_at + TimeDelta::days(8),
            )),
            delivery_window: None,
            zero_padded: false,
            lines: Vec::new(),
        }
    }

    /// The vendor code (`sellingParty.partyId`).
    pub fn vendor_code(mut self, code: &str) -> Self {
        self.vendor_code = code.to_owned();
        self
    }

    /// The fulfilment centre (`shipToParty.partyId`).
    pub fn ship_to(mut self, fulfilment_centre: &str) -> Self {
        self.ship_to = fulfilment_centre.to_owned();
        self
    }

    /// The currency of every price.
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = currency.to_owned();
        self
    }

    /// The PO state.
    pub fn state(mut self, state: retail::PurchaseOrderState) -> Self {
        self.state = state;
        self
    }

    /// The ship window (Amazon-paid freight); `None` leaves it out.
    pub fn ship_window(mut self, window: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Self {
        self.ship_window = window;
        self
    }

    /// The delivery window (vendor-paid freight); `None` leaves it out.
    pub fn delivery_window(mut self, window: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Self {
        self.delivery_window = window;
        self
    }

    /// Numbers lines `00001`, `00002`, … as the sandbox does.
    pub fn zero_padded_sequences(mut self) -> Self {
        self.zero_padded = true;
        self
    }

    /// Adds a line.
    pub fn line(mut self, line: RetailLine) -> Self {
        self.lines.push(line);
        self
    }

    /// The wire order.
    pub fn build(&self) -> retail::Order {
        let created = format_instant(&self.created_at);
        let money = |amount: &str| retail::Money {
            currency_code: Some(self.currency.clone()),
            amount: Some(amount.to_owned()),
            unit_of_measure: None,
        };
        let items = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| retail::OrderItem {
                item_sequence_number: Some(sequence(i, self.zero_padded)),
                amazon_product_identifier: line.asin.clone(),
                vendor_product_identifier: line.vendor_sku.clone(),
                ordered_quantity: Some(retail::ItemQuantity {
                    amount: Some(line.quantity.into()),
                    unit_of_measure: Some(match line.unit_size {
                        Some(_) => retail::UnitOfMeasure::Cases,
                        None => retail::UnitOfMeasure::Eaches,
                    }),
                    unit_size: Some(line.unit_size.unwrap_or(1).into()),
                }),
                is_back_order_allowed: Some(line.back_order_allowed),
                net_cost: Some(money(&line.net_cost)),
                list_price: line.list_price.as_deref().map(money),
            })
            .collect();
        let party = |id: &str| retail::PartyIdentification {
            party_id: Some(id.to_owned()),
            address: None,
            tax_info: None,
        };
        let window = |w: &Option<(DateTime<Utc>, DateTime<Utc>)>| {
            w.map(|(start, end)| format!("{}--{}", format_instant(&start), format_instant(&end)))
        };
        retail::Order {
            purchase_order_number: Some(self.number.clone()),
            purchase_order_state: Some(self.state.clone()),
            order_details: Some(retail::OrderDetails {
                purchase_order_date: Some(created.clone()),
                purchase_order_changed_date: None,
                purchase_order_state_changed_date: Some(created),
                purchase_order_type: Some(retail::PurchaseOrderType::RegularOrder),
                import_details: None,
                deal_code: None,
                payment_method: Some(retail::PaymentMethod::Invoice),
                buying_party: Some(party("AMAZON")),
                selling_party: Some(party(&self.vendor_code)),
                ship_to_party: Some(party(&self.ship_to)),
                bill_to_party: Some(party("AMAZON")),
                ship_window: window(&self.ship_window),
                delivery_window: window(&self.delivery_window),
                items: Some(items),
            }),
        }
    }
}

fn sequence(index: usize, zero_padded: bool) -> String {
    if zero_padded {
        format!("{:05}", index + 1)
    } else {
        (index + 1).to_string()
    }
}

/// A whole retail order generated from its number: `lines` lines of distinct
/// products from [`PRODUCTS`], some in cases and some by the each, some allowing
/// back orders, with the builder's defaults otherwise.
///
/// # Example
/// ```
/// use avc_order_sync::testing::orders::retail_order;
/// let order = retail_order("4Z32PABC", "2025-03-01T08:00:00Z".parse()?, 3);
/// assert_eq!(order, retail_order("4Z32PABC", "2025-03-01T08:00:00Z".parse()?, 3));
/// assert_eq!(order.to_purchase_order()?.lines.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn retail_order(number: &str, created_at: DateTime<Utc>, lines: usize) -> retail::Order {
    let mut rng = SplitMix64::new(stable_hash(&["retail", number]));
    let mut builder = RetailOrderBuilder::new(number, created_at);
    for product in pick_products(&mut rng, lines) {
        let cases = 1 + rng.below(10);
        builder =
            builder.line(RetailLine::product(product, cases).back_order_allowed(rng.below(3) == 0));
    }
    builder.build()
}

/// `count` products, distinct while the catalogue lasts.
fn pick_products(rng: &mut SplitMix64, count: usize) -> Vec<&'static Product> {
    let mut order: Vec<usize> = (0..PRODUCTS.len()).collect();
    rng.shuffle(&mut order);
    (0..count)
        .map(|i| &PRODUCTS[order[i % order.len()]])
        .collect()
}

/// One Direct Fulfillment line to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfLine {
    /// The ASIN (`buyerProductIdentifier`).
    pub asin: Option<String>,
    /// The vendor product id.
    pub vendor_sku: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// How many, in eaches.
    pub quantity: u64,
    /// The net price per each, a decimal string.
    pub net_price: String,
}

impl DfLine {
    /// A line of `quantity` eaches.
    pub fn new(asin: &str, vendor_sku: &str, quantity: u64, net_price: &str) -> Self {
        DfLine {
            asin: Some(asin.to_owned()),
            vendor_sku: Some(vendor_sku.to_owned()),
            title: None,
            quantity,
            net_price: net_price.to_owned(),
        }
    }

    /// `quantity` of a product at its net cost.
    pub fn product(product: &Product, quantity: u64) -> Self {
        DfLine {
            title: Some(product.title.to_owned()),
            ..DfLine::new(product.asin, product.vendor_sku, quantity, product.net_cost)
        }
    }
}

/// Builds a Direct Fulfillment order (the same wire shape for v1 and 2021-12-28).
///
/// Defaults: vendor code [`DEFAULT_VENDOR_CODE`], ship-from [`DEFAULT_WAREHOUSE`],
/// status `NEW`, `UPS_GR_RES`, a required ship date a day after the order and a
/// promised delivery four days after, USD, a fictional consumer in the US chosen from
/// the PO number, line numbers `00001`, `00002`, …. `Debug` shows no part of the
/// consumer's address or the gift message.
#[derive(Clone, PartialEq, Eq)]
pub struct DfOrderBuilder {
    number: String,
    created_at: DateTime<Utc>,
    customer_order_number: String,
    vendor_code: String,
    ship_from: String,
    currency: String,
    status: df::OrderStatus,
    ship_method: String,
    is_priority: bool,
    gift_message: Option<String>,
    ship_to: df::Address,
    lines: Vec<DfLine>,
}

struct Consumer {
    name: &'static str,
    line1: &'static str,
    city: &'static str,
    state: &'static str,
    zip: &'static str,
}

/// Fictional consumers.
const CONSUMERS: [Consumer; 6] = [
    Consumer {
        name: "Jordan Avery",
        line1: "1400 Maple Ridge Rd",
        city: "Columbus",
        state: "OH",
        zip: "43215",
    },
    Consumer {
        name: "Priya Raman",
        line1: "88 Harbor View Ct Apt 4",
        city: "Tacoma",
        state: "WA",
        zip: "98402",
    },
    Consumer {
        name: "Luis Ortega",
        line1: "2750 Sycamore Ave",
        city: "Tucson",
        state: "AZ",
        zip: "85705",
    },
    Consumer {
        name: "Hannah Kim",
        line1: "19 Birch Hollow Ln",
        city: "Burlington",
        state: "VT",
        zip: "05401",
    },
    Consumer {
        name: "Marcus Bell",
        line1: "603 Riverside Dr",
        city: "Memphis",
        state: "TN",
        zip: "38103",
    },
    Consumer {
        name: "Elena Petrova",
        line1: "4120 Aspen Park Blvd",
        city: "Denver",
        state: "CO",
        zip: "80216",
    },
];

impl DfOrderBuilder {
    /// An order with this number, placed at `created_at`, with no lines yet.
    pub fn new(number: &str, created_at: DateTime<Utc>) -> Self {
        let mut rng = SplitMix64::new(stable_hash(&["df-consumer", number]));
        let consumer = &CONSUMERS[rng.below(CONSUMERS.len() as u64) as usize];
        DfOrderBuilder {
            number: number.to_owned(),
            created_at,
            customer_order_number: format!(
                "11{}-{:07}-{:07}",
                rng.below(10),
                rng.below(10_000_000),
                rng.below(10_000_000)
            ),
            vendor_code: DEFAULT_VENDOR_CODE.to_owned(),
            ship_from: DEFAULT_WAREHOUSE.to_owned(),
            currency: "USD".to_owned(),
            status: df::OrderStatus::New,
            ship_method: "UPS_GR_RES".to_owned(),
            is_priority: false,
            gift_message: None,
            ship_to: df::Address {
                name: Some(consumer.name.to_owned()),
                address_line1: Some(consumer.line1.to_owned()),
                city: Some(consumer.city.to_owned()),
                state_or_region: Some(consumer.state.to_owned()),
                postal_code: Some(consumer.zip.to_owned()),
                country_code: Some("US".to_owned()),
                phone: Some(format!("+1 555 01{:02}", rng.below(100))),
                ..df::Address::default()
            },
            lines: Vec::new(),
        }
    }

    /// The vendor code (`sellingParty.partyId`).
    pub fn vendor_code(mut self, code: &str) -> Self {
        self.vendor_code = code.to_owned();
        self
    }

    /// The warehouse that ships (`shipFromParty.partyId`).
    pub fn ship_from(mut self, warehouse: &str) -> Self {
        self.ship_from = warehouse.to_owned();
        self
    }

    /// The currency of every price.
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = currency.to_owned();
        self
    }

    /// The order status.
    pub fn status(mut self, status: df::OrderStatus) -> Self {
        self.status = status;
        self
    }

    /// Amazon's ship method code.
    pub fn ship_method(mut self, ship_method: &str) -> Self {
        self.ship_method = ship_method.to_owned();
        self
    }

    /// Marks the shipment priority.
    pub fn priority(mut self, is_priority: bool) -> Self {
        self.is_priority = is_priority;
        self
    }

    /// Makes the order a gift, with this message on every item.
    pub fn gift(mut self, message: &str) -> Self {
        self.gift_message = Some(message.to_owned());
        self
    }

    /// The consumer's address, replacing the generated one.
    pub fn ship_to(mut self, address: df::Address) -> Self {
        self.ship_to = address;
        self
    }

    /// Adds a line.
    pub fn line(mut self, line: DfLine) -> Self {
        self.lines.push(line);
        self
    }

    /// The wire order.
    pub fn build(&self) -> df::Order {
        let money = |amount: &str| df::Money {
            currency_code: Some(self.currency.clone()),
            amount: Some(amount.to_owned()),
        };
        let party = |id: &str| df::PartyIdentification {
            party_id: Some(id.to_owned()),
            address: None,
            tax_info: None,
        };
        let items = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| df::OrderItem {
                item_sequence_number: Some(sequence(i, true)),
                buyer_product_identifier: line.asin.clone(),
                vendor_product_identifier: line.vendor_sku.clone(),
                title: line.title.clone(),
                ordered_quantity: Some(df::ItemQuantity {
                    amount: Some(line.quantity.into()),
                    unit_of_measure: Some(df::UnitOfMeasure::Each),
                }),
                gift_details: self.gift_message.as_ref().map(|m| df::GiftDetails {
                    gift_message: Some(m.clone()),
                    gift_wrap_id: None,
                }),
                net_price: Some(money(&line.net_price)),
                ..df::OrderItem::default()
            })
            .collect();
        df::Order {
            purchase_order_number: Some(self.number.clone()),
            order_details: Some(df::OrderDetails {
                customer_order_number: Some(self.customer_order_number.clone()),
                order_date: Some(format_instant(&self.created_at)),
                order_status: Some(self.status.clone()),
                shipment_details: Some(df::ShipmentDetails {
                    is_priority_shipment: Some(self.is_priority),
                    is_scheduled_delivery_shipment: Some(false),
                    is_pslip_required: Some(true),
                    is_gift: Some(self.gift_message.is_some()),
                    ship_method: Some(self.ship_method.clone()),
                    shipment_dates: Some(df::ShipmentDates {
                        required_ship_date: Some(format_instant(
                            &(self.created_at + TimeDelta::days(1)),
                        )),
                        promised_delivery_date: Some(format_instant(
                            &(self.created_at + TimeDelta::days(4)),
                        )),
                    }),
                    message_to_customer: Some("Thank you for your order.".to_owned()),
                }),
                tax_total: None,
                selling_party: Some(party(&self.vendor_code)),
                ship_from_party: Some(party(&self.ship_from)),
                ship_to_party: Some(self.ship_to.clone()),
                bill_to_party: Some(party("AMAZONUS")),
                has_customizable_items: None,
                items: Some(items),
            }),
        }
    }
}

impl fmt::Debug for DfOrderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DfOrderBuilder")
            .field("number", &self.number)
            .field("created_at", &self.created_at)
            .field("customer_order_number", &self.customer_order_number)
            .field("vendor_code", &self.vendor_code)
            .field("ship_from", &self.ship_from)
            .field("currency", &self.currency)
            .field("status", &self.status)
            .field("ship_method", &self.ship_method)
            .field("is_priority", &self.is_priority)
            .field("is_gift", &self.gift_message.is_some())
            .field("ship_to", &self.ship_to)
            .field("lines", &self.lines)
            .finish()
    }
}

/// A whole Direct Fulfillment order generated from its number: `lines` lines of
/// distinct products from [`PRODUCTS`], one to three eaches each, with the builder's
/// defaults otherwise.
///
/// # Example
/// ```
/// use avc_order_sync::testing::orders::df_order;
/// let order = df_order("2JK3S9VC", "2025-03-01T08:00:00Z".parse()?, 2);
/// let po = order.to_purchase_order()?;
/// assert_eq!(po.lines.len(), 2);
/// assert!(!format!("{order:?}").contains("Maple"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn df_order(number: &str, created_at: DateTime<Utc>, lines: usize) -> df::Order {
    let mut rng = SplitMix64::new(stable_hash(&["df", number]));
    let mut builder = DfOrderBuilder::new(number, created_at);
    for product in pick_products(&mut rng, lines) {
        builder = builder.line(DfLine::product(product, 1 + rng.below(3)));
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AmazonOrderState, QuantityUnit};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn generated_retail_orders_validate_and_are_deterministic() {
        for seed in 0..40 {
            let number = purchase_order_number(seed);
            let order = retail_order(&number, t("2025-03-01T08:00:00Z"), 1 + seed as usize % 5);
            assert_eq!(
                order,
                retail_order(&number, t("2025-03-01T08:00:00Z"), 1 + seed as usize % 5)
            );
            let po = order.to_purchase_order().unwrap();
            assert_eq!(po.number.as_str(), number);
            assert_eq!(po.state, AmazonOrderState::New);
            assert_eq!(po.selling_party.as_str(), DEFAULT_VENDOR_CODE);
            assert_eq!(po.lines.len(), 1 + seed as usize % 5);
            for line in &po.lines {
                let product = product_by_sku(line.vendor_sku.as_ref().unwrap().as_str()).unwrap();
                assert_eq!(line.net_cost.money.amount().to_string(), product.net_cost);
                if product.case_size > 1 {
                    assert_eq!(line.ordered.unit, QuantityUnit::Cases);
                    assert_eq!(line.ordered.unit_size, product.case_size);
                }
            }
        }
    }

    #[test]
    fn generated_df_orders_validate_and_hide_the_consumer() {
        for seed in 0..40 {
            let number = purchase_order_number(seed);
            let order = df_order(&number, t("2025-03-01T08:00:00Z"), 1 + seed as usize % 4);
            let po = order.to_purchase_order().unwrap();
            assert_eq!(po.lines.len(), 1 + seed as usize % 4);
            let debug = format!("{order:?}");
            for consumer in &CONSUMERS {
                assert!(!debug.contains(consumer.name));
                assert!(!debug.contains(consumer.line1));
            }
        }
        let builder =
            DfOrderBuilder::new("2JK3S9VC", t("2025-03-01T08:00:00Z")).gift("Happy birthday, Sam");
        let debug = format!("{builder:?}");
        assert!(!debug.contains("Sam"));
        assert!(CONSUMERS.iter().all(|c| !debug.contains(c.name)));
    }

    #[test]
    fn every_product_has_a_netsuite_item() {
        let items = netsuite_items();
        assert_eq!(items.len(), PRODUCTS.len());
        assert_eq!(
            product_by_sku("ACM-KTL-1001").map(|p| p.netsuite_item),
            Some("1101")
        );
        assert_eq!(product_by_sku("nope"), None);
    }

    #[test]
    fn purchase_order_numbers_do_not_repeat() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..5000 {
            assert!(seen.insert(purchase_order_number(seed)));
        }
    }

    #[test]
    fn zero_padded_sequences_and_windows_are_written_as_amazon_does() {
        let order = RetailOrderBuilder::new("TestPO2", t("2025-03-01T08:00:00Z"))
            .zero_padded_sequences()
            .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "10.2"))
            .build();
        let json = serde_json::to_value(&order).unwrap();
        let details = &json["orderDetails"];
        assert_eq!(details["items"][0]["itemSequenceNumber"], "00001");
        assert_eq!(details["items"][0]["netCost"]["amount"], "10.2");
        assert_eq!(
            details["shipWindow"],
            "2025-03-03T08:00:00Z--2025-03-09T08:00:00Z"
        );
        assert_eq!(details["purchaseOrderDate"], "2025-03-01T08:00:00Z");
    }
}
