/**
 * Rules Athena sets on the SQL it runs that neither DuckDB nor a plain Trino enforces, so no local
 * test catches them (README, Testing, "Athena conformance"). The checks read a Trino parse tree
 * of the file (dt-sql-parser's TrinoSQL, which the CI gate in test/unit/athena-sql.test.ts
 * passes in) and its text. Sources, Amazon Athena user guide: "Use parameterized queries",
 * "Athena engine version 3", "Escape reserved keywords in queries"; Athena API reference:
 * "QueryExecution".
 */
import type { SqlProblem } from './portable-sql.js';

/** "Queries with execution parameters in the Athena console are limited to a maximum of 25 question marks." */
export const ATHENA_CONSOLE_MAX_PARAMETERS = 25;
/** Athena engine version 3, Limitations: "Functions cannot take more than 127 parameters." */
export const ATHENA_MAX_FUNCTION_ARGUMENTS = 127;
/** API reference, QueryExecution.Query: "Maximum length of 262144." */
export const ATHENA_MAX_QUERY_LENGTH = 262_144;

/**
 * Keywords Athena reserves in SELECT statements ("Escape reserved keywords in queries"), plus
 * SKIP (Athena engine version 3, breaking changes). Most are reserved in Trino's grammar too, so
 * the parse already rejects them as bare identifiers; the check matters for the ones Trino does
 * not reserve (FIRST, LAST, SKIP, …), which must be double-quoted for Athena.
 */
export const ATHENA_RESERVED_IN_SELECT: ReadonlySet<string> = new Set([
  'alter', 'and', 'as', 'between', 'by', 'case', 'cast', 'constraint', 'create', 'cross', 'cube',
  'current_date', 'current_path', 'current_time', 'current_timestamp', 'current_user', 'deallocate',
  'delete', 'describe', 'distinct', 'drop', 'else', 'end', 'escape', 'except', 'execute', 'exists',
  'extract', 'false', 'first', 'for', 'from', 'full', 'group', 'grouping', 'having', 'in', 'inner',
  'insert', 'intersect', 'into', 'is', 'join', 'last', 'left', 'like', 'localtime', 'localtimestamp',
  'natural', 'normalize', 'not', 'null', 'on', 'or', 'order', 'outer', 'prepare', 'recursive', 'right',
  'rollup', 'select', 'skip', 'table', 'then', 'true', 'uescape', 'unescape', 'union', 'unnest', 'using',
  'values', 'when', 'where', 'with',
]);

/** The part of an ANTLR parse tree (rule contexts and terminal nodes) that the checks read. */
export interface SqlParseNode {
  /** Rule contexts: index into the parser's rule names. */
  readonly ruleIndex?: number;
  readonly children?: readonly SqlParseNode[] | null;
  /** Terminal nodes: the token. */
  readonly symbol?: { readonly line: number; readonly column: number } | null;
  /** Rule contexts: the first token. */
  readonly start?: { readonly line: number; readonly column: number } | null;
  getText(): string;
}

/** A parse tree and the rule names of the parser that built it (`parser.ruleNames`). */
export interface ParsedSql {
  readonly tree: SqlParseNode;
  readonly ruleNames: readonly string[];
}

export type AthenaRule =
  | 'parameter-outside-where'
  | 'quoted-parameter'
  | 'too-many-parameters'
  | 'not-a-query'
  | 'too-many-arguments'
  | 'null-treatment'
  | 'reserved-identifier'
  | 'query-too-long';

export interface AthenaSqlProblem extends SqlProblem {
  /** 1-based column. */
  column: number;
  rule: AthenaRule;
  /** For parameter-outside-where: the clause the `?` sits in, e.g. `SELECT list`, `JOIN ON`. */
  clause?: string;
}

const WHERE = 'WHERE';
const PARAMETERS_PAGE = 'Athena user guide, "Use parameterized queries"';
const ENGINE_V3_PAGE = 'Athena user guide, "Athena engine version 3"';

interface Place {
  /** The innermost clause of the innermost query around the node. */
  clause?: string;
  /** The outermost construct inside that clause (`inside a CASE`, `inside f(…)`). */
  within?: string;
}

/** Every Athena rule that the SQL text and its Trino parse tree break (empty when Athena will take it). */
export function athenaProblems(sql: string, parsed: ParsedSql): AthenaSqlProblem[] {
  const { ruleNames } = parsed;
  const problems: AthenaSqlProblem[] = [];
  const ruleOf = (node: SqlParseNode | undefined): string | undefined =>
    node && !node.symbol && node.ruleIndex !== undefined ? ruleNames[node.ruleIndex] : undefined;
  const at = (node: SqlParseNode) => {
    const token = node.symbol ?? node.start;
    return { line: token?.line ?? 1, column: (token?.column ?? 0) + 1 };
  };
  let parameters = 0;

  const visit = (node: SqlParseNode, ancestors: readonly SqlParseNode[], place: Place): void => {
    const parent = ancestors[ancestors.length - 1];
    if (node.symbol) {
      const text = node.getText();
      if (text === '?' && ruleOf(parent) !== 'patternQuantifier') {
        parameters += 1;
        if (parameters === ATHENA_CONSOLE_MAX_PARAMETERS + 1) {
          problems.push({
            ...at(node), rule: 'too-many-parameters',
            message: `? number ${parameters}: the Athena console takes at most ${ATHENA_CONSOLE_MAX_PARAMETERS} question marks (${PARAMETERS_PAGE}); keep a query runnable there by hand`,
          });
        }
        if (place.clause !== WHERE) {
          const clause = place.clause ?? 'no clause';
          const where = place.clause ? `in the ${clause}` : 'outside any clause';
          problems.push({
            ...at(node), rule: 'parameter-outside-where', clause,
            message: `? ${where}${place.within ? ` (${place.within})` : ''}: Athena binds ? only inside a WHERE clause ("SELECT ? FROM table is not supported", ${PARAMETERS_PAGE}); filter in a WHERE instead`,
          });
        }
      } else if (text === "'?'" || text === '"?"') {
        problems.push({
          ...at(node), rule: 'quoted-parameter',
          message: `${text} is text, not a parameter: Athena does not accept a quoted question mark ("'?' and \\"?\\" are not valid syntax", ${PARAMETERS_PAGE}); write a bare ?`,
        });
      }
      return;
    }

    const rule = ruleOf(node);
    const children = node.children ?? [];
    const next: Place = { ...place };
    const clause = clauseOf(rule, ruleOf(parent), node, parent);
    if (clause) {
      next.clause = clause;
      next.within = undefined;
    }

    if (rule === 'statement' && ruleOf(children[0]) !== 'rootQuery') {
      problems.push({
        ...at(node), rule: 'not-a-query',
        message: `${firstToken(node)?.getText().toUpperCase() ?? ''} statement: queries/ holds SELECT queries (Athena takes parameters only in SELECT, INSERT INTO, CTAS and UNLOAD, ${PARAMETERS_PAGE})`,
      });
    }

    if (rule === 'primaryExpression') {
      const first = children[0];
      const firstText = first?.symbol ? first.getText().toLowerCase() : undefined;
      if (ruleOf(first) === 'functionName') {
        const name = first!.getText().toLowerCase();
        const args = children.filter((c) => ruleOf(c) === 'expression').length;
        if (args > ATHENA_MAX_FUNCTION_ARGUMENTS) {
          problems.push({
            ...at(node), rule: 'too-many-arguments',
            message: `${name}() with ${args} arguments: Athena engine version 3 functions take at most ${ATHENA_MAX_FUNCTION_ARGUMENTS} (${ENGINE_V3_PAGE}, Limitations)`,
          });
        }
        if ((name === 'bool_or' || name === 'bool_and') && children.some((c) => ruleOf(c) === 'nullTreatment')) {
          problems.push({
            ...at(node), rule: 'null-treatment',
            message: `${name}() with IGNORE/RESPECT NULLS: Athena engine version 3 rejects a null treatment clause for bool_or and bool_and (${ENGINE_V3_PAGE}, breaking changes)`,
          });
        }
        next.within ??= next.clause ? `inside ${name}(…)` : undefined;
      } else if (firstText === 'case') {
        next.within ??= next.clause ? 'inside a CASE' : undefined;
      }
    }

    if (rule === 'identifier' && !ancestors.some((a) => ruleOf(a) === 'functionName')) {
      const word = node.getText().toLowerCase();
      if (ATHENA_RESERVED_IN_SELECT.has(word)) {
        problems.push({
          ...at(node), rule: 'reserved-identifier',
          message: `${word} used as a name: Athena reserves it in SELECT statements; write "${word}" (Athena user guide, "Escape reserved keywords in queries")`,
        });
      }
    }

    const inside = [...ancestors, node];
    for (const child of children) visit(child, inside, next);
  };

  visit(parsed.tree, [], {});
  if (sql.length > ATHENA_MAX_QUERY_LENGTH) {
    problems.push({
      line: 1, column: 1, rule: 'query-too-long',
      message: `${sql.length} characters: Athena takes a query string of at most ${ATHENA_MAX_QUERY_LENGTH} (API reference, QueryExecution)`,
    });
  }
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The clause a rule context opens, given its parent rule; undefined when it opens none. */
function clauseOf(rule: string | undefined, parentRule: string | undefined, node: SqlParseNode, parent: SqlParseNode | undefined): string | undefined {
  if (parentRule === 'querySpecification') {
    switch (rule) {
      case 'selectList': return 'SELECT list';
      case 'relation': return 'FROM clause';
      case 'whereClause': return WHERE;
      case 'groupBy': return 'GROUP BY';
      case 'havingClause': return 'HAVING';
      case 'windowDefinition': return 'WINDOW clause';
      default: return undefined;
    }
  }
  if (rule === 'joinCriteria') return node.children?.[0]?.getText().toLowerCase() === 'using' ? 'JOIN USING' : 'JOIN ON';
  if (parentRule === 'queryNoWith') {
    if (rule === 'sortItem') return 'ORDER BY';
    if (rule === 'limitRowCount') return 'LIMIT';
    if (rule === 'rowCount') {
      const siblings = parent?.children ?? [];
      const before = siblings[siblings.indexOf(node) - 1];
      return before?.getText().toLowerCase() === 'offset' ? 'OFFSET' : 'FETCH FIRST';
    }
  }
  if (rule === 'queryPrimary' && node.children?.[0]?.symbol && node.children[0].getText().toLowerCase() === 'values') return 'VALUES list';
  return undefined;
}


function firstToken(node: SqlParseNode): SqlParseNode | undefined {
  if (node.symbol) return node;
  for (const child of node.children ?? []) {
    const token = firstToken(child);
    if (token) return token;
  }
  return undefined;
}
