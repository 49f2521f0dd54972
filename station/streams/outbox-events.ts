/** How the upload streams key the uploader's events for a slow client (streams/sse.ts). */
import type { UploaderEvent } from '../uploader/index.ts';

/**
 * The newest event of a kind for a packet replaces an older one while a client is slow: the newest
 * progress of each packet, the newest state; a packet's acknowledgement never replaces another's.
 */
export function uploaderEventKey(event: UploaderEvent): string {
  return 'packetId' in event && typeof event.packetId === 'string'
    ? `${event.type}:${event.packetId}`
    : event.type;
}
