// The admin pages of a tenant: its tokens, its members, its token policy and its audit log.
// Only admins see them; the API refuses everyone else anyway.
import { useEffect, useId, useState } from 'preact/hooks';
import type { Ctx } from '../app';
import { call } from '../api';
import {
  addMemberApiV1TenantIdMembersPost,
  getTokenPolicyApiV1TenantIdSettingsTokenPolicyGet,
  listAuditEventsApiV1TenantIdAuditEventsGet,
  listMembersApiV1TenantIdMembersGet,
  listTenantTokensApiV1TenantIdAdminTokensGet,
  putTokenPolicyApiV1TenantIdSettingsTokenPolicyPut,
  removeMemberApiV1TenantIdMembersUserIdDelete,
  revokeTenantTokenApiV1TenantIdAdminTokensTokenIdDelete,
  setMemberRoleApiV1TenantIdMembersUserIdPatch,
} from '../client/sdk.gen';
import type {
  AuditEventOut,
  MemberOut,
  Role,
  TenantTokenOut,
  TokenState,
} from '../client/types.gen';
import { Confirm, ErrorAlert, expiryWarning, TableWrap, Time, useLoad, usePages } from '../ui';

const ROLES: Role[] = ['viewer', 'member', 'admin'];
const STATES: TokenState[] = ['active', 'expired', 'refused_by_policy', 'revoked', 'rotated'];

function useMembers(tenant: string) {
  return useLoad(() => call(listMembersApiV1TenantIdMembersGet({ path: { tenant_id: tenant } })), [tenant]);
}

export function AdminTokens(props: { ctx: Ctx }) {
  const { tenant } = props.ctx;
  const members = useMembers(tenant);
  const [member, setMember] = useState('');
  const [state, setState] = useState<'' | TokenState>('active');
  const [revoking, setRevoking] = useState<TenantTokenOut | null>(null);
  const ids = { member: useId(), state: useId() };
  const pages = usePages(async (after) => {
    const page = await call(
      listTenantTokensApiV1TenantIdAdminTokensGet({
        path: { tenant_id: tenant },
        query: {
          ...(member ? { user_id: member } : {}),
          ...(state ? { state } : {}),
          ...(after ? { cursor: after } : {}),
        },
      }),
    );
    return { items: page.tokens, next: page.next_cursor ?? null };
  }, [tenant, member, state]);
  const tokens = pages.items;

  return (
    <section aria-labelledby="admin-tokens-title">
      <h1 id="admin-tokens-title">Tenant tokens</h1>
      <p class="hint">Every member's tokens that can act in {tenant}, without their values.</p>
      <div class="filters">
        <div class="field">
          <label for={ids.member}>Member</label>
          <select id={ids.member} value={member} onChange={(e) => setMember((e.target as HTMLSelectElement).value)}>
            <option value="">All members</option>
            {(members.data?.members ?? []).map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.email}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={ids.state}>State</label>
          <select
            id={ids.state}
            value={state}
            onChange={(e) => setState((e.target as HTMLSelectElement).value as '' | TokenState)}
          >
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorAlert error={pages.error ?? members.error} />
      {tokens.length === 0 ? (
        <p>{pages.loading ? 'Loading…' : 'No tokens match.'}</p>
      ) : (
        <TableWrap label="Tenant tokens">
          <table>
            <thead>
              <tr>
                <th scope="col">Owner</th>
                <th scope="col">Name</th>
                <th scope="col">Ceiling</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const warning = t.state === 'active' ? expiryWarning(t.expiry_date) : null;
                return (
                  <tr key={t.id}>
                    <td>{t.owner}</td>
                    <th scope="row">{t.name}</th>
                    <td>{t.ceiling ?? 'owner role'}</td>
                    <td>
                      <Time iso={t.created_at} />
                    </td>
                    <td>{t.last_used_at ? <Time iso={t.last_used_at} /> : 'never'}</td>
                    <td>
                      <Time iso={t.expiry_date} />
                      {warning && <div class="warning">{warning}</div>}
                    </td>
                    <td>
                      <span class={`badge state-${t.state}`}>{t.state.replace(/_/g, ' ')}</span>
                    </td>
                    <td>
                      {t.state === 'active' && (
                        <button
                          type="button"
                          class="danger"
                          aria-label={`Revoke ${t.name} of ${t.owner}`}
                          onClick={() => setRevoking(t)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      {pages.next && (
        <button type="button" onClick={pages.more}>
          More tokens
        </button>
      )}
      {revoking && (
        <Confirm
          title={`Revoke ${revoking.name} of ${revoking.owner}?`}
          action="Revoke token"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await call(
              revokeTenantTokenApiV1TenantIdAdminTokensTokenIdDelete({
                path: { tenant_id: tenant, token_id: revoking.id },
              }),
            );
            pages.reload();
          }}
        >
          <p>The token fails at once; its owner sees why in a notice and in the audit log.</p>
        </Confirm>
      )}
    </section>
  );
}

export function AdminMembers(props: { ctx: Ctx }) {
  const { tenant } = props.ctx;
  const members = useMembers(tenant);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<MemberOut | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [done, setDone] = useState('');
  const ids = { email: useId(), role: useId() };

  const act = async (what: () => Promise<unknown>, message: string) => {
    setError(null);
    setDone('');
    try {
      await what();
      setDone(message);
      members.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      <form
        class="inline-form"
        aria-label="Add a member"
        onSubmit={(event) => {
          event.preventDefault();
          void act(
            () =>
              call(addMemberApiV1TenantIdMembersPost({ path: { tenant_id: tenant }, body: { email, role } })),
            `${email} added as ${role}.`,
          ).then((added) => {
            // A refused address stays in the field, to be corrected.
            if (added) setEmail('');
          });
        }}
      >
        <div class="field">
          <label for={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            required
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          Add member
        </button>
      </form>
      <ErrorAlert error={error ?? members.error} />
      <p role="status" class="hint">
        {done}
      </p>
      <TableWrap label="Members">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(members.data?.members ?? []).map((m) => (
              <tr key={m.user_id}>
                <th scope="row">{m.email}</th>
                <td>{m.name}</td>
                <td>
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={(e) => {
                      const next = (e.target as HTMLSelectElement).value as Role;
                      void act(
                        () =>
                          call(
                            setMemberRoleApiV1TenantIdMembersUserIdPatch({
                              path: { tenant_id: tenant, user_id: m.user_id },
                              body: { role: next },
                            }),
                          ),
                        `${m.email} is now ${next}.`,
                      ).then(members.reload);
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <Time iso={m.joined} />
                </td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Remove ${m.email}`}
                    onClick={() => setRemoving(m)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {removing && (
        <Confirm
          title={`Remove ${removing.email} from ${tenant}?`}
          action="Remove member"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await call(
              removeMemberApiV1TenantIdMembersUserIdDelete({
                path: { tenant_id: tenant, user_id: removing.user_id },
              }),
            );
            // The page's last message (an earlier refusal, say) gives way to this one.
            setError(null);
            setDone(`${removing.email} removed from ${tenant}.`);
            members.reload();
          }}
        >
          <p>Their tokens stop acting in {tenant} from the next request on.</p>
        </Confirm>
      )}
    </section>
  );
}

export function AdminPolicy(props: { ctx: Ctx }) {
  const { tenant } = props.ctx;
  const policy = useLoad(
    () => call(getTokenPolicyApiV1TenantIdSettingsTokenPolicyGet({ path: { tenant_id: tenant } })),
    [tenant],
  );
  const [adminsOnly, setAdminsOnly] = useState(false);
  const [maxDays, setMaxDays] = useState('');
  const [defaultDays, setDefaultDays] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const ids = { admins: useId(), max: useId(), def: useId() };

  useEffect(() => {
    if (policy.data === null) return;
    setAdminsOnly(policy.data.admins_only);
    setMaxDays(String(policy.data.max_lifetime_days));
    setDefaultDays(policy.data.default_lifetime_days == null ? '' : String(policy.data.default_lifetime_days));
  }, [policy.data]);

  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">Token policy</h1>
      <p class="hint">Enforced on create, rotate and every use of a token in {tenant}.</p>
      <ErrorAlert error={policy.error ?? error} />
      <form
        class="stack-form"
        onSubmit={async (event) => {
          event.preventDefault();
          setError(null);
          setSaved('');
          try {
            const result = await call(
              putTokenPolicyApiV1TenantIdSettingsTokenPolicyPut({
                path: { tenant_id: tenant },
                body: {
                  admins_only: adminsOnly,
                  max_lifetime_days: Number(maxDays),
                  default_lifetime_days: defaultDays.trim() === '' ? null : Number(defaultDays),
                },
              }),
            );
            setSaved(
              `Saved. ${result.tokens_stopped} token(s) whose lifetime exceeds the new maximum stop working here.`,
            );
          } catch (e) {
            setError(e);
          }
        }}
      >
        <label class="choice" for={ids.admins}>
          <input
            id={ids.admins}
            type="checkbox"
            checked={adminsOnly}
            onChange={(e) => setAdminsOnly((e.target as HTMLInputElement).checked)}
          />
          Only admins may create tokens
        </label>
        <label for={ids.max}>Maximum lifetime (days)</label>
        <input
          id={ids.max}
          type="number"
          min={1}
          max={366}
          required
          value={maxDays}
          onInput={(e) => setMaxDays((e.target as HTMLInputElement).value)}
        />
        <label for={ids.def}>Default lifetime (days, optional)</label>
        <input
          id={ids.def}
          type="number"
          min={1}
          max={366}
          value={defaultDays}
          onInput={(e) => setDefaultDays((e.target as HTMLInputElement).value)}
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={policy.data === null}>
            Save policy
          </button>
        </div>
        <p role="status" class="hint">
          {saved}
        </p>
      </form>
    </section>
  );
}

export function AdminAudit(props: { ctx: Ctx }) {
  const { tenant } = props.ctx;
  // The cursors of the pages seen so far (the first page has none), for one tenant: another
  // tenant starts again at its first page.
  const [paging, setPaging] = useState<{ tenant: string; cursors: (string | null)[] }>({
    tenant,
    cursors: [null],
  });
  const cursors = paging.tenant === tenant ? paging.cursors : [null];
  const setCursors = (change: (old: (string | null)[]) => (string | null)[]) =>
    setPaging({ tenant, cursors: change(cursors) });
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useLoad(
    () =>
      call(
        listAuditEventsApiV1TenantIdAuditEventsGet({
          path: { tenant_id: tenant },
          query: { limit: 20, ...(cursor ? { cursor } : {}) },
        }),
      ),
    [tenant, cursor],
  );
  const events: AuditEventOut[] = page.data?.events ?? [];
  const next = page.data?.next_cursor ?? null;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p class="hint">Newest first. Page {cursors.length}.</p>
      <ErrorAlert error={page.error} />
      {page.data !== null && events.length === 0 && <p>No events.</p>}
      {events.length > 0 && (
        <TableWrap label="Audit events">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Time iso={e.time} />
                  </td>
                  <th scope="row">{e.type}</th>
                  <td>
                    {e.actor.user_id ?? '—'}
                    {e.actor.credential_kind && (
                      <div class="hint">
                        {e.actor.credential_kind} {e.actor.credential_id ?? ''}
                      </div>
                    )}
                  </td>
                  <td>
                    {e.target.type} {e.target.id ?? ''}
                    {e.target.user_id && <div class="hint">{e.target.user_id}</div>}
                  </td>
                  <td>
                    {e.source_ip ?? '—'}
                    {e.user_agent && <div class="hint ua">{e.user_agent}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <div class="actions">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
          Next page
        </button>
      </div>
    </section>
  );
}
