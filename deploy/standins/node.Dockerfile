# STAND-IN for the official docker.io/library/node image, built only where no registry is reachable
# (our machines). Debian bookworm (debootstrap minbase) plus the Node.js binary and npm of the
# machine that builds it, in the official image's paths. deploy/standins/build.sh tags it with the
# official name deploy/Dockerfile uses, so that Dockerfile builds unchanged. Never push it.
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# hadolint ignore=DL3008
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
LABEL org.olist.standin="node: Debian bookworm minbase + the build machine's Node.js binary"
CMD ["node"]
