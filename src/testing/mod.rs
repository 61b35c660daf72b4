//! In-memory Vendor Central and NetSuite simulators, and a manual clock, for tests of
//! an integration's wiring. Enabled by the `testing` feature.
//!
//! The simulators behave like the services as Amazon's and NetSuite's documentation
//! describe them, not like stubs: [`VendorCentral`] pages with opaque tokens, refuses
//! windows over 7 days, checks acknowledgements the way Amazon does (the POST is taken,
//! the transaction fails with errors), keeps retail acknowledgement transactions
//! `Processing` for good while the purchase order turns `Acknowledged`, and refuses
//! calls over its rate limit. [`NetSuite`] keeps one record per external id, refuses the
//! bodies NetSuite refuses, has a reviewer who approves, lowers quantities and closes
//! lines, and refuses calls over the account's concurrency limit.
//!
//! Both share a [`Clock`](crate::Clock), usually a [`ManualClock`]: transactions,
//! rate limits and modification times follow it, and per-call latency sleeps on it.
//! Both count calls per operation and take scripted failures
//! ([`ScriptedFailure`]), either before the call has any effect or after (the effect
//! happened, the answer was lost).
//!
//! Nothing here panics on what a caller passes: a call the service would refuse is a
//! [`ClientError`](crate::ClientError), and a test-side request that makes no sense
//! (changing an order that was never seeded) is a [`SimulatorError`].
//!
//! For tests that drive an order's lifecycle by hand, without the simulators,
//! [`fixtures`] holds two purchase orders in the domain types, the settings that map
//! them, and the sales order NetSuite reads back for a created draft.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use avc_order_sync::testing::{orders, ManualClock, NetSuite, VendorCentral};
//! use avc_order_sync::{OrderQuery, RetailOrdersApi, WindowKind};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::new("2025-03-03T12:00:00Z".parse()?);
//! let amazon = Arc::new(VendorCentral::new(clock.clone()));
//! let netsuite = Arc::new(NetSuite::new(clock.clone()));
//! netsuite.set_item_catalogue(orders::netsuite_items());
//! amazon.add_retail_order(orders::retail_order("4Z32PABC", "2025-03-01T08:00:00Z".parse()?, 2))?;
//!
//! // The code under test holds them as `Arc<dyn RetailOrdersApi>`, `Arc<dyn NetSuiteApi>`.
//! let api: Arc<dyn RetailOrdersApi> = amazon.clone();
//! let page = api
//!     .purchase_orders(&OrderQuery {
//!         kind: WindowKind::Created,
//!         after: "2025-02-27T00:00:00Z".parse()?,
//!         before: "2025-03-03T00:00:00Z".parse()?,
//!         limit: 50,
//!         next_token: None,
//!     })
//!     .await?;
//! assert_eq!(page.orders.len(), 1);
//! assert_eq!(page.next_token, None);
//!
//! // Time moves only when the test says so: transactions are decided a minute after
//! // their POST, unless told otherwise.
//! clock.advance(Duration::from_secs(60));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(example())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clock;
mod error;
pub mod fixtures;
pub mod intercept;
pub mod json;
mod netsuite;
pub mod orders;
mod rate_limit;
mod rng;
mod script;
pub mod store_contract;
mod vendor_central;
mod world;

pub use clock::ManualClock;
pub use error::SimulatorError;
pub use intercept::{
    Before, Hook, InterceptedDirectFulfillment, InterceptedNetSuite, InterceptedRetail,
    InterceptedStore, YieldNow,
};
pub use netsuite::{NetSuite, NetSuiteOperation};
pub use rate_limit::RateLimit;
pub use rng::SplitMix64;
pub use script::{FailurePoint, ScriptedFailure};
pub use vendor_central::{
    AcknowledgedLine, AmazonOperation, ReceivedAcknowledgement, VendorCentral,
};
pub use world::World;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a simulator's state. A panic in another test thread while it held the lock
/// leaves the state as it was; the simulators never leave it half-changed, so the
/// poison is ignored rather than turned into a second panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Settings that map every product in [`orders::PRODUCTS`] to its NetSuite item, with
/// a customer for each program and US dollars mapped: what the generated orders need
/// to sync. Auto acknowledgement is as given.
pub fn catalogue_settings(
    auto_retail: bool,
    auto_direct_fulfillment: bool,
) -> crate::settings::Settings {
    use crate::settings::{ItemTarget, Settings};
    let mut settings = Settings::default();
    settings.auto_acknowledge.retail_procurement = auto_retail;
    settings.auto_acknowledge.direct_fulfillment = auto_direct_fulfillment;
    let id = |s: &str| crate::InternalId::new(s).ok();
    settings.customers.retail_procurement.customer = id("1234");
    settings.customers.direct_fulfillment.customer = id("1250");
    if let (Ok(usd), Some(one)) = ("USD".parse(), id("1")) {
        settings.currencies.insert(usd, one);
    }
    for product in &orders::PRODUCTS {
        if let (Ok(sku), Some(item)) = (
            crate::VendorSku::new(product.vendor_sku),
            id(product.netsuite_item),
        ) {
            settings.items.by_vendor_sku.insert(
                sku,
                ItemTarget {
                    item,
                    weight_per_each: Default::default(),
                },
            );
        }
    }
    settings
}
