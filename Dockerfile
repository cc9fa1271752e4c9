# Runnel broker image: build the TypeScript once, run with production dependencies only.
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
RUN npm ci --omit=dev
COPY --from=build /app/dist/runnel.mjs /app/dist/runnel.mjs.map ./dist/
VOLUME /var/lib/runnel
EXPOSE 9092
# Configure with KAFKA_* environment variables (KAFKA_LISTENERS, KAFKA_ADVERTISED_LISTENERS, ...).
ENV KAFKA_LOG_DIRS=/var/lib/runnel
ENTRYPOINT ["node", "dist/runnel.mjs"]
