//! The Glue Data Catalog as a domain: databases, tables and their versions, partitions, partition
//! indexes, column statistics, user-defined functions and tags, with AWS's rules.
//!
//! Operations are synchronous and each runs in one store transaction; the Glue wire layer calls
//! them from a blocking task. Nothing here knows about HTTP.

pub mod error;
pub mod expr;
pub mod model;
pub mod store;
pub mod validate;

mod extras;
mod partitions;
mod tables;

pub use error::{CatalogError, Result};
pub use partitions::{PartitionQuery, PartitionWrite};
pub use tables::{SearchFilter, TableUpdate};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use model::{Database, DatabaseInput, Timestamp};
use std::collections::BTreeMap;
use store::{Store, Tx};
use validate::Violations;

/// The Glue Data Catalog of one Lakebox: every account's catalogs, in one store.
pub struct Catalog {
    store: Store,
    default_catalog_id: String,
}

/// A page of results and the token for the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// Every item of a paged listing, page after page.
fn every<T>(mut list: impl FnMut(&PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut page = PageRequest::default();
    loop {
        let p = list(&page)?;
        items.extend(p.items);
        match p.next_token {
            Some(t) => page.next_token = Some(t),
            None => return Ok(items),
        }
    }
}

/// Where a caller is in a paged listing.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

impl PageRequest {
    /// The page size: the request's `MaxResults` (already range-checked) or `default`.
    pub fn limit(&self, default: usize) -> usize {
        self.max_results.map(|n| n.max(1) as usize).unwrap_or(default)
    }

    /// Decodes the token of a listing of kind `kind` (tokens of other listings are refused).
    fn position(&self, kind: &str) -> Result<Option<String>> {
        let Some(token) = self.next_token.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
        let invalid = || CatalogError::invalid("Invalid NextToken: it was not issued by this operation");
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (k, position) = text.split_once(':').ok_or_else(invalid)?;
        if k != kind {
            return Err(invalid());
        }
        Ok(Some(position.to_string()))
    }

    /// The numeric position of a listing that pages by id or offset.
    fn numeric_position(&self, kind: &str) -> Result<Option<i64>> {
        self.position(kind)?.map(|p| p.parse().map_err(|_| CatalogError::invalid("Invalid NextToken"))).transpose()
    }
}

/// Encodes a listing position as an opaque token.
fn token(kind: &str, position: impl std::fmt::Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

/// Seconds since the epoch, with milliseconds.
pub fn now() -> Timestamp {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

impl Catalog {
    /// A catalog over `store`; requests without a `CatalogId` use `default_catalog_id` (the account).
    pub fn new(store: Store, default_catalog_id: impl Into<String>) -> Self {
        Self { store, default_catalog_id: default_catalog_id.into() }
    }

    /// The account id used when a request names no catalog.
    pub fn default_catalog_id(&self) -> &str {
        &self.default_catalog_id
    }

    /// Deletes everything.
    pub fn reset(&self) -> Result<()> {
        self.store.reset()
    }

    fn catalog_id(&self, catalog_id: Option<&str>) -> Result<String> {
        let mut v = Violations::default();
        v.opt_string("catalogId", catalog_id, 1, 255);
        v.finish()?;
        Ok(catalog_id.unwrap_or(&self.default_catalog_id).to_string())
    }

    fn tx<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.store.transaction(f)
    }

    // ---- databases ----

    /// `CreateDatabase`.
    pub fn create_database(
        &self,
        catalog_id: Option<&str>,
        input: DatabaseInput,
        tags: BTreeMap<String, String>,
        region: &str,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let name = validate::name("databaseInput.name", &input.name)?;
        validate_database_input(&input)?;
        let arn = arn(region, &catalog, &format!("database/{name}"));
        self.tx(|tx| {
            if tx.database(&catalog, &name)?.is_some() {
                return Err(CatalogError::AlreadyExists("Database already exists.".into()));
            }
            let db = database_from_input(input, name, &catalog, now());
            tx.put_database(&catalog, &db)?;
            tx.delete_tags(&arn)?;
            for (k, v) in &tags {
                tx.put_tag(&arn, k, v)?;
            }
            Ok(())
        })
    }

    /// `GetDatabase`.
    pub fn get_database(&self, catalog_id: Option<&str>, name: &str) -> Result<Database> {
        let catalog = self.catalog_id(catalog_id)?;
        let name = validate::name("name", name)?;
        self.tx(|tx| require_database(tx, &catalog, &name))
    }

    /// `GetDatabases`, in name order.
    /// Every database, page after page (for callers that need the whole list, not an API page).
    pub fn all_databases(&self, catalog_id: Option<&str>) -> Result<Vec<Database>> {
        every(|page| self.get_databases(catalog_id, page))
    }

    pub fn get_databases(&self, catalog_id: Option<&str>, page: &PageRequest) -> Result<Page<Database>> {
        let catalog = self.catalog_id(catalog_id)?;
        let after = page.position("db")?.unwrap_or_default();
        let limit = page.limit(100);
        let mut items = self.tx(|tx| tx.databases(&catalog, &after, limit + 1))?;
        let next_token = more(&mut items, limit).then(|| token("db", &items[items.len() - 1].name));
        Ok(Page { items, next_token })
    }

    /// `UpdateDatabase`: replaces the writable fields; renaming is not allowed (as in AWS).
    pub fn update_database(&self, catalog_id: Option<&str>, name: &str, input: DatabaseInput) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let name = validate::name("name", name)?;
        let new_name = validate::name("databaseInput.name", &input.name)?;
        validate_database_input(&input)?;
        if new_name != name {
            return Err(CatalogError::invalid("Database name cannot be changed by UpdateDatabase."));
        }
        self.tx(|tx| {
            let old = require_database(tx, &catalog, &name)?;
            let db = database_from_input(input, name, &catalog, old.create_time.unwrap_or_else(now));
            tx.put_database(&catalog, &db)
        })
    }

    /// `DeleteDatabase`: drops the database with its tables, partitions, versions and functions.
    pub fn delete_database(&self, catalog_id: Option<&str>, name: &str, region: &str) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let name = validate::name("name", name)?;
        self.tx(|tx| {
            if !tx.delete_database(&catalog, &name)? {
                return Err(not_found_database(&name));
            }
            tx.delete_tags(&arn(region, &catalog, &format!("database/{name}")))?;
            tx.delete_tags_under(&arn(region, &catalog, &format!("table/{name}/")))?;
            tx.delete_tags_under(&arn(region, &catalog, &format!("userDefinedFunction/{name}/")))
        })
    }
}

fn validate_database_input(input: &DatabaseInput) -> Result<()> {
    let mut v = Violations::default();
    v.opt_string("databaseInput.description", input.description.as_deref(), 0, 2048);
    v.opt_string("databaseInput.locationUri", input.location_uri.as_deref(), 1, 1024);
    validate_parameters(&mut v, "databaseInput.parameters", input.parameters.as_ref());
    v.finish()
}

fn validate_parameters(v: &mut Violations, path: &str, parameters: Option<&model::Parameters>) {
    for (key, value) in parameters.into_iter().flatten() {
        v.string(&format!("{path}.key"), key, 1, 255);
        if value.len() > 512_000 {
            v.string(&format!("{path}.value"), value, 0, 512_000);
        }
    }
}

fn database_from_input(input: DatabaseInput, name: String, catalog: &str, created: Timestamp) -> Database {
    Database {
        name,
        description: input.description,
        location_uri: input.location_uri,
        parameters: Some(input.parameters.unwrap_or_default()),
        create_time: Some(created),
        create_table_default_permissions: input.create_table_default_permissions,
        target_database: input.target_database,
        catalog_id: Some(catalog.to_string()),
        federated_database: input.federated_database,
    }
}

fn require_database(tx: &Tx<'_>, catalog: &str, name: &str) -> Result<Database> {
    tx.database(catalog, name)?.ok_or_else(|| not_found_database(name))
}

fn not_found_database(name: &str) -> CatalogError {
    CatalogError::NotFound(format!("Database {name} not found."))
}

/// Truncates `items` to `limit` and says whether there were more (callers fetch `limit + 1`).
fn more<T>(items: &mut Vec<T>, limit: usize) -> bool {
    let more = items.len() > limit;
    items.truncate(limit);
    more
}

/// The ARN of a Glue resource, e.g. `arn:aws:glue:us-east-1:000000000000:database/sales`.
pub fn arn(region: &str, catalog: &str, resource: &str) -> String {
    format!("arn:aws:glue:{region}:{catalog}:{resource}")
}
