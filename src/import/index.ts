/** Import of masscan / zmap / nmap discovery results, every address checked against the scope. */
export type { DiscoveryEvent } from './events.ts';
export {
  DISCOVERY_FORMATS,
  type DiscoveredEndpoint,
  type DiscoveryFormat,
  ImportFormatError,
  type ImportOptions,
  type ImportProblem,
  type ImportResult,
  type StreamItem,
  detectFormat,
  importDiscovery,
  importDiscoveryFile,
  importDiscoveryText,
  parseDiscovery,
  streamDiscovery,
} from './import.ts';
export { parseMasscanJson, parseMasscanList } from './masscan.ts';
export { parseZmapCsv, parseZmapList } from './zmap.ts';
export { parseNmapXml, xmlTokens } from './nmap-xml.ts';
