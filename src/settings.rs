//! What an integrator configures: acknowledgement mode, NetSuite customers, the item and
//! currency maps, and the policies for the cases the sync cannot decide on its own.
//!
//! [`Settings`] documents its JSON form in full; `examples/settings.json` is a working
//! copy.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::acknowledgement::{RejectionReason, df_status};
use crate::compliance::ComplianceRules;
use crate::decimal::Decimal;
use crate::ids::{Asin, InternalId, PartyId, VendorSku};
use crate::money::CurrencyCode;
use crate::order::{OrderLine, Program, WeightUnit};

/// The sync's settings, read from JSON.
///
/// `Settings::default()` acknowledges nothing automatically (both programs manual, as
/// NetSuite Connector ships), maps no customer, item or currency, holds unmapped items
/// for review, holds orders Amazon changes after acknowledgement for review, rejects
/// removed quantities as `TemporarilyUnavailable` and warns four hours before the
/// acknowledgement deadline. Every order needs a customer, a currency and its items
/// mapped, so a working file fills in at least `customers`, `currencies` and `items`.
///
/// # JSON form
///
/// Every key is optional unless marked required; unknown keys are refused, so a typo
/// fails loudly instead of being ignored. Ids are NetSuite internal ids, written as
/// strings.
///
/// ```json
/// {
///   "autoAcknowledge": {
///     "retailProcurement": false,
///     "directFulfillment": true
///   },
///   "customers": {
///     "retailProcurement": {
///       "customer": "1234",
///       "subsidiary": "1",
///       "location": "3",
///       "form": "68",
///       "bySellingParty": {
///         "ABCDE": { "customer": "1240", "location": "4" }
///       }
///     },
///     "directFulfillment": { "customer": "1250", "subsidiary": "1", "location": "5" }
///   },
///   "currencies": { "USD": "1" },
///   "items": {
///     "byVendorSku": {
///       "9780321127426": { "item": "98" },
///       "COFFEE-BEANS": { "item": "120", "weightPerEach": { "pounds": "2.2", "kilograms": "1" } }
///     },
///     "byAsin": {
///       "B00EXAMPLE": { "item": "99" }
///     }
///   },
///   "policies": {
///     "unmappedItem": "holdForReview",
///     "changedAfterAcknowledgement": "reviewEachOrder",
///     "defaultRejectionReason": "TemporarilyUnavailable",
///     "deadlineWarningMinutes": 240,
///     "approvalOverdueMinutes": 720,
///     "onAmazonRejection": "returnToPendingApproval"
///   },
///   "listPriceVendorCodes": ["BOOKS"]
/// }
/// ```
///
/// | key | meaning | default |
/// |---|---|---|
/// | `autoAcknowledge.retailProcurement` | acknowledge Retail Procurement orders as soon as they arrive, every line accepted as ordered, and create the sales order Pending Fulfillment once Amazon confirms (NetSuite Connector's "Post Auto Acknowledgement for Retail Procurement to Amazon") | `false`: the sales order is created Pending Approval and the acknowledgement is built from the approved order |
/// | `autoAcknowledge.directFulfillment` | the same for Direct Fulfillment (code `00`, whole order) | `false` |
/// | `customers.<program>.customer` | the NetSuite customer (`entity`) for the program's orders; one fixed "Amazon" customer is the usual choice for Retail Procurement | none: an order with no customer is held with a problem |
/// | `customers.<program>.subsidiary` | the subsidiary, for OneWorld accounts | not sent: the customer's primary subsidiary |
/// | `customers.<program>.location` | the location | not sent |
/// | `customers.<program>.form` | the custom sales-order form (`customForm`) | not sent: the preferred form |
/// | `customers.<program>.bySellingParty.<vendor code>` | the same four keys for orders placed with one vendor code (`sellingParty.partyId`); `customer` is required here, the others fall back to the program's | none |
/// | `currencies.<ISO 4217 code>` | the NetSuite currency record for the code; an order priced in a currency not listed is held with a problem | none |
/// | `items.byVendorSku.<vendor SKU>` | the NetSuite item for Amazon's `vendorProductIdentifier`, tried first | none |
/// | `items.byAsin.<ASIN>` | the NetSuite item for Amazon's ASIN, tried when the vendor SKU is absent or not mapped | none |
/// | `items.*.*.item` | (required) the NetSuite item's internal id | |
/// | `items.*.*.weightPerEach.<unit>` | for items Amazon prices per weight (`pounds`, `ounces`, `grams`, `kilograms`): how much one each weighs in that unit, as a decimal string; the rate is the price per unit times this. A weight-priced line with no entry for its unit is held with a problem, never guessed | none |
/// | `policies.unmappedItem` | `holdForReview`: hold the whole order with a problem naming the line; `rejectLine`: leave the line out of the sales order and reject it with `InvalidProductIdentifier` (a Direct Fulfillment order, accepted or rejected whole, is then rejected with code `02`) | `holdForReview` |
/// | `policies.changedAfterAcknowledgement` | what happens when Amazon changes an acknowledged PO's quantities or lines (NetSuite Connector's three modes): `updateSalesOrder` overwrites the sales order's lines, `reviewEachOrder` holds the order for an operator to post the update or cancel, `cancelSalesOrder` closes the sales order | `reviewEachOrder` |
/// | `policies.defaultRejectionReason` | Amazon's reason for quantities a reviewer removed or lines a reviewer closed: `TemporarilyUnavailable`, `InvalidProductIdentifier` or `ObsoleteProduct` (for Direct Fulfillment: codes `03`, `02` and `71`) | `TemporarilyUnavailable` |
/// | `policies.deadlineWarningMinutes` | how many minutes before the 24-hour acknowledgement deadline an unacknowledged order raises a warning | `240` |
/// | `policies.approvalOverdueMinutes` | how many minutes a sales order may wait in NetSuite Pending Approval before the order raises a notice (once per wait; a held order raises none) | `720` (12 hours) |
/// | `policies.onAmazonRejection` | what happens to the sales order while Amazon's rejection of an acknowledgement stands: `returnToPendingApproval` sets it back to Pending Approval (NetSuite's "not yet approved", so nothing ships) and keeps Amazon's reason with the order; the reviewer updates the order and approves it again, and that approval (or the Repost action, which approves the order if it is still pending) sends the acknowledgement of the order as it then stands. `leaveApproved` leaves it as it is until the Repost action. An order acknowledged automatically that has no sales order yet is not affected, and a sales order NetSuite shows closed, cancelled or fulfilled keeps its status (it cannot go back to Pending Approval): the order waits for the Repost action, which acknowledges it as it stands | `returnToPendingApproval` |
/// | `listPriceVendorCodes` | vendor codes (`sellingParty.partyId`) that sell books at list price, as Amazon requires them to say: their retail acknowledgements carry each line's `listPrice` (Amazon's, from the PO) and the `discountMultiplier`, the confirmed net cost over the list price, exact. A line with no list price, or whose net cost over its list price has no exact decimal, holds the order with a problem naming the PO, the line and the field | none |
///
/// # Example
/// ```
/// use avc_order_sync::settings::Settings;
/// use avc_order_sync::Program;
///
/// let settings = Settings::from_json(r#"{
///     "autoAcknowledge": { "directFulfillment": true },
///     "customers": { "retailProcurement": { "customer": "1234" } },
///     "currencies": { "USD": "1" }
/// }"#)?;
/// assert!(!settings.is_auto_acknowledged(Program::RetailProcurement));
/// assert!(settings.is_auto_acknowledged(Program::DirectFulfillment));
/// # Ok::<(), avc_order_sync::settings::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Which programs are acknowledged automatically.
    pub auto_acknowledge: AutoAcknowledge,
    /// The NetSuite customer, subsidiary, location and form per program.
    pub customers: Customers,
    /// NetSuite currency records by ISO 4217 code.
    pub currencies: BTreeMap<CurrencyCode, InternalId>,
    /// Amazon items to NetSuite items.
    pub items: ItemMap,
    /// What to do in the cases the sync cannot decide by itself.
    pub policies: Policies,
    /// Vendor codes that sell books at list price: their retail acknowledgements
    /// carry `listPrice` and `discountMultiplier` ([`Settings::sells_at_list_price`]).
    pub list_price_vendor_codes: BTreeSet<PartyId>,
    /// Amazon's compliance clocks and the guards that hold an order for a person
    /// ([`crate::compliance`]).
    pub compliance: ComplianceRules,
}

/// The two auto-acknowledgement switches, one per program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AutoAcknowledge {
    /// Acknowledge Retail Procurement orders on arrival.
    pub retail_procurement: bool,
    /// Acknowledge Direct Fulfillment orders on arrival.
    pub direct_fulfillment: bool,
}

/// The customer settings of both programs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Customers {
    /// Retail Procurement.
    pub retail_procurement: ProgramCustomer,
    /// Direct Fulfillment.
    pub direct_fulfillment: ProgramCustomer,
}

/// One program's NetSuite customer, subsidiary, location and form, optionally per
/// selling party.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ProgramCustomer {
    /// The customer for the program's orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<InternalId>,
    /// The subsidiary (OneWorld accounts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsidiary: Option<InternalId>,
    /// The location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<InternalId>,
    /// The custom form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<InternalId>,
    /// Overrides for orders placed with one vendor code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_selling_party: BTreeMap<PartyId, SellingPartyCustomer>,
}

/// The customer for one selling party (vendor code); the other fields fall back to the
/// program's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SellingPartyCustomer {
    /// The customer.
    pub customer: InternalId,
    /// The subsidiary, if it differs from the program's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidiary: Option<InternalId>,
    /// The location, if it differs from the program's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<InternalId>,
    /// The form, if it differs from the program's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<InternalId>,
}

/// The customer, subsidiary, location and form resolved for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCustomer {
    /// The customer.
    pub customer: InternalId,
    /// The subsidiary.
    pub subsidiary: Option<InternalId>,
    /// The location.
    pub location: Option<InternalId>,
    /// The form.
    pub form: Option<InternalId>,
}

/// Amazon items to NetSuite items: by vendor SKU first, then by ASIN.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ItemMap {
    /// By `vendorProductIdentifier`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_vendor_sku: BTreeMap<VendorSku, ItemTarget>,
    /// By ASIN, the fallback key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_asin: BTreeMap<Asin, ItemTarget>,
}

/// Which map entry matched a line, and the key it matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemMatch<'a> {
    /// The entry.
    pub target: &'a ItemTarget,
    /// The key it matched (the vendor SKU or the ASIN), for problems.
    pub key: &'a str,
}

impl ItemMap {
    /// The NetSuite item for a PO line: its vendor SKU if mapped, else its ASIN.
    pub fn lookup<'a>(&'a self, line: &'a OrderLine) -> Option<ItemMatch<'a>> {
        let by_sku = line.vendor_sku.as_ref().and_then(|sku| {
            self.by_vendor_sku.get(sku).map(|target| ItemMatch {
                target,
                key: sku.as_str(),
            })
        });
        by_sku.or_else(|| {
            line.asin.as_ref().and_then(|asin| {
                self.by_asin.get(asin).map(|target| ItemMatch {
                    target,
                    key: asin.as_str(),
                })
            })
        })
    }
}

/// A NetSuite item, with the weight of one each for items Amazon prices per weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemTarget {
    /// The NetSuite item's internal id.
    pub item: InternalId,
    /// How much one each weighs, per unit Amazon may price in.
    #[serde(default, skip_serializing_if = "WeightPerEach::is_empty")]
    pub weight_per_each: WeightPerEach,
}

/// The weight of one each in the units Amazon may price in; a unit left out has no
/// conversion, and a line priced per that unit is held with a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WeightPerEach {
    /// Pounds per each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pounds: Option<Decimal>,
    /// Ounces per each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ounces: Option<Decimal>,
    /// Grams per each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grams: Option<Decimal>,
    /// Kilograms per each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kilograms: Option<Decimal>,
}

impl WeightPerEach {
    /// The weight of one each in `unit`, when configured.
    pub fn get(&self, unit: WeightUnit) -> Option<Decimal> {
        match unit {
            WeightUnit::Pounds => self.pounds,
            WeightUnit::Ounces => self.ounces,
            WeightUnit::Grams => self.grams,
            WeightUnit::Kilograms => self.kilograms,
        }
    }

    /// `true` when no unit is configured.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The configured units and weights.
    pub fn iter(&self) -> impl Iterator<Item = (WeightUnit, Decimal)> + '_ {
        [
            WeightUnit::Pounds,
            WeightUnit::Ounces,
            WeightUnit::Grams,
            WeightUnit::Kilograms,
        ]
        .into_iter()
        .filter_map(|u| self.get(u).map(|w| (u, w)))
    }
}

fn unit_key(unit: WeightUnit) -> &'static str {
    match unit {
        WeightUnit::Pounds => "pounds",
        WeightUnit::Ounces => "ounces",
        WeightUnit::Grams => "grams",
        WeightUnit::Kilograms => "kilograms",
    }
}

/// The policies for what the sync cannot decide by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Policies {
    /// What a line with no mapped item does.
    pub unmapped_item: UnmappedItemPolicy,
    /// What a change Amazon makes after acknowledgement does.
    pub changed_after_acknowledgement: ChangedAfterAcknowledgementPolicy,
    /// The reason sent for quantities a reviewer removed.
    pub default_rejection_reason: RejectionReason,
    /// Minutes before the acknowledgement deadline to warn.
    pub deadline_warning_minutes: u32,
    /// What Amazon's rejection of an acknowledgement does to the sales order.
    pub on_amazon_rejection: OnAmazonRejectionPolicy,
    /// Minutes a sales order may wait in Pending Approval before a notice.
    pub approval_overdue_minutes: u32,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            unmapped_item: UnmappedItemPolicy::default(),
            changed_after_acknowledgement: ChangedAfterAcknowledgementPolicy::default(),
            default_rejection_reason: RejectionReason::TemporarilyUnavailable,
            deadline_warning_minutes: 240,
            on_amazon_rejection: OnAmazonRejectionPolicy::default(),
            approval_overdue_minutes: 720,
        }
    }
}

/// What a PO line whose item is not in the item map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UnmappedItemPolicy {
    /// Hold the whole order for review, with a problem naming the line and its keys.
    #[default]
    HoldForReview,
    /// Leave the line out of the sales order and reject it with
    /// `InvalidProductIdentifier` (Direct Fulfillment: reject the order, code `02`).
    RejectLine,
}

/// What happens when Amazon changes a PO's quantities or lines after it was
/// acknowledged: NetSuite Connector's three modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangedAfterAcknowledgementPolicy {
    /// Overwrite the sales order's lines with Amazon's ("Update NetSuite Order Data").
    UpdateSalesOrder,
    /// Hold the order for an operator to post the update or cancel ("Review Each
    /// Order").
    #[default]
    ReviewEachOrder,
    /// Close the sales order ("Cancel Order in NetSuite if Order Data is Updated After
    /// Acknowledgement").
    CancelSalesOrder,
}

/// What happens to an order's sales order while Amazon's rejection of its
/// acknowledgement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnAmazonRejectionPolicy {
    /// Set the sales order back to Pending Approval, so that a warehouse cannot ship
    /// what Amazon refused; the reviewer's next approval (or the Repost action) sends
    /// the acknowledgement of the order as it then stands.
    #[default]
    ReturnToPendingApproval,
    /// Leave the sales order as it is; only the Repost action sends a new
    /// acknowledgement.
    LeaveApproved,
}

/// Why settings could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The text is not the settings' JSON form: bad syntax, an unknown key, or a value
    /// of the wrong shape. The message names the line and column.
    #[error("settings are not valid JSON settings: {0}")]
    Json(#[from] serde_json::Error),
    /// A value has the right shape but cannot be used.
    #[error("settings field `{field}` is invalid: {reason}")]
    Invalid {
        /// The field's path (`items.byVendorSku.ABC.weightPerEach.pounds`).
        field: String,
        /// Why, in lower case.
        reason: String,
    },
}

impl Settings {
    /// Reads settings from their JSON form and checks the values.
    ///
    /// # Errors
    /// [`SettingsError::Json`] when the text is not the documented form;
    /// [`SettingsError::Invalid`] when a weight per each is not above zero.
    pub fn from_json(text: &str) -> Result<Self, SettingsError> {
        let settings: Settings = serde_json::from_str(text)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the values the JSON shape cannot: every weight per each is above zero,
    /// every rejection-rate guard at most 100 per cent.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the first bad field.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let maps = [
            (
                "byVendorSku",
                self.items
                    .by_vendor_sku
                    .iter()
                    .map(|(k, v)| (k.as_str(), v))
                    .collect::<Vec<_>>(),
            ),
            (
                "byAsin",
                self.items
                    .by_asin
                    .iter()
                    .map(|(k, v)| (k.as_str(), v))
                    .collect(),
            ),
        ];
        for (map, entries) in maps {
            for (key, target) in entries {
                for (unit, weight) in target.weight_per_each.iter() {
                    if !weight.is_positive() {
                        return Err(SettingsError::Invalid {
                            field: format!("items.{map}.{key}.weightPerEach.{}", unit_key(unit)),
                            reason: format!("the weight per each must be above zero, not {weight}"),
                        });
                    }
                }
            }
        }
        for (i, guard) in self.compliance.rejection_rate_guards.iter().enumerate() {
            if guard.max_rejected_percent > 100 {
                return Err(SettingsError::Invalid {
                    field: format!("compliance.rejectionRateGuards.{i}.maxRejectedPercent"),
                    reason: format!(
                        "a share of a line is at most 100 per cent, not {}",
                        guard.max_rejected_percent
                    ),
                });
            }
        }
        Ok(())
    }

    /// Whether orders of `program` are acknowledged automatically.
    pub fn is_auto_acknowledged(&self, program: Program) -> bool {
        match program {
            Program::RetailProcurement => self.auto_acknowledge.retail_procurement,
            Program::DirectFulfillment => self.auto_acknowledge.direct_fulfillment,
        }
    }

    /// The customer settings of `program`.
    pub fn program_customer(&self, program: Program) -> &ProgramCustomer {
        match program {
            Program::RetailProcurement => &self.customers.retail_procurement,
            Program::DirectFulfillment => &self.customers.direct_fulfillment,
        }
    }

    /// The customer, subsidiary, location and form for an order of `program` placed
    /// with `selling_party`; `None` when no customer is configured for it.
    pub fn customer_for(
        &self,
        program: Program,
        selling_party: &PartyId,
    ) -> Option<ResolvedCustomer> {
        let p = self.program_customer(program);
        match p.by_selling_party.get(selling_party) {
            Some(o) => Some(ResolvedCustomer {
                customer: o.customer.clone(),
                subsidiary: o.subsidiary.clone().or_else(|| p.subsidiary.clone()),
                location: o.location.clone().or_else(|| p.location.clone()),
                form: o.form.clone().or_else(|| p.form.clone()),
            }),
            None => p.customer.clone().map(|customer| ResolvedCustomer {
                customer,
                subsidiary: p.subsidiary.clone(),
                location: p.location.clone(),
                form: p.form.clone(),
            }),
        }
    }

    /// Whether the vendor code sells books at list price: Amazon then requires the list
    /// price and the `discountMultiplier` on each line of a retail acknowledgement.
    pub fn sells_at_list_price(&self, selling_party: &PartyId) -> bool {
        self.list_price_vendor_codes.contains(selling_party)
    }

    /// The lead time of the deadline warning.
    pub fn deadline_warning(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::minutes(i64::from(self.policies.deadline_warning_minutes))
    }

    /// How long a sales order may wait in Pending Approval before
    /// [`crate::lifecycle::Notice::ApprovalOverdue`].
    pub fn approval_overdue(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::minutes(i64::from(self.policies.approval_overdue_minutes))
    }
}

/// The Direct Fulfillment status code that rejects an order for `reason`.
pub fn df_rejection_code(reason: RejectionReason) -> &'static str {
    match reason {
        RejectionReason::TemporarilyUnavailable => df_status::OUT_OF_STOCK,
        RejectionReason::InvalidProductIdentifier => df_status::INVALID_SKU,
        RejectionReason::ObsoleteProduct => df_status::DISCONTINUED,
    }
}

impl fmt::Display for UnmappedItemPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnmappedItemPolicy::HoldForReview => "holdForReview",
            UnmappedItemPolicy::RejectLine => "rejectLine",
        })
    }
}

impl fmt::Display for OnAmazonRejectionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnAmazonRejectionPolicy::ReturnToPendingApproval => "returnToPendingApproval",
            OnAmazonRejectionPolicy::LeaveApproved => "leaveApproved",
        })
    }
}

impl fmt::Display for ChangedAfterAcknowledgementPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangedAfterAcknowledgementPolicy::UpdateSalesOrder => "updateSalesOrder",
            ChangedAfterAcknowledgementPolicy::ReviewEachOrder => "reviewEachOrder",
            ChangedAfterAcknowledgementPolicy::CancelSalesOrder => "cancelSalesOrder",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../examples/settings.json");

    #[test]
    fn the_default_acknowledges_nothing_automatically() {
        let s = Settings::default();
        assert!(!s.is_auto_acknowledged(Program::RetailProcurement));
        assert!(!s.is_auto_acknowledged(Program::DirectFulfillment));
        assert_eq!(s.policies.unmapped_item, UnmappedItemPolicy::HoldForReview);
        assert_eq!(
            s.policies.default_rejection_reason,
            RejectionReason::TemporarilyUnavailable
        );
        assert_eq!(Settings::from_json("{}").unwrap(), s);
    }

    #[test]
    fn the_example_file_loads_and_round_trips() {
        let s = Settings::from_json(EXAMPLE).unwrap();
        assert!(
            s.customer_for(Program::RetailProcurement, &PartyId::new("ZZZZZ").unwrap())
                .is_some()
        );
        let again: Settings = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn selling_party_overrides_fall_back_to_the_program() {
        let s = Settings::from_json(
            r#"{"customers":{"retailProcurement":{"customer":"1","location":"3","form":"68",
               "bySellingParty":{"ABCDE":{"customer":"2","location":"4"}}}}}"#,
        )
        .unwrap();
        let c = s
            .customer_for(Program::RetailProcurement, &PartyId::new("ABCDE").unwrap())
            .unwrap();
        assert_eq!(c.customer.as_str(), "2");
        assert_eq!(c.location.unwrap().as_str(), "4");
        assert_eq!(c.form.unwrap().as_str(), "68");
        assert!(
            s.customer_for(Program::DirectFulfillment, &PartyId::new("ABCDE").unwrap())
                .is_none()
        );
    }

    #[test]
    fn unknown_keys_and_bad_weights_are_refused() {
        let err = Settings::from_json(r#"{"autoAcknowledge":{"retail":true}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `retail`"), "{err}");
        let err = Settings::from_json(
            r#"{"items":{"byVendorSku":{"X":{"item":"1","weightPerEach":{"pounds":"0"}}}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "settings field `items.byVendorSku.X.weightPerEach.pounds` is invalid: the weight per each must be above zero, not 0"
        );
    }

    #[test]
    fn a_rejection_returns_the_sales_order_to_pending_approval_unless_told_otherwise() {
        assert_eq!(
            Settings::default().policies.on_amazon_rejection,
            OnAmazonRejectionPolicy::ReturnToPendingApproval
        );
        let s =
            Settings::from_json(r#"{"policies":{"onAmazonRejection":"leaveApproved"}}"#).unwrap();
        assert_eq!(
            s.policies.on_amazon_rejection,
            OnAmazonRejectionPolicy::LeaveApproved
        );
        assert_eq!(s.policies.on_amazon_rejection.to_string(), "leaveApproved");
        let written = serde_json::to_value(&s).unwrap();
        assert_eq!(written["policies"]["onAmazonRejection"], "leaveApproved");
        assert!(Settings::from_json(r#"{"policies":{"onAmazonRejection":"leave"}}"#).is_err());
    }

    #[test]
    fn rejection_reasons_have_direct_fulfillment_codes() {
        assert_eq!(
            df_rejection_code(RejectionReason::TemporarilyUnavailable),
            "03"
        );
        assert_eq!(
            df_rejection_code(RejectionReason::InvalidProductIdentifier),
            "02"
        );
        assert_eq!(df_rejection_code(RejectionReason::ObsoleteProduct), "71");
    }
}
