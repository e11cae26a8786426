import { LambdaClient } from "@aws-sdk/client-lambda";

/** CPU µs per call of the SDK's memoized default credential provider (static keys from the environment). */
export async function credentialProviderMicros(endpoint: string): Promise<number> {
  const client = new LambdaClient({ endpoint, region: "us-east-1" });
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench" });
  try {
    await client.config.credentials();
    const n = 100_000;
    const started = process.cpuUsage();
    for (let i = 0; i < n; i += 1) await client.config.credentials();
    const cpu = process.cpuUsage(started);
    return (cpu.user + cpu.system) / n;
  } finally {
    for (const [key, value] of [
      ["AWS_ACCESS_KEY_ID", saved.id],
      ["AWS_SECRET_ACCESS_KEY", saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    client.destroy();
  }
}
