/** TLS facts of an HTTPS connection, in the same shape and from the same builder as the DICOM transport's. */
export type { CertificateFacts, TlsFacts } from '../association/transport.ts';
export { tlsFactsOf as tlsFactsOfSocket } from '../association/transport.ts';
