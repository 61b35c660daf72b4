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

    /// An automatic acknowledgement v1 whose answer never came, then Amazon lowers
    /// line 2 from 10 to 8 eaches `hours` after the PO.
    fn auto_acknowledged_then_changed(hours: u32) -> Order {
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let mut order = Order::receive(s);
        assert_eq!(order.state(), StateKind::ExpectAcknowledgementSubmitted);
        let mut po = retail_po();
        po.lines[1].ordered = crate::order::Quantity::eaches_of(8);
        po.changed_at = Some(t(hours));
        order.then(
            Event::PurchaseOrderChanged {
                purchase_order: Box::new(po),
            },
            t(hours),
        );
        order
    }

    fn submits(order: &Order) -> Vec<AcknowledgementVersion> {
        order
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::SubmitAcknowledgement { key, .. } => Some(key.version),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_automatic_update_after_the_window_is_held_until_a_person_confirms_it() {
        // Within the 48-hour window the new quantity goes out at once, as v2.
        let order = auto_acknowledged_then_changed(47);
        assert_eq!(submits(&order), [AcknowledgementVersion(2)]);

        // After it, v1 may be at Amazon: lowering its 10 eaches is held, raised once.
        let mut order = auto_acknowledged_then_changed(49);
        assert!(submits(&order).is_empty(), "{:?}", order.commands);
        assert_eq!(order.state(), StateKind::ExpectFix);
        let [Notice::ComplianceHold { summary }] = order.notices.as_slice() else {
            panic!("{:?}", order.notices)
        };
        assert!(summary.contains("update window closed"), "{summary}");
        assert!(summary.contains("10 eaches confirmed"), "{summary}");
        let later = order.then(Event::TimerElapsed, t(50)).to_vec();
        assert!(
            !later
                .iter()
                .any(|n| matches!(n, Notice::ComplianceHold { .. })),
            "{later:?}"
        );
        assert!(submits(&order).is_empty());

        // The person confirms with Retry: the update goes out as v2.
        order.then(Event::RetryRequested, t(51));
        assert_eq!(submits(&order), [AcknowledgementVersion(2)]);
    }

    #[test]
    fn every_acknowledgement_rebuilt_before_its_answer_is_kept_not_only_the_last() {
        // v1 built, then Amazon changes the order twice before any answer: v1 and v2
        // may both have gone out, so both are kept to check v3 against.
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let mut order = Order::receive(s);
        let change = |order: &mut Order, eaches: u64, hours: u32| {
            let mut po = retail_po();
            po.lines[1].ordered = crate::order::Quantity::eaches_of(eaches);
            po.changed_at = Some(t(hours));
            order.then(
                Event::PurchaseOrderChanged {
                    purchase_order: Box::new(po),
                },
                t(hours),
            );
        };
        change(&mut order, 8, 1);
        assert_eq!(order.record.unanswered.len(), 1);
        change(&mut order, 6, 2);
        assert_eq!(submits(&order), [AcknowledgementVersion(3)]);
        let kept = &order.record.unanswered;
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_ne!(kept[0], kept[1]);
        // The same acknowledgement is not kept twice.
        let policy = crate::lifecycle::RetryPolicy::default();
        let mut machine = crate::lifecycle::machine::Machine::new(
            order.record.clone(),
            t(3),
            &order.settings,
            &policy,
        );
        machine.keep_unanswered(&kept[1]);
        assert_eq!(machine.rec.unanswered.len(), 2);
    }

    #[test]
    fn an_update_whose_sending_failed_is_held_when_retried_after_the_window() {
        // v2 is built inside the window, then Amazon refuses to take it for good.
        let mut order = auto_acknowledged_then_changed(47);
        assert_eq!(submits(&order), [AcknowledgementVersion(2)]);
        let mut exhausted = failed(
            order.pending(),
            FailureKind::RateLimited { retry_after: None },
        );
        if let Event::CommandFailed { failure, .. } = &mut exhausted {
            failure.exhausted = true;
        }
        order.then(exhausted, t(47));
        assert_eq!(order.state(), StateKind::ExpectFix);

        // Retried by a person inside the window: it goes out as it was.
        let mut inside = Order {
            record: order.record.clone(),
            notices: Vec::new(),
            commands: Vec::new(),
            settings: order.settings.clone(),
        };
        inside.then(Event::RetryRequested, t(47) + TimeDelta::minutes(30));
        assert_eq!(submits(&inside), [AcknowledgementVersion(2)]);

        // Retried three days later: held with the rule that it would break, nothing sent.
        let raised = order.then(Event::RetryRequested, t(120)).to_vec();
        assert!(submits(&order).is_empty(), "{:?}", order.commands);
        assert_eq!(order.state(), StateKind::ExpectFix);
        let [Notice::ComplianceHold { summary }] = raised.as_slice() else {
            panic!("{raised:?}")
        };
        assert!(summary.contains("update window closed"), "{summary}");
        // Retried again, the person has seen why: it goes out.
        order.then(Event::RetryRequested, t(121));
        assert!(!submits(&order).is_empty(), "{:?}", order.commands);
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
            Notice::UpdateWindowClosing { closes: t(48) },
            Notice::DownConfirmCutoffApproaching { cutoff: t(336) },
            Notice::BackorderDateDue {
                sequence: crate::ids::ItemSequenceNumber::new("2").unwrap(),
                quantity: 4,
                scheduled: t(456),
            },
            Notice::Drift {
                version: AcknowledgementVersion(1),
                lines: vec![crate::compliance::LineDrift {
                    sequence: None,
                    sent: 3,
                    recorded: 0,
                }],
            },
            Notice::FoundLate {
                ordered_at: t(0),
                found_at: t(50),
                deadline: t(24),
            },
            Notice::ComplianceHold {
                summary: "PO 4Z32PABC: an update after the window".into(),
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
        assert!(shown[11].contains("3 % of their cost"), "{}", shown[11]);
        assert!(
            shown[13].contains("the order sent accepted, Amazon recorded it cancelled"),
            "{}",
            shown[13]
        );
        assert!(shown[14].contains("2 days 2 hours after"), "{}", shown[14]);
        assert!(
            shown[15].contains("an update after the window") && shown[15].contains("retry"),
            "{}",
            shown[15]
        );
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

    /// An order approved at `t(2)` (the reviewer's `snapshot`), sent and confirmed at
    /// `t(3)`: it waits for shipment.
    fn confirmed_with(snapshot: crate::sales_order::SalesOrderSnapshot) -> Order {
        let mut order = awaiting_approval();
        order.then(
            Event::SalesOrderRead {
                snapshot: Box::new(snapshot),
            },
            t(2),
        );
        assert_eq!(order.state(), StateKind::ExpectAcknowledgementSubmitted);
        order.then(
            Event::AcknowledgementSubmitted {
                version: AcknowledgementVersion(1),
                transaction_id: TransactionId::new("t-1").unwrap(),
                orders: 1,
            },
            t(3),
        );
        order.then(
            Event::AcknowledgementConfirmed {
                version: AcknowledgementVersion(1),
            },
            t(3),
        );
        assert_eq!(order.state(), StateKind::ExpectShipment);
        order
    }

    /// Amazon's record of the confirmed acknowledgement read (here, unreadable: no
    /// drift), so the order no longer wakes for it.
    fn reconciled(mut order: Order) -> Order {
        let event = Event::AmazonRecordRead {
            version: AcknowledgementVersion(1),
            recorded: crate::compliance::AmazonRecord::Unreadable {
                reason: "not read in this test".into(),
            },
        };
        assert!(order.then(event, t(3)).is_empty());
        assert_eq!(order.record.reconciliation_due(), None);
        order
    }

    fn approved(order: &Order) -> crate::sales_order::SalesOrderSnapshot {
        sales_order_snapshot(
            order.record.sales_order().unwrap(),
            NetSuiteStatus::PendingFulfillment,
        )
    }

    #[test]
    fn the_update_window_warns_once_while_the_order_is_not_settled() {
        let mut order = awaiting_approval();
        // The PO was placed at t(0): the window closes at t(48), warned 240 minutes
        // before. The deadline's own notices come first.
        let closes = t(48);
        let warn = closes - TimeDelta::minutes(240);
        order.then(Event::TimerElapsed, t(24));
        assert!(
            order
                .then(Event::TimerElapsed, warn - TimeDelta::minutes(1))
                .is_empty()
        );
        assert_eq!(order.record.next_wakeup(&order.settings), Some(warn));
        assert_eq!(
            order.then(Event::TimerElapsed, warn),
            [Notice::UpdateWindowClosing { closes }]
        );
        assert!(order.then(Event::TimerElapsed, t(47)).is_empty());
        assert_eq!(order.record.raised_notices().update_window, Some(closes));
        let line = Notice::UpdateWindowClosing { closes }.to_string();
        assert!(line.contains("2025-03-03 08:00 UTC"), "{line}");

        // An order settled at Amazon before the warning needs none.
        let settled = awaiting_approval();
        let mut settled = reconciled(confirmed_with(approved(&settled)));
        let raised = settled.then(Event::TimerElapsed, warn).to_vec();
        assert!(
            !raised
                .iter()
                .any(|n| matches!(n, Notice::UpdateWindowClosing { .. })),
            "{raised:?}"
        );
    }

    #[test]
    fn confirmed_units_warn_once_before_the_down_confirm_cutoff() {
        let order = awaiting_approval();
        let mut order = reconciled(confirmed_with(approved(&order)));
        // Ship window from day 9: the cut-off is day 14, warned a day before.
        let cutoff = t(0) + TimeDelta::days(14);
        let warn = cutoff - TimeDelta::minutes(1440);
        assert_eq!(order.record.next_wakeup(&order.settings), Some(warn));
        assert!(
            order
                .then(Event::TimerElapsed, warn - TimeDelta::minutes(1))
                .is_empty()
        );
        assert_eq!(
            order.then(Event::TimerElapsed, warn),
            [Notice::DownConfirmCutoffApproaching { cutoff }]
        );
        assert!(order.then(Event::TimerElapsed, cutoff).is_empty());
        // Nothing is left to wake the settled order for.
        assert_eq!(order.record.next_wakeup(&order.settings), None);
    }

    #[test]
    fn a_clock_that_ran_out_unwarned_is_passed_without_a_notice() {
        let order = awaiting_approval();
        let mut order = reconciled(confirmed_with(approved(&order)));
        let cutoff = t(0) + TimeDelta::days(14);
        // The engine was down through the warning and the cut-off.
        let raised = order.then(Event::TimerElapsed, cutoff + TimeDelta::hours(1));
        assert!(raised.is_empty(), "{raised:?}");
        assert_eq!(order.record.raised_notices().down_confirm, Some(cutoff));
        assert_eq!(order.record.next_wakeup(&order.settings), None);
    }

    #[test]
    fn a_backorder_warns_once_before_its_date() {
        let order = awaiting_approval();
        let mut snapshot = approved(&order);
        // The reviewer ships 6 of line 2's 10 now and backorders the rest for day 20.
        let day = |d: i64| (t(0) + TimeDelta::days(d)).date_naive();
        snapshot.ship_date = Some(day(20));
        for line in &mut snapshot.lines {
            line.expected_ship_date = Some(day(20));
        }
        snapshot.lines[1].quantity = 6;
        let mut order = reconciled(confirmed_with(snapshot));
        let scheduled = day(20).and_time(chrono::NaiveTime::MIN).and_utc();
        let backorders = crate::compliance::backorders(
            &order
                .record
                .confirmed_acknowledgement()
                .unwrap()
                .acknowledgement,
        );
        assert_eq!(
            backorders,
            [crate::compliance::Backorder {
                sequence: crate::ids::ItemSequenceNumber::new("2").unwrap(),
                quantity: 4,
                scheduled,
            }]
        );
        // The down-confirm warning (day 13) comes first, then the backorder's (day 19).
        order.then(Event::TimerElapsed, t(0) + TimeDelta::days(13));
        let warn = scheduled - TimeDelta::minutes(1440);
        assert_eq!(order.record.next_wakeup(&order.settings), Some(warn));
        let raised = order.then(Event::TimerElapsed, warn).to_vec();
        let [
            Notice::BackorderDateDue {
                quantity: 4,
                scheduled: at,
                ..
            },
        ] = raised.as_slice()
        else {
            panic!("{raised:?}")
        };
        assert_eq!(*at, scheduled);
        assert!(raised[0].to_string().contains("repost"), "{}", raised[0]);
        // Past its date it is not raised again for the same date.
        assert!(
            order
                .then(Event::TimerElapsed, scheduled + TimeDelta::days(1))
                .is_empty()
        );
        assert_eq!(order.record.next_wakeup(&order.settings), None);
    }

    #[test]
    fn drift_is_kept_on_the_order_and_raised_once_per_version() {
        let order = awaiting_approval();
        let mut order = confirmed_with(approved(&order));
        let v1 = AcknowledgementVersion(1);
        assert_eq!(order.record.reconciliation_due(), Some(v1));
        // Still due, the order wakes at once to read it.
        assert_eq!(order.record.next_wakeup(&order.settings), Some(t(3)));
        let seq = |s: &str| crate::ids::ItemSequenceNumber::new(s).unwrap();
        let recorded = |second: u64| crate::compliance::AmazonRecord::Lines {
            lines: vec![
                crate::lifecycle::AcceptedLine {
                    sequence: seq("1"),
                    eaches: 36,
                },
                crate::lifecycle::AcceptedLine {
                    sequence: seq("2"),
                    eaches: second,
                },
            ],
        };
        let read = |second: u64| Event::AmazonRecordRead {
            version: v1,
            recorded: recorded(second),
        };
        let raised = order.then(read(8), t(4)).to_vec();
        let drift = vec![crate::compliance::LineDrift {
            sequence: Some(seq("2")),
            sent: 10,
            recorded: 8,
        }];
        assert_eq!(
            raised,
            [Notice::Drift {
                version: v1,
                lines: drift.clone(),
            }]
        );
        assert!(
            raised[0]
                .to_string()
                .contains("line 2 sent 10 accepted, Amazon recorded 8"),
            "{}",
            raised[0]
        );
        assert_eq!(order.state(), StateKind::ExpectShipment);
        assert_eq!(order.record.reconciliation_due(), None);
        let kept = order.record.reconciliation().unwrap();
        assert_eq!(
            (kept.version, &kept.drift, kept.read_at),
            (v1, &drift, t(4))
        );
        // Read again (a replay, or a second worker): kept, not raised again.
        assert!(order.then(read(8), t(5)).is_empty());

        // What was sent recorded as sent: no drift.
        let order2 = awaiting_approval();
        let mut order2 = confirmed_with(approved(&order2));
        assert!(order2.then(read(10), t(4)).is_empty());
        assert!(order2.record.reconciliation().unwrap().drift.is_empty());
        // A record stored before the fields reads with none.
        let mut json = serde_json::to_value(&order2.record).unwrap();
        json.as_object_mut().unwrap().remove("reconciliation");
        let back: OrderRecord = serde_json::from_value(json).unwrap();
        assert!(back.reconciliation().is_none());
    }

    #[test]
    fn a_failed_read_of_amazons_record_is_asked_again_less_often_and_given_up_after_the_dispute_window()
     {
        let order = awaiting_approval();
        let mut order = confirmed_with(approved(&order));
        let v1 = AcknowledgementVersion(1);
        let confirmed_at = order
            .record
            .confirmed_acknowledgement()
            .unwrap()
            .confirmed_at;
        let unread = Event::AmazonRecordUnread {
            version: v1,
            reason: "HTTP 503".into(),
        };
        // Each failure in a row doubles the wait: 15, 30, 60 minutes ... up to 6 hours.
        let mut now = confirmed_at;
        let mut waits = Vec::new();
        for _ in 0..7 {
            assert!(order.then(unread.clone(), now).is_empty());
            assert_eq!(order.state(), StateKind::ExpectShipment);
            assert_eq!(order.record.reconciliation_due(), Some(v1));
            let next = order.record.reconciliation_retry_at().unwrap();
            waits.push((next - now).num_minutes());
            assert_eq!(
                order.record.next_wakeup(&order.settings).map(|w| w <= next),
                Some(true)
            );
            now = next;
        }
        assert_eq!(waits, [15, 30, 60, 120, 240, 360, 360]);
        // A read for another version changes nothing.
        let other = Event::AmazonRecordUnread {
            version: AcknowledgementVersion(7),
            reason: "HTTP 503".into(),
        };
        let before = order.record.reconciliation_retry_at();
        order.then(other, now);
        assert_eq!(order.record.reconciliation_retry_at(), before);
        // A read that succeeds clears the wait.
        let mut read_later = Order {
            record: order.record.clone(),
            notices: Vec::new(),
            commands: Vec::new(),
            settings: order.settings.clone(),
        };
        read_later.then(
            Event::AmazonRecordRead {
                version: v1,
                recorded: crate::compliance::AmazonRecord::Unreadable {
                    reason: "no lines".into(),
                },
            },
            now,
        );
        assert_eq!(read_later.record.reconciliation_due(), None);
        assert_eq!(read_later.record.reconciliation_retry_at(), None);
        // Thirty days after the confirmation the read is given up, and says why.
        let late = confirmed_at + TimeDelta::days(30);
        order.then(unread.clone(), late - TimeDelta::seconds(1));
        assert_eq!(order.record.reconciliation_due(), Some(v1));
        order.then(unread, late);
        assert_eq!(order.record.reconciliation_due(), None);
        assert_eq!(order.record.reconciliation_retry_at(), None);
        let kept = order.record.reconciliation().unwrap();
        let crate::compliance::AmazonRecord::Unreadable { reason } = &kept.recorded else {
            panic!("{kept:?}")
        };
        assert!(
            reason.contains("30 days") && reason.contains("HTTP 503"),
            "{reason}"
        );
        assert!(kept.drift.is_empty());
    }

    #[test]
    fn a_record_that_kept_one_unanswered_acknowledgement_reads_as_a_list_of_one() {
        let order = awaiting_approval();
        let order = confirmed_with(approved(&order));
        let ack = order
            .record
            .confirmed_acknowledgement()
            .unwrap()
            .acknowledgement
            .clone();
        let mut json = serde_json::to_value(&order.record).unwrap();
        assert!(json.get("unanswered").is_none(), "none kept: {json}");
        json["unanswered"] = serde_json::to_value(&ack).unwrap();
        let one: OrderRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(one.unanswered, std::slice::from_ref(&ack));
        json["unanswered"] = serde_json::to_value([&ack, &ack]).unwrap();
        let two: OrderRecord = serde_json::from_value(json).unwrap();
        assert_eq!(two.unanswered.len(), 2);
        // Written back, it is the list.
        let back = serde_json::to_value(&one).unwrap();
        assert!(back["unanswered"].is_array(), "{}", back["unanswered"]);
    }
}
