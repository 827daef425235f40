/**
 * Entry point: an object created in the landing bucket (EventBridge "Object Created").
 * PHASE 1 PLACEHOLDER — reads its configuration and refuses to run; phase 2 wires the ingest core.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { TelcoKpiError } from '../core/errors.js';
import { ingestConfig } from './aws-config.js';

const config = ingestConfig();

interface ObjectCreatedDetail {
  bucket: { name: string };
  object: { key: string; size?: number };
}

export async function handler(event: EventBridgeEvent<'Object Created', ObjectCreatedDetail>): Promise<never> {
  throw new TelcoKpiError(`ingest of s3://${event.detail.bucket.name}/${event.detail.object.key} is not implemented yet (landing ${config.landingBucket})`);
}
