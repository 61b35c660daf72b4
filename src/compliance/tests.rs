use chrono::TimeZone;

use super::*;
use crate::testing::fixtures::{df_po, retail_po};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

#[test]
fn the_first_acknowledgement_is_due_24_hours_after_the_po() {
    let rules = ComplianceRules::default();
    let placed = utc(2026, 3, 2, 7, 30);
    let due = rules.first_acknowledgement_due(Program::RetailProcurement, placed);
    assert_eq!(due, utc(2026, 3, 3, 7, 30));
    let mut po = retail_po();
    po.ordered_at = placed;
    // Met at 23h59 it is on time; at 24h01 it is late.
    let on_time = rules.clocks(&po, Some(placed + TimeDelta::minutes(23 * 60 + 59)));
    assert!(
        !on_time
            .first_acknowledgement
            .is_missed(placed + TimeDelta::days(3))
    );
    let late = rules.clocks(&po, Some(placed + TimeDelta::minutes(24 * 60 + 1)));
    assert!(
        late.first_acknowledgement
            .is_missed(placed + TimeDelta::days(3))
    );
    // Not met: on time until the deadline, missed one minute after it.
    let open = rules.clocks(&po, None);
    assert!(!open.first_acknowledgement.is_missed(due));
    assert!(
        open.first_acknowledgement
            .is_missed(due + TimeDelta::minutes(1))
    );
    assert!(!open.holiday);
}

#[test]
fn retail_pos_sent_on_the_holiday_dates_get_48_hours() {
    let rules = ComplianceRules::default();
    for (m, d) in [(11, 22), (11, 23), (12, 25), (1, 1)] {
        let first = utc(2026, m, d, 0, 0);
        let last = utc(2026, m, d, 23, 59);
        for placed in [first, last] {
            assert_eq!(
                rules.first_acknowledgement_due(Program::RetailProcurement, placed),
                placed + TimeDelta::hours(48),
                "{placed}"
            );
            // Direct Fulfillment keeps its 24 hours.
            assert_eq!(
                rules.first_acknowledgement_due(Program::DirectFulfillment, placed),
                placed + TimeDelta::hours(24),
                "{placed}"
            );
        }
    }
    // The days either side are ordinary.
    for placed in [
        utc(2026, 11, 21, 23, 59),
        utc(2026, 11, 24, 0, 0),
        utc(2026, 12, 24, 23, 59),
        utc(2026, 12, 26, 0, 0),
        utc(2026, 12, 31, 23, 59),
        utc(2027, 1, 2, 0, 0),
    ] {
        assert_eq!(
            rules.first_acknowledgement_due(Program::RetailProcurement, placed),
            placed + TimeDelta::hours(24),
            "{placed}"
        );
    }
}

#[test]
fn the_holiday_dates_and_hours_are_settings() {
    let json = serde_json::json!({
        "holidayDates": ["07-04"],
        "holidayAcknowledgementHours": 72,
    });
    let rules: ComplianceRules = serde_json::from_value(json).unwrap();
    let july = utc(2026, 7, 4, 12, 0);
    assert_eq!(
        rules.first_acknowledgement_due(Program::RetailProcurement, july),
        july + TimeDelta::hours(72)
    );
    let christmas = utc(2026, 12, 25, 12, 0);
    assert_eq!(
        rules.first_acknowledgement_due(Program::RetailProcurement, christmas),
        christmas + TimeDelta::hours(24)
    );
    assert_eq!(
        serde_json::to_value(&rules).unwrap()["holidayDates"],
        serde_json::json!(["07-04"])
    );
    for bad in ["13-01", "02-30", "7/4", "xx-01", ""] {
        let json = serde_json::json!({ "holidayDates": [bad] });
        let err = serde_json::from_value::<ComplianceRules>(json).unwrap_err();
        assert!(err.to_string().contains("MM-DD"), "{bad}: {err}");
    }
    assert_eq!("02-29".parse::<MonthDay>().unwrap().to_string(), "02-29");
}

#[test]
fn the_update_window_closes_48_hours_after_the_po() {
    let rules = ComplianceRules::default();
    let mut po = retail_po();
    po.ordered_at = utc(2026, 3, 2, 7, 30);
    let clocks = rules.clocks(&po, None);
    assert_eq!(clocks.update_window.at, utc(2026, 3, 4, 7, 30));
    assert_eq!(clocks.update_window.warn_at, Some(utc(2026, 3, 4, 3, 30)));
    assert!(!clocks.update_window.is_missed(utc(2026, 3, 4, 7, 30)));
    assert!(clocks.update_window.is_missed(utc(2026, 3, 4, 7, 31)));
}

#[test]
fn the_down_confirm_cutoff_is_five_days_into_the_window() {
    let rules = ComplianceRules::default();
    let po = retail_po();
    let start = po.ship_window.as_ref().unwrap().start;
    let cutoff = rules.down_confirm_cutoff(&po).unwrap();
    assert_eq!(cutoff, start + TimeDelta::days(5));
    // Day 5 of the window is before the cut-off; day 6 after it.
    let clock = rules.clocks(&po, None).down_confirm_cutoff.unwrap();
    assert!(!clock.is_missed(start + TimeDelta::days(4) + TimeDelta::hours(23)));
    assert!(clock.is_missed(start + TimeDelta::days(5) + TimeDelta::minutes(1)));
    assert_eq!(clock.warn_at, Some(cutoff - TimeDelta::days(1)));

    // Vendor-paid freight counts from the delivery window.
    let mut delivered = retail_po();
    let window = delivered.ship_window.take().unwrap();
    delivered.delivery_window = Some(window);
    assert_eq!(rules.down_confirm_cutoff(&delivered), Some(cutoff));
    // No window, or Direct Fulfillment: no cut-off.
    delivered.delivery_window = None;
    assert_eq!(rules.down_confirm_cutoff(&delivered), None);
    assert_eq!(rules.down_confirm_cutoff(&df_po()), None);
}

#[test]
fn a_line_rejected_at_20_percent_passes_the_guard_and_at_21_it_does_not() {
    assert!(!rejects_more_than(100, 20, 20));
    assert!(rejects_more_than(100, 21, 20));
    assert!(!rejects_more_than(5, 1, 20));
    assert!(rejects_more_than(4, 1, 20));
    assert!(!rejects_more_than(0, 0, 20));
    assert!(rejects_more_than(u64::MAX, u64::MAX, 99));
    assert_eq!(units_above_threshold(100, 20, 20), 0);
    assert_eq!(units_above_threshold(100, 21, 20), 1);
    assert_eq!(units_above_threshold(10, 10, 20), 8);
    // Three per cent of cost on the units above.
    let cost = Money::new("18.40".parse().unwrap(), "USD".parse().unwrap());
    assert_eq!(chargeback(&cost, 8).unwrap().to_string(), "4.416 USD");
    assert_eq!(chargeback(&cost, 0).unwrap().to_string(), "0 USD");
}

#[test]
fn the_rejection_rate_guard_is_off_unless_set_and_a_vendor_codes_own_wins() {
    let vendor = PartyId::new("ABCDE").unwrap();
    let other = PartyId::new("ZYXWV").unwrap();
    let mut rules = ComplianceRules::default();
    assert_eq!(rules.rejection_threshold(&vendor), None);
    rules.rejection_rate_guards.push(RejectionRateGuard {
        vendor_code: Some(vendor.clone()),
        max_rejected_percent: 20,
    });
    assert_eq!(rules.rejection_threshold(&vendor), Some(20));
    assert_eq!(rules.rejection_threshold(&other), None);
    rules.rejection_rate_guards.push(RejectionRateGuard {
        vendor_code: None,
        max_rejected_percent: 30,
    });
    assert_eq!(rules.rejection_threshold(&other), Some(30));
    assert_eq!(rules.rejection_threshold(&vendor), Some(20));
    let read: RejectionRateGuard = serde_json::from_value(serde_json::json!({})).unwrap();
    assert_eq!(read.max_rejected_percent, 20);
}
