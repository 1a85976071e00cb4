# syntax=docker/dockerfile:1
# The bridge: `node dist/reef.mjs bridge` (KV changes → converge invocations). dist/reef.mjs is the
# CLI bundle, built with its npm packages external (infra/build.mjs), so the image carries the
# production node_modules next to it (npm prune --omit=dev) rather than a second bundle.
#
# Build from the repository root:
#   docker build -f infra/docker/bridge.Dockerfile -t reef-bridge .
#   docker run --rm -e NATS_URL=nats://nats:4222 -e AWS_REGION=eu-west-1 reef-bridge
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node infra/build.mjs && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
ENV NODE_ENV=production
USER node
ENTRYPOINT ["node", "--enable-source-maps", "dist/reef.mjs"]
CMD ["bridge"]
