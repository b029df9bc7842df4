/**
 * Walk images in one private bucket, through @google-cloud/storage on both
 * paths: Cloud Storage when deployed, the local stand-in (app/dev/storage-stand-in.ts)
 * through the library's `apiEndpoint` otherwise, so the same calls run locally.
 *
 * Signing. Locally the library signs with the stand-in's generated key
 * (STORAGE_SIGNING_CREDENTIALS_FILE). Deployed there is no key: the library's
 * URLSigner (node_modules/@google-cloud/storage/build/cjs/src/signer.js,
 * getSignedUrlV4) calls GoogleAuth.sign, which, for a client without a private
 * key (Workload Identity's metadata-server credentials), posts the string to
 * sign to the IAM Credentials signBlob API
 * (node_modules/@google-cloud/storage/node_modules/google-auth-library/build/src/auth/googleauth.js,
 * sign → signBlob). The identity needs roles/iam.serviceAccountTokenCreator on
 * itself (iam.serviceAccounts.signBlob is in that role):
 * https://cloud.google.com/storage/docs/authentication/creating-signatures
 */
import { readFileSync } from 'node:fs';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import type { StorageConfig } from '../config';

/**
 * Cloud Storage refuses a signed PUT whose body is outside the byte range of a
 * signed `x-goog-content-length-range` header with 400:
 * https://cloud.google.com/storage/docs/xml-api/reference-headers#xgoogcontentlengthrange
 */
export const CONTENT_LENGTH_RANGE_HEADER = 'x-goog-content-length-range';

/**
 * A signed PUT also signs `x-goog-if-generation-match: 0`: Cloud Storage then
 * writes only if no live object has that name and answers 412 Precondition
 * Failed otherwise, so an upload URL creates one object and cannot overwrite it
 * (or a confirmed thumbnail) while it lives:
 * https://cloud.google.com/storage/docs/xml-api/reference-headers#xgoogifgenerationmatch
 * https://cloud.google.com/storage/docs/request-preconditions
 */
export const IF_GENERATION_MATCH_HEADER = 'x-goog-if-generation-match';

/** Where public (non-signed) object URLs of Cloud Storage live; stored walk URLs use this form. */
export const CLOUD_STORAGE_ORIGIN = 'https://storage.googleapis.com';

export interface SignedUpload {
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the client must send exactly (they are part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

export interface SignedRead {
  readonly url: string;
  readonly expiresAt: Date;
}

export interface ObjectMetadata {
  readonly contentType: string | undefined;
  readonly size: number;
}

export interface SignedUploadRequest {
  readonly key: string;
  readonly contentType: string;
  readonly maxBytes: number;
  readonly expiresInSeconds: number;
}

export interface ObjectStore {
  readonly bucket: string;
  /**
   * The origin of the URLs this store signs: Cloud Storage's deployed, the
   * stand-in's (STORAGE_API_ENDPOINT, local only) otherwise.
   */
  readonly signedUrlOrigin: string;
  signedUploadUrl(request: SignedUploadRequest): Promise<SignedUpload>;
  signedReadUrl(key: string, expiresInSeconds: number): Promise<SignedRead>;
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** Not-found counts as deleted. */
  delete(key: string): Promise<void>;
  /** The keys of every object whose key starts with `prefix` (a folder-like prefix ending in "/"). */
  list(prefix: string): Promise<string[]>;
  /** Every object whose key starts with `prefix`; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** undefined when the object does not exist. */
  metadata(key: string): Promise<ObjectMetadata | undefined>;
  exists(key: string): Promise<boolean>;
}

export interface ObjectStoreOptions {
  /**
   * The auth client the library signs and authenticates with (tests pass one
   * that records signBlob calls). @default Application Default Credentials, or
   * the stand-in's key when `signingCredentialsFile` is set
   */
  readonly authClient?: StorageOptions['authClient'];
  /** @default Date.now */
  readonly now?: () => number;
}

interface SigningCredentials {
  readonly client_email: string;
  readonly private_key: string;
}

export function readSigningCredentials(file: string): SigningCredentials {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SigningCredentials>;
  if (typeof parsed.client_email !== 'string' || typeof parsed.private_key !== 'string') {
    throw new Error(`${file}: expected a service-account-shaped JSON with client_email and private_key`);
  }
  return { client_email: parsed.client_email, private_key: parsed.private_key };
}

const isNotFound = (error: unknown) => (error as { code?: unknown }).code === 404;

export function createObjectStore(
  config: Pick<StorageConfig, 'bucket' | 'apiEndpoint' | 'signingCredentialsFile'>,
  options: ObjectStoreOptions = {},
): ObjectStore {
  const now = options.now ?? Date.now;
  const storage = new Storage({
    // bounded: a request handler waits for these (the library's default retries for up to 600 s)
    retryOptions: { autoRetry: true, maxRetries: 2, totalTimeout: 15 },
    ...(config.apiEndpoint && { apiEndpoint: config.apiEndpoint }),
    ...(config.signingCredentialsFile && {
      // GoogleAuth signs locally when its credentials carry a private key. It warns that `credentials`
      // is deprecated, but it is the only local-key path the V4 signer can use: the signer asks
      // GoogleAuth.getCredentials() for client_email, which (google-auth-library 11.3.4,
      // getCredentialsAsync) comes from these credentials, an impersonated or external-account
      // client, or the metadata server; an `authClient: new JWT({ email, key })` signs but its
      // email is not found ("Unable to find credentials"). Local only: deployed passes no key.
      credentials: readSigningCredentials(config.signingCredentialsFile),
    }),
    ...(options.authClient && { authClient: options.authClient }),
  });
  const bucket = storage.bucket(config.bucket);

  return {
    bucket: config.bucket,
    signedUrlOrigin: new URL(config.apiEndpoint ?? CLOUD_STORAGE_ORIGIN).origin,

    async signedUploadUrl({ key, contentType, maxBytes, expiresInSeconds }) {
      const expiresAt = new Date(now() + expiresInSeconds * 1000);
      const range = `0,${maxBytes}`;
      const [url] = await bucket.file(key).getSignedUrl({
        version: 'v4',
        action: 'write',
        expires: expiresAt,
        contentType,
        extensionHeaders: { [CONTENT_LENGTH_RANGE_HEADER]: range, [IF_GENERATION_MATCH_HEADER]: '0' },
      });
      return {
        url,
        method: 'PUT',
        headers: {
          'Content-Type': contentType,
          [CONTENT_LENGTH_RANGE_HEADER]: range,
          [IF_GENERATION_MATCH_HEADER]: '0',
        },
        expiresAt,
      };
    },

    async signedReadUrl(key, expiresInSeconds) {
      const expiresAt = new Date(now() + expiresInSeconds * 1000);
      const [url] = await bucket
        .file(key)
        .getSignedUrl({ version: 'v4', action: 'read', expires: expiresAt });
      return { url, expiresAt };
    },

    async put(key, bytes, contentType) {
      await bucket.file(key).save(bytes, { resumable: false, contentType, validation: 'md5' });
    },

    async delete(key) {
      await bucket.file(key).delete({ ignoreNotFound: true });
    },

    async list(prefix) {
      if (!prefix.endsWith('/'))
        throw new Error(`list wants a folder-like prefix ending in "/", got ${prefix}`);
      const [files] = await bucket.getFiles({ prefix });
      return files.map((file) => file.name);
    },

    async deletePrefix(prefix) {
      if (!prefix.endsWith('/'))
        throw new Error(`deletePrefix wants a folder-like prefix ending in "/", got ${prefix}`);
      const [files] = await bucket.getFiles({ prefix });
      await Promise.all(files.map((file) => file.delete({ ignoreNotFound: true })));
      return files.length;
    },

    async metadata(key) {
      try {
        const [metadata] = await bucket.file(key).getMetadata();
        return { contentType: metadata.contentType, size: Number(metadata.size ?? 0) };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async exists(key) {
      return (await this.metadata(key)) !== undefined;
    },
  };
}
