/**
 * The AWS composition root: builds the adapters the core runs on, once per Lambda container.
 *
 * Buckets: the lake (`lake/…`, Parquet + partition manifests) lives in the curated bucket, where
 * the Glue tables point; receipts, reports, the run ledger (`runs/…`) and mail links live in the
 * reports bucket, the incentive function's under `hr/` (bucket-layout.ts). The core sees one
 * ObjectStore (PrefixRoutedStore). Uploads stay in the landing
 * bucket, which only the ingest function reads; it writes the receipt beside each upload.
 *
 * Operators are told by mail (SES, or the SMTP relay with MAIL_TRANSPORT=smtp) to OPERATOR_EMAILS
 * (no SNS client is bundled); every failure also makes the function throw, so its CloudWatch alarm
 * reaches the operators' SNS topic.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { AthenaQueryEngine } from '../adapters/athena-query-engine.js';
import { S3ObjectStore, presignedAttachmentLinks } from '../adapters/s3-object-store.js';
import { SesMailer } from '../adapters/ses-mailer.js';
import { SmtpMailer } from '../adapters/smtp-mailer.js';
import { ConfigError } from '../core/errors.js';
import { MAIL_LINKS_PREFIX } from '../core/aws-layout.js';
import type { Notifier } from '../core/delivery/delivery.js';
import type { Mailer, ObjectStore, ParquetEncoder, QueryEngine } from '../core/ports.js';
import { noticeHtml } from '../core/report/mail.js';
import { operatorsSender, type Settings } from '../core/settings.js';
import type { IngestConfig, MailTransportConfig, ReportConfig } from './aws-config.js';
import { HR_PREFIX, LAKE_PREFIX } from './bucket-layout.js';
import { PrefixRoutedStore } from './prefix-routed-store.js';
import { credentialsFromEnv, getSecretString, type AwsCredentials } from './secret-value.js';

export { LAKE_PREFIX } from './bucket-layout.js';

export interface IngestRuntime {
  /** The uploads (read) and the receipts beside them (write). */
  landing: S3ObjectStore;
  /** lake/ → curated bucket, the rest → reports bucket. */
  store: ObjectStore;
  encoder: ParquetEncoder;
  now: () => Date;
}

export interface ReportRuntime {
  store: ObjectStore;
  engine: QueryEngine;
  mailer: Mailer;
  notifier: Notifier;
  settings: Settings;
  config: ReportConfig;
  now: () => Date;
}

/** Memoizes a builder: the first call builds (reading the environment), later calls reuse it. */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

function dataStore(s3: S3Client, curatedBucket: string, reportsBucket: string, reportsPrefix?: string): { store: ObjectStore; reports: S3ObjectStore } {
  const reports = new S3ObjectStore(s3, { bucket: reportsBucket, prefix: reportsPrefix });
  const store = new PrefixRoutedStore([{ prefix: LAKE_PREFIX, store: new S3ObjectStore(s3, { bucket: curatedBucket }) }], reports);
  return { store, reports };
}

/**
 * The ingest function's adapters: S3 for landing, lake and receipts. The Parquet encoder (DuckDB,
 * a native module only the ingest bundle ships) is passed in by the ingest handler, so the
 * report bundles never import DuckDB.
 */
export function ingestRuntime(config: IngestConfig, clients: { s3: S3Client }, encoder: ParquetEncoder, now: () => Date = () => new Date()): IngestRuntime {
  return {
    landing: new S3ObjectStore(clients.s3, { bucket: config.landingBucket }),
    store: dataStore(clients.s3, config.curatedBucket, config.reportsBucket).store,
    encoder,
    now,
  };
}

/** Tells operators by mail; a failure to mail is logged (the function's alarm still fires on the job's failure). */
export function mailNotifier(mailer: Mailer, from: string, operators: readonly string[]): Notifier {
  return {
    async notify(subject, body) {
      console.error(JSON.stringify({ operators: subject, body }));
      try {
        await mailer.send({ from, to: operators, subject, text: body, html: noticeHtml(subject, body), attachments: [] });
      } catch (error) {
        console.error(JSON.stringify({ operatorsNotMailed: subject, error: (error as Error).message }));
        throw error;
      }
    },
  };
}

/**
 * The operator's SMTP relay, its URL read from Secrets Manager at the first send (and again after a
 * failed read), so a cold start that sends nothing reads no secret.
 */
export function relayMailer(config: Extract<MailTransportConfig, { transport: 'smtp' }>, credentials: () => AwsCredentials): Mailer {
  let relay: Promise<SmtpMailer> | undefined;
  const connect = async () => {
    const url = await getSecretString({ endpoint: config.secretsEndpoint, region: config.region, secretId: config.secretArn, credentials: credentials() });
    try {
      return new SmtpMailer(url.trim());
    } catch (error) {
      // The SmtpMailer's message names what is wrong; the secret's value stays out of it and out of the logs.
      throw new ConfigError(`secret ${config.secretArn}: ${(error as Error).message.replace(/^SMTP_URL/, 'the value')}`);
    }
  };
  return {
    async send(message) {
      relay ??= connect().catch((error: unknown) => {
        relay = undefined;
        throw error;
      });
      return (await relay).send(message);
    },
  };
}

/**
 * A report function's adapters: Athena for queries, S3 for the store, SES (or the operator's SMTP
 * relay, MAIL_TRANSPORT=smtp) for mail and operators.
 * The incentives function keeps its reports-bucket keys under `hr/` (its tally, ledger and mail
 * links), a prefix the weekly function's role cannot reach.
 */
export function reportRuntime(
  config: ReportConfig,
  clients: { s3: S3Client; athena: AthenaClient; ses: SESv2Client; credentials?: () => AwsCredentials },
  now: () => Date = () => new Date(),
): ReportRuntime {
  const { store, reports } = dataStore(clients.s3, config.curatedBucket, config.reportsBucket, config.job === 'incentives' ? HR_PREFIX : undefined);
  const engine = new AthenaQueryEngine(clients.athena, { queriesDir: config.queriesDir, workGroup: config.athenaWorkGroup, database: config.glueDatabase });
  const mailer = config.mail.transport === 'smtp'
    ? relayMailer(config.mail, clients.credentials ?? (() => credentialsFromEnv()))
    : new SesMailer(clients.ses, { linkFor: presignedAttachmentLinks(reports, { prefix: MAIL_LINKS_PREFIX, expiresInSeconds: config.mailLinkSeconds }) });
  const notifier = mailNotifier(mailer, operatorsSender(config.settings.mail), config.settings.mail.operators);
  return { store, engine, mailer, notifier, settings: config.settings, config, now };
}

/** SDK clients with the Lambda defaults (region and credentials from the environment). */
export function defaultReportClients(): { s3: S3Client; athena: AthenaClient; ses: SESv2Client } {
  return { s3: new S3Client({}), athena: new AthenaClient({}), ses: new SESv2Client({}) };
}
