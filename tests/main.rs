//! Integration tests, through the public API only, as an integrator would use it.

mod it;
