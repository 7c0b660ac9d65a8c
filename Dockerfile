# syntax=docker/dockerfile:1
# dxguard's own container image: the CLI with its policies and catalogs (package data of the
# wheel, installed as `pip install` installs it anywhere), and the real OPA built from tools/opa
# (the same pinned Go module `make opa` builds). The dxguard-docker pre-commit hook and
# the CI examples in docs/ci/ run it. Build with the OCI metadata filled in:
#
#   docker build \
#     --build-arg VERSION="$(python3 -c 'import checker; print(checker.__version__)')" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     --build-arg SOURCE="<the URL of this repository>" \
#     -t dxguard:dev .
#
# Every FROM is pinned by digest, so a rebuild uses the same base layers until someone changes
# them on purpose. Refresh a digest (and review the change like any other) with
#   docker buildx imagetools inspect golang:1.26-bookworm
#   docker buildx imagetools inspect python:3.11-slim-bookworm
# and copy the "Digest:" of the index into the FROM lines below (all three stages).

# --- OPA, built from its published Go module at the version tools/opa/go.mod pins -------------
FROM golang:1.26-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS opa
WORKDIR /src/tools/opa
COPY tools/opa/go.mod tools/opa/go.sum ./
RUN go mod download
COPY tools/opa/main.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/opa . \
 && /out/opa version

# --- the dxguard package in a virtualenv ------------------------------------------------------
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/dxguard/venv
COPY pyproject.toml README.md ./
COPY checker/ checker/
COPY rego/ rego/
COPY controls/ controls/
RUN /opt/dxguard/venv/bin/pip install . \
 && /opt/dxguard/venv/bin/dxguard --version

# --- the runtime image: no compiler, no build tools, a non-root numeric user -----------------
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b
ARG VERSION=unset
ARG REVISION=unset
ARG CREATED=unset
ARG SOURCE=unset
LABEL org.opencontainers.image.title="dxguard" \
      org.opencontainers.image.description="Compliance evidence for clinical AI infrastructure: Rego checks on OPA, mapped to FDA SaMD, EU IVDR and ISO 13485 controls" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=opa /out/opa /usr/local/bin/opa
COPY --from=build /opt/dxguard/venv /opt/dxguard/venv
ENV PATH=/opt/dxguard/venv/bin:$PATH \
    DXGUARD_OPA=/usr/local/bin/opa \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Any numeric user works (pre-commit runs the image as the caller's uid); this one owns nothing.
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["dxguard"]
CMD ["--help"]
