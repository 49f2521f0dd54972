/** Station keys (issue 17): see README.md in this folder. */
export { describeCertificate, fingerprintSha256, readCertificateFile } from './certificate.ts';
export { KeyError, type KeyErrorCode } from './errors.ts';
export { isPkcs11Uri, parsePkcs11Uri, redactPkcs11Uri } from './pkcs11-uri.ts';
export {
  createCsr,
  createFileKey,
  type DecryptionKey,
  openDecryptionKey,
  openStationKey,
  packetDecryptor,
  packetSigner,
  type StationKey,
} from './station-key.ts';
export {
  createStationCsr,
  describeKeyStore,
  installStationCertificate,
  keyStoreDir,
  openPacketDecryptor,
  openPacketSigner,
  openStoreSigner,
} from './store.ts';
