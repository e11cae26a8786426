import { createKeepAliveAgent } from "../../../../../bench/keep-alive-agent.js";
import { createNodeHttpTransport } from "../../../../../bench/node-http-transport.js";
import { createHttpInvoker } from "../../../../../src/backends/lambda/invoke/http-invoker.js";
import {
  createInvoker,
  type Invoker,
  type InvokerOptions,
} from "../../../../../src/backends/lambda/invoke/index.js";

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
