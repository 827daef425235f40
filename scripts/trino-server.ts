/**
 * A single-node Trino server on loopback over a home's lake, for `npm run trino` and the
 * engine-parity tests: download once from Maven Central into a cache outside the repo (SHA-1
 * checked), write the config, start and stop it with Trino's launcher, and create the lake's
 * tables from the same declaration as the Glue tables.
 *
 * Trino 476 is the newest release on Maven Central (477+ are published only on GitHub); it needs
 * Java 24+, so a JDK is looked up apart from the machine's default java (TRINO_JAVA_HOME,
 * JAVA_HOME, then /usr/lib/jvm/*). The download is the core server plus the Hive plugin
 * (185 + 246 MiB) instead of the full 783 MiB tarball with every connector.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store.js';
import { TrinoQueryEngine, type TrinoConnection, TRINO_DEFAULTS } from '../lambdas/adapters/trino-query-engine.js';
import { EXTRACT_TYPES } from '../lambdas/core/extracts/schema.js';
import { lakeTableInputs, projectionProblems, trinoCreateTable } from '../lambdas/core/extracts/trino-tables.js';

export const TRINO_VERSION = '476';
const MIN_JAVA = 24;
const ARTIFACTS = [
  { name: 'server', path: `io/trino/trino-server-core/${TRINO_VERSION}/trino-server-core-${TRINO_VERSION}.tar.gz` },
  { name: 'hive', path: `io/trino/trino-hive/${TRINO_VERSION}/trino-hive-${TRINO_VERSION}.zip` },
] as const;

export type Log = (line: string) => void;

export class TrinoSetupError extends Error {
  override name = 'TrinoSetupError';
}

/** Where downloads and the unpacked server live: TELCO_KPI_TRINO_CACHE, else ~/.cache/telco-kpi/trino. */
export function trinoCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TELCO_KPI_TRINO_CACHE?.trim()) return resolve(env.TELCO_KPI_TRINO_CACHE.trim());
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'telco-kpi', 'trino');
}

/** The major version of the JDK at `javaHome` (from its `release` file), or undefined. */
function javaMajor(javaHome: string): number | undefined {
  try {
    const release = readFileSync(join(javaHome, 'release'), 'utf8');
    const version = /JAVA_VERSION="(\d+)/.exec(release)?.[1];
    return version && existsSync(join(javaHome, 'bin', 'java')) ? Number(version) : undefined;
  } catch {
    return undefined;
  }
}

/** A JDK of Java 24+: TRINO_JAVA_HOME, JAVA_HOME, or the newest under /usr/lib/jvm. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  for (const name of ['TRINO_JAVA_HOME', 'JAVA_HOME'] as const) {
    const home = env[name]?.trim();
    if (!home) continue;
    const major = javaMajor(home);
    if (major !== undefined && major >= MIN_JAVA) return home;
    tried.push(`${name}=${home} (${major === undefined ? 'no JDK there' : `Java ${major}`})`);
    if (name === 'TRINO_JAVA_HOME') throw new TrinoSetupError(`TRINO_JAVA_HOME=${home} is not a JDK of Java ${MIN_JAVA} or newer, which Trino ${TRINO_VERSION} needs`);
  }
  const jvmDir = '/usr/lib/jvm';
  const candidates = existsSync(jvmDir)
    ? readdirSync(jvmDir).map((d) => join(jvmDir, d)).map((d) => ({ d, major: javaMajor(d) ?? 0 })).filter((c) => c.major >= MIN_JAVA).sort((a, b) => b.major - a.major)
    : [];
  if (candidates[0]) return candidates[0].d;
  throw new TrinoSetupError(`Trino ${TRINO_VERSION} needs Java ${MIN_JAVA} or newer and none was found (${tried.join(', ') || 'JAVA_HOME unset'}, nothing in ${jvmDir}): install a JDK (e.g. Temurin 25) and set TRINO_JAVA_HOME to it`);
}

async function download(url: string, target: string, log: Log): Promise<void> {
  const expectedSha1 = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0]!.toLowerCase();
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new TrinoSetupError(`download ${url}: HTTP ${response.status}; is Maven Central reachable? (set TELCO_KPI_MAVEN_REPO for a mirror)`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const hash = createHash('sha1');
  let received = 0;
  let shown = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      received += chunk.length;
      if (total > 0 && received / total >= shown + 0.25) {
        shown = Math.floor((received / total) * 4) / 4;
        log(`  ${(received / 2 ** 20).toFixed(0)} of ${(total / 2 ** 20).toFixed(0)} MiB`);
      }
      done(null, chunk);
    },
  });
  const partial = `${target}.partial`;
  await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(partial));
  const actual = hash.digest('hex');
  if (actual !== expectedSha1) {
    await rm(partial, { force: true });
    throw new TrinoSetupError(`download ${url}: SHA-1 ${actual} is not the published ${expectedSha1}; the file was discarded, try again`);
  }
  await rename(partial, target);
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new TrinoSetupError(`download ${url}: HTTP ${response.status}; is Maven Central reachable? (set TELCO_KPI_MAVEN_REPO for a mirror)`);
  return response.text();
}

function run(command: string, args: string[], cwd?: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new TrinoSetupError(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout || String(result.error ?? '')).slice(0, 500)}`);
}

export interface TrinoInstall {
  version: string;
  serverDir: string;
  pluginDir: string;
  javaHome: string;
}

/** Where the cache holds one version's server and plugins. */
function installOf(version: string, javaHome: string, env: NodeJS.ProcessEnv = process.env): TrinoInstall {
  const dir = join(trinoCacheDir(env), version);
  return { version, serverDir: join(dir, 'server'), pluginDir: join(dir, 'plugins'), javaHome };
}

/** Downloads (once) and unpacks Trino into the cache; later calls reuse it. */
export async function ensureTrino(log: Log, env: NodeJS.ProcessEnv = process.env): Promise<TrinoInstall> {
  const install = installOf(TRINO_VERSION, findJava(env), env);
  const dir = join(trinoCacheDir(env), TRINO_VERSION);
  const { javaHome } = install;
  if (existsSync(join(dir, '.complete'))) return install;
  await mkdir(dir, { recursive: true });
  const repo = (env.TELCO_KPI_MAVEN_REPO?.trim() || 'https://repo1.maven.org/maven2').replace(/\/+$/, '');
  for (const artifact of ARTIFACTS) {
    const file = join(dir, artifact.path.split('/').pop()!);
    if (existsSync(file)) continue;
    const started = Date.now();
    log(`downloading Trino ${TRINO_VERSION} ${artifact.name} from ${repo} into ${dir}`);
    await download(`${repo}/${artifact.path}`, file, log);
    log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  log(`unpacking Trino ${TRINO_VERSION}`);
  const scratch = join(dir, 'unpack');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(join(scratch, 'plugins'), { recursive: true });
  run('tar', ['-xzf', join(dir, `trino-server-core-${TRINO_VERSION}.tar.gz`), '-C', scratch]);
  // The JDK's jar tool unpacks the zip: nothing beyond Java is needed.
  run(join(javaHome, 'bin', 'jar'), ['xf', join(dir, `trino-hive-${TRINO_VERSION}.zip`)], join(scratch, 'plugins'));
  await rm(install.serverDir, { recursive: true, force: true });
  await rm(install.pluginDir, { recursive: true, force: true });
  await rename(join(scratch, `trino-server-core-${TRINO_VERSION}`), install.serverDir);
  await rename(join(scratch, 'plugins', `trino-hive-${TRINO_VERSION}`), join(scratch, 'plugins', 'hive'));
  await rename(join(scratch, 'plugins'), install.pluginDir);
  await rm(scratch, { recursive: true, force: true });
  await writeFile(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  // The unpacked server is what runs; the archives would only double the cache's 0.5 GB.
  for (const artifact of ARTIFACTS) await rm(join(dir, artifact.path.split('/').pop()!), { force: true });
  return install;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerState {
  url: string;
  port: number;
  version: string;
  root: string;
}

/** The folder of a server's config, data and metastore: `<root>/.trino`. */
export function stateDir(root: string): string {
  return join(root, '.trino');
}

function launcher(install: TrinoInstall, root: string, command: 'start' | 'stop' | 'status'): { status: number | null; output: string } {
  const state = stateDir(root);
  const result = spawnSync(join(install.serverDir, 'bin', 'launcher'), [
    command, `--etc-dir=${join(state, 'etc')}`, `--data-dir=${join(state, 'data')}`, `--jvm-dir=${install.javaHome}`,
  ], { encoding: 'utf8', env: { ...process.env, JAVA_HOME: install.javaHome } });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

async function writeConfig(install: TrinoInstall, root: string, port: number, memory: string): Promise<void> {
  const state = stateDir(root);
  await mkdir(join(state, 'etc', 'catalog'), { recursive: true });
  await mkdir(join(state, 'data'), { recursive: true });
  await mkdir(join(state, 'metastore'), { recursive: true });
  const files: Record<string, string[]> = {
    'node.properties': ['node.environment=telco_kpi', 'node.id=telco-kpi-local', `node.data-dir=${join(state, 'data')}`, 'node.bind-ip=127.0.0.1', 'node.internal-address=127.0.0.1'],
    'jvm.config': ['-server', `-Xmx${memory}`, '-XX:+UseG1GC', '-XX:+ExitOnOutOfMemoryError', '-XX:-OmitStackTraceInFastThrow', '-XX:ReservedCodeCacheSize=256M', '-Djdk.attach.allowAttachSelf=true', '-Dfile.encoding=UTF-8', '-XX:+EnableDynamicAgentLoading'],
    'config.properties': [
      'coordinator=true', 'node-scheduler.include-coordinator=true',
      `http-server.http.port=${port}`, `discovery.uri=http://127.0.0.1:${port}`,
      `plugin.dir=${install.pluginDir}`, 'query.max-memory=1GB', 'query.max-memory-per-node=1GB',
    ],
    'log.properties': ['io.trino=WARN'],
    'catalog/hive.properties': [
      'connector.name=hive',
      // Test-grade metastore in a folder (one server, not concurrent): right for one machine.
      'hive.metastore=file', `hive.metastore.catalog.dir=local:///${relative(root, join(state, 'metastore'))}`,
      'fs.native-local.enabled=true', `local.location=${root}`,
      // A projected partition with no folder is an empty partition, as on Athena.
      'hive.ignore-absent-partitions=true',
    ],
  };
  for (const [name, lines] of Object.entries(files)) await writeFile(join(state, 'etc', name), `${lines.join('\n')}\n`);
}

async function info(url: string): Promise<{ starting: boolean } | undefined> {
  try {
    const response = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? ((await response.json()) as { starting: boolean }) : undefined;
  } catch {
    return undefined;
  }
}

async function readState(root: string): Promise<ServerState | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir(root), 'server.json'), 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

/** The server started for `root` when it is up and answering, else undefined. */
export async function runningTrino(root: string): Promise<ServerState | undefined> {
  const state = await readState(resolve(root));
  return state && (await info(state.url))?.starting === false ? state : undefined;
}

/**
 * Starts (or finds running) the server whose Hive catalog reads files under `root`; resolves
 * when it answers queries. `root` is the home whose `lake/` the tables read.
 */
export async function startTrino(options: { root: string; port?: number; memory?: string; log: Log; timeoutMs?: number }): Promise<ServerState> {
  const root = resolve(options.root);
  const running = await runningTrino(root);
  if (running) {
    options.log(`Trino ${running.version} is already running for ${root} at ${running.url}`);
    return running;
  }
  const install = await ensureTrino(options.log);
  const port = options.port ?? (await freePort());
  await writeConfig(install, root, port, options.memory ?? '2G');
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  options.log(`starting Trino ${install.version} (Java ${javaMajor(install.javaHome)} at ${install.javaHome}) on ${url}`);
  const result = launcher(install, root, 'start');
  if (result.status !== 0) throw new TrinoSetupError(`Trino's launcher could not start the server: ${result.output}`);
  const timeoutMs = options.timeoutMs ?? 240_000;
  for (;;) {
    const answer = await info(url);
    if (answer?.starting === false) break;
    if (Date.now() - started > timeoutMs || launcher(install, root, 'status').status !== 0) {
      const log = join(stateDir(root), 'data', 'var', 'log', 'server.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '(no server log)';
      launcher(install, root, 'stop');
      throw new TrinoSetupError(`Trino did not come up within ${Math.round((Date.now() - started) / 1000)} s; last lines of ${log}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  options.log(`Trino is up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const state: ServerState = { url, port, version: install.version, root };
  await writeFile(join(stateDir(root), 'server.json'), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** Stops the server started for `root`; true when one was running. */
export async function stopTrino(root: string, log: Log): Promise<boolean> {
  const state = await readState(resolve(root));
  if (!state) return false;
  const result = launcher(installOf(state.version, findJava()), resolve(root), 'stop');
  log(result.output || `stopped Trino for ${root}`);
  await rm(join(stateDir(resolve(root)), 'server.json'), { force: true });
  return result.status === 0;
}

/**
 * Creates (or re-creates: they are external, so the data stays) the schema and every lake
 * table for the home `root/<home>`, from the Glue tables' declaration; then checks that the
 * projection covers every stored partition, failing with the ones it does not.
 */
export async function syncTables(options: { connection: TrinoConnection; root: string; home: string; now?: Date; log?: Log }): Promise<void> {
  const now = options.now ?? new Date();
  const home = resolve(options.home);
  const root = resolve(options.root);
  const under = relative(root, home);
  if (under.startsWith('..')) throw new TrinoSetupError(`home ${home} is outside the server's root ${root}`);
  const engine = new TrinoQueryEngine(options.connection, '');
  const { catalog, schema } = options.connection;
  await engine.runSql(`CREATE SCHEMA IF NOT EXISTS "${catalog}"."${schema}"`, 'create schema');
  for (const type of EXTRACT_TYPES) await mkdir(join(home, 'lake', type), { recursive: true });
  const lakeUri = `local:///${under ? `${under.split('\\').join('/')}/` : ''}lake`;
  for (const input of lakeTableInputs(lakeUri)) {
    await engine.runSql(`DROP TABLE IF EXISTS "${catalog}"."${schema}"."${input.name}"`, `drop ${input.name}`);
    await engine.runSql(trinoCreateTable(input, { catalog, schema, now }), `create ${input.name}`);
  }
  options.log?.(`tables ${EXTRACT_TYPES.join(', ')} in ${catalog}.${schema} read ${lakeUri}`);
  const keys = (await new LocalObjectStore(home).list('lake/')).filter((key) => key.endsWith('/data.parquet'));
  const problems = EXTRACT_TYPES.flatMap((type) => projectionProblems(type, keys, now));
  if (problems.length > 0) {
    throw new TrinoSetupError(`the tables' partition projection does not cover ${problems.length} stored partition(s); queries would silently read no rows from them:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`);
  }
  options.log?.(`partition projection covers all ${keys.length} stored partitions`);
}

/** The connection to the local server of `state`, with the default catalog, schema and user. */
export function localConnection(state: ServerState, schema: string = TRINO_DEFAULTS.schema): TrinoConnection {
  return { server: state.url, catalog: TRINO_DEFAULTS.catalog, schema, user: TRINO_DEFAULTS.user };
}

/** Bytes of the unpacked server and plugin in the cache. */
export async function cacheSize(): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else total += (await stat(path)).size;
    }
  };
  const dir = join(trinoCacheDir(), TRINO_VERSION);
  if (existsSync(dir)) await walk(dir);
  return total;
}
