# STAND-IN for the official docker.io/apache/airflow image, built only where no registry is
# reachable (our machines). Debian bookworm's Python 3.11 with Apache Airflow installed from PyPI
# under the project's own lock (requirements/airflow.txt + constraints.txt), the official image's
# user (airflow, uid 50000, gid 0), AIRFLOW_HOME and entrypoint convention (`docker run IMAGE
# scheduler` runs `airflow scheduler`), so deploy/airflow/Dockerfile and the compose services run
# unchanged. The official image has many more providers and tools. Never push it.
ARG BASE
FROM ${BASE}
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv curl dumb-init \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 50000 --gid 0 --create-home --home-dir /home/airflow airflow \
 && mkdir -p /opt/airflow/dags /opt/airflow/logs \
 && chown -R 50000:0 /opt/airflow
# The build machine's trust store (see node.Dockerfile): pip reaches PyPI through the same proxy.
COPY ca-certificates.crt /etc/ssl/certs/olist-build-ca.crt
COPY airflow.txt constraints.txt /tmp/requirements/
USER 50000
RUN python3 -m venv /home/airflow/.local \
 && /home/airflow/.local/bin/pip install --no-cache-dir --disable-pip-version-check --cert /etc/ssl/certs/olist-build-ca.crt \
      -r /tmp/requirements/airflow.txt psycopg2-binary -c /tmp/requirements/constraints.txt \
 && /home/airflow/.local/bin/airflow version
# With a PostgreSQL metadata database Airflow 3 also opens an async engine: asyncpg, which the
# official image has through its `postgres` extra.
RUN /home/airflow/.local/bin/pip install --no-cache-dir --disable-pip-version-check --cert /etc/ssl/certs/olist-build-ca.crt asyncpg==0.32.0
USER 0
COPY --chmod=0755 airflow-entrypoint.sh /entrypoint
ENV PATH=/home/airflow/.local/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW_UID=50000
LABEL org.olist.standin="apache/airflow: Debian bookworm Python 3.11 + Airflow from PyPI under requirements/constraints.txt"
USER 50000
WORKDIR /opt/airflow
EXPOSE 8080
ENTRYPOINT ["/usr/bin/dumb-init", "--", "/entrypoint"]
CMD []
