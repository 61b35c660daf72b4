//! NetSuite REST wire types: the `salesOrder` record, its error body and SuiteQL.
