# The action's image. Releases publish it prebuilt, so a user's runner only pulls it.
# BASE_IMAGE is a build argument so tests can build on a local stand-in base.
ARG BASE_IMAGE=python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# Dependencies first, from the hash-locked requirements, so a code change reuses this layer.
COPY requirements.txt /opt/track-deployment/requirements.txt
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r /opt/track-deployment/requirements.txt \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

COPY entrypoint.py /opt/track-deployment/entrypoint.py
COPY src/ /opt/track-deployment/src/
# Bytecode compiled at build time: PYTHONDONTWRITEBYTECODE stops writing it, not reading it,
# so every start of the action skips compiling.
RUN /opt/venv/bin/python -m compileall -q /opt/track-deployment/src

# No USER: the runner mounts the workspace owned by root. No WORKDIR: the runner sets its own.
ENTRYPOINT ["/opt/venv/bin/python", "/opt/track-deployment/entrypoint.py"]
