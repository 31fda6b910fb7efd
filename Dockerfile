# One image for the four services: `python -m services.<name>`.
# The build stage installs the runtime lock (requirements.lock, no dev tools) into a virtual
# environment and vendors the docs page's Swagger UI; the final stage copies only those two results,
# so pip's caches, the npm tarball and anything a wheel build needs stay behind. The slim base
# carries no compiler in either stage: every locked package installs from a wheel.
FROM python:3.11-slim AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
# The base image's pip installs into a venv that has none: pip and setuptools stay out of the image.
RUN python -m venv --without-pip /opt/venv
WORKDIR /app
COPY requirements.lock .
RUN /usr/local/bin/python -m pip --python /opt/venv/bin/python install --no-cache-dir --only-binary=:all: \
    -r requirements.lock
COPY deploy/vendor_docs.py deploy/vendor_docs.py
RUN JOB_IMPORTER_CACHE=/tmp/cache python deploy/vendor_docs.py

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY schemas schemas
COPY infra infra
COPY services services
COPY --from=build /app/services/gateway/static/vendor services/gateway/static/vendor
COPY deploy/feeds.yaml deploy/feeds.yaml
# Numeric, so that the kubelet can check runAsNonRoot; deploy/k8s runs the pods as the same
# runAsUser/runAsGroup (tests/unit/test_deploy.py holds them equal). Owns nothing in /app.
RUN groupadd --system --gid 10001 importer && useradd --system --uid 10001 --gid 10001 --no-create-home importer
USER 10001:10001
EXPOSE 8080 8081
CMD ["python", "-m", "services.gateway"]
