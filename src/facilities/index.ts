/** Facility registry: who owns which addresses; the authorised scope and the targets of a scan. */
export {
  type Facility,
  type FacilityHost,
  type FacilityRange,
  FacilityRegistry,
  RegistryError,
  type RegistryFormat,
  type RegistryIssue,
  facilityFor,
  formatIssue,
  loadRegistry,
  parseRegistry,
  scopeOf,
  targetsOf,
} from './registry.ts';
export { CsvError, type CsvRecord, parseCsv } from './csv.ts';
