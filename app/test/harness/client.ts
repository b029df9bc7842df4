/* eslint-disable @typescript-eslint/no-explicit-any -- tests assert on JSON bodies field by field */
/** A small JSON client for the service under test. */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export function apiClient(baseUrl: string, authorization?: string) {
  async function call<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(authorization && { authorization }), ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  return {
    call,
    get: <T = any>(path: string, options?: RequestOptions) => call<T>('GET', path, options),
    post: <T = any>(path: string, body: unknown, options?: RequestOptions) =>
      call<T>('POST', path, { ...options, body }),
    put: <T = any>(path: string, body: unknown, options?: RequestOptions) =>
      call<T>('PUT', path, { ...options, body }),
    delete: <T = any>(path: string, options?: RequestOptions) => call<T>('DELETE', path, options),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
