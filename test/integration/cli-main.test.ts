import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lambdas/cli/main.js';

describe('telco-kpi main', () => {
  let home: string;
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date('2026-11-25T04:00:00Z') });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => { home = await mkdtemp(join(tmpdir(), 'telco-kpi-main-')); });
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it('--help lists every command and exits 0; no command is a usage error', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['run', 'sample', 'validate', 'ingest', 'report', 'incentives', 'runs']) expect(help.out).toContain(`  ${name} `);
    expect((await run([])).code).toBe(2);
  });

  it('an unknown command or flag exits 2 and says what is wrong', async () => {
    const unknown = await run(['reprot']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'reprot'");
    const flag = await run(['report', '--weak', '2026-W47', '--home', home]);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("Unknown option '--weak'");
  });

  it('each command has --help', async () => {
    for (const name of ['run', 'sample', 'validate', 'ingest', 'report', 'incentives', 'runs']) {
      const help = await run([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.out, name).toContain('Usage');
    }
  });

  it('report rejects a malformed period or scope with exit 2', async () => {
    expect((await run(['report', '--week', '2026-47', '--home', home])).err).toContain("--week '2026-47' is not an ISO week: use the form 2026-W47");
    expect((await run(['report', '--week', '2026-W54', '--home', home])).code).toBe(2);
    const scope = await run(['report', '--scope', 'XX', '--home', home]);
    expect(scope.code).toBe(2);
    expect(scope.err).toContain("--scope 'XX' is not ALL or a province code");
  });

  it('report on an empty home is not produced (exit 1), never a report of zeros', async () => {
    const empty = await run(['report', '--week', '2026-W47', '--home', home]);
    expect(empty.code).toBe(1);
    expect(empty.out).toContain('not produced');
  });

  it('report without --send mails nobody, operators included, even when it fails', async () => {
    const dry = await run(['report', '--week', '2026-W46', '--home', home]);
    expect(dry.code).toBe(1);
    expect(dry.err).not.toContain('operators:');
    expect(await readdir(join(home, 'outbox')).catch(() => [])).toEqual([]);
  });

  it('runs: a bogus state or period is a usage error, nothing found is exit 1', async () => {
    const state = await run(['runs', '--state', 'bogus', '--home', home]);
    expect(state.code).toBe(2);
    expect(state.err).toContain("--state 'bogus' is not a run state; expected one of sent, duplicate, waiting, failed");
    const period = await run(['runs', '--period', '2026-W99', '--home', home]);
    expect(period.code).toBe(2);
    expect(period.err).toContain('--period');
    const release = await run(['runs', '--release', 'weekly/nonexistent', '--home', home]);
    expect(release.code).toBe(1);
    expect(release.out).toContain('nothing released');
    const none = await run(['runs', '--period', '2026-W47', '--state', 'sent', '--home', home]);
    expect(none.code).toBe(1);
    expect(none.out).toContain('no runs');
  });

  it('validate prints the receipt of a broken file with row, column, value and fix, exit 1', async () => {
    const file = join(home, 'sales_JL_20261118.csv');
    await writeFile(file, 'event_id,event_date,province,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee\n'
      + 'E1,2026-11-18,JL,长春,C01,public,,own_hall,,,mobile,m-59,new,"59,5",,0\n');
    const result = await run(['validate', file, '--home', home]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('第 2 行，“monthly_fee”列：“59,5”不是数字；小数点请用“.”，不要用逗号');
  });

  it('--home needs a folder', async () => {
    expect((await run(['runs', '--home'])).code).toBe(2);
  });
});
