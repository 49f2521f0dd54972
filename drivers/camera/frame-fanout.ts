/**
 * Newest-only delivery of frames to any number of subscribers: the backpressure policy of the camera
 * port (port.ts). Each subscription holds at most one undelivered frame; a newer frame replaces it
 * and the replaced one is counted as dropped. A slow consumer therefore costs one frame of memory and
 * sees gaps in `sequence`, never a growing queue or a stale picture.
 *
 * No timers and no I/O: the native adapter, the driver and the simulated camera share it.
 */
import { CanceledError } from '../errors.ts';

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

class Subscription<T> implements AsyncIterator<T> {
  slot: T | undefined;
  hasSlot = false;
  waiter: Waiter<T> | undefined;
  /** Set once: every pending and later next() rejects with it. */
  ended: unknown;
  done = false;
  #onAbort: (() => void) | undefined;

  readonly owner: FrameFanout<T>;
  readonly signal: AbortSignal | undefined;

  constructor(owner: FrameFanout<T>, signal: AbortSignal | undefined) {
    this.owner = owner;
    this.signal = signal;
    if (signal) {
      this.#onAbort = () =>
        this.end(new CanceledError('Frame subscription canceled', { cause: signal.reason }));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  offer(frame: T): boolean {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: frame, done: false });
      return false;
    }
    const dropped = this.hasSlot;
    this.slot = frame;
    this.hasSlot = true;
    return dropped;
  }

  end(error: unknown): void {
    if (this.ended !== undefined || this.done) return;
    this.ended = error;
    this.slot = undefined;
    this.hasSlot = false;
    this.#detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  #detach(): void {
    if (this.#onAbort) this.signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    this.owner.unsubscribe(this);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.ended !== undefined) return Promise.reject(this.ended);
    if (this.hasSlot) {
      const value = this.slot as T;
      this.slot = undefined;
      this.hasSlot = false;
      return Promise.resolve({ value, done: false });
    }
    if (this.waiter) return Promise.reject(new TypeError('One next() at a time on a frame subscription'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer left the loop (break, return, throw): unsubscribe. */
  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.slot = undefined;
    this.hasSlot = false;
    this.#detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
}

export class FrameFanout<T> {
  readonly #subscriptions = new Set<Subscription<T>>();
  #dropped = 0;
  #closedWith: unknown;
  #failure: unknown;

  /** Frames replaced before their subscriber took them, over all subscriptions ever made. */
  get dropped(): number {
    return this.#dropped;
  }

  get subscribers(): number {
    return this.#subscriptions.size;
  }

  /** Hands `frame` to every subscription, replacing (and counting) an undelivered older one. */
  publish(frame: T): void {
    for (const subscription of this.#subscriptions) if (subscription.offer(frame)) this.#dropped++;
  }

  /**
   * A new subscription to the frames published from now on. Its `next()` rejects with CanceledError
   * once `signal` fires or the fanout is closed, and with the failure once `fail` is called (at once
   * if the fanout is failed when the subscription is made). One `next()` at a time (a second pending
   * one rejects with TypeError).
   */
  subscribe(signal?: AbortSignal): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => {
        const subscription = new Subscription<T>(this, signal);
        if (signal?.aborted) subscription.end(new CanceledError('Frame subscription canceled'));
        else if (this.#closedWith !== undefined) subscription.end(this.#closedWith);
        else if (this.#failure !== undefined) subscription.end(this.#failure);
        else this.#subscriptions.add(subscription);
        return subscription;
      },
    };
  }

  /** Ends every subscription with `error`; subscriptions made until `recover()` end with it too. */
  fail(error: unknown): void {
    this.#failure = error;
    for (const subscription of [...this.#subscriptions]) subscription.end(error);
  }

  /** The source works again: new subscriptions wait for frames. */
  recover(): void {
    this.#failure = undefined;
  }

  /** Ends every subscription, now and later, with CanceledError. Safe to call twice. */
  close(message = 'The camera was closed'): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = new CanceledError(message);
    for (const subscription of [...this.#subscriptions]) subscription.end(this.#closedWith);
  }

  /** @internal */
  unsubscribe(subscription: Subscription<T>): void {
    this.#subscriptions.delete(subscription);
  }
}
