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
