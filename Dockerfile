# syntax=docker/dockerfile:1
# The CoachDesk sync server: one node on an SQLite file in the /data volume, serving /sync and the
# trainee app on port 8787 (plain HTTP: put TLS in front, see compose.yaml and docs/deploy/).
#
#   docker build -t coachdesk-sync .
#   docker run -d --name coachdesk -p 8787:8787 -v coachdesk-data:/data coachdesk-sync
#   docker exec coachdesk coachdesk add-coach --name Ana
#
# The build stage needs the network (npm ci; better-sqlite3's compiled module is downloaded, or
# compiled with the full image's toolchain when it cannot be). The image it makes runs offline.

ARG NODE_VERSION=20

# ---------------------------------------------------------------------------------------------
# Build: every dependency (dev ones too: esbuild, tsx, ws, zod, React, SQLite WebAssembly, …),
# then the trainee app and the server bundle with better-sqlite3 beside it.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
# No Electron download (the desktop app is not built here); node-gyp, if better-sqlite3 has to
# be compiled, uses the image's own Node headers instead of downloading them.
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1 \
    npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
# Install scripts run only for the packages that need theirs (package.json "allowScripts"):
# better-sqlite3 (its compiled module) and esbuild; not Electron's or electron-winstaller's.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 esbuild
COPY . .
RUN npm run build:trainee \
 && node scripts/build-server.mjs --outdir /out/server \
 && cp -R dist/trainee /out/trainee \
 && node /out/server/cli.mjs help >/dev/null

# ---------------------------------------------------------------------------------------------
# Run: Node and the bundle (server/cli.ts with ws, zod, …), better-sqlite3 and the modules it
# loads (bindings, file-uri-to-path), the built trainee app. No npm install, no dev dependency.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
COPY docs/deploy/docker-entrypoint.sh /usr/local/bin/coachdesk
# The volume's folder belongs to the user the server runs as (a new named volume takes it over);
# and better-sqlite3's compiled module must load here (same Debian, same Node ABI as the build).
RUN chmod 0755 /usr/local/bin/coachdesk \
 && mkdir -p /data \
 && chown 1000:1000 /data \
 && node -e "const D = require('/app/server/node_modules/better-sqlite3'); const db = new D(':memory:'); db.prepare('select 1').get(); db.close()"

# The image's "node" user (uid 1000), by number so that runAsNonRoot checks can see it is not root.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8787
# The server closes its connections and the database on SIGTERM; give it the time (docker stop -t).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
ENTRYPOINT ["coachdesk"]
# = serve --db /data/sync.db --host 0.0.0.0 --port 8787 --app-dir /app/trainee (see the entrypoint)
CMD ["serve"]
