/**
 * A local Cloud Storage stand-in that stores bytes on disk and checks what
 * Cloud Storage checks on a V4 signed URL (ADR 0250): the RSA-SHA256 signature
 * over the canonical request (with the public half of the locally generated
 * key), the expiry, the signed headers (content type, host) and the signed
 * content-length range; the method is part of the signed request; and an
 * `x-goog-if-generation-match` precondition on a PUT (412 when it fails). It also
 * answers the few JSON API calls the ObjectStore makes (metadata, list,
 * delete, multipart upload, media download), unauthenticated, as
 * @google-cloud/storage sends them to a custom `apiEndpoint`.
 *
 * How V4 signing works: https://cloud.google.com/storage/docs/authentication/signatures
 */
import { createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm, writeFile, readdir, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import { IF_GENERATION_MATCH_HEADER, readSigningCredentials } from '../src/storage';

/** Writes a service-account-shaped JSON with a fresh RSA key (what STORAGE_SIGNING_CREDENTIALS_FILE names). */
export function generateSigningCredentials(file: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  mkdirSync(path.dirname(file), { recursive: true });
  const json = {
    type: 'service_account',
    client_email: 'local-storage-signer@local.invalid',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  writeFileSync(file, JSON.stringify(json, null, 2), { mode: 0o600 });
  return file;
}

interface StoredMeta {
  /** Cloud Storage's object generation (microseconds, unique per write of a name). */
  readonly generation?: number;
  readonly contentType: string;
  readonly size: number;
  readonly md5Hash: string;
  readonly updated: string;
}

/** Bytes on disk: `<dir>/<bucket>/<encoded key>` and `<...>.json` beside it. */
class DiskObjects {
  private lastGeneration = 0;
  constructor(private readonly dir: string) {}
  private file(bucket: string, key: string) {
    return path.join(this.dir, encodeURIComponent(bucket), encodeURIComponent(key));
  }
  async put(bucket: string, key: string, bytes: Buffer, contentType: string): Promise<StoredMeta> {
    const file = this.file(bucket, key);
    await mkdir(path.dirname(file), { recursive: true });
    this.lastGeneration = Math.max(Date.now() * 1000, this.lastGeneration + 1);
    const meta: StoredMeta = {
      generation: this.lastGeneration,
      contentType,
      size: bytes.length,
      md5Hash: createHash('md5').update(bytes).digest('base64'),
      updated: new Date().toISOString(),
    };
    await writeFile(file, bytes);
    await writeFile(`${file}.json`, JSON.stringify(meta));
    return meta;
  }
  async meta(bucket: string, key: string): Promise<StoredMeta | undefined> {
    try {
      return JSON.parse(await readFile(`${this.file(bucket, key)}.json`, 'utf8')) as StoredMeta;
    } catch {
      return undefined;
    }
  }
  async bytes(bucket: string, key: string): Promise<Buffer> {
    return readFile(this.file(bucket, key));
  }
  async delete(bucket: string, key: string): Promise<boolean> {
    const existed = (await this.meta(bucket, key)) !== undefined;
    await rm(this.file(bucket, key), { force: true });
    await rm(`${this.file(bucket, key)}.json`, { force: true });
    return existed;
  }
  async list(bucket: string, prefix: string): Promise<string[]> {
    const names = await readdir(path.join(this.dir, encodeURIComponent(bucket))).catch(() => [] as string[]);
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => decodeURIComponent(name.slice(0, -'.json'.length)))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }
}

/** Runs the tasks of one key one after another (a precondition check and its write stay together). */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return result;
  }
}

/** GCS answers the XML API's errors as XML with a Code; the status is what clients act on. */
function xmlError(res: Response, status: number, code: string, message: string): void {
  res
    .status(status)
    .type('application/xml')
    .send(
      `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
}

/** RFC 3986 unreserved characters stay, everything else is %XX (what the V4 canonical query uses). */
const encodeRfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const X_GOOG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export type SignatureVerdict =
  | { readonly ok: true; readonly signedHeaders: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

const refuse = (status: number, code: string, message: string): SignatureVerdict => ({
  ok: false,
  status,
  code,
  message,
});

/**
 * Checks a V4 signed request as Cloud Storage does. `rawPath` is the path as
 * sent (percent-encoded); `query` the raw query pairs; `host` the Host header.
 */
export function verifyV4Request(input: {
  method: string;
  rawPath: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  publicKey: KeyObject;
  clientEmail: string;
  now: number;
}): SignatureVerdict {
  const q = input.query;
  const algorithm = q.get('X-Goog-Algorithm');
  const credential = q.get('X-Goog-Credential');
  const date = q.get('X-Goog-Date');
  const expires = q.get('X-Goog-Expires');
  const signedHeaderNames = q.get('X-Goog-SignedHeaders');
  const signature = q.get('X-Goog-Signature');
  if (!algorithm || !credential || !date || !expires || !signedHeaderNames || !signature) {
    return refuse(400, 'AuthenticationRequired', 'a V4 signed request needs every X-Goog-* query parameter');
  }
  if (algorithm !== 'GOOG4-RSA-SHA256')
    return refuse(400, 'InvalidArgument', `unsupported algorithm ${algorithm}`);
  const [email, ...scopeParts] = credential.split('/');
  if (email !== input.clientEmail) return refuse(403, 'AccessDenied', `unknown signer ${email ?? ''}`);
  const match = X_GOOG_DATE.exec(date);
  if (!match) return refuse(400, 'InvalidArgument', 'X-Goog-Date must be YYYYMMDDTHHMMSSZ');
  const [, y, mo, d, h, mi, s] = match;
  const signedAt = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const lifetime = Number(expires);
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 604_800) {
    return refuse(400, 'InvalidArgument', 'X-Goog-Expires must be 1..604800 seconds');
  }
  if (input.now < signedAt - 60_000) return refuse(400, 'RequestNotYetValid', 'the request is not valid yet');
  if (input.now > signedAt + lifetime * 1000) {
    return refuse(400, 'ExpiredToken', 'Invalid argument. Request has expired');
  }
  const names = signedHeaderNames.split(';');
  if (!names.includes('host')) return refuse(400, 'InvalidArgument', 'host must be a signed header');
  const signedHeaders = new Map<string, string>();
  for (const name of names) {
    const raw = input.headers[name];
    if (raw === undefined) return refuse(403, 'SignatureDoesNotMatch', `signed header ${name} is missing`);
    let value = (Array.isArray(raw) ? raw.join(',') : raw).trim().replace(/\s{2,}/g, ' ');
    // @google-cloud/storage signs the endpoint's hostname without its port (signer.js); GCS has no port.
    if (name === 'host') value = value.replace(/:\d+$/, '');
    signedHeaders.set(name, value);
  }
  const canonicalQuery = [...q.entries()]
    .filter(([key]) => key !== 'X-Goog-Signature')
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = names.map((name) => `${name}:${signedHeaders.get(name) ?? ''}\n`).join('');
  const canonicalRequest = [
    input.method,
    input.rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderNames,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    date,
    scopeParts.join('/'),
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const valid =
    /^[0-9a-f]+$/i.test(signature) &&
    verify('RSA-SHA256', Buffer.from(stringToSign), input.publicKey, Buffer.from(signature, 'hex'));
  if (!valid) {
    return refuse(
      403,
      'SignatureDoesNotMatch',
      'the request signature we calculated does not match the signature you provided',
    );
  }
  return { ok: true, signedHeaders };
}

/** `0,<max>` → the inclusive byte range. */
function parseRange(value: string): [number, number] | undefined {
  const match = /^(\d+),(\d+)$/.exec(value.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The two parts of a JSON API multipart upload: metadata JSON, then the bytes. */
function parseMultipart(
  body: Buffer,
  contentType: string,
): { meta: Record<string, unknown>; bytes: Buffer; type: string } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    parts.push(body.subarray(at + delimiter.length, next));
    at = next;
  }
  const split = (part: Buffer) => {
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    return { headers, content };
  };
  const [first, second] = parts.map(split);
  if (!first || !second) throw new Error('multipart upload needs a metadata part and a media part');
  const type = /content-type:\s*([^\r\n]+)/i.exec(second.headers)?.[1]?.trim() ?? 'application/octet-stream';
  return {
    meta: JSON.parse(first.content.toString('utf8')) as Record<string, unknown>,
    bytes: second.content,
    type,
  };
}

export interface StorageStandInOptions {
  /** Where objects are kept. */
  readonly dataDir: string;
  /** The service-account-shaped JSON the service signs with; its public half checks signatures. */
  readonly credentialsFile: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface RunningStorageStandIn {
  /** Base URL, the value of STORAGE_API_ENDPOINT. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Hard cap on any body; signed uploads are limited by their own range first. */
const BODY_CAP = '64mb';

export function createStorageStandInApp(options: StorageStandInOptions): express.Express {
  const credentials = readSigningCredentials(options.credentialsFile);
  const publicKey = createPublicKey(credentials.private_key);
  const objects = new DiskObjects(options.dataDir);
  const now = options.now ?? Date.now;
  const writes = new KeyedQueue();
  const app = express();
  app.disable('x-powered-by');
  const raw = express.raw({ type: () => true, limit: BODY_CAP });

  const resource = (bucket: string, key: string, meta: StoredMeta) => ({
    kind: 'storage#object',
    bucket,
    name: key,
    generation: String(meta.generation ?? 1),
    contentType: meta.contentType,
    size: String(meta.size),
    md5Hash: meta.md5Hash,
    updated: meta.updated,
  });

  // JSON API (what @google-cloud/storage sends to a custom apiEndpoint)
  app.get('/storage/v1/b/:bucket/o', async (req, res) => {
    const prefix = typeof req.query.prefix === 'string' ? req.query.prefix : '';
    const keys = await objects.list(req.params.bucket, prefix);
    const items = [];
    for (const key of keys) {
      const meta = await objects.meta(req.params.bucket, key);
      if (meta) items.push(resource(req.params.bucket, key, meta));
    }
    res.json({ kind: 'storage#objects', items });
  });
  app.get('/storage/v1/b/:bucket/o/:object', async (req, res) => {
    const { bucket, object } = req.params;
    const meta = await objects.meta(bucket, object);
    if (!meta) return void res.status(404).json({ error: { code: 404, message: 'No such object' } });
    if (req.query.alt === 'media')
      return void res.type(meta.contentType).send(await objects.bytes(bucket, object));
    res.json(resource(bucket, object, meta));
  });
  app.delete('/storage/v1/b/:bucket/o/:object', async (req, res) => {
    const deleted = await objects.delete(req.params.bucket, req.params.object);
    if (!deleted) return void res.status(404).json({ error: { code: 404, message: 'No such object' } });
    res.status(204).end();
  });
  app.post('/upload/storage/v1/b/:bucket/o', raw, async (req, res) => {
    const body = req.body as Buffer;
    const contentType = req.headers['content-type'] ?? '';
    let name: string | undefined;
    let bytes: Buffer;
    let type: string;
    if (req.query.uploadType === 'multipart') {
      const parsed = parseMultipart(body, contentType);
      name = typeof parsed.meta.name === 'string' ? parsed.meta.name : undefined;
      name ??= typeof req.query.name === 'string' ? req.query.name : undefined;
      bytes = parsed.bytes;
      type = typeof parsed.meta.contentType === 'string' ? parsed.meta.contentType : parsed.type;
    } else if (req.query.uploadType === 'media') {
      name = typeof req.query.name === 'string' ? req.query.name : undefined;
      bytes = body;
      type = contentType || 'application/octet-stream';
    } else {
      return void res.status(400).json({ error: { code: 400, message: 'only multipart and media uploads' } });
    }
    if (!name) return void res.status(400).json({ error: { code: 400, message: 'object name required' } });
    const meta = await objects.put(req.params.bucket, name, bytes, type);
    res.json(resource(req.params.bucket, name, meta));
  });

  // XML API with V4 signed URLs (what clients do with the service's URLs)
  app.use(async (req, res, next) => {
    if (req.method !== 'PUT' && req.method !== 'GET' && req.method !== 'HEAD') return next();
    const url = new URL(req.originalUrl, 'http://stand-in');
    const segments = url.pathname.split('/');
    const bucket = decodeURIComponent(segments[1] ?? '');
    const key = decodeURIComponent(segments.slice(2).join('/'));
    if (!bucket || !key) return next();
    const verdict = verifyV4Request({
      method: req.method,
      rawPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      publicKey,
      clientEmail: credentials.client_email,
      now: now(),
    });
    if (!verdict.ok) return xmlError(res, verdict.status, verdict.code, verdict.message);
    if (req.method !== 'PUT') {
      const meta = await objects.meta(bucket, key);
      if (!meta) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.setHeader('Content-Type', meta.contentType);
      res.setHeader('Content-Length', String(meta.size));
      return void (req.method === 'HEAD' ? res.end() : res.end(await objects.bytes(bucket, key)));
    }
    await new Promise<void>((resolve, reject) =>
      raw(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
    );
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const range = verdict.signedHeaders.get('x-goog-content-length-range');
    if (range !== undefined) {
      const bounds = parseRange(range);
      if (!bounds)
        return xmlError(res, 400, 'InvalidArgument', 'x-goog-content-length-range must be min,max');
      if (body.length < bounds[0] || body.length > bounds[1]) {
        return xmlError(res, 400, 'EntityTooLarge', `the body is ${body.length} bytes, outside ${range}`);
      }
    }
    const contentType = verdict.signedHeaders.get('content-type') ?? req.headers['content-type'];
    const condition = req.headers[IF_GENERATION_MATCH_HEADER];
    // the check and the write are one step per object, as in Cloud Storage
    const written = await writes.run(`${bucket}/${key}`, async () => {
      if (typeof condition === 'string') {
        const current = (await objects.meta(bucket, key))?.generation ?? 0; // 0: no live object
        if (condition.trim() !== String(current)) return false;
      }
      await objects.put(bucket, key, body, contentType ?? 'application/octet-stream');
      return true;
    });
    if (!written) {
      return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions did not hold.');
    }
    res.status(200).end();
  });
  app.use((_req: Request, res: Response) => xmlError(res, 404, 'NotFound', 'no such route'));
  return app;
}

export async function startStorageStandIn(options: StorageStandInOptions): Promise<RunningStorageStandIn> {
  mkdirSync(options.dataDir, { recursive: true });
  const server: Server = createServer(createStorageStandInApp(options));
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
