// The Serverless Framework plugin (CommonJS, as osls/serverless v3 `require` plugins). The agent's
// code is ESM, so every hook imports it lazily; constructing the plugin loads nothing else.
import type { CliOptions, TargetName } from "./hooks.js";
import type { OfflineAgent } from "./offline-agent.js";
import type { ServerlessLike } from "./serverless-types.js";

interface Serverless extends ServerlessLike {
  classes: { Error: new (message: string, code?: string) => Error };
  configSchemaHandler?: {
    defineFunctionEvent(provider: string, event: string, schema: object): void;
    defineCustomProperties(schema: object): void;
  };
}

interface PluginUtils {
  writeText?: (text: string) => void;
  log?: { notice(text: string): void; warning(text: string): void };
}

const loadHooks = () => import("./hooks.js");

class AmqpLambdaAgentPlugin {
  readonly commands = {
    "amqp-agent": {
      usage: "amqp-lambda-agent: RabbitMQ (amqp) events for Lambda functions",
      commands: {
        print: {
          usage: "Print the agent config generated from the amqp events (passwords redacted)",
          lifecycleEvents: ["print"],
          options: {
            target: { usage: 'Which config: "offline" (default) or "fargate"', type: "string" },
          },
        },
      },
    },
  };

  readonly hooks: Record<string, () => Promise<void>>;
  private agent: OfflineAgent | undefined;
  private readonly stopWaiting = new AbortController();

  constructor(
    private readonly serverless: Serverless,
    private readonly cliOptions: CliOptions,
    private readonly utils: PluginUtils = {},
  ) {
    // Loose on purpose: the agent's own config loader validates the fields, with the CLI's messages.
    serverless.configSchemaHandler?.defineFunctionEvent("aws", "amqp", {
      type: "object",
      description:
        "An amqp-lambda-agent consumer: async/amqp, consumer, connection and backend/lambda fields",
    });
    serverless.configSchemaHandler?.defineCustomProperties({
      properties: { amqpLambdaAgent: { type: "object" } },
    });
    this.hooks = {
      "amqp-agent:print:print": () => this.run((hooks) => this.print(hooks)),
      // Validate before osls zips the functions; add the resources once the functions are compiled.
      "before:package:initialize": () => this.run((hooks) => void hooks.generate(this.serverless, "fargate")),
      "package:compileEvents": () => this.run((hooks) => this.compile(hooks)),
      // osls then saves the whole resolved service (custom included) to serverless-state.json.
      "before:aws:package:finalize:saveServiceState": () =>
        this.run((hooks) => hooks.scrubServiceState(this.serverless)),
      // `serverless offline start`: the Lambda server is up once offline's own init hook is done.
      "after:offline:start:init": () => this.run((hooks) => this.startAgent(hooks)),
      "before:offline:start:end": () => this.stopAgent(),
      // `serverless offline`: offline starts, waits and exits inside one hook; start beside it.
      "before:offline:start": () => this.run((hooks) => this.startAgentWhenServing(hooks)),
    };
  }

  private async run(step: (hooks: Awaited<ReturnType<typeof loadHooks>>) => void | Promise<void>) {
    const hooks = await loadHooks();
    try {
      await step(hooks);
    } catch (error) {
      throw new this.serverless.classes.Error(
        `amqp-lambda-agent: invalid configuration: ${hooks.errorMessage(error)}`,
        "AMQP_LAMBDA_AGENT_CONFIG",
      );
    }
  }

  private print(hooks: Awaited<ReturnType<typeof loadHooks>>): void {
    const text = hooks.printConfig(this.serverless, this.cliOptions);
    if (this.utils.writeText) this.utils.writeText(text);
    else process.stdout.write(`${text}\n`);
  }

  private compile(hooks: Awaited<ReturnType<typeof loadHooks>>): void {
    const added = hooks.compileDeployResources(this.serverless);
    if (added.length > 0) this.utils.log?.notice(`amqp-lambda-agent: added ${added.join(", ")}`);
  }

  private startAgent(hooks: Awaited<ReturnType<typeof loadHooks>>): void {
    this.agent ??= hooks.startOfflineAgent(this.serverless, this.cliOptions);
  }

  private async startAgentWhenServing(hooks: Awaited<ReturnType<typeof loadHooks>>): Promise<void> {
    // Validate now (a bad event fails the command), start once the Invoke API answers.
    hooks.generate(this.serverless, "offline" satisfies TargetName, this.cliOptions);
    const endpoint = hooks.offlineEndpoint(this.serverless, this.cliOptions);
    const { waitForHttp } = await import("./wait-for-port.js");
    waitForHttp(endpoint, 120_000, this.stopWaiting.signal)
      .then((up) => {
        if (up && !this.stopWaiting.signal.aborted) this.startAgent(hooks);
      })
      .catch((error: unknown) => this.utils.log?.warning(`amqp-lambda-agent: not started: ${String(error)}`));
  }

  private async stopAgent(): Promise<void> {
    this.stopWaiting.abort();
    const agent = this.agent;
    this.agent = undefined;
    if (agent) await agent.stop();
  }
}

export = AmqpLambdaAgentPlugin;
