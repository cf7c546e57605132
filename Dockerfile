# One image for every process of the platform: calls, staffing, assets, visits, inbox, gateway
# and the migration Job.
# Each Kubernetes Deployment picks its process with `command` (see deploy/k8s/base/).
#
#   docker build -t csc-platform:0.1.0 .
#   docker run --rm csc-platform:0.1.0 nameko run --config gateway/config.yaml \
#       gateway.service:GatewayService
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# A fixed, unprivileged uid/gid: the pods' securityContext (runAsUser 10001) relies on it.
RUN groupadd --system --gid 10001 csc \
 && useradd --system --uid 10001 --gid csc --home-dir /tmp --no-create-home \
        --shell /usr/sbin/nologin csc

WORKDIR /app

# Pinned dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Then the project itself. The services run from this source tree (PYTHONPATH=/app): the
# service configs (services/*/config.yaml, gateway/config.yaml), the Alembic migration folders
# and scripts/manage.py are read from here. Everything stays root-owned and read-only for the
# runtime user; byte code is compiled now because the root filesystem is read-only in the pods.
COPY . .
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info \
 && python -m compileall -q /app

USER 10001:10001

# 4573 FastAGI (calls); /metrics and health: 9101 calls, 9102 staffing, 9103 assets, 9104 visits,
# 9105 inbox; 8000 gateway API + /metrics
EXPOSE 4573 9101 9102 9103 9104 9105 8000

# No default service: every Deployment and the migration Job set their own command.
CMD ["nameko", "--help"]
