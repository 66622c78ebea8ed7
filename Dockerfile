# runs-migrator as a container: the CLI is the entrypoint, it runs as the unprivileged `node` user,
# and the image holds only the production dependencies. Build from a clone:
#   docker build -t runs-migrator:0.1.0 .
# How to run it at scale (Kubernetes Indexed Job): docs/scale.md.

# Stage 1: the full install. `npm ci` runs the package's `prepare` script, which compiles src/ to
# dist/ with tsc - a devDependency, which is why the build cannot happen in the slim stage below.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund

# Stage 2: what runs. `--omit=dev` leaves out tsc, vitest and the rest; `--ignore-scripts` keeps
# `prepare` (tsc) from running here. The one production dependency with an install script is
# better-sqlite3 (its native binding): the binding built in stage 1, on the same base image, is
# copied in instead of being fetched or compiled a second time.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/node_modules/better-sqlite3/build ./node_modules/better-sqlite3/build
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The HTML report's page is read at run time from src/report/page (tsc does not copy it to dist/).
COPY src/report/page ./src/report/page

# Logs, reports and (for mlruns or SQLite targets) data go to /data: mount a volume there.
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
ENTRYPOINT ["node", "/app/bin/runs-migrator.js"]
CMD ["--help"]
