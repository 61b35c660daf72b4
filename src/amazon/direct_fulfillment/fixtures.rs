//! Small bodies copied from Amazon's Direct Fulfillment models (sandbox cases and
//! examples), and a round-trip check that names the key path that differs.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The order of the v1 `getOrder` sandbox case for `2JK3S9VC`: two items, `EACH`.
pub(super) const V1_ORDER_2JK3S9VC: &str = r##"
{
  "purchaseOrderNumber": "2JK3S9VC",
  "orderDetails": {
    "customerOrderNumber": "123-ABC",
    "orderDate": "2020-02-20T13:51:00Z",
    "orderStatus": "NEW",
    "shipmentDetails": {
      "isPriorityShipment": false,
      "isScheduledDeliveryShipment": false,
      "isPslipRequired": true,
      "isGift": false,
      "shipMethod": "UPS_2ND",
      "shipmentDates": {
        "requiredShipDate": "2020-02-21T00:00:00Z",
        "promisedDeliveryDate": "2020-02-24T00:00:00Z"
      },
      "messageToCustomer": "This shipment completes your order. You can always check the status of your orders from the \"Your Account\" link at the top of each page of our site.Thank you for shopping at Amazon.com"
    },
    "taxTotal": {
      "taxLineItem": [
        {
          "taxRate": "0.1",
          "taxAmount": {
            "currencyCode": "USD",
            "amount": "190"
          },
          "type": "TOTAL"
        }
      ]
    },
    "sellingParty": {
      "partyId": "999US"
    },
    "shipFromParty": {
      "partyId": "ABCD"
    },
    "shipToParty": {
      "name": "ABCD",
      "attention": "ABCD",
      "addressLine1": "123 XYZ Street",
      "addressLine2": "Apt 5",
      "city": "San Jose",
      "stateOrRegion": "CA",
      "postalCode": "94086",
      "countryCode": "USA"
    },
    "billToParty": {
      "partyId": "ABCD"
    },
    "items": [
      {
        "itemSequenceNumber": "00001",
        "buyerProductIdentifier": "B07DFVDRAB",
        "vendorProductIdentifier": "8806098286500",
        "title": "LG 8 kg Inverter Wi-Fi Fully-Automatic Front Loading Washing Machine (FHT1408SWS, STS-VCM, Inbuilt Heater)",
        "orderedQuantity": {
          "amount": 1,
          "unitOfMeasure": "EACH"
        },
        "netPrice": {
          "currencyCode": "USD",
          "amount": "500"
        },
        "taxDetails": {
          "taxLineItem": [
            {
              "taxRate": "0.1",
              "taxAmount": {
                "currencyCode": "USD",
                "amount": "50"
              },
              "type": "TOTAL"
            }
          ]
        }
      },
      {
        "itemSequenceNumber": "00002",
        "buyerProductIdentifier": "B07DFYF5AB",
        "vendorProductIdentifier": "8806098286123",
        "title": "LG 6.5 kg Inverter Fully-Automatic Front Loading Washing Machine (FHT1065SNW, Blue and White, Inbuilt Heater)",
        "orderedQuantity": {
          "amount": 2,
          "unitOfMeasure": "EACH"
        },
        "netPrice": {
          "currencyCode": "USD",
          "amount": "700"
        },
        "taxDetails": {
          "taxLineItem": [
            {
              "taxRate": "0.1",
              "taxAmount": {
                "currencyCode": "USD",
                "amount": "140"
              },
              "type": "TOTAL"
            }
          ]
        }
      }
    ]
  }
}
"##;

/// The 2021-12-28 `getOrder` example: `hasCustomizableItems` and `buyerCustomizedInfo`.
pub(super) const V2021_ORDER_2JK3S9VC: &str = r##"
{
  "purchaseOrderNumber": "2JK3S9VC",
  "orderDetails": {
    "customerOrderNumber": "123-ABC",
    "orderDate": "2020-02-20T13:51:00Z",
    "orderStatus": "NEW",
    "shipmentDetails": {
      "isPriorityShipment": false,
      "isScheduledDeliveryShipment": false,
      "isPslipRequired": true,
      "isGift": false,
      "shipMethod": "UPS_2ND",
      "shipmentDates": {
        "requiredShipDate": "2020-02-21T00:00:00Z",
        "promisedDeliveryDate": "2020-02-24T00:00:00Z"
      },
      "messageToCustomer": "This shipment completes your order. You can always check the status of your orders from the \"Your Account\" link at the top of each page of our site.Thank you for shopping at Amazon.com"
    },
    "taxTotal": {
      "taxLineItem": [
        {
          "taxAmount": {
            "currencyCode": "USD",
            "amount": "190"
          },
          "type": "TOTAL"
        }
      ]
    },
    "sellingParty": {
      "partyId": "999US"
    },
    "shipFromParty": {
      "partyId": "ABCD"
    },
    "shipToParty": {
      "name": "ABCD",
      "attention": "ABCD",
      "addressLine1": "123 XYZ Street",
      "addressLine2": "Apt 5",
      "city": "San Jose",
      "stateOrRegion": "CA",
      "postalCode": "94086",
      "countryCode": "USA"
    },
    "billToParty": {
      "partyId": "ABCD"
    },
    "hasCustomizableItems": true,
    "items": [
      {
        "itemSequenceNumber": "00001",
        "buyerProductIdentifier": "B07DFVDRAB",
        "vendorProductIdentifier": "8806098286500",
        "title": "LG 8 kg Inverter Wi-Fi Fully-Automatic Front Loading Washing Machine (FHT1408SWS, STS-VCM, Inbuilt Heater)",
        "orderedQuantity": {
          "amount": 1,
          "unitOfMeasure": "EACH"
        },
        "netPrice": {
          "currencyCode": "USD",
          "amount": "500"
        },
        "taxDetails": {
          "taxLineItem": [
            {
              "taxRate": "0.1",
              "taxAmount": {
                "currencyCode": "USD",
                "amount": "50"
              },
              "type": "TOTAL"
            }
          ]
        },
        "buyerCustomizedInfo": {
          "customizedUrl": "aHR0cHM6Ly8xcC1kZi1wdWJsaWMtZGF0YS5zMy5hbWF6b25hd3MuY29tLzExMS0xMjYwNzQ1LTYyOTE0MTZfNTgzNjIxNTQwMTM1NjEuemlw"
        }
      },
      {
        "itemSequenceNumber": "00002",
        "buyerProductIdentifier": "B07DFYF5AB",
        "vendorProductIdentifier": "8806098286123",
        "title": "LG 6.5 kg Inverter Fully-Automatic Front Loading Washing Machine (FHT1065SNW, Blue and White, Inbuilt Heater)",
        "orderedQuantity": {
          "amount": 2,
          "unitOfMeasure": "EACH"
        },
        "netPrice": {
          "currencyCode": "USD",
          "amount": "700"
        },
        "taxDetails": {
          "taxLineItem": [
            {
              "taxRate": "0.1",
              "taxAmount": {
                "currencyCode": "USD",
                "amount": "140"
              },
              "type": "TOTAL"
            }
          ]
        }
      }
    ]
  }
}
"##;

/// The request body of the v1 `submitAcknowledgement` sandbox 202 case.
pub(super) const V1_ACKNOWLEDGEMENT_202: &str = r##"
{
  "orderAcknowledgements": [
    {
      "purchaseOrderNumber": "2JK3S9VC",
      "vendorOrderNumber": "ABC",
      "acknowledgementDate": "2020-02-20T19:17:34.304Z",
      "acknowledgementStatus": {
        "code": "00",
        "description": "Shipping 100 percent of ordered product"
      },
      "sellingParty": {
        "partyId": "999US"
      },
      "shipFromParty": {
        "partyId": "ABCD"
      },
      "itemAcknowledgements": [
        {
          "itemSequenceNumber": "00001",
          "buyerProductIdentifier": "B07DFVDRAB",
          "vendorProductIdentifier": "8806098286500",
          "acknowledgedQuantity": {
            "amount": 1,
            "unitOfMeasure": "Each"
          }
        }
      ]
    }
  ]
}
"##;

/// The 2021-12-28 `getOrders` example shape: a bare list with a token.
pub(super) fn v2021_order_list() -> String {
    format!(
        r#"{{"pagination":{{"nextToken":"MDAwMDAwMDAwMQ=="}},"orders":[{V2021_ORDER_2JK3S9VC}]}}"#
    )
}

/// Reads `text` as `T`, writes it back and asserts the JSON is unchanged.
pub(super) fn assert_round_trip<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let read: Value = serde_json::from_str(text).expect("the fixture is JSON");
    let typed: T = serde_json::from_value(read.clone()).expect("the fixture reads");
    let written = serde_json::to_value(&typed).expect("the value writes");
    if let Some(diff) = crate::testing::json::first_difference(&read, &written) {
        panic!("round trip changed {diff}");
    }
    typed
}
