//! End-to-end tests: Lakebox started in-process by the harness, driven through real AWS clients.
//! One test binary for all of them (each extra binary would link the whole emulator again).

mod athena_api;
mod athena_projection;
mod athena_query;
mod athena_writes;
mod external;
mod glue_catalog;
mod glue_partitions;
mod s3;
mod snapshots;
mod support;
mod trino_corpus;
mod wire;
