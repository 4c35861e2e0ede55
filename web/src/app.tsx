// The shell: sign-in, the session, the header (user, tenant switcher, navigation, sign-out)
// and the page of the current route.
import { Component, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, errorText, setAccessToken, setApiBase } from './api';
import {
  beginSignIn,
  completeSignIn,
  type ConsoleConfig,
  endSessionUrl,
  loadConfig,
  type Session,
} from './auth';
import { meApiV1MeGet } from './client/sdk.gen';
import type { MeOut, Role } from './client/types.gen';
import { AdminAudit, AdminMembers, AdminPolicy, AdminTokens } from './pages/admin';
import { Notices } from './pages/notices';
import { RunPage, Runs } from './pages/runs';
import { TokensPage } from './pages/tokens';
import { navigate, routePath, useRoute } from './router';
import { ErrorAlert, focusHeading } from './ui';

export interface Ctx {
  me: MeOut;
  tenant: string;
  role: Role;
}

type SignedOut = 'expired' | 'signed-out' | null;

export function App() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [signedOut, setSignedOut] = useState<SignedOut>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(true);

  const expire = useCallback(() => {
    setAccessToken(null, () => {});
    setSession(null);
    setSignedOut('expired');
  }, []);

  useEffect(() => {
    (async () => {
      try {
        const loaded = await loadConfig();
        setApiBase(loaded.api_base);
        setConfig(loaded);
        const fresh = await completeSignIn(loaded.oidc);
        if (fresh !== null) {
          setAccessToken(fresh.accessToken, expire);
          setSession(fresh);
        }
      } catch (e) {
        setError(e);
      } finally {
        setStarting(false);
      }
    })();
  }, [expire]);

  useEffect(() => {
    if (session === null) return;
    const timer = window.setTimeout(expire, Math.max(0, session.expiresAt - Date.now()));
    return () => window.clearTimeout(timer);
  }, [session, expire]);

  const signOut = () => {
    const target = config === null ? null : endSessionUrl(config.oidc, session);
    setAccessToken(null, () => {});
    setSession(null);
    setSignedOut('signed-out');
    if (target !== null) window.location.assign(target);
  };

  if (starting) {
    return (
      <main class="signin">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (session === null || config === null) {
    return <SignIn config={config} reason={signedOut} error={error} />;
  }
  return <Console onSignOut={signOut} />;
}

function SignIn(props: { config: ConsoleConfig | null; reason: SignedOut; error: unknown }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <main class="signin">
      <h1>SculptOps console</h1>
      {props.reason === 'expired' && (
        <p role="status" class="notice">
          Your session expired. Sign in again.
        </p>
      )}
      {props.reason === 'signed-out' && (
        <p role="status" class="notice">
          You signed out.
        </p>
      )}
      <ErrorAlert error={props.error ?? error} />
      <button
        type="button"
        class="primary"
        disabled={props.config === null}
        onClick={() => {
          if (props.config !== null) beginSignIn(props.config.oidc).catch(setError);
        }}
      >
        Sign in
      </button>
      <p class="hint">
        The console keeps your session in this tab's memory only: reloading the page or closing
        the tab signs you out.
      </p>
    </main>
  );
}

function Console(props: { onSignOut: () => void }) {
  const [me, setMe] = useState<MeOut | null>(null);
  const [tenant, setTenant] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();
  const here = routePath(route);
  const firstRoute = useRef(true);

  useEffect(() => {
    call(meApiV1MeGet()).then((value) => {
      setMe(value);
      setTenant(value.active_tenant ?? value.tenants[0]?.slug ?? null);
    }, setError);
  }, []);

  // After a route change, focus goes to the new page's heading (as a screen reader user
  // expects of a page load); not on the first page, where Tab starts at "Skip to content".
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    focusHeading();
  }, [here]);

  if (me === null) {
    return (
      <main class="signin">
        {error === null ? <p role="status">Loading…</p> : <ErrorAlert error={error} />}
      </main>
    );
  }
  const membership = me.tenants.find((t) => t.slug === tenant);
  if (tenant === null || membership === undefined) {
    return (
      <main class="signin">
        <p role="alert">{errorText('You belong to no tenant.')}</p>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </main>
    );
  }
  const ctx: Ctx = { me, tenant, role: membership.role };
  const isAdmin = ctx.role === 'admin';
  const links: [string, string][] = [
    ['tokens', 'API tokens'],
    ['runs', 'Runs'],
  ];
  if (isAdmin) {
    links.push(
      ['admin/tokens', 'Tenant tokens'],
      ['admin/members', 'Members'],
      ['admin/policy', 'Token policy'],
      ['admin/audit', 'Audit log'],
    );
  }

  let page;
  if (route.page === 'run') page = <RunPage ctx={ctx} id={route.id} />;
  else if (route.page === 'runs') page = <Runs ctx={ctx} />;
  else if (route.page === 'admin' && !isAdmin) {
    page = (
      <p role="alert" class="alert">
        The admin pages are for admins of {ctx.tenant}.
      </p>
    );
  } else if (route.page === 'admin' && route.sub === 'tokens') page = <AdminTokens ctx={ctx} />;
  else if (route.page === 'admin' && route.sub === 'members') page = <AdminMembers ctx={ctx} />;
  else if (route.page === 'admin' && route.sub === 'policy') page = <AdminPolicy ctx={ctx} />;
  else if (route.page === 'admin') page = <AdminAudit ctx={ctx} />;
  else if (route.page === 'not-found') page = <NotFound />;
  else page = <TokensPage ctx={ctx} />;

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault(); // the fragment is the route: focus, never navigate
          focusHeading();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="brand">SculptOps</div>
        <nav aria-label="Main">
          <ul>
            {links.map(([path, label]) => (
              <li key={path}>
                <a
                  href={`#/${path}`}
                  aria-current={
                    here === path ? 'page' : undefined
                  }
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="user">
            {me.user?.name ?? me.user?.email}
            <span class="email"> ({me.user?.email})</span>
          </span>
          <label>
            Tenant
            <select
              value={tenant}
              onChange={(e) => {
                setTenant((e.target as HTMLSelectElement).value);
                if (route.page === 'admin' || route.page === 'run') navigate('/tokens');
              }}
            >
              {me.tenants.map((t) => (
                <option key={t.slug} value={t.slug}>
                  {t.name} ({t.role})
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Notices />
        <PageBoundary key={here || 'not-found'}>{page}</PageBoundary>
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">Not found</h1>
      <p role="alert" class="alert">
        There is no such page in the console.
      </p>
      <p>
        <a href="#/tokens">Go to API tokens</a>
      </p>
    </section>
  );
}

/** A page that fails to render shows an alert instead of a blank console (keyed by route). */
class PageBoundary extends Component<{ children: ComponentChildren }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <section aria-labelledby="failed-title">
        <h1 id="failed-title">This page failed</h1>
        <p role="alert" class="alert">
          The console could not show this page. The other pages still work.
        </p>
      </section>
    );
  }
}
