FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=catalytic.settings \
    PROMETHEUS_MULTIPROC_DIR=/tmp/catalytic-metrics

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 catalytic

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=catalytic:catalytic . .

# collectstatic needs settings that load; these build-time values never reach runtime.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret-000000000000000000 ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput

USER catalytic
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["gunicorn", "-c", "gunicorn.conf.py", "catalytic.wsgi"]
