/**
 * Bad reports on the live driver path: a HID port between the production driver and the simulated
 * scanner that damages the RESULT message's reports once (drops, duplicates, swaps, truncates one,
 * inflates the declared length, relabels the command). Each must give a typed error, the driver
 * must resynchronise (CANCEL, drain, new channel), and the next capture must come back verified.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DriverError, ProtocolError } from '../../../drivers/errors.ts';
import type { HidBus, HidPort } from '../../../drivers/fingerprint/hid-port.ts';
import { HidFingerprintScanner } from '../../../drivers/fingerprint/hid-scanner.ts';
import { captureImage } from '../../../drivers/fingerprint/scanner.ts';
import { DeviceTrustStore } from '../../../drivers/fingerprint/trust.ts';
import { Cmd } from '../../../protocol/scanner/commands.ts';
import { MAX_MESSAGE } from '../../../protocol/scanner/framing.ts';
import { createDeviceCa, type DeviceCa, issueDeviceCertificate } from '../../../simulators/pki/device-ca.ts';
import { SIM_SLAP_SCANNER, SimulatedHidScanner } from '../../../simulators/scanner/hid-scanner-sim.ts';

/** Rewrites the reports of one RESULT message: gets them all, returns what goes up instead. */
type Mutation = (reports: Uint8Array[]) => Uint8Array[];

/** Passes reports through, except the first RESULT message, which it buffers and mutates. */
class MutatingPort implements HidPort {
  readonly #queue: Uint8Array[] = [];
  #collecting: Uint8Array[] | undefined;
  #remaining = 0;
  #done = false;

  constructor(
    private readonly inner: HidPort,
    private readonly mutation: Mutation,
  ) {}

  get path(): string {
    return this.inner.path;
  }
  get reportSize(): number {
    return this.inner.reportSize;
  }
  write(report: Uint8Array): Promise<void> {
    return this.inner.write(report);
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    for (;;) {
      const queued = this.#queue.shift();
      if (queued) return queued;
      const report = await this.inner.read(timeoutMs);
      if (!report) return undefined;
      if (this.#done) return report;
      if (!this.#collecting) {
        if (report[4] !== Cmd.RESULT) return report;
        const view = new DataView(report.buffer, report.byteOffset);
        const length = view.getUint32(5);
        this.#collecting = [report];
        this.#remaining = Math.ceil(Math.max(0, length - (report.length - 9)) / (report.length - 8));
        if (this.#remaining > 0) continue;
      } else {
        this.#collecting.push(report);
        if (--this.#remaining > 0) continue;
      }
      this.#queue.push(...this.mutation(this.#collecting));
      this.#collecting = undefined;
      this.#done = true;
    }
  }
}

class MutatingBus implements HidBus {
  constructor(
    private readonly inner: HidBus,
    private readonly mutation: Mutation,
  ) {}
  list(filter?: { vendorId?: number; productId?: number }) {
    return this.inner.list(filter);
  }
  async open(path: string): Promise<HidPort> {
    return new MutatingPort(await this.inner.open(path), this.mutation);
  }
}

let ca: DeviceCa;
const opened: HidFingerprintScanner[] = [];

beforeAll(async () => {
  ca = await createDeviceCa('Mutation CA');
});

afterEach(async () => {
  for (const scanner of opened.splice(0)) await scanner.close();
});

async function rig(mutation: Mutation) {
  const credentials = await issueDeviceCertificate(ca, { model: 'SIM-FAP60', serialNumber: 'MUT-1' });
  const device = new SimulatedHidScanner({ ...credentials, personSeed: 9, fingerDelayMs: 20 });
  const scanner = new HidFingerprintScanner({
    id: 'scanner-hid',
    mode: 'simulated',
    bus: new MutatingBus(device, mutation),
    match: { vendorId: SIM_SLAP_SCANNER.vendorId, productId: SIM_SLAP_SCANNER.productId },
    trust: new DeviceTrustStore([ca.certificate]),
    now: () => Date.now(),
    timeouts: { reportMs: 200 },
  });
  opened.push(scanner);
  await scanner.open();
  return scanner;
}

const middle = (reports: Uint8Array[]) => Math.floor(reports.length / 2);

describe('the HID driver on damaged reports', () => {
  it.each<[string, Mutation, string]>([
    ['a continuation dropped', (r) => r.filter((_, i) => i !== middle(r)), 'DEVICE_PROTOCOL'],
    [
      'a continuation duplicated',
      (r) => r.flatMap((x, i) => (i === middle(r) ? [x, x] : [x])),
      'DEVICE_PROTOCOL',
    ],
    [
      'two continuations swapped',
      (r) => {
        const out = [...r];
        const m = middle(r);
        [out[m], out[m + 1]] = [out[m + 1] as Uint8Array, out[m] as Uint8Array];
        return out;
      },
      'DEVICE_PROTOCOL',
    ],
    ['a short report', (r) => r.map((x, i) => (i === middle(r) ? x.subarray(0, 100) : x)), 'DEVICE_PROTOCOL'],
    [
      'a declared length above the maximum message size',
      (r) => {
        const first = (r[0] as Uint8Array).slice();
        new DataView(first.buffer).setUint32(5, MAX_MESSAGE + 1);
        return [first, ...r.slice(1)];
      },
      'DEVICE_PROTOCOL',
    ],
    [
      'the answer to another command',
      (r) => {
        const first = (r[0] as Uint8Array).slice();
        first[4] = Cmd.GET_INFO;
        return [first, ...r.slice(1)];
      },
      'DEVICE_PROTOCOL',
    ],
    [
      'a flipped bit in the image',
      (r) => r.map((x, i) => (i === middle(r) ? x.map((b, k) => (k === 500 ? b ^ 1 : b)) : x)),
      'DEVICE_INTEGRITY',
    ],
  ])('%s: a typed error, then the next capture is verified', async (_label, mutation, code) => {
    const scanner = await rig(mutation);
    const failure = captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    await expect(failure).rejects.toBeInstanceOf(DriverError);
    await expect(failure).rejects.toMatchObject({ code });
    if (code === 'DEVICE_PROTOCOL') await expect(failure).rejects.toBeInstanceOf(ProtocolError);
    expect(scanner.state().status).toBe('ready');
    const image = await captureImage(scanner, { mode: 'flat-single', timeoutMs: 5000 });
    expect(image).toMatchObject({ width: 500, height: 500, use: 'enrollment' });
    expect(image.attestation?.signature.length).toBeGreaterThan(60);
  });
});
