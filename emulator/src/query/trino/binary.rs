//! Trino's binary (varbinary) functions, and its URL functions.
//! <https://trino.io/docs/current/functions/binary.html>, <https://trino.io/docs/current/functions/url.html>

use super::udf::{Udf, arity, invalid, is_binary, is_text};
use super::values::{bigint, binary, bytes, int, rowwise, strict, text, utf8};
use base64::Engine as _;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;

fn bytes_fn(
    name: &str,
    result: DataType,
    f: impl Fn(&[u8]) -> Result<ScalarValue> + Send + Sync + 'static,
) -> ScalarUDF {
    let typed = result.clone();
    let function = name.to_string();
    Udf::new(
        name,
        arity(&[1]),
        move |t| expect(&function, &t[0], "varbinary", is_binary).map(|()| typed.clone()),
        move |a| {
            rowwise(a, |r| match bytes(&r[0]) {
                Some(b) => f(b),
                None => ScalarValue::try_from(a.result.data_type()),
            })
        },
    )
    .udf()
}

fn text_fn(name: &str, result: DataType, f: impl Fn(&str) -> Result<ScalarValue> + Send + Sync + 'static) -> ScalarUDF {
    let typed = result.clone();
    let function = name.to_string();
    Udf::new(
        name,
        arity(&[1]),
        move |t| expect(&function, &t[0], "varchar", is_text).map(|()| typed.clone()),
        move |a| {
            rowwise(a, |r| match text(&r[0]) {
                Some(s) => f(s),
                None => ScalarValue::try_from(a.result.data_type()),
            })
        },
    )
    .udf()
}

/// Trino resolves these functions by their argument type: `to_hex(255)` has no match (it is
/// not NULL).
fn expect(function: &str, t: &DataType, expected: &str, ok: fn(&DataType) -> bool) -> Result<()> {
    if ok(t) || matches!(t, DataType::Null) {
        return Ok(());
    }
    Err(datafusion::error::DataFusionError::Plan(format!(
        "TYPE_MISMATCH: line 1:1: Unexpected parameters ({}) for function {function}. Expected: {function}({expected})",
        crate::query::types::athena_type_name(t)
    )))
}

fn digest<D: sha2::Digest>(b: &[u8]) -> Result<ScalarValue> {
    Ok(binary(Some(D::digest(b).to_vec())))
}

fn base64_decode(engine: &base64::engine::GeneralPurpose, s: &str) -> Result<ScalarValue> {
    engine.decode(s.trim_end_matches('=')).map(|b| binary(Some(b))).map_err(|e| invalid(format!("Invalid input: {e}")))
}

pub fn functions() -> Vec<ScalarUDF> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_encode_padding(true),
    );
    let lenient_url = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_encode_padding(true),
    );
    let _ = URL_SAFE_NO_PAD;
    let mut out = vec![
        bytes_fn("to_hex", DataType::Utf8, |b| Ok(utf8(Some(hex::encode_upper(b))))),
        text_fn("from_hex", DataType::Binary, |s| {
            hex::decode(s).map(|b| binary(Some(b))).map_err(|_| invalid("invalid hex string"))
        }),
        bytes_fn("to_base64", DataType::Utf8, |b| Ok(utf8(Some(STANDARD.encode(b))))),
        text_fn("from_base64", DataType::Binary, move |s| base64_decode(&lenient, s)),
        bytes_fn("to_base64url", DataType::Utf8, |b| Ok(utf8(Some(URL_SAFE.encode(b))))),
        text_fn("from_base64url", DataType::Binary, move |s| base64_decode(&lenient_url, s)),
        bytes_fn("md5", DataType::Binary, digest::<md5::Md5>),
        bytes_fn("sha1", DataType::Binary, digest::<sha1::Sha1>),
        bytes_fn("sha256", DataType::Binary, digest::<sha2::Sha256>),
        bytes_fn("sha512", DataType::Binary, digest::<sha2::Sha512>),
        bytes_fn("crc32", DataType::Int64, |b| Ok(bigint(Some(i64::from(crc32fast::hash(b)))))),
        bytes_fn("xxhash64", DataType::Binary, |b| {
            Ok(binary(Some(twox_hash::XxHash64::oneshot(0, b).to_be_bytes().to_vec())))
        }),
        bytes_fn("from_big_endian_64", DataType::Int64, |b| {
            let b: [u8; 8] = b
                .try_into()
                .map_err(|_| invalid("expected 8-byte input, but got instead: ".to_string() + &b.len().to_string()))?;
            Ok(bigint(Some(i64::from_be_bytes(b))))
        }),
        bytes_fn("from_big_endian_32", DataType::Int32, |b| {
            let b: [u8; 4] = b
                .try_into()
                .map_err(|_| invalid("expected 4-byte input, but got instead: ".to_string() + &b.len().to_string()))?;
            Ok(ScalarValue::Int32(Some(i32::from_be_bytes(b))))
        }),
        Udf::new(
            "to_big_endian_64",
            arity(&[1]),
            |_| Ok(DataType::Binary),
            |a| rowwise(a, |r| Ok(binary(int(&r[0]).map(|v| v.to_be_bytes().to_vec())))),
        )
        .udf(),
        Udf::new(
            "to_big_endian_32",
            arity(&[1]),
            |_| Ok(DataType::Binary),
            |a| rowwise(a, |r| Ok(binary(int(&r[0]).map(|v| (v as i32).to_be_bytes().to_vec())))),
        )
        .udf(),
    ];
    for (name, which) in [("hmac_md5", 0), ("hmac_sha1", 1), ("hmac_sha256", 2), ("hmac_sha512", 3)] {
        out.push(
            Udf::new(
                name,
                arity(&[2]),
                |_| Ok(DataType::Binary),
                move |a| {
                    strict(a, |r| {
                        let (m, k) = (bytes(&r[0]).unwrap_or(&[]), bytes(&r[1]).unwrap_or(&[]));
                        Ok(binary(Some(hmac(which, k, m))))
                    })
                },
            )
            .udf(),
        );
    }
    out.extend(urls());
    out
}

fn hmac(which: u8, key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    macro_rules! run {
        ($d:ty) => {{
            let mut mac = <hmac::Hmac<$d> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }};
    }
    match which {
        0 => run!(md5::Md5),
        1 => run!(sha1::Sha1),
        2 => run!(sha2::Sha256),
        _ => run!(sha2::Sha512),
    }
}

/// A URL as Trino's functions see it (java.net.URI): absolute, or a path relative to nothing.
fn parse_url(s: &str) -> Option<url::Url> {
    match url::Url::parse(s) {
        Ok(u) => Some(u),
        Err(url::ParseError::RelativeUrlWithoutBase) if s.starts_with('/') => {
            url::Url::parse("relative:///").ok()?.join(s).ok()
        }
        Err(_) => None,
    }
}

fn urls() -> Vec<ScalarUDF> {
    let part = |name: &str, f: fn(&url::Url) -> Option<String>| {
        text_fn(name, DataType::Utf8, move |s| Ok(utf8(parse_url(s).and_then(|u| f(&u)))))
    };
    vec![
        part("url_extract_host", |u| u.host_str().map(str::to_string)),
        part("url_extract_path", |u| Some(u.path().to_string())),
        part("url_extract_protocol", |u| if u.scheme() == "relative" { None } else { Some(u.scheme().to_string()) }),
        part("url_extract_query", |u| u.query().map(str::to_string)),
        part("url_extract_fragment", |u| u.fragment().map(str::to_string)),
        text_fn("url_extract_port", DataType::Int64, |s| {
            Ok(bigint(parse_url(s).and_then(|u| u.port()).map(i64::from)))
        }),
        Udf::new(
            "url_extract_parameter",
            arity(&[2]),
            |_| Ok(DataType::Utf8),
            |a| {
                strict(a, |r| {
                    let Some(u) = parse_url(text(&r[0]).unwrap_or("")) else { return Ok(utf8(None)) };
                    let name = text(&r[1]).unwrap_or("");
                    // The raw value (Trino does not decode it), first occurrence.
                    let value = u.query().unwrap_or("").split('&').find_map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        (k == name).then(|| v.to_string())
                    });
                    Ok(utf8(value))
                })
            },
        )
        .udf(),
        text_fn("url_encode", DataType::Utf8, |s| Ok(utf8(Some(url_encode(s))))),
        text_fn("url_decode", DataType::Utf8, |s| {
            let plus = s.replace('+', " ");
            percent_encoding::percent_decode_str(&plus)
                .decode_utf8()
                .map(|d| utf8(Some(d.into_owned())))
                .map_err(|e| invalid(format!("URLDecoder: {e}")))
        }),
    ]
}

/// Java's `URLEncoder.encode(s, UTF_8)`: letters, digits and `.-*_` kept, space as `+`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_published_vectors() {
        // RFC 1321 / FIPS 180 test vectors for "abc"; RFC 4231 case 2 for HMAC-SHA256.
        let hex = |v: Vec<u8>| hex::encode(v);
        assert_eq!(hex(<md5::Md5 as sha2::Digest>::digest(b"abc").to_vec()), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(<sha2::Sha256 as sha2::Digest>::digest(b"abc").to_vec()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(hmac(2, b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(crc32fast::hash(b"abc"), 0x352441c2);
        // xxHash64 of "abc" with seed 0 (the reference implementation's value).
        assert_eq!(twox_hash::XxHash64::oneshot(0, b"abc"), 0x44bc2cf5ad770999);
    }

    #[test]
    fn urls_as_java_reads_them() {
        assert_eq!(url_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        let u = parse_url("https://user@example.com:8080/path/a?x=1&y=2#frag").unwrap();
        assert_eq!(
            (u.host_str(), u.port(), u.path(), u.query(), u.fragment()),
            (Some("example.com"), Some(8080), "/path/a", Some("x=1&y=2"), Some("frag"))
        );
        assert_eq!(parse_url("/relative/path?q=1").unwrap().path(), "/relative/path");
        assert!(parse_url("not a url").is_none());
    }
}
