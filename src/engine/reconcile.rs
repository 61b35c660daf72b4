//! Reconciliation: once an acknowledgement is confirmed, what Amazon recorded of it is
//! read once more and handed to the order, which compares it with what was sent.

use super::*;
use crate::compliance::AmazonRecord;

impl Engine {
    /// Reads Amazon's record of the order's confirmed acknowledgement when the order
    /// asks for it ([`OrderRecord::reconciliation_due`]), and applies it. A read that
    /// fails leaves it due: the order's wake-up asks again next cycle.
    pub(super) async fn reconcile(&self, cycle: &Cycle, key: &OrderKey) -> Result<(), EngineError> {
        let Some(stored) = self.store.load(key).await? else {
            return Ok(());
        };
        let Some(version) = stored.record.reconciliation_due() else {
            return Ok(());
        };
        let recorded = match key.program {
            Program::RetailProcurement => match self
                .call(
                    cycle,
                    "getPurchaseOrdersStatus",
                    true,
                    self.clients.retail.purchase_order_status(&key.number),
                )
                .await
            {
                Ok(status) => {
                    let po = stored.record.purchase_order();
                    match accepted_at_amazon(po, status.as_ref()) {
                        AmazonAcceptance::Lines { lines } => AmazonRecord::Lines { lines },
                        AmazonAcceptance::Whole => AmazonRecord::Unreadable {
                            reason: "Amazon's status report shows no lines".into(),
                        },
                        AmazonAcceptance::Unreadable { problems } => AmazonRecord::Unreadable {
                            reason: crate::text::Joined(&problems, "; ").to_string(),
                        },
                    }
                }
                Err(_) => return Ok(()),
            },
            Program::DirectFulfillment => match self.fetch_order(cycle, key).await {
                Ok(Ok(po)) => AmazonRecord::Order { state: po.state },
                Ok(Err(e)) => AmazonRecord::Unreadable {
                    reason: e.to_string(),
                },
                Err(_) => return Ok(()),
            },
        };
        self.apply(
            cycle,
            key,
            &Event::AmazonRecordRead { version, recorded },
            None,
        )
        .await
    }
}
