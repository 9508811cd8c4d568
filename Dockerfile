# The image the Airflow DAGs' `kubernetes` operator runs (shipshape dag export --operator kubernetes).
# Build it from the repository root:   docker build -t shipshape:latest .
# Every pod runs `shipshape dag task NAME …` (or `monitor …`) in /app, the project root (IMAGE_ROOT in
# nbs_lib.dags). Products, registry, inbox and W&B runs live on the PersistentVolumeClaim that the DAG mounts at
# /app/<airflow.shared>; the code, pipeline.yaml, env*.yaml, contracts and the bundled data come from this image.
# Not built or run in this repository's CI (no container runtime, no cluster): the DAG that uses it is only checked
# to import with Airflow's cncf-kubernetes provider.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PLOOMBER_STATS_ENABLED=false GX_ANALYTICS_ENABLED=false WANDB_MODE=offline WANDB_SILENT=true \
    SHIPSHAPE_ROOT=/app
WORKDIR /app

# git: lineage records the commit when the repository is there; the rest of the pinned set has wheels.
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*

# Dependencies first (a layer that changes only with the pins), then the project itself.
COPY settings.ini setup.py pyproject.toml requirements.lock README.md ./
COPY nbs_lib/__init__.py nbs_lib/__init__.py
RUN pip install -c requirements.lock -e . && python -m ipykernel install --sys-prefix --name python3
COPY . .
RUN python -c "import nbs_lib.dags, nbs_lib.pipeline, nbs_lib.monitor"

# The pod's command comes from the DAG (cmds + arguments); this default just says what the image holds.
CMD ["shipshape", "dag", "--help"]
