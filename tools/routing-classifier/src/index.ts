/**
 * @switchyard/routing-classifier — training, evaluation and scoring tools for the learned routing
 * classifier of `@switchyard/classifier`.
 */
export { scoreJsonl } from './score-file';
export {
  apgrAtQuantileCutoffs,
  callsToReach,
  curveMetrics,
  prepareRoutingOrder,
  routingCurve,
  routingMetrics,
  type RoutingCurve,
  type RoutingMetrics,
  type RoutingOrder,
  type RoutingTable,
} from './metrics';
export { evaluateRouters, type GroupEvaluation, type RouterScores } from './router-evaluation';
export { parseRoutingRow, readRoutingData, type RoutingRow } from './routing-data';
export { isValidationId, splitRoutingRows } from './data-split';
