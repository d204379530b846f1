// @switchyard/stack: the local stack launcher behind `npm start`, and its parts that other tools
// (benchmarks, the CLI) reuse to start services the same way.
export { runStack, type StackOptions, type RunningStack } from './stack';
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process';
export { adapterPlans, billingPlan, corePlans, evaluatorPlan, stackPolicy, toYaml, type ServicePlan, type StackLayout } from './stack-config';
export { ensureStackKeys, type StackKeys } from './stack-keys';
