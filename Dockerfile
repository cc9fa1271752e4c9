# Runnel broker image: build the TypeScript once, run with production dependencies only.
#
#   docker build -t runnel . && docker run -p 127.0.0.1:9092:9092 -p 127.0.0.1:9644:9644 -v runnel-data:/var/lib/runnel runnel
#
# No listener is authenticated (Kafka port, admin HTTP, schema registry): publish the ports on the
# loopback (127.0.0.1:) unless a firewall or an authenticating proxy stands in front.
#
# Configuration: KAFKA_* environment variables, as in the apache/kafka image (KAFKA_LISTENERS,
# KAFKA_ADVERTISED_LISTENERS, KAFKA_NUM_PARTITIONS, KAFKA_LOG_RETENTION_MS ...). The same image
# runs the client tools: docker run --rm runnel topic list --bootstrap-server host:9092
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY protocol ./protocol
COPY storage ./storage
COPY src ./src
COPY bench ./bench
COPY test ./test
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# The bundle: a small dispatcher and its lazily loaded chunks (broker, client commands), and the
# schema registry's parsing thread.
COPY --from=build /app/dist/runnel.mjs /app/dist/runnel.mjs.map /app/dist/schema-parse-worker.mjs /app/dist/schema-parse-worker.mjs.map ./dist/
COPY --from=build /app/dist/chunks ./dist/chunks
# Data belongs to the unprivileged `node` user of the base image; the broker never runs as root.
RUN mkdir -p /var/lib/runnel && chown node:node /var/lib/runnel && ln -s /app/dist/runnel.mjs /usr/local/bin/runnel
USER node
VOLUME /var/lib/runnel
ENV KAFKA_LOG_DIRS=/var/lib/runnel \
    KAFKA_LISTENERS=PLAINTEXT://0.0.0.0:9092 \
    KAFKA_RUNNEL_ADMIN_LISTENER=0.0.0.0:9644
# 9092: Kafka protocol; 9644: admin HTTP (/metrics, /ready, /health); 8081: schema registry.
EXPOSE 9092 9644 8081
# SIGTERM stops the broker cleanly within runnel.shutdown.timeout.ms (7 s), inside Docker's 10 s.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9644/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --initial-old-space-size: see src/node-flags.ts.
ENTRYPOINT ["node", "--initial-old-space-size=64", "dist/runnel.mjs"]
CMD ["start"]
