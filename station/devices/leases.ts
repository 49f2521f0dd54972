/**
 * Device leases: which workflow session holds which device, so that a second session that wants a
 * busy scanner, camera or card reader is told at once who has it ("in use by Cán bộ Một, capturing
 * a slap"), instead of queueing behind a capture that may wait 30 s for a finger.
 *
 * One lease per device id. A holder is a workflow session (an enrollment, a verification, an e-ID
 * registration, or one HTTP request for the direct device routes), the officer acting, and the
 * purpose. Acquiring never waits: it succeeds, or throws DeviceInUseError naming the holder's
 * purpose and the officer's display name (never the citizen's data). Every lease carries an
 * AbortSignal the holder passes to the driver: releasing a lease from outside (the session was
 * abandoned, it expired, its HTTP request was aborted) aborts the capture it guards, so the device
 * is free again as soon as the driver has stopped.
 *
 * A session may take a device it already holds again (a nested helper): the lease counts its
 * holders and frees the device when the last one releases. Every holder releases in a `finally`
 * (`run` does it): cancelling never frees a device whose driver is still stopping.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CanceledError } from '../../drivers/errors.ts';
import type { Clock } from '../clock.ts';

/** What a lease is for; each has the officer's words in both languages. */
export type LeasePurpose =
  | 'enrollment.capture-slap'
  | 'enrollment.capture-portrait'
  | 'enrollment.card-read'
  | 'verification.card-read'
  | 'verification.face'
  | 'verification.finger'
  | 'eid.card-read'
  | 'eid.face'
  | 'device.capture'
  | 'device.portrait'
  | 'device.scan'
  | 'cards.read'
  | 'cards.verify-fingerprint';

export const PURPOSE_TEXT: Readonly<Record<LeasePurpose, { readonly vi: string; readonly en: string }>> = {
  'enrollment.capture-slap': { vi: 'lấy vân tay (thu nhận hồ sơ)', en: 'capturing a slap (enrollment)' },
  'enrollment.card-read': { vi: 'đọc thẻ cũ (thu nhận hồ sơ)', en: 'reading the old card (enrollment)' },
  'enrollment.capture-portrait': {
    vi: 'chụp ảnh chân dung (thu nhận hồ sơ)',
    en: 'taking a portrait (enrollment)',
  },
  'verification.card-read': { vi: 'đọc thẻ (xác minh)', en: 'reading a card (verification)' },
  'verification.face': { vi: 'đối chiếu khuôn mặt (xác minh)', en: 'comparing a face (verification)' },
  'verification.finger': {
    vi: 'đối chiếu vân tay (xác minh)',
    en: 'comparing a finger (verification)',
  },
  'eid.card-read': { vi: 'đọc thẻ (định danh điện tử)', en: 'reading a card (e-ID registration)' },
  'eid.face': {
    vi: 'đối chiếu khuôn mặt (định danh điện tử)',
    en: 'comparing a face (e-ID registration)',
  },
  'device.capture': { vi: 'lấy vân tay trực tiếp', en: 'a direct fingerprint capture' },
  'device.portrait': { vi: 'chụp ảnh chân dung trực tiếp', en: 'a direct portrait capture' },
  'device.scan': { vi: 'chờ quét mã QR', en: 'waiting for a QR scan' },
  'cards.read': { vi: 'đọc thẻ trực tiếp', en: 'a direct card read' },
  'cards.verify-fingerprint': {
    vi: 'đối chiếu vân tay với chip',
    en: "comparing a finger with the chip's",
  },
};

/** Who holds a device. No personal data of citizens: a session id, the officer, the purpose. */
export interface LeaseHolder {
  /** The workflow session (enrollment, verification, e-ID registration) or `request:<id>`. */
  readonly sessionId: string;
  readonly officerId: string;
  /** The officer's display name as their account gives it (the id when there is none). */
  readonly officerName: string;
  readonly purpose: LeasePurpose;
}

/** A held device, as GET /devices/leases shows it. */
export interface LeaseView extends LeaseHolder {
  readonly deviceId: string;
  /** ISO 8601: when the lease was taken. */
  readonly since: string;
}

/** A device another session holds: 409 with the holder's purpose and officer, at once. */
export class DeviceInUseError extends Error {
  override readonly name = 'DeviceInUseError';
  readonly code = 'DEVICE_IN_USE';
  readonly statusCode = 409;
  readonly deviceId: string;
  readonly holder: { readonly purpose: LeasePurpose; readonly officerName: string; readonly since: string };
  readonly officer: { readonly vi: string; readonly en: string };
  constructor(deviceId: string, holder: LeaseView) {
    const purpose = PURPOSE_TEXT[holder.purpose];
    const officer = {
      vi: `Thiết bị ${deviceId} đang được ${holder.officerName} dùng để ${purpose.vi}: chờ xong hoặc nhờ hủy phiên đó rồi thử lại.`,
      en: `Device ${deviceId} is in use by ${holder.officerName} (${purpose.en}): wait for it to finish, or have that session abandoned, then try again.`,
    };
    super(officer.en);
    this.deviceId = deviceId;
    this.holder = { purpose: holder.purpose, officerName: holder.officerName, since: holder.since };
    this.officer = officer;
  }

  /** The HTTP error body every route answers for it. */
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      messages: this.officer,
      officer: this.officer,
      deviceId: this.deviceId,
      holder: this.holder,
    };
  }
}

/** A lease taken on one or more devices. */
export interface Lease {
  /** Aborted when the holder's session ends from outside (abandon, expiry, request aborted). */
  readonly signal: AbortSignal;
  /** Frees the devices (once; later calls do nothing). */
  release(): void;
}

interface Entry {
  readonly view: LeaseView;
  readonly controller: AbortController;
  count: number;
}

export class DeviceLeases {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Pick<Clock, 'now'>;

  constructor(clock: Pick<Clock, 'now'> = { now: () => Date.now() }) {
    this.#clock = clock;
  }

  /**
   * Takes every device of `deviceIds` for `holder`, or none.
   * @throws {DeviceInUseError} at once when another session holds one of them.
   */
  acquire(deviceIds: readonly string[], holder: LeaseHolder, options: { signal?: AbortSignal } = {}): Lease {
    const ids = [...new Set(deviceIds)];
    for (const id of ids) {
      const entry = this.#entries.get(id);
      if (entry !== undefined && entry.view.sessionId !== holder.sessionId)
        throw new DeviceInUseError(id, entry.view);
    }
    const controller = new AbortController();
    const since = new Date(this.#clock.now()).toISOString();
    const taken: Entry[] = [];
    for (const id of ids) {
      let entry = this.#entries.get(id);
      if (entry === undefined) {
        entry = { view: { ...holder, deviceId: id, since }, controller: new AbortController(), count: 0 };
        this.#entries.set(id, entry);
      }
      entry.count += 1;
      taken.push(entry);
      // Releasing the device from outside aborts every holder's work on it.
      if (entry.controller.signal.aborted) controller.abort(entry.controller.signal.reason);
      else
        entry.controller.signal.addEventListener(
          'abort',
          () => controller.abort(entry.controller.signal.reason),
          {
            once: true,
          },
        );
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      options.signal?.removeEventListener('abort', onOuterAbort);
      for (const entry of taken) {
        entry.count -= 1;
        if (entry.count <= 0 && this.#entries.get(entry.view.deviceId) === entry)
          this.#entries.delete(entry.view.deviceId);
      }
    };
    // The owner went away (its HTTP request was aborted): cancel the work; the holder releases the
    // devices when the work has stopped.
    const onOuterAbort = () =>
      controller.abort(new CanceledError('The request that held the device was aborted'));
    if (options.signal?.aborted) onOuterAbort();
    else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    return { signal: controller.signal, release };
  }

  /**
   * Runs `work` holding `deviceIds`, releasing them when it settles.
   * @throws {DeviceInUseError} at once when a device is held by another session; what `work` throws.
   */
  async run<T>(
    deviceIds: readonly string[],
    holder: LeaseHolder,
    work: (signal: AbortSignal) => Promise<T>,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const lease = this.acquire(deviceIds, holder, options);
    try {
      return await work(lease.signal);
    } finally {
      lease.release();
    }
  }

  /**
   * Cancels the work on every device `sessionId` holds (the session was abandoned or expired): the
   * leases' signals abort, so the capture or card wait they guard ends with CanceledError, and each
   * device is free as soon as its holder's work has stopped and released it (a driver still tearing
   * down a capture is not handed to another session). Returns the device ids concerned.
   */
  releaseSession(sessionId: string, reason = 'The session that held the device ended'): string[] {
    const concerned: string[] = [];
    for (const [id, entry] of this.#entries)
      if (entry.view.sessionId === sessionId) {
        entry.controller.abort(new CanceledError(reason));
        concerned.push(id);
      }
    return concerned;
  }

  /** The holder of a device, if any. */
  holderOf(deviceId: string): LeaseView | undefined {
    return this.#entries.get(deviceId)?.view;
  }

  /** Every held device. */
  list(): LeaseView[] {
    return [...this.#entries.values()].map((e) => e.view);
  }
}

/**
 * An AbortSignal that fires when the client hangs up before the answer is sent, so a lease held
 * for the request is released and the capture it guards is canceled.
 */
export function requestAborted(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) controller.abort(new CanceledError('The client closed the request'));
  };
  reply.raw.once('close', onClose);
  return controller.signal;
}

/**
 * Leases `deviceIds` for one HTTP request of a direct device route (the session is the request).
 * The client hanging up aborts the lease's signal; the route releases the lease when its work has
 * stopped (in a `finally`). When another session holds a device, answers 409 DEVICE_IN_USE and
 * returns undefined.
 */
export function leaseForRequest(
  leases: DeviceLeases | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  deviceIds: readonly string[],
  purpose: LeasePurpose,
): Lease | undefined {
  if (leases === undefined) return { signal: new AbortController().signal, release: () => undefined };
  const officer = (request as { officer?: { id: string; displayName?: string } }).officer;
  let lease: Lease;
  try {
    lease = leases.acquire(
      deviceIds,
      {
        sessionId: `request:${request.id}`,
        officerId: officer?.id ?? 'anonymous',
        officerName: officer?.displayName ?? officer?.id ?? 'anonymous',
        purpose,
      },
      { signal: requestAborted(reply) },
    );
  } catch (error) {
    if (!(error instanceof DeviceInUseError)) throw error;
    void reply.code(409).send({ error: error.toJSON() });
    return undefined;
  }
  return lease;
}
