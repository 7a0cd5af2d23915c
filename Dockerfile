# xmpp-gateway container image.
#   docker build -t xmpp-gateway .
#   docker run --env-file .env -v "$PWD/config:/config:ro" -p 8080:8080 xmpp-gateway
# The config is read from /config/gateway.yaml (override with CMD). Inside a container set
# http.listen to 0.0.0.0:8080, or the published port reaches nothing.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script would compile before the sources are copied in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Runs as the unprivileged "node" user (uid 1000) that the base image provides.
USER node
EXPOSE 8080
# The gateway handles SIGTERM itself (docker stop): it drains in-flight jobs and exits within
# 15 s. Keep the stop timeout above that (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# No HEALTHCHECK here: only the webhooks role serves /healthz, on the port http.listen names.
# docker-compose.yml adds one for the all-in-one service.
# The Node options of src/cli.ts's first line (its shebang), as `npm start` has them too.
ENTRYPOINT ["node", "--max-semi-space-size=32", "dist/src/cli.js"]
CMD ["start", "--config", "/config/gateway.yaml"]
