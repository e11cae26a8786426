// A test and demo function written for Amazon MQ's RabbitMQ event: it reads rmqMessagesByQueue and
// decodes `data` by hand, exactly as a handler deployed behind Amazon MQ's own trigger would.
// Each message body may steer it: {"fail":"always"|"once"|"items"|"timeout"|"until-fixed"|"times",
// "times": n (with "times": fail the first n invocations), "sleepMs": n}
// ("until-fixed" fails until the file PROBE_DIR/<queue>.fixed exists).
// Every invocation is recorded (one JSON line per message) under PROBE_DIR/<queue>.jsonl, with the
// trace context the agent sent (`context.clientContext.custom`, from X-Amz-Client-Context).
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.PROBE_DIR || "/tmp/amqp-lambda-agent-probe";

export const handler = async (event, context) => {
  const clientContext = context?.clientContext?.custom ?? null;
  mkdirSync(dir, { recursive: true });
  const failures = [];
  const invocation = randomUUID();
  let throwNow;
  for (const [key, messages] of Object.entries(event.rmqMessagesByQueue)) {
    const queue = key.split("::")[0];
    for (const message of messages) {
      const text = Buffer.from(message.data, "base64").toString("utf8");
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = { text };
      }
      appendFileSync(
        join(dir, `${queue}.jsonl`),
        `${JSON.stringify({ id: body.id, invocation, deliveryTag: message.deliveryTag, redelivered: message.redelivered, routingKey: message.routingKey, exchange: message.exchange, contentType: message.basicProperties.contentType, batch: messages.length, clientContext, at: Date.now() })}\n`,
      );
      if (body.sleepMs) await new Promise((resolve) => setTimeout(resolve, body.sleepMs));
      if (body.fail === "always") throwNow ??= new Error(`message ${body.id} always fails`);
      if (body.fail === "until-fixed" && !existsSync(join(dir, `${queue}.fixed`))) {
        throwNow ??= new Error(`message ${body.id} fails until the function is fixed`);
      }
      if (body.fail === "items") failures.push({ itemIdentifier: message.deliveryTag });
      if (body.fail === "times") {
        const counter = join(dir, `${queue}.${body.id}.count`);
        const seen = existsSync(counter) ? Number(readFileSync(counter, "utf8")) : 0;
        writeFileSync(counter, String(seen + 1));
        if (seen < (body.times ?? 1))
          throwNow ??= new Error(`message ${body.id} fails ${body.times} time(s)`);
      }
      if (body.fail === "once" || body.fail === "timeout") {
        const marker = join(dir, `${queue}.${body.id}.seen`);
        if (!existsSync(marker)) {
          writeFileSync(marker, "");
          if (body.fail === "once") throwNow ??= new Error(`message ${body.id} fails the first time`);
          else await new Promise((resolve) => setTimeout(resolve, body.timeoutMs ?? 3000));
        }
      }
    }
  }
  if (throwNow) throw throwNow;
  return failures.length > 0 ? { batchItemFailures: failures } : { ok: true };
};
