/** The parts of the Serverless Framework (osls, v3 plugin API) this plugin uses. */
export interface ServerlessFunction {
  name?: string;
  /** Seconds (a number, or a string from a variable). */
  timeout?: unknown;
  events?: Array<Record<string, unknown>>;
}

export interface ServerlessLike {
  service: {
    service?: string;
    custom?: Record<string, unknown>;
    provider: {
      region?: string;
      stage?: string;
      timeout?: unknown;
      compiledCloudFormationTemplate?: {
        Resources: Record<string, unknown>;
        Outputs?: Record<string, unknown>;
      };
    };
    getAllFunctions(): string[];
    getFunction(key: string): ServerlessFunction;
  };
  getProvider?(name: "aws"): {
    getRegion?(): string;
    getStage?(): string;
    naming?: { getLambdaLogicalId(functionKey: string): string };
  };
}

/** A function's `amqp` event, where it sits in serverless.yml. */
export interface AmqpEvent {
  functionKey: string;
  /** Position in the function's `events` list. */
  eventIndex: number;
  /** `functions.<key>.events[<i>].amqp`, for error messages. */
  path: string;
  fields: Record<string, unknown>;
}
