//! Command keys: the stable name of each command, typed, and written as one string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of [`Command`](super::Command), as a [`CommandKey`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CommandKind {
    /// [`super::Command::CreateSalesOrder`]: `netsuite:create:{external id}`.
    CreateSalesOrder,
    /// [`super::Command::UpdateSalesOrder`]: `netsuite:update:{external id}:r{revision}`.
    UpdateSalesOrder,
    /// [`super::Command::CloseSalesOrder`]: `netsuite:close:{external id}`.
    CloseSalesOrder,
    /// [`super::Command::ReadSalesOrder`]: `netsuite:read:{external id}`.
    ReadSalesOrder,
    /// [`super::Command::SubmitAcknowledgement`]: `amazon:acknowledge:{PO}:v{version}`.
    SubmitAcknowledgement,
    /// [`super::Command::CheckAcknowledgement`]: `amazon:check:{PO}:v{version}`.
    CheckAcknowledgement,
    /// [`super::Command::Notify`]: `notify:{PO}:{notice}:{occurrence}`.
    Notify,
}

impl CommandKind {
    const ALL: [CommandKind; 7] = [
        CommandKind::CreateSalesOrder,
        CommandKind::UpdateSalesOrder,
        CommandKind::CloseSalesOrder,
        CommandKind::ReadSalesOrder,
        CommandKind::SubmitAcknowledgement,
        CommandKind::CheckAcknowledgement,
        CommandKind::Notify,
    ];

    /// The key's text up to the command's own part.
    fn prefix(self) -> &'static str {
        match self {
            CommandKind::CreateSalesOrder => "netsuite:create:",
            CommandKind::UpdateSalesOrder => "netsuite:update:",
            CommandKind::CloseSalesOrder => "netsuite:close:",
            CommandKind::ReadSalesOrder => "netsuite:read:",
            CommandKind::SubmitAcknowledgement => "amazon:acknowledge:",
            CommandKind::CheckAcknowledgement => "amazon:check:",
            CommandKind::Notify => "notify:",
        }
    }

    /// `true` for the commands sent to Amazon.
    #[must_use]
    pub fn is_amazon(self) -> bool {
        matches!(
            self,
            CommandKind::SubmitAcknowledgement | CommandKind::CheckAcknowledgement
        )
    }
}

/// A command's stable name: its kind and the idempotency key it carries.
///
/// [`super::Command::key`] builds it; [`super::Event::CommandFailed`] echoes it, and the
/// store's in-flight marker holds it. It is written, stored and read as one string,
/// `netsuite:create:AVC-RP-4Z32PABC` or `amazon:acknowledge:4Z32PABC:v1`, so records
/// saved before the key was typed load unchanged. Its kind is read once, when the
/// string is parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandKey {
    kind: CommandKind,
    text: String,
}

impl CommandKey {
    pub(super) fn new(kind: CommandKind, own: impl fmt::Display) -> Self {
        CommandKey {
            kind,
            text: format!("{}{own}", kind.prefix()),
        }
    }

    /// The kind of command the key names.
    #[must_use]
    pub fn kind(&self) -> CommandKind {
        self.kind
    }

    /// `true` for the commands sent to Amazon.
    #[must_use]
    pub fn is_amazon(&self) -> bool {
        self.kind.is_amazon()
    }

    /// The key as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for CommandKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<str> for CommandKey {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for CommandKey {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// A string that names no [`CommandKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a command key (`netsuite:create:…`, `amazon:acknowledge:…`, …)")]
pub struct CommandKeyError(String);

impl std::str::FromStr for CommandKey {
    type Err = CommandKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CommandKind::ALL
            .into_iter()
            .find(|kind| text.len() > kind.prefix().len() && text.starts_with(kind.prefix()))
            .map(|kind| CommandKey {
                kind,
                text: text.to_owned(),
            })
            .ok_or_else(|| CommandKeyError(text.to_owned()))
    }
}

impl Serialize for CommandKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CommandKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_stored_as_the_string_it_displays_and_reads_back_with_its_kind() {
        for (text, kind) in [
            (
                "netsuite:create:AVC-RP-4Z32PABC",
                CommandKind::CreateSalesOrder,
            ),
            (
                "netsuite:update:AVC-RP-4Z32PABC:r2",
                CommandKind::UpdateSalesOrder,
            ),
            (
                "netsuite:close:AVC-DF-DF000001",
                CommandKind::CloseSalesOrder,
            ),
            ("netsuite:read:AVC-RP-4Z32PABC", CommandKind::ReadSalesOrder),
            (
                "amazon:acknowledge:4Z32PABC:v1",
                CommandKind::SubmitAcknowledgement,
            ),
            (
                "amazon:check:4Z32PABC:v3",
                CommandKind::CheckAcknowledgement,
            ),
            (
                "notify:4Z32PABC:acknowledgement-rejected:1",
                CommandKind::Notify,
            ),
        ] {
            let key: CommandKey = text.parse().expect("a command key");
            assert_eq!(key.kind(), kind, "{text}");
            assert_eq!(key.to_string(), text);
            assert_eq!(key.is_amazon(), text.starts_with("amazon:"), "{text}");
            let json = serde_json::to_string(&key).expect("serializes");
            assert_eq!(json, format!("\"{text}\""));
            let back: CommandKey = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, key);
        }
    }

    #[test]
    fn a_string_that_names_no_command_is_refused_when_read() {
        for text in [
            "",
            "amazon:check:",
            "netsuite:delete:AVC-RP-1",
            "check:4Z32PABC:v1",
        ] {
            assert!(text.parse::<CommandKey>().is_err(), "{text:?}");
        }
        let refused = serde_json::from_str::<CommandKey>("\"netsuite:delete:AVC-RP-1\"");
        assert!(refused.is_err());
    }
}
