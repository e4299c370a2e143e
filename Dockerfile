# Rampart in a container: Node 20 slim, a non-root user, the data directory in a
# volume. Build: docker build -t rampart .   Run and operate: docs/OPERATIONS.md.

FROM node:20-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# All dependencies (TypeScript is a dev dependency), then the build to dist/ without
# the tests (tsconfig.build.json). --ignore-scripts keeps npm from running "prepare"
# (the full build, tests included) before the sources are complete.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -p tsconfig.build.json

FROM node:20-slim AS deps
# better-sqlite3 fetches a prebuilt binary for Node 20; where it cannot, it compiles
# one, which needs these (they stay in this stage, not in the image).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# Only what runs in production; then the native SQLite module's own install step.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3

FROM node:20-slim
ENV NODE_ENV=production
RUN groupadd --system rampart \
 && useradd --system --gid rampart --home-dir /var/lib/rampart --shell /usr/sbin/nologin rampart \
 && mkdir -p /var/lib/rampart /etc/rampart \
 && chown rampart:rampart /var/lib/rampart \
 && chmod 0750 /var/lib/rampart
WORKDIR /opt/rampart
COPY package.json ./
COPY --from=deps /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
# The web console's static files, served as they are (src/admin/console-files.ts).
COPY src/admin/console ./src/admin/console
COPY docs ./docs
COPY contrib/docker/rampart.yaml /etc/rampart/rampart.yaml
COPY contrib/docker/rampart /usr/local/bin/rampart
USER rampart
VOLUME ["/var/lib/rampart"]
# SMTP (mx, submission, submissions) and the admin API / metrics / health checks.
EXPOSE 25 587 465 2580
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:2580/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains open transactions (timeouts.shutdownMs); give docker stop time: --stop-timeout 60.
STOPSIGNAL SIGTERM
ENTRYPOINT ["rampart"]
CMD ["serve"]
