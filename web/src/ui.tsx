// Small shared pieces: a modal dialog, an error alert, a confirmation, time formatting.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab from the last control goes to the first (Shift+Tab the other way): never out. */
function trapFocus(dialog: HTMLDialogElement, event: KeyboardEvent): void {
  const items = Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => el.offsetParent !== null,
  );
  const first = items[0];
  const last = items[items.length - 1];
  if (first === undefined || last === undefined) return;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !dialog.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * A native modal <dialog>: showModal() makes the rest of the page inert, Tab wraps around
 * inside it (a focus trap: the browser would otherwise let focus leave for its own UI), and
 * Escape closes it through the `cancel` event.
 */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Tab' && ref.current !== null) trapFocus(ref.current, event);
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** The API's message, in an alert region. */
export function ErrorAlert(props: { error: unknown }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <p role="alert" class="alert">
      {errorText(props.error)}
    </p>
  );
}

/** Ask before a destructive action; shows the API's refusal in the dialog. */
export function Confirm(props: {
  title: string;
  action: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      <ErrorAlert error={error} />
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await props.onConfirm();
              props.onClose();
            } catch (e) {
              setError(e);
              setBusy(false);
            }
          }}
        >
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

/** Load data on mount and whenever `deps` change; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then(
      (value) => live && setData(value),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);
  return { data, error, reload: () => setVersion((v) => v + 1) };
}

/**
 * A list read page by page (`more` appends the next page). Loads afresh whenever `deps` change
 * (a tenant, a filter), from the first page; an answer to an older request (the previous
 * tenant's, slow to come) is dropped, never shown.
 */
export function usePages<T>(
  load: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>,
  deps: unknown[],
) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const fetchPage = (cursor: string | null) => {
    const mine = ++latest.current;
    setError(null);
    setLoading(true);
    load(cursor).then(
      (page) => {
        if (mine !== latest.current) return;
        setItems((old) => (cursor ? [...old, ...page.items] : page.items));
        setNext(page.next);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== latest.current) return;
        setError(e);
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    setItems([]);
    setNext(null);
    fetchPage(null);
    return () => {
      latest.current += 1; // whatever is in flight is for the old deps
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return {
    items,
    next,
    error,
    loading,
    more: () => {
      if (next !== null) fetchPage(next);
    },
    reload: () => fetchPage(null),
  };
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateTime.format(new Date(iso));
}

export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span>—</span>;
  return <time dateTime={props.iso}>{when(props.iso)}</time>;
}

const DAY_MS = 86_400_000;

/** "expires in N days" when the expiry is 7 days away or less. */
export function expiryWarning(iso: string | null | undefined, now = Date.now()): string | null {
  if (!iso) return null;
  const left = new Date(iso).getTime() - now;
  if (left <= 0) return 'expired';
  const days = Math.ceil(left / DAY_MS);
  if (days > 7) return null;
  return days === 1 ? 'expires in 1 day' : `expires in ${days} days`;
}

export function TableWrap(props: { label: string; children: ComponentChildren }) {
  // A region that scrolls sideways on a narrow screen instead of the whole page.
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** Focus the page's heading (a route change, or the control that had focus is gone). */
export function focusHeading(): void {
  const heading = document.querySelector<HTMLElement>('#main h1');
  if (heading === null) return;
  heading.tabIndex = -1;
  heading.focus();
}
