import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';

const QUERIES = join(import.meta.dirname, '../../queries');
const files = readdirSync(QUERIES).filter((f) => f.startsWith('incentive_') && f.endsWith('.sql')).sort();

describe('incentive queries', () => {
  it('are the four the job runs', () => {
    expect(files).toEqual(['incentive_clawback_events.sql', 'incentive_roster.sql', 'incentive_sales_events.sql', 'incentive_ticket_scores.sql']);
  });

  for (const file of files) {
    it(`${file} parses as Trino SQL and avoids DuckDB-only syntax`, () => {
      // Prepare
      const sql = readFileSync(join(QUERIES, file), 'utf8');

      // Act
      const errors = new TrinoSQL().validate(sql);

      // Assess
      expect(errors).toEqual([]);
      expect(sql).not.toMatch(/::|strftime|date_format|current_date|qualify|concat\(/i);
      expect(sql).toMatch(/^-- One row per /);
    });
  }

  it('filter the sales and service tables on the partition column dt', () => {
    for (const file of files.filter((f) => !f.includes('roster'))) {
      expect(readFileSync(join(QUERIES, file), 'utf8')).toMatch(/where dt between \? and \?/);
    }
  });
});
