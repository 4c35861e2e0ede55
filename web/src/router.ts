// Hash routing: `#/tokens`, `#/runs/exe_...`, `#/admin/members`; the path `/` never changes,
// so the API's origin serves one page. Only the routes below exist: anything else (a crafted
// id such as `..`, a malformed escape) is "not found" and never reaches an API path.
import { useEffect, useState } from 'preact/hooks';

// The API's id shapes (domain/ids.py): an id that is not one never becomes part of a URL.
const RUN_ID = /^exe_[A-Za-z0-9]+$/;
const ADMIN_PAGES = ['tokens', 'members', 'policy', 'audit'] as const;
export type AdminPage = (typeof ADMIN_PAGES)[number];

export type Route =
  | { page: 'tokens' }
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'admin'; sub: AdminPage }
  | { page: 'not-found' };

/** The route of a location hash (`#/runs/exe_...`). */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  let parts: string[];
  try {
    parts = path
      .split('/')
      .filter((part) => part !== '')
      .map(decodeURIComponent);
  } catch {
    return { page: 'not-found' }; // a malformed percent-escape
  }
  const [section = 'tokens', sub, ...rest] = parts;
  if (rest.length > 0) return { page: 'not-found' };
  if (section === 'tokens' && sub === undefined) return { page: 'tokens' };
  if (section === 'runs' && sub === undefined) return { page: 'runs' };
  if (section === 'runs' && sub !== undefined && RUN_ID.test(sub)) return { page: 'run', id: sub };
  const admin = ADMIN_PAGES.find((p) => p === sub);
  if (section === 'admin' && admin !== undefined) return { page: 'admin', sub: admin };
  return { page: 'not-found' };
}

/** The route as a path (`runs/exe_...`): what the navigation marks as the current page. */
export function routePath(route: Route): string {
  switch (route.page) {
    case 'run':
      return `runs/${route.id}`;
    case 'admin':
      return `admin/${route.sub}`;
    case 'not-found':
      return '';
    default:
      return route.page;
  }
}

export function currentRoute(): Route {
  return parseRoute(window.location.hash);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function navigate(path: string): void {
  window.location.hash = `#${path}`;
}
