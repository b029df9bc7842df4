/**
 * zod issues → 400 INVALID_REQUEST naming the field (API.md). The message
 * describes the first problem; `details` lists every one.
 */
import type { z } from 'zod';
import { AppError, type ErrorDetail } from './errors';

type Issue = z.core.$ZodIssue & { input?: unknown; params?: { issue?: string } };

function fieldName(prefix: string | undefined, path: readonly PropertyKey[]): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
  return parts.length ? parts.join('.') : 'body';
}

const FORMAT_NAMES: Record<string, string> = {
  datetime: 'an RFC 3339 date-time with a time zone',
  uuid: 'a UUID',
  guid: 'a UUID',
  url: 'an https URL',
};

function describe(issue: Issue, field: string): { detail: ErrorDetail; message: string } {
  const detail = (issueName: string, message: string) => ({ detail: { field, issue: issueName }, message });
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? detail('required', `${field} is required`)
        : detail(
            'invalid_type',
            `${field} must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`,
          );
    case 'too_big':
      if (issue.origin === 'string')
        return detail('too_long', `${field} must be at most ${issue.maximum} characters`);
      if (issue.origin === 'array')
        return detail('too_many', `${field} must have at most ${issue.maximum} items`);
      return detail('too_large', `${field} must be at most ${issue.maximum}`);
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) === 1
          ? detail('empty', `${field} must not be empty`)
          : detail('too_short', `${field} must be at least ${issue.minimum} characters`);
      }
      if (issue.origin === 'array')
        return detail('too_few', `${field} must have at least ${issue.minimum} items`);
      return detail('too_small', `${field} must be at least ${issue.minimum}`);
    case 'invalid_format':
      if (issue.format === 'regex') return detail('invalid_format', `${field} ${issue.message}`);
      return detail(
        'invalid_format',
        `${field} must be ${FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`}`,
      );
    case 'invalid_value':
      return detail('invalid_value', `${field} must be one of ${issue.values.map(String).join(', ')}`);
    case 'not_multiple_of':
      return detail('invalid_value', `${field} must be a multiple of ${issue.divisor}`);
    case 'custom':
      return detail(issue.params?.issue ?? 'invalid', `${field} ${issue.message}`);
    default:
      return detail('invalid', `${field} is invalid`);
  }
}

export function validationError(error: z.ZodError, prefix?: string): AppError {
  const described = (error.issues as Issue[]).flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const field = fieldName(prefix, [...issue.path, key]);
        return { detail: { field, issue: 'unknown_field' }, message: `${field} is not a known field` };
      });
    }
    return [describe(issue, fieldName(prefix, issue.path))];
  });
  const first = described[0] ?? {
    message: 'the request is invalid',
    detail: { field: prefix ?? 'body', issue: 'invalid' },
  };
  return new AppError('INVALID_REQUEST', first.message, { details: described.map((d) => d.detail) });
}

/** Parses `input` with `schema` or throws 400 INVALID_REQUEST; `prefix` names where the input came from (e.g. a query). */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw validationError(result.error, prefix);
  return result.data;
}
