/**
 * The uploads an ingest invocation is about, from either event shape S3 can deliver:
 * EventBridge "Object Created" (what the stack wires) or a direct S3 notification (`Records[]`,
 * e.g. through SQS or a bucket notification, kept so the handler works behind either).
 *
 * Object keys arrive URL-encoded the way HTML forms encode (space → `+`, `+` → `%2B`, non-ASCII
 * as %XX UTF-8) in S3 notifications — AWS documents it for notification records, and AWS's own
 * Powertools decodes the EventBridge detail key the same way (unquote_plus). Both are decoded
 * here; `rawKey` keeps the key as received for the caller's fallback lookup.
 */
import { TelcoKpiError } from '../core/errors.js';

export interface UploadRef {
  bucket: string;
  /** The decoded object key. */
  key: string;
  /** The key exactly as the event carried it. */
  rawKey: string;
}

/** The event is neither an EventBridge S3 event nor an S3 notification. */
export class UnsupportedEventError extends TelcoKpiError {}

interface EventBridgeS3 {
  source?: string;
  'detail-type'?: string;
  detail?: { bucket?: { name?: string }; object?: { key?: string } };
}

interface S3Notification {
  Records?: Array<{ eventSource?: string; eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string } } }>;
}

/** Decodes an S3 event key: `+` is a space, %XX a UTF-8 byte. A malformed escape leaves the key as is. */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, '%20'));
  } catch {
    return raw;
  }
}

/** The uploads an event names; deletions and other event kinds give none. */
export function uploadsOf(event: unknown): UploadRef[] {
  const e = event as EventBridgeS3 & S3Notification;
  if (e && typeof e === 'object' && e.source === 'aws.s3' && e.detail) {
    if (e['detail-type'] !== 'Object Created') return [];
    return [ref(e.detail.bucket?.name, e.detail.object?.key, 'detail')];
  }
  if (e && typeof e === 'object' && Array.isArray(e.Records)) {
    return e.Records
      .filter((r) => r.eventSource === 'aws:s3' && (r.eventName ?? '').startsWith('ObjectCreated:'))
      .map((r, i) => ref(r.s3?.bucket?.name, r.s3?.object?.key, `Records[${i}].s3`));
  }
  throw new UnsupportedEventError(`the event is neither an EventBridge S3 event (source aws.s3) nor an S3 notification (Records[]): ${JSON.stringify(event).slice(0, 300)}`);
}

function ref(bucket: string | undefined, rawKey: string | undefined, where: string): UploadRef {
  if (!bucket || !rawKey) throw new UnsupportedEventError(`the S3 event has no ${bucket ? 'object key' : 'bucket name'} at ${where}`);
  return { bucket, key: decodeS3Key(rawKey), rawKey };
}
