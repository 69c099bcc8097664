# STAND-IN for the official docker.io/library/postgres image, built only where no registry is
# reachable (our machines). Debian bookworm's PostgreSQL 15 packages behind an entrypoint with the
# official image's interface (POSTGRES_PASSWORD/USER/DB, PGDATA, /docker-entrypoint-initdb.d,
# pg_isready), so deploy/compose.yaml runs unchanged. The official image runs PostgreSQL 18: the
# project supports >= 14, and the tests that use this stand-in exercise 15. Never push it.
ARG BASE
FROM ${BASE}
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /var/lib/postgresql/15 /etc/postgresql/15/main \
 && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql /var/lib/postgresql \
 && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/18/docker
COPY --chmod=0755 postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
LABEL org.olist.standin="postgres: Debian bookworm's postgresql-15 behind the official image's entrypoint interface"
VOLUME /var/lib/postgresql
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
