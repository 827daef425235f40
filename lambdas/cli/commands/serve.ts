/** `telco-kpi serve`: the branch upload portal on this machine (SPEC §9), over the CLI's own ingest. */
import { isIP } from 'node:net';
import { DuckDbParquetEncoder } from '../../adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../adapters/local-object-store.js';
import { createPortalServer, listen } from '../../adapters/portal-http-server.js';
import { UsageError } from '../../core/errors.js';
import { ingestExtract } from '../../core/extracts/ingest.js';
import { MAX_UPLOAD_BYTES } from '../../core/portal/api.js';
import { SessionStore, SignInThrottle, type SessionLimits, type ThrottleLimits } from '../../core/portal/sessions.js';
import { readUsers } from '../../core/portal/users.js';
import { WEB_DIR } from '../../config.js';
import { parseCommandArgs, type CliContext, type Command } from '../command.js';

const help = `telco-kpi serve — the branch upload portal: a web page and its JSON API (SPEC §9)

Usage: telco-kpi serve [--port 8080] [--host 127.0.0.1] [--home DIR]

Serves the page (web/) and the API at http://HOST:PORT/ until stopped (Ctrl-C). Branch staff
sign in as their province (users from 'telco-kpi users add'), drop CSV or XLSX extracts, read
each receipt at once, see which days of this week and last have arrived, download receipts.
Uploads go through the same validation and storage as 'telco-kpi ingest', into --home.

  --port N     TCP port (default 8080; 0 picks a free one)
  --host H     address to listen on (default 127.0.0.1, this machine only). The server speaks
               plain HTTP: to open it to a network, put a TLS proxy in front of it.

Sessions end after 30 minutes idle or 8 hours; 5 failed sign-ins of a user within 15 minutes
answer 429 until the oldest is 15 minutes old. An upload may have at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB.`;

export interface RunningPortal {
  url: string;
  close(): Promise<void>;
}

export interface PortalOptions {
  port: number;
  host: string;
  /** Session and throttle limits and the upload limit; the defaults of SPEC §9 unless a test sets them. */
  sessionLimits?: SessionLimits;
  throttleLimits?: ThrottleLimits;
  maxUploadBytes?: number;
}

/** Starts the portal over the home folder; the caller closes it. */
export async function startPortal(ctx: CliContext, options: PortalOptions): Promise<RunningPortal> {
  const clock = () => ctx.now().getTime();
  const store = new LocalObjectStore(ctx.home);
  const encoder = new DuckDbParquetEncoder();
  const server = await createPortalServer({
    webDir: WEB_DIR,
    deps: {
      store,
      ingest: (input) => ingestExtract({ store, encoder, now: ctx.now }, input),
      sessions: new SessionStore(options.sessionLimits, clock),
      throttle: new SignInThrottle(options.throttleLimits, clock),
      now: ctx.now,
      maxUploadBytes: options.maxUploadBytes ?? MAX_UPLOAD_BYTES,
    },
    onError: (error) => ctx.err(`serve: ${(error as Error).stack ?? String(error)}`),
  });
  const url = await listen(server, options.port, options.host);
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await encoder.close();
    },
  };
}

export const command: Command = {
  name: 'serve',
  help,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' } });
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port '${values.port}' is not a TCP port: use 0–65535`);
    const host = values.host ?? '127.0.0.1';
    if (host !== 'localhost' && isIP(host) === 0) throw new UsageError(`--host '${host}' is not an IP address: use e.g. 127.0.0.1 or 0.0.0.0`);
    const portal = await startPortal(ctx, { port, host });
    ctx.out(`telco-kpi portal: ${portal.url}  (home ${ctx.home}; Ctrl-C stops it)`);
    if (!/^(127\.|::1$|localhost$)/.test(host)) ctx.err('serve: listening beyond this machine over plain HTTP: passwords and cookies cross the network unencrypted unless a TLS proxy is in front');
    const users = await readUsers(new LocalObjectStore(ctx.home));
    if (users.length === 0) ctx.out(`no users yet: add one with  printf '%s' PASSWORD | npx telco-kpi users add --province JL --user NAME --home ${ctx.home}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await portal.close();
    ctx.out('telco-kpi portal stopped');
    return 0;
  },
};
