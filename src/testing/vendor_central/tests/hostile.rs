//! Hostile bodies: any JSON sent as an acknowledgement is refused without a panic.

use super::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        prop_oneof![
            Just("Accepted"),
            Just("REJECTED"),
            Just("Cases"),
            Just("Each"),
            Just("00"),
            Just("4Z32PABC"),
            Just("2JK3S9VC"),
            Just("ACMEV"),
            Just("1"),
            Just("00001"),
            Just("-1.5"),
            Just("1e400"),
            Just(""),
            Just("2025-03-10T12:00:00Z"),
        ]
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("acknowledgements".to_owned()),
                    Just("orderAcknowledgements".to_owned()),
                    Just("items".to_owned()),
                    Just("itemAcknowledgements".to_owned()),
                    Just("amount".to_owned()),
                    Just("unitOfMeasure".to_owned()),
                    ".{0,8}".prop_map(String::from),
                ],
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer into `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(mut body: Value, mutations: &[(usize, Value)]) -> Value {
    for (choice, replacement) in mutations {
        let mut all = Vec::new();
        pointers(&body, String::new(), &mut all);
        let pointer = &all[choice % all.len()];
        if pointer.is_empty() {
            body = replacement.clone();
        } else if let Some(slot) = body.pointer_mut(pointer) {
            *slot = replacement.clone();
        }
    }
    body
}

fn hostile_setup() -> (VendorCentral, Value, Value) {
    let (_, vc) = setup();
    let retail_order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50").back_order_allowed(true))
        .line(RetailLine::cases("B076SDSABC", "SKU-2", 2, 6, "4.00"))
        .build();
    let df_order = orders::df_order("2JK3S9VC", t("2025-03-09T00:00:00Z"), 2);
    vc.add_retail_order(retail_order.clone()).unwrap();
    vc.add_df_order(df_order.clone()).unwrap();
    let retail_body = serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[
        accept_all(&retail_order, t(NOW)),
    ]))
    .unwrap();
    let df_body =
        serde_json::to_value(df::SubmitAcknowledgementRequest::from_domain(&[accept_df(
            &df_order,
            df_status::ACCEPTED,
            t(NOW),
        )]))
        .unwrap();
    (vc, retail_body, df_body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any body, arbitrary or a valid one with parts replaced, is refused or decided
    /// without a panic, and a decided transaction is Processing, Success or Failure
    /// with messages.
    #[test]
    fn hostile_acknowledgement_bodies_never_panic(
        arbitrary in json_value(),
        mutations in proptest::collection::vec((any::<usize>(), json_value()), 0..4),
    ) {
        let (vc, retail_body, df_body) = hostile_setup();
        let now = t(NOW);
        let later = now + TimeDelta::hours(1);
        let mut state = lock(&vc.state);
        for (program, op, body) in [
            (Program::RetailProcurement, AmazonOperation::SubmitAcknowledgement, arbitrary.clone()),
            (Program::RetailProcurement, AmazonOperation::SubmitAcknowledgement, mutate(retail_body, &mutations)),
            (Program::DirectFulfillment, AmazonOperation::SubmitDfAcknowledgement, arbitrary),
            (Program::DirectFulfillment, AmazonOperation::SubmitDfAcknowledgement, mutate(df_body, &mutations)),
        ] {
            let shape = match program {
                Program::RetailProcurement => acknowledgements::retail_shape(&body),
                Program::DirectFulfillment => acknowledgements::df_shape(&body),
            };
            match shape {
                Ok(acks) => {
                    let _ = state.open_transaction(op, program, acks, now);
                }
                Err(messages) => prop_assert!(!messages.is_empty()),
            }
        }
        state.settle(later);
        for transaction in &state.transactions {
            if let TransactionOutcome::Failure(errors) = state.outcome(transaction) {
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
