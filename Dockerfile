# Release Gate: the App (Probot) in a container. Released images: ghcr.io/release-gate/release-gate.
#   docker build -t release-gate .
#   docker run -p 3000:3000 --env-file .env -v release-gate-data:/data release-gate
#   docker run --rm -p 3000:3000 -e RELEASE_GATE_DEMO=1 release-gate    # the demo (npm run demo)
# The final image holds the published package (what `npm pack` puts in the tarball) and
# its production dependencies only, runs as the unprivileged `node` user and keeps the
# SQLite record on the /data volume (or uses PostgreSQL when DATABASE_URL says so).

ARG NODE_VERSION=24

# 1. Build: every dependency, the Prisma clients, the TypeScript build, then the package.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm ci` runs `prepare` (generate the Prisma clients, build): it needs these first.
COPY scripts ./scripts
COPY prisma ./prisma
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY policy.schema.json app.yml LICENSE README.md ./
RUN npm ci --no-audit --no-fund \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir /package \
 && tar -xzf /tmp/release-gate-*.tgz -C /package --strip-components=1
# The lockfile without the development tools, versions unchanged: `npm ci --omit=dev` alone
# would still install the ones that are also optional peers of a runtime package
# (prisma and typescript, for @prisma/client).
WORKDIR /package
RUN cp /src/package-lock.json . \
 && npm pkg delete devDependencies \
 && npm install --package-lock-only --ignore-scripts --no-audit --no-fund

# 2. Run: the unpacked package and its production dependencies, from the lockfile.
FROM node:${NODE_VERSION}-bookworm-slim
# What the image is (OCI image annotations; the release workflow passes VERSION and REVISION).
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Release Gate" \
      org.opencontainers.image.description="Gates GitHub Deployments (DEV -> PRE_PROD -> PROD) by a release policy kept as code: the App, its console and API." \
      org.opencontainers.image.source="https://github.com/release-gate/release-gate" \
      org.opencontainers.image.url="https://github.com/release-gate/release-gate" \
      org.opencontainers.image.documentation="https://github.com/release-gate/release-gate#readme" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/data/release-gate.db
WORKDIR /app
COPY --from=build /package ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Ready: the database answers and its migrations are applied (503 otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/release-gate-app.js"]
