/**
 * The seam through which a fault injector (faults.ts) reaches into the simulated central service. The
 * service calls these hooks; the default answers as a healthy service would. Kept apart from
 * faults.ts so the service does not depend on any particular fault scenario.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CentralFaultHooks {
  /** Before a request is handled; 'handled' means the hook answered or destroyed the socket. */
  onRequest(req: IncomingMessage, res: ServerResponse): Promise<'continue' | 'handled'>;
  /** After a packet was committed durably and before the answer: 'drop' destroys the connection (receipt lost). */
  afterCommit(packetId: string): 'answer' | 'drop';
  /** True while the simulated disk is full: creations and commits answer 507 CENTRAL_STORAGE_FULL. */
  diskFull(): boolean;
}

/** A healthy service: every request continues, every commit is answered, the disk has room. */
export const NO_FAULTS: CentralFaultHooks = {
  onRequest: async () => 'continue',
  afterCommit: () => 'answer',
  diskFull: () => false,
};
