# One image for web and worker. The worker runs snippets through bubblewrap, so the image
# carries bwrap and libseccomp; see docker-compose.yml for the privileges that needs.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap libseccomp2 python3 procps \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected at build time and served by whitenoise.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret-$(date +%s)-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \
    ALLOWED_HOSTS=build python manage.py collectstatic --no-input -v 0

# Snippets run on Debian's /usr/bin/python3 (readable by the sandbox's unprivileged uids),
# not on this image's /usr/local Python.
ENV SANDBOX_INTERPRETER=/usr/bin/python3
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
