//! Test support crate; the tests live in `tests/e2e`.
