export { assessEndpoint, assessFacility, defaultKnowledge, judgeHoneypot } from './assess.ts';
export type { EndpointAssessment, FacilityAssessment, Finding, HoneypotVerdict, Knowledge } from './assess.ts';
export {
  assessInputFromEndpoint,
  assessInputFromWebEndpoint,
  retrieveFactsFromProbe,
  webFactsFromWebResult,
} from './input.ts';
export type { AeDiscoveryFacts, AssessExtras, AssessInput, RetrieveFacts, WebFacts } from './input.ts';
export { evaluate, factAt } from './condition.ts';
export { scoreEndpoint, riskModel, loadRiskModel, parseRiskModel } from './risk.ts';
export type { Reason, RiskModel } from './risk.ts';
