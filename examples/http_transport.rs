//! An integrator's `HttpTransport` on a real HTTP client (`ureq`), and the library's
//! SP-API and NetSuite clients over it.
//!
//! ```sh
//! # Against a local SP-API and NetSuite on 127.0.0.1 (no credentials, no network):
//! cargo run --example http_transport -- --local
//!
//! # Against Amazon's SP-API sandbox: reads the static sandbox's PO 4Z32PABC.
//! SP_API_ENDPOINT=https://sandbox.sellingpartnerapi-na.amazon.com \
//! LWA_ACCESS_TOKEN=Atza|... cargo run --example http_transport
//! ```
//!
//! The library builds every request and reads every answer; the transport
//! (`http_transport/transport.rs`) only adds the host and the credentials and moves
//! the bytes. Credentials never pass through the library. `--local` serves the crate's
//! simulators over HTTP on 127.0.0.1 (`http_transport/local.rs`), holding each request
//! to what SP-API and NetSuite check: tokens, Amazon's models, NetSuite's fields.

use std::error::Error;

use avc_order_sync::http::{DirectFulfillmentVersion, SpApiRetailClient};
use avc_order_sync::{
    DirectFulfillmentOrdersApi, NetSuiteApi, OrderQuery, RetailOrdersApi, SalesOrderDraft,
    SalesOrderLineDraft, SalesOrderStatus, WindowKind,
};

/// The transport: what an integrator writes.
#[path = "http_transport/transport.rs"]
mod transport;

/// Amazon's models, which the local SP-API holds requests to.
#[allow(dead_code)]
#[path = "http_transport/sp_api_model.rs"]
mod sp_api_model;

/// The local SP-API and NetSuite, for `--local`: the crate's simulators over HTTP.
/// (The tests use more of it than `--local` does.)
#[allow(dead_code)]
#[path = "http_transport/local.rs"]
mod local;

use transport::{Credentials, IntegratorTransport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().any(|a| a == "--local") {
        return run_local().await;
    }
    let (Ok(endpoint), Ok(access_token)) = (
        std::env::var("SP_API_ENDPOINT"),
        std::env::var("LWA_ACCESS_TOKEN"),
    ) else {
        eprintln!(
            "usage: cargo run --example http_transport -- --local\n   \
             or: SP_API_ENDPOINT=https://sandbox.sellingpartnerapi-na.amazon.com \
             LWA_ACCESS_TOKEN=... cargo run --example http_transport"
        );
        std::process::exit(2);
    };
    let retail = SpApiRetailClient::new(IntegratorTransport::new(
        &endpoint,
        Credentials::SpApi {
            access_token,
            restricted_data_token: std::env::var("RESTRICTED_DATA_TOKEN").ok(),
        },
    ));
    // The static sandbox answers this PO number with a closed order.
    let order = retail.purchase_order(&"4Z32PABC".parse()?).await?;
    let po = order.to_purchase_order()?;
    println!(
        "{} is {:?} with {} lines",
        po.number,
        po.state,
        po.lines.len()
    );
    Ok(())
}

/// Runs the clients against the local services over this transport.
async fn run_local() -> Result<(), Box<dyn Error>> {
    let services = local::spawn_local_services();
    println!("local SP-API and NetSuite at {}", services.base_url());

    let retail = SpApiRetailClient::new(IntegratorTransport::new(
        services.base_url(),
        Credentials::SpApi {
            access_token: local::LWA_TOKEN.into(),
            restricted_data_token: Some(local::RDT_TOKEN.into()),
        },
    ));
    let mut query = OrderQuery {
        kind: WindowKind::Created,
        after: "2025-02-27T00:00:00Z".parse()?,
        before: "2025-03-01T00:00:00Z".parse()?,
        limit: 1,
        next_token: None,
    };
    let mut orders = Vec::new();
    for _ in 0..10 {
        let page = retail.purchase_orders(&query).await?;
        orders.extend(page.orders);
        match page.next_token {
            Some(token) => query.next_token = Some(token),
            None => break,
        }
    }
    for order in &orders {
        let po = order.to_purchase_order()?;
        println!("read PO {} ({} lines)", po.number, po.lines.len());
    }

    // Direct Fulfillment order reads carry a consumer's address: the transport sends
    // the Restricted Data Token for them.
    let direct_fulfillment =
        services.direct_fulfillment_client(DirectFulfillmentVersion::V2021_12_28);
    let page = direct_fulfillment
        .orders(&OrderQuery {
            next_token: None,
            limit: 10,
            ..query.clone()
        })
        .await?;
    for order in &page.orders {
        let po = order.to_purchase_order()?;
        println!(
            "read Direct Fulfillment PO {} ({} lines)",
            po.number,
            po.lines.len()
        );
    }

    let netsuite = services.netsuite_client();
    let item: avc_order_sync::InternalId = "98".parse()?;
    for order in &orders {
        let po = order.to_purchase_order()?;
        let draft = SalesOrderDraft {
            external_id: format!("AVC-RP-{}", po.number).parse()?,
            customer: "1234".parse()?,
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: po.ordered_at.date_naive(),
            ship_date: None,
            other_ref_num: po.number.clone(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines: po
                .lines
                .iter()
                .map(|line| SalesOrderLineDraft {
                    item: item.clone(),
                    quantity: line.ordered.amount * line.ordered.unit_size,
                    rate: line.net_cost.money.amount(),
                    sequence: line.sequence.clone(),
                    description: None,
                    is_closed: false,
                    custom_fields: Default::default(),
                })
                .collect(),
            custom_fields: Default::default(),
        };
        let id = netsuite.upsert_sales_order(&draft).await?;
        println!("sales order {} for PO {}", id, po.number);
    }
    let changed = netsuite
        .changed_sales_orders("2025-03-01T00:00:00Z".parse()?)
        .await?;
    println!("{} sales orders changed since the start", changed.len());
    Ok(())
}
