// The generated client, configured once: same origin, a bearer token from memory, and a 401
// from any route ends the session.
import { client } from './client/client.gen';

let accessToken: string | null = null;
let onUnauthorized: () => void = () => {};

// Same origin: the generated paths start with /api/v1. A stage prefix (`/prod` on an
// execute-api host) comes from the console's config.
client.setConfig({ baseUrl: '' });

export function setApiBase(apiBase: string): void {
  client.setConfig({ baseUrl: apiBase.replace(/\/api\/v1\/?$/, '') });
}

client.interceptors.request.use((request) => {
  if (accessToken !== null) request.headers.set('Authorization', `Bearer ${accessToken}`);
  return request;
});

client.interceptors.response.use((response) => {
  if (response.status === 401 && accessToken !== null) onUnauthorized();
  return response;
});

export function setAccessToken(token: string | null, whenUnauthorized: () => void): void {
  accessToken = token;
  onUnauthorized = whenUnauthorized;
}

/** An API refusal, carrying the API's own `message` (and `reason` when it gives one). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface ErrorBody {
  message?: unknown;
  reason?: unknown;
}

function messageOf(error: unknown, status: number): string {
  if (typeof error === 'object' && error !== null) {
    const body = error as ErrorBody;
    if (typeof body.message === 'string') {
      return typeof body.reason === 'string' ? `${body.message}: ${body.reason}` : body.message;
    }
  }
  if (typeof error === 'string' && error !== '') return error;
  return `The request failed (HTTP ${status})`;
}

type Result<T> = { data?: T; error?: unknown; response?: Response };

/** Await a generated SDK call: its data, or an ApiError with the API's message. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  const status = result.response?.status ?? 0;
  if (result.error !== undefined || result.response === undefined || !result.response.ok) {
    throw new ApiError(messageOf(result.error, status), status);
  }
  return result.data as T;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
