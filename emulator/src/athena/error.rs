//! Athena's error shapes: `InvalidRequestException` (with an `AthenaErrorCode`), `MetadataException`,
//! `ResourceNotFoundException`, and `InternalServerException` for our own failures.

use crate::catalog::CatalogError;

/// What can go wrong in an Athena operation.
#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    /// `InvalidRequestException`: bad input, or a named resource that does not exist
    /// (`AthenaErrorCode` `INVALID_INPUT`).
    #[error("{0}")]
    InvalidRequest(String),
    /// `InvalidRequestException` with another `AthenaErrorCode` (`MALFORMED_QUERY`, ...).
    #[error("{message}")]
    Request { code: &'static str, message: String },
    /// `MetadataException`: the data catalog could not answer (e.g. no such database).
    #[error("{0}")]
    Metadata(String),
    /// `ResourceNotFoundException`.
    #[error("{0}")]
    ResourceNotFound(String),
    /// A bug or a broken disk: logged, answered as HTTP 500.
    #[error("athena store: {0}")]
    Internal(String),
}

impl AthenaError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::Request { .. } => "InvalidRequestException",
            Self::Metadata(_) => "MetadataException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::Internal(_) => "InternalServerException",
        }
    }

    /// The `AthenaErrorCode` of an `InvalidRequestException`.
    pub fn athena_code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(_) => Some("INVALID_INPUT"),
            Self::Request { code, .. } => Some(code),
            _ => None,
        }
    }

    /// An `InvalidRequestException` with this `AthenaErrorCode`.
    pub fn request(code: &'static str, message: impl Into<String>) -> Self {
        Self::Request { code, message: message.into() }
    }

    /// Shorthand for `InvalidRequestException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }
}

impl From<rusqlite::Error> for AthenaError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for AthenaError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Catalog failures seen through Athena: missing databases and tables are `MetadataException`s,
/// as Athena reports them; bad input stays `InvalidRequestException`.
impl From<CatalogError> for AthenaError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound(m) => Self::Metadata(m),
            e if e.is_internal() => Self::Internal(e.to_string()),
            e => Self::InvalidRequest(e.to_string()),
        }
    }
}

/// Result of an Athena operation.
pub type Result<T, E = AthenaError> = std::result::Result<T, E>;
