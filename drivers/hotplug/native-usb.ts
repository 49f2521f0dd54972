/**
 * HotplugPort on the `usb` package, 2.x (3.x crashes where /sys/bus/usb is missing: reference/drivers.md).
 * The only file that imports `usb`.
 */
import { getDeviceList, usb } from 'usb';
import { DeviceUnavailableError } from '../errors.ts';
import type { HotplugEvent, HotplugPort, UsbDeviceRef } from './port.ts';

type NativeDevice = usb.Device;

function toRef(device: NativeDevice): UsbDeviceRef {
  return {
    vendorId: device.deviceDescriptor.idVendor,
    productId: device.deviceDescriptor.idProduct,
    busNumber: device.busNumber,
    deviceAddress: device.deviceAddress,
  };
}

export class NativeUsbHotplug implements HotplugPort {
  readonly #unsubscribers = new Set<() => void>();
  #closed = false;

  async list(): Promise<readonly UsbDeviceRef[]> {
    try {
      return getDeviceList().map(toRef);
    } catch (cause) {
      throw new DeviceUnavailableError('USB devices cannot be listed on this machine (libusb failed)', {
        cause,
      });
    }
  }

  listen(observer: (event: HotplugEvent) => void): () => void {
    if (this.#closed) throw new Error('NativeUsbHotplug is closed');
    const onAttach = (device: NativeDevice) => observer({ type: 'attach', device: toRef(device) });
    const onDetach = (device: NativeDevice) => observer({ type: 'detach', device: toRef(device) });
    usb.on('attach', onAttach);
    usb.on('detach', onDetach);
    // The hot-plug thread must not keep the process alive on its own (shutdown drains, then exits).
    usb.unrefHotplugEvents();
    const unsubscribe = () => {
      usb.off('attach', onAttach);
      usb.off('detach', onDetach);
      this.#unsubscribers.delete(unsubscribe);
    };
    this.#unsubscribers.add(unsubscribe);
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const unsubscribe of [...this.#unsubscribers]) unsubscribe();
  }
}
