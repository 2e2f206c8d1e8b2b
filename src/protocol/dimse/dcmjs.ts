/**
 * The one way pacsmap imports dcmjs: silenced before anyone can use it.
 *
 * dcmjs 0.52 logs through a bundled loglevel, and some of its messages carry
 * element values ("Truncating value <value> of PatientName…", "Value exceeds
 * max length, vr: PN, value: <value>", "Unknown name in dataset <name> : <value>",
 * "Unsupported character set: <value>"). pacsmap never lets a patient value
 * reach a console, so:
 *
 * - `log.setLevel('silent')` alone is NOT enough: loglevel 1.x does not
 *   propagate a root level change to child loggers created earlier, and dcmjs
 *   creates 'validation.dcmjs' and 'AsyncDicomReader' at module load.
 * - loglevel binds `console.warn` etc. into each logger at setLevel() time, so
 *   a later `log.setLevel('debug')` from anywhere would bring it all back. We
 *   therefore also replace every logger's `methodFactory` with one that returns
 *   a no-op: whatever level is set afterwards, nothing is printed. Loggers
 *   created later copy the root's factory, so they are no-ops too.
 *
 * The logger is a process-wide singleton inside dcmjs, so importing this module
 * once silences dcmjs for every module in the process, including fixtures.
 */
import dcmjs from 'dcmjs';
import type { Logger, LogMethod } from 'dcmjs';

const noop: LogMethod = () => {};

function silence(logger: Logger): void {
  logger.methodFactory = () => noop;
  logger.setLevel('silent', false); // persist=false: never touch storage
}

/** Silences dcmjs's root logger and every child logger it has; idempotent. */
export function silenceDcmjs(): void {
  silence(dcmjs.log);
  for (const child of Object.values(dcmjs.log.getLoggers())) silence(child);
}

silenceDcmjs();

export default dcmjs;
export const {
  DicomMessage,
  DicomDict,
  DicomMetaDictionary,
  ReadBufferStream,
  WriteBufferStream,
  ValueRepresentation,
} = dcmjs.data;
