# The linkindex image: every linkindex command, a crawl worker by default.
#
#   docker build -t linkindex:0.1.0 .
#   docker run --rm -e REDIS_URL=redis://default:PASSWORD@HOST:6379/0 -v linkindex-data:/data linkindex:0.1.0
#
# deploy/README.md runs it with docker compose and on Kubernetes.

# Build stage: install the project and its dependencies into a virtualenv.
# Every dependency ships wheels for linux x86_64 and aarch64, so no compiler
# is needed; --only-binary makes a missing wheel fail here, loudly.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv --without-pip /opt/linkindex
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY linkindex/ linkindex/
COPY crawler/ crawler/
COPY pipelines/ pipelines/
COPY queries/ queries/
RUN pip --python /opt/linkindex/bin/python install --only-binary=:all: .

# Runtime stage: the virtualenv only (no sources, pip or build tools), run
# by an unprivileged user; records go to the /data volume.
FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="linkindex" \
      org.opencontainers.image.description="Build a backlink index of the web: crawl workers, WARC extraction, DuckDB index" \
      org.opencontainers.image.source="https://github.com/linkindex/linkindex" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 linkindex \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin linkindex \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/linkindex /opt/linkindex
# REDIS_URL is set when the container runs (redis:// or rediss://, with user
# and password); it is empty here so that no address is baked into the image.
ENV PATH=/opt/linkindex/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LINKINDEX_DATA=/data \
    REDIS_URL=""
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["linkindex"]
CMD ["worker"]
