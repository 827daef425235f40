import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import type { ExtractSource } from '../core/extracts/decode.js';
import { TelcoKpiError } from '../core/errors.js';
import type { MailAttachment, ObjectStore } from '../core/ports.js';

/** An object read in chunks changed between two reads (a later upload replaced it): nothing read may be used. */
export class ObjectChangedError extends TelcoKpiError {}

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Prepended to every key (e.g. `home/`); list() returns keys without it. */
  prefix?: string;
  /** Bodies above this many bytes go through a multipart Upload (default 16 MiB). */
  multipartThreshold?: number;
  /** Page size for ListObjectsV2 (default and maximum 1000). */
  listPageSize?: number;
  /** Bucket owner account id sent as ExpectedBucketOwner, when known. */
  expectedBucketOwner?: string;
}

const DEFAULT_MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** The ObjectStore port on one S3 bucket (optionally under a key prefix). */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly prefix: string;
  private readonly multipartThreshold: number;
  private readonly listPageSize: number;

  constructor(private readonly client: S3Client, options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
    this.multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  /** The full object key in the bucket for a store key. */
  objectKey(key: string): string {
    return this.prefix + key;
  }

  async put(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const params = { Bucket: this.bucket, Key: this.objectKey(key), Body: bytes, ContentType: options?.contentType };
    if (bytes.byteLength > this.multipartThreshold) {
      await new Upload({ client: this.client, params, partSize: Math.max(5 * 1024 * 1024, this.multipartThreshold), queueSize: 4 }).done();
      return;
    }
    await this.client.send(new PutObjectCommand(params));
  }

  async putIfAbsent(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<boolean> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: this.objectKey(key), Body: bytes, ContentType: options?.contentType, IfNoneMatch: '*',
      }));
      return true;
    } catch (error) {
      if (isStatus(error, 412) || errorName(error) === 'PreconditionFailed') return false;
      // A concurrent conditional write to the same key: S3 answers 409; the other writer won.
      if (isStatus(error, 409) && errorName(error) === 'ConditionalRequestConflict') return false;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.read(key))?.bytes;
  }

  /** The object's bytes and its Last-Modified (whole seconds, as S3 keeps it), or undefined when there is none. */
  async read(key: string): Promise<{ bytes: Uint8Array; lastModified?: Date } | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { bytes, ...(out.LastModified ? { lastModified: out.LastModified } : {}) };
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * The object as a source read in chunks (each read one GET, the body streamed, never held whole)
   * and its Last-Modified, or undefined when there is none. Every read asks for the version first
   * seen (If-Match its ETag, and the answer's ETag compared): an object replaced in between fails
   * the read with ObjectChangedError instead of mixing two uploads.
   */
  async open(key: string): Promise<{ source: ExtractSource; lastModified?: Date; size: number } | undefined> {
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound' || isStatus(error, 404)) return undefined;
      throw error;
    }
    const etag = head.ETag;
    const { client, bucket } = this;
    const objectKey = this.objectKey(key);
    const source: ExtractSource = {
      async *chunks() {
        let out;
        try {
          out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey, ...(etag ? { IfMatch: etag } : {}) }));
        } catch (error) {
          if (isStatus(error, 412) || isStatus(error, 404) || errorName(error) === 'NoSuchKey') throw new ObjectChangedError(`s3://${bucket}/${objectKey} changed or went away while it was read`, { cause: error });
          throw error;
        }
        if (etag && out.ETag && out.ETag !== etag) {
          (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
          throw new ObjectChangedError(`s3://${bucket}/${objectKey} changed while it was read (ETag ${etag} → ${out.ETag})`);
        }
        if (out.Body) yield* out.Body as AsyncIterable<Uint8Array>;
      },
    };
    return { source, size: head.ContentLength ?? 0, ...(head.LastModified ? { lastModified: head.LastModified } : {}) };
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: this.objectKey(prefix), ContinuationToken: token, MaxKeys: this.listPageSize,
      }));
      for (const object of out.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** A URL that downloads the object without credentials for `seconds` seconds. */
  async presignedGetUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), { expiresIn: seconds });
  }

  /** A URL that accepts one HTTP PUT of the object's bytes for `seconds` seconds. */
  async presignedPutUrl(key: string, seconds: number, options?: { contentType?: string }): Promise<string> {
    return getSignedUrl(
      this.client,
      new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), ContentType: options?.contentType }),
      { expiresIn: seconds },
    );
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof S3ServiceException && error.$metadata?.httpStatusCode === status;
}

/**
 * A `linkFor` for SesMailer: stores the attachment under `prefix<sha256>/<filename>` and
 * returns a presigned GET URL. A URL signed with a Lambda role's temporary credentials stops
 * working when those credentials expire (hours), whatever `expiresInSeconds` says.
 */
export function presignedAttachmentLinks(
  store: S3ObjectStore,
  options: { prefix: string; expiresInSeconds: number },
): (attachment: MailAttachment) => Promise<string> {
  return async (attachment) => {
    const digest = createHash('sha256').update(attachment.content).digest('hex').slice(0, 32);
    const key = `${options.prefix}${digest}/${attachment.filename}`;
    await store.put(key, attachment.content, { contentType: attachment.contentType });
    return store.presignedGetUrl(key, options.expiresInSeconds);
  };
}
