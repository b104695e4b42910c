# The production image: the app under gunicorn. Migrations run at start (bin/docker-entrypoint).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOMENTRY_DATA_DIR=/data \
    MOMENTRY_OUTPUT_DIR=/data/output \
    MOMENTRY_STATIC_ROOT=/app/staticfiles \
    GUNICORN_CMD_ARGS="--workers 3 --timeout 120"

RUN useradd --system --uid 10001 --home-dir /app momentry \
    && mkdir -p /data/output \
    && chown -R momentry:momentry /data

WORKDIR /app

# Dependencies in their own layer, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
# Collected with the production settings, so the hashed-name manifest that WhiteNoise serves from
# exists; the key and host here are for this build step only.
RUN pip install --no-deps . \
    && MOMENTRY_ENV=production MOMENTRY_SECRET_KEY=collectstatic-only MOMENTRY_ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput \
    && chmod +x bin/docker-entrypoint bin/healthcheck

USER momentry
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["bin/docker-entrypoint"]
CMD ["gunicorn", "momentry.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
