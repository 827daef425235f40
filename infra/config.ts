import { PROVINCE_CODES, type Province } from '../lambdas/core/codes.js';
import type { Construct } from 'constructs';

/** Deployment settings, from CDK context (`cdk.json` or `-c key=value`). */
export interface TelcoKpiSettings {
  /** Provinces that get an upload role (context `provinces`, comma-separated). */
  provinces: Province[];
  /** Verified SES identity (domain or address) mail is sent from (context `sesIdentity`). */
  sesIdentity: string;
  /** Sender address (context `mailFrom`). */
  mailFrom: string;
  reportRecipients: string[];
  hrRecipients: string[];
  /** Addresses subscribed to the operators' alarm topic (context `operatorEmails`). */
  operatorEmails: string[];
  /** Athena per-query scan limit in bytes (context `bytesScannedCutoffPerQuery`). */
  bytesScannedCutoffPerQuery: number;
}

export const DEFAULT_PROVINCES: Province[] = ['BJ', 'JL', 'GD'];

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/** Reads and checks the settings; a bad value stops synth with the context key's name. */
export function readSettings(scope: Construct): TelcoKpiSettings {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);
  const provinces = list(ctx('provinces'));
  const unknown = provinces.filter((p) => !(PROVINCE_CODES as string[]).includes(p));
  if (unknown.length > 0) throw new Error(`context provinces: ${unknown.join(', ')} not a province code; expected codes like JL,GD`);
  const mailFrom = String(ctx('mailFrom') ?? 'kpi-report@example.com');
  const cutoff = Number(ctx('bytesScannedCutoffPerQuery') ?? 10 * 1024 ** 3);
  if (!Number.isInteger(cutoff) || cutoff < 10 * 1024 ** 2) throw new Error(`context bytesScannedCutoffPerQuery: ${String(cutoff)}; expected an integer ≥ 10485760 (Athena's minimum)`);
  return {
    provinces: provinces.length > 0 ? (provinces as Province[]) : DEFAULT_PROVINCES,
    sesIdentity: String(ctx('sesIdentity') ?? mailFrom.split('@')[1]),
    mailFrom,
    reportRecipients: list(ctx('reportRecipients') ?? 'executives@example.com'),
    hrRecipients: list(ctx('hrRecipients') ?? 'hr@example.com'),
    operatorEmails: list(ctx('operatorEmails')),
    bytesScannedCutoffPerQuery: cutoff,
  };
}
