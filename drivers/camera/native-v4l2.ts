/**
 * Discovery of V4L2 cameras: the /dev/video* nodes, their names and USB ids from sysfs
 * (/sys/class/video4linux/videoN/{name,index,device}), and the MJPEG sizes and rates each offers from
 * `v4l2-ctl --list-formats-ext` (v4l-utils). Nothing here opens a camera for capture.
 *
 * Both roots are injectable, so tests run on a fake sysfs tree; on a machine without V4L2 (no
 * /sys/class/video4linux, as in a container) `listV4l2Cameras` resolves [].
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** One frame size a format offers, pixels, with its discrete frame rates (frames per second). */
export interface V4l2FrameSize {
  readonly width: number;
  readonly height: number;
  readonly fps: readonly number[];
}

/** One pixel format from VIDIOC_ENUM_FMT, e.g. `MJPG` (Motion-JPEG, compressed). */
export interface V4l2Format {
  readonly fourcc: string;
  readonly description: string;
  /** Discrete sizes only (UVC cameras list discrete sizes; stepwise ranges are not listed). */
  readonly sizes: readonly V4l2FrameSize[];
}

export interface V4l2Camera {
  /** The device node, e.g. /dev/video0: what the ffmpeg source opens. */
  readonly device: string;
  /** sysfs name, e.g. `HD Pro Webcam C920`. */
  readonly name: string;
  /** sysfs index: 0 is a UVC camera's capture node; its metadata node has 1. */
  readonly index?: number;
  /** USB ids of the camera, when it is a USB device; what a hot-plug event names. */
  readonly vendorId?: number;
  readonly productId?: number;
  /** MJPEG sizes, largest first; empty when v4l2-ctl is missing or the node captures no MJPEG. */
  readonly mjpegSizes: readonly V4l2FrameSize[];
  /** Whether v4l2-ctl could list the formats (false: install v4l-utils, or the node is not a capture node). */
  readonly formatsKnown: boolean;
}

/**
 * Parses the text of `v4l2-ctl --list-formats-ext` (v4l-utils 1.22): `[i]: 'FCC ' (description)`
 * lines, each followed by `Size: Discrete WxH` lines and their `Interval: Discrete Xs (F fps)` lines.
 * Lines it does not know are ignored, so a newer v4l2-ctl's extra lines do no harm.
 */
export function parseListFormatsExt(text: string): V4l2Format[] {
  const formats: {
    fourcc: string;
    description: string;
    sizes: { width: number; height: number; fps: number[] }[];
  }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const format = /^\[\d+\]:\s*'([^']{1,8})\s*'\s*\((.*)\)\s*$/.exec(line);
    if (format) {
      formats.push({ fourcc: (format[1] ?? '').trim(), description: format[2] ?? '', sizes: [] });
      continue;
    }
    const size = /^Size:\s*Discrete\s+(\d+)x(\d+)/.exec(line);
    if (size) {
      formats.at(-1)?.sizes.push({ width: Number(size[1]), height: Number(size[2]), fps: [] });
      continue;
    }
    const interval = /^Interval:\s*Discrete\s+[\d.]+s\s*\(([\d.]+)\s*fps\)/.exec(line);
    if (interval) formats.at(-1)?.sizes.at(-1)?.fps.push(Number(interval[1]));
  }
  return formats;
}

/** The MJPEG sizes among `formats`, largest first. */
export function mjpegSizes(formats: readonly V4l2Format[]): V4l2FrameSize[] {
  return formats
    .filter((f) => f.fourcc === 'MJPG' || f.fourcc === 'JPEG')
    .flatMap((f) => f.sizes)
    .sort((a, b) => b.width * b.height - a.width * a.height);
}

export interface V4l2DiscoveryOptions {
  /** Where sysfs is mounted; default /sys. */
  readonly sysfsRoot?: string;
  /** Where the device nodes are; default /dev. */
  readonly devRoot?: string;
  /**
   * Runs `v4l2-ctl --list-formats-ext -d device` and resolves its stdout, or undefined when it
   * cannot (not installed, not a capture node). Default: the real v4l2-ctl with a 3 s timeout.
   */
  readonly listFormats?: (device: string) => Promise<string | undefined>;
}

/** The real v4l2-ctl; undefined when it is missing or fails on the node. */
export function runV4l2Ctl(device: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'v4l2-ctl',
      ['--list-formats-ext', '-d', device],
      { timeout: 3000, maxBuffer: 1024 * 1024 },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The USB ids above a video4linux node: its `device` link is the USB interface, whose parent has idVendor. */
async function usbIds(classDir: string): Promise<{ vendorId?: number; productId?: number }> {
  try {
    const iface = await realpath(path.join(classDir, 'device'));
    const usbDevice = path.dirname(iface);
    const vendor = await readText(path.join(usbDevice, 'idVendor'));
    const product = await readText(path.join(usbDevice, 'idProduct'));
    if (!vendor || !product || !/^[0-9a-f]{4}$/i.test(vendor) || !/^[0-9a-f]{4}$/i.test(product)) return {};
    return { vendorId: Number.parseInt(vendor, 16), productId: Number.parseInt(product, 16) };
  } catch {
    return {};
  }
}

/**
 * The V4L2 video nodes present now, in device-number order, with names, USB ids and MJPEG sizes.
 * Never rejects for a missing sysfs or a node that vanishes meanwhile: those are left out.
 */
export async function listV4l2Cameras(options: V4l2DiscoveryOptions = {}): Promise<V4l2Camera[]> {
  const classRoot = path.join(options.sysfsRoot ?? '/sys', 'class', 'video4linux');
  const devRoot = options.devRoot ?? '/dev';
  const listFormats = options.listFormats ?? runV4l2Ctl;
  let entries: string[];
  try {
    entries = await readdir(classRoot);
  } catch {
    return [];
  }
  const nodes = entries
    .map((name) => ({ name, number: /^video(\d+)$/.exec(name)?.[1] }))
    .filter((e): e is { name: string; number: string } => e.number !== undefined)
    .sort((a, b) => Number(a.number) - Number(b.number));
  const cameras: V4l2Camera[] = [];
  for (const { name: node } of nodes) {
    const device = path.join(devRoot, node);
    try {
      await stat(device);
    } catch {
      continue; // udev has not made the node yet, or it just went away
    }
    const classDir = path.join(classRoot, node);
    const index = await readText(path.join(classDir, 'index'));
    const text = await listFormats(device);
    cameras.push({
      device,
      name: (await readText(path.join(classDir, 'name'))) ?? node,
      ...(index !== undefined && /^\d+$/.test(index) ? { index: Number(index) } : {}),
      ...(await usbIds(classDir)),
      mjpegSizes: text === undefined ? [] : mjpegSizes(parseListFormatsExt(text)),
      formatsKnown: text !== undefined,
    });
  }
  return cameras;
}
