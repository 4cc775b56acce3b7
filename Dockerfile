# Steunpunt in a container: built from the package (a wheel install, not the source tree), run as a non-root
# user, with the database on the /data volume. Build: docker build -t steunpunt .
# Run:   docker run -d --name steunpunt --env-file .env -v steunpunt-data:/data steunpunt
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/steunpunt.sqlite3

RUN groupadd --system --gid 10001 steunpunt \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin steunpunt \
    && mkdir /data \
    && chown 10001:10001 /data

COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY cogs /src/cogs
# hadolint ignore=DL3013
RUN pip install /src && rm -rf /src

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]

# Running and connected to Discord: the heartbeat the bot records every minute is fresh (steunpunt health).
HEALTHCHECK --interval=60s --timeout=15s --start-period=120s --retries=3 CMD ["steunpunt", "health"]

# SIGTERM (docker stop) ends the bot cleanly.
CMD ["steunpunt", "run"]
