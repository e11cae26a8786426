import { randomBytes } from "node:crypto";
import { rabbitmqctl } from "./broker.js";

/** A broker user of its own with a distinctive password, so that tests can scan output for it. */
export interface BrokerUser {
  name: string;
  password: string;
  remove(): Promise<void>;
}

/**
 * `rabbitmqctl add_user <prefix>-<random> <random>` with permissions on vhost `/` (configure, write,
 * read regular expressions; full by default).
 */
export async function createBrokerUser(
  prefix: string,
  permissions: { configure: string; write: string; read: string } = {
    configure: ".*",
    write: ".*",
    read: ".*",
  },
): Promise<BrokerUser> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  // Hex only: safe in a URL without escaping, and long enough never to occur by chance.
  const password = `pw${randomBytes(16).toString("hex")}`;
  await rabbitmqctl("add_user", name, password);
  await rabbitmqctl(
    "set_permissions",
    "-p",
    "/",
    name,
    permissions.configure,
    permissions.write,
    permissions.read,
  );
  return {
    name,
    password,
    remove: async () => {
      await rabbitmqctl("delete_user", name);
    },
  };
}
