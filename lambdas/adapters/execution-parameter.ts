/**
 * SQL literals for `?` parameters, shared by the Athena and Trino engines. Kept apart from
 * athena-query-engine.ts so the Trino engine (and the CLI's --engine parsing) does not load the AWS SDK.
 */
import { TelcoKpiError } from '../core/errors.js';
import type { SqlValue } from '../core/ports.js';

/** A parameter or query name the engine cannot pass to Athena. */
export class AthenaParameterError extends TelcoKpiError {}

const MAX_PARAMETER_LENGTH = 1024;

/**
 * One `?` value as the SQL literal Athena's ExecutionParameters expects: strings quoted with
 * embedded quotes doubled, finite numbers as written, booleans as true/false, null as NULL.
 */
export function toExecutionParameter(value: SqlValue, index = 0): string {
  let literal: string;
  if (value === null) literal = 'NULL';
  else if (typeof value === 'boolean') literal = value ? 'true' : 'false';
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AthenaParameterError(`parameter ${index + 1}: ${value} is not a finite number; expected a finite number`);
    literal = String(value);
  } else literal = `'${value.replaceAll("'", "''")}'`;
  if (literal.length > MAX_PARAMETER_LENGTH) {
    throw new AthenaParameterError(`parameter ${index + 1}: literal of ${literal.length} characters; Athena accepts at most ${MAX_PARAMETER_LENGTH}`);
  }
  return literal;
}
