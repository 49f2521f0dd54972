import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CameraBusyError,
  CameraFormatError,
  CameraNotFoundError,
  CameraPermissionError,
} from '../../../drivers/camera/errors.ts';
import { FrameFanout } from '../../../drivers/camera/frame-fanout.ts';
import { jpegDimensions } from '../../../drivers/camera/jpeg-splitter.ts';
import { classifyFfmpegStderr, ffmpegArgs, parseStreamInfo } from '../../../drivers/camera/native-ffmpeg.ts';
import { listV4l2Cameras, mjpegSizes, parseListFormatsExt } from '../../../drivers/camera/native-v4l2.ts';
import { CanceledError } from '../../../drivers/errors.ts';
import { makeJpeg } from '../../support/camera-frames.ts';

describe('FrameFanout (newest-only delivery)', () => {
  it('keeps one undelivered frame per subscriber, replacing and counting older ones', async () => {
    const fanout = new FrameFanout<number>();
    const slow = fanout.subscribe()[Symbol.asyncIterator]();
    const fast = fanout.subscribe()[Symbol.asyncIterator]();
    const waiting = fast.next();
    await Promise.resolve();
    fanout.publish(1); // straight to the waiting fast reader
    expect(await waiting).toEqual({ value: 1, done: false });
    fanout.publish(2);
    fanout.publish(3);
    expect(await slow.next()).toEqual({ value: 3, done: false });
    expect(await fast.next()).toEqual({ value: 3, done: false });
    // slow missed 1 and 2; fast missed 2.
    expect(fanout.dropped).toBe(3);
  });

  it('unsubscribes when the consumer leaves its loop', async () => {
    const fanout = new FrameFanout<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const n of fanout.subscribe()) {
        seen.push(n);
        if (n === 2) break;
      }
    })();
    for (let i = 1; i <= 3; i++) {
      await Promise.resolve();
      fanout.publish(i);
    }
    await loop;
    expect(fanout.subscribers).toBe(0);
    expect(seen.at(-1)).toBe(2);
  });

  it('ends subscriptions with the failure, with CanceledError on close or abort, and recovers for new ones', async () => {
    const fanout = new FrameFanout<number>();
    const a = fanout.subscribe()[Symbol.asyncIterator]();
    const pending = a.next();
    const boom = new Error('gone');
    fanout.fail(boom);
    await expect(pending).rejects.toBe(boom);
    await expect(fanout.subscribe()[Symbol.asyncIterator]().next()).rejects.toBe(boom);
    fanout.recover();
    const controller = new AbortController();
    const b = fanout.subscribe(controller.signal)[Symbol.asyncIterator]();
    const c = fanout.subscribe()[Symbol.asyncIterator]();
    const bNext = b.next();
    controller.abort();
    await expect(bNext).rejects.toBeInstanceOf(CanceledError);
    const cNext = c.next();
    fanout.close();
    await expect(cNext).rejects.toBeInstanceOf(CanceledError);
    await expect(c.next()).rejects.toBeInstanceOf(CanceledError);
    await expect(fanout.subscribe()[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CanceledError);
  });
});

describe('ffmpeg command lines', () => {
  it('reads a V4L2 camera as MJPEG without re-encoding', () => {
    expect(ffmpegArgs({ kind: 'v4l2', device: '/dev/video0', width: 640, height: 480, fps: 30 })).toEqual([
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'info',
      '-f',
      'v4l2',
      '-input_format',
      'mjpeg',
      '-video_size',
      '640x480',
      '-framerate',
      '30',
      '-i',
      '/dev/video0',
      '-c:v',
      'copy',
      '-f',
      'mjpeg',
      '-flush_packets',
      '1',
      'pipe:1',
    ]);
  });

  it('copies piped MJPEG and encodes a paced lavfi graph', () => {
    const pipe = ffmpegArgs({ kind: 'pipe', frames: (async function* () {})() });
    expect(pipe.join(' ')).toContain('-f mjpeg -i pipe:0 -c:v copy -f mjpeg');
    const lavfi = ffmpegArgs({ kind: 'lavfi', graph: 'testsrc2=size=640x480:rate=30' });
    expect(lavfi.join(' ')).toContain('-re -f lavfi -i testsrc2=size=640x480:rate=30 -c:v mjpeg -q:v 5');
    expect(ffmpegArgs({ kind: 'lavfi', graph: 'testsrc2', realtime: false })).not.toContain('-re');
  });

  it('rejects sizes, rates and paths out of range as programmer errors', () => {
    expect(() => ffmpegArgs({ kind: 'v4l2', device: 'video0', width: 640, height: 480, fps: 30 })).toThrow(
      RangeError,
    );
    expect(() => ffmpegArgs({ kind: 'v4l2', device: '/dev/video0', width: 0, height: 480, fps: 30 })).toThrow(
      RangeError,
    );
    expect(() => ffmpegArgs({ kind: 'lavfi', graph: 'testsrc2', quality: 1 })).toThrow(RangeError);
  });
});

describe("ffmpeg's stderr", () => {
  // Lines as ffmpeg 5.1's v4l2 input prints them.
  it.each([
    [
      '[video4linux2,v4l2 @ 0x55eec06e3980] Cannot open video device /dev/video0: No such file or directory\n/dev/video0: No such file or directory\n',
      CameraNotFoundError,
      'CAMERA_NOT_FOUND',
    ],
    [
      '[video4linux2,v4l2 @ 0x5581] ioctl(VIDIOC_DQBUF): No such device\n/dev/video0: No such device\n',
      CameraNotFoundError,
      'CAMERA_NOT_FOUND',
    ],
    [
      '[video4linux2,v4l2 @ 0x5581] Cannot open video device /dev/video0: Device or resource busy\n',
      CameraBusyError,
      'CAMERA_BUSY',
    ],
    [
      '[video4linux2,v4l2 @ 0x5581] ioctl(VIDIOC_STREAMON): Device or resource busy\n',
      CameraBusyError,
      'CAMERA_BUSY',
    ],
    [
      '[video4linux2,v4l2 @ 0x5581] Cannot open video device /dev/video0: Permission denied\n',
      CameraPermissionError,
      'CAMERA_PERMISSION_DENIED',
    ],
    [
      "[video4linux2,v4l2 @ 0x5581] Cannot find a proper format for codec 'mjpeg' (id 7), pixel format 'none' (id -1)\n",
      CameraFormatError,
      'CAMERA_FORMAT_UNSUPPORTED',
    ],
    [
      '[video4linux2,v4l2 @ 0x5581] The V4L2 driver changed the pixel format from 0x47504A4D to 0x56595559\n',
      CameraFormatError,
      'CAMERA_FORMAT_UNSUPPORTED',
    ],
  ])('%s', (stderr, type, code) => {
    const error = classifyFfmpegStderr(stderr, '/dev/video0');
    expect(error).toBeInstanceOf(type);
    expect(error?.cameraCode).toBe(code);
    expect(error?.devicePath).toBe('/dev/video0');
    expect(error?.officerMessage.vi.length).toBeGreaterThan(0);
  });

  it('names nothing for output it does not know', () => {
    expect(classifyFfmpegStderr('frame=  10 fps=0.0 q=-1.0 size=  100kB\n', '/dev/video0')).toBeUndefined();
  });

  it("reads the input stream's size and rate", () => {
    expect(
      parseStreamInfo(
        '  Stream #0:0: Video: mjpeg (Baseline), yuvj422p(pc, bt470bg/unknown/unknown), 1280x720, 30 fps, 30 tbr, 1000k tbn',
      ),
    ).toEqual({ width: 1280, height: 720, fps: 30 });
    expect(
      parseStreamInfo(
        '  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 320x240, 25 tbr',
      ),
    ).toEqual({ width: 320, height: 240 });
    expect(parseStreamInfo('Stream mapping:')).toBeUndefined();
  });
});

describe('jpegDimensions', () => {
  it('reads the size from the frame header, and nothing from a broken header', async () => {
    const jpeg = await makeJpeg(3, { width: 72, height: 40 });
    expect(jpegDimensions(jpeg)).toEqual({ width: 72, height: 40 });
    expect(jpegDimensions(jpeg.subarray(0, 30))).toBeUndefined();
    expect(jpegDimensions(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).toBeUndefined();
    expect(jpegDimensions(new Uint8Array(10))).toBeUndefined();
  });
});

// A UVC webcam's `v4l2-ctl --list-formats-ext -d /dev/video0` (v4l-utils 1.22 layout: tabs).
const LIST_FORMATS_EXT = `ioctl: VIDIOC_ENUM_FMT
\tType: Video Capture

\t[0]: 'MJPG' (Motion-JPEG, compressed)
\t\tSize: Discrete 640x480
\t\t\tInterval: Discrete 0.033s (30.000 fps)
\t\t\tInterval: Discrete 0.067s (15.000 fps)
\t\tSize: Discrete 1280x720
\t\t\tInterval: Discrete 0.033s (30.000 fps)
\t\tSize: Discrete 320x240
\t\t\tInterval: Discrete 0.033s (30.000 fps)
\t[1]: 'YUYV' (YUYV 4:2:2)
\t\tSize: Discrete 640x480
\t\t\tInterval: Discrete 0.033s (30.000 fps)
\t\tSize: Discrete 1280x720
\t\t\tInterval: Discrete 0.100s (10.000 fps)
\t[2]: 'GREY' (8-bit Greyscale)
\t\tSize: Stepwise 16x16 - 1920x1080 with step 1/1
`;

describe('V4L2 discovery', () => {
  it('parses v4l2-ctl --list-formats-ext and picks the MJPEG sizes, largest first', () => {
    const formats = parseListFormatsExt(LIST_FORMATS_EXT);
    expect(formats.map((f) => f.fourcc)).toEqual(['MJPG', 'YUYV', 'GREY']);
    expect(formats[0]?.description).toBe('Motion-JPEG, compressed');
    expect(formats[2]?.sizes).toEqual([]);
    expect(mjpegSizes(formats)).toEqual([
      { width: 1280, height: 720, fps: [30] },
      { width: 640, height: 480, fps: [30, 15] },
      { width: 320, height: 240, fps: [30] },
    ]);
    expect(parseListFormatsExt('')).toEqual([]);
    expect(parseListFormatsExt('\t\tSize: Discrete 640x480\nnonsense')).toEqual([]);
  });

  const root = mkdtempSync(path.join(tmpdir(), 'camera-sysfs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists the video nodes of a sysfs tree with names, USB ids and MJPEG sizes', async () => {
    const sys = path.join(root, 'sys');
    const dev = path.join(root, 'dev');
    const usbDevice = path.join(sys, 'devices', 'pci0000:00', 'usb1', '1-3');
    const iface = path.join(usbDevice, '1-3:1.0');
    mkdirSync(iface, { recursive: true });
    writeFileSync(path.join(usbDevice, 'idVendor'), '046d\n');
    writeFileSync(path.join(usbDevice, 'idProduct'), '082d\n');
    mkdirSync(dev, { recursive: true });
    for (const [node, index] of [
      ['video0', '0'],
      ['video1', '1'],
      ['video10', '0'],
      ['video2', '0'],
    ] as const) {
      const dir = path.join(sys, 'class', 'video4linux', node);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'name'), node === 'video10' ? 'bcm2835-codec\n' : 'HD Pro Webcam C920\n');
      writeFileSync(path.join(dir, 'index'), `${index}\n`);
      if (node !== 'video10') symlinkSync(iface, path.join(dir, 'device'));
      // video2's node has not been created by udev yet: it is left out.
      if (node !== 'video2') writeFileSync(path.join(dev, node), '');
    }
    const asked: string[] = [];
    const cameras = await listV4l2Cameras({
      sysfsRoot: sys,
      devRoot: dev,
      listFormats: async (device) => {
        asked.push(device);
        if (device.endsWith('video0')) return LIST_FORMATS_EXT;
        if (device.endsWith('video1')) return 'ioctl: VIDIOC_ENUM_FMT\n\tType: Video Capture\n\n';
        return undefined;
      },
    });
    expect(cameras.map((c) => c.device)).toEqual([
      path.join(dev, 'video0'),
      path.join(dev, 'video1'),
      path.join(dev, 'video10'),
    ]);
    expect(cameras[0]).toEqual({
      device: path.join(dev, 'video0'),
      name: 'HD Pro Webcam C920',
      index: 0,
      vendorId: 0x046d,
      productId: 0x082d,
      mjpegSizes: mjpegSizes(parseListFormatsExt(LIST_FORMATS_EXT)),
      formatsKnown: true,
    });
    expect(cameras[1]).toMatchObject({ index: 1, mjpegSizes: [], formatsKnown: true });
    expect(cameras[2]).toEqual({
      device: path.join(dev, 'video10'),
      name: 'bcm2835-codec',
      index: 0,
      mjpegSizes: [],
      formatsKnown: false,
    });
    expect(asked).toHaveLength(3);
  });

  it('resolves [] where there is no video4linux (this machine has no /dev/video*)', async () => {
    expect(await listV4l2Cameras({ sysfsRoot: path.join(root, 'nowhere') })).toEqual([]);
    // The real machine: without video4linux (this container) the list is empty, and never a throw.
    const real = await listV4l2Cameras();
    if (!existsSync('/sys/class/video4linux')) expect(real).toEqual([]);
    else expect(real.every((c) => c.device.startsWith('/dev/video'))).toBe(true);
  });
});
