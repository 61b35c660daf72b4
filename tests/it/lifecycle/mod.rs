//! The sans-IO lifecycle: rules, retries, settings and the stored record.
mod flows;
mod record;
mod retries;
mod rules;
mod settings;
mod wording;
