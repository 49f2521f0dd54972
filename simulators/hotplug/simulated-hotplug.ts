/**
 * A simulated USB bus: implements the HotplugPort the way usb 2.x behaves (events arrive on a later
 * tick, listeners can unsubscribe), and a SimulatorControl so testers plug devices in and out of a
 * running station through /sim/usb/.
 */
import type { HotplugEvent, HotplugPort, UsbDeviceRef } from '../../drivers/hotplug/port.ts';
import {
  type SimulatorAction,
  SimulatorActionError,
  type SimulatorControl,
} from '../../drivers/sim-control.ts';

/**
 * A simulated device that sits on the bus: told at once (synchronously) when a tester plugs it in or
 * pulls it out through the bus, so its own state and the bus's never disagree.
 */
export interface SimulatedUsbDevice {
  readonly vendorId: number;
  readonly productId: number;
  /** Power comes back: the device answers again on a new connection. */
  powerOn(): void;
  /** Power goes: every open connection to the device is dead from now on. */
  powerOff(): void;
}

const deviceInput = {
  type: 'object',
  additionalProperties: false,
  required: ['vendorId', 'productId'],
  properties: {
    vendorId: { type: 'integer', minimum: 0, maximum: 0xffff },
    productId: { type: 'integer', minimum: 0, maximum: 0xffff },
  },
} as const;

export class SimulatedUsbBus implements HotplugPort, SimulatorControl {
  readonly name = 'usb';
  readonly description = 'Simulated USB bus: plug devices in and out to exercise hot-plug handling.';
  readonly scenarios = ['normal'] as const;
  readonly actions: readonly SimulatorAction[];
  readonly #present: UsbDeviceRef[] = [];
  readonly #observers = new Set<(event: HotplugEvent) => void>();
  readonly #devices = new Set<SimulatedUsbDevice>();
  #nextAddress = 1;
  #closed = false;

  constructor(initial: readonly { vendorId: number; productId: number }[] = []) {
    for (const device of initial)
      this.#present.push({ ...device, busNumber: 1, deviceAddress: this.#nextAddress++ });
    this.actions = [
      {
        name: 'attach',
        description: 'Plug in a USB device with the given vendor and product ids.',
        input: deviceInput,
        run: async (input) => this.attach(input as { vendorId: number; productId: number }),
      },
      {
        name: 'detach',
        description: 'Unplug the most recently attached device with the given vendor and product ids.',
        input: deviceInput,
        run: async (input) => this.detach(input as { vendorId: number; productId: number }),
      },
    ];
  }

  scenario(): string {
    return 'normal';
  }

  setScenario(name: string): void {
    if (name !== 'normal') throw new RangeError(`unknown scenario ${name}; allowed: normal`);
  }

  snapshot(): unknown {
    return { devices: this.#present.map((d) => ({ ...d })) };
  }

  async list(): Promise<readonly UsbDeviceRef[]> {
    return this.#present.map((d) => ({ ...d }));
  }

  listen(observer: (event: HotplugEvent) => void): () => void {
    if (this.#closed) throw new Error('SimulatedUsbBus is closed');
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#observers.clear();
  }

  /**
   * Puts a simulated device on the bus (plugged in before anyone listened: no event), and from now on
   * powers it on and off when a device with its ids is attached to or detached from the bus.
   * Returns the function that takes it off the bus's wiring again.
   */
  connect(device: SimulatedUsbDevice): () => void {
    const { vendorId, productId } = device;
    if (!this.#isPresent(device))
      this.#present.push({ vendorId, productId, busNumber: 1, deviceAddress: this.#nextAddress++ });
    this.#devices.add(device);
    return () => {
      this.#devices.delete(device);
    };
  }

  /** Plugs a device in; observers hear it on a later tick, as from libusb's hot-plug thread. */
  attach(device: { vendorId: number; productId: number }): UsbDeviceRef {
    const ref: UsbDeviceRef = {
      vendorId: device.vendorId,
      productId: device.productId,
      busNumber: 1,
      deviceAddress: this.#nextAddress++,
    };
    this.#present.push(ref);
    for (const simulated of this.#wired(device)) simulated.powerOn();
    this.#emit({ type: 'attach', device: ref });
    return ref;
  }

  /** @throws {SimulatorActionError} SIM_USB_NOT_PRESENT when no such device is plugged in. */
  detach(device: { vendorId: number; productId: number }): UsbDeviceRef {
    for (let i = this.#present.length - 1; i >= 0; i--) {
      const candidate = this.#present[i];
      if (candidate && candidate.vendorId === device.vendorId && candidate.productId === device.productId) {
        this.#present.splice(i, 1);
        if (!this.#isPresent(device)) for (const simulated of this.#wired(device)) simulated.powerOff();
        this.#emit({ type: 'detach', device: candidate });
        return candidate;
      }
    }
    throw new SimulatorActionError(
      'SIM_USB_NOT_PRESENT',
      'No device with that vendor and product id is plugged in',
    );
  }

  #isPresent(ids: { vendorId: number; productId: number }): boolean {
    return this.#present.some((d) => d.vendorId === ids.vendorId && d.productId === ids.productId);
  }

  #wired(ids: { vendorId: number; productId: number }): SimulatedUsbDevice[] {
    return [...this.#devices].filter((d) => d.vendorId === ids.vendorId && d.productId === ids.productId);
  }

  #emit(event: HotplugEvent): void {
    setImmediate(() => {
      for (const observer of [...this.#observers]) observer(event);
    });
  }
}
