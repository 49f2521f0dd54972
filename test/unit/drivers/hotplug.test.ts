import { describe, expect, it } from 'vitest';
import type { DeviceState } from '../../../drivers/device.ts';
import { HotplugMonitor } from '../../../drivers/hotplug/hotplug-monitor.ts';
import { NativeUsbHotplug } from '../../../drivers/hotplug/native-usb.ts';
import { formatUsbId, type HotplugEvent } from '../../../drivers/hotplug/port.ts';
import { SimulatedUsbBus } from '../../../simulators/hotplug/simulated-hotplug.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HotplugMonitor on the simulated USB bus', () => {
  it('delivers attach and detach asynchronously, as libusb does, and counts devices in its state', async () => {
    const bus = new SimulatedUsbBus([{ vendorId: 0x0483, productId: 0x5720 }]);
    const monitor = new HotplugMonitor(bus, 'simulated');
    await monitor.open();
    expect(monitor.state()).toEqual({ status: 'ready', detail: { usbDevices: 1 } });

    const events: HotplugEvent[] = [];
    monitor.listen((event) => events.push(event));
    bus.attach({ vendorId: 0x1c7a, productId: 0x0603 });
    expect(events).toEqual([]); // not synchronously
    await tick();
    expect(events.map((e) => `${e.type} ${formatUsbId(e.device)}`)).toEqual(['attach 1c7a:0603']);
    expect(monitor.state()).toEqual({ status: 'ready', detail: { usbDevices: 2 } });

    bus.detach({ vendorId: 0x0483, productId: 0x5720 });
    await tick();
    expect(events.map((e) => `${e.type} ${formatUsbId(e.device)}`)).toEqual([
      'attach 1c7a:0603',
      'detach 0483:5720',
    ]);
    expect(monitor.state()).toEqual({ status: 'ready', detail: { usbDevices: 1 } });
    await monitor.close();
  });

  it('stops delivering to an observer after it unsubscribes, and to all after close', async () => {
    const bus = new SimulatedUsbBus();
    const monitor = new HotplugMonitor(bus, 'simulated');
    await monitor.open();
    const heard: string[] = [];
    const off = monitor.listen((e) => heard.push(`a:${e.type}`));
    monitor.listen((e) => heard.push(`b:${e.type}`));
    off();
    bus.attach({ vendorId: 1, productId: 1 });
    await tick();
    expect(heard).toEqual(['b:attach']);
    await monitor.close();
    expect(monitor.state()).toEqual({ status: 'closed' });
    expect(() => bus.listen(() => {})).toThrow(/closed/);
  });

  it('tells state listeners only of real changes', async () => {
    const bus = new SimulatedUsbBus();
    const monitor = new HotplugMonitor(bus, 'simulated');
    const states: DeviceState[] = [];
    monitor.onStateChange((s) => states.push(s));
    await monitor.open();
    await monitor.open(); // a second open changes nothing
    expect(states).toEqual([{ status: 'ready', detail: { usbDevices: 0 } }]);
    await monitor.close();
  });

  it('goes to an error state, without throwing, when the port cannot list devices', async () => {
    const monitor = new HotplugMonitor(
      {
        list: async () => {
          throw Object.assign(new Error('libusb missing'), { code: 'DEVICE_UNAVAILABLE' });
        },
        listen: () => () => {},
        close: async () => {},
      },
      'hardware',
    );
    await monitor.open();
    expect(monitor.state()).toEqual({
      status: 'error',
      code: 'DEVICE_UNAVAILABLE',
      message: 'libusb missing',
    });
  });
});

describe('NativeUsbHotplug (usb 2.x) on this machine', () => {
  it('loads, lists the USB devices present, and registers and releases hot-plug listeners', async () => {
    const port = new NativeUsbHotplug();
    const devices = await port.list();
    expect(Array.isArray(devices)).toBe(true);
    for (const device of devices) expect(device.vendorId).toBeGreaterThanOrEqual(0);
    const off = port.listen(() => {});
    off();
    await port.close();
    expect(() => port.listen(() => {})).toThrow(/closed/);
  });
});
