# identidock's web front (the Chalice app) for `docker compose up`: `chalice local` on port 8000.
# Build context is the project root:  docker build -f infra/app.Dockerfile -t identidock/app .
# (infra/app.Dockerfile.dockerignore keeps the context to what the app needs.)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app

# The Lambda's runtime dependencies, plus chalice (same pin as requirements-dev.txt) to serve them.
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt chalice==1.34.0 \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin identidock

COPY app.py /app/app.py
COPY chalicelib/ /app/chalicelib/
COPY .chalice/config.json /app/.chalice/config.json

USER 10001
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=2)"]

# The `local` stage sets only IDENTIDOCK_STAGE, so DNMONSTER_URL and REDIS_URL come from Compose.
CMD ["chalice", "local", "--host", "0.0.0.0", "--port", "8000", "--stage", "local"]
