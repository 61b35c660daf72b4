//! Notices are raised once per cause: the cases where a repeated event, timer or
//! retry finds the same cause, and those where a new cause raises the notice again.

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};

    use crate::acknowledgement::AcknowledgementVersion;
    use crate::client::ServiceMessage;
    use crate::ids::{InternalId, PurchaseOrderNumber, TransactionId, VendorSku};
    use crate::lifecycle::{
        AmazonAcceptance, Command, CommandFailure, Event, FailureKind, Notice, OrderRecord,
        RetryPolicy, Service, StateKind, UnreadableOrder,
    };
    use crate::order::{Problem, ProblemKind, Program};
    use crate::sales_order::NetSuiteStatus;
    use crate::settings::Settings;
    use crate::testing::fixtures::{retail_po, sales_order_snapshot, settings, t};

    /// An order, the notices of its last step, and the settings it runs with.
    struct Order {
        record: OrderRecord,
        notices: Vec<Notice>,
        commands: Vec<Command>,
        settings: Settings,
    }

    fn notices_of(commands: &[Command]) -> Vec<Notice> {
        commands
            .iter()
            .filter_map(|c| match c {
                Command::Notify { notice, .. } => Some(notice.clone()),
                _ => None,
            })
            .collect()
    }

    impl Order {
        fn receive(settings: Settings) -> Order {
            let (record, commands) = OrderRecord::receive(retail_po(), t(0), &settings);
            Order {
                record,
                notices: notices_of(&commands),
                commands,
                settings,
            }
        }

        #[track_caller]
        fn then(&mut self, event: Event, now: DateTime<Utc>) -> &[Notice] {
            let (record, commands) = self
                .record
                .handle(&event, now, &self.settings)
                .unwrap_or_else(|e| panic!("{e}"));
            self.record = record;
            self.notices = notices_of(&commands);
            self.commands = commands;
            &self.notices
        }

        fn state(&self) -> StateKind {
            self.record.state().kind()
        }

        /// The key of the command the order waits for.
        fn pending(&self) -> crate::lifecycle::CommandKey {
            self.record
                .pending_command()
                .map(|c| c.key())
                .unwrap_or_else(|| panic!("no pending command in {:?}", self.state()))
        }
    }

    fn failed(key: crate::lifecycle::CommandKey, kind: FailureKind) -> Event {
        Event::CommandFailed {
            command_key: key,
            failure: CommandFailure {
                kind,
                exhausted: false,
            },
        }
    }

    /// A manual order whose sales order NetSuite created at `t(1)`: it waits for
    /// approval from then.
    fn awaiting_approval() -> Order {
        let mut order = Order::receive(settings());
        order.then(
            Event::SalesOrderCreated {
                internal_id: InternalId::new("5001").unwrap(),
            },
            t(1),
        );
        assert_eq!(order.state(), StateKind::ExpectApproval);
        order
    }

    #[test]
    fn an_order_waiting_too_long_for_approval_raises_one_notice_per_wait() {
        let mut order = awaiting_approval();
        assert_eq!(order.record.waiting_for_approval_since(), Some(t(1)));
        // Twelve hours (the default) after the wait began, before the deadline warning.
        let due = t(1) + TimeDelta::minutes(720);
        assert_eq!(order.record.next_wakeup(&order.settings), Some(due));

        let before = due - TimeDelta::minutes(1);
        assert!(order.then(Event::TimerElapsed, before).is_empty());
        let expected = Notice::ApprovalOverdue {
            waiting_since: t(1),
            limit_minutes: 720,
        };
        assert_eq!(order.then(Event::TimerElapsed, due), [expected]);
        assert_eq!(order.record.raised_notices().approval_overdue, Some(t(1)));

        // The next cycles find the same wait: nothing more, and the wake-up moves on
        // to the deadline warning.
        assert!(order.then(Event::TimerElapsed, t(14)).is_empty());
        let snapshot = sales_order_snapshot(
            order.record.sales_order().unwrap(),
            NetSuiteStatus::PendingApproval,
        );
        order.then(
            Event::SalesOrderRead {
                snapshot: Box::new(snapshot),
            },
            t(15),
        );
        assert_eq!(order.state(), StateKind::ExpectApproval);
        assert!(order.then(Event::TimerElapsed, t(15)).is_empty());
        let warning = order.record.acknowledgement_deadline() - order.settings.deadline_warning();
        assert_eq!(order.record.next_wakeup(&order.settings), Some(warning));

        // Held, the order is a person's: no notice however long it waits.
        order.then(
            Event::HoldRequested {
                reason: "checking stock".into(),
            },
            t(16),
        );
        order.then(Event::ReleaseRequested, t(17));
        assert_eq!(order.record.waiting_for_approval_since(), Some(t(17)));
        // A new wait began at the release: a new cause.
        let due = t(17) + TimeDelta::minutes(720);
        let raised = order.then(Event::TimerElapsed, due).to_vec();
        assert!(
            raised.contains(&Notice::ApprovalOverdue {
                waiting_since: t(17),
                limit_minutes: 720,
            }),
            "{raised:?}"
        );
        assert!(order.then(Event::TimerElapsed, due).is_empty());
    }

    #[test]
    fn the_approval_limit_is_a_setting() {
        let mut s = settings();
        s.policies.approval_overdue_minutes = 60;
        let mut order = Order::receive(s);
        order.then(
            Event::SalesOrderCreated {
                internal_id: InternalId::new("5001").unwrap(),
            },
            t(1),
        );
        assert_eq!(order.record.next_wakeup(&order.settings), Some(t(2)));
        assert_eq!(
            order.then(Event::TimerElapsed, t(2)),
            [Notice::ApprovalOverdue {
                waiting_since: t(1),
                limit_minutes: 60,
            }]
        );
    }

    #[test]
    fn a_held_order_raises_the_hold_once_and_no_approval_notice() {
        let mut order = awaiting_approval();
        assert_eq!(
            order.then(
                Event::HoldRequested {
                    reason: "customer called".into(),
                },
                t(2),
            ),
            [Notice::Held {
                reason: "customer called".into(),
            }]
        );
        // A second hold is not a transition the held order takes.
        assert!(
            order
                .record
                .handle(
                    &Event::HoldRequested {
                        reason: "again".into()
                    },
                    t(3),
                    &order.settings
                )
                .is_err()
        );
        // Past the approval limit and before the deadline warning: nothing.
        assert!(order.then(Event::TimerElapsed, t(14)).is_empty());
    }

    #[test]
    fn a_mapping_problem_is_raised_again_only_for_new_problems() {
        let mut s = settings();
        s.items
            .by_vendor_sku
            .remove(&VendorSku::new("SKU-1").unwrap());
        let mut order = Order::receive(s);
        assert_eq!(order.state(), StateKind::ExpectFix);
        let [Notice::MappingProblem { summary }] = order.notices.as_slice() else {
            panic!("{:?}", order.notices)
        };
        assert!(summary.contains("SKU-1"), "{summary}");

        // A retry that finds the same problem is not a new cause.
        assert!(order.then(Event::RetryRequested, t(1)).is_empty());
        assert_eq!(order.state(), StateKind::ExpectFix);

        // The operator maps SKU-1 but the currency goes missing: a new problem.
        order.settings = settings();
        order.settings.currencies.clear();
        let raised = order.then(Event::RetryRequested, t(2)).to_vec();
        let [Notice::MappingProblem { summary }] = raised.as_slice() else {
            panic!("{raised:?}")
        };
        assert!(summary.contains("USD"), "{summary}");

        // Fixed, then set aside again with the first problem: a new cause too.
        order.settings = settings();
        assert!(order.then(Event::RetryRequested, t(3)).is_empty());
        assert_eq!(order.state(), StateKind::ExpectSalesOrderCreated);
        assert_eq!(order.record.raised_notices().set_aside, None);
    }

    #[test]
    fn a_problem_in_the_consumer_address_names_the_field_and_not_the_value() {
        let mut po = crate::testing::fixtures::df_po();
        let address = po
            .ship_to
            .as_mut()
            .and_then(|p| p.address.as_mut())
            .expect("the fixture ships to a consumer");
        address.country_code = "Snorkelburgh".into();
        let (record, commands) = OrderRecord::receive(po, t(0), &settings());
        assert_eq!(record.state().kind(), StateKind::ExpectFix);
        let raised = notices_of(&commands);
        let [Notice::MappingProblem { summary }] = raised.as_slice() else {
            panic!("{raised:?}")
        };
        assert!(summary.contains("shipToParty.countryCode"), "{summary}");
        assert!(!summary.contains("Snorkelburgh"), "{summary}");
        assert!(!raised[0].to_string().contains("Snorkelburgh"));
    }

    #[test]
    fn an_unreadable_order_listed_again_unchanged_is_not_raised_again() {
        let problem = Problem {
            purchase_order_number: "4Z32PABC".into(),
            line: None,
            field: "orderDetails.purchaseOrderDate".into(),
            kind: ProblemKind::Missing,
        };
        let unreadable = UnreadableOrder {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
            ordered_at: Some(t(0)),
            selling_party: None,
            problems: vec![problem.clone()],
        };
        let s = settings();
        let (record, commands) = OrderRecord::receive_unreadable(unreadable, t(0), &s);
        let raised = notices_of(&commands);
        let [Notice::Unreadable { summary }] = raised.as_slice() else {
            panic!("{raised:?}")
        };
        assert!(summary.contains("purchaseOrderDate"), "{summary}");
        let mut order = Order {
            record,
            notices: raised,
            commands,
            settings: s,
        };
        let again = |problems: Vec<Problem>, order: &Order| Event::PurchaseOrderFoundAcknowledged {
            purchase_order: Box::new(order.record.purchase_order().clone()),
            acceptance: AmazonAcceptance::Unreadable { problems },
        };
        for hour in 1..4 {
            let event = again(vec![problem.clone()], &order);
            assert!(order.then(event, t(hour)).is_empty(), "cycle {hour}");
            assert_eq!(order.state(), StateKind::ExpectFix);
        }
        let other = Problem {
            field: "items[0].orderedQuantity".into(),
            ..problem
        };
        let event = again(vec![other], &order);
        assert!(matches!(
            order.then(event, t(5)),
            [Notice::Unreadable { summary }] if summary.contains("orderedQuantity")
        ));
    }

    #[test]
    fn refused_credentials_are_raised_once_for_the_service_with_no_message() {
        let mut order = Order::receive(settings());
        let policy = RetryPolicy::default();
        let create = order.pending();
        let refused = || FailureKind::Unauthorized {
            message: "token tk_live_SECRET expired".into(),
        };
        for attempt in 1..policy.max_attempts {
            assert!(
                order
                    .then(failed(create.clone(), refused()), t(0))
                    .is_empty()
            );
            let at = order.record.next_wakeup(&order.settings).unwrap();
            assert!(order.then(Event::TimerElapsed, at).is_empty(), "{attempt}");
        }
        let raised = order.then(failed(create.clone(), refused()), t(1)).to_vec();
        assert_eq!(
            raised,
            [Notice::CredentialsRefused {
                service: Service::NetSuite,
                command_key: create.clone(),
                attempts: policy.max_attempts,
            }]
        );
        let shown = raised[0].to_string();
        assert!(
            shown.contains("NetSuite") && !shown.contains("SECRET"),
            "{shown}"
        );
        assert!(!format!("{:?}", raised[0]).contains("SECRET"));

        // The next cycles raise nothing; a retry that fails for good again does.
        assert!(order.then(Event::TimerElapsed, t(2)).is_empty());
        order.then(Event::RetryRequested, t(3));
        let rejected = FailureKind::Rejected {
            messages: vec![ServiceMessage::new("INVALID_FLD_VALUE", "bad `entity`")],
        };
        assert!(matches!(
            order.then(failed(create.clone(), rejected), t(3)),
            [Notice::RetriesExhausted { command_key, attempts: 1, .. }] if *command_key == create
        ));
    }

    #[test]
    fn each_rejected_version_is_raised_once() {
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let mut order = Order::receive(s);
        let reject = |order: &mut Order, version: u32, hour: u32| {
            let version = AcknowledgementVersion(version);
            order.then(
                Event::AcknowledgementSubmitted {
                    version,
                    transaction_id: TransactionId::new(format!("t-{}", version.0)).unwrap(),
                    orders: 1,
                },
                t(hour),
            );
            let failed = Event::AcknowledgementFailed {
                version,
                errors: vec![ServiceMessage::new(
                    "INVALID_COST",
                    "netCost is above the PO's",
                )],
            };
            let raised = order.then(failed.clone(), t(hour)).to_vec();
            // The same answer again (a replay) is not a new rejection.
            assert!(order.then(failed, t(hour)).is_empty());
            raised
        };
        assert!(matches!(
            reject(&mut order, 1, 1)[..],
            [Notice::RejectedByAmazon {
                version: AcknowledgementVersion(1),
                ..
            }]
        ));
        order.then(Event::RepostRequested, t(2));
        assert!(matches!(
            reject(&mut order, 2, 3)[..],
            [Notice::RejectedByAmazon {
                version: AcknowledgementVersion(2),
                ..
            }]
        ));
    }

    #[test]
    fn every_notice_has_a_slug_and_a_line_to_act_on() {
        let key = crate::lifecycle::CommandKey::new(
            crate::lifecycle::CommandKind::CreateSalesOrder,
            "AVC-RP-4Z32PABC",
        );
        let notices = [
            Notice::DeadlineApproaching { deadline: t(24) },
            Notice::DeadlineMissed { deadline: t(24) },
            Notice::RejectedByAmazon {
                version: AcknowledgementVersion(2),
                errors: vec![ServiceMessage::new("INVALID_COST", "too high")],
            },
            Notice::ApprovalOverdue {
                waiting_since: t(1),
                limit_minutes: 720,
            },
            Notice::RetriesExhausted {
                command_key: key.clone(),
                attempts: 8,
                failure: FailureKind::Transient {
                    message: "timed out".into(),
                },
            },
            Notice::CredentialsRefused {
                service: Service::Amazon,
                command_key: key,
                attempts: 8,
            },
            Notice::Unreadable {
                summary: "PO 4Z32PABC: `x` is missing".into(),
            },
            Notice::MappingProblem {
                summary: "PO 4Z32PABC: `y` is missing".into(),
            },
            Notice::Held {
                reason: "stock check".into(),
            },
            Notice::ChangeToReview,
            Notice::FoundLate {
                ordered_at: t(0),
                found_at: t(50),
                deadline: t(24),
            },
        ];
        let slugs: std::collections::BTreeSet<_> = notices.iter().map(Notice::slug).collect();
        assert_eq!(slugs.len(), notices.len());
        let shown: Vec<String> = notices.iter().map(Notice::to_string).collect();
        assert!(shown[0].contains("2025-03-02 08:00 UTC"), "{}", shown[0]);
        assert!(shown[2].contains("v2") && shown[2].contains("INVALID_COST"));
        assert!(shown[3].contains("720 minutes"), "{}", shown[3]);
        assert!(shown[4].contains("timed out") && shown[4].contains("retry"));
        assert!(shown[5].starts_with("Amazon refused the credentials"));
        assert!(shown[10].contains("2 days 2 hours after"), "{}", shown[10]);
        for line in &shown {
            assert!(!line.contains('\n') && !line.ends_with('.'), "{line}");
        }
        for notice in &notices {
            let json = serde_json::to_string(notice).unwrap();
            let back: Notice = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, notice);
        }
    }

    #[test]
    fn the_record_keeps_what_was_raised_and_reads_records_without_it() {
        let mut order = awaiting_approval();
        order.then(Event::TimerElapsed, t(13));
        let json = serde_json::to_value(&order.record).unwrap();
        assert_eq!(json["raised"]["approval_overdue"], "2025-03-01T09:00:00Z");
        let back: OrderRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, order.record);
        // A record stored before the field reads with nothing raised.
        let mut older = json;
        older.as_object_mut().unwrap().remove("raised");
        let back: OrderRecord = serde_json::from_value(older).unwrap();
        assert!(back.raised_notices().is_empty());
        // Nothing raised, nothing written: records stay as they were stored.
        let fresh = serde_json::to_value(awaiting_approval().record).unwrap();
        assert!(fresh.get("raised").is_none());
    }
}
