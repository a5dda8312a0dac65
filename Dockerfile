# Lakebox image: one static-ish binary on a slim Debian base.
#   docker build -t lakebox .
#   docker run -p 4566:4566 -v lakebox-data:/data lakebox
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p lakebox --bin lakebox \
 && cp target/release/lakebox /usr/local/bin/lakebox

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/lakebox /usr/local/bin/lakebox
ENV LAKEBOX_HOST=0.0.0.0 \
    LAKEBOX_PORT=4566 \
    LAKEBOX_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 4566
HEALTHCHECK --interval=5s --timeout=2s --retries=12 CMD curl -fsS http://127.0.0.1:4566/_lakebox/health || exit 1
ENTRYPOINT ["lakebox"]
CMD ["serve"]
