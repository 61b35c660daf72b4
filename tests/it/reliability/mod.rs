//! Hostile input, personal data, crashes mid-cycle and a durable store.
mod hostile_input;
mod kill_test;
mod personal_data;
pub mod postgres_store;
pub mod sqlite_store;
