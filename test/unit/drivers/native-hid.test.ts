import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../drivers/errors.ts';
import { NativeHidBus } from '../../../drivers/fingerprint/native-hid.ts';

// This machine has no /dev/hidraw: the adapter must load, enumerate nothing, and fail to open with
// typed errors rather than crash. On a machine with a scanner the same calls reach the hardware.
describe('native HID adapter (node-hid)', () => {
  it('loads the native binding and enumerates without throwing', async () => {
    const devices = await new NativeHidBus().list({ vendorId: 0x1d6b, productId: 0x0f60 });
    expect(Array.isArray(devices)).toBe(true);
    for (const d of devices) expect(d.vendorId).toBe(0x1d6b);
  });

  it('rejects opening a missing device with DEVICE_NOT_FOUND', async () => {
    const open = new NativeHidBus({ reportSize: 1024 }).open('/dev/hidraw-missing-99');
    await expect(open).rejects.toBeInstanceOf(DriverError);
    await expect(open).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      devicePath: '/dev/hidraw-missing-99',
    });
  });

  it('says how to configure the report size when it cannot be read', async () => {
    await expect(new NativeHidBus().open('/dev/not-a-hidraw')).rejects.toMatchObject({
      code: 'DEVICE_UNAVAILABLE',
    });
  });
});
