# syntax=docker/dockerfile:1
# walk-service image. Built by CI (no Docker engine in development); the
# layout matches what charts/test/production-build.test.ts runs: production
# dependencies from `npm ci --omit=dev`, dist/ from `npm run build`, and
# app/migrations/ for the migrations Job.

# Compile TypeScript with the full (dev) dependency set.
FROM node:24-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app/src ./app/src
RUN npm run build

# Production dependencies only, from the same lockfile.
FROM node:24-trixie-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Distroless: no shell, no package manager; `nonroot` is uid/gid 65532, the
# numeric user the chart's securityContext requires.
FROM gcr.io/distroless/nodejs24-debian13:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist ./dist
COPY --chown=0:0 package.json ./
COPY --chown=0:0 app/migrations ./app/migrations
USER 65532:65532
EXPOSE 8080 9464
# The image's entrypoint is node; the migrations Job passes dist/app/db/migrate-cli.js instead.
CMD ["dist/app/server.js"]
