//! Turns any S3 request into an anonymous, plain one before `s3s` sees it.
//!
//! Lakebox accepts any credentials, but `s3s` either verifies signatures (and so needs the
//! client's secret) or rejects signed requests. So the signature is removed here: the
//! `Authorization` header, presigned-URL query parameters, and the `aws-chunked` framing that
//! newer SDKs wrap uploads in (`STREAMING-*` payloads, with their chunk signatures and trailing
//! checksums). The trailing headers are kept in a request extension so that the S3 operations can
//! verify the checksum they carry once the body has been read.

use axum::body::Body;
use axum::extract::Request;
use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::sync::{Arc, Mutex};

/// The trailing headers of an `aws-chunked` body, filled in when the body has been read to its end.
#[derive(Clone, Default, Debug)]
pub struct Trailers(pub Arc<Mutex<Option<HeaderMap>>>);

impl Trailers {
    /// The trailing header `name`, once the body has been consumed.
    pub fn get(&self, name: &str) -> Option<String> {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref()?.get(name)?.to_str().ok().map(str::to_string)
    }
}

/// Query parameters of presigned URLs (SigV4 and SigV2).
const PRESIGN_PARAMS: [&str; 10] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
];

/// Strips authentication and decodes `aws-chunked` bodies.
pub fn anonymize(request: Request) -> Request {
    let (mut parts, body) = request.into_parts();
    parts.headers.remove(http::header::AUTHORIZATION);
    parts.headers.remove("x-amz-security-token");
    if let Some(query) = parts.uri.query().filter(|q| PRESIGN_PARAMS.iter().any(|p| q.contains(p))) {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !PRESIGN_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
            })
            .collect();
        let path_and_query = if kept.is_empty() {
            parts.uri.path().to_string()
        } else {
            format!("{}?{}", parts.uri.path(), kept.join("&"))
        };
        let mut uri = http::uri::Parts::from(parts.uri.clone());
        if let Ok(pq) = path_and_query.parse() {
            uri.path_and_query = Some(pq);
            if let Ok(new) = http::Uri::from_parts(uri) {
                parts.uri = new;
            }
        }
    }
    let streaming = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    let chunked_encoding = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "aws-chunked"));
    parts.headers.remove("x-amz-content-sha256");
    if !(streaming || chunked_encoding) {
        return Request::from_parts(parts, body);
    }

    // The decoded length replaces the framed one; `aws-chunked` leaves Content-Encoding.
    if let Some(decoded) = parts.headers.remove("x-amz-decoded-content-length") {
        parts.headers.insert(http::header::CONTENT_LENGTH, decoded);
    } else {
        parts.headers.remove(http::header::CONTENT_LENGTH);
    }
    let remaining: Vec<String> = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',').map(str::trim).filter(|t| !t.is_empty() && *t != "aws-chunked").map(str::to_string).collect()
        })
        .unwrap_or_default();
    parts.headers.remove(http::header::CONTENT_ENCODING);
    if !remaining.is_empty()
        && let Ok(v) = HeaderValue::from_str(&remaining.join(","))
    {
        parts.headers.insert(http::header::CONTENT_ENCODING, v);
    }
    // The algorithm of a trailing checksum, for the operation to compute and compare.
    if let Some(trailer) = parts.headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase)
        && let Some(algorithm) = trailer.strip_prefix("x-amz-checksum-")
        && !parts.headers.contains_key("x-amz-checksum-algorithm")
        && let Ok(v) = HeaderValue::from_str(&algorithm.to_ascii_uppercase())
    {
        // s3s reads the algorithm from `x-amz-checksum-algorithm` (the SDKs' `x-amz-sdk-...` is
        // informational).
        parts.headers.insert(HeaderName::from_static("x-amz-checksum-algorithm"), v);
    }
    parts.headers.remove("x-amz-trailer");
    let trailers = Trailers::default();
    parts.extensions.insert(trailers.clone());
    let decoded = decode_aws_chunked(body.into_data_stream(), trailers);
    Request::from_parts(parts, Body::from_stream(decoded))
}

/// Why an `aws-chunked` body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("malformed aws-chunked body: {0}")]
pub struct ChunkedError(&'static str);

enum State {
    Header,
    Data(usize),
    DataEnd,
    Trailers,
    Done,
}

/// Decodes `hex-size[;chunk-signature=...]\r\n data \r\n ... 0[;...]\r\n [trailers\r\n] \r\n`.
fn decode_aws_chunked<S, E>(input: S, trailers: Trailers) -> impl Stream<Item = Result<Bytes, axum::BoxError>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<axum::BoxError>,
{
    let state = (input, BytesMut::new(), State::Header, HeaderMap::new(), trailers, false);
    futures::stream::unfold(state, |(mut input, mut buf, mut state, mut found, trailers, mut eof)| async move {
        loop {
            match state {
                State::Done => return None,
                State::Header => {
                    if let Some(line) = take_line(&mut buf) {
                        let size_text = line.split(';').next().unwrap_or_default().trim();
                        let Ok(size) = usize::from_str_radix(size_text, 16) else {
                            return Some((
                                Err(ChunkedError("bad chunk size").into()),
                                (input, buf, State::Done, found, trailers, eof),
                            ));
                        };
                        state = if size == 0 { State::Trailers } else { State::Data(size) };
                        continue;
                    }
                }
                State::Data(left) => {
                    if !buf.is_empty() {
                        let n = left.min(buf.len());
                        let chunk = buf.split_to(n).freeze();
                        let next = if n == left { State::DataEnd } else { State::Data(left - n) };
                        return Some((Ok(chunk), (input, buf, next, found, trailers, eof)));
                    }
                }
                State::DataEnd => {
                    if buf.len() >= 2 {
                        if &buf[..2] != b"\r\n" {
                            return Some((
                                Err(ChunkedError("chunk not followed by CRLF").into()),
                                (input, buf, State::Done, found, trailers, eof),
                            ));
                        }
                        buf.advance(2);
                        state = State::Header;
                        continue;
                    }
                }
                State::Trailers => {
                    if let Some(line) = take_line(&mut buf) {
                        if line.is_empty() {
                            *trailers.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::mem::take(&mut found));
                            state = State::Done;
                            continue;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && let (Ok(name), Ok(value)) =
                                (HeaderName::from_bytes(name.trim().as_bytes()), HeaderValue::from_str(value.trim()))
                        {
                            found.insert(name, value);
                        }
                        continue;
                    }
                    if eof {
                        // Some clients end the body right after the last trailer line.
                        *trailers.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::mem::take(&mut found));
                        return None;
                    }
                }
            }
            if eof {
                return Some((
                    Err(ChunkedError("body ended inside a chunk").into()),
                    (input, buf, State::Done, found, trailers, eof),
                ));
            }
            if matches!(state, State::Header | State::Trailers) && buf.len() > MAX_LINE {
                return Some((
                    Err(ChunkedError("chunk header or trailer line too long").into()),
                    (input, buf, State::Done, found, trailers, eof),
                ));
            }
            match input.next().await {
                Some(Ok(bytes)) => buf.extend_from_slice(&bytes),
                Some(Err(e)) => return Some((Err(e.into()), (input, buf, State::Done, found, trailers, eof))),
                None => eof = true,
            }
        }
    })
}

/// The longest chunk-header or trailer line accepted; a longer one is a malformed body, not
/// something to buffer without end.
const MAX_LINE: usize = 16 * 1024;

/// Takes one CRLF-terminated line (without the CRLF) off the front of `buf`, if complete.
fn take_line(buf: &mut BytesMut) -> Option<String> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.advance(end + 2);
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn decode(pieces: Vec<&'static [u8]>) -> (Result<Vec<u8>, String>, Trailers) {
        let trailers = Trailers::default();
        let input = futures::stream::iter(pieces.into_iter().map(|p| Ok::<_, std::io::Error>(Bytes::from_static(p))));
        let mut stream = Box::pin(decode_aws_chunked(input, trailers.clone()));
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => out.extend_from_slice(&bytes),
                Err(e) => return (Err(e.to_string()), trailers),
            }
        }
        (Ok(out), trailers)
    }

    #[tokio::test]
    async fn decodes_signed_chunks_split_anywhere() {
        let (data, trailers) = decode(vec![
            b"5;chunk-signature=abc\r\nhel",
            b"lo\r\n6;chunk-signature=def\r\n world\r",
            b"\n0;chunk-signature=ghi\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
        ])
        .await;
        assert_eq!(data.unwrap(), b"hello world");
        assert_eq!(trailers.get("x-amz-checksum-crc32").as_deref(), Some("DUoRhQ=="));
    }

    #[tokio::test]
    async fn decodes_unsigned_trailer_form_and_refuses_garbage() {
        let (data, _) = decode(vec![b"3\r\nabc\r\n0\r\n\r\n"]).await;
        assert_eq!(data.unwrap(), b"abc");
        let (data, _) = decode(vec![b"zz\r\nabc"]).await;
        assert!(data.unwrap_err().contains("bad chunk size"));
        let (data, _) = decode(vec![b"5\r\nab"]).await;
        assert!(data.unwrap_err().contains("ended inside"));
        let long: &'static [u8] = Box::leak(vec![b'a'; 40_000].into_boxed_slice());
        let (data, _) = decode(vec![long, long]).await;
        assert!(data.unwrap_err().contains("too long"));
    }
}
