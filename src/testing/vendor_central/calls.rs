//! The calls: the trait implementations, and the bodies a test submits as given.

use super::*;

impl VendorCentral {
    // -----------------------------------------------------------------------------
    // Calls
    // -----------------------------------------------------------------------------

    /// Runs one call: counts it, applies the rate limit and scripted failures, sleeps
    /// the latency, then runs `effect` on the settled state.
    async fn call<T, F>(&self, op: AmazonOperation, effect: F) -> Result<T, ClientError>
    where
        T: Send,
        F: FnOnce(&mut State, DateTime<Utc>) -> Result<T, ClientError> + Send,
    {
        let (failure, latency) = {
            let mut state = lock(&self.state);
            let now = self.clock.now();
            state.script.count(op);
            state.settle(now);
            if let Some(Some(bucket)) = state.limits.get_mut(&op) {
                if bucket.try_take(now).is_err() {
                    *state.rate_limited.entry(op).or_default() += 1;
                    return Err(scripted(
                        op,
                        &ScriptedFailure::of(ErrorKind::RateLimited { retry_after: None }),
                    ));
                }
            }
            (state.script.take(op), state.config.latency)
        };
        if let Some(failure) = &failure {
            if failure.point == FailurePoint::BeforeEffect {
                return Err(scripted(op, failure));
            }
        }
        if !latency.is_zero() {
            self.clock.sleep(latency).await;
        }
        let result = {
            let mut state = lock(&self.state);
            let now = self.clock.now();
            state.settle(now);
            effect(&mut state, now)
        };
        match failure {
            Some(failure) => Err(scripted(op, &failure)),
            None => result,
        }
    }

    /// Submits a retail acknowledgement body as given, so a test can send what the
    /// crate's types cannot express (a misspelt enum, an extra field). It goes through
    /// the same counters, limits and checks as
    /// [`RetailOrdersApi::submit_acknowledgements`].
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] when the body's shape is not Amazon's model (unknown or
    /// missing fields, wrong JSON types, no acknowledgements) or it is too large;
    /// otherwise as the other calls (rate limit, scripted failures).
    pub async fn submit_retail_acknowledgement_body(
        &self,
        body: &Value,
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitAcknowledgement;
        self.call(op, |state, now| {
            let acks = acknowledgements::retail_shape(body).map_err(|m| rejected(op, m))?;
            state.open_transaction(op, Program::RetailProcurement, acks, now)
        })
        .await
    }

    /// Submits a Direct Fulfillment acknowledgement body as given; see
    /// [`VendorCentral::submit_retail_acknowledgement_body`].
    ///
    /// # Errors
    /// As [`VendorCentral::submit_retail_acknowledgement_body`].
    pub async fn submit_df_acknowledgement_body(
        &self,
        body: &Value,
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitDfAcknowledgement;
        self.call(op, |state, now| {
            let acks = acknowledgements::df_shape(body).map_err(|m| rejected(op, m))?;
            state.open_transaction(op, Program::DirectFulfillment, acks, now)
        })
        .await
    }

    async fn transaction(
        &self,
        op: AmazonOperation,
        program: Program,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.call(op, |state, _| {
            state
                .transaction(id)
                .filter(|t| t.program == program)
                .map(|t| state.outcome(t))
                .ok_or_else(|| not_found(op, id.as_str()))
        })
        .await
    }
}

fn body_of<T: serde::Serialize>(op: AmazonOperation, request: &T) -> Result<Value, ClientError> {
    serde_json::to_value(request).map_err(|e| {
        ClientError::new(ErrorKind::Rejected, op.name())
            .with_messages(vec![message(
                "InvalidInput",
                "The request body could not be read.",
                None,
            )])
            .with_source(e)
    })
}

#[async_trait]
impl RetailOrdersApi for VendorCentral {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        let op = AmazonOperation::GetPurchaseOrders;
        self.call(op, |state, now| state.list_retail(op, query, now))
            .await
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        let op = AmazonOperation::GetPurchaseOrder;
        self.call(op, |state, _| {
            state
                .retail
                .get(number.as_str())
                .map(|r| r.order.clone())
                .ok_or_else(|| not_found(op, number.as_str()))
        })
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitAcknowledgement;
        let body = body_of(
            op,
            &retail::SubmitAcknowledgementRequest::from_domain(acknowledgements),
        )?;
        self.submit_retail_acknowledgement_body(&body).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.transaction(
            AmazonOperation::GetTransaction,
            Program::RetailProcurement,
            id,
        )
        .await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        let op = AmazonOperation::GetPurchaseOrdersStatus;
        self.call(op, |state, _| {
            Ok(state
                .retail
                .get(number.as_str())
                .map(|r| r.status(number.as_str())))
        })
        .await
    }
}

#[async_trait]
impl DirectFulfillmentOrdersApi for VendorCentral {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        let op = AmazonOperation::GetOrders;
        self.call(op, |state, now| state.list_df(op, query, now))
            .await
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        let op = AmazonOperation::GetOrder;
        self.call(op, |state, _| {
            state
                .df
                .get(number.as_str())
                .map(|r| r.order.clone())
                .ok_or_else(|| not_found(op, number.as_str()))
        })
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitDfAcknowledgement;
        let body = body_of(
            op,
            &df::SubmitAcknowledgementRequest::from_domain(acknowledgements),
        )?;
        self.submit_df_acknowledgement_body(&body).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.transaction(
            AmazonOperation::GetTransactionStatus,
            Program::DirectFulfillment,
            id,
        )
        .await
    }
}
