//! Where two JSON values differ, by key path (`payload.orders[0].items[1].netCost`):
//! for tests that compare a body with a fixture, or a value read and written back
//! with what was read.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// One place where two JSON values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonDifference {
    /// The key path, `""` for the values themselves: keys joined with `.`, array
    /// elements as `[i]`.
    pub path: String,
    /// What the expected value holds there; `None` when the key is only on the found
    /// side.
    pub expected: Option<Value>,
    /// What the found value holds there; `None` when the key is missing from it.
    pub found: Option<Value>,
}

impl fmt::Display for JsonDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "<root>"
        } else {
            &self.path
        };
        match (&self.expected, &self.found) {
            (Some(expected), Some(found)) => {
                write!(f, "{path}: expected {expected}, found {found}")
            }
            (Some(_), None) => write!(f, "{path}: missing"),
            (None, Some(found)) => write!(f, "{path}: unexpected {found}"),
            (None, None) => write!(f, "{path}"),
        }
    }
}

/// Every key path where `expected` and `found` differ, in key order. Objects are
/// compared key by key; arrays of one length element by element; anything else
/// (arrays of two lengths included) as a whole. Numbers compare as `serde_json` keeps
/// them: `1` and `1.0` differ.
pub fn differences(expected: &Value, found: &Value) -> Vec<JsonDifference> {
    let mut out = Vec::new();
    collect(expected, found, String::new(), &mut out);
    out
}

/// The first of [`differences`], `None` when the values are equal.
pub fn first_difference(expected: &Value, found: &Value) -> Option<JsonDifference> {
    differences(expected, found).into_iter().next()
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn collect(expected: &Value, found: &Value, path: String, out: &mut Vec<JsonDifference>) {
    match (expected, found) {
        (Value::Object(e), Value::Object(f)) => {
            let keys: BTreeSet<&String> = e.keys().chain(f.keys()).collect();
            for key in keys {
                let here = child(&path, key);
                match (e.get(key), f.get(key)) {
                    (Some(ev), Some(fv)) => collect(ev, fv, here, out),
                    (ev, fv) => out.push(JsonDifference {
                        path: here,
                        expected: ev.cloned(),
                        found: fv.cloned(),
                    }),
                }
            }
        }
        (Value::Array(e), Value::Array(f)) if e.len() == f.len() => {
            for (i, (ev, fv)) in e.iter().zip(f).enumerate() {
                collect(ev, fv, format!("{path}[{i}]"), out);
            }
        }
        _ if expected == found => {}
        _ => out.push(JsonDifference {
            path,
            expected: Some(expected.clone()),
            found: Some(found.clone()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_difference_is_named_by_its_key_path() {
        let expected = json!({"a": {"b": [1, 2, {"c": "x"}]}, "gone": true, "same": 1});
        let found = json!({"a": {"b": [1, 3, {"c": "y"}]}, "new": null, "same": 1});
        let got: Vec<String> = differences(&expected, &found)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "a.b[1]: expected 2, found 3",
                "a.b[2].c: expected \"x\", found \"y\"",
                "gone: missing",
                "new: unexpected null",
            ]
        );
    }

    #[test]
    fn equal_values_have_no_difference_and_a_length_is_one() {
        let value = json!({"a": [1, {"b": 1.5}]});
        assert_eq!(first_difference(&value, &value), None);
        let shorter = json!({"a": [1]});
        let first = first_difference(&value, &shorter).unwrap();
        assert_eq!(first.path, "a");
        assert_eq!(
            first_difference(&json!(1), &json!(1.0)).map(|d| d.to_string()),
            Some("<root>: expected 1, found 1.0".to_owned())
        );
    }
}
