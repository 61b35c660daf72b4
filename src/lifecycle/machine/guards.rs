//! The guards every event passes first: is it for this order, and is it a replay of
//! an outcome already applied.

use super::Machine;
use super::compare::is_older;
use crate::lifecycle::error::{SalesOrderId, TransitionError};
use crate::lifecycle::event::{Event, EventKind};
use crate::lifecycle::state::OrderState;

impl Machine<'_> {
    pub(super) fn check_identity(&self, event: &Event) -> Result<(), TransitionError> {
        let kind = event.kind();
        match event {
            Event::PurchaseOrderReceived { purchase_order }
            | Event::PurchaseOrderChanged { purchase_order }
            | Event::PurchaseOrderFoundAcknowledged { purchase_order, .. } => {
                let own = &self.rec.purchase_order;
                if purchase_order.number != own.number || purchase_order.program != own.program {
                    return Err(TransitionError::WrongPurchaseOrder {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        found: purchase_order.number.clone(),
                        program: purchase_order.program,
                    });
                }
            }
            Event::SalesOrderRead { snapshot } => {
                if snapshot.external_id != self.rec.external_id {
                    return Err(TransitionError::WrongSalesOrder {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        expected: SalesOrderId::External(self.rec.external_id.clone()),
                        found: SalesOrderId::External(snapshot.external_id.clone()),
                    });
                }
                self.check_internal_id(kind, &snapshot.internal_id)?;
            }
            Event::SalesOrderCreated { internal_id } => {
                self.check_internal_id(kind, internal_id)?
            }
            Event::SalesOrderUpdated { revision }
                if *revision == 0 || *revision > self.rec.sales_order_revision =>
            {
                return Err(TransitionError::UnknownSalesOrderRevision {
                    purchase_order_number: self.po_number(),
                    found: *revision,
                    latest: self.rec.sales_order_revision,
                });
            }
            Event::AcknowledgementSubmitted { version, .. }
            | Event::AcknowledgementStillProcessing { version }
            | Event::AcknowledgementConfirmed { version }
            | Event::AcknowledgementNotJudged { version, .. }
            | Event::AcknowledgementFailed { version, .. } => {
                let latest = self.rec.acknowledgement_version;
                if latest.is_none_or(|l| *version > l) {
                    return Err(TransitionError::UnknownAcknowledgementVersion {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        found: version.0,
                        latest: latest.map(|v| v.0),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn check_internal_id(
        &self,
        kind: EventKind,
        found: &crate::ids::InternalId,
    ) -> Result<(), TransitionError> {
        match &self.rec.internal_id {
            Some(own) if own != found => Err(TransitionError::WrongSalesOrder {
                purchase_order_number: self.po_number(),
                event: kind,
                expected: SalesOrderId::Internal(own.clone()),
                found: SalesOrderId::Internal(found.clone()),
            }),
            _ => Ok(()),
        }
    }

    /// An outcome already applied, a copy of the purchase order older than the one
    /// held, or one about an acknowledgement version that is no longer in flight:
    /// applying it would change nothing or undo a newer change, so it is dropped.
    pub(super) fn is_replay(&self, event: &Event) -> bool {
        let state = self.rec.state.unheld();
        match event {
            Event::PurchaseOrderReceived { purchase_order }
            | Event::PurchaseOrderChanged { purchase_order } => {
                **purchase_order == self.rec.purchase_order
                    || is_older(purchase_order, &self.rec.purchase_order)
            }
            // Only an order that waits for a readable copy is taken in this way; the
            // same copy again is taken too, since what Amazon accepted may read now.
            Event::PurchaseOrderFoundAcknowledged { purchase_order, .. } => {
                !self.rec.awaits_readable_order()
                    || is_older(purchase_order, &self.rec.purchase_order)
            }
            // Amazon's cancellation of an order that has ended, or whose sales order is
            // being closed already, changes nothing: the close is not sent twice.
            Event::PurchaseOrderCancelled => {
                self.rec.state.is_terminal()
                    || matches!(&self.rec.state, OrderState::ExpectSalesOrderClosed { .. })
            }
            Event::SalesOrderCreated { internal_id } => {
                self.rec.internal_id.as_ref() == Some(internal_id)
                    && !matches!(state, OrderState::ExpectSalesOrderCreated { .. })
            }
            Event::SalesOrderUpdated { revision } => !matches!(
                state,
                OrderState::ExpectSalesOrderUpdated { revision: r, .. } if r == revision
            ),
            Event::SalesOrderClosed => self.rec.state.is_terminal(),
            Event::AcknowledgementSubmitted { version, .. } => match state {
                OrderState::ExpectAcknowledgementSubmitted { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::AcknowledgementStillProcessing { version } => match state {
                OrderState::ExpectAcknowledgementConfirmation { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                        || self
                            .rec
                            .attempt
                            .as_ref()
                            .is_some_and(|a| a.next_at.is_some())
                }
                OrderState::ExpectAcknowledgementSubmitted { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::AcknowledgementConfirmed { version }
            | Event::AcknowledgementNotJudged { version, .. }
            | Event::AcknowledgementFailed { version, .. } => match state {
                OrderState::ExpectAcknowledgementSubmitted { .. }
                | OrderState::ExpectAcknowledgementConfirmation { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::CommandFailed { .. } => self
                .rec
                .attempt
                .as_ref()
                .is_some_and(|a| a.next_at.is_some()),
            _ => false,
        }
    }
}
