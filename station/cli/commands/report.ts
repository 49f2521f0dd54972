/**
 * `station report verify --in r.json [--cms r.p7s] --trust csca/ --station-ca ca.crt`: checks a
 * notary's verification report without trusting the station that made it.
 *
 * 1. The CMS SignedData (station/reports/cms.ts): signature, messageDigest, the station
 *    certificate's chain to --station-ca, signingTime within its validity; its encapsulated content
 *    must be the --in file byte for byte, and its officerId attribute the report's officer.
 * 2. The chip checks, redone from the report's evidence (station/reports/redo.ts): the SOD's
 *    signature by the document signer, the signer's chain to a CSCA in --trust, the data groups'
 *    hashes against the SOD, Active Authentication over the challenge with DG15's key.
 *
 * Prints JSON `{ ok, signature, report, checks: [{ check, outcome, detail }] }`. Exit 0 when the
 * signature and every redone check pass; 1 with what failed (a report of an altered or cloned card
 * fails its chip checks, as it should); 2 for a wrong command line.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTrustStoreFolder } from '../../../drivers/crypto/pa-node.ts';
import { createNodePacketCrypto } from '../../../drivers/crypto/packet-node.ts';
import { PACKET_MESSAGES } from '../../../protocol/packet/open.ts';
import { verifyReportSignature } from '../../reports/cms.ts';
import { redoChipChecks } from '../../reports/redo.ts';
import { decodeReport } from '../../reports/verification-report.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Certificates of a PEM or DER file, DER. */
function certificatesOf(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  const pem = [...text.matchAll(PEM)].map(
    (m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')),
  );
  return pem.length > 0 ? pem : [bytes];
}

const verifyCommand: Command = {
  name: 'verify',
  summary: "Check a verification report's signature and redo its chip checks",
  help: `Usage: station report verify --in REPORT.json [--cms REPORT.p7s] --trust CSCA_DIR --station-ca CA.crt

Checks the CMS signature of a notary's verification report (the station key, chained to
--station-ca; the encapsulated content must be REPORT.json byte for byte), then redoes the chip
checks from the evidence the report carries: EF.SOD's signature by the document signer, the signer's
chain to a CSCA in CSCA_DIR (PEM/DER certificates, master lists), the data groups' hashes against
EF.SOD, and Active Authentication (the chip's signature over the challenge with DG15's key). The face
and fingerprint results are the station's claim and are not re-checked.
  --in FILE          the report JSON (as GET /verifications/:id/report.json served it)
  --cms FILE         its CMS SignedData, DER (default: --in with .p7s for .json)
  --trust DIR        CSCA trust-store folder
  --station-ca FILE  the station CA certificate(s), PEM or DER

Prints { ok, signature, report, checks }. Exit 0 when everything passes, 1 with what failed, 2 for a
wrong command line.`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        cms: { type: 'string' },
        trust: { type: 'string' },
        'station-ca': { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.in === undefined) throw new UsageError('--in is required');
    if (values.trust === undefined) throw new UsageError('--trust is required');
    if (values['station-ca'] === undefined) throw new UsageError('--station-ca is required');
    const resolve = (file: string) => path.resolve(io.cwd, file);
    const inFile = resolve(values.in);
    const cmsFile = resolve(values.cms ?? inFile.replace(/\.json$/i, '.p7s'));
    if (cmsFile === inFile) throw new UsageError('--cms is required when --in does not end in .json');
    const [jsonBytes, cmsBytes, caBytes] = await Promise.all(
      [inFile, cmsFile, resolve(values['station-ca'])].map(async (f) => new Uint8Array(await readFile(f))),
    );
    if (jsonBytes === undefined || cmsBytes === undefined || caBytes === undefined)
      throw new Error('unreachable');
    const failures: string[] = [];
    const crypto = createNodePacketCrypto();
    const signed = await verifyReportSignature(cmsBytes, certificatesOf(caBytes), crypto);
    let signature: Record<string, unknown>;
    if (!signed.ok) {
      const message = PACKET_MESSAGES[signed.rejection.kind];
      signature = { ok: false, rejection: signed.rejection, message };
      failures.push(`signature: ${signed.rejection.kind} (${message.en})`);
    } else {
      const sameBytes = Buffer.compare(Buffer.from(signed.value.eContent), Buffer.from(jsonBytes)) === 0;
      signature = {
        ok: sameBytes,
        signer: signed.value.signer,
        signingTime: new Date(signed.value.signingTime).toISOString(),
        officerId: signed.value.officerId ?? null,
        environment: signed.value.environment ?? null,
        contentMatchesFile: sameBytes,
      };
      if (!sameBytes)
        failures.push('signature: the signed content is not the --in file (the report was altered)');
    }
    const decoded = decodeReport(jsonBytes);
    if (!decoded.ok) {
      failures.push(`report: ${decoded.problem}`);
      io.stdout(json({ ok: false, signature, report: null, checks: [], failures }));
      io.stderr(`station report verify: REPORT_INVALID: ${failures.join('; ')}\n`);
      return EXIT_FAILED;
    }
    const report = decoded.report;
    if (signed.ok && signed.value.officerId !== report.officer.id)
      failures.push(
        `signature: the signed officer (${signed.value.officerId ?? 'none'}) is not the report's (${report.officer.id})`,
      );
    const at = signed.ok ? signed.value.signingTime : Date.parse(report.createdAt);
    const trust = await loadTrustStoreFolder(resolve(values.trust), { clock: { now: () => at } });
    const checks = await redoChipChecks(report, trust.trustStore, at);
    for (const c of checks) if (c.outcome === 'failed') failures.push(`${c.check}: ${c.detail}`);
    const ok = failures.length === 0;
    io.stdout(
      json({
        ok,
        signature,
        report: {
          reportId: report.reportId,
          verdict: report.verdict.code,
          officer: report.officer.id,
          createdAt: report.createdAt,
        },
        checks,
        failures,
      }),
    );
    if (!ok) io.stderr(`station report verify: REPORT_NOT_VERIFIED: ${failures.join('; ')}\n`);
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};

export const reportCommand: Command = {
  name: 'report',
  summary: "Notary verification reports: check one's signature and redo its chip checks",
  help: 'Usage: station report verify --in REPORT.json --trust CSCA_DIR --station-ca CA.crt',
  subcommands: [verifyCommand],
};
