//! A small validator for Amazon's SP-API models (Swagger 2.0 JSON), read at run time
//! from `../shared/reference/sp-api` (or the folder named by `AVC_SP_API_MODELS`).
//!
//! It checks what Amazon's own schema check does: `$ref` to `#/definitions/…`,
//! `type`, `required`, `properties` (a member the schema does not name is a violation
//! unless `additionalProperties` allows it), `enum`, `items`, `format: date-time`,
//! `minimum`/`maximum`, `minLength`/`maxLength`. A keyword it cannot check
//! (`pattern`, `allOf`, …) is reported as a violation rather than passed over.
//!
//! The local SP-API (`local.rs`) uses it to refuse what SP-API refuses
//! ([`Models::refusal`]), and the conformance test to check every simulator answer.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Value, json};

/// The model files, by the name used in this module.
pub const MODEL_FILES: [&str; 6] = [
    "vendorOrders.json",
    "vendorTransactionStatus.json",
    "vendorDirectFulfillmentOrdersV1.json",
    "vendorDirectFulfillmentOrders_2021-12-28.json",
    "vendorDirectFulfillmentTransactionsV1.json",
    "vendorDirectFulfillmentTransactions_2021-12-28.json",
];

/// One place where a body departs from the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a JSON path from the body's root (`$.payload.orders[0].…`).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
    /// The shape is the model's but the value is not one it allows (an enum, a
    /// date-time, a length or a bound): SP-API checks values when it processes a
    /// transaction, not when it takes the POST.
    pub value: bool,
    /// The problem in the words of SP-API's schema check, for a refusal's `message`.
    pub amazon: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

/// One Swagger 2.0 document.
pub struct Model {
    /// The file name.
    pub file: String,
    doc: Value,
}

/// An operation a request matches.
pub struct Operation<'a> {
    /// The model declaring it.
    pub model: &'a Model,
    /// Amazon's operation id.
    pub id: &'a str,
    op: &'a Value,
}

/// Every model file.
pub struct Models {
    models: BTreeMap<String, Model>,
}

/// The folder holding the models.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("AVC_SP_API_MODELS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/sp-api"),
    }
}

/// The models, read once; `None` when the folder does not hold them.
pub fn models() -> Option<&'static Models> {
    static MODELS: OnceLock<Option<Models>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let dir = models_dir();
            let mut models = BTreeMap::new();
            for file in MODEL_FILES {
                let text = std::fs::read_to_string(dir.join(file)).ok()?;
                let doc: Value = serde_json::from_str(&text).ok()?;
                models.insert(
                    file.to_owned(),
                    Model {
                        file: file.to_owned(),
                        doc,
                    },
                );
            }
            Some(Models { models })
        })
        .as_ref()
}

/// The models, or a panic naming where they were looked for: for tests that need them.
pub fn required_models() -> &'static Models {
    models().unwrap_or_else(|| {
        panic!(
            "the SP-API models are not at {} (set AVC_SP_API_MODELS)",
            models_dir().display()
        )
    })
}

impl Models {
    /// One model by file name.
    pub fn model(&self, file: &str) -> &Model {
        self.models
            .get(file)
            .unwrap_or_else(|| panic!("no model {file}"))
    }

    /// The operation a request's method and path match, over every model.
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation<'_>> {
        self.models
            .values()
            .find_map(|model| model.operation(method, path))
    }

    /// What SP-API answers a request the model refuses: a query parameter the
    /// operation does not declare, a required one missing, or a body that is not the
    /// operation's request schema. `None` when the request passes (or no model
    /// declares its path: the server's own 404 applies).
    pub fn refusal(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Option<(u16, Value)> {
        let operation = self.operation(method, path)?;
        let violations = operation.check_request(query, body);
        if violations.is_empty() {
            return None;
        }
        let errors: Vec<Value> = violations
            .iter()
            .map(|v| {
                json!({
                    "code": "InvalidInput",
                    "message": v.amazon,
                    "details": wire_path(&v.path),
                })
            })
            .collect();
        Some((400, json!({ "errors": errors })))
    }
}

fn path_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t.starts_with('{') && t.ends_with('}') => {
                if p.is_empty() {
                    return false;
                }
            }
            (Some(t), Some(p)) if t == p => {}
            _ => return false,
        }
    }
}

impl Model {
    /// A definition's schema (`#/definitions/<name>`).
    pub fn definition(&self, name: &str) -> &Value {
        self.doc
            .pointer(&format!("/definitions/{name}"))
            .unwrap_or_else(|| panic!("{} has no definition {name}", self.file))
    }

    /// Validates `value` against the definition `name`.
    pub fn validate(&self, name: &str, value: &Value) -> Vec<Violation> {
        let mut found = Vec::new();
        self.check(self.definition(name), value, "$", &mut found);
        found
    }

    /// Validates `value` against any schema of this model.
    pub fn validate_schema(&self, schema: &Value, value: &Value) -> Vec<Violation> {
        let mut found = Vec::new();
        self.check(schema, value, "$", &mut found);
        found
    }

    /// The operation whose path template and method match.
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation<'_>> {
        let method = method.to_ascii_lowercase();
        self.doc["paths"]
            .as_object()?
            .iter()
            .filter(|(template, _)| path_matches(template, path))
            .find_map(|(_, ops)| {
                let op = ops.get(&method)?;
                Some(Operation {
                    model: self,
                    id: op["operationId"].as_str()?,
                    op,
                })
            })
    }

    /// The schema of the body parameter of `operation_id`, if it takes one.
    pub fn request_schema(&self, operation_id: &str) -> Option<&Value> {
        self.doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .flat_map(|ops| ops.as_object().into_iter().flat_map(|o| o.values()))
            .find(|op| op["operationId"] == operation_id)?["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["in"] == "body")?
            .get("schema")
    }

    /// The schema the model gives a response of `operation_id` with `status`.
    pub fn response_schema(&self, operation_id: &str, status: u16) -> Option<&Value> {
        self.doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .flat_map(|ops| ops.as_object().into_iter().flat_map(|o| o.values()))
            .find(|op| op["operationId"] == operation_id)
            .and_then(|op| op["responses"][status.to_string()].get("schema"))
    }

    fn resolve<'a>(
        &'a self,
        schema: &'a Value,
        path: &str,
        found: &mut Vec<Violation>,
    ) -> Option<&'a Value> {
        let mut schema = schema;
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref") else {
                return Some(schema);
            };
            let target = reference
                .as_str()
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .and_then(|name| self.doc["definitions"].get(name));
            match target {
                Some(target) => schema = target,
                None => {
                    found.push(violation(path, format!("the model has no {reference}")));
                    return None;
                }
            }
        }
        found.push(violation(path, "a $ref chain that does not end".into()));
        None
    }

    fn check(&self, schema: &Value, value: &Value, path: &str, found: &mut Vec<Violation>) {
        let Some(schema) = self.resolve(schema, path, found) else {
            return;
        };
        for keyword in ["pattern", "allOf", "anyOf", "oneOf", "not", "multipleOf"] {
            if schema.get(keyword).is_some() {
                found.push(violation(
                    path,
                    format!("the validator cannot check `{keyword}`"),
                ));
            }
        }
        let declared = schema["type"].as_str();
        let kind = declared.or_else(|| schema.get("properties").map(|_| "object"));
        if let Some(kind) = kind {
            let fits = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                other => {
                    found.push(violation(
                        path,
                        format!("unknown type `{other}` in the model"),
                    ));
                    return;
                }
            };
            if !fits {
                let article = if kind.starts_with(['a', 'i', 'o']) {
                    "an"
                } else {
                    "a"
                };
                found.push(Violation {
                    amazon: format!("The element '{}' must be {article} {kind}.", element(path)),
                    ..violation(path, format!("expected {kind}, found {}", json_kind(value)))
                });
                return;
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
                found.push(value_violation(
                    path,
                    format!("{value} is not one of {}", names.join(", ")),
                ));
            }
        }
        match value {
            Value::Object(members) => {
                let properties = schema["properties"].as_object();
                for name in schema["required"].as_array().into_iter().flatten() {
                    if let Some(name) = name.as_str() {
                        if !members.contains_key(name) {
                            found.push(Violation {
                                amazon: format!(
                                    "The content of element '{}' is not complete. One of '{{{name}}}' is expected.",
                                    element(path)
                                ),
                                ..violation(path, format!("required member `{name}` is missing"))
                            });
                        }
                    }
                }
                for (name, member) in members {
                    let inner = format!("{path}.{name}");
                    match properties.and_then(|p| p.get(name)) {
                        Some(schema) => self.check(schema, member, &inner, found),
                        None => match schema.get("additionalProperties") {
                            Some(Value::Bool(true)) => {}
                            Some(extra @ Value::Object(_)) => {
                                self.check(extra, member, &inner, found)
                            }
                            _ => {
                                let names: Vec<&str> = properties
                                    .into_iter()
                                    .flat_map(|p| p.keys())
                                    .map(String::as_str)
                                    .collect();
                                found.push(Violation {
                                    amazon: format!(
                                        "Invalid content was found starting with element '{name}'. One of '{{{}}}' is expected.",
                                        names.join(", ")
                                    ),
                                    ..violation(&inner, "member not in the model".into())
                                });
                            }
                        },
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = schema.get("items") {
                    for (i, element) in items.iter().enumerate() {
                        self.check(item, element, &format!("{path}[{i}]"), found);
                    }
                }
                if let Some(min) = schema["minItems"].as_u64() {
                    if (items.len() as u64) < min {
                        found.push(violation(path, format!("fewer than {min} items")));
                    }
                }
            }
            Value::String(text) => {
                if schema["format"] == "date-time"
                    && chrono::DateTime::parse_from_rfc3339(text).is_err()
                {
                    found.push(value_violation(
                        path,
                        format!("{text:?} is not an RFC 3339 date-time"),
                    ));
                }
                let length = text.chars().count() as u64;
                if let Some(max) = schema["maxLength"].as_u64() {
                    if length > max {
                        found.push(value_violation(
                            path,
                            format!("longer than {max} characters"),
                        ));
                    }
                }
                if let Some(min) = schema["minLength"].as_u64() {
                    if length < min {
                        found.push(value_violation(
                            path,
                            format!("shorter than {min} characters"),
                        ));
                    }
                }
            }
            Value::Number(number) => {
                let n = number.as_f64().unwrap_or(f64::NAN);
                if let Some(min) = schema["minimum"].as_f64() {
                    if n < min {
                        found.push(value_violation(path, format!("{number} is below {min}")));
                    }
                }
                if let Some(max) = schema["maximum"].as_f64() {
                    if n > max {
                        found.push(value_violation(path, format!("{number} is above {max}")));
                    }
                }
            }
            _ => {}
        }
    }
}

impl Operation<'_> {
    /// What the model refuses in a request: undeclared or missing query parameters,
    /// a query value outside its enum, and a body whose shape is not the body
    /// parameter's schema (unknown or missing members, wrong JSON types). A body's
    /// values are left to the transaction, as SP-API judges them there.
    pub fn check_request(&self, query: &[(String, String)], body: &[u8]) -> Vec<Violation> {
        let parameters: Vec<&Value> = self.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let declared = |name: &str, place: &str| {
            parameters
                .iter()
                .find(|p| p["in"] == place && p["name"] == name)
        };
        let mut found = Vec::new();
        for (name, value) in query {
            match declared(name, "query") {
                None => found.push(violation(
                    &format!("query.{name}"),
                    format!("{name} is not a parameter of {}", self.id),
                )),
                Some(p) => {
                    if let Some(allowed) = p["enum"].as_array() {
                        if !allowed.iter().any(|a| a == value.as_str()) {
                            found.push(violation(
                                &format!("query.{name}"),
                                format!("{value:?} is not a valid value of {name}"),
                            ));
                        }
                    }
                }
            }
        }
        for p in &parameters {
            if p["in"] == "query" && p["required"] == true {
                let name = p["name"].as_str().unwrap_or_default();
                if !query.iter().any(|(k, _)| k == name) {
                    found.push(violation(
                        &format!("query.{name}"),
                        format!("{name} is required"),
                    ));
                }
            }
        }
        if let Some(schema) = parameters
            .iter()
            .find(|p| p["in"] == "body")
            .and_then(|p| p.get("schema"))
        {
            match serde_json::from_slice::<Value>(body) {
                // Values (enums, dates) are the transaction's to judge.
                Ok(body) => found.extend(
                    self.model
                        .validate_schema(schema, &body)
                        .into_iter()
                        .filter(|v| !v.value),
                ),
                Err(_) => found.push(violation("$", "the body is not JSON".into())),
            }
        }
        found
    }
}

fn violation(path: &str, problem: String) -> Violation {
    Violation {
        path: path.to_owned(),
        amazon: problem.clone(),
        problem,
        value: false,
    }
}

/// The element a path ends in, as SP-API's schema check names it (`items` for
/// `$.acknowledgements[0].items[1]`, `body` for the root).
fn element(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last.split('[').next() {
        Some("$") | None => "body",
        Some(name) => name,
    }
}

/// A path as SP-API's `details` write it: no `$.`, `body` for the root, a query
/// parameter by its name.
fn wire_path(path: &str) -> String {
    let path = path
        .strip_prefix("query.")
        .or_else(|| path.strip_prefix("$."))
        .unwrap_or(path);
    if path == "$" {
        "body".into()
    } else {
        path.to_owned()
    }
}

fn value_violation(path: &str, problem: String) -> Violation {
    Violation {
        value: true,
        ..violation(path, problem)
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retail() -> &'static Model {
        required_models().model("vendorOrders.json")
    }

    fn sandbox_order() -> Value {
        json!({
            "purchaseOrderNumber": "4Z32PABC",
            "purchaseOrderState": "New",
            "orderDetails": {
                "purchaseOrderDate": "2019-05-26T00:00:00Z",
                "purchaseOrderStateChangedDate": "2019-05-26T00:00:00Z",
                "purchaseOrderType": "RegularOrder",
                "sellingParty": {"partyId": "API01"},
                "shipToParty": {"partyId": "ABCD"},
                "items": [{
                    "itemSequenceNumber": "1",
                    "amazonProductIdentifier": "ABC123434",
                    "isBackOrderAllowed": false,
                    "orderedQuantity": {"amount": 2, "unitOfMeasure": "Cases", "unitSize": 6},
                    "netCost": {"currencyCode": "USD", "amount": "10.00"}
                }]
            }
        })
    }

    #[test]
    fn sp_api_model_accepts_a_sandbox_order() {
        let found = retail().validate("Order", &sandbox_order());
        assert_eq!(found, vec![]);
    }

    #[test]
    fn sp_api_model_finds_a_missing_required_field() {
        let mut order = sandbox_order();
        order["orderDetails"]
            .as_object_mut()
            .expect("details")
            .remove("purchaseOrderDate");
        let found = retail().validate("Order", &order);
        assert_eq!(
            found,
            vec![Violation {
                amazon: "The content of element 'orderDetails' is not complete. \
                         One of '{purchaseOrderDate}' is expected."
                    .into(),
                ..violation(
                    "$.orderDetails",
                    "required member `purchaseOrderDate` is missing".into()
                )
            }]
        );
    }

    #[test]
    fn sp_api_model_finds_an_unknown_field() {
        let mut order = sandbox_order();
        order["orderDetails"]["items"][0]["netCostt"] = json!({"amount": "1"});
        let found = retail().validate("Order", &order);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].path.as_str(), found[0].problem.as_str()),
            (
                "$.orderDetails.items[0].netCostt",
                "member not in the model"
            )
        );
        assert!(
            found[0].amazon.starts_with(
                "Invalid content was found starting with element 'netCostt'. One of '{"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn sp_api_model_finds_a_misspelt_enum() {
        let mut order = sandbox_order();
        order["orderDetails"]["items"][0]["orderedQuantity"]["unitOfMeasure"] = json!("cases");
        order["purchaseOrderState"] = json!("NEW");
        let found = retail().validate("Order", &order);
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$.orderDetails.items[0].orderedQuantity.unitOfMeasure",
                "$.purchaseOrderState"
            ]
        );
        assert!(found[1].problem.contains("\"New\""), "{found:?}");
    }

    #[test]
    fn sp_api_model_finds_wrong_types_and_dates() {
        let mut order = sandbox_order();
        order["orderDetails"]["items"][0]["orderedQuantity"]["amount"] = json!("2");
        order["orderDetails"]["items"][0]["netCost"]["amount"] = json!(10.0);
        order["orderDetails"]["purchaseOrderDate"] = json!("2019-05-26 00:00");
        let found = retail().validate("Order", &order);
        let problems: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "$.orderDetails.items[0].netCost.amount: expected string, found number",
                "$.orderDetails.items[0].orderedQuantity.amount: expected integer, found string",
                "$.orderDetails.purchaseOrderDate: \"2019-05-26 00:00\" is not an RFC 3339 date-time",
            ]
        );
    }

    #[test]
    fn sp_api_model_checks_bounds_and_refuses_what_it_cannot_check() {
        let model = retail();
        let schema = json!({"type": "integer", "minimum": 1, "maximum": 100});
        assert_eq!(model.validate_schema(&schema, &json!(50)), vec![]);
        assert_eq!(model.validate_schema(&schema, &json!(0)).len(), 1);
        assert_eq!(model.validate_schema(&schema, &json!(101)).len(), 1);
        let pattern = json!({"type": "string", "pattern": "^[A-Z]+$"});
        assert_eq!(
            model.validate_schema(&pattern, &json!("ABC")),
            vec![violation(
                "$",
                "the validator cannot check `pattern`".into()
            )]
        );
    }

    #[test]
    fn sp_api_model_refuses_unknown_query_parameters_and_body_members() {
        let models = required_models();
        let query = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let list = "/vendor/orders/v1/purchaseOrders";
        let good = query(&[("createdAfter", "2025-01-01T00:00:00Z"), ("limit", "10")]);
        assert_eq!(models.refusal("GET", list, &good, b""), None);
        let (status, body) = models
            .refusal("GET", list, &query(&[("createdSince", "x")]), b"")
            .expect("refused");
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["code"], "InvalidInput");
        assert_eq!(body["errors"][0]["details"], "createdSince");
        let sort = query(&[("sortOrder", "ascending")]);
        assert!(models.refusal("GET", list, &sort, b"").is_some());
        let ack = json!({"acknowledgements": [{
            "purchaseOrderNumber": "4Z32PABC",
            "sellingParty": {"partyId": "API01"},
            "acknowledgementDate": "2019-05-26T00:00:00Z",
            "items": [],
            "note": "extra"
        }]});
        let (_, body) = models
            .refusal(
                "POST",
                "/vendor/orders/v1/acknowledgements",
                &[],
                ack.to_string().as_bytes(),
            )
            .expect("refused");
        assert_eq!(body["errors"][0]["details"], "acknowledgements[0].note");
        assert_eq!(
            body["errors"][0]["message"],
            "Invalid content was found starting with element 'note'. One of \
             '{acknowledgementDate, items, purchaseOrderNumber, sellingParty}' is expected."
        );
        assert_eq!(models.refusal("GET", "/elsewhere", &good, b""), None);
    }
}
