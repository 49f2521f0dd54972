/**
 * A CCCD's QR code read from the camera (issue 19 item 7), on the embedded station: the simulated
 * camera in `card-qr` shows the person holding up the simulated card; its newest 1280 x 720 frame,
 * taken from the production camera path, goes to POST /qr/decode and gives the chip's access key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildStation } from '../../station/app.ts';
import { composeStation } from '../../station/compose/embedded.ts';
import { ManualClock, tempDir, testConfig } from '../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('the QR code of a card held up to the camera', () => {
  it('decodes from the simulated camera frame into the chip access key', async () => {
    const tmp = tempDir('station-camera-qr-');
    cleanups.push(() => tmp.remove());
    const config = testConfig(
      {
        devices: {
          hotplug: { mode: 'disabled' },
          fingerprintHid: { mode: 'disabled' },
          fingerprintSerial: { mode: 'disabled' },
          cardReader: { mode: 'disabled' },
          barcode: { mode: 'disabled' },
          camera: { mode: 'simulated', width: 1280, height: 720, fps: 10, scenario: 'card-qr' },
        },
      },
      tmp.dir,
    );
    const app = await buildStation(await composeStation(config, { clock: new ManualClock(), logger: false }));
    cleanups.push(() => app.close());
    let frame = await app.inject('/devices/camera/frame');
    for (let i = 0; i < 300 && frame.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      frame = await app.inject('/devices/camera/frame');
    }
    expect(frame.statusCode).toBe(200);
    expect(frame.headers['content-type']).toBe('image/jpeg');
    const decoded = await app.inject({
      method: 'POST',
      url: '/qr/decode',
      headers: { 'content-type': 'image/jpeg' },
      payload: frame.rawPayload,
    });
    expect(decoded.statusCode).toBe(200);
    expect(decoded.json()).toMatchObject({
      ok: true,
      key: { id12: '001099012345', dateOfBirth: expect.stringMatching(/^\d{6}$/) },
      qr: { fields: { fullName: expect.stringContaining('Nguyễn') } },
    });
  }, 60_000);
});
