//! How a command failed: the client's classification, kept for the order with what
//! the service said.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::{ClientError, ErrorKind, ServiceMessage};

/// A command's failure, as the engine classified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The engine gives up on this command (its own attempts are used up); the order
    /// then needs attention, it is never dropped.
    pub exhausted: bool,
}

/// How a command failed, which decides whether and when to retry: the client's
/// [`ErrorKind`] with what the service said, kept for the order. [`FailureKind::kind`]
/// gives the classification back; the rule is on [`ErrorKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum FailureKind {
    /// A timeout, a 5xx, a dropped connection: retried with backoff.
    Transient {
        /// What happened.
        message: String,
    },
    /// The service asked to slow down (HTTP 429): retried no sooner than it asked.
    RateLimited {
        /// The service's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The service refused the request as invalid: needs a person (for an
    /// acknowledgement, Amazon rejected it).
    Rejected {
        /// The service's messages, codes and wording as sent. Records stored before
        /// messages kept their codes hold each as one string, read back as a message
        /// with no code.
        #[serde(deserialize_with = "messages_as_stored")]
        messages: Vec<ServiceMessage>,
    },
    /// The credentials were refused: retried with backoff a bounded number of times
    /// (a token refresh may fix it), then a person.
    Unauthorized {
        /// What happened.
        message: String,
    },
    /// The record is not there (a sales order deleted in NetSuite, a transaction
    /// Amazon does not know yet); what follows depends on the command (see
    /// [`ErrorKind::NotFound`]).
    NotFound {
        /// What happened.
        message: String,
    },
}

impl FailureKind {
    /// The classification: the [`ErrorKind`] this failure was built from.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FailureKind::Transient { .. } => ErrorKind::Transient,
            FailureKind::RateLimited { retry_after } => ErrorKind::RateLimited {
                retry_after: *retry_after,
            },
            FailureKind::Rejected { .. } => ErrorKind::Rejected,
            FailureKind::Unauthorized { .. } => ErrorKind::Unauthorized,
            FailureKind::NotFound { .. } => ErrorKind::NotFound,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Transient { message } => write!(f, "transient failure: {message}"),
            FailureKind::RateLimited {
                retry_after: Some(d),
            } => write!(f, "rate limited, retry after {}s", d.as_secs()),
            FailureKind::RateLimited { retry_after: None } => f.write_str("rate limited"),
            FailureKind::Rejected { messages } => {
                write!(f, "rejected: {}", crate::text::Joined(messages, "; "))
            }
            FailureKind::Unauthorized { message } => write!(f, "unauthorized: {message}"),
            FailureKind::NotFound { message } => write!(f, "not found: {message}"),
        }
    }
}

/// A rejection's messages as stored: each a [`ServiceMessage`], or (as records stored
/// before messages kept their codes) one string, read as a message with no code.
fn messages_as_stored<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ServiceMessage>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Message(ServiceMessage),
        Text(String),
    }
    let stored = Vec::<Stored>::deserialize(deserializer)?;
    Ok(stored
        .into_iter()
        .map(|m| match m {
            Stored::Message(m) => m,
            Stored::Text(message) => ServiceMessage {
                code: String::new(),
                message,
                field: None,
            },
        })
        .collect())
}

impl From<&ClientError> for FailureKind {
    /// The failure a command's [`ClientError`] reports, in the classification the
    /// machine and the [`super::RetryPolicy`] decide on.
    fn from(error: &ClientError) -> Self {
        let text = || error.to_string();
        match &error.kind {
            ErrorKind::Transient => FailureKind::Transient { message: text() },
            ErrorKind::RateLimited { retry_after } => FailureKind::RateLimited {
                retry_after: *retry_after,
            },
            ErrorKind::NotFound => FailureKind::NotFound { message: text() },
            ErrorKind::Rejected => FailureKind::Rejected {
                messages: if error.messages.is_empty() {
                    vec![ServiceMessage {
                        code: String::new(),
                        message: text(),
                        field: None,
                    }]
                } else {
                    error.messages.clone()
                },
            },
            ErrorKind::Unauthorized => FailureKind::Unauthorized { message: text() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_keeps_the_services_codes_and_reads_the_stored_strings_of_before() {
        let sent = FailureKind::Rejected {
            messages: vec![ServiceMessage::new("InvalidInput", "bad cost")],
        };
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"Rejected","messages":[{"code":"InvalidInput","message":"bad cost"}]}"#
        );
        assert_eq!(serde_json::from_str::<FailureKind>(&json).unwrap(), sent);

        let stored = r#"{"kind":"Rejected","messages":["INVALID_CONTENT: bad field"]}"#;
        assert_eq!(
            serde_json::from_str::<FailureKind>(stored).unwrap(),
            FailureKind::Rejected {
                messages: vec![ServiceMessage::new("", "INVALID_CONTENT: bad field")],
            }
        );
        assert_eq!(
            serde_json::from_str::<FailureKind>(stored)
                .unwrap()
                .to_string(),
            "rejected: INVALID_CONTENT: bad field"
        );
    }
}
