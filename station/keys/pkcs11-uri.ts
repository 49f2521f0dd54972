/**
 * PKCS#11 URIs (RFC 7512) naming the station's key in a token, and where its PIN comes from.
 *
 *   pkcs11:token=station;object=station-sign?pin-source=file:/etc/cccd-station/pin
 *
 * Path attributes (RFC 7512 §2.3) select the token (`token` label, `manufacturer`, `model`, `serial`,
 * `slot-id`) and the key (`object` = CKA_LABEL, `id` = CKA_ID, `type` = `private` when given).
 * Query attributes: `pin-value` (the PIN itself; for tests), `pin-source` (`file:PATH`, a file holding
 * the PIN, mode 0600; or `env:NAME`, an environment variable: our extension), `module-path` (the
 * token's PKCS#11 library). With neither pin attribute the PIN is read from STATION_PKCS11_PIN; with
 * no module-path the library is STATION_PKCS11_MODULE, else Debian's SoftHSM2.
 *
 * A PIN is never logged or stored: `redactPkcs11Uri` masks `pin-value` wherever a URI is shown, and
 * the key store keeps the URI without it.
 */
import { KeyError } from './errors.ts';

export const PKCS11_PIN_ENV = 'STATION_PKCS11_PIN';
export const PKCS11_MODULE_ENV = 'STATION_PKCS11_MODULE';
/** Debian 12's SoftHSM2 (apt package softhsm2). */
export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export type PinSource =
  | { readonly kind: 'value'; readonly pin: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string };

export interface Pkcs11Uri {
  /** Token selection: every given attribute must match (CK_TOKEN_INFO, blank-padded fields trimmed). */
  readonly token?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly slotId?: number;
  /** The key's CKA_LABEL. */
  readonly object?: string;
  /** The key's CKA_ID. */
  readonly id?: Uint8Array;
  readonly pinSource: PinSource;
  /** Path of the PKCS#11 library (.so). */
  readonly modulePath: string;
}

const PATH_ATTRIBUTES = new Set([
  'token',
  'manufacturer',
  'model',
  'serial',
  'slot-id',
  'object',
  'id',
  'type',
]);
const QUERY_ATTRIBUTES = new Set(['pin-value', 'pin-source', 'module-path', 'module-name']);

export function isPkcs11Uri(location: string): boolean {
  return location.startsWith('pkcs11:');
}

function invalid(message: string): KeyError {
  return new KeyError(
    'PKCS11_URI_INVALID',
    `${message}; expected e.g. pkcs11:token=station;object=station-sign (RFC 7512)`,
  );
}

/** RFC 3986 percent-decoding to bytes (RFC 7512 §2.3: values are pct-encoded). */
function pctDecode(text: string, attribute: string): Uint8Array {
  const out = new Uint8Array(text.length);
  const raw = new TextEncoder().encode(text);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] ?? 0;
    if (byte === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`'${attribute}' has a malformed %-escape`);
      out[n++] = Number.parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = byte;
    }
  }
  return out.slice(0, n);
}

function pctDecodeText(text: string, attribute: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(pctDecode(text, attribute));
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw invalid(`'${attribute}' is not UTF-8 after %-decoding`);
  }
}

function splitAttributes(part: string, separator: string, allowed: Set<string>, where: string) {
  const values = new Map<string, string>();
  if (part === '') return values;
  for (const item of part.split(separator)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(`${where} attribute '${item}' has no name=value`);
    const name = item.slice(0, eq).toLowerCase();
    if (!allowed.has(name) && !name.startsWith('x-'))
      throw invalid(`${where} attribute '${name}' is not one the station understands`);
    // RFC 7512 §2.3: an attribute may appear at most once in the path; we hold the query to it too.
    if (values.has(name)) throw invalid(`attribute '${name}' is given twice`);
    values.set(name, item.slice(eq + 1));
  }
  return values;
}

/**
 * Parses a key's `pkcs11:` URI.
 * @param env supplies the defaults (module path) when the URI does not name them.
 * @throws {KeyError} PKCS11_URI_INVALID naming the offending attribute.
 */
export function parsePkcs11Uri(text: string, env: NodeJS.ProcessEnv = {}): Pkcs11Uri {
  if (!isPkcs11Uri(text)) throw invalid(`'${redactPkcs11Uri(text)}' does not start with 'pkcs11:'`);
  const body = text.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const pathPart = q < 0 ? body : body.slice(0, q);
  const queryPart = q < 0 ? '' : body.slice(q + 1);
  const pathValues = splitAttributes(pathPart, ';', PATH_ATTRIBUTES, 'path');
  const query = splitAttributes(queryPart, '&', QUERY_ATTRIBUTES, 'query');

  const text_ = (name: string, from = pathValues) => {
    const raw = from.get(name);
    return raw === undefined ? undefined : pctDecodeText(raw, name);
  };
  const type = text_('type');
  if (type !== undefined && type !== 'private')
    throw invalid(`type=${type} names no private key; use type=private or leave it out`);
  const slotText = text_('slot-id');
  if (slotText !== undefined && !/^\d{1,10}$/.test(slotText))
    throw invalid(`slot-id must be a decimal number, got '${slotText}'`);
  const idRaw = pathValues.get('id');
  const id = idRaw === undefined ? undefined : pctDecode(idRaw, 'id');
  const object = text_('object');
  if (object === undefined && id === undefined)
    throw invalid('the URI names no key: give object=LABEL or id=%xx');
  const token = text_('token');
  const serial = text_('serial');
  if (token === undefined && serial === undefined && slotText === undefined)
    throw invalid('the URI names no token: give token=LABEL, serial= or slot-id=');
  if (query.has('module-name'))
    throw invalid('module-name is not supported: give module-path=/path/to/module.so');

  const pinValue = query.get('pin-value');
  const pinSourceText = text_('pin-source', query);
  if (pinValue !== undefined && pinSourceText !== undefined)
    throw invalid('give either pin-value or pin-source, not both');
  let pinSource: PinSource;
  if (pinValue !== undefined) {
    pinSource = { kind: 'value', pin: pctDecodeText(pinValue, 'pin-value') };
  } else if (pinSourceText !== undefined) {
    if (pinSourceText.startsWith('file:')) {
      // RFC 8089: file:/abs/path or file:///abs/path; a bare relative path is kept as given.
      const filePath = pinSourceText.replace(/^file:(\/\/(?=\/))?/, '');
      if (filePath === '') throw invalid('pin-source=file: names no file');
      pinSource = { kind: 'file', path: filePath };
    } else if (pinSourceText.startsWith('env:')) {
      const name = pinSourceText.slice(4);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(`pin-source=env:${name} is no variable name`);
      pinSource = { kind: 'env', name };
    } else {
      throw invalid("pin-source must be 'file:/path/to/pin' or 'env:VARIABLE'");
    }
  } else {
    pinSource = { kind: 'env', name: PKCS11_PIN_ENV };
  }
  const modulePath = text_('module-path', query) ?? nonEmpty(env[PKCS11_MODULE_ENV]) ?? SOFTHSM2_MODULE;

  return {
    ...(token === undefined ? {} : { token }),
    ...(text_('manufacturer') === undefined ? {} : { manufacturer: text_('manufacturer') }),
    ...(text_('model') === undefined ? {} : { model: text_('model') }),
    ...(serial === undefined ? {} : { serial }),
    ...(slotText === undefined ? {} : { slotId: Number(slotText) }),
    ...(object === undefined ? {} : { object }),
    ...(id === undefined ? {} : { id }),
    pinSource,
    modulePath,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The URI with any `pin-value` masked, for messages, logs and `station keys show`. */
export function redactPkcs11Uri(text: string): string {
  return text.replace(/([?&;]pin-value=)[^&]*/gi, '$1***');
}

/** The URI without its `pin-value` attribute: what the key store keeps. */
export function withoutPinValue(text: string): string {
  const q = text.indexOf('?');
  if (q < 0) return text;
  const kept = text
    .slice(q + 1)
    .split('&')
    .filter((item) => !item.toLowerCase().startsWith('pin-value='));
  return kept.length === 0 ? text.slice(0, q) : `${text.slice(0, q)}?${kept.join('&')}`;
}

/** A short, PIN-free description of where the key is: `token "station", object "station-sign"`. */
export function describePkcs11Key(uri: Pkcs11Uri): string {
  const token = uri.token ?? (uri.serial === undefined ? `slot ${uri.slotId}` : `serial ${uri.serial}`);
  const key = uri.object ?? `id ${Buffer.from(uri.id ?? new Uint8Array()).toString('hex')}`;
  return `token "${token}", object "${key}"`;
}
