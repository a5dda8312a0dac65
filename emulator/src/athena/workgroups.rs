//! Workgroups (`primary` always exists), named queries and prepared statements.

use super::error::{AthenaError, Result};
use super::store::{bodies, body, put_workgroup};
use super::{Athena, page, token};
use crate::catalog::now;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The workgroup every account has.
pub const PRIMARY: &str = "primary";

/// A workgroup as stored and returned (`WorkGroup`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkGroup {
    pub name: String,
    pub state: String,
    pub configuration: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub creation_time: f64,
}

impl WorkGroup {
    fn new(name: &str, configuration: Map<String, Value>, description: Option<String>) -> Self {
        let mut configuration = configuration;
        configuration.entry("EnforceWorkGroupConfiguration").or_insert(json!(true));
        configuration.entry("PublishCloudWatchMetricsEnabled").or_insert(json!(false));
        configuration.entry("RequesterPaysEnabled").or_insert(json!(false));
        configuration.entry("EngineVersion").or_insert(json!({
            "SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"
        }));
        Self { name: name.into(), state: "ENABLED".into(), configuration, description, creation_time: now() }
    }

    /// The workgroup's result location, if configured.
    pub fn output_location(&self) -> Option<&str> {
        self.configuration.get("ResultConfiguration")?.get("OutputLocation")?.as_str()
    }

    /// Whether the workgroup's settings override the client's.
    pub fn enforced(&self) -> bool {
        self.configuration.get("EnforceWorkGroupConfiguration").and_then(Value::as_bool).unwrap_or(true)
    }

    /// The most bytes one query may scan, if limited.
    pub fn bytes_scanned_cutoff(&self) -> Option<i64> {
        self.configuration.get("BytesScannedCutoffPerQuery").and_then(Value::as_i64)
    }

    /// The `WorkGroupSummary` shape.
    pub fn summary(&self) -> Value {
        json!({
            "Name": self.name, "State": self.state, "Description": self.description,
            "CreationTime": self.creation_time, "EngineVersion": self.configuration.get("EngineVersion"),
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = (1..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AthenaError::invalid(format!("Invalid workgroup name '{name}': it must match [a-zA-Z0-9._-]{{1,128}}")))
    }
}

fn not_found(name: &str) -> AthenaError {
    AthenaError::invalid(format!("WorkGroup {name} is not found."))
}

/// Reads a workgroup inside a transaction (`primary` is created on first use).
fn workgroup_in(tx: &rusqlite::Transaction<'_>, name: &str) -> Result<WorkGroup> {
    if let Some(wg) = body(tx, "SELECT body FROM workgroups WHERE name = ?1", [name])? {
        return Ok(wg);
    }
    if name == PRIMARY {
        let wg = WorkGroup::new(PRIMARY, Map::new(), None);
        put_workgroup(tx, PRIMARY, &wg)?;
        return Ok(wg);
    }
    Err(not_found(name))
}

impl Athena {
    /// Reads a workgroup (`primary` is created on first use).
    pub fn workgroup(&self, name: &str) -> Result<WorkGroup> {
        self.store.transaction(|tx| workgroup_in(tx, name))
    }

    /// `CreateWorkGroup`.
    pub fn create_workgroup(
        &self,
        name: &str,
        configuration: Option<Map<String, Value>>,
        description: Option<String>,
    ) -> Result<()> {
        check_name(name)?;
        check_cutoff(configuration.as_ref(), "configuration")?;
        self.workgroup(PRIMARY)?;
        self.store.transaction(|tx| {
            if body::<WorkGroup>(tx, "SELECT body FROM workgroups WHERE name = ?1", [name])?.is_some() {
                return Err(AthenaError::invalid("WorkGroup is already created"));
            }
            put_workgroup(tx, name, &WorkGroup::new(name, configuration.unwrap_or_default(), description))
        })
    }

    /// `UpdateWorkGroup`: applies `ConfigurationUpdates` member by member.
    pub fn update_workgroup(
        &self,
        name: &str,
        updates: Option<Map<String, Value>>,
        description: Option<String>,
        state: Option<String>,
    ) -> Result<()> {
        check_cutoff(updates.as_ref(), "configurationUpdates")?;
        // One transaction from read to write: concurrent updates apply one after the other.
        self.store.transaction(|tx| {
            let mut wg = workgroup_in(tx, name)?;
            if let Some(d) = description {
                wg.description = Some(d);
            }
            if let Some(s) = state {
                if s != "ENABLED" && s != "DISABLED" {
                    return Err(AthenaError::invalid(format!("Invalid workgroup state '{s}'")));
                }
                wg.state = s;
            }
            for (key, value) in updates.unwrap_or_default() {
                match key.as_str() {
                    "ResultConfigurationUpdates" => apply_result_updates(&mut wg.configuration, &value),
                    "RemoveBytesScannedCutoffPerQuery" => {
                        if value.as_bool() == Some(true) {
                            wg.configuration.remove("BytesScannedCutoffPerQuery");
                        }
                    }
                    "EngineVersion" => {
                        let selected = value.get("SelectedEngineVersion").cloned().unwrap_or(json!("AUTO"));
                        wg.configuration.insert(
                        key,
                        json!({"SelectedEngineVersion": selected, "EffectiveEngineVersion": "Athena engine version 3"}),
                    );
                    }
                    _ => {
                        wg.configuration.insert(key, value);
                    }
                }
            }
            put_workgroup(tx, name, &wg)
        })
    }

    /// `DeleteWorkGroup`: `primary` cannot be deleted; a workgroup with named queries or prepared
    /// statements needs `RecursiveDeleteOption`.
    pub fn delete_workgroup(&self, name: &str, recursive: bool) -> Result<()> {
        if name == PRIMARY {
            return Err(AthenaError::invalid("Cannot delete primary workgroup"));
        }
        self.store.transaction(|tx| {
            workgroup_in(tx, name)?;
            let used: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM named_queries WHERE workgroup = ?1)
                      + (SELECT count(*) FROM prepared_statements WHERE workgroup = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if used > 0 && !recursive {
                return Err(AthenaError::invalid(format!(
                    "WorkGroup {name} is not empty: delete its named queries and prepared statements, or set RecursiveDeleteOption"
                )));
            }
            tx.execute("DELETE FROM named_queries WHERE workgroup = ?1", [name])?;
            tx.execute("DELETE FROM prepared_statements WHERE workgroup = ?1", [name])?;
            tx.execute("DELETE FROM workgroups WHERE name = ?1", [name])?;
            Ok(())
        })
    }

    /// `ListWorkGroups`, by name.
    pub fn list_workgroups(
        &self,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<WorkGroup>, Option<String>)> {
        self.workgroup(PRIMARY)?;
        let (offset, limit) = page(next_token, max, 50)?;
        let all: Vec<WorkGroup> =
            self.store.transaction(|tx| bodies(tx, "SELECT body FROM workgroups ORDER BY name", []))?;
        Ok(paged(all, offset, limit))
    }

    // ---- named queries ----

    /// `CreateNamedQuery`; the same `ClientRequestToken` returns the same id.
    pub fn create_named_query(&self, query: Value, token_value: Option<&str>) -> Result<String> {
        let workgroup = query.get("WorkGroup").and_then(Value::as_str).unwrap_or(PRIMARY).to_string();
        check_len("Name", query.get("Name"), 1, 128)?;
        check_len("Database", query.get("Database"), 1, 255)?;
        check_len("QueryString", query.get("QueryString"), 1, 262_144)?;
        self.store.transaction(|tx| {
            workgroup_in(tx, &workgroup)?;
            if let Some(t) = token_value {
                let existing: Option<String> =
                    tx.query_row("SELECT id FROM named_queries WHERE token = ?1", [t], |r| r.get(0)).ok();
                if let Some(id) = existing {
                    return Ok(id);
                }
            }
            let id = uuid::Uuid::new_v4().to_string();
            let mut stored = query.clone();
            stored["NamedQueryId"] = json!(id);
            stored["WorkGroup"] = json!(workgroup);
            tx.execute(
                "INSERT INTO named_queries (id, workgroup, token, created, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, workgroup, token_value, now(), stored.to_string()],
            )?;
            Ok(id)
        })
    }

    /// `GetNamedQuery`.
    pub fn named_query(&self, id: &str) -> Result<Value> {
        self.store
            .transaction(|tx| body(tx, "SELECT body FROM named_queries WHERE id = ?1", [id]))?
            .ok_or_else(|| AthenaError::invalid(format!("NamedQuery {id} was not found")))
    }

    /// `ListNamedQueries` of a workgroup, oldest first.
    pub fn list_named_queries(
        &self,
        workgroup: &str,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<String>, Option<String>)> {
        self.workgroup(workgroup)?;
        let (offset, limit) = page(next_token, max, 50)?;
        let ids: Vec<String> = self.store.transaction(|tx| {
            let mut stmt = tx.prepare("SELECT id FROM named_queries WHERE workgroup = ?1 ORDER BY created, id")?;
            let rows = stmt.query_map([workgroup], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        Ok(paged(ids, offset, limit))
    }

    /// `UpdateNamedQuery`.
    pub fn update_named_query(
        &self,
        id: &str,
        name: &str,
        description: Option<&str>,
        query_string: &str,
    ) -> Result<()> {
        check_len("Name", Some(&json!(name)), 1, 128)?;
        check_len("QueryString", Some(&json!(query_string)), 1, 262_144)?;
        self.store.transaction(|tx| {
            let mut query: Value = body(tx, "SELECT body FROM named_queries WHERE id = ?1", [id])?
                .ok_or_else(|| AthenaError::invalid(format!("NamedQuery {id} was not found")))?;
            query["Name"] = json!(name);
            query["QueryString"] = json!(query_string);
            if let Some(d) = description {
                query["Description"] = json!(d);
            }
            tx.execute("UPDATE named_queries SET body = ?2 WHERE id = ?1", params![id, query.to_string()])?;
            Ok(())
        })
    }

    /// `DeleteNamedQuery`.
    pub fn delete_named_query(&self, id: &str) -> Result<()> {
        self.named_query(id)?;
        self.store.transaction(|tx| {
            tx.execute("DELETE FROM named_queries WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    // ---- prepared statements ----

    /// `CreatePreparedStatement` / `UpdatePreparedStatement`.
    pub fn put_prepared_statement(
        &self,
        workgroup: &str,
        name: &str,
        statement: &str,
        description: Option<&str>,
        create: bool,
    ) -> Result<()> {
        let valid_name = !name.is_empty()
            && name.len() <= 256
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | ':'));
        if !valid_name {
            return Err(AthenaError::invalid(format!("Invalid prepared statement name '{name}'")));
        }
        check_len("QueryStatement", Some(&json!(statement)), 1, 262_144)?;
        self.store.transaction(|tx| {
            workgroup_in(tx, workgroup)?;
            let exists = body::<Value>(
                tx,
                "SELECT body FROM prepared_statements WHERE workgroup = ?1 AND name = ?2",
                [workgroup, name],
            )?
            .is_some();
            if create && exists {
                return Err(AthenaError::invalid(format!(
                    "Prepared statement {name} already exists in workgroup {workgroup}"
                )));
            }
            if !create && !exists {
                return Err(AthenaError::ResourceNotFound(format!(
                    "Prepared statement {name} was not found in workgroup {workgroup}"
                )));
            }
            let stored = json!({
                "StatementName": name, "QueryStatement": statement, "WorkGroupName": workgroup,
                "Description": description, "LastModifiedTime": now(),
            });
            tx.execute(
                "INSERT OR REPLACE INTO prepared_statements (workgroup, name, body) VALUES (?1, ?2, ?3)",
                params![workgroup, name, stored.to_string()],
            )?;
            Ok(())
        })
    }

    /// `GetPreparedStatement`.
    pub fn prepared_statement(&self, workgroup: &str, name: &str) -> Result<Value> {
        self.workgroup(workgroup)?;
        self.store
            .transaction(|tx| {
                body(tx, "SELECT body FROM prepared_statements WHERE workgroup = ?1 AND name = ?2", [workgroup, name])
            })?
            .ok_or_else(|| {
                AthenaError::ResourceNotFound(format!(
                    "Prepared statement {name} was not found in workgroup {workgroup}"
                ))
            })
    }

    /// `ListPreparedStatements` of a workgroup, by name.
    pub fn list_prepared_statements(
        &self,
        workgroup: &str,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<Value>, Option<String>)> {
        self.workgroup(workgroup)?;
        let (offset, limit) = page(next_token, max, 50)?;
        let all: Vec<Value> = self.store.transaction(|tx| {
            bodies(tx, "SELECT body FROM prepared_statements WHERE workgroup = ?1 ORDER BY name", [workgroup])
        })?;
        Ok(paged(all, offset, limit))
    }

    /// `DeletePreparedStatement`.
    pub fn delete_prepared_statement(&self, workgroup: &str, name: &str) -> Result<()> {
        self.prepared_statement(workgroup, name)?;
        self.store.transaction(|tx| {
            tx.execute("DELETE FROM prepared_statements WHERE workgroup = ?1 AND name = ?2", [workgroup, name])?;
            Ok(())
        })
    }
}

fn apply_result_updates(configuration: &mut Map<String, Value>, updates: &Value) {
    let result = configuration.entry("ResultConfiguration").or_insert_with(|| json!({}));
    let Some(result) = result.as_object_mut() else { return };
    for (member, remove) in [
        ("OutputLocation", "RemoveOutputLocation"),
        ("EncryptionConfiguration", "RemoveEncryptionConfiguration"),
        ("ExpectedBucketOwner", "RemoveExpectedBucketOwner"),
        ("AclConfiguration", "RemoveAclConfiguration"),
    ] {
        if let Some(v) = updates.get(member) {
            result.insert(member.into(), v.clone());
        }
        if updates.get(remove).and_then(Value::as_bool) == Some(true) {
            result.remove(member);
        }
    }
}

/// `BytesScannedCutoffPerQuery` is at least 10 MB, as the service model says.
fn check_cutoff(configuration: Option<&Map<String, Value>>, path: &str) -> Result<()> {
    match configuration.and_then(|c| c.get("BytesScannedCutoffPerQuery")).and_then(Value::as_i64) {
        Some(n) if n < 10_000_000 => Err(AthenaError::invalid(format!(
            "1 validation error detected: Value '{n}' at '{path}.bytesScannedCutoffPerQuery' failed to satisfy \
             constraint: Member must have value greater than or equal to 10000000"
        ))),
        _ => Ok(()),
    }
}

fn check_len(member: &str, value: Option<&Value>, min: usize, max: usize) -> Result<()> {
    let len = value.and_then(Value::as_str).map(|s| s.chars().count());
    match len {
        Some(n) if (min..=max).contains(&n) => Ok(()),
        _ => Err(AthenaError::invalid(format!("{member} must be a string of {min} to {max} characters"))),
    }
}

/// One page of `items` from `offset`, with the token of the next.
pub fn paged<T>(items: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset.saturating_add(limit) < total).then(|| token(offset + limit));
    (page, next)
}
