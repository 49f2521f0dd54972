/**
 * A station stand-in for the outbox failpoint test (test/unit/station/outbox-failpoints.test.ts):
 * opens the outbox under the folder given as its argument, enqueues one packet, then acknowledges
 * it with a receipt, and prints `done`. With STATION_FAILPOINT set it dies by SIGKILL at that point.
 */
import { NodeOutboxFs } from '../../station/outbox/node-fs.ts';
import { Outbox } from '../../station/outbox/outbox.ts';

export const CHILD_PACKET_ID = '7e57fa11-0000-4000-8000-000000000001';
export const CHILD_RECEIPT = new TextEncoder().encode('receipt for the failpoint packet');

/** The packet's bytes: 64 KiB, deterministic, so the parent can compare exactly. */
export function childPacketBytes(): Uint8Array {
  const bytes = new Uint8Array(65_536);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 131 + 7) & 0xff;
  return bytes;
}

const root = process.argv[2];
if (root !== undefined) {
  const outbox = await Outbox.open({ fs: new NodeOutboxFs(root) });
  await outbox.enqueue(CHILD_PACKET_ID, childPacketBytes());
  await outbox.acknowledge(CHILD_PACKET_ID, CHILD_RECEIPT);
  process.stdout.write('done\n');
}
