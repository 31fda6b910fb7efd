# One image for the four services: `python -m services.<name>`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY schemas schemas
COPY infra infra
COPY services services
COPY deploy/vendor_docs.py deploy/vendor_docs.py
RUN python deploy/vendor_docs.py   # the API docs page's Swagger UI, from its npm package
COPY deploy/feeds.yaml deploy/feeds.yaml
RUN useradd --system --uid 10001 importer
USER importer
EXPOSE 8080 8081
CMD ["python", "-m", "services.gateway"]
