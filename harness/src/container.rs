//! A testcontainers [`Image`] for Lakebox's Docker image (built from the repository's
//! `Dockerfile`: `docker build -t lakebox .`), for tests on machines with Docker:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use testcontainers::runners::AsyncRunner as _;
//! let container = lakebox_harness::container::LakeboxImage::default().start().await?;
//! let endpoint = lakebox_harness::container::endpoint(&container).await?;
//! let glue = aws_sdk_glue::Client::new(&lakebox_harness::sdk_config(&endpoint));
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use testcontainers::core::{ContainerPort, WaitFor};
use testcontainers::{ContainerAsync, Image};

/// The port Lakebox listens on inside the container.
pub const PORT: ContainerPort = ContainerPort::Tcp(4566);

/// The Lakebox image (`lakebox:latest` unless another tag is given).
#[derive(Debug, Clone)]
pub struct LakeboxImage {
    name: String,
    tag: String,
    env: Vec<(String, String)>,
}

impl Default for LakeboxImage {
    fn default() -> Self {
        Self { name: "lakebox".into(), tag: "latest".into(), env: Vec::new() }
    }
}

impl LakeboxImage {
    /// Another image name and tag (e.g. from a registry).
    pub fn with_image(mut self, name: impl Into<String>, tag: impl Into<String>) -> Self {
        self.name = name.into();
        self.tag = tag.into();
        self
    }

    /// An environment variable for `lakebox serve` (e.g. `LAKEBOX_S3_ENDPOINT` for external mode).
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

impl Image for LakeboxImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        // `lakebox serve` prints this line on stdout once it accepts requests.
        vec![WaitFor::message_on_stdout("listening on")]
    }

    fn env_vars(&self) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &[PORT]
    }
}

/// The endpoint URL of a started Lakebox container, e.g. `http://127.0.0.1:32768`.
pub async fn endpoint(container: &ContainerAsync<LakeboxImage>) -> anyhow::Result<String> {
    let host = container.get_host().await?;
    let port = container.get_host_port_ipv4(PORT).await?;
    Ok(format!("http://{host}:{port}"))
}
