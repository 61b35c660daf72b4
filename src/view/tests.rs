use std::collections::BTreeMap;

use super::*;

#[test]
fn the_dashboards_groups_partition_the_states() {
    // Every state is in exactly one of the groups a status has on the dashboard.
    let primary = [
        StatusGroup::Open,
        StatusGroup::Error,
        StatusGroup::Complete,
        StatusGroup::Canceled,
        StatusGroup::Held,
        StatusGroup::Rejected,
    ];
    for state in StateKind::ALL {
        let holding: Vec<_> = primary.iter().filter(|g| g.contains(*state)).collect();
        assert_eq!(holding.len(), 1, "{state} is in {holding:?}");
        assert!(StatusGroup::All.contains(*state));
        assert_eq!(
            StatusGroup::NeedsAttention.contains(*state),
            StatusGroup::Error.contains(*state) || StatusGroup::Rejected.contains(*state),
            "{state}"
        );
    }
    assert!(StatusGroup::Open.contains(StateKind::ExpectApproval));
    assert!(StatusGroup::WaitingForApproval.contains(StateKind::ExpectApproval));
    assert!(!StatusGroup::Open.contains(StateKind::ExpectRepost));
}

#[test]
fn a_groups_slug_names_it_and_its_label_is_the_connectors() {
    for group in StatusGroup::ALL {
        assert_eq!(StatusGroup::from_slug(group.slug()), Some(group));
        let json = serde_json::to_value(group).unwrap();
        assert_eq!(json, group.slug(), "the JSON name is the slug");
    }
    assert_eq!(StatusGroup::from_slug("everything"), None);
    assert_eq!(
        StatusGroup::WaitingForAmazon.label(),
        StateKind::ExpectAcknowledgementConfirmation.connector_status()
    );
    assert_eq!(
        StatusGroup::Rejected.label(),
        StateKind::ExpectRepost.connector_status()
    );
}

#[test]
fn group_counts_add_the_states_of_each_group() {
    let states = BTreeMap::from([
        (StateKind::ExpectApproval, 3),
        (StateKind::ExpectRepost, 2),
        (StateKind::ExpectFix, 1),
        (StateKind::Closed, 7),
    ]);
    let counts: BTreeMap<_, _> = group_counts(&states).into_iter().collect();
    assert_eq!(counts[&StatusGroup::All], 13);
    assert_eq!(counts[&StatusGroup::Open], 3);
    assert_eq!(counts[&StatusGroup::WaitingForApproval], 3);
    assert_eq!(counts[&StatusGroup::Rejected], 2);
    assert_eq!(counts[&StatusGroup::Error], 1);
    assert_eq!(counts[&StatusGroup::NeedsAttention], 3);
    assert_eq!(counts[&StatusGroup::Complete], 7);
    assert_eq!(counts[&StatusGroup::Held], 0);
}

#[test]
fn a_page_size_is_cut_to_the_most_a_page_holds() {
    assert_eq!(PageRequest::first(10).size(), 10);
    assert_eq!(PageRequest::first(usize::MAX).size(), MAX_PAGE_SIZE);
}

mod html {
    use std::collections::BTreeMap;

    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;

    use super::super::html::{decode_component, encode_component};
    use super::super::*;
    use crate::acknowledgement::AcknowledgementVersion;
    use crate::client::ServiceMessage;
    use crate::ids::{
        ExternalId, InternalId, ItemSequenceNumber, PurchaseOrderNumber, TransactionId,
    };
    use crate::lifecycle::EventKind;
    use crate::order::AmazonOrderState;

    fn at() -> DateTime<Utc> {
        "2025-03-03T12:00:00Z".parse().unwrap()
    }

    /// An order Amazon rejected, every text field holding `text`.
    fn rejected(number: &str, text: &str) -> OrderView {
        let key = OrderKey {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new(number).unwrap(),
        };
        OrderView {
            summary: OrderSummary {
                schema_version: VIEW_SCHEMA_VERSION,
                key,
                state: StateKind::ExpectRepost,
                status: "Rejected".to_owned(),
                needs_attention: true,
                reason: Some(text.to_owned()),
                internal_id: Some(InternalId::new(text).unwrap()),
                created_at: at(),
                changed_at: at(),
            },
            external_id: ExternalId::new("AVC-RP-1").unwrap(),
            amazon_state: AmazonOrderState::New,
            ordered_at: at(),
            acknowledgement_deadline: at() + TimeDelta::hours(24),
            clocks: {
                let mut po = crate::testing::fixtures::retail_po();
                po.ordered_at = at();
                crate::compliance::ComplianceRules::default()
                    .clocks(&po, Some(at() + TimeDelta::hours(1)))
            },
            acknowledgements: vec![
                AcknowledgementView {
                    version: AcknowledgementVersion(1),
                    acknowledged_at: Some(at()),
                    lines: vec![AcknowledgementLineView {
                        sequence: ItemSequenceNumber::new(text).unwrap(),
                        code: text.to_owned(),
                        eaches: Some(3),
                        rejection_reason: Some(text.to_owned()),
                        net_cost: None,
                    }],
                    sent_at: Some(at()),
                    transaction_id: Some(TransactionId::new(text).unwrap()),
                    answer: AcknowledgementAnswer::Confirmed { at: at() },
                },
                AcknowledgementView {
                    version: AcknowledgementVersion(2),
                    acknowledged_at: None,
                    lines: Vec::new(),
                    sent_at: None,
                    transaction_id: None,
                    answer: AcknowledgementAnswer::Rejected {
                        errors: vec![ServiceMessage::new(text, text)],
                        at: Some(at()),
                    },
                },
            ],
            backorders: Vec::new(),
            reconciliation: None,
            history: vec![HistoryView {
                at: at(),
                event: EventKind::AcknowledgementFailed,
                from: Some(StateKind::ExpectAcknowledgementConfirmation),
                to: StateKind::ExpectRepost,
                status: text.to_owned(),
            }],
            found_late: Some(FoundLateView {
                found_at: at() + TimeDelta::hours(30),
                late_by_minutes: 30 * 60,
                late_by: text.to_owned(),
            }),
        }
    }

    /// The page's markup without its text: each tag's name and attribute names, and
    /// the attribute values of the fixed ones.
    fn markup(html: &str) -> Vec<String> {
        let mut tags = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
            let tag = &rest[start + 1..end];
            let mut shape = String::new();
            let mut in_value = false;
            for c in tag.chars() {
                match c {
                    '"' => in_value = !in_value,
                    c if !in_value => shape.push(c),
                    _ => {}
                }
            }
            tags.push(shape);
            rest = &rest[end.min(rest.len())..];
            if rest.is_empty() {
                break;
            }
            rest = &rest[1..];
        }
        tags
    }

    const HOSTILE: &[&str] = &[
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='alert(1)",
        "&amp;&lt;&#39;",
        "</td></tr></table><form action=\"/steal\">",
    ];

    #[test]
    fn untrusted_text_leaves_the_markup_as_it_is() {
        let dashboard = Dashboard::new("/orders", "tok\"en<");
        let benign_order = dashboard.order_page(&rejected("PLAIN001", "plain"));
        let benign_list = dashboard.list_page(
            &group_counts(&BTreeMap::new()),
            &page_of_one(rejected("PLAIN001", "plain")),
        );
        for text in HOSTILE {
            let view = rejected(text, text);
            let order = dashboard.order_page(&view);
            assert_eq!(markup(&order), markup(&benign_order), "{text}");
            assert!(!order.contains(text), "{text} is written escaped");
            let list = dashboard.list_page(&group_counts(&BTreeMap::new()), &page_of_one(view));
            assert_eq!(markup(&list), markup(&benign_list), "{text}");
            assert!(!list.contains(text), "{text} is written escaped");
        }
    }

    fn page_of_one(view: OrderView) -> OrderPage {
        OrderPage {
            schema_version: VIEW_SCHEMA_VERSION,
            filter: OrderFilter::group(StatusGroup::Rejected),
            next: Some(PageToken {
                at: view.summary.changed_at,
                key: view.summary.key.clone(),
            }),
            orders: vec![view.summary],
        }
    }

    #[test]
    fn the_order_page_offers_the_actions_its_state_takes_as_post_forms() {
        let html = Dashboard::new("", "t0k").order_page(&rejected("REJ00001", "Amazon said no"));
        assert!(html.contains("id=\"action-repost\""));
        assert!(html.contains("id=\"action-cancel\""));
        assert!(!html.contains("id=\"action-release\""), "not held");
        assert!(html.contains("<form method=\"post\" action=\"/order/RP/REJ00001/repost\">"));
        assert!(html.contains("name=\"token\" value=\"t0k\""));
        assert!(html.contains("Amazon said no"));
        assert!(html.contains("Version 2"));
        assert!(html.contains("<dd id=\"found-late\" class=\"attention\">"));
        let mut found_in_time = rejected("REJ00001", "Amazon said no");
        found_in_time.found_late = None;
        let html = Dashboard::new("", "t0k").order_page(&found_in_time);
        assert!(!html.contains("found-late"));
        assert!(html.contains("</dd>\n</dl>"), "{html}");

        assert_eq!(ActionKind::for_state(StateKind::Closed), []);
        assert!(ActionKind::for_state(StateKind::Held).contains(&ActionKind::Release));
        assert!(!ActionKind::for_state(StateKind::Held).contains(&ActionKind::Hold));
        assert!(ActionKind::for_state(StateKind::ExpectFix).contains(&ActionKind::Retry));
    }

    #[test]
    fn requests_are_read_from_paths_queries_and_forms() {
        let list =
            DashboardRequest::parse(false, "/orders", "/orders/", "group=rejected&program=DF");
        let Some(DashboardRequest::List {
            filter,
            after: None,
        }) = list
        else {
            panic!("{list:?}");
        };
        assert_eq!(filter.group, StatusGroup::Rejected);
        assert_eq!(filter.program, Some(Program::DirectFulfillment));
        assert_eq!(
            DashboardRequest::parse(false, "/orders", "/orders", ""),
            Some(DashboardRequest::List {
                filter: OrderFilter::group(StatusGroup::All),
                after: None
            })
        );
        let key = OrderKey {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new("A/B C").unwrap(),
        };
        assert_eq!(
            DashboardRequest::parse(false, "", "/order/RP/A%2FB%20C", ""),
            Some(DashboardRequest::Order { key: key.clone() })
        );
        assert_eq!(
            DashboardRequest::parse(
                true,
                "",
                "/order/RP/A%2FB%20C/hold",
                "token=t&reason=wait+a+bit"
            ),
            Some(DashboardRequest::Action {
                key,
                action: ActionKind::Hold,
                reason: Some("wait a bit".to_owned()),
                token: "t".to_owned()
            })
        );
        // A GET never acts; a POST without a token is no action.
        assert_eq!(
            DashboardRequest::parse(false, "", "/order/RP/X/repost", "token=t"),
            None
        );
        assert_eq!(
            DashboardRequest::parse(true, "", "/order/RP/X/repost", ""),
            None
        );
        assert_eq!(
            DashboardRequest::parse(false, "", "/", "group=everything"),
            None
        );
        assert_eq!(
            DashboardRequest::parse(false, "/orders", "/other", ""),
            None
        );
    }

    #[test]
    fn the_next_page_link_reads_back_as_its_token() {
        let view = rejected("A&B=C", "x");
        let page = page_of_one(view);
        let html = Dashboard::new("/o", "t").list_page(&[], &page);
        let start = html.find("id=\"next\" href=\"").unwrap() + "id=\"next\" href=\"".len();
        let href = &html[start..start + html[start..].find('"').unwrap()];
        let href = href.replace("&amp;", "&");
        let (path, query) = href.split_once('?').unwrap();
        let Some(DashboardRequest::List { filter, after }) =
            DashboardRequest::parse(false, "/o", path, query)
        else {
            panic!("{href}");
        };
        assert_eq!(filter.group, StatusGroup::Rejected);
        assert_eq!(after, page.next);
    }

    #[test]
    fn escaping_covers_the_five_characters() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    proptest! {
        #[test]
        fn a_url_part_decodes_to_what_was_encoded(text in "\\PC{0,40}") {
            let encoded = encode_component(&text);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            prop_assert_eq!(decode_component(&encoded), Some(text));
        }

        #[test]
        fn decoding_never_panics(text in "\\PC{0,40}") {
            let _ = decode_component(&text);
            let _ = DashboardRequest::parse(true, "", &text, &text);
            let _ = DashboardRequest::parse(false, "", &text, &text);
        }
    }
}
