/**
 * What every screen shares: the language and its translator, the signed-in officer, and the
 * station's health (devices, upload queue, central) polled in the background.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Lang, Translate } from './i18n/index.ts';

export type Role = 'officer' | 'supervisor' | 'notary' | 'admin';

export interface SessionView {
  readonly account: { readonly id: string; readonly displayName: string; readonly roles: readonly Role[] };
  readonly session: {
    readonly sessionId: string;
    readonly state: 'active' | 'locked';
    readonly expiresAt: string;
    readonly idleLockAt?: string;
  };
}

export interface DeviceView {
  readonly id: string;
  readonly family: string;
  readonly mode: string;
  readonly state: { readonly status: string; readonly message?: string; readonly reason?: string };
}

export interface HealthView {
  readonly status: string;
  readonly environment?: string;
  readonly stationId?: string;
  readonly devices?: readonly DeviceView[];
  readonly outbox?: { readonly depth?: number };
  readonly central?: { readonly reachable?: boolean; readonly checkedAt?: string };
}

export interface Shared {
  readonly lang: Lang;
  readonly t: Translate;
  setLang(lang: Lang): void;
  readonly session: SessionView | undefined;
  setSession(session: SessionView | undefined): void;
  readonly health: HealthView | undefined;
}

export const SharedContext = createContext<Shared | undefined>(undefined);

export function useShared(): Shared {
  const shared = useContext(SharedContext);
  if (shared === undefined) throw new Error('useShared outside the app');
  return shared;
}
