FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=sopdesk.settings.production
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home sopdesk
USER sopdesk
EXPOSE 8000
CMD ["gunicorn", "sopdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
