import { createHttpInvoker } from "../../../../src/lambda/invoke/http-invoker.js";
import { createInvoker, type Invoker, type InvokerOptions } from "../../../../src/lambda/invoke/index.js";
import { createKeepAliveAgent } from "../../../../src/lambda/invoke/keep-alive-agent.js";
import { createNodeHttpTransport } from "../../../../src/lambda/invoke/node-http-transport.js";

type Options = Omit<InvokerOptions, "client">;

/** Every way to invoke: the http path on its default transport (undici), on node:http, and the SDK. */
export const INVOKE_PATHS: ReadonlyArray<{ name: string; create: (options: Options) => Invoker }> = [
  { name: "http", create: (options) => createInvoker({ ...options, client: "http" }, {}) },
  {
    name: "http over node:http",
    create: (options) =>
      createHttpInvoker(
        { ...options, client: "http" },
        {},
        {
          createTransport: (target, sockets) =>
            createNodeHttpTransport(createKeepAliveAgent(target.protocol, sockets)),
        },
      ),
  },
  { name: "sdk", create: (options) => createInvoker({ ...options, client: "sdk" }, {}) },
];
