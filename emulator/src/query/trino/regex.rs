//! Trino's regular expression functions. Trino uses Java's pattern syntax; the `regex` crate
//! reads the same syntax for the classes, quantifiers and groups reports use (look-around and
//! back-references are not supported: such patterns fail with INVALID_FUNCTION_ARGUMENT).
//! Replacements use Java's `$1` group references, translated to the crate's `${1}`.
//! <https://trino.io/docs/current/functions/regexp.html>

use super::udf::{Udf, arity, invalid};
use super::values::{bigint, int, list_of, strict, string_list, text, utf8};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Compiled patterns, shared by the rows of a query (patterns are nearly always constants).
#[derive(Default)]
struct Cache(Mutex<HashMap<String, Arc<Regex>>>);

impl Cache {
    fn get(&self, pattern: &str) -> Result<Arc<Regex>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = map.get(pattern) {
            return Ok(r.clone());
        }
        let r = Arc::new(Regex::new(pattern).map_err(|e| invalid(format!("Invalid regular expression: {e}")))?);
        if map.len() > 256 {
            map.clear();
        }
        map.insert(pattern.to_string(), r.clone());
        Ok(r)
    }
}

fn group_check(re: &Regex, group: i64) -> Result<usize> {
    let groups = re.captures_len() as i64 - 1;
    if group < 0 || group > groups {
        return Err(invalid(format!("Pattern has {groups} groups. Cannot access group {group}")));
    }
    Ok(group as usize)
}

/// Java's replacement syntax (`$1`, `${name}`, `\$`) in the regex crate's (`${1}`, `$$`).
pub fn java_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' if chars.peek() == Some(&'{') => {
                out.push('$');
            }
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            other => out.push(other),
        }
    }
    out
}

pub fn functions() -> Vec<ScalarUDF> {
    let cache = Arc::new(Cache::default());
    let c = |cache: &Arc<Cache>| cache.clone();
    vec![
        {
            let cache = c(&cache);
            Udf::new(
                "regexp_like",
                arity(&[2]),
                |_| Ok(DataType::Boolean),
                move |a| {
                    if let Some(out) = super::fast::regexp_like(a)? {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        Ok(ScalarValue::Boolean(Some(re.is_match(text(&r[0]).unwrap_or("")))))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            Udf::new(
                "regexp_extract",
                arity(&[2, 3]),
                |_| Ok(DataType::Utf8),
                move |a| {
                    if let Some(out) = super::fast::regexp_extract(a)? {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let group = group_check(&re, r.get(2).and_then(int).unwrap_or(0))?;
                        let found = re
                            .captures(text(&r[0]).unwrap_or(""))
                            .and_then(|c| c.get(group))
                            .map(|m| m.as_str().to_string());
                        Ok(utf8(found))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            Udf::new(
                "regexp_extract_all",
                arity(&[2, 3]),
                |_| Ok(list_of(DataType::Utf8)),
                move |a| {
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let group = group_check(&re, r.get(2).and_then(int).unwrap_or(0))?;
                        let all = re
                            .captures_iter(text(&r[0]).unwrap_or(""))
                            .map(|c| c.get(group).map(|m| m.as_str().to_string()))
                            .collect();
                        Ok(string_list(Some(all)))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            // Every match is replaced (DataFusion's replaces the first only).
            Udf::new(
                "regexp_replace",
                arity(&[2, 3]),
                |_| Ok(DataType::Utf8),
                move |a| {
                    if let Some(out) = super::fast::regexp_replace(a)? {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let replacement = java_replacement(r.get(2).and_then(text).unwrap_or(""));
                        Ok(utf8(Some(re.replace_all(text(&r[0]).unwrap_or(""), replacement.as_str()).into_owned())))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            Udf::new(
                "regexp_split",
                arity(&[2]),
                |_| Ok(list_of(DataType::Utf8)),
                move |a| {
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        Ok(string_list(Some(
                            re.split(text(&r[0]).unwrap_or("")).map(|p| Some(p.to_string())).collect(),
                        )))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            Udf::new(
                "regexp_count",
                arity(&[2]),
                |_| Ok(DataType::Int64),
                move |a| {
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        Ok(bigint(Some(re.find_iter(text(&r[0]).unwrap_or("")).count() as i64)))
                    })
                },
            )
            .udf()
        },
        {
            let cache = c(&cache);
            // regexp_position(string, pattern[, start[, occurrence]]): 1-based, -1 when absent.
            Udf::new(
                "regexp_position",
                arity(&[2, 3, 4]),
                |_| Ok(DataType::Int32),
                move |a| {
                    strict(a, |r| {
                        let s = text(&r[0]).unwrap_or("");
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let start = r.get(2).and_then(int).unwrap_or(1);
                        let occurrence = r.get(3).and_then(int).unwrap_or(1);
                        if start < 1 {
                            return Err(invalid("start position cannot be smaller than 1"));
                        }
                        if occurrence < 1 {
                            return Err(invalid("occurrence cannot be smaller than 1"));
                        }
                        let Some((offset, _)) = s.char_indices().nth(start as usize - 1) else {
                            return Ok(ScalarValue::Int32(Some(-1)));
                        };
                        let found = re.find_iter(&s[offset..]).nth(occurrence as usize - 1);
                        Ok(ScalarValue::Int32(Some(
                            found.map_or(-1, |m| s[..offset + m.start()].chars().count() as i32 + 1),
                        )))
                    })
                },
            )
            .udf()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_replacements_become_the_crates() {
        // https://trino.io/docs/current/functions/regexp.html#regexp_replace: '3c$2 '
        assert_eq!(java_replacement("3c$2 "), "3c${2} ");
        assert_eq!(java_replacement("$1a"), "${1}a");
        assert_eq!(java_replacement("\\$x"), "$$x");
        let re = Regex::new(r"(\d+)([ab]) ").unwrap();
        assert_eq!(re.replace_all("1a 2b 14m", java_replacement("3c$2 ").as_str()), "3ca 3cb 14m");
    }
}
