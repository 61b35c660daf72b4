//! Sync Amazon Vendor Central purchase orders into NetSuite sales orders, and post the
//! order acknowledgements back to Amazon.
//!
//! The crate is a domain library: it models purchase orders from both Vendor Central
//! programs (Retail Procurement and Direct Fulfillment), NetSuite sales orders and
//! acknowledgements, with serde models of Amazon's SP-API and NetSuite's REST API
//! bodies. It performs no network I/O of its own.
//!
//! # Example
//! ```
//! use avc_order_sync::{Decimal, Money};
//! let cost = Money::new("346.27".parse()?, "USD".parse()?);
//! assert_eq!(cost.checked_mul_quantity(2)?.to_string(), "692.54 USD");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod acknowledgement;
pub mod amazon;
pub mod client;
pub mod decimal;
pub mod engine;
pub mod http;
pub mod ids;
pub mod lifecycle;
pub mod mapping;
pub mod money;
pub mod netsuite;
pub mod order;
pub mod preview;
pub mod sales_order;
pub mod settings;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use acknowledgement::{
    Acknowledgement, AcknowledgementCode, AcknowledgementVersion, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine,
};
pub use client::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, LineUpdate, MalformedOrder,
    NetSuiteApi, OrderQuery, Page, RetailOrdersApi, SalesOrderChange, SalesOrderUpdate,
    ServiceMessage, TransactionOutcome, WindowKind,
};
pub use decimal::{Decimal, DecimalError};
pub use ids::{
    Asin, ExternalId, IdError, InternalId, ItemSequenceNumber, PartyId, PurchaseOrderNumber,
    TransactionId, VendorSku,
};
pub use lifecycle::{
    AcknowledgementKey, Command, CommandFailure, Event, FailureKind, Notice, OrderRecord,
    OrderState, RetryPolicy, TransitionError,
};
pub use mapping::{MappedOrder, external_id};
pub use money::{CurrencyCode, Money, MoneyError};
pub use order::{
    Address, AmazonOrderState, DateWindow, DirectFulfillmentDetails, OrderLine, Party, Price,
    PriceBasis, Problem, ProblemKind, Program, ProgramDetails, PurchaseOrder, Quantity,
    QuantityUnit, RetailDetails, ValidationError, WeightUnit,
};
pub use sales_order::{
    CustomFields, NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderLineSnapshot,
    SalesOrderSnapshot, SalesOrderStatus,
};
pub use settings::{Settings, SettingsError};
