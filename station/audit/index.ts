/** The station's audit trail (issue 21, Build 8): see README.md in this folder. */
export {
  type AnchorStore,
  anchorFile,
  auditDir,
  openAnchorStore,
  readAnchorFile,
  type StoredAnchor,
} from './anchor.ts';
export { AuditError, type AuditErrorCode } from './errors.ts';
export {
  AUDIT_KEY_BYTES,
  auditKeyFile,
  openAuditKey,
  type Pseudonymise,
  pseudonymiser,
} from './pseudonym.ts';
export { openCheckpointSigner } from './signer.ts';
export {
  type AuditEvent,
  type AuditTrail,
  auditLogFile,
  type CheckpointPolicy,
  DEFAULT_CHECKPOINT_POLICY,
  nodeSha256,
  type OpenAuditTrailOptions,
  openAuditTrail,
} from './trail.ts';
export {
  type AuditLogVerification,
  type StationAuditReport,
  storeCertificates,
  verifyAuditLogFile,
  verifyStationAudit,
} from './verify.ts';
