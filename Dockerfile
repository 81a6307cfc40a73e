# syntax=docker/dockerfile:1
# Backstop gateway image: `docker compose up --build` (docker-compose.yml) runs two of these behind nginx.

# deps: the full dependency tree, devDependencies included, because the server runs its TypeScript through tsx.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# build: the admin console (Vite) into dist/web, which the gateway serves at `/`.
FROM deps AS build
COPY . .
RUN npm run build:web

# runtime: only what `server/main.ts` loads. Files stay owned by root; the process runs as the image's `node` user and
# can write only its data folder (PGlite would live there when DATABASE_URL is unset).
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    BACKSTOP_DATA_DIR=/app/.backstop
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY shared ./shared
COPY server ./server
COPY drizzle ./drizzle
COPY --from=build /app/dist/web ./dist/web
RUN mkdir -p /app/.backstop && chown node:node /app/.backstop
USER node
EXPOSE 4000
# Graceful shutdown: on SIGTERM the server stops accepting, drains in-flight requests and flushes decision rows.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "server/main.ts"]
