//! The integration tests, one folder per subject.
mod dashboard;
mod engine;
mod http;
mod lifecycle;
mod reliability;
mod simulation;
mod support;
mod wire;
