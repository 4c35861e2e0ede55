// Sign-in with the OIDC authorization-code flow and PKCE (S256) against the configured
// identity provider. The access token lives in memory only: a reload signs the user out.

export interface OidcConfig {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  client_id: string;
  scope: string;
  end_session_endpoint: string | null;
}

export interface ConsoleConfig {
  oidc: OidcConfig;
  api_base: string;
}

export interface Session {
  accessToken: string;
  idToken: string | null;
  expiresAt: number; // epoch ms
}

// sessionStorage holds the verifier and state for the round trip to the provider only.
const PENDING_KEY = 'sculptops.oidc.pending';

interface Pending {
  state: string;
  verifier: string;
  returnTo: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  // Relative: beside the page, which is `/` (or `/<stage>/` on an execute-api host).
  const response = await fetch('console/config.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    throw new Error(`The console's configuration is unavailable (HTTP ${response.status})`);
  }
  return (await response.json()) as ConsoleConfig;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount: number): string {
  const bytes = new Uint8Array(byteCount);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function redirectUri(): string {
  // The page's own URL without query or fragment: `/` locally, `/prod/` at a stage prefix.
  return `${window.location.origin}${window.location.pathname}`;
}

/** Leave for the provider's authorize page; it comes back to `/?code=...&state=...`. */
export async function beginSignIn(config: OidcConfig): Promise<void> {
  const pending: Pending = {
    state: randomString(24),
    verifier: randomString(48),
    returnTo: window.location.hash || '#/tokens',
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
  });
  window.location.assign(`${config.authorization_endpoint}?${params.toString()}`);
}

export class SignInError extends Error {}

const FAILED = 'The sign-in failed; try again.';
// RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 codes, each with a fixed message: the provider's
// `error_description`, or any code not listed, is never shown (a link can carry any text).
const OAUTH_ERRORS = new Map<string, string>([
  ['access_denied', 'The sign-in was refused at the identity provider.'],
  ['login_required', 'The identity provider needs you to sign in there first; try again.'],
  ['interaction_required', 'The identity provider needs you to finish the sign-in there; try again.'],
  ['consent_required', 'The identity provider needs your consent for the console; try again.'],
  ['invalid_request', 'The identity provider refused the sign-in request.'],
  ['server_error', 'The identity provider failed; try again later.'],
  ['temporarily_unavailable', 'The identity provider is unavailable for now; try again later.'],
]);

function readPending(raw: string | null): Pending | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<Pending> | null;
    if (
      typeof value?.state === 'string' &&
      typeof value.verifier === 'string' &&
      typeof value.returnTo === 'string'
    ) {
      return value as Pending;
    }
  } catch {
    // A corrupt entry is no sign-in started here.
  }
  return null;
}

/**
 * Finish a sign-in when the provider sent the browser back with `?code&state` (or `?error`).
 * Returns null when the URL carries no answer of the provider. The query is dropped from the
 * address bar either way.
 */
export async function completeSignIn(config: OidcConfig): Promise<Session | null> {
  const query = new URLSearchParams(window.location.search);
  const code = query.get('code');
  const error = query.get('error');
  if (code === null && error === null) return null;
  // Before the address bar changes: the exchange names the URI the code was issued for,
  // which at a stage prefix is `/prod/`, not `/`.
  const redirect = redirectUri();
  const pending = readPending(sessionStorage.getItem(PENDING_KEY));
  sessionStorage.removeItem(PENDING_KEY);
  // Only a fragment goes back: the page's own path (with its stage) stays.
  const returnTo = pending?.returnTo.startsWith('#') ? pending.returnTo : '#/tokens';
  window.history.replaceState(null, '', `${window.location.pathname}${returnTo}`);
  // The state first: an answer to no sign-in started here says nothing else.
  if (pending === null || pending.state !== query.get('state')) {
    throw new SignInError(FAILED);
  }
  if (error !== null) {
    throw new SignInError(OAUTH_ERRORS.get(error) ?? FAILED);
  }
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: redirect,
    client_id: config.client_id,
    code_verifier: pending.verifier,
  });
  // The one hand-written fetch: the provider's token endpoint is OIDC, not our API.
  const response = await fetch(config.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body,
  });
  if (!response.ok) {
    throw new SignInError(`The identity provider refused the code (HTTP ${response.status}).`);
  }
  const tokens = (await response.json()) as {
    access_token: string;
    id_token?: string;
    expires_in?: number;
  };
  return {
    accessToken: tokens.access_token,
    idToken: tokens.id_token ?? null,
    expiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
  };
}

/** Where to send the browser after sign-out, when the provider has an end-session endpoint. */
export function endSessionUrl(config: OidcConfig, session: Session | null): string | null {
  if (config.end_session_endpoint === null) return null;
  const params = new URLSearchParams({
    client_id: config.client_id,
    post_logout_redirect_uri: redirectUri(),
  });
  if (session?.idToken) params.set('id_token_hint', session.idToken);
  return `${config.end_session_endpoint}?${params.toString()}`;
}
