//! Sync Amazon Vendor Central purchase orders into NetSuite sales orders, and post the
//! order acknowledgements back to Amazon.
//!
//! The crate covers both Vendor Central programs, Retail Procurement (SP-API Vendor
//! Orders) and Direct Fulfillment (SP-API Vendor Direct Fulfillment Orders). Its core is
//! pure: the wire types, the mapping from a purchase order to a sales order, the
//! acknowledgement and the order's lifecycle are functions of their inputs and the time.
//! The [`Engine`] is a thin async shell that runs a sync cycle over the integrator's
//! clients and store. It performs no network I/O of its own.
//!
//! # What an integrator implements
//!
//! Three client traits, [`RetailOrdersApi`], [`DirectFulfillmentOrdersApi`] and
//! [`NetSuiteApi`], usually by giving the crate's HTTP clients ([`http`]) a raw
//! [`http::HttpTransport`], which [`auth::CredentialedTransport`] makes of a raw HTTP
//! client, the secrets and a crypto function; an [`OrderStore`] over the
//! integrator's database ([`MemoryStore`] is the in-process one, and the SQLite example
//! is the model for others); and a [`Clock`]. Everything else, the mapping, validation,
//! the lifecycle, retries, idempotency and the report, is the crate's. The in-memory
//! simulators in [`testing`] stand in for Amazon and NetSuite in tests.
//!
//! # Example
//!
//! Two cycles over the simulators. A Direct Fulfillment order, on auto acknowledgement,
//! is acknowledged to Amazon in the first; once Amazon has confirmed the
//! acknowledgement, the second creates its sales order in NetSuite, Pending Fulfillment.
//!
//! ```
//! use std::sync::Arc;
//! use avc_order_sync::testing::{self, ManualClock, NetSuite, VendorCentral, orders};
//! use avc_order_sync::{Clients, Engine, MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::new("2026-11-27T08:00:00Z".parse()?);
//! let amazon = Arc::new(VendorCentral::new(clock.clone()));
//! let netsuite = Arc::new(NetSuite::new(clock.clone()));
//! netsuite.set_item_catalogue(orders::netsuite_items());
//! amazon.add_df_order(orders::df_order("DF000001", "2026-11-27T07:00:00Z".parse()?, 2))?;
//!
//! let engine = Engine::new(
//!     testing::catalogue_settings(false, true),
//!     Clients {
//!         retail: amazon.clone(),
//!         direct_fulfillment: amazon.clone(),
//!         netsuite: netsuite.clone(),
//!     },
//!     Arc::new(MemoryStore::new()),
//!     Arc::new(clock.clone()),
//! );
//! let report = engine.run_cycle().await?;
//! assert_eq!(report.new_orders, 1);
//! assert_eq!(amazon.acknowledgement_count("DF000001"), 1);
//!
//! clock.advance(std::time::Duration::from_secs(300));
//! engine.run_cycle().await?;
//! assert_eq!(netsuite.record_count(), 1);
//! assert_eq!(amazon.acknowledgement_count("DF000001"), 1);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![deny(
    missing_debug_implementations,
    unreachable_pub,
    clippy::missing_errors_doc
)]

mod acknowledgement;
pub mod amazon;
pub mod audit;
pub mod auth;
mod client;
pub mod compliance;
mod decimal;
mod engine;
pub mod http;
mod ids;
pub mod lifecycle;
mod mapping;
mod money;
pub mod netsuite;
mod order;
mod preview;
mod sales_order;
pub mod settings;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
mod time;
mod view;

// The engine: what an integrator constructs and runs.
pub use engine::{
    Clients, CycleReport, DeepSweep, Engine, EngineConfig, EngineError, ListingPlace, NoObserver,
    Observer, OperatorAction, ReportLine, SetAside, SkippedSpan, order_key_of, write_table,
};

// The store: where the orders' records live between cycles.
pub use store::{
    Cursor, InFlight, MemoryStore, OrderKey, OrderStore, RateBudget, StoreError, StoredOrder,
};

// The operator's view: status groups, filtered pages, one order's view.
pub use view::{
    AcknowledgementAnswer, AcknowledgementLineView, AcknowledgementView, ActionKind, Dashboard,
    DashboardRequest, FoundLateView, HistoryView, IndexEntry, IndexPage, MAX_PAGE_SIZE,
    OrderFilter, OrderPage, OrderSummary, OrderView, PageRequest, PageToken, StatusGroup,
    TimeField, VIEW_SCHEMA_VERSION, escape_html, group_counts, page_of,
};

// The audit trail: one order's evidence for a chargeback dispute, as JSON and CSV.
pub use audit::{AUDIT_CSV_HEADER, AUDIT_SCHEMA, AuditTrail, write_csv_header};
pub use engine::AuditExportError;

// Settings: the integrator's choices, read once at start-up.
pub use settings::{Settings, SettingsError};

// The client traits an integrator implements (or fills with the HTTP clients), and what
// they exchange.
pub use client::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, MalformedOrder, NetSuiteApi,
    OrderQuery, Page, RetailOrdersApi, SalesOrderChange, ServiceMessage, TransactionOutcome,
    WindowKind,
};

// The lifecycle: an order's state, its record and the machine's inputs and outputs.
pub use lifecycle::{
    AcknowledgementKey, Command, CommandFailure, Event, FailureKind, Notice, OrderRecord,
    OrderState, RetryPolicy, StateKind, TransitionError,
};

// The domain: purchase orders, sales orders, acknowledgements, ids and money.
pub use acknowledgement::{
    Acknowledgement, AcknowledgementCode, AcknowledgementVersion, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine, df_status,
};
pub use decimal::{Decimal, DecimalError, MAX_SCALE, json_number};
pub use ids::{
    Asin, ExternalId, IdError, InternalId, ItemSequenceNumber, MAX_ID_LEN, PartyId,
    PurchaseOrderNumber, TransactionId, VendorSku,
};
pub use mapping::{
    MappedOrder, acknowledgement_from_sales_order, auto_acknowledgement, check_acknowledgement,
    external_id, rejects_everything, sales_order_draft,
};
pub use money::{CurrencyCode, Money, MoneyError};
pub use order::{
    Address, AmazonOrderState, DateError, DateWindow, DirectFulfillmentDetails, OrderLine, Party,
    Price, PriceBasis, Problem, ProblemKind, Program, ProgramDetails, PurchaseOrder, Quantity,
    QuantityUnit, RetailDetails, ValidationError, WeightUnit, format_instant, parse_instant,
};

// Previews: what the sync would make of an order, without running it.
pub use preview::{
    AcknowledgementBody, BodyShape, Preview, PreviewError, PreviewLine, preview, preview_order,
    preview_with,
};
pub use sales_order::{
    CustomFields, LINE_SEQUENCE_FIELD, LineChange, LineFields, NetSuiteStatus, SalesOrderChanges,
    SalesOrderDraft, SalesOrderLineDraft, SalesOrderLineSnapshot, SalesOrderSnapshot,
    SalesOrderStatus,
};
