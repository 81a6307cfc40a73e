# syntax=docker/dockerfile:1
# Backstop gateway image: `docker compose up --build` (docker-compose.yml) runs two of these behind nginx.

# deps: the full dependency tree, devDependencies included, to build the console and the server.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# build: the admin console (Vite) into dist/web, which the gateway serves at `/`, and the server bundled by esbuild
# into dist/server (main.mjs plus the SQL migrations), which runs on plain node.
FROM deps AS build
COPY . .
RUN npm run build:web
RUN npm run build:server

# prod-deps: runtime packages only; the bundle imports them from node_modules.
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# runtime: only what dist/server/main.mjs loads. Files stay owned by root; the process runs as the image's `node` user and
# can write only its data folder (PGlite would live there when DATABASE_URL is unset).
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    BACKSTOP_DATA_DIR=/app/.backstop
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/dist/web ./dist/web
RUN mkdir -p /app/.backstop && chown node:node /app/.backstop
USER node
EXPOSE 4000
# Graceful shutdown: on SIGTERM the server stops accepting, drains in-flight requests and flushes decision rows.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=8", "dist/server/main.mjs"]
