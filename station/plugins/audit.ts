/**
 * The audit trail for the administrator's screen (issue 21, Build 8; issue 22's admin screens):
 *
 *   GET  /audit          where the chain stands now: its head (seq and hash)
 *   POST /audit/verify   verifies the whole log now, as `station audit verify` does with its
 *                        defaults: hash chain, signed checkpoints against the key store, the anchor
 *                        central echoed, the station's own verified mark; answers the summary
 *
 * Both need an administrator's session when the station has accounts. Verifying reads the whole
 * log (streamed), so it is an explicit action, not something the screen polls.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditAnchor } from '../../protocol/audit/entry.ts';
import { NO_BODY, NO_QUERY, openObject, responses } from '../api-schema.ts';
import type { StationAuditReport } from '../audit/verify.ts';

export interface AuditRoutesOptions {
  /** The open trail's head. */
  readonly head: () => AuditAnchor;
  /** Verifies the station's log (station/audit/verify.ts verifyStationAudit on its data folder). */
  readonly verify: () => Promise<StationAuditReport>;
  /** Runs before both routes (station/auth's requireSession for administrators). */
  readonly preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const ANCHOR = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'head'],
  properties: { seq: { type: 'integer', minimum: 0 }, head: { type: 'string' } },
} as const;

export function auditRoutes(options: AuditRoutesOptions): FastifyPluginAsync {
  const guard = options.preHandler === undefined ? {} : { preHandler: options.preHandler };
  return async (app) => {
    app.get(
      '/audit',
      {
        ...guard,
        schema: {
          tags: ['audit'],
          summary: "Where the audit trail's hash chain stands now (its head)",
          querystring: NO_QUERY,
          response: responses({
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['head'],
              properties: { head: ANCHOR },
            },
          }),
        },
      },
      async () => {
        const { seq, head } = options.head();
        return { head: { seq, head } };
      },
    );

    app.post(
      '/audit/verify',
      {
        ...guard,
        schema: {
          tags: ['audit'],
          summary:
            'Verify the whole audit log now (chain, checkpoint signatures, central anchor, verified mark)',
          querystring: NO_QUERY,
          body: NO_BODY,
          response: responses({
            200: openObject(
              'intact, entries, head, anchor (held), checkpoints, verifiedMark (held), break, tornTail',
              { intact: { type: 'boolean' }, entries: { type: 'integer' } },
            ),
          }),
        },
      },
      async (request) => {
        const report = await options.verify();
        request.log.info(
          { intact: report.intact, entries: report.entries },
          'audit trail verified on request',
        );
        return report;
      },
    );
  };
}
