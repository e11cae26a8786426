import amqplib, { type ChannelModel } from "amqplib";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import { nodeAddress, socketOptions, type TlsMaterial } from "./connect-options.js";

/** One connection to the first node of the list that answers (for one-off commands such as redrive). */
export async function connectAnyNode(config: AgentConfig, tls: TlsMaterial): Promise<ChannelModel> {
  const errors: string[] = [];
  for (const url of config.amqp.urls) {
    try {
      const model = await amqplib.connect(url, socketOptions(config, url, tls));
      model.on("error", () => undefined);
      return model;
    } catch (error) {
      errors.push(`${nodeAddress(url)}: ${toError(error).message}`);
    }
  }
  throw new Error(`no broker node answered (${errors.join("; ")})`);
}
