/**
 * The station's configuration: one JSON file, validated with ajv; every key has a default, so an
 * empty file (or none) runs the embedded simulated station. See docs/configuration.md.
 */

export type Environment = 'test' | 'production';
export type DeviceModeSetting = 'simulated' | 'hardware' | 'disabled';

export interface StationConfig {
  /** `production` refuses simulated devices, simulator routes and the embedded central service. */
  environment: Environment;
  /** Identifies this station in packets, reports and logs. */
  stationId: string;
  /**
   * Where the service listens. Without `tls` the station serves plain HTTP, and production refuses a
   * host that is not a loopback address (127.0.0.0/8, ::1, localhost): it is reached from this
   * machine only. With `tls` (PEM files, relative to the config file) it serves HTTPS and may listen
   * on the network (a mobile team's tablet reaching the station's laptop).
   */
  server: { host: string; port: number; tls?: { certFile: string; keyFile: string } };
  /** Where the station keeps its state (outbox, enrollments in progress). Relative to the config file. */
  dataDir: string;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  devices: {
    /** USB attach/detach events, used by drivers to find a device again after re-plug. */
    hotplug: { mode: DeviceModeSetting };
    /** The FPSCAN HID scanner (4-4-2 enrollment). */
    fingerprintHid: {
      mode: DeviceModeSetting;
      /** Match by USB ids (hardware); the first matching scanner is used. */
      vendorId?: number;
      productId?: number;
      /** Or by OS path (e.g. /dev/hidraw3); wins over the ids. */
      path?: string;
      /** Report size in bytes when the OS cannot give the report descriptor (64 .. 1024). */
      reportSize: number;
      /** PEM file of the device CA certificates whose scanners are trusted (hardware). */
      trustAnchors?: string;
      /**
       * Simulated: how long after a capture starts the finger lands on the glass, ms; preview frames
       * stream meanwhile (about 20 a second), as while an officer positions a hand. Default 120.
       */
      simulatedFingerDelayMs?: number;
    };
    /** The R30x-family serial module (mobile kits; verification only). */
    fingerprintSerial: {
      mode: DeviceModeSetting;
      /** Serial line (hardware), e.g. /dev/ttyUSB0. */
      path?: string;
      /** Line speed, bit/s: 9600 x N, N = 1 .. 12. */
      baudRate: number;
      /** Module address. */
      address: number;
      /** Module password. */
      password: number;
    };
    /**
     * The 2D barcode scanner hotels and hospitals read the CCCD's QR code with. Mode defaults to
     * `simulated` in test and `disabled` in production (load.ts), so a production file written before
     * it existed still starts; an explicit `simulated` is refused in production like every simulated
     * device.
     */
    barcode: {
      mode: DeviceModeSetting;
      /** How it is attached (hardware; the simulator speaks the same): a serial / USB-COM line or a USB keyboard wedge. */
      kind: 'serial' | 'hid';
      /** Serial line (kind serial, required), e.g. /dev/ttyACM0; or the hidraw node (kind hid, wins over the ids). */
      path?: string;
      /** Serial line speed, bit/s. */
      baudRate: number;
      /** Keyboard wedge's USB ids (kind hid): the first matching keyboard interface is used. */
      vendorId?: number;
      productId?: number;
      /** Report-ID byte a composite keyboard wedge puts before each report (kind hid). */
      reportId?: number;
      /** Bytes that end a scanned line (the scanner's suffix). */
      terminators: ('CR' | 'LF' | 'TAB')[];
      /** Longest scanned line, bytes; longer ones are dropped and counted. */
      maxLineBytes: number;
      /** A line left without its terminator for this long is cut, ms. */
      partialLineMs: number;
      /** Deliver a line cut by silence as a scan (scanners set up without a suffix). */
      idleEndsLine: boolean;
      /** How often a missing or failed scanner is tried again, ms. */
      watchMs: number;
    };
    /** PC/SC chip-card readers (notary checks, renewals): pcscd in hardware mode. */
    cardReader: {
      mode: DeviceModeSetting;
      /** Use only readers whose name starts with this (default: the first reader with a card). */
      reader?: string;
      /** Longest wait for one exchange with a card, ms. */
      timeoutMs: number;
      /** Folder of CSCA certificates (PEM/DER), CRLs (.crl) and ICAO master lists (.ml) for PA. */
      trustStore?: string;
      /**
       * Folder of the station's EAC terminal credentials (CVCA, DV and terminal CV certificates,
       * terminal.key; docs/eac.md): with it, reads run Terminal Authentication and read DG3.
       */
      terminal?: string;
      /** The terminal key when not DIR/terminal.key: a PKCS#8 PEM file or a pkcs11: URI. */
      terminalKey?: string;
    };
    /**
     * The portrait camera (UVC, MJPEG through ffmpeg). Mode defaults to `simulated` in test and
     * `disabled` in production (load.ts), so a production file written before cameras existed still
     * starts; an explicit `simulated` is refused in production like every simulated device.
     */
    camera: {
      mode: DeviceModeSetting;
      /** V4L2 node (hardware), e.g. /dev/v4l/by-id/usb-...-video-index0 or /dev/video0; default: the first camera found. */
      device?: string;
      /** Frame size, pixels: 640x480 or 1280x720. */
      width: 640 | 1280;
      height: 480 | 720;
      /** Frames per second, 1 .. 60. */
      fps: number;
      /** Simulated: the person in front of the camera (the same seed as the simulated card's holder). */
      personSeed: string;
      /** Simulated: the scenario at start (the simulator's names, e.g. `good`, `too-far`). */
      scenario: string;
    };
  };
  central: {
    /** `embedded` starts the simulated central service on loopback; `remote` uses `url`. */
    mode: 'embedded' | 'remote';
    /** Base URL of the central card-production service (required when mode is `remote`). */
    url?: string;
    /** Per-request timeout for reachability checks, ms. */
    timeoutMs: number;
    /**
     * PEM file of the CA that issued central's TLS server certificate: the only CA trusted for the
     * upload connection (required when mode is `remote`; the embedded central's own otherwise).
     */
    tlsCa?: string;
    /**
     * PEM file of central's statement-signing certificates (receipts and refusals), current and past:
     * the pinned keys (required when mode is `remote`).
     */
    statementCertificates?: string;
  };
  /** Store-and-forward upload of sealed packets (station/uploader). */
  uploader: {
    /** Packets uploaded at once. */
    concurrency: number;
    /** Bytes per PATCH request; a cut connection resends at most one chunk. */
    chunkSizeBytes: number;
    /** Upload bandwidth cap, bytes/s; 0 = none. */
    bandwidthLimitBytesPerSecond: number;
    /** Retry delays: first, cap (ms), with full jitter. */
    backoff: { initialMs: number; maxMs: number };
  };
  /** The crash-safe outbox (station/outbox). */
  outbox: {
    /** Days an acknowledged packet and its receipt are kept before purge. */
    retentionDays: number;
    /** Free disk below this refuses a new enrollment, MiB. */
    reserveMiB: number;
    /** Waiting packets at which a new enrollment is refused. */
    maxWaiting: number;
    /** Days without a receipt after which a new enrollment is refused. */
    maxDaysOffline: number;
  };
  simulators: {
    /** Mounts the /sim/ control routes. Defaults to true in test and false in production. */
    routes: boolean;
  };
  /** Officer accounts and sessions (station/auth/README.md). */
  auth: {
    /**
     * Every route but /health, /, /auth/* and static files needs an officer's session. Defaults to
     * false in test (the simulator/tester environment keeps its open device routes) and true in
     * production, which refuses false (load.ts).
     */
    required: boolean;
    /** Minutes without an action before the screen locks (only the password unlocks it). */
    idleLockMinutes: number;
    /** A session's absolute lifetime, hours. */
    sessionHours: number;
    /** Consecutive failed logins that lock an account. */
    maxFailures: number;
    /** How long that lock lasts, minutes; 0: until a supervisor unlocks it. */
    lockoutMinutes: number;
    /**
     * Host names the station is reached at besides localhost, 127.0.0.1, [::1] and server.host (the
     * Host header is checked against them: DNS rebinding).
     */
    allowedHosts: string[];
  };
  /** The enrollment workflow's rules (station/workflows/enrollment). */
  enrollment: {
    /** Captures allowed per slap and for the portrait; the best is kept. */
    maxAttempts: number;
    /** Minutes without a step after which an open draft is wiped. */
    idleWipeMinutes: number;
    /** When a supervisor other than the signer must approve before the packet is queued. */
    approval: {
      /** Any finger declared not captured (amputated, bandaged, unprintable). */
      onExceptions: boolean;
      /** Any kept finger scoring below this NFIQ 2 score (0: never). */
      belowScore: number;
      /** Corrections of data. */
      onCorrection: boolean;
    };
    /** The citizen's receipt. */
    receipt: {
      /** Working days from submission to the date the card can be collected. */
      workingDays: number;
      /**
       * Public holidays (YYYY-MM-DD, Vietnam's calendar) that are not working days: the calendar
       * changes yearly by decree (Tết, 30/4, 1/5, 2/9 and their days off), so the office sets it.
       */
      holidays: string[];
      /** Hours a queued enrollment's receipt can be printed again. */
      keepHours: number;
    };
  };
  /** The fingerprint hot path's worker pool. */
  hotpath: {
    /** Worker threads; 0 = one per core. */
    workers: number;
    /** A job running longer than this is killed with its worker, ms. */
    hardLimitMs: number;
  };
}

const deviceMode = {
  type: 'string',
  enum: ['simulated', 'hardware', 'disabled'],
  default: 'simulated',
} as const;

/** JSON Schema (draft 7, as ajv 8 validates it). `default`s fill what the file leaves out. */
export const configSchema = {
  $id: 'https://cccd-station.invalid/schemas/station-config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    environment: { type: 'string', enum: ['test', 'production'], default: 'test' },
    stationId: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      default: 'dev-station-01',
    },
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['certFile', 'keyFile'],
          properties: {
            certFile: { type: 'string', minLength: 1 },
            keyFile: { type: 'string', minLength: 1 },
          },
        },
      },
    },
    dataDir: { type: 'string', minLength: 1, default: './var' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
        },
      },
    },
    devices: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        hotplug: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { mode: deviceMode },
        },
        fingerprintHid: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            mode: deviceMode,
            vendorId: { type: 'integer', minimum: 0, maximum: 0xffff },
            productId: { type: 'integer', minimum: 0, maximum: 0xffff },
            path: { type: 'string', minLength: 1 },
            reportSize: { type: 'integer', minimum: 64, maximum: 1024, default: 1024 },
            trustAnchors: { type: 'string', minLength: 1 },
            simulatedFingerDelayMs: { type: 'integer', minimum: 0, maximum: 10000 },
          },
        },
        fingerprintSerial: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            mode: deviceMode,
            path: { type: 'string', minLength: 1 },
            baudRate: {
              type: 'integer',
              enum: [9600, 19200, 28800, 38400, 48000, 57600, 67200, 76800, 86400, 96000, 105600, 115200],
              default: 57600,
            },
            address: { type: 'integer', minimum: 0, maximum: 0xffffffff, default: 0xffffffff },
            password: { type: 'integer', minimum: 0, maximum: 0xffffffff, default: 0 },
          },
        },
        barcode: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            // No default here: it follows the environment (simulated in test, disabled in production); see load.ts.
            mode: { type: 'string', enum: ['simulated', 'hardware', 'disabled'] },
            kind: { type: 'string', enum: ['serial', 'hid'], default: 'serial' },
            path: {
              type: 'string',
              pattern: '^/\\S+$',
              description: 'an absolute device path such as /dev/ttyACM0 or /dev/hidraw2',
            },
            baudRate: {
              type: 'integer',
              enum: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200],
              default: 9600,
            },
            vendorId: { type: 'integer', minimum: 0, maximum: 0xffff },
            productId: { type: 'integer', minimum: 0, maximum: 0xffff },
            reportId: { type: 'integer', minimum: 0, maximum: 255 },
            terminators: {
              type: 'array',
              items: { type: 'string', enum: ['CR', 'LF', 'TAB'] },
              minItems: 1,
              maxItems: 3,
              uniqueItems: true,
              default: ['CR', 'LF'],
            },
            maxLineBytes: { type: 'integer', minimum: 64, maximum: 65536, default: 4096 },
            partialLineMs: { type: 'integer', minimum: 20, maximum: 60000, default: 500 },
            idleEndsLine: { type: 'boolean', default: false },
            watchMs: { type: 'integer', minimum: 50, maximum: 60000, default: 500 },
          },
        },
        cardReader: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            mode: deviceMode,
            reader: { type: 'string', minLength: 1 },
            timeoutMs: { type: 'integer', minimum: 500, maximum: 60000, default: 5000 },
            trustStore: { type: 'string', minLength: 1 },
            terminal: { type: 'string', minLength: 1 },
            terminalKey: { type: 'string', minLength: 1 },
          },
        },
        camera: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            // No default here: it follows the environment (simulated in test, disabled in production); see load.ts.
            mode: { type: 'string', enum: ['simulated', 'hardware', 'disabled'] },
            device: {
              type: 'string',
              pattern: '^/dev/\\S+$',
              description: 'a device path such as /dev/v4l/by-id/usb-...-video-index0 or /dev/video0',
            },
            width: { type: 'integer', enum: [640, 1280], default: 640 },
            height: { type: 'integer', enum: [480, 720], default: 480 },
            fps: { type: 'integer', minimum: 1, maximum: 60, default: 30 },
            personSeed: { type: 'string', minLength: 1, maxLength: 64, default: '001099012345' },
            scenario: {
              type: 'string',
              pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
              description: "a scenario name: lowercase letters, digits and '-'",
              default: 'good',
            },
          },
        },
      },
    },
    central: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        mode: { type: 'string', enum: ['embedded', 'remote'], default: 'embedded' },
        url: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'an http:// or https:// URL' },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 2000 },
        tlsCa: { type: 'string', minLength: 1, description: 'a PEM file path' },
        statementCertificates: { type: 'string', minLength: 1, description: 'a PEM file path' },
      },
      if: { required: ['mode'], properties: { mode: { const: 'remote' } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: {
        required: ['url', 'tlsCa', 'statementCertificates'],
        properties: { url: { type: 'string', pattern: '^https://[^\\s]+$', description: 'an https:// URL' } },
      },
    },
    uploader: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        concurrency: { type: 'integer', minimum: 1, maximum: 16, default: 2 },
        chunkSizeBytes: { type: 'integer', minimum: 16384, maximum: 67108864, default: 262144 },
        bandwidthLimitBytesPerSecond: { type: 'integer', minimum: 0, default: 0 },
        backoff: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            initialMs: { type: 'integer', minimum: 10, maximum: 600000, default: 1000 },
            maxMs: { type: 'integer', minimum: 100, maximum: 86400000, default: 300000 },
          },
        },
      },
    },
    outbox: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        retentionDays: { type: 'integer', minimum: 1, maximum: 3650, default: 30 },
        reserveMiB: { type: 'integer', minimum: 0, default: 2048 },
        maxWaiting: { type: 'integer', minimum: 1, default: 5000 },
        maxDaysOffline: { type: 'integer', minimum: 1, maximum: 365, default: 7 },
      },
    },
    simulators: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // No default here: it follows the environment (true in test, false in production); see load.ts.
        routes: { type: 'boolean' },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // No default here: it follows the environment (false in test, true in production); see load.ts.
        required: { type: 'boolean' },
        idleLockMinutes: { type: 'integer', minimum: 1, maximum: 240, default: 10 },
        sessionHours: { type: 'integer', minimum: 1, maximum: 24, default: 12 },
        maxFailures: { type: 'integer', minimum: 3, maximum: 100, default: 10 },
        lockoutMinutes: { type: 'integer', minimum: 0, maximum: 1440, default: 15 },
        allowedHosts: {
          type: 'array',
          maxItems: 32,
          uniqueItems: true,
          default: [],
          items: {
            type: 'string',
            pattern: '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$',
            description: 'a lowercase host name or IPv4 address, without port',
          },
        },
      },
    },
    enrollment: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        idleWipeMinutes: { type: 'integer', minimum: 5, maximum: 1440, default: 120 },
        approval: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            onExceptions: { type: 'boolean', default: true },
            belowScore: { type: 'integer', minimum: 0, maximum: 100, default: 40 },
            onCorrection: { type: 'boolean', default: true },
          },
        },
        receipt: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            workingDays: { type: 'integer', minimum: 0, maximum: 90, default: 7 },
            holidays: {
              type: 'array',
              maxItems: 400,
              uniqueItems: true,
              default: [],
              items: {
                type: 'string',
                pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$',
                description: 'a date, YYYY-MM-DD',
              },
            },
            keepHours: { type: 'integer', minimum: 1, maximum: 720, default: 24 },
          },
        },
      },
    },
    hotpath: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        workers: { type: 'integer', minimum: 0, maximum: 64, default: 0 },
        hardLimitMs: { type: 'integer', minimum: 1000, maximum: 600000, default: 30000 },
      },
    },
  },
} as const;
