# Globomantics CRM: the HTTPS application server (port 5000).
#
#   docker build -t globomantics-crm .
#   docker run --rm -p 127.0.0.1:5000:5000 -v "$PWD/ssl:/app/ssl:ro" \
#     -e DATABASE_URL=... -e DATABASE_PASSWORD=... -e SESSION_SECRET=... globomantics-crm
#
# Build arguments:
#   NODE_IMAGE      the Node.js base image: an official Node LTS Debian slim
#                   image, or the same from a mirror / an air-gapped registry.
#   EXTRA_CA_CERTS  optional PEM text of extra CA certificates that npm must
#                   trust while installing packages (an intercepting egress
#                   proxy, say). Used in the build stages only: the runtime
#                   stage never declares it, so it is not in the final image.
#
# No certificate, key or secret is baked in: the TLS files (TLS_CERT_FILE /
# TLS_KEY_FILE, default ssl/cert.pem and ssl/key.pem under /app) and the
# secrets (DATABASE_PASSWORD, SESSION_SECRET) come at run time from a volume
# or a Kubernetes Secret. The app writes nothing but /tmp (and a SQLite file
# when DATABASE_URL is sqlite:), so the container can run read-only.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- toolchain: what node-gyp needs to compile better-sqlite3's addon ------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The base image ships Node's headers: node-gyp must not download them.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app

# ---- deps: every dependency from the lockfile, native addon compiled once ---
FROM toolchain AS deps
ARG EXTRA_CA_CERTS=""
COPY package.json package-lock.json ./
RUN set -e; \
    if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; \
    fi; \
    npm ci; \
    rm -rf /tmp/extra-ca.pem /root/.npm/_cacache /root/.npm/_logs

# ---- build: TypeScript -> dist/ -------------------------------------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: the same node_modules without the dev dependencies ---------
FROM deps AS prod-deps
RUN npm prune --omit=dev && rm -rf /root/.npm/_cacache /root/.npm/_logs

# ---- runtime ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# The heap cap keeps a replica well inside a 256 MiB pod limit (V8 would
# otherwise size its heap from the node's memory and collect lazily). The
# young generation's cap goes with it: with a 96 MB old space and V8's
# default semi-space, the server ran a full mark-compact every ~50 ms under
# load, about two thirds of its CPU (decision 0030). Override NODE_OPTIONS
# at run time for a bigger pod, keeping a semi-space cap.
ENV NODE_ENV=production \
    PORT=5000 \
    NODE_OPTIONS="--max-old-space-size=96 --max-semi-space-size=16"
WORKDIR /app
# Owned by root and not writable by the app's user.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY public ./public
COPY data ./data
USER node
EXPOSE 5000
# No curl in slim images: a loopback request with Node. Verification is off
# for this one request only, because the certificate is the operator's (often
# self-signed) and the connection never leaves the container.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const r=require('https').get({host:'127.0.0.1',port:process.env.PORT||5000,path:'/healthz',rejectUnauthorized:false,timeout:4000},s=>process.exit(s.statusCode===200?0:1));r.on('error',()=>process.exit(1));r.on('timeout',()=>process.exit(1))"]
CMD ["node", "dist/server.js"]
