//! Reconciliation: once an acknowledgement is confirmed, what Amazon recorded of it is
//! read once more and handed to the order, which compares it with what was sent.

use super::*;
use crate::compliance::AmazonRecord;

impl Engine {
    /// Reads Amazon's record of the order's confirmed acknowledgement when the order
    /// asks for it ([`OrderRecord::reconciliation_due`]), and applies it. A read that
    /// fails is handed to the order as [`Event::AmazonRecordUnread`], which sets when
    /// it is asked again (later after each failure in a row).
    pub(super) async fn reconcile(&self, cycle: &Cycle, key: &OrderKey) -> Result<(), EngineError> {
        let Some(stored) = self.store.load(key).await? else {
            return Ok(());
        };
        let Some(version) = stored.record.reconciliation_due() else {
            return Ok(());
        };
        if stored
            .record
            .reconciliation_retry_at()
            .is_some_and(|at| at > self.clock.now())
        {
            return Ok(());
        }
        let unread = |e: &dyn std::fmt::Display| Event::AmazonRecordUnread {
            version,
            reason: e.to_string(),
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
                Err(e) => return self.apply(cycle, key, &unread(&e), None).await,
            },
            Program::DirectFulfillment => match self.fetch_order(cycle, key).await {
                Ok(Ok(po)) => AmazonRecord::Order { state: po.state },
                Ok(Err(e)) => AmazonRecord::Unreadable {
                    reason: e.to_string(),
                },
                Err(e) => return self.apply(cycle, key, &unread(&e), None).await,
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
