import { toJson as protoToJson } from '@bufbuild/protobuf';
import { chatMessage, createRouterClient, router, common } from '@switchyard/sdk';
import type { Command } from 'commander';
import { formatTable, formatUsd, toJson } from '../output';
import { resolveConnection } from '../stack-discovery';

interface ConnectionFlags {
  router?: string;
  apiKey?: string;
  json?: boolean;
  model?: string;
  project?: string;
  tag?: string[];
}

function withConnectionFlags(command: Command): Command {
  return command
    .option('--router <address>', 'router address HOST:PORT (default: .switchyard/stack.json)')
    .option('--api-key <key>', 'API key (default: SWITCHYARD_API_KEY or the local demo key)')
    .option('--json', 'print JSON for scripts');
}

function requestFor(prompt: string, flags: ConnectionFlags) {
  return {
    messages: [chatMessage('user', prompt)],
    model: flags.model ?? '',
    context: { project: flags.project ?? '', featureTags: flags.tag ?? [] },
  };
}

function describeRoute(route: common.RouteDecision | undefined): string {
  if (!route?.chosen) return 'no route';
  const fallbacks = route.fallbacks > 0 ? ` after ${route.fallbacks} fallback(s)` : '';
  return `${route.chosen.provider}/${route.chosen.model} (${route.rule}${fallbacks}): ${route.reason}`;
}

/** `chat`, `explain` and `models`: the router from the command line. */
export function registerRouterCommands(program: Command): void {
  withConnectionFlags(program.command('chat').description('send a prompt through the router and stream the answer'))
    .argument('<prompt>', 'the prompt')
    .option('--model <model>', 'pin a model or alias (default: let the router choose)')
    .option('--project <project>', 'project to attribute the cost to')
    .option('--tag <tag...>', 'feature tags')
    .action(async (prompt: string, flags: ConnectionFlags) => {
      const connection = resolveConnection('router', { address: flags.router, apiKey: flags.apiKey });
      const client = createRouterClient(connection.address, { apiKey: connection.apiKey });
      try {
        let final: router.StreamFinal | undefined;
        for await (const event of client.streamGenerate(requestFor(prompt, flags))) {
          if (event.event.case === 'delta' && !flags.json) process.stdout.write(event.event.value.text);
          if (event.event.case === 'final') final = event.event.value;
        }
        if (flags.json) {
          console.log(JSON.stringify(protoToJson(router.StreamFinalSchema, final!), null, 2));
          return;
        }
        const usage = final?.usage;
        process.stdout.write('\n\n');
        console.log(`model    ${final?.responseModel}`);
        console.log(`route    ${describeRoute(final?.route)}`);
        console.log(`tokens   ${usage?.inputTokens ?? 0n} in, ${usage?.outputTokens ?? 0n} out`);
        console.log(`cost     ${formatUsd(final?.cost?.nanosUsd ?? 0n)} (baseline ${formatUsd(final?.cost?.baselineNanosUsd ?? 0n)})`);
        console.log(`trace    ${final?.traceId || '(tracing off)'}`);
        console.log(`request  ${final?.requestId}`);
      } finally {
        client.close();
      }
    });

  withConnectionFlags(program.command('explain').description('show which model the router would choose and why (no model is called)'))
    .argument('<prompt>', 'the prompt')
    .option('--model <model>', 'pin a model or alias')
    .option('--project <project>', 'project')
    .option('--tag <tag...>', 'feature tags')
    .action(async (prompt: string, flags: ConnectionFlags) => {
      const connection = resolveConnection('router', { address: flags.router, apiKey: flags.apiKey });
      const client = createRouterClient(connection.address, { apiKey: connection.apiKey });
      try {
        const explanation = await client.explainRoute(requestFor(prompt, flags));
        if (flags.json) return console.log(JSON.stringify(protoToJson(router.ExplainRouteResponseSchema, explanation), null, 2));
        const route = explanation.route;
        const c = route?.classification;
        console.log(`chosen      ${describeRoute(route)}`);
        console.log(`classified  ${common.TaskClass[c?.taskClass ?? 0]} difficulty=${c?.difficulty.toFixed(2)} safety=${c?.safetySensitive} (${c?.classifierVersion})`);
        console.log(`max hold    ${formatUsd(explanation.estimatedMaxCostNanosUsd)} for ~${explanation.estimatedInputTokens} input tokens\n`);
        console.log(
          formatTable(
            ['candidate', 'eligible', 'quality', 'expected cost', 'note'],
            (route?.candidates ?? []).map((candidate) => [
              `${candidate.model?.provider}/${candidate.model?.model}`,
              candidate.eligible ? 'yes' : 'no',
              candidate.expectedQuality.toFixed(3),
              formatUsd(candidate.expectedCostNanosUsd),
              candidate.exclusionReason || candidate.qualitySource,
            ]),
          ),
        );
      } finally {
        client.close();
      }
    });

  withConnectionFlags(program.command('models').description('list the models your team may use')).action(async (flags: ConnectionFlags) => {
    const connection = resolveConnection('router', { address: flags.router, apiKey: flags.apiKey });
    const client = createRouterClient(connection.address, { apiKey: connection.apiKey });
    try {
      const models: router.RoutableModel[] = [];
      let pageToken = '';
      do {
        const page = await client.listModels({ pageSize: 100, pageToken });
        models.push(...page.models);
        pageToken = page.nextPageToken;
      } while (pageToken);
      if (flags.json) return console.log(toJson(models.map((m) => protoToJson(router.RoutableModelSchema, m))));
      console.log(
        formatTable(
          ['model', 'deployment', 'available', 'context', 'input $/M', 'output $/M', 'capacity $/h'],
          models.map((m) => [
            `${m.info?.ref?.provider}/${m.info?.ref?.model}`,
            m.info?.ref?.deployment ?? '',
            m.available ? 'yes' : `no (${m.unavailableReason})`,
            String(m.info?.capabilities?.contextWindowTokens ?? ''),
            formatUsd((m.info?.price?.inputNanosUsdPerMtok ?? 0n)),
            formatUsd((m.info?.price?.outputNanosUsdPerMtok ?? 0n)),
            formatUsd((m.info?.price?.capacityNanosUsdPerHour ?? 0n)),
          ]),
        ),
      );
    } finally {
      client.close();
    }
  });
}
