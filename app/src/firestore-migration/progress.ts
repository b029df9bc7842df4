/**
 * What `migrate:firestore` prints on stderr while it works (its help
 * promises progress there): one line per page with the phase, pages and
 * documents so far, the rate and, when the run reports its counts, how many
 * walks and consents went to quarantine. stdout keeps only the JSON report.
 */
export interface ProgressFields {
  readonly phase?: unknown;
  readonly documents?: unknown;
  /** RunCounts, when the caller passes them (walks.quarantined, consents.quarantined). */
  readonly counts?: unknown;
}

export interface ProgressReporter {
  (message: string, fields: Record<string, unknown>): void;
  /** Pages and documents seen so far. */
  readonly totals: () => { pages: number; documents: number };
}

function quarantined(counts: unknown): number | undefined {
  const c = counts as { walks?: { quarantined?: unknown }; consents?: { quarantined?: unknown } } | undefined;
  const walks = c?.walks?.quarantined;
  const consents = c?.consents?.quarantined;
  if (typeof walks !== 'number' && typeof consents !== 'number') return undefined;
  return (typeof walks === 'number' ? walks : 0) + (typeof consents === 'number' ? consents : 0);
}

export function progressReporter(
  write: (line: string) => void,
  now: () => number = () => Date.now(),
): ProgressReporter {
  const started = now();
  let pages = 0;
  let documents = 0;
  const report = (message: string, fields: ProgressFields) => {
    pages += 1;
    documents += typeof fields.documents === 'number' ? fields.documents : 0;
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const q = quarantined(fields.counts);
    write(
      `${typeof fields.phase === 'string' ? `${fields.phase}: ` : ''}${message}; ` +
        `${pages} page${pages === 1 ? '' : 's'}, ${documents} documents, ${Math.round(documents / seconds)} documents/s` +
        `${q === undefined ? '' : `, ${q} quarantined`}\n`,
    );
  };
  return Object.assign(report, { totals: () => ({ pages, documents }) });
}

/** A failure in words an operator can act on, from what the libraries throw. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] };
  const text = typeof e?.message === 'string' ? e.message : String(error);
  const nested = Array.isArray(e?.errors) ? (e.errors[0] as { code?: unknown } | undefined) : undefined;
  const code = String(e?.code ?? nested?.code ?? '');
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) {
    return /5432|postgres/i.test(text) || code === 'ECONNREFUSED'
      ? `cannot reach PostgreSQL at DATABASE_URL (connection refused): is the database (or the Cloud SQL Auth Proxy) running? (${text})`
      : `connection refused: ${text}`;
  }
  if (code === '28P01' || code === '28000') return `PostgreSQL refused the login in DATABASE_URL (${text})`;
  if (code === '3D000') return `the database named in DATABASE_URL does not exist (${text})`;
  if (code === '42P01') return `the database is not migrated: run npm run migrate first (${text})`;
  if (/Could not load the default credentials|invalid_grant|UNAUTHENTICATED/i.test(text))
    return `no Google credentials for Firestore: run gcloud auth application-default login, or set FIRESTORE_EMULATOR_HOST for the emulator (${text})`;
  if (/PERMISSION_DENIED/i.test(text))
    return `Firestore refused the read: the identity in use may not read this project's Firestore (${text})`;
  if (/UNAVAILABLE|14 UNAVAILABLE/i.test(text))
    return `Firestore is unreachable (is FIRESTORE_EMULATOR_HOST right, or the network up?) (${text})`;
  return text;
}
