# STAND-IN for the official docker.io/library/node image, built only where no registry is reachable
# (our machines). Debian bookworm (debootstrap minbase) plus the Node.js binary and npm of the
# machine that builds it, in the official image's paths. deploy/standins/build.sh tags it with the
# official name deploy/Dockerfile uses, so that Dockerfile builds unchanged. Never push it.
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# The build machine's trust store: our machines reach the npm registry through a TLS-inspecting
# proxy with its own CA (the official image trusts only Node's bundled CAs; a user behind such a
# proxy passes the same variable at build time).
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# hadolint ignore=DL3008
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
LABEL org.olist.standin="node: Debian bookworm minbase + the build machine's Node.js binary"
CMD ["node"]
