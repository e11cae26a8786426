import assert from "node:assert/strict";
import { CONFIG_ENV, LOGICAL_IDS } from "../../../src/serverless/cloudformation-resources.js";
import { compileDeployResources } from "../../../src/serverless/hooks.js";
import { amqpEvent, DEPLOY_CUSTOM, fakeServerless } from "./fake-serverless.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary CloudFormation properties
export type Resource = { Type: string; Properties: Record<string, any> };
export type Statement = { Effect: string; Action: string[]; Resource: unknown };

/** The template of a service with three amqp events on two functions, custom.amqpLambdaAgent = base + overrides. */
export function compile(
  overrides: Record<string, unknown> = {},
  base: Record<string, unknown> = DEPLOY_CUSTOM.amqpLambdaAgent,
) {
  const serverless = fakeServerless(
    {
      orders: { events: [amqpEvent()] },
      "orders-batch": { events: [amqpEvent({ name: "orders-batch" }), amqpEvent({ name: "orders-late" })] },
      probe: {},
    },
    { amqpLambdaAgent: { ...base, ...overrides } },
  );
  const added = compileDeployResources(serverless);
  const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources as Record<
    string,
    Resource
  >;
  const get = (id: string) => {
    const resource = resources[id];
    assert.ok(resource, `${id} is in the template`);
    return resource;
  };
  const container = () => get(LOGICAL_IDS.taskDefinition).Properties.ContainerDefinitions[0];
  const statements = (roleId: string): Statement[] =>
    get(roleId).Properties.Policies.flatMap(
      (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
    );
  const agentConfig = () => {
    const json = container().Environment.find((e: { Name: string }) => e.Name === CONFIG_ENV).Value;
    return JSON.parse(json);
  };
  return { added, resources, get, container, statements, agentConfig };
}
