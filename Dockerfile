# The image every process of the scaled-out deployment runs (compose.yaml): `sfumato serve --no-worker`
# for the APIs, `sfumato worker` for the GPUs. PyPI's torch wheel carries CUDA; the host needs the
# NVIDIA driver and the NVIDIA Container Toolkit for the workers.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HOME=/models
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install --no-cache-dir "torch==2.13.0" \
 && pip install --no-cache-dir -c constraints.txt . \
 && useradd --uid 1000 --create-home sfumato && mkdir /models && chown sfumato /models \
 && mkdir -p /app/data/c2pa && chown -R sfumato /app/data
USER sfumato
ENTRYPOINT ["sfumato"]
CMD ["serve", "--no-worker", "--host", "0.0.0.0"]
