import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExtractSource } from '../../lambdas/core/extracts/decode.js';
import { validateExtract } from '../../lambdas/core/extracts/validate.js';
import type { CsvSpool } from '../../lambdas/core/ports.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/extracts');
const now = () => new Date('2026-11-19T02:00:00.000Z');

/** The bytes in chunks of `size` (every call from the start, as a file or an S3 object is read). */
function chunked(bytes: Uint8Array, size: number): ExtractSource {
  return {
    async *chunks() {
      for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
    },
  };
}

/** A spool that keeps what it is given, to compare canonical rows. */
function memorySpool(): CsvSpool & { text(): string } {
  const parts: Buffer[] = [];
  return {
    write: (b) => void parts.push(Buffer.from(b)),
    get size() {
      return parts.reduce((n, p) => n + p.length, 0);
    },
    discard: () => Promise.resolve(),
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

/** The receipt and canonical CSV of the bytes read whole, and of the same bytes streamed in small chunks and windows. */
async function bothWays(fileName: string, bytes: Uint8Array, chunk: number, windowBytes: number) {
  const whole = await validateExtract({ fileName, bytes }, { now });
  const spool = memorySpool();
  const streamed = await validateExtract({ fileName, source: chunked(bytes, chunk) }, { now, spool, windowBytes });
  return {
    whole: { receipt: whole.receipt, csv: whole.normalizedCsv },
    streamed: { receipt: streamed.receipt, csv: streamed.receipt.status === 'accepted' ? spool.text() : undefined },
  };
}

const corpus = ['good', 'bad'].flatMap((dir) => readdirSync(join(FIXTURES, dir)).filter((f) => f !== 'expected.json' && !f.endsWith('.txt')).map((f) => [dir, f] as const));

/** A sales file of `rows` rows; `cell(i)` may replace row i's city (quotes, line feeds, Chinese text). */
function salesFile(rows: number, cell: (i: number) => string = () => '长春', eol = '\n'): Buffer {
  const lines = ['event_id,event_date,province,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee'];
  for (let i = 1; i <= rows; i++) lines.push(`S${String(i).padStart(6, '0')},2026-11-18,JL,${cell(i)},C${100000 + i},public,,own_hall,,,mobile,e9-129,new,129.00,,0.00`);
  return Buffer.from(lines.join(eol) + eol);
}

describe('validateExtract on a streamed source', () => {
  it.each(corpus)('%s/%s gives the same receipt and rows as its bytes read whole', async (dir, file) => {
    // Prepare
    const bytes = readFileSync(join(FIXTURES, dir, file));
    // Act
    const { whole, streamed } = await bothWays(file, bytes, 7, 64);
    // Assess
    expect(streamed).toEqual(whole);
  });

  it.each([
    ['quoted line feeds across windows', salesFile(400, (i) => (i % 37 === 0 ? `"长\n春 ""${i}"""` : '长春'))],
    ['CRLF line ends', salesFile(300, () => '长春', '\r\n')],
    ['a last line without a line feed', salesFile(250).subarray(0, -1)],
    ['a duplicate key windows apart', Buffer.concat([salesFile(300), Buffer.from('S000002,2026-11-18,JL,长春,C1,public,,own_hall,,,mobile,e9-129,new,129.00,,0.00\n')])],
    ['a quote left open near the end', Buffer.concat([salesFile(300), Buffer.from('S999999,2026-11-18,JL,"长春,C1,public\n')])],
    ['a zero byte after problems', Buffer.concat([salesFile(200, (i) => (i === 3 ? '' : '长春')), Buffer.from([0]), Buffer.from('\n')])],
    ['GB18030 text after UTF-8 rows', Buffer.concat([salesFile(200), Buffer.from([0xb3, 0xa4, 0xb4, 0xba, 0x0a])])],
    ['a header with a quoted line feed', Buffer.concat([Buffer.from('"event\n_id",'), salesFile(50).subarray(9)])],
  ])('%s: the same receipt and rows as read whole', async (_name, bytes) => {
    for (const [chunk, windowBytes] of [[1, 16], [5, 97], [64, 1024], [4096, 4096]] as const) {
      // Act
      const { whole, streamed } = await bothWays('sales_JL_20261118.csv', bytes, chunk, windowBytes);
      // Assess
      expect(streamed).toEqual(whole);
    }
  });

  it.each(corpus)('%s/%s: keys as fingerprints give the receipt and rows of keys kept whole', async (dir, file) => {
    // Prepare
    const bytes = readFileSync(join(FIXTURES, dir, file));
    // Act
    const fingerprints = await validateExtract({ fileName: file, bytes }, { now });
    const exact = await validateExtract({ fileName: file, bytes }, { now, exactKeys: true });
    // Assess
    expect({ receipt: fingerprints.receipt, csv: fingerprints.normalizedCsv }).toEqual({ receipt: exact.receipt, csv: exact.normalizedCsv });
  });

  it('reports every duplicate of a large file with its first row, as keys kept whole do', async () => {
    // Prepare: 3000 rows, every 500th repeats the key of row 7
    const bytes = salesFile(3000, () => '长春');
    const text = bytes.toString('utf8').split('\n').map((line, i) => (i > 0 && i % 500 === 0 ? line.replace(/^S\d+/, 'S000007') : line)).join('\n');
    // Act
    const fingerprints = await validateExtract({ fileName: 'sales_JL_20261118.csv', source: chunked(Buffer.from(text), 4096) }, { now, windowBytes: 8192 });
    const exact = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: Buffer.from(text) }, { now, exactKeys: true });
    // Assess
    expect(fingerprints.receipt).toEqual(exact.receipt);
    expect(fingerprints.receipt.problems.map((p) => [p.row, p.code, p.params.firstLine])).toEqual([500, 1000, 1500, 2000, 2500, 3000].map((row) => [row, 'duplicateKey', 8]));
  });

  it('ends the read of a source it stops reading early (a key matched, a record that cannot be read)', async () => {
    // Prepare: a duplicate in row 2, and an unreadable record in row 2, of files of many windows
    const duplicate = Buffer.concat([salesFile(1).subarray(0, -1), Buffer.from('\n'), salesFile(3000).subarray(salesFile(0).length)]);
    const broken = Buffer.concat([salesFile(1), Buffer.from('"x"y,\n'), salesFile(3000).subarray(salesFile(0).length)]);
    for (const bytes of [duplicate, broken]) {
      let ended = 0;
      const source = {
        async *chunks() {
          try {
            for (let at = 0; at < bytes.length; at += 512) yield bytes.subarray(at, at + 512);
          } finally {
            ended++;
          }
        },
      };
      // Act
      const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', source }, { now, windowBytes: 2048 });
      // Assess: every read was ended (the scan, the first row pass, the second with whole keys), and the file rejected
      expect(receipt.status).toBe('rejected');
      expect(ended).toBe(bytes === duplicate ? 3 : 2);
    }
  });

  it('accepts a clean streamed file with every row, in windows far smaller than the file', async () => {
    // Prepare
    const bytes = salesFile(5000, (i) => (i % 101 === 0 ? '"长,春"' : '吉林'));
    // Act
    const { streamed } = await bothWays('sales_JL_20261118.csv', bytes, 1000, 2048);
    // Assess
    expect(streamed.receipt.status).toBe('accepted');
    expect(streamed.receipt.rowsAccepted).toBe(5000);
    expect(streamed.csv!.split('\n')).toHaveLength(5002);
  });
});
