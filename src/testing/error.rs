//! What a test-side request to a simulator can get wrong.

/// A test asked a simulator for something that makes no sense: seeding an order twice,
/// changing an order that was never seeded, reviewing a sales order that does not
/// exist. Calls through the client traits never return this: they answer as the
/// service would, with a [`ClientError`](crate::ClientError).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// A seeded order has no `purchaseOrderNumber`. Give it one.
    #[error("the order has no `purchaseOrderNumber`")]
    MissingNumber,
    /// An order with this number is already seeded. Change it with the simulator's
    /// mutation methods instead.
    #[error("order {number} is already seeded")]
    DuplicateOrder {
        /// The PO number.
        number: String,
    },
    /// A seeded order has no readable creation date, so no window could ever select
    /// it. Seed it with an explicit listing date.
    #[error("order {number} has no readable `{field}`: seed it with an explicit listing date")]
    NoOrderDate {
        /// The PO number.
        number: String,
        /// The date field that is missing or unreadable.
        field: &'static str,
    },
    /// No order with this number is seeded.
    #[error("no order {number} is seeded")]
    UnknownOrder {
        /// The PO number.
        number: String,
    },
    /// The order has no line with this `itemSequenceNumber`.
    #[error("order {number} has no line {sequence}")]
    UnknownLine {
        /// The PO number.
        number: String,
        /// The line asked for.
        sequence: String,
    },
    /// No sales order has this external id.
    #[error("no sales order has external id {external_id}")]
    UnknownSalesOrder {
        /// The external id.
        external_id: String,
    },
    /// The sales order has no line carrying this PO line.
    #[error("sales order {external_id} has no line for PO line {sequence}")]
    UnknownSalesOrderLine {
        /// The external id.
        external_id: String,
        /// The PO line asked for.
        sequence: String,
    },
    /// The order is in a state that does not allow the change (approving a cancelled
    /// sales order, changing a closed PO).
    #[error("{what} {id} is {state} and cannot be {action}")]
    InvalidState {
        /// `order` or `sales order`.
        what: &'static str,
        /// The PO number or external id.
        id: String,
        /// Its state.
        state: String,
        /// What was asked (`approved`, `changed`).
        action: &'static str,
    },
    /// A value given to a mutation is not usable (a net cost that is not a decimal).
    #[error("`{field}` is invalid: {reason}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}
