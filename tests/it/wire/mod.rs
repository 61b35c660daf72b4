//! The wire contracts: NetSuite's REST records and Amazon's sandbox.
mod netsuite;
mod sandbox_clients;
mod sandbox_replay;
