/** A banner while the station cannot be reached; it goes by itself once a request gets through. */
import { useEffect, useState } from 'preact/hooks';
import { isConnected, onConnectionChange } from '../api.ts';
import { useShared } from '../state.ts';

export function ConnectionBanner() {
  const { t, health } = useShared();
  const [connected, setConnected] = useState(isConnected());
  useEffect(() => onConnectionChange(setConnected), []);
  if (!connected)
    return (
      <div class="banner banner-error" role="alert">
        {t('conn.lost')}
      </div>
    );
  if (health?.status === 'starting')
    return (
      <div class="banner banner-info" role="status">
        {t('conn.starting')}
      </div>
    );
  return null;
}
