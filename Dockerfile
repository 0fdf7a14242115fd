# One image for every process of the stack (docker-compose.yml): web, worker, beat, migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sopdesk.settings.production

WORKDIR /app

# The dependencies first: a code change does not reinstall them.
COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY . .

# Static files, collected and compressed at build time; WhiteNoise serves them from the image.
RUN SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 sopdesk \
    && mkdir -p /app/var/beat \
    && chown -R sopdesk:sopdesk /app/var

USER sopdesk
EXPOSE 8000
CMD ["gunicorn", "sopdesk.wsgi:application", "--bind=0.0.0.0:8000", "--access-logfile=-"]
