# syntax=docker/dockerfile:1
# The production runner image: Node 22 slim + the bundled runner (dist/runner.mjs, self-contained,
# needs only node). Optionally a Benthos-compatible engine binary copied from its official image;
# without one the runner uses reef's built-in engine (REEF_ENGINE=auto).
#
# Build from the repository root:
#   docker build -f infra/docker/runner.Dockerfile -t reef-runner .
#   # with Redpanda Connect (found on PATH as redpanda-connect by REEF_ENGINE=auto):
#   docker build -f infra/docker/runner.Dockerfile -t reef-runner:connect \
#     --build-arg ENGINE_IMAGE=docker.redpanda.com/redpandadata/connect:4 \
#     --build-arg ENGINE_BINARY=/redpanda-connect .
#   # Benthos: ENGINE_IMAGE=jeffail/benthos:4 ENGINE_BINARY=/benthos
#   # Bento:   ENGINE_IMAGE=ghcr.io/warpstreamlabs/bento:1 ENGINE_BINARY=/bento
# The engine images ship static Go binaries, so copying the one file is enough.
ARG NODE_IMAGE=node:22-bookworm-slim
# Default: a stage holding only a placeholder file, so the COPY below always has a source.
ARG ENGINE_IMAGE=reef-no-engine
ARG ENGINE_BINARY=/reef-no-engine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY infra/build.mjs infra/build.mjs
COPY lib lib
RUN node infra/build.mjs

FROM ${NODE_IMAGE} AS reef-no-engine
RUN touch /reef-no-engine

FROM ${ENGINE_IMAGE} AS engine

FROM ${NODE_IMAGE} AS runner
ARG ENGINE_BINARY
COPY --from=engine ${ENGINE_BINARY} /usr/local/bin/
# The Docker executor runs containers as 10001:10001 (REEF_DOCKER_USER); give that id a name.
RUN rm -f /usr/local/bin/reef-no-engine \
  && groupadd --gid 10001 reef \
  && useradd --uid 10001 --gid reef --home-dir /home/reef --create-home --shell /usr/sbin/nologin reef \
  && mkdir -p /run/reef
COPY --from=build /src/dist/runner.mjs /src/dist/runner.mjs.map /opt/reef/
ENV NODE_ENV=production
USER 10001:10001
WORKDIR /home/reef
ENTRYPOINT ["node", "--enable-source-maps", "/opt/reef/runner.mjs"]
