/** A banner while the browser-mode connection is down (never shown in Electron). */
import { useEffect, useState } from 'react';
import type { Connection } from '../api';
import { useMessages } from '../i18n';
import { connectionMessages } from '../i18n/messages/connection';
import type { ConnectionStatus } from '../ws-client';

export function ConnectionBanner({ connection }: { connection: Connection }) {
  const t = useMessages(connectionMessages);
  const [status, setStatus] = useState<ConnectionStatus | null>(null);
  useEffect(() => connection.onStatus(setStatus), [connection]);
  if (status === null || status.state === 'open') return null;
  // A first connection that is merely slow is not worth a banner; a failure or a drop is.
  if (status.state === 'connecting' && status.failures === 0) return null;
  // The detail comes from the transport and stays as it is.
  const text = status.everConnected ? t('disconnected', { detail: status.detail }) : t('unreachable', { detail: status.detail });
  return (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  );
}
