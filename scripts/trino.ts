// `npm run trino -- start|stop|status|tables`: a local Trino server over a home's lake (SPEC §8).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { cacheSize, ensureTrino, localConnection, runningTrino, startTrino, stopTrino, syncTables, TRINO_VERSION, trinoCacheDir } from './trino-server.js';

const HELP = `npm run trino -- <command> [--home DIR]

  start [--port N] [--memory 2G]
          download Trino ${TRINO_VERSION} once (into ${trinoCacheDir()}), start a single-node server on
          127.0.0.1 whose Hive catalog reads DIR's lake, create or update the tables from the
          Glue tables' declaration, check the partition projection covers every stored
          partition, and print TRINO_URL=… as the last line
  fetch   only download and unpack Trino into the cache (CI runs it before the tests)
  tables  re-create the tables on the running server (after a schema change) and re-check
  status  print TRINO_URL=… when the server for DIR is running (exit 1 when not)
  stop    stop the server for DIR

  --home DIR   the telco-kpi home whose lake/ the tables read (env TELCO_KPI_HOME, default ./.telco-kpi)

Then: TELCO_KPI_ENGINE=trino TRINO_URL=… npx telco-kpi report --week 2026-W47 --home DIR
Needs a JDK of Java 24+ (TRINO_JAVA_HOME, JAVA_HOME or /usr/lib/jvm/*); downloads from Maven Central
(TELCO_KPI_MAVEN_REPO for a mirror; TELCO_KPI_TRINO_CACHE for another cache folder).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: { home: { type: 'string' }, port: { type: 'string' }, memory: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  const home = resolve(values.home ?? process.env.TELCO_KPI_HOME?.trim() ?? '.telco-kpi');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  switch (command) {
    case 'start': {
      if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new Error(`--port '${values.port}' is not a port number`);
      if (values.memory !== undefined && !/^\d+[MG]$/.test(values.memory)) throw new Error(`--memory '${values.memory}': use a JVM heap size like 2G or 1536M`);
      const state = await startTrino({ root: home, port: values.port ? Number(values.port) : undefined, memory: values.memory, log });
      await syncTables({ connection: localConnection(state), root: home, home, log });
      console.log(`TRINO_URL=${state.url}`);
      return 0;
    }
    case 'fetch': {
      const started = Date.now();
      const install = await ensureTrino(log);
      log(`Trino ${install.version} ready in ${install.serverDir} (${((await cacheSize()) / 2 ** 20).toFixed(0)} MiB unpacked; ${((Date.now() - started) / 1000).toFixed(1)} s), Java at ${install.javaHome}`);
      return 0;
    }
    case 'tables':
    case 'status': {
      const state = await runningTrino(home);
      if (!state) {
        log(`no Trino server is running for ${home}; start one with: npm run trino -- start --home ${home}`);
        return 1;
      }
      if (command === 'tables') await syncTables({ connection: localConnection(state), root: home, home, log });
      console.log(`TRINO_URL=${state.url}`);
      return 0;
    }
    case 'stop':
      if (!(await stopTrino(home, log))) log(`no Trino server was running for ${home}`);
      return 0;
    default:
      log(`unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  process.stderr.write(`npm run trino: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
