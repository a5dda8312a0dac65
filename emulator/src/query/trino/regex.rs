//! Trino's regular expression functions. Trino uses Java's pattern syntax; the `regex` crate
//! reads the same syntax for the classes, quantifiers and groups reports use, and a pattern it
//! refuses for look-around or back-references (`foo(?=bar)`, `(a)\1`) runs on `fancy-regex`, a
//! backtracking engine over the same syntax (`Pattern`).
//! Replacements use Java's `$1` group references, translated to the crates' `${1}`.
//! <https://trino.io/docs/current/functions/regexp.html>

use super::udf::{Udf, arity, invalid};
use super::values::{bigint, int, list_of, strict, string_list, text, utf8};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A compiled pattern: the `regex` crate's automaton, or `fancy-regex`'s backtracking matcher for
/// the look-around and back-references the former refuses.
pub enum Pattern {
    Plain(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

fn runtime(e: fancy_regex::Error) -> datafusion::error::DataFusionError {
    invalid(format!("Regular expression failed: {e}"))
}

impl Pattern {
    pub fn new(pattern: &str) -> Result<Self> {
        match regex::Regex::new(pattern) {
            Ok(re) => Ok(Self::Plain(re)),
            Err(plain) => match fancy_regex::Regex::new(pattern) {
                Ok(re) => Ok(Self::Fancy(Box::new(re))),
                Err(_) => Err(invalid(format!("Invalid regular expression: {plain}"))),
            },
        }
    }

    fn captures_len(&self) -> usize {
        match self {
            Self::Plain(re) => re.captures_len(),
            Self::Fancy(re) => re.captures_len(),
        }
    }

    fn is_match(&self, s: &str) -> Result<bool> {
        match self {
            Self::Plain(re) => Ok(re.is_match(s)),
            Self::Fancy(re) => re.is_match(s).map_err(runtime),
        }
    }

    /// Group `group` of the first match.
    fn group(&self, s: &str, group: usize) -> Result<Option<String>> {
        Ok(match self {
            Self::Plain(re) => re.captures(s).and_then(|c| c.get(group)).map(|m| m.as_str().to_string()),
            Self::Fancy(re) => {
                re.captures(s).map_err(runtime)?.and_then(|c| c.get(group)).map(|m| m.as_str().to_string())
            }
        })
    }

    /// Group `group` of every match.
    fn groups(&self, s: &str, group: usize) -> Result<Vec<Option<String>>> {
        match self {
            Self::Plain(re) => Ok(re.captures_iter(s).map(|c| c.get(group).map(|m| m.as_str().to_string())).collect()),
            Self::Fancy(re) => re
                .captures_iter(s)
                .map(|c| c.map(|c| c.get(group).map(|m| m.as_str().to_string())).map_err(runtime))
                .collect(),
        }
    }

    /// Every match replaced (`replacement` in the crates' syntax).
    fn replace_all(&self, s: &str, replacement: &str) -> Result<String> {
        match self {
            Self::Plain(re) => Ok(re.replace_all(s, replacement).into_owned()),
            Self::Fancy(re) => re.try_replacen(s, 0, replacement).map(|c| c.into_owned()).map_err(runtime),
        }
    }

    fn split(&self, s: &str) -> Result<Vec<Option<String>>> {
        match self {
            Self::Plain(re) => Ok(re.split(s).map(|p| Some(p.to_string())).collect()),
            Self::Fancy(re) => re.split(s).map(|p| p.map(|p| Some(p.to_string())).map_err(runtime)).collect(),
        }
    }

    /// The byte offsets where the matches start.
    fn starts(&self, s: &str) -> Result<Vec<usize>> {
        match self {
            Self::Plain(re) => Ok(re.find_iter(s).map(|m| m.start()).collect()),
            Self::Fancy(re) => re.find_iter(s).map(|m| m.map(|m| m.start()).map_err(runtime)).collect(),
        }
    }
}

/// Compiled patterns, shared by the rows of a query (patterns are nearly always constants).
#[derive(Default)]
struct Cache(Mutex<HashMap<String, Arc<Pattern>>>);

impl Cache {
    fn get(&self, pattern: &str) -> Result<Arc<Pattern>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = map.get(pattern) {
            return Ok(r.clone());
        }
        let r = Arc::new(Pattern::new(pattern)?);
        if map.len() > 256 {
            map.clear();
        }
        map.insert(pattern.to_string(), r.clone());
        Ok(r)
    }
}

impl Cache {
    /// The constant pattern (second argument), compiled once per query: the vectorized bodies
    /// in `fast` take it when it is `Pattern::Plain`, through [`thread_copy`].
    fn constant(&self, a: &super::udf::Args<'_>) -> Result<Option<Arc<Pattern>>> {
        a.constant_text(1).map(|p| self.get(p)).transpose()
    }
}

/// `f` over a copy of `re` compiled by and for the current thread. One `regex::Regex` shared by
/// the partitions' threads is slow per row: its scratch space is handed to every thread but the
/// first through a locked pool, and each match's captures count references to the one shared
/// group table, a cache line all cores write (`regexp_replace` over 10M rows: 3.8-4.2 s against
/// 1.2 s when each batch compiled its own; a clone fixes the pool, not the group table).
fn thread_copy<R>(re: &regex::Regex, f: impl FnOnce(&regex::Regex) -> R) -> R {
    thread_local! {
        static COPIES: std::cell::RefCell<HashMap<String, regex::Regex>> = std::cell::RefCell::new(HashMap::new());
    }
    COPIES.with(|copies| {
        let mut copies = copies.borrow_mut();
        if !copies.contains_key(re.as_str()) {
            if copies.len() >= 64 {
                copies.clear();
            }
            // The same text compiled the same way (Pattern::new) cannot fail where it once did not.
            let copy = regex::Regex::new(re.as_str()).unwrap_or_else(|_| re.clone());
            copies.insert(re.as_str().to_string(), copy);
        }
        f(copies.get(re.as_str()).unwrap_or(re))
    })
}

fn group_check(re: &Pattern, group: i64) -> Result<usize> {
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
                    if let Some(pattern) = cache.constant(a)?
                        && let Pattern::Plain(re) = pattern.as_ref()
                        && let Some(out) = thread_copy(re, |re| super::fast::regexp_like(a, re))?
                    {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        Ok(ScalarValue::Boolean(Some(re.is_match(text(&r[0]).unwrap_or(""))?)))
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
                    if let Some(pattern) = cache.constant(a)?
                        && let Pattern::Plain(re) = pattern.as_ref()
                        && let Some(out) = thread_copy(re, |re| super::fast::regexp_extract(a, re))?
                    {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let group = group_check(&re, r.get(2).and_then(int).unwrap_or(0))?;
                        Ok(utf8(re.group(text(&r[0]).unwrap_or(""), group)?))
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
                        Ok(string_list(Some(re.groups(text(&r[0]).unwrap_or(""), group)?)))
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
                    if let Some(pattern) = cache.constant(a)?
                        && let Pattern::Plain(re) = pattern.as_ref()
                        && let Some(out) = thread_copy(re, |re| super::fast::regexp_replace(a, re))?
                    {
                        return Ok(out);
                    }
                    strict(a, |r| {
                        let re = cache.get(text(&r[1]).unwrap_or(""))?;
                        let replacement = java_replacement(r.get(2).and_then(text).unwrap_or(""));
                        Ok(utf8(Some(re.replace_all(text(&r[0]).unwrap_or(""), &replacement)?)))
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
                        Ok(string_list(Some(re.split(text(&r[0]).unwrap_or(""))?)))
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
                        Ok(bigint(Some(re.starts(text(&r[0]).unwrap_or(""))?.len() as i64)))
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
                        let found = re.starts(&s[offset..])?.get(occurrence as usize - 1).copied();
                        Ok(ScalarValue::Int32(Some(
                            found.map_or(-1, |start| s[..offset + start].chars().count() as i32 + 1),
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
        let re = Pattern::new(r"(\d+)([ab]) ").unwrap();
        assert!(matches!(re, Pattern::Plain(_)));
        assert_eq!(re.replace_all("1a 2b 14m", &java_replacement("3c$2 ")).unwrap(), "3ca 3cb 14m");
    }

    #[test]
    fn look_around_and_back_references_run_on_the_backtracking_engine() {
        // Java's semantics for these patterns (what Trino's joni and java.util.regex give).
        let re = Pattern::new(r"\d+(?= USD)").unwrap();
        assert!(matches!(re, Pattern::Fancy(_)));
        assert_eq!(re.group("price: 100 USD, 7 EUR", 0).unwrap().as_deref(), Some("100"));
        let re = Pattern::new(r"(\w)\1").unwrap();
        assert_eq!(re.groups("aa bb cd", 0).unwrap(), vec![Some("aa".to_string()), Some("bb".to_string())]);
        assert_eq!(Pattern::new(r"(?<=a)\d").unwrap().replace_all("a1b2a3", "X").unwrap(), "aXb2aX");
        assert!(!Pattern::new("^(?!test)").unwrap().is_match("test1").unwrap());
        assert_eq!(Pattern::new("(?<=,)").unwrap().split("a,b").unwrap().len(), 2);
        assert!(Pattern::new("(").is_err());
    }
}
