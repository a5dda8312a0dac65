//! Trino's string functions where DataFusion lacks them or answers differently.
//! <https://trino.io/docs/current/functions/string.html>

use super::udf::{Udf, arity, invalid, is_binary};
use super::values::{bigint, binary, bytes, int, list_of, rowwise, strict, string_list, text, utf8};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        // length: characters of a varchar, bytes of a varbinary; bigint.
        Udf::new(
            "length",
            arity(&[1]),
            |_| Ok(DataType::Int64),
            |a| {
                if let Some(out) = super::fast::length(a)? {
                    return Ok(out);
                }
                rowwise(a, |r| {
                    Ok(bigint(match &r[0] {
                        v if text(v).is_some() => text(v).map(|s| s.chars().count() as i64),
                        v => bytes(v).map(|b| b.len() as i64),
                    }))
                })
            },
        )
        .udf(),
        // strpos(string, substring[, instance]): 1-based character position, 0 when absent;
        // a negative instance counts from the end.
        Udf::new(
            "strpos",
            arity(&[2, 3]),
            |_| Ok(DataType::Int64),
            |a| {
                if let Some(out) = super::fast::strpos(a)? {
                    return Ok(out);
                }
                strict(a, |r| {
                    let (s, sub) = (text(&r[0]).unwrap_or(""), text(&r[1]).unwrap_or(""));
                    let instance = r.get(2).and_then(int).unwrap_or(1);
                    if instance == 0 {
                        return Err(invalid("'instance' must be a positive or negative number."));
                    }
                    Ok(bigint(Some(strpos(s, sub, instance))))
                })
            },
        )
        .udf(),
        // substr(string, start[, length]): negative starts count from the end.
        Udf::new(
            "substr",
            arity(&[2, 3]),
            |t| Ok(if is_binary(&t[0]) { DataType::Binary } else { DataType::Utf8 }),
            |a| {
                if let Some(out) = super::fast::substr(a)? {
                    return Ok(out);
                }
                strict(a, |r| {
                    let start = int(&r[1]).unwrap_or(1);
                    let length = r.get(2).and_then(int);
                    if let Some(s) = text(&r[0]) {
                        let chars: Vec<char> = s.chars().collect();
                        let (from, to) = substr_range(chars.len(), start, length);
                        Ok(utf8(Some(chars[from..to].iter().collect())))
                    } else {
                        let b = bytes(&r[0]).unwrap_or(&[]);
                        let (from, to) = substr_range(b.len(), start, length);
                        Ok(binary(Some(b[from..to].to_vec())))
                    }
                })
            },
        )
        .alias("__lakebox_substr")
        .udf(),
        pad_udf("lpad", true),
        pad_udf("rpad", false),
        // replace(string, search[, replacement]): an empty search inserts between characters.
        Udf::new(
            "replace",
            arity(&[2, 3]),
            |_| Ok(DataType::Utf8),
            |a| {
                strict(a, |r| {
                    let (s, from) = (text(&r[0]).unwrap_or(""), text(&r[1]).unwrap_or(""));
                    Ok(utf8(Some(s.replace(from, r.get(2).and_then(text).unwrap_or("")))))
                })
            },
        )
        .udf(),
        // split(string, delimiter[, limit]) -> array(varchar)
        Udf::new(
            "split",
            arity(&[2, 3]),
            |_| Ok(list_of(DataType::Utf8)),
            |a| {
                strict(a, |r| {
                    let (s, d) = (text(&r[0]).unwrap_or(""), text(&r[1]).unwrap_or(""));
                    if d.is_empty() {
                        return Err(invalid("The delimiter may not be the empty string"));
                    }
                    let parts: Vec<Option<String>> = match r.get(2).and_then(int) {
                        Some(n) if n <= 0 => return Err(invalid("Limit must be positive")),
                        Some(n) => s.splitn(n as usize, d).map(|p| Some(p.to_string())).collect(),
                        None => s.split(d).map(|p| Some(p.to_string())).collect(),
                    };
                    Ok(string_list(Some(parts)))
                })
            },
        )
        .udf(),
        // split_part(string, delimiter, index): NULL past the last field.
        Udf::new(
            "split_part",
            arity(&[3]),
            |_| Ok(DataType::Utf8),
            |a| {
                if let Some(out) = super::fast::split_part(a)? {
                    return Ok(out);
                }
                strict(a, |r| {
                    let (s, d) = (text(&r[0]).unwrap_or(""), text(&r[1]).unwrap_or(""));
                    let index = int(&r[2]).unwrap_or(0);
                    if index <= 0 {
                        return Err(invalid("Index must be greater than zero"));
                    }
                    let field = if d.is_empty() {
                        s.chars().nth(index as usize - 1).map(String::from)
                    } else {
                        s.split(d).nth(index as usize - 1).map(String::from)
                    };
                    Ok(utf8(field))
                })
            },
        )
        .udf(),
        Udf::new(
            "codepoint",
            arity(&[1]),
            |_| Ok(DataType::Int32),
            |a| {
                rowwise(a, |r| match text(&r[0]) {
                    None => Ok(ScalarValue::Int32(None)),
                    Some(s) if s.chars().count() == 1 => Ok(ScalarValue::Int32(s.chars().next().map(|c| c as i32))),
                    Some(_) => Err(invalid("Input string must be a single character string")),
                })
            },
        )
        .udf(),
        Udf::new(
            "levenshtein_distance",
            arity(&[2]),
            |_| Ok(DataType::Int64),
            |a| {
                strict(a, |r| {
                    let (x, y): (Vec<char>, Vec<char>) =
                        (text(&r[0]).unwrap_or("").chars().collect(), text(&r[1]).unwrap_or("").chars().collect());
                    Ok(bigint(Some(levenshtein(&x, &y) as i64)))
                })
            },
        )
        .udf(),
        Udf::new(
            "hamming_distance",
            arity(&[2]),
            |_| Ok(DataType::Int64),
            |a| {
                strict(a, |r| {
                    let (x, y): (Vec<char>, Vec<char>) =
                        (text(&r[0]).unwrap_or("").chars().collect(), text(&r[1]).unwrap_or("").chars().collect());
                    if x.len() != y.len() {
                        return Err(invalid(
                            "The input strings to hamming_distance function must have the same length",
                        ));
                    }
                    Ok(bigint(Some(x.iter().zip(&y).filter(|(a, b)| a != b).count() as i64)))
                })
            },
        )
        .udf(),
        Udf::new(
            "to_utf8",
            arity(&[1]),
            |_| Ok(DataType::Binary),
            |a| rowwise(a, |r| Ok(binary(text(&r[0]).map(|s| s.as_bytes().to_vec())))),
        )
        .udf(),
        // from_utf8(binary[, replace]): invalid sequences become U+FFFD or the replacement.
        Udf::new(
            "from_utf8",
            arity(&[1, 2]),
            |_| Ok(DataType::Utf8),
            |a| {
                rowwise(a, |r| {
                    let Some(b) = bytes(&r[0]) else { return Ok(utf8(None)) };
                    let replacement = match r.get(1) {
                        None => "\u{FFFD}".to_string(),
                        Some(v) => match (text(v), int(v)) {
                            (Some(s), _) => s.to_string(),
                            (None, Some(cp)) => char::from_u32(cp as u32)
                                .ok_or_else(|| invalid("Invalid replacement character"))?
                                .to_string(),
                            _ => return Ok(utf8(None)),
                        },
                    };
                    Ok(utf8(Some(lossy(b, &replacement))))
                })
            },
        )
        .udf(),
        Udf::new(
            "luhn_check",
            arity(&[1]),
            |_| Ok(DataType::Boolean),
            |a| rowwise(a, |r| Ok(ScalarValue::Boolean(text(&r[0]).map(luhn)))),
        )
        .udf(),
        Udf::new(
            "soundex",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| rowwise(a, |r| Ok(utf8(text(&r[0]).map(soundex)))),
        )
        .udf(),
        // concat: NULL if any argument is NULL; varchar, varbinary or arrays.
        Udf::new(
            "concat",
            datafusion::logical_expr::Signature::variadic_any(datafusion::logical_expr::Volatility::Immutable),
            |t| {
                Ok(if let Some(list) = t.iter().find(|t| matches!(t, DataType::List(_))) {
                    list.clone()
                } else if t.iter().all(is_binary) {
                    DataType::Binary
                } else {
                    DataType::Utf8
                })
            },
            concat,
        )
        .udf(),
        Udf::new(
            "format",
            datafusion::logical_expr::Signature::variadic_any(datafusion::logical_expr::Volatility::Immutable),
            |_| Ok(DataType::Utf8),
            |a| {
                rowwise(a, |r| {
                    let Some(pattern) = r.first().and_then(text) else { return Ok(utf8(None)) };
                    Ok(utf8(Some(java_format(pattern, &r[1..])?)))
                })
            },
        )
        .udf(),
        // repeat(element, count) -> array
        Udf::new(
            "repeat",
            arity(&[2]),
            |t| Ok(list_of(if t[0] == DataType::Null { DataType::Utf8 } else { t[0].clone() })),
            |a| {
                let DataType::List(item) = a.result.data_type() else { unreachable!("typed as a list") };
                let item_type = item.data_type().clone();
                rowwise(a, |r| {
                    let Some(n) = int(&r[1]) else { return ScalarValue::try_from(a.result.data_type()) };
                    if !(0..=10_000).contains(&n) {
                        return Err(invalid("count must be between 0 and 10000"));
                    }
                    let v = r[0].cast_to(&item_type)?;
                    let values = vec![v; n as usize];
                    Ok(ScalarValue::List(ScalarValue::new_list_nullable(&values, &item_type)))
                })
            },
        )
        .udf(),
    ]
}

/// `lpad`/`rpad(x, size, padding)` of text (by characters) and varbinary (by bytes): longer
/// values are cut to `size`, as in Trino.
fn pad<T: Clone>(value: &[T], size: usize, padding: &[T], left: bool) -> Vec<T> {
    if value.len() >= size || padding.is_empty() {
        return value[..size.min(value.len())].to_vec();
    }
    let fill: Vec<T> = padding.iter().cycle().take(size - value.len()).cloned().collect();
    if left { [fill, value.to_vec()].concat() } else { [value.to_vec(), fill].concat() }
}

fn pad_udf(name: &str, left: bool) -> ScalarUDF {
    Udf::new(
        name,
        arity(&[3]),
        |t| Ok(if is_binary(&t[0]) { DataType::Binary } else { DataType::Utf8 }),
        move |a| {
            let binary_result = is_binary(a.result.data_type());
            strict(a, |r| {
                let size = int(&r[1]).unwrap_or(0);
                if !(0..=i64::from(i32::MAX)).contains(&size) {
                    return Err(invalid("Target length must be in the range [0..2147483647]"));
                }
                if binary_result {
                    let (v, p) = (bytes(&r[0]).unwrap_or(&[]), bytes(&r[2]).unwrap_or(&[]));
                    if p.is_empty() {
                        return Err(invalid("Padding bytes must not be empty"));
                    }
                    return Ok(binary(Some(pad(v, size as usize, p, left))));
                }
                let v: Vec<char> = text(&r[0]).unwrap_or("").chars().collect();
                let p: Vec<char> = text(&r[2]).unwrap_or("").chars().collect();
                if p.is_empty() {
                    return Err(invalid("Padding string must not be empty"));
                }
                Ok(utf8(Some(pad(&v, size as usize, &p, left).into_iter().collect())))
            })
        },
    )
    .udf()
}

/// Java's `String.format` (which Trino's `format` is) for the conversions reports use:
/// `%s %S %d %x %X %o %f %e %b %c %% %n` with flags `-+0, `, a width and a precision.
pub fn java_format(pattern: &str, args: &[ScalarValue]) -> Result<String> {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let (mut i, mut next) = (0, 0);
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut flags = String::new();
        while i < chars.len() && "-+0, #(".contains(chars[i]) {
            flags.push(chars[i]);
            i += 1;
        }
        let mut width = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            width.push(chars[i]);
            i += 1;
        }
        let mut precision = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                p.push(chars[i]);
                i += 1;
            }
            precision = p.parse::<usize>().ok();
        }
        let Some(&conversion) = chars.get(i) else {
            return Err(invalid(format!("Format specifier is incomplete: {pattern}")));
        };
        i += 1;
        if conversion == '%' {
            out.push('%');
            continue;
        }
        if conversion == 'n' {
            out.push('\n');
            continue;
        }
        let arg = args.get(next).ok_or_else(|| invalid(format!("Format specifier '%{conversion}' has no argument")))?;
        next += 1;
        let text_of = |v: &ScalarValue| -> String {
            if v.is_null() { "null".into() } else { text(v).map(str::to_string).unwrap_or_else(|| v.to_string()) }
        };
        let group = |digits: &str| -> String {
            let (sign, d) = digits.strip_prefix('-').map_or(("", digits), |d| ("-", d));
            let mut grouped = String::new();
            for (k, c) in d.chars().enumerate() {
                if k > 0 && (d.len() - k).is_multiple_of(3) {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            format!("{sign}{grouped}")
        };
        let mut body = match conversion {
            's' | 'S' => {
                let t = text_of(arg);
                let t = match precision {
                    Some(p) => t.chars().take(p).collect(),
                    None => t,
                };
                if conversion == 'S' { t.to_uppercase() } else { t }
            }
            'b' => (!arg.is_null() && !matches!(arg, ScalarValue::Boolean(Some(false)))).to_string(),
            'c' => int(arg).and_then(|c| char::from_u32(c as u32)).map(String::from).unwrap_or_else(|| text_of(arg)),
            'd' => {
                let v = int(arg).ok_or_else(|| invalid(format!("%d needs an integer, got {}", text_of(arg))))?;
                let digits = v.to_string();
                if flags.contains(',') { group(&digits) } else { digits }
            }
            'x' | 'X' | 'o' => {
                let v = int(arg).ok_or_else(|| invalid(format!("%{conversion} needs an integer")))?;
                match conversion {
                    'x' => format!("{v:x}"),
                    'X' => format!("{v:X}"),
                    _ => format!("{v:o}"),
                }
            }
            'f' | 'e' | 'E' => {
                let v = super::values::float(arg).ok_or_else(|| invalid(format!("%{conversion} needs a number")))?;
                let p = precision.unwrap_or(6);
                match conversion {
                    'f' => {
                        let t = format!("{v:.p$}");
                        if flags.contains(',') {
                            let (int_part, frac) = t.split_once('.').map_or((t.as_str(), None), |(a, b)| (a, Some(b)));
                            let g = group(int_part);
                            frac.map_or(g.clone(), |f| format!("{g}.{f}"))
                        } else {
                            t
                        }
                    }
                    _ => {
                        // Java writes the exponent with a sign and two digits: 1.500000e+00.
                        let t = format!("{v:.p$e}");
                        let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
                        let e: i32 = e.parse().unwrap_or(0);
                        let t = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
                        if conversion == 'E' { t.to_uppercase() } else { t }
                    }
                }
            }
            other => return Err(invalid(format!("Unknown format conversion: '{other}'"))),
        };
        if flags.contains('+') && "dfeE".contains(conversion) && !body.starts_with('-') {
            body.insert(0, '+');
        } else if flags.contains(' ') && "dfeE".contains(conversion) && !body.starts_with('-') {
            body.insert(0, ' ');
        }
        if let Ok(w) = width.parse::<usize>() {
            let len = body.chars().count();
            if len < w {
                let pad = w - len;
                if flags.contains('-') {
                    body.push_str(&" ".repeat(pad));
                } else if flags.contains('0') && "dxXofeE".contains(conversion) {
                    let sign =
                        if body.starts_with(['-', '+', ' ']) { body.remove(0).to_string() } else { String::new() };
                    body = format!("{sign}{}{body}", "0".repeat(pad));
                } else {
                    body = format!("{}{body}", " ".repeat(pad));
                }
            }
        }
        out.push_str(&body);
    }
    Ok(out)
}

/// The character range `substr(s, start, length)` takes, for a string of `n` characters.
pub fn substr_range(n: usize, start: i64, length: Option<i64>) -> (usize, usize) {
    let n = n as i64;
    if start == 0 || start > n || start < -n {
        return (0, 0);
    }
    let from = if start > 0 { start - 1 } else { n + start };
    let to = match length {
        Some(l) if l <= 0 => from,
        Some(l) => (from + l).min(n),
        None => n,
    };
    (from as usize, to as usize)
}

fn strpos(s: &str, sub: &str, instance: i64) -> i64 {
    let positions: Vec<usize> = if sub.is_empty() {
        (0..=s.len()).filter(|i| s.is_char_boundary(*i)).collect()
    } else {
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(i) = s[from..].find(sub) {
            found.push(from + i);
            // Overlapping matches count, as in Trino.
            from += i + s[from + i..].chars().next().map_or(1, char::len_utf8);
        }
        found
    };
    let chosen = if instance > 0 {
        positions.get(instance as usize - 1)
    } else {
        positions.len().checked_sub(instance.unsigned_abs() as usize).and_then(|i| positions.get(i))
    };
    chosen.map_or(0, |byte| s[..*byte].chars().count() as i64 + 1)
}

pub fn levenshtein(x: &[char], y: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=y.len()).collect();
    for (i, a) in x.iter().enumerate() {
        let mut current = vec![i + 1; y.len() + 1];
        for (j, b) in y.iter().enumerate() {
            current[j + 1] = (previous[j] + usize::from(a != b)).min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[y.len()]
}

fn lossy(mut b: &[u8], replacement: &str) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push_str(replacement);
                let skip = e.error_len().unwrap_or(rest.len());
                b = &rest[skip..];
            }
        }
    }
}

fn luhn(s: &str) -> bool {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// American Soundex, as Trino (and Apache Commons Codec) computes it.
fn soundex(s: &str) -> String {
    let code = |c: char| match c.to_ascii_uppercase() {
        'B' | 'F' | 'P' | 'V' => Some('1'),
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => Some('2'),
        'D' | 'T' => Some('3'),
        'L' => Some('4'),
        'M' | 'N' => Some('5'),
        'R' => Some('6'),
        _ => None,
    };
    let letters: Vec<char> = s.chars().filter(char::is_ascii_alphabetic).collect();
    let Some(first) = letters.first() else { return String::new() };
    let mut out = first.to_ascii_uppercase().to_string();
    let mut last = code(*first);
    for c in &letters[1..] {
        let current = code(*c);
        if current.is_some() && current != last {
            out.push(current.unwrap_or('0'));
            if out.len() == 4 {
                break;
            }
        }
        // H and W do not separate equal codes; vowels do.
        if !matches!(c.to_ascii_uppercase(), 'H' | 'W') {
            last = current;
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

fn concat(a: &super::udf::Args<'_>) -> Result<ArrayRef> {
    let target = a.result.data_type().clone();
    if target == DataType::Utf8 {
        // Vectorized: reports concatenate columns over every row.
        let parts: Vec<ArrayRef> = a.arrays.iter().map(super::udf::strings).collect::<Result<_>>()?;
        let parts: Vec<&datafusion::arrow::array::StringArray> = parts
            .iter()
            .map(|p| p.as_any().downcast_ref().ok_or_else(|| invalid("concat of text")))
            .collect::<Result<_>>()?;
        let mut out = datafusion::arrow::array::StringBuilder::with_capacity(a.rows, a.rows * 16);
        let mut row = String::new();
        for i in 0..a.rows {
            if parts.iter().any(|p| p.is_null(i)) {
                out.append_null();
                continue;
            }
            row.clear();
            for p in &parts {
                row.push_str(p.value(i));
            }
            out.append_value(&row);
        }
        return Ok(Arc::new(out.finish()));
    }
    strict(a, |r| match &target {
        DataType::List(item) => {
            let mut parts: Vec<ArrayRef> = Vec::new();
            for v in r {
                match v {
                    ScalarValue::List(l) => {
                        parts.push(datafusion::arrow::compute::cast(&l.value(0), item.data_type())?)
                    }
                    other => parts.push(other.cast_to(item.data_type())?.to_array()?),
                }
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
            let values = if refs.is_empty() {
                datafusion::arrow::array::new_empty_array(item.data_type())
            } else {
                datafusion::arrow::compute::concat(&refs)?
            };
            Ok(ScalarValue::List(Arc::new(datafusion::arrow::array::ListArray::new(
                item.clone(),
                datafusion::arrow::buffer::OffsetBuffer::from_lengths([values.len()]),
                values,
                None,
            ))))
        }
        DataType::Binary => Ok(binary(Some(r.iter().flat_map(|v| bytes(v).unwrap_or(&[]).to_vec()).collect()))),
        _ => {
            let mut out = String::new();
            for v in r {
                match text(v) {
                    Some(s) => out.push_str(s),
                    None => out.push_str(&v.cast_to(&DataType::Utf8)?.to_string()),
                }
            }
            Ok(utf8(Some(out)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // https://trino.io/docs/current/functions/string.html
    #[test]
    fn positions_ranges_and_distances() {
        assert_eq!(strpos("abcabc", "c", 1), 3);
        assert_eq!(strpos("abcabc", "c", 2), 6);
        assert_eq!(strpos("abcabc", "c", -1), 6);
        assert_eq!(strpos("abc", "z", 1), 0);
        assert_eq!(strpos("héllo", "l", 1), 3);
        assert_eq!(substr_range(6, 3, None), (2, 6));
        assert_eq!(substr_range(6, -2, None), (4, 6));
        assert_eq!(substr_range(6, -4, Some(2)), (2, 4));
        assert_eq!(substr_range(6, 0, None), (0, 0));
        assert_eq!(substr_range(6, 7, None), (0, 0));
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
    }

    // Values as java.lang.String.format gives them (java.util.Formatter's documented rules).
    #[test]
    fn java_format_conversions() {
        let i = |v: i64| ScalarValue::Int64(Some(v));
        let f = |v: f64| ScalarValue::Float64(Some(v));
        let s = |v: &str| ScalarValue::Utf8(Some(v.into()));
        assert_eq!(java_format("%03d-%s", &[i(7), s("a")]).unwrap(), "007-a");
        assert_eq!(java_format("%.2f", &[f(1.23456)]).unwrap(), "1.23");
        assert_eq!(
            java_format("%,d|%-5s|%5s|%x|%+d", &[i(1234567), s("ab"), s("cd"), i(255), i(3)]).unwrap(),
            "1,234,567|ab   |   cd|ff|+3"
        );
        assert_eq!(java_format("%e", &[f(1234.5)]).unwrap(), "1.234500e+03");
        assert_eq!(java_format("100%%", &[]).unwrap(), "100%");
        assert!(java_format("%d", &[]).is_err());
    }

    #[test]
    fn padding_cuts_and_fills() {
        // https://trino.io/docs/current/functions/string.html#lpad
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        let s = |v: Vec<char>| v.into_iter().collect::<String>();
        assert_eq!(s(pad(&c("abc"), 5, &c("*"), true)), "**abc");
        assert_eq!(s(pad(&c("abc"), 2, &c("*"), true)), "ab");
        assert_eq!(s(pad(&c("abc"), 5, &c("xy"), false)), "abcxy");
        assert_eq!(pad(&[1u8], 3, &[0u8], true), vec![0, 0, 1]);
    }

    #[test]
    fn checks_and_codes() {
        // Wikipedia's Luhn example; Soundex values from the Commons Codec tests.
        assert!(luhn("79927398713"));
        assert!(!luhn("79927398710"));
        assert_eq!(soundex("Robert"), "R163");
        assert_eq!(soundex("Rupert"), "R163");
        assert_eq!(soundex("Ashcraft"), "A261");
        assert_eq!(soundex("Tymczak"), "T522");
        assert_eq!(lossy(b"a\xffb", "?"), "a?b");
    }
}
