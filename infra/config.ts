import { PROVINCE_CODES, type Province } from '../lambdas/core/extracts/codes.js';
import { parseSettings, type RecipientList, type Settings } from '../lambdas/core/settings.js';
import { Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Deployment settings, from CDK context (`cdk.json` or `-c key=value`). */
export interface TelcoKpiSettings {
  /** Provinces that get an upload role (context `provinces`, comma-separated). */
  provinces: Province[];
  /** Verified SES identity (domain or address) mail is sent from (context `sesIdentity`). */
  sesIdentity: string;
  /** Sender address (context `mailFrom`), may carry a display name. */
  mailFrom: string;
  /** The bare address of mailFrom (`kpi@telco.example.cn`): what SES's ses:FromAddress condition sees. */
  mailFromAddress: string;
  /** Sender of the HR tally (context `incentivesFrom`); unset: mailFrom's address named 客户经理激励核算. */
  incentivesFrom?: string;
  /** The bare address the HR tally comes from (incentivesFrom's, else mailFrom's). */
  incentivesFromAddress: string;
  /** Weekly report lists per scope (context `reportRecipients`: JSON lists, or addresses for one ALL list). */
  reportRecipients: RecipientList[];
  /** Incentive lists (context `hrRecipients`: JSON lists, or addresses for one HR list). */
  hrRecipients: Settings['recipients']['incentives'];
  /** Operators: subscribed to the alarm topic and mailed by the functions (context `operatorEmails`). */
  operatorEmails: string[];
  /** Freshness policy per period (context `freshness`, JSON like config/telco-kpi.yaml's). */
  freshness: Settings['freshness'];
  /** The key-account watch list's thresholds (context `watchList`, JSON like the YAML's `watchList`). */
  watchList: Settings['watchList'];
  /** The package mix's fee bands (context `packages`, JSON like the YAML's `packages`). */
  packages: Settings['packages'];
  /** Hours after a week ends (Sunday 24:00 Asia/Shanghai) when the weekly job runs again to send what waited; 0 = no second run. */
  weeklyCatchUpHours: number;
  /** Athena per-query scan limit in bytes (context `bytesScannedCutoffPerQuery`). */
  bytesScannedCutoffPerQuery: number;
  /**
   * Who may assume a province's upload role (context `uploadPrincipals`, JSON `{"JL":["arn:…"]}`).
   * A province without an entry trusts principals of this account tagged `telco-kpi:province=<P>`.
   */
  uploadPrincipals: Partial<Record<Province, string[]>>;
  /**
   * How the report functions mail (context `mailTransport`): `ses`, or `smtp` through the operator's
   * relay, whose URL the stack keeps in a Secrets Manager secret (SPEC §7: the AWS China regions have no SES).
   */
  mailTransport: 'ses' | 'smtp';
  /** Years the HR tallies (reports bucket `hr/`) are kept before they expire (context `hrRetentionYears`). */
  hrRetentionYears: number;
}

const PRINCIPAL_ARN = /^arn:aws(-cn|-us-gov)?:(iam::\d{12}:(root|user\/.+|role\/.+)|sts::\d{12}:assumed-role\/.+)$/;

function readUploadPrincipals(value: unknown, provinces: readonly Province[]): Partial<Record<Province, string[]>> {
  const raw = jsonOnly(value, 'uploadPrincipals', '{"JL":["arn:aws:iam::111122223333:role/jl-uploads"]}');
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('context uploadPrincipals: expected a JSON object of province → principal ARNs');
  const out: Partial<Record<Province, string[]>> = {};
  for (const [province, arns] of Object.entries(raw)) {
    if (!(provinces as string[]).includes(province)) throw new Error(`context uploadPrincipals: ${province} is not one of the provinces (${provinces.join(',')})`);
    const list = Array.isArray(arns) ? arns.map(String) : [String(arns)];
    for (const arn of list) {
      if (!PRINCIPAL_ARN.test(arn)) throw new Error(`context uploadPrincipals.${province}: '${arn}' is not an IAM principal ARN (arn:aws:iam::<account>:root|user/…|role/…)`);
    }
    if (list.length > 0) out[province as Province] = list;
  }
  return out;
}

export const DEFAULT_PROVINCES: Province[] = ['BJ', 'JL', 'GD'];

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/** A context value that may be JSON (from cdk.json) or a JSON string (from `-c key='[…]'`). */
function jsonOr<T>(value: unknown, key: string, fromList: (addresses: string[]) => T): T | unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new Error(`context ${key}: not valid JSON (${(error as Error).message})`);
    }
  }
  return fromList(list(text));
}

/** A context value that must be JSON (an object like `example`), or undefined when not set. */
function jsonOnly(value: unknown, key: string, example: string): unknown {
  return jsonOr(value, key, () => {
    throw new Error(`context ${key}: expected JSON like ${example}`);
  });
}

/** `telco-kpi <kpi@x.cn>` → `kpi@x.cn`. */
function bareAddress(from: string): string {
  return from.replace(/^.*<|>.*$/g, '').trim();
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
  const operatorEmails = list(ctx('operatorEmails') ?? 'operators@example.com');
  const reportRecipients = jsonOr(ctx('reportRecipients') ?? 'executives@example.com', 'reportRecipients', (to) => [{ name: 'executives', scope: 'ALL', to }]);
  const hrRecipients = jsonOr(ctx('hrRecipients') ?? 'hr@example.com', 'hrRecipients', (to) => [{ name: 'HR', to }]);
  const freshness = jsonOnly(ctx('freshness'), 'freshness', '{"week":{"mode":"wait","deadlineHours":12}}');
  const watchList = jsonOnly(ctx('watchList'), 'watchList', '{"feeThreshold":3334,"faultResolveHours":2,"visitWeeks":4}');
  const packages = jsonOnly(ctx('packages'), 'packages', '{"bands":[39,89,129]}');
  const incentivesFrom = ctx('incentivesFrom') === undefined ? undefined : String(ctx('incentivesFrom'));
  const resolvedProvinces = provinces.length > 0 ? (provinces as Province[]) : DEFAULT_PROVINCES;
  // The same schema as config/telco-kpi.yaml, so what synth accepts the functions accept at run time.
  const checked = parseSettings(JSON.stringify({
    provinces: resolvedProvinces,
    ...(freshness === undefined ? {} : { freshness }),
    ...(watchList === undefined ? {} : { watchList }),
    ...(packages === undefined ? {} : { packages }),
    mail: { from: mailFrom, operators: operatorEmails, ...(incentivesFrom === undefined ? {} : { incentivesFrom }) },
    recipients: { weekly: reportRecipients, incentives: hrRecipients },
  }), 'CDK context (provinces, mailFrom, incentivesFrom, operatorEmails, reportRecipients, hrRecipients, freshness, watchList, packages)');
  // A report that waited for data is sent by a second run an hour after the deadline (none when the
  // deadline passes before the Monday 09:00 run, which then already sends partial).
  const afterDeadline = Math.ceil(checked.freshness.week.deadlineHours) + 1;
  const weeklyCatchUpHours = checked.freshness.week.mode === 'wait' && afterDeadline > 9 ? afterDeadline : 0;
  if (weeklyCatchUpHours > 6 * 24 + 23) throw new Error(`context freshness.week.deadlineHours: ${checked.freshness.week.deadlineHours}; the catch-up run must fall within the next week, so expected at most 166 hours`);
  // Wage payment records are kept at least two years (工资支付暂行规定, art. 6); README "Deploy" says why 3.
  const hrRetentionYears = Number(ctx('hrRetentionYears') ?? 3);
  if (!Number.isInteger(hrRetentionYears) || hrRetentionYears < 2) throw new Error(`context hrRetentionYears: ${String(ctx('hrRetentionYears'))}; expected whole years, at least 2 (wage records are kept two years or more)`);
  const mailTransport = String(ctx('mailTransport') ?? 'ses');
  if (mailTransport !== 'ses' && mailTransport !== 'smtp') throw new Error(`context mailTransport: '${mailTransport}'; expected ses or smtp`);
  const region = Stack.of(scope).region;
  if (mailTransport === 'ses' && !Token.isUnresolved(region) && region.startsWith('cn-')) {
    throw new Error(`region ${region}: SES does not exist in the AWS China regions; deploy with -c mailTransport=smtp to mail through your SMTP relay`);
  }
  const mailFromAddress = bareAddress(mailFrom);
  const incentivesFromAddress = incentivesFrom === undefined ? mailFromAddress : bareAddress(incentivesFrom);
  const sesIdentity = String(ctx('sesIdentity') ?? mailFromAddress.split('@')[1]);
  // SES sends only from an address its identity covers: the identity's domain, or the identity's address itself.
  if (mailTransport === 'ses' && incentivesFromAddress.toLowerCase() !== mailFromAddress.toLowerCase()) {
    const covered = sesIdentity.includes('@')
      ? incentivesFromAddress.toLowerCase() === sesIdentity.toLowerCase()
      : incentivesFromAddress.toLowerCase().endsWith(`@${sesIdentity.toLowerCase()}`);
    if (!covered) throw new Error(`context incentivesFrom: ${incentivesFromAddress} is not covered by the SES identity ${sesIdentity}; use an address of that domain, or set sesIdentity to a domain both senders share`);
  }
  return {
    provinces: resolvedProvinces,
    sesIdentity,
    mailFrom,
    mailFromAddress,
    ...(incentivesFrom === undefined ? {} : { incentivesFrom }),
    incentivesFromAddress,
    reportRecipients: checked.recipients.weekly,
    hrRecipients: checked.recipients.incentives,
    operatorEmails: checked.mail.operators,
    freshness: checked.freshness,
    watchList: checked.watchList,
    packages: checked.packages,
    weeklyCatchUpHours,
    bytesScannedCutoffPerQuery: cutoff,
    uploadPrincipals: readUploadPrincipals(ctx('uploadPrincipals'), resolvedProvinces),
    hrRetentionYears,
    mailTransport,
  };
}
