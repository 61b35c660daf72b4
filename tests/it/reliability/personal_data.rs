//! A Direct Fulfillment ship-to is one of Amazon's customers: no `Debug` or `Display`
//! of any public type that can carry such an order shows the name, address lines or
//! phone. Distinctive values are planted and every rendering is searched for them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use avc_order_sync::amazon::direct_fulfillment as df;
use avc_order_sync::http::{
    DirectFulfillmentVersion, HttpRequest, HttpResponse, HttpTransport,
    SpApiDirectFulfillmentClient, TransportError,
};
use avc_order_sync::lifecycle::{EventKind, Notice, OrderRecord, StateKind};
use avc_order_sync::netsuite::{SalesOrderBody, SalesOrderRecord, ShippingAddress};
use avc_order_sync::testing::orders::{DfLine, DfOrderBuilder, PRODUCTS};
use avc_order_sync::testing::{
    ManualClock, NetSuite, NetSuiteOperation, ScriptedFailure, VendorCentral, World,
    catalogue_settings,
};
use avc_order_sync::{
    ClientError, ErrorKind, Event, OperatorAction, Program, PurchaseOrderNumber, SalesOrderStatus,
};
use avc_order_sync::{Clients, Engine, Observer};
use avc_order_sync::{MemoryStore, OrderKey, OrderStore};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

const NAME: &str = "Zebediah Quockerwodger";
const ATTENTION: &str = "Philomena Vexleyworth";
const LINE1: &str = "77 Xylophone Crescent";
const LINE2: &str = "Quillbrook Mansions Flat 9";
const LINE3: &str = "Brixhamwell Porter Lodge";
const CITY: &str = "Snorkelburgh";
const COUNTY: &str = "Wendlesbury County";
const DISTRICT: &str = "Thistlecombe District";
const STATE: &str = "Quelmshire";
const POSTAL_CODE: &str = "QZ98XJ4";
const PHONE: &str = "+1 555 0147 9923";
const GIFT_MESSAGE: &str = "Happy birthday Pemberton";
const MESSAGE_TO_CUSTOMER: &str = "Leave with Ottoline next door";

/// Every word of the planted values that could only come from them: a rendering that
/// shows part of a value is caught too.
fn secrets() -> Vec<&'static str> {
    [
        NAME,
        ATTENTION,
        LINE1,
        LINE2,
        LINE3,
        CITY,
        COUNTY,
        DISTRICT,
        STATE,
        POSTAL_CODE,
        GIFT_MESSAGE,
        MESSAGE_TO_CUSTOMER,
    ]
    .iter()
    .flat_map(|v| v.split(' '))
    .filter(|w| w.len() >= 5 && !["House", "Flat", "Porter", "Lodge"].contains(w))
    .chain(["0147 9923", "0147", "9923"])
    .collect()
}

/// Fails when `shown` holds any planted value.
#[track_caller]
fn assert_hidden(what: &str, shown: &str) {
    for secret in secrets() {
        assert!(!shown.contains(secret), "{what} shows `{secret}`:\n{shown}");
    }
}

/// `Debug`, plain and pretty, of a value.
#[track_caller]
fn assert_debug_hidden(what: &str, value: &impl std::fmt::Debug) {
    assert_hidden(what, &format!("{value:?}"));
    assert_hidden(what, &format!("{value:#?}"));
}

/// A check that a value really carries the planted data, so a test cannot pass by
/// planting nothing.
#[track_caller]
fn assert_carries(what: &str, json: &str) {
    assert!(
        json.contains(NAME) && json.contains(LINE1) && json.contains(PHONE),
        "{what} does not carry the planted address: {json}"
    );
}

fn planted_address() -> df::Address {
    df::Address {
        name: Some(NAME.into()),
        attention: Some(ATTENTION.into()),
        address_line1: Some(LINE1.into()),
        address_line2: Some(LINE2.into()),
        address_line3: Some(LINE3.into()),
        city: Some(CITY.into()),
        county: Some(COUNTY.into()),
        district: Some(DISTRICT.into()),
        state_or_region: Some(STATE.into()),
        postal_code: Some(POSTAL_CODE.into()),
        country_code: Some("US".into()),
        phone: Some(PHONE.into()),
    }
}

/// A Direct Fulfillment order for a mapped product, shipped to the planted consumer,
/// with a gift message and a message to the customer.
fn planted_order(number: &str, placed: DateTime<Utc>) -> df::Order {
    let mut order = DfOrderBuilder::new(number, placed)
        .ship_to(planted_address())
        .gift(GIFT_MESSAGE)
        .line(DfLine::product(&PRODUCTS[0], 2))
        .build();
    if let Some(shipment) = order
        .order_details
        .as_mut()
        .and_then(|d| d.shipment_details.as_mut())
    {
        shipment.message_to_customer = Some(MESSAGE_TO_CUSTOMER.into());
    }
    // Amazon's bill-to party may carry an address too.
    if let Some(details) = order.order_details.as_mut() {
        details.bill_to_party = Some(df::PartyIdentification {
            party_id: Some("AMAZONUS".into()),
            address: Some(planted_address()),
            tax_info: None,
        });
    }
    order
}

fn placed() -> DateTime<Utc> {
    "2026-11-27T06:00:00Z".parse().unwrap()
}

#[test]
fn wire_direct_fulfillment_types_hide_the_consumer() {
    let builder = DfOrderBuilder::new("PDATA001", placed())
        .ship_to(planted_address())
        .gift(GIFT_MESSAGE);
    assert_debug_hidden("testing::orders::DfOrderBuilder", &builder);
    let order = planted_order("PDATA001", placed());
    assert_carries("the wire order", &serde_json::to_string(&order).unwrap());
    assert_debug_hidden("df::Order", &order);
    let details = order.order_details.clone().unwrap();
    assert_debug_hidden("df::OrderDetails", &details);
    assert_debug_hidden("df::Address", &details.ship_to_party.clone().unwrap());
    assert_debug_hidden("df::PartyIdentification", &details.bill_to_party.clone());
    assert_debug_hidden("df::ShipmentDetails", &details.shipment_details.clone());
    assert_debug_hidden("df::OrderItem", &details.items.clone());
    let list = df::OrderList {
        pagination: None,
        orders: Some(vec![order.clone()]),
    };
    assert_debug_hidden("df::OrderList", &list);
    assert_debug_hidden(
        "df::v1::GetOrdersResponse",
        &df::v1::GetOrdersResponse {
            payload: Some(list),
            errors: None,
        },
    );
    assert_debug_hidden(
        "df::v1::GetOrderResponse",
        &df::v1::GetOrderResponse {
            payload: Some(order),
            errors: None,
        },
    );
}

#[test]
fn domain_types_and_what_the_lifecycle_makes_of_them_hide_the_consumer() {
    let settings = catalogue_settings(false, true);
    let now = placed() + TimeDelta::minutes(5);
    let po = planted_order("PDATA001", placed())
        .to_purchase_order()
        .unwrap();
    assert_carries("the purchase order", &serde_json::to_string(&po).unwrap());
    assert_debug_hidden("PurchaseOrder", &po);
    assert_debug_hidden("Party", &po.ship_to);
    assert_debug_hidden("Party (bill-to)", &po.bill_to);
    assert_debug_hidden(
        "Address",
        &po.ship_to.as_ref().and_then(|p| p.address.clone()),
    );
    assert_debug_hidden("ProgramDetails", &po.details);
    assert_debug_hidden(
        "Event::PurchaseOrderReceived",
        &Event::PurchaseOrderReceived {
            purchase_order: Box::new(po.clone()),
        },
    );

    let mapped =
        avc_order_sync::sales_order_draft(&po, &settings, SalesOrderStatus::PendingFulfillment)
            .unwrap();
    assert_debug_hidden("MappedOrder", &mapped);
    assert_debug_hidden("SalesOrderDraft", &mapped.draft);
    let body = SalesOrderBody::from_draft(&mapped.draft).unwrap();
    assert_carries(
        "the sales order body",
        &serde_json::to_string(&body).unwrap(),
    );
    assert_debug_hidden("netsuite::SalesOrderBody", &body);
    assert_debug_hidden("netsuite::ShippingAddress", &body.shipping_address);

    let ack = avc_order_sync::auto_acknowledgement(&po, &mapped, &settings, now).unwrap();
    assert_debug_hidden("Acknowledgement", &ack);

    let (record, commands) = OrderRecord::receive(po.clone(), now, &settings);
    assert_carries("the record", &serde_json::to_string(&record).unwrap());
    assert_debug_hidden("lifecycle::OrderRecord", &record);
    assert_debug_hidden("lifecycle::Command", &commands);
    assert_debug_hidden("lifecycle::OrderState", record.state());

    // Orders that cannot be used: the problems name fields, never their values.
    let mut broken = planted_order("PDATA002", placed());
    if let Some(d) = broken.order_details.as_mut() {
        d.order_date = Some("not a date".into());
        d.ship_from_party = None;
    }
    let error = broken.to_purchase_order().unwrap_err();
    assert_hidden("ValidationError (Display)", &error.to_string());
    assert_debug_hidden("ValidationError", &error);
    for problem in &error.problems {
        assert_hidden("Problem (Display)", &problem.to_string());
    }
}

#[test]
fn netsuite_records_read_back_hide_the_shipping_address() {
    let record: SalesOrderRecord = serde_json::from_value(json!({
        "id": "1001",
        "externalId": "AVC-DF-PDATA001",
        "status": "B",
        "shipAddress": format!("{NAME}\n{LINE1}\n{CITY} {STATE} {POSTAL_CODE}"),
        "shippingAddress": {
            "addressee": NAME,
            "attention": ATTENTION,
            "addr1": LINE1,
            "addr2": LINE2,
            "addr3": LINE3,
            "city": CITY,
            "state": STATE,
            "zip": POSTAL_CODE,
            "addrPhone": PHONE,
            "country": {"id": "US"}
        },
        "item": {"items": []}
    }))
    .unwrap();
    assert_carries("the record", &serde_json::to_string(&record).unwrap());
    assert_debug_hidden("netsuite::SalesOrderRecord", &record);
    let shipping: ShippingAddress =
        serde_json::from_value(record.other_fields["shippingAddress"].clone()).unwrap();
    assert_carries(
        "the shipping address",
        &serde_json::to_string(&shipping).unwrap(),
    );
    assert_debug_hidden("netsuite::ShippingAddress", &shipping);
    let snapshot = record
        .to_snapshot()
        .expect("a record NetSuite could answer");
    assert_debug_hidden("SalesOrderSnapshot", &snapshot);
}

/// An observer that keeps the `Debug` of everything it is shown.
#[derive(Default)]
struct Recorder(Mutex<String>);

impl Recorder {
    fn push(&self, text: String) {
        if let Ok(mut all) = self.0.lock() {
            all.push_str(&text);
            all.push('\n');
        }
    }
}

impl Observer for Recorder {
    fn transition(&self, key: &OrderKey, event: EventKind, from: StateKind, to: StateKind) {
        self.push(format!("{key} {key:?} {event:?} {from:?} {to:?}"));
    }

    fn call(&self, operation: &str, elapsed: Duration, outcome: Result<(), &ClientError>) {
        self.push(format!("{operation} {elapsed:?} {outcome:?}"));
        if let Err(e) = outcome {
            self.push(e.to_string());
        }
    }

    fn notice(&self, key: &OrderKey, notice: &Notice) {
        self.push(format!("{key} {notice:?}"));
        self.push(format!("{key} {} {notice}", notice.slug()));
        self.push(serde_json::to_string(notice).unwrap_or_default());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_engine_its_store_its_report_and_the_simulators_hide_the_consumer() {
    let start = placed() + TimeDelta::hours(1);
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    amazon.set_processing_time(Duration::from_secs(60));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(avc_order_sync::testing::orders::netsuite_items());
    amazon
        .add_df_order(planted_order("PDATA001", placed()))
        .unwrap();
    // A second order whose product nobody mapped: it needs attention, and its reason
    // shows in the report.
    let unmapped = DfOrderBuilder::new("PDATA002", placed())
        .ship_to(planted_address())
        .line(DfLine::new("B0NOTMAPPD", "NO-SUCH-SKU", 1, "9.99"))
        .build();
    amazon.add_df_order(unmapped).unwrap();

    let store = Arc::new(MemoryStore::new());
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        store.clone(),
        Arc::new(clock.clone()),
    )
    .with_observer(recorder.clone());

    let mut reports = Vec::new();
    for _ in 0..4 {
        reports.push(engine.run_cycle().await.unwrap());
        clock.advance(Duration::from_secs(300));
    }
    assert!(reports.iter().any(|r| r.new_orders == 2));
    for report in &reports {
        assert_debug_hidden("engine::CycleReport", report);
        assert_hidden("engine::CycleReport (Display)", &report.to_string());
    }
    let table = engine.status_table().await.unwrap();
    assert!(
        table.iter().any(|l| l.reason.is_some()),
        "the unmapped order should have a reason: {table:?}"
    );
    assert_debug_hidden("engine::ReportLine", &table);
    assert_debug_hidden("engine::Engine", &engine);

    // The sales order reached NetSuite with the consumer's address…
    let external = avc_order_sync::external_id(
        Program::DirectFulfillment,
        &PurchaseOrderNumber::new("PDATA001").unwrap(),
    );
    let body = netsuite
        .last_body(&external)
        .expect("the sales order was created");
    assert_carries(
        "the body NetSuite received",
        &serde_json::to_string(&body).unwrap(),
    );
    // …and none of the renderings shows it.
    assert_debug_hidden("netsuite::SalesOrderBody (received)", &body);
    assert_debug_hidden("testing::NetSuite", &*netsuite);
    assert_debug_hidden("testing::VendorCentral", &*amazon);
    assert_debug_hidden("SalesOrderSnapshot", &netsuite.snapshot(&external));
    assert_debug_hidden(
        "testing::ReceivedAcknowledgement",
        &amazon.acknowledgements(),
    );
    for (key, stored) in store.snapshot().unwrap() {
        assert_carries(
            "the stored record",
            &serde_json::to_string(&stored.record).unwrap(),
        );
        assert_debug_hidden("store::StoredOrder", &stored);
        assert_debug_hidden("store::OrderKey", &key);
        assert_debug_hidden(
            "store::StoredOrder (loaded)",
            &store.load(&key).await.unwrap(),
        );
    }
    assert_debug_hidden("store::MemoryStore", &*store);
    assert_hidden("the observer's view", &recorder.0.lock().unwrap());
}

/// One world of planted Direct Fulfillment orders, reviewed by hand, whose engine
/// reports to `recorder`; `setup` scripts it before cycles run for a day and a half.
async fn planted_world(recorder: &Arc<Recorder>, setup: impl FnOnce(&World)) {
    let start = placed() + TimeDelta::minutes(10);
    let mut world = World::starting_at(start, catalogue_settings(false, false));
    world.engine = world.another_engine().with_observer(recorder.clone());
    setup(&world);
    let end = start + TimeDelta::hours(36);
    while world.now() < end {
        world.run_cycle().await.unwrap();
        world.advance(Duration::from_secs(600));
    }
    assert_pages_hidden(&world).await;
}

/// The status table, every order's view in JSON, and the dashboard's pages of every
/// group and order show no consumer's data.
async fn assert_pages_hidden(world: &World) {
    let engine = &world.engine;
    let mut shown = String::new();
    let lines = engine.status_table().await.unwrap();
    assert!(!lines.is_empty(), "the world holds orders");
    avc_order_sync::write_table(&mut shown, &lines).unwrap();
    shown.push_str(&serde_json::to_string(&lines).unwrap());
    let dashboard = avc_order_sync::Dashboard::new("", "token");
    let counts = engine.group_counts().await.unwrap();
    for group in avc_order_sync::StatusGroup::ALL {
        let filter = avc_order_sync::OrderFilter::group(group);
        let page = engine
            .orders(&filter, &avc_order_sync::PageRequest::first(100))
            .await
            .unwrap();
        shown.push_str(&dashboard.list_page(&counts, &page));
        shown.push_str(&serde_json::to_string(&page).unwrap());
    }
    for line in &lines {
        let view = engine.order(&line.key).await.unwrap().expect("listed");
        shown.push_str(&dashboard.order_page(&view));
        shown.push_str(&serde_json::to_string(&view).unwrap());
        shown.push_str(&format!("{view:?}"));
    }
    assert_hidden("the reports and pages", &shown);
}

#[tokio::test(flavor = "current_thread")]
async fn every_notice_about_a_consumer_order_hides_the_consumer() {
    let recorder = Arc::new(Recorder::default());
    let key = |number: &str| OrderKey {
        program: Program::DirectFulfillment,
        number: PurchaseOrderNumber::new(number).unwrap(),
    };
    // Left waiting for approval past its limit and its deadline; one whose product
    // nobody mapped; one shipped to no country the sync knows; one that cannot be
    // read.
    planted_world(&recorder, |world| {
        world
            .amazon
            .add_df_order(planted_order("PDATA011", placed()))
            .unwrap();
        world
            .amazon
            .add_df_order(
                DfOrderBuilder::new("PDATA012", placed())
                    .ship_to(planted_address())
                    .line(DfLine::new("B0NOTMAPPD", "NO-SUCH-SKU", 1, "9.99"))
                    .build(),
            )
            .unwrap();
        // Its ship-to country is a planted word: the problem names the field only.
        let mut broken = planted_order("PDATA013", placed());
        if let Some(to) = broken
            .order_details
            .as_mut()
            .and_then(|d| d.ship_to_party.as_mut())
        {
            to.country_code = Some(CITY.into());
        }
        world.amazon.add_df_order(broken).unwrap();
        let unreadable = DfOrderBuilder::new("PDATA017", placed())
            .ship_to(planted_address())
            .line(DfLine::new(
                PRODUCTS[0].asin,
                PRODUCTS[0].vendor_sku,
                1,
                "twelve",
            ))
            .build();
        world.amazon.add_df_order(unreadable).unwrap();
    })
    .await;
    // NetSuite refuses the credentials, then fails every create.
    planted_world(&recorder, |world| {
        world
            .amazon
            .add_df_order(planted_order("PDATA015", placed()))
            .unwrap();
        world.netsuite.fail_next_with(
            NetSuiteOperation::UpsertSalesOrder,
            ScriptedFailure::of(ErrorKind::Unauthorized),
            1000,
        );
    })
    .await;
    planted_world(&recorder, |world| {
        world
            .amazon
            .add_df_order(planted_order("PDATA016", placed()))
            .unwrap();
        world
            .netsuite
            .fail_next(NetSuiteOperation::UpsertSalesOrder, 1000);
    })
    .await;

    let seen = recorder.0.lock().unwrap().clone();
    for (number, slug) in [
        ("PDATA011", "approval-overdue"),
        ("PDATA011", "deadline-approaching"),
        ("PDATA011", "deadline-missed"),
        ("PDATA012", "mapping-problem"),
        ("PDATA013", "mapping-problem"),
        ("PDATA017", "unreadable"),
        ("PDATA015", "credentials-refused"),
        ("PDATA016", "retries-exhausted"),
    ] {
        let line = format!("{} {slug} ", key(number));
        assert!(seen.contains(&line), "no `{slug}` for {number}:\n{seen}");
    }
    assert_hidden("the notices", &seen);
}

#[tokio::test(flavor = "current_thread")]
async fn a_hold_on_a_consumer_order_hides_the_consumer() {
    let start = placed() + TimeDelta::minutes(10);
    let recorder = Arc::new(Recorder::default());
    let mut world = World::starting_at(start, catalogue_settings(false, false));
    world.engine = world.another_engine().with_observer(recorder.clone());
    world
        .amazon
        .add_df_order(planted_order("PDATA021", placed()))
        .unwrap();
    world.run_cycle().await.unwrap();
    let key = OrderKey {
        program: Program::DirectFulfillment,
        number: PurchaseOrderNumber::new("PDATA021").unwrap(),
    };
    world
        .act(
            &key,
            OperatorAction::Hold {
                reason: "address to confirm with Amazon".into(),
            },
        )
        .await
        .unwrap();
    for _ in 0..10 {
        world.run_cycle().await.unwrap();
        world.advance(Duration::from_secs(3600));
    }
    let seen = recorder.0.lock().unwrap().clone();
    assert!(seen.contains(&format!("{key} held ")), "{seen}");
    assert_hidden("the notices", &seen);
}

#[test]
fn preview_lines_hide_the_consumer() {
    let order = planted_order("PDATA001", placed());
    let settings = serde_json::to_string(&catalogue_settings(false, true)).unwrap();
    for body in [
        json!({"orders": [order]}),
        json!({"payload": order}),
        json!({"payload": {"orders": [order]}}),
    ] {
        let preview =
            avc_order_sync::preview(&settings, &body.to_string(), placed() + TimeDelta::hours(1))
                .unwrap();
        let line = &preview.lines[0];
        assert!(line.is_clean(), "{:?}", line.problems);
        assert_carries(
            "the preview's JSON line",
            &serde_json::to_string(line).unwrap(),
        );
        assert_debug_hidden("avc_order_sync::PreviewLine", line);
        assert_debug_hidden("avc_order_sync::Preview", &preview);
        assert_debug_hidden("avc_order_sync::AcknowledgementBody", &line.acknowledgement);
    }

    // A consumer's value where the model has an object: the problem names the field
    // and leaves the value out.
    let mut order = serde_json::to_value(planted_order("PDATA002", placed())).unwrap();
    order["orderDetails"]["shipToParty"] = json!(format!("{NAME}, {LINE1}, {PHONE}"));
    let preview = avc_order_sync::preview(&settings, &order.to_string(), placed()).unwrap();
    assert!(!preview.lines[0].is_clean());
    assert_debug_hidden(
        "avc_order_sync::PreviewLine (unreadable)",
        &preview.lines[0],
    );
    assert_hidden(
        "avc_order_sync::PreviewLine (JSON)",
        &serde_json::to_string(&preview.lines[0]).unwrap(),
    );
}

/// Answers every Direct Fulfillment `getOrders` with one order whose ship-to party is
/// a line of text where Amazon's model has an object.
struct ConsumerAsText;

#[async_trait]
impl HttpTransport for ConsumerAsText {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = json!({"orders": [{
            "purchaseOrderNumber": "PDATA003",
            "orderDetails": {"shipToParty": format!("{NAME}, {LINE1}, {PHONE}")}
        }]});
        Ok(HttpResponse::new(200, body.to_string().into_bytes()))
    }
}

/// `http::sp_api`'s page reader sets an unreadable order aside with serde's message,
/// shortened to 40 bytes but still quoting the start of the value: here the ship-to
/// name. It reaches `client::MalformedOrder`, `engine::SetAside` and the cycle
/// report's `Display`.
#[tokio::test(flavor = "current_thread")]
async fn a_malformed_order_read_over_http_keeps_the_consumer_out_of_the_report() {
    let clock = ManualClock::new(placed() + TimeDelta::hours(1));
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let engine = Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: amazon,
            direct_fulfillment: Arc::new(SpApiDirectFulfillmentClient::new(
                ConsumerAsText,
                DirectFulfillmentVersion::V2021_12_28,
            )),
            netsuite: Arc::new(NetSuite::new(clock.clone())),
        },
        Arc::new(MemoryStore::new()),
        Arc::new(clock),
    );
    let report = engine.run_cycle().await.unwrap();
    assert!(!report.set_aside.is_empty(), "{report}");
    assert_debug_hidden("engine::CycleReport", &report);
    assert_hidden("engine::CycleReport (Display)", &report.to_string());
}

// ---------------------------------------------------------------------------------
// Credentials: the same promise for the secrets that reach Amazon and NetSuite.
// ---------------------------------------------------------------------------------

mod credentials {
    use std::sync::Arc;

    use async_trait::async_trait;
    use avc_order_sync::Clock;
    use avc_order_sync::auth::lwa::{self, LwaCredentials};
    use avc_order_sync::auth::netsuite_oauth2::{
        self, ClientAssertion, JwtAlgorithm, JwtSigner, OAuth2Credentials,
    };
    use avc_order_sync::auth::tba::{HmacFunction, NetSuiteAccount, NonceSource, TbaCredentials};
    use avc_order_sync::auth::{
        AccessToken, AuthError, CredentialedTransport, KeyedTokenCache, NetSuiteAuth, RawRequest,
        RawTransport, Secret, SpApiAuth, SpApiRegion, TokenCache, rdt,
    };
    use avc_order_sync::http::{
        HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError,
    };
    use avc_order_sync::testing::ManualClock;
    use std::sync::Mutex;

    const CLIENT_SECRET: &str = "amzn1.oa2-cs.v1.Plantedclientsecret0042";
    const REFRESH_TOKEN: &str = "Atzr|IwEBIPlantedrefreshtoken0042";
    const ACCESS_TOKEN: &str = "Atza|IwEBIPlantedaccesstoken0042";
    const RESTRICTED_TOKEN: &str = "Atz.sprdt|AYABePlantedrestricted0042";
    const CONSUMER_KEY: &str = "Plantedconsumerkey0042";
    const CONSUMER_SECRET: &str = "Plantedconsumersecret0042";
    const TOKEN_ID: &str = "Plantedtokenid0042";
    const TOKEN_SECRET: &str = "Plantedtokensecret0042";
    const CLIENT_ID: &str = "Plantedoauth2clientid0042";
    const BEARER: &str = "eyJPlantedbearertoken0042";

    const SECRETS: &[&str] = &[
        CLIENT_SECRET,
        REFRESH_TOKEN,
        ACCESS_TOKEN,
        RESTRICTED_TOKEN,
        CONSUMER_KEY,
        CONSUMER_SECRET,
        TOKEN_ID,
        TOKEN_SECRET,
        CLIENT_ID,
        BEARER,
        "Planted",
    ];

    #[track_caller]
    fn assert_no_secret(what: &str, shown: &str) {
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{what} shows `{secret}`:\n{shown}");
        }
    }

    #[track_caller]
    fn assert_debug_clean(what: &str, value: &impl std::fmt::Debug) {
        assert_no_secret(what, &format!("{value:?}"));
        assert_no_secret(what, &format!("{value:#?}"));
    }

    /// Answers like the services, with the planted tokens, and records what it sent.
    #[derive(Default)]
    struct Services {
        sent: Mutex<Vec<RawRequest>>,
    }

    #[async_trait]
    impl RawTransport for Services {
        async fn send(&self, request: RawRequest) -> Result<HttpResponse, TransportError> {
            let url = request.url.clone();
            self.sent.lock().unwrap().push(request);
            let body = if url.ends_with("/auth/o2/token") {
                format!(r#"{{"access_token":"{ACCESS_TOKEN}","expires_in":3600}}"#)
            } else if url.ends_with("/restrictedDataToken") {
                format!(r#"{{"restrictedDataToken":"{RESTRICTED_TOKEN}","expiresIn":3600}}"#)
            } else if url.ends_with("/oauth2/v1/token") {
                format!(r#"{{"access_token":"{BEARER}","expires_in":"3600"}}"#)
            } else {
                "{}".into()
            };
            Ok(HttpResponse::new(200, body.into_bytes()))
        }
    }

    struct Hmac;
    impl HmacFunction for Hmac {
        fn signature_method(&self) -> &str {
            "HMAC-SHA256"
        }
        fn sign(&self, key: &[u8], _message: &[u8]) -> Vec<u8> {
            key.to_vec()
        }
    }

    struct Nonce;
    impl NonceSource for Nonce {
        fn nonce(&self) -> String {
            "n0nce1".into()
        }
    }

    struct Signer;
    impl JwtSigner for Signer {
        fn algorithm(&self) -> JwtAlgorithm {
            JwtAlgorithm::Es256
        }
        fn sign(&self, _input: &[u8]) -> Result<Vec<u8>, AuthError> {
            Ok(vec![1; 64])
        }
    }

    fn lwa_credentials() -> LwaCredentials {
        LwaCredentials {
            client_id: "amzn1.application-oa2-client.visible".into(),
            client_secret: Secret::new(CLIENT_SECRET),
            refresh_token: Secret::new(REFRESH_TOKEN),
        }
    }

    fn tba_credentials() -> TbaCredentials {
        TbaCredentials {
            account: NetSuiteAccount::parse("1234567_SB1").unwrap(),
            consumer_key: Secret::new(CONSUMER_KEY),
            consumer_secret: Secret::new(CONSUMER_SECRET),
            token_id: Secret::new(TOKEN_ID),
            token_secret: Secret::new(TOKEN_SECRET),
        }
    }

    fn oauth2_credentials() -> OAuth2Credentials {
        OAuth2Credentials {
            account: NetSuiteAccount::parse("1234567").unwrap(),
            client_id: Secret::new(CLIENT_ID),
            certificate_id: "cert-visible".into(),
            scopes: Vec::new(),
        }
    }

    #[test]
    fn every_credential_type_hides_its_secrets() {
        let secret = Secret::new(REFRESH_TOKEN);
        assert_debug_clean("Secret", &secret);
        assert_no_secret("Secret's Display", &secret.to_string());
        assert_debug_clean("LwaCredentials", &lwa_credentials());
        assert_debug_clean("TbaCredentials", &tba_credentials());
        assert_debug_clean("OAuth2Credentials", &oauth2_credentials());
        let token = AccessToken {
            value: Secret::new(ACCESS_TOKEN),
            expires_at: "2026-11-27T09:00:00Z".parse().unwrap(),
        };
        assert_debug_clean("AccessToken", &token);
        let request = lwa::token_request(&lwa_credentials());
        // The request carries them (the check is not vacuous) and does not show them.
        let body = String::from_utf8(request.body.clone()).unwrap();
        assert!(
            body.contains("Plantedrefreshtoken0042") && body.contains("Plantedclientsecret0042")
        );
        assert_debug_clean("an lwa TokenRequest", &request);
        let resource = rdt::RestrictedResource {
            method: HttpMethod::Get,
            path: "/vendor/directFulfillment/orders/v1/purchaseOrders".into(),
        };
        assert_debug_clean(
            "an rdt TokenRequest",
            &rdt::token_request("https://h", &Secret::new(ACCESS_TOKEN), &[resource]),
        );
        let assertion = ClientAssertion::new(
            &oauth2_credentials(),
            JwtAlgorithm::Es256,
            "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token",
            "2026-11-27T08:00:00Z".parse().unwrap(),
            std::time::Duration::from_secs(300),
        )
        .sign(&Signer)
        .unwrap();
        assert_debug_clean("a signed client assertion", &assertion);
        assert_debug_clean(
            "a netsuite TokenRequest",
            &netsuite_oauth2::token_request("https://h/token", &assertion),
        );
        assert_debug_clean(
            "SpApiAuth",
            &SpApiAuth::new(SpApiRegion::Europe, lwa_credentials()),
        );
        assert_debug_clean(
            "NetSuiteAuth (tba)",
            &NetSuiteAuth::tba(tba_credentials(), Arc::new(Hmac), Arc::new(Nonce)),
        );
        assert_debug_clean(
            "NetSuiteAuth (oauth 2.0)",
            &NetSuiteAuth::oauth2(oauth2_credentials(), Arc::new(Signer)),
        );
        let refused = lwa::read_token_response(
            400,
            br#"{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"}"#,
            "2026-11-27T08:00:00Z".parse().unwrap(),
        )
        .unwrap_err();
        assert_debug_clean("AuthError", &refused);
        assert_no_secret("AuthError's Display", &refused.to_string());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn transports_their_caches_and_what_they_send_hide_the_secrets() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let services = Arc::new(Services::default());
        let amazon = CredentialedTransport::sp_api(
            services.clone(),
            SpApiAuth::new(SpApiRegion::NorthAmerica, lwa_credentials()),
            Arc::new(clock.clone()),
        );
        let tba = CredentialedTransport::netsuite(
            services.clone(),
            NetSuiteAuth::tba(tba_credentials(), Arc::new(Hmac), Arc::new(Nonce)),
            Arc::new(clock.clone()),
        );
        let oauth2 = CredentialedTransport::netsuite(
            services.clone(),
            NetSuiteAuth::oauth2(oauth2_credentials(), Arc::new(Signer)),
            Arc::new(clock.clone()),
        );
        amazon
            .send(HttpRequest::new(
                HttpMethod::Get,
                "/vendor/orders/v1/purchaseOrders",
            ))
            .await
            .unwrap();
        amazon
            .send(HttpRequest::new(
                HttpMethod::Get,
                "/vendor/directFulfillment/orders/v1/purchaseOrders/PO1",
            ))
            .await
            .unwrap();
        tba.send(HttpRequest::new(
            HttpMethod::Get,
            "/services/rest/record/v1/salesOrder/1",
        ))
        .await
        .unwrap();
        oauth2
            .send(HttpRequest::new(
                HttpMethod::Get,
                "/services/rest/record/v1/salesOrder/1",
            ))
            .await
            .unwrap();
        // Holding the tokens now, the transports still print none.
        assert_debug_clean("the sp-api transport", &amazon);
        assert_debug_clean("the netsuite tba transport", &tba);
        assert_debug_clean("the netsuite oauth 2.0 transport", &oauth2);
        let sent = services.sent.lock().unwrap().clone();
        let on_the_wire = format!("{:?}", sent.iter().map(|r| &r.headers).collect::<Vec<_>>());
        assert!(
            on_the_wire.contains(ACCESS_TOKEN)
                && on_the_wire.contains(RESTRICTED_TOKEN)
                && on_the_wire.contains(BEARER),
            "the tokens did go out: {on_the_wire}"
        );
        assert_debug_clean("the raw requests", &sent);
        let cache = TokenCache::default();
        cache
            .token(&clock, || async {
                Ok(AccessToken {
                    value: Secret::new(ACCESS_TOKEN),
                    expires_at: "2026-11-27T09:00:00Z".parse().unwrap(),
                })
            })
            .await
            .unwrap();
        assert_debug_clean("TokenCache", &cache);
        let keyed: KeyedTokenCache<String> =
            KeyedTokenCache::new(std::time::Duration::from_secs(60));
        keyed.entry(&"k".to_owned(), clock.now());
        assert_debug_clean("KeyedTokenCache", &keyed);
    }
}
