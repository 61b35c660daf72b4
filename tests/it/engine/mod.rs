//! The engine's cycle: intake, retrieval, approvals, cancellations, preview.
mod alerts;
mod approvals;
mod audit;
mod cancellations;
mod compliance;
mod flows;
mod intake;
pub mod preview;
mod readme;
mod retrieval;
mod sweep;
mod view;
mod workers;
