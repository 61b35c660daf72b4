//! Retail Procurement: Amazon's Vendor Orders v1 bodies (`/vendor/orders/v1`).
//!
//! Received bodies ([`GetPurchaseOrdersResponse`], [`GetPurchaseOrderResponse`],
//! [`SubmitAcknowledgementResponse`], [`GetPurchaseOrdersStatusResponse`]) are lenient:
//! every field is `Option`, even those the model requires, because the sandbox leaves
//! some out; dates and decimals are the text Amazon sent; enums keep values this
//! version does not know. Reading and writing one gives back the same JSON.
//! [`Order::to_purchase_order`] is where an order is validated, reporting every
//! problem at once, so one bad order is set aside and the rest of its page goes on.
//!
//! The acknowledgement request ([`SubmitAcknowledgementRequest`]) is strict: exact
//! field names in the model's order, enums spelled as the model spells them, `None`
//! omitted, and unknown fields refused, because Amazon rejects a body with anything
//! extra in it.
//!
//! Here: the received enums. Beside them, one file each: the received bodies
//! (`bodies.rs`), the status report (`status.rs`), the conversion into the domain
//! (`convert.rs`) and the acknowledgement request (`acknowledgement.rs`).

use super::lenient_enum;

mod acknowledgement;
mod bodies;
mod convert;
#[cfg(test)]
mod fixtures;
mod status;
#[cfg(test)]
mod tests;

pub use acknowledgement::{
    AcknowledgementMoney, AcknowledgementParty, AcknowledgementQuantity, OrderAcknowledgement,
    OrderAcknowledgementItem, OrderItemAcknowledgement, SubmitAcknowledgementRequest,
    WeightUnitOfMeasure,
};
pub use bodies::{
    Address, GetPurchaseOrderResponse, GetPurchaseOrdersResponse, ImportDetails, ItemQuantity,
    Money, Order, OrderDetails, OrderItem, OrderList, Pagination, PartyIdentification,
    SubmitAcknowledgementResponse, TaxRegistrationDetails, TransactionReference,
};
pub use status::{
    AcknowledgementStatus, AcknowledgementStatusDetails, GetPurchaseOrdersStatusResponse,
    OrderItemStatus, OrderListStatus, OrderStatus, OrderedQuantityDetails, OrderedQuantityStatus,
    ReceivingStatus,
};

// ---------------------------------------------------------------------------------
// Received enums
// ---------------------------------------------------------------------------------

lenient_enum! {
    /// `purchaseOrderState`: where the PO is in Amazon's process.
    pub enum PurchaseOrderState {
        /// Newly created; the vendor must acknowledge it.
        New = "New",
        /// The vendor has acknowledged it.
        Acknowledged = "Acknowledged",
        /// Nothing more is expected of the vendor (rejected, cancelled or fully received).
        Closed = "Closed",
    }
}

lenient_enum! {
    /// `purchaseOrderType`.
    pub enum PurchaseOrderType {
        /// A one-time purchase of a specific quantity at a unit price.
        RegularOrder = "RegularOrder",
        /// Stock received but owned by the vendor until used.
        ConsignedOrder = "ConsignedOrder",
        /// An order introducing a new product.
        NewProductIntroduction = "NewProductIntroduction",
        /// Goods needed sooner than the standard arrival date.
        RushOrder = "RushOrder",
    }
}

lenient_enum! {
    /// `paymentMethod`.
    pub enum PaymentMethod {
        /// Paid against the vendor's invoice.
        Invoice = "Invoice",
        /// Paid after the goods sell.
        Consignment = "Consignment",
        /// Paid by credit card.
        CreditCard = "CreditCard",
        /// Paid in advance.
        Prepaid = "Prepaid",
    }
}

lenient_enum! {
    /// `importDetails.methodOfPayment`: who pays for shipping an import PO.
    pub enum MethodOfPayment {
        /// The buyer pays.
        PaidByBuyer = "PaidByBuyer",
        /// The buyer pays on delivery.
        CollectOnDelivery = "CollectOnDelivery",
        /// As agreed between buyer and seller.
        DefinedByBuyerAndSeller = "DefinedByBuyerAndSeller",
        /// The seller pays, loading and shipping included.
        FobPortOfCall = "FOBPortOfCall",
        /// The seller prepays.
        PrepaidBySeller = "PrepaidBySeller",
        /// The seller pays.
        PaidBySeller = "PaidBySeller",
    }
}

lenient_enum! {
    /// `importDetails.internationalCommercialTerms`: the Incoterm of an import PO.
    pub enum InternationalCommercialTerms {
        /// EXW.
        ExWorks = "ExWorks",
        /// FCA.
        FreeCarrier = "FreeCarrier",
        /// FOB.
        FreeOnBoard = "FreeOnBoard",
        /// FAS.
        FreeAlongSideShip = "FreeAlongSideShip",
        /// CPT.
        CarriagePaidTo = "CarriagePaidTo",
        /// CFR.
        CostAndFreight = "CostAndFreight",
        /// CIP.
        CarriageAndInsurancePaidTo = "CarriageAndInsurancePaidTo",
        /// CIF.
        CostInsuranceAndFreight = "CostInsuranceAndFreight",
        /// DAT.
        DeliveredAtTerminal = "DeliveredAtTerminal",
        /// DAP.
        DeliveredAtPlace = "DeliveredAtPlace",
        /// DDP.
        DeliverDutyPaid = "DeliverDutyPaid",
    }
}

lenient_enum! {
    /// `taxRegistrationType`.
    pub enum TaxRegistrationType {
        /// Value-added tax.
        Vat = "VAT",
        /// Goods and services tax.
        Gst = "GST",
    }
}

lenient_enum! {
    /// `ItemQuantity.unitOfMeasure` as received; Amazon also sends `CASES`, which
    /// [`UnitOfMeasure::known`] maps to `Cases`.
    pub enum UnitOfMeasure {
        /// Cases of `unitSize` eaches.
        Cases = "Cases",
        /// Single units.
        Eaches = "Eaches",
    }
}

lenient_enum! {
    /// `Money.unitOfMeasure`: the weight unit a price is quoted per. Absent means
    /// the price is per each.
    pub enum PriceUnitOfMeasure {
        /// Per pound.
        Pounds = "POUNDS",
        /// Per ounce.
        Ounces = "OUNCES",
        /// Per gram.
        Grams = "GRAMS",
        /// Per kilogram.
        Kilograms = "KILOGRAMS",
    }
}

lenient_enum! {
    /// `purchaseOrderStatus` in the status report.
    pub enum PurchaseOrderStatus {
        /// Amazon has not yet received every item.
        Open = "OPEN",
        /// Amazon has received every item.
        Closed = "CLOSED",
    }
}

lenient_enum! {
    /// `acknowledgementStatus.confirmationStatus`: how Amazon recorded the vendor's
    /// acknowledgement of a line.
    pub enum ConfirmationStatus {
        /// Accepted in full.
        Accepted = "ACCEPTED",
        /// Accepted in part.
        PartiallyAccepted = "PARTIALLY_ACCEPTED",
        /// Rejected.
        Rejected = "REJECTED",
        /// Not yet acknowledged.
        Unconfirmed = "UNCONFIRMED",
    }
}

lenient_enum! {
    /// `receivingStatus.receiveStatus`: how much of a line Amazon has received.
    pub enum ReceiveStatus {
        /// Nothing received yet.
        NotReceived = "NOT_RECEIVED",
        /// Some received, the rest expected.
        PartiallyReceived = "PARTIALLY_RECEIVED",
        /// Everything confirmed has been received.
        Received = "RECEIVED",
    }
}
