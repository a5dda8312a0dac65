//! Constraints of the Glue service model (lengths, patterns, ranges), reported as AWS does:
//! `ValidationException: 1 validation error detected: Value '...' at 'databaseInput.name' failed to
//! satisfy constraint: Member must have length less than or equal to 255`.

use super::error::{CatalogError, Result};

/// Collects constraint violations of one request; `finish` reports them all at once.
#[derive(Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// Checks a string's length against the model's `min`/`max` and the single-line pattern that
    /// Glue's `NameString`-like shapes share (no control characters other than tab).
    pub fn string(&mut self, path: &str, value: &str, min: usize, max: usize) {
        let len = value.chars().count();
        if len < min {
            self.push(path, value, &format!("Member must have length greater than or equal to {min}"));
        } else if len > max {
            self.push(path, value, &format!("Member must have length less than or equal to {max}"));
        } else if value.chars().any(|c| c.is_control() && c != '\t') {
            self.push(path, value, "Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*");
        }
    }

    /// Like [`Violations::string`] for an optional member.
    pub fn opt_string(&mut self, path: &str, value: Option<&str>, min: usize, max: usize) {
        if let Some(v) = value {
            self.string(path, v, min, max);
        }
    }

    /// Checks an integer against the model's range.
    pub fn range(&mut self, path: &str, value: Option<i64>, min: i64, max: i64) {
        match value {
            Some(v) if v < min => {
                self.push(path, &v.to_string(), &format!("Member must have value greater than or equal to {min}"))
            }
            Some(v) if v > max => {
                self.push(path, &v.to_string(), &format!("Member must have value less than or equal to {max}"))
            }
            _ => {}
        }
    }

    /// Checks the length of a list against the model's bounds.
    pub fn list_len(&mut self, path: &str, len: usize, min: usize, max: usize) {
        if len < min {
            self.push(
                path,
                &format!("[{len} items]"),
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.push(path, &format!("[{len} items]"), &format!("Member must have length less than or equal to {max}"));
        }
    }

    fn push(&mut self, path: &str, value: &str, constraint: &str) {
        let shown: String = value.chars().take(64).collect();
        let ellipsis = if shown.len() < value.len() { "..." } else { "" };
        self.0.push(format!("Value '{shown}{ellipsis}' at '{path}' failed to satisfy constraint: {constraint}"));
    }

    /// `Ok` when nothing was violated, else one `ValidationException` naming every violation.
    pub fn finish(self) -> Result<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(CatalogError::Validation(format!("1 validation error detected: {}", self.0[0]))),
            n => Err(CatalogError::Validation(format!("{n} validation errors detected: {}", self.0.join("; ")))),
        }
    }
}

/// Validates a database, table or function name and folds it to lower case as Glue does.
pub fn name(path: &str, value: &str) -> Result<String> {
    let mut v = Violations::default();
    v.string(path, value, 1, 255);
    v.finish()?;
    Ok(value.to_lowercase())
}

/// Glue's name filters (`GetTables` `Expression`, `GetUserDefinedFunctions` `Pattern`): a regular
/// expression matched against the whole name, case-insensitively, where a `*` that does not follow
/// `.` means "anything" as in the Hive metastore's patterns (`sales_*`).
pub fn name_pattern(pattern: &str) -> Result<regex::Regex> {
    let mut re = String::with_capacity(pattern.len() + 8);
    let mut prev = None;
    for c in pattern.chars() {
        if c == '*' && prev != Some('.') && prev != Some('\\') {
            re.push_str(".*");
        } else {
            re.push(c);
        }
        prev = Some(c);
    }
    regex::RegexBuilder::new(&format!("^(?:{re})$"))
        .case_insensitive(true)
        .build()
        .map_err(|e| CatalogError::invalid(format!("Invalid name pattern '{pattern}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_lower_case_and_respect_length() {
        assert_eq!(name("name", "Sales_DB").unwrap(), "sales_db");
        let err = name("databaseInput.name", &"x".repeat(256)).unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(err.to_string().contains("at 'databaseInput.name'"), "{err}");
        assert!(err.to_string().contains("less than or equal to 255"), "{err}");
        assert_eq!(name("name", "").unwrap_err().code(), "ValidationException");
        assert_eq!(name("name", "a\nb").unwrap_err().code(), "ValidationException");
    }

    #[test]
    fn name_patterns_accept_hive_stars_and_regexes() {
        let matches = |p: &str, n: &str| name_pattern(p).unwrap().is_match(n);
        assert!(matches("sales_*", "sales_2024"));
        assert!(matches("sales_.*", "sales_2024"));
        assert!(matches("SALES", "sales"));
        assert!(!matches("sales", "sales_2024"), "the whole name must match");
        assert!(matches("a|b", "b"));
        assert!(name_pattern("(").is_err());
    }
}
