# One image for both production processes: `dispatched worker` and `dispatched gateway`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contract ./contract
COPY interpreter ./interpreter
COPY activities ./activities
COPY registry ./registry
COPY runtime ./runtime
COPY gateway ./gateway
COPY cli ./cli
COPY examples ./examples
RUN pip install --no-cache-dir .
RUN useradd --create-home dispatched
USER dispatched
ENV DISPATCHED_DATA_DIR=/home/dispatched/.dispatched
ENTRYPOINT ["dispatched"]
