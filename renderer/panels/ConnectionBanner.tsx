/** A banner while the browser-mode connection is down (never shown in Electron). */
import { useEffect, useState } from 'react';
import type { Connection } from '../api';
import type { ConnectionStatus } from '../ws-client';

export function ConnectionBanner({ connection }: { connection: Connection }) {
  const [status, setStatus] = useState<ConnectionStatus | null>(null);
  useEffect(() => connection.onStatus(setStatus), [connection]);
  if (status === null || status.state === 'open') return null;
  // A first connection that is merely slow is not worth a banner; a failure or a drop is.
  if (status.state === 'connecting' && status.failures === 0) return null;
  const text = status.everConnected
    ? `Disconnected from Inkwell (${status.detail}). Reconnecting… Your text stays in this window.`
    : `Cannot reach Inkwell: ${status.detail}`;
  return (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  );
}
