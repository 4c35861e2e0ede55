// Settings → API Tokens: the caller's personal tokens; create (the value shown once), rotate,
// delete, revoke all.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Ctx } from '../app';
import { ApiError, call } from '../api';
import {
  createTokenApiV1TenantIdTokensPost,
  deleteTokenApiV1TenantIdTokensTokenIdDelete,
  getTokenPolicyApiV1TenantIdSettingsTokenPolicyGet,
  listTokensApiV1TenantIdTokensGet,
  revokeAllTokensApiV1TenantIdTokensDelete,
  rotateTokenApiV1TenantIdTokensTokenIdRotatePost,
} from '../client/sdk.gen';
import type { Role, TokenCreate, TokenInfo } from '../client/types.gen';
import { Confirm, Dialog, ErrorAlert, expiryWarning, TableWrap, Time, useLoad } from '../ui';

// The older docs' words, kept.
const SHOWN_ONCE =
  'The token value is returned only once, at creation. It is never shown again. ' +
  'If you lose it, revoke the token and create a new one.';

export function TokensPage(props: { ctx: Ctx }) {
  const { tenant, role } = props.ctx;
  const tokens = useLoad(() => call(listTokensApiV1TenantIdTokensGet({ path: { tenant_id: tenant } })), [tenant]);
  const [dialog, setDialog] = useState<
    | { kind: 'new' }
    | { kind: 'delete' | 'rotate'; token: TokenInfo }
    | { kind: 'revoke-all' }
    | null
  >(null);
  // Every dialog's end reloads the list: a token used, rotated or revoked meanwhile (elsewhere
  // too) shows as it is now.
  const close = () => {
    setDialog(null);
    tokens.reload();
  };
  const list = tokens.data?.tokens ?? [];

  return (
    <section aria-labelledby="tokens-title">
      <div class="page-head">
        <h1 id="tokens-title">API tokens</h1>
        <div class="actions">
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'new' })}>
            New token
          </button>
          {/* aria-disabled, not disabled: after a Revoke all the dialog hands focus back here,
              and a disabled button would drop it to the document. */}
          <button
            type="button"
            class="danger"
            aria-disabled={list.length === 0 ? 'true' : undefined}
            onClick={() => {
              if (list.length > 0) setDialog({ kind: 'revoke-all' });
            }}
          >
            Revoke all
          </button>
        </div>
      </div>
      <p class="hint">
        A personal token acts as you, with your current role in the tenant of each request (never
        above its ceiling), in every tenant you belong to.
      </p>
      <ErrorAlert error={tokens.error} />
      {tokens.data !== null && list.length === 0 && <p>You have no API tokens.</p>}
      {list.length > 0 && (
        <TableWrap label="Your API tokens">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Ceiling</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => {
                const warning = expiryWarning(t.expiry_date);
                return (
                  <tr key={t.id}>
                    <th scope="row">{t.name}</th>
                    <td>{t.ceiling ?? 'your role'}</td>
                    <td>
                      <Time iso={t.created_at} />
                    </td>
                    <td>
                      {t.last_used_at ? (
                        <>
                          <Time iso={t.last_used_at} />
                          {t.last_used_ips && t.last_used_ips.length > 0 && (
                            <div class="ips">from {t.last_used_ips.join(', ')}</div>
                          )}
                        </>
                      ) : (
                        'never'
                      )}
                    </td>
                    <td>
                      <Time iso={t.expiry_date} />
                      {warning && <div class="warning">{warning}</div>}
                      {t.replaced_by && (
                        <div class="warning">
                          Old value of a rotation: works until <Time iso={t.works_until ?? null} />
                        </div>
                      )}
                    </td>
                    <td class="row-actions">
                      {/* The old value of a rotation is not rotated again (its replacement is). */}
                      {!t.replaced_by && (
                        <button
                          type="button"
                          aria-label={`Rotate ${t.name}`}
                          onClick={() => setDialog({ kind: 'rotate', token: t })}
                        >
                          Rotate
                        </button>
                      )}
                      <button
                        type="button"
                        class="danger"
                        aria-label={t.replaced_by ? `Delete the old value of ${t.name}` : `Delete ${t.name}`}
                        onClick={() => setDialog({ kind: 'delete', token: t })}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}

      {dialog?.kind === 'new' && (
        <NewToken tenant={tenant} role={role} onClose={close} onCreated={tokens.reload} />
      )}
      {dialog?.kind === 'rotate' && (
        <RotateToken tenant={tenant} token={dialog.token} onClose={close} onRotated={tokens.reload} />
      )}
      {dialog?.kind === 'delete' && (
        <Confirm
          title={`Delete token ${dialog.token.name}?`}
          action="Delete token"
          onClose={close}
          onConfirm={async () => {
            try {
              await call(
                deleteTokenApiV1TenantIdTokensTokenIdDelete({
                  path: { tenant_id: tenant, token_id: dialog.token.id },
                }),
              );
            } catch (e) {
              // Already gone (revoked by reuse detection, an admin or another tab): that is
              // what Delete wanted; the list is reloaded on close.
              if (!(e instanceof ApiError && e.status === 404)) throw e;
            }
          }}
        >
          <p>It fails at once, and so does every token it created. This cannot be undone.</p>
        </Confirm>
      )}
      {dialog?.kind === 'revoke-all' && (
        <Confirm
          title="Revoke all your tokens?"
          action="Revoke all tokens"
          onClose={close}
          onConfirm={async () => {
            await call(revokeAllTokensApiV1TenantIdTokensDelete({ path: { tenant_id: tenant } }));
            tokens.reload();
          }}
        >
          <p>Every API token you own fails at once, in every tenant. This cannot be undone.</p>
        </Confirm>
      )}
    </section>
  );
}

/** A token value, once: a read-only field, a Copy button and the warning. */
function ValueOnce(props: { value: string; children?: preact.ComponentChildren; onDone: () => void }) {
  const [copied, setCopied] = useState<string>('');
  const fieldId = useId();
  const copyButton = useRef<HTMLButtonElement>(null);
  // The form that had focus is gone: focus moves to Copy, inside the dialog.
  useEffect(() => copyButton.current?.focus(), []);
  return (
    <div class="value-once">
      <h3>Copy the token immediately</h3>
      <p class="warning">{SHOWN_ONCE}</p>
      <label for={fieldId}>Token value</label>
      <div class="copy-row">
        {/* A textarea: the whole value (66 characters) wraps into view at any width. */}
        <textarea id={fieldId} readOnly rows={3} value={props.value} class="mono token-value" />
        <button
          ref={copyButton}
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(props.value);
              setCopied('Copied to the clipboard.');
            } catch {
              setCopied('Copying failed: select the value and copy it yourself.');
            }
          }}
        >
          Copy
        </button>
      </div>
      <p role="status" class="hint">
        {copied}
      </p>
      {props.children}
      <div class="actions">
        <button type="button" class="primary" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

const PRESETS = [7, 30, 90];
type ExpiryChoice = { kind: 'preset'; days: number } | { kind: 'days' } | { kind: 'date' };

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

function NewToken(props: { tenant: string; role: Role; onClose: () => void; onCreated: () => void }) {
  // The tenant's maximum lifetime is readable by its admins only; for others the API's 4xx
  // message says so when a choice is past it.
  const policy = useLoad(
    () =>
      props.role === 'admin'
        ? call(getTokenPolicyApiV1TenantIdSettingsTokenPolicyGet({ path: { tenant_id: props.tenant } }))
        : Promise.resolve(null),
    [props.tenant, props.role],
  );
  const maxDays = policy.data?.max_lifetime_days ?? 366;
  const [name, setName] = useState('');
  const [choice, setChoice] = useState<ExpiryChoice>({ kind: 'preset', days: 30 });
  // Once the policy is known, never start on a choice it forbids: the longest preset it allows,
  // or its maximum in days when even the shortest preset is too long.
  useEffect(() => {
    const allowed = PRESETS.filter((n) => n <= maxDays);
    setChoice((c) => {
      if (c.kind !== 'preset' || c.days <= maxDays) return c;
      return allowed.length > 0 ? { kind: 'preset', days: allowed[allowed.length - 1] } : { kind: 'days' };
    });
    setDays((d) => (Number(d) > maxDays ? String(maxDays) : d));
  }, [maxDays]);
  const [days, setDays] = useState('14');
  const [date, setDate] = useState(isoDay(30));
  const [ceiling, setCeiling] = useState<'' | Role>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<string | null>(null);
  const ids = { name: useId(), days: useId(), date: useId(), ceiling: useId() };

  const done = () => {
    setCreated(null);
    props.onClose();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: TokenCreate = { name };
    if (choice.kind === 'preset') body.expires_in_days = choice.days;
    else if (choice.kind === 'days') body.expires_in_days = Number(days);
    else body.expiry_date = date;
    if (ceiling !== '') body.ceiling = ceiling;
    try {
      const token = await call(
        createTokenApiV1TenantIdTokensPost({ path: { tenant_id: props.tenant }, body }),
      );
      setCreated(token.token);
      props.onCreated();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  // One dialog throughout: after saving, the same dialog shows the value once.
  return (
    <Dialog title={created === null ? 'New token' : 'Token created'} onClose={done}>
      {created !== null && <ValueOnce value={created} onDone={done} />}
      <form onSubmit={submit} class={created === null ? undefined : 'hidden'}>
        <label for={ids.name}>Name</label>
        <input
          id={ids.name}
          type="text"
          required
          maxLength={100}
          value={name}
          placeholder="github-actions-deploy"
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <fieldset>
          <legend>Expiry</legend>
          {PRESETS.map((n) => (
            <label class="choice" key={n}>
              <input
                type="radio"
                name="expiry"
                disabled={n > maxDays}
                checked={choice.kind === 'preset' && choice.days === n}
                onChange={() => setChoice({ kind: 'preset', days: n })}
              />
              {n} days
            </label>
          ))}
          <label class="choice">
            <input
              type="radio"
              name="expiry"
              checked={choice.kind === 'days'}
              onChange={() => setChoice({ kind: 'days' })}
            />
            Custom number of days
          </label>
          <label class="choice">
            <input
              type="radio"
              name="expiry"
              checked={choice.kind === 'date'}
              onChange={() => setChoice({ kind: 'date' })}
            />
            A date
          </label>
          {choice.kind === 'days' && (
            <div class="field">
              <label for={ids.days}>Days until expiry</label>
              <input
                id={ids.days}
                type="number"
                min={1}
                max={maxDays}
                required
                value={days}
                onInput={(e) => setDays((e.target as HTMLInputElement).value)}
              />
            </div>
          )}
          {choice.kind === 'date' && (
            <div class="field">
              <label for={ids.date}>Expiry date</label>
              <input
                id={ids.date}
                type="date"
                min={isoDay(1)}
                max={isoDay(maxDays - 1)}
                required
                value={date}
                onInput={(e) => setDate((e.target as HTMLInputElement).value)}
              />
            </div>
          )}
          <p class="hint">
            {policy.data
              ? `At most ${maxDays} days in this tenant.`
              : "At most the tenant's maximum lifetime (the API says so if a choice is past it)."}
          </p>
        </fieldset>
        <label for={ids.ceiling}>Ceiling (optional)</label>
        <select
          id={ids.ceiling}
          value={ceiling}
          onChange={(e) => setCeiling((e.target as HTMLSelectElement).value as '' | Role)}
        >
          <option value="">Your role</option>
          <option value="viewer">viewer</option>
          <option value="member">member</option>
          <option value="admin">admin</option>
        </select>
        <ErrorAlert error={error} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const OVERLAPS: [number, string][] = [
  [0, 'None: the old value fails at once'],
  [60, '1 minute'],
  [300, '5 minutes'],
  [900, '15 minutes'],
  [3600, '1 hour'],
];

function RotateToken(props: {
  tenant: string;
  token: TokenInfo;
  onClose: () => void;
  onRotated: () => void;
}) {
  const [overlap, setOverlap] = useState(0);
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [rotated, setRotated] = useState<{ value: string; oldUntil: string; overlap: number } | null>(null);
  const ids = { overlap: useId(), days: useId() };
  const done = () => {
    setRotated(null);
    props.onClose();
  };

  return (
    <Dialog
      title={rotated === null ? `Rotate token ${props.token.name}` : `Token ${props.token.name} rotated`}
      onClose={done}
    >
      {rotated !== null && (
        <ValueOnce value={rotated.value} onDone={done}>
          <p>
            {rotated.overlap > 0 ? (
              <>
                The old value works until <Time iso={rotated.oldUntil} />.
              </>
            ) : (
              'The old value no longer works.'
            )}
          </p>
        </ValueOnce>
      )}
      <form
        class={rotated === null ? undefined : 'hidden'}
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const result = await call(
              rotateTokenApiV1TenantIdTokensTokenIdRotatePost({
                path: { tenant_id: props.tenant, token_id: props.token.id },
                body: {
                  overlap_seconds: overlap,
                  ...(days.trim() !== '' ? { expires_in_days: Number(days) } : {}),
                },
              }),
            );
            setRotated({ value: result.token, oldUntil: result.old_valid_until, overlap });
            props.onRotated();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        <p>A new value with the same name and ceiling replaces this one.</p>
        <label for={ids.overlap}>Overlap (how long the old value keeps working)</label>
        <select
          id={ids.overlap}
          value={String(overlap)}
          onChange={(e) => setOverlap(Number((e.target as HTMLSelectElement).value))}
        >
          {OVERLAPS.map(([seconds, label]) => (
            <option key={seconds} value={String(seconds)}>
              {label}
            </option>
          ))}
        </select>
        <label for={ids.days}>New lifetime in days (optional; default: the same lifetime)</label>
        <input
          id={ids.days}
          type="number"
          min={1}
          max={366}
          value={days}
          onInput={(e) => setDays((e.target as HTMLInputElement).value)}
        />
        <ErrorAlert error={error} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Rotate token
          </button>
        </div>
      </form>
    </Dialog>
  );
}
