/**
 * What a query in queries/ may use so that DuckDB (local) and Athena/Trino (AWS) return the
 * same numbers: an allowlist of functions with the same meaning on both engines, and the
 * DuckDB-only syntax that Trino would reject or read differently (STYLE.md, SQL).
 * The Trino grammar check itself runs in CI (test/unit/trino-sql.test.ts).
 */

/** Functions with the same meaning on Trino and DuckDB (lowercase). */
export const PORTABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'sum', 'count', 'avg', 'min', 'max', 'count_if', 'bool_and', 'bool_or', 'stddev_samp', 'var_samp',
  // grouping sets
  'grouping',
  // null handling and conditionals
  'coalesce', 'nullif',
  // greatest/least: Trino returns NULL when any argument is NULL, DuckDB skips NULLs —
  // portable only over non-null arguments (wrap them in coalesce).
  'greatest', 'least',
  // dates (date_trunc: cast the result to date; date_diff: 'day' or 'week' only, checked below)
  'date_trunc', 'date_diff', 'year', 'month', 'day', 'quarter',
  // numbers
  'abs', 'round', 'floor', 'ceil', 'ceiling', 'sqrt', 'power', 'ln', 'exp', 'sign',
  // strings
  'lower', 'upper', 'length', 'trim', 'ltrim', 'rtrim', 'substr', 'replace', 'lpad', 'rpad', 'split_part', 'strpos', 'starts_with',
  // chr(n): the character of Unicode code point n in both (concat_ws is left out on purpose:
  // it skips NULL arguments, which silently shifts the fields of a joined record)
  'chr',
  // window functions
  'row_number', 'rank', 'dense_rank', 'lag', 'lead', 'first_value', 'last_value', 'ntile',
]);

/** Units both engines accept in date_diff with the same result. */
export const PORTABLE_DATE_DIFF_UNITS: ReadonlySet<string> = new Set(['day', 'week']);
/** Units both engines accept in date_trunc (DuckDB returns a timestamp: cast to date). */
export const PORTABLE_DATE_TRUNC_UNITS: ReadonlySet<string> = new Set(['day', 'week', 'month', 'quarter', 'year']);

export interface SqlProblem {
  /** 1-based line in the file. */
  line: number;
  message: string;
}

interface Rule {
  pattern: RegExp;
  message: string;
}

/** Patterns checked on the SQL with comments and string literals blanked out. */
const SYNTAX_RULES: readonly Rule[] = [
  { pattern: /::/g, message: '`::` is DuckDB cast shorthand; write cast(x as type)' },
  { pattern: /\bqualify\b/gi, message: 'QUALIFY is DuckDB-only; filter a window in an outer CTE' },
  { pattern: /\b(current_date|current_time|current_timestamp|localtimestamp|localtime|now)\b/gi, message: 'no current date/time: the period is a bound parameter so a re-run gives the same figures' },
  { pattern: /\b(strftime|strptime|date_format|date_parse|format_datetime)\b/gi, message: 'date formatting differs between engines; compare dates with date literals or parameters' },
  { pattern: /\b(regexp_\w+|regexp|rlike)\b|\bsimilar\s+to\b/gi, message: 'regular expressions differ between engines (RE2 vs Java); use like or exact values' },
  { pattern: /\bapprox_\w+/gi, message: 'approximate aggregates give engine-specific numbers; use exact ones' },
  { pattern: /\bconcat\b/gi, message: 'concat treats NULL differently on the two engines; use ||' },
  { pattern: /\bilike\b/gi, message: 'ILIKE is DuckDB-only; compare lower(x) like …' },
  { pattern: /\bgroup\s+by\s+all\b/gi, message: 'GROUP BY ALL means different things on DuckDB and Trino; list the columns' },
  { pattern: /\*\s*(exclude|replace)\s*\(/gi, message: 'SELECT * EXCLUDE/REPLACE is DuckDB-only; list the columns' },
  { pattern: /[{}]/g, message: 'struct/map literals { } are DuckDB-only' },
];

/**
 * The SQL with comments and the contents of '…' strings and "…" identifiers replaced by
 * spaces (same length, same line breaks), so patterns only match code.
 */
export function blankCommentsAndStrings(sql: string, options: { keepStrings?: boolean } = {}): string {
  let out = '';
  let i = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  while (i < sql.length) {
    const rest = sql.slice(i);
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += blank(sql.slice(i, stop));
      i = stop;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += blank(sql.slice(i, stop));
      i = stop;
    } else if (sql[i] === "'" || sql[i] === '"') {
      const quote = sql[i]!;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === quote && sql[j + 1] === quote) j += 2;
        else if (sql[j] === quote) break;
        else j += 1;
      }
      const literal = sql.slice(i, j + 1);
      out += options.keepStrings ? literal : quote + blank(literal.slice(1, -1)) + (literal.length > 1 ? quote : '');
      i = j + 1;
    } else {
      out += sql[i];
      i += 1;
    }
  }
  return out;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let k = 0; k < index; k += 1) if (text.charCodeAt(k) === 10) line += 1;
  return line;
}

/** DuckDB-only or engine-dependent syntax in one SQL text (empty when portable). */
export function portabilityProblems(sql: string): SqlProblem[] {
  const problems: SqlProblem[] = [];
  const code = blankCommentsAndStrings(sql);
  for (const rule of SYNTAX_RULES) {
    for (const match of code.matchAll(rule.pattern)) {
      problems.push({ line: lineOf(code, match.index), message: `${match[0].trim()}: ${rule.message}` });
    }
  }
  const withStrings = blankCommentsAndStrings(sql, { keepStrings: true });
  const unitRules: [RegExp, ReadonlySet<string>, string][] = [
    [/\bdate_diff\s*\(\s*'([^']*)'/gi, PORTABLE_DATE_DIFF_UNITS, 'date_diff'],
    [/\bdate_trunc\s*\(\s*'([^']*)'/gi, PORTABLE_DATE_TRUNC_UNITS, 'date_trunc'],
  ];
  for (const [pattern, units, fn] of unitRules) {
    for (const match of withStrings.matchAll(pattern)) {
      const unit = match[1]!.toLowerCase();
      if (!units.has(unit)) {
        problems.push({ line: lineOf(withStrings, match.index), message: `${fn}('${unit}', …): use one of ${[...units].join(', ')} (the engines count other units differently)` });
      }
    }
  }
  return problems.sort((a, b) => a.line - b.line);
}

/** The function names (lowercase) that are not on the portable allowlist. */
export function nonPortableFunctions(names: Iterable<string>): string[] {
  return [...new Set([...names].map((n) => n.toLowerCase()))].filter((n) => !PORTABLE_FUNCTIONS.has(n)).sort();
}
