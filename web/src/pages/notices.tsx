// The caller's notices (a token expiring, revoked by an admin, revoked as leaked), shown on
// arrival until dismissed.
import { useState } from 'preact/hooks';
import { call } from '../api';
import { listNotificationsApiV1MeNotificationsGet } from '../client/sdk.gen';
import { focusHeading, Time, useLoad } from '../ui';

export function Notices() {
  const { data } = useLoad(() => call(listNotificationsApiV1MeNotificationsGet()), []);
  const [dismissed, setDismissed] = useState(false);
  const notices = data?.notifications ?? [];
  return (
    <section role="status" aria-label="Notices" class={notices.length && !dismissed ? 'notices' : 'hidden'}>
      {notices.length > 0 && !dismissed && (
        <>
          <h2>Notices</h2>
          <ul>
            {notices.map((n) => (
              <li key={n.id} class={`notice-${n.type.replace(/[^a-z_]/g, '')}`}>
                <Time iso={n.created_at} />: {n.message}
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => {
              setDismissed(true);
              // The button goes with the notices: focus the page's heading, not the document.
              focusHeading();
            }}
          >
            Dismiss notices
          </button>
        </>
      )}
    </section>
  );
}
