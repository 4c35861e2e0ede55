// Runs: the list (with a status filter), the trigger form (members and admins), and a run's
// page that follows its log live through the stream URL with a real EventSource.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Ctx } from '../app';
import { call } from '../api';
import {
  cancelExecutionApiV1TenantIdExecutionsExecutionIdCancelPost,
  createExecutionApiV1TenantIdExecutionsPost,
  createStreamUrlApiV1TenantIdExecutionsExecutionIdLogsStreamUrlPost,
  getExecutionApiV1TenantIdExecutionsExecutionIdGet,
  listExecutionsApiV1TenantIdExecutionsGet,
  listInventoriesApiV1TenantIdInventoriesGet,
  listPlaybooksApiV1TenantIdPlaybooksGet,
} from '../client/sdk.gen';
import type { ExecutionOut, Status } from '../client/types.gen';
import { navigate } from '../router';
import { ErrorAlert, TableWrap, Time, useLoad, usePages } from '../ui';

const STATUSES: Status[] = ['queued', 'running', 'success', 'failed', 'cancelled'];
const TERMINAL = new Set(['success', 'failed', 'cancelled', 'unreadable']);

function usePlaybooks(tenant: string) {
  return useLoad(() => call(listPlaybooksApiV1TenantIdPlaybooksGet({ path: { tenant_id: tenant } })), [tenant]);
}

function StatusBadge(props: { status: unknown }) {
  const status = typeof props.status === 'string' ? props.status : 'unknown';
  return <span class={`badge status-${status.replace(/[^a-z]/g, '')}`}>{status}</span>;
}

/** A run as the API sends it, or an error: never a crash on an answer of another shape. */
function asRun(value: unknown): ExecutionOut {
  const run = value as Partial<ExecutionOut> | null;
  if (typeof run?.id !== 'string' || typeof run.status !== 'string') {
    throw new Error('The API did not answer with a run.');
  }
  return run as ExecutionOut;
}

export function Runs(props: { ctx: Ctx }) {
  const { tenant, role } = props.ctx;
  const playbooks = usePlaybooks(tenant);
  const [status, setStatus] = useState<'' | Status>('');
  const filterId = useId();
  const names = new Map((playbooks.data?.playbooks ?? []).map((p) => [p.id, p.name]));
  const pages = usePages(async (after) => {
    const page = await call(
      listExecutionsApiV1TenantIdExecutionsGet({
        path: { tenant_id: tenant },
        query: { limit: 25, ...(status ? { status } : {}), ...(after ? { cursor: after } : {}) },
      }),
    );
    return { items: page.executions, next: page.next_cursor ?? null };
  }, [tenant, status]);
  const runs = pages.items;

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      {role !== 'viewer' && <TriggerForm ctx={props.ctx} />}
      <h2>Recent runs</h2>
      <div class="filters">
        <div class="field">
          <label for={filterId}>Status</label>
          <select
            id={filterId}
            value={status}
            onChange={(e) => setStatus((e.target as HTMLSelectElement).value as '' | Status)}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorAlert error={pages.error} />
      {runs.length === 0 ? (
        <p>{pages.loading ? 'Loading…' : 'No runs.'}</p>
      ) : (
        <TableWrap label="Runs">
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Playbook</th>
                <th scope="col">Triggered by</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <a href={`#/runs/${encodeURIComponent(r.id)}`} class="mono">
                      {r.id}
                    </a>
                  </th>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{names.get(r.playbook_id) ?? r.playbook_id}</td>
                  <td>{r.triggered_by}</td>
                  <td>
                    <Time iso={r.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {pages.next && (
        <button type="button" onClick={pages.more}>
          More runs
        </button>
      )}
    </section>
  );
}

interface VarRow {
  key: string;
  value: string;
}

function TriggerForm(props: { ctx: Ctx }) {
  const { tenant } = props.ctx;
  const playbooks = usePlaybooks(tenant);
  const inventories = useLoad(
    () => call(listInventoriesApiV1TenantIdInventoriesGet({ path: { tenant_id: tenant } })),
    [tenant],
  );
  const [playbook, setPlaybook] = useState('');
  const [inventory, setInventory] = useState('');
  const [vars, setVars] = useState<VarRow[]>([]);
  const [tags, setTags] = useState('');
  const [limit, setLimit] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ids = { playbook: useId(), inventory: useId(), tags: useId(), limit: useId() };
  const setVar = (index: number, row: Partial<VarRow>) =>
    setVars((old) => old.map((v, i) => (i === index ? { ...v, ...row } : v)));

  return (
    <form
      class="trigger"
      aria-labelledby={`${ids.playbook}-title`}
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const extra: Record<string, string> = {};
          for (const v of vars) if (v.key.trim() !== '') extra[v.key.trim()] = v.value;
          const tagList = tags
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== '');
          const run = await call(
            createExecutionApiV1TenantIdExecutionsPost({
              path: { tenant_id: tenant },
              body: {
                playbook_id: playbook,
                inventory_id: inventory,
                extra_vars: extra,
                tags: tagList,
                ...(limit.trim() !== '' ? { limit: limit.trim() } : {}),
              },
            }),
          );
          navigate(`/runs/${encodeURIComponent(run.id)}`);
        } catch (e) {
          setError(e);
          setBusy(false);
        }
      }}
    >
      <h2 id={`${ids.playbook}-title`}>Trigger a run</h2>
      <div class="grid">
        <div class="field">
          <label for={ids.playbook}>Playbook</label>
          <select
            id={ids.playbook}
            required
            value={playbook}
            onChange={(e) => setPlaybook((e.target as HTMLSelectElement).value)}
          >
            <option value="">Choose a playbook</option>
            {(playbooks.data?.playbooks ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={ids.inventory}>Inventory</label>
          <select
            id={ids.inventory}
            required
            value={inventory}
            onChange={(e) => setInventory((e.target as HTMLSelectElement).value)}
          >
            <option value="">Choose an inventory</option>
            {(inventories.data?.inventories ?? []).map((inv) => (
              <option key={inv.id} value={inv.id}>
                {inv.name} ({inv.hosts} hosts)
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={ids.tags}>Tags (comma-separated, optional)</label>
          <input id={ids.tags} type="text" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for={ids.limit}>Limit (host pattern, optional)</label>
          <input
            id={ids.limit}
            type="text"
            value={limit}
            onInput={(e) => setLimit((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <fieldset>
        <legend>Extra variables</legend>
        {vars.length === 0 && <p class="hint">None. Values reach Ansible as plain text.</p>}
        {vars.map((v, i) => (
          <div class="var-row" key={i}>
            <input
              type="text"
              aria-label={`Variable ${i + 1} name`}
              placeholder="name"
              value={v.key}
              onInput={(e) => setVar(i, { key: (e.target as HTMLInputElement).value })}
            />
            <input
              type="text"
              aria-label={`Variable ${i + 1} value`}
              placeholder="value"
              value={v.value}
              onInput={(e) => setVar(i, { value: (e.target as HTMLInputElement).value })}
            />
            <button
              type="button"
              aria-label={`Remove variable ${i + 1}`}
              onClick={() => setVars((old) => old.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setVars((old) => [...old, { key: '', value: '' }])}>
          Add variable
        </button>
      </fieldset>
      <ErrorAlert error={error ?? playbooks.error ?? inventories.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Trigger run
        </button>
      </div>
    </form>
  );
}

interface LogLine {
  seq: number;
  level: string;
  line: string;
}

// Bounded: a stream URL is asked for again only this many times (each ticket lasts an hour).
const MAX_STREAM_URLS = 20;

/** One event of the stream, or null for anything else (never a crash on a bad line). */
function asLogLine(data: string): LogLine | null {
  try {
    const value = JSON.parse(data) as Partial<LogLine> | null;
    if (typeof value?.seq !== 'number' || typeof value.line !== 'string') return null;
    return { seq: value.seq, level: typeof value.level === 'string' ? value.level : '', line: value.line };
  } catch {
    return null;
  }
}

/** Follow a run's log with EventSource; ask for a fresh stream URL when one stops working. */
function useLiveLog(tenant: string, id: string, onClosed: () => void) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'complete' | 'stopped'>('connecting');
  const [error, setError] = useState<unknown>(null);
  const closedRef = useRef(onClosed);
  closedRef.current = onClosed;

  useEffect(() => {
    let source: EventSource | null = null;
    let last = 0;
    let urls = 0;
    // Stream URLs in a row that delivered nothing: one more try, then the error is shown.
    let failures = 0;
    let stopped = false;
    let retry: number | undefined;
    // Lines arrive one event each (thousands in a burst): they are shown once per frame.
    let batch: LogLine[] = [];
    let frame: number | undefined;
    const flush = () => {
      frame = undefined;
      const arrived = batch;
      batch = [];
      if (arrived.length > 0) setLines((old) => [...old, ...arrived]);
    };

    const stop = (e: unknown) => {
      setError(e);
      setState('stopped');
    };

    const open = async () => {
      if (stopped) return;
      urls += 1;
      let delivered = false;
      try {
        const { url } = await call(
          createStreamUrlApiV1TenantIdExecutionsExecutionIdLogsStreamUrlPost({
            path: { tenant_id: tenant, execution_id: id },
          }),
        );
        if (stopped) return;
        if (typeof url !== 'string') throw new Error('The API did not answer with a stream URL.');
        // Resuming after a new ticket: the README's `?lastEventId=` (EventSource's own
        // Last-Event-ID header covers its automatic reconnects).
        const resumed = last > 0 ? `${url}${url.includes('?') ? '&' : '?'}lastEventId=${last}` : url;
        source = new EventSource(resumed);
        source.onopen = () => {
          delivered = true;
          failures = 0;
          setState('live');
        };
        source.onmessage = (event: MessageEvent<string>) => {
          const data = asLogLine(event.data);
          if (data === null || data.seq <= last) return;
          last = data.seq;
          batch.push(data);
          frame ??= window.requestAnimationFrame(flush);
        };
        source.onerror = () => {
          // CONNECTING: EventSource reconnects by itself after `retry` ms. CLOSED: a 204 (the
          // run is complete and everything was sent) or a refusal (an expired ticket).
          if (source?.readyState !== EventSource.CLOSED) return;
          source = null;
          void afterClose(delivered);
        };
      } catch (e) {
        stop(e);
      }
    };

    const afterClose = async (delivered: boolean) => {
      try {
        const run = asRun(
          await call(
            getExecutionApiV1TenantIdExecutionsExecutionIdGet({
              path: { tenant_id: tenant, execution_id: id },
            }),
          ),
        );
        closedRef.current();
        if (TERMINAL.has(run.status)) {
          setState('complete');
          return;
        }
      } catch (e) {
        stop(e);
        return;
      }
      if (!delivered) failures += 1;
      if (failures > 1 || urls >= MAX_STREAM_URLS) {
        stop(new Error('The log stream stopped working; open the run again to retry.'));
        return;
      }
      setState('connecting');
      retry = window.setTimeout(() => void open(), 1000);
    };

    void open();
    return () => {
      stopped = true;
      window.clearTimeout(retry);
      if (frame !== undefined) window.cancelAnimationFrame(frame);
      source?.close();
    };
  }, [tenant, id]);

  return { lines, state, error };
}

export function RunPage(props: { ctx: Ctx; id: string }) {
  const { tenant, role } = props.ctx;
  const playbooks = usePlaybooks(tenant);
  const run = useLoad(
    async () =>
      asRun(
        await call(
          getExecutionApiV1TenantIdExecutionsExecutionIdGet({ path: { tenant_id: tenant, execution_id: props.id } }),
        ),
      ),
    [tenant, props.id],
  );
  const log = useLiveLog(tenant, props.id, run.reload);
  const [follow, setFollow] = useState(true);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const followId = useId();
  const data = run.data;
  const finished = data !== null && TERMINAL.has(data.status);

  // The status and timestamps while the run is not over (the log stream carries lines only).
  useEffect(() => {
    if (data === null || finished) return;
    const timer = window.setTimeout(run.reload, 2000);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, finished]);

  useEffect(() => {
    const box = logRef.current;
    if (follow && box !== null) box.scrollTop = box.scrollHeight;
  }, [log.lines, follow]);

  const playbookName = playbooks.data?.playbooks.find((p) => p.id === data?.playbook_id)?.name;
  return (
    <section aria-labelledby="run-title">
      <p>
        <a href="#/runs">← All runs</a>
      </p>
      <h1 id="run-title">
        Run <span class="mono">{props.id}</span>
      </h1>
      <ErrorAlert error={run.error ?? cancelError} />
      {data !== null && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={data.status} />
              {data.cancel_requested && !finished && <span class="hint"> cancel requested</span>}
            </dd>
            <dt>Playbook</dt>
            <dd>{playbookName ?? data.playbook_id}</dd>
            <dt>Triggered by</dt>
            <dd>{data.triggered_by}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={data.created_at} />
            </dd>
            <dt>Started</dt>
            <dd>
              <Time iso={data.started_at} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time iso={data.finished_at} />
            </dd>
            <dt>Exit code</dt>
            <dd>{data.exit_code ?? '—'}</dd>
            {data.error && (
              <>
                <dt>Error</dt>
                <dd>{data.error}</dd>
              </>
            )}
          </dl>
          {role !== 'viewer' && !finished && (
            <div class="actions">
              <button
                type="button"
                class="danger"
                disabled={data.cancel_requested}
                onClick={async () => {
                  setCancelError(null);
                  try {
                    await call(
                      cancelExecutionApiV1TenantIdExecutionsExecutionIdCancelPost({
                        path: { tenant_id: tenant, execution_id: props.id },
                      }),
                    );
                    run.reload();
                  } catch (e) {
                    setCancelError(e);
                  }
                }}
              >
                Cancel run
              </button>
            </div>
          )}
        </>
      )}
      <div class="log-head">
        <h2>Log</h2>
        <span class="hint">
          {log.state === 'live' && 'following live'}
          {log.state === 'connecting' && 'connecting…'}
          {log.state === 'complete' && 'complete'}
          {log.state === 'stopped' && 'stopped'}
        </span>
        <label class="choice" for={followId}>
          <input
            id={followId}
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow((e.target as HTMLInputElement).checked)}
          />
          Follow to the end
        </label>
      </div>
      <ErrorAlert error={log.error} />
      <div ref={logRef} class="log" role="log" aria-label="Run log" tabIndex={0}>
        {log.lines.length === 0 && <div class="log-empty">No output yet.</div>}
        {log.lines.map((l) => (
          <div key={l.seq} class={`line level-${l.level.replace(/[^a-z]/g, '')}`}>
            {l.line}
          </div>
        ))}
      </div>
    </section>
  );
}
