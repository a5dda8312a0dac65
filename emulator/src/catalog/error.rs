//! Domain errors of the catalog; each maps to one Glue error shape.

/// What can go wrong in a catalog operation.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// `EntityNotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `AlreadyExistsException`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `InvalidInputException`: a request that is well-formed but makes no sense.
    #[error("{0}")]
    InvalidInput(String),
    /// `ValidationException`: a field breaks a constraint of the service model (length, range, ...).
    #[error("{0}")]
    Validation(String),
    /// `ConcurrentModificationException`: an optimistic-concurrency check lost.
    #[error("{0}")]
    ConcurrentModification(String),
    /// `ResourceNumberLimitExceededException`.
    #[error("{0}")]
    LimitExceeded(String),
    /// The store failed; a bug or a broken disk, never the client's fault.
    #[error("catalog store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A stored column has an unexpected type.
    #[error("catalog store: {0}")]
    Column(#[from] rusqlite::types::FromSqlError),
    /// A stored record no longer decodes.
    #[error("corrupt catalog record: {0}")]
    Corrupt(#[from] serde_json::Error),
}

impl CatalogError {
    /// The AWS error code this error is reported as.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "EntityNotFoundException",
            Self::AlreadyExists(_) => "AlreadyExistsException",
            Self::InvalidInput(_) => "InvalidInputException",
            Self::Validation(_) => "ValidationException",
            Self::ConcurrentModification(_) => "ConcurrentModificationException",
            Self::LimitExceeded(_) => "ResourceNumberLimitExceededException",
            Self::Store(_) | Self::Column(_) | Self::Corrupt(_) => "InternalServiceException",
        }
    }

    /// Whether this is our fault (reported as HTTP 500 without details).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Column(_) | Self::Corrupt(_))
    }

    /// Shorthand for an `InvalidInputException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

/// Result of a catalog operation.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
